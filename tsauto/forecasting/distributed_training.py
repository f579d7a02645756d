"""Data-parallel LightGBM on the Dask workers that hold the training partitions: what
``lightgbm.dask`` does, keeping less on each worker.

Two rounds of tasks, one task a worker, each pinned to the worker holding its partitions:

1. :func:`held_rows`: each task builds the training rows of its worker's partitions one at a
   time, keeps only their labels and reserves a port; the client learns every worker's
   number of rows;
2. :meth:`HeldRows.train`: the workers with rows train together over LightGBM's socket network
   (``tree_learner="data"``, all of them named in ``machines``), as ``lightgbm.dask`` does. Each
   hands LightGBM its partitions as sequences built again when read, one partition at a time
   (:mod:`~tsauto.forecasting.features.sequence_rows`, which a large local fit uses too:
   LightGBM reads them twice, in order, its sample of rows for the bins, then every row to bin
   it). A worker so holds its partitions, LightGBM's binned rows and one partition's features
   at most, never its whole feature table (nor a copy kept by Dask). One worker with rows
   trains alone.

What a worker holds between the two rounds is kept by token *and* worker address: the workers
of a thread-based cluster (``LocalCluster(processes=False)``, ``Client(processes=False)``) are
threads of one process and share this module. They train together over LightGBM's network
as worker processes do: LightGBM keeps its network state (rank, sockets) per thread.

When one worker's task fails (an error, its worker dying or leaving the cluster), the others
cannot finish: LightGBM waits for a peer up to ``time_out`` minutes (a socket's receive timeout;
a peer that closed its end makes it retry without end, at full CPU). So the failed task resets
its connections to the others before it frees its network (:func:`_abort_network`): they fail
at once with "Connection reset by peer". The client, on the first task that fails, gives the
others ``STOP_GRACE`` seconds to end so, then cancels those still running and has the nannies
restart their workers (a thread in LightGBM's C++ code cannot be stopped otherwise; a
thread-based cluster's workers cannot be restarted: a warning names those left waiting, which
only a task failing before it joined the network leaves), and raises
:class:`DistributedTrainingError` naming the worker and the cause. A task whose worker dies or
leaves is seen within ``WATCH_INTERVAL`` seconds, even where the scheduler would wait for that
worker to come back (a task pinned to it, with ``allowed-failures`` left).

LightGBM's network set-up lines ("Trying to bind port ...", "Connecting to rank 1 failed ...",
"Listening...") ignore ``verbosity=-1``: LightGBM keeps its log level per thread and sets it from
the parameters only when it builds the Dataset, after joining the network, and its listening
thread starts at the default level. With no log callback in a Dask worker's threads, they would
be printed (C ``printf``) to the worker's stdout, past Python's logging. Each training task
therefore sends its process's stdout to a temporary file while it joins the network
(:func:`_network_output`, until LightGBM first reads the rows): LightGBM's lines go to the
worker's log at DEBUG level, anything else written meanwhile back to stdout. The client logs the
workers' listening ports at DEBUG level.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import lightgbm as lgb
import numpy as np

from tsauto.core.exceptions import TsautoError
from tsauto.core.executor import dask_workers, stop_dask, wait_on_cluster
from tsauto.core.worker import WorkerLost
from tsauto.forecasting.features.sequence_rows import (
    counted,
    free_after_binning,
    rebuilt_dataset,
    sequence_params,
)

log = logging.getLogger(__name__)

NETWORK_TIMEOUT = 120  # minutes a worker waits for the others (lightgbm.dask's default)
STOP_GRACE = 3.0  # seconds the other workers get to fail on their own once one has failed
WATCH_INTERVAL = 2.0  # seconds between looks for a worker that left the cluster
# seconds a rank may train on once another has finished: the ranks of a data-parallel training
# end together, so one still running is stuck (LightGBM spins in recv() without end once a
# peer's connection is closed as usual)
LOCKSTEP_GRACE = 120.0
_NETWORK_ERROR = re.compile(r"Socket (recv|send|accept) error")  # LightGBM's, a peer having failed


_FIX = ("Fix that worker's cause (one that died or ran out of memory: give the workers more memory, "
        "or the frame more partitions) and fit again.")


class DistributedTrainingError(TsautoError, RuntimeError):
    """A worker's part of the data-parallel LightGBM failed: the training was stopped."""


