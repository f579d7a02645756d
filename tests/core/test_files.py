"""Atomic writes: the file appears whole or not at all, with the permissions a plain write gives;
a path that cannot be written is refused before the writer runs, with the advice of its cause."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tsauto
from tsauto.core.exceptions import TsautoError
from tsauto.core.files import atomic_path, check_writable, missing_folder


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


def test_a_folder_is_refused_before_the_writer_runs(tmp_path: Path) -> None:
    """A model's whole payload was written, then the rename failed with a full disk's advice."""
    folder = tmp_path / "models"
    folder.mkdir()
    ran = False
    with pytest.raises(TsautoError) as err, atomic_path(folder):
        ran = True
    assert not ran and "that is a folder: give the path of a file" in str(err.value)
    assert "free some space" not in str(err.value)
    with pytest.raises(TsautoError, match="that is a folder"):
        check_writable(folder)
    blocker = tmp_path / "plain"
    blocker.write_text("a file, not a folder")
    with pytest.raises(TsautoError, match=f"'{blocker}' is not a folder tsauto can write in"):
        check_writable(blocker / "fc.csv")



def test_a_folder_that_does_not_exist_is_refused_not_made(tmp_path: Path) -> None:
    """Missing folders were made on writing: a typo in a path ('/mnt/shraed/models') put the
    file where nobody would look (user test). Refused, naming the folder, before the writer."""
    path = tmp_path / "new" / "deeper" / "fc.csv"
    with pytest.raises(TsautoError) as err:
        check_writable(path)
    assert str(err.value) == (
        f"cannot write '{path}': the folder '{path.parent}' does not exist; create it first or fix the path."
    )
    ran = False
    with pytest.raises(TsautoError, match="does not exist"), atomic_path(path):
        ran = True
    assert not ran and list(tmp_path.iterdir()) == []
    assert missing_folder(path) == f"the folder '{path.parent}' does not exist; create it first or fix the path"
    assert missing_folder(tmp_path / "fc.csv") == missing_folder("fc.csv") == ""


def test_a_folder_that_refuses_files_is_found_before_the_work(tmp_path: Path) -> None:
    """Permission bits did not tell: root passes ``os.access`` on /sys, whose writes fail, so a
    forecast to /sys/fc.csv was refused only after the fit."""
    if os.geteuid() == 0:
        folder = Path("/sys")
        if not folder.is_dir():
            pytest.skip("needs /sys (Linux) to find a folder that refuses root's files")
    else:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
    with pytest.raises(TsautoError, match="cannot write .*fc.csv"):
        check_writable(folder / "fc.csv")
    assert not list(tmp_path.glob("**/.tsauto-probe.*"))
    check_writable(tmp_path / "fc.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == (["read-only"] if os.geteuid() else [])


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "free some space or choose another folder"),
        (errno.EACCES, "this user may not write there: choose another folder"),
        (errno.EISDIR, "that is a folder"),
        (errno.EIO, "choose another folder"),
    ],
)
def test_a_failed_write_gives_the_advice_of_its_cause(tmp_path: Path, monkeypatch, code: int, advice: str) -> None:
    def failed(*args) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", failed)
    with pytest.raises(TsautoError) as err, atomic_path(tmp_path / "fc.csv") as tmp:
        tmp.write_text("a\n")
    message = str(err.value)
    assert os.strerror(code) in message and "nothing was changed there" in message and advice in message
    assert ("free some space" in message) == (code == errno.ENOSPC)


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from tsauto.core.files import atomic_path
with atomic_path(Path(sys.argv[1])) as tmp:  # as a model's save writes: a payload, then the file
    tmp.with_name(tmp.name + ".payload").write_bytes(b"payload")
    tmp.write_bytes(b"half")
    print(tmp, flush=True)
    time.sleep(600)
"""


def _backdate(folder: Path, seconds: float) -> None:
    """Every hidden file of ``folder`` made ``seconds`` older (untouched since)."""
    for p in folder.glob(".*"):
        then = time.time() - seconds
        os.utime(p, (then, then))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX file locks")
def test_a_killed_writers_leftovers_go_with_the_next_write_a_live_writers_stay(tmp_path: Path) -> None:
    """``kill -9`` during ``save()`` left a hidden ``.<name>.XXXX.tmp`` and its ``.payload``
    that later saves never removed (user test 49). The next write of the same file removes a
    dead writer's; a live writer's, however old, is left, and its write ends well."""
    target = tmp_path / "model.tsauto"
    here = str(Path(tsauto.__file__).parents[1])
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)], stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": here}, text=True)
    try:
        dead = Path(writer.stdout.readline().strip())
    finally:
        writer.kill()
        writer.wait()
    dead_files = {dead, dead.with_name(dead.name + ".payload")}
    assert all(p.exists() for p in dead_files)
    with atomic_path(target) as live:  # another writer, still at work
        live.write_text("live")
        _backdate(tmp_path, 3600)
        with atomic_path(target) as tmp:
            tmp.write_text("next")
        assert not any(p.exists() for p in dead_files)
        assert live.read_text() == "live" and target.read_text() == "next"
    assert target.read_text() == "live" and sorted(p.name for p in tmp_path.iterdir()) == ["model.tsauto"]


