"""Run trials in parallel, isolated: local worker processes (loky), in process, or on Dask.

Locally every trial runs in a worker process of its own one-worker loky pool (a *slot*; on
Linux forked from a fork server that has tsauto imported, so a new worker starts in ~0.1 s), with
its native thread pools pinned so that workers × threads never exceed the cores (two 2-thread
jobs side by side run 7–75× slower on a 2-core machine) and its memory capped
(``memory_limit``, as ``RLIMIT_DATA``: the memory it writes, not the libraries it maps). What
one trial does reaches no other:

- a trial that raises returns its exception;
- a trial whose worker dies (segfault, ``os._exit``, a kill by the system when memory runs out)
  is reported as a :class:`WorkerLost` naming the signal or exit code; only its slot is rebuilt;
- a trial that needs more memory than the cap fails with :class:`MemoryLimitExceeded`;
- a trial still running a grace past its deadline is killed (only its slot) and reported as a
  :class:`TimeLimitExceeded` naming the learner.

The workers' warnings are counted and their output kept in a file: both reach the log, not the
console. :meth:`Executor.call` runs any one function the same way, with its own deadline.

With ``backend="dask"`` the trials and calls are tasks on the workers of the given
``distributed.Client``: a trial whose worker dies is a :class:`WorkerLost`; one unfinished a
grace past its deadline is cancelled, a :class:`TimeLimitExceeded`, and the workers still
running it are restarted by their nannies (a thread cannot be stopped from outside). A closed
client, one that lost its scheduler, or a cluster left without workers for ``NO_WORKERS_WAIT``
seconds (or till a call's deadline) is a :class:`DaskClusterLost` naming the scheduler.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from tsauto.core import worker
from tsauto.core.exceptions import ConflictingOptionsError, DataValidationError, TimeLimitExceeded, shortlist
from tsauto.core.resources import n_workers, process_threads
from tsauto.core.worker import MemoryLimitExceeded, Outcome, WorkerLost, format_bytes

__all__ = [
    "Call",
    "DaskClusterLost",
    "Executor",
    "MemoryLimitExceeded",
    "TimeLimitExceeded",
    "WorkerLost",
    "dask_context",
    "dask_workers",
    "machine_memory",
    "prepare_dask",
    "quiet_large_graph",
    "resolve_backend",
    "sharing_machine",
    "start_fork_server",
    "stop_dask",
]

log = logging.getLogger(__name__)

GRACE = 2.0  # most seconds past its deadline before a trial is stopped from outside
GRACE_SHARE = 0.1  # ... and at most this share of the time it was given (at least MIN_GRACE)
MIN_GRACE = 0.2
MEMORY_SHARE = 0.8  # default cap: this share of the machine's memory, split over the workers
MIN_MEMORY = 2 * 2**30  # never a default cap below this (tsauto, torch, LightGBM hold ~0.4 GiB)
MIN_ROOM = 256 * 2**20  # the least memory a cap must leave a worker beyond what it holds at start
POLL = 0.5  # seconds between looks at running trials (deadlines)
HEARTBEAT = 30.0  # seconds without a call ending before the log says what still runs
MAX_OUTPUT = 8 * 2**20  # bytes of a worker's output file kept before it is emptied
DASK_RESTART_TIMEOUT = 30.0  # seconds a Dask worker's nanny gets to restart it
# Seconds Dask work waits for a worker once its cluster has none (never past a call's deadline;
# a warning as it starts): long enough for workers that restart (a nanny gets
# DASK_RESTART_TIMEOUT) and for an adaptive cluster scaled to zero to start machines (minutes:
# `cluster.adapt(minimum=0)`), short enough that a cluster left without workers fails the fit
# in minutes, not never (it waited for ever, silently).
NO_WORKERS_WAIT = 600.0
DASK_LOOK = 5.0  # seconds between looks at the Dask cluster's workers (and client) while calls run
STUCK_MANAGER = 1.0  # seconds a killed pool's manager thread has to end before it is unblocked
_SHARE = {"processes": 1}  # this process runs beside this many - 1 others like it (sharing_machine)
OnResult = Callable[[Any, Any], None]  # (the call's key, its result), as each arrives
NextTrial = Callable[[], "tuple[Any, Any, float] | None"]  # (key, trial or Call, deadline), or None: no more


@dataclass(frozen=True)
class Call:
    """A function call a stream of trials runs on a worker in place of a trial (the engine's
    refits ahead of the search's end): ``fn(*args)``, named ``label`` in the log."""

    fn: Callable
    args: tuple
    label: str


class DaskClusterLost(ConnectionError):
    """The Dask cluster is gone: its client is closed or lost its scheduler, or it has had no
    worker for ``NO_WORKERS_WAIT`` seconds. Not a ``TsautoError``: the engine drops a member
    whose refit raises one and fits on (a fallback model, made here), where a lost cluster
    must end the fit."""


class Executor:
    """Where trials run: ``backend`` "loky" (local processes), "sequential" or "dask".

    ``memory_limit`` caps the memory each local worker writes (``RLIMIT_DATA``): bytes, a
    string such as ``"4GiB"``, ``"auto"`` (``MEMORY_SHARE`` of the machine's memory split over
    the workers) or ``None`` (no cap). The "sequential" backend runs in this process: no
    isolation, no hard deadline, no cap. Made inside :func:`sharing_machine`, it counts the
    processes sharing the machine: its workers get their share of the cores and of the memory.
    ``backend=None``: "dask" with a ``client``, else "loky" (:func:`resolve_backend`).
    """

    def __init__(
        self,
        n_jobs: int = 1,
        backend: str | None = None,
        client: Any = None,
        memory_limit: int | str | None = "auto",
    ):
        backend = resolve_backend(backend, client)
        if backend == "dask" and client is None:
            client = current_client()
        if backend == "dask":
            prepare_dask(client)
        self.n_jobs = n_jobs
        self.backend = backend
        self.client = client
        self.memory_limit = memory_limit
        self._slots: list[_Slot] = []
        self._numbers = itertools.count()  # of the slots, naming their output files
        self._free: queue.Queue[_Slot] = queue.Queue()
        self._lock = threading.Lock()
        self._dir: str | None = None
        self._on_dask: tuple[Any, Any] | None = None  # (evaluator, its future on the cluster)
        self._no_workers_since: float | None = None  # since when the Dask cluster has had none
        self._preload = {worker.__name__}  # modules new workers find imported
        self.share = _SHARE["processes"]

    @property
    def n_workers(self) -> int:
        if self.backend == "sequential":
            return 1
        if self.backend == "dask":
            return max(1, sum(self._dask_threads().values()))
        return n_workers(self.n_jobs)

    @property
    def memory_cap(self) -> int | None:
        """Bytes of memory each local worker may write (``None``: no cap)."""
        return parse_memory(self.memory_limit, self.n_workers * self.share)

    def threads_per_trial(self) -> int:
        """Native threads a trial may use: the cores left to it by the other workers."""
        if self.backend == "dask":
            return 1
        return process_threads(self.n_workers * self.share)

    def call_threads(self) -> int:
        """Native threads a :meth:`call` gets by default: every core (of its share), minus the
        busy ones."""
        return process_threads(self.share)

    def grace(self, span: float) -> float:
        """Seconds a call given ``span`` seconds may run past its deadline before it is killed."""
        return min(GRACE, max(MIN_GRACE, GRACE_SHARE * span))

    def warm(self, until: float | None = None, preload: Any = None) -> None:
        """Start every local worker (and those replacing dead or killed ones) and wait, at most
        until ``until`` (``time.monotonic()``), till they are ready; ``preload`` (a class, say)
        is unpickled there, importing its modules. A trial's time then starts when a worker
        can run it, not when a new process starts importing."""
        if self.backend != "loky":
            return
        module = getattr(preload, "__module__", None)
        if module and module != "__main__":
            self._preload.add(module)
        with self._lock:
            while len(self._slots) < self.n_workers:
                self._free.put(self._new_slot())
            futures = [slot.start(preload) for slot in self._slots]
        timeout = None if until is None else max(0.0, until - time.monotonic())
        with _quiet_loky():
            wait(futures, timeout=timeout)
        held = [f.result() for f in futures
                if f.done() and not f.cancelled() and f.exception() is None and f.result()]
        if held:
            self._check_room(max(held))

    def _check_room(self, held: int) -> None:
        """Refuse a memory cap that leaves a new worker, which holds ``held`` bytes before any
        work (what the fork server imported: tsauto's learners, ~0.27 GiB), less than
        ``MIN_ROOM``: its trials fail for memory, and a thread it cannot start (a nested
        pool's) left a fit waiting for ever. Linux only (where a worker's memory is read)."""
        cap = self.memory_cap
        if cap is None or cap - held >= MIN_ROOM:
            return
        raise ValueError(
            f"memory_limit={self.memory_limit!r} caps each worker at {format_bytes(cap)}, but a "
            f"new worker holds {format_bytes(held)} before any work (Python and the libraries "
            f"tsauto imports): give at least {format_bytes(held + MIN_ROOM)} (a few GiB for "
            f"large data), or no cap (memory_limit=None; --memory-limit none)."
        )

    def run_trials(
        self, evaluator, trials: Sequence, deadline: float, on_result: OnResult | None = None
    ) -> list:
        """Evaluate ``trials`` (objects with ``learner`` and ``params``) before ``deadline``
        (``time.monotonic()``); one result each: an ``Evaluation`` or the exception that ended
        the trial. ``on_result(i, result)`` is called as each result arrives, so that a caller
        interrupted (Ctrl-C) before the last one keeps those already finished."""
        results: list = [None] * len(trials)
        pending = iter([(i, t, deadline) for i, t in enumerate(trials)])

        def tell(i: int, result: Any) -> None:
            results[i] = result
            if on_result is not None:
                on_result(i, result)

        self.stream_trials(evaluator, lambda: next(pending, None), tell)
        return results

    def stream_trials(
        self, evaluator, next_trial: NextTrial, on_result: OnResult,
        dropped: Callable[[Any], bool] | None = None,
    ) -> None:
        """Keep every worker busy: whenever one is free, ``next_trial()`` gives the next
        ``(key, trial, deadline)`` (``None``: no more), and ``on_result(key, result)`` is called
        as each trial ends (an ``Evaluation`` or the exception that ended it), before the worker
        it frees is given the next one. Each trial has its own deadline (``time.monotonic()``);
        one handed out past its deadline is not started (a :class:`TimeLimitExceeded`). A
        :class:`Call` in place of a trial runs as a trial does, with the trial's threads; its
        result is the call's. A running call whose key ``dropped(key)`` says is no longer
        needed is stopped (local workers: its worker killed, a new one started when next
        needed; elsewhere it runs on) and told a ``CancelledError``. Returns when nothing runs
        and ``next_trial`` gave ``None``."""
        threads = self.threads_per_trial()

        def next_call():
            item = next_trial()
            if item is None:
                return None
            key, t, deadline = item
            if isinstance(t, Call):
                capture = (False,) if self.backend == "dask" else ()
                return key, worker.run, (t.fn, t.args, {}, threads, t.label, *capture), t.label, deadline
            if self.backend == "dask":
                on_dask = self._evaluator_on_dask(evaluator, deadline)
                args = (on_dask, t.learner, t.params, deadline, threads, False)
            else:
                args = (evaluator, t.learner, t.params, deadline, threads)
            return key, worker.run_trial, args, t.learner, deadline

        if self.backend == "dask":
            self._pump_dask(next_call, on_result)
        elif self.backend == "sequential":
            while (call := _startable(next_call, on_result)) is not None:
                key, fn, args, label, _ = call
                on_result(key, self._unwrap(fn(*args), label))
        else:
            self._pump_local(next_call, on_result, dropped=dropped)

    def call(
        self, fn: Callable, *args, deadline: float | None = None, threads: int | None = None,
        label: str | None = None, **kwargs,
    ):
        """``fn(*args, **kwargs)`` in an isolated worker, stopped a grace past ``deadline``
        (``time.monotonic()``; ``None``: none). Returns its result; raises what ``fn`` raised,
        or :class:`TimeLimitExceeded`, :class:`WorkerLost`, :class:`MemoryLimitExceeded`.
        ``threads``: native threads for the call (default: every core, minus the busy ones);
        ``label``: its name in the log (default: the function's)."""
        label = label or getattr(fn, "__qualname__", None) or repr(fn)
        threads = threads or self.call_threads()
        deadline = float("inf") if deadline is None else deadline
        out: list = []
        if self.backend == "sequential":
            out.append(self._unwrap(worker.run(fn, args, kwargs, threads, label), label))
        else:
            local = self.backend != "dask"
            capture = () if local else (False,)  # Dask workers share warning filters: no capture
            calls = iter([(0, worker.run, (fn, args, kwargs, threads, label, *capture), label, deadline)])
            pump = self._pump_local if local else self._pump_dask
            pump(lambda: next(calls, None), lambda key, result: out.append(result), slots=1)
        if isinstance(out[0], BaseException):
            raise out[0]
        return out[0]

    def _hard(self, deadline: float) -> float:
        """When a call due at ``deadline`` is stopped: a grace past it."""
        if deadline == float("inf"):
            return deadline
        return deadline + self.grace(max(0.0, deadline - time.monotonic()))

    # ---- local worker processes -------------------------------------------------------------

    def _pump_local(
        self, next_call: Callable, tell: OnResult, slots: int | None = None,
        dropped: Callable[[Any], bool] | None = None,
    ) -> None:
        """Run the calls ``next_call()`` hands out (``(key, fn, args, label, deadline)``, the
        fn returning an Outcome; ``None``: no more), one per free slot of at most ``slots``
        (default: every worker), killing each a grace past its own deadline, or once
        ``dropped(key)`` says its result is no longer needed."""
        free: list[_Slot] = []
        running: dict[Any, tuple] = {}  # future: (key, slot, started, deadline, hard, label)
        more = True
        heartbeat = _Heartbeat()
        try:
            with _quiet_loky():
                while True:
                    while more and (free or len(free) + len(running) < (slots or self.n_workers)):
                        call = _startable(next_call, tell)
                        if call is None:
                            more = False
                            break
                        key, fn, args, label, deadline = call
                        slot = free.pop() if free else self._free_slot()
                        future = slot.submit(fn, *args)
                        running[future] = (key, slot, time.monotonic(), deadline, self._hard(deadline), label)
                    for future, (key, slot, *_, label) in list(running.items()):
                        if dropped is not None and dropped(key):
                            del running[future]
                            log.debug("stopping %s: its result is no longer needed", label)
                            slot.kill()
                            free.append(slot)
                            tell(key, CancelledError(f"{label}: stopped, its result no longer needed"))
                    if not running:
                        break
                    first = min(r[4] for r in running.values())
                    timeout = max(0.0, min(POLL, first - time.monotonic()))
                    done, _ = wait(list(running), timeout=timeout, return_when=FIRST_COMPLETED)
                    for future in done:
                        key, slot, *_, label = running.pop(future)
                        free.append(slot)
                        tell(key, self._collect(future, slot, label))
                    heartbeat.beat(bool(done), [(r[5], r[2]) for r in running.values()])
                    now = time.monotonic()
                    for future, (key, slot, began, deadline, hard, label) in list(running.items()):
                        if now < hard:
                            continue
                        del running[future]
                        log.info("stopping %s: past its deadline", label)
                        slot.kill()
                        slot.start()  # its replacement boots while the other calls run
                        free.append(slot)
                        tell(key, TimeLimitExceeded(
                            f"{label} timed out: stopped {now - began:.1f}s after it started, "
                            f"{now - deadline:.1f}s past its deadline"
                        ))
        finally:
            for slot in [*free, *(r[1] for r in running.values())]:
                self._free.put(slot)

    def _collect(self, future, slot: _Slot, label: str):
        """The result of a finished call, or the reason its worker died."""
        try:
            outcome = future.result()
        except Exception as err:
            from joblib.externals.loky.process_executor import (
                BrokenProcessPool,
                TerminatedWorkerError,
            )

            if not isinstance(err, BrokenProcessPool):
                return err  # the call could not be sent
            if not isinstance(err, TerminatedWorkerError):  # its result could not be read back
                slot.kill()
                return RuntimeError(f"{label}: {err}")
            reason = slot.death_reason(self.memory_cap)
            slot.kill()
            slot.start()  # its replacement boots while the other trials run
            log.warning("%s: its worker process died (%s); starting a new one", label, reason)
            return WorkerLost(f"{label}: its worker process died: it {reason}")
        text = slot.output()
        if text:
            log.debug("%s: the worker wrote:\n%s", label, text)
        return self._unwrap(outcome, label)

    def _unwrap(self, outcome: Outcome, label: str):
        """The value of ``outcome``; its warnings and log records go to this process's log."""
        for record in outcome.records:
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        if outcome.dropped_records:
            log.info("%s: %d more log records not shown", label, outcome.dropped_records)
        if outcome.warnings:
            total = sum(outcome.warnings.values())
            top = sorted(outcome.warnings.items(), key=lambda kv: -kv[1])[:3]
            log.info(
                "%s: %d warning(s) silenced: %s", label, total, "; ".join(f"{k} (×{n})" for k, n in top)
            )
        if outcome.failed and outcome.traceback:
            log.debug("%s failed in its worker:\n%s", label, outcome.traceback)
            if isinstance(outcome.value, BaseException) and outcome.value.__traceback__ is None:
                outcome.value.add_note(f"in the worker:\n{outcome.traceback}")  # lost on the way
        return outcome.value

    def _free_slot(self) -> _Slot:
        """A slot not in use: a new one while there are fewer than the workers, else the next
        one released."""
        with self._lock:
            if self._free.empty() and len(self._slots) < self.n_workers:
                return self._new_slot()
        return self._free.get()

    def _new_slot(self) -> _Slot:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="tsauto-workers-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)  # also at exit
            worker.OWN_FOLDERS.add(self._dir)  # and should this process be orphaned (a worker)
        slot = _Slot(next(self._numbers), self._dir, self.memory_cap, self._preload)
        self._slots.append(slot)
        return slot

    # ---- Dask ------------------------------------------------------------------------------

    def _evaluator_on_dask(self, evaluator, deadline: float):
        """The future holding ``evaluator`` on the cluster, sent once per evaluator (spread over
        the workers, waiting for it at most till ``deadline`` and ``NO_WORKERS_WAIT``)."""
        if self._on_dask is None or self._on_dask[0] is not evaluator:
            # sent once, as the result of a task rather than scattered: a worker that dies
            # with it loses nothing the scheduler cannot rebuild
            with quiet_large_graph():
                self._on_dask = (evaluator, self.client.submit(worker.identity, evaluator, pure=False))
            # the data on every worker and the trials spread over them (a hint, not a rule): left
            # to locality, all trials would queue on the worker holding the data, and one trial
            # that kills its worker would take the others with it
            if len(dask_workers(self.client)) > 1:
                from distributed import wait as distributed_wait

                wait_s = max(0.0, min(NO_WORKERS_WAIT, deadline - time.monotonic()))
                try:  # bounded: the workers may leave meanwhile (the pump then waits for others)
                    distributed_wait([self._on_dask[1]], timeout=wait_s)
                    self.client.replicate([self._on_dask[1]])
                except TimeoutError:
                    log.debug("the evaluator not replicated: not on a worker after %.0fs", wait_s)
        return self._on_dask[1]

    def _pump_dask(self, next_call: Callable, tell: OnResult, slots: int | None = None) -> None:
        """As :meth:`_pump_local`, on the Dask workers: at most ``slots`` (default: every
        worker thread) tasks at a time, spread over the workers, each fetched as soon as it is
        done (so that a worker dying later cannot lose it); a task whose worker died is a
        :class:`WorkerLost`; one unfinished a grace past its deadline is cancelled, and the
        worker running it restarted (the thread running a call cannot be stopped otherwise).
        A closed client, or a cluster without workers for too long, is a :class:`DaskClusterLost`
        (:meth:`_wait_for_workers`)."""
        from distributed import wait as dask_wait

        running: dict[Any, tuple] = {}  # future: (key, deadline, hard, label, started)
        more, sent, finished = True, 0, 0
        heartbeat = _Heartbeat()
        while True:
            threads = self._dask_threads(running, finished)
            addresses = sorted(threads)
            while more and len(running) < (slots or max(1, sum(threads.values()))):
                call = _startable(next_call, tell)
                if call is None:
                    more = False
                    break
                key, fn, args, label, deadline = call
                where = [addresses[sent % len(addresses)]] if addresses else None  # None: queued
                with quiet_large_graph():
                    future = self.client.submit(
                        fn, *args, pure=False, workers=where, allow_other_workers=where is not None
                    )
                sent += 1
                running[future] = (key, deadline, self._hard(deadline), label, time.monotonic())
            if not running:
                return
            if not threads:
                self._wait_for_workers(running, finished)
            first = min(r[2] for r in running.values())
            left = min(DASK_LOOK if threads else POLL, max(0.0, first - time.monotonic()))
            try:
                dask_wait(list(running), timeout=left, return_when="FIRST_COMPLETED")
            except (TimeoutError, CancelledError):  # past a deadline, or its status tells below
                pass
            if self.client.status != "running":  # closing it cancelled every future: no results
                check_client(self.client, self._progress(running, finished))
            ended = [f for f in running if f.status in ("finished", "error", "cancelled")]
            for future in ended:
                key, *_, label, _ = running.pop(future)
                tell(key, self._dask_result(future, label))
            finished += len(ended)
            heartbeat.beat(bool(ended), [(r[3], r[4]) for r in running.values()])
            if not threads:  # a deadline reached without workers ends their wait, not the call
                continue
            now = time.monotonic()
            late = [f for f, r in running.items() if now >= r[2]]
            if late:
                self._stop_dask(late)
                for future in late:
                    key, _, _, label, _ = running.pop(future)
                    tell(key, TimeLimitExceeded(f"{label} timed out: cancelled at its deadline on Dask"))

    def _dask_threads(self, running: dict | None = None, finished: int = 0) -> dict[str, int]:
        """Threads of each worker of the Dask cluster, by address; a :class:`DaskClusterLost`
        where the client is closed or has lost its scheduler (saying which of the calls
        ``running`` and how many ``finished`` it takes along)."""
        progress = self._progress(running or {}, finished)
        check_client(self.client, progress)
        try:
            threads = self.client.nthreads()
        except OSError as err:  # the connection closed meanwhile
            raise DaskClusterLost(_gone(self.client, progress)) from err
        if threads:
            self._no_workers_since = None
        return threads

    def _wait_for_workers(self, running: dict, finished: int) -> None:
        """While the Dask cluster has no worker (the calls ``running`` queue on its scheduler):
        a warning as the wait starts; a :class:`DaskClusterLost` once it has lasted
        ``NO_WORKERS_WAIT`` seconds, or sooner at a running call's deadline (a budget holds)."""
        now = time.monotonic()
        address = scheduler_address(self.client)
        first = min(r[2] for r in running.values())
        if self._no_workers_since is None:
            self._no_workers_since = now
            if now < first:
                log.warning("the Dask cluster %s has no worker: waiting up to %.0fs for one to join",
                            address, min(NO_WORKERS_WAIT, first - now))
        since = self._no_workers_since
        if now < min(since + NO_WORKERS_WAIT, first):
            return
        self.client.cancel(list(running))  # else they would run whenever a worker comes back
        state = (f"has had no worker for {now - since:.0f}s" if first >= since + NO_WORKERS_WAIT
                 else "has no worker, and a deadline came while waiting for one")
        raise DaskClusterLost(
            f"the Dask cluster {address} {state}: start workers (or the cluster) and fit again, or "
            f"fit on this machine (backend='loky', no client){self._progress(running, finished)}."
        )

    @staticmethod
    def _progress(running: dict, finished: int) -> str:
        """What a lost Dask cluster takes along: the calls ``running`` and the ``finished`` count."""
        parts = [f"{finished} finished before"] if finished else []
        if running:
            parts.append(f"unfinished: {shortlist(r[3] for r in running.values())}")
        return f" ({'; '.join(parts)})" if parts else ""

    def _dask_result(self, future, label: str):
        """What a done Dask future holds: the call's result, its exception, or why it has none."""
        if future.status == "cancelled":
            return RuntimeError(f"{label}: cancelled on the Dask cluster")
        if future.status == "error":
            err = future.exception()
            if type(err).__name__ == "KilledWorker":
                return WorkerLost(f"{label}: its Dask worker died while running it (KilledWorker)")
            return err
        try:
            return self._unwrap(future.result(), label)
        except Exception as err:  # noqa: BLE001 - its worker died between the call's end and this look
            return WorkerLost(f"{label}: its result was lost with its Dask worker ({type(err).__name__})")

    def _stop_dask(self, futures: list) -> None:
        """Cancel ``futures`` and restart the workers still running them."""
        stop_dask(self.client, futures, "a call ran past its deadline", "its call past the deadline runs on")

    def close(self, keep_idle: int = 0) -> None:
        """Stop the worker processes (killing any call still running); ``keep_idle``: keep
        up to that many idle ones for the calls that follow (a search's refits then start in
        a worker that has imported the learners: 0.75 s less for the first, credit-g)."""
        with self._lock:
            kept: list[_Slot] = []
            while len(kept) < keep_idle and not self._free.empty():
                kept.append(self._free.get_nowait())
            for slot in self._slots:
                if slot not in kept:
                    slot.kill()
            self._slots = kept
            self._free = queue.Queue()
            for slot in kept:
                self._free.put(slot)
            self._on_dask = None
            if not kept and self._dir is not None:
                self._cleanup()
                worker.OWN_FOLDERS.discard(self._dir)
                self._dir = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class _Heartbeat:
    """Says in the log what still runs once no call has ended for ``HEARTBEAT`` seconds (the
    full Walmart fit was silent for 55-98 s while its ETS trial and refits ran)."""

    def __init__(self):
        self.last = time.monotonic()

    def beat(self, news: bool, running: list[tuple[str, float]]) -> None:
        """``news``: a call ended just now; ``running``: (label, start) of the calls running."""
        now = time.monotonic()
        if news or not running:
            self.last = now
        elif now - self.last >= HEARTBEAT:
            self.last = now
            log.info("still running: %s", ", ".join(f"{label} ({now - began:.0f}s)" for label, began in running))


def dask_workers(client: Any) -> dict[str, dict]:
    """Every worker of ``client``'s cluster by address, with what the scheduler knows of it
    (``nanny``, ...): distributed 2025.4-2026.6 list at most 5 unless asked for all."""
    try:
        return client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # before 2025.4: every worker, no such argument
        return client.scheduler_info()["workers"]


def stop_dask(client: Any, futures: list, why: str, stuck: str) -> list[str]:
    """Cancel ``futures`` and restart the workers running them (a thread running a task
    cannot be stopped otherwise; their data and tasks are lost), saying ``why``; a worker
    without a nanny (a thread-based cluster's) cannot be restarted: a warning says ``stuck``
    of it. The workers restarted."""
    keys = {f.key for f in futures}
    busy = sorted(w for w, running in client.processing().items() if keys & set(running))
    client.cancel(futures)
    if not busy:
        return []
    nannies = {w: info.get("nanny") for w, info in dask_workers(client).items()}
    for w in (w for w in busy if not nannies.get(w)):
        log.warning("Dask worker %s has no nanny (a thread-based cluster?): %s", w, stuck)
    restart = [w for w in busy if nannies.get(w)]
    if restart:
        log.warning("restarting Dask worker(s) %s (their data and tasks are lost): %s", ", ".join(restart), why)
        status = client.restart_workers(restart, timeout=DASK_RESTART_TIMEOUT, raise_for_error=False)
        for w, s in status.items():
            if s != "OK":
                log.warning("Dask worker %s was not restarted (%s): restart it, or the cluster", w, s)
    return restart


def _startable(next_call: Callable, tell: OnResult) -> tuple | None:
    """The next call ``next_call()`` hands out (``(key, fn, args, label, deadline)``) that may
    still start; one past its deadline is told as timed out, unstarted. None: no more."""
    while (call := next_call()) is not None:
        key, _, _, label, deadline = call
        if time.monotonic() < deadline:
            return call
        tell(key, TimeLimitExceeded(f"{label} timed out: its deadline passed before it could start"))
    return None


class _Slot:
    """One worker process behind a one-worker loky pool: a death there or a kill touches no
    other call, and the process's exit code names what happened."""

    def __init__(self, index: int, folder: str, memory_limit: int | None, preload: set[str]):
        self.path = os.path.join(folder, f"worker-{index}.out")
        self.memory_limit = memory_limit
        self.preload = preload
        self.pool = None
        self.ready = None
        self.processes: list = []
        self._read = 0

    def start(self, preload: Any = None):
        """Start the worker if it is not running; a future done when it is ready."""
        if self.pool is None or self.ready is None:
            self.ready = self.submit(worker.ready, preload)
        return self.ready

    def submit(self, fn: Callable, *args):
        for attempt in (0, 1):
            if self.pool is None:
                from joblib.externals.loky import ProcessPoolExecutor

                level = logging.getLogger().getEffectiveLevel()
                self.pool = ProcessPoolExecutor(
                    max_workers=1,
                    context=_context(self.preload),
                    initializer=worker.init_worker,
                    initargs=(self.memory_limit, self.path, level, os.getpid()),
                )
            try:
                with _main_not_rerun():
                    future = self.pool.submit(fn, *args)
                break
            except RuntimeError:  # its worker died idle (a broken pool): start another, once
                self.kill()
                if attempt:
                    raise
        self.processes = list(getattr(self.pool, "_processes", {}).values()) or self.processes
        return future

    def death_reason(self, memory_limit: int | None) -> str:
        """How the worker ended: its signal or exit code, and what its output says of memory."""
        codes = []
        for p in self.processes:
            p.join(timeout=1.0)
            if p.exitcode is not None:
                codes.append(p.exitcode)
        text = self.output()
        if text:
            log.debug("the worker wrote before it died:\n%s", text)
        reason = "ended for an unknown reason" if not codes else _exit_reason(codes[0])
        cap = format_bytes(memory_limit) if memory_limit else "the machine's memory"
        if re.search(r"MemoryError|bad_alloc|Cannot allocate memory|out of memory"
                     r"|Memory allocation still failed|cannot map zero-fill pages", text):
            reason += f" after running out of memory (memory limit: {cap})"
        elif "can't start new thread" in text:
            reason += f" unable to start a thread (out of memory, limit {cap}, or a limit on threads)"
        elif codes and codes[0] == -signal.SIGKILL:
            reason += " (by the system when memory runs out, or by a kill -9)"
        return reason

    def output(self) -> str:
        """What the worker wrote to stdout/stderr since the last look (last 4000 characters)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self._read)
                data = f.read()
        except OSError:
            return ""
        self._read += len(data)
        if self._read > MAX_OUTPUT:  # the worker appends: start the file again
            try:
                os.truncate(self.path, 0)
                self._read = 0
            except OSError:
                pass
        return data.decode("utf-8", "replace")[-4000:].strip()

    def kill(self) -> None:
        """Kill the worker (and its children); the next submit starts a new one. The process
        is killed before the pool is shut down: loky's ``shutdown(kill_workers=True)`` with a
        call still queued raised a KeyError in its manager thread, a traceback on stderr.

        A worker killed while it sent its result (a refit stopped at its deadline) leaves part
        of a message in the pool's result pipe, which loky's manager thread then waits to read
        for ever, and Python's exit waits on that thread: a script whose fit had returned never
        ended. This process's end of the pipe, the last one open once the worker is dead, is
        closed: the read ends, and the thread with it."""
        if self.pool is None:
            return
        from joblib.externals.loky.backend.utils import kill_process_tree

        processes = list(getattr(self.pool, "_processes", {}).values()) or self.processes
        for p in processes:
            try:
                kill_process_tree(p)
            except (ProcessLookupError, OSError, AttributeError):
                pass
        results = getattr(self.pool, "_result_queue", None)
        manager = getattr(self.pool, "_executor_manager_thread", None)
        self.pool.shutdown(wait=False)
        for p in processes:
            p.join(timeout=2.0)
        if manager is not None and results is not None:
            manager.join(timeout=STUCK_MANAGER)
            if manager.is_alive():  # reading a message cut off
                _close_once(results._writer)
        self.pool, self.processes, self.ready = None, [], None


def _close_once(connection) -> None:
    """Close a multiprocessing connection that another thread may close too: its handle is
    taken first, so that a second close finds none (``Connection.close`` clears it only after
    ``os.close``, and that number may be reused by then)."""
    handle, connection._handle = connection._handle, None
    if handle is not None:
        os.close(handle)


def start_fork_server(preload: Any = None) -> None:
    """Start the process new local workers are forked from (Linux), which imports tsauto and
    the module of ``preload`` (seconds), and wait till it serves; nothing if it runs already.
    Started so before a deadline's clock, its start counts in no trial's time."""
    if not sys.platform.startswith("linux") or _fork_server_running():
        return
    executor = Executor(1, memory_limit=None)
    try:
        executor.warm(preload=preload)
    finally:
        executor.close()


def _fork_server_running() -> bool:
    from multiprocessing import forkserver

    return getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None) is not None


def _context(preload: set[str]):
    """How workers start. On Linux, forked from multiprocessing's fork server (a clean process,
    not this one), which imports ``preload`` once: a new worker is up in ~0.1 s instead of
    seconds of imports, so a dead or killed worker costs the search little. Elsewhere,
    loky's default (a fresh interpreter)."""
    if not sys.platform.startswith("linux"):
        return None
    import multiprocessing
    from multiprocessing import forkserver

    from joblib.externals.loky.backend.context import get_context

    if str(multiprocessing.get_start_method(allow_none=True)).startswith("loky"):
        # in a loky worker (a partition's): the workers are told to start as it did, with
        # "loky", a method only loky's context module makes known
        preload = preload | {"joblib.externals.loky.backend.context"}
        _watch_parent()
    if not _fork_server_running():  # it will import these
        server = getattr(forkserver, "_forkserver", None)
        # never "__main__" (multiprocessing's default): re-running the user's script in the
        # server would fail a script without an `if __name__ == "__main__"` guard; objects
        # defined there reach workers by value (cloudpickle)
        known = set(getattr(server, "_preload_modules", None) or []) - {"__main__"}
        multiprocessing.set_forkserver_preload(sorted(known | preload))
        _start_fork_server_on_this_path()
    return get_context("forkserver")


