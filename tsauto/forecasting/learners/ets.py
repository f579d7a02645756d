"""Exponential smoothing (ETS) per series, the model chosen automatically by AICc.

Candidates as in R's ``forecast::ets`` and statsforecast's ``AutoETS``: error {additive,
multiplicative}, trend {none, additive, additive damped}, season {none, additive,
multiplicative}; multiplicative error and season only for strictly positive series, never an
additive error with a multiplicative season; a candidate only while its parameters (smoothing,
initial states, variance) leave at least two degrees of freedom. Parameters keep R's "usual"
bounds (``1e-4 <= beta < alpha``, ``gamma < 1 - alpha``, ``0.8 <= phi <= 0.98``) and its
admissibility test; the AICc counts the initial states as R does.

Estimation follows statsforecast's (R's start values; its Nelder-Mead with the same start
simplex, stopping rule and search box, in which ``beta`` stays below the first model's start
``alpha``), with one change that makes it fast without compiled code: models whose components
are all additive are linear in their initial states (whatever the error: a multiplicative error
changes only the likelihood), so for given smoothing parameters the initial states are a
least-squares solution (weighted by ``1/y`` for a multiplicative error), and Nelder-Mead searches
the 1-4 smoothing parameters only. Left free, the ``m - 1`` initial seasonal states overfit (M1
quarterly hold-out: sMAPE 15.6 vs AutoETS's 14.9); Nelder-Mead over 16 parameters leaves them
near R's heuristic start, so they are shrunk towards it by ``SHRINK`` pseudo-observations, chosen
on the hold-out (8, 20 and 50 alike; 3 and 0 worse). The additive recursions run in statsmodels'
compiled ETS smoother (the innovations form of Hyndman et al. 2008).

A multiplicative season (ETS(M,N,M), (M,A,M), (M,Ad,M)) is not linear in its states: as R's
``forecast::ets`` and statsforecast do, one Nelder-Mead searches the smoothing parameters and the
initial level, trend and ``m - 1`` seasonal states together from R's heuristic start (the last
seasonal state makes the season sum to ``m``; a negative one is rejected), on R's recursion
(:func:`smooth_mul_season`: the season updated by ``gamma * (y / (l + phi b) - s)``). It kept
the heuristic states before, on statsmodels' recursion (which updates the season with
``y / l_t``, another model), so its AICc lost to the additive forms whose states are estimated:
on the M1 monthly hold-out ETS MASE 1.315 against AutoETS's 1.300; 1.285 with the joint search
(statsforecast's own ETS(M,*,M) fits swapped in: 1.285 too). Its criterion is statsforecast's:
the search box bounds the smoothing parameters, and ``beta < alpha``, ``gamma < 1 - alpha`` are
not tested point by point (rejecting those points, as the linear forms do, stalls the simplex
of 6-17 parameters: of the 524 ETS(M,*,M) fits of M1 quarterly training series, 225 ended with a
higher AICc than statsforecast's, against 3 now, 511 equal); admissibility is tested on the
result, as for every form. Its criterion runs in statsmodels' compiled Holt-Winters loop, the
same recursion in error-correction form (:class:`MulSeasonLoop`; in Python floats it took most of
ETS's time on daily and hourly data, where ETS took 75-95 % of the default fit: user test 46 T2).

Long seasons (``task.season > 24``, e.g. weekly data with 52): ETS cannot hold a state per
season, so a series of two seasons or more is seasonally adjusted first (STL, on logs for a
positive series; non-robust with R's loess jumps since 2026-12-06, more accurate on Walmart's
and M4 Weekly's validation windows and 6x faster: :func:`~.decomposition._stl_indices`), ETS is
fitted on the adjusted series and the forecasts carry the last two cycles' average season.
On 200 Walmart store-department series (hold-out of the training parts, robust STL) MASE 0.79,
against 0.84 with classical decomposition, 0.90 adjusting only where the 90% autocorrelation
test finds the season, and 1.22 for statsforecast's ``AutoETS(season_length=52)``.

Long series: the learner fits each series on its last ``MAX_LENGTH`` (1,000) points, as
AutoGluon's local models fit their last 2,500 (:class:`~.local.LocalLearner`'s ``max_length``).
Chosen on 14 long series at 6 origins a week apart, the 4 weeks after the last never read
(``benchmarks/bench_long_series.py``: ETTh1's 7 hourly series, Washington's 3 hourly bike-rental
counts, Victoria's half-hourly demand and its 08:00-20:00 weekday hours, the two M4 Daily series
of 4,197 days): MASE against all points, geometric mean of the ratios 0.86 / 0.92 / 0.90 / 0.97
with the last 1,000 / 1,500 / 2,500 / 5,000 (1,000: better on 12, worse on one, casual bike
rentals), CPU per fit 7.9 -> 0.8 s; on the last 2 windows of the M4 Weekly training parts (168
of 359 series longer) ETS alone OWA 1.162 -> 1.114, fit 49 -> 33 s, the default unchanged.
The smoothing parameters of a series whose behaviour drifts fit its recent past better.

The learner estimates the series of a chunk together where there are enough of similar length
(:mod:`.ets_batch`: the same steps, vectorised across series; 4-8x less CPU on M1); the
functions here are the per-series reference it is tested against, its fallback and its path
for small chunks.

The fitted state is the specification, the smoothing parameters, the initial states and the
adjustment's seasonal indices. ``predict`` runs the same recursion with those fixed values over
the history it is given (no re-estimation); a history that starts after the fit's first time
gets initial states estimated on it (:func:`restarted`; R's ``ets(y, model=fit)`` does the
same by default), since the fitted ones belong to rows it does not hold. Intervals: exact Gaussian for additive-error
models; simulated sample paths (seeded from ``task.random_state``) for multiplicative ones.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm

from tsauto.forecasting.learners.base import LearnerTags, Task
from tsauto.forecasting.learners.decomposition import Seasonality
from tsauto.forecasting.learners.local import LocalLearner, SeriesData
from tsauto.forecasting.learners.optim import nelder_mead

MAX_SEASON = 24  # longer seasons are taken out before ETS (see the module docstring)
MAX_LENGTH = 1000  # points of a series the learner fits on, its last (see the module docstring)
SIMULATIONS = 1000
LOWER, UPPER = 1e-4, 0.9999
PHI_LOWER, PHI_UPPER = 0.8, 0.98
HUGE = 1e10
SHRINK = 20.0  # pseudo-observations pulling initial seasonal states to R's start (see above)
TOL = 1e-4  # Nelder-Mead stops when its values' spread is below this (statsforecast's value)


@dataclass(frozen=True)
class ETSSpec:
    """One ETS model form: error, trend (``None`` or ``"add"``), damping, season and period."""

    error: str
    trend: str | None
    damped: bool
    seasonal: str | None
    period: int

    @property
    def short_name(self) -> str:
        """``forecast::ets`` style name, e.g. ``MAdM``."""
        trend = "N" if self.trend is None else "A" + ("d" if self.damped else "")
        season = "N" if self.seasonal is None else self.seasonal[0].upper()
        return f"{self.error[0].upper()}{trend}{season}"

    @property
    def m(self) -> int:
        """Seasonal states held (1 without a season)."""
        return self.period if self.seasonal else 1

    def n_params(self) -> int:
        """Smoothing parameters (+ damping) and initial states (seasonal ones sum to zero)."""
        smoothing = 1 + (self.trend is not None) + (self.seasonal is not None) + self.damped
        initial = 1 + (self.trend is not None) + (self.m - 1 if self.seasonal else 0)
        return smoothing + initial


@dataclass(frozen=True)
class ETSState:
    """A fitted series: model form, smoothing parameters (alpha, beta, gamma, phi), initial
    states ``[l, b, s_newest .. s_oldest]``, AICc, variance, and the long-season adjustment."""

    spec: ETSSpec
    par: np.ndarray
    x0: np.ndarray
    aicc: float
    sigma2: float
    season: Seasonality | None = None


def candidate_specs(y: np.ndarray, season: int, damped: bool = True) -> list[ETSSpec]:
    """The model forms tried on ``y`` (see the module docstring for the restrictions).
    Tried and not taken (2026-12-06): R's rule for tiny series (``n <= 6``: simple exponential
    smoothing, additive error, so no ETS(M,N,N) of relative error sd 3.4 on six yearly points
    and its q0.9 365x the history's maximum): on windows inside the M1 training parts
    (5 / 6 points, then 6 yearly or 8 quarterly steps) mean pinball of q0.1/0.5/0.9 per MASE
    scale 1.374 / 1.274 -> 1.399 / 1.254 yearly and 1.377 / 1.319 -> 1.399 / 1.290 quarterly,
    80 % coverage 0.68 / 0.64 -> 0.60 / 0.58 yearly: no consistent gain."""
    n = len(y)
    positive = bool(np.all(y > 0))
    seasonal_ok = 1 < season <= MAX_SEASON and n > season
    out = []
    for error in ("add", "mul") if positive else ("add",):
        seasons: list[str | None] = [None]
        if seasonal_ok:
            seasons += ["add"] + (["mul"] if error == "mul" else [])
        for trend in (None, "add"):
            for seasonal in seasons:
                for damp in (True, False) if trend and damped else (False,):
                    spec = ETSSpec(error, trend, damp, seasonal, season if seasonal else 1)
                    if spec.n_params() <= n - 2:
                        out.append(spec)
    return out


# -- the recursion ------------------------------------------------------------------------


def smooth(y: np.ndarray, spec: ETSSpec, par: np.ndarray, x0: np.ndarray):
    """One-step predictions over ``y`` and the states after it (statsmodels' compiled loop for
    additive components; :func:`smooth_mul_season` for a multiplicative season)."""
    if spec.seasonal == "mul":
        yhat, last = smooth_mul_season(np.asarray(y, dtype=np.float64)[None], par[None], x0[None])
        return yhat[0], last[0]
    from statsmodels.tsa.exponential_smoothing import _ets_smooth

    y = np.require(y, np.float64, ["C", "W"])  # the compiled loop takes writable buffers
    n = len(y)
    params = np.concatenate([par, x0])
    yhat = np.empty(n)
    xhat = np.empty((n, len(x0)))
    fixed = np.zeros(len(params), dtype=np.int64)
    _ets_smooth._ets_smooth_add_add(params, y, yhat, xhat, fixed, np.zeros(len(params)), False, False)
    return yhat, xhat[-1]


def smooth_mul_season(y: np.ndarray, par: np.ndarray, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A multiplicative-season model's one-step predictions on each row of ``y`` (rows: series
    of one length, or padded ones whose padded steps the caller ignores), with smoothing
    parameters ``par`` and initial states ``x0`` per row; returns them and the last states.

    R's recursion (``forecast::ets``, statsforecast's ``ets.cpp``): with ``q = l + phi b`` and
    ``s`` the season of the step, ``l' = q + alpha (y / s - q)``,
    ``b' = phi b + beta / alpha (l' - l - phi b)`` and ``s' = s + gamma (y / q - s)``, i.e.
    ``s' = s (1 + gamma e)`` with the relative error ``e``, Hyndman et al.'s innovations form.
    statsmodels' compiled loop, used here before, updates the season with
    ``gamma / (1 - alpha) * y / l'`` instead: the same for an additive season, another model
    for a multiplicative one (other fits and AICc than R's on the same data)."""
    alpha, beta, gamma, phi = (np.ascontiguousarray(c) for c in np.asarray(par, dtype=np.float64).T)
    x0 = np.asarray(x0, dtype=np.float64)
    level, trend = x0[:, 0].copy(), x0[:, 1].copy()
    has_trend = bool(np.any(beta)) or bool(np.any(trend))
    cycle = x0[:, :1:-1].T.copy()  # row j: the season of phase j (steps j, j + m, ...)
    m = len(cycle)
    yt = np.ascontiguousarray(np.asarray(y, dtype=np.float64).T)
    yhat = np.empty_like(yt)
    for t in range(len(yt)):  # as above, with r = y / s - q: l' = q + alpha r, b' = phi b + beta r
        s = cycle[t % m]
        if has_trend:
            damped = phi * trend
            q = level + damped
        else:
            q = level
        np.multiply(q, s, out=yhat[t])
        r = yt[t] / s
        r -= q
        level = alpha * r
        level += q
        if has_trend:
            trend = beta * r
            trend += damped
        r = yt[t] / q
        r -= s
        r *= gamma
        s += r  # in place: row t % m of the cycle
    newest = (len(yt) - 1 - np.arange(m)) % m  # phases, newest first
    return yhat.T, np.column_stack([level, trend, cycle[newest].T])


