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
    cannot be written (read-only, full disk) raises a :class:`TsautoError` naming it.
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
        os.replace(tmp, path)
    except OSError as err:
        raise TsautoError(
            f"cannot write {str(path)!r}: {err.strerror or err} (nothing was changed there); "
            "free some space or choose another folder."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
