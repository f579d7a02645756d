"""Ensemble weights by series length: a blend for the short half of the series, one for the rest.

A global model learns little from a series of a dozen points; a local model little more from
one of hundreds that a global model has seen many like. One set of ensemble weights serves the
average series. Here the members' out-of-fold forecasts choose a second pair of blends (greedy
ensemble selection on the cells of the series shorter than the median length of those scored,
and on the others), each shrunk halfway to the blend of all series, so that a few validation windows do not swing
a group's weights (the halfway shrinkage and the median split were chosen on validation windows
of the M1 and M4 Weekly training parts: see ``benchmarks/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tsauto.core.ensemble import greedy_ensemble
from tsauto.forecasting.backtest import FoldResults, windows_of
from tsauto.forecasting.metrics import comparable_scale

MIN_GROUP = 30  # series a group needs for its own blend
SHRINK = 0.5  # of a group's blend, the share that moves to the blend of all series


@dataclass(frozen=True)
class LengthRoutes:
    """Member weights for series shorter than ``threshold`` observations and for the others."""

    threshold: float
    short: np.ndarray
    long: np.ndarray

    def weights(self, lengths: np.ndarray) -> np.ndarray:
        """Weights of every member for every series: ``(members, series, 1)``."""
        short = (np.asarray(lengths) < self.threshold)[None, :, None]
        return np.where(short, self.short[:, None, None], self.long[:, None, None])

    def describe(self, names: Sequence[str]) -> str:
        def one(w: np.ndarray) -> str:
            return " + ".join(f"{x:.2f}×{n}" for x, n in zip(w, names) if x > 0)

        return f"series under {self.threshold:g} steps {one(self.short)}; the others {one(self.long)}"


def length_routes(
    lengths: np.ndarray,
    weights: np.ndarray,
    results: Sequence[FoldResults],
    score,
) -> LengthRoutes | None:
    """Blends for the short and the long half of the series from the members' out-of-fold
    ``results`` (the same cells), scored by ``score(result, forecast, window, cells)``. The
    halves split the series that were scored (those with out-of-fold cells and a defined scale:
    a fold's series with one point to train on has none) at their median length; a series not
    scored takes the short half's blend. None with one member, or when a half holds fewer than
    ``MIN_GROUP`` scored series."""
    if len(results) < 2:
        return None
    res = results[0]
    lengths = np.asarray(lengths)
    scorable = np.isfinite(comparable_scale(res.scale))
    scored = lengths[np.unique(res.series[scorable])]
    threshold = float(np.median(scored))
    if min((scored < threshold).sum(), (scored >= threshold).sum()) < MIN_GROUP:
        return None
    window = windows_of(res)
    forecasts = [r.forecast for r in results]
    short = lengths[res.series] < threshold
    blends = []
    for cells in (short & scorable, ~short & scorable):
        w, loss = greedy_ensemble(forecasts, lambda p, c=cells: score(res, p, window, c))
        w = w if np.isfinite(loss) else np.asarray(weights)
        blends.append((1 - SHRINK) * w + SHRINK * np.asarray(weights))
    return LengthRoutes(threshold, blends[0], blends[1])
