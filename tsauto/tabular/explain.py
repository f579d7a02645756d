"""Which input columns a fitted tabular model reads, from its ensemble's members (no refit).

:func:`explain` returns an :class:`Explanation` of three DataFrames:

- ``weights``: one row per ensemble member (``member``, ``learner``, ``weight``, ``measure``:
  what its importance is, or why it is not counted; ``counted``).
- ``importance``: one row per input column (the table's own columns, not the featurizer's
  encoded ones), most important first: ``column``, ``kind`` (as fitted, ``kinds_``; a dropped
  column has a share of 0), ``share``: the counted members' shares weighted by their ensemble
  weights, renormalised over the counted members (sums to 1; all 0 where no member is counted).
- ``by_member``: ``member``, ``learner``, ``column``, ``share`` (of the member's total; sums to
  1 per counted member).

A member's importance of an encoded column goes to the input column it comes from (a date's
parts, a missing indicator, one-hot levels, target encodings, text components:
:meth:`~tsauto.tabular.featurizer.Featurizer.sources`). LightGBM: total split gain; random forest
and extra trees: mean impurity decrease (``feature_importances_``); linear: ``|coefficient|``
(mean over classes) times the column's standard deviation in the refit's matrix, the change of
the model's score over one standard deviation of the column. These are the learners' own
measures, read from the fitted model: cheap, but they say what the model used, not what a column
adds to its accuracy (scikit-learn's ``permutation_importance`` on held-out rows measures that,
at a refit's cost or more), and correlated columns share their credit in ways that differ by
learner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from tsauto.tabular.model import TabularPipeline

ALL_ZERO = "not counted: every column's importance is 0 (a constant model)"
NO_SPREAD = "not counted: a model saved before the columns' spreads were kept"


@dataclass
class Explanation:
    """What :meth:`Classifier.explain` and :meth:`Regressor.explain` return; see
    :mod:`tsauto.tabular.explain`."""

    weights: pd.DataFrame
    importance: pd.DataFrame
    by_member: pd.DataFrame


def explain(members: list[tuple[float, TabularPipeline]], kinds: Mapping[str, str]) -> Explanation:
    """Explain the ensemble ``members`` (weight, fitted pipeline) of a model whose input
    columns are ``kinds`` (column → kind)."""
    rows, parts = [], []
    for i, (weight, member) in enumerate(members):
        raw, measure = member_importance(member)
        total = 0.0 if raw is None else float(raw.sum())
        counted = total > 0
        rows.append({"member": i, "learner": member.learner, "weight": float(weight),
                     "measure": measure if counted or raw is None else ALL_ZERO, "counted": counted})
        if counted:
            parts.append(pd.DataFrame({"member": i, "learner": member.learner, "column": raw.index,
                                       "share": raw.to_numpy() / total}))
    weights = pd.DataFrame(rows)
    columns = ["member", "learner", "column", "share"]
    by_member = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns))
    by_member = by_member.sort_values(["member", "share"], ascending=[True, False])
    counted = weights[weights["counted"]].set_index("member")["weight"]
    blend = pd.Series(0.0, index=list(kinds))
    if counted.sum() > 0:
        scaled = by_member["share"] * by_member["member"].map(counted / counted.sum())
        blend = blend.add(scaled.groupby(by_member["column"]).sum(), fill_value=0.0)
    importance = pd.DataFrame({"column": blend.index, "kind": [kinds[c] for c in blend.index],
                               "share": blend.to_numpy()})
    importance = importance.sort_values("share", ascending=False, kind="stable")
    return Explanation(weights, importance.reset_index(drop=True), by_member.reset_index(drop=True))


def member_importance(member: TabularPipeline) -> tuple[pd.Series | None, str]:
    """One fitted member's importance summed per input column, and what it measures; None
    (and why) where it cannot be read."""
    estimator = member.estimator_
    featurizer = member.featurizer_
    if member.learner == "lightgbm":
        values, measure = estimator.booster_.feature_importance(importance_type="gain"), "split gain"
    elif member.learner == "linear":
        spread = getattr(featurizer, "spread_", None)  # absent: a model saved before it was kept
        if spread is None:
            return None, NO_SPREAD
        coef = getattr(estimator, "regressor_", estimator).coef_
        values = np.abs(np.atleast_2d(coef)).mean(axis=0) * spread
        measure = "|coefficient| × standard deviation"
    else:
        values, measure = estimator.feature_importances_, "impurity decrease"
    raw = pd.Series(np.asarray(values, dtype=np.float64), index=featurizer.sources())
    return raw.groupby(level=0, sort=False).sum(), measure
