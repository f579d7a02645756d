"""AutoARIMALearner on real series: pmdarima's wineind, ABS aus_retail, Walmart (IsHoliday)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pmdarima
import pytest

from tsauto.forecasting.validation import validate
from tsauto.datasets import load_aus_retail
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.arima import AutoARIMALearner, seasonal_strength
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.baselines import seasonal_naive_forecast

QUANTILES = (0.1, 0.9)


def wine_frame(n: int | None = None) -> pd.DataFrame:
    """Australian wine sales (pmdarima), monthly 1980-01..1994-08."""
    y = pmdarima.datasets.load_wineind().astype(float)[:n]
    return pd.DataFrame({"month": pd.date_range("1980-01-01", periods=len(y), freq="MS"), "y": y})


@pytest.fixture(scope="module")
def wine_fit():
    """The learner fitted on wineind without its last two years."""
    train = wine_frame(-24)
    panel = validate(train, target="y", time="month")
    task = Task(horizon=12, season=12, quantiles=QUANTILES, n_jobs=1)
    return AutoARIMALearner().fit(panel, task), panel


def test_shapes_quantile_order_and_accuracy(wine_fit) -> None:
    learner, panel = wine_fit
    fc = learner.predict(panel)
    assert fc.mean.shape == (1, 12)
    assert set(fc.quantiles) == set(QUANTILES)
    assert np.all(np.isfinite(fc.mean))
    assert np.all(fc.quantiles[0.1] < fc.mean) and np.all(fc.mean < fc.quantiles[0.9])
    assert learner.failures_.empty
    state = learner.states_[0]
    assert state.seasonal_order[3] == 12
    actual = wine_frame()["y"].to_numpy()[-24:-12]
    naive, _ = seasonal_naive_forecast(panel, 12, 12)
    assert np.mean(np.abs(fc.mean[0] - actual)) < np.mean(np.abs(naive[0] - actual))


def test_agrees_with_direct_pmdarima(wine_fit) -> None:
    learner, panel = wine_fit
    y = panel.y
    state = learner.states_[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = pmdarima.auto_arima(
            y,
            m=12,
            D=int(seasonal_strength(y, 12) > 0.64),
            max_p=2,
            max_q=2,
            max_P=1,
            max_Q=1,
            maxiter=20,
            information_criterion="aicc",
            suppress_warnings=True,
            error_action="ignore",
            sarimax_kwargs={"simple_differencing": True, "concentrate_scale": True},
        )
        assert direct.order == state.order
        assert direct.seasonal_order == state.seasonal_order
        # pmdarima's own fit and forecast of that model (converged, its own interval code)
        ref = pmdarima.ARIMA(
            state.order,
            state.seasonal_order,
            with_intercept=state.trend == "c",
            maxiter=200,
            suppress_warnings=True,
            simple_differencing=True,
        ).fit(y)
        mean, conf = ref.predict(12, return_conf_int=True, alpha=0.2)
    fc = learner.predict(panel)
    np.testing.assert_allclose(fc.mean[0], mean, rtol=0.02)
    # pmdarima's intervals for simple differencing hold for the first season only
    np.testing.assert_allclose(fc.quantiles[0.1][0, :11], conf[:11, 0], rtol=0.05)
    np.testing.assert_allclose(fc.quantiles[0.9][0, :11], conf[:11, 1], rtol=0.05)


def test_predict_from_longer_history_without_refit(wine_fit, monkeypatch) -> None:
    learner, panel = wine_fit
    before = learner.predict(panel).mean

    def no_fit(*args, **kwargs):
        raise AssertionError("predict must not re-estimate the model")

    monkeypatch.setattr(pmdarima, "auto_arima", no_fit)
    monkeypatch.setattr(pmdarima.ARIMA, "fit", no_fit)
    longer = validate(wine_frame(-12), target="y", time="month")
    fc = learner.predict(longer)
    assert np.all(np.isfinite(fc.mean))
    assert not np.allclose(fc.mean, before)
    actual = wine_frame()["y"].to_numpy()[-12:]
    naive, _ = seasonal_naive_forecast(longer, 12, 12)
    assert np.mean(np.abs(fc.mean[0] - actual)) < np.mean(np.abs(naive[0] - actual))
    np.testing.assert_array_equal(learner.predict(panel).mean, before)  # predict is pure


def test_short_series_fall_back_and_non_seasonal_below_two_seasons() -> None:
    df = load_aus_retail()
    victoria = df[(df["State"] == "Victoria") & (df["Industry"] == "Food retailing")]
    long_ = victoria.iloc[-120:].assign(Industry="long")
    short = victoria.iloc[-20:].assign(Industry="short")  # 20 months < 2 seasons
    tiny = victoria.iloc[-5:].assign(Industry="tiny")  # too short for ARIMA
    table = pd.concat([long_, short, tiny])
    panel = validate(table, target="Turnover", time="Month", ids=["Industry"])
    task = Task(horizon=6, season=12, quantiles=QUANTILES)
    learner = AutoARIMALearner().fit(panel, task)
    assert learner.failures_["Industry"].tolist() == ["tiny"]
    assert "needs at least" in learner.failures_["reason"].iloc[0]
    keys = panel.keys["Industry"].tolist()
    assert learner.states_[keys.index("long")].seasonal_order[3] == 12
    assert learner.states_[keys.index("short")].seasonal_order == (0, 0, 0, 0)
    fc = learner.predict(panel)
    naive, _ = seasonal_naive_forecast(panel, 6, 12)
    tiny_row = keys.index("tiny")
    np.testing.assert_array_equal(fc.mean[tiny_row], naive[tiny_row])
    assert np.all(np.isfinite(fc.quantiles[0.1])) and np.all(fc.quantiles[0.1] <= fc.mean)


def test_series_time_limit_falls_back() -> None:
    panel = validate(wine_frame(), target="y", time="month")
    learner = AutoARIMALearner(series_time_limit=0.05).fit(panel, Task(horizon=3, season=12))
    assert learner.failures_["reason"].str.startswith("timeout").all()
    assert np.all(np.isfinite(learner.predict(panel).mean))


def test_unknown_seasonal_test_is_an_error() -> None:
    panel = validate(wine_frame(40), target="y", time="month")
    with pytest.raises(DataValidationError, match="seasonal_test"):
        AutoARIMALearner(seasonal_test="kpss").fit(panel, Task(horizon=3, season=12))


def test_known_future_covariates_change_the_forecast(walmart_holiday_split) -> None:
    panel, flags = walmart_holiday_split
    assert flags.sum() == 2  # Thanksgiving and Christmas weeks
    learner = AutoARIMALearner().fit(panel, Task(horizon=10, season=52, quantiles=QUANTILES))
    assert learner.failures_.empty
    assert all(state.exog_used is not None for state in learner.states_)
    with_flags = learner.predict(panel, {"IsHoliday": np.tile(flags, (2, 1))})
    without = learner.predict(panel, {"IsHoliday": np.zeros((2, 10))})
    diff = with_flags.mean - without.mean
    assert np.all(np.abs(diff[:, flags == 1]) > 100)  # regression with ARIMA errors: only there
    np.testing.assert_allclose(diff[:, flags == 0], 0, atol=1e-6)
    with pytest.raises(DataValidationError, match="IsHoliday"):
        learner.predict(panel)
