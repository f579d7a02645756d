"""ThetaLearner: the Fiorucci et al. (2016) recursions by hand, the M4 seasonality test,
accuracy on M1, intervals and refit-free predict."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.forecasting import metrics, registry
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.decomposition import acf, is_seasonal
from tsauto.forecasting.learners.theta import (
    MODELS,
    SKIP,
    ThetaLearner,
    fit_theta,
    forecast_theta,
    regression_states,
)
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate

H = 18
TASK = Task(horizon=H, season=12, seasons=(12,), quantiles=(0.1, 0.9), n_jobs=1)


def series(panel: Panel, name: str) -> np.ndarray:
    i = int(np.flatnonzero(panel.keys["unique_id"] == name)[0])
    return panel.y[panel.indptr[i] : panel.indptr[i + 1]]


def by_hand(y: np.ndarray, model: str, level0: float, alpha: float, theta: float, horizon: int):
    """One-step errors and forecasts of the state-space Theta model, one step at a time
    (Fiorucci et al. 2016, eqs. for mu_t, l_t, A_t, B_t)."""
    dynamic = MODELS[model][0]
    n = len(y)
    t = np.arange(1, n + 1)
    slope = np.polyfit(t, y, 1)[0]  # static: the least-squares line of the whole series
    level, mean = level0, 0.0
    a, b = (y[0], 0.0) if dynamic else (np.mean(y) - slope * (n + 1) / 2, slope)
    errors, path = [], list(y)
    for i in range(n + horizon):
        if i == 0:
            mu = y[0] if dynamic else level0 + (1 - 1 / theta) * (a + b)
        else:
            mu = level + (1 - 1 / theta) * (a * (1 - alpha) ** i + b * (1 - (1 - alpha) ** (i + 1)) / alpha)
        value = y[i] if i < n else mu
        if i < n:
            errors.append(y[i] - mu)
        else:
            path.append(mu)
        level = alpha * value + (1 - alpha) * level
        if dynamic and i > 0:
            b = ((i - 1) * b + 6 * (value - mean) / (i + 1)) / (i + 2)
        mean = (i * mean + value) / (i + 1)
        if dynamic and i > 0:
            a = mean - b * (i + 2) / 2
    return np.array(errors), np.array(path[n:])


def test_registry_builds_theta() -> None:
    assert isinstance(registry.create("theta"), ThetaLearner)


def test_static_line_is_least_squares(shipped_monthly: Panel) -> None:
    y = series(shipped_monthly, "wineind")
    A, B = regression_states(y, dynamic=False)
    slope, intercept = np.polyfit(np.arange(1, len(y) + 1), y, 1)
    np.testing.assert_allclose(B, slope, rtol=1e-9)
    np.testing.assert_allclose(A, intercept, rtol=1e-9)


@pytest.mark.parametrize("model", list(MODELS))
def test_forecasts_follow_the_published_recursion(shipped_monthly: Panel, model: str) -> None:
    y = series(shipped_monthly, "elec_equip")
    times = np.arange(len(y))
    state = fit_theta(y, times, period=1, model=model)
    errors, expected = by_hand(y, model, state.level0, state.alpha, state.theta, H)
    mean, _ = forecast_theta(state, y, times, H)
    np.testing.assert_allclose(mean, expected, rtol=1e-9)
    assert state.mse == pytest.approx(np.mean(errors[SKIP:] ** 2), rel=1e-9)
    if not MODELS[model][1]:
        assert state.theta == 2.0
    else:
        assert state.theta >= 1.0


def test_auto_keeps_the_lowest_in_sample_mse(shipped_monthly: Panel) -> None:
    y = series(shipped_monthly, "wineind")
    times = np.arange(len(y))
    fits = {m: fit_theta(y, times, 12, model=m) for m in MODELS}
    auto = fit_theta(y, times, 12)
    assert auto.model == min(fits, key=lambda m: fits[m].mse)
    # the optimised models nest the standard ones: they fit at least as well in sample
    assert fits["OTM"].mse <= fits["STM"].mse * (1 + 1e-6)


def test_seasonality_test_agrees_with_m4_and_statsmodels(shipped_monthly: Panel) -> None:
    from statsmodels.tsa.stattools import acf as sm_acf

    for name in ("airpassengers", "wineind", "elec_equip"):
        y = series(shipped_monthly, name)
        np.testing.assert_allclose(acf(y, 12), sm_acf(y, nlags=12, fft=False)[1:], atol=1e-12)
        assert is_seasonal(y, 12) == metrics.seasonality_test(y, 12)
    assert is_seasonal(series(shipped_monthly, "airpassengers"), 12)
    noise = np.random.default_rng(0).normal(size=200)
    assert not is_seasonal(noise, 12)
    assert not is_seasonal(series(shipped_monthly, "airpassengers")[:23], 12)  # < 2 cycles


def test_airpassengers_is_deseasonalised_multiplicatively(shipped_monthly: Panel) -> None:
    learner = ThetaLearner().fit(shipped_monthly, TASK)
    pos = int(np.flatnonzero(shipped_monthly.keys["unique_id"] == "airpassengers")[0])
    season = learner.states_[pos].season
    assert season is not None and season.method == "multiplicative"
    assert season.factors.mean() == pytest.approx(1.0, abs=1e-9)
    assert season.factors[6] > 1.15 and season.factors[10] < 0.9  # July high, November low


def test_beats_naive_on_m1(m1_sample) -> None:
    """Theta was among the best methods on M1/M3 monthly data: far better than naive."""
    theta_mase, naive_mase = [], []
    for y, actual in m1_sample("MONTHLY", 40):
        times = np.arange(len(y))
        mean, _ = forecast_theta(fit_theta(y, times, 12), y, times, len(actual))
        theta_mase.append(metrics.mase(actual, mean, y, 12))
        naive_mase.append(metrics.mase(actual, np.repeat(y[-1], len(actual)), y, 12))
    assert np.mean(theta_mase) < 0.9 * np.mean(naive_mase)


def test_quantiles_ordered_and_widening(shipped_monthly: Panel) -> None:
    out = ThetaLearner().fit(shipped_monthly, TASK).predict(shipped_monthly)
    lo, hi = out.quantiles[0.1], out.quantiles[0.9]
    assert np.all(lo <= out.mean) and np.all(out.mean <= hi)
    rel = (hi - lo) / out.mean  # compare the same calendar month a year apart
    assert np.all(rel[:, 12] > rel[:, 0])


def test_predict_on_longer_history_reuses_params(
    shipped_monthly: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsauto.forecasting.learners import theta

    short = shipped_monthly.head(shipped_monthly.lengths - 24)
    learner = ThetaLearner().fit(short, TASK)
    before = learner.predict(short)

    def no_fit(*args, **kwargs):
        raise AssertionError("predict must not re-estimate")

    monkeypatch.setattr(theta, "nelder_mead_batch", no_fit)
    after = learner.predict(shipped_monthly)
    for i, state in enumerate(learner.states_):
        a, b = shipped_monthly.indptr[i], shipped_monthly.indptr[i + 1]
        y = shipped_monthly.y[a:b]
        if state.season is None:
            _, expected = by_hand(y, state.model, state.level0, state.alpha, state.theta, H)
        else:
            index = state.season.factors[np.arange(len(y) + H) % 12]
            adjusted = state.season.adjust(y, index[: len(y)])
            _, path = by_hand(adjusted, state.model, state.level0, state.alpha, state.theta, H)
            expected = state.season.restore(path, index[len(y) :])
        np.testing.assert_allclose(after.mean[i], expected, rtol=1e-9)
    assert not np.allclose(after.mean, before.mean)


def test_history_starting_later_still_forecasts(shipped_monthly: Panel) -> None:
    """A history without the training start re-derives the seasonal phase from itself."""
    learner = ThetaLearner().fit(shipped_monthly, TASK)
    full = learner.predict(shipped_monthly)
    bounds = zip(shipped_monthly.indptr[:-1], shipped_monthly.indptr[1:])
    rows = np.concatenate([np.arange(a + 5, b) for a, b in bounds])
    later = validate(shipped_monthly.to_frame().iloc[rows], target="y", time="month", ids="unique_id")
    np.testing.assert_allclose(learner.predict(later).mean, full.mean, rtol=0.05)


def test_bad_settings_are_rejected(shipped_monthly: Panel) -> None:
    with pytest.raises(ValueError, match="model"):
        ThetaLearner(model="XTM").fit(shipped_monthly, TASK)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="decomposition"):
        ThetaLearner(decomposition="stl").fit(shipped_monthly, TASK)  # type: ignore[arg-type]


def test_length_groups_bound_the_padding() -> None:
    from tsauto.forecasting.learners.theta import PADDED, PADDING, length_groups

    lengths = [67, 900, 150, 2584, 1000, 40, 1400, 2000]
    groups = length_groups(lengths)
    assert sorted(j for g in groups for j in g) == list(range(len(lengths)))
    for g in groups:
        longest, shortest = max(lengths[j] for j in g), min(lengths[j] for j in g)
        assert longest <= max(PADDING * shortest, PADDED)
    assert [[lengths[j] for j in g] for g in groups] == [[40, 67, 150], [900, 1000], [1400, 2000], [2584]]


def test_series_of_mixed_lengths_fit_as_alone(shipped_monthly: Panel) -> None:
    """Series estimated in length groups (padded within a group) get the same models as
    when estimated alone."""
    from tsauto.forecasting.learners import theta

    y = shipped_monthly.y[: shipped_monthly.indptr[1]]
    ys = [y, np.tile(y, 10), y[: len(y) // 2] * 3.0, np.tile(y, 3)]
    times = [np.arange(len(s)) for s in ys]
    assert len(theta.length_groups([len(s) for s in ys])) > 1
    together = theta.fit_many(ys, times, 1)
    for s, t, state in zip(ys, times, together):
        alone = fit_theta(s, t, 1)
        assert (state.model, state.alpha, state.theta) == (alone.model, alone.alpha, alone.theta)


def test_theta_fits_large_panels_in_this_process(aus_retail, monkeypatch) -> None:
    """Worker processes cost Theta more than they save (M1 monthly, 45,000 values: 0.9 s in
    process, 4.0 s on 2 workers): a budgeted refit estimated in process overran its deadline.
    Its 64,000 values of Australian retail fit here with 2 jobs and no process pool; ETS,
    slower per value, still spreads such a panel over workers."""
    from tsauto.forecasting.learners import local
    from tsauto.forecasting.learners.ets import ETSLearner

    panel = validate(aus_retail, target="Turnover", time="Month", ids=["Series ID"])
    assert panel.y.size > local.TOGETHER_IN_PROCESS
    assert ThetaLearner.thread_gain_on(panel.y.size) == 0.0 and ETSLearner.thread_gain_on(panel.y.size) is None

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(local, "Parallel", no_pool)
    fitted = ThetaLearner().fit(panel, Task(horizon=12, season=12, n_jobs=2))
    assert len(fitted.states_) == panel.n_series
