"""Every registered learner meets the same contract, on real retail series.

Learners are discovered from the registry (none opts out). ``FAST`` only makes the slow ones
quick enough for a test run; it never changes what is checked. The accuracy and newer-history
checks are functions (:func:`mase_ratio`, :func:`level_response`) so that the tests at the end
can show that they fail deliberately broken learners (``tests/forecast_doubles.py``).
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecast_doubles import FrozenAtFit, StaleLevel, TrainsToTheDeadline, ZeroForecast

from tsauto.forecasting import registry
from tsauto.forecasting.intervals import blend
from tsauto.forecasting.learners.base import Learner, Task
from tsauto.forecasting.learners.baselines import seasonal_naive_forecast
from tsauto.forecasting.learners.fallback import WithFallback
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate, validate_like

FAST = {
    "lightgbm": {"params": {"num_boost_round": 60}},
    # epochs, not the clock, end the training (a clock makes the fit depend on the load)
    "tcn": {"max_epochs": 3, "channels": 8, "windows_per_epoch": 2048, "max_time": None},
    "auto_arima": {"max_p": 1, "max_q": 1},
    "ets": {"damped": False},
}
H = 6
SEASON = 12
TASK = Task(horizon=H, season=SEASON, seasons=(SEASON,), quantiles=(0.1, 0.9), n_jobs=1, random_state=0)

# Mean MASE over the held-out last H months, relative to seasonal naive's. Measured on these six
# series (2026-11-30, FAST settings): theta 0.46, ets 0.44, auto_arima 0.54, lightgbm 0.57,
# prophet 0.68, tcn 0.80, seasonal_naive 1, drift 1.50, croston = tsb 1.57, naive 1.60 (the
# non-seasonal baselines miss December); an all-zero forecast 15.
MAX_MASE_RATIO = 2.5
# How far forecasts follow twelve newer months set 50 % above the last year, as a share of that
# shift. Measured: croston = tsb 0.71, auto_arima 0.85-1.27, lightgbm 0.87-1.12, prophet
# 0.94-1.02, seasonal naive, naive, drift, theta, ets 0.99-1.01, tcn 1.01-1.14; a learner deaf
# to newer observations 0.
LEVEL_SHIFT = 0.5
RESPONSE_RANGE = (0.5, 2.0)


def make(name: str):
    return registry.create(name, **FAST.get(name, {}))


@pytest.fixture(scope="module")
def panels(aus_small: pd.DataFrame):
    df = aus_small[aus_small["Industry"].isin(aus_small["Industry"].unique()[:3])]
    full = validate(df, target="Turnover", time="Month", ids=["State", "Industry"])
    train = full.head(full.lengths - H)
    return train, full


@pytest.fixture(scope="module", params=registry.names())
def fitted(request, panels):
    train, _ = panels
    return request.param, make(request.param).fit(train, TASK)


def test_forecast_shape_and_values(fitted, panels) -> None:
    name, learner = fitted
    train, full = panels
    out = learner.predict(train)
    assert out.mean.shape == (train.n_series, H)
    assert np.isfinite(out.mean).all(), name
    truth = full.y.reshape(full.n_series, -1)[:, -H:]
    level = np.abs(truth).mean(axis=1, keepdims=True)
    assert (np.abs(out.mean - truth) < 3 * level).all(), f"{name} is far off the real values"


def test_quantiles_are_ordered(fitted, panels) -> None:
    name, learner = fitted
    out = learner.predict(panels[0])
    if not learner.tags.native_quantiles:
        assert out.quantiles == {}
        return
    lo, hi = out.quantiles[0.1], out.quantiles[0.9]
    assert np.isfinite(lo).all() and np.isfinite(hi).all()
    assert (lo <= hi + 1e-9).all(), name
    # as the model passes them on (tcn's own band may miss its mean): around the forecast
    band = blend([(1.0, out)]).quantiles
    assert ((band[0.1] <= out.mean) & (out.mean <= band[0.9])).all(), f"{name}: forecast outside its band"


def test_deterministic_with_a_seed(fitted, panels) -> None:
    name, learner = fitted
    again = make(name).fit(panels[0], TASK)
    np.testing.assert_allclose(again.predict(panels[0]).mean, learner.predict(panels[0]).mean)


def test_pickle_round_trip_is_identical(fitted, panels) -> None:
    _, learner = fitted
    loaded = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(loaded.predict(panels[0]).mean, learner.predict(panels[0]).mean)


def mase_ratio(forecast: np.ndarray, train: Panel, full: Panel) -> float:
    """Mean MASE of ``forecast`` over the last H points of ``full`` (the H after ``train``),
    divided by that of seasonal naive from ``train``; scale: the in-sample seasonal-naive MAE."""
    y = train.y.reshape(train.n_series, -1)
    truth = full.y.reshape(full.n_series, -1)[:, -H:]
    scale = np.abs(y[:, SEASON:] - y[:, :-SEASON]).mean(axis=1)
    naive, _ = seasonal_naive_forecast(train, H, SEASON)
    mase = lambda f: np.mean(np.abs(f - truth).mean(axis=1) / scale)  # noqa: E731
    return float(mase(forecast) / mase(naive))


def newer_history(train: Panel, factor: float) -> Panel:
    """``train`` and twelve newer months per series: its last twelve times ``factor``."""
    frame = train.to_frame()
    last = frame.groupby(list(train.schema.ids), sort=False).tail(SEASON)
    new = last.assign(
        **{
            train.schema.time: last[train.schema.time] + pd.DateOffset(years=1),
            train.schema.target: last[train.schema.target] * factor,
        }
    )
    return validate_like(pd.concat([frame, new], ignore_index=True), train.schema)


def level_response(learner: Learner, train: Panel) -> np.ndarray:
    """Per series: the move of the mean forecast when the twelve newer months sit
    ``LEVEL_SHIFT`` above the last year rather than level with it, as a share of that shift
    (1: the forecasts follow the new level; 0: the new observations are ignored)."""
    level = learner.predict(newer_history(train, 1.0)).mean.mean(axis=1)
    shifted = learner.predict(newer_history(train, 1.0 + LEVEL_SHIFT)).mean.mean(axis=1)
    return (shifted - level) / (LEVEL_SHIFT * level)


def test_accurate_against_seasonal_naive(fitted, panels) -> None:
    name, learner = fitted
    train, full = panels
    ratio = mase_ratio(learner.predict(train).mean, train, full)
    assert ratio < MAX_MASE_RATIO, f"{name}: MASE {ratio:.2f}x seasonal naive's"


def test_forecasts_from_newer_history_without_refit(fitted, panels, monkeypatch) -> None:
    name, learner = fitted
    train, full = panels
    monkeypatch.setattr(type(learner), "_fit", lambda *a, **k: pytest.fail("refit"))
    newer = full.head(train.lengths + 3)
    out = learner.predict(newer)
    assert out.mean.shape == (newer.n_series, H) and np.isfinite(out.mean).all(), name
    response = level_response(learner, train)
    lo, hi = RESPONSE_RANGE
    assert np.all((response >= lo) & (response <= hi)), (
        f"{name}: forecasts moved {np.round(response, 2)} of a {LEVEL_SHIFT:.0%} level shift "
        "in the newer observations"
    )


def test_too_short_series_fall_back(panels) -> None:
    train, _ = panels
    lengths = train.lengths.copy()
    lengths[0] = 2
    short = train.head(lengths)
    for name in registry.names():
        model = WithFallback(make(name)).fit(short, TASK)
        routed = model.predict(short, {})
        assert np.isfinite(routed.forecast.mean).all(), name
        if model.min_length_ > 2:
            assert routed.reason[0].startswith("seasonal_naive"), name


def test_a_learner_that_trains_to_its_deadline_still_gets_its_fallback(panels) -> None:
    import time
    from dataclasses import replace

    train, _ = panels
    lengths = train.lengths.copy()
    lengths[0] = 1  # one series left to the fallback
    short = train.head(lengths)
    model = WithFallback(TrainsToTheDeadline()).fit(short, replace(TASK, deadline=time.monotonic() + 0.2))
    routed = model.predict(short, {})  # the fallback was fitted although no time was left
    assert np.isfinite(routed.forecast.mean).all() and routed.reason[0].startswith("seasonal_naive")


# -- the checks catch what they are for ----------------------------------------------------


@pytest.mark.parametrize("double", [ZeroForecast, StaleLevel])
def test_the_accuracy_check_fails_a_broken_learner(double, panels) -> None:
    train, full = panels
    forecast = double().fit(train, TASK).predict(train).mean
    assert np.isfinite(forecast).all() and forecast.shape == (train.n_series, H)
    assert mase_ratio(forecast, train, full) > 2 * MAX_MASE_RATIO


def test_the_newer_history_check_fails_a_learner_deaf_to_new_observations(panels) -> None:
    train, _ = panels
    frozen = FrozenAtFit().fit(train, TASK)
    np.testing.assert_allclose(level_response(frozen, train), 0.0)
    assert np.all(level_response(registry.create("seasonal_naive").fit(train, TASK), train) > 0.9)
