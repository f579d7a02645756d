"""One global LightGBM trained on a Dask DataFrame: features built on the workers, trained
data-parallel there, forecast partition by partition.

``Forecaster.fit(ddf)`` with a Dask DataFrame (the rows of many series, possibly more than one
machine holds) runs here, as mlforecast's distributed forecaster does:

1. the rows are shuffled so that every series lies in one partition (``shuffle(on=ids)``) and
   kept in the workers' memory (the forecaster's history: ``predict()`` reads it), their
   string columns in pandas' own string dtype (:func:`_pandas_strings`): so the keys, and the
   forecasts' id columns, have the dtypes the same table gives in process. Up to 32 partitions
   the shuffle is Dask's task shuffle (:func:`_shuffle_method`): one round of small tasks,
   faster there than the peer-to-peer shuffle, whose scheduler plugin logs two WARNING lines
   for every shuffle it runs, however it ends (beyond, Dask's own logging configuration routes
   them: see :func:`_shuffle_method`);
2. *profile*: the text rule is decided on the whole frame: every partition counts the text
   cells of its columns, the client sums the counts and reads the rule off them
   (:func:`~tsauto.forecasting.validation.counted_numbers`), so a column of numbers with a few
   text cells ("--") is numbers in every partition, as in process (one partition's own share
   would read it as labels where it holds more text, or no text but number strings); then every
   partition is validated on its worker by that decision; the client gathers only its schema,
   series keys and lengths, and merges them (categories united; frequencies must agree, but
   where some partitions read days closed on ``holidays=`` and another saw a row on one, all are
   read as open on them, as a pandas table is);
3. the data-dependent choices are made from the very series the in-process fit reads for them,
   fetched to the client: seasonal periods from the 200 longest series (spread over ties), the
   target transforms from the KPSS sample (60 evenly spaced series); lags and windows from the
   median length of all series; the series-id feature from all keys. So the features equal the
   in-process ones;
4. *features and training*: one task a worker builds the training rows of the partitions it
   holds (lags, windows, calendar and covariates are per series, so a partition's rows are its
   rows of the in-process matrix) in single precision, one partition at a time; the workers
   with rows then train one LightGBM together over its socket network, each binning its own
   rows partition by partition (:mod:`~tsauto.forecasting.distributed_training`): a worker
   never holds its whole feature table. A worker whose part fails (an error, its death) stops
   the training within seconds: the fit raises
   :class:`~tsauto.forecasting.distributed_training.DistributedTrainingError` naming it and the
   cause, the other workers freed (their connections reset, or restarted by their nannies);
5. *forecast*: every partition forecasts its series with the trained booster (recursively, or
   one booster per step with ``strategy="direct"``); series too short for LightGBM get seasonal
   naive and the non-negativity guards apply, as in process.

Distributed training finds its bins and bags on the workers' rows, so the model is close to,
not identical with, the in-process one. Not available on this path (each a clear error): the
search (``time_budget``), other learners, quantiles, ``partition_by``, ``hierarchy`` and
``aggregate``.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError
from tsauto.core.executor import wait_on_cluster
from tsauto.core.search import Candidate, Trial
from tsauto.forecasting.alerts import SeriesAlert, say
from tsauto.forecasting.features.target_transforms import KPSS_MIN_LENGTH, KPSS_SAMPLE, mostly_nonstationary
from tsauto.forecasting.frequency import longest_series
from tsauto.forecasting.guards import Guards
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.baselines import SeasonalNaive
from tsauto.forecasting.learners.fallback import WithFallback
from tsauto.forecasting.learners.lightgbm import LightGBMLearner, NoTrainingRows
from tsauto.forecasting.model import NOT_VALIDATED, EnsembleModel
from tsauto.forecasting.offsets import without_holidays
from tsauto.forecasting.panel import Panel, Schema
from tsauto.forecasting.planner import Plan, make_task
from tsauto.forecasting.validation import (
    check_id_types,
    counted_numbers,
    future_covariates,
    text_counts,
    validate,
    validate_like,
    warn_unknown_series,
)

if TYPE_CHECKING:
    from tsauto.forecasting.forecaster import Forecaster

log = logging.getLogger(__name__)

NOT_ON_DASK = "on a Dask DataFrame tsauto trains one global LightGBM, data-parallel on the workers"
TASK_SHUFFLE_PARTITIONS = 32  # up to it Dask's task shuffle is one round (its max_branch)


def is_dask_frame(data: object) -> bool:
    """Whether ``data`` is a Dask DataFrame (without importing Dask)."""
    return type(data).__module__.split(".")[0] == "dask" and hasattr(data, "map_partitions")


@dataclass
class DaskHistory:
    """The training rows on the cluster (every series in one partition) and what the
    profile learned of them: the merged schema, every series' key and length."""

    frame: Any
    schema: Schema
    keys: pd.DataFrame
    lengths: np.ndarray

    def __getstate__(self) -> dict:
        """A saved model keeps the schema and the keys, not the cluster's rows."""
        return {**self.__dict__, "frame": None}


