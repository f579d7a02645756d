"""Intermittent demand: Croston (classic / SBA) and TSB, plus the Syntetos-Boylan test.

Both learners keep no fitted parameters beyond their smoothing constants, so ``predict`` runs
them on whatever history it is given. Smoothing follows statsforecast's
``CrostonClassic`` / ``CrostonSBA`` / ``TSB``: simple exponential smoothing started at the first
value. Croston smooths the non-zero demand sizes ``z`` and the intervals between demands ``p``
(the first interval counts from the series start) and forecasts ``z / p``, times
``1 - alpha / 2`` for SBA (Syntetos & Boylan 2005). TSB (Teunter, Syntetos & Babai 2011) smooths
the sizes over demand periods and the occurrence indicator over every period, and forecasts
their product. Forecasts are flat over the horizon.

Quantiles (documented choice): one future period is modelled as demand with probability
``prob`` (TSB: the smoothed occurrence; Croston: ``1 / p``), of a size drawn from the series'
own non-zero values rescaled so that their mean is the smoothed size ``z`` (additively shifted
when some sizes are negative). So the ``q`` quantile is 0 when ``q <= 1 - prob`` and otherwise
the ``(q - (1 - prob)) / prob`` empirical quantile of the sizes: never below 0 for a
non-negative series, and honest for sparse series, whose upper quantiles can lie at 0 below the
mean. The same distribution holds at every horizon step (no variance growth), as the model
implies for stationary demand.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.signal import lfilter

from tsauto.forecasting.panel import Panel
from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags, Task

ADI_THRESHOLD = 1.32  # Syntetos & Boylan (2005): average inter-demand interval cut-off
Variant = Literal["classic", "sba"]


def average_demand_interval(y: np.ndarray) -> float:
    """Periods per demand occurrence, ``len(y) / count(y != 0)`` (``inf`` without demand)."""
    nonzero = int(np.count_nonzero(y))
    return float(len(y) / nonzero) if nonzero else float("inf")


def is_intermittent(y: np.ndarray) -> bool:
    """Syntetos-Boylan: a series is intermittent when its ADI exceeds 1.32."""
    return average_demand_interval(np.asarray(y)) > ADI_THRESHOLD


def intermittent_share(panel: Panel, stopped: np.ndarray | None = None) -> float:
    """Share of the panel's series that are intermittent (see :func:`is_intermittent`), of
    those not ``stopped`` (discontinued: forecast as zero, their trailing zeros no demand
    pattern); 0 where none is left."""
    nonzero = np.bincount(
        panel.series_codes(), weights=(panel.y != 0).astype(np.float64), minlength=panel.n_series
    )
    adi = np.divide(panel.lengths, nonzero, out=np.full(panel.n_series, np.inf), where=nonzero > 0)
    kept = np.ones(panel.n_series, dtype=bool) if stopped is None else ~np.asarray(stopped, dtype=bool)
    return float(np.mean(adi[kept] > ADI_THRESHOLD)) if kept.any() else 0.0


def ses_last(x: np.ndarray, alpha: float) -> float:
    """Simple exponential smoothing of ``x`` started at ``x[0]``: the level after the last."""
    return float(lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * x[0]])[0][-1])


def croston(
    y: np.ndarray, alpha: float = 0.1, variant: Variant = "classic"
) -> tuple[float, float, float]:
    """Croston's forecast of one series: (forecast, smoothed size, demand probability)."""
    idx = np.flatnonzero(y)
    if idx.size == 0:
        return 0.0, 0.0, 0.0
    size = ses_last(y[idx], alpha)
    interval = ses_last(np.diff(idx + 1, prepend=0).astype(np.float64), alpha)
    factor = 1.0 - alpha / 2.0 if variant == "sba" else 1.0
    return factor * size / interval, size, min(1.0, 1.0 / interval)


def tsb(y: np.ndarray, alpha_d: float = 0.1, alpha_p: float = 0.1) -> tuple[float, float, float]:
    """TSB forecast of one series: (forecast, smoothed size, smoothed demand probability)."""
    idx = np.flatnonzero(y)
    if idx.size == 0:
        return 0.0, 0.0, 0.0
    size = ses_last(y[idx], alpha_d)
    prob = ses_last((y != 0).astype(np.float64), alpha_p)
    return size * prob, size, prob


def demand_quantiles(
    y: np.ndarray, size: float, prob: float, quantiles: tuple[float, ...]
) -> dict[float, float]:
    """Quantiles of one period's demand: zero w.p. ``1 - prob``, else a rescaled past size."""
    sizes = y[y != 0]
    if sizes.size == 0 or prob <= 0:
        return {q: 0.0 for q in quantiles}
    mean = sizes.mean()
    if np.all(sizes > 0):
        sizes = sizes * (size / mean)
    else:
        sizes = sizes + (size - mean)
    out = {}
    for q in quantiles:
        if q <= 1.0 - prob:
            out[q] = 0.0
        else:
            out[q] = float(np.quantile(sizes, (q - (1.0 - prob)) / prob))
    return out


class _Intermittent(Learner):
    """Shared machinery: one flat forecast per series, computed from the given history."""

    tags = LearnerTags(kind="local", native_quantiles=True)

    def _fit(self, panel: Panel, task: Task) -> None:
        self._check_params()
        self.fitted_ = True

    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast:
        task = self.task_
        n = history.n_series
        point = np.zeros(n)
        quant = {q: np.zeros(n) for q in task.quantiles}
        for i in range(n):
            y = history.y[history.indptr[i] : history.indptr[i + 1]]
            point[i], size, prob = self._one(y)
            for q, v in demand_quantiles(y, size, prob, task.quantiles).items():
                quant[q][i] = v
        horizon = np.ones(task.horizon)
        return Forecast(
            point[:, None] * horizon, {q: v[:, None] * horizon for q, v in quant.items()}
        )

    def _check_params(self) -> None:
        raise NotImplementedError

    def _one(self, y: np.ndarray) -> tuple[float, float, float]:
        raise NotImplementedError


def _check_alpha(name: str, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name}={value!r}: a smoothing constant lies in (0, 1].")


class Croston(_Intermittent):
    """Croston's method for intermittent demand.

    Parameters
    ----------
    alpha:
        Smoothing constant of the demand sizes and of the intervals.
    variant:
        ``"classic"`` or ``"sba"`` (Syntetos-Boylan approximation: bias-corrected by
        ``1 - alpha / 2``).
    """

    name = "croston"

    def __init__(self, alpha: float = 0.1, variant: Variant = "classic"):
        self.alpha = alpha
        self.variant = variant

    def _check_params(self) -> None:
        _check_alpha("alpha", self.alpha)
        if self.variant not in ("classic", "sba"):
            raise ValueError(f"variant={self.variant!r}: use 'classic' or 'sba'.")

    def _one(self, y: np.ndarray) -> tuple[float, float, float]:
        return croston(y, self.alpha, self.variant)


class TSB(_Intermittent):
    """Teunter-Syntetos-Babai: smoothed demand size times smoothed demand probability.

    Parameters
    ----------
    alpha_d:
        Smoothing constant of the demand sizes (updated in demand periods).
    alpha_p:
        Smoothing constant of the demand probability (updated every period).
    """

    name = "tsb"

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1):
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _check_params(self) -> None:
        _check_alpha("alpha_d", self.alpha_d)
        _check_alpha("alpha_p", self.alpha_p)

    def _one(self, y: np.ndarray) -> tuple[float, float, float]:
        return tsb(y, self.alpha_d, self.alpha_p)
