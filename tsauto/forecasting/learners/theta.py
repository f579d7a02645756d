"""The Theta method per series (Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah 2003).

Fit, as statsmodels' ``ThetaModel(deseasonalize=True, use_test=True, method="auto")`` and the
M4 benchmark do it: when ``task.season > 1`` and the series holds two full seasons, test the
autocorrelation at the seasonal lag (90% level); if seasonal, take the classical decomposition's
seasonal indices (multiplicative for positive series unless an index is non-positive, else
additive) and deseasonalise; estimate the drift ``b0`` (OLS slope on time) and the SES ``alpha``
with statsmodels (``ThetaModel(...).fit()``, its default two-step estimator).

The fitted state is ``alpha``, ``b0``, the seasonal indices and the series' first time stamp.
``predict`` applies them to the given history with numpy (statsmodels cannot take fixed Theta
parameters): deseasonalise with the stored indices (aligned by time; a history that starts
after the training series gets indices recomputed from itself), SES with the fixed ``alpha``
(started at the first value, as statsmodels does), plus the Theta drift
``(1 - 1/theta) b0 (h - 1 + 1/alpha - (1 - alpha)^n / alpha)``, reseasonalised. On the training
history this reproduces ``ThetaModelResults.forecast`` exactly.

Intervals: normal, with the h-step variance of SES / IMA(1,1),
``sigma2 (1 + (h - 1) alpha^2)`` (the ETS(A,N,N) formula), ``sigma2`` the mean squared one-step
error of the fixed-parameter filter on the deseasonalised history; for a multiplicative season
the bounds are scaled by the seasonal index. This departs from statsmodels'
``prediction_intervals``, which refits an ARIMA(0,1,1) on the *raw* (still seasonal) series for
``sigma2`` (a re-estimation at every predict, and intervals inflated by the season) and uses
``1 + (alpha - 1)^2`` in place of ``alpha^2``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm

from tsauto.forecasting.panel import Panel
from tsauto.forecasting.learners.base import LearnerTags, Task
from tsauto.forecasting.learners.local import LocalLearner, SeriesData

SEASONALITY_CRITICAL = 2.705543454095404  # chi2(1) 90% quantile, as in statsmodels / M4


@dataclass(frozen=True)
class ThetaState:
    """Fitted Theta parameters of one series."""

    alpha: float
    b0: float
    method: str | None  # "mul", "add", or None when not deseasonalised
    factors: np.ndarray  # seasonal indices of one cycle, from the first observation
    first_time: np.generic  # time stamp of the first training observation


def is_seasonal(y: np.ndarray, period: int) -> bool:
    """The M4 / statsmodels test: is the autocorrelation at lag ``period`` significant?"""
    from statsmodels.tsa.stattools import acf

    if period <= 1 or len(y) < 2 * period:
        return False
    rho = acf(y, nlags=period, fft=True)
    denom = np.sum(rho[:-1] ** 2)
    return bool(denom > 0 and len(y) * rho[-1] ** 2 / denom > SEASONALITY_CRITICAL)


def seasonal_factors(y: np.ndarray, period: int, method: str) -> tuple[np.ndarray, str]:
    """Classical-decomposition seasonal indices of one cycle, and the method used."""
    from statsmodels.tsa.seasonal import seasonal_decompose

    seasonal = seasonal_decompose(y, model=method, period=period).seasonal
    if method == "mul" and seasonal.min() <= 0:
        method = "add"
        seasonal = seasonal_decompose(y, model="add", period=period).seasonal
    return np.asarray(seasonal[:period], dtype=np.float64), method


def deseasonalise(y: np.ndarray, season: np.ndarray, method: str | None) -> np.ndarray:
    """``y`` without its seasonal component (``season`` aligned with ``y``)."""
    if method == "mul":
        return y / season
    if method == "add":
        return y - season
    return y


def reseasonalise(y: np.ndarray, season: np.ndarray, method: str | None) -> np.ndarray:
    """Inverse of :func:`deseasonalise`."""
    if method == "mul":
        return y * season
    if method == "add":
        return y + season
    return y


def ses_levels(y: np.ndarray, alpha: float) -> np.ndarray:
    """SES levels after each observation, started at ``y[0]`` (statsmodels' Theta start)."""
    return lfilter([alpha], [1.0, alpha - 1.0], y, zi=[(1.0 - alpha) * y[0]])[0]


def fit_theta(y: np.ndarray, times: np.ndarray, period: int, deseasonalize: bool) -> ThetaState:
    """Estimate Theta's parameters on one series (see the module docstring)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    method: str | None = None
    factors = np.ones(1)
    if deseasonalize and is_seasonal(y, period):
        factors, method = seasonal_factors(y, period, "mul" if y.min() > 0 else "add")
    yd = deseasonalise(y, _aligned(factors, len(y), 0), method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = ThetaModel(yd, deseasonalize=False).fit().params
    return ThetaState(float(params["alpha"]), float(params["b0"]), method, factors, times[0])


def forecast_theta(
    state: ThetaState,
    y: np.ndarray,
    times: np.ndarray,
    horizon: int,
    theta: float,
    quantiles: tuple[float, ...],
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Theta forecasts after ``y`` with the fixed parameters of ``state``."""
    n, m = len(y), len(state.factors)
    factors, offset = state.factors, 0
    if state.method is not None:
        if times[0] <= state.first_time:
            offset = int(np.searchsorted(times, state.first_time))
        else:  # history starts after the training series: phase unknown, re-derive indices
            factors, _ = seasonal_factors(y, m, state.method)
    season_in = _aligned(factors, n, offset)
    season_out = _aligned(factors, n + horizon, offset)[n:]
    yd = deseasonalise(y, season_in, state.method)
    alpha, weight = state.alpha, 1.0 - 1.0 / theta
    level = ses_levels(yd, alpha)
    steps = np.arange(horizon, dtype=np.float64)
    drift = steps + (1.0 / alpha - (1.0 - alpha) ** n / alpha if alpha > 0 else 0.0)
    mean_d = level[-1] + weight * state.b0 * drift
    t = np.arange(1, n)  # one-step fits of observations 1..n-1 from t observations
    fit_drift = (1.0 - (1.0 - alpha) ** t) / alpha if alpha > 0 else np.zeros(n - 1)
    resid = yd[1:] - (level[:-1] + weight * state.b0 * fit_drift)
    sigma = np.sqrt(np.mean(resid**2) * (1.0 + steps * alpha**2)) if n > 1 else np.zeros(horizon)
    mean = reseasonalise(mean_d, season_out, state.method)
    out = {}
    for q in quantiles:
        bound = mean_d + norm.ppf(q) * sigma
        out[q] = reseasonalise(bound, season_out, state.method)
    return mean, out


def _aligned(factors: np.ndarray, n: int, offset: int) -> np.ndarray:
    """Seasonal index of positions ``0..n-1`` when position ``offset`` has phase 0."""
    return factors[(np.arange(n) - offset) % len(factors)]


class ThetaLearner(LocalLearner):
    """The standard Theta method per series, deseasonalised when the season tests significant.

    Parameters
    ----------
    theta:
        Weight of the drift line (``2``: the classic Theta method, SES with half the drift).
    deseasonalize:
        Whether to test for and remove the season ``task.season``.
    series_time_limit:
        Seconds per series (see :class:`~tsauto.forecasting.learners.local.LocalLearner`).
    """

    name = "theta"
    tags = LearnerTags(kind="local", native_quantiles=True)

    @staticmethod
    def search_space(trial) -> dict:
        """Theta line weight: 2 is the classic method; 1.5 and 3 trust the trend less/more."""
        return {"theta": trial.suggest_categorical("theta", [1.5, 2.0, 3.0])}

    def __init__(
        self,
        theta: float = 2.0,
        deseasonalize: bool = True,
        series_time_limit: float | None = 60.0,
    ):
        self.theta = theta
        self.deseasonalize = deseasonalize
        self.series_time_limit = series_time_limit

    def min_length(self, task: Task) -> int:
        return 3

    def _fit(self, panel: Panel, task: Task) -> None:
        if not self.theta >= 1:
            raise ValueError(f"theta={self.theta!r}: the Theta method needs theta >= 1.")
        super()._fit(panel, task)

    def _fit_one(self, series: SeriesData, task: Task) -> ThetaState:
        return fit_theta(series.y, series.times, task.season, self.deseasonalize)

    def _forecast_one(
        self, state: ThetaState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        return forecast_theta(
            state, series.y, series.times, task.horizon, self.theta, task.quantiles
        )
