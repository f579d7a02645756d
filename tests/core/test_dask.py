"""The Dask backend on a real ``distributed.LocalCluster`` (two worker processes): the work
runs on the workers (the scheduler's task stream), local models give the same forecasts as
the local backend, partitions are tasks, and a trial that overruns or kills its worker is
recorded as failed while the search goes on; a client that is closed or a cluster left without
workers is a clear error, never a wait for ever."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace

import engine_doubles as d
import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from learner_doubles import DyingLearner, HangingLearner

from tsauto import Classifier, Forecaster, datasets
from tsauto.core import executor as executor_module
from tsauto.core.exceptions import ConflictingOptionsError, TimeLimitExceeded
from tsauto.core.executor import GRACE, POLL, Executor
from tsauto.forecasting.learners import local
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.ets import ETSLearner
from tsauto.forecasting.validation import validate

distributed = pytest.importorskip("distributed")

KW = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 6}


@pytest.fixture(scope="module")
def retail(aus_retail: pd.DataFrame) -> pd.DataFrame:
    """Twenty Australian retail series, the last seven years."""
    df = aus_retail.drop(columns="Series ID")
    keys = df[["State", "Industry"]].drop_duplicates().iloc[::7].head(20)
    df = df.merge(keys, on=["State", "Industry"])
    return df[df["Month"] >= "2012-01-01"].reset_index(drop=True)


@pytest.fixture(scope="module")
def credit_g() -> pd.DataFrame:
    """German credit, 1,000 rows (target ``class``)."""
    return pd.read_csv(shared_file("tabular/classification/credit_g.csv"))


@pytest.fixture
def lone_cluster():
    """A cluster of one worker process for a test that closes or empties it (a task whose
    worker leaves fails at once, as the README advises)."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield cluster, c


