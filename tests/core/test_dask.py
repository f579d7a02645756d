"""The Dask backend on a real ``distributed.LocalCluster`` (two worker processes): the work
runs on the workers (the scheduler's task stream), local models give the same forecasts as
the local backend, partitions are tasks, and a trial that overruns or kills its worker is
recorded as failed while the search goes on."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from learner_doubles import DyingLearner

from tsauto import Forecaster, datasets
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.core.executor import Executor
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
