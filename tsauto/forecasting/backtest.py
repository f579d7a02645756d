"""Rolling-origin cross-validation of a forecasting model on a panel.

Each fold trains a fresh model only on the data before its cutoff and forecasts the next
``horizon`` steps of every series; the same routine serves model selection inside ``fit`` and
the user-facing :meth:`tsauto.Forecaster.backtest`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd

from tsauto.forecasting.panel import Panel, output_times
from tsauto.forecasting.learners.base import Task
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.forecasting.learners.baselines import seasonal_naive_forecast
from tsauto.forecasting.learners.fallback import WithFallback
from tsauto.forecasting.metrics import mase_scale, overall_score, window_table
from tsauto.forecasting.splitters import RollingOriginSplitter

log = logging.getLogger(__name__)


@dataclass
class FoldResults:
    """Out-of-fold forecasts of every (fold, series, step) cell, as flat arrays."""

    series: np.ndarray  # series position in the panel
    fold: np.ndarray
    step: np.ndarray  # 1-based
    cutoff: np.ndarray  # time of the last training observation
    time: np.ndarray
    actual: np.ndarray
    forecast: np.ndarray
    baseline: np.ndarray  # seasonal naive from the same cutoff
    quantiles: dict[float, np.ndarray]
    scale: np.ndarray  # MASE scale of the series' training part, per cell (nan: undefined)
    scale_sq: np.ndarray  # RMSSE scale, per cell
    train_length: np.ndarray  # observations the model was trained on, per cell
    fallback: np.ndarray  # reason the main learner did not forecast the cell ('' if it did)
    fit_time: float
    predict_time: float


def cross_validate(
    panel: Panel,
    task: Task,
    make_model: Callable[[], WithFallback],
    splitter: RollingOriginSplitter,
) -> FoldResults:
    """Fit and forecast every fold of ``splitter``; the model only ever sees the past."""
    parts: list[dict] = []
    fit_time = predict_time = 0.0
    indptr = panel.indptr
    n_folds = splitter.folds
    trial_task = task
    for fold in splitter.split(panel.lengths):
        if trial_task.time_left() <= 0:
            raise TimeLimitExceeded(f"time budget reached before fold {fold.index}")
        if trial_task.deadline is not None:  # every fold gets an equal share of the time left
            share = trial_task.time_left() / (n_folds - fold.index)
            task = replace(trial_task, deadline=time.monotonic() + share)
        present = np.flatnonzero(fold.train_lengths > 0)
        if present.size == 0:
            continue
        train = panel.head(fold.train_lengths)
        model = make_model()
        t0 = time.perf_counter()
        model.fit(train, task)
        t1 = time.perf_counter()
        h = task.horizon
        test_rows = indptr[present][:, None] + fold.train_lengths[present][:, None] + np.arange(h)
        valid = np.arange(h)[None, :] < fold.test_lengths[present][:, None]
        test_rows = np.where(valid, test_rows, indptr[present][:, None])
        future = {
            c: np.where(valid, panel.covariates[c].to_numpy()[test_rows], np.nan)
            for c in panel.schema.known_future
        }
        routed = model.predict(train, future)
        t2 = time.perf_counter()
        fit_time += t1 - t0
        predict_time += t2 - t1
        baseline, _ = seasonal_naive_forecast(train, h, task.season)
        scale = mase_scale(train.y, train.indptr, task.season)
        scale_sq = mase_scale(train.y, train.indptr, task.season, power=2)
        keep = valid & ~routed.dropped[:, None]
        rows_i, steps_i = np.nonzero(keep)
        parts.append(
            {
                "series": present[rows_i],
                "fold": np.full(rows_i.size, fold.index),
                "step": steps_i + 1,
                "cutoff": train.last_times[rows_i],
                "time": panel.times[test_rows[rows_i, steps_i]],
                "actual": panel.y[test_rows[rows_i, steps_i]],
                "forecast": routed.forecast.mean[rows_i, steps_i],
                "baseline": baseline[rows_i, steps_i],
                "quantiles": {q: v[rows_i, steps_i] for q, v in routed.forecast.quantiles.items()},
                "scale": scale[rows_i],
                "scale_sq": scale_sq[rows_i],
                "train_length": fold.train_lengths[present][rows_i],
                "fallback": routed.reason[rows_i],
            }
        )
        log.info(
            "fold %d: %d series, fit %.1fs, predict %.1fs", fold.index, present.size, t1 - t0, t2 - t1
        )
    if not parts:
        raise ValueError(
            "no series is long enough for a single backtest fold: use fewer folds, a smaller "
            "step or a shorter horizon."
        )
    quantile_keys = parts[0]["quantiles"].keys()
    return FoldResults(
        **{
            k: np.concatenate([p[k] for p in parts])
            for k in FoldResults.__dataclass_fields__
            if k not in ("quantiles", "fit_time", "predict_time")
        },
        quantiles={q: np.concatenate([p["quantiles"][q] for p in parts]) for q in quantile_keys},
        fit_time=fit_time,
        predict_time=predict_time,
    )


def windows_of(res: FoldResults) -> np.ndarray:
    """Window number (series × fold) of every cell."""
    return np.unique(res.series * (int(res.fold.max()) + 1) + res.fold, return_inverse=True)[1]


def results_frame(res: FoldResults, panel: Panel) -> pd.DataFrame:
    """The long table of a backtest: ids, time, cutoff, fold, step, actual, forecast, ..."""
    schema = panel.schema
    out = panel.keys.iloc[res.series].reset_index(drop=True)
    out[schema.time] = output_times(res.time, schema)
    out["cutoff"] = output_times(res.cutoff, schema)
    out["fold"] = res.fold
    out["step"] = res.step
    out["actual"] = res.actual
    out["forecast"] = res.forecast
    for q, v in sorted(res.quantiles.items()):
        out[f"q{q:g}"] = v
    out["seasonal_naive"] = res.baseline
    out["fallback"] = res.fallback
    return out


def backtest_scores(
    frame: pd.DataFrame, res: FoldResults, panel: Panel, name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics per series and cutoff, and their means for the model (``name``) and for
    seasonal naive from the same cutoffs (``summary``)."""
    window = windows_of(res)
    first = np.unique(window, return_index=True)[1]
    keys = frame.iloc[first][[*panel.schema.ids, "cutoff"]].reset_index(drop=True)
    quantiles = {q: v for q, v in res.quantiles.items()}
    model = window_table(res.actual, res.forecast, window, res.scale, res.scale_sq, quantiles)
    base = window_table(res.actual, res.baseline, window, res.scale, res.scale_sq)
    per_series = pd.concat([keys, model], axis=1)
    rows = []
    for label, table, pred in ((name, model, res.forecast), ("seasonal_naive", base, res.baseline)):
        summary = table.mean().to_dict()
        summary["wape"] = overall_score("wape", res.actual, pred, window, None)
        rows.append({"model": label, **summary})
    return per_series, pd.DataFrame(rows)