def _exact_or_worst(total: float) -> float:
    """The criterion of a zero sum of squared errors (an exact fit: the best) or of a NaN one
    (an overflowed recursion: the worst)."""
    return -HUGE if total == 0 else HUGE


def admissible(par: np.ndarray, m: int) -> bool:
    """R's admissibility test (``forecast:::admissible``) of the smoothing parameters."""
    alpha, beta, gamma, phi = par
    if m <= 1:
        return bool(1 - 1 / phi <= alpha <= 1 + 1 / phi and alpha * (phi - 1) <= beta <= (1 + phi) * (2 - alpha))
    if not max(1 - 1 / phi - alpha, 0) <= gamma <= 1 + 1 / phi - alpha:
        return False
    if alpha < 1 - 1 / phi - gamma * (1 - m + phi + phi * m) / (2 * phi * m):
        return False
    if beta < -(1 - phi) * (gamma / m + alpha):
        return False
    poly = np.empty(m + 2)
    poly[0] = phi * (1 - alpha - gamma)
    poly[1] = alpha + beta - alpha * phi + gamma - 1
    poly[2:m] = alpha + beta - alpha * phi
    poly[m] = alpha + beta - phi
    poly[m + 1] = 1.0
    return bool(np.max(np.abs(np.polynomial.polynomial.polyroots(poly))) <= 1 + 1e-10)


