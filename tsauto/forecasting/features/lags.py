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
from scipy.ndimage import maximum_filter1d, minimum_filter1d

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


def lag_matrix(
    y: np.ndarray, indptr: np.ndarray, spec: LagSpec, out: np.ndarray | None = None
) -> np.ndarray:
    """Features of every row of the flat array ``y``; shape (len(y), len(spec.names)).

    Built feature by feature into a (n_features, n_rows) block (contiguous writes) whose
    transpose is returned: a column-major matrix, which LightGBM takes without a copy. ``out``
    may be given to fill a block of a larger feature matrix.
    """
    n = len(y)
    block = np.empty((len(spec.names), n)) if out is None else out
    starts, lengths = indptr[:-1], np.diff(indptr)
    row = 0
    for k in spec.lags:
        block[row, k:] = y[: n - k] if k < n else block[row, k:]
        block[row, _heads(starts, lengths, k)] = np.nan
        row += 1
    if not spec.windows:
        return block.T
    finite = np.isfinite(y)
    v = np.where(finite, y, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(v)])
    csq = np.concatenate([[0.0], np.cumsum(v * v)])
    cbad = np.concatenate([[0], np.cumsum(~finite)])
    for w in spec.windows:
        # the window of row r is y[r-w .. r-1]: sums over [r-w, r) from the cumulative sums
        lo, hi = np.arange(-w, n - w), np.arange(n)
        lo_c = np.maximum(lo, 0)
        invalid = (lo < 0) | (cbad[hi] - cbad[lo_c] > 0)
        invalid[_heads(starts, lengths, w)] = True
        mean = (csum[hi] - csum[lo_c]) / w
        for stat in spec.stats:
            if stat == "mean":
                values = mean
            elif stat == "std":
                values = np.sqrt(np.clip((csq[hi] - csq[lo_c]) / w - mean * mean, 0.0, None))
            else:
                filt = minimum_filter1d if stat == "min" else maximum_filter1d
                trailing = filt(v, w, origin=(w - 1) // 2)  # over v[i-w+1 .. i]
                values = np.empty(n)
                values[1:] = trailing[:-1]
                values[0] = np.nan
            block[row] = values
            block[row, invalid] = np.nan
            row += 1
    return block.T


def _heads(starts: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of the first ``k`` rows of every series (those without a lag ``k``)."""
    take = np.minimum(lengths, k)
    offsets = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    return np.repeat(starts, take) + offsets


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
