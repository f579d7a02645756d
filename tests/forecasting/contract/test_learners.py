"""Every registered learner meets the same contract, on real retail series.

Learners are discovered from the registry (none opts out). ``FAST`` only makes the slow ones
quick enough for a test run; it never changes what is checked.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from tsauto.forecasting import registry
from tsauto.forecasting.validation import validate
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.fallback import WithFallback

FAST = {
    "lightgbm": {"params": {"num_boost_round": 60}},
    "tcn": {"max_epochs": 3, "channels": 8, "max_time": 20.0},
    "auto_arima": {"max_p": 1, "max_q": 1},
}
H = 6
TASK = Task(horizon=H, season=12, seasons=(12,), quantiles=(0.1, 0.9), n_jobs=1, random_state=0)


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


def test_deterministic_with_a_seed(fitted, panels) -> None:
    name, learner = fitted
    again = make(name).fit(panels[0], TASK)
    np.testing.assert_allclose(again.predict(panels[0]).mean, learner.predict(panels[0]).mean)


def test_pickle_round_trip_is_identical(fitted, panels) -> None:
    _, learner = fitted
    loaded = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(loaded.predict(panels[0]).mean, learner.predict(panels[0]).mean)


def test_forecasts_from_newer_history_without_refit(fitted, panels, monkeypatch) -> None:
    name, learner = fitted
    train, full = panels
    monkeypatch.setattr(type(learner), "_fit", lambda *a, **k: pytest.fail("refit"))
    newer = full.head(train.lengths + 3)
    out = learner.predict(newer)
    assert out.mean.shape == (newer.n_series, H) and np.isfinite(out.mean).all(), name


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
