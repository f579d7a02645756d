"""The Theta family per series: standard, optimised and dynamic Theta (Fiorucci et al. 2016).

The state-space Theta models of Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler (2016),
"Models for optimising the theta method and their relationship to state space models", IJF 32:

* ``STM``: the standard Theta method (Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah
  2003): SES plus half the drift of the regression line, ``theta = 2``;
* ``OTM``: the optimised Theta model, ``theta >= 1`` estimated;
* ``DSTM`` / ``DOTM``: their dynamic versions, whose regression line (``A_t``, ``B_t``) is
  updated with every observation.

``model="auto"`` fits all four and keeps the one of lowest in-sample mean squared one-step
error (from the fourth observation on), as statsforecast's ``AutoTheta`` does; it is the default.

One-step prediction of observation ``t`` (0-based) from ``t`` observations:
``mu_t = l_{t-1} + (1 - 1/theta) (A_{t-1} (1-alpha)^t + B_{t-1} (1 - (1-alpha)^{t+1}) / alpha)``,
with SES levels ``l_t = alpha y_t + (1 - alpha) l_{t-1}`` started at ``l_{-1}``; the line's
``A``, ``B`` are the least-squares line of the series (static) or updated with every observation
(dynamic), in closed form. ``l_{-1}``, ``alpha`` in ``[0.1, 0.99]`` and (OTM, DOTM) ``theta >= 1``
minimise the squared one-step errors from the fourth observation on, by the Nelder-Mead search of
statsforecast (:mod:`~tsauto.forecasting.learners.optim`) from ``(y_0 / 2, 0.5, 2)``: on M1 its
stopping rule forecast better than the exact minimum (which sends ``theta`` to its bound and
``alpha`` to wherever a flat criterion happens to be lowest; yearly sMAPE 16.2 vs 15.9).

Seasonality, as in the original method and the M4 benchmarks: when ``task.season >= 4`` and the
90% autocorrelation test at the seasonal lag is significant, the series is divided by the
classical multiplicative decomposition's indices (additive when the series is not positive or
an index falls below 0.01), the model is fitted on the adjusted series and the forecasts are
reseasonalised.

The learner estimates the series of a chunk together, in groups of similar length: one
Nelder-Mead per series, run in lock step with one vectorised criterion
(:func:`~tsauto.forecasting.learners.optim.nelder_mead_batch`); each series takes the steps it
would take alone (5x less CPU on M1 monthly; M4 Weekly 26 -> 4 s with the length groups and a
criterion of fewer array passes, the same estimates).

The fitted state is the model, ``alpha``, ``theta``, ``l_{-1}``, the seasonal indices and the
in-sample MSE; ``predict`` runs the recursion with those fixed values over the history it is
given (no re-estimation). Intervals are normal with the SES h-step variance
``sigma2 (1 + (h - 1) alpha^2)`` of the adjusted series, reseasonalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm

from tsauto.forecasting.learners.base import LearnerTags, Task
from tsauto.forecasting.learners.decomposition import Method, Seasonality, is_seasonal
from tsauto.forecasting.learners.local import LocalLearner, SeriesData
from tsauto.forecasting.learners.optim import nelder_mead_batch

ThetaModelName = Literal["auto", "STM", "OTM", "DSTM", "DOTM"]
MODELS = {"STM": (False, False), "OTM": (False, True), "DSTM": (True, False), "DOTM": (True, True)}
ALPHA_RANGE = (0.1, 0.99)
SKIP = 3  # the first errors, left out of the fit criterion (statsforecast's ``e[3:]``)
PADDING = 1.5  # series estimated together differ in length by at most this factor,
PADDED = 200  # or are padded to at most this many points (the cost is then in the steps)


@dataclass(frozen=True)
class ThetaState:
    """Fitted Theta model of one series."""

    model: str
    alpha: float
    theta: float
    level0: float  # the SES level before the first observation
    mse: float  # fit criterion: mean squared one-step error from observation SKIP on
    season: Seasonality | None


def regression_states(y: np.ndarray, dynamic: bool) -> tuple[np.ndarray, np.ndarray]:
    """Intercept ``A_t`` and slope ``B_t`` of the Theta line after each observation.

    Static models use the least-squares line of the whole series; dynamic ones update it with
    each observation: ``B_t = ((t-1) B_{t-1} + 6 (y_t - mean_{t-1}) / (t+1)) / (t+2)``,
    ``A_t = mean_t - B_t (t+2)/2`` (``A_0 = y_0``, ``B_0 = 0``), summed in closed form.
    """
    n = len(y)
    i = np.arange(n, dtype=np.float64)
    if not dynamic:
        t = i + 1
        slope = 6 * (2 * np.mean(t * y) - (1 + n) * np.mean(y)) / (n**2 - 1) if n > 1 else 0.0
        return np.full(n, np.mean(y) - (n + 1) * slope / 2), np.full(n, slope)
    mean = np.cumsum(y) / (i + 1)
    increments = np.zeros(n)
    increments[1:] = 6 * i[1:] * (y[1:] - mean[:-1])
    slope = np.zeros(n)
    slope[1:] = np.cumsum(increments)[1:] / (i[1:] * (i[1:] + 1) * (i[1:] + 2))
    return mean - slope * (i + 2) / 2, slope


def _ses_levels(y: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """SES levels started at zero, per row (``alpha`` per row): a loop over time across the
    rows when there are many short rows, else ``lfilter`` row by row (the same arithmetic)."""
    rows, n = y.shape
    if 3 * n >= 10 * rows:
        return np.stack([lfilter([a], [1.0, a - 1.0], row) for a, row in zip(alpha, y)])
    keep = 1.0 - alpha
    levels = np.empty_like(y)
    prev = np.zeros(rows)
    for t in range(n):
        prev = alpha * y[:, t] + keep * prev
        levels[:, t] = prev
    return levels


def one_step_errors(
    y: np.ndarray, A: np.ndarray, B: np.ndarray, alpha: np.ndarray, level0: np.ndarray,
    weight: float | np.ndarray,
) -> np.ndarray:
    """One-step errors of observations ``SKIP`` on, per row of ``y``: ``A``, ``B`` the line's
    states per observation (or one column, a static line), ``alpha``, ``level0`` and the drift's
    ``weight`` per row (rows padded past their end are harmless: time only runs forward).

    ``y_t - l_{t-1} - (1-alpha)^t (level0 + weight (A_{t-1} - (1-alpha) B_{t-1} / alpha))
    - weight B_{t-1} / alpha``, with ``l`` the SES levels started at zero."""
    n = y.shape[1]
    a = alpha[:, None]
    decay = np.exp(np.log1p(-a) * np.arange(SKIP, n))
    if A.shape[1] > 1:
        A, B = A[:, SKIP - 1 : -1], B[:, SKIP - 1 : -1]
    drift = (np.reshape(weight, (-1, 1)) / a) * B
    shift = np.reshape(weight, (-1, 1)) * A - (1.0 - a) * drift + np.reshape(level0, (-1, 1))
    return y[:, SKIP:] - _ses_levels(y[:, :-1], alpha)[:, SKIP - 1 :] - drift - decay * shift


def fit_model(ys: list[np.ndarray], model: str) -> list[tuple[float, float, float, float]]:
    """``(mse, alpha, theta, level0)`` of one Theta model on each series of ``ys`` (adjusted
    already), all at once: one Nelder-Mead per series, in lock step."""
    dynamic, optimise_theta = MODELS[model]
    lengths = np.array([len(y) for y in ys])
    n = int(lengths.max())
    width = n if dynamic else 1  # a static line has one state
    Y, A, B = np.zeros((len(ys), n)), np.zeros((len(ys), width)), np.zeros((len(ys), width))
    for k, y in enumerate(ys):
        Y[k, : len(y)] = y
        a, b = regression_states(y, dynamic)
        if dynamic:
            A[k, : len(y)], B[k, : len(y)] = a, b
        else:
            A[k], B[k] = a[0], b[0]
    used = np.arange(SKIP, n)[None, :] < lengths[:, None]  # errors in the criterion
    scale = np.array([max(float(np.mean(np.abs(y))), 1e-10) for y in ys])
    k = 2 + optimise_theta

    def criterion(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        weight = 1.0 - 1.0 / points[:, 2] if optimise_theta else 0.5
        e = one_step_errors(Y[rows], A[rows], B[rows], points[:, 1], points[:, 0], weight)
        e[~used[rows]] = 0.0
        return np.einsum("ij,ij->i", e, e) / scale[rows]

    start = np.array([[y[0] / 2, 0.5, 2.0][:k] for y in ys])
    lower = np.tile([-1e10, ALPHA_RANGE[0], 1.0][:k], (len(ys), 1))
    upper = np.tile([1e10, ALPHA_RANGE[1], 1e10][:k], (len(ys), 1))
    x, f = nelder_mead_batch(criterion, start, lower, upper)
    theta = x[:, 2] if optimise_theta else np.full(len(ys), 2.0)
    mse = f * scale / np.maximum(lengths - SKIP, 1)
    return [(float(mse[i]), float(x[i, 1]), float(theta[i]), float(x[i, 0])) for i in range(len(ys))]


def fit_many(
    ys: list[np.ndarray],
    times: list[np.ndarray],
    period: int,
    model: ThetaModelName = "auto",
    decomposition: Method = "multiplicative",
) -> list[ThetaState | Exception]:
    """:func:`fit_theta` on each series, the models estimated for all series at once."""
    out: list[ThetaState | Exception] = [ValueError("not fitted")] * len(ys)
    adjusted, seasons, ok = [], [], []
    for i, (y, t) in enumerate(zip(ys, times)):
        if len(y) <= SKIP:
            out[i] = ValueError(f"{len(y)} observations: Theta needs more than {SKIP}")
            continue
        season = None
        try:
            if period >= 4 and is_seasonal(y, period):
                season = Seasonality.fit(y, t, period, decomposition)
                y = season.adjust(y, season.along(y, t, 0)[0])
        except (ValueError, np.linalg.LinAlgError) as err:
            out[i] = err
            continue
        adjusted.append(y)
        seasons.append(season)
        ok.append(i)
    if not ok:
        return out
    best: list[tuple[str, tuple] | None] = [None] * len(ok)
    with np.errstate(all="ignore"):
        for group in length_groups([len(y) for y in adjusted]):
            for name in MODELS if model == "auto" else (model,):
                for j, fit in zip(group, fit_model([adjusted[j] for j in group], name)):
                    if best[j] is None or fit[0] < best[j][1][0]:
                        best[j] = (name, fit)
    for j, i in enumerate(ok):
        name, (mse, alpha, theta, level0) = best[j]
        out[i] = ThetaState(name, alpha, theta, level0, mse, seasons[j])
    return out


def length_groups(lengths: list[int]) -> list[list[int]]:
    """Positions of series of similar length (the longest at most ``PADDING`` times the
    shortest, or at most ``PADDED`` points): series estimated together are padded to the
    longest of their group, so a group of mixed lengths would do (and hold) work for the
    padding (M4 Weekly, 67 to 2,584 points: half the time of one group)."""
    groups: list[list[int]] = []
    for j in np.argsort(lengths, kind="stable"):
        if groups and lengths[j] <= max(PADDING * lengths[groups[-1][0]], PADDED):
            groups[-1].append(int(j))
        else:
            groups.append([int(j)])
    return groups


def fit_theta(
    y: np.ndarray,
    times: np.ndarray,
    period: int,
    model: ThetaModelName = "auto",
    decomposition: Method = "multiplicative",
) -> ThetaState:
    """Test for the season, adjust, fit ``model`` (or choose among all four by MSE)."""
    state = fit_many([y], [times], period, model, decomposition)[0]
    if isinstance(state, Exception):
        raise state
    return state


def forecast_theta(
    state: ThetaState,
    y: np.ndarray,
    times: np.ndarray,
    horizon: int,
    quantiles: tuple[float, ...] = (),
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Run the fixed-parameter recursion over ``y`` and forecast ``horizon`` steps."""
    ahead = None
    if state.season is not None:
        inside, ahead = state.season.along(y, times, horizon)
        y = state.season.adjust(y, inside)
    n, alpha = len(y), state.alpha
    dynamic = MODELS[state.model][0]
    weight = 1.0 - 1.0 / state.theta
    A, B = regression_states(y, dynamic)
    levels = lfilter([alpha], [1.0, alpha - 1.0], y, zi=[(1.0 - alpha) * state.level0])[0]
    resid = one_step_errors(y[None], A[None], B[None], np.array([alpha]), np.array([state.level0]), weight)[0]
    level, a, b, mean = levels[-1], A[-1], B[-1], float(np.mean(y))
    out = np.empty(horizon)
    for j in range(horizon):
        i = n + j
        mu = level + weight * (a * (1 - alpha) ** i + b * (1 - (1 - alpha) ** (i + 1)) / alpha)
        out[j] = mu
        level = alpha * mu + (1 - alpha) * level
        if dynamic:
            b = ((i - 1) * b + 6 * (mu - mean) / (i + 1)) / (i + 2)
            mean = (i * mean + mu) / (i + 1)
            a = mean - b * (i + 2) / 2
    sigma = np.sqrt(np.mean(resid**2) * (1.0 + np.arange(horizon) * alpha**2)) if resid.size else 0.0
    qs = {q: out + norm.ppf(q) * sigma for q in quantiles}
    if ahead is not None:
        out = state.season.restore(out, ahead)
        qs = {q: state.season.restore(v, ahead) for q, v in qs.items()}
    return out, qs


