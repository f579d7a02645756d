"""Conformal prediction intervals from cross-validation residuals.

For learners without native quantiles: the out-of-fold errors of every series are divided by the
series' scale (the mean absolute seasonal-naive step of its history, as in MASE), pooled across
series and folds per horizon step, and their empirical quantiles are added back to a forecast
in the scale of its own series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Panel


def series_scale(panel: Panel, season: int) -> np.ndarray:
    """Mean |y[t] - y[t - season]| per series (season 1 where shorter; 1 where it is 0)."""
    lengths = panel.lengths
    lag = np.where(lengths > season, season, 1).astype(np.int64)
    scale = _mean_abs_diff(panel, lag)
    scale[~(scale > 0)] = np.nan
    fallback = np.nanmean(np.abs(panel.y)) if np.isfinite(panel.y).any() else 1.0
    return np.where(np.isfinite(scale), scale, fallback if fallback > 0 else 1.0)


def _mean_abs_diff(panel: Panel, lag: np.ndarray) -> np.ndarray:
    y, indptr = panel.y, panel.indptr
    codes = panel.series_codes()
    pos = np.arange(len(y)) - np.repeat(indptr[:-1], panel.lengths)
    lag_rows = lag[codes]
    ok = pos >= lag_rows
    diff = np.zeros(len(y))
    idx = np.flatnonzero(ok)
    diff[idx] = np.abs(y[idx] - y[idx - lag_rows[idx]])
    count = np.bincount(codes, weights=ok.astype(float), minlength=panel.n_series)
    total = np.bincount(codes, weights=diff, minlength=panel.n_series)
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


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