_WATCHED: list[int] = []  # the parent this process watches (a loky worker's), once


def _watch_parent() -> None:
    """End this process, a loky worker (a partition's fit), once the process that started it
    is gone, as its own workers end then (:func:`tsauto.core.worker.watch_owner`): loky's
    workers outlived a ``kill -9`` of theirs, each with a fork server, a resource tracker and
    trial workers of its own. Only in a child process: never the main one's parent."""
    import multiprocessing

    if _WATCHED or multiprocessing.parent_process() is None:
        return
    _WATCHED.append(os.getppid())
    worker.watch_owner(_WATCHED[0])


_FORK_SERVER_ENV = threading.Lock()  # the environment is set for the fork server's start only


def _start_fork_server_on_this_path() -> None:
    """Start multiprocessing's fork server importing its modules from where this process
    imports them. It runs ``python -c``, whose path starts with the working directory, and
    CPython 3.11 imports the preload before it takes this process's path: a ``tsauto`` folder
    in the working directory (a checkout) was imported by the workers in place of this
    process's (2026-12-04: a worktree's LightGBM tried with the working directory's in its
    workers). Started here with this process's path instead (``PYTHONSAFEPATH``: no working
    directory first)."""
    from multiprocessing import forkserver

    path = os.pathsep.join(os.path.abspath(p) if p else os.getcwd() for p in sys.path)
    with _FORK_SERVER_ENV:
        saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "PYTHONSAFEPATH")}
        os.environ.update(PYTHONPATH=path, PYTHONSAFEPATH="1")
        try:
            forkserver.ensure_running()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextmanager
