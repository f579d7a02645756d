"""Many models through grouping: ``Forecaster(partition_by=[...])``.

The table is split by the partition columns; each partition gets its own forecaster (its own
portfolio or search: for example one model family per store; its columns read as the whole
table reads them: a column of numbers with a few text cells is numbers in every partition, see
:mod:`.validation`), fitted in parallel: in local processes, or as tasks on the workers of the
Dask client with ``compute={"backend": "dask"}``.
Locally a partition's trials and refits are isolated as the top-level search's are: each in a
worker process of its own (started by the partition's process), under its deadline and memory
cap, its native threads the partition's share of the cores; a trial that hangs or whose process
dies is a failed row of that partition's leaderboard, and the partition goes on without it; a
partition whose every trial failed forecasts with seasonal naive, its leaderboard row saying
why, and the fit goes on. Bad data in a partition is an error naming the partition.
These functions take a template forecaster and return results; the facade keeps them.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from tsauto.core.exceptions import DataValidationError, SearchFailedError, shortlist
from tsauto.core.executor import (
    Executor,
    quiet_large_graph,
    sharing_machine,
    start_fork_server,
    wait_on_cluster,
)
from tsauto.core.logfilter import tsauto_filter
from tsauto.core.table_io import read_table
from tsauto.forecasting.alerts import SeriesAlert, say
from tsauto.forecasting.forecaster import ABSENT_WARNING, COLLAPSED_WARNING, FAR_WARNING, SHORT_BAND_WARNING
from tsauto.forecasting.metrics import overall_score
from tsauto.forecasting.panel import time_text
from tsauto.forecasting.validation import require_values, row_labels

log = logging.getLogger(__name__)

Partitions = dict[tuple, Any]  # partition key → fitted child Forecaster
MIN_BUDGET = 1.0  # seconds a partition gets at least (or its share, if less), however late


def columns_of(partition_by: Sequence[str] | str) -> list[str]:
    return [partition_by] if isinstance(partition_by, str) else list(partition_by)


def child_params(template: Any) -> dict:
    """The parameters of a partition's forecaster: ``template``'s, without partitions, and
    ``reconcile=`` at its default: a partition has no hierarchy (refused with partitions), and
    each repeated the template's warning that ``reconcile=`` is not used."""
    return {**template.get_params(), "partition_by": None, "reconcile": "auto"}


def own_run_dir(child: Any, key: tuple) -> Any:
    """``child`` (a copy) searching in a run folder of its own inside its ``run_dir``, named by
    the partition ``key`` (``partition-Victoria``): partitions sharing one journal refused each
    other's data, and in parallel wrote each other's records (review 56 B3)."""
    from dataclasses import replace

    from tsauto.core.journal import part_run_dir
    from tsauto.forecasting.options import SearchOptions, as_options

    search = as_options(child.search, SearchOptions, "search")
    if search.run_dir is None:
        return child
    child = copy.copy(child)
    child.search = replace(search, run_dir=part_run_dir(search.run_dir, "partition", tuple(key)))
    return child


