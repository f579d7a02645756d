"""The search loop shared by forecasting, classification and regression.

It knows nothing of time series or tables. It is handed:

- ``candidates``: learner name → :class:`Candidate` (search space, default parameters, cost);
- an ``evaluator`` (a picklable object with ``evaluate(name, params, deadline, threads)``
  returning an :class:`Evaluation`): how one trial is fitted and scored on the task's splitter;
- exit criteria: a time budget, a number of trials, a target score, a patience.

Optuna's TPE sampler proposes the trials over a conditional space (learner first, then its
parameters); the default configuration of every learner is tried first, cheapest first, so any
budget yields a result early. Trials run in parallel on the executor, each proposed when a
worker frees (the sampler then knows every result so far) and given its own deadline, so that no
worker waits for another's trial; a trial that raises, overruns,
runs out of memory or kills its worker is recorded as failed (or timed out) with its reason and
the search goes on. Ctrl-C stops the search and keeps the trials finished so far; with
``run_dir`` every finished trial is journalled and a second run resumes them.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import random
import signal
import threading
import time
import warnings
from collections import Counter
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from tsauto.core.exceptions import DataValidationError, TimeLimitExceeded
from tsauto.core.executor import Call, Executor
from tsauto.core.journal import RunDir, stable_repr

log = logging.getLogger(__name__)

SpaceFn = Callable[[Any], dict[str, Any]]  # optuna trial → parameters


# seconds a search's trial workers take to start and receive the data before the first trial
# fits (Adult on 2 cores: its first trial reported 2 s after the search began, 1 s of it fitting)
WORKER_START_SECONDS = 2.0


def budget_to_finish(spent: float, seconds: float, search_share: float) -> int:
    """The whole seconds of a budget whose search (``search_share`` of it) holds a trial and
    refit of ``seconds`` after the workers' start, ``spent`` having gone before the search."""
    return math.ceil((spent + WORKER_START_SECONDS + seconds) / search_share)
MAX_REPEATS = 20  # proposals in a row that repeat a trial before the search stops
LEARNER_REPEATS = 5  # repeats of a learner's trials after which others are asked instead
# Trials of a learner failed in a row (an error, not a timeout) after which the search proposes
# it no more: the sampler learns nothing from a failure, and under a tight memory_limit it
# proposed a LightGBM that ran out of memory 83 times (user test 55).
FAILED_IN_A_ROW = 5
# Seconds a trial needs at least: a trial given none (the time left within the executor's grace)
# was told timed out before it started, and the next proposed at once: at time_budget=1.5, 127
# of 150 trials; Walmart by store at --time-budget 3, 300 of a leaderboard's 309 rows.
MIN_SPAN = 0.1


@dataclass(frozen=True)
class Candidate:
    """A learner the search may try: its space, its defaults, its relative cost, where the
    planner estimates it the CPU seconds of its default trial (0: unknown), and its ``rank``:
    default trials of a lower rank come first (a learner only a search adds: 1)."""

    name: str
    space: SpaceFn | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    cost: float = 1.0
    seconds: float = 0.0
    rank: int = 0


@dataclass
class Evaluation:
    """What an evaluator returns for one trial."""

    fold_scores: list[float]
    oof: Any  # out-of-fold predictions, in whatever form the evaluator's ensemble scoring takes
    fit_time: float
    predict_time: float
    params: dict[str, Any] | None = None  # as the fits used them, where they cut their work to
    # their deadline (LightGBM: fewer boosting rounds at a raised rate); None: as proposed


class SideWork(Protocol):
    """Work a search hands its workers when it has no trial to start while trials still run
    (the engine's refits ahead of the search's end, see :mod:`tsauto.core.engine`)."""

    def next_call(self, finished: list[Trial], running: list[tuple[Trial, float]]) -> tuple[Any, Call] | None:
        """The next ``(key, call)`` to run, from the trials finished and those running, each with
        the seconds it has run so far (None: none now)."""

    def done(self, key: Any, result: Any) -> None:
        """The result of the call ``key``: its value, or the exception that ended it."""

    def wanted(self, key: Any) -> bool:
        """Whether the result of the running call ``key`` is still needed (else it is stopped)."""


