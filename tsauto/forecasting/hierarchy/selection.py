"""``reconcile="auto"``: the reconciliation method chosen by rolling-origin validation.

The forecaster of all nodes already makes out-of-fold forecasts of every node at each of its
validation cutoffs (``Forecaster.validation_``: the ensemble's forecasts of the ``horizon``
steps after each cutoff, from the data before it). Each candidate of :data:`AUTO_CANDIDATES`
reconciles the base forecasts of each cutoff and is scored per level; :func:`pick` keeps one
(:func:`choose_reconciler`).

* Residuals (``wls_var``, ``mint_shrink``): cross-fitted. The reconciler that scores cutoff ``k``
  is fitted on the validation errors of the other cutoffs, so no method is scored on the errors
  it was estimated from; with one cutoff only its own errors exist (then in-sample, with a note).
  Historical proportions (``top_down``, ``"middle_out:<level>"``, scored on request) are read
  from the history up to each cutoff.
* Score: MASE per node and cutoff (mean absolute error over the steps divided by the node's
  in-sample mean absolute seasonal difference up to the cutoff; lag 1 where the history is
  shorter than a season; nodes with a zero scale left out), averaged over the nodes and cutoffs
  of each level; ``score`` = the mean over levels (each level weighs the same, so the few
  aggregate nodes count as much as the many bottom series).
* The rule (:func:`pick`), issue 12's target applied to the validation table: a candidate is
  **no worse than base** when its score at every aggregate level is at most the unreconciled
  base forecasts' and at the bottom at most ``BOTTOM_TOLERANCE`` (1.02) times theirs. Of those,
  the lowest ``score``; when none is, the lowest ``score`` of all. Ties go to the earlier
  candidate (the simpler method); base is scored (row ``base``) but never chosen, as it is
  not coherent.
* Evidence (``bench_hierarchy.py --validation``: the default refitted at 7 Australian retail
  cutoffs 2011-12..2014-12 and 6 Walmart cutoffs 2011-10-28..2012-03-16, all in the training
  part of the test run; figures in ``benchmarks/README.md``, 2026-12-01): a candidate was no
  worse than base on validation at 9 of the 13 cutoffs, and there the lowest mean over levels
  was always one of them, so this rule and the plain lowest mean picked the same methods; after
  the cutoffs their picks meet the target on the mean over cutoffs at every level of both sets
  (per cutoff and level: 24 of 28, 15 of 18). Kept because it states the target and can only
  differ where the lowest mean misses it on validation and another candidate does not. The
  lowest worst ratio to base did no better (22 of 28, 16 of 18). ``top_down`` and
  ``middle_out`` (average proportions) were never no worse than base on validation and were
  24-90 % worse than it at the bottom after the cutoffs: not candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsauto.forecasting.hierarchy.forecasts import _fill, residual_matrix
from tsauto.forecasting.hierarchy.reconcile import NEEDS_RESIDUALS, Reconciler
from tsauto.forecasting.hierarchy.spec import HierarchySpec

AUTO_CANDIDATES = ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink")
BASE = "base"
BOTTOM_TOLERANCE = 1.02  # issue 12: the reconciled bottom within 2 % of the base forecasts
NOT_LEVELS = ("method", "score", "no_worse", "chosen")  # the other columns of a score table


@dataclass(frozen=True)
class ReconcileChoice:
    """The chosen ``method``; ``scores``: one row per candidate and one for the base forecasts
    (``method``, one column per level with its mean MASE, ``score`` = mean over levels,
    ``no_worse`` (than base at every level, :func:`no_worse_than_base`), ``chosen``); ``note``:
    one line for the plan notes and the log."""

    method: str
    scores: pd.DataFrame
    note: str


def choose_reconciler(
    validation: pd.DataFrame,
    spec: HierarchySpec,
    history: np.ndarray,
    times: pd.Index,
    season: int,
    candidates: tuple[str, ...] = AUTO_CANDIDATES,
) -> ReconcileChoice | None:
    """The candidate :func:`pick` keeps (see the module docstring), with every candidate's
    validation MASE per level, or None when no cutoff can be scored. ``validation``: node-level
    out-of-fold forecasts (node id, time, ``cutoff``, ``step``, ``actual``, ``forecast``);
    ``history``, ``times``: the nodes' actuals (:meth:`HierarchySpec.pivot`); ``candidates``:
    method names, or ``"middle_out:<level>"`` (:func:`candidate`)."""
    keys = [spec.node_column, spec.time, "cutoff", "step", "actual", "forecast"]
    frame = validation[keys]
    cutoffs = sorted(frame["cutoff"].unique())
    if not cutoffs:
        return None
    mase = {name: [] for name in (BASE, *candidates)}  # per cutoff: n_nodes MASE
    for cutoff in cutoffs:
        part = frame[frame["cutoff"] == cutoff]
        rest = frame[frame["cutoff"] != cutoff] if len(cutoffs) > 1 else part
        residuals = residual_matrix(rest, spec)
        usable = np.isfinite(residuals).any()
        actual = spec.pivot(part, "actual")[0]
        base = _fill(spec.pivot(part, "forecast")[0], spec)
        end = int(times.searchsorted(cutoff, side="right"))
        scale = _scale(history, end, season)
        for name, per_cutoff in mase.items():
            rec = None if name == BASE else candidate(name)
            if rec is None:
                fc = base
            elif rec.method in NEEDS_RESIDUALS and not usable:
                fc = np.full_like(base, np.nan)
            else:
                own = residuals if rec.method in NEEDS_RESIDUALS else None
                fc = rec.fit(spec, residuals=own, history=history[:, :end]).transform(base)
            per_cutoff.append(_node_mase(actual, fc, scale))
    codes = spec.level_codes
    rows = []
    for name, per_cutoff in mase.items():
        values = np.column_stack(per_cutoff)  # n_nodes x cutoffs
        levels = {lvl: _nanmean(values[codes == i]) for i, lvl in enumerate(spec.levels)}
        rows.append({"method": name, **levels, "score": _nanmean(np.array(list(levels.values())))})
    scores = pd.DataFrame(rows)
    method = pick(scores)
    if method is None:
        return None
    scores["no_worse"] = no_worse_than_base(scores) & (scores["method"] != BASE)
    scores["chosen"] = scores["method"] == method
    return ReconcileChoice(method, scores, _note(scores, method, len(spec.levels), len(cutoffs)))


def _note(scores: pd.DataFrame, method: str, n_levels: int, n_cutoffs: int) -> str:
    own = " (in-sample residuals: one cutoff)" if n_cutoffs == 1 else ""
    among = ("of the candidates no worse than base per level (bottom: within 2 %)"
             if scores.loc[scores["chosen"], "no_worse"].item() else "(none is no worse than base per level)")
    listed = ", ".join(f"{r.method} {r.score:.4g}" for r in scores.itertuples())
    return (
        f"reconcile: {method}, the lowest validation MASE {among} (mean over {n_levels} levels "
        f"of each level's mean, {n_cutoffs} cutoff(s){own}): {listed}"
    )


def pick(scores: pd.DataFrame) -> str | None:
    """The rule: of the candidates :func:`no_worse_than_base`, the lowest ``score``; when none
    is, the lowest of all (None when no candidate has a score). ``scores``: a table as
    :attr:`ReconcileChoice.scores` (one column per level, bottom last; base in row ``base``)."""
    ranked = scores[(scores["method"] != BASE) & np.isfinite(scores["score"])]
    if ranked.empty:
        return None
    ok = ranked[no_worse_than_base(scores).loc[ranked.index]]
    return lowest(ok if len(ok) else ranked)


def lowest(scores: pd.DataFrame) -> str:
    """The method of lowest ``score`` (the first of equals)."""
    return str(scores["method"].iloc[int(np.nanargmin(scores["score"].to_numpy(float)))])


def no_worse_than_base(scores: pd.DataFrame) -> pd.Series:
    """Per row: validation MASE at most the ``base`` row's at every aggregate level and at
    most ``BOTTOM_TOLERANCE`` times it at the bottom (levels without a score do not count)."""
    levels = [c for c in scores.columns if c not in NOT_LEVELS]
    base = scores.loc[scores["method"] == BASE, levels].iloc[0].to_numpy(float)
    limit = np.append(base[:-1], base[-1] * BOTTOM_TOLERANCE)
    values = scores[levels].to_numpy(float)
    ok = (values <= limit + 1e-12 * np.abs(limit)) | ~np.isfinite(limit) | ~np.isfinite(values)
    return pd.Series(ok.all(axis=1) & np.isfinite(scores["score"]).to_numpy(), index=scores.index)


def candidate(name: str) -> Reconciler:
    """The unfitted reconciler of a candidate name: a method, or ``"middle_out:<level>"``."""
    method, _, level = name.partition(":")
    return Reconciler(method, level=level or None)


def _scale(history: np.ndarray, end: int, season: int) -> np.ndarray:
    """Each node's mean absolute seasonal difference over ``history[:, :end]`` (lag 1 where
    there is none at lag ``season``); NaN where zero or undefined."""
    train = history[:, :end]
    out = np.full(train.shape[0], np.nan)
    for lag in dict.fromkeys((max(season, 1), 1)):
        if train.shape[1] > lag:
            diffs = np.abs(train[:, lag:] - train[:, :-lag])
            counts = np.isfinite(diffs).sum(axis=1)
            mean = np.nansum(diffs, axis=1) / np.maximum(counts, 1)
            out = np.where(np.isnan(out) & (counts > 0), mean, out)
    return np.where(out > 0, out, np.nan)


def _node_mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    errors = np.abs(actual - forecast)
    counts = np.isfinite(errors).sum(axis=1)
    mae = np.where(counts > 0, np.nansum(errors, axis=1) / np.maximum(counts, 1), np.nan)
    return mae / scale


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else np.nan
