"""Atomic file writes: a temporary file in the target's folder, renamed over it when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from tsauto.core.exceptions import TsautoError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    On any failure the temporary file is removed and ``path`` is left as it was. A folder that
    cannot be written (read-only, full disk) raises a :class:`TsautoError` naming it. The file
    gets the permissions of the one it replaces, or a new file's (``0o666`` less the umask):
    not the temporary file's owner-only ``0o600``, which left forecasts, reports and models
    unreadable to the rest of a team.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise TsautoError(f"cannot write {str(path)!r}: {err.strerror or err}; choose another folder.") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _mode_of(path))
        os.replace(tmp, path)
    except OSError as err:
        raise TsautoError(
            f"cannot write {str(path)!r}: {err.strerror or err} (nothing was changed there); "
            "free some space or choose another folder."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


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