class Evaluator(Protocol):
    """Fits and scores one (learner, params) on the task's splitter. Lower scores are better.

    It may also split a trial: ``fold_groups(name, params)`` gives the folds of each part (or
    None), ``evaluate(..., folds)`` scores one part and ``merge(evaluations)`` joins the parts'
    evaluations, in the order of their folds, into the trial's (see :meth:`Search._parts`)."""

    def evaluate(
        self, name: str, params: dict[str, Any], deadline: float, threads: int
    ) -> Evaluation: ...


@dataclass
class Trial:
    """One row of the leaderboard."""

    number: int
    learner: str
    params: dict[str, Any]
    status: str = "ok"  # ok | failed | timeout
    reason: str = ""
    fold_scores: list[float] = field(default_factory=list)
    score: float = math.inf
    fit_time: float = 0.0
    predict_time: float = 0.0
    oof: Any = field(default=None, repr=False)


def check_seed(random_state: object) -> None:
    """Refuse a ``random_state`` that is not an integer, ``None`` included, before any work.
    Not scikit-learn's "a fresh seed each fit": a tsauto fit is reproduced by its seed (the same
    seed, the same folds, trials and model, whatever ``n_jobs``), which a new draw would lose
    silently; a user who wants another draw passes another integer. ``None`` crashed inside the
    search with a raw TypeError (user test 58)."""
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise DataValidationError(
            f"random_state={random_state!r}: give an integer seed, e.g. 0 (a fit is reproduced by its seed; "
            "another integer gives another draw)."
        )


@dataclass
class SearchSettings:
    """Exit criteria and resources of one search.

    ``run_dir``: a folder journalling every finished trial (Optuna's journal plus one record
    file per trial); a search given a folder that holds a search of the same data and settings
    resumes it, running no finished trial again (see :mod:`tsauto.core.journal`).
    ``conditions``: what the evaluator's scores depend on besides the fingerprinted data and
    these settings (a forecast's folds, covariates, guards: JSON-able, nested by name); a
    run folder of other conditions is refused, naming them.
    """

    time_budget: float | None = None  # seconds for the search (the caller reserves refit time)
    max_trials: int | None = None  # trials in all, those of a resumed run included
    target_score: float | None = None
    patience: int | None = None  # stop after this many finished trials without improvement
    n_jobs: int = 1
    random_state: int = 0
    trial_share: float = 0.4  # most of the time budget one trial may take
    default_share: float | None = None  # most a learner's default trial may take (None: trial_share)
    run_dir: str | Path | None = None
    conditions: dict[str, Any] = field(default_factory=dict)


