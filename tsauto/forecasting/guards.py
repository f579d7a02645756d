"""Rules a forecaster applies to every forecast, whatever the learner: what the history rules
out is not forecast.

- **Non-negative**: a series never negative in its history gets forecasts and quantiles
  clipped at zero (``non_negative="auto"``; ``True`` clips every series, ``False`` none).
  A series whose history never reached zero but whose forecast is zero or below at every step
  is named apart (:data:`COLLAPSED`): the clip turns an extrapolated fall into a plausible-looking
  flat zero (an ARIMA on M1's QNC23, history 2,830 to 14,817, forecast -2,785), so the
  forecaster warns of it instead of hiding it.
- **Discontinued**: a series exactly zero over its last ``max(season, 3)`` steps or more (a
  full season; the horizon when there is no season), with that zero run longer than any earlier
  one (it never came back after so long a pause) and some activity before, is forecast zero.
- **Far outside**: a series forecast more than ``FAR_WIDTHS`` times its history's range beyond
  it is named (:func:`far_outside`), not changed: the actual values of short yearly series go
  as far now and then, so no band is safe to clip to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from tsauto.forecasting.panel import Panel

CLIPPED = "clipped at zero: never negative in the history"
COLLAPSED = "forecast zero or below at every step, set to zero: the history never reached zero"
# Forecasts further than this many widths of the history's range beyond it are named: on the
# validation windows of benchmarks/bench_suite.py (training parts, 3 origins), the actual values
# left such a band in 0 % of M1 quarterly, M4 Hourly, Weekly, Walmart and Australian retail
# series and under 5 % of M1 yearly ones (histories of a few years); a recursive model that
# extrapolates its newest steps leaves it (LightGBM on ETTh1: -252 after a history of -0.9 to 16.8).
FAR_WIDTHS = 5.0


@dataclass(frozen=True)
class Guards:
    """Which rules apply (see the module docstring)."""

    non_negative: bool | Literal["auto"] = "auto"
    discontinued: bool = True

    def apply(
        self,
        history: Panel,
        mean: np.ndarray,
        quantiles: dict[float, np.ndarray],
        season: int,
        horizon: int,
    ) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray]:
        """Guarded copies of ``mean`` and ``quantiles`` (n_series, H), and per series the rule
        that changed it ('' where none did)."""
        bounds = self.bounds(history, season, horizon)
        reason = np.full(history.n_series, "", dtype=object)
        reason[bounds.zero] = "discontinued: zero for a full season or more"
        clipped = bounds.floor & ~bounds.zero
        reason[clipped & (mean < 0).any(axis=1)] = CLIPPED
        guarded = bounds(mean)
        reason[clipped & (guarded <= 0).all(axis=1) & (history_minimum(history) > 0)] = COLLAPSED
        return guarded, {q: bounds(v) for q, v in quantiles.items()}, reason

    def bounds(self, history: Panel, season: int, horizon: int) -> Bounds:
        """What the rules do to each series of ``history``."""
        return Bounds(self.stopped(history, season, horizon), self.clipped(history))

    def stopped(self, history: Panel, season: int, horizon: int) -> np.ndarray:
        """Series forecast as zero, discontinued (none with ``discontinued=False``)."""
        if not self.discontinued:
            return np.zeros(history.n_series, dtype=bool)
        return discontinued(history, max(season if season > 1 else horizon, 3))

    def clipped(self, history: Panel) -> np.ndarray:
        """Series whose forecasts are clipped at zero."""
        if self.non_negative is True:
            return np.ones(history.n_series, dtype=bool)
        if self.non_negative is False:
            return np.zeros(history.n_series, dtype=bool)
        negative = np.add.reduceat((history.y < 0).astype(np.int64), history.indptr[:-1])
        return negative == 0


@dataclass(frozen=True, eq=False)  # arrays: identity equality
class Bounds:
    """Per series, the rule its forecasts follow: forecast zero (``zero``: discontinued) or
    clipped at zero (``floor``: never negative)."""

    zero: np.ndarray
    floor: np.ndarray

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one row per series; columns: steps, or sample paths) guarded, a copy."""
        out = np.where(self.zero[:, None], 0.0, values)
        return np.where(self.floor[:, None], np.maximum(out, 0.0), out)


def far_outside(history: Panel, mean: np.ndarray, widths: float = FAR_WIDTHS) -> np.ndarray:
    """Series whose forecasts ``mean`` (n_series, H) leave their history's range by more than
    ``widths`` times its width, a width grown by H / length where the history is shorter than
    the horizon (a trend over H steps); none where the history is constant."""
    lowest, highest = history_minimum(history), history_maximum(history)
    reach = widths * (highest - lowest) * np.maximum(1.0, mean.shape[1] / np.maximum(history.lengths, 1))
    with np.errstate(invalid="ignore"):
        beyond = (np.nanmin(mean, axis=1, initial=np.inf) < lowest - reach) | (
            np.nanmax(mean, axis=1, initial=-np.inf) > highest + reach)
    return beyond & (reach > 0)


def history_minimum(history: Panel) -> np.ndarray:
    """Each series' smallest value (NaN for an empty series)."""
    return _per_series(history, np.fmin)


def history_maximum(history: Panel) -> np.ndarray:
    """Each series' largest value (NaN for an empty series)."""
    return _per_series(history, np.fmax)


def _per_series(history: Panel, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc`` reduced over each series' values (NaN for an empty series)."""
    out = np.full(history.n_series, np.nan)
    filled = history.lengths > 0
    if filled.any():
        out[filled] = ufunc.reduceat(history.y, history.indptr[:-1][filled])
    return out


def trailing_zeros(history: Panel) -> np.ndarray:
    """Each series' run of exact zeros at its end (0 where its last value is not zero)."""
    return _zero_runs(history.y, history.indptr)[history.indptr[1:] - 1]


def _zero_runs(y: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """The run of zeros ending at each row, restarted at series starts (0 at a non-zero)."""
    zero = y == 0
    idx = np.arange(len(y))
    start_of_run = np.where(~zero, idx, -1)
    seg_start = np.repeat(indptr[:-1], np.diff(indptr))
    last_nonzero = np.maximum.accumulate(np.maximum(start_of_run, seg_start - 1))
    return np.where(zero, idx - last_nonzero, 0)


def discontinued(history: Panel, min_run: int) -> np.ndarray:
    """Series whose trailing run of exact zeros is at least ``min_run`` long, longer than any
    earlier zero run of theirs, and preceded by some non-zero value."""
    indptr = history.indptr
    lengths = np.diff(indptr)
    run = _zero_runs(history.y, indptr)
    trailing = run[indptr[1:] - 1]
    earlier = run.copy()
    ends = indptr[1:] - 1
    earlier[ends - np.minimum(trailing, lengths - 1)] = 0  # forget the trailing run itself
    earlier[ends] = 0
    longest_before = np.maximum.reduceat(
        np.where(_before_trailing(indptr, trailing), earlier, 0), indptr[:-1]
    )
    active_before = trailing < lengths
    return (trailing >= min_run) & (trailing > longest_before) & active_before


def _before_trailing(indptr: np.ndarray, trailing: np.ndarray) -> np.ndarray:
    """Rows of each series before its trailing zero run."""
    lengths = np.diff(indptr)
    pos = np.arange(indptr[-1]) - np.repeat(indptr[:-1], lengths)
    return pos < np.repeat(lengths - trailing, lengths)
