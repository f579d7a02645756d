"""Ensemble weights by series length: the short and the long half of the series get their own
blend, shrunk halfway to the blend of all series, chosen on the out-of-fold forecasts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster
from tsauto.forecasting.routing import MIN_GROUP, SHRINK, LengthRoutes, length_routes
from tsauto.forecasting.search import score


@pytest.fixture(scope="module")
def m1_yearly() -> pd.DataFrame:
    info = pd.read_csv(shared_file("forecasting/m1/M1-info.csv"))
    train = pd.read_csv(shared_file("forecasting/m1/M1-train.csv.gz"))
    df = train[train["unique_id"].isin(info.loc[info["period"] == "YEARLY", "unique_id"])].copy()
    df["t"] = df.groupby("unique_id").cumcount()
    return df[["unique_id", "t", "y"]]


@pytest.fixture(scope="module")
def fitted(m1_yearly) -> Forecaster:
    return Forecaster(target="y", time="t", ids="unique_id", horizon=6, learners=["theta", "lightgbm"]).fit(m1_yearly)


def test_short_and_long_series_get_their_own_blend(fitted) -> None:
    routes = fitted.model_.routes
    lengths = fitted.history_.lengths
    assert routes is not None and routes.threshold >= np.median(lengths)  # the scored are the longer
    assert min((lengths < routes.threshold).sum(), (lengths >= routes.threshold).sum()) >= MIN_GROUP
    overall = np.array([w for w, _ in fitted.model_.members])
    for blend in (routes.short, routes.long):
        assert blend.sum() == pytest.approx(1.0) and (blend >= SHRINK * overall - 1e-12).all()
    per_series = routes.weights(lengths)[:, :, 0]
    assert per_series.shape == (2, fitted.history_.n_series)
    np.testing.assert_allclose(per_series[:, lengths < routes.threshold][:, 0], routes.short)
    np.testing.assert_allclose(per_series[:, lengths >= routes.threshold][:, 0], routes.long)
    assert "by length: series under" in fitted.model_.describe()
    table = fitted.explain().weights
    np.testing.assert_allclose(table["weight_short"], routes.short)
    np.testing.assert_allclose(table["weight_long"], routes.long)


def test_each_series_is_forecast_with_its_groups_blend(fitted) -> None:
    out = fitted.predict()
    panel, routes = fitted.history_, fitted.model_.routes
    members = [m.predict(panel, {}).forecast.mean for _, m in fitted.model_.members]
    short = panel.lengths < routes.threshold
    expected = np.where(
        short[:, None],
        sum(w * f for w, f in zip(routes.short, members)),
        sum(w * f for w, f in zip(routes.long, members)),
    )
    np.testing.assert_allclose(out["forecast"].to_numpy().reshape(panel.n_series, 6), expected, rtol=1e-9)


def test_no_routes_for_one_member_or_too_few_scored_series_in_a_half(fitted) -> None:
    trials = [t for t in fitted.trials_ if t.status == "ok"]
    assert trials and all(t.oof is None for t in trials)  # the fitted forecaster keeps no oof
    lengths = np.arange(200)

    def result(scored: np.ndarray) -> SimpleNamespace:  # only which series have cells matters here
        return SimpleNamespace(series=scored, scale=np.ones(len(scored)))

    half = np.array([0.5, 0.5])
    assert length_routes(lengths, np.array([1.0]), [result(np.arange(200))], score) is None
    few = result(np.arange(200 - 2 * MIN_GROUP + 1, 200))  # 59 scored series: 29 below their median
    assert length_routes(lengths, half, [few, few], score) is None
    same = result(np.arange(200))
    assert length_routes(np.full(200, 20), half, [same, same], score) is None  # one length: no halves


def test_each_series_takes_its_halfs_weights() -> None:
    routes = LengthRoutes(10.0, np.array([0.9, 0.1]), np.array([0.2, 0.8]))
    w = routes.weights(np.array([5, 10, 30]))[:, :, 0]
    np.testing.assert_allclose(w, [[0.9, 0.2, 0.2], [0.1, 0.8, 0.8]])
    assert routes.describe(["ets", "lightgbm"]) == (
        "series under 10 steps 0.90×ets + 0.10×lightgbm; the others 0.20×ets + 0.80×lightgbm"
    )


def test_series_a_fold_leaves_one_point_to_train_on_are_not_a_half(aus_retail) -> None:
    """Half the series 8 months long, half 19, 7 to forecast: in the fold the short ones train on
    one point, so their scaled errors are undefined. The halves are split among the series that
    could be scored (all 19 long: no halves), not at a median that puts every unscorable series
    in one half (every member's score nan there: "All-NaN slice encountered" before)."""
    keys = aus_retail[["State", "Industry"]].drop_duplicates().iloc[:80]
    df = aus_retail.merge(keys).sort_values(["State", "Industry", "Month"])
    rank = keys.assign(n=np.where(np.arange(80) < 40, 8, 19))
    df = df.merge(rank)
    df = df[df.groupby(["State", "Industry"]).cumcount(ascending=False) < df["n"]]
    fc = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=7,
                    learners=["theta", "drift"]).fit(df.drop(columns=["n", "Series ID"]))
    assert fc.model_.routes is None
    assert np.isfinite(fc.predict()["forecast"]).all()

