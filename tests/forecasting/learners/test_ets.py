"""ETSLearner: the fitted models against statsmodels' ETSModel (statsforecast's, R's recursion,
for a multiplicative season) and least squares by hand, AICc selection, M1 accuracy, long
seasons (Walmart), intervals and refit-free predict."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import shared_file

from tsauto import datasets
from tsauto.forecasting import metrics, registry
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.ets import (
    HUGE,
    ETSLearner,
    ETSSpec,
    _exact_or_worst,
    _Linear,
    _mul_season_criterion,
    candidate_specs,
    fit_ets,
    fit_spec,
    forecast_ets,
    forecast_state,
    mul_season_points,
    mul_season_start,
    restarted,
    select,
    smooth,
)
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate

H = 12
TASK = Task(horizon=H, season=12, seasons=(12,), quantiles=(0.1, 0.9), n_jobs=1)


def series(panel: Panel, name: str) -> np.ndarray:
    i = int(np.flatnonzero(panel.keys["unique_id"] == name)[0])
    return panel.y[panel.indptr[i] : panel.indptr[i + 1]]


def statsmodels_twin(y: np.ndarray, state):
    """statsmodels' ETSModel with the fitted parameters and initial states, smoothed."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    spec, (alpha, beta, gamma, phi) = state.spec, state.par
    model = ETSModel(
        pd.Series(y), error=spec.error, trend=spec.trend, damped_trend=spec.damped,
        seasonal=spec.seasonal, seasonal_periods=spec.period if spec.seasonal else None,
        initialization_method="known", initial_level=state.x0[0],
        initial_trend=state.x0[1] if spec.trend else None,
        initial_seasonal=state.x0[2:][::-1] if spec.seasonal else None,
    )
    params = [alpha] + [beta] * bool(spec.trend) + [gamma] * bool(spec.seasonal) + [phi] * spec.damped
    return model.smooth(params)


def statsforecast_twin(y: np.ndarray, state, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values and forecasts of statsforecast's compiled ETS recursion (R's) with the fitted
    parameters and initial states: the reference of a multiplicative season, which statsmodels'
    smoother updates otherwise (with ``y / l_t``). The forecasts carry the last states with the
    damped trend's ``phi + ... + phi^h`` (R's C forecast sums ``phi + phi + ... + phi^(h-1)``)."""
    sf_ets = pytest.importorskip("statsforecast.ets")
    spec, (alpha, beta, gamma, phi) = state.spec, state.par
    init = np.r_[state.x0[:1], state.x0[1:2] if spec.trend else [], state.x0[2:]]
    comp = spec.error[0].upper() + ("A" if spec.trend else "N") + spec.seasonal[0].upper()
    _, e, states, _ = sf_ets.pegelsresid_C(y, spec.m, init, comp[0], comp[1], comp[2], spec.damped,
                                           alpha, beta, gamma, phi, 3)
    last = states[-1]
    level, trend = last[0], last[1] if spec.trend else 0.0
    season = last[1 + bool(spec.trend):][::-1]  # oldest (the next step's phase) first
    steps = np.cumsum(phi ** np.arange(1, horizon + 1)) if spec.damped else np.arange(1, horizon + 1)
    return y / (1 + e), (level + steps * trend) * season[np.arange(horizon) % spec.m]


def twin_forecast(y: np.ndarray, state, horizon: int) -> np.ndarray:
    """The reference implementation's forecasts with the fitted parameters and states."""
    if state.spec.seasonal == "mul":
        return statsforecast_twin(y, state, horizon)[1]
    return statsmodels_twin(y, state).forecast(horizon)


def test_registry_builds_ets() -> None:
    assert isinstance(registry.create("ets"), ETSLearner)