class Search:
    """Optuna-driven search over ``candidates`` scored by ``evaluator``.

    ``fingerprint`` identifies the data a resumable search (``settings.run_dir``) runs on;
    by default a hash of the evaluator (its data and scoring). ``stop_by(trials)``, when given,
    is the time (``time.monotonic()``) after which no trial may run, from the trials finished so
    far (the engine keeps the refit of their blend that much time); the budget's end alone
    when it is later. ``side``, when given, gets the workers that would otherwise wait for the
    last trials: its calls run when no trial is left to start, and :meth:`run` returns when
    they are done too. Without a budget, a trial the evaluator splits (``fold_groups``) runs
    as one call per part on the workers, its result their ``merge``. The progress log names
    the best score as ``metric`` reads (``to_value`` of the loss the search minimises: an AUC
    of 0.93, not its loss of 0.07). After :meth:`run`, ``interrupted`` tells whether Ctrl-C
    stopped it and ``resumed`` how many trials came from the run folder.
    """

    def __init__(
        self,
        candidates: dict[str, Candidate],
        evaluator: Evaluator,
        settings: SearchSettings,
        executor: Executor,
        fingerprint: str | None = None,
        stop_by: Callable[[list[Trial]], float] | None = None,
        side: SideWork | None = None,
        metric: str = "loss",
        to_value: Callable[[float], float] = float,
    ):
        self.candidates = candidates
        self.evaluator = evaluator
        self.settings = settings
        self.executor = executor
        self.fingerprint = fingerprint
        self.stop_by = stop_by
        self.side = side
        self.metric = metric
        self.to_value = to_value
        self.interrupted = False
        self.resumed = 0
        self._repeats: Counter = Counter()  # repeated proposals per learner (:meth:`_propose_new`)
        self._failed: Counter = Counter()  # each learner's trials failed in a row (:meth:`_count_failure`)

    def run(self) -> list[Trial]:
        """Run until an exit criterion holds; returns every trial, in order.

        Ctrl-C stops the search: the workers are stopped and the trials finished so far are
        returned (``interrupted`` is then true); a second Ctrl-C aborts."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        s = self.settings
        if s.time_budget is None and s.max_trials is None:
            raise ValueError("give time_budget or max_trials: the search needs a limit.")
        start = time.monotonic()
        end = start + s.time_budget if s.time_budget is not None else math.inf
        sampler = optuna.samplers.TPESampler(seed=s.random_state, multivariate=True, group=True)
        journal, previous = None, []
        try:  # the run folder's lock released whatever stops the search, once taken (review 57 R4)
            if s.run_dir is not None:
                fingerprint = self.fingerprint or data_fingerprint(self.evaluator)
                journal = RunDir(s.run_dir, fingerprint, self._identity())
                study, previous = journal.open(sampler)
                self.resumed = len(previous)
                if previous:  # a new seed, or the sampler would propose the first run's trials again
                    study.sampler = optuna.samplers.TPESampler(
                        seed=s.random_state + len(previous), multivariate=True, group=True
                    )
            else:
                study = optuna.create_study(direction="minimize", sampler=sampler)
            with _CtrlC() as ctrl_c:
                trials = self._loop(study, end, previous, journal, ctrl_c)
        except BaseException:
            self.executor.close()
            raise
        finally:
            if journal is not None:
                journal.close()
        self.executor.close(keep_idle=1)  # for the refits that follow: no new worker to start
        return trials

    def _loop(
        self, study, end: float, previous: list[Trial], journal: RunDir | None, ctrl_c: "_CtrlC"
    ) -> list[Trial]:
        s = self.settings
        trials: list[Trial] = list(previous)
        for t in sorted(previous, key=lambda t: t.number):  # a resumed search gives up the same learners
            self._count_failure(t, quiet=True)
        done = {t.learner for t in trials}
        tried: dict[str, Trial | None] = {_key(t): t for t in trials}  # None: still running
        defaults = [n for n in self._default_order() if n not in done]
        ok = [t.score for t in trials if t.status == "ok"]
        best = min(ok, default=math.inf)
        since_best = _since_best(trials)
        inflight: dict[int, tuple] = {}  # trial number: (optuna trial, record, start), while it runs
        deadlines: dict[int, float] = {}  # of the trials in flight
        parts: dict[int, list] = {}  # of a trial run in parts: each part's result (None: running)
        queued: list[tuple] = []  # parts of a trial not yet handed out
        # after every number the run folder recorded, a record lost included (review 56 B4)
        recorded = journal.next_number if journal is not None else 0
        numbers = itertools.count(max([recorded, *(t.number + 1 for t in trials)]))
        warm = getattr(self.executor, "warm", None)
        if warm is not None:  # workers started before the first trial's clock starts
            with ctrl_c.allowed():
                warm(None if end == math.inf else end, type(self.evaluator))

        def next_trial():
            """The next part of a trial run in parts, else the next trial and its deadline
            while no exit criterion holds; else the side's next call, or None."""
            while queued:
                key, call, deadline = queued.pop(0)
                if not dropped(key):
                    return key, call, deadline
                on_result(key, CancelledError(f"{call.label}: not started, another part failed"))
            with ctrl_c.held():  # the sampler writes the journal
                item = propose()
            if item is not None or self.side is None:
                return item
            now = time.monotonic()
            running = [(record, now - started) for _, record, started in inflight.values()]
            call = self.side.next_call(trials, running)
            return None if call is None else (call[0], call[1], math.inf)

        def propose():
            """The next trial and its deadline, while no exit criterion holds (else None)."""
            ctrl_c.check()
            stop = end if self.stop_by is None or not trials else min(end, self.stop_by(trials))
            left = stop - time.monotonic()
            if s.max_trials is not None and len(trials) + len(inflight) >= s.max_trials:
                return None
            if left <= 0 or (s.time_budget is not None and left < 0.05 * s.time_budget):
                return None  # too little left for a trial to finish: keep it for the refit
            if s.target_score is not None and best <= s.target_score:
                return None
            if s.patience is not None and since_best >= s.patience:
                return None
            if not defaults and not self._open():  # nothing (more) to explore
                if any(self._failed[n] >= FAILED_IN_A_ROW for n in self._searchable()):
                    log.info("search stopped: every learner with a space to search was given up")
                return None
            default = bool(defaults)
            span = self._span(left, default)
            if span < MIN_SPAN:
                return None  # it would time out before it starts: 127 of 150 trials did at 1.5 s
            proposal = self._propose_new(study, next(numbers), defaults, tried)
            if proposal is None:
                log.info("search space exhausted: every new proposal repeats a trial")
                return None
            record = proposal[1]
            inflight[record.number] = (*proposal, time.monotonic())
            tried[_key(record)] = None
            deadline = time.monotonic() + span
            deadlines[record.number] = deadline
            calls = self._parts(record, deadline)
            if not calls:
                return record.number, record, deadline
            parts[record.number] = [None] * len(calls)
            queued.extend(calls[1:])
            return calls[0]

        def dropped(key: Any) -> bool:
            """A part of a trial another part of which failed, a trial due after the time the
            refit of the blend now needs begins (:meth:`_overtaken`), or a side call whose
            result the side no longer needs."""
            if isinstance(key, _Part):
                return any(isinstance(r, BaseException) for r in parts.get(key.number, ()))
            if key in inflight:
                return self._overtaken(deadlines[key], trials)
            return self.side is not None and not self.side.wanted(key)

        def on_result(number: Any, result: Any) -> None:
            with ctrl_c.held():  # the journal and the sampler record the trial
                record_result(number, result)

        def record_result(number: Any, result: Any) -> None:
            nonlocal best, since_best
            if isinstance(number, _Part):  # the trial's result once its last part is in
                done = parts[number.number]
                done[number.index] = result
                if any(r is None for r in done):
                    return
                del parts[number.number]
                result = _joined(done, self.evaluator)
                number = number.number
            if number not in inflight:  # a side call's
                self.side.done(number, result)
                return
            otrial, record, _ = inflight.pop(number)
            deadlines.pop(number, None)
            if isinstance(result, CancelledError):  # stopped by dropped(): the refit's time
                result = TimeLimitExceeded(f"{record.learner}: stopped, its time went to the refit of the blend")
            proposed = _key(record)
            _record(record, result)
            if journal is not None:
                journal.finish(otrial, record)
            study.tell(otrial, record.score if record.status == "ok" else None,
                       state=None if record.status == "ok" else _FAIL())
            trials.append(record)
            tried[proposed] = tried[_key(record)] = record
            self._count_failure(record)
            if record.status == "ok" and record.score < best - 1e-12:
                best, since_best = record.score, 0
            else:
                since_best += 1
            log.info(
                "trial %d/%s | best %s %.4f | %s left",
                len(trials),
                s.max_trials or "-",
                self.metric,
                self.to_value(best) if math.isfinite(best) else math.nan,
                "-" if end == math.inf else f"{max(0.0, end - time.monotonic()):.0f}s",
            )

        try:
            with ctrl_c.allowed():  # Ctrl-C stops the trials at once; elsewhere at the next step
                self.executor.stream_trials(self.evaluator, next_trial, on_result, dropped=dropped)
        except KeyboardInterrupt:
            self.interrupted = True
            if journal is not None:
                kept = f"journaled in {journal.path}"
            else:  # SIGTERM exits after the search: nothing keeps them then
                kept = "lost (a run_dir journals them)" if ctrl_c.terminated else "kept for the blend"
            log.warning(
                "search %s: stopping the workers; %d finished trial(s) %s",
                "stopped by SIGTERM" if ctrl_c.terminated else "interrupted", len(trials), kept,
            )
            self.executor.close()
            for otrial, *_ in inflight.values():
                try:
                    study.tell(otrial, None, state=_FAIL(), skip_if_finished=True)
                except Exception:  # the journal may be mid-write: the next run closes it
                    pass
        self.interrupted = self.interrupted or ctrl_c.requested
        return sorted(trials, key=lambda t: t.number)

    def _overtaken(self, deadline: float, trials: list[Trial]) -> bool:
        """Whether a trial due at ``deadline`` now runs into the time its search keeps for the
        refit of the blend: ``stop_by`` moves earlier as a costly trial joins the blend, and a
        trial started before ran on into that time (a user's 10 s search on bank marketing, on
        a loaded machine: its LightGBM member, about 1 s to refit, found less than that left
        and the blend fell to a linear model, test AUC 0.804 -> 0.763)."""
        return self.stop_by is not None and bool(trials) and deadline > self.stop_by(trials)

    def _parts(self, record: Trial, deadline: float) -> list[tuple]:
        """``(key, call, deadline)`` of each part of ``record`` to run side by side, or none.
        Without a budget, where local workers would wait for this trial and the evaluator offers
        parts (``fold_groups(learner, params)``, joined by ``merge(evaluations)``): its learner's
        estimated ``seconds`` are at least the workers' even share of all the candidates'
        (``learners=["lightgbm", "seasonal_naive"]`` on M4 Weekly, 2 workers: 92-97 s whole,
        64-66 s in parts, the same scores; the default portfolio keeps both workers busy there,
        86-95 s either way, so its trials stay whole on 2 cores).
        A budgeted trial stays whole (its deadline is its own); a Dask worker gets the evaluator
        once per trial, a part's call would carry it."""
        groups = self._fold_groups(record.learner, record.params)
        threads = self.executor.threads_per_trial() if groups else 1
        return [
            (_Part(record.number, k),
             Call(self.evaluator.evaluate, (record.learner, record.params, deadline, threads, folds),
                  f"{record.learner} on fold(s) {', '.join(map(str, folds))}"),
             deadline)
            for k, folds in enumerate(groups)
        ]

    def _may_split(self, learner: str) -> bool:
        """Whether a trial of ``learner`` may run in parts (:meth:`_parts`)."""
        executor = self.executor
        if self.settings.time_budget is not None or getattr(executor, "backend", None) != "loky":
            return False
        own = self.candidates[learner].seconds
        total = sum(c.seconds for c in self.candidates.values())
        return (getattr(self.evaluator, "fold_groups", None) is not None and executor.n_workers >= 2
                and 0 < total <= own * executor.n_workers)

    def _fold_groups(self, learner: str, params: dict[str, Any]) -> list[tuple[int, ...]]:
        """The folds of each part of a trial of ``learner`` run in parts, or none (whole)."""
        if not self._may_split(learner):
            return []
        return self.evaluator.fold_groups(learner, params) or []

    def _span(self, left: float, default: bool = False) -> float:
        """Seconds the next trial may take: its share of the budget (``default_share`` for a
        learner's default trial), and when the end of the search comes first, the time left
        less the grace the executor gives past a deadline."""
        s = self.settings
        if s.time_budget is None:
            return math.inf
        share = s.default_share if default and s.default_share is not None else s.trial_share
        cap = share * s.time_budget
        if cap < left:
            return cap
        grace = getattr(self.executor, "grace", lambda span: 0.0)(left)
        return max(0.0, left - grace)

    def _default_order(self) -> list[str]:
        """The order of the learners' default trials, by ``rank`` (a search's extra learners
        after the others: ``max_trials=3`` without a budget ran ARIMA, the statistical
        combination and Prophet, 13 times the default fit, and none of its learners), then: with
        a time budget the cheapest first (the relative ``cost``), so that results come early;
        without one the longest first (the estimated ``seconds`` of a trial, or of each of its
        parts where it runs in parts; then as with a budget), so that the longest work does not
        start last while the other workers finish theirs and wait (M4 Hourly: LightGBM's 93 s
        trial started after the cheap ones, 8 s in; one daily series: ETS's 3 s after the 10
        parts of LightGBM's 9 s, which the 2 workers shared)."""
        def key(name: str) -> tuple:
            c = self.candidates[name]
            if self.settings.time_budget is not None:
                return (c.rank, c.cost, name)
            return (c.rank, -c.seconds / max(1, len(self._fold_groups(name, c.defaults))), c.cost, name)

        return sorted(self.candidates, key=key)

    def _propose(self, study, number: int, defaults: list[str]):
        """The next trial: a learner's defaults (in :meth:`_default_order`) while some are
        untried, then learners with a space, chosen with their parameters by the sampler."""
        if defaults:
            name = defaults.pop(0)
            study.enqueue_trial({"learner": name, **_prefixed(name, self.candidates[name].defaults)})
            otrial = study.ask()
            name = otrial.suggest_categorical("learner", sorted(self.candidates))
            params = dict(self.candidates[name].defaults)
            return otrial, Trial(number=number, learner=name, params=params)
        otrial = study.ask()
        # a fixed choice set of its own (Optuna's categories cannot change)
        name = otrial.suggest_categorical("searched_learner", self._searchable())
        cand = self.candidates[name]
        params = dict(cand.defaults)
        params.update(cand.space(_Prefixed(otrial, name)))
        return otrial, Trial(number=number, learner=name, params=params)

    def _propose_new(self, study, number: int, defaults: list[str], tried: dict[str, Trial | None]):
        """The next trial whose learner and parameters were never tried: a repeat the sampler
        proposes is told the earlier result (failed while that one runs) and not run again,
        and the next proposal is asked of another learner with a space (drawn at random among
        those not yet repeated ``LEARNER_REPEATS`` times): told a good score again, the sampler
        kept proposing the two settings of ETS's ``damped`` and the search stopped with a
        minute of its budget left and LightGBM's space barely tried. A learner given up
        (``FAILED_IN_A_ROW``) is refused the same way. None after ``MAX_REPEATS`` repeats in
        a row (every space small and exhausted)."""
        rng = random.Random(self.settings.random_state * 100_003 + number)
        for _ in range(MAX_REPEATS):
            otrial, record = self._propose(study, number, defaults)
            key = _key(record)
            if key not in tried and self._failed[record.learner] < FAILED_IN_A_ROW:
                return otrial, record
            earlier = tried.get(key)
            if earlier is not None and earlier.status == "ok":
                study.tell(otrial, earlier.score)
            else:  # a repeat of a failure, one still running, or a learner given up
                study.tell(otrial, None, state=_FAIL())
            self._repeats[record.learner] += 1
            others = [n for n in self._open() if self._repeats[n] < LEARNER_REPEATS]
            if not others:
                return None
            study.enqueue_trial({"searched_learner": rng.choice(others)})
        return None

    def _searchable(self) -> list[str]:
        return sorted(n for n, c in self.candidates.items() if c.space is not None)

    def _open(self) -> list[str]:
        """The learners still searched: those with a space, less those given up."""
        return [n for n in self._searchable() if self._failed[n] < FAILED_IN_A_ROW]

    def _count_failure(self, record: Trial, quiet: bool = False) -> None:
        """Count ``record`` among its learner's failures in a row (a timeout neither counts nor
        resets: a trial cut to its time says nothing of the next), and say so once the
        learner is given up (``FAILED_IN_A_ROW``), unless ``quiet``."""
        if record.status == "ok":
            self._failed[record.learner] = 0
        elif record.status == "failed":
            self._failed[record.learner] += 1
            if (self._failed[record.learner] == FAILED_IN_A_ROW and record.learner in self._searchable()
                    and not quiet):
                log.warning("%s no longer searched: its last %d trials failed (the last: %s)",
                            record.learner, FAILED_IN_A_ROW, record.reason)

    def _identity(self) -> dict[str, Any]:
        """What must be the same for a resumed search's trials to compare with new ones."""
        return {
            **self.settings.conditions,
            "evaluator": stable_repr(type(self.evaluator)),
            "random_state": self.settings.random_state,
            "learners": {
                name: {"space": stable_repr(c.space), "defaults": c.defaults, "cost": c.cost}
                for name, c in self.candidates.items()
            },
        }


