"""Atomic writes: the file appears whole or not at all, with the permissions a plain write gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tsauto.core.files import atomic_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_file_gets_the_umask_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    before = os.umask(0o027)
    try:
        new = tmp_path / "forecast.csv"
        with atomic_path(new) as tmp:
            tmp.write_text("a\n")
        assert new.read_text() == "a\n" and _mode(new) == 0o640  # not mkstemp's 0o600

        new.chmod(0o604)
        with atomic_path(new) as tmp:
            tmp.write_text("b\n")
        assert new.read_text() == "b\n" and _mode(new) == 0o604
    finally:
        os.umask(before)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "model.tsauto"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the writer failed")
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.tsauto"]