def _main_not_rerun() -> Iterator[None]:
    """Start processes without re-running the user's script in them: multiprocessing's fork
    server and spawn import ``__main__`` in every new process, which fails a script without an
    ``if __name__ == "__main__"`` guard (every trial's worker would die). Calls reach workers
    through loky's cloudpickle, so objects defined in the script travel by value."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


@contextmanager
def sharing_machine(processes: int) -> Iterator[None]:
    """Executors made inside run beside ``processes - 1`` other processes doing the same (the
    partitions fitted in parallel): each takes ``1/processes`` of the cores for its workers'
    native threads and, by default (``"auto"``), of the memory for their cap."""
    before = _SHARE["processes"]
    _SHARE["processes"] = max(1, int(processes))
    try:
        yield
    finally:
        _SHARE["processes"] = before


@contextmanager
def sigterm_exits() -> Iterator[None]:
    """SIGTERM raises ``SystemExit`` (status 143) in this block, so that its ``finally``
    clauses stop the workers: by default it killed this process alone, and a refit's worker,
    the fork server and the resource tracker stayed on (one with 200 MB). An application's own
    SIGTERM handler is left alone."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def exit_now(signum, frame):
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def quiet_large_graph() -> Iterator[None]:
    """Silences Dask's advice on large task arguments (the data a task takes along: sent
    with the task rather than scattered, the scheduler can rebuild it when a worker dies)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph")
        yield


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class _quiet_loky(warnings.catch_warnings):
    """Counts loky's warnings (raised in its manager threads) instead of printing them."""

    def __init__(self):
        super().__init__(record=True)

    def __enter__(self):
        self._seen = super().__enter__()
        warnings.simplefilter("always")
        return self._seen

    def __exit__(self, *exc):
        seen = self._seen
        super().__exit__(*exc)
        if seen:
            kinds = sorted({worker.warning_key(w.category, w.message) for w in seen})
            log.info("%d warning(s) from the worker pool silenced: %s", len(seen), "; ".join(kinds))


