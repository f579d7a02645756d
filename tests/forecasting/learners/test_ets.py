"""ETSLearner on real monthly series: agreement with statsmodels, intervals, refit-free predict."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tsauto.forecasting import registry
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate
from tsauto.datasets import load_aus_retail
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.ets import (
    ETSLearner,
    ETSSpec,
    build_model,
    candidate_specs,
    fit_spec,
    forecast_state,
)

H = 12
TASK = Task(horizon=H, season=12, seasons=(12,), quantiles=(0.1, 0.9), n_jobs=1)


@pytest.fixture(scope="module")
def panel(shipped_monthly: Panel) -> Panel:
    return shipped_monthly


@pytest.fixture(scope="module")
def fitted(panel: Panel) -> ETSLearner:
    return ETSLearner().fit(panel, TASK)


def series(panel: Panel, i: int) -> np.ndarray:
    return panel.y[panel.indptr[i] : panel.indptr[i + 1]]


def test_registry_builds_ets() -> None:
    assert isinstance(registry.create("ets"), ETSLearner)


def test_forecasts_match_direct_statsmodels_fit(panel: Panel, fitted: ETSLearner) -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    assert fitted.failures_.empty
    out = fitted.predict(panel)
    for i, state in enumerate(fitted.states_):
        y, spec = series(panel, i), state.spec
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = ETSModel(
                pd.Series(y),
                error=spec.error,
                trend=spec.trend,
                damped_trend=spec.damped,
                seasonal=spec.seasonal,
                seasonal_periods=spec.period if spec.seasonal else None,
                initialization_method="heuristic",
            ).fit(disp=False)
            pred = direct.get_prediction(
                start=len(y), end=len(y) + H - 1, rng=np.random.default_rng(TASK.random_state)
            )
            frame = pred.summary_frame(alpha=0.2)
        np.testing.assert_allclose(out.mean[i], direct.forecast(H), rtol=1e-8)
        np.testing.assert_allclose(out.quantiles[0.1][i], frame["pi_lower"], rtol=1e-8)
        np.testing.assert_allclose(out.quantiles[0.9][i], frame["pi_upper"], rtol=1e-8)


@pytest.mark.parametrize("initialization", ["heuristic", "estimated"])
def test_analytic_intervals_match_statsmodels(panel: Panel, initialization: str) -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = series(panel, int(np.flatnonzero(panel.keys["unique_id"] == "wineind")[0]))
    spec = ETSSpec("add", "add", True, "add", 12)  # additive error: exact intervals
    mean, quantiles = forecast_state(fit_spec(y, spec, initialization), y, H, (0.1, 0.5, 0.9))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = ETSModel(
            pd.Series(y),
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=12,
            initialization_method=initialization,
        ).fit(disp=False)
        pred = direct.get_prediction(start=len(y), end=len(y) + H - 1)
    assert pred.method == "exact"
    frame = pred.summary_frame(alpha=0.2)
    np.testing.assert_allclose(mean, frame["mean"], rtol=1e-8)
    np.testing.assert_allclose(quantiles[0.1], frame["pi_lower"], rtol=1e-8)
    np.testing.assert_allclose(quantiles[0.9], frame["pi_upper"], rtol=1e-8)
    np.testing.assert_allclose(quantiles[0.5], mean, rtol=1e-12)


def test_airpassengers_gets_a_multiplicative_season(panel: Panel, fitted: ETSLearner) -> None:
    pos = int(np.flatnonzero(panel.keys["unique_id"] == "airpassengers")[0])
    spec = fitted.states_[pos].spec
    assert (spec.error, spec.seasonal, spec.period) == ("mul", "mul", 12)


def test_state_is_small(fitted: ETSLearner) -> None:
    for state in fitted.states_:
        assert state.params.size <= 4  # smoothing parameters only (heuristic start)


def test_quantiles_ordered_on_aus_retail() -> None:
    df = load_aus_retail()
    keys = df[["State", "Industry"]].drop_duplicates().iloc[[0, 40, 80, 120]]
    panel = validate(
        df.merge(keys)[["State", "Industry", "Month", "Turnover"]],
        target="Turnover",
        time="Month",
        ids=["State", "Industry"],
    )
    task = Task(horizon=24, season=12, seasons=(12,), quantiles=(0.1, 0.5, 0.9), n_jobs=1)
    out = ETSLearner().fit(panel, task).predict(panel)
    assert np.all(np.isfinite(out.mean))
    assert np.all(out.quantiles[0.1] <= out.mean)
    assert np.all(out.mean <= out.quantiles[0.9])
    assert np.all(out.quantiles[0.1] <= out.quantiles[0.5])
    assert np.all(out.quantiles[0.5] <= out.quantiles[0.9])
    width = out.quantiles[0.9] - out.quantiles[0.1]
    assert np.all(width[:, -1] > width[:, 0])


def test_predict_on_longer_history_reuses_params(
    panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    short = panel.head(panel.lengths - 24)
    learner = ETSLearner().fit(short, TASK)
    before = learner.predict(short)

    def no_fit(*args, **kwargs):
        raise AssertionError("predict must not re-estimate")

    monkeypatch.setattr(ETSModel, "fit", no_fit)
    monkeypatch.setattr(ETSLearner, "_fit_one", no_fit)
    after = learner.predict(panel)
    for i, state in enumerate(learner.states_):
        y = series(panel, i)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = build_model(y, state.spec, "heuristic").smooth(state.params).forecast(H)
        np.testing.assert_allclose(after.mean[i], expected, rtol=1e-10)
    assert not np.allclose(after.mean, before.mean)


def test_candidates_follow_the_data(panel: Panel) -> None:
    y = series(panel, int(np.flatnonzero(panel.keys["unique_id"] == "airpassengers")[0]))
    full = candidate_specs(y, 12)
    assert len(full) == 15
    assert not any(s.error == "add" and s.seasonal == "mul" for s in full)
    assert all(s.seasonal is None for s in candidate_specs(y[:20], 12))  # < 2 seasons
    assert all(s.seasonal is None for s in candidate_specs(y, 52))  # period > 24
    centred = candidate_specs(y - y.mean(), 12)  # not positive: additive only
    assert {s.error for s in centred} == {"add"} and all(s.seasonal != "mul" for s in centred)


def test_too_short_series_falls_back(panel: Panel) -> None:
    lengths = panel.lengths.copy()
    lengths[0] = 5
    short = panel.head(lengths)
    learner = ETSLearner().fit(short, TASK)
    assert list(learner.failures_["unique_id"]) == [panel.keys["unique_id"].iloc[0]]
    assert np.all(np.isfinite(learner.predict(short).mean))


def test_bad_initialization_is_rejected(panel: Panel) -> None:
    with pytest.raises(ValueError, match="initialization"):
        ETSLearner(initialization="guess").fit(panel, TASK)  # type: ignore[arg-type]