def test_a_name_too_long_for_the_temporary_file_is_refused_before_the_writer_runs(tmp_path: Path) -> None:
    """A 240-character model name passed the check (a short probe name), then the fit's save
    failed: the temporary file's name, the payload's beside it, is ~30 bytes longer (review 56
    B7). The check probes a name as long as theirs, and says to shorten the name."""
    from engine_doubles import ToyEvaluator

    from tsauto.core import persistence

    long = tmp_path / ("m" * 240 + ".tsauto")
    with pytest.raises(TsautoError) as err:
        check_writable(long)
    message = str(err.value)
    assert "name too long" in message and "give a shorter file name" in message, message
    assert "choose another folder" not in message
    ran = False
    with pytest.raises(TsautoError, match="give a shorter file name"), atomic_path(long):
        ran = True
    assert not ran
    with pytest.raises(TsautoError, match="give a shorter file name"):
        persistence.save(ToyEvaluator(sleep=0.5), long)
    fits = tmp_path / ("m" * 200 + ".tsauto")
    assert persistence.load(persistence.save(ToyEvaluator(sleep=0.5), fits), ToyEvaluator).sleep == 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == [fits.name]


def test_the_file_is_on_disk_before_the_rename_and_the_rename_after_it(tmp_path: Path, monkeypatch) -> None:
    """No fsync before the rename: a crash right after a save could leave a 0-byte model under
    its name (review 56 R2). The temporary file is synced, renamed, then its folder synced."""
    events: list[str] = []
    sync, rename = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        sync(fd)

    def replace(src, dst) -> None:
        events.append("rename")
        rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    with atomic_path(tmp_path / "fc.csv") as tmp:
        tmp.write_text("a\n")
    assert events == ["fsync file", "rename", "fsync folder"]
    assert (tmp_path / "fc.csv").read_text() == "a\n"


def test_a_file_system_that_cannot_sync_a_file_keeps_the_write(tmp_path: Path, monkeypatch) -> None:
    """Review 57 R1: fsync refused (EINVAL on a file system without it; EBADF on Windows for a
    handle not open for writing) failed every write; the file is kept. A failing disk (EIO)
    still fails the write, and leaves nothing under the name."""
    def refused(code: int):
        def fsync(fd: int) -> None:
            raise OSError(code, os.strerror(code))
        return fsync

    for code in (errno.EINVAL, errno.EBADF):
        monkeypatch.setattr(os, "fsync", refused(code))
        with atomic_path(tmp_path / "fc.csv") as tmp:
            tmp.write_text("a\n")
        assert (tmp_path / "fc.csv").read_text() == "a\n"
    monkeypatch.setattr(os, "fsync", refused(errno.EIO))
    with pytest.raises(TsautoError, match="cannot write"):
        with atomic_path(tmp_path / "model.tsauto") as tmp:
            tmp.write_text("b\n")
    assert not (tmp_path / "model.tsauto").exists()


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_symbolic_link_is_written_through_to_its_target(tmp_path: Path) -> None:
    """Saving over ``current.tsauto -> v1.tsauto`` replaced the link by a file and left v1 as it
    was (review 56 R4): the target is written, the link kept, as a shell's ``>`` does."""
    models = tmp_path / "models"
    models.mkdir()
    target, link = models / "v1.tsauto", tmp_path / "current.tsauto"
    target.write_text("v1")
    link.symlink_to(target)
    with atomic_path(link) as tmp:
        tmp.write_text("v2")
    assert link.is_symlink() and target.read_text() == "v2"
    assert sorted(p.name for p in models.iterdir()) == ["v1.tsauto"]
    dangling = tmp_path / "next.tsauto"
    dangling.symlink_to(models / "v2.tsauto")
    with atomic_path(dangling) as tmp:
        tmp.write_text("new")
    assert dangling.is_symlink() and (models / "v2.tsauto").read_text() == "new"
    nowhere = tmp_path / "nowhere.tsauto"
    nowhere.symlink_to(tmp_path / "gone" / "m.tsauto")
    with pytest.raises(TsautoError, match=f"the folder '{tmp_path / 'gone'}' does not exist"):
        check_writable(nowhere)