@dataclass
class DaskFit:
    """What :func:`fit_dask` returns to the forecaster."""

    model: EnsembleModel
    task: Task
    history: DaskHistory
    trial: Trial
    plan: Plan


def fit_dask(fc: Forecaster, ddf: Any, client: Any) -> DaskFit:
    """Fit ``fc``'s settings on the Dask DataFrame ``ddf`` with the workers of ``client``."""
    t0 = time.perf_counter()
    opts, search, compute = fc._options()
    learner = _the_learner(fc, opts)
    ids = _as_list(fc.ids)
    kw = {
        "target": fc.target, "time": fc.time, "ids": ids, "known_future": fc.known_future,
        "freq": opts.freq, "fill": opts.fill, "holidays": fc.holidays if isinstance(fc.holidays, str) else None,
    }
    frame = client.persist(_by_series(ddf, ids))  # shuffled once, read by every pass
    kw["numbers"] = _numbers(frame, [c for c in frame.columns if c not in {fc.target, fc.time, *ids}], client)
    history = _profile(frame, kw, client)
    log.info("Dask DataFrame: %d series in %d partitions", len(history.lengths), frame.npartitions)
    season_panel, transform_panel = _samples(history, client)
    task = make_task(season_panel, fc.horizon, fc.holidays, None, compute.n_jobs, search.random_state,
                     opts.seasons)
    # the transforms are decided on the KPSS sample, the data size on every series
    nonstationary = mostly_nonstationary(transform_panel.y, transform_panel.indptr)
    observations = int(history.lengths.sum())
    task = replace(task, backend="dask", nonstationary=nonstationary, observations=observations)
    member = WithFallback(learner, opts.short_series, Guards(opts.non_negative, opts.discontinued))
    member.min_length_ = learner.min_length(task)
    learner.prepare(transform_panel, task, lengths=history.lengths, keys=history.keys)
    member.fallback_ = SeasonalNaive().fit(season_panel, task)
    steps = range(1, task.horizon + 1) if learner.strategy == "direct" else (1,)
    learner.boosters_, rows = [], 0
    for step in steps:
        booster, rows = _train(frame, history.schema, member, step, season_panel, client)
        learner.boosters_.append(booster)
    learner.n_train_rows_ = rows
    trial = Trial(0, learner.name, learner.get_params(), reason=NOT_VALIDATED, score=math.nan,
                  fit_time=time.perf_counter() - t0)
    note = (
        f"Dask DataFrame: one global LightGBM trained on {rows:,} rows of {len(history.lengths):,} "
        f"series in {frame.npartitions} partitions, data-parallel on the workers holding them "
        "(no validation)"
    )
    log.info("plan: %s", note)
    candidates = {learner.name: Candidate(learner.name, defaults=learner.get_params())}
    plan = Plan(task, candidates, {}, folds=0, searching=False, validate=False, search_budget=None,
                max_trials=None, notes=(note,))
    return DaskFit(EnsembleModel([(1.0, member)]), task, history, trial, plan)


