"""``reconcile="auto"``: the reconciliation method chosen by rolling-origin validation.

The forecaster of all nodes already makes out-of-fold forecasts of every node at each of its
validation cutoffs (``Forecaster.validation_``: the ensemble's forecasts of the ``horizon``
steps after each cutoff, from the data before it). Each candidate of :data:`AUTO_CANDIDATES`
reconciles the base forecasts of each cutoff; the one with the lowest validation score is kept.

* Residuals (``wls_var``, ``mint_shrink``): cross-fitted. The reconciler that scores cutoff ``k``
  is fitted on the validation errors of the other cutoffs, so no method is scored on the errors
  it was estimated from; with one cutoff only its own errors exist (then in-sample, with a note).
* Score: MASE per node and cutoff (mean absolute error over the steps divided by the node's
  in-sample mean absolute seasonal difference up to the cutoff; lag 1 where the history is
  shorter than a season; nodes with a zero scale left out), averaged over the nodes and cutoffs
  of each level, then **the mean over levels**: each level weighs the same, so the few
  aggregate nodes count as much as the many bottom series.
* Ties go to the earlier candidate (the simpler method); unreconciled base forecasts are scored
  too (row ``base``) but never chosen, as they are not coherent.
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


@dataclass(frozen=True)
class ReconcileChoice:
    """The chosen ``method``; ``scores``: one row per candidate and one for the base forecasts
    (``method``, one column per level with its mean MASE, ``score`` = mean over levels,
    ``chosen``); ``note``: one line for the plan notes and the log."""

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
    """The candidate with the lowest validation score (see the module docstring), or None
    when no cutoff can be scored. ``validation``: node-level out-of-fold forecasts (node id,
    time, ``cutoff``, ``actual``, ``forecast``); ``history``, ``times``: the nodes' actuals
    (:meth:`HierarchySpec.pivot`)."""
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
        scale = _scale(history, int(times.searchsorted(cutoff, side="right")), season)
        for name, per_cutoff in mase.items():
            if name == BASE:
                fc = base
            elif name in NEEDS_RESIDUALS and not usable:
                fc = np.full_like(base, np.nan)
            else:
                own = residuals if usable and name in NEEDS_RESIDUALS else None
                fc = Reconciler(name).fit(spec, residuals=own).transform(base)
            per_cutoff.append(_node_mase(actual, fc, scale))
    codes = spec.level_codes
    rows = []
    for name, per_cutoff in mase.items():
        values = np.column_stack(per_cutoff)  # n_nodes x cutoffs
        levels = {lvl: _nanmean(values[codes == i]) for i, lvl in enumerate(spec.levels)}
        rows.append({"method": name, **levels, "score": _nanmean(np.array(list(levels.values())))})
    scores = pd.DataFrame(rows)
    ranked = scores[scores["method"] != BASE]
    if not np.isfinite(ranked["score"]).any():
        return None
    method = str(ranked["method"].iloc[int(np.nanargmin(ranked["score"].to_numpy()))])
    scores["chosen"] = scores["method"] == method
    own = " (in-sample residuals: one cutoff)" if len(cutoffs) == 1 else ""
    listed = ", ".join(f"{r.method} {r.score:.4g}" for r in scores.itertuples())
    note = (
        f"reconcile: {method}, the lowest validation MASE (mean over {len(spec.levels)} levels of each "
        f"level's mean, {len(cutoffs)} cutoff(s){own}): {listed}"
    )
    return ReconcileChoice(method, scores, note)


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
