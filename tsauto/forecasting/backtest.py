"""Rolling-origin cross-validation of a forecasting model on a panel.

Each fold trains a fresh model only on the data before its cutoff and forecasts the next
``horizon`` steps of every series: :func:`cross_validate` for one model (model selection
inside ``fit``), :func:`backtest_forecaster` for a whole forecaster (the user-facing
:meth:`tsauto.Forecaster.backtest`, on the same splitter, scored by the same tables).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsauto.core.arrays import ranges
from tsauto.core.exceptions import DataValidationError, TimeLimitExceeded
from tsauto.core.logfilter import warnings_once
from tsauto.core.stopping import TRIAL_MIN_SHARE, equal_share
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.baselines import seasonal_naive_forecast
from tsauto.forecasting.learners.fallback import WithFallback, fit_folds
from tsauto.forecasting.metrics import METRICS, mase_scale, overall_score, window_table
from tsauto.forecasting.panel import Panel, Schema, decoded, output_times, time_text
from tsauto.forecasting.splitters import Fold, RollingOriginSplitter
from tsauto.forecasting.validation import _bucket, parse_like  # _bucket: the aggregation periods of validate

if TYPE_CHECKING:
    from tsauto.forecasting.forecaster import Forecaster
    from tsauto.forecasting.hierarchy.spec import HierarchySpec

log = logging.getLogger(__name__)

NOTES = {  # what a backtest's numbers mean, by mode
    "nested": "nested: the whole selection was rerun at each cutoff on the data before it",
    "refit": "optimistic: the model was chosen on these data (refit at each cutoff, not reselected)",
}
REFERENCE = "seasonal_naive"  # the reference's column of the forecasts and row of the summary
FitFold = Callable[[pd.DataFrame], "Forecaster"]  # the raw rows before a cutoff → fitted


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
    baseline: np.ndarray  # seasonal naive from the same cutoff (naive without a season)
    quantiles: dict[float, np.ndarray]
    scale: np.ndarray  # MASE scale of the series' training part, per cell (nan: undefined)
    scale_sq: np.ndarray  # RMSSE scale, per cell
    train_length: np.ndarray  # observations the model was trained on, per cell
    fallback: np.ndarray  # reason the main learner did not forecast the cell ('' if it did)
    fit_time: float
    predict_time: float


@dataclass(frozen=True, eq=False)  # arrays: identity equality
class Scored:
    """The panel whose cells a backtest scores, the position in it of every series of the
    fitted panel (whose cutoffs are those of the series there) and which of its rows hold an
    observation (None: all; :func:`observed_rows`): the fitted panel itself
    (:meth:`of`), or with a hierarchy its every node (:func:`~tsauto.forecasting.hierarchy.
    fitting.node_panel`)."""

    panel: Panel
    series: np.ndarray
    observed: np.ndarray | None

    @classmethod
    def of(cls, panel: Panel) -> Scored:
        """``panel`` scoring its own cells."""
        return cls(panel, np.arange(panel.n_series), observed_rows(panel))


def observed_rows(panel: Panel) -> np.ndarray | None:
    """Which rows of ``panel`` hold an observed target, not one imputed (interpolated or
    carried forward); None: all of them, as with ``fill="zero"``, where a missing step is a
    zero that happened, or a panel without a fill report."""
    fills = getattr(panel, "fills", None)
    if fills is None or fills.imputed_rows is None or panel.schema.fill == "zero":
        return None
    return ~fills.imputed_rows


def cross_validate(
    panel: Panel,
    task: Task,
    make_model: Callable[[], WithFallback],
    splitter: RollingOriginSplitter,
    only: Sequence[int] | None = None,
) -> FoldResults:
    """Fit and forecast every fold of ``splitter`` (``only``: the folds of these indices); the
    model only ever sees the past. A local learner that fits series together fits every fold's
    series in one pass (:func:`~tsauto.forecasting.learners.fallback.fit_folds`), the trial's
    time shared by all; others fit fold by fold, each fold given an equal share of the time left,
    so that the folds of a subset give the same cells as they do among all folds. A fold's fit
    cut short by its time keeps what it fitted (``TRIAL_MIN_SHARE``): its scores say what that is worth."""
    parts: list[dict] = []
    fit_time = predict_time = 0.0
    indptr = panel.indptr
    n_folds = splitter.folds
    task = trial_task = replace(task, min_share=TRIAL_MIN_SHARE)
    folds = [f for f in scored_folds(splitter, panel.lengths) if only is None or f.index in only]
    observed = observed_rows(panel)
    if not folds:
        return _concat(parts, fit_time, predict_time)
    models = [make_model()]
    together = len(folds) > 1 and models[0].fits_together()
    trains = [panel.head(f.train_lengths) for f in folds] if together else None  # else one at a time
    if together:
        if task.time_left() <= 0:
            raise TimeLimitExceeded(f"time budget reached before fold {folds[0].index}")
        models += [make_model() for _ in folds[1:]]
        t0 = time.perf_counter()
        fit_folds(models, trains, task)
        fit_time = time.perf_counter() - t0
        log.debug("%d folds fitted together in %.1fs", len(folds), fit_time)
    for k, fold in enumerate(folds):
        train = trains[k] if trains else panel.head(fold.train_lengths)
        t0 = time.perf_counter()
        if not together:
            if trial_task.time_left() <= 0:
                raise TimeLimitExceeded(f"time budget reached before fold {fold.index}")
            if trial_task.deadline is not None:
                task = replace(trial_task, deadline=equal_share(trial_task.deadline, n_folds - fold.index))
            if k:
                models.append(make_model())
            models[k].fit(train, task)
        model = models[k]
        t1 = time.perf_counter()
        present = np.flatnonzero(fold.train_lengths > 0)
        h = task.horizon
        test_rows, valid = _test_rows(indptr, fold, present, h)
        future = {
            c: np.where(valid, panel.covariates[c].to_numpy()[test_rows], np.nan)
            for c in panel.schema.known_future
        }
        routed = model.predict(train, future)
        t2 = time.perf_counter()
        fit_time += t1 - t0
        predict_time += t2 - t1
        keep = valid & ~routed.dropped[:, None]
        fc = routed.forecast
        parts.append(
            _cells(panel, train, fold, test_rows, keep, task.season, fc.mean, fc.quantiles, routed.reason,
                   observed)
        )
        log.debug(  # a trial's details: the search's line per trial says how it goes (user test 55: chatty)
            "fold %d: %d series, fit %.1fs, predict %.1fs", fold.index, present.size, t1 - t0, t2 - t1
        )
    return _concat(parts, fit_time, predict_time)


def backtest_forecaster(
    panel: Panel,
    raw: pd.DataFrame,
    splitter: RollingOriginSplitter,
    fit_fold: FitFold,
    season: int,
    quantiles: Sequence[float],
    aggregated: bool,
    nodes: Scored | None = None,
) -> tuple[FoldResults, pd.DataFrame]:
    """Rolling-origin backtest of whole forecasters, and the model each fold fitted (one row
    per fold: ``fold``, its ``label`` as the log gives it, ``model``).

    ``raw`` is the table ``panel`` was validated from (``aggregated``: with ``aggregate=``).
    At each cutoff ``fit_fold`` gets the raw rows at or before every series' cutoff (the rows
    whose time, or aggregation period, comes after it are left out) and returns a forecaster
    fitted on them alone (steps missing at the cutoff are not filled from the rows after it);
    its ``predict`` forecasts the steps its ``make_future_frame`` lists, with the known-future
    covariates of those steps (:func:`_future_frame`), and the ``quantiles`` it gives.
    ``nodes``: with a hierarchy, its every node (:func:`~tsauto.forecasting.hierarchy.fitting.
    node_panel`), whose cells are forecast (``predict(level="all")``) and scored instead of
    ``panel``'s, each series cut where its bottom node is: at the cutoff common to all nodes
    (a series without a row there, or ended before it, is carried to it by the fold's fit).
    """
    check_names(panel.schema, quantiles)
    series, times = row_positions(raw, panel, aggregated)
    scored = Scored.of(panel) if nodes is None else nodes
    level = None if nodes is None else "all"
    parts: list[dict] = []
    models: list[dict] = []
    fit_time = predict_time = 0.0
    h = splitter.horizon
    seen: dict = {}  # the warnings logged so far: a later fold's fit or forecast does not repeat them
    total = int(np.any([f.train_lengths > 0 for f in splitter.split(scored.panel.lengths)], axis=0).sum())
    for fold in splitter.split(scored.panel.lengths):
        train_lengths = fold.train_lengths[scored.series]
        present = np.flatnonzero(train_lengths > 0)
        if present.size == 0:
            continue
        ends = scored.panel.indptr[scored.series] + train_lengths - 1
        cutoff = scored.panel.times[np.maximum(ends, 0)]
        s = np.maximum(series, 0)
        before = (series >= 0) & (train_lengths[s] > 0) & (times <= cutoff[s])
        t0 = time.perf_counter()
        with warnings_once(seen):
            fitted = fit_fold(raw.loc[before])
            t1 = time.perf_counter()
            out = fitted.predict(future=_future_frame(panel, fitted, aggregated), level=level)
        t2 = time.perf_counter()
        fit_time += t1 - t0
        predict_time += t2 - t1
        parts.append(_matched_cells(scored, fold, out, fitted, season, quantiles, h))
        model = fitted.model_.describe() if fitted.model_ is not None else "one model per partition"
        cells = parts[-1]
        first = np.unique(cells["series"], return_index=True)[1]
        label = fold_label(fold.index, output_times(cells["cutoff"][first], scored.panel.schema), total)
        models.append({"fold": fold.index, "label": label, "model": model})
        log.info("backtest %s: %s, fit %.1fs, predict %.1fs", label, model, t1 - t0, t2 - t1)
    if repeated := sum(seen.values()) - len(seen):
        log.info("%d warnings repeated by later folds' fits or forecasts were not shown again", repeated)
    if not any(p["actual"].size for p in parts):
        raise DataValidationError(
            "the backtest scored no cell: at every cutoff the series have no observation at the "
            "cutoff or none after it; use other folds= or step=, or fill the missing steps."
        )
    return _concat(parts, fit_time, predict_time), pd.DataFrame(models, columns=["fold", "label", "model"])


def fold_models_name(models: pd.DataFrame) -> str:
    """The summary's name of the model of a backtest whose folds fitted ``models`` (one row per
    fold): the model where every fold chose the same, else how many (user test 48: 12 blends
    joined in one string of 500 characters)."""
    distinct = models["model"].unique()
    if len(distinct) == 1:
        return str(distinct[0])
    return f"chosen per fold: {len(distinct)} models over {len(models)} folds (BacktestResult.models)"


def fold_label(fold: int, cutoffs, total: int) -> str:
    """A fold as the log and the report name it: by its cutoff where its series share one; else
    by the range of their own (each series is cut from its own end: one date would suggest a
    common cutoff); with how many of the backtest's ``total`` series it scores where not all
    (the others too short for it). ``cutoffs``: one per series scored, as the tables write them."""
    cutoffs = pd.Series(cutoffs)
    if cutoffs.empty:  # every cell of the fold went unscored (the log warned why)
        return f"fold {fold} (no series scored)"
    first, last = time_text(cutoffs.min()), time_text(cutoffs.max())
    where = f"cutoff {first}" if first == last else f"each series' own cutoff, {first} to {last}"
    some = f"; {len(cutoffs)} of {total} series" if len(cutoffs) < total else ""
    return f"fold {fold} ({where}{some})"


def check_names(schema: Schema, quantiles: Sequence[float]) -> None:
    """Refuse, before any fold, an id or time column named as a column the backtest's tables
    add (``cutoff``, ``step``, ``actual``, a metric...): they would overwrite it, and its series
    could no longer be told apart."""
    added = {"cutoff", "fold", "step", "actual", "forecast", REFERENCE, "fallback",
             *(f"q{q:g}" for q in quantiles), *METRICS}
    clash = [c for c in (*schema.ids, schema.time) if c in added]
    if clash:
        col = clash[0]
        raise DataValidationError(
            f"column {col!r} ({'the time' if col == schema.time else 'an id'} column) has the name of a "
            f"column the backtest adds to its tables ({', '.join(sorted(added))}), which would overwrite "
            f"it: rename it before the backtest (df.rename(columns={{{col!r}: '{col}_'}}), and in "
            f"{'time=' if col == schema.time else 'ids='} too)."
        )


def _matched_cells(
    scored: Scored,
    fold: Fold,
    out: pd.DataFrame,
    fitted: Forecaster,
    season: int,
    quantiles: Sequence[float],
    h: int,
) -> dict:
    """The cells of ``fold`` in ``scored.panel`` that ``out`` (a forecast table) forecasts."""
    panel = scored.panel
    present = np.flatnonzero(fold.train_lengths > 0)
    test_rows, valid = _test_rows(panel.indptr, fold, present, h)
    cell_series, cell_rows = np.nonzero(valid)[0], test_rows[valid]
    grid = panel.keys.iloc[present[cell_series]].reset_index(drop=True)
    grid[panel.schema.time] = output_times(panel.times[cell_rows], panel.schema)
    matched = grid.merge(out, on=[*panel.schema.ids, panel.schema.time], how="left")
    levels = [q for q in quantiles if f"q{q:g}" in out.columns]
    forecast = np.full(valid.shape, np.nan)
    forecast[valid] = matched["forecast"].to_numpy(dtype=float)
    bands = {q: np.full(valid.shape, np.nan) for q in levels}
    for q in levels:
        bands[q][valid] = matched[f"q{q:g}"].to_numpy(dtype=float)
    keep = valid & np.isfinite(forecast)
    lost = valid & ~keep
    if lost.any():
        log.warning(
            "backtest fold %d: %d cell(s) of %d series not scored: those series have no "
            "observation at the cutoff, so the forecast from their last one ends before them",
            fold.index, int(lost.sum()), int(lost.any(axis=1).sum()),
        )
    reason = _fallback_reasons(fitted, panel.keys.iloc[present].reset_index(drop=True))
    train = panel.head(fold.train_lengths)
    return _cells(panel, train, fold, test_rows, keep, season, forecast, bands, reason, scored.observed)


def row_positions(raw: pd.DataFrame, panel: Panel, aggregated: bool) -> tuple[np.ndarray, np.ndarray]:
    """Series position in ``panel`` (-1: none) and time of every raw row, as the panel's
    times are stored (the aggregation period's stamp when ``aggregated``)."""
    schema = panel.schema
    if schema.ids:
        keys = panel.keys.assign(_position=np.arange(panel.n_series))
        merged = raw[list(schema.ids)].merge(keys, on=list(schema.ids), how="left")
        series = merged["_position"].fillna(-1).to_numpy(dtype=np.int64)
    else:
        series = np.zeros(len(raw), dtype=np.int64)
    times = parse_like(raw[schema.time].reset_index(drop=True), schema, "the table").to_numpy()
    if schema.freq is None:
        return series, times
    return series, _bucket(times, schema.freq) if aggregated else times


def _future_frame(panel: Panel, fitted: Forecaster, aggregated: bool) -> pd.DataFrame | None:
    """The ``future=`` table of ``fitted`` (a fold's forecaster), or None without known-future
    covariates: the rows its ``make_future_frame`` lists (after each series' last row in the
    fold; with a hierarchy after the cutoff common to all nodes, to which the fold's fit carried
    a series without a row there), each with the known-future covariates of ``panel``'s row of
    that series at that time, or at its last time before (a series carried past its last row:
    its last values, as the fit fills the covariates of the zeros it carried). Categories are
    decoded."""
    schema = panel.schema
    if not schema.known_future:
        return None
    out = fitted.make_future_frame()
    series, times = row_positions(out, panel, aggregated)
    have = pd.DataFrame({"s": panel.series_codes(), "t": panel.times, "row": np.arange(len(panel.y))})
    wanted = pd.DataFrame({"s": series, "t": times, "at": np.arange(len(out))})
    found = pd.merge_asof(wanted.sort_values("t", kind="stable"), have.sort_values("t", kind="stable"),
                          on="t", by="s")  # the last row at or before each time
    rows = found.sort_values("at")["row"].to_numpy(np.int64)
    for c in schema.known_future:
        out[c] = decoded(panel.covariates[c].to_numpy()[rows], schema.categories.get(c))
    return out


def _fallback_reasons(fitted: Forecaster, keys: pd.DataFrame) -> np.ndarray:
    """Why ``fitted`` forecast each series of ``keys`` with its fallback ('' where it did not,
    or where its reasons are kept per partition or per hierarchy node)."""
    reasons = np.full(len(keys), "", dtype=object)
    if fitted.model_ is None or getattr(fitted, "hierarchy_", None) is not None:
        return reasons
    table = fitted.fallbacks_
    if table.empty:
        return reasons
    if keys.columns.empty:
        return np.full(len(keys), table["reason"].iloc[0], dtype=object)
    merged = keys.merge(table, on=list(keys.columns), how="left")
    return merged["reason"].fillna("").to_numpy(dtype=object)


def _cells(
    panel: Panel,
    train: Panel,
    fold: Fold,
    test_rows: np.ndarray,
    keep: np.ndarray,
    season: int,
    forecast: np.ndarray,
    quantiles: dict[float, np.ndarray],
    reason: np.ndarray,
    observed: np.ndarray | None,
) -> dict:
    """The kept cells of one fold, with the seasonal-naive reference and the metric scales
    of the training part. Arrays are (n_present, h), ``reason`` one per present series. Cells
    of rows that hold no observation (``observed``, a mask of ``panel``'s rows, see
    :func:`observed_rows`; None: all do) are not kept, nor do they count in the scales."""
    present = np.flatnonzero(fold.train_lengths > 0)
    if observed is not None:
        keep = keep & observed[test_rows]
    baseline, _ = seasonal_naive_forecast(train, test_rows.shape[1], season)
    scale, scale_sq = fold_scales(panel, train, fold.train_lengths, season, observed)
    rows_i, steps_i = np.nonzero(keep)
    return {
        "series": present[rows_i],
        "fold": np.full(rows_i.size, fold.index),
        "step": steps_i + 1,
        "cutoff": train.last_times[rows_i],
        "time": panel.times[test_rows[rows_i, steps_i]],
        "actual": panel.y[test_rows[rows_i, steps_i]],
        "forecast": forecast[rows_i, steps_i],
        "baseline": baseline[rows_i, steps_i],
        "quantiles": {q: v[rows_i, steps_i] for q, v in quantiles.items()},
        "scale": scale[rows_i],
        "scale_sq": scale_sq[rows_i],
        "train_length": fold.train_lengths[present][rows_i],
        "fallback": reason[rows_i],
    }


def fold_scales(
    panel: Panel, train: Panel, lengths: np.ndarray, season: int, observed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """MASE's and RMSSE's scales of a fold's training part ``train``, the first ``lengths``
    rows of each series of ``panel`` (its series with rows), rows that hold no observation
    (``observed``, a mask of ``panel``'s rows; None: all do) left out."""
    present = np.flatnonzero(lengths > 0)
    seen = None if observed is None else observed[ranges(panel.indptr[present], lengths[present])]
    return (mase_scale(train.y, train.indptr, season, observed=seen),
            mase_scale(train.y, train.indptr, season, power=2, observed=seen))


def _test_rows(
    indptr: np.ndarray, fold: Fold, present: np.ndarray, h: int
) -> tuple[np.ndarray, np.ndarray]:
    """Flat rows of the ``h`` steps after the cutoff of every present series, (n_present, h),
    and which of them the fold tests (the others point at the series' first row)."""
    test_rows = indptr[present][:, None] + fold.train_lengths[present][:, None] + np.arange(h)
    valid = np.arange(h)[None, :] < fold.test_lengths[present][:, None]
    return np.where(valid, test_rows, indptr[present][:, None]), valid


def scored_folds(splitter: RollingOriginSplitter, lengths: np.ndarray) -> list[Fold]:
    """The folds of ``splitter`` in which some series of ``lengths`` is present."""
    return [f for f in splitter.split(lengths) if np.any(f.train_lengths > 0)]


def concat_results(results: Sequence[FoldResults]) -> FoldResults:
    """One :class:`FoldResults` of the folds of ``results`` (each of some folds of one
    backtest, in fold order), as one backtest of all of them gives; their times summed."""
    return _concat([vars(r) for r in results], sum(r.fit_time for r in results),
                   sum(r.predict_time for r in results))


def _concat(parts: list[dict], fit_time: float, predict_time: float) -> FoldResults:
    """One :class:`FoldResults` from the cells of every fold."""
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


def reference_note(season: int, seasons: Sequence[int] = ()) -> str:
    """What the ``seasonal_naive`` reference of a backtest is where its name does not say it:
    plain naive, the last value repeated, when the model has no seasonal period (``season``
    1; the name is kept, one column and row whatever the data), or the naive of the first of
    several ``seasons`` (half-hours: the last day repeated, where the last week's naive can
    forecast better, user test 57: MASE 0.80 against 1.06); '' otherwise."""
    if season <= 1:
        return (f"{REFERENCE} is plain naive here (the last value repeated): the model has no "
                "seasonal period.")
    longer = [m for m in seasons if m > season]
    if not longer:
        return ""
    return (f"{REFERENCE} repeats the last {season} steps (the first of the seasonal periods "
            f"{', '.join(map(str, seasons))}): a longer period's naive may be a stronger reference.")


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
    out[REFERENCE] = res.baseline
    out["fallback"] = res.fallback
    return out


def backtest_tables(
    res: FoldResults, panel: Panel, name: str, spec: HierarchySpec | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The tables of a backtest: the forecasts (:func:`results_frame`), the metrics of every
    series at every fold (one row each: its ids, ``cutoff`` and ``fold``, then the metrics of its
    forecasts from that cutoff), their means for the model (``name``) and for seasonal naive from the same
    cutoffs (the summary; plain naive without a season, see :func:`reference_note`), and with
    a hierarchy the model's and seasonal naive's means per level (else None). A mean is over the (series, fold)
    windows, each weighing the same, but ``wape`` (all cells' errors over all their actuals)
    and ``coverage`` (the share of all actuals inside the interval): :func:`_means`. ``mape``
    and ``smape`` are in percent, ``wape`` a fraction (:mod:`.metrics`).

    With ``spec`` (``panel`` holds its nodes, :func:`~tsauto.forecasting.hierarchy.fitting.
    node_panel`) the forecasts and per-series metrics carry every node with its level and
    labels, the summary is of the bottom series, and the last table has one row per level,
    coarse to fine: ``level``, ``nodes``, the model's metrics and seasonal naive's from the same
    cutoffs (``"mase seasonal_naive"``, ...), so that each level shows what it beat.
    """
    frame = results_frame(res, panel)
    keys = list(panel.schema.ids)
    if spec is not None:
        frame = spec.select(frame, "all")
        keys = [c for c in frame.columns if c in spec.nodes.columns]
    window = windows_of(res)
    first = np.unique(window, return_index=True)[1]
    model = window_table(res.actual, res.forecast, window, res.scale, res.scale_sq, res.quantiles)
    base = window_table(res.actual, res.baseline, window, res.scale, res.scale_sq)
    per_series = pd.concat([frame.iloc[first][[*keys, "cutoff", "fold"]].reset_index(drop=True), model], axis=1)
    level = None if spec is None else frame[spec.level_column].to_numpy()
    bottom = np.ones(len(frame), dtype=bool) if spec is None else level == spec.levels[-1]
    summary = pd.DataFrame([
        {"model": name, **_means(model, res.actual, res.forecast, window, bottom)},
        {"model": REFERENCE, **_means(base, res.actual, res.baseline, window, bottom)},
    ])
    if spec is None:
        return frame, per_series, summary, None
    by_level = pd.DataFrame([
        {
            "level": each,
            "nodes": frame.loc[level == each, spec.node_column].nunique(),
            **_means(model, res.actual, res.forecast, window, level == each),
            **{f"{m} {REFERENCE}": v for m, v in _means(base, res.actual, res.baseline, window, level == each).items()},
        }
        for each in spec.levels
    ])
    return frame, per_series, summary, by_level


def _means(
    table: pd.DataFrame, actual: np.ndarray, forecast: np.ndarray, window: np.ndarray, cells: np.ndarray
) -> dict[str, float]:
    """The mean of every metric of ``table`` (one row per window) over the windows of the
    chosen ``cells`` (a mask, of whole windows), each window weighing the same (MASE's mean of
    per-series values, as M4 takes it); ``wape`` over all those cells, and ``coverage`` the
    share of all their actuals inside the interval (each window weighed by its cells)."""
    chosen = np.unique(window[cells])
    out = table.iloc[chosen].mean().to_dict()
    out["wape"] = overall_score("wape", actual[cells], forecast[cells], window[cells], None)
    if "coverage" in table:
        out["coverage"] = float(np.average(table["coverage"].iloc[chosen], weights=np.bincount(window)[chosen]))
    return out