@dataclass
class _Held:
    """On a worker: its partitions that have training rows, their labels, the reserved port."""

    parts: list
    build: Callable
    labels: list[np.ndarray]
    port: socket.socket


_HELD: dict[tuple[str, str], _Held] = {}  # on a worker, by token and worker address
_STDOUT: dict[str, Any] = {"users": 0}  # on a worker: its stdout kept while joining the network
_STDOUT_LOCK = threading.Lock()


def partitions_by_worker(frame: Any, client: Any) -> dict[str, list]:
    """The futures of the persisted ``frame``'s partitions grouped by a worker holding each
    (of several holders, the one given the fewest partitions so far)."""
    from distributed import futures_of

    futures = futures_of(frame)
    wait_on_cluster(client, futures, what="partitions")
    holders = client.who_has(futures)
    out: dict[str, list] = defaultdict(list)
    for future in futures:
        worker = min(sorted(holders[future.key]), key=lambda w: len(out[w]))
        out[worker].append(future)
    return dict(out)


@dataclass
class HeldRows:
    """Training rows counted on the workers, ready to be trained on there: every worker's
    number of rows and reserved port."""

    client: Any
    token: str
    held: dict[str, tuple[int, int]]  # worker address: (rows, port)

    @property
    def rows(self) -> int:
        return sum(n for n, _ in self.held.values())

    def train(self, params: dict, rounds: int, names: list[str], categorical: list[int]) -> lgb.Booster:
        """One booster trained on all held rows by the workers holding some, together."""
        workers = [w for w, (n, _) in self.held.items() if n]
        threads = self.client.ncores()
        params = sequence_params(params)  # the bins' sample of rows as in process
        ranks = {
            self.client.submit(
                _train_held, self.token, {**params, **self._network(w, workers), "num_threads": threads[w]},
                rounds, names, categorical, keep=i == 0, workers=[w], allow_other_workers=False, pure=False,
            ): w
            for i, w in enumerate(workers)
        }
        log.info("LightGBM trains on %d worker(s): %s rows", len(workers),
                 ", ".join(f"{self.held[w][0]:,}" for w in workers))
        if len(workers) > 1:
            log.debug("LightGBM's network (the workers' listening ports): %s",
                      self._network(workers[0], workers)["machines"])
        failed = _first_failure(self.client, ranks, lockstep=True)
        if failed is not None:
            worker, cause, restarted = _stop_others(self.client, ranks, failed)
            others = [w for f, w in ranks.items() if w != worker and f.status != "finished"]
            raise DistributedTrainingError(_failure_message(worker, cause, others, restarted)) from cause
        return lgb.Booster(model_str=next(iter(ranks)).result())

    def _network(self, worker: str, workers: list[str]) -> dict[str, Any]:
        """LightGBM's network parameters of ``worker`` (none when it trains alone)."""
        if len(workers) == 1:
            return {}
        machines = ",".join(f"{urlparse(w).hostname}:{self.held[w][1]}" for w in workers)
        return {
            "tree_learner": "data", "num_machines": len(workers), "machines": machines,
            "local_listen_port": self.held[worker][1], "time_out": NETWORK_TIMEOUT,
        }