class _CtrlC:
    """Ctrl-C during a search: raised at once while the workers run trials (they are then
    stopped), held while the journal is written (a proposal, a result; a Ctrl-C inside Optuna's
    lock release once failed the run) and elsewhere until the step in progress ends, so that
    Optuna's journal is never left half-written. A second Ctrl-C is raised at once.

    SIGTERM (a process manager's or a CI job's stop) stops the search the same way, then exits
    (``SystemExit``, status 143) with the workers stopped and the journal whole; by default it
    killed this process alone and its trial workers ran on."""

    def __init__(self):
        self.requested = False
        self.terminated = False
        self._now = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "_CtrlC":
        if threading.current_thread() is threading.main_thread():
            # leave an application's own handling alone
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                self._old[signal.SIGINT] = signal.signal(signal.SIGINT, self._handle)
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                self._old[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, old in self._old.items():
            signal.signal(signum, old)
        if self.terminated:
            raise SystemExit(128 + signal.SIGTERM)

    def _handle(self, signum, frame) -> None:
        self.terminated = self.terminated or signum == signal.SIGTERM
        raise_now = self._now or self.requested
        self.requested = True  # also when raised now: should the raise be swallowed (in a
        # finalizer, say), the search still stops at its next step
        if raise_now:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def allowed(self):
        self.check()
        self._now = True
        try:
            yield
        finally:
            self._now = False

    @contextlib.contextmanager
    def held(self):
        """Ctrl-C held till the block ends, inside :meth:`allowed` too (a step that writes the
        journal while trials run: a proposal, a result), then raised."""
        now, self._now = self._now, False
        try:
            yield
        finally:
            self._now = now
        self.check()


def data_fingerprint(*objects: Any) -> str:
    """A hash of ``objects`` (data, evaluator): the same data give the same fingerprint."""
    import joblib

    return joblib.hash(objects)


@dataclass(frozen=True)
class _Part:
    """The key of one part of a trial run in parts."""

    number: int
    index: int


def _joined(results: list, evaluator: Any) -> Any:
    """A trial's result from its parts': the first failure (a part stopped because another
    failed says only that), else the evaluator's ``merge`` of their evaluations."""
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        return next((f for f in failures if not isinstance(f, CancelledError)), failures[0])
    try:
        return evaluator.merge(results)
    except Exception as err:  # noqa: BLE001 - recorded as the trial's failure
        return err


def _key(trial: Trial) -> str:
    """What makes two trials the same: the learner and its parameters."""
    return trial.learner + stable_repr(sorted(trial.params.items()))


def _since_best(trials: list[Trial]) -> int:
    best, since = math.inf, 0
    for t in trials:
        if t.status == "ok" and t.score < best - 1e-12:
            best, since = t.score, 0
        else:
            since += 1
    return since


def _FAIL():
    from optuna.trial import TrialState

    return TrialState.FAIL


def _prefixed(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return {f"{name}.{k}": v for k, v in params.items() if isinstance(v, (int, float, str, bool))}


class _Prefixed:
    """An Optuna trial whose parameter names are prefixed by the learner (conditional space)."""

    def __init__(self, trial, prefix: str):
        self._trial = trial
        self._prefix = prefix

    def __getattr__(self, attr: str):
        method = getattr(self._trial, attr)
        if not attr.startswith("suggest_"):
            return method

        def suggest(name: str, *args, **kwargs):
            return method(f"{self._prefix}.{name}", *args, **kwargs)

        return suggest


def cut_reason(proposed: dict, used: dict) -> str:
    """What a trial's fit changed of the parameters proposed, cut to its time or to its data
    (a large table's logistic regression L2 alone): ``"adjusted to its time or data:
    num_boost_round 500 -> 221, learning_rate 0.05 -> 0.113"`` (nested parameters by their own
    name; ``-> 221`` alone where the default was proposed)."""
    before, after = _leaves(proposed), _leaves(used)
    changes = [
        f"{key.rsplit('.', 1)[-1]} {_short(before[key]) + ' ' if key in before else ''}-> {_short(value)}"
        for key, value in after.items() if before.get(key, object()) != value
    ]
    return "adjusted to its time or data: " + (", ".join(changes) if changes else "as proposed")


def _leaves(params: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def _record(record: Trial, result: Evaluation | BaseException) -> None:
    if isinstance(result, BaseException):
        record.status = "timeout" if isinstance(result, TimeoutError) else "failed"
        record.reason = f"{type(result).__name__}: {result}"
        return
    scores = [float(x) for x in result.fold_scores]
    if not scores or not np.all(np.isfinite(scores)):
        record.status, record.reason = "failed", "non-finite score"
        return
    record.fold_scores = scores
    if result.params is not None:  # the refit uses what was validated
        record.reason = cut_reason(record.params, result.params)
        record.params = result.params
    record.score = float(np.mean(scores))
    record.fit_time = result.fit_time
    record.predict_time = result.predict_time
    record.oof = result.oof
