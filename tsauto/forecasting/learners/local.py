"""Local learners: one model per series, fitted in parallel chunks with a time limit each.

A subclass writes two functions of one series, :meth:`LocalLearner._fit_one` and
:meth:`LocalLearner._forecast_one`; this module fans the series out in chunks (a task per
series is far too small; statsforecast#898) over ``task.n_jobs`` joblib workers, or, when the
task's backend is "dask" and its ``n_jobs`` is not 1, as tasks on the workers of the current
Dask client (from inside a Dask task such as a refit: its worker's client, the task's thread
seceded while it waits). A search trial has ``n_jobs=1``: its series stay in its own worker,
so that a trial that kills its worker takes no other trial with it. Every worker's native
threads are pinned to one (two 2-thread jobs side by side run 7–75× slower on a 2-core
machine). Each series gets ``series_time_limit`` seconds: the learner sees that deadline in its
task (``task.time_left()``), a series that runs past it counts as timed out, and where signals
work (a process's main thread) SIGALRM also stops it there. Every series whose fit failed or
timed out is recorded; those series, and series unseen at fit, are forecast by seasonal naive:
never a NaN, never a crash of the whole fit. The forecasts do not depend on where chunks ran.

``predict(history)`` forecasts from the end of ``history`` with the parameters fitted before:
``_forecast_one`` receives the fitted state and the history of the series from the first time
the fit read (older rows are left out), and runs its filter over it without re-estimating. A
history that starts later (only the newest rows of a long series) does not hold the rows the
fitted initial states belong to: :meth:`LocalLearner._restart` lets a learner estimate them on
the history (ETS: level and trend, its season kept at the phase that fits), the other
parameters as fitted.

A learner with ``max_length`` set fits each series on its last ``max_length`` points only (as
AutoGluon's local models, whose ``max_ts_length`` is 2,500): the older past of a long series
(17,000 hours of a meter) costs time in every likelihood evaluation and, where the series'
behaviour drifts, pulls the parameters towards what no longer holds. ``predict`` then runs the
filter from the same first time as the fit, over what came after it.
"""

from __future__ import annotations

import copy
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import norm

from tsauto.core.exceptions import DataValidationError, TimeLimitExceeded
from tsauto.core.executor import quiet_large_graph, wait_on_cluster
from tsauto.core.resources import n_workers, pinned
from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags, Task
from tsauto.forecasting.learners.baselines import seasonal_naive_forecast
from tsauto.forecasting.panel import Panel

log = logging.getLogger(__name__)

CHUNKS_PER_WORKER = 4  # chunks per worker, so that a slow chunk does not hold the others up
# observations up to which series fitted together stay in this process: on M1 (2 cores, loaded)
# ETS took 2.4 s in-process vs 9-10 s with 2 workers on yearly (2,700 points), 12 vs 16 s on
# quarterly (8,000 points). Raised from 10,000 (2026-12-07, quiet, ETS's refit on 1 / 2 threads):
# the worker processes cost about 4 s, so 2 threads break even at about 19,000 values (Australian
# retail by quarter, 19,088: 9.2 / 9.0 s) and gain above (M4 Weekly's 13-week sums, 22,989:
# 14.3 / 10.8 s; M1 monthly, 33,786: 26.6 / 17.1 s). What it mends is the refit's estimate, which
# counts a second thread's gain only above it (thread_gain_on): at 19,088 values a budgeted
# refit of ETS was estimated at 2.6 s against 5.6 s taken, and its heaviest member was lost.
TOGETHER_IN_PROCESS = 20_000
# observations of a history up to which its forecasts are made in this process (not on Dask,
# whose workers are running): starting the worker processes took 6.8 s (a loaded machine) before
# the 0.05 s of 6 Walmart series' ETS forecasts. Learners whose forecasts cost less per value set
# their own (ETS, Theta, ARIMA and the combination); Prophet's (a model per series) keep this.
FORECAST_IN_PROCESS = 10_000
MAX_CHUNK = 1000  # most series in a chunk: more chunks on large panels, for balance and memory
MIN_DASK_CHUNK = 32  # fewest series in a Dask task (a task costs milliseconds of scheduling)
DASK_GRACE = 2.0  # seconds past the deadline before unfinished Dask chunks are cancelled


