"""A search's run folder, so that a stopped search (Ctrl-C, a crash, a reboot) resumes.

The folder holds Optuna's own journal of the study (``journal.log``, Optuna's
``JournalFileBackend``: every ask and tell appended as it happens) and one checked record file
per finished trial (``trials/<number>.tsauto``, written by :mod:`tsauto.core.persistence`
before the trial is told to Optuna), with the out-of-fold predictions the ensemble needs.
A second search on the same folder reads the finished trials back instead of running them
again. It refuses when the data fingerprint (the target's data) or the search settings and
the conditions its trials were scored under (folds, covariates, ...: named) are not those the
folder was started with. One fit uses a folder at a time (``tsauto.lock``, an exclusive lock);
the parts of a fit that search apart (a backtest's cutoffs, partitions) search in sub-folders
of it (:func:`part_run_dir`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shlex
from pathlib import Path
from typing import Any

from tsauto.core import persistence
from tsauto.core.exceptions import DataValidationError, IncompatibleModelError, TsautoError, shortlist
from tsauto.core.files import missing_folder
from tsauto.core.version import VERSION

try:
    import fcntl
except ImportError:  # Windows: no lock, as before
    fcntl = None

log = logging.getLogger(__name__)

JOURNAL = "journal.log"
RECORDS = "trials"
LOCK = "tsauto.lock"
PARTS = ("backtest-", "partition-")  # the sub-folders of a fit's parts (part_run_dir)
STUDY = "tsauto-search"
LAYOUT = 2  # 2: the fingerprint hashes the target's data alone, the conditions are named settings
RECORD_ATTR = "tsauto.record"


class ResumeRefused(TsautoError, ValueError):
    """A run folder that cannot be used now: it holds a search of other data, settings or
    conditions, its journal is damaged, or another fit is using it."""


def missing_run_parent(path: str | Path) -> str:
    """Why the run folder ``path`` cannot be made, its parent missing (the run folder itself is
    made where missing, not its parent: a mistyped one would hide the search's records), with
    the fix; else ''. The message of :func:`check_run_dir` and of the command line's --run-dir
    (user test 59 F11: "create it first", where another message said "made where missing")."""
    if not missing_folder(path):
        return ""
    parent = str(Path(path).parent)
    return (f"the folder {parent!r} does not exist; the run folder itself is made where missing, not the "
            f"folder it is in: create that first (mkdir -p {shlex.quote(parent)}) or fix the path")


def check_run_dir(path: str | Path) -> None:
    """Refuse, before any work, a run folder that cannot be used: its parent missing, a file,
    not writable, or a folder holding other files and no search (``--run-dir .``: the journal
    would mix with them)."""
    path = Path(path)
    where = f"run_dir {str(path)!r}"
    why = missing_run_parent(path)  # a mistyped parent is refused, as the command line does
    if why:
        raise DataValidationError(f"{where}: {why}.")
    if path.exists() and not path.is_dir():
        raise DataValidationError(f"{where} is a file, not a folder: give a folder for the search's journal "
                                  "(the run folder itself is made where missing, in a folder that exists).")
    if not path.exists():
        return
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataValidationError(f"{where} cannot be written (permission denied): give a folder you may write.")
    others = sorted(e.name for e in path.iterdir() if not _ours(e.name))
    if others and not (path / JOURNAL).exists():
        raise DataValidationError(
            f"{where} holds files that are not a search's ({shortlist(others)}) and no search journal: "
            "give a new or empty folder, which the search keeps to itself."
        )


def part_run_dir(run_dir: str | Path, kind: str, key: str | tuple) -> str:
    """The run folder of one part of a fit inside ``run_dir``: ``<kind>-<name>-<hash>`` (``kind``:
    "backtest" for a cutoff, "partition" for a partition's ``key``, its values joined by commas
    for the name), the name's characters unsafe in a file name escaped and a hash of the exact key
    appended: no two keys share a folder, not ("a,b", "c") and ("a", "b,c"), nor "Victoria" and
    "victoria" on a file system blind to case (review 57)."""
    check_run_dir(run_dir)
    Path(run_dir).mkdir(exist_ok=True)
    name = ",".join(map(str, key)) if isinstance(key, tuple) else str(key)
    safe = re.sub(r"[^A-Za-z0-9._,=+-]", "_", name)[:80]
    return str(Path(run_dir) / f"{kind}-{safe}-{hashlib.sha256(repr(key).encode()).hexdigest()[:8]}")


def recorded_settings(path: str | Path) -> dict[str, Any] | None:
    """The settings and conditions the search in run folder ``path`` was started with (None:
    no search there, or a journal that cannot be read, which opening it refuses, saying why)."""
    journal = Path(path) / JOURNAL
    if not journal.is_file():
        return None
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    try:
        storage = JournalStorage(JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal))))
        return optuna.load_study(study_name=STUDY, storage=storage).user_attrs.get("tsauto.settings")
    except Exception as err:  # noqa: BLE001 - damaged, or of another layout: RunDir.open says which
        log.debug("cannot read the settings of %s: %s", journal, err)
        return None


def _ours(name: str) -> bool:
    """Whether a folder entry is one a search writes (Optuna's lock files of its journal too), or
    a hidden file a folder keeps anyway (``.gitkeep``, ``.DS_Store``: review 57 S3)."""
    return name.startswith((JOURNAL, ".", *PARTS)) or name in (RECORDS, LOCK)


class RunDir:
    """The run folder at ``path`` for a search of data ``fingerprint`` with ``settings`` (a
    JSON-able description of what makes trials comparable). ``next_number``, once opened: the
    number after every trial the folder ever recorded (a record lost is not numbered again)."""

    def __init__(self, path: str | Path, fingerprint: str, settings: dict[str, Any]):
        self.path = Path(path)
        self.fingerprint = str(fingerprint)
        self.settings = json.loads(json.dumps(settings, sort_keys=True, default=stable_repr))
        self.next_number = 0
        self._lock: int | None = None

    def open(self, sampler) -> tuple[Any, list]:
        """The Optuna study stored in the folder (created if new) and the trial records it
        finished before, by number, the folder locked until :meth:`close`. Trials a stopped run
        left running are closed as failed (they run again); so is one whose journal line a
        stop cut short."""
        check_run_dir(self.path)
        self.path.mkdir(exist_ok=True)
        self._take_lock()
        try:
            (self.path / RECORDS).mkdir(exist_ok=True)
            self._drop_cut_line()
            return self._open(sampler)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the folder for another fit."""
        if self._lock is not None:
            os.close(self._lock)  # the lock goes with it
            self._lock = None

    def _open(self, sampler) -> tuple[Any, list]:
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
        from optuna.trial import TrialState

        from tsauto.core.search import Trial

        journal = str(self.path / JOURNAL)
        try:
            storage = JournalStorage(JournalFileBackend(journal, lock_obj=JournalFileOpenLock(journal)))
            study = optuna.create_study(
                storage=storage, study_name=STUDY, direction="minimize", sampler=sampler, load_if_exists=True
            )
            attrs = study.user_attrs
            if not attrs:
                study.set_user_attr("tsauto.layout", LAYOUT)
                study.set_user_attr("tsauto.version", VERSION)  # named where a later tsauto refuses the folder
                study.set_user_attr("tsauto.fingerprint", self.fingerprint)
                study.set_user_attr("tsauto.settings", self.settings)
                return study, []
            self._check(attrs)
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
                storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
            numbers = [int(n) for t in study.get_trials(deepcopy=False)
                       if (n := t.user_attrs.get(RECORD_ATTR)) is not None]
        except ResumeRefused:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:  # JSONDecodeError is a ValueError
            raise ResumeRefused(
                f"the journal {journal!r} is damaged ({type(err).__name__}: {err}): delete run_dir "
                f"{str(self.path)!r} to start over, or give another run_dir."
            ) from None
        self.next_number = max(numbers, default=-1) + 1
        records = []
        for number in sorted(set(numbers)):  # one record each, whatever an earlier tsauto linked twice
            try:
                records.append(persistence.load(self.record_path(number), Trial))
            except (IncompatibleModelError, FileNotFoundError) as err:
                log.warning("trial %s of %s runs again: %s", number, self.path, err)
        log.info("resuming the search in %s: %d finished trial(s)", self.path, len(records))
        return study, records

    def _take_lock(self) -> None:
        """Hold ``tsauto.lock`` for this fit (refused where another holds it); Optuna's own lock
        of the journal left by a fit killed while writing is then stale, and removed (it
        stalled the next fit 30 s)."""
        if fcntl is None:
            return
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ResumeRefused(
                    f"run_dir {str(self.path)!r} is in use by another fit (process {holder}): wait for it to "
                    "end, or give another run_dir."
                ) from None
            raise ResumeRefused(  # review 57 R2: not "in use" where the file system has no locks
                f"run_dir {str(self.path)!r} cannot be locked ({os.strerror(err.errno)}): its file system "
                "may not support locks (a network share); give a local folder."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock = fd
        stale = self.path / (JOURNAL + ".lock")
        if os.path.lexists(stale):
            os.unlink(stale)
            log.warning("removed the stale lock %s of a fit stopped while writing the journal", stale)

    def _drop_cut_line(self) -> None:
        """Cut ``journal.log`` after its last whole line: a fit killed while appending (kill -9,
        a full disk) left part of one, to which the next append was glued, and every later read
        failed. The record cut short is lost: its trial runs again."""
        path = self.path / JOURNAL
        size = path.stat().st_size if path.exists() else 0
        if size == 0:
            return
        with path.open("rb+") as f:
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            end = size
            while end > 0:
                start = max(0, end - 65536)
                f.seek(start)
                found = f.read(end - start).rfind(b"\n")
                if found >= 0:
                    end = start + found + 1
                    break
                end = start
            f.truncate(end)
        log.warning("%s ended in a line cut short (a fit stopped while writing it): it is left out, and a "
                    "trial it recorded runs again", path)

    def record_path(self, number: int) -> Path:
        return self.path / RECORDS / f"{int(number)}.tsauto"

    def finish(self, otrial, record) -> None:
        """Keep ``record`` (written before Optuna is told, so a told trial always has one)."""
        persistence.save(record, self.record_path(record.number))
        otrial.set_user_attr(RECORD_ATTR, record.number)

    def _check(self, attrs: dict[str, Any]) -> None:
        where = repr(str(self.path))
        if attrs.get("tsauto.layout") != LAYOUT:
            raise ResumeRefused(
                f"{where} holds a search of another tsauto layout ({attrs.get('tsauto.layout')}, "
                f"this tsauto writes {LAYOUT}): give another run_dir or delete that one."
            )
        old = attrs.get("tsauto.fingerprint")
        if old != self.fingerprint:
            started = attrs.get("tsauto.version")
            by = ("" if started == VERSION else f"; started by tsauto {started}, this is {VERSION}, which may "
                  "fingerprint the same data otherwise" if started else "; started by an earlier tsauto, which "
                  "recorded no version and may fingerprint the same data otherwise")
            raise ResumeRefused(
                f"{where} holds a search of other data (fingerprint {str(old)[:12]}…, now "
                f"{self.fingerprint[:12]}…{by}): give another run_dir, the same data, or delete that one to "
                "start over."
            )
        diffs = differences(attrs.get("tsauto.settings") or {}, self.settings)
        if diffs:
            raise ResumeRefused(
                f"{where} holds a search with other settings ({'; '.join(diffs)}): its trials would not "
                "compare with new ones; give another run_dir, the same settings, or delete that one to start over."
            )


def differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """``key: old → new`` for every setting that differs, nested keys joined by dots."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "<none>"), new.get(key, "<none>")
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {_short(a)} → {_short(b)}")
    return out


def stable_repr(value: Any) -> str:
    """A description of ``value`` that is the same in every run (no memory addresses)."""
    import functools

    if isinstance(value, functools.partial):
        args = [stable_repr(a) for a in value.args]
        args += [f"{k}={stable_repr(v)}" for k, v in value.keywords.items()]
        return f"{stable_repr(value.func)}({', '.join(args)})"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
