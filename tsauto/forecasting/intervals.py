"""Conformal prediction intervals from cross-validation residuals.

For learners without native quantiles: the out-of-fold errors of every series are divided by the
series' scale (:func:`tsauto.forecasting.metrics.normalising_scale`, as in MASE), pooled across
series and folds per horizon step, and their empirical quantiles are added back to a forecast
in the scale of its own series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



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
