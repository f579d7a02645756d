"""``Forecaster(hierarchy=...)``: forecast every node of the hierarchy, then reconcile.

The table is aggregated to every node (:meth:`HierarchySpec.aggregate`); one forecaster,
configured as the user's, is fitted on all nodes at once (a global model sees every level);
its validation errors (the out-of-fold forecasts of the ensemble) give the residuals of the
reconciliation. ``reconcile="auto"`` (the default) reconciles those out-of-fold forecasts
with each method of :data:`~.selection.AUTO_CANDIDATES` and keeps, of those no worse than the
base forecasts at any level (bottom: within 2 %), the one of lowest validation MASE, the mean
over levels; the lowest of all when none is (:mod:`.selection`); the scores go to
``HierarchicalFit.choice`` and the choice to the plan notes; ``"middle_out:<level>"`` splits that
level's forecasts down (historical average proportions). Without validation errors (a
single learner fitted alone) ``auto`` and the residual-based methods fall back to
``wls_struct``, with a note in the plan and the log. Bottom series that end before the table's
last time are counted 0 after it (as their sums above count them) and named in a warning and the
plan notes; nodes whose last targets are missing still end before the others (named too): the
levels then do not add up from one forecast origin. The nodes are forecast from the target and
the known-future covariates, read before they are aggregated as a fit without hierarchy reads
them (a column of numbers with a few text cells such as '--' as numbers, averaged over a node's
series, not as labels: :func:`node_table`): the other columns (past and static covariates of a
fit without hierarchy) are named in a warning and the data checks. Rows that share a series and
time are refused as without a hierarchy (the nodes' sums added them up silently), unless
``aggregate=`` rolls them up.

The data checks (``HierarchicalFit.checks``, :func:`user_checks`) describe the user's table, not
the nodes': those of a fit without hierarchy on the bottom series (named by the id columns;
the fills, lengths and guards as the forecaster of all nodes read them), with the roles the
hierarchy gives the columns, the series it carried with zeros, and the aggregate nodes it adds.
The forecaster of all nodes keeps its own (``base.data_checks()``), not logged.

The forecasts are coherent; their quantiles are those of coherent sample paths, so, as
quantiles of sums are not sums of quantiles, not additive. Both follow the guards of a
forecaster without hierarchy at the bottom (:func:`bottom_bounds`): a bottom series never
negative in its history is never forecast negative, a discontinued one is forecast zero, and
the levels above are their sums (never negative where their series are not).

A backtest scores every node: :func:`node_panel` sums the bottom series to every node (the
actuals and the MASE scales of each level), :func:`refit_hierarchy` refits the forecaster of
all nodes at each cutoff of ``mode="refit"``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tsauto.core.arrays import ranges
from tsauto.core.checks import Check
from tsauto.core.exceptions import DataValidationError, shortlist
from tsauto.core.logfilter import tsauto_filter, unsaid
from tsauto.core.table_io import read_table
from tsauto.forecasting.backtest import Scored, observed_rows, row_positions
from tsauto.forecasting.calendar_time import parse_time
from tsauto.forecasting.data_checks import (
    CARRIED,
    CHECK_MESSAGE,
    checks_frame,
    data_checks,
    log_checks,
    without_leaks,
)
from tsauto.forecasting.alerts import say
from tsauto.forecasting.forecaster import ABSENT_WARNING, FAR_WARNING, GAPPED_WARNING, far_alert
from tsauto.forecasting.guards import Bounds, Guards
from tsauto.forecasting.hierarchy.forecasts import reconcile_forecasts, residual_matrix
from tsauto.forecasting.hierarchy.reconcile import METHODS, Reconciler
from tsauto.forecasting.hierarchy.selection import (
    ReconcileChoice,
    candidate,
    choose_reconciler,
)
from tsauto.forecasting.hierarchy.spec import HierarchySpec
from tsauto.forecasting.options import DataOptions, as_options
from tsauto.forecasting.panel import Panel, Schema, continued, decoded, output_times
from tsauto.forecasting.validation import (
    GIVEN_ROW,
    UNKNOWN_SERIES_WARNING,
    broadcast_future,
    check_duplicates,
    check_future_duplicates,
    check_id_types,
    fill_notes_quiet,
    given_once,
    is_flag,
    missing_future,
    parse_like,
    read_numbers,
    refuse_text,
    require_columns,
    row_labels,
    validate_like,
    warn_unknown_series,
)

log = logging.getLogger(__name__)

OBSERVED = "__observed"  # node_panel's flag of the cells holding an observation
NEEDS_RESIDUALS = ("wls_var", "mint_shrink")
AUTO = "auto"


@dataclass
class HierarchicalFit:
    """The spec, the forecaster of all nodes, the fitted reconciler and the data checks of
    the user's table (:func:`user_checks`)."""

    spec: HierarchySpec
    base: Any  # a fitted Forecaster over the nodes
    reconciler: Reconciler
    known_future: tuple[str, ...]
    choice: ReconcileChoice | None = None  # reconcile="auto": the validation scores
    checks: pd.DataFrame | None = None
    # each bottom series' last time in the user's table (spec order): those after it were carried
    # with zeros (None: a model saved before it was kept)
    bottom_ends: np.ndarray | None = None