def resolve_backend(backend: str | None, client: Any) -> str:
    """The backend that runs the work: ``backend``, or where it is ``None`` "dask" with a
    ``client`` and "loky" without. A client with "loky" or "sequential" is refused: the work
    would run here and the cluster stay idle (it did, silently)."""
    if backend is None:
        return "loky" if client is None else "dask"
    if backend not in ("loky", "sequential", "dask"):
        raise DataValidationError(f"backend={backend!r}: use 'loky', 'sequential' or 'dask'.")
    if client is not None and backend != "dask":
        raise ConflictingOptionsError(
            f"backend={backend!r} with a Dask client: the work would run on this machine and the "
            "cluster stay idle; leave backend= out (a client means backend='dask'), or drop the client."
        )
    return backend


def check_client(client: Any, progress: str = "") -> None:
    """A :class:`DaskClusterLost` where ``client`` is closed or has lost its scheduler (not
    distributed's ``AttributeError`` on its missing connection); ``progress``: what the work
    that ran on it leaves, for the message."""
    if client.status != "running":
        raise DaskClusterLost(_gone(client, progress))


def _gone(client: Any, progress: str) -> str:
    """Why ``client`` no longer runs work, in words of what happened (``progress``: what the
    work leaves, for the end): closed by its caller (``client.close()``, the end of its ``with``
    block), its cluster closed under it (a ``Client(cluster)``: distributed closes the client
    then), or its scheduler lost (stopped or unreachable: the client tries to reconnect, then
    closes itself). A user test's cluster, closed from another thread, read "the Dask client
    is closed", though the code never closed it."""
    status = client.status
    address = scheduler_address(client)
    local = f"fit on this machine (backend='loky', no client){progress}."
    if status == "closed" and _closed_by_caller(client):
        return (f"the Dask client is closed (scheduler {address}): its caller closed it (client.close() or the "
                f"end of its `with` block) before the work ended; pass an open client, or {local}")
    if _cluster_closed(client):
        return (f"the Dask cluster of scheduler {address} was closed while its client was open (the client "
                f"closes with it): start the cluster again and pass a client of it, or {local}")
    lost = {"closed": ", then closed itself when it could not reconnect", "connecting": " (it is reconnecting)",
            "running": " (the connection closed)"}
    if status in lost:
        return (f"the Dask client lost its scheduler {address}: the scheduler stopped or cannot be reached from "
                f"here{lost[status]}; start the cluster again (or check the network), or {local}")
    state = "is closing" if status == "closing" else f"is not connected ({status})"
    return f"the Dask client {state} (scheduler {address}): start the cluster again, or {local}"