def split(df: pd.DataFrame, cols: list[str], what: str) -> dict[tuple, pd.DataFrame]:
    """The table's rows by partition key."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError(f"{what} has no partition column {missing}: partition_by={cols}.")
    require_values(df, cols, "partition column", "its partition", f" of {what}")
    df = row_labels(df)
    return {  # rows keep their labels (the table's rows, as errors name them)
        (k if isinstance(k, tuple) else (k,)): part for k, part in df.groupby(cols, sort=True, observed=True)
    }


def fit_partitions(template: Any, data) -> tuple[Partitions, pd.DataFrame]:
    """One child forecaster per partition (configured as ``template``, without partitions),
    fitted in parallel; returns the children by key and one leaderboard for all."""
    from tsauto.forecasting.options import ComputeOptions, as_options

    end = None if template.time_budget is None else time.time() + float(template.time_budget)
    cols = columns_of(template.partition_by)
    df = read_table(data, template._codes())
    parts = split(df, cols, "the table")
    compute = as_options(template.compute, ComputeOptions, "compute")
    executor = Executor(compute.n_jobs, compute.backend, compute.client)  # checks, prepares Dask
    workers = min(executor.n_workers, len(parts))
    params = child_params(template)
    # one trial at a time per partition: isolated in a worker process locally (as the top-level
    # search's), in the partition's own task on Dask (whose worker processes start no others)
    backend = "loky" if compute.backend == "loky" else "sequential"
    params["compute"] = ComputeOptions(n_jobs=1, backend=backend, memory_limit=compute.memory_limit)
    if template.time_budget is not None:  # partitions share the budget, `workers` at a time
        params["time_budget"] = template.time_budget * workers / len(parts) * 0.9  # see _fit_child
    shares = [min(1.0, workers / (len(parts) - i)) for i in range(len(parts))]
    each = "" if template.time_budget is None else (
        f": time_budget={template.time_budget:g}s shared, about {params['time_budget']:.1f}s each")
    log.info("fitting %d partitions, %d at a time%s", len(parts), workers, each)
    child = type(template)(**params)._part_of(template._numbers(df))  # the text rule of the whole table
    if compute.backend == "dask":  # one task per partition: children sent, fitted, sent back
        client = executor.client  # the current one where compute= names none
        with quiet_large_graph():
            futures = [
                client.submit(_fit_child, own_run_dir(child, key), part, end, share, 1, partition_label(cols, key),
                              pure=False)
                for (key, part), share in zip(parts.items(), shares)
            ]
        wait_on_cluster(client, futures, what="partitions")
        children = client.gather(futures)
    else:
        jobs = [
            delayed(_fit_child)(own_run_dir(copy.deepcopy(child), key), part, end, share, workers,
                                partition_label(cols, key))
            for (key, part), share in zip(parts.items(), shares)
        ]
        children = Parallel(n_jobs=workers, backend="loky" if workers > 1 else "sequential")(jobs)
    fitted = dict(zip(parts, children))
    boards = [with_key(fc.leaderboard(), cols, key) for key, fc in fitted.items()]
    return fitted, newest_folds_aligned(boards)


def newest_folds_aligned(boards: list[pd.DataFrame]) -> pd.DataFrame:
    """The partitions' leaderboards as one, each one's fold columns renumbered so that their
    last is the newest window: a partition whose budget afforded fewer folds has fewer, ending
    at the same cutoff (its ``mase_fold0`` was another partition's ``mase_fold1`` window)."""
    fold = re.compile(r"^(.+)_fold(\d+)$")
    counts = [sum(bool(fold.match(c)) for c in board.columns) for board in boards]
    most = max(counts, default=0)

    def renamed(column: str, shift: int) -> str:
        match = fold.match(column)
        return f"{match[1]}_fold{int(match[2]) + shift}" if match else column

    aligned = [b.rename(columns=lambda c, s=most - n: renamed(c, s)) for b, n in zip(boards, counts)]
    out = pd.concat(aligned, ignore_index=True)
    order = list(aligned[counts.index(most)].columns) if aligned else []
    return out[order + [c for c in out.columns if c not in order]]


@dataclass(frozen=True)
class PartitionPlans:
    """The ``plan_`` of a partitioned forecaster: every partition's :class:`~tsauto.forecasting.
    planner.Plan` by partition key (``plans``), and their ``notes`` in partition order, each
    prefixed with its partition (``"State='Victoria': portfolio: ..."``)."""

    plans: dict[tuple, Any]
    notes: tuple[str, ...]


def partition_plans(partitions: Partitions, partition_by) -> PartitionPlans:
    """The plans of the fitted ``partitions``."""
    cols = columns_of(partition_by)
    plans = {key: child.plan_ for key, child in partitions.items()}
    notes = tuple(f"{partition_label(cols, key)}: {note}" for key, plan in plans.items() for note in plan.notes)
    return PartitionPlans(plans, notes)


def partition_label(cols: list[str], key: tuple) -> str:
    """\"State='Victoria'\": a partition's ``key`` by its ``cols``, in a message."""
    return ", ".join(f"{c}={v!r}" for c, v in zip(cols, key))


def _fit_child(
    child: Any,
    part: pd.DataFrame,
    end: float | None = None,
    share: float = 1.0,
    beside: int = 1,
    label: str = "",
) -> Any:
    """``child`` fitted on ``part`` (the partition ``label``) in a process running beside
    ``beside - 1`` others. A partition whose every trial failed forecasts with seasonal naive
    (see :func:`_fallback`) and the other partitions go on; bad data is an error naming it.

    With a budget, ``child`` gets its ``share`` (workers / partitions not yet started, at most
    1) of the time left until ``end`` (``time.time()``): its share of the budget when nothing
    was lost, less when starting processes took time or earlier partitions overran theirs (at
    least ``MIN_BUDGET``, or its share of the budget if less), more when earlier partitions ended
    early. The floor is small so that the last partitions end within the budget: at 5 s,
    Australian retail by State (8 partitions, 2 workers, ``time_budget=20``: 4.5 s each) took
    21.9 s, the last partition starting with 3.4 s left and given 4.5 s; at 1 s, 19.6 s
    (``bench_budget.py``). The process its trials' workers are forked from starts first, off
    its clock: once per process it takes seconds (imports), in which a small budget ran no
    trial."""
    from tsauto.forecasting.search import ForecastEvaluator

    with sharing_machine(beside), tsauto_filter(_named(label)):
        if child.compute.backend == "loky":
            start_fork_server(ForecastEvaluator)
        if end is not None:
            child = copy.copy(child)
            left = 0.9 * (end - time.time()) * share
            child.time_budget = max(min(MIN_BUDGET, child.time_budget), left)
        try:
            return copy.copy(child).fit(part)
        except SearchFailedError as err:
            return _fallback(child, part, label, err)
        except DataValidationError as err:
            raise DataValidationError(f"partition {label}: {err}") from err


def _named(label: str):
    """A log filter prefixing each record with the partition ``label`` (a budget's warning or
    an imputation named no partition: which store was it?)."""
    prefix = f"partition {label}: ".replace("%", "%%")

    def name(record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("partition "):
            record.msg = prefix + str(record.msg)
        return True

    return name


def _fallback(child: Any, part: pd.DataFrame, label: str, err: SearchFailedError) -> Any:
    """``child`` fitted with seasonal naive alone after its search failed; its leaderboard and
    plan say why, and a warning names the partition."""
    from dataclasses import replace

    log.warning("partition %s: %s; it forecasts with seasonal naive", label, err)
    fc = copy.copy(child)
    fc.learners, fc.time_budget, fc.search = ["seasonal_naive"], None, None
    fc.fit(part)
    why = f"fallback of partition {label}: {err}"
    fc.leaderboard_ = fc.leaderboard_.assign(reason=why)
    fc.plan_ = replace(fc.plan_, notes=(*fc.plan_.notes, why))
    return fc


def predict_partitions(partitions: Partitions, partition_by, future=None, history=None) -> pd.DataFrame:
    """Forecasts of every partition, concatenated in partition order, the partition columns
    leading (a department of two stores is two series). The series of the fit ``history``
    lacks are named in one warning, over all partitions (:func:`_warn_absent`); so are those
    forecast far outside their history or collapsed to zero (:func:`~tsauto.forecasting.alerts.say`)."""
    cols = columns_of(partition_by)
    hist = _tables(partitions, cols, history, "the history table")
    keys = list(hist) if history is not None else list(partitions)
    fut = _future_tables(partitions, cols, future, keys)
    out, absent, alerts = [], [], []  # each partition's warnings naming series, held back
    for k in keys:
        held: list[tuple[str, tuple]] = []  # the others' records name the partition (review 50: history='s checks)
        with (tsauto_filter(_held((ABSENT_WARNING, FAR_WARNING, COLLAPSED_WARNING, SHORT_BAND_WARNING), held)),
              tsauto_filter(_named(partition_label(cols, k)))):
            out.append(with_key(partitions[k].predict(future=fut.get(k), history=hist.get(k)), cols, k))
        absent += [args for message, args in held if message == ABSENT_WARNING]
        alerts += [SeriesAlert(message, args[0], (f"{partition_label(cols, k)}: {args[1]}",))  # its series named in it
                   for message, args in held if message != ABSENT_WARNING]
    if history is not None:
        _warn_absent(partitions, cols, [k for k in partitions if k not in hist], absent)
        _warn_behind(cols, dict(zip(keys, out)), partitions[keys[0]].time)
    say(alerts)
    return pd.concat(out, ignore_index=True)


def _warn_behind(cols: list[str], forecasts: dict[tuple, pd.DataFrame], time_col: str) -> None:
    """Name the partitions of a ``history=`` whose forecasts start before the others': their
    rows end earlier (user test 50: Tasmania's extract ended 2 months early and its forecasts
    started in November, for dates already past, without a word; each partition's own checks
    see only its series). Each partition's newest series counts, by its forecasts' last time: a
    department closed long ago in a store (its forecasts from 2010) is no late store (user
    test 53: Walmart's own table as history= named a store)."""
    ends = {k: f[time_col].max() for k, f in forecasts.items() if len(f)}
    if len(ends) < 2:
        return
    latest = max(ends.values())
    behind = [k for k, t in ends.items() if t < latest]
    if behind:
        shown = ", ".join(f"{partition_label(cols, k)} to {time_text(ends[k])}" for k in behind[:5])
        log.warning(
            "%d of %d partitions of history= end before the others, whose forecasts run to %s (%s%s): "
            "forecast from their own end, for times already past; give their newest rows",
            len(behind), len(ends), time_text(latest), shown, " and more" if len(behind) > 5 else "",
        )


def _held(messages: tuple[str, ...], into: list[tuple[str, tuple]]):
    """A log filter holding back the records of ``messages``: each one's message and
    arguments go to ``into``."""

    def hold(record: logging.LogRecord) -> bool:
        if record.msg not in messages:
            return True
        into.append((record.msg, record.args))
        return False

    return hold


def _warn_absent(partitions: Partitions, cols: list[str], missing: list[tuple], absent: list[tuple]) -> None:
    """One warning counting the series of the fit without a forecast over all partitions:
    every series of the ``missing`` partitions (a partition history= lacks got no forecast,
    without a word) and those each partition's own warning counted (``absent``: its
    arguments, ``ABSENT_WARNING``'s)."""
    count = sum(partitions[k].history_.n_series for k in missing) + sum(args[0] for args in absent)
    if not count:
        return
    total = sum(child.history_.n_series for child in partitions.values())
    names = [f"every series of {shortlist([partition_label(cols, k) for k in missing])}"] if missing else []
    names += [args[2] for args in absent]
    more = f"; and in {len(names) - 3} more partitions" if len(names) > 3 else ""
    log.warning(ABSENT_WARNING, count, total, "; ".join(names[:3]) + more)


def future_frame_partitions(partitions: Partitions, partition_by, history=None) -> pd.DataFrame:
    """Every partition's future frame (of ``history`` where given), the partition columns
    leading: the rows ``predict(future=)`` reads."""
    cols = columns_of(partition_by)
    hist = _tables(partitions, cols, history, "the history table")
    keys = list(hist) if history is not None else list(partitions)
    frames = [with_key(partitions[k].make_future_frame(history=hist.get(k)), cols, k) for k in keys]
    return pd.concat(frames, ignore_index=True)


def _tables(partitions: Partitions, cols: list[str], table, what: str) -> dict:
    """``table`` (None: none) by partition key, every key a fitted partition (the values are
    named, so that a column read as text shows itself)."""
    if table is None:
        return {}
    parts = split(_read(partitions, cols, table), cols, what)
    if unknown := [k for k in parts if k not in partitions]:
        _refuse_unseen(partitions, cols, unknown, what)
    return parts


def _refuse_unseen(partitions: Partitions, cols: list[str], unknown: list, what: str) -> None:
    raise DataValidationError(
        f"{what} holds partitions {unknown[:5]} unseen at fit ({cols}; fitted: {list(partitions)[:5]}): "
        "give the partition columns as at fit, or fit a forecaster that includes them."
    )


def _future_tables(partitions: Partitions, cols: list[str], future, keys: list) -> dict:
    """``future=`` by partition key for the partitions ``keys``, read as a forecaster without
    partitions reads a future table: one without the partition columns (values per date, or
    per a part of the ids without them) goes to every partition, and the rows of partitions not
    fitted are warned of and left (Walmart's features.csv, all 45 stores, was refused for a
    model of three; a table of dates alone, for lacking the partition column)."""
    if future is None:
        return {}
    table = _read(partitions, cols, future)
    if not any(c in table.columns for c in cols):
        return dict.fromkeys(keys, table)
    parts = split(table, cols, "the future table")
    if unknown := [k for k in parts if k not in partitions]:
        if len(unknown) == len(parts):  # none fitted: another type ('1' for 1), or the wrong table
            _refuse_unseen(partitions, cols, unknown, "the future table")
        log.warning("the future table holds rows of %d partition(s) not fitted (%s; %s): they are not read",
                    len(unknown), shortlist(map(str, unknown)), cols)
    lacking = [k for k in keys if k not in parts]
    if lacking:
        raise DataValidationError(f"the future table has no rows of partitions {lacking[:5]} ({cols}): add them.")
    return parts


def _read(partitions: Partitions, cols: list[str], table) -> pd.DataFrame:
    """``table`` with a CSV's codes read as at fit."""
    schema = next(iter(partitions.values())).history_.schema
    return read_table(table, [*cols, *schema.ids], schema.text_ids)


def with_key(frame: pd.DataFrame, cols: list[str], key: tuple) -> pd.DataFrame:
    """``frame`` of one partition with its partition columns first (those its ids lack)."""
    frame = frame.copy()
    for col, value in reversed(list(zip(cols, key))):
        if col not in frame.columns:
            frame.insert(0, col, value)
    return frame


def backtest_partitions(template: Any, data, folds: int, step: int | None, mode: str):
    """Backtest every partition: ``mode="refit"`` refits its fitted model at each cutoff (not
    reselected); ``"nested"`` reruns a child forecaster's whole fit (configured as ``template``
    without partitions; a budget split evenly, the partitions backtested one after another).
    Tables concatenated with the partition columns leading; the summary as one backtest of all
    series gives it: each metric's mean over every series and cutoff (the partitions' means
    weighted by their count), ``wape`` over all forecasts at once, ``coverage`` the share of all
    actuals inside the interval (the partitions' shares weighted by their scored cells)."""
    cols = columns_of(template.partition_by)
    df = read_table(data, template._codes())
    parts = split(df, cols, "the table")
    params = child_params(template)
    if template.time_budget is not None:
        params["time_budget"] = template.time_budget / len(parts)
    numbers = template._numbers(df) if mode == "nested" else ()
    results = []
    for key, part in parts.items():
        if mode == "refit":
            child = template.partitions_.get(key)
            if child is None:
                raise DataValidationError(f"partition {key} was not seen at fit.")
        else:
            child = own_run_dir(type(template)(**params)._part_of(numbers), key)
        try:
            results.append(child.backtest(part, folds=folds, step=step, mode=mode))
        except DataValidationError as err:
            raise DataValidationError(f"partition {partition_label(cols, key)}: {err}") from err
    return combined_backtest(results, list(parts), cols)


def backtest_partitions_from_table(template: Any, table: pd.DataFrame, data, mode: str, source: str):
    """The backtest of a partitioned model read back from its forecasts ``table`` (as
    :func:`backtest_partitions` wrote it, the partition columns in it) and the ``data`` it ran
    on: each partition's cells read by its fitted forecaster
    (:func:`~tsauto.forecasting.report.backtest_from_table`), combined as the backtest combined them."""
    from tsauto.forecasting.report import backtest_from_table

    cols = columns_of(template.partition_by)
    parts = split(read_table(data, template._codes()), cols, "the data")
    cells = split(table, cols, source)
    if unknown := [k for k in cells if k not in parts or k not in template.partitions_]:
        where = "the data lacks" if unknown[0] not in parts else "the model was not fitted on"
        raise DataValidationError(
            f"{source} holds partition {partition_label(cols, unknown[0])}, which {where}: it is not a backtest of "
            "this model on this data."
        )
    if lacking := [k for k in parts if k not in cells]:  # read as the whole, the others' scores would pass for all
        raise DataValidationError(  # the data's (review 57 R5)
            f"{source} holds no row of partition {partition_label(cols, lacking[0])}"
            f"{f' (and {len(lacking) - 1} more)' if len(lacking) > 1 else ''}, which the data holds: give the data "
            "the backtest ran on, or the table of a backtest of all of it."
        )
    results = []
    for key, rows in cells.items():
        try:
            results.append(backtest_from_table(template.partitions_[key], rows, parts[key], mode, source))
        except DataValidationError as err:
            raise DataValidationError(f"partition {partition_label(cols, key)}: {err}") from err
    return combined_backtest(results, list(cells), cols)


def combined_backtest(results: list, keys: list[tuple], cols: list[str]):
    """One backtest of the partitions' ``results`` (by partition ``keys``): tables
    concatenated with the partition columns leading, the summary as described in
    :func:`backtest_partitions`."""
    from tsauto.forecasting.forecaster import BacktestResult

    weights = [len(r.per_series) for r in results]  # its series x cutoffs, the summary's rows
    cells = [int(np.isfinite(r.forecasts["actual"].to_numpy(float)).sum()) for r in results]
    summaries = [
        r.summary.assign(model=r.summary["model"].where(r.summary["model"] == "seasonal_naive", "model"))
        for r in results
    ]
    stacked = pd.concat([s.assign(_w=w, _c=c) for s, w, c in zip(summaries, weights, cells)])
    numeric = [c for c in stacked.columns if c not in ("model", "_w", "_c")]
    forecasts = pd.concat([with_key(r.forecasts, cols, k) for r, k in zip(results, keys)], ignore_index=True)
    rows = []
    for model, g in stacked.groupby("model", sort=False):
        values = np.average(g[numeric].to_numpy(dtype=float), axis=0, weights=g["_w"].to_numpy())
        row = {"model": model, **dict(zip(numeric, values))}
        if "wape" in row:
            column = forecasts["seasonal_naive" if model == "seasonal_naive" else "forecast"].to_numpy()
            row["wape"] = overall_score("wape", forecasts["actual"].to_numpy(), column, None, None)
        if "coverage" in row and g["coverage"].notna().all():  # the share of all actuals inside
            row["coverage"] = float(np.average(g["coverage"].to_numpy(float), weights=g["_c"].to_numpy()))
        rows.append(row)
    return BacktestResult(
        forecasts,
        pd.concat([with_key(r.per_series, cols, k) for r, k in zip(results, keys)], ignore_index=True),
        pd.DataFrame(rows),
        results[0].mode,
        results[0].note,
    )