@pytest.mark.parametrize("name", ["ANN", "AAdN", "MAN", "ANA", "AAdA", "MNA", "MAM", "MAdM"])
def test_forecasts_and_intervals_match_statsmodels(shipped_monthly: Panel, name: str) -> None:
    y = series(shipped_monthly, "airpassengers")
    error, trend, season = name[0], name[1], name[-1]
    spec = ETSSpec(
        "add" if error == "A" else "mul", None if trend == "N" else "add", "d" in name,
        {"N": None, "A": "add", "M": "mul"}[season], 12 if season != "N" else 1,
    )
    state = fit_spec(y, spec)
    yhat, _ = smooth(y, spec, state.par, state.x0)
    mean, quantiles = forecast_state(state, y, H, (0.1, 0.9))
    if spec.seasonal == "mul":  # R's recursion: statsforecast's compiled one
        fitted, forecast = statsforecast_twin(y, state, H)
        np.testing.assert_allclose(yhat, fitted, rtol=1e-9)
        np.testing.assert_allclose(mean, forecast, rtol=1e-9)
        assert np.all(quantiles[0.1] < mean) and np.all(mean < quantiles[0.9])
        return
    twin = statsmodels_twin(y, state)
    np.testing.assert_allclose(yhat, twin.fittedvalues, rtol=1e-9)
    np.testing.assert_allclose(mean, twin.forecast(H), rtol=1e-9)
    if spec.error == "add":  # exact Gaussian intervals, as statsmodels computes them
        pred = twin.get_prediction(start=len(y), end=len(y) + H - 1)
        frame = pred.summary_frame(alpha=0.2)
        scale = np.sqrt(state.sigma2 / twin.scale)  # R's variance: residual SS / (n - k - 1)
        np.testing.assert_allclose((quantiles[0.9] - mean) / scale, frame["pi_upper"] - frame["mean"], rtol=1e-6)
    else:
        assert np.all(quantiles[0.1] < mean) and np.all(mean < quantiles[0.9])


@pytest.mark.parametrize("name, form", [("airpassengers", "MNM"), ("airpassengers", "MAM"),
                                        ("wineind", "MNM"), ("wineind", "MAdM")])
def test_multiplicative_season_estimated_as_statsforecast_does(shipped_monthly: Panel, name: str, form: str) -> None:
    """A multiplicative season: smoothing parameters and initial states searched together from
    R's start (they were kept at the start before, which left ETS(M,*,M) behind on M1 monthly):
    the same fit, AICc and forecasts as statsforecast's ETS (R's algorithm) on real series."""
    sf_ets = pytest.importorskip("statsforecast.ets")
    y = series(shipped_monthly, name).astype(np.float64)
    spec = ETSSpec("mul", "add" if form[1] == "A" else None, "d" in form, "mul", 12)
    state = fit_spec(y, spec)
    peer = sf_ets.etsmodel(y, 12, "M", form[1], "M", spec.damped, np.nan, np.nan, np.nan, np.nan,
                           np.array([1e-4, 1e-4, 1e-4, 0.8]), np.array([0.9999, 0.9999, 0.9999, 0.98]),
                           "lik", 3, "both")
    assert state.aicc == pytest.approx(peer["aicc"], rel=1e-8)
    np.testing.assert_allclose(state.x0[2:], peer["par"][-12:], rtol=1e-6)  # the seasonal states
    fitted, forecast = statsforecast_twin(y, state, H)
    np.testing.assert_allclose(fitted, peer["fitted"], rtol=1e-8)
    np.testing.assert_allclose(forecast_state(state, y, H, ())[0], forecast, rtol=1e-9)


@pytest.mark.parametrize("name", ["AAdN", "MAN", "AAdA", "MNA"])
def test_initial_states_are_the_least_squares_solution(shipped_monthly: Panel, name: str) -> None:
    """Linear models: the initial states solve the (weighted, season-shrunk) least squares of
    the one-step errors, which we rebuild from statsmodels' smoother column by column."""
    y = series(shipped_monthly, "wineind")
    spec = ETSSpec("add" if name[0] == "A" else "mul", "add" if name[1] == "A" else None, "d" in name,
                   "add" if name[-1] == "A" else None, 12 if name[-1] == "A" else 1)
    par = np.array([0.3, 0.02 if spec.trend else 0.0, 0.1 if spec.seasonal else 0.0, 0.95 if spec.damped else 1.0])
    linear = _Linear(y, spec)
    _, x0 = linear.fit(par)
    n, p = len(y), 2 + spec.m
    base, _ = smooth(y, spec, par, np.zeros(p))
    X = np.column_stack([smooth(np.zeros(n), spec, par, col)[0] for col in linear.T.T])
    r = y - base
    if spec.error == "mul":
        X, r = X / y[:, None], r / y
    free = np.linalg.solve(X.T @ X + linear.ridge, X.T @ r + linear.ridge @ linear.prior)
    np.testing.assert_allclose(x0, linear.T @ free, rtol=1e-6, atol=1e-6 * np.abs(y).mean())


