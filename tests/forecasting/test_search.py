"""The search core through the Forecaster: budget, isolation, reproducibility, ensemble,
partitions and the Dask backend, on real retail series."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from learner_doubles import FailingLearner, HangingLearner

from tsauto import Forecaster
from tsauto.core.ensemble import greedy_ensemble
from tsauto.forecasting.learners.lightgbm import LightGBMLearner

KW = dict(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6)
FAST_LGBM = LightGBMLearner(params={"num_boost_round": 60})


@pytest.fixture(scope="module")
def retail(aus_small: pd.DataFrame) -> pd.DataFrame:
    return aus_small[aus_small["Month"] >= "2008-01-01"]


def test_budget_is_honoured_with_a_hanging_learner(retail) -> None:
    start = time.monotonic()
    fc = Forecaster(**KW, learners=[HangingLearner(), "seasonal_naive"], time_budget=20, n_jobs=1)
    fc.fit(retail)
    elapsed = time.monotonic() - start
    assert elapsed <= 20 * 1.1 + 3  # the budget, 10 %, and the worker start
    board = fc.leaderboard().set_index("learner")
    assert board.loc["hanging", "status"] == "timeout"
    assert board.loc["seasonal_naive", "status"] == "ok"
    assert len(fc.predict()) == 12 * 6


def test_a_failing_learner_is_recorded_and_the_search_goes_on(retail) -> None:
    fc = Forecaster(**KW, learners=[FailingLearner(), FAST_LGBM, "naive"], max_trials=3)
    board = fc.fit(retail).leaderboard().set_index("learner")
    assert board.loc["failing", "status"] == "failed"
    assert "always fails" in board.loc["failing", "reason"]
    assert (board.drop(index="failing")["status"] == "ok").all()
    assert np.isfinite(fc.predict()["forecast"]).all()


def _board(fc: Forecaster) -> pd.DataFrame:
    return fc.leaderboard()[["learner", "params", "status", "mase"]]


def test_same_seed_gives_the_same_leaderboard(retail) -> None:
    runs = [
        Forecaster(**KW, learners=[FAST_LGBM, "theta", "naive"], max_trials=6, random_state=3).fit(retail)
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(_board(runs[0]), _board(runs[1]))
    assert runs[0].leaderboard()["params"].nunique() >= 4  # the search explored parameters


def test_ensemble_weights_and_out_of_fold_score(retail) -> None:
    fc = Forecaster(**KW, learners=[FAST_LGBM, "ets", "theta", "seasonal_naive"], max_trials=4)
    board = fc.fit(retail).leaderboard()
    assert board["weight"].sum() == pytest.approx(1.0)
    assert len(fc.model_.members) == (board["weight"] > 0).sum()


def test_greedy_ensemble_is_no_worse_than_its_best_member() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=500)
    preds = [truth + rng.normal(scale=s, size=500) for s in (0.5, 0.6, 0.7)]
    mae = lambda p: float(np.mean(np.abs(p - truth)))  # noqa: E731
    weights, score = greedy_ensemble(preds, mae)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    assert score <= min(mae(p) for p in preds)
    assert score == pytest.approx(mae(sum(w * p for w, p in zip(weights, preds))))


def test_partitions_give_every_series_a_forecast(retail) -> None:
    fc = Forecaster(**KW, learners=[FAST_LGBM, "seasonal_naive"], partition_by="State", n_jobs=2)
    fc.fit(retail)
    board = fc.leaderboard()
    assert set(board["State"]) == {"Tasmania", "Victoria"}
    assert board.groupby("State").size().eq(2).all()  # one row per partition and trial
    out = fc.predict()
    assert len(out) == 12 * 6 and np.isfinite(out["forecast"]).all()
    assert out.groupby(["State", "Industry"]).ngroups == 12


def test_dask_backend_gives_the_same_leaderboard(retail) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = Forecaster(
                **KW, learners=[FAST_LGBM, "theta"], max_trials=4, backend="dask", client=client
            ).fit(retail)
    local = Forecaster(**KW, learners=[FAST_LGBM, "theta"], max_trials=4, n_jobs=2).fit(retail)
    pd.testing.assert_frame_equal(_board(on_dask), _board(local))
