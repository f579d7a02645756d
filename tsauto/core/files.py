"""Atomic file writes: a temporary file in the target's folder, renamed over it when complete.

A path whose folder does not exist is refused, not made (:func:`missing_folder`): a mistyped
folder would be created, and the file written where nobody looks for it. The command line and
the Python API (``save``, ``report``) refuse alike."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from tsauto.core.exceptions import TsautoError


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
    ``/proc`` pass ``os.access`` for root, and a read-only mount for all)."""
    path = Path(path)
    if path.is_dir():
        raise _write_error(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    missing = missing_folder(path)
    if missing:
        raise TsautoError(f"cannot write {str(path)!r}: {missing}.")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise TsautoError(
            f"cannot write {str(path)!r}: {str(folder)!r} is not a folder tsauto can write in; "
            "choose another folder."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".tsauto-probe.", dir=folder)
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
    unreadable to the rest of a team.
    """
    path = Path(path)
    check_writable(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _mode_of(path))
        os.replace(tmp, path)
    except OSError as err:
        raise _write_error(path, err) from None
    finally:
        tmp.unlink(missing_ok=True)


def _write_error(path: Path, err: OSError) -> TsautoError:
    """The error of a failed write of ``path``, with the advice its cause calls for (a full
    disk's "free some space" told the owner of a folder named as the file to clean up)."""
    if err.errno == errno.ENOSPC:
        advice = "free some space or choose another folder"
    elif err.errno == errno.EISDIR:
        advice = "that is a folder: give the path of a file to write, in it or elsewhere"
    elif err.errno in (errno.EACCES, errno.EPERM):
        advice = "this user may not write there: choose another folder"
    else:
        advice = "choose another folder"
    return TsautoError(
        f"cannot write {str(path)!r}: {err.strerror or err} (nothing was changed there); {advice}."
    )


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
