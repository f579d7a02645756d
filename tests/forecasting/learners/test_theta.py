"""ThetaLearner on real series: agreement with statsmodels' ThetaModel, intervals, no refit."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.forecasting import registry
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.theta import ThetaLearner

H = 18
TASK = Task(horizon=H, season=12, seasons=(12,), quantiles=(0.1, 0.9), n_jobs=1)


@pytest.fixture(scope="module")
def panel(shipped_monthly: Panel) -> Panel:
    return shipped_monthly


def series(panel: Panel, i: int) -> np.ndarray:
    return panel.y[panel.indptr[i] : panel.indptr[i + 1]]


def test_registry_builds_theta() -> None:
    assert isinstance(registry.create("theta"), ThetaLearner)


@pytest.mark.parametrize("theta", [2.0, 3.0])
def test_forecasts_match_statsmodels_theta(panel: Panel, theta: float) -> None:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    learner = ThetaLearner(theta=theta).fit(panel, TASK)
    out = learner.predict(panel)
    for i, state in enumerate(learner.states_):
        y = series(panel, i)
        direct = ThetaModel(y, period=12, deseasonalize=True, use_test=True, method="auto").fit()
        np.testing.assert_allclose(out.mean[i], direct.forecast(H, theta=theta), rtol=1e-9)
        assert state.alpha == pytest.approx(direct.params["alpha"])
        assert state.b0 == pytest.approx(direct.params["b0"])
    air = int(np.flatnonzero(panel.keys["unique_id"] == "airpassengers")[0])
    assert learner.states_[air].method == "mul"


def test_non_seasonal_task_matches_plain_theta(panel: Panel) -> None:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    task = Task(horizon=H, season=1, quantiles=(0.1, 0.9), n_jobs=1)
    learner = ThetaLearner().fit(panel, task)
    out = learner.predict(panel)
    for i, state in enumerate(learner.states_):
        assert state.method is None
        direct = ThetaModel(series(panel, i), deseasonalize=False).fit()
        np.testing.assert_allclose(out.mean[i], direct.forecast(H), rtol=1e-9)


def test_quantiles_ordered_and_widening(panel: Panel) -> None:
    out = ThetaLearner().fit(panel, TASK).predict(panel)
    lo, hi = out.quantiles[0.1], out.quantiles[0.9]
    assert np.all(lo <= out.mean) and np.all(out.mean <= hi)
    # deseasonalised half-width grows with the horizon (compare same calendar month)
    rel = (hi - lo) / out.mean
    assert np.all(rel[:, 12] > rel[:, 0])


def test_predict_on_longer_history_reuses_params(
    panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    short = panel.head(panel.lengths - 24)
    learner = ThetaLearner().fit(short, TASK)
    before = learner.predict(short)

    def no_fit(*args, **kwargs):
        raise AssertionError("predict must not re-estimate")

    monkeypatch.setattr(ThetaModel, "fit", no_fit)
    monkeypatch.setattr(ThetaLearner, "_fit_one", no_fit)
    after = learner.predict(panel)
    for i, s in enumerate(learner.states_):
        y = series(panel, i)
        n, m = len(y), len(s.factors)
        season = s.factors[np.arange(n + H) % m] if s.method else np.zeros(n + H)
        yd = y / season[:n] if s.method == "mul" else y - season[:n]
        level = yd[0]
        for value in yd:  # SES with the stored alpha, by hand
            level = s.alpha * value + (1 - s.alpha) * level
        h = np.arange(H) + 1 / s.alpha - (1 - s.alpha) ** n / s.alpha
        expected_d = level + 0.5 * s.b0 * h
        expected = expected_d * season[n:] if s.method == "mul" else expected_d + season[n:]
        np.testing.assert_allclose(after.mean[i], expected, rtol=1e-9)
    assert not np.allclose(after.mean, before.mean)


def test_history_starting_later_still_forecasts(panel: Panel) -> None:
    """A history without the training start re-derives the seasonal phase from itself."""
    learner = ThetaLearner().fit(panel, TASK)
    full = learner.predict(panel)
    bounds = zip(panel.indptr[:-1], panel.indptr[1:])
    rows = np.concatenate([np.arange(a + 5, b) for a, b in bounds])
    later = validate(panel.to_frame().iloc[rows], target="y", time="month", ids="unique_id")
    assert np.all(later.lengths == panel.lengths - 5)
    np.testing.assert_allclose(learner.predict(later).mean, full.mean, rtol=0.05)


def test_theta_below_one_is_rejected(panel: Panel) -> None:
    with pytest.raises(ValueError, match="theta"):
        ThetaLearner(theta=0.5).fit(panel, TASK)
