"""A search's run folder, so that a stopped search (Ctrl-C, a crash, a reboot) resumes.

The folder holds Optuna's own journal of the study (``journal.log``, Optuna's
``JournalFileBackend``: every ask and tell appended as it happens) and one checked record file
per finished trial (``trials/<number>.tsauto``, written by :mod:`tsauto.core.persistence`
before the trial is told to Optuna), with the out-of-fold predictions the ensemble needs.
A second search on the same folder reads the finished trials back instead of running them
again. It refuses when the data fingerprint (the data and what the caller hashed with them, a
forecast's horizon and metric) or the search settings (naming the difference) are not those the
folder was started with. A tsauto that hashes its settings otherwise (a new field of the
forecasting ``Task``) computes another fingerprint for the same data: the refusal says so, naming
the version that started the folder where it was recorded.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from tsauto.core import persistence
from tsauto.core.exceptions import DataValidationError, IncompatibleModelError, TsautoError
from tsauto.core.files import missing_folder
from tsauto.core.version import VERSION

log = logging.getLogger(__name__)

JOURNAL = "journal.log"
RECORDS = "trials"
STUDY = "tsauto-search"
LAYOUT = 1
RECORD_ATTR = "tsauto.record"


class ResumeRefused(TsautoError, ValueError):
    """A run folder holds a search of other data or with other settings."""


class RunDir:
    """The run folder at ``path`` for a search of data ``fingerprint`` with ``settings`` (a
    JSON-able description of what makes trials comparable)."""

    def __init__(self, path: str | Path, fingerprint: str, settings: dict[str, Any]):
        self.path = Path(path)
        self.fingerprint = str(fingerprint)
        self.settings = json.loads(json.dumps(settings, sort_keys=True, default=stable_repr))

    def open(self, sampler) -> tuple[Any, list]:
        """The Optuna study stored in the folder (created if new) and the trial records it
        finished before, by number. Trials a stopped run left running are closed as failed
        (they run again)."""
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend
        from optuna.trial import TrialState

        from tsauto.core.search import Trial

        why = missing_folder(self.path)  # a mistyped parent is refused, as the command line does
        if why:
            raise DataValidationError(f"run_dir {str(self.path)!r}: {why}")
        (self.path / RECORDS).mkdir(parents=True, exist_ok=True)
        storage = JournalStorage(JournalFileBackend(str(self.path / JOURNAL)))
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
        records = []
        for t in study.get_trials(deepcopy=False):
            number = t.user_attrs.get(RECORD_ATTR)
            if number is None:
                continue
            try:
                records.append(persistence.load(self.record_path(number), Trial))
            except (IncompatibleModelError, FileNotFoundError) as err:
                log.warning("trial %s of %s runs again: %s", number, self.path, err)
        records.sort(key=lambda r: r.number)
        log.info("resuming the search in %s: %d finished trial(s)", self.path, len(records))
        return study, records

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
            by = (f"; started by tsauto {started}, this is {VERSION}" if started and started != VERSION
                  else "" if started else "; started by an earlier tsauto, which recorded no version")
            raise ResumeRefused(
                f"{where} holds a search of other data, of settings hashed with the data such as a "
                "forecast's horizon or metric, or of an earlier tsauto version, which fingerprints the same "
                f"data otherwise (fingerprint {str(old)[:12]}…, now {self.fingerprint[:12]}…{by}): give another "
                "run_dir, the same data and settings, or delete that one to start over."
            )
        diffs = differences(attrs.get("tsauto.settings") or {}, self.settings)
        if diffs:
            raise ResumeRefused(
                f"{where} holds a search with other settings ({'; '.join(diffs)}): give another "
                "run_dir, the same settings, or delete that one to start over."
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