def _cluster_closed(client: Any) -> bool:
    """Whether ``client`` was made on a cluster object (``Client(cluster)``) that is closed or
    closing: a scheduler gone from under an open client takes the client along."""
    status = getattr(getattr(client, "cluster", None), "status", None)
    return getattr(status, "name", status) in ("closed", "closing", "failed")


def _closed_by_caller(client: Any) -> bool:
    """Whether the closed ``client`` was closed by ``client.close()``, which stops its event
    loop's runner, and not by distributed after losing its scheduler (which leaves it running).
    Without that runner (another distributed), a closed client is taken as closed by its caller."""
    runner = getattr(client, "_loop_runner", None)
    started = getattr(runner, "is_started", None)
    return not callable(started) or not started()


def wait_on_cluster(client: Any, futures: Sequence[Any], timeout: float | None = None, what: str = "tasks") -> None:
    """Wait for Dask ``futures`` (``what`` they are, for the messages): up to ``timeout``
    seconds (None: no bound while workers run them), then :class:`TimeoutError`. While the
    cluster has no worker, up to ``NO_WORKERS_WAIT`` seconds (a warning as that starts), then
    the futures are cancelled and :class:`DaskClusterLost` names the scheduler; a client
    closed meanwhile is one too (it waited for ever on both)."""
    from distributed import wait as dask_wait

    end = None if timeout is None else time.monotonic() + timeout
    since = None  # when the cluster was first seen without a worker
    while True:
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError(f"{what} on Dask unfinished after {timeout:g}s")
        try:
            dask_wait(list(futures), timeout=DASK_LOOK if left is None else min(DASK_LOOK, left))
            return
        except TimeoutError:  # not yet: the cluster is looked at below
            pass
        except CancelledError:  # at once, every time: a closed client says so, else it stands
            check_client(client)
            raise
        check_client(client)
        try:
            workers = client.nthreads()
        except OSError as err:  # the connection closed meanwhile
            raise DaskClusterLost(_gone(client, "")) from err
        now = time.monotonic()
        if workers:
            since = None
        elif since is None:
            since = now
            log.warning("the Dask cluster %s has no worker: waiting up to %.0fs for one to join (%d %s)",
                        scheduler_address(client), NO_WORKERS_WAIT, len(futures), what)
        elif now - since >= NO_WORKERS_WAIT:
            client.cancel(list(futures))
            raise DaskClusterLost(
                f"the Dask cluster {scheduler_address(client)} has had no worker for {now - since:.0f}s "
                f"({len(futures)} {what} waiting): start workers (or the cluster) and fit again, or fit "
                "on this machine (backend='loky', no client)."
            )