class SeriesTimeout(Exception):
    """A series took longer than its time limit."""


def timed_out(err: BaseException) -> SeriesTimeout | None:
    """The :class:`SeriesTimeout` behind ``err``: itself, or one a library caught and re-raised
    as its own error (numpy's polynomial code turns any error into "ValueError: Coefficient
    arrays have no common type", the alarm's too)."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, SeriesTimeout):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`SeriesTimeout` in the block after ``seconds`` (main thread of a process).

    Elsewhere (a non-main thread, such as a Dask worker's) the block runs to its end; the
    caller checks the time it took.
    """
    if not seconds or seconds == float("inf") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise SeriesTimeout(f"exceeded {seconds:.1f}s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class SeriesData:
    """One series as a local model sees it."""

    __slots__ = ("exog", "future_exog", "times", "y")

    def __init__(self, y, times, exog, future_exog):
        self.y: np.ndarray = y  # target, no NaN
        self.times: np.ndarray = times  # datetime64[ns] or int64
        self.exog: np.ndarray | None = exog  # (len(y), n_known_future) or None
        self.future_exog: np.ndarray | None = future_exog  # (horizon, n_known_future) or None


class LocalLearner(Learner):
    """Base of per-series learners.

    Parameters shared by every local learner (subclasses add their own):
    ``series_time_limit`` seconds per series (``None``: no limit).
    """

    tags = LearnerTags(kind="local", native_quantiles=True)
    max_length: int | None = None  # a subclass that takes it sets it in its constructor
    together_in_process = TOGETHER_IN_PROCESS  # values fitted together in this process at most
    forecast_in_process = FORECAST_IN_PROCESS  # values of a history forecast in this process at most
    forecast_series_values = 0  # values each series counts as besides its own there (a model's overhead)

    def __init__(self, series_time_limit: float | None = 60.0):
        self.series_time_limit = series_time_limit

    # -- to write in a subclass ----------------------------------------------------------

    def _fit_one(self, series: SeriesData, task: Task) -> Any:
        """Fit one series; returns a picklable state (keep it small)."""
        raise NotImplementedError

    def _forecast_one(
        self, state: Any, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """Forecast ``task.horizon`` steps after ``series`` (its full history, maybe newer
        than at fit) with the fitted ``state``; returns (mean, {quantile: values})."""
        raise NotImplementedError

    def _restart(self, state: Any, series: SeriesData, task: Task) -> Any:
        """``state`` for a history that starts after the first time the fit read: as fitted
        (the default), or with the initial states it holds for that time re-estimated on
        ``series``, the other parameters as fitted; ``state`` itself where they cannot be."""
        return state

    def _fit_many(self, chunk: list[SeriesData], task: Task) -> list[Any] | None:
        """Optionally, fit all series of ``chunk`` at once (vectorised across series); returns
        each series' state or the exception that failed it, or ``None`` (the default): fit
        them one by one with :meth:`_fit_one`."""
        return None

    def _check_params(self) -> None:
        """Raise on a parameter outside its choices, before any series is fitted."""

    # -- the machinery ---------------------------------------------------------------------

    @classmethod
    def fits_together(cls) -> bool:
        """Whether this learner defines :meth:`_fit_many` (and :meth:`fit_folds` then fits
        several panels in one pass)."""
        return cls._fit_many is not LocalLearner._fit_many

    @classmethod
    def thread_gain_on(cls, observations: int) -> float | None:
        """None where the fit may run on worker processes; 0 where it stays in this process
        whatever the threads (series fitted together, up to ``together_in_process`` values):
        counting a second thread's gain there, a 10 s search on 8 M1 quarterly series reserved
        1.0 s for an ETS refit that took 1.7-2.1 s, and lost its heaviest member."""
        if cls.fits_together() and observations <= cls.together_in_process:
            return 0.0
        return super().thread_gain_on(observations)

    def fit_folds(self, learners: list[LocalLearner], panels: list[Panel], task: Task) -> None:
        """Fit ``learners[k]`` (unfitted copies of this one) on ``panels[k]``, all series of
        all panels fitted together: a validation trial's folds, prefixes of the same series,
        in one :meth:`_fit_many` pass rather than one per fold. Each series is fitted as alone,
        so each learner ends as its own :meth:`fit` would leave it (ETS on the 3 folds of the M1
        quarterly training parts: 24.1 -> 16.6 CPU seconds, the same fits; numpy's per-call
        overhead is paid once per step for all folds)."""
        if task.time_left() <= 0:
            raise TimeLimitExceeded(f"{self.name}: no time left to fit")
        self._check_params()
        starts = [self._starts(panel) for panel in panels]
        items = [list(_series(panel, None, task.horizon, s)) for panel, s in zip(panels, starts)]
        results = self._fit_items([item for part in items for item in part], task)
        first = 0
        for learner, panel, part, s in zip(learners, panels, items, starts):
            learner.task_ = task
            learner._keep(panel, results[first : first + len(part)], s)
            first += len(part)

    def _fit(self, panel: Panel, task: Task) -> None:
        self._check_params()
        starts = self._starts(panel)
        self._keep(panel, self._fit_items(list(_series(panel, None, task.horizon, starts)), task), starts)

    def _starts(self, panel: Panel) -> np.ndarray:
        """Each series' first time to fit on: the time ``max_length`` points before its end
        (its first time without ``max_length``)."""
        if self.max_length is None:
            return panel.times[panel.indptr[:-1]]
        n = self.max_length
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"max_length={self.max_length!r}: give a positive number of points, or None.")
        first = np.maximum(panel.indptr[:-1], panel.indptr[1:] - n)
        return panel.times[first]

    def _fit_items(self, items: list[SeriesData], task: Task) -> list:
        """Each series' (state, failure reason), fitted in chunks."""
        together = self.fits_together()
        if together and sum(len(item.y) for item in items) <= self.together_in_process:
            task = replace(task, n_jobs=1)  # less work than starting the worker processes
        # series fitted together cost little each: one large chunk per worker, few passes
        per_worker = 1 if together else CHUNKS_PER_WORKER
        return _run_chunks(self._fit_chunk, items, task, self.series_time_limit, per_worker)

    def _keep(self, panel: Panel, results: list, starts: np.ndarray) -> None:
        """The fitted state of each series of ``panel`` from ``results`` and the first time
        each was fitted from (``starts``; ``None`` in files of format 4 without
        ``max_length``); failures recorded."""
        self.keys_ = panel.keys.copy()
        self.states_ = [state for state, _ in results]
        self.starts_ = starts
        failures = [(i, reason) for i, (_, reason) in enumerate(results) if reason]
        self.failures_ = panel.keys.iloc[[i for i, _ in failures]].assign(
            reason=[r for _, r in failures]
        ).reset_index(drop=True)
        if failures:
            log.warning(
                "%s: %d of %d series failed or timed out and fall back to seasonal naive "
                "(see failures_), e.g. %s",
                self.name,
                len(failures),
                panel.n_series,
                failures[0][1],
            )

    def _fit_chunk(self, chunk: list[SeriesData], task: Task, limit: float | None):
        together = self._fit_chunk_together(chunk, task, limit) if self.fits_together() else None
        if together is not None:
            return together
        out = []
        for series in chunk:
            deadline_left = task.time_left()
            if deadline_left <= 0:  # the fit is cut short: fail it rather than fall back
                raise TimeLimitExceeded(f"{self.name}: time budget exhausted during the fit")
            budget = min(limit or float("inf"), deadline_left)
            start = time.monotonic()
            own = task if budget == float("inf") else replace(task, deadline=start + budget)
            try:
                with time_limit(budget):
                    state = self._fit_one(series, own)
                took = time.monotonic() - start
                if took > budget:
                    raise SeriesTimeout(f"took {took:.1f}s, limit {budget:.1f}s")
                out.append((state, ""))
            except Exception as err:  # noqa: BLE001 - one failing series must not sink the others
                timeout = timed_out(err)
                if timeout is None:
                    out.append((None, f"{type(err).__name__}: {err}"))
                    continue
                if task.time_left() <= 0:
                    raise TimeLimitExceeded(f"{self.name}: time budget exhausted") from None
                out.append((None, f"timeout: {timeout}"))
        return out

    def _fit_chunk_together(self, chunk: list[SeriesData], task: Task, limit: float | None):
        """:meth:`_fit_many` within the chunk's time (each series' limit, summed); ``None``
        when it declines, fails or runs past that time (the series are then fitted one by one,
        each with its own limit)."""
        left = task.time_left()
        if left <= 0:
            raise TimeLimitExceeded(f"{self.name}: time budget exhausted during the fit")
        budget = min(left, limit * len(chunk) if limit else float("inf"))
        try:
            with time_limit(budget):
                states = self._fit_many(chunk, task)
        except Exception as err:  # noqa: BLE001 - the series are still fitted, one by one
            if timed_out(err) is not None:
                if task.time_left() <= 0:
                    raise TimeLimitExceeded(f"{self.name}: time budget exhausted") from None
                return None
            log.warning("%s: fitting %d series together failed (%s: %s); fitting them one by one",
                        self.name, len(chunk), type(err).__name__, err)
            return None
        if states is None:
            return None
        return [(None, f"{type(s).__name__}: {s}") if isinstance(s, Exception) else (s, "") for s in states]

    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast:
        task = self.task_
        missing = [c for c in history.schema.known_future if c not in future]
        if missing and self.tags.known_future:
            raise DataValidationError(
                f"{self.name}: known-future covariates {missing} have no values over the "
                "horizon: pass future= with them."
            )
        pos = self._positions(history)
        states = [None if p is None else self.states_[p] for p in pos]
        starts, late = None, np.zeros(history.n_series, dtype=bool)
        if self.starts_ is not None:  # unseen series (None): from their first time
            first = history.times[history.indptr[:-1]]
            starts = np.array([first[i] if p is None else self.starts_[p] for i, p in enumerate(pos)])
            late = first > starts
            if late.any():
                log.info("%s: %d series' history starts after the first time fitted on: forecast from "
                         "it (initial states estimated on it where the learner does)", self.name, int(late.sum()))
        items = list(_series(history, future, task.horizon, starts))
        jobs = list(zip(states, items, late.tolist()))
        light = self._without_states()  # the states travel with their chunks
        # Dask's workers are already running: only a local pool is not worth starting for a few
        weight = sum(len(item.y) for item in items) + self.forecast_series_values * len(items)
        small = task.backend != "dask" and weight <= self.forecast_in_process
        task = replace(task, deadline=None, n_jobs=1 if small else task.n_jobs)
        results = _run_chunks(light._forecast_chunk, jobs, task, None)
        naive_mean, naive_sigma = seasonal_naive_forecast(history, task.horizon, task.season)
        mean = np.empty((history.n_series, task.horizon))
        quantiles = {q: np.empty_like(mean) for q in task.quantiles}
        for i, (res, _) in enumerate(results):
            if res is None or not np.all(np.isfinite(res[0])):
                mean[i] = naive_mean[i]
                for q in task.quantiles:
                    quantiles[q][i] = naive_mean[i] + norm.ppf(q) * naive_sigma[i]
                continue
            mean[i] = res[0]
            for q in task.quantiles:
                quantiles[q][i] = res[1][q]
        return Forecast(mean, quantiles)

    def _forecast_chunk(self, chunk, task: Task, limit: float | None):
        out = []
        for state, series, late in chunk:
            if state is None:
                out.append((None, "no fitted model"))
                continue
            try:
                if late:
                    state = self._restart(state, series, task)
                out.append((self._forecast_one(state, series, task), ""))
            except Exception as err:  # noqa: BLE001 - as in the fit: seasonal naive takes over
                out.append((None, f"{type(err).__name__}: {err}"))
        return out

    def _without_states(self) -> LocalLearner:
        """A shallow copy of this fitted learner without its per-series states and keys."""
        light = copy.copy(self)
        light.states_, light.keys_ = [], self.keys_.iloc[:0]
        return light

    def _positions(self, history: Panel) -> list[int | None]:
        """Position of each history series among the fitted ones, matched by key (None when
        unseen)."""
        cols = list(history.keys.columns)
        if history.keys.equals(self.keys_) or not cols:
            return list(range(history.n_series))
        ref = self.keys_.assign(__pos=np.arange(len(self.keys_)))
        pos = history.keys.merge(ref, on=cols, how="left")["__pos"].to_numpy()
        return [None if pd.isna(p) else int(p) for p in pos]


def _series(
    panel: Panel, future: dict[str, np.ndarray] | None, horizon: int, starts: np.ndarray | None = None
) -> Iterator[SeriesData]:
    """Each series of ``panel`` (from its time in ``starts`` on, where given) as a local model
    sees it."""
    kf = list(panel.schema.known_future)
    exog_all = panel.covariates[kf].to_numpy(np.float64) if kf else None
    fut = np.stack([future[c] for c in kf], axis=-1) if (kf and future) else None
    for i in range(panel.n_series):
        a, b = panel.indptr[i], panel.indptr[i + 1]
        if starts is not None:
            a += int(np.searchsorted(panel.times[a:b], starts[i]))
        yield SeriesData(
            panel.y[a:b],
            panel.times[a:b],
            exog_all[a:b] if exog_all is not None else None,
            fut[i] if fut is not None else None,
        )


def _run_chunks(fn, items: list, task: Task, limit: float | None, per_worker: int = CHUNKS_PER_WORKER) -> list:
    """``fn(chunk, task, limit)`` over ``per_worker`` chunks of ``items`` per worker, in
    parallel; results in order."""
    client = _dask_client(task)
    if client is not None:
        return _run_dask(client, fn, items, task, limit, per_worker)
    workers = n_workers(task.n_jobs, len(items))
    if workers == 1:
        with pinned(1):
            return fn(items, task, limit)
    parts = Parallel(n_jobs=workers, backend="loky")(
        delayed(_pinned)(fn, chunk, task, limit) for chunk in _chunks(items, workers, 1, per_worker)
    )
    return [r for part in parts for r in part]


def _chunks(items: list, workers: int, min_size: int, per_worker: int = CHUNKS_PER_WORKER) -> list[list]:
    """``items`` in order, cut into ``per_worker`` chunks per worker (more when a chunk would
    pass ``MAX_CHUNK``), none under ``min_size`` items unless there is only one."""
    n = max(workers * per_worker, -(-len(items) // MAX_CHUNK))
    n = max(1, min(n, len(items) // min_size))
    bounds = np.linspace(0, len(items), n + 1).astype(int)
    return [items[bounds[k] : bounds[k + 1]] for k in range(n)]


def _dask_client(task: Task):
    """The Dask client that runs the chunks (``None``: not on Dask, or ``n_jobs=1``): inside a
    Dask task its worker's client, elsewhere the current client."""
    if task.backend != "dask" or task.n_jobs == 1:
        return None
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        log.info("backend 'dask' but no Dask client here: the series are fitted in this process")
        return None


def _run_dask(client, fn, items: list, task: Task, limit: float | None, per_worker: int) -> list:
    """The chunks as tasks on the client's workers; those unfinished ``DASK_GRACE`` past the
    task's deadline are cancelled and the fit fails with :class:`TimeLimitExceeded`."""
    from distributed import get_worker, rejoin, secede

    chunks = _chunks(items, max(1, sum(client.nthreads().values())), MIN_DASK_CHUNK, per_worker)
    with quiet_large_graph():
        futures = [client.submit(_pinned, fn, chunk, task, limit, pure=False) for chunk in chunks]
    left = task.time_left()
    try:
        get_worker()
        secede()  # free this worker's thread for the chunks while waiting for them
        seceded = True
    except ValueError:
        seceded = False
    try:
        try:
            wait_on_cluster(client, futures, None if left == float("inf") else max(0.0, left) + DASK_GRACE,
                            f"chunks of {len(items)} series")
        except TimeoutError:
            client.cancel(futures)
            raise TimeLimitExceeded(
                f"{len(items)} series on Dask: chunks unfinished past the deadline, cancelled"
            ) from None
        done = client.gather(futures)
    finally:
        if seceded:
            rejoin()
    return [r for part in done for r in part]


def _pinned(fn, chunk, task, limit):
    """Run in a worker with every native thread pool limited to one thread."""
    with pinned(1):
        start = time.monotonic()
        out = fn(chunk, task, limit)
        log.debug("chunk of %d series in %.1fs", len(chunk), time.monotonic() - start)
    return out