def _likelihood(y: np.ndarray, yhat: np.ndarray, error: str) -> float:
    """R's ``-2 log L`` up to a constant (variance concentrated out)."""
    n = len(y)
    e = y - yhat
    if error == "add":
        sse = float(e @ e)
        lik = n * math.log(sse) if sse > 0 else _exact_or_worst(sse)
    else:
        rel = e / yhat
        total = float(rel @ rel)
        lik = n * math.log(total) + 2 * float(np.log(np.abs(yhat)).sum()) if total > 0 else _exact_or_worst(total)
    return lik if math.isfinite(lik) else HUGE


# -- linear models: initial states by least squares ----------------------------------------


def _transition(spec: ETSSpec, par: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``F``, ``g`` and ``w`` of the innovations form over ``[l, b, s_newest .. s_oldest]``."""
    alpha, beta, gamma, phi = par
    p = 2 + spec.m
    F = np.zeros((p, p))
    F[0, 0], F[0, 1], F[1, 1] = 1.0, phi, phi
    F[2, p - 1] = 1.0
    if spec.m > 1:
        F[np.arange(3, p), np.arange(2, p - 1)] = 1.0
    w = np.zeros(p)
    w[0], w[1], w[p - 1] = 1.0, phi, 1.0
    g = np.zeros(p)
    g[:3] = alpha, beta, gamma
    return F, g, w


def _state_map(spec: ETSSpec) -> np.ndarray:
    """Full initial states from the free ones ``[l, (b), s_1 .. s_{m-1}]`` (the last seasonal
    state makes the season sum to zero)."""
    m = spec.m
    free = 1 + (spec.trend is not None) + (m - 1 if spec.seasonal else 0)
    T = np.zeros((2 + m, free))
    T[0, 0] = 1.0
    k = 1
    if spec.trend:
        T[1, 1], k = 1.0, 2
    if spec.seasonal:
        T[2 : 2 + m - 1, k:] = np.eye(m - 1)
        T[2 + m - 1, k:] = -1.0
    return T


class _Linear:
    """A linear model's one-step predictions as an affine map of its initial states: for given
    smoothing parameters, ``yhat = base + V x0`` with ``V_t = w' D^t`` (``D = F - g w'``) and
    ``base`` the response to the data, so the best initial states solve a least-squares
    problem, shrunk towards R's heuristic start by ``SHRINK`` pseudo-observations."""

    def __init__(self, y: np.ndarray, spec: ETSSpec):
        self.y, self.spec, self.n = y, spec, len(y)
        p = 2 + spec.m
        self.T = _state_map(spec)
        self.prior = np.linalg.lstsq(self.T, _initial_states(y, spec), rcond=None)[0]
        self.D0 = np.zeros((p, p))
        self.D0[np.arange(3, p), np.arange(2, p - 1)] = 1.0  # the seasonal states shift
        self.weights = 1.0 / y if spec.error == "mul" else None
        scale = float(np.mean(y)) ** 2 if spec.error == "mul" else 1.0
        lead = 1 + (spec.trend is not None)  # level and trend: not shrunk
        self.ridge = np.diag(np.r_[np.zeros(lead), np.full(self.T.shape[1] - lead, SHRINK)] / scale)

    def fit(self, par: np.ndarray) -> tuple[float, np.ndarray | None]:
        """``-2 log L`` and the full initial states for the smoothing parameters ``par``."""
        alpha, beta, gamma, phi = par
        y, n = self.y, self.n
        if self.spec.m == 1:
            return self._fit_nonseasonal(alpha, beta, phi)
        D = self.D0.copy()
        D[0, 0], D[0, 1], D[0, -1] = 1 - alpha, phi * (1 - alpha), -alpha
        D[1, 0], D[1, 1], D[1, -1] = -beta, phi * (1 - beta), -beta
        D[2, 0], D[2, 1], D[2, -1] = -gamma, -gamma * phi, 1 - gamma
        V = np.empty((n, len(D)))
        V[0] = 0.0
        V[0, 0], V[0, 1], V[0, -1] = 1.0, phi, 1.0
        k = 1
        while k < n:
            step = min(k, n - k)
            V[k : k + step] = V[:step] @ D
            D, k = D @ D, k + step
        if not np.isfinite(V[-1].sum()):
            return HUGE, None
        base = np.empty(n)
        base[0] = 0.0
        if n <= 300:  # the data's response: a convolution with the impulse response
            c = alpha * V[: n - 1, 0] + beta * V[: n - 1, 1] + gamma * V[: n - 1, 2]
            base[1:] = np.convolve(c, y)[: n - 1]
        else:
            base = smooth(y, self.spec, par, np.zeros(V.shape[1]))[0]
        X = V @ self.T
        r = y - base
        if self.weights is not None:
            X, r = X * self.weights[:, None], r * self.weights
        try:
            free = np.linalg.solve(X.T @ X + self.ridge, X.T @ r + self.ridge @ self.prior)
        except np.linalg.LinAlgError:
            return HUGE, None
        x0 = self.T @ free
        return _likelihood(y, base + V @ x0, self.spec.error), x0

    def _fit_nonseasonal(self, alpha: float, beta: float, phi: float):
        """The same for level and trend only, with second-order filters: ``D`` is 2 x 2, so its
        powers follow ``V_t = tr(D) V_{t-1} - det(D) V_{t-2}`` (Cayley-Hamilton)."""
        y, n = self.y, self.n
        d00, d01, d10, d11 = 1 - alpha, phi * (1 - alpha), -beta, phi * (1 - beta)
        den = [1.0, -(d00 + d11), d00 * d11 - d01 * d10]
        num = [0.0, alpha + phi * beta, -alpha * d11 + alpha * d10 * phi + beta * d01 - phi * beta * d00]
        base = lfilter(num, den, y)
        pulse = np.zeros(n)
        pulse[0] = 1.0
        cols = [lfilter([1.0, d00 + phi * d10 + den[1]], den, pulse)]  # w' D^t e_level
        if self.spec.trend:
            cols.append(lfilter([phi, d01 + phi * d11 + den[1] * phi], den, pulse))  # e_trend
        X = np.column_stack(cols)
        if not np.isfinite(X[-1].sum()):
            return HUGE, None
        r = y - base
        if self.weights is not None:
            Xw, r = X * self.weights[:, None], r * self.weights
        else:
            Xw = X
        try:
            free = np.linalg.solve(Xw.T @ Xw, Xw.T @ r)
        except np.linalg.LinAlgError:
            return HUGE, None
        x0 = np.zeros(3)
        x0[: len(free)] = free
        return _likelihood(y, base + X @ free, self.spec.error), x0


