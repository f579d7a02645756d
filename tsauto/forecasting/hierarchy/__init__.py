"""Hierarchical forecasting: aggregate a long table to every node of a hierarchy, reconcile
forecasts of all nodes so that every aggregate equals the sum of its children.

API (what ``Forecaster(hierarchy=..., reconcile=...)`` calls)::

    spec = HierarchySpec.from_table(df, ids=["Store", "Dept"], hierarchy=["Store", "Dept"],
                                    time="Date", target="Weekly_Sales")
    #   hierarchy: nested chain coarse to fine (["Store", "Dept"]) or crossed chains
    #   ([["State"], ["Industry"]]); bottom level = the full ids. Raises DataValidationError
    #   when a series or a nested label lies under two parents (names the rows and the fix).
    nodes = spec.aggregate(df)            # node id (spec.node_column), level, time, target,
                                          # covariates (flags: max, numbers: mean, labels:
                                          # the most frequent; rules=)
    spec.S, spec.nodes, spec.levels       # summing matrix (n_nodes x n_bottom), node table
    history, times = spec.pivot(nodes, spec.target)   # n_nodes x T matrix in S row order
    coherent = reconcile(base, spec, "mint_shrink", residuals=R)   # base: n_nodes x h
    rec = Reconciler(method, level=None, proportions="average_proportions").fit(
        spec, residuals=R, history=history)   # then .transform(base), .sample_quantiles(
                                               # base, [0.1, 0.9]), .projection()
    out = reconcile_forecasts(predict_table, spec, rec)      # same rows, coherent values
    out = reconcile_forecasts(backtest_table, spec, rec, by="cutoff")
    R = residual_matrix(backtest_table, spec)   # n_nodes x (cutoff, step) errors
    spec.select(out, level=None | "all" | "State" | ["State"] | [] | [["State"], []])
    choice = choose_reconciler(validation, spec, history, times, season)   # reconcile="auto":
    choice.method, choice.scores, choice.note   # the candidate of lowest validation MASE

Methods: ``bottom_up``, ``top_down``, ``middle_out`` (``level=``; the Forecaster's
``reconcile="middle_out:Store"``), ``ols``, ``wls_struct``, ``wls_var``, ``mint_shrink``
(:mod:`.reconcile`); aggregation rules and node naming (:mod:`.spec`); shrinkage
(:mod:`.covariance`); frame-level reconciliation (:mod:`.forecasts`); ``reconcile="auto"``, the
method chosen on the validation folds (:mod:`.selection`).
"""

from tsauto.forecasting.hierarchy.covariance import shrunk_covariance
from tsauto.forecasting.hierarchy.forecasts import (
    quantile_columns,
    reconcile_forecasts,
    residual_matrix,
)
from tsauto.forecasting.hierarchy.reconcile import (
    METHODS,
    PROPORTIONS,
    Reconciler,
    coherence_error,
    reconcile,
)
from tsauto.forecasting.hierarchy.selection import (
    AUTO_CANDIDATES,
    ReconcileChoice,
    choose_reconciler,
)
from tsauto.forecasting.hierarchy.spec import TOTAL, HierarchySpec

__all__ = [
    "AUTO_CANDIDATES",
    "METHODS",
    "PROPORTIONS",
    "TOTAL",
    "HierarchySpec",
    "ReconcileChoice",
    "Reconciler",
    "choose_reconciler",
    "coherence_error",
    "quantile_columns",
    "reconcile",
    "reconcile_forecasts",
    "residual_matrix",
    "shrunk_covariance",
]
