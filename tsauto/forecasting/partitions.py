"""Many models through grouping: ``Forecaster(partition_by=[...])``.

The table is split by the partition columns; each partition gets its own forecaster (its own
search when a budget is set: for example one model family per store), fitted in parallel on the
executor. The parent keeps the children, one combined leaderboard (with the partition columns)
and answers ``predict`` for all series by routing each table to its partition.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from tsauto.core.table_io import read_table
from tsauto.core.exceptions import DataValidationError
from tsauto.core.resources import n_workers

if TYPE_CHECKING:
    from tsauto.forecasting.forecaster import Forecaster

log = logging.getLogger(__name__)


def partition_columns(fc: "Forecaster") -> list[str]:
    cols = fc.partition_by
    return [cols] if isinstance(cols, str) else list(cols)


def split(df: pd.DataFrame, cols: list[str], what: str) -> dict[tuple, pd.DataFrame]:
    """The table's rows by partition key."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError(f"{what} has no partition column {missing}: partition_by={cols}.")
    return {
        (k if isinstance(k, tuple) else (k,)): part.reset_index(drop=True)
        for k, part in df.groupby(cols, sort=True, observed=True)
    }


def fit_partitions(fc: "Forecaster", data) -> "Forecaster":
    """Fit one child forecaster per partition, in parallel; returns ``fc``."""
    cols = partition_columns(fc)
    parts = split(read_table(data), cols, "the table")
    n_parts = len(parts)
    workers = n_workers(fc.n_jobs, n_parts)
    child_params = fc.get_params()
    child_params.update(partition_by=None, n_jobs=1, backend="sequential", client=None)
    if fc.time_budget is not None:  # partitions share the budget, `workers` at a time
        child_params["time_budget"] = fc.time_budget * workers / n_parts * 0.9
    log.info("fitting %d partitions on %d workers", n_parts, workers)
    template = type(fc)(**child_params)
    jobs = [delayed(_fit_child)(copy.deepcopy(template), part) for part in parts.values()]
    if fc.backend == "dask":
        with parallel_config(backend="dask"):
            children = Parallel(n_jobs=-1)(jobs)
    else:
        children = Parallel(n_jobs=workers, backend="loky" if workers > 1 else "sequential")(jobs)
    fc.partitions_ = dict(zip(parts, children))
    boards = []
    for key, child in fc.partitions_.items():
        board = child.leaderboard()
        for col, value in zip(cols, key):
            board.insert(0, col, value)
        boards.append(board)
    fc.leaderboard_ = pd.concat(boards, ignore_index=True)
    fc.model_ = None  # marks the parent as fitted; the children hold the models
    return fc


def _fit_child(child: "Forecaster", part: pd.DataFrame) -> "Forecaster":
    return child.fit(part)


def predict_partitions(fc: "Forecaster", future=None, history=None) -> pd.DataFrame:
    """Forecasts of every partition, concatenated in partition order."""
    cols = partition_columns(fc)
    hist = split(read_table(history), cols, "the history table") if history is not None else {}
    fut = split(read_table(future), cols, "the future table") if future is not None else {}
    unknown = [k for k in hist if k not in fc.partitions_]
    if unknown:
        raise DataValidationError(
            f"the history table holds partitions {unknown[:5]} unseen at fit ({cols}): fit a "
            "forecaster that includes them."
        )
    keys = list(hist) if history is not None else list(fc.partitions_)
    out = [fc.partitions_[k].predict(future=fut.get(k), history=hist.get(k)) for k in keys]
    return pd.concat(out, ignore_index=True)


def backtest_partitions(fc: "Forecaster", data, folds: int, step: int | None):
    """Backtest every partition's fitted configuration; tables concatenated, the summary
    averaged over partitions weighted by their number of series."""
    from tsauto.forecasting.forecaster import BacktestResult

    cols = partition_columns(fc)
    parts = split(read_table(data), cols, "the table")
    results, weights = [], []
    for key, part in parts.items():
        child = fc.partitions_.get(key)
        if child is None:
            raise DataValidationError(f"partition {key} was not seen at fit.")
        results.append(child.backtest(part, folds=folds, step=step))
        weights.append(child.history_.n_series)
    summaries = [r.summary.assign(model=r.summary["model"].where(r.summary["model"] == "seasonal_naive", "model")) for r in results]
    stacked = pd.concat([s.assign(_w=w) for s, w in zip(summaries, weights)])
    numeric = [c for c in stacked.columns if c not in ("model", "_w")]
    summary = (
        stacked.groupby("model", sort=False)
        .apply(lambda g: pd.Series(np.average(g[numeric], axis=0, weights=g["_w"]), index=numeric))
        .reset_index()
    )
    return BacktestResult(
        pd.concat([r.forecasts for r in results], ignore_index=True),
        pd.concat([r.per_series for r in results], ignore_index=True),
        summary,
    )