class ThetaLearner(LocalLearner):
    """Theta models per series, deseasonalised when the season tests significant.

    Parameters
    ----------
    model:
        ``"auto"`` (the best of the four by in-sample MSE, as ``AutoTheta``), or one of
        ``"STM"`` (standard Theta), ``"OTM"``, ``"DSTM"``, ``"DOTM"``.
    decomposition:
        ``"multiplicative"`` (additive where the series is not positive) or ``"additive"``.
    series_time_limit:
        Seconds per series (see :class:`~tsauto.forecasting.learners.local.LocalLearner`).
    max_length:
        Each series is fitted on its last ``max_length`` points (``None``: all of them).
    """

    name = "theta"
    tags = LearnerTags(kind="local", native_quantiles=True)
    # Theta's batch fit is cheap per value: worker processes (started anew in a refit's worker)
    # cost more than they save (M1 monthly, 45,000 values: 0.9 s in process, 4.0 s on 2 workers,
    # a budgeted refit estimated at 0.4 s then missed its deadline; M4 Weekly, 367,000: 4.9 s
    # against 4.0 s)
    together_in_process = 500_000
    # and so are its forecasts (2026-12-07: Australian retail, 60,884 values, 0.04 s in process,
    # 1.7 s on 2 workers, their start: the first forecast after a budgeted fit, user test 55's 4-7 s)
    forecast_in_process = 500_000

    @staticmethod
    def search_space(trial) -> dict:
        """Which Theta model: chosen per series, or one for all."""
        return {"model": trial.suggest_categorical("model", ["auto", "STM", "OTM", "DOTM"])}

    def __init__(
        self,
        model: ThetaModelName = "auto",
        decomposition: Method = "multiplicative",
        series_time_limit: float | None = 60.0,
        max_length: int | None = None,
    ):
        self.model = model
        self.decomposition = decomposition
        self.series_time_limit = series_time_limit
        self.max_length = max_length

    def min_length(self, task: Task) -> int:
        return SKIP + 1

    def _check_params(self) -> None:
        if self.model != "auto" and self.model not in MODELS:
            raise ValueError(f"model={self.model!r}: use 'auto' or one of {list(MODELS)}.")
        if self.decomposition not in ("multiplicative", "additive"):
            raise ValueError(f"decomposition={self.decomposition!r}: 'multiplicative' or 'additive'.")

    def _fit_one(self, series: SeriesData, task: Task) -> ThetaState:
        return fit_theta(series.y, series.times, task.season, self.model, self.decomposition)

    def _fit_many(self, chunk: list[SeriesData], task: Task) -> list[ThetaState | Exception]:
        """All series at once (:func:`fit_many`)."""
        return fit_many([s.y for s in chunk], [s.times for s in chunk], task.season, self.model,
                        self.decomposition)

    def _forecast_one(
        self, state: ThetaState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        return forecast_theta(state, series.y, series.times, task.horizon, task.quantiles)
