"""Reconcile a node-level forecast table (what ``Forecaster.predict`` returns when fitted on
:meth:`HierarchySpec.aggregate`'s table with the node id as the series id).

Base forecasts are aligned on time across nodes. Where a node has no forecast at a time (a
series that ended earlier, or one the model dropped), a bottom series counts as 0 and an
aggregate takes the sum of its bottom series' forecasts. Quantile columns (``q0.1``,
``q0.9``: ``q`` and the level) are replaced by the quantiles of reconciled sample paths
(:meth:`Reconciler.sample_quantiles`) whose per node and step spread is read off the base
quantiles, ``|q - forecast| / |z_q|`` averaged over the levels, so each learner's calibrated
width is kept (nodes without base quantiles use their root mean square residual).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtri

from tsauto.forecasting.hierarchy.reconcile import Guard, Reconciler
from tsauto.forecasting.hierarchy.spec import HierarchySpec


def reconcile_forecasts(
    forecasts: pd.DataFrame,
    spec: HierarchySpec,
    reconciler: Reconciler | str = "mint_shrink",
    residuals: np.ndarray | None = None,
    history: np.ndarray | None = None,
    by: str | None = None,
    value: str = "forecast",
    n_samples: int = 1000,
    seed: int = 0,
    guard: Guard | None = None,
) -> pd.DataFrame:
    """``forecasts`` (node id, time, ``value``, quantile columns) with coherent values, same
    rows and columns.

    ``reconciler``: a fitted :class:`Reconciler` (what a fitted forecaster keeps), or a method
    name or unfitted one, then fitted here on ``residuals`` and ``history`` (``n_nodes x T``
    matrices: :func:`residual_matrix`, :meth:`HierarchySpec.pivot`). ``by``: a column whose
    groups are reconciled separately (``"cutoff"`` for a backtest table). ``guard``: applied
    to the reconciled bottom series, the forecasts and every sample path, before they are
    summed to every node (:meth:`Reconciler.transform`).
    """
    if isinstance(reconciler, str):
        reconciler = Reconciler(reconciler)
    if not hasattr(reconciler, "S_"):
        reconciler = reconciler.fit(spec, residuals, history)
    if by is not None:
        parts = [
            reconcile_forecasts(part, spec, reconciler, value=value, n_samples=n_samples, seed=seed, guard=guard)
            for _, part in forecasts.groupby(by, sort=False)
        ]
        return pd.concat(parts).loc[forecasts.index]
    base, times = spec.pivot(forecasts, value)
    base = _fill(base, spec)
    values = {value: reconciler.transform(base, guard)}
    qcols = quantile_columns(forecasts)
    if qcols:
        scale = _scale(spec, forecasts, qcols, base, reconciler)
        qs = reconciler.sample_quantiles(base, list(qcols.values()), scale, n_samples, seed, guard)
        values.update({col: qs[q] for col, q in qcols.items()})
    long = spec.unpivot(values, times)
    keys = [spec.node_column, spec.time]
    merged = forecasts[keys].merge(long.drop(columns=spec.level_column), on=keys, how="left")
    out = forecasts.copy()
    for col in values:
        out[col] = merged[col].to_numpy()
    return out


def residual_matrix(
    frame: pd.DataFrame,
    spec: HierarchySpec,
    actual: str = "actual",
    forecast: str = "forecast",
    columns: Sequence[str] = ("cutoff", "step"),
) -> np.ndarray:
    """``n_nodes x k`` errors ``actual - forecast`` of a node-level backtest table, one column
    per ``columns`` value (default each cutoff and step), NaN where a node has none."""
    errors = frame.assign(_error=frame[actual] - frame[forecast])
    return spec.pivot(errors, "_error", list(columns))[0]


def quantile_columns(frame: pd.DataFrame) -> dict[str, float]:
    """Quantile columns named ``q<level>`` (``q0.1``) and their levels."""
    found = {}
    for col in frame.columns:
        if isinstance(col, str) and col.startswith("q"):
            try:
                q = float(col[1:])
            except ValueError:
                continue
            if 0 < q < 1:
                found[col] = q
    return found


def _fill(base: np.ndarray, spec: HierarchySpec) -> np.ndarray:
    na = spec.n_aggregates
    bottom = np.nan_to_num(base[na:])
    sums = np.asarray(spec.S[:na] @ bottom)
    return np.vstack([np.where(np.isnan(base[:na]), sums, base[:na]), bottom])


def _scale(spec, forecasts, qcols, base, reconciler) -> np.ndarray:
    widths = []
    for col, q in qcols.items():
        if q != 0.5:
            widths.append(np.abs(spec.pivot(forecasts, col)[0] - base) / abs(ndtri(q)))
    widths = np.asarray(widths).reshape(-1, *base.shape)
    counts = (~np.isnan(widths)).sum(axis=0)
    scale = np.full(base.shape, np.nan)
    np.divide(np.nansum(widths, axis=0), counts, out=scale, where=counts > 0)
    missing = np.isnan(scale)
    if missing.any():
        if reconciler.noise_ is None:
            raise ValueError(
                f"{int(missing.any(axis=1).sum())} node(s) have no base quantiles to read a "
                "spread from: pass residuals= to reconcile their quantiles."
            )
        scale = np.where(missing, reconciler.noise_.rms[:, None], scale)
    return scale
