"""``Forecaster(hierarchy=...)``: forecast every node of the hierarchy, then reconcile.

The table is aggregated to every node (:meth:`HierarchySpec.aggregate`); one forecaster,
configured as the user's, is fitted on all nodes at once (a global model sees every level);
its validation errors (the out-of-fold forecasts of the ensemble) give the residuals of the
reconciliation. Without validation errors (a single learner fitted alone) the residual-based
methods fall back to ``wls_struct``, with a note in the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tsauto.core.table_io import read_table
from tsauto.forecasting.hierarchy.forecasts import reconcile_forecasts, residual_matrix
from tsauto.forecasting.hierarchy.reconcile import Reconciler
from tsauto.forecasting.hierarchy.spec import HierarchySpec

log = logging.getLogger(__name__)

NEEDS_RESIDUALS = ("wls_var", "mint_shrink")


@dataclass
class HierarchicalFit:
    """The spec, the forecaster of all nodes, and the fitted reconciler."""

    spec: HierarchySpec
    base: Any  # a fitted Forecaster over the nodes
    reconciler: Reconciler
    known_future: tuple[str, ...]


def fit_hierarchy(template: Any, data) -> HierarchicalFit:
    """Aggregate ``data`` to every node, fit a forecaster (``template``'s settings) on all
    nodes, fit the reconciler on its validation residuals and the nodes' history."""
    df = read_table(data)
    ids = [template.ids] if isinstance(template.ids, str) else list(template.ids or ())
    spec = HierarchySpec.from_table(df, ids=ids, hierarchy=template.hierarchy, time=template.time,
                                    target=template.target)
    known = tuple(template.known_future or ())
    nodes = spec.aggregate(df, covariates=list(known)).drop(columns=spec.level_column)
    params = template.get_params()
    params.update(ids=spec.node_column, hierarchy=None)
    base = type(template)(**params).fit(nodes)
    method = template.reconcile
    validation = getattr(base, "validation_", None)
    residuals = None if validation is None else residual_matrix(validation, spec)
    if method in NEEDS_RESIDUALS and (residuals is None or not np.isfinite(residuals).any()):
        log.warning("reconcile=%r needs validation errors and none were made: wls_struct", method)
        method = "wls_struct"
    history = spec.pivot(nodes, template.target)[0]
    reconciler = Reconciler(method).fit(spec, residuals=residuals, history=history)
    log.info("hierarchy: %d nodes on %d levels, reconciled by %s", len(spec.nodes), len(spec.levels), method)
    return HierarchicalFit(spec, base, reconciler, known)


def predict_hierarchy(fit: HierarchicalFit, future=None, history=None, level=None) -> pd.DataFrame:
    """Coherent forecasts of the chosen level(s) (see :meth:`HierarchySpec.select`)."""
    spec = fit.spec
    fut = None if future is None else spec.aggregate(read_table(future), covariates=list(fit.known_future))
    hist = None if history is None else spec.aggregate(read_table(history), covariates=list(fit.known_future))
    drop = lambda t: None if t is None else t.drop(columns=spec.level_column)  # noqa: E731
    base = fit.base.predict(future=drop(fut), history=drop(hist))
    return spec.select(reconcile_forecasts(base, spec, fit.reconciler), level)