def hierarchy_spec(template: Any, df: pd.DataFrame) -> HierarchySpec:
    """The hierarchy of ``df`` that ``template`` (a Forecaster with ``hierarchy=``) declares."""
    ids = [template.ids] if isinstance(template.ids, str) else list(template.ids or ())
    return HierarchySpec.from_table(df, ids=ids, hierarchy=template.hierarchy, time=template.time,
                                    target=template.target)


def fit_hierarchy(template: Any, data) -> HierarchicalFit:
    """Aggregate ``data`` to every node, fit a forecaster (``template``'s settings) on all
    nodes, fit the reconciler on its validation residuals and the nodes' history."""
    method = template.reconcile
    df = read_table(data, template._codes())
    spec = hierarchy_spec(template, df)
    _check_method(method, spec)
    _check_rows(spec, row_labels(df), as_options(template.data, DataOptions, "data").aggregate)
    known = tuple(template.known_future or ())
    numbers = template._numbers(df)  # decided on the user's table (or the whole one it is a fold of)
    nodes = node_table(spec, df, known, numbers)
    params = template.get_params()
    params.update(ids=spec.node_column, hierarchy=None, reconcile="auto")  # reconciled here, not by it
    with tsauto_filter(lambda record: record.name != data_checks.__module__):  # the nodes' checks unsaid
        base = type(template)(**params)._part_of(numbers, leave_out_leaks=False).fit(nodes)
    unused = _note_unused_columns(base, spec, df, known)
    _note_zeros_after_end(base, spec, df)
    _note_ragged_ends(base, spec)
    _note_gaps_filled(base, spec)
    checks = user_checks(base, spec, df, unused)
    log_checks([c for c in checks if c not in unused and c.check != "ends_early"])  # the notes said those
    validation = getattr(base, "validation_", None)
    residuals = None if validation is None else residual_matrix(validation, spec)
    history = spec.pivot(nodes, template.target)[0]
    choice = None
    if method == AUTO and validation is not None:
        seen, times = spec.pivot(base.history_.to_frame(), template.target)  # times as validated
        choice = choose_reconciler(validation, spec, seen, times, base.task_.season)
        if choice is not None:
            method = choice.method
            _note(base, choice.note)
    if method == AUTO or (method in NEEDS_RESIDUALS and (residuals is None or not np.isfinite(residuals).any())):
        why = "no validation folds to choose on" if method == AUTO else f"{method} needs validation errors"
        _note(base, f"reconcile: wls_struct ({why})")
        log.warning("reconcile=%r: %s: wls_struct", template.reconcile, why)
        method = "wls_struct"
    reconciler = candidate(method).fit(spec, residuals=residuals, history=history)
    log.info("hierarchy: %d nodes on %d levels, reconciled by %s", len(spec.nodes), len(spec.levels), method)
    if residuals is not None:
        _log_few_residuals(spec, residuals)
    return HierarchicalFit(spec, base, reconciler, known, choice, checks_frame(checks), bottom_ends(base, spec, df))


def _check_rows(spec: HierarchySpec, df: pd.DataFrame, aggregate) -> None:
    """Rows of ``df`` (labelled, :func:`row_labels`) sharing a series and time refused, as
    without a hierarchy (the nodes' sums would add them up silently), unless ``aggregate=``
    rolls them up."""
    if aggregate is None:
        check_duplicates(df.assign(__sid=spec.bottom_rows(df)), spec.time, spec.ids)


def _check_method(method: str, spec: HierarchySpec) -> None:
    """``reconcile=``: ``"auto"``, a method, or ``"middle_out:<level>"`` with a level of ``spec``."""
    name, _, level = str(method).partition(":")
    example = spec.levels[min(1, len(spec.levels) - 1)]
    if name == "middle_out" and not level:
        raise DataValidationError(
            f"reconcile='middle_out' splits the forecasts of one level down: name it after a colon, "
            f"e.g. reconcile='middle_out:{example}' (the levels: {', '.join(map(repr, spec.levels))})."
        )
    if name == "middle_out":
        spec.level_index(level)  # a DataValidationError naming the levels
    elif method != AUTO and method not in METHODS:
        raise DataValidationError(
            f"reconcile={method!r}: choose {AUTO!r}, one of {tuple(m for m in METHODS if m != 'middle_out')} "
            f"or 'middle_out:<level>' (e.g. 'middle_out:{example}')."
        )


def node_table(
    spec: HierarchySpec, table, known: tuple[str, ...], numbers: Sequence[str] = (), what: str | None = None
) -> pd.DataFrame | None:
    """``table`` (a path or a frame of the training table's columns; None: None) aggregated to
    every node, with the known-future covariates: the table the forecaster of all nodes reads.

    ``numbers``: the columns read as numbers first (:func:`~.validation.read_numbers`), so that
    a node's value is the mean of its series' numbers, not their most frequent string (a column
    of temperatures with two '--' is text to :meth:`HierarchySpec.aggregate`): at fit, those
    of numbers but for a few text cells in the whole training table; in a later table
    (``what`` names it: ``history=``, a refit backtest's fold), those numeric at fit
    (:func:`numeric_known`), read as :func:`~.validation.validate_like` reads them."""
    if table is None:
        return None
    df = row_labels(read_table(table, spec.ids))
    read_numbers(df, [c for c in known if c in numbers], what or "the table", later=what is not None)
    nodes = spec.aggregate(df, covariates=list(known))
    return nodes.drop(columns=spec.level_column)


