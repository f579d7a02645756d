"""The HTML report of a fitted :class:`~tsauto.Forecaster`: one self-contained file.

Sections: an overview (the ensemble's members named by their leaderboard trial), the data
checks (alerts first, then fixes, then the passed ones), the leaderboard with the ensemble
weights, the plan's notes, the backtest (when a result is given: whether the model beat seasonal
naive, its summary and its errors by fold and horizon step, steps pooled in runs beyond
``MAX_STEP_COLUMNS``), the forecasts with their intervals (what the quantiles rest on, and a
warning where they undercovered) against the history and the held-out forecasts of the best,
the worst (by MASE averaged over the folds, the backtest's per-series) and a sample of series,
and the feature importance of the members that report one (LightGBM: per feature, and per raw
column as :mod:`.explain` groups it; a partitioned model points to its partitions').
A backtest already run is read back from its forecasts table (:func:`backtest_table` adds
its mode, as ``tsauto backtest --out`` writes it; ``result.forecasts`` lacks it) and its data (:func:`backtest_from_table`: ``tsauto report --backtest
TABLE --data FILE``).
MAPE and sMAPE are labelled in percent, WAPE as a fraction, coverage with its nominal level.
Inline CSS and inline SVG charts (:mod:`.svg`): no script, no network, it opens offline.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError, shortlist
from tsauto.core.files import atomic_path
from tsauto.core.table_io import read_table
from tsauto.forecasting.backtest import (
    NOTES, REFERENCE, FoldResults, backtest_tables, fold_label, fold_scales, observed_rows, reference_note,
)
from tsauto.forecasting.data_checks import series_labels
from tsauto.forecasting.explain import explain
from tsauto.forecasting.forecaster import BacktestResult
from tsauto.forecasting.intervals import UNDERCOVER
from tsauto.forecasting.metrics import band_percent, interval_pair
from tsauto.forecasting.calendar_time import read_integer_dates
from tsauto.forecasting.panel import Panel, output_times
from tsauto.forecasting.validation import parse_like
from tsauto.forecasting.svg import Band, Line, bar_chart, line_chart

if TYPE_CHECKING:
    from tsauto.forecasting.forecaster import Forecaster

log = logging.getLogger(__name__)
SUFFIXES = (".html", ".htm")  # the report is one HTML page, whatever the path's name
SAMPLE = 3  # series drawn at random besides the best and the worst
TOP_FEATURES = 15
LITTLE_USED = 0.01  # a covariate under this share of a LightGBM member's gain is named as barely used
SHOWN_COVARIATES = 5  # barely used covariates named, then "and N more"
SERIES_WIDTH = 520  # two series charts side by side
CELL_CHARS = 120  # longer table cells are cut
MAX_STEP_COLUMNS = 12  # the WAPE table pools longer horizons' steps in runs, to this many columns
MAX_FOLD_COLUMNS = 4  # more validation folds' score columns are one column of the leaderboard
REFERENCE_MARGIN = 0.05  # a series or fold lost to seasonal naive is named where it lost by more
STATUS_ORDER = ("alert", "fixed", "passed")  # the data checks' order in the report
MAPE_HUGE = 100.0  # a backtest MAPE (%) this large and ten times its WAPE comes from actuals near zero
UNITS = {"mape": " %", "smape": " %", "wape": " (fraction)"}  # shown with these metrics' names
COLORS = {"history": "#333333", "forecast": "#1f77b4", "held_out": "#e45756", "later": "#aaaaaa"}
BACKTEST_COLUMNS = ("cutoff", "fold", "step", "actual", "forecast")  # what tells a backtest's table from data
MODE_COLUMN = "backtest_mode"  # a backtest's table's mode (nested or refit); tables written before it lack it
NESTED_MODELS = "chosen at each fold (not in the table read)"  # a nested backtest's model, read from its table
OTHER_DATA = "it is not a backtest of this data; give the data table it ran on, or rerun the backtest."
CSS = """
body { font-family: sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-top: 12px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr.alert td { background: #fde2e1; } tr.fixed td { background: #fff4d6; }
tr.member td { background: #e6f0fa; }
.plot { display: inline-block; vertical-align: top; max-width: 540px; margin: 6px 12px 6px 0; }
.plot p { margin: 2px 0; font-size: 13px; }
.note { color: #555; font-size: 13px; }
.warn { color: #a8201a; font-size: 13px; font-weight: bold; }
"""


def write_report(
    forecaster: Forecaster, path: str | Path, backtest: BacktestResult | None = None,
    future: pd.DataFrame | str | Path | None = None, sample: int = SAMPLE,
) -> Path:
    """Write :func:`render`'s page to ``path`` atomically; returns the path."""
    path = check_report_path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(render(forecaster, backtest, future, sample), encoding="utf-8")
    return path


def check_report_path(path: str | Path) -> Path:
    """``path`` as a :class:`~pathlib.Path`; a path not ending in .html or .htm is refused (the
    report is HTML only: no Markdown, no PDF)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise DataValidationError(
            f"cannot write the report to {str(path)!r}: the report is an HTML page; give a .html path"
        )
    return path


def render(
    forecaster: Forecaster, backtest: BacktestResult | None = None,
    future: pd.DataFrame | str | Path | None = None, sample: int = SAMPLE,
) -> str:
    """The report of a fitted forecaster as one HTML page; ``future``: the known-future
    covariates over the horizon, for the forecast plotted (without them, a model that reads
    such covariates is plotted without its forecast, and the page says why)."""
    if backtest is not None and not isinstance(backtest, BacktestResult):
        raise DataValidationError(
            f"backtest= takes the result of Forecaster.backtest, not a {type(backtest).__name__}: "
            "result = forecaster.backtest(data, folds=3); forecaster.report(path, backtest=result)."
        )
    held_out = backtest.forecasts if backtest is not None else getattr(forecaster, "validation_", None)
    per_series = None if backtest is None else backtest.per_series
    sections = [
        _overview(forecaster),
        _checks_section(forecaster.data_checks()),
        _leaderboard_section(forecaster),
        _section("Plan", _list(_plan_notes(forecaster))),
        _reconcile_section(forecaster),
        _backtest_section(backtest, forecaster) if backtest is not None else "",
        _forecasts_section(forecaster, held_out, per_series, sample, future),
        _importance_section(forecaster),
    ]
    title = f"tsauto forecast report: {forecaster.target}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>{''.join(sections)}</body></html>"
    )


# ---------------------------------------------------------------------- html pieces


def _section(title: str, body: str) -> str:
    anchor = title.lower().replace(" ", "-")
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>'


def _plan_notes(fc: Forecaster) -> tuple[str, ...]:
    plan = getattr(fc, "plan_", None)
    return () if plan is None else tuple(plan.notes)


def _list(items: tuple[str, ...]) -> str:
    if not items:
        return '<p class="note">none</p>'
    return "<ul>" + "".join(f"<li>{escape(str(i))}</li>" for i in items) + "</ul>"


def _note(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{escape(text)}</p>'


def _unscored_rows(
    panel: Panel, table: pd.DataFrame, series: np.ndarray, fold: np.ndarray, cut: np.ndarray, step: np.ndarray,
    observed: np.ndarray | None, source: str,
) -> None:
    """Refuse data holding observed rows inside a (series, fold) window of the table's cells that
    the backtest did not score: it scores every observed row of its windows, so the data it ran
    on had no row there (a gap, filled), and the scales and numbers read from this data differ."""
    horizon = int(step.max())
    key = series.astype(np.int64) * (int(fold.max()) + 1) + fold
    _, first, scored = np.unique(key, return_index=True, return_counts=True)
    for j, n in zip(first, scored):
        s, start = series[j], panel.indptr[series[j]] + cut[j] + 1
        rows = np.arange(start, min(start + horizon, panel.indptr[s + 1]))
        seen = rows if observed is None else rows[observed[rows]]
        if seen.size > n:
            where = {**table[list(panel.schema.ids)].iloc[j].to_dict(), "fold": int(fold[j])}
            raise DataValidationError(
                f"{source}: the data holds {seen.size} observed rows in the window of {where} and the table scored "
                f"{n}: the data the backtest ran on lacked rows there (a gap, filled): {OTHER_DATA}"
            )


def _cell(value) -> str:
    """A table cell's text: 4 significant digits (from 1,000 up: whole, with thousands
    separators, never 5.322e+04), dates without midnight, long text cut."""
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        text = ", ".join(map(str, value[:5])) + (f" … ({len(value)} in all)" if len(value) > 5 else "")
    elif isinstance(value, pd.Timestamp) and value == value.normalize():
        text = value.date().isoformat()
    else:
        text = str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def table(frame: pd.DataFrame, table_id: str, row_classes: list[str] | None = None) -> str:
    """``frame`` as an HTML table (no index), cells escaped; ``row_classes`` styles rows."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False, name=None)):
        css = f' class="{row_classes[i]}"' if row_classes else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>")
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def metric_label(name: str) -> str:
    """A metric's name (or its column's: ``mape_fold0``, ``mape seasonal_naive``) with its unit
    where it has one: MAPE and sMAPE are in percent, WAPE a fraction."""
    return name + UNITS.get(name.split("_fold")[0].split(" ")[0].lower(), "")


def coverage_label(levels: list[float]) -> str:
    """The coverage column's name: its interval, the outermost symmetric pair of ``levels``,
    and that interval's nominal level."""
    pair = interval_pair(levels)
    if pair is None:
        return "coverage"
    lo, hi = pair
    return f"coverage of [q{lo:g}, q{hi:g}] (nominal {band_percent(lo, hi)})"


def labelled(frame: pd.DataFrame, levels: list[float]) -> pd.DataFrame:
    """``frame`` with its metric columns named with their units, and coverage with its interval
    (of the quantile ``levels``) and nominal level."""
    names = {c: coverage_label(levels) if c == "coverage" else metric_label(str(c)) for c in frame.columns}
    return frame.rename(columns=names)


# ---------------------------------------------------------------------- sections


def _overview(fc: Forecaster) -> str:
    members = member_names(fc.leaderboard()) if fc.model_ is not None else []
    facts = {
        "target": fc.target,
        "time": fc.time,
        "ids": fc.ids or "(one series)",
        "horizon": fc.horizon,
        "metric": fc.metric,
        "quantiles": fc.quantiles or "none",
        "model": fc.model_.describe() if fc.model_ is not None else "one model per partition",
        **({"members": " + ".join(members)} if members else {}),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if getattr(fc, "history_", None) is not None:
        schema = fc.history_.schema
        facts["series"] = fc.history_.n_series
        facts["frequency"] = schema.freq or f"integer steps of {schema.step}"
    if getattr(fc, "hierarchy_", None) is not None:  # its history_ holds every node
        fit = fc.hierarchy_
        facts["series"] = fit.spec.n_bottom
        facts["hierarchy"] = (f"{fit.spec.aggregates()} above the series, forecast with them and "
                              f"reconciled by {fit.reconciler.method}")
    if getattr(fc, "cv_score_", None) is not None:
        facts[f"validation {metric_label(fc.metric)}"] = fc.cv_score_
    frame = pd.DataFrame({"item": list(facts), "value": [_cell(v) for v in facts.values()]})
    return _section("Overview", table(frame, "overview"))


def _reconcile_section(fc: Forecaster) -> str:
    scores = getattr(fc, "reconcile_scores_", None)
    if scores is None:
        return ""
    lead = _note(
        "reconcile='auto': validation MASE per level of each reconciliation method (the base "
        "forecasts unreconciled for reference); score = mean over levels; no_worse = no worse "
        "than base at every aggregate level and within 2 % at the bottom. The highlighted one is "
        "used: the lowest score among the no_worse ones, or of all when none is."
    )
    rows = ["member" if c else "" for c in scores["chosen"]]  # highlighted as the leaderboard's members
    return _section("Reconciliation", lead + table(scores.round(4), "reconciliation", rows))


def _checks_section(checks: pd.DataFrame) -> str:
    """The data checks, alerts first, then fixes, then the passed ones (each in table order)."""
    counts = checks["status"].value_counts()
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUS_ORDER)
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    checks = checks.sort_values("status", key=lambda s: s.map(rank), kind="stable")
    body = (_note(f"{len(checks)} checks: {summary}; alerts first, then fixes, then the passed ones.")
            + table(checks, "data-checks", list(checks["status"])))
    return _section("Data checks", body)


def member_names(board: pd.DataFrame) -> list[str]:
    """The weighted rows of a leaderboard as ``weight×learner#trial``, heaviest first; with
    partitions (the columns before ``trial``), each one's prefixed by its key."""
    if "weight" not in board or "trial" not in board:
        return []
    keys = list(board.columns[: board.columns.get_loc("trial")])
    members = board[board["weight"] > 0].sort_values([*keys, "weight"], ascending=[True] * len(keys) + [False], kind="stable")
    return [
        "".join(f"{k}={row[k]}, " for k in keys) + f"{row['weight']:.2f}×{row['learner']}#{row['trial']}"
        for _, row in members.iterrows()
    ]


def _leaderboard_section(fc: Forecaster) -> str:
    board = fc.leaderboard()
    members = board["weight"].gt(0).tolist() if "weight" in board else [False] * len(board)
    lead = _note("Highlighted rows are the members of the final model, blended by their weight "
                 "(weight×learner#trial, the trial column's number):") + _list(tuple(member_names(board)))
    if getattr(fc, "interrupted_", False):  # absent from models saved before it was kept
        lead += _note("The search was interrupted (Ctrl-C): these are the trials finished before it "
                      "(see the plan notes).")
    rows = ["member" if m else "" for m in members]
    body = lead + table(labelled(fold_columns(board), fc.quantiles or []), "leaderboard", rows)
    return _section("Leaderboard", body)


def fold_columns(board: pd.DataFrame, most: int = MAX_FOLD_COLUMNS) -> pd.DataFrame:
    """A leaderboard whose per-fold score columns of a metric (``mase_fold0``...), where more
    than ``most``, are one column in their place, ``mase by fold (0–8)``, of their scores in
    fold order (3 significant digits, '–' for none): nine folds' columns ran off the page."""
    groups: dict[str, list] = {}
    for c in board.columns:
        metric, _, number = str(c).rpartition("_fold")
        if metric and number.isdigit():
            groups.setdefault(metric, []).append(c)
    out = board
    for metric, folds in groups.items():
        if len(folds) <= most:
            continue
        numbers = [int(str(c).rpartition("_fold")[2]) for c in folds]
        joined = [" ".join("–" if not np.isfinite(v) else f"{v:.3g}" for v in row)
                  for row in out[folds].to_numpy(dtype=float)]
        at = out.columns.get_loc(folds[0])
        out = out.drop(columns=folds)
        out.insert(at, f"{metric_label(metric)} by fold ({min(numbers)}–{max(numbers)})", joined)
    return out


def _backtest_section(result: BacktestResult, fc: Forecaster) -> str:
    """Whether the model beat seasonal naive on ``fc``'s metric and WAPE, the summary and WAPE
    by fold and step: with a hierarchy one table per level, coarse to fine (one table of all
    levels counted every sale once per level), and the chart of the bottom level's, the
    series'."""
    frame = result.forecasts
    levels = [None] if result.by_level is None else result.by_level["level"].tolist()
    last = int(frame["step"].max())
    width = -(-last // MAX_STEP_COLUMNS)  # steps a column pools: at most MAX_STEP_COLUMNS columns
    pooled = f", steps pooled in runs of {width} (their cells' errors over their actuals)" if width > 1 else ""
    labels = fold_labels(result.per_series)
    tables = []
    for level in levels:
        rows = frame if level is None else frame[frame["level"] == level]
        shown = fold_step_errors(rows, labels, width).reset_index().rename(columns={"index": "fold"})
        shown.columns = ["fold", *(_steps_label(c, min(c + width - 1, last)) for c in shown.columns[1:])]
        what = "" if level is None else f", level {level}" + (" (the series)" if level == levels[-1] else "")
        table_id = "backtest-errors" if level is None else f"backtest-errors-{level}".replace(" ", "-")
        tables.append(_note(f"WAPE as a fraction (sum of absolute errors / sum of absolute actuals) by fold "
                            f"and horizon step{what}{pooled}:") + table(shown, table_id))
    errors = fold_step_errors(rows, {f: f"fold {f}" for f in labels})  # the chart: every step of the last level
    lines = [
        Line(errors.columns.to_numpy(), row.to_numpy(), _palette(i), str(label))
        for i, (label, row) in enumerate(errors.iloc[:-1].iterrows())
    ]
    title = "WAPE by step" if levels[-1] is None else f"WAPE by step, level {levels[-1]}"
    chart = line_chart(lines, x_labels=("step 1", f"step {errors.columns[-1]}"), title=title)
    verdicts = [verdict(result.summary, m, frame["fold"].nunique()) for m in dict.fromkeys([fc.metric, "wape"])]
    warnings = [w for w in (reference_wins(result), backtest_coverage(result)) if w]
    body = (
        _note(result.note)
        + "".join(_note(v) for v in verdicts if v)
        + "".join(_note(w, "warn") for w in warnings)
        + _validation_note(fc, result)
        + _summary_table(result)
        + _mape_note(result.summary)
        + ("" if result.by_level is None else _note("By hierarchy level:")
           + table(labelled(result.by_level, quantile_levels(frame.columns)), "backtest-levels"))
        + "".join(tables)
        + f'<div class="plot">{chart}</div>'
    )
    return _section("Backtest", body)


def verdict(summary: pd.DataFrame, metric: str, folds: int) -> str:
    """One sentence: the model's ``metric`` in a backtest's ``summary`` against seasonal
    naive's, by how much better or worse (lower is better), and whether it beat it ('' when
    either is not finite)."""
    mine, base = (row[metric] for row in _rows(summary))
    name = metric.upper()
    if not np.isfinite([mine, base]).all():
        return ""
    if mine == base:
        how, outcome = "the same as", "does not beat"
    else:
        side, outcome = ("better", "beats") if mine < base else ("worse", "does not beat")
        how = f"{abs(mine - base) / base * 100:.1f} % {side} than" if base else f"{side} than"
    where = f"On these {folds} folds" if folds > 1 else "On this fold"
    return (f"{where} the model's {metric_label(name)} {_cell(mine)} is {how} {REFERENCE}'s {_cell(base)} "
            f"(lower is better): the model {outcome} the benchmark on {name}.")


def reference_wins(result: BacktestResult, most: int = 5) -> str:
    """Where seasonal naive beat the model though the model may beat it overall (user test 54:
    3 of 16 Walmart series, one by 1.6×, and a fold, unsaid): the series (the finest level's)
    and folds whose absolute errors summed over their cells exceed the reference's, worst first;
    '' where there are none or no reference."""
    frame = _series_rows(result)
    if REFERENCE not in frame or str(result.summary["model"].iloc[0]) == REFERENCE:
        return ""
    keys = list(result.per_series.columns[: result.per_series.columns.get_loc("cutoff")])
    if result.by_level is not None:  # a hierarchy's node names its series (user test 56: the
        keys = ["node"]              # ids joined after it read "Store=4/Dept=3/4/3")
    cells = frame[frame[["actual", "forecast", REFERENCE]].notna().all(axis=1)]
    cells = cells.assign(model=(cells["actual"] - cells["forecast"]).abs(),
                         reference=(cells["actual"] - cells[REFERENCE]).abs())
    parts = []
    if keys and cells[keys].drop_duplicates().shape[0] > 1:
        errors = cells.groupby(keys, sort=False)[["model", "reference"]].sum()
        lost = _ratios(errors)
        if len(lost):
            names = ["/".join(map(str, k if isinstance(k, tuple) else (k,))) for k in lost.index]
            parts.append(f"on {len(lost)} of {len(errors)} series: {_listed(names, lost, most)}")
    if cells["fold"].nunique() > 1:
        labels = fold_labels(result.per_series)
        lost = _ratios(cells.groupby("fold")[["model", "reference"]].sum())
        if len(lost):
            names = [labels[int(f)] for f in lost.index]
            parts.append(f"in {len(lost)} of {cells['fold'].nunique()} folds: {_listed(names, lost, most)}")
    if not parts:
        return ""
    return (f"{REFERENCE} was better than the model by more than {REFERENCE_MARGIN:.0%} {'; and '.join(parts)} "
            f"(the model's absolute errors over {REFERENCE}'s, summed over the cells): check those before trusting "
            "the model there (BacktestResult.per_series scores each series and fold).")


def _ratios(errors: pd.DataFrame) -> pd.Series:
    """The model's summed absolute errors over the reference's where they are larger by more
    than ``REFERENCE_MARGIN`` (review 52: a loss of 0.1 % was named), largest first (inf:
    the reference exact)."""
    ratio = errors["model"] / errors["reference"].where(errors["reference"] > 0)
    worse = errors["model"] > (1 + REFERENCE_MARGIN) * errors["reference"]
    return ratio.fillna(np.inf)[worse].sort_values(ascending=False)


def _listed(names: list[str], ratios: pd.Series, most: int) -> str:
    """The first ``most`` ``names`` with their ratios, and how many more."""
    shown = ", ".join(f"{n} ({r:.2f}×)" if np.isfinite(r) else f"{n} ({REFERENCE} exact)"
                      for n, r in zip(names[:most], ratios.iloc[:most]))
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _series_rows(result: BacktestResult) -> pd.DataFrame:
    """A backtest's forecasts of the series (a hierarchy's finest level), which its summary scores."""
    if result.by_level is None:
        return result.forecasts
    return result.forecasts[result.forecasts["level"] == result.by_level["level"].iloc[-1]]


def backtest_coverage(result: BacktestResult) -> str:
    """A warning where the backtest's band held its actuals more than ``UNDERCOVER`` (and twice
    a calibrated band's standard error on that many actuals) below or above its nominal level
    (user test 54: vic_elec's 80 % band held 55 %, while the report said only the fit's own
    79 %); '' otherwise or without a band."""
    summary = result.summary
    pair = interval_pair(quantile_levels(result.forecasts.columns))
    if pair is None or "coverage" not in summary or not np.isfinite(summary["coverage"].iloc[0]):
        return ""
    held, nominal = float(summary["coverage"].iloc[0]), pair[1] - pair[0]
    lo, hi = pair
    frame = _series_rows(result)
    cells = int(frame[[f"q{lo:g}", f"q{hi:g}", "actual"]].notna().all(axis=1).sum())
    noise = 2 * np.sqrt(nominal * (1 - nominal) / max(cells, 1))  # a calibrated band's share misses by this
    if abs(held - nominal) <= max(UNDERCOVER, noise):
        return ""
    band = f"the {band_percent(lo, hi)} band [q{lo:g}, q{hi:g}]"
    folds = frame["fold"].nunique()
    if held < nominal:
        return (f"In this backtest {band} held {held * 100:.0f} % of {cells} actuals over {folds} fold(s): "
                "too narrow here (the bands are calibrated on the fit's own validation folds, which these "
                "windows did not resemble): read them as a lower bound of the uncertainty.")
    return (f"In this backtest {band} held {held * 100:.0f} % of {cells} actuals over {folds} fold(s): "
            "wider than it needs to be here.")


def _validation_note(fc: Forecaster, result: BacktestResult) -> str:
    """Whether the overview's validation score is optimistic, the model having been chosen on
    those folds: a nested backtest, which reran that choice, says so where its score is worse and
    says it was not where it is as good or better ('' when the model has none)."""
    score = getattr(fc, "cv_score_", None)
    if score is None:
        return ""
    validation = f"validation {metric_label(fc.metric)} {_cell(score)}"
    chosen = "the model was chosen and weighted on those folds"
    tested = _rows(result.summary)[0][fc.metric]
    if result.mode != "nested" or not np.isfinite(tested):
        return _note(f"The overview's {validation} may be optimistic: {chosen}.")
    side = "the same" if _cell(tested) == _cell(score) else "worse" if tested > score else "better"
    if side == "worse":
        return _note(f"The overview's {validation} is optimistic: {chosen}; this nested backtest's "
                     f"{_cell(tested)}, which reran that choice before each cutoff, is worse.")
    return _note(f"The overview's {validation} was not optimistic here: this nested backtest, which reran the "
                 f"model's choice before each cutoff, scores {_cell(tested)}, {side} (on its own windows).")


def _rows(summary: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The model's row and seasonal naive's of a backtest's summary (in this order, whatever
    their names: the model may be seasonal naive too)."""
    return summary.iloc[0], summary.iloc[1]


def _summary_table(result: BacktestResult) -> str:
    """The summary table, its metrics named with their units; where the folds of a nested
    backtest chose different models, each fold's is listed above it, one a line."""
    summary = labelled(result.summary, quantile_levels(result.forecasts.columns))
    models = result.models
    if models is None or models["model"].nunique() < 2:
        return table(summary, "backtest-summary")
    lead = "The model chosen at each fold (the selection was rerun before each cutoff):"
    parts = tuple(f"{label}: {model}" for label, model in zip(models["label"], models["model"]))
    shown = summary.assign(model=["chosen per fold (listed above)", *summary["model"].iloc[1:]])
    return _note(lead) + _list(parts) + table(shown, "backtest-summary")


def _mape_note(summary: pd.DataFrame) -> str:
    """A warning where a backtest's MAPE is huge against its WAPE: actuals near zero, whose
    percentage errors explode ('' otherwise)."""
    huge = summary[(summary["mape"] >= MAPE_HUGE) & (summary["mape"] >= 10 * 100 * summary["wape"])]
    if huge.empty:
        return ""
    row = huge.iloc[0]
    return _note(
        f"MAPE is unreliable here: {_cell(row['mape'])} % against a WAPE of {row['wape'] * 100:.1f} % comes "
        "from actuals near zero, each error being divided by its actual; judge the forecasts by WAPE or MASE."
    )


def fold_labels(per_series: pd.DataFrame) -> dict[int, str]:
    """Every fold's name, as the backtest's log gave it (:func:`~tsauto.forecasting.backtest.
    fold_label`), from a backtest's per-series table (one row per series and fold, the series'
    keys before ``cutoff``)."""
    keys = list(per_series.columns[: per_series.columns.get_loc("cutoff")])
    total = len(per_series.drop_duplicates(keys)) if keys else 1
    return {int(f): fold_label(int(f), rows["cutoff"], total) for f, rows in per_series.groupby("fold")}


def fold_step_errors(frame: pd.DataFrame, labels: dict[int, str], width: int = 1) -> pd.DataFrame:
    """WAPE of a backtest's forecasts by fold (rows, named by ``labels``: :func:`fold_labels`)
    and horizon step (columns), and over all folds (last row); with ``width`` > 1, by run of
    ``width`` steps (columns: each run's first step), its cells pooled."""
    err = (frame["actual"] - frame["forecast"]).abs()
    first = (frame["step"] - 1) // width * width + 1
    parts = frame.assign(err=err, size=frame["actual"].abs(), step=first)
    by_fold = parts.groupby(["fold", "step"])[["err", "size"]].sum()
    wape = (by_fold["err"] / by_fold["size"]).unstack("step")
    wape.index = [labels[f] for f in wape.index]
    total = parts.groupby("step")[["err", "size"]].sum()
    wape.loc["all folds"] = total["err"] / total["size"]
    return wape


def _steps_label(first: int, last: int) -> str:
    """A WAPE table column's header: ``step 3`` or ``steps 13–16``."""
    return f"step {first}" if first == last else f"steps {first}–{last}"


def _palette(i: int) -> str:
    return ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2")[i % 6]


def _forecasts_section(
    fc: Forecaster, held_out: pd.DataFrame | None, per_series: pd.DataFrame | None, sample: int,
    covariates: pd.DataFrame | str | Path | None = None,
) -> str:
    """The forecast of the best, the worst (by their mean MASE over the folds of the backtest,
    its ``per_series`` table's, else of the validation) and a sample of series, against their
    history and ``held_out`` forecasts (the backtest's, else the validation's)."""
    if getattr(fc, "history_", None) is None:
        return _section(
            "Forecasts",
            _note("A partitioned model: report a partition for its plots (forecaster.partitions_[key].report)."),
        )
    panel = fc.history_
    known = list(panel.schema.known_future)
    missing = ""
    if known and covariates is None:
        future = pd.DataFrame(columns=[*panel.schema.ids, panel.schema.time, "forecast"])
        missing = (f" No forecast: the model reads the known-future covariates {known}; give their "
                   "values over the horizon (report(future=...), `tsauto report --future FILE`).")
    elif getattr(fc, "hierarchy_", None) is not None:
        future = fc.predict(covariates, level="all")  # every node of a hierarchy
    else:
        future = fc.predict(covariates)
    from_backtest = per_series is not None
    if per_series is None and held_out is not None:  # the validation's, as a backtest's table scores them
        per_series = backtest_tables(table_cells(panel, held_out, fc.task_.season), panel, "")[1]
    scores = series_scores(panel, per_series) if per_series is not None else None
    chosen = pick_series(scores, panel.n_series, sample)
    source = "the backtest" if from_backtest else "the validation folds"
    later = " and, where they run past the history, the actual values there (light grey)" if from_backtest else ""
    lead = _intervals_note(fc) + _note(
        f"History (grey), held-out forecasts of {source} (red, dashed){later}, and the forecast (blue), with "
        "the widest interval shaded. "
        + (f"Best and worst by MASE on {source}: each fold's mean absolute error over the series' in-sample "
           "seasonal-naive MAE up to its cutoff, averaged over the folds"
           + (" (the mean of the backtest's per_series mase)." if from_backtest else ", as a backtest scores it.")
           if scores is not None else "No held-out forecasts: a random sample of series.")
        + missing
    )
    labels = series_labels(panel)
    future_series = _positions(future, panel)
    held_out_series = None if held_out is None else _positions(held_out, panel)
    plots = []
    for role, i in chosen:
        score = "" if scores is None or not np.isfinite(scores[i]) else f" (MASE {scores[i]:.3g})"
        caption = f"{role}: {labels[i] or fc.target}{score}"
        past = None if held_out is None else held_out[held_out_series == i]
        chart = series_chart(panel, i, future[future_series == i], past, fc.horizon)
        plots.append(f'<div class="plot"><p>{escape(caption)}</p>{chart}</div>')
    return _section("Forecasts", lead + "".join(plots))


def _intervals_note(fc: Forecaster) -> str:
    """What the model's quantiles rest on, and a warning where their held-out coverage fell
    short of nominal ('' without quantiles)."""
    intervals = getattr(fc, "intervals_", None)
    if isinstance(intervals, dict):  # partitions: each its own
        from tsauto.forecasting.partitions import columns_of, partition_label

        cols = columns_of(fc.partition_by)
        return "".join(_note(f"Intervals of {partition_label(cols, key)} — {each.describe()}.")
                       for key, each in intervals.items() if each is not None)
    if intervals is None:
        return ""
    note = _note(f"Intervals — {intervals.describe()}.")
    if not intervals.undercovers():
        return note
    return note + _note(
        f"The bands may be too narrow: their held-out coverage fell more than {UNDERCOVER * 100:.0f} points "
        "short of nominal (more history gives more folds to calibrate on).", "warn")


def _importance_section(fc: Forecaster) -> str:
    if fc.partition_by:
        return _section("Feature importance", _note(_partitions_importance(fc)))
    members = getattr(fc.model_, "members", [])
    families = explain(members, fc.history_, {}).importance if members else None
    schema = fc.history_.schema
    covariates = [c for c in (*schema.known_future, *schema.past, *schema.static) if c != fc.task_.holiday_column]
    charts = [_member_importance(weight, member.learner, families[families["member"] == i], covariates)
              for i, (weight, member) in enumerate(members) if reports_importance(member.learner)]
    body = "".join(charts) or _note("No member of the model reports feature importance (LightGBM does).")
    return _section("Feature importance", body)


def _member_importance(weight: float, learner, by_column: pd.DataFrame, covariates: Sequence[str] = ()) -> str:
    """A LightGBM member's charts: its top features' and its columns' shares of the total gain,
    and the ``covariates`` it barely used named (:func:`_little_used`); a sentence instead where
    it made no split (user test 48: 15 "top features", all at 0)."""
    if not learner.made_splits():
        return _note(f"{learner.name} (weight {weight:.2f}) made no split: one value of its transformed "
                     "target whatever the features (a constant, a drift or each series' mean), so no feature "
                     "has any gain.", "warn")
    gains = pd.Series(learner.feature_importance()).sort_values(ascending=False)
    share = (gains / gains.sum() if gains.sum() > 0 else gains).head(TOP_FEATURES)
    caption = f"{learner.name} (weight {weight:.2f}): share of the total gain, top {len(share)} features"
    charts = [f'<div class="plot"><p>{escape(caption)}</p>{bar_chart(list(share.index), share.tolist())}</div>']
    if len(by_column):
        chart = bar_chart(by_column["family"].tolist(), by_column["share"].tolist())
        caption = f"{learner.name}: share of the total gain by the column the features come from"
        charts.append(f'<div class="plot"><p>{escape(caption)}</p>{chart}</div>')
        charts.append(_little_used(learner.name, by_column, covariates))
    return "".join(charts)


def _little_used(name: str, by_column: pd.DataFrame, covariates: Sequence[str]) -> str:
    """A sentence naming the ``covariates`` under ``LITTLE_USED`` of a member's gain (its columns'
    shares ``by_column``): given to the model, they barely change its forecasts (user test 57:
    temperature at half-hourly demand, unsaid); '' where there are none."""
    shares = dict(zip(by_column["family"], by_column["share"]))
    low = [(c, shares.get(c, 0.0)) for c in covariates if shares.get(c, 0.0) < LITTLE_USED]
    if not low:
        return ""
    named = shortlist([f"{c} ({share * 100:.1f} %)" for c, share in low], SHOWN_COVARIATES)
    return _note(
        f"{name} barely used {'the covariate' if len(low) == 1 else 'the covariates'} {named} (under "
        f"{LITTLE_USED * 100:g} % of its gain): {'it changes' if len(low) == 1 else 'they change'} its forecasts "
        "little; the target's lags and the calendar carry what it says, or it says little about the target here "
        "(explain(series=...).contributions gives its part in each forecast)."
    )


def reports_importance(learner) -> bool:
    """Whether a fitted member's learner reports feature importance (LightGBM does)."""
    return hasattr(learner, "feature_importance") and hasattr(learner, "boosters_")


def _partitions_importance(fc: Forecaster) -> str:
    """Where a partitioned model's importance is: in the partitions whose model has a member that
    reports one, each partition's own (its report or explain())."""
    keys = [key for key, child in fc.partitions_.items()
            if any(reports_importance(m.learner) for _, m in getattr(child.model_, "members", []))]
    lead = f"A partitioned model: each of its {len(fc.partitions_)} partitions has its own model"
    if not keys:
        return f"{lead}, and no member of any of them reports feature importance (LightGBM does)."
    part = f"forecaster.partitions_[{keys[0]!r}]"
    return (f"{lead}; in {len(keys)} of them a member reports feature importance (LightGBM). Report or "
            f"explain a partition for it: {part}.report(path) or {part}.explain().")


# ---------------------------------------------------------------------- a backtest's table


def is_backtest_table(columns) -> bool:
    """Whether a table with these ``columns`` is a backtest's forecasts (``result.forecasts``,
    the table ``tsauto backtest --out`` writes), not data."""
    return set(BACKTEST_COLUMNS) <= set(map(str, columns))


def backtest_table(result: BacktestResult) -> pd.DataFrame:
    """``result``'s forecasts as ``tsauto backtest --out`` writes them: with its mode in
    ``MODE_COLUMN``, which :func:`backtest_from_table` reads back."""
    return result.forecasts.assign(**{MODE_COLUMN: result.mode})


def table_mode(table: pd.DataFrame, source: str = "the table") -> str | None:
    """The mode a backtest's ``table`` records in ``MODE_COLUMN``; None where it has no such
    column (written before tables recorded it). Refused where the column holds anything but
    one mode."""
    if MODE_COLUMN not in table.columns:
        return None
    modes = sorted(set(table[MODE_COLUMN].dropna().astype(str)))
    if len(modes) != 1 or modes[0] not in NOTES:
        raise DataValidationError(
            f"{source}: its column {MODE_COLUMN!r} holds {modes}, not one of {sorted(NOTES)}: it records "
            "the mode of one backtest; write the table again with `tsauto backtest --out`."
        )
    return modes[0]


def backtest_from_table(
    fc: Forecaster, table: pd.DataFrame, data: pd.DataFrame | str | Path, mode: str | None = None,
    source: str = "the table",
) -> BacktestResult:
    """The :class:`~tsauto.forecasting.forecaster.BacktestResult` of a backtest of ``fc`` on
    ``data`` from its forecasts ``table`` (:func:`backtest_table`, as ``tsauto backtest --out``
    writes it, or ``result.forecasts``), without rerunning it: ``data`` read as the backtest read
    it, its cells scaled by it (:func:`table_cells`) and its tables made by the backtest's own
    function, so the result is the one the backtest returned. Its ``mode`` is the one the table
    records (:func:`table_mode`; a ``mode`` given that contradicts it is refused), else ``mode``,
    else ``"nested"``; a nested one's table does not name the models chosen at its folds.
    ``source`` names the table in errors. A partitioned model's is read partition by partition
    (:func:`~tsauto.forecasting.partitions.backtest_partitions_from_table`). Refused, saying why, for a
    hierarchical model, or a table that is not a backtest of ``data``'s series."""
    if mode is not None and mode not in NOTES:
        raise DataValidationError(f"mode={mode!r}: use 'nested' or 'refit', as the backtest was run.")
    recorded = table_mode(table, source)
    if mode is not None and recorded is not None and mode != recorded:
        raise DataValidationError(
            f"mode={mode!r}: {source} records a {recorded} backtest (its column {MODE_COLUMN!r}); leave mode out."
        )
    if recorded is None and mode is None:
        log.info("%s does not record its backtest's mode (backtest_table() adds it): read as nested; give "
                 "mode='refit' for a refit backtest", source)
    mode = recorded or mode or "nested"
    if getattr(fc, "hierarchy_", None) is not None:
        raise DataValidationError(
            f"{source} is a backtest's table (its columns {', '.join(BACKTEST_COLUMNS)}): the report reads "
            "one of a model without a hierarchy only; this one has a hierarchy: rerun the backtest on the data "
            "table instead."
        )
    if fc.partition_by:
        from tsauto.forecasting.partitions import backtest_partitions_from_table

        return backtest_partitions_from_table(fc, table, data, mode, source)
    panel = fc._validate(read_table(data, fc._codes()))  # as Forecaster.backtest reads its data
    task = fc._task(panel)
    season = task.season
    needed = [*panel.schema.ids, panel.schema.time, *BACKTEST_COLUMNS, REFERENCE]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataValidationError(
            f"{source} has no column {', '.join(map(repr, missing))}: a backtest's table of this model holds "
            f"{needed} (and its quantiles); its columns are {list(map(str, table.columns))[:20]}."
        )
    res = table_cells(panel, table, season, source)
    name = fc.model_.describe() if mode == "refit" else NESTED_MODELS
    frame, per_series, summary, _ = backtest_tables(res, panel, name)
    extra = reference_note(season, task.seasons)
    return BacktestResult(frame, per_series, summary, mode, f"{NOTES[mode]}. {extra}" if extra else NOTES[mode])


def table_cells(panel: Panel, table: pd.DataFrame, season: int, source: str = "the table") -> FoldResults:
    """The cells of a forecasts ``table`` of a backtest (or of the validation) of ``panel``,
    each with the scales of its (series, fold) window as the backtest computes them: MASE's and
    RMSSE's of the series up to its cutoff (:func:`~tsauto.forecasting.metrics.mase_scale`,
    imputed rows left out). Refused where a cell is not a row of ``panel`` at its step after its
    cutoff, or its actual not that row's: a backtest of other data."""
    schema = panel.schema
    series = _positions(table, panel)
    if (series < 0).any():
        unknown = table.loc[series < 0, list(schema.ids)].drop_duplicates().head(3).to_dict("records")
        raise DataValidationError(f"{source} holds series the data lacks, e.g. {unknown}: {OTHER_DATA}")
    levels = quantile_levels(table.columns)
    # a time column named as a column the table adds (time="step" at fit) was overwritten by it
    kept = schema.time not in (*BACKTEST_COLUMNS, REFERENCE, "fallback", *(f"q{q:g}" for q in levels))
    times = parse_like(table[schema.time].reset_index(drop=True), schema, source).to_numpy() if kept else None
    cutoffs = parse_like(table["cutoff"].rename(schema.time).reset_index(drop=True), schema, source).to_numpy()
    fold = table["fold"].to_numpy(dtype=np.int64)
    step = table["step"].to_numpy(dtype=np.int64)
    actual = table["actual"].to_numpy(dtype=float)
    cut = np.full(len(table), -1, dtype=np.int64)  # the row of every cell's cutoff in its series
    for s in np.unique(series):
        cells = np.flatnonzero(series == s)
        own = panel.times[panel.indptr[s]:panel.indptr[s + 1]]
        at = np.minimum(np.searchsorted(own, cutoffs[cells]), own.size - 1)
        cut[cells] = np.where(own[at] == cutoffs[cells], at, -1)
    row = np.minimum(cut + step, panel.lengths[series] - 1)
    flat = panel.indptr[series] + row
    observed = observed_rows(panel)
    wrong = (cut < 0) | (step < 1) | (cut + step >= panel.lengths[series])
    wrong |= (panel.times[flat] != times) if kept else False
    wrong |= (observed is None or observed[flat]) & ~np.isclose(actual, panel.y[flat], rtol=1e-9, atol=0)
    missing = np.zeros(len(table), dtype=bool) if observed is None else ~observed[flat] & (cut >= 0)
    wrong |= missing  # a backtest scores observed rows only: the data lacks a row it scored
    if not wrong.any():
        _unscored_rows(panel, table, series, fold, cut, step, observed, source)
    if wrong.any():
        j = int(np.flatnonzero(wrong)[0])
        where = {**table[list(schema.ids)].iloc[j].to_dict(), schema.time: _cell(table[schema.time].iloc[j])}
        end = _cell(output_times(panel.times[[panel.indptr[series[j] + 1] - 1]], schema)[0])
        why = (f"its cutoff {table['cutoff'].iloc[j]} is not a time of the data's series" if cut[j] < 0
               else f"it lies past the end of the data's series, {end}" if cut[j] + step[j] >= panel.lengths[series[j]]
               else "the data has no row there (the backtest scored one)" if missing[j]
               else f"its actual {actual[j]:g} is {panel.y[flat[j]]:g} in the data")
        raise DataValidationError(
            f"{source}: {int(wrong.sum())} of its {len(table)} cells are not the data's (e.g. {where}, step "
            f"{step[j]}: {why}): {OTHER_DATA}"
        )
    scale, scale_sq = np.full(len(table), np.nan), np.full(len(table), np.nan)
    for f in np.unique(fold):  # as the backtest scales a fold's cells
        cells = np.flatnonzero(fold == f)
        lengths = np.zeros(panel.n_series, dtype=np.int64)
        lengths[series[cells]] = cut[cells] + 1
        where = np.searchsorted(np.flatnonzero(lengths > 0), series[cells])
        mae, mse = fold_scales(panel, panel.head(lengths), lengths, season, observed)
        scale[cells], scale_sq[cells] = mae[where], mse[where]
    fallback = table["fallback"] if "fallback" in table else pd.Series("", index=table.index)
    return FoldResults(
        series=series, fold=fold, step=step, cutoff=cutoffs, time=panel.times[flat], actual=actual,
        forecast=table["forecast"].to_numpy(dtype=float), baseline=table[REFERENCE].to_numpy(dtype=float),
        quantiles={q: table[f"q{q:g}"].to_numpy(dtype=float) for q in levels},
        scale=scale, scale_sq=scale_sq, train_length=cut + 1,
        fallback=fallback.astype(object).where(fallback.notna(), "").astype(str).to_numpy(dtype=object),
        fit_time=0.0, predict_time=0.0,
    )


# ---------------------------------------------------------------------- series and plots


def _positions(frame: pd.DataFrame, panel: Panel) -> np.ndarray:
    """Series position in ``panel`` of every row of ``frame`` (-1: none)."""
    ids = list(panel.schema.ids)
    if not ids:
        return np.zeros(len(frame), dtype=np.int64)
    keys = panel.keys.assign(_position=np.arange(panel.n_series))
    merged = frame[ids].merge(keys, on=ids, how="left")
    return merged["_position"].fillna(-1).to_numpy(dtype=np.int64)


def series_scores(panel: Panel, per_series: pd.DataFrame) -> np.ndarray:
    """Every series' mean MASE over the folds of a backtest's ``per_series`` table (nan: none),
    as the backtest scored it: each fold's MAE over the series' in-sample scale up to its cutoff."""
    position = _positions(per_series, panel)
    mase = per_series["mase"].to_numpy(dtype=float)
    ok = (position >= 0) & np.isfinite(mase)
    total = np.bincount(position[ok], weights=mase[ok], minlength=panel.n_series)
    count = np.bincount(position[ok], minlength=panel.n_series)
    return np.divide(total, count, out=np.full(panel.n_series, np.nan), where=count > 0)


def pick_series(scores: np.ndarray | None, n_series: int, sample: int, seed: int = 0) -> list[tuple[str, int]]:
    """The series to draw as (role, position): the best and the worst by ``scores`` where
    there are scores, then ``sample`` others at random."""
    chosen: list[tuple[str, int]] = []
    if scores is not None and np.isfinite(scores).any():
        chosen.append(("best", int(np.nanargmin(scores))))
        worst = int(np.nanargmax(scores))
        if worst != chosen[0][1]:
            chosen.append(("worst", worst))
    rest = np.setdiff1d(np.arange(n_series), [i for _, i in chosen])
    drawn = np.random.default_rng(seed).choice(rest, size=min(sample, rest.size), replace=False)
    return chosen + [("sample", int(i)) for i in np.sort(drawn)]


def _numeric(times) -> np.ndarray:
    """Times as numbers on one axis: microseconds (UTC) for dates (periods: their starts), else
    the steps. Not nanoseconds, which end before 1678: M1's dummy calendars start in year 1."""
    index = pd.Index(times)
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        return index.as_unit("us").asi8.astype(float)
    return index.to_numpy(dtype=float)


def quantile_levels(columns) -> list[float]:
    """The quantile levels of a forecast table's columns (``q0.1``: 0.1), sorted."""
    return sorted(float(c[1:]) for c in columns if c.startswith("q") and _is_level(c[1:]))


def _band_columns(frame: pd.DataFrame) -> tuple[str, str] | None:
    """The lowest and highest quantile columns around the median, or None."""
    levels = quantile_levels(frame.columns)
    lo = [q for q in levels if q < 0.5]
    hi = [q for q in levels if q > 0.5]
    return (f"q{lo[0]:g}", f"q{hi[-1]:g}") if lo and hi else None


def _is_level(text: str) -> bool:
    try:
        return 0 < float(text) < 1
    except ValueError:
        return False


def _forecast_parts(frame: pd.DataFrame, time: str, color: str, label: str, dashed: bool) -> tuple[Line, Band | None]:
    x = _numeric(frame[time])
    line = Line(x, frame["forecast"].to_numpy(dtype=float), color, label, dashed)
    cols = _band_columns(frame)
    if cols is None:
        return line, None
    band = Band(x, frame[cols[0]].to_numpy(dtype=float), frame[cols[1]].to_numpy(dtype=float), color,
                f"{cols[0]}–{cols[1]}")
    return line, band


def series_chart(
    panel: Panel, series: int, future: pd.DataFrame, held_out: pd.DataFrame | None, horizon: int
) -> str:
    """The SVG chart of one series: its recent history, its held-out forecasts (one segment
    per fold) and, where they run past the history (a backtest of later data), the actual
    values there, and its forecast, each with its interval; the x axis labelled with the first
    and the last time drawn."""
    start, end = panel.indptr[series], panel.indptr[series + 1]
    schema = panel.schema
    time = schema.time
    times = _numeric(pd.DatetimeIndex(panel.times[start:end]) if schema.time_format
                     else output_times(panel.times[start:end], schema))
    ends = [(times[-1], output_times(panel.times[[end - 1]], schema)[0])]  # (plotted, as the user writes it)
    for frame in (f for f in (future, held_out) if f is not None and len(f)):
        x = _numeric(_plotted(frame, schema)[time])
        ends.append((x.max(), frame[time].iloc[int(np.argmax(x))]))
    last = max(ends, key=lambda e: e[0])[1]  # the last time drawn
    future, held_out = (f if f is None else _plotted(f, schema) for f in (future, held_out))
    first = max(0, times.size - max(4 * horizon, 24))
    if held_out is not None and len(held_out):
        first = min(first, int(np.searchsorted(times, _numeric(held_out[time]).min())))
    lines = [Line(times[first:], panel.y[start:end][first:], COLORS["history"], "history")]
    bands: list[Band] = []
    if held_out is not None:
        for k, (_, fold) in enumerate(held_out.groupby("fold")):
            line, band = _forecast_parts(fold, time, COLORS["held_out"], "held out" if k == 0 else "", True)
            band = band if band is None else replace(band, label="")
            lines.append(line)
            bands += [band] if band is not None else []
        past = held_out[_numeric(held_out[time]) > times[-1]]  # the backtest's actuals after the history
        for k, (_, fold) in enumerate(past.groupby("fold")):
            lines.insert(k + 1, Line(_numeric(fold[time]), fold["actual"].to_numpy(dtype=float), COLORS["later"],
                                     "actual after the history" if k == 0 else ""))
    if len(future):
        line, band = _forecast_parts(future, time, COLORS["forecast"], "forecast", False)
        lines.append(line)
        bands += [band] if band is not None else []
    first_text = output_times(panel.times[[start + first]], schema)[0]
    return line_chart(lines, bands, (_cell(first_text), _cell(last)), width=SERIES_WIDTH)


def _plotted(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """``frame`` with its times as plotted: integers such as 201001 on the calendar they stand for."""
    if not schema.time_format:
        return frame
    return frame.assign(**{schema.time: read_integer_dates(frame[schema.time], schema.time_format, schema.time)})
