"""Seasonal ARIMA per series, orders chosen by the Hyndman-Khandakar stepwise search.

The search of R's ``forecast::auto.arima`` and statsforecast's ``AutoARIMA``:

* ``D`` by the seasonal-strength rule (strength of R's ``mstl`` STL > 0.64 → one seasonal
  difference), ``d`` by repeated KPSS tests (5%, ``floor(3 sqrt(n) / 13)`` lags) on the
  seasonally differenced series;
* a constant (a mean when ``d + D = 0``, a drift when ``d + D = 1``) is a candidate; never with
  two differences;
* start from ARIMA(2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0), (0,d,1)(0,D,1) and the model
  without constant, then move to the first neighbour (one order ±1, or p and q, or P and Q
  together, or the constant toggled) that lowers the AICc, until none does (at most 94 models);
* each candidate is estimated by conditional sum of squares (scipy ``lfilter``: fast at any
  length) when ``approximation`` holds (R's rule: more than 150 observations or a season above
  12), else by exact maximum likelihood (statsmodels ``SARIMAX``, differenced series, variance
  concentrated out, started from the CSS estimate); the chosen model is refitted by maximum
  likelihood, and when that fit fails the search runs again by exact maximum likelihood (R's
  "final model is lousy" rule); the next best is taken if the chosen one still fails;
* a model with an AR root inside 1.01 (R's margin) or a non-invertible MA root is rejected: R
  also rejects MA roots inside 1.01, which discards the MA(1) near -1 of a series differenced
  twice (see ``MA_ROOT_MIN``).

Long seasons (``task.season > 24``, e.g. 52 for weekly data): a seasonal ARIMA would need 52+
states per season lag, so when the 90% autocorrelation test finds the season, it enters as
``K`` Fourier pairs (dynamic harmonic regression, Hyndman & Athanasopoulos, FPP3 §10.5) with
``K`` chosen by the AICc of the harmonic regression, and the errors get a non-seasonal ARIMA.

Known-future covariates (``series.exog``) enter as regressors with ARIMA errors (the search runs
on the series less their least-squares fit; the final fit estimates them jointly); covariates
constant over a series are left out for it.

The fitted state is small: the orders, the constant, the parameters, the covariates used and
the Fourier terms' period, count and phase. Forecasting rebuilds the SARIMAX model on the history
it is given, runs the Kalman filter with the fitted parameters (no re-estimation) and returns
the Gaussian forecast distribution: quantile ``q`` is ``mean + Φ⁻¹(q)·se``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize
from scipy.signal import lfilter
from scipy.stats import norm

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.base import LearnerTags, Task
from tsauto.forecasting.learners.decomposition import is_seasonal
from tsauto.forecasting.learners.local import LocalLearner, SeriesData, timed_out

MIN_OBS = 4  # shortest series an ARIMA is fitted to; shorter ones fall back to seasonal naive
MAX_SEASON = 24  # longer seasons enter as Fourier terms
MAX_MODELS = 94
AR_ROOT_MIN = 1.01  # R's margin from the unit circle for AR roots (stationary, not explosive)
MA_ROOT_MIN = 1.0  # MA roots: invertible; R's 1.01 margin rejected the MA(1) near -1 of series
# differenced twice, leaving a pure AR that extrapolates a quadratic trend. Chosen on the last
# horizon of the training parts (MASE): M4 Weekly 2.700 -> 2.470, M1 yearly 2.610 -> 2.601,
# M1 quarterly 1.878 -> 1.858.
_SEAS_STRENGTH = 0.64  # threshold of the seasonal-strength rule (Wang, Smith & Hyndman 2006)
_STL_KWARGS = {"seasonal": 11, "seasonal_deg": 0}  # R's mstl (and statsforecast's): the
# seasonal window 7 + 4 and a locally constant season. statsmodels' default (window 7, degree 1)
# gave a flexible season, a higher strength and D = 1 on 395 of 617 M1 monthly series (R: 250).
# Last horizon of the training parts (MASE): M1 monthly 1.475 -> 1.432 (statsforecast 1.425),
# M1 quarterly 1.878 -> 1.876.
_SARIMAX_KWARGS = {"simple_differencing": True, "concentrate_scale": True}
Criterion = Literal["aicc", "aic", "bic"]


@dataclass(frozen=True)
class Spec:
    """ARIMA(p,d,q)(P,D,Q)[m] with or without a constant."""

    p: int
    d: int
    q: int
    P: int
    D: int
    Q: int
    m: int
    constant: bool

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.p, self.d, self.q)

    @property
    def seasonal_order(self) -> tuple[int, int, int, int]:
        return (self.P, self.D, self.Q, self.m) if self.m > 1 else (0, 0, 0, 0)


@dataclass(frozen=True)
class ArimaState:
    """A fitted ARIMA of one series: specification and parameters, no data."""

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    trend: str | None
    params: np.ndarray
    exog_used: np.ndarray | None  # bool mask over the known-future covariates (None: none used)
    fourier: tuple[int, int, Any] | None = None  # (period, pairs, first time) of Fourier terms


# -- differencing ------------------------------------------------------------------------------


def ndiffs(y: np.ndarray, max_d: int = 2) -> int:
    """Differences needed by repeated KPSS level-stationarity tests at 5% (R's ``ndiffs``)."""
    from statsmodels.tsa.stattools import kpss

    d = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while d < max_d and len(y) > 3 and np.ptp(y) > 0:
            if kpss(y, "c", nlags=int(3 * math.sqrt(len(y)) / 13))[1] >= 0.05:
                break
            y, d = np.diff(y), d + 1
    return d


def seasonal_strength(y: np.ndarray, m: int) -> float:
    """Strength of the period-``m`` seasonality, 1 - var(remainder) / var(season + remainder)."""
    from statsmodels.tsa.seasonal import STL

    fit = STL(y, period=m, **_STL_KWARGS).fit()
    detrended = fit.seasonal + fit.resid
    var = float(np.var(detrended))
    return 0.0 if var == 0 else max(0.0, 1.0 - float(np.var(fit.resid)) / var)


def _difference(y: np.ndarray, d: int, D: int, m: int) -> np.ndarray:
    for _ in range(D):
        y = y[m:] - y[:-m]
    return np.diff(y, n=d, axis=0) if d else y


# -- estimation --------------------------------------------------------------------------------


def _factors(spec: Spec, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The non-seasonal and seasonal AR and MA lag polynomials (``1 - phi B ...``,
    ``1 - Phi B^m ...``, ``1 + theta B ...``, ``1 + Theta B^m ...``)."""
    p, q, P, Q, m = spec.p, spec.q, spec.P, spec.Q, spec.m
    sar, sma = np.zeros(P * m + 1), np.zeros(Q * m + 1)
    sar[0] = sma[0] = 1.0
    if P:
        sar[m::m] = -coef[p + q : p + q + P]
    if Q:
        sma[m::m] = coef[p + q + P : p + q + P + Q]
    return np.r_[1.0, -coef[:p]], sar, np.r_[1.0, coef[p : p + q]], sma


def _polynomials(spec: Spec, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full AR and MA lag polynomials, the products of :func:`_factors`."""
    ar, sar, ma, sma = _factors(spec, coef)
    return np.convolve(ar, sar), np.convolve(ma, sma)


def _css(w: np.ndarray, spec: Spec, coef: np.ndarray) -> tuple[float, int]:
    """Conditional sum of squares of ``w`` (differenced, regressors removed) and its count."""
    ar, ma = _polynomials(spec, coef)
    mean = coef[-1] if spec.constant else 0.0
    start = len(ar) - 1
    v = np.convolve(w - mean, ar)[start : len(w)]
    e = lfilter([1.0], ma, v)
    return float(e @ e), len(v)


def _css_objective(w: np.ndarray, spec: Spec):
    """``coef -> (0.5 log(CSS / count), its gradient)`` for ``w``: the gradient exact, one
    filter for every coefficient (``ma(B) de = dv - (d ma)(B) e``), not finite differences."""
    p, q, P, Q, m = spec.p, spec.q, spec.P, spec.Q, spec.m
    k = _n_coef(spec)

    def objective(coef: np.ndarray) -> tuple[float, np.ndarray]:
        ar_ns, sar, ma_ns, sma = _factors(spec, coef)
        ar, ma = np.convolve(ar_ns, sar), np.convolve(ma_ns, sma)
        u = w - coef[-1] if spec.constant else w
        start, n = len(ar) - 1, len(w)
        with np.errstate(all="ignore"):
            v = np.convolve(u, ar)[start:n]
            e = lfilter([1.0], ma, v)
            sse = float(e @ e)
        if not (sse > 0 and np.isfinite(sse)):
            return 1e10, np.zeros(k)

        def shifted(poly: np.ndarray, by: int, length: int) -> np.ndarray:
            out = np.zeros(length)
            out[by : by + len(poly)] = poly
            return out

        rows = [-np.convolve(u, shifted(sar, i, len(ar)))[start:n] for i in range(1, p + 1)]
        rows += [-np.convolve(e, shifted(sma, j, len(ma)))[: len(e)] for j in range(1, q + 1)]
        rows += [-np.convolve(u, shifted(ar_ns, i * m, len(ar)))[start:n] for i in range(1, P + 1)]
        rows += [-np.convolve(e, shifted(ma_ns, j * m, len(ma)))[: len(e)] for j in range(1, Q + 1)]
        if spec.constant:
            rows.append(np.full(len(v), -ar.sum()))
        with np.errstate(all="ignore"):
            de = lfilter([1.0], ma, np.array(rows), axis=-1)
            grad = (de @ e) / sse
        if not np.all(np.isfinite(grad)):
            return 1e10, np.zeros(k)
        return 0.5 * math.log(sse / len(v)), grad

    return objective


def _roots_ok(spec: Spec, coef: np.ndarray) -> bool:
    """R's check: every AR root outside ``AR_ROOT_MIN`` and every MA root outside
    ``MA_ROOT_MIN`` (and no non-finite coefficient)."""
    if not np.all(np.isfinite(coef)):
        return False
    for poly, least in zip(_polynomials(spec, coef), (AR_ROOT_MIN, MA_ROOT_MIN)):
        poly = np.trim_zeros(poly, "b")
        if len(poly) > 1 and np.min(np.abs(np.polynomial.polynomial.polyroots(poly))) < least:
            return False
    return True


def _n_coef(spec: Spec) -> int:
    return spec.p + spec.q + spec.P + spec.Q + spec.constant


def fit_css(w: np.ndarray, spec: Spec, criterion: Criterion) -> tuple[float, np.ndarray]:
    """CSS estimate of ``spec`` on the differenced ``w``: (information criterion, coefficients)."""
    k = _n_coef(spec)
    x0 = np.zeros(k)
    if spec.constant:
        x0[-1] = np.mean(w)
    if len(w) - spec.p - spec.P * spec.m <= k + 1:
        return np.inf, x0

    if k:
        objective = _css_objective(w, spec)
        coef = minimize(objective, x0, jac=True, method="BFGS", options={"maxiter": 100, "gtol": 1e-6}).x
    else:
        coef = x0
    sse, count = _css(w, spec, coef)
    if not _roots_ok(spec, coef) or not sse > 0:
        return np.inf, coef
    # R: every candidate is scored on the same count, the differenced length
    return _criterion(len(w) * math.log(sse / count), k + 1, len(w), criterion), coef


def _criterion(minus2ll: float, npar: int, nobs: int, criterion: Criterion) -> float:
    aic = minus2ll + 2 * npar
    if criterion == "aic":
        return aic
    if criterion == "bic":
        return aic + npar * (math.log(nobs) - 2)
    return aic + 2 * npar * (npar + 1) / (nobs - npar - 1) if nobs - npar - 1 > 0 else np.inf


def fit_ml(y: np.ndarray, exog: np.ndarray | None, spec: Spec, coef: np.ndarray, criterion: Criterion):
    """Exact maximum likelihood of ``spec`` from the CSS ``coef``: (criterion, SARIMAX results)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(
        y, exog=exog, order=spec.order, seasonal_order=spec.seasonal_order,
        trend="c" if spec.constant else None, **_SARIMAX_KWARGS,
    )
    ar, _ = _polynomials(spec, coef)
    n_exog = 0 if exog is None else exog.shape[1]
    start = np.r_[[coef[-1] * ar.sum()] if spec.constant else [], np.zeros(n_exog), coef[: _n_coef(spec) - spec.constant]]
    if exog is not None:  # regressors with ARIMA errors: start them at least squares
        start[spec.constant : spec.constant + n_exog] = np.linalg.lstsq(
            _difference(exog, spec.d, spec.D, spec.m), _difference(y, spec.d, spec.D, spec.m), rcond=None
        )[0]
    if not _roots_ok(spec, coef):
        start = None
    res = model.fit(start_params=start, method="lbfgs", maxiter=50, disp=False)
    arma = res.params[spec.constant + n_exog :]
    if not np.isfinite(res.llf) or not _roots_ok(replace(spec, constant=False), arma):
        return np.inf, res
    nobs = len(y) - spec.d - spec.D * spec.m
    return _criterion(-2 * res.llf, len(res.params) + 1, nobs, criterion), res


def _fit_best(y: np.ndarray, exog: np.ndarray | None, best: tuple, criterion: Criterion):
    """The best candidate of a CSS search, ``(criterion, spec, coef)``, fitted by maximum
    likelihood: ``(spec, results)``, or None where that fails."""
    ic, spec, coef = best
    if not np.isfinite(ic):
        return None
    try:
        ic_ml, res = fit_ml(y, exog, spec, coef, criterion)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return (spec, res) if np.isfinite(ic_ml) else None


# -- the search --------------------------------------------------------------------------------


def _neighbours(s: Spec, limits: tuple[int, int, int, int]) -> list[Spec]:
    """The stepwise moves, in R's order."""
    max_p, max_q, max_P, max_Q = limits
    moves = [(0, 0, -1, 0), (0, 0, 0, -1), (0, 0, 1, 0), (0, 0, 0, 1), (0, 0, -1, -1),
             (0, 0, -1, 1), (0, 0, 1, -1), (0, 0, 1, 1), (-1, 0, 0, 0), (0, -1, 0, 0),
             (1, 0, 0, 0), (0, 1, 0, 0), (-1, -1, 0, 0), (-1, 1, 0, 0), (1, -1, 0, 0), (1, 1, 0, 0)]
    out = []
    for dp, dq, dP, dQ in moves:
        p, q, P, Q = s.p + dp, s.q + dq, s.P + dP, s.Q + dQ
        if 0 <= p <= max_p and 0 <= q <= max_q and 0 <= P <= max_P and 0 <= Q <= max_Q:
            out.append(replace(s, p=p, q=q, P=P, Q=Q))
    return out + [replace(s, constant=not s.constant)]


def stepwise(fit, d: int, D: int, m: int, constant: bool, limits, n: int, deadline: float) -> list:
    """Hyndman-Khandakar search; ``fit(spec) -> (criterion, estimate)``. Returns every
    (criterion, spec, estimate) tried, best first."""
    import time

    max_p, max_q, max_P, max_Q = limits
    small = n < 10
    start_p, start_q = min(1 if small else 2, max_p), min(1 if small else 2, max_q)
    start_P, start_Q = (0, 0) if small or m == 1 else (min(1, max_P), min(1, max_Q))
    tried: dict[Spec, tuple] = {}

    def attempt(spec: Spec) -> None:
        if spec not in tried and len(tried) < MAX_MODELS:
            tried[spec] = fit(spec)

    def best_ic() -> float:
        return min(v[0] for v in tried.values())

    seeds = [Spec(start_p, d, start_q, start_P, D, start_Q, m, constant), Spec(0, d, 0, 0, D, 0, m, constant)]
    if max_p or max_P:
        seeds.append(Spec(int(max_p > 0), d, 0, int(m > 1 and max_P > 0), D, 0, m, constant))
    if max_q or max_Q:
        seeds.append(Spec(0, d, int(max_q > 0), 0, D, int(m > 1 and max_Q > 0), m, constant))
    if constant:
        seeds.append(Spec(0, d, 0, 0, D, 0, m, False))
    for spec in seeds:
        attempt(spec)
    current = min(tried, key=lambda s: tried[s][0])
    moved = True
    while moved and len(tried) < MAX_MODELS and time.monotonic() < deadline:
        moved = False
        for spec in _neighbours(current, limits):
            if (spec.constant and not constant) or spec in tried:
                continue
            before = best_ic()
            attempt(spec)
            if tried[spec][0] < before:
                current, moved = spec, True
                break
    return sorted(((v[0], s, v[1]) for s, v in tried.items()), key=lambda r: r[0])


def fourier(t: np.ndarray, period: int, pairs: int) -> np.ndarray:
    """``sin`` and ``cos`` of ``2 pi k t / period`` for ``k = 1..pairs`` (columns)."""
    k = np.arange(1, pairs + 1)
    angle = 2 * np.pi * np.outer(t, k) / period
    cols = np.column_stack([np.sin(angle), np.cos(angle)])
    keep = ~np.all(np.abs(cols) < 1e-9, axis=0)  # sin at k = period / 2 is zero
    return cols[:, keep]


def _fourier_pairs(y: np.ndarray, period: int) -> int:
    """Fourier pairs (1..min(10, period/2)) of lowest AICc in a regression on time and them."""
    n, t = len(y), np.arange(len(y), dtype=np.float64)
    best, best_k = np.inf, 1
    for k in range(1, min(10, period // 2) + 1):
        X = np.column_stack([np.ones(n), t, fourier(t, period, k)])
        if n - X.shape[1] - 2 <= 0:
            break
        resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
        ic = _criterion(n * math.log(max(resid @ resid / n, 1e-300)), X.shape[1] + 1, n, "aicc")
        if ic < best:
            best, best_k = ic, k
    return best_k


# -- the learner -------------------------------------------------------------------------------


class AutoARIMALearner(LocalLearner):
    """Automatic seasonal ARIMA per series (R's stepwise search; see the module docstring).

    Parameters
    ----------
    max_p, max_q, max_P, max_Q:
        Largest AR / MA orders, non-seasonal and seasonal (R's defaults 5/5/2/2).
    max_d, max_D:
        Largest orders of differencing (``d`` by KPSS, ``D`` by seasonal strength).
    information_criterion:
        ``"aicc"``, ``"aic"`` or ``"bic"``.
    approximation:
        Estimate the candidates by conditional sum of squares: ``None`` (R's rule: more than
        150 observations or a season above 12), ``True`` or ``False``.
    series_time_limit:
        Seconds per series (``None``: no limit); the search stops early at half of it.
    """

    name = "auto_arima"
    tags = LearnerTags(kind="local", native_quantiles=True, known_future=True)
    # forecasts, one Kalman filter per series, cost about 7 ms a series and 32 us a value
    # (2026-12-07, a second process busy: M1 quarterly, 203 series, 8,320 values, 1.4 s in
    # process, 1.5 s on 2 warm workers; 60 M4 Weekly series, 77,506 values, 2.6-3.2 s against
    # 2.2-3.5 s): made here up to about 3 s, less than the workers' start (1.7-6.8 s; user test
    # 55: a first forecast after a budgeted fit started them), a series counted as 220 values
    # (M1 monthly, 617 series of a median 55 points, about 5 s here, goes to the workers)
    forecast_in_process = 100_000
    forecast_series_values = 220

    def __init__(
        self,
        max_p: int = 5,
        max_q: int = 5,
        max_P: int = 2,
        max_Q: int = 2,
        max_d: int = 2,
        max_D: int = 1,
        information_criterion: Criterion = "aicc",
        approximation: bool | None = None,
        series_time_limit: float | None = 60.0,
    ):
        self.max_p = max_p
        self.max_q = max_q
        self.max_P = max_P
        self.max_Q = max_Q
        self.max_d = max_d
        self.max_D = max_D
        self.information_criterion = information_criterion
        self.approximation = approximation
        self.series_time_limit = series_time_limit

    @staticmethod
    def search_space(trial) -> dict[str, Any]:
        """Search bounds the tuner may explore (Optuna trial → parameters)."""
        return {
            "max_p": trial.suggest_int("max_p", 1, 5),
            "max_q": trial.suggest_int("max_q", 1, 5),
            "max_P": trial.suggest_int("max_P", 0, 2),
            "max_Q": trial.suggest_int("max_Q", 0, 2),
            "information_criterion": trial.suggest_categorical("information_criterion", ["aicc", "bic"]),
        }

    def min_length(self, task: Task) -> int:
        return MIN_OBS

    def _check_params(self) -> None:
        if self.information_criterion not in ("aicc", "aic", "bic"):
            raise DataValidationError(
                f"information_criterion={self.information_criterion!r}: use 'aicc', 'aic' or 'bic'."
            )

    def _fit_one(self, series: SeriesData, task: Task) -> ArimaState:
        import time

        y = np.asarray(series.y, dtype=np.float64)
        n = len(y)
        if n < MIN_OBS:
            raise ValueError(f"{n} observations: ARIMA needs at least {MIN_OBS}")
        exog, used = _usable_exog(series.exog)
        m, fourier_terms = task.season, None
        if m > MAX_SEASON:
            if is_seasonal(y, m):
                fourier_terms = (m, _fourier_pairs(y, m), series.times[0])
                waves = fourier(np.arange(n, dtype=np.float64), m, fourier_terms[1])
                exog = waves if exog is None else np.column_stack([exog, waves])
            m = 1
        if m > 1 and (n <= 2 * m or self.max_D < 1):
            m = 1
        budget = min(self.series_time_limit or np.inf, task.time_left())
        deadline = time.monotonic() + (budget / 2 if np.isfinite(budget) else 1e12)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            best = self._search(y, exog, m, deadline)
        spec, res = best
        return ArimaState(spec.order, spec.seasonal_order, "c" if spec.constant else None,
                          np.asarray(res.params, dtype=np.float64).copy(), used, fourier_terms)

    def _search(self, y: np.ndarray, exog: np.ndarray | None, m: int, deadline: float):
        """The chosen specification and its maximum-likelihood fit."""
        n, crit = len(y), self.information_criterion
        xx = y
        if exog is not None:  # the search runs on the series less its regression on exog
            X = np.column_stack([np.ones(n), exog])
            xx = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
        D = int(m > 1 and seasonal_strength(xx, m) > _SEAS_STRENGTH) if m > 1 else 0
        d = ndiffs(_difference(xx, 0, D, m), self.max_d)
        if exog is not None:
            w_exog = _difference(exog, d, D, m)
            if np.any(np.ptp(w_exog, axis=0) == 0):
                d = max(d - 1, 0)
        w = _difference(xx, d, D, m)
        limits = (min(self.max_p, n // 3), min(self.max_q, n // 3),
                  min(self.max_P, n // 3 // m) if m > 1 else 0, min(self.max_Q, n // 3 // m) if m > 1 else 0)
        if m > 1:
            limits = (min(limits[0], m - 1), min(limits[1], m - 1), limits[2], limits[3])
        constant = d + D <= 1
        approximate = self.approximation if self.approximation is not None else (n > 150 or m > 12)
        if np.ptp(w) == 0:  # a polynomial: no ARMA part to find
            ranked = [(0.0, Spec(0, d, 0, 0, D, 0, m, constant), np.r_[[np.mean(w)] if constant else []])]
        else:
            def css(spec: Spec):
                return fit_css(w, spec, crit)

            def exact(spec: Spec):
                ic, coef = fit_css(w, spec, crit)
                if not np.isfinite(ic):
                    return ic, coef
                try:
                    return fit_ml(y, exog, spec, coef, crit)
                except (ValueError, np.linalg.LinAlgError) as err:
                    if timed_out(err):
                        raise
                    return np.inf, coef

            ranked = stepwise(css if approximate else exact, d, D, m, constant, limits, n, deadline)
            if approximate:
                chosen = _fit_best(y, exog, ranked[0], crit)
                if chosen is not None:
                    return chosen
                ranked = stepwise(exact, d, D, m, constant, limits, n, deadline)
        fallback = None
        for ic, spec, est in ranked[:5]:
            if not isinstance(est, np.ndarray):  # fitted by maximum likelihood in the search
                if np.isfinite(ic):
                    return spec, est
                fallback = fallback or (spec, est)
                continue
            try:
                ic_ml, res = fit_ml(y, exog, spec, est, crit)
            except Exception as err:
                if timed_out(err):
                    raise
                continue
            if np.isfinite(ic_ml):
                return spec, res
            fallback = fallback or (spec, res)
        if fallback is None:
            raise ValueError("no ARIMA model could be fitted by maximum likelihood")
        return fallback

    def _forecast_one(
        self, state: ArimaState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        exog = future = None
        n, h = len(series.y), task.horizon
        if state.exog_used is not None:
            if series.exog is None or series.future_exog is None:
                raise ValueError("the model uses known-future covariates: pass their values")
            exog = np.nan_to_num(series.exog[:, state.exog_used])
            future = np.nan_to_num(series.future_exog[:, state.exog_used])
        if state.fourier is not None:
            period, pairs, first = state.fourier
            offset = _steps_between(series.times, first)
            waves = fourier(np.arange(n + h, dtype=np.float64) - offset, period, pairs)
            exog = waves[:n] if exog is None else np.column_stack([exog, waves[:n]])
            future = waves[n:] if future is None else np.column_stack([future, waves[n:]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(
                series.y,
                exog=exog,
                order=state.order,
                seasonal_order=state.seasonal_order,
                trend=state.trend,
                concentrate_scale=True,
            )
            fc = model.filter(state.params).get_forecast(h, exog=future)
            mean = np.asarray(fc.predicted_mean, dtype=np.float64)
            se = np.asarray(fc.se_mean, dtype=np.float64)
        return mean, {q: mean + norm.ppf(q) * se for q in task.quantiles}


def _steps_between(times: np.ndarray, first: Any) -> int:
    """Position of the time stamp ``first`` in a regular history ``times`` (maybe outside it)."""
    if times[0] <= first:
        return int(np.searchsorted(times, first))
    step = np.median(np.diff(times)) if len(times) > 1 else 1
    return -int(round((times[0] - first) / step))


def _usable_exog(exog: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Covariates that vary within the series (missing read as 0), and which ones they are."""
    if exog is None or exog.shape[1] == 0:
        return None, None
    values = np.nan_to_num(exog)
    used = np.ptp(values, axis=0) > 0
    return (values[:, used], used) if used.any() else (None, None)