# -- estimation --------------------------------------------------------------------------


def start_cycle(y: np.ndarray, m: int, seasonal: str) -> np.ndarray:
    """R's start for the ``m`` seasonal states (phase 0 first) of an additive or multiplicative
    (``seasonal``) season: classical decomposition, or a line plus one Fourier pair when ``y``
    holds fewer than three seasons."""
    from tsauto.forecasting.learners.decomposition import seasonal_indices

    n = len(y)
    if n >= 3 * m:
        cycle, _ = seasonal_indices(y, m, "multiplicative" if seasonal == "mul" else "additive")
    else:
        t = np.arange(1, n + 1)
        X = np.column_stack([np.ones(n), t, np.sin(2 * np.pi * t / m), np.cos(2 * np.pi * t / m)])
        coef = np.linalg.lstsq(X, y, rcond=None)[0]
        line = coef[0] + coef[1] * t
        cycle = (y / line if seasonal == "mul" else y - line)[:m]
    if seasonal == "mul":
        cycle = np.clip(cycle, 1e-2, None)
        cycle = cycle * m / cycle.sum()
    return cycle


def _initial_states(y: np.ndarray, spec: ETSSpec, cycle: np.ndarray | None = None) -> np.ndarray:
    """R's heuristic initial states (``forecast:::initstate``), in this module's order;
    ``cycle``: :func:`start_cycle` of the series, when already computed."""
    n, m = len(y), spec.m
    seas = np.zeros(1)
    ysa = y
    if spec.seasonal:
        if cycle is None:
            cycle = start_cycle(y, m, spec.seasonal)
        seas = cycle[::-1].copy()  # newest (phase m-1) first, phase 0 last
        phase = cycle[np.arange(n) % m]
        ysa = y / phase if spec.seasonal == "mul" else y - phase
    maxn = min(max(10, 2 * m), n)
    if spec.trend:
        t = np.arange(1, maxn + 1)
        slope, intercept = np.polyfit(t, ysa[:maxn], 1)
        level, trend = intercept, slope
    else:
        level, trend = float(np.mean(ysa[:maxn])), 0.0
    return np.concatenate([[level, trend], seas])


def fit_spec(y: np.ndarray, spec: ETSSpec, upper: np.ndarray | None = None) -> ETSState:
    """Estimate one model form; returns its state with its AICc. ``upper``: the search box's
    upper bounds, carried from model to model of one series as statsforecast does."""
    box = upper if upper is not None else np.array([UPPER, UPPER, UPPER, PHI_UPPER])
    par, x0, lik = _fit_profile(y, spec, box)
    return fitted_state(y, spec, par, x0, lik)


def fitted_state(y: np.ndarray, spec: ETSSpec, par: np.ndarray, x0: np.ndarray, lik: float) -> ETSState:
    """The state of estimated parameters, with its AICc (from ``lik``, ``-2 log L``) and variance."""
    n, k = len(y), spec.n_params() + 1  # + the innovation variance
    aicc = lik + 2 * k + 2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else np.inf
    yhat, _ = smooth(y, spec, par, x0)
    err = (y - yhat) / yhat if spec.error == "mul" else y - yhat
    sigma2 = float(np.sum(err**2) / max(n - k - 1, 1))
    aicc = float(aicc) if np.isfinite(aicc) and lik < HUGE / 2 else np.inf
    return ETSState(spec, par, x0, aicc, sigma2)


def _smoothing_box(spec: ETSSpec, upper: np.ndarray) -> tuple[list, list, list]:
    """R's start values of (alpha, [beta], [gamma], [phi]) and statsforecast's search box for
    them; ``upper`` is updated in place, as statsforecast carries it from model to model."""
    alpha = LOWER + 0.2 * (upper[0] - LOWER) / spec.m
    start, lo, hi = [alpha], [LOWER], [upper[0]]
    if spec.trend:
        upper[1] = min(upper[1], alpha)
        start.append(LOWER + 0.1 * (upper[1] - LOWER))
        lo.append(LOWER)
        hi.append(upper[1])
    if spec.seasonal:
        upper[2] = min(upper[2], 1 - alpha)
        start.append(LOWER + 0.05 * (upper[2] - LOWER))
        lo.append(LOWER)
        hi.append(upper[2])
    if spec.damped:
        start.append(PHI_LOWER + 0.99 * (upper[3] - PHI_LOWER))
        lo.append(PHI_LOWER)
        hi.append(upper[3])
    return start, lo, hi


