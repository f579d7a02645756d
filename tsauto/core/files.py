"""Atomic file writes: a temporary file in the target's folder, renamed over it when complete.

A path whose folder does not exist is refused, not made (:func:`missing_folder`): a mistyped
folder would be created, and the file written where nobody looks for it. The command line and
the Python API (``save``, ``report``) refuse alike. What a writer killed mid-write left is
removed by the next write of the same file (:func:`remove_leftovers`). The file is synced to the
disk before the rename and its folder after it: a crash leaves the old file or the new one, whole.
A path that is a symbolic link is written through to its target, the link kept (as a shell's
``>`` writes), not replaced by a file that would leave the target as it was."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterator

from tsauto.core.exceptions import TsautoError

try:
    import fcntl
except ImportError:  # not POSIX: writers hold no lock, and leftovers stay
    fcntl = None

log = logging.getLogger(__name__)

STALE_AFTER = 10.0  # seconds untouched before a temporary file without a lock is a dead writer's
TMP_SUFFIX = ".tmp"
# the suffix of a file a writer keeps beside its temporary file (a model's payload, :func:`side_path`)
SIDE_SUFFIX = ".payload"
RANDOM_CHARS = 8  # of tempfile's names


def missing_folder(path: str | Path) -> str:
    """Why ``path`` cannot be written where its folder does not exist ("the folder 'typo_dir'
    does not exist; create it first or fix the path"), else ''."""
    folder = Path(path).parent
    if folder.exists():
        return ""
    return f"the folder {str(folder)!r} does not exist; create it first or fix the path"


def check_writable(path: str | Path) -> None:
    """Refuse, before any work, a path that cannot be written: a folder, one whose folder does
    not exist (:func:`missing_folder`), is a file or refuses a file. The command line checks
    its outputs with it before a fit, which a bad path found at the end would lose. A file is
    made and removed in that folder to find out: permission bits do not tell (``/sys`` and
    ``/proc`` pass ``os.access`` for root, and a read-only mount for all); its name is as long
    as the longest a write of ``path`` makes (:func:`side_path`), which a name or path too long
    for the file system fails (review 56 B7: a 240-character name passed, the save after the fit
    failed). A symbolic link is checked as its target."""
    path = _through_links(Path(path))
    try:
        is_dir, missing = path.is_dir(), missing_folder(path)
    except OSError as err:  # a name too long to look up
        raise _write_error(path, err) from None
    if is_dir:
        raise _write_error(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    if missing:
        raise TsautoError(f"cannot write {str(path)!r}: {missing}.")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise TsautoError(
            f"cannot write {str(path)!r}: {str(folder)!r} is not a folder tsauto can write in; "
            "choose another folder."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TMP_SUFFIX + SIDE_SUFFIX, dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    os.close(fd)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    ``path`` is checked first (:func:`check_writable`), before the writer's work. On any
    failure the temporary file is removed and ``path`` is left as it was. A write that fails
    (read-only folder, full disk) raises a :class:`TsautoError` naming it. The file
    gets the permissions of the one it replaces, or a new file's (``0o666`` less the umask):
    not the temporary file's owner-only ``0o600``, which left forecasts, reports and models
    unreadable to the rest of a team. The file is on the disk before the rename (``fsync``), and
    the rename after it (the folder's): a crash never leaves a partial or empty file under
    ``path`` (review 56 R2). A symbolic link is written through to its target.
    """
    path = _through_links(Path(path))
    check_writable(path)
    remove_leftovers(path)
    try:
        fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    if not _lock(fd):  # held, the lock tells later writers that this one lives
        os.close(fd)
        fd = -1
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _mode_of(path))
        _sync(tmp)
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    finally:
        tmp.unlink(missing_ok=True)
        if fd >= 0:
            os.close(fd)


def side_path(tmp: Path) -> Path:
    """The file a writer keeps beside its temporary file ``tmp`` (a model's payload): removed
    with it where its writer died (:func:`remove_leftovers`), its name checked up front."""
    return tmp.with_name(tmp.name + SIDE_SUFFIX)


def _temp_prefix(path: Path) -> str:
    """The start of the names of ``path``'s temporary files, ``.<name>.<pid>.``: the pid says
    whose it is."""
    return f".{path.name}.{os.getpid()}."


def _through_links(path: Path) -> Path:
    """``path``, or where its symbolic link leads (a link to a link followed too)."""
    try:
        return Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError:  # a name too long to look up: writing it says so
        return path


def _sync(path: Path) -> None:
    """Write ``path``'s data to the disk, where the file system can: one that cannot sync a file
    (``EINVAL``, ``ENOTSUP``; ``EBADF`` on Windows, which syncs only a handle open for writing)
    keeps the written file (review 57: every write failed there); a failure of the disk (``EIO``)
    is raised."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise
        log.debug("cannot sync %s: %s", path, err)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Write ``folder``'s entries (a rename in it) to the disk, where the system can: the file is
    written by then, so a failure here is logged, not raised."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as err:
        log.debug("cannot open %s to sync it: %s", folder, err)
        return
    try:
        os.fsync(fd)
    except OSError as err:
        log.debug("cannot sync the folder %s: %s", folder, err)
    finally:
        os.close(fd)


def remove_leftovers(path: str | Path) -> list[Path]:
    """Remove what writers of ``path`` killed mid-write left in its folder, and return it: their
    temporary files and the files named after them (a model's ``<tmp>.payload``). A ``kill -9``
    during ``save()`` left such a hidden pair, up to ~0.5 MB, at every kill, and no later save
    removed it (user test 49).

    A writer holds a lock (``flock``) on its temporary file till it ends, and the system drops it
    when the writer dies, however it dies: a file whose lock is free is a dead writer's, and one
    whose lock is held is never touched. The lock, not the pid in the name, says so: a pid may be
    reused, or another machine's or container's. A file touched in the last ``STALE_AFTER``
    seconds is left too (its writer may not have taken the lock yet), and so is one that cannot
    be locked (no locks on that file system) or opened."""
    path = Path(path)
    if fcntl is None:
        return []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    ours = re.compile(rf"\.{re.escape(path.name)}\.\d+\.[a-z0-9_]+{re.escape(TMP_SUFFIX)}")
    removed: list[Path] = []
    for name in filter(ours.fullmatch, names):
        tmp = path.parent / name
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if _abandoned(fd, tmp):
                for other in sorted(n for n in names if n.startswith(f"{name}.")) + [name]:
                    with contextlib.suppress(OSError):
                        os.unlink(path.parent / other)
                        removed.append(path.parent / other)
        finally:
            os.close(fd)
    if removed:
        log.info("removed %d file(s) that interrupted writes of %s left: %s",
                 len(removed), path, ", ".join(p.name for p in removed))
    return removed


def _abandoned(fd: int, tmp: Path) -> bool:
    """Whether ``tmp``, open as ``fd``, is a dead writer's: a file untouched for ``STALE_AFTER``
    seconds whose lock this process now holds (till ``fd`` closes), still at that name (its
    writer may have renamed it over the target meanwhile)."""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < STALE_AFTER:
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        now = os.lstat(tmp)
    except OSError:  # locked by its live writer, or no locks here, or gone
        return False
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


def _lock(fd: int) -> bool:
    """Take the lock that tells :func:`remove_leftovers` this writer lives; False where there
    are no locks (not POSIX, a file system without them)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _write_error(path: Path, err: OSError) -> TsautoError:
    """The error of a failed write of ``path``, with the advice its cause calls for (a full
    disk's "free some space" told the owner of a folder named as the file to clean up)."""
    if err.errno == errno.ENOSPC:
        advice = "free some space or choose another folder"
    elif err.errno == errno.EISDIR:
        advice = "that is a folder: give the path of a file to write, in it or elsewhere"
    elif err.errno in (errno.EACCES, errno.EPERM):
        advice = "this user may not write there: choose another folder"
    elif err.errno == errno.ENAMETOOLONG:
        advice = _shorter(path)
    else:
        advice = "choose another folder"
    return TsautoError(
        f"cannot write {str(path)!r}: {err.strerror or err} (nothing was changed there); {advice}."
    )


def _shorter(path: Path) -> str:
    """The advice for a ``path`` whose temporary files' names (:func:`side_path`) are too long:
    a shorter file name, by how much, where the name is; else a shorter path."""
    room = len(os.fsencode(_temp_prefix(path))) - len(os.fsencode(path.name)) + RANDOM_CHARS + len(
        TMP_SUFFIX + SIDE_SUFFIX)
    try:
        most = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # not POSIX, or no such limit
        most = 255
    if len(os.fsencode(path.name)) + room <= most:
        return "give a shorter path (its folders' names too): it is longer than the system takes"
    return (f"give a shorter file name: at most {most - room} bytes here (its temporary file, "
            f"written first, is named after it, {room} bytes longer)")


def _mode_of(path: Path) -> int:
    """The permission bits a write of ``path`` keeps: its own where it exists, else a new
    file's under the process's umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (``os.umask`` sets
    one to read it: another thread creating a file at that moment would get the wrong mode)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