@contextlib.contextmanager
def held_rows(client: Any, parts: dict[str, list], build: Callable) -> Iterator[HeldRows]:
    """The rows ``build`` makes of each partition (a column-major array of features and label,
    or None), counted on the worker of ``parts`` (worker: its partitions' futures) and ready to
    train on there; released on exit."""
    token = uuid.uuid4().hex
    futures = {
        client.submit(_hold, ps, build, token, workers=[w], allow_other_workers=False, pure=False): w
        for w, ps in parts.items()
    }
    try:
        failed = _first_failure(client, futures)
        if failed is not None:
            worker, cause = failed
            raise DistributedTrainingError(
                f"counting LightGBM's training rows failed on Dask worker {worker}: "
                f"{type(cause).__name__}: {cause}. {_FIX}"
            ) from cause
        yield HeldRows(client, token, dict(zip(parts, client.gather(list(futures)), strict=True)))
    finally:
        try:  # a worker gone: Client.run tries it for 30 s; the error that ended the fit is kept
            alive = set(client.nthreads())
            client.run(_release, token, workers=[w for w in parts if w in alive], on_error="ignore")
        except Exception as err:  # noqa: BLE001 - the held rows go with a restarted worker
            log.debug("the training rows could not be released on every worker: %s", err)


def _first_failure(
    client: Any, tasks: dict[Any, str], lockstep: bool = False
) -> tuple[str, BaseException] | None:
    """Wait for ``tasks`` (future: the worker it is pinned to): the first to fail as (its
    worker, its exception), or to lose its worker as (that worker, a :class:`WorkerLost`);
    with ``lockstep`` (the ranks of one training), to run ``LOCKSTEP_GRACE`` seconds after
    another finished, as (its worker, a RuntimeError); None once all have finished."""
    from distributed import wait

    pending, finished = set(tasks), None
    while pending:
        try:
            done, pending = wait(list(pending), timeout=WATCH_INTERVAL, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        for future in done:
            if future.status != "finished":
                return tasks[future], _exception(future)
            finished = finished or time.monotonic()
        gone = sorted({tasks[f] for f in pending} - set(client.nthreads()))
        if gone:
            return gone[0], _left()
        if lockstep and pending and finished and time.monotonic() - finished > LOCKSTEP_GRACE:
            return sorted(tasks[f] for f in pending)[0], RuntimeError(
                f"its LightGBM training ran on {LOCKSTEP_GRACE:g}s after another worker's had ended "
                "(stuck in LightGBM's network)")
    return None


def _left() -> WorkerLost:
    """The cause of a task whose worker left the cluster."""
    return WorkerLost("its Dask worker left the cluster while running it (died: out of memory, or killed?)")


def _exception(future: Any) -> BaseException:
    """What a failed or cancelled future holds."""
    if future.status == "cancelled":
        return RuntimeError("its task was cancelled")
    err = future.exception()
    if type(err).__name__ == "KilledWorker":  # distributed.scheduler.KilledWorker
        return WorkerLost(f"its Dask worker died while running it (out of memory, or killed): {err}")
    return err


def _stop_others(
    client: Any, ranks: dict[Any, str], failed: tuple[str, BaseException]
) -> tuple[str, BaseException, list[str]]:
    """Once a rank (future: its worker) has ``failed`` (its worker, the cause): the others
    stopped (given ``STOP_GRACE`` seconds to fail on their own, then cancelled, their workers
    restarted). The rank that failed for its own cause (the others fail for want of it), that
    cause and the workers restarted."""
    from distributed import wait

    alive = set(dask_workers(client))
    with contextlib.suppress(TimeoutError):
        wait([f for f, w in ranks.items() if w in alive], timeout=STOP_GRACE)
    running = [f for f in ranks if f.status == "pending"]
    restarted = stop_dask(
        client, running, "their LightGBM training waits for a worker that failed",
        f"its LightGBM training stays blocked until LightGBM's time_out ({NETWORK_TIMEOUT} minutes); "
        "restart the cluster to free it sooner",
    )
    causes = dict([failed])
    ended = [f for f in ranks if f.status in ("error", "cancelled") and f not in running]
    causes |= {ranks[f]: _exception(f) for f in ended}
    for w in ranks.values():
        if w not in alive and w not in restarted and w not in causes:
            causes[w] = _left()
    worker, cause = min(causes.items(), key=lambda wc: bool(_NETWORK_ERROR.search(str(wc[1]))))
    return worker, cause, restarted


def _failure_message(worker: str, cause: BaseException, others: list[str], restarted: list[str]) -> str:
    """What the error of a failed training says: where, why, what became of the others and
    what to do."""
    restart = f"restarted: {', '.join(restarted)}" if restarted else ""
    stopped = (f" The other worker(s) were stopped ({', '.join(others)}{'; ' + restart if restart else ''})."
               if others else f" Worker(s) {restart}." if restart else "")
    return (
        f"LightGBM's distributed training failed on Dask worker {worker}: {type(cause).__name__}: "
        f"{cause}.{stopped} {_FIX}"
    )


def _this_worker() -> str:
    """The address of the Dask worker running the current task."""
    from distributed import get_worker

    return get_worker().address


def _hold(parts: list, build: Callable, token: str) -> tuple[int, int]:
    """On a worker: count the training rows of its partitions (keeping their labels), reserve
    a port; the number of rows and the port."""
    kept, labels = counted(parts, build)
    port = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    port.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port.bind(("", 0))
    _HELD[token, _this_worker()] = _Held(kept, build, labels, port)
    return sum(map(len, labels)), port.getsockname()[1]


def _train_held(
    token: str, params: dict, rounds: int, names: list[str], categorical: list[int], keep: bool
) -> str | None:
    """On a worker: train on its held rows (with the workers ``params`` names); the model as
    text where ``keep``. On failure its connections to the others are reset (they fail too),
    and the failed training's frames cleared: the Booster ``lgb.train`` was making had joined
    the network and frees it when collected; kept by the error's traceback (Dask holds it), it
    was collected later in this thread, in the middle of its next training, whose network it
    closed as usual, and the other worker spun in LightGBM's ``recv`` without end (a hang of
    the test suite after a failure test, caught by py-spy)."""
    quiet = _network_output() if "machines" in params else contextlib.nullcontext(lambda: None)
    try:
        with quiet as joined:
            data = _dataset(token, names, categorical, joined)
            booster = lgb.train(params, data, num_boost_round=rounds, callbacks=[free_after_binning])
    except Exception as failure:
        if "machines" in params:
            try:  # best effort: the error that ended the training is the one raised
                with _network_output():  # LightGBM prints "Finished linking network" as it frees it
                    try:
                        _abort_network(params)
                    finally:
                        traceback.clear_frames(failure.__traceback__)
            except Exception as err:  # noqa: BLE001
                log.debug("LightGBM's network could not be reset after a failure: %s", err)
        raise
    try:
        return booster.model_to_string() if keep else None
    finally:
        if "machines" in params:
            booster.free_network()


def _abort_network(params: dict) -> None:
    """Reset (RST, not FIN) this process's connections of the network ``params`` names,
    then free this thread's network: the other workers' LightGBM fails at once ("Connection
    reset by peer"), where a connection closed as usual would have it wait, or retry without
    end. Where the connections cannot be found (no file descriptors: Windows), they are
    closed as usual and the client stops the others."""
    import psutil
    from lightgbm.basic import _LIB, _safe_call

    mine = int(params["local_listen_port"])
    peers = set()
    for machine in params["machines"].split(","):
        host, port = machine.rsplit(":", 1)
        with contextlib.suppress(OSError):
            peers.add((socket.gethostbyname(host), int(port)))
    process = psutil.Process()
    listed = getattr(process, "net_connections", None) or process.connections  # psutil < 6
    try:
        for conn in listed("tcp"):
            if conn.raddr and conn.fd >= 0 and (conn.laddr.port == mine or tuple(conn.raddr) in peers):
                _reset_on_close(conn)
    except psutil.Error as err:
        log.debug("LightGBM's connections are closed, not reset: %s", err)
    _safe_call(_LIB.LGBM_NetworkFree())


def _reset_on_close(conn: Any) -> None:
    """Have the connection ``conn`` (psutil's) reset when closed, if its file descriptor is
    still that connection (a thread of this process may have closed it meanwhile)."""
    try:
        fd = os.dup(conn.fd)
    except OSError:
        return
    try:
        kept = socket.socket(fileno=fd)
    except OSError:  # no longer a socket
        os.close(fd)
        return
    with contextlib.suppress(OSError), kept:
        if kept.getpeername()[:2] == tuple(conn.raddr) and kept.getsockname()[1] == conn.laddr.port:
            kept.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _dataset(
    token: str, names: list[str], categorical: list[int], first_read: Callable[[], None]
) -> lgb.Dataset:
    """The held partitions as a LightGBM Dataset of rebuilt sequences (dropped once binned),
    ``first_read`` called before each partition is built (LightGBM reads the rows after it has
    joined the network); the reserved port freed for LightGBM."""
    held = _HELD.pop((token, _this_worker()), None)
    if held is None:
        raise RuntimeError(f"Dask worker {_this_worker()} no longer holds the training rows it counted "
                           "(restarted since, or released): fit again")
    held.port.close()

    def build(part: Any) -> np.ndarray | None:
        first_read()
        return held.build(part)

    return rebuilt_dataset(held.parts, build, held.labels, names, categorical)


@contextlib.contextmanager
def _network_output() -> Iterator[Callable[[], None]]:
    """This process's stdout (file descriptor 1, where LightGBM's C++ code prints) sent to a
    temporary file until the function yielded is first called, or the block ends; then
    LightGBM's lines logged at DEBUG level, any other text written back to stdout. Workers
    that are threads of one process (``processes=False``) share one such file: the last to
    leave restores stdout. Where stdout cannot be kept (no temporary file, no descriptor to
    spare), nothing is: LightGBM's lines are then printed, the training goes on."""
    try:
        _keep_stdout()
    except OSError as err:
        log.debug("LightGBM's network lines are not captured: %s", err)
        yield lambda: None
        return
    left = False

    def leave() -> None:
        nonlocal left
        if not left:
            left = True
            _restore_stdout()

    try:
        yield leave
    finally:
        leave()


def _keep_stdout() -> None:
    """Send stdout to the shared temporary file (the first user opens it)."""
    with _STDOUT_LOCK:
        if _STDOUT["users"] == 0:
            sys.stdout.flush()
            kept = tempfile.TemporaryFile()  # first: a failure leaves no descriptor behind
            _STDOUT["saved"], _STDOUT["file"] = os.dup(1), kept
            os.dup2(kept.fileno(), 1)
        _STDOUT["users"] += 1


def _restore_stdout() -> None:
    """The last user: stdout back, what the file holds logged or written back to it."""
    with _STDOUT_LOCK:
        _STDOUT["users"] -= 1
        if _STDOUT["users"]:
            return
        sys.stdout.flush()
        _flush_c_stdout()
        saved, kept = _STDOUT.pop("saved"), _STDOUT.pop("file")
        os.dup2(saved, 1)
        os.close(saved)
        kept.seek(0)
        lines = kept.read().decode(errors="replace").splitlines(keepends=True)
        kept.close()
    for line in lines:  # set-up chatter ("Connecting to rank 1 failed, waiting ..." retries too);
        if line.startswith("[LightGBM]"):  # a fatal one raises LightGBMError in the training
            log.debug("%s", line.rstrip())
    other = "".join(line for line in lines if not line.startswith("[LightGBM]"))
    data = other.encode()
    while data:  # a pipe may take part of it at a time
        data = data[os.write(1, data):]


def _flush_c_stdout() -> None:
    """Write out what the C library holds for stdout (``printf``'s buffer)."""
    import ctypes

    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no process-wide C library handle (Windows)
        pass


def _release(token: str, dask_worker: Any) -> None:
    """On a worker (``Client.run`` passes it): drop what ``token`` holds there (partitions,
    labels, port), if still held."""
    held = _HELD.pop((token, dask_worker.address), None)
    if held is not None:
        held.port.close()