@pytest.mark.parametrize("name, form", [("wineind", "AAdA"), ("wineind", "MNA"), ("airpassengers", "MAM"),
                                        ("airpassengers", "MNM")])
def test_a_history_that_starts_later_keeps_the_season_at_its_phase(
    shipped_monthly: Panel, name: str, form: str
) -> None:
    """On the fitted series itself, the states come back as fitted (the season at phase 0, the
    level and trend the optimum for it); on the series from month 29 on, the fitted season is
    taken 5 months on (29 mod 12), the level and trend estimated there, and the forecasts stay
    within 1 % of those from the whole series, nearer than from the fitted states as they are."""
    y = series(shipped_monthly, name).astype(np.float64)
    spec = ETSSpec("add" if form[0] == "A" else "mul", "add" if form[1] == "A" else None, "d" in form,
                   "add" if form[-1] == "A" else "mul", 12)
    state = fit_spec(y, spec)
    times = np.arange(len(y))
    same = restarted(state, y, times)
    np.testing.assert_array_equal(same.x0[2:], state.x0[2:])
    np.testing.assert_allclose(same.x0[:2], state.x0[:2], rtol=1e-6 if form[-1] == "A" else 1e-2)  # NM's tolerance
    later = restarted(state, y[29:], times[29:])
    np.testing.assert_array_equal(later.x0[2:], np.roll(state.x0[2:], 29 % 12))
    whole = forecast_state(state, y, H, ())[0]
    gap = np.abs(forecast_state(later, y[29:], H, ())[0] / whole - 1).max()
    as_fitted = np.abs(forecast_state(state, y[29:], H, ())[0] / whole - 1).max()  # 0.9 % to 62 % here
    assert gap < min(0.01, as_fitted), (gap, as_fitted)


def test_selection_is_the_lowest_aicc(shipped_monthly: Panel) -> None:
    y = series(shipped_monthly, "elec_equip")
    best = select(y, 12)
    upper = np.array([0.9999, 0.9999, 0.9999, 0.98])
    aiccs = {s.short_name: fit_spec(y, s, upper).aicc for s in candidate_specs(y, 12)}
    assert best.spec.short_name == min(aiccs, key=aiccs.get)
    assert best.aicc == pytest.approx(min(aiccs.values()))


def test_airpassengers_gets_a_multiplicative_season(shipped_monthly: Panel) -> None:
    state = select(series(shipped_monthly, "airpassengers"), 12)
    assert (state.spec.error, state.spec.seasonal, state.spec.period) == ("mul", "mul", 12)


def test_candidates_follow_the_data(shipped_monthly: Panel) -> None:
    y = series(shipped_monthly, "airpassengers")
    full = candidate_specs(y, 12)
    assert len(full) == 15
    assert not any(s.error == "add" and s.seasonal == "mul" for s in full)
    assert all(s.seasonal is None for s in candidate_specs(y[:12], 12))  # not longer than a season
    assert all(s.seasonal is None for s in candidate_specs(y, 52))  # long seasons: adjusted first
    centred = candidate_specs(y - y.mean(), 12)  # not positive: additive only
    assert {s.error for s in centred} == {"add"} and all(s.seasonal != "mul" for s in centred)


