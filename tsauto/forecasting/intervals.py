"""Conformal prediction intervals from cross-validation residuals.

For learners without native quantiles: the out-of-fold errors of every series are divided by the
series' scale (the mean absolute seasonal-naive step of its history, as in MASE), pooled across
series and folds per horizon step, and their empirical quantiles are added back to a forecast
in the scale of its own series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tsauto.forecasting.panel import Panel
from tsauto.forecasting.metrics import lagged_difference_mean


def series_scale(panel: Panel, season: int) -> np.ndarray:
    """MASE scale per series: mean |y[t] - y[t - season]| (lag 1 for series not longer than a
    season); where it is 0, the mean |y| of all series (or 1)."""
    lag = np.where(panel.lengths > season, season, 1)
    scale = lagged_difference_mean(panel.y, panel.indptr, lag)
    scale[~(scale > 0)] = np.nan
    fallback = np.nanmean(np.abs(panel.y)) if np.isfinite(panel.y).any() else 1.0
    return np.where(np.isfinite(scale), scale, fallback if fallback > 0 else 1.0)


@dataclass
class ConformalIntervals:
    """Quantiles of scaled out-of-fold errors per horizon step."""

    quantiles: tuple[float, ...]
    offsets_: np.ndarray | None = None  # (len(quantiles), horizon)

    def fit(self, errors: np.ndarray, steps: np.ndarray, horizon: int) -> "ConformalIntervals":
        """``errors`` = (actual - forecast) / scale of each scored cell; ``steps`` 1-based."""
        out = np.zeros((len(self.quantiles), horizon))
        for h in range(1, horizon + 1):
            e = errors[(steps == h) & np.isfinite(errors)]
            if e.size == 0:
                e = errors[np.isfinite(errors)]
            if e.size:
                out[:, h - 1] = np.quantile(e, self.quantiles)
        self.offsets_ = out
        return self

    def apply(self, mean: np.ndarray, scale: np.ndarray) -> dict[float, np.ndarray]:
        """Quantile forecasts around ``mean`` (n_series, H) for series of the given scales."""
        return {
            q: mean + self.offsets_[i][None, :] * scale[:, None]
            for i, q in enumerate(self.quantiles)
        }