def _unpack_smoothing(spec: ETSSpec, x: np.ndarray) -> np.ndarray:
    """(alpha, beta, gamma, phi) from the searched ones (0 or 1 where the model has none);
    ``x`` may hold one point per row."""
    x = np.asarray(x, dtype=np.float64)
    par = np.zeros(x.shape[:-1] + (4,))
    par[..., 0], par[..., 3] = x[..., 0], 1.0
    j = 1
    if spec.trend:
        par[..., 1], j = x[..., j], j + 1
    if spec.seasonal:
        par[..., 2], j = x[..., j], j + 1
    if spec.damped:
        par[..., 3] = x[..., j]
    return par


def n_smoothing(spec: ETSSpec) -> int:
    """How many smoothing parameters (alpha, beta, gamma, phi) ``spec`` estimates."""
    return 1 + (spec.trend is not None) + (spec.seasonal is not None) + spec.damped


def full_states(spec: ETSSpec, free: np.ndarray) -> np.ndarray:
    """A multiplicative-season model's initial states ``[l, b, s_newest .. s_oldest]`` from the
    estimated ones ``[l, (b), s_newest .. s_2nd-oldest]`` (one set per row): the oldest seasonal
    state makes the season sum to ``m``, as in R."""
    free = np.asarray(free, dtype=np.float64)
    lead = 1 + (spec.trend is not None)
    out = np.zeros(free.shape[:-1] + (2 + spec.m,))
    out[..., 0] = free[..., 0]
    if spec.trend:
        out[..., 1] = free[..., 1]
    out[..., 2:-1] = free[..., lead:]
    out[..., -1] = spec.m - free[..., lead:].sum(axis=-1)
    return out


def free_states(spec: ETSSpec, x0: np.ndarray) -> np.ndarray:
    """The estimated initial states of :func:`full_states` (its inverse)."""
    x0 = np.asarray(x0, dtype=np.float64)
    lead = x0[..., :2] if spec.trend else x0[..., :1]
    return np.concatenate([lead, x0[..., 2:-1]], axis=-1)


def _fit_profile(y: np.ndarray, spec: ETSSpec, upper: np.ndarray):
    """Nelder-Mead over the smoothing parameters from R's start in statsforecast's box; the
    initial states by (ridge) least squares for linear models. A multiplicative season is not
    linear in its states: Nelder-Mead searches them with the smoothing parameters, from R's
    heuristic start, as R and statsforecast do (:func:`_fit_mul_season`)."""
    if spec.seasonal == "mul":
        return _fit_mul_season(y, spec, upper)
    start, lo, hi = _smoothing_box(spec, upper)
    linear = _Linear(y, spec)

    def objective(x: np.ndarray, check: bool) -> float:
        par = _unpack_smoothing(spec, x)
        if par[1] > par[0] or par[2] > 1 - par[0] or (check and not admissible(par, spec.m)):
            return np.inf
        return linear.fit(par)[0]

    x, _ = nelder_mead(lambda x: objective(x, False), np.array(start), np.array(lo), np.array(hi), tol=TOL)
    if not admissible(_unpack_smoothing(spec, x), spec.m):
        x, _ = nelder_mead(lambda x: objective(x, True), np.array(start), np.array(lo), np.array(hi), tol=TOL)
    par = _unpack_smoothing(spec, x)
    if not admissible(par, spec.m):
        raise ValueError(f"{spec.short_name}: no admissible parameters")
    lik, x0 = linear.fit(par)
    if x0 is None:
        raise ValueError(f"{spec.short_name}: no admissible parameters")
    return par, x0, lik


def mul_season_start(y: np.ndarray, spec: ETSSpec, upper: np.ndarray, cycle: np.ndarray | None = None):
    """Start point and box of the joint search of a multiplicative-season model: the smoothing
    parameters' (:func:`_smoothing_box`, ``upper`` updated in place) and R's heuristic initial
    states, unbounded (a negative seasonal state is rejected by the criterion)."""
    start, lo, hi = _smoothing_box(spec, upper)
    states = free_states(spec, _initial_states(y, spec, cycle))
    k = len(states)
    return np.r_[start, states], np.r_[lo, np.full(k, -np.inf)], np.r_[hi, np.full(k, np.inf)]