def test_beats_naive_on_m1(m1_sample) -> None:
    ets_mase, naive_mase = [], []
    for y, actual in m1_sample("QUARTERLY", 30):
        times = np.arange(len(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean, _ = forecast_ets(fit_ets(y, times, 4), y, times, len(actual), ())
        ets_mase.append(metrics.mase(actual, mean, y, 4))
        naive_mase.append(metrics.mase(actual, np.repeat(y[-1], len(actual)), y, 4))
    assert np.mean(ets_mase) < 0.9 * np.mean(naive_mase)


def test_long_season_is_adjusted_out(walmart_small) -> None:
    """Weekly sales with m=52: ETS on the seasonally adjusted series, reseasonalised; far more
    accurate than ETS ignoring the season (Walmart store 1, departments 1-10)."""
    panel = validate(walmart_small[["Store", "Dept", "Date", "Weekly_Sales"]], target="Weekly_Sales",
                     time="Date", ids=["Store", "Dept"])
    cut = int(panel.lengths.min()) - 8
    train = panel.head(np.full(panel.n_series, cut))
    learner = ETSLearner().fit(train, Task(horizon=8, season=52, n_jobs=1))
    assert all(s.season is not None and s.spec.seasonal is None for s in learner.states_)
    truth = np.stack([panel.y[a + cut : a + cut + 8] for a in panel.indptr[:-1]])
    ours = learner.predict(train).mean
    plain = ETSLearner().fit(train, Task(horizon=8, season=1, n_jobs=1)).predict(train).mean
    assert np.mean(np.abs(ours - truth)) < 0.6 * np.mean(np.abs(plain - truth))
    state = learner.states_[0]
    y, times = train.y[: train.indptr[1]], train.times[: train.indptr[1]]
    inside, ahead = state.season.along(y, times, 8)
    inner, _ = forecast_state(state, state.season.adjust(y, inside), 8, ())
    np.testing.assert_allclose(ours[0], state.season.restore(inner, ahead), rtol=1e-10)


def test_a_long_season_near_zero_in_some_weeks_is_taken_out_additively() -> None:
    """Walmart Store 3 Dept 18 (sales of 0.1 in summer weeks, 24,076 at Christmas): the
    multiplicative STL season had indices from 0.003 to 112, and ETS on the adjusted series
    forecast 303,442 (12 times the history's maximum), its 90 % quantile 4.8e10."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    w = datasets.load_walmart()
    s = w[(w["Store"] == 3) & (w["Dept"] == 18) & (w["Date"] <= "2012-03-02")]
    panel = validate(s[["Date", "Weekly_Sales"]], target="Weekly_Sales", time="Date")
    learner = ETSLearner().fit(panel, Task(horizon=8, season=52, quantiles=(0.1, 0.9), n_jobs=1))
    assert learner.states_[0].season.method == "additive"
    out = learner.predict(panel)
    top = s["Weekly_Sales"].max()
    assert np.all(np.abs(out.mean) < top) and np.all(np.abs(out.quantiles[0.9]) < 2 * top)


def test_quantiles_ordered_and_widening(shipped_monthly: Panel) -> None:
    out = ETSLearner().fit(shipped_monthly, TASK).predict(shipped_monthly)
    assert np.all(np.isfinite(out.mean))
    assert np.all(out.quantiles[0.1] <= out.mean) and np.all(out.mean <= out.quantiles[0.9])
    width = (out.quantiles[0.9] - out.quantiles[0.1]) / out.mean
    assert np.all(width[:, -1] > width[:, 0])


def test_predict_on_longer_history_reuses_params(
    shipped_monthly: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsauto.forecasting.learners import ets

    short = shipped_monthly.head(shipped_monthly.lengths - 24)
    learner = ETSLearner().fit(short, TASK)
    before = learner.predict(short)

    def no_fit(*args, **kwargs):
        raise AssertionError("predict must not re-estimate")

    monkeypatch.setattr(ets, "nelder_mead", no_fit)
    after = learner.predict(shipped_monthly)
    for i, state in enumerate(learner.states_):
        y = shipped_monthly.y[shipped_monthly.indptr[i] : shipped_monthly.indptr[i + 1]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = twin_forecast(y, state, H)
        np.testing.assert_allclose(after.mean[i], expected, rtol=1e-9)
    assert not np.allclose(after.mean, before.mean)


def test_short_and_constant_series(shipped_monthly: Panel) -> None:
    lengths = shipped_monthly.lengths.copy()
    lengths[0] = 3
    short = shipped_monthly.head(lengths)
    learner = ETSLearner().fit(short, TASK)
    assert list(learner.failures_["unique_id"]) == [shipped_monthly.keys["unique_id"].iloc[0]]
    assert np.all(np.isfinite(learner.predict(short).mean))
    flat = np.full(40, 7.0)
    mean, _ = forecast_ets(fit_ets(flat, np.arange(40), 12), flat, np.arange(40), 5, ())
    np.testing.assert_allclose(mean, 7.0)


def test_a_zero_seasonal_state_or_an_overflowing_fit_is_never_the_best_point() -> None:
    """A zero multiplicative seasonal state divides by zero: such a point is not taken, and a
    criterion that is NaN (an overflowed recursion) scores as the worst, not as an exact fit."""
    spec = ETSSpec("mul", None, False, "mul", 4)
    points = np.array([[0.3, 0.1, 100.0, 1.0, 1.5, 0.5], [0.3, 0.1, 100.0, 1.0, 1.0, 0.0]])
    _, x0, ok = mul_season_points(spec, points)
    assert ok.tolist() == [True, False] and x0[1, 2:].min() == 0.0
    y = np.array([90.0, 120.0, 60.0, 130.0, 95.0, 118.0, 64.0, 128.0])
    criterion = _mul_season_criterion(y, spec)
    assert criterion(points[0].tolist()) < HUGE and criterion(points[1].tolist()) == np.inf
    assert _exact_or_worst(float("nan")) == HUGE and _exact_or_worst(0.0) == -HUGE


@pytest.mark.parametrize("form", ["MNM", "MAM", "MAdM"])
def test_compiled_multiplicative_season_criterion_is_the_python_recursion(m1_sample, form: str) -> None:
    """statsmodels' compiled Holt-Winters loop (R's recursion in error-correction form) gives the
    criterion of the step-by-step Python floats to rounding, at R's start point and around it,
    and the same infinity where a seasonal state is not positive."""
    spec = ETSSpec("mul", "add" if "A" in form else None, "d" in form, "mul", 12)
    rng = np.random.default_rng(0)
    for y, _ in m1_sample("MONTHLY", 6):
        if np.min(y) <= 0:
            continue
        start, _, _ = mul_season_start(y, spec, np.array([0.9999, 0.9999, 0.9999, 0.98]))
        compiled, python = _mul_season_criterion(y, spec), _mul_season_criterion(y, spec, compiled=False)
        points = [start] + [start * (1 + 0.01 * rng.normal(size=len(start))) for _ in range(5)]
        for x in points:
            a, b = compiled(x.tolist()), python(x.tolist())
            assert a == pytest.approx(b, rel=1e-10, abs=1e-9)
        bad = start.copy()
        bad[-1] = -1.0  # a negative seasonal state
        assert compiled(bad.tolist()) == python(bad.tolist()) == np.inf


def test_compiled_criterion_scores_a_zero_prediction_as_the_worst() -> None:
    """A one-step prediction of zero divides by zero: the Python floats raise (HUGE), the
    compiled loop's infinite or NaN criterion is HUGE too, never the best point."""
    spec = ETSSpec("mul", "add", False, "mul", 4)
    y = np.array([90.0, 120.0, 60.0, 130.0, 95.0, 118.0, 64.0, 128.0, 92.0, 121.0])
    point = [0.3, 0.1, 0.2, 0.0, 0.0, 1.5, 0.5, 1.0]  # level and trend 0: every prediction 0
    compiled, python = _mul_season_criterion(y, spec), _mul_season_criterion(y, spec, compiled=False)
    with np.errstate(all="ignore"):  # as every caller of the criterion
        assert compiled(point) == python(point) == HUGE


def test_without_statsmodels_compiled_loops_the_python_recursion_is_used(monkeypatch) -> None:
    """The compiled loops are a private module of statsmodels: where a version lacks them, the
    criterion is the step-by-step Python one, not an ImportError."""
    from tsauto.forecasting.learners import ets

    spec = ETSSpec("mul", "add", False, "mul", 4)
    y = np.array([90.0, 120.0, 60.0, 130.0, 95.0, 118.0, 64.0, 128.0, 92.0, 121.0])
    point = [0.3, 0.1, 0.2, 100.0, 1.0, 1.1, 0.6, 1.2]
    assert ets.compiled_loops()  # this environment's statsmodels has them
    monkeypatch.setattr(ets, "compiled_loops", lambda: False)
    monkeypatch.setattr(ets, "MulSeasonLoop", None)  # never made
    assert _mul_season_criterion(y, spec)(point) == _mul_season_criterion(y, spec, compiled=False)(point)
