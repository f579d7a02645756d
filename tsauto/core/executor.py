"""Run trials in parallel, isolated: joblib locally, the same code on a Dask cluster.

Every trial runs in a worker process with its native thread pools pinned so that workers ×
threads never exceed the cores (two 2-thread jobs side by side run 7–75× slower on a 2-core
machine). A trial that raises returns its exception; a batch that overruns its deadline is
stopped (joblib terminates the workers) and its unfinished trials are marked as timed out.
With ``backend="dask"`` the trials go to the workers of a ``distributed.Client``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

from joblib import Parallel, delayed, parallel_config

from tsauto.core.resources import n_workers, pinned, process_threads

log = logging.getLogger(__name__)

GRACE = 2.0  # seconds past the deadline before a trial is stopped from outside


class Executor:
    """Where trials run: ``backend`` "loky" (local processes), "sequential" or "dask"."""

    def __init__(self, n_jobs: int = 1, backend: str = "loky", client: Any = None):
        if backend not in ("loky", "sequential", "dask"):
            raise ValueError(f"backend={backend!r}: use 'loky', 'sequential' or 'dask'.")
        if backend == "dask" and client is None:
            raise ValueError("backend='dask' needs client= (a distributed.Client).")
        self.n_jobs = n_jobs
        self.backend = backend
        self.client = client

    @property
    def n_workers(self) -> int:
        if self.backend == "sequential":
            return 1
        if self.backend == "dask":
            return max(1, sum(self.client.nthreads().values()))
        return n_workers(self.n_jobs)

    def threads_per_trial(self) -> int:
        """Native threads a trial may use: the cores left to it by the other workers."""
        if self.backend == "dask":
            return 1
        return process_threads(self.n_workers)

    def run_trials(self, evaluator, trials: Sequence, deadline: float) -> list:
        """Evaluate ``trials`` (objects with ``learner`` and ``params``); one result each:
        an ``Evaluation`` or the exception that ended the trial."""
        threads = self.threads_per_trial()
        if self.backend == "sequential":
            return [_run_one(evaluator, t.learner, t.params, deadline, threads) for t in trials]
        if self.backend == "dask":
            calls = [delayed(_run_one)(evaluator, t.learner, t.params, deadline, threads) for t in trials]
            with parallel_config(backend="dask", wait_for_workers_timeout=60):
                return Parallel(n_jobs=-1)(calls)
        return self._run_local(evaluator, trials, deadline, threads)

    def _run_local(self, evaluator, trials: Sequence, deadline: float, threads: int) -> list:
        """Trials in local worker processes; past the deadline (plus a grace) the workers are
        killed and the unfinished trials are reported as timed out."""
        pool = self._local_pool()
        futures = [
            pool.submit(_run_one, evaluator, t.learner, t.params, deadline, threads) for t in trials
        ]
        results: list = []
        overran = False
        for future in futures:
            wait = None if deadline == float("inf") else max(0.1, deadline + GRACE - time.monotonic())
            try:
                results.append(future.result(timeout=wait))
            except TimeoutError:
                overran = True
                results.append(TimeoutError("trial stopped at the time budget"))
            except Exception as err:  # the worker died (out of memory, crash)
                results.append(RuntimeError(f"worker lost: {type(err).__name__}: {err}"))
        if overran:  # the workers still run those trials: stop them
            log.warning("stopping trials that overran the time budget")
            self.close()
        return results

    def _local_pool(self):
        """This executor's own worker processes (not joblib's shared pool, which the learners
        use for their per-series work), started on first use and kept for the next batch."""
        if getattr(self, "_pool", None) is None:
            from joblib.externals.loky import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self.n_workers)
        return self._pool

    def close(self) -> None:
        """Stop the worker processes (killing any trial still running)."""
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, kill_workers=True)
            self._pool = None


def _run_one(evaluator, name: str, params: dict, deadline: float, threads: int):
    """One trial in a worker, native threads pinned; exceptions are returned, not raised."""
    try:
        with pinned(threads):
            return evaluator.evaluate(name, params, deadline, threads)
    except Exception as err:  # recorded as a failed trial by the search
        return err
