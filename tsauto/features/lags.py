"""Lags and rolling-window statistics of the target, for all series at once.

Two paths compute the same numbers: :func:`lag_matrix` over the whole history (the training
matrix, one vectorised pass over the flat array of all series) and :func:`lag_step` over a
buffer holding the last values of every series (one recursive prediction step). A rolling window
``w`` covers the ``w`` values before the row (lag 1 to lag ``w``), so it never sees the row's own
target; it is missing until the series has ``w`` past values, and where any of them is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

STATS = ("mean", "std", "min", "max")


@dataclass(frozen=True)
class LagSpec:
    """Which lags and rolling windows of the (transformed) target become features."""

    lags: tuple[int, ...]
    windows: tuple[int, ...]
    stats: tuple[str, ...] = STATS

    @property
    def names(self) -> list[str]:
        return [f"lag{k}" for k in self.lags] + [
            f"roll{w}_{s}" for w in self.windows for s in self.stats
        ]

    @property
    def depth(self) -> int:
        """How many past values a prediction step needs."""
        return max([*self.lags, *self.windows, 1])


def positions(indptr: np.ndarray) -> np.ndarray:
    """Position of every row within its series (0 for the first observation)."""
    lengths = np.diff(indptr)
    return np.arange(int(indptr[-1])) - np.repeat(indptr[:-1], lengths)


def lag_matrix(y: np.ndarray, indptr: np.ndarray, spec: LagSpec) -> np.ndarray:
    """Features of every row of the flat array ``y``; shape (len(y), len(spec.names))."""
    n = len(y)
    pos = positions(indptr)
    out = np.empty((n, len(spec.names)), dtype=np.float64)
    col = 0
    for k in spec.lags:
        shifted = np.full(n, np.nan)
        shifted[k:] = y[: n - k] if k < n else shifted[k:]
        shifted[pos < k] = np.nan
        out[:, col] = shifted
        col += 1
    if not spec.windows:
        return out
    finite = np.isfinite(y)
    v = np.where(finite, y, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(v)])
    csq = np.concatenate([[0.0], np.cumsum(v * v)])
    ccount = np.concatenate([[0], np.cumsum(finite)])
    rows = np.arange(n)
    for w in spec.windows:
        valid = pos >= w
        start = np.where(valid, rows - w, 0)
        valid &= (ccount[rows] - ccount[start]) == w
        total = csum[rows] - csum[start]
        mean = total / w
        windows = None
        for s in spec.stats:
            if s == "mean":
                values = mean
            elif s == "std":
                var = (csq[rows] - csq[start]) / w - mean * mean
                values = np.sqrt(np.clip(var, 0.0, None))
            else:
                if windows is None:
                    windows = sliding_window_view(v, w) if n >= w else np.zeros((0, w))
                reduced = windows.min(axis=1) if s == "min" else windows.max(axis=1)
                values = np.full(n, np.nan)
                values[w:] = reduced[: n - w]
            out[:, col] = np.where(valid, values, np.nan)
            col += 1
    return out


def lag_step(buffer: np.ndarray, spec: LagSpec) -> np.ndarray:
    """Features for the next step from ``buffer`` (n_series, depth) of the latest values."""
    depth = buffer.shape[1]
    cols = [buffer[:, depth - k] for k in spec.lags]
    for w in spec.windows:
        win = buffer[:, depth - w :]
        for s in spec.stats:
            if s == "mean":
                cols.append(win.mean(axis=1))
            elif s == "std":
                cols.append(win.std(axis=1))
            elif s == "min":
                cols.append(win.min(axis=1))
            else:
                cols.append(win.max(axis=1))
    return np.column_stack(cols) if cols else np.zeros((buffer.shape[0], 0))


def tail_buffer(y: np.ndarray, indptr: np.ndarray, depth: int) -> np.ndarray:
    """The last ``depth`` values of every series, left-padded with NaN; (n_series, depth)."""
    n_series = len(indptr) - 1
    out = np.full((n_series, depth), np.nan)
    lengths = np.diff(indptr)
    take = np.minimum(lengths, depth)
    rows = np.repeat(np.arange(n_series), take)
    within = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    src = np.repeat(indptr[1:] - take, take) + within
    out[rows, depth - np.repeat(take, take) + within] = y[src]
    return out