def scheduler_address(client: Any) -> str:
    """Where ``client``'s scheduler listens, or listened (a closed client has no connection:
    the address or cluster it was made with)."""
    try:
        address = getattr(getattr(client, "scheduler", None), "address", None)
        given = getattr(client, "cluster", None) or getattr(client, "_start_arg", None)
        return str(address or getattr(given, "scheduler_address", given) or "unknown")
    except Exception:  # noqa: BLE001 - a closed cluster's property may fail: only a message's word
        return "unknown"


def dask_context(client: Any) -> AbstractContextManager:
    """``client`` made the current Dask client (work that Dask starts inside goes to it, such
    as a local learner's chunks of series), its workers prepared; nothing when ``None``."""
    if client is None:
        return nullcontext()
    prepare_dask(client)
    return client.as_current()


def current_client() -> Any:
    """The Dask client this process made last (``distributed.default_client``), for a
    ``backend="dask"`` or a Dask DataFrame given no ``client=``; a clear error without one."""
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        raise DataValidationError(
            "Dask work needs a Dask cluster: pass compute={'client': distributed.Client(...)} "
            "or create a Client first."
        ) from None


def prepare_dask(client: Any) -> None:
    """Every worker of ``client``, present and future (restarted ones too), keeps the memory
    it frees for reuse (:func:`tsauto.core.worker.keep_freed_memory`); once per client. A closed
    client is refused here, before any work (:func:`check_client`)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    check_client(client)

    class KeepFreedMemory(WorkerPlugin):
        idempotent = True

        def setup(self, worker) -> None:
            from tsauto.core.worker import keep_freed_memory

            keep_freed_memory()

    client.register_plugin(KeepFreedMemory(), name="tsauto-keep-freed-memory")


def machine_memory() -> int:
    """Bytes of memory of this machine (or of this container's cgroup, if smaller)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 2**10, "m": 1e6, "mb": 1e6, "mib": 2**20,
          "g": 1e9, "gb": 1e9, "gib": 2**30, "t": 1e12, "tb": 1e12, "tib": 2**40}


def parse_memory(limit: float | str | None, workers: int = 1) -> int | None:
    """Bytes from ``limit``: a number of bytes, ``"4GiB"``/``"500MB"``, ``"auto"`` (a share of
    the machine split over ``workers``, at least ``MIN_MEMORY``) or ``None`` (no cap)."""
    if limit is None:
        return None
    if isinstance(limit, str):
        text = limit.strip().lower().replace(" ", "")
        if text == "auto":
            return int(max(MIN_MEMORY, MEMORY_SHARE * machine_memory() / max(1, workers)))
        m = re.fullmatch(r"([0-9.]+)([a-z]*)", text)
        if not m or m.group(2) not in _UNITS:
            raise ValueError(
                f"memory_limit={limit!r}: give bytes, a size such as '4GiB', 'auto' or None."
            )
        return int(float(m.group(1)) * _UNITS[m.group(2)])
    if limit <= 0:
        raise ValueError(f"memory_limit={limit!r}: give a positive number of bytes, 'auto' or None.")
    return int(limit)