@contextmanager
def empty_cluster() -> Iterator[tuple]:
    """A scheduler without workers, and its client."""
    with distributed.LocalCluster(n_workers=0, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield cluster, c


def when_running(client, prefix: str, then) -> None:
    """``then()`` in a thread, a second after a task whose key starts with ``prefix`` runs."""

    def watch() -> None:
        while not any(str(k).startswith(prefix) for ks in client.processing().values() for k in ks):
            time.sleep(0.1)
        time.sleep(1.0)
        then()

    threading.Thread(target=watch, daemon=True).start()


def ran_on_workers(stream, prefix: str, client) -> set[str]:
    """Workers of the cluster that ran tasks whose key starts with ``prefix``."""
    workers = {t["worker"] for t in stream.data if str(t["key"]).startswith(prefix)}
    assert workers <= set(client.scheduler_info()["workers"])
    return workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_workers_reuse_freed_memory(client) -> None:
    """Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536 (each array over 128 KiB a fresh
    mmap, paid in page faults); a tsauto fit's workers reuse freed memory instead."""

    def page_faults() -> int:
        import resource

        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(50):
            np.ones(2**18)  # 2 MiB, freed at once: 512 page faults each when mmapped afresh
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    Executor(backend="dask", client=client)
    assert max(client.run(page_faults).values()) < 50 * 512 / 4


def test_local_model_chunks_run_on_the_workers_with_the_local_forecasts(client, retail, monkeypatch) -> None:
    """ETS fitted series by series in chunks on both workers forecasts exactly as in process."""
    some = retail[retail["State"].isin(retail["State"].unique()[:4])]  # 11 series
    panel = validate(some, target="Turnover", time="Month", ids=["State", "Industry"])
    assert panel.n_series >= 8
    task = Task(horizon=6, season=12, seasons=(12,), quantiles=(0.1, 0.9), n_jobs=1)
    here = ETSLearner().fit(panel, task).predict(panel)
    monkeypatch.setattr(local, "MIN_DASK_CHUNK", 4)  # a few series: chunks for both workers
    with client.as_current(), distributed.get_task_stream(client) as stream:
        there = ETSLearner().fit(panel, replace(task, backend="dask", n_jobs=-1)).predict(panel)
    assert len(ran_on_workers(stream, "_pinned", client)) == 2
    np.testing.assert_array_equal(there.mean, here.mean)
    for q in task.quantiles:
        np.testing.assert_array_equal(there.quantiles[q], here.quantiles[q])


@pytest.mark.parametrize("data", ["retail", "walmart"])
def test_forecaster_on_dask_equals_local(client, data, request) -> None:
    """Trials, the refit and its chunks of series run on the workers; same leaderboard, same
    forecasts as local processes (Australian retail; Walmart store 1, departments 1-10)."""
    if data == "retail":
        rows, kw = request.getfixturevalue("retail"), dict(KW)
    else:
        rows = request.getfixturevalue("walmart_small")
        kw = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"], "horizon": 8}
    kw.update(learners=["theta", "seasonal_naive"], search={"max_trials": 2})
    with distributed.get_task_stream(client) as stream:
        on_dask = Forecaster(**kw, compute={"backend": "dask", "client": client}).fit(rows)
        forecast = on_dask.predict()
    assert ran_on_workers(stream, "run_trial", client)
    assert ran_on_workers(stream, "_pinned", client)  # the refit's and the forecast's series
    local_fc = Forecaster(**kw, compute={"n_jobs": 1}).fit(rows)
    columns = ["learner", "params", "status", "mase"]
    pd.testing.assert_frame_equal(on_dask.leaderboard()[columns], local_fc.leaderboard()[columns])
    pd.testing.assert_frame_equal(forecast, local_fc.predict())


def test_partitions_are_tasks_on_the_workers(client, retail) -> None:
    """On the current client where compute= names none (it was an error)."""
    kw = dict(**KW, learners=["theta"], partition_by="State")
    with distributed.get_task_stream(client) as stream:
        on_dask = Forecaster(**kw, compute={"backend": "dask"}).fit(retail)
    assert len(ran_on_workers(stream, "_fit_child", client)) == 2
    local_fc = Forecaster(**kw, compute={"n_jobs": 1}).fit(retail)
    pd.testing.assert_frame_equal(on_dask.predict(), local_fc.predict())


def test_a_trial_past_its_deadline_is_cancelled_and_its_worker_restarted(client) -> None:
    import engine_doubles as d

    before = set(client.run(os.getpid).values())
    trials = [SimpleNamespace(learner=n, params={}) for n in ("hang", "constant")]
    hung, ok = Executor(backend="dask", client=client).run_trials(
        d.ToyEvaluator(), trials, time.monotonic() + 3.0
    )
    assert isinstance(hung, TimeLimitExceeded) and "hang timed out" in str(hung)
    assert ok.fold_scores == [5.0, 5.0]
    after = set(client.run(os.getpid).values())
    assert len(after) == 2 and len(before - after) == 1  # the hung trial's worker was restarted


def test_a_worker_dying_mid_search_is_a_failed_trial(client, retail) -> None:
    fc = Forecaster(
        **KW, learners=[DyingLearner(), "theta"], search={"max_trials": 2},
        compute={"backend": "dask", "client": client},
    ).fit(retail)
    board = fc.leaderboard().set_index("learner")
    assert board.loc["dying", "status"] == "failed"
    assert "worker died" in board.loc["dying", "reason"]
    assert board.loc["theta", "status"] == "ok"
    assert np.isfinite(fc.predict()["forecast"]).all()


def test_lightgbm_on_a_dask_frame_takes_covariates_named_like_its_features(client) -> None:
    """LightGBM trained data-parallel on the workers (a Dask DataFrame) is given the names the
    in-process one is: known-future ``month`` (the calendar's too) and ``Temp: avg [F]`` made
    it fail there as well (Walmart store 1, departments 1-6)."""
    dd = pytest.importorskip("dask.dataframe")
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart(with_features=True)
    df = df[(df["Store"] == 1) & (df["Dept"] <= 6)][["Store", "Dept", "Date", "Weekly_Sales", "Temperature"]]
    df = df.rename(columns={"Temperature": "Temp: avg [F]"}).assign(month=df["Date"].dt.month)
    last = np.sort(df["Date"].unique())[-4:]
    train, future = df[~df["Date"].isin(last)], df[df["Date"].isin(last)].drop(columns="Weekly_Sales")
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"], "horizon": 4}
    fc = Forecaster(**kw, known_future=["month", "Temp: avg [F]"], compute={"client": client})
    fc.fit(dd.from_pandas(train.reset_index(drop=True), npartitions=2))
    learner = fc.model_.learner
    assert learner.boosters_[0].feature_name() == learner.spec_.model_names
    assert {"month", "month (calendar)", "Temp: avg [F]"} <= set(learner.feature_importance())
    assert np.isfinite(fc.predict(future=future)["forecast"]).all()


def test_a_client_alone_means_dask_and_a_local_backend_with_one_is_refused(
    client, retail, credit_g, tmp_path
) -> None:
    """compute={"client": c} (the README's Dask DataFrame example) ran every trial locally, the
    cluster idle; Classifier(client=c) too. Both save without the client (the classifier's
    save was a raw "cannot pickle '_asyncio.Task'") and load back predicting the same."""
    kw = dict(**KW, learners=["theta", "seasonal_naive"], search={"max_trials": 2})
    tab = dict(target="class", learners=["linear"], max_trials=1, time_budget=None)
    with distributed.get_task_stream(client) as stream:
        fc = Forecaster(**kw, compute={"client": client}).fit(retail)
        clf = Classifier(**tab, client=client).fit(credit_g)
    assert sum(str(t["key"]).startswith("run_trial") for t in stream.data) >= 3
    loaded = Classifier.load(clf.save(tmp_path / "clf.tsauto"))
    assert loaded.client is None and clf.client is client
    np.testing.assert_array_equal(loaded.predict_proba(credit_g), clf.predict_proba(credit_g))
    pd.testing.assert_frame_equal(Forecaster.load(fc.save(tmp_path / "fc.tsauto")).predict(), fc.predict())
    for backend in ("loky", "sequential"):  # a settings conflict (a DataValidationError before)
        with pytest.raises(ConflictingOptionsError, match=f"backend='{backend}' with a Dask client"):
            Forecaster(**kw, compute={"backend": backend, "client": client}).fit(retail)
        with pytest.raises(ConflictingOptionsError, match=f"backend='{backend}' with a Dask client"):
            Classifier(**tab, backend=backend, client=client).fit(credit_g)


def test_a_closed_client_is_refused_before_the_fit(retail, credit_g) -> None:
    with empty_cluster() as (cluster, c):
        address = cluster.scheduler_address
    closed = rf"the Dask client is closed \(scheduler {address}\): its caller closed it \(client.close\(\) or the end"
    with pytest.raises(ConnectionError, match=closed):
        Forecaster(**KW, compute={"backend": "dask", "client": c}).fit(retail)
    with pytest.raises(ConnectionError, match=closed):
        Classifier(target="class", backend="dask", client=c).fit(credit_g)


@pytest.mark.timeout(60)  # it could wait for ever
def test_a_cluster_closed_mid_search_is_a_clear_error(lone_cluster, retail) -> None:
    """It was an AttributeError from inside distributed ('NoneType' ... 'ncores'); the refit
    that follows the search must not make a fallback model of it either. The message says the
    cluster was closed: it said "the Dask client is closed", which the code never did (a user test)."""
    cluster, client = lone_cluster
    when_running(client, "run_trial", cluster.close)
    fc = Forecaster(**KW, learners=[HangingLearner(), "naive"], search={"max_trials": 2},
                    compute={"client": client})
    closed = rf"the Dask cluster of scheduler {cluster.scheduler_address} was closed while its client was open"
    with pytest.raises(ConnectionError, match=closed):
        fc.fit(retail)


@pytest.mark.timeout(60)
def test_a_client_that_lost_its_scheduler_says_so_not_that_it_was_closed() -> None:
    """A client made on the scheduler's address, whose scheduler stops: distributed tries to
    reconnect, then closes the client; it read "the Dask client is closed", as if its caller
    had closed it."""
    from tsauto.core.executor import DaskClusterLost, check_client

    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        c = distributed.Client(address, timeout=1)  # it reconnects for 1 s, then closes itself
    try:
        end = time.monotonic() + 30
        while c.status != "closed" and time.monotonic() < end:
            time.sleep(0.05)
        lost = rf"the Dask client lost its scheduler {address}: the scheduler stopped or cannot be reached from here, then closed itself"
        with pytest.raises(DaskClusterLost, match=lost):
            check_client(c)
    finally:
        c.close()


@pytest.mark.timeout(60)  # it waited for ever
def test_a_cluster_left_without_workers_fails_after_a_bounded_wait(lone_cluster, monkeypatch, caplog) -> None:
    """Every worker gone, the scheduler up (an autoscaler's or a spot eviction's scale to zero)."""
    cluster, client = lone_cluster
    monkeypatch.setattr(executor_module, "NO_WORKERS_WAIT", 2.0, raising=False)
    monkeypatch.setattr(executor_module, "DASK_LOOK", 0.5, raising=False)
    when_running(client, "run_trial", lambda: cluster.scale(0))
    trials = [SimpleNamespace(learner=n, params={}) for n in ("hang", "constant")]
    start = time.monotonic()
    lost = r"cluster \S+ has had no worker for 2s.*\(1 finished before; unfinished: constant\)"
    with pytest.raises(ConnectionError, match=lost):  # the hung trial's worker left: a WorkerLost
        Executor(backend="dask", client=client).run_trials(d.ToyEvaluator(), trials, math.inf)
    assert time.monotonic() - start < 15
    assert "has no worker: waiting up to 2s for one to join" in caplog.text


@pytest.mark.timeout(60)  # they waited for ever
def test_a_dask_frame_or_partitions_without_workers_fail_after_a_bounded_wait(retail, monkeypatch, caplog) -> None:
    """A Dask DataFrame's fit (its partitions checked on the workers) and partitions sent as
    tasks waited without bound on a cluster without workers, as the search's trials no longer do."""
    dd = pytest.importorskip("dask.dataframe")
    monkeypatch.setattr(executor_module, "NO_WORKERS_WAIT", 2.0, raising=False)
    monkeypatch.setattr(executor_module, "DASK_LOOK", 0.5, raising=False)
    with empty_cluster() as (cluster, c):
        fits = {
            "counts of text in partitions": lambda: Forecaster(**KW, learners=["lightgbm"], compute={"client": c})
            .fit(dd.from_pandas(retail, npartitions=2)),
            "partitions": lambda: Forecaster(**KW, learners=["naive"], partition_by="State", compute={"client": c})
            .fit(retail),
        }
        for what, fit in fits.items():
            start = time.monotonic()
            with pytest.raises(ConnectionError, match=rf"cluster \S+ has had no worker for 2s \(\d+ {what} waiting\)"):
                fit()
            assert time.monotonic() - start < 15
            assert "has no worker: waiting up to 2s for one to join" in caplog.text


@pytest.mark.timeout(60)  # it looped for ever (review)
def test_a_future_cancelled_while_waited_for_stops_the_wait(lone_cluster) -> None:
    """distributed's wait raises at once, each time, for a cancelled future: the bounded wait
    retried it without end; the cancellation stands."""
    from concurrent.futures import CancelledError

    from tsauto.core.executor import wait_on_cluster

    _, client = lone_cluster
    future = client.submit(time.sleep, 30, pure=False)
    threading.Timer(1.0, client.cancel, [[future]]).start()
    start = time.monotonic()
    with pytest.raises(CancelledError):
        wait_on_cluster(client, [future], what="sleeps")
    assert time.monotonic() - start < 15


def test_without_workers_a_call_waits_for_one_but_not_past_its_deadline() -> None:
    """It raised distributed's ValueError ('Only use allow_other_workers= if using workers=')."""
    with empty_cluster() as (cluster, c):
        ex = Executor(backend="dask", client=c)
        start = time.monotonic()
        with pytest.raises(ConnectionError, match="no worker, and a deadline came while waiting for one"):
            ex.call(d.square, 4, deadline=start + 1.0)
        assert time.monotonic() - start < 1.0 + GRACE + POLL + 1.0
        threading.Timer(0.5, cluster.scale, [1]).start()  # a worker joins within the wait
        assert Executor(backend="dask", client=c).call(d.square, 4, plus=1) == 17