def future_table(fit: HierarchicalFit, given: pd.DataFrame, numeric: Sequence[str] = ()) -> pd.DataFrame:
    """The ``future=`` table of the bottom series: ``given`` (the user's, its rows labelled as
    :func:`~tsauto.forecasting.validation.row_labels` labels them) with its rows per some of the
    id columns read for each of their series
    (:func:`~tsauto.forecasting.validation.broadcast_future`), each with the label of its row of
    ``given`` in ``GIVEN_ROW``. Text in its ``numeric`` columns (numbers at fit) is refused
    (:func:`refuse_text`), naming the rows of ``given`` that hold it by their labels (a file's
    lines on the command line), each once: the table read for each series is numbered afresh, 0
    to n, and named rows the user never gave (user test 56)."""
    out = broadcast_future(given, _bottom_ids(fit.spec), fit.spec.ids, fit.spec.time, fit.known_future,
                           labels=GIVEN_ROW)
    refuse_text(given_once(out, given.index.name), numeric, "the future table")
    return out


def numeric_known(fit: HierarchicalFit) -> list[str]:
    """The known-future columns of ``fit`` read as numbers (not labels) at fit."""
    return [c for c in fit.known_future if c not in fit.base.history_.schema.categories]


def later_node_tables(fit: HierarchicalFit, future, history) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``future=`` and ``history=`` (tables of the training table's columns, or None)
    aggregated to every node (:func:`node_table`), their known-future columns numeric at fit
    read as numbers, the bottom series of ``history=`` continuing their training rows first
    (:func:`continued_bottom`); text in such a column of ``future=`` is refused naming its rows
    (not the nodes'). ``future=`` is not read (None) where the model reads no known-future
    covariate. An empty cell of a known-future column of ``future=`` at a row the forecast
    needs is refused naming its row too (:func:`_check_future_values`)."""
    numeric = numeric_known(fit)
    fut = None
    if future is not None and fit.base.model_.reads_known_future:
        given = row_labels(read_table(future, fit.spec.ids))
        future = future_table(fit, given, numeric)
        fut = future_nodes(fit, future)
    hist = history_nodes(fit, history)
    if fut is not None:
        _check_future_values(fit, future, _bottom_future(fit, hist), given.index.name)
    return fut, hist


def history_nodes(fit: HierarchicalFit, history) -> pd.DataFrame | None:
    """``history=`` (a table of the training table's columns, or None) aggregated to every node,
    its bottom series continuing their training rows (:func:`continued_bottom`)."""
    if history is None:
        return None
    return node_table(fit.spec, continued_bottom(fit, history), fit.known_future, numeric_known(fit),
                      "the history table")


def future_nodes(fit: HierarchicalFit, future: pd.DataFrame) -> pd.DataFrame:
    """``future``, a table :func:`future_table` read (and checked), aggregated to every node
    (:func:`node_table`)."""
    return node_table(fit.spec, future.drop(columns=GIVEN_ROW), fit.known_future, numeric_known(fit),
                      "the future table")


def _note_unused_columns(base: Any, spec: HierarchySpec, df: pd.DataFrame, known: tuple[str, ...]) -> list[Check]:
    """Warn (plan notes) where the table holds columns a fit without a hierarchy would read as
    past or static covariates: the nodes are forecast without them. Returns their roles, alerts
    (:func:`user_checks` lists them)."""
    skip = {spec.target, spec.time, *spec.nodes.columns, *known}
    unused = [str(c) for c in df.columns if c not in skip]
    if not unused:
        return []
    why = ("past and static covariates are not aggregated to the hierarchy's nodes; name a column in "
           "known_future= if its values over the horizon are known (then aggregated to the nodes: numbers "
           "by mean, flags by max, labels by the most frequent), or fit without hierarchy= to use it")
    _note(base, f"hierarchy: {len(unused)} column(s) not used ({shortlist(unused, 10)}; data_checks() lists "
                f"them): the nodes are forecast from the target and the known-future covariates; {why}",
          logging.WARNING)
    return [Check("column_role", c, "ignored: not used with hierarchy=", why, "alert") for c in unused]


def user_checks(base: Any, spec: HierarchySpec, df: pd.DataFrame, unused: list[Check]) -> list[Check]:
    """The data checks of ``df``, the user's table, where ``base`` (the forecaster of all nodes)
    checked the nodes': those of a fit without hierarchy on the bottom series, merged with what
    the hierarchy does. The bottom series are the nodes' panel restricted to them (what the
    model read: fills, lengths, guards), named by the id columns; the columns get the
    hierarchy's roles (its level columns; ``unused``, the columns not read); the series that
    end before the table's last time are named, as the fit warned, with the zeros they are
    carried with (not the table's rows, nor filled); the series lengths say how many aggregate
    nodes the hierarchy adds. (The nodes' checks named the internal ``node`` column, counted
    the nodes as series, and passed ``ends_early`` where the fit warned.)"""
    opts = as_options(base.data, DataOptions, "data")
    bottom = without_leaks(_bottom_panel(base.history_, spec), base.task_.horizon, leave_out=False)  # the user's series
    after = (bottom.times > np.repeat(bottom_ends(base, spec, df), bottom.lengths)).astype(np.int64)
    carried = np.add.reduceat(after, bottom.indptr[:-1])
    bottom.fills = replace(bottom.fills, rows=bottom.fills.rows - carried)  # the table's rows
    levels = [c for cols in spec.level_columns for c in cols if c not in spec.ids]
    roles = {c: Check("column_role", c, "hierarchy level", "groups the series into the nodes of a level "
                      "(hierarchy=)") for c in dict.fromkeys(levels)}
    roles.update({c.column: c for c in unused})
    added = f"the hierarchy adds {spec.aggregates()} above them, forecast and reconciled with them"
    if carried.any():
        added += (f"; the lengths count the zeros carried after the last row of {np.count_nonzero(carried)} "
                  "series (ends_early)")
    out = []
    for c in data_checks(df, bottom, base.task_, opts, base.model_, carried):
        if c.check == "column_role":
            c = roles.get(c.column, c)
        elif c.check == "series_lengths":
            c = c._replace(action=added)
        out.append(c)
    return out


def bottom_ends(base: Any, spec: HierarchySpec, df: pd.DataFrame) -> np.ndarray:
    """Each bottom series' last time in the user's table ``df`` (in ``spec`` order, as the
    nodes' panel of ``base`` stores times): the rows after it were carried with zeros."""
    bottom = _bottom_panel(base.history_, spec)
    aggregated = as_options(base.data, DataOptions, "data").aggregate is not None
    series, times = row_positions(df, bottom, aggregated)
    last = np.full(bottom.n_series, times.min())
    np.maximum.at(last, series, times)
    return last


def _bottom_panel(panel: Panel, spec: HierarchySpec) -> Panel:
    """The bottom series of ``panel`` (every node's), in ``spec`` order, named by the id
    columns as the user's table names them, with their fill report."""
    at = pd.Index(panel.keys[spec.node_column]).get_indexer(spec.nodes[spec.node_column].iloc[spec.n_aggregates:])
    bottom = replace(panel.take(at), schema=replace(panel.schema, ids=spec.ids), keys=_bottom_ids(spec))
    rows = ranges(panel.indptr[at], panel.lengths[at])
    bottom.fills = replace(panel.fills, **{
        name: value[rows if name == "imputed_rows" else at]
        for name, value in vars(panel.fills).items() if value is not None
    })
    return bottom


def _bottom_ids(spec: HierarchySpec) -> pd.DataFrame:
    """The id columns of the bottom series, in ``spec`` order, with the table's dtypes."""
    ids = spec.nodes.iloc[spec.n_aggregates:][list(spec.ids)].reset_index(drop=True)
    for col in ids.columns:  # the spec holds integers and flags as nullable; the table had none missing
        if pd.api.types.is_integer_dtype(ids[col]) or pd.api.types.is_bool_dtype(ids[col]):
            ids[col] = ids[col].astype(ids[col].dtype.numpy_dtype)
    return ids


def _log_few_residuals(spec: HierarchySpec, residuals: np.ndarray) -> None:
    """Once per fit (the choice of reconciler refits it at every cutoff): the nodes whose
    variance the residuals cannot give."""
    few = np.flatnonzero((~np.isnan(residuals)).sum(axis=1) < 2)
    if few.size:
        names = shortlist(spec.nodes[spec.node_column].to_numpy()[few])
        log.info("%d node(s) with fewer than 2 validation errors (%s): variance 0, so the "
                 "variance-weighted reconcilers keep them at their base forecast and sampled "
                 "intervals do not vary them", few.size, names)


def _note_zeros_after_end(base: Any, spec: HierarchySpec, df: pd.DataFrame) -> None:
    """Warn (and note in the plan) where bottom series end before the table's last time:
    :meth:`HierarchySpec.aggregate` counts them 0 after their last row."""
    times = parse_time(df[spec.time], spec.time)[0]  # in time order, whatever the format
    last = times.groupby(spec.bottom_rows(df), sort=True).max()
    early = last.index[last < last.max()]
    if early.empty:
        return
    names = shortlist(spec.nodes[spec.node_column].to_numpy()[spec.n_aggregates + early])
    _note(base, f"hierarchy: {len(early)} bottom series end before the table's last time ({names}): "
                f"{CARRIED}", logging.WARNING)


def _note_gaps_filled(base: Any, spec: HierarchySpec) -> None:
    """Note where bottom series miss rows inside their span and the fill rule is not
    ``"zero"``: they are imputed so, while the sums above them counted them 0 there."""
    panel = base.history_
    fills = getattr(panel, "fills", None)
    if fills is None or panel.schema.fill == "zero":
        return
    nodes = panel.keys[spec.node_column].to_numpy()
    bottom = np.isin(nodes, spec.nodes[spec.node_column].to_numpy()[spec.n_aggregates:])
    gaps = np.flatnonzero(bottom & (fills.inserted > 0))
    if not gaps.size:
        return
    names = shortlist(nodes[gaps])
    _note(base, f"hierarchy: {gaps.size} bottom series miss rows inside their span ({names}): "
                f"imputed by fill={panel.schema.fill!r} there, while the sums above them count them "
                "0; pass data={'fill': 'zero'} where a missing row means nothing happened (no sale)",
          logging.WARNING)


def _note_ragged_ends(base: Any, spec: HierarchySpec) -> None:
    """Warn (and note in the plan) where nodes end before the others (missing targets at the
    end, which are dropped): their forecasts start earlier than the rest, and the aggregates
    above them summed their children without the missing values at the last times, so the
    levels do not add up from one forecast origin."""
    panel = base.history_
    last = panel.last_times
    early = np.flatnonzero(last < last.max())
    if not early.size:
        return
    names = shortlist(panel.keys[spec.node_column].to_numpy()[early])
    note = (f"hierarchy: {early.size} node(s) end before the last time of the others ({names}): "
            "they are forecast from their own last value and the aggregates above them hold "
            "partial sums at the times they lack; give every bottom series its value up to the "
            "last time (or cut the table there) for levels that add up from one origin")
    _note(base, note, logging.WARNING)


def _note(base: Any, note: str, level: int = logging.INFO) -> None:
    """Add ``note`` to the plan notes of the forecaster of all nodes (the report shows them)."""
    log.log(level, "%s", note)
    base.plan_ = replace(base.plan_, notes=(*base.plan_.notes, note))


def refit_hierarchy(fit: HierarchicalFit, data) -> HierarchicalFit:
    """``fit`` with its forecaster of all nodes refitted (same learners, parameters and
    weights) on ``data`` aggregated to every node; the reconciler is kept as fitted."""
    nodes = node_table(fit.spec, data, fit.known_future, numeric_known(fit), "the history table")
    base = fit.base
    panel = base._validate(nodes)
    return replace(fit, base=base._refitted(nodes, base._task(panel)))


def node_panel(spec: HierarchySpec, panel: Panel) -> Scored:
    """The series of ``panel`` (the bottom of ``spec``) summed to every node by
    :meth:`HierarchySpec.aggregate`: one series per node, named in ``spec.node_column``,
    target only (the actuals and histories a backtest scores every level on), the position of
    every series of ``panel`` among them, and which cells hold an observation. A gap of a
    bottom series counts as ``panel`` filled it (``fill=``), where the fit's sums counted it 0
    (the fit names such series and the fill that makes the two agree). Not observations, so
    not scored (as a flat backtest's imputed cells; with ``fill="zero"`` every cell is): a
    bottom series' imputed values and the zeros it is carried with after its last row (a
    closed series' actual 0 scored sMAPE 200), and an aggregate's cells where none of its
    series is observed."""
    observed = observed_rows(panel)
    flags = [] if observed is None else [OBSERVED]
    frame = panel.to_frame() if observed is None else panel.to_frame().assign(**{OBSERVED: observed})
    nodes = spec.aggregate(frame, covariates=flags, rules=dict.fromkeys(flags, "max"))
    schema = replace(panel.schema, ids=(spec.node_column,), known_future=(), past=(), static=(),
                     categories={})
    out = validate_like(nodes.drop(columns=[spec.level_column, *flags]), schema)
    order = pd.Index(out.keys[spec.node_column]).get_indexer(spec.nodes[spec.node_column])
    out = out.take(order[order >= 0])  # in spec order: the total first, the bottom last
    bottom = spec.nodes[spec.node_column].to_numpy()[spec.n_aggregates + spec.bottom_rows(panel.keys)]
    if observed is not None:  # carried zeros have no flag; an aggregate's is its series' max
        keys = [spec.node_column, spec.time]
        observed = out.to_frame()[keys].merge(nodes[[*keys, OBSERVED]], on=keys, how="left")[OBSERVED] == 1
        observed = observed.to_numpy()
    return Scored(out, pd.Index(out.keys[spec.node_column]).get_indexer(bottom), observed)


def predict_hierarchy(fit: HierarchicalFit, future=None, history=None, level=None) -> pd.DataFrame:
    """Coherent forecasts of the chosen level(s) (see :meth:`HierarchySpec.select`)."""
    spec = fit.spec
    reads = fit.base.model_.reads_known_future
    if history is not None:
        history = row_labels(read_table(history, spec.ids))  # the rows errors name
    given = None
    if future is not None:  # rows that disagree would be averaged into their nodes
        given = row_labels(read_table(future, spec.ids))
        # its text refused naming the rows given (those of the bottom series' table are numbered afresh)
        future = future_table(fit, given, numeric_known(fit) if reads else ())
        check_future_duplicates(future, [*spec.ids, spec.time], list(fit.known_future))
    fut = future_nodes(fit, future) if future is not None and reads else None
    hist = history_nodes(fit, history)
    if fut is not None:
        expected = _bottom_future(fit, hist)
        if fit.base.history_.schema.aggregate is None:
            _check_future_rows(future, expected, list(spec.ids), fit.base.history_.schema)
        _check_future_values(fit, future, expected, given.index.name)
    # said of the bottom series, or of the reconciled forecasts; history='s data checks are not
    # run on the nodes (a bottom series ended early is carried with zeros: a false drop; review 50)
    with unsaid(ABSENT_WARNING, GAPPED_WARNING, UNKNOWN_SERIES_WARNING, FAR_WARNING, CHECK_MESSAGE):
        base = fit.base.predict(future=fut, history=hist)
    if hist is None:
        panel = fit.base.history_
    else:  # for the bounds, the panel the base model forecast from (its predict said how it was filled)
        with fill_notes_quiet():
            panel = fit.base._history_panel(hist, warn=False)
    out = reconcile_forecasts(base, spec, fit.reconciler, guard=bottom_bounds(fit, panel))
    mean = spec.pivot(out, "forecast")[0][pd.Index(spec.nodes[spec.node_column]).get_indexer(
        panel.keys[spec.node_column])]  # the reconciled forecasts in the order of the nodes' panel
    say([far_alert(panel, mean, np.isfinite(mean).all(axis=1))])
    if fut is not None:  # of the rows the user gave (a table per store was read for each department)
        warn_unknown_series(given, spec.select(out), [c for c in spec.ids if c in given.columns])
    return spec.select(out, level)


def _warn_bottom_ends_early(fit: HierarchicalFit, later: Panel, names: np.ndarray) -> None:
    """Warn of the bottom series of ``history=`` (``later``, its rows alone) that end before
    its last time: they are carried to it with zeros, as the fit carries a series that ended,
    so they and every node above them are forecast low (user test 50: a state's last 2 months
    missing, its forecast 30 % low, without a word). Not those that ended early at fit and get
    no newer row (said then)."""
    last = later.last_times
    early = last < last.max()
    ends = getattr(fit, "bottom_ends", None)
    if ends is not None:
        at = pd.Index(names).get_indexer(later.keys[fit.spec.node_column].to_numpy())
        own = ends[np.maximum(at, 0)].astype(last.dtype)
        early &= ~((at >= 0) & (own < ends.max().astype(last.dtype)) & (last <= own))
    if early.any():
        log.warning(
            "%d bottom series of history= end before its last time step (%s): carried to it with zeros, as the "
            "fit carries a series that ended, so they and the nodes above them are forecast from those zeros; "
            "give their newest rows", early.sum(), shortlist(later.keys[fit.spec.node_column].to_numpy()[early]),
        )


def continued_bottom(fit: HierarchicalFit, history) -> pd.DataFrame:
    """``history=`` (the user's table) with each bottom series' training rows before its first
    (as :func:`~tsauto.forecasting.panel.continued` continues a series), so that the nodes are
    sums of whole series: summed first, a node above a series whose newest rows end years
    before the others' began there as that series alone and was continued so, the years
    between interpolated (a user test: each series' two newest rows of 32 retail series, two of
    which ended 4 years early: every level moved, the total by 14.3). A series after a gap
    gets all its training rows, so that the nodes above it hold it there (as in the whole
    table; its gap is filled by ``fill=``), with a warning, where others continue, and so does
    a series closed at fit (discontinued: no newer rows to give) that ``history=`` lacks (it
    was left out, and the reconciled nodes above it held a share of it: user test 45, the
    total 4.4 off, and a node no longer the sum of the series shown); where none
    does (a window long after the fit), ``history=`` is read as given. The user's rows are kept as given
    (a missing newest target stays missing); the training rows added are the observed ones (the
    fit summed a gap as 0), their known-future covariates as the fit read them (labels as
    text, flags as True/False where ``history=`` holds flags). As given with ``aggregate=``."""
    spec, fitted = fit.spec, fit.base.history_
    known = list(fit.known_future)
    df = row_labels(read_table(history, spec.ids))
    require_columns(df, [*spec.ids, spec.time, spec.target, *known], "the history table",
                    "Give it the columns of the training table.")
    _check_rows(spec, df, fitted.schema.aggregate)  # named by the user's ids, before the nodes' validation
    series = spec.bottom_rows(df)
    absent = np.setdiff1d(np.arange(spec.n_bottom), series)
    if fitted.schema.aggregate is not None:
        _warn_missing_bottom(spec, absent)
        return df
    read_numbers(df, [c for c in known if c in numeric_known(fit)], "the history table", later=True)
    names = spec.nodes[spec.node_column].iloc[spec.n_aggregates:].to_numpy()
    bare = replace(fitted.schema, known_future=(), past=(), static=(), categories={})
    rows = df[[spec.time, spec.target]].assign(**{spec.node_column: names[series]})
    with fill_notes_quiet(), unsaid(ABSENT_WARNING):
        later = validate_like(rows, bare)
    _warn_bottom_ends_early(fit, later, names)
    bare_fit = replace(fitted, schema=bare, covariates=fitted.covariates.iloc[:, :0])
    panel, joined, gapped = continued(later, bare_fit)
    if not joined:  # none continues (a window far after the fit): each node read as given
        _warn_missing_bottom(spec, absent)
        if gapped.size:
            log.warning(GAPPED_WARNING, gapped.size, "s" if gapped.size == 1 else "", (
                f" ({shortlist(later.keys[spec.node_column].to_numpy()[gapped])}), and so do the nodes above them"))
        return df
    closed = absent[bottom_bounds(fit, fitted).zero[absent]]  # no rows after the fit: all its own, as at fit
    _warn_missing_bottom(spec, np.setdiff1d(absent, closed))
    names_fitted = pd.Index(fitted.keys[spec.node_column])
    pos = names_fitted.get_indexer(np.concatenate([later.keys[spec.node_column].to_numpy(), names[closed]]))
    before = np.concatenate([panel.lengths - later.lengths, fitted.lengths[pos[later.n_series:]]])
    before[gapped] = fitted.lengths[pos[gapped]]
    take = ranges(fitted.indptr[:-1][pos], before)
    observed = observed_rows(fitted)
    take = take if observed is None else take[observed[take]]
    at = pd.Index(names).get_indexer(fitted.keys[spec.node_column].to_numpy()[fitted.series_codes()[take]])
    ends = getattr(fit, "bottom_ends", None)
    if ends is not None:  # the zeros a series that ended early was carried with: the whole table has no rows there
        own = fitted.times[take] <= ends[at]
        take, at = take[own], at[own]
    added = pd.concat([_bottom_ids(spec).iloc[at].reset_index(drop=True), pd.DataFrame({
        spec.time: output_times(fitted.times[take], fitted.schema), spec.target: fitted.y[take],
        **{c: _known_values(fitted, c, take, df[c]) for c in known},
    })], axis=1)
    log.info("history=: %d bottom series continue the training data: its earlier rows are read "
             "before theirs", joined)
    if gapped.size:
        log.warning(
            "%d bottom series of history= start more than a step after the training data's end (%s): "
            "the nodes above them read their training rows too, the steps between filled as in the "
            "training data (fill=); give the rows in between", gapped.size,
            shortlist(names[pd.Index(names).get_indexer(later.keys[spec.node_column].to_numpy()[gapped])]),
        )
    mine = df[[*spec.ids, spec.time, spec.target, *known]].assign(
        **{spec.time: output_times(parse_like(df[spec.time], fitted.schema, "the history table").to_numpy(),
                                   fitted.schema)})  # as the training rows are written
    return pd.concat([added, mine], ignore_index=True)


def _known_values(fitted: Panel, col: str, rows: np.ndarray, given: pd.Series) -> np.ndarray:
    """The known-future column ``col`` of the training rows ``rows`` of ``fitted`` as the
    user's table (``given``: its column in ``history=``) holds them, so that the nodes sum them
    as at fit: labels for a labelled column's codes, True/False where ``given`` holds flags
    (summed by their max; as numbers, by their mean), numbers otherwise."""
    values = decoded(fitted.covariates[col].to_numpy()[rows], fitted.schema.categories.get(col))
    if col not in fitted.schema.categories and is_flag(given):
        return np.where(np.isnan(values), None, values.astype(bool)).astype(object)
    return values


def future_frame_hierarchy(fit: HierarchicalFit, history=None) -> pd.DataFrame:
    """The id columns and times of the next ``horizon`` steps of every bottom series (of
    ``history``, a table of the training table's columns, else of the training data): the rows
    of ``predict(future=)``, which sums them to every node."""
    return _bottom_future(fit, history_nodes(fit, history))


def _bottom_future(fit: HierarchicalFit, nodes: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`future_frame_hierarchy` of ``nodes``, a history aggregated to every node (None:
    the training data)."""
    spec = fit.spec
    frame = fit.base.make_future_frame(history=nodes)
    names = spec.nodes[spec.node_column].iloc[spec.n_aggregates:]
    at = pd.Index(names).get_indexer(frame[spec.node_column])
    ids = _bottom_ids(spec).iloc[at[at >= 0]].reset_index(drop=True)
    return pd.concat([ids, frame[at >= 0].drop(columns=spec.node_column).reset_index(drop=True)], axis=1)


def _check_future_rows(future: pd.DataFrame, expected: pd.DataFrame, ids: list[str], schema: Schema) -> None:
    """``future`` (the training table's columns) holds a row of every bottom series at each
    time of ``expected`` (:func:`_bottom_future`): else an error naming them by the ``ids``
    columns, as the user's table does (the nodes' own check named the internal node ids)."""
    keys = [*ids, schema.time]
    check_id_types(future, expected[ids], "the future table")
    have = future[keys].assign(**{schema.time: parse_like(future[schema.time], schema, "the future table")})
    want = expected[keys].assign(**{schema.time: parse_like(expected[schema.time], schema, "the future table")})
    merged = want.merge(have.drop_duplicates(), on=keys, how="left", indicator=True)
    missing = (merged["_merge"] == "left_only").to_numpy()
    if missing.any():
        examples = expected.loc[missing, keys].head(5).astype({schema.time: str}).to_dict("records")
        first = want.groupby(ids, sort=False)[schema.time].transform("min")
        early = missing & (first < first.max()).to_numpy()  # of series whose last target is earlier
        why = (f"; {int(early.sum())} of them are of series whose last target comes before the others' (a "
               "newest value missing?): they are forecast from their own end, a step or more earlier; give "
               "those rows, or their newest targets" if early.any() else "")
        raise DataValidationError(
            f"the future table lacks {int(missing.sum())} of the {len(expected)} rows of the bottom series' "
            f"next steps, for example {examples}: add them (make_future_frame() lists every row it needs){why}."
        )


def _check_future_values(fit: HierarchicalFit, future: pd.DataFrame, expected: pd.DataFrame, named) -> None:
    """An empty cell of a known-future column of ``future`` (:func:`future_table`'s: the bottom
    series' rows, each with the label of the user's row in ``GIVEN_ROW``) at a row of
    ``expected`` (:func:`_bottom_future`) is refused naming the rows of the user's table
    (their labels, an index named ``named``: a file's lines on the command line) by
    :func:`~tsauto.forecasting.validation.missing_future`, as without a hierarchy: the
    forecaster of all nodes named rows of the nodes' table, which the user never sees ('rows
    9, 21, 25' for row 326: review 54). Rolled up (``aggregate=``) a period is missing only
    where all its rows are: that check is left to the nodes'."""
    schema = fit.base.history_.schema
    if schema.aggregate is not None:
        return
    keys, known = [*fit.spec.ids, schema.time], list(fit.known_future)
    rows = future.assign(**{schema.time: parse_like(future[schema.time], schema, "the future table")})
    cells = expected[keys].assign(**{schema.time: parse_like(expected[schema.time], schema, "the future table")})
    held = cells.merge(rows[[*keys, *known]].drop_duplicates(keys), on=keys)  # a row lacking: _check_future_rows
    for col in known:
        lost = held[col].isna().to_numpy()
        if lost.any():
            raise missing_future(rows, held.loc[lost, keys], col, schema, named)


def check_nodes(spec: HierarchySpec, series) -> None:
    """``series`` (as :meth:`Forecaster.explain` takes it: a node id, a tuple of one, or a list
    of these) names nodes of ``spec``: else an error showing how nodes are named (with a
    hierarchy the model forecasts nodes, not the id columns' series)."""
    if series is None:
        return
    names = spec.nodes[spec.node_column]
    items = series if isinstance(series, list) else [series]
    asked = [k[0] if isinstance(k, tuple) and len(k) == 1 else k for k in items]
    unknown = [k for k in asked if not isinstance(k, str) or k not in set(names)]
    if not unknown:
        return
    examples = names.groupby(spec.nodes[spec.level_column], sort=False).first().tolist()
    bottom = [k for k in unknown if isinstance(k, tuple) and len(k) == len(spec.ids)]
    hint = "/".join(f"{c}={v}" for c, v in zip(spec.ids, bottom[0])) if bottom else None
    raise DataValidationError(
        f"series {shortlist(unknown)}: with hierarchy= the model forecasts the hierarchy's nodes, each "
        f"named by its level's columns as column=value joined by '/' (e.g. {shortlist(examples)})"
        + (f"; the bottom series {bottom[0]!r} is {hint!r}." if hint in set(names) else ".")
    )


def _warn_missing_bottom(spec: HierarchySpec, missing: np.ndarray) -> None:
    """Warn where ``history=`` lacks bottom series (``missing``: their positions): they are not
    forecast, and the nodes above them are forecast from the sums of the others."""
    if not missing.size:
        return
    names = spec.nodes[spec.node_column].to_numpy()
    above = np.unique(spec.membership[:-1, missing])
    log.warning(
        "%d of %d bottom series have no rows in history= (%s): they are not forecast, and the "
        "forecasts of the %d node(s) above them (%s) are of totals without them; give history= rows "
        "of every series for those totals to hold them", missing.size, spec.n_bottom,
        shortlist(names[spec.n_aggregates + missing]), above.size, shortlist(names[above]),
    )


def bottom_bounds(fit: HierarchicalFit, panel: Panel) -> Bounds:
    """The guards of a forecaster without hierarchy (``non_negative=``, ``discontinued=``,
    :mod:`~tsauto.forecasting.guards`) for every bottom series of ``fit.spec``, read off its
    node's history in ``panel`` (none for a series ``panel`` lacks, not forecast).

    Applied to the reconciled bottom series, then summed to every node
    (:meth:`Reconciler.transform`): reconciliation moved forecasts the guards had kept at zero
    (ols: two closed Walmart departments at -29 and -104, a q0.9 of 971). Not non-negative
    MinT (Wickramasuriya, Turlach & Hyndman 2020; hierarchicalforecast's
    ``MinTrace(nonnegative=True)``, a quadratic programme per step): a discontinued series is
    forecast exactly 0, which that programme does not state; bottom_up, top_down and
    middle_out have no ``W`` to weigh by; and the quantiles would need a programme per sample
    path (1,000 a step). Clip and sum is hierarchicalforecast's other way
    (``MinTraceSparse(nonnegative=True, qp=False)``): every level stays coherent, nothing moves
    where no bottom forecast is below zero, and an aggregate rises by what its series were
    raised by."""
    opts = as_options(fit.base.data, DataOptions, "data")
    task = fit.base.task_
    bounds = Guards(opts.non_negative, opts.discontinued).bounds(panel, task.season, task.horizon)
    spec = fit.spec
    at = pd.Index(panel.keys[spec.node_column]).get_indexer(spec.nodes[spec.node_column].iloc[spec.n_aggregates:])
    known = at >= 0
    return Bounds(known & bounds.zero[at], known & bounds.floor[at])