def mul_season_points(spec: ETSSpec, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothing parameters and full initial states of joint points (smoothing parameters, then
    the free initial states; one point per row) of a multiplicative-season model, and which
    points the criterion takes: those with every seasonal state positive (statsforecast's only
    test; the box bounds the smoothing parameters, see the module docstring)."""
    k = n_smoothing(spec)
    par = _unpack_smoothing(spec, points[:, :k])
    x0 = full_states(spec, points[:, k:])
    ok = x0[:, 2:].min(axis=1) > 0  # a zero seasonal state divides by zero
    return par, x0, ok


def _fit_mul_season(y: np.ndarray, spec: ETSSpec, upper: np.ndarray):
    """Smoothing parameters and initial states of a multiplicative-season model by one
    Nelder-Mead, as R's ``forecast::ets`` and statsforecast estimate every model."""
    start, lo, hi = mul_season_start(y, spec, upper)
    k = n_smoothing(spec)
    criterion = _mul_season_criterion(y, spec)

    def objective(x: np.ndarray, check: bool) -> float:
        if check and not admissible(_unpack_smoothing(spec, x[:k]), spec.m):
            return np.inf
        return criterion(x.tolist())

    x, _ = nelder_mead(lambda x: objective(x, False), start, lo, hi, tol=TOL)
    if not admissible(_unpack_smoothing(spec, x[:k]), spec.m):
        x, _ = nelder_mead(lambda x: objective(x, True), start, lo, hi, tol=TOL)
    par = _unpack_smoothing(spec, x[:k])
    if not admissible(par, spec.m):
        raise ValueError(f"{spec.short_name}: no admissible parameters")
    lik = objective(x, True)
    if not np.isfinite(lik):
        raise ValueError(f"{spec.short_name}: no finite likelihood")
    return par, full_states(spec, x[k:]), lik


def _mul_season_criterion(y: np.ndarray, spec: ETSSpec, compiled: bool = True):
    """``-2 log L`` of one joint point (a list: smoothing parameters, free initial states) of a
    multiplicative-season model on ``y`` (:func:`mul_season_points`, :func:`smooth_mul_season`
    and :func:`_likelihood` for one point). The per-series search takes some 2,000 of them (the
    combination learner fits its ETS member series by series, and so does the learner for chunks
    too small to batch), so the recursion runs in statsmodels' compiled Holt-Winters loop
    (:func:`_compiled_mul_season`), about 10x faster than the step-by-step Python floats it replaced
    (``compiled=False``, kept as the reference): ETS alone on 10 Wikipedia series (m=7) 8.8 ->
    2.8 CPU seconds, on 30 M4 Hourly series 39 -> 13 (2026-12-07, the same models)."""
    m = spec.m
    trended, damped = spec.trend is not None, spec.damped
    recursion = (_compiled_mul_season(y, spec) if compiled and compiled_loops()
                 else _python_mul_season(y, spec))

    def criterion(x: list) -> float:
        alpha = x[0]
        beta = x[1] if trended else 0.0
        j = 1 + trended
        gamma = x[j]
        phi = x[j + 1] if damped else 1.0
        j += 1 + damped
        level = x[j]
        trend = x[j + 1] if trended else 0.0
        free = x[j + 1 + trended :]  # seasonal states, newest first, all but the oldest
        oldest = m - sum(free)
        if oldest <= 0 or min(free) <= 0:  # as mul_season_points
            return np.inf
        cycle = [oldest] + free[::-1]  # by phase: the oldest state is the first step's
        return recursion(alpha, beta, gamma, phi, level, trend, cycle)

    return criterion


def _python_mul_season(y: np.ndarray, spec: ETSSpec):
    """The criterion's recursion in plain Python floats, R's operations step by step."""
    n, m = len(y), spec.m
    steps = list(zip(y.tolist(), (np.arange(n) % m).tolist()))  # each step's value and phase

    def recursion(alpha, beta, gamma, phi, level, trend, cycle: list) -> float:
        sse = 0.0
        fits: list[float] = []
        keep = fits.append
        try:
            for obs_t, phase in steps:
                s = cycle[phase]
                damp = phi * trend
                q = level + damp
                fit = q * s
                keep(fit)
                e = (obs_t - fit) / fit
                sse += e * e
                r = obs_t / s - q
                level = q + alpha * r
                trend = damp + beta * r
                cycle[phase] = s + gamma * (obs_t / q - s)
            if sse > 0:  # the logs summed after the loop, by numpy (no fit is 0: it divided)
                lik = n * math.log(sse) + 2 * float(np.log(np.abs(np.array(fits))).sum())
            else:
                lik = _exact_or_worst(sse)
        except (ZeroDivisionError, ValueError, OverflowError):
            return HUGE
        return lik if math.isfinite(lik) else HUGE

    return recursion


def _compiled_mul_season(y: np.ndarray, spec: ETSSpec):
    """The criterion's recursion in statsmodels' compiled loop (:class:`MulSeasonLoop`); the
    Python one where ``alpha`` is not positive (``beta / alpha``; the search box keeps it so)."""
    loop = MulSeasonLoop(y, spec.m, spec.trend is not None)
    python = _python_mul_season(y, spec)

    def recursion(alpha, beta, gamma, phi, level, trend, cycle: list) -> float:
        if not alpha > 0:
            return python(alpha, beta, gamma, phi, level, trend, cycle)
        return loop(np.array([alpha, beta / alpha, gamma, level, trend, phi, *cycle]))

    return recursion


@functools.lru_cache(maxsize=1)
def compiled_loops() -> bool:
    """Whether statsmodels' compiled Holt-Winters loops (a private module) are there as
    :class:`MulSeasonLoop` reads them; else the Python and numpy recursions are used."""
    try:
        from statsmodels.tsa.holtwinters import _exponential_smoothers as hw
    except ImportError:
        return False
    return all(hasattr(hw, name) for name in ("HoltWintersArgs", "holt_win_add_mul_dam", "holt_win__mul"))


class MulSeasonLoop:
    """``-2 log L`` (:func:`_likelihood`) of a multiplicative-season model on one series by
    statsmodels' compiled Holt-Winters loops, which run R's recursion (:func:`smooth_mul_season`)
    in its error-correction form: ``l' = alpha y / s + (1 - alpha) q``,
    ``b' = beta / alpha (l' - l) + (1 - beta / alpha) phi b``, ``s' = gamma y / q + (1 - gamma) s``,
    algebraically the same updates, rounded otherwise (a relative 1e-16 a step: the models and
    forecasts on M1, M4, Australian retail and the Wikipedia data came out those of the
    step-by-step Python floats and of numpy's recursion to 1e-14, 2026-12-07). A zero one-step
    prediction, which divides by zero in R's arithmetic, gives an infinite or NaN criterion
    here: the worst, as the division error does (callers silence numpy's warnings). One call
    costs about 6 us + 11 ns a step, against some 0.4 us a step in Python floats."""

    def __init__(self, y: np.ndarray, m: int, trended: bool):
        from statsmodels.tsa.holtwinters import _exponential_smoothers as hw

        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.n = len(self.y)
        width = 6 + m  # alpha, beta / alpha, gamma, l, b, phi, the season by phase (from 0)
        self.args = hw.HoltWintersArgs(np.ones(width, np.int64), np.zeros(width), np.zeros((width, 2)),
                                       self.y, m, self.n)
        self.loop = hw.holt_win_add_mul_dam if trended else hw.holt_win__mul

    @staticmethod
    def params(par: np.ndarray, x0: np.ndarray) -> np.ndarray:
        """The loops' parameter vectors (one a row) of smoothing parameters ``par`` (``alpha >
        0``) and full initial states ``x0``, one set per row."""
        alpha, beta, gamma, phi = par.T
        return np.column_stack([alpha, beta / alpha, gamma, x0[:, 0], x0[:, 1], phi, x0[:, :1:-1]])

    def __call__(self, params: np.ndarray) -> float:
        """The criterion of one parameter vector (a C-contiguous row of :meth:`params`)."""
        err = self.loop(params, self.args)
        fit = self.y - err
        err /= fit
        sse = float(err @ err)
        if not sse > 0:
            return _exact_or_worst(sse)
        lik = self.n * math.log(sse) + 2 * float(np.log(np.abs(fit, out=fit)).sum())
        return lik if math.isfinite(lik) else HUGE


def select(y: np.ndarray, season: int, damped: bool = True) -> ETSState:
    """The candidate form of lowest AICc on ``y``."""
    if np.ptp(y) == 0:  # constant: R's simple exponential smoothing with alpha = 0.9999
        spec = ETSSpec("add", None, False, None, 1)
        return ETSState(spec, np.array([UPPER, 0.0, 0.0, 1.0]), np.array([y[0], 0.0, 0.0]), np.inf, 0.0)
    best: ETSState | None = None
    errors = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        upper = np.array([UPPER, UPPER, UPPER, PHI_UPPER])
        for spec in candidate_specs(y, season, damped):
            try:
                state = fit_spec(y, spec, upper)
            except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
                errors.append(f"{spec.short_name}: {type(err).__name__}: {err}")
                continue
            if best is None or state.aicc < best.aicc:
                best = state
    if best is None or not np.isfinite(best.aicc):
        detail = "; ".join(errors[:3]) or "no candidate model fits this series length"
        raise ValueError(f"no ETS model could be fitted ({detail})")
    return best


# -- forecasting -------------------------------------------------------------------------


def _point(spec: ETSSpec, par: np.ndarray, state: np.ndarray, horizon: int) -> np.ndarray:
    """Point forecasts from the last state."""
    _, _, _, phi = par
    steps = np.arange(1, horizon + 1)
    damp = np.cumsum(phi ** steps) if spec.damped else steps.astype(float)
    trend = state[0] + (damp * state[1] if spec.trend else 0.0)
    m = spec.m
    season = state[2 + m - 1 - (np.arange(horizon) % m)]
    return trend * season if spec.seasonal == "mul" else trend + season


def forecast_state(
    state: ETSState, y: np.ndarray, horizon: int, quantiles: tuple[float, ...], seed: int = 0
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Run the fixed-parameter recursion over ``y`` and forecast ``horizon`` steps."""
    spec, par = state.spec, state.par
    _, last = smooth(np.asarray(y, dtype=np.float64), spec, par, state.x0)
    mean = _point(spec, par, last, horizon)
    if not quantiles:
        return mean, {}
    if spec.error == "add":
        F, g, w = _transition(spec, par)
        c, x = np.empty(horizon), g.copy()
        for j in range(horizon):
            c[j] = w @ x if j else 1.0
            x = F @ x if j else x
        sd = np.sqrt(state.sigma2 * np.cumsum(c**2))
        return mean, {q: mean + norm.ppf(q) * sd for q in quantiles}
    paths = _simulate(spec, par, last, horizon, state.sigma2, seed)
    return mean, {q: np.quantile(paths, q, axis=0) for q in quantiles}


def _simulate(spec: ETSSpec, par, last, horizon: int, sigma2: float, seed: int) -> np.ndarray:
    """Sample paths (SIMULATIONS × horizon) of a multiplicative-error model."""
    alpha, beta, gamma, phi = par
    rng = np.random.default_rng(seed)
    eps = rng.normal(0.0, np.sqrt(sigma2), size=(horizon, SIMULATIONS))
    level = np.full(SIMULATIONS, last[0])
    trend = np.full(SIMULATIONS, last[1])
    seasons = np.tile(last[2:], (SIMULATIONS, 1))
    out = np.empty((SIMULATIONS, horizon))
    for j in range(horizon):
        q = level + phi * trend
        s = seasons[:, -1]
        f = q * s if spec.seasonal == "mul" else q + s
        yj = f * (1.0 + eps[j])
        if spec.seasonal == "mul":
            new_level = alpha * yj / s + (1 - alpha) * q
            new_s = s + gamma * (yj / q - s)  # R's update (see smooth_mul_season)
        else:
            new_level = alpha * (yj - s) + (1 - alpha) * q
            new_s = s + gamma * (yj - f)
        trend = phi * trend + beta * (yj - f) / (s if spec.seasonal == "mul" else 1.0)
        level = new_level
        seasons = np.column_stack([new_s, seasons[:, :-1]])
        out[:, j] = yj
    return out


# -- the learner ---------------------------------------------------------------------------


class ETSLearner(LocalLearner):
    """Automatic ETS per series, chosen by AICc (long seasons adjusted first).

    Parameters
    ----------
    damped:
        Whether damped-trend models are candidates.
    series_time_limit:
        Seconds per series (see :class:`~tsauto.forecasting.learners.local.LocalLearner`).
    max_length:
        Each series is fitted on its last ``max_length`` points (``None``: all of them; see
        :data:`MAX_LENGTH`).
    """

    name = "ets"
    tags = LearnerTags(kind="local", native_quantiles=True)
    # forecasts of all series at once: Australian retail, 60,884 values, 0.39 s in process, as on
    # 2 warm workers, whose start costs 1.7-6.8 s (2026-12-07; user test 55: a first forecast
    # after a budgeted fit took 4-7 s)
    forecast_in_process = 200_000

    @staticmethod
    def search_space(trial) -> dict:
        """Whether damped trends are among the candidates."""
        return {"damped": trial.suggest_categorical("damped", [True, False])}

    def __init__(
        self, damped: bool = True, series_time_limit: float | None = 60.0, max_length: int | None = MAX_LENGTH
    ):
        self.damped = damped
        self.series_time_limit = series_time_limit
        self.max_length = max_length

    def min_length(self, task: Task) -> int:
        return 5  # simple exponential smoothing: 3 parameters and 2 degrees of freedom

    def _fit_one(self, series: SeriesData, task: Task) -> ETSState:
        return fit_ets(series.y, series.times, task.season, self.damped)

    def _fit_many(self, chunk: list[SeriesData], task: Task) -> list[ETSState | Exception]:
        """All series at once (:mod:`.ets_batch`)."""
        from tsauto.forecasting.learners.ets_batch import fit_many

        return fit_many([s.y for s in chunk], [s.times for s in chunk], task.season, self.damped)

    def _forecast_one(
        self, state: ETSState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        return forecast_ets(state, series.y, series.times, task.horizon, task.quantiles, task.random_state)

    def _restart(self, state: ETSState, series: SeriesData, task: Task) -> ETSState:
        return restarted(state, series.y, series.times)


def fit_ets(y: np.ndarray, times: np.ndarray, season: int, damped: bool = True) -> ETSState:
    """Select ETS on ``y``; a season longer than ``MAX_SEASON`` is adjusted out first."""
    target, period, adj = long_season_adjusted(y, times, season)
    return with_adjustment(select(target, period, damped), adj)


def long_season_adjusted(
    y: np.ndarray, times: np.ndarray, season: int
) -> tuple[np.ndarray, int, Seasonality | None]:
    """The series ETS is selected on, its seasonal period and the adjustment taken out (a
    season above ``MAX_SEASON`` on a series of two seasons or more; else ``y`` as it is).
    Tried and not taken (2026-12-06): adjusting only series that pass the 90 % autocorrelation
    test at the season (:func:`~.decomposition.is_seasonal`; 55-61 % of Walmart's): the default
    on Walmart's last two validation windows of the training parts, OWA 0.570 -> 0.597."""
    if season > MAX_SEASON and len(y) >= 2 * season:
        adj = Seasonality.fit(y, times, season, "multiplicative", "stl")
        inside, _ = adj.along(y, times, 0)
        return adj.adjust(y, inside), 1, adj
    return y, season, None


def with_adjustment(state: ETSState, adj: Seasonality | None) -> ETSState:
    """``state`` carrying the long-season adjustment its series was fitted after."""
    return state if adj is None else ETSState(state.spec, state.par, state.x0, state.aicc, state.sigma2, adj)


def forecast_ets(
    state: ETSState,
    y: np.ndarray,
    times: np.ndarray,
    horizon: int,
    quantiles: tuple[float, ...],
    seed: int = 0,
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Forecasts of a fitted :class:`ETSState` after ``y`` (reseasonalised when adjusted)."""
    if state.season is None:
        return forecast_state(state, y, horizon, quantiles, seed)
    inside, ahead = state.season.along(y, times, horizon)
    mean, qs = forecast_state(state, state.season.adjust(y, inside), horizon, quantiles, seed)
    restore = state.season.restore
    return restore(mean, ahead), {q: restore(v, ahead) for q, v in qs.items()}



def restarted(state: ETSState, y: np.ndarray, times: np.ndarray) -> ETSState:
    """``state`` for a history ``y`` that starts after the fit's first time (adjusted as at the
    fit): the fitted seasonal states at the phase that fits ``y`` best (the history's phase is
    not known from the states), the level and trend estimated on ``y`` (least squares for a
    linear form; Nelder-Mead from R's heuristic start for a multiplicative season), the form
    and smoothing parameters as fitted. The season holds from the fit's long past where the
    level has moved on; ``state`` itself where ``y`` is too short or no estimate is finite."""
    if state.season is not None:
        y = state.season.adjust(y, state.season.along(y, times, 0)[0])
    spec = state.spec
    lead = 1 + (spec.trend is not None)
    if len(y) < lead + 2 or (spec.error == "mul" and np.min(y) <= 0):
        return state
    phases = [_at_phase(state.x0, r) for r in range(spec.m if spec.seasonal else 1)]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if spec.seasonal == "mul":
            x0 = _mul_season_lead(y, spec, state.par, phases)
        else:
            x0 = _linear_lead(y, spec, state.par, phases)
    if x0 is None or not np.all(np.isfinite(x0)):
        return state
    return ETSState(spec, state.par, x0, state.aicc, state.sigma2, state.season)


def _at_phase(x0: np.ndarray, r: int) -> np.ndarray:
    """Initial states ``x0`` with the season moved on by ``r`` steps and no level or trend."""
    x = np.zeros_like(x0)
    x[2:] = np.roll(x0[2:], r)
    return x


def _linear_lead(y: np.ndarray, spec: ETSSpec, par: np.ndarray, phases: list[np.ndarray]) -> np.ndarray | None:
    """Of a linear form (one-step predictions affine in the initial states): the seasonal
    states of ``phases`` with the level and trend by (weighted) least squares, the best fit
    (None where no likelihood is finite)."""
    lead = 1 + (spec.trend is not None)
    p = len(phases[0])
    zero = smooth(y, spec, par, np.zeros(p))[0]
    X = np.column_stack([smooth(y, spec, par, np.eye(p)[j])[0] - zero for j in range(lead)])
    weights = 1.0 / y if spec.error == "mul" else np.ones_like(y)
    best, best_lik = phases[0], np.inf
    for x in phases:
        base = smooth(y, spec, par, x)[0]
        free = np.linalg.lstsq(X * weights[:, None], (y - base) * weights, rcond=None)[0]
        lik = _likelihood(y, base + X @ free, spec.error)
        if lik < best_lik:
            best, best_lik = x.copy(), lik
            best[:lead] = free
    return best if best_lik < HUGE / 2 else None


def _mul_season_lead(y: np.ndarray, spec: ETSSpec, par: np.ndarray, phases: list[np.ndarray]) -> np.ndarray | None:
    """Of a multiplicative season: the phase whose seasonal states fit best from R's
    heuristic level and trend for them, then those two by Nelder-Mead (None where no
    likelihood is finite)."""
    lead = 1 + (spec.trend is not None)
    criterion = _mul_season_criterion(y, spec)
    searched = [par[0]] + [par[1]] * (spec.trend is not None) + [par[2]] + [par[3]] * spec.damped

    def lik(x: np.ndarray, head: np.ndarray) -> float:
        return criterion(searched + head.tolist() + free_states(spec, x)[lead:].tolist())

    starts = [(x, _initial_states(y, spec, x[:1:-1])[:lead]) for x in phases]  # the cycle by phase
    x, head = min(starts, key=lambda s: lik(*s))
    unbounded = np.full(lead, np.inf)
    head, value = nelder_mead(lambda h: lik(x, h), head, -unbounded, unbounded, tol=TOL)
    if not value < HUGE / 2:
        return None
    out = x.copy()
    out[:lead] = head
    return out
