"""Quantile forecasts of the fitted model, calibrated on its rolling-origin validation.

:func:`calibrate` chooses, per fit, one of three ways to make them:

- ``native``: the members' own quantiles (each learner's distribution; in an ensemble their
  weighted average, :func:`blend`), as they are;
- ``calibrated``: the same, moved per level and horizon step by the quantile of the scaled
  out-of-fold errors left around them (conformalised quantile regression);
- ``conformal``: the point forecast plus the quantiles of its own scaled out-of-fold errors
  (in an ensemble, of the blend's errors);
- ``by_series``: the same, each series' band widened or narrowed by how large its own
  out-of-fold errors were against the typical series' (:func:`series_spread`), where series differ
  in how hard they are to forecast and held-out folds show it.

Errors are divided by their series' scale (:func:`~tsauto.forecasting.metrics.normalising_scale`,
as in MASE) and pooled across series and folds; a series constant throughout its history has no
errors to scale by and gets no band beyond its members' own (:func:`band_scale`). With at least ``MIN_PER_STEP`` of them at every
horizon step, each step gets its own quantiles; with fewer (one to a handful of series: two
errors per step), the errors of all steps are pooled after dividing each by a spread growing
like ``step ** b``, ``b`` in [0, 1] fitted to their mean absolute size per step, so that a band
rests on every error rather than on two. Either way the quantiles of ``n`` errors are taken at
levels stretched away from ½ by ``(n + 1) / (n - 1)`` (:func:`finite_sample_quantiles`), so that a
band of a few dozen errors holds its level on average, not ``(n - 1) / (n + 1)`` of it; pooled
errors too few to reach beyond a level are floored there by a normal law's predictive quantile
(:func:`few_error_quantiles`: a 95 % band of 6 errors is no longer their range).

The chosen method has the lowest scaled pinball loss on held-out folds (each fold scored by
offsets fitted on the others); native quantiles are kept unless another method lowers that loss
by more than ``MARGIN``, and ``by_series`` is taken only where it lowers the chosen one's by more
than ``MARGIN`` (one fold's errors of a series are one shock: on yearly sets they misled, see
:func:`series_spread`). With one fold nothing can be held out to compare them: the native
quantiles calibrated on that fold's errors where every member has them and the fold holds at
least ``MIN_ONE_FOLD`` errors (native with fewer), else conformal. Native bands of series of a
few dozen points are too narrow: on the validation windows of the training parts where a
one-fold fit had them (M1 yearly and monthly, yearly sums of Australian retail and M4 Weekly,
daily sums of M4 Hourly), their 80 % band covered 46-76 % of the actuals, the calibrated one
55-83 %, closer to 80 % in all 7 windows, with a lower pinball loss in 5 (mean 0.733 -> 0.682;
``bench_intervals.py --validation``). Every output goes through
:func:`tidy_quantiles`: levels never cross and the point forecast lies between them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy.stats import t as student_t

from tsauto.forecasting.backtest import FoldResults
from tsauto.forecasting.learners.base import Forecast
from tsauto.forecasting.metrics import (
    band_percent,
    interval_pairs,
    interval_score_terms,
    mase_scale,
    normalising_scale,
    pinball_terms,
)

log = logging.getLogger(__name__)

Method = Literal["native", "calibrated", "conformal", "by_series"]
MIN_PER_STEP = 100  # errors per horizon step for quantiles of that step alone
MARGIN = 0.02  # relative pinball gain another method needs to replace native quantiles
MIN_ONE_FOLD = 100  # errors a single fold needs to calibrate native quantiles (a 10 % level on 10)
UNDERCOVER = 0.1  # held-out coverage this far under nominal is warned of (a backtest's, this far either side)
SHORT_SHARE = 0.05  # a series shorter than the histories of all but this share of the errors is named
# by_series: a series' out-of-fold errors are weighed against this many errors' worth of the
# median series' mean size when its band is widened or narrowed (see :func:`series_spread`)
SPREAD_PRIOR = 40
FEW_BEYOND = 5  # errors expected beyond a level under which its sample quantile gets a normal floor


MEANING = {  # each method in words (describe())
    "native": "the learners' own quantiles, weighted in an ensemble",
    "calibrated": "the learners' own quantiles, moved by the validation errors left around them",
    "conformal": "the point forecast plus quantiles of its validation errors, pooled over the series in each "
                 "one's scale: the same band relative to its scale for every series",
    "by_series": "the point forecast plus quantiles of its validation errors, pooled over the series in each "
                 "one's scale, each series' band widened or narrowed by the size of its own errors",
}


@dataclass(frozen=True)
class HeldOut:
    """Held-out scores of quantiles, each fold's made from the other folds' errors:
    ``pinball`` (scaled, mean over levels and cells); ``coverage`` (share of actuals inside)
    and ``msis`` (interval score over the series' scale, mean over cells) of the outermost
    symmetric pair of levels, nan without one; ``inner``: the coverage of each narrower pair."""

    pinball: float
    coverage: float = np.nan
    msis: float = np.nan
    inner: tuple[float, ...] = ()  # coverage of the other symmetric pairs, outermost first


@dataclass
class Intervals:
    """How the model's quantiles are made: ``method`` and the scaled ``offsets`` added to its
    base (the point forecast for conformal, the native quantiles otherwise), per level and
    horizon step; ``losses``: the held-out scaled pinball loss of every method compared;
    ``scores``: the chosen method's held-out scores (None with one fold)."""

    quantiles: tuple[float, ...]
    method: Method
    offsets: np.ndarray  # (len(quantiles), horizon)
    losses: dict[str, float] = field(default_factory=dict)
    scores: HeldOut | None = None
    errors: int = 0  # out-of-fold errors the offsets were fitted on
    folds: int = 0
    # histories of fewer points than all but SHORT_SHARE of those errors were made from (0: not kept)
    shortest: int = 0
    # by_series: each fitted series' band relative to the typical series' (by position; None: 1 for all)
    spread: np.ndarray | None = None

    def spread_at(self, positions: np.ndarray) -> np.ndarray:
        """The factor on the band of each series at fitted ``positions`` (-1: a series the fit
        lacks): 1 but with ``by_series``."""
        positions = np.asarray(positions)
        factor = np.ones(positions.size)
        if self.spread is not None:  # a series beyond it had no errors: 1 (none at all: an empty spread)
            known = (positions >= 0) & (positions < self.spread.size)
            factor[known] = self.spread[positions[known]]
        return factor

    def for_series(self, positions: np.ndarray) -> Intervals:
        """These intervals for a panel whose series sit at ``positions`` of the fitted one (a
        refit on other rows of the same series)."""
        return self if self.spread is None else replace(self, spread=self.spread_at(positions))

    def describe(self) -> str:
        """What the quantiles rest on, and the held-out coverage of the outermost band."""
        text = f"quantiles: {self.method}"
        if self.folds:  # unknown in a model saved before they were kept
            text += f", from {self.errors} out-of-fold errors over {self.folds} fold(s)"
        text += f" ({MEANING[self.method]})"
        if self.folds == 1:  # user test 51: 6 errors of one fold, and not a word of caution
            text += "; one fold: nothing held out to check them (more history gives more folds)"
        pairs = interval_pairs(self.quantiles)
        if self.scores is not None and pairs and np.isfinite(self.scores.coverage):
            covered = (self.scores.coverage, *self.scores.inner)
            held = [f"the {band_percent(lo, hi)} band {c * 100:.0f} %" for (lo, hi), c in zip(pairs, covered)]
            text += (f"; of the held-out folds' actuals {' and '.join(held)} (each fold calibrated on the others; "
                     "an optimistic figure, as the learners and weights were chosen on the same folds)")
        return text

    def short(self, lengths: np.ndarray) -> np.ndarray:
        """Which series of history ``lengths`` are shorter than nearly every history the
        out-of-fold errors were made from (``shortest``): their bands rest on longer series'
        errors (a department of 5 weeks among 40 of 135 got a band a fifth as wide as its
        source's and covered 0 of 8 weeks, user test 47). On the validation windows of the
        training parts, such series' bands held 0.13, 0.69, 0.41, 0.65 and 0.75 of their
        actuals (M1 quarterly, twice; M1 monthly; Australian retail, twice) where the others'
        held 0.74-0.86.
        Not a series of one point: its band is scaled by its level, wide (M1 yearly: 0.99)."""
        lengths = np.asarray(lengths)
        return (lengths < self.shortest) & (lengths >= 2)

    def undercovers(self) -> bool:
        """Whether a band's held-out coverage fell ``UNDERCOVER`` short of its nominal level (any
        band: with four levels the 95 % one may hold while the 80 % one falls short)."""
        pairs = interval_pairs(self.quantiles)
        if self.scores is None or not pairs or not np.isfinite(self.scores.coverage):
            return False
        held = (self.scores.coverage, *self.scores.inner)
        return any(c < hi - lo - UNDERCOVER for (lo, hi), c in zip(pairs, held))

    def apply(
        self, mean: np.ndarray, native: dict[float, np.ndarray], scale: np.ndarray
    ) -> dict[float, np.ndarray]:
        """Quantile forecasts (n_series, H) from the point forecast ``mean``, the model's
        ``native`` quantiles and the scale of every series."""
        return tidy_quantiles(mean, {
            q: _base(self.method, mean, native, q) + self.offsets[i][None, :] * scale[:, None]
            for i, q in enumerate(self.quantiles)
        })


def band_scale(panel, season: int) -> np.ndarray:
    """The scale the out-of-fold offsets are multiplied by per series of ``panel``:
    :func:`~tsauto.forecasting.metrics.normalising_scale`, but 0 for a series of two points or
    more that never changed. Its errors were left out of the calibration (no scale), and the
    unit that stands in for one elsewhere, its level, gave a series at 42 every day an 80 %
    band of [0, 110] from the other series' errors (fitted alone it had none)."""
    constant = (panel.lengths >= 2) & ~np.isfinite(mase_scale(panel.y, panel.indptr, 1))
    return np.where(constant, 0.0, normalising_scale(panel, season))


def tidy_quantiles(mean: np.ndarray, quantiles: dict[float, np.ndarray]) -> dict[float, np.ndarray]:
    """The quantiles sorted across levels (so they never cross), those below ½ capped at the
    point forecast ``mean`` and those above floored at it (so it lies between them)."""
    if not quantiles:
        return {}
    levels = sorted(quantiles)
    stacked = np.sort(np.stack([quantiles[q] for q in levels]), axis=0)
    return {
        q: np.minimum(v, mean) if q < 0.5 else np.maximum(v, mean) if q > 0.5 else v
        for q, v in zip(levels, stacked)
    }


def blend(members: Sequence[tuple[float, Forecast]]) -> Forecast:
    """Weighted mean of the members' forecasts and of their tidied quantiles (the levels all of
    them have): weighted quantile averaging, whose band holds the weighted mean."""
    mean = sum(w * f.mean for w, f in members)
    shared = set.intersection(*(set(f.quantiles) for _, f in members))
    tidy = [(w, tidy_quantiles(f.mean, {q: f.quantiles[q] for q in shared})) for w, f in members]
    return Forecast(mean, {q: sum(w * t[q] for w, t in tidy) for q in sorted(shared)})


def calibrate(
    levels: Sequence[float], members: Sequence[tuple[float, FoldResults]], horizon: int,
    method: Method | None = None,
) -> Intervals:
    """The :class:`Intervals` of a model whose weighted ``members`` forecast the same
    out-of-fold cells (see the module docstring for the choice); ``method``: this one instead
    (``benchmarks/bench_intervals.py`` compares them), where the members allow it."""
    intervals, n_cells, n_folds = _choose(tuple(levels), members, horizon, method)
    log.info(
        "quantiles: %s (held-out scaled pinball %s; %d errors over %d fold(s))", intervals.method,
        ", ".join(f"{m} {v:.4f}" for m, v in intervals.losses.items()) or "not compared", n_cells, n_folds,
    )
    return intervals


def held_out_scores(levels: Sequence[float], result: FoldResults, horizon: int) -> HeldOut | None:
    """Held-out scores of the quantiles one trial's out-of-fold forecasts would get (made as
    :func:`calibrate` makes the model's); None with one fold."""
    return _choose(tuple(levels), [(1.0, result)], horizon)[0].scores


def _choose(
    levels: tuple[float, ...], members: Sequence[tuple[float, FoldResults]], horizon: int,
    forced: Method | None = None,
) -> tuple[Intervals, int, int]:
    first = members[0][1]
    oof = blend([(w, Forecast(r.forecast, r.quantiles)) for w, r in members])
    ok = np.isfinite(first.scale) & (first.scale > 0) & np.isfinite(oof.mean)
    native = set(levels) <= set(oof.quantiles) and all(np.isfinite(oof.quantiles[q][ok]).all() for q in levels)
    cells = _Cells(
        first.actual[ok], oof.mean[ok], {q: oof.quantiles[q][ok] for q in levels} if native else {},
        first.scale[ok], first.step[ok], first.fold[ok], first.series[ok],
    )
    methods: list[Method] = [*(["native", "calibrated"] if native else []), "conformal", "by_series"]
    folds = np.unique(cells.fold)
    held: dict[str, HeldOut] = {}
    if folds.size > 1:
        held = {m: cells.held_out(m, levels, horizon) for m in methods}
        method = min((m for m in methods if m != "by_series"), key=lambda m: held[m].pinball)
        if native and held[method].pinball > (1 - MARGIN) * held["native"].pinball:
            method = "native"
        if held["by_series"].pinball < (1 - MARGIN) * held[method].pinball:
            method = "by_series"
    else:  # nothing to hold out: never by_series, which one fold's errors mislead (module docstring)
        method = "calibrated" if native and cells.step.size >= MIN_ONE_FOLD else methods[0]
    if forced is not None:
        if forced not in methods:
            raise ValueError(f"quantile method {forced!r} needs every member's own quantiles")
        method = forced
    every = np.ones(cells.step.size, dtype=bool)
    spread = cells.spread(every) if method == "by_series" else None
    offsets = cells.offsets(method, levels, horizon, every, spread)
    losses = {m: h.pinball for m, h in held.items()}
    trained = first.train_length[ok]
    shortest = int(np.quantile(trained, SHORT_SHARE, method="lower")) if trained.size else 0
    intervals = Intervals(levels, method, offsets, losses, held.get(method), cells.step.size, folds.size, shortest,
                          spread)
    return intervals, cells.step.size, folds.size


@dataclass
class _Cells:
    """The scored out-of-fold cells of a model: flat arrays of the cells with a scale."""

    actual: np.ndarray
    mean: np.ndarray
    native: dict[float, np.ndarray]
    scale: np.ndarray
    step: np.ndarray  # 1-based
    fold: np.ndarray
    series: np.ndarray  # position in the fitted panel

    def offsets(
        self, method: Method, levels: tuple[float, ...], horizon: int, rows: np.ndarray, spread: np.ndarray | None = None
    ) -> np.ndarray:
        """Scaled offsets (levels, horizon) of ``method`` fitted on the cells ``rows`` (with
        ``by_series``, their ``spread``: :meth:`spread` of those rows)."""
        if method == "native":
            return np.zeros((len(levels), horizon))
        scale = self.scale[rows]
        if method == "by_series":
            scale = scale * (self.spread(rows) if spread is None else spread)[self.series[rows]]
        return np.concatenate([
            step_quantiles((self.actual[rows] - _base(method, self.mean, self.native, q)[rows]) / scale,
                           self.step[rows], horizon, (q,))
            for q in levels
        ])

    def spread(self, rows: np.ndarray) -> np.ndarray:
        """:func:`series_spread` of the cells ``rows``, per series position."""
        errors = (self.actual[rows] - self.mean[rows]) / self.scale[rows]
        return series_spread(errors, self.series[rows], int(self.series.max()) + 1 if self.series.size else 0)

    def held_out(self, method: Method, levels: tuple[float, ...], horizon: int) -> HeldOut:
        """Scores of ``method`` over every fold, its offsets fitted on the other folds."""
        pinball = covered = interval = 0.0
        pairs = interval_pairs(levels)
        pair = pairs[0] if pairs else None
        inner = np.zeros(max(len(pairs) - 1, 0))
        for f in np.unique(self.fold):
            test = self.fold == f
            spread = self.spread(~test) if method == "by_series" else None  # the other folds' alone
            offsets = self.offsets(method, levels, horizon, ~test, spread)
            scale, step = self.scale[test], self.step[test] - 1
            mean, actual = self.mean[test], self.actual[test]
            native = {q: v[test] for q, v in self.native.items()}
            width = scale if spread is None else scale * spread[self.series[test]]
            predicted = tidy_quantiles(mean, {
                q: _base(method, mean, native, q) + offsets[i, step] * width for i, q in enumerate(levels)
            })
            pinball += sum(pinball_terms(actual / scale, predicted[q] / scale, q).sum() for q in levels)
            if pair is not None:
                lo, hi = predicted[pair[0]], predicted[pair[1]]
                covered += np.sum((actual >= lo) & (actual <= hi))
                interval += np.sum(interval_score_terms(actual, lo, hi, 2 * pair[0]) / scale)
                inner += [np.sum((actual >= predicted[a]) & (actual <= predicted[b])) for a, b in pairs[1:]]
        n = self.step.size
        if pair is None:
            return HeldOut(pinball / (n * len(levels)))
        return HeldOut(pinball / (n * len(levels)), covered / n, interval / n, tuple(float(c) for c in inner / n))


def _base(method: Method, mean: np.ndarray, native: dict[float, np.ndarray], q: float) -> np.ndarray:
    return mean if method in ("conformal", "by_series") else native[q]


def series_spread(errors: np.ndarray, series: np.ndarray, n_series: int) -> np.ndarray:
    """Per series position, how wide its band is against the typical series' (``by_series``):
    the mean absolute size of its scaled out-of-fold ``errors`` over the median of the series'
    means, its own weighed against ``SPREAD_PRIOR`` errors' worth of that median (1 for a series
    without errors). A
    series' errors over a few folds show how hard it is to forecast; pooled errors give every
    series the same band in its own scale (M4 Weekly: 75 % of the series held every actual
    inside their 95 % band, 16 % held fewer than half inside their 80 % one; user test 51).
    Validation (2026-12-07, training parts only, the default fit before each window; scaled
    pinball over q0.025, q0.1, q0.9, q0.975; benchmarks/README.md): M4 Weekly, the last 2
    windows, 3 folds, chosen by the held-out folds: 0.542 / 0.764 pooled -> 0.402 / 0.484
    (MSIS 31.5 / 44.8 -> 19.8 / 24.7); Wikipedia's daily pages chosen in 4 of 6 windows, each
    better (0.166 -> 0.156, 0.175 -> 0.145, 0.451 -> 0.448, 0.319 -> 0.312); not chosen on M1,
    Australian retail (monthly, and its quarterly and yearly sums), Walmart, M4 Hourly's daily
    and M4 Weekly's quarterly and yearly sums, M4 Daily (held-out gains under ``MARGIN``).
    Centred on all cells' mean rather than the median series' (the first version): M4 Weekly
    0.411 / 0.519, Wikipedia chosen in 2 windows. Taken on every window regardless, it lost on the yearly sets (one
    fold: M1 yearly's windows 3-4 0.551 / 0.593 -> 0.572 / 0.642, Australian retail yearly +3-4 %)
    and gained on the quarterly ones (M1 quarterly -6 %, M4 Weekly's quarterly sums -9 %).
    ``SPREAD_PRIOR``: 10 / 20 / 40 / 80 errors, taken on every window of M1's three periods,
    mean pinball 0.3265 / 0.3154 / 0.3110 / 0.3122 (pooled 0.3218): 40 the lowest."""
    size = np.abs(errors)
    ok = np.isfinite(size)
    total = np.bincount(series[ok], weights=size[ok], minlength=n_series)
    count = np.bincount(series[ok], minlength=n_series)
    # the typical series' mean size, not all cells' mean: one series of a tiny scale (errors
    # 1,000 times the others') would make every other series alike (review 51)
    typical = np.median(total[count > 0] / count[count > 0]) if count.any() else 0.0
    if not typical > 0:
        return np.ones(n_series)
    return (total + SPREAD_PRIOR * typical) / (count + SPREAD_PRIOR) / typical


def step_quantiles(errors: np.ndarray, steps: np.ndarray, horizon: int, levels: Sequence[float]) -> np.ndarray:
    """Quantiles (levels, horizon) of scaled ``errors`` at every 1-based horizon step: per step
    with ``MIN_PER_STEP`` errors at each, else pooled over steps by a spread ``step ** b``."""
    keep = np.isfinite(errors)
    errors, steps = errors[keep], steps[keep]
    if errors.size == 0:
        return np.zeros((len(levels), horizon))
    counts = np.bincount(steps, minlength=horizon + 1)[1 : horizon + 1]
    if counts.min() >= MIN_PER_STEP:
        return np.stack([finite_sample_quantiles(errors[steps == h], levels) for h in range(1, horizon + 1)], axis=1)
    growth = np.arange(1, horizon + 1) ** _growth(errors, steps, counts)
    return few_error_quantiles(errors / growth[steps - 1], levels)[:, None] * growth[None, :]


def few_error_quantiles(errors: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """:func:`finite_sample_quantiles` of errors pooled over steps, but at a level with fewer
    than ``FEW_BEYOND`` of them expected beyond it, no nearer the middle than a normal law's
    predictive quantile for them (the mean plus Student's t with ``n - 1`` degrees of freedom
    times their standard deviation and ``sqrt(1 + 1/n)``). A sample quantile cannot lie beyond
    the sample: from 6 errors the 95 % band was the 80 % one, the lowest and highest error
    (user test 51: 0.54 of 11 single yearly series' actuals inside their 95 % band).
    Validation (2026-12-07, the training parts only; benchmarks/README.md): single M1 series,
    40 of each period over the last 2 windows, the fits whose band was conformal (18-42
    errors): scaled pinball over 4 levels 0.594 / 0.351 / 0.288 -> 0.445 / 0.319 / 0.287
    (yearly / quarterly / monthly); with the normal floor at every level whatever the number
    of errors, M1 quarterly's fits on 704 pooled errors lost 9 % (an 80 % band held 0.91). Per
    step too (100-199 errors a step, M1 yearly's 95 % levels): mean pinball over the 10 sets of
    ``bench_intervals.py --validation`` 0.4244 -> 0.4246, not taken (review 51)."""
    sample = finite_sample_quantiles(errors, levels)
    n = errors.size
    lv = np.asarray(levels, dtype=float)
    few = n * np.minimum(lv, 1 - lv) < FEW_BEYOND
    if n < 3 or not few.any():
        return sample
    normal = errors.mean() + student_t.ppf(lv, n - 1) * errors.std(ddof=1) * np.sqrt(1 + 1 / n)
    wider = np.where(lv < 0.5, np.minimum(sample, normal), np.maximum(sample, normal))
    return np.where(few & (lv != 0.5), wider, sample)


def finite_sample_quantiles(errors: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Quantiles of ``errors`` at ``levels`` such that a new error falls below each with
    probability ``level`` on average: the levels' distances from ½ stretched by
    ``(n + 1) / (n - 1)`` for ``n`` errors (a new exchangeable error falls below the order
    statistic at position ``(n - 1) p`` with probability about ``((n - 1) p + 1) / (n + 1)``; split
    conformal's finite-sample rule, made exact on average rather than conservative). Plain
    sample quantiles of 15 errors bound an 80 % band that holds 70 % of new errors. Validation
    (2026-12-07, the training parts only, benchmarks/README.md): one series at a time (M1
    monthly, quarterly, yearly; 12 draws each over the last 2 windows; 16-38 errors a fit)
    scaled pinball 0.156 / 0.354 / 1.001 -> 0.152 / 0.336 / 0.959 (15 draws better, 8 worse);
    whole suite sets (10 sets, 6 windows each) 0.4287 -> 0.4272, 80 % coverage 0.760 -> 0.767,
    95 % 0.908 -> 0.918. With hundreds of errors the level moves by under a point."""
    n = errors.size
    stretched = 0.5 + (np.asarray(levels, dtype=float) - 0.5) * (n + 1) / max(n - 1, 1)
    return np.quantile(errors, np.clip(stretched, 0.0, 1.0))


def _growth(errors: np.ndarray, steps: np.ndarray, counts: np.ndarray) -> float:
    """Exponent ``b`` in [0, 1] of the mean absolute error per step ~ ``step ** b``, fitted by
    least squares on logs weighted by the errors per step (0 with fewer than two steps)."""
    size = np.bincount(steps, weights=np.abs(errors), minlength=counts.size + 1)[1:]
    use = (counts > 0) & (size > 0)
    if use.sum() < 2:
        return 0.0
    x = np.log(np.flatnonzero(use) + 1.0)
    y = np.log(size[use] / counts[use])
    w = counts[use].astype(float)
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    slope = np.sum(w * (x - xm) * (y - ym)) / np.sum(w * (x - xm) ** 2)
    return float(np.clip(slope, 0.0, 1.0))