def predict_dask(
    fc: Forecaster, ddf: Any, future: pd.DataFrame | None, client: Any, by_series: bool = False
) -> pd.DataFrame:
    """Forecasts of every series of the Dask DataFrame ``ddf`` (``by_series``: already one
    partition per set of whole series) by the fitted ``fc``, each partition on its worker;
    one pandas table sorted by series and time."""
    import dask

    schema = fc.dask_.schema
    if future is not None and by_series and set(schema.ids) <= set(future.columns):  # the training rows' keys
        check_id_types(future, fc.dask_.keys, "the future table")  # are known here (a lacking column: the parts say)
        warn_unknown_series(future, fc.dask_.keys, schema.ids)
    frame = ddf if by_series else _by_series(ddf, list(schema.ids))
    local, fut = dask.delayed(_without_rows(fc)), dask.delayed(future)
    parts = [dask.delayed(_forecast_part)(p, local, fut, schema, by_series) for p in frame.to_delayed()]
    done = [p for p in _computed(client, parts, "forecasts of partitions") if p is not None]
    say([alert for _, alerts in done for alert in alerts])  # here, not in the workers' logs
    out = pd.concat([frame for frame, _ in done], ignore_index=True)
    return out.sort_values([*schema.ids, schema.time], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------- the steps


def _the_learner(fc: Forecaster, opts) -> LightGBMLearner:
    """The LightGBM learner asked for, after refusing what this path cannot do."""
    refused = {
        "time_budget": fc.time_budget is not None,
        "quantiles": bool(fc.quantiles),
        "partition_by": bool(fc.partition_by),
        "hierarchy": bool(fc.hierarchy),
        "data aggregate": opts.aggregate is not None,
    }
    named = [k for k, v in refused.items() if v]
    if named:
        raise DataValidationError(
            f"{', '.join(named)} cannot be used on a Dask DataFrame ({NOT_ON_DASK}, no search or "
            "intervals): drop it, or compute() the frame to pandas and pass "
            "compute={'backend': 'dask', 'client': c} so that the search runs on the cluster."
        )
    learners = fc.learners
    if learners == "auto":
        return LightGBMLearner()
    if len(learners) == 1:
        (one,) = learners
        if one == "lightgbm":
            return LightGBMLearner()
        if isinstance(one, LightGBMLearner):
            return one.clone()
    names = [x if isinstance(x, str) else x.name for x in learners]
    raise DataValidationError(
        f"learners={names}: {NOT_ON_DASK}; use learners='auto' or ['lightgbm'] (or a "
        "LightGBMLearner), or compute() the frame to pandas for the other learners."
    )


def _by_series(ddf: Any, ids: list[str]) -> Any:
    """``ddf`` with every series in one partition."""
    missing = [c for c in ids if c not in ddf.columns]
    if missing:
        raise DataValidationError(
            f"id column(s) {missing} are not in the Dask DataFrame (columns: {list(ddf.columns)})."
        )
    if not ids:
        return _pandas_strings(ddf.repartition(npartitions=1))
    return _pandas_strings(ddf.shuffle(on=ids, shuffle_method=_shuffle_method(ddf.npartitions)))


def _shuffle_method(npartitions: int) -> str | None:
    """How to shuffle ``npartitions`` partitions by series: the method set in Dask's
    configuration (``dataframe.shuffle.method``) if any; else ``"tasks"`` up to
    ``TASK_SHUFFLE_PARTITIONS`` partitions; else None, Dask's choice (peer-to-peer on a cluster).

    Dask's peer-to-peer shuffle logs "Shuffle ... initialized by task ..." and "Shuffle ...
    deactivated due to stimulus ..." at WARNING level on the scheduler for every shuffle, one
    that ends well too (distributed's ``shuffle/_scheduler_plugin.py``). Its task shuffle logs
    nothing and is one round of tasks up to 32 partitions (each partition split once, each
    output joins its pieces): there, on a cluster of two worker processes, it took 0.24 s
    against 0.25-0.7 s for the 65k rows of aus_retail (5 partitions), 0.6 s against 0.6 s for
    M4 Weekly (367k rows, 8 partitions), 1.5-2.2 s against 4.3-6.1 s for 20 copies of M4 Weekly
    (7.3M rows, 16 partitions), 2.5-5 s against 3.6-4.2 s (32 partitions). Beyond, it runs in
    rounds: 4.7-7.2 s against 4.4-7.1 s (48 partitions), 14-17 s against 6.5-7.2 s (128). One
    round there (its ``max_branch`` raised) is slower still: n² pieces, 2.4 s against 1.2 s in
    rounds and 0.6 s peer-to-peer (M4 Weekly, 48 partitions), 9 s against 3.9 s and 1.5 s (64),
    35 s against 9.8 s and 2.7 s (128). So beyond 32 partitions the peer-to-peer shuffle stays,
    and its two lines are left to Dask's logging configuration, read where the scheduler
    starts: ``logging: {distributed.shuffle._scheduler_plugin: error}`` in a Dask YAML file
    (``~/.config/dask/``, or the folder ``DASK_CONFIG`` names) silences them; tsauto leaves the
    levels of Dask's loggers alone (the same logger warns of a shuffle restarted when a worker
    left)."""
    import dask

    if dask.config.get("dataframe.shuffle.method", None) is not None:
        return None
    return "tasks" if npartitions <= TASK_SHUFFLE_PARTITIONS else None


def _pandas_strings(ddf: Any) -> Any:
    """``ddf`` with the string columns Dask converted back in the dtype pandas gives strings.

    Dask's ``dataframe.convert-string`` (on by default) makes every column of strings that
    ``from_pandas``, ``read_parquet`` and the like read ``string[pyarrow]``, whose missing
    value is ``pd.NA``, pandas 3's own ``str`` columns too (their missing value is NaN; dask
    PR #12035, open, would keep them): the ids of the forecasts would otherwise come back in
    another dtype than from the same table in process. A column of that dtype is taken for
    Dask's conversion while it is on (a ``string[pyarrow]`` column given on purpose too)."""
    from dask.dataframe.utils import pyarrow_strings_enabled

    converted, own = pd.StringDtype("pyarrow"), pd.Series(["a"]).dtype
    columns = [c for c, dtype in ddf.dtypes.items() if dtype == converted]
    if not pyarrow_strings_enabled() or not columns or own == converted:
        return ddf
    return ddf.astype(dict.fromkeys(columns, own))


def _numbers(frame: Any, cols: list[str], client: Any) -> tuple[str, ...]:
    """The columns of ``frame`` the text rule reads as numbers, decided on the whole frame:
    each partition's counts of text (:func:`~tsauto.forecasting.validation.text_counts`),
    summed."""
    import dask

    counts = [dask.delayed(text_counts)(p, cols) for p in frame.to_delayed()]
    return counted_numbers(_computed(client, counts, "counts of text in partitions"))


def _profile(frame: Any, kw: dict, client: Any) -> DaskHistory:
    """Validate every partition on its worker; merge the schemas, keys and lengths."""
    import dask

    parts = _computed(client, [dask.delayed(_profile_part)(p, kw) for p in frame.to_delayed()], "checks of partitions")
    parts = [p for p in parts if p is not None]
    if not parts:
        raise DataValidationError("the Dask DataFrame has no rows: give at least one observation per series.")
    freqs = {s.freq for s, _, _ in parts}
    plain = {without_holidays(f) for f in freqs if f is not None}
    if len(freqs) > 1 and len(plain) == 1 and kw.get("freq") is None:
        # closed on the holidays in some partitions, a row on one in another: as for a pandas
        # table, one row on a holiday keeps them gaps, in every partition
        return _profile(frame, {**kw, "freq": plain.pop()}, client)
    schema = _merge_schemas([s for s, _, _ in parts], list(frame.columns))
    keys = pd.concat([k.assign(__length=n) for _, k, n in parts], ignore_index=True)
    if schema.ids:
        keys = keys.sort_values(list(schema.ids), kind="stable").reset_index(drop=True)
    return DaskHistory(frame, schema, keys.drop(columns="__length"), keys["__length"].to_numpy(np.int64))


def _profile_part(part: pd.DataFrame, kw: dict) -> tuple[Schema, pd.DataFrame, np.ndarray] | None:
    if part.empty:
        return None
    panel = validate(part, **kw)
    return panel.schema, panel.keys, panel.lengths


def _merge_schemas(schemas: list[Schema], columns: list[str]) -> Schema:
    """One schema for all partitions: a column is static when it is in every partition, its
    categories the union of theirs (sorted, as in process); frequencies must agree."""
    first = schemas[0]
    for what in ("freq", "step", "time_unit"):
        seen = sorted({str(getattr(s, what)) for s in schemas})
        if len(seen) > 1:
            raise DataValidationError(
                f"the partitions of the Dask DataFrame read different time {what}s {seen} in "
                f"column {first.time!r}: pass data={{'freq': ...}} (for example 'W-FRI')."
            )
    zones = sorted({str(s.tz) for s in schemas})
    if len(zones) > 1:
        raise DataValidationError(
            f"the partitions of the Dask DataFrame read the zoned stamps of column {first.time!r} "
            "differently (on the wall clock in some, as UTC in others: series open at night beside "
            "series that are not): convert the column to UTC, or to naive local times, first."
        )
    static = [c for c in columns if all(c in s.static for s in schemas)]
    past = [c for c in columns if c not in static and any(c in s.past + s.static for s in schemas)]
    cats = {c for s in schemas for c in s.categories}
    categories = {c: tuple(sorted(set().union(*(s.categories.get(c, ()) for s in schemas)))) for c in cats}
    note = next((s.calendar_note for s in schemas if s.calendar_note), None)
    return replace(first, past=tuple(past), static=tuple(static), categories=categories, calendar_note=note)


def _samples(history: DaskHistory, client: Any) -> tuple[Panel, Panel]:
    """The series the in-process fit reads for its data-dependent choices, fetched: the
    longest (seasonal periods) and the KPSS sample (target transforms)."""
    lengths = history.lengths
    longest = longest_series(lengths)
    eligible = np.flatnonzero(lengths >= KPSS_MIN_LENGTH)
    spaced = eligible[np.linspace(0, eligible.size - 1, min(KPSS_SAMPLE, eligible.size)).astype(int)]
    chosen = np.union1d(longest, np.unique(spaced))
    schema = history.schema
    ids = list(schema.ids)
    wanted = history.keys.iloc[chosen].reset_index(drop=True)
    if ids:
        rows = history.frame.map_partitions(_rows_of, wanted, ids, meta=history.frame._meta)
    else:
        rows = history.frame
    sample = validate_like(_computed(client, rows, "the sample's rows"), schema, part=True)
    at = {pos: i for i, pos in enumerate(chosen)}  # sample is in key order, as chosen is
    return sample.take([at[p] for p in longest]), sample.take([at[p] for p in np.unique(spaced)])


def _computed(client: Any, work: Any, what: str) -> Any:
    """``client.compute(work, sync=True)`` (a collection or a list of them), its wait bounded
    while the cluster has no worker (:func:`~tsauto.core.executor.wait_on_cluster`)."""
    futures = client.compute(work)
    many = isinstance(futures, list)
    futures = futures if many else [futures]
    wait_on_cluster(client, futures, what=what)
    done = client.gather(futures)
    return done if many else done[0]


def _rows_of(part: pd.DataFrame, keys: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    return part.merge(keys, on=ids, how="inner")[part.columns]


def _train(frame: Any, schema: Schema, member: WithFallback, step: int, sample: Panel, client: Any):
    """LightGBM trained data-parallel on the training rows for ``step`` of every partition,
    built on the worker holding it (see :mod:`~tsauto.forecasting.distributed_training`);
    returns the booster and the number of rows."""
    from tsauto.forecasting.distributed_training import held_rows, partitions_by_worker

    learner: LightGBMLearner = member.learner
    spec = learner.spec_
    build = functools.partial(_training_part, schema=schema, member=member, step=step)
    with held_rows(client, partitions_by_worker(frame, client), build) as held:
        if held.rows == 0:
            raise DataValidationError(learner.no_rows_message(sample, step))
        params, rounds = learner.train_params(learner.task_, held.rows)
        return held.train(params, rounds, spec.model_names, spec.categorical_index), held.rows


def _training_part(part: pd.DataFrame, schema: Schema, member: WithFallback, step: int) -> np.ndarray | None:
    """The training rows of a partition's series (None if it has none): features and label
    in one column-major single-precision array, which LightGBM reads in place."""
    train = member.trainable(validate_like(part, schema, part=True)) if len(part) else None
    if train is None or train.n_series == 0:
        return None
    try:
        rows, _ = member.learner.training_rows(train, step, label=True)
    except NoTrainingRows:  # no series of this partition is long enough
        return None
    return rows


def _forecast_part(
    part: pd.DataFrame, fc: Forecaster, future: pd.DataFrame | None, schema: Schema, training: bool = False
) -> tuple[pd.DataFrame, list[SeriesAlert | None]] | None:
    """The forecasts of the series of ``part`` (``training``: a partition of the training rows)
    and the alerts on them, to be said by the client."""
    if part.empty:
        return None
    panel = validate_like(part, schema, part=training)  # one partition's series: no warning of the others
    return fc._forecast_table(panel, future_covariates(future, panel, fc.task_.horizon, warn=False))


def _without_rows(fc: Forecaster) -> Forecaster:
    """A shallow copy of ``fc`` without the cluster's rows and client, for the workers."""
    import copy

    out = copy.copy(fc)
    out.dask_ = replace(fc.dask_, frame=None)
    out.compute = None
    return out


def _as_list(ids: Any) -> list[str]:
    if ids is None:
        return []
    return [ids] if isinstance(ids, str) else list(ids)

