"""tsauto's data-parallel LightGBM on a real ``distributed.LocalCluster`` (two worker
processes, or two worker threads of this process): each worker counts its rows, the workers
with rows train one model together over LightGBM's network, binning their partitions one at a
time; a worker without rows stays out, nothing is left behind, and nothing is printed. When
one worker's part fails, the training stops within seconds and the workers are usable again."""

from __future__ import annotations

import ctypes
import gc
import logging
import operator
import os
import time

import numpy as np
import pytest

from tsauto.forecasting import distributed_training as dt

distributed = pytest.importorskip("distributed")
lgb = pytest.importorskip("lightgbm")

PARAMS = {"objective": "l2", "verbosity": -1, "seed": 0, "deterministic": True, "num_leaves": 7}
ROUNDS = 20
NAMES = ["a", "b", "c"]
BUILD = operator.itemgetter(0)  # a partition is a tuple of its training rows


def rows(n: int, seed: int) -> np.ndarray:
    """``n`` training rows: three features and a label, one column-major array."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = x[:, 0] + 2 * x[:, 1] + 0.1 * rng.normal(size=n)
    return np.asfortranarray(np.column_stack([x, y]), dtype=np.float32)


def held_on(client, worker: str, table: np.ndarray | None):
    """A partition held by ``worker``: a one-element tuple of its rows."""
    [future] = client.scatter([(table,)], workers=[worker], hash=False)
    return future


def trained(client, tables: dict[str, list]) -> tuple[object, list, int]:
    """The booster trained on ``tables`` (worker: its partitions' rows), the task stream and
    the number of rows."""
    parts = {w: [held_on(client, w, t) for t in ts] for w, ts in tables.items()}
    with distributed.get_task_stream(client) as stream, dt.held_rows(client, parts, BUILD) as held:
        booster = held.train(PARAMS, ROUNDS, NAMES, categorical=[])
    return booster, stream.data, held.rows


def in_process(table: np.ndarray) -> object:
    """LightGBM trained on ``table`` in this process, one thread."""
    data = lgb.Dataset(table[:, :-1], label=table[:, -1])
    return lgb.train({**PARAMS, "num_threads": 1}, data, num_boost_round=ROUNDS)


def ran_on(stream, name: str) -> list[str]:
    return sorted(t["worker"] for t in stream if name in str(t["key"]))


def nothing_held(client) -> bool:
    return set(client.run(lambda: len(dt._HELD)).values()) == {0}


def networked_boosters() -> int:
    """Boosters alive in this process that would free LightGBM's network when collected."""
    return sum(isinstance(o, lgb.Booster) and getattr(o, "_network", False) for o in gc.get_objects())


def test_the_workers_train_one_model_together(client) -> None:
    """The second worker's partitions are binned one after the other."""
    workers = sorted(client.scheduler_info()["workers"])
    tables = {workers[0]: [rows(2_000, 0)], workers[1]: [rows(1_000, 1), None, rows(1_000, 2)]}
    booster, stream, n = trained(client, tables)
    assert n == 4_000 and booster.num_trees() == ROUNDS and booster.feature_name() == NAMES
    assert ran_on(stream, "_hold") == ran_on(stream, "_train_held") == workers  # one task a worker
    alone = in_process(np.vstack([t for ts in tables.values() for t in ts if t is not None]))
    x = rows(500, 9)[:, :3]
    assert np.corrcoef(booster.predict(x), alone.predict(x))[0, 1] > 0.99  # bins found on both halves
    assert nothing_held(client)


def test_a_worker_without_rows_stays_out_and_one_trains_alone(client) -> None:
    """With one worker's rows only, the model is LightGBM's own on those rows."""
    first, second = sorted(client.scheduler_info()["workers"])
    table = rows(2_000, 0)
    booster, stream, n = trained(client, {first: [table], second: [None]})
    assert n == 2_000 and ran_on(stream, "_hold") == [first, second]
    assert ran_on(stream, "_train_held") == [first]
    alone = in_process(table)
    x = rows(500, 9)[:, :3]
    np.testing.assert_array_equal(booster.predict(x), alone.predict(x))
    assert nothing_held(client)


def test_rows_are_released_when_training_fails(client) -> None:
    workers = sorted(client.scheduler_info()["workers"])
    parts = {w: [held_on(client, w, rows(100, i))] for i, w in enumerate(workers)}
    with pytest.raises(RuntimeError, match="stopped"), dt.held_rows(client, parts, BUILD) as held:
        assert held.rows == 200
        raise RuntimeError("stopped")
    assert nothing_held(client)


def test_the_network_set_up_is_logged_not_printed(capfd, caplog) -> None:
    """LightGBM's C++ lines of joining the network ("Trying to bind port ...", "Listening...",
    "Connected to rank 1") reach neither the workers' stdout nor their stderr: workers started
    inside the capture, whose own prints are captured; the client logs the ports at DEBUG."""
    caplog.set_level(logging.DEBUG, logger=dt.__name__)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as c:
        workers = sorted(c.scheduler_info()["workers"])
        booster, stream, n = trained(c, {w: [rows(1_000, i)] for i, w in enumerate(workers)})
        c.run(lambda: print("a worker prints", flush=True))
        c.run(lambda: ctypes.CDLL(None).fflush(None))  # the C library's stdout buffer too
    assert n == 2_000 and booster.num_trees() == ROUNDS
    assert ran_on(stream, "_train_held") == workers  # trained together, over the network
    out, err = capfd.readouterr()
    assert out.count("a worker prints") == 2  # the capture reaches the workers
    assert "[LightGBM]" not in out + err
    assert "LightGBM's network" in caplog.text


def test_lightgbm_lines_go_to_the_log_and_other_output_back_to_stdout(capfd, caplog) -> None:
    """While a worker joins the network its stdout is kept: LightGBM's lines (C ``printf``)
    are logged at DEBUG, anything else is written back, once the rows are first read."""
    caplog.set_level(logging.DEBUG, logger=dt.__name__)
    libc = ctypes.CDLL(None)
    with dt._network_output() as joined:
        libc.printf(b"[LightGBM] [Info] Listening...\n")
        print("another thread's print", flush=True)
        joined()
        print("after the join", flush=True)
    out, _ = capfd.readouterr()
    assert out == "another thread's print\nafter the join\n"
    assert [r.getMessage() for r in caplog.records] == ["[LightGBM] [Info] Listening..."]
    assert caplog.records[0].levelno == logging.DEBUG


def test_workers_that_are_threads_of_one_process_train_together(client, capfd) -> None:
    """A thread-based cluster (``LocalCluster(processes=False)``, what ``Client(processes=False)``
    starts in a notebook): its workers share one process, and this module's rows held. Each
    keeps its own and they train together over LightGBM's network (its state is per thread):
    the model the worker processes train, nothing left held, nothing printed."""
    tables = [[rows(2_000, 0)], [rows(1_000, 1), None, rows(1_000, 2)]]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as c:
        workers = sorted(c.scheduler_info()["workers"])
        booster, stream, n = trained(c, dict(zip(workers, tables, strict=True)))
        assert nothing_held(c)
    assert n == 4_000 and ran_on(stream, "_hold") == ran_on(stream, "_train_held") == workers
    processes = sorted(client.scheduler_info()["workers"])
    on_processes, _, _ = trained(client, dict(zip(processes, tables, strict=True)))
    x = rows(500, 9)[:, :3]
    np.testing.assert_array_equal(booster.predict(x), on_processes.predict(x))
    out, err = capfd.readouterr()
    assert "[LightGBM]" not in out + err



class FailsInTraining:
    """The rows of a partition (as ``BUILD``), but on ``worker`` once LightGBM reads them to
    train, after it has joined the network (they were counted): a MemoryError, or with
    ``die`` the worker's death."""

    def __init__(self, worker: str, die: bool = False) -> None:
        self.worker, self.die = worker, die

    def __call__(self, part: tuple) -> np.ndarray | None:
        here = distributed.get_worker()
        if here.address == self.worker and "_train_held" in str(here.get_current_task()):
            if self.die:
                os._exit(3)
            raise MemoryError("no memory left for this partition's rows")
        return part[0]


def failed_training(client, build, release: str | None = None) -> tuple[dt.DistributedTrainingError, float]:
    """The error of training two workers' rows with ``build`` (the rows ``release`` holds
    dropped between counting and training), and the seconds it took to come."""
    workers = sorted(client.scheduler_info()["workers"])
    parts = {w: [held_on(client, w, rows(2_000, i))] for i, w in enumerate(workers)}
    start = time.monotonic()
    with pytest.raises(dt.DistributedTrainingError) as info, dt.held_rows(client, parts, build) as held:
        if release is not None:
            client.run(dt._release, held.token, workers=[release])
        held.train(PARAMS, ROUNDS, NAMES, categorical=[])
    return info.value, time.monotonic() - start


def trains_again(client) -> bool:
    """Whether the cluster's workers (all back) train together again, nothing left held."""
    client.wait_for_workers(2, timeout=60)
    workers = sorted(client.scheduler_info()["workers"])
    booster, stream, n = trained(client, {w: [rows(1_000, i)] for i, w in enumerate(workers)})
    return n == 2_000 and booster.num_trees() == ROUNDS and ran_on(stream, "_train_held") == workers


@pytest.mark.timeout(180)
@pytest.mark.parametrize("rank", [0, 1])
def test_a_failing_worker_stops_the_training_at_once(client, rank: int) -> None:
    """The failed worker resets its connections: the other's LightGBM fails too (no restart),
    the error names the worker and the cause, both workers train again at once (the failed
    one's network freed in its thread)."""
    workers = sorted(client.scheduler_info()["workers"])
    err, seconds = failed_training(client, FailsInTraining(workers[rank]))
    assert seconds < 15  # LightGBM's time_out: 120 minutes
    assert f"failed on Dask worker {workers[rank]}: MemoryError: no memory left" in str(err)
    assert isinstance(err.__cause__, MemoryError) and "restarted" not in str(err)
    assert sorted(client.scheduler_info()["workers"]) == workers  # none restarted
    # the half-made Boosters, kept by the errors Dask holds, freed the network of a later
    # training when collected in its thread: the other worker spun in recv() without end
    assert set(client.run(networked_boosters).values()) == {0}
    assert trains_again(client) and nothing_held(client)


def test_a_rank_running_on_after_another_finished_is_taken_for_stuck(client, monkeypatch) -> None:
    """The ranks of one training end together: one still running ``LOCKSTEP_GRACE`` seconds
    after another ended is stuck in LightGBM's network (it spins in recv() once a peer's
    connection closes as usual), named, not waited for without end; counting rows is not
    in lockstep."""
    monkeypatch.setattr(dt, "LOCKSTEP_GRACE", 0.5)
    monkeypatch.setattr(dt, "WATCH_INTERVAL", 0.1)
    quick, slow = sorted(client.nthreads())
    tasks = {client.submit(time.sleep, 0, workers=[quick], pure=False): quick,
             client.submit(time.sleep, 3, workers=[slow], pure=False): slow}
    start = time.monotonic()
    worker, cause = dt._first_failure(client, tasks, lockstep=True)
    assert worker == slow and "ran on 0.5s after another worker's had ended" in str(cause)
    assert time.monotonic() - start < 2.5
    assert dt._first_failure(client, tasks) is None  # without lockstep: both waited for


@pytest.mark.timeout(180)
def test_a_worker_that_dies_in_training_stops_it(client) -> None:
    workers = sorted(client.scheduler_info()["workers"])
    err, seconds = failed_training(client, FailsInTraining(workers[1], die=True))
    assert seconds < 30
    assert f"failed on Dask worker {workers[1]}: WorkerLost: its Dask worker died" in str(err)
    assert trains_again(client) and nothing_held(client)


@pytest.mark.timeout(180)
def test_a_worker_waiting_for_one_that_failed_to_join_is_restarted(client, caplog) -> None:
    """A worker that fails before it joins LightGBM's network (its rows gone) leaves the other
    waiting for it in LightGBM's set-up: that worker is restarted by its nanny."""
    caplog.set_level(logging.WARNING, logger=dt.__name__)
    failed, waiting = sorted(client.scheduler_info()["workers"])
    err, seconds = failed_training(client, BUILD, release=failed)
    assert seconds < 45
    assert f"failed on Dask worker {failed}: RuntimeError: Dask worker {failed} no longer holds" in str(err)
    assert f"restarted: {waiting}" in str(err) and f"restarting Dask worker(s) {waiting}" in caplog.text
    assert trains_again(client) and nothing_held(client)


@pytest.mark.timeout(180)
def test_a_thread_based_cluster_is_usable_after_a_worker_failed() -> None:
    """Its workers cannot be restarted: the reset connections alone free the other's thread."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as c:
        first, _ = sorted(c.scheduler_info()["workers"])
        err, seconds = failed_training(c, FailsInTraining(first))
        assert seconds < 15 and f"failed on Dask worker {first}: MemoryError" in str(err)
        assert trains_again(c) and nothing_held(c)


def test_workers_left_out_of_a_short_scheduler_listing_train_as_any(client, monkeypatch) -> None:
    """distributed 2025.4-2026.6 list at most 5 workers in ``scheduler_info()``: the sixth
    was taken for gone, its healthy training stopped and the others restarted."""
    listing = client.scheduler_info

    def short(n_workers: int = 1, **kwargs):  # as those versions, cut to one worker here
        info = listing(**kwargs)
        keep = sorted(info["workers"])[: None if n_workers == -1 else n_workers]
        return {**info, "workers": {w: info["workers"][w] for w in keep}}

    monkeypatch.setattr(client, "scheduler_info", short)
    monkeypatch.setattr(dt, "WATCH_INTERVAL", 0.1)
    workers = sorted(client.nthreads())
    booster, _, n = trained(client, {w: [rows(400, i)] for i, w in enumerate(workers)})
    assert n == 800 and booster.num_trees() == ROUNDS
