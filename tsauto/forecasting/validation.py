"""The data contract: validate a long table once, at the door, and regularise it.

Input is one row per series and time step: a ``time`` column, a numeric ``target``, zero or more
``ids`` columns naming a series, ``known_future`` covariates, and any other columns, which are
inferred to be *static* covariates (constant within every series but for missing cells, which
take the series' value) or *past* covariates (used only through their lags), on the rows that
stay history (step 6: not the rows after each series' last target, such as the future's).

What :func:`validate` does, in order:

1. reads a CSV/Parquet path or takes a DataFrame; checks that the named columns exist and
   that each id column holds one type (the id 1 beside the label "1" would split a series);
   leaves out, with a warning, a column whose cells hold lists or dicts (JSON-like tags: no
   covariate reads them), refused where ``target``, ``time``, ``ids`` or ``known_future`` name it;
2. parses ``time``: integer steps (no calendar), integers written as dates (201001, 20100131;
   a few others among them are refused by row, not read as steps) or timestamps; time-zone
   aware stamps are converted to UTC and the zone is restored on output; dates outside pandas'
   nanosecond range (year 1, year 3000) are kept at second resolution, noted in the log and in
   the schema's ``calendar_note`` (:mod:`.calendar_time`); date strings written day-first
   or month-first (31/01/2012) are read in the order their values tell, which the schema keeps
   (``day_first``) for later tables (a future table of 07/09/2012 alone is read so);
3. checks ``target`` is numeric and finite (``inf`` is an error; ``NaN`` is a missing value;
   text such as ``"--"`` is an error naming its rows); reads a column of numbers with a few text
   cells (``"--"``, ``"unknown"``: the rule of :mod:`tsauto.core.text_in_numbers`, the tabular
   side's) as numbers, those cells missing, as empty ones are (filled in step 6), not as a
   categorical covariate whose levels are its numbers;
4. with ``aggregate=`` rolls rows up to ``freq`` (the target by sum/mean/min/max, a period
   without any target missing, not a sum of 0; numeric
   covariates by their mean, a flag becoming the share of rows it is set in; other covariates by
   their most frequent value); otherwise duplicate (series, time) rows are an error (rows that
   are exact copies of others are named as such, to be dropped: summed, they would count twice);
5. infers the frequency (or checks ``freq=``) and that every series lies on its grid (stamps
   on both the first and the last days of months, quarters or years are refused with the fixes);
6. inserts missing time steps and imputes the target by the ``fill`` rule:
   ``"interpolate"`` (default: linear between neighbours), ``"zero"`` (a missing step means
   nothing happened, as in sales) or ``"ffill"``; leading and trailing missing targets are
   dropped, so every series runs from its first to its last observation (rows after it, such as
   the future's rows of known covariates, are not read as history), except trailing ones under
   ``"zero"`` (no sales at the end: an item no longer sold);
   covariates are carried forward then backward within each series (a known-future column
   without a value in some series is refused: there is nothing to carry, and ``predict`` needs
   its values);
7. encodes categorical covariates with categories fixed at fit time (unseen → missing).

The result is a :class:`Panel`: all series concatenated in one flat array with ``indptr``
boundaries, plus the :class:`Schema` that later tables (``history=``, ``future=``) must follow.
The text rule is decided once, on the whole training table (:func:`text_numbers`), and the
parts of that table are read by that decision, not by their own share of text (``validate(...,
numbers=)``): a nested backtest's folds, the partitions of ``partition_by=``, the nodes of a
hierarchy, and a Dask DataFrame's partitions (whose counts of text, :func:`text_counts`, are
summed first: :func:`counted_numbers`). So a column of numbers is read as numbers in every
part (one without a text cell, whose number strings alone would read as labels, too), and a
column of labels as labels. A column numeric at fit reads the text cells of a later table as
missing values (:func:`read_numbers`): in a ``history=`` table (or a refit backtest fold's
rows) they are filled as at fit, with a warning naming them, where they are the rule's few
distinct values (in any share: the share was decided on the whole training table), and
refused naming them where more; in a ``future=`` table they are refused, naming them, as its
missing values are. 'True' and 'False' written as text (in any case) in such a column of a later
table are flags, as pandas reads a CSV column of them (:func:`read_flags`): a column of flags at
fit whose future values come as text.
"""

from __future__ import annotations

import logging
import numbers
import re
from calendar import month_abbr
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tsauto.core.arrays import ranges
from tsauto.core.exceptions import (
    LINE,
    POSITION,
    DataValidationError,
    close_match,
    describe_rows,
    number_format_hint,
    shortlist,
)
from tsauto.core.logfilter import unsaid
from tsauto.core.table_io import read_table, table_name
from tsauto.core.text_in_numbers import (
    MIXED_TEXT_LEVELS,
    MIXED_TEXT_SHARE,
    container_cells,
    containers_found,
    read_as_numbers,
    read_flags,
    text_among_numbers,
    text_cells,
    text_finding,
    text_values,
    types_found,
)
from tsauto.forecasting.calendar_time import (
    AS_STEPS,
    INTEGER_DATES,
    as_unit,
    calendar_note,
    infer_freq,
    integer_date_format,
    integer_dates_note,
    odd_integer_dates,
    parse_time,
    read_integer_dates,
    read_time,
    time_unit,
)
from tsauto.forecasting.features.holiday import holiday_dates
from tsauto.forecasting.frequency import freq_kind
from tsauto.forecasting.metrics import SEARCH_METRICS
from tsauto.forecasting.offsets import freq_alias, is_open, open_grid, open_period, shift, to_offset
from tsauto.forecasting.panel import (
    Panel,
    Schema,
    impute_targets,
    last_valid_index,
    output_times,
    segmented_bfill,
    segmented_ffill,
    series_labels,
)

log = logging.getLogger(__name__)
# what the target's fill says (once per table: see fill_notes_quiet)
INSERTED_NOTE = "inserted %d missing time steps (target imputed by %r)"
IMPUTED_NOTE = "imputed %d missing target values by the %r rule in %d series%s"


def fill_notes_quiet() -> AbstractContextManager:
    """A block whose validation does not log the target's fill: a table validated a second
    time (a hierarchy's bounds), or read for its rows alone (``make_future_frame(history=)``),
    where ``predict`` says it once."""
    return unsaid(IMPUTED_NOTE, INSERTED_NOTE)

Fill = Literal["interpolate", "zero", "ffill"]
Aggregate = Literal["sum", "mean", "min", "max"]
FILL_RULES = ("interpolate", "zero", "ffill")
AGGREGATES = ("sum", "mean", "min", "max")
MIN_TRAIN = 2  # observations the longest series needs before a backtest's oldest cutoff
ENDS_EARLY_FIX = (  # series that end before the table's last time, to forecast from its end
    "if they stopped, give them rows up to the table's end (target 0, or empty with "
    "data={'fill': 'zero'}, --fill zero); if not, drop them"
)


def validate(
    data: pd.DataFrame | str | Path,
    *,
    target: str,
    time: str,
    ids: Sequence[str] | str | None = None,
    known_future: Sequence[str] | None = None,
    freq: str | None = None,
    aggregate: Aggregate | None = None,
    fill: Fill = "interpolate",
    holidays: str | None = None,
    numbers: Collection[str] | None = None,
) -> Panel:
    """Validate and regularise a training table; see the module docstring for the rules.
    ``holidays``: the country or region whose public holidays daily rows may be closed on (a
    column of the table, the series' own countries, is not read here). ``numbers``: the
    columns read as numbers by the text rule, and no other, as decided on the whole table
    ``data`` is a part of (:func:`text_numbers`); None: decided on ``data``."""
    names_check(target, time, ids, known_future)
    ids_t = _as_tuple(ids)
    df = read_table(data, ids_t)  # a CSV's series codes '00079' as text
    kf = _as_tuple(known_future)
    if fill not in FILL_RULES:
        raise DataValidationError(f"fill={fill!r} is not a rule; use one of {FILL_RULES}.")
    if aggregate is not None and aggregate not in AGGREGATES:
        raise DataValidationError(
            f"aggregate={aggregate!r} is not supported; use one of {AGGREGATES}."
        )
    require_columns(df, [target, time, *ids_t, *kf], "the table")
    if target in ids_t or time in ids_t or target == time:
        raise DataValidationError(
            f"target {target!r}, time {time!r} and ids {list(ids_t)} must be different columns."
        )
    clash = [c for c in kf if c in {target, time, *ids_t}]
    if clash:
        raise DataValidationError(
            f"known_future= names {clash}, the target, time or id column(s): known-future "
            "covariates are other columns whose future values you know; remove them from it."
        )
    if df.empty:
        raise DataValidationError("the table has no rows: give at least one observation per series.")
    df = _drop_containers(row_labels(df), {target: "target=", time: "time=", **dict.fromkeys(ids_t, "ids="),
                                           **dict.fromkeys(kf, "known_future=")})
    _check_ids(df, ids_t)
    # a column of periods ("M", "W-FRI") is written back so; rolled up to another frequency
    # (aggregate=), as the timestamps that start the model's steps
    period = df[time].array.freqstr if isinstance(df[time].dtype, pd.PeriodDtype) and aggregate is None else None
    # zoned stamps rolled up to days or longer: by the local calendar, not UTC's (Melbourne
    # half-hours summed to days ran from 10:00 to 10:00 local)
    wall = True if aggregate is not None and freq is not None and freq_kind(_check_freq(freq)) not in (
        "minute", "hour") else None
    times, tz, day_first = read_time(df[time], time, wall)
    time_format = None if tz or pd.api.types.is_datetime64_any_dtype(times) else integer_date_format(times)
    if time_format:
        times = read_integer_dates(times, time_format, time)
    elif not pd.api.types.is_datetime64_any_dtype(times):
        _check_odd_integer_dates(df, times, time, ids_t)
    df[time] = times
    is_dates = pd.api.types.is_datetime64_any_dtype(times)
    note = integer_dates_note(time, time_format) if time_format else calendar_note(times, time) if is_dates else None
    df[target] = _numeric_target(df, target, ids_t, allow_nan=True, file=df.attrs.get("file"))
    cols = [c for c in df.columns if c not in {target, time, *ids_t}]
    decided = text_numbers(df, cols) if numbers is None else numbers
    read_numbers(df, [c for c in cols if c in decided], "the table")
    codes = _series_codes(df, ids_t)
    df = df.assign(__sid=codes).sort_values(["__sid", time], kind="stable")
    partial = None
    if aggregate is not None:
        df, partial = _aggregate(df, target, time, ids_t, freq, aggregate)
    check_duplicates(df, time, ids_t)
    _check_known_future(df, kf, ids_t, "the table")
    if holidays is not None and holidays in df.columns:
        _check_countries(df, holidays, ids_t)
    if is_dates:
        if freq is None:
            try:
                country = None if holidays is None or holidays in df.columns else holidays
                freq = infer_freq(df[time], df["__sid"].to_numpy(), country)
            except DataValidationError:  # an unknown holiday country, months on their 15th: named as such
                raise
            except ValueError as err:
                raise DataValidationError(
                    f"column {time!r}: {err}; pass freq= (for example freq='D')."
                ) from None
        else:
            freq = _check_freq(freq)
        step = 1
    else:
        if freq is not None:
            raise DataValidationError(
                f"column {time!r} holds integer steps, which have no calendar: drop freq={freq!r} "
                "or give timestamps."
            )
        step = _integer_step(df, time)
    others = [c for c in df.columns if c not in {target, time, "__sid", *ids_t, *kf}]
    history = df[history_rows(df, target, time, fill)]  # roles read on it, not on rows dropped
    static, past = _split_static(history, others)
    categories = {**_categories(df, [*kf, *past]), **_categories(history, static)}  # static: its values'
    schema = Schema(
        target=target,
        time=time,
        ids=ids_t,
        freq=freq,
        step=step,
        tz=tz,
        known_future=kf,
        past=tuple(past),
        static=tuple(static),
        categories=categories,
        fill=fill,
        time_unit=time_unit(times) if is_dates else "ns",
        calendar_note=note,
        time_format=time_format,
        aggregate=aggregate,
        period=period,
        text_ids=tuple(c for c in ids_t if _id_kind(df[c].dtype) == "label"),
        day_first=day_first,
    )
    df.attrs.pop("file", None)  # named in the errors above; not carried into the forecasts and the model
    panel = _regularise(df, schema)
    if partial is not None:
        panel.fills = replace(panel.fills, partial=partial[np.unique(df["__sid"].to_numpy())])
    log.info(
        "validated %d series, %d rows, frequency %s",
        panel.n_series,
        len(panel.y),
        schema.freq or f"integer step {schema.step}",
    )
    return panel


def validate_like(data: pd.DataFrame | str | Path, schema: Schema, part: bool = False) -> Panel:
    """Validate a newer table (``history=``) against the schema learned at fit time (rolled up
    to its frequency where the training table was, ``aggregate=``). ``part``: ``data`` is a
    part of the training table (a Dask partition), whose text cells the fit read already: read
    so again, logged at INFO, not warned of as a ``history=`` table's."""
    df = read_table(data, schema.ids, schema.text_ids)
    file = df.attrs.get("file")  # taken off df by table_name, named by the target's fix
    what = table_name(df, "the history table")
    require_columns(
        df,
        [schema.target, schema.time, *schema.ids, *schema.covariates, *schema.static],
        what,
        "Give it the columns of the training table.",
    )
    if df.empty:
        raise DataValidationError(f"{what} has no rows.")
    df = row_labels(df)
    _check_ids(df, schema.ids)
    df[schema.time] = parse_like(df[schema.time], schema, what)
    where = "" if part else f" of {what}"  # a part's rows are the training table's, named as validate() names them
    df[schema.target] = _numeric_target(df, schema.target, schema.ids, allow_nan=True, where=where, file=file)
    numeric = [c for c in (*schema.covariates, *schema.static) if c not in schema.categories]
    read_numbers(df, numeric, "the training table" if part else "the history table", later=True, warn=not part)
    df = df.assign(__sid=_series_codes(df, schema.ids)).sort_values(
        ["__sid", schema.time], kind="stable"
    )
    if schema.aggregate is not None:  # rolled up as the training table was
        df, _ = _aggregate(df, schema.target, schema.time, schema.ids, schema.freq, schema.aggregate)
    check_duplicates(df, schema.time, schema.ids, where)
    _check_known_future(df, schema.known_future, schema.ids, "the history table")
    return _regularise(df, schema, "the history table", later=True)


def future_covariates(
    future: pd.DataFrame | str | Path | None, panel: Panel, horizon: int, warn: bool = True,
    fitted: Panel | None = None,
) -> dict[str, np.ndarray]:
    """Known-future covariates for the next ``horizon`` steps: column → (n_series, horizon).

    ``future`` must hold, for every series and each of its next ``horizon`` time steps, one row
    with the id columns, time and every ``known_future`` column (or, for a model fitted with
    ``aggregate=``, rows within those steps, rolled up as the training table was), with a value
    in each: a missing one is refused, and so is text in a column numeric at fit (read as
    missing, as at fit; 'True' and 'False' are flags, :func:`read_flags`), naming the rows.
    ``warn``: a warning names the rows of series ``panel`` lacks (not forecast) and numbers far
    outside the range ``panel`` held, or ``fitted`` (the training panel, where ``panel`` is a
    ``history=`` table) (:func:`warn_unknown_series`, :func:`_warn_out_of_range`); off where
    ``panel`` is a part of the series forecast.
    """
    schema = panel.schema
    if not schema.known_future:
        return {}
    if future is None:
        fills = getattr(panel, "fills", None)
        trailing = fills is not None and fills.trailing is not None and fills.trailing.any()
        raise DataValidationError(
            f"known-future covariates {list(schema.known_future)} were used at fit: pass "
            f"future= (on the command line: --future FILE) with their values for the next "
            f"{horizon} steps of every series (make_future_frame(), or tsauto future-frame MODEL, gives "
            "its ids and times)."
            + (" The training table's rows after the last target of its series may be those: "
               "pass that table as future= too." if trailing else "")
        )
    given = row_labels(read_table(future, schema.ids, schema.text_ids))
    named = given.index.name  # LINE: the rows of a file read on the command line, named by their lines
    df = broadcast_future(given, panel.keys, schema.ids, schema.time, schema.known_future, labels=GIVEN_ROW)
    check_id_types(df, panel.keys, "the future table")
    df[schema.time] = parse_like(df[schema.time], schema, table_name(given, "the future table"))
    numeric = [c for c in schema.known_future if c not in schema.categories]
    held_flags = {c: panel.covariates[c].dropna().isin([0, 1]).all() for c in numeric}  # True/False, 1/0
    for col in numeric:
        df[col] = read_flags(df[col], among_others=held_flags[col])
    check_future_duplicates(df, [*schema.ids, schema.time], list(schema.known_future))
    rows = df  # the rows given, each with its label (GIVEN_ROW); read in place below, then rolled up
    if schema.aggregate is not None:  # the future's rows rolled up to periods, as at fit
        if warn:
            _warn_partial_periods(df, schema, panel.future_times(horizon))
        df[schema.time] = _bucket(df[schema.time].to_numpy(), schema.freq)
        for col in numeric:  # text as missing, left out of the mean as empty cells are
            df[col] = read_as_numbers(df[col])
        keys = [*schema.ids, schema.time]
        df = _roll_up(df, keys, list(schema.known_future)).reset_index()
    times = panel.future_times(horizon)
    grid = panel.keys.iloc[np.repeat(np.arange(panel.n_series), horizon)].reset_index(drop=True)
    grid[schema.time] = times.ravel()
    merged = grid.merge(
        df[[*schema.ids, schema.time, *schema.known_future]].drop_duplicates(
            [*schema.ids, schema.time]
        ),
        on=[*schema.ids, schema.time],
        how="left",
        indicator=True,
    )
    if warn:  # of the rows given (a store the model lacks: its rows per store were read for none),
        warn_unknown_series(given, panel.keys, [c for c in schema.ids if c in given.columns])  # first
    missing = merged["_merge"] != "both"
    if missing.any():
        bad = merged.loc[missing, [*schema.ids, schema.time]].head(5)
        stamps = output_times(bad[schema.time].to_numpy(), schema)
        bad[schema.time] = pd.Series(stamps).astype(str).to_numpy()  # '2019-03-01', not a repr
        bad = bad.to_dict("records")
        off_grid = _off_grid(df, merged, missing.to_numpy(), panel)
        needed, held = merged[schema.time], df[schema.time]
        elsewhere = len(held) == 0 == len(given) or len(held) > 0 and (
            held.max() < needed.min() or held.min() > needed.max())  # none of its times the forecast's
        covered = _covered_rows(df, panel) if len(held) and held.max() < needed.max() else 0
        period = (_other_period(held, needed, panel) if elsewhere and not off_grid
                  else _earlier_forecast(held, needed, panel, covered) if covered and not off_grid else "add them")
        raise DataValidationError(
            f"the future table lacks {int(missing.sum())} of the {len(merged)} (series, time) "
            f"rows needed for the next {horizon} steps, for example {bad}: "
            f"{off_grid or period + _early_ends(panel, missing.to_numpy(), horizon) + '.'}"
        )
    out = {}
    for col in schema.known_future:
        given = merged[col]
        text = text_cells(given) if col in numeric else np.zeros(len(given), dtype=bool)
        values = _encode_column(given.mask(text), col, schema.categories, "the future table")
        lost = given.isna().to_numpy() | text  # a label's NaN as a number's: not a category unseen at fit
        if lost.any():
            why, fix = "", "fill them in"
            if text.any():
                shown = shortlist(map(repr, dict.fromkeys(given[text].astype(str))))
                was, fix = ("held 1/0 or True/False", "give numbers or True/False there") if held_flags[col] else (
                    "was numeric", "give numbers there")
                why = f", where it holds the text {shown} (read as missing: the column {was} at fit)"
            raise missing_future(rows, merged.loc[lost, [*schema.ids, schema.time]], col, schema, named,
                                 col in numeric, why, fix + _early_ends(panel, lost, horizon, "with missing values"))
        out[col] = values.reshape(panel.n_series, horizon)
        if warn and col in numeric and not held_flags[col]:
            _warn_out_of_range(merged, col, panel, fitted)
    return out


def _warn_partial_periods(df: pd.DataFrame, schema: Schema, needed: np.ndarray) -> None:
    """A warning naming the periods of the horizon (``needed``, their times) whose rows the
    future table ``df`` of an ``aggregate=`` model covers only in part (half-hours of the last
    day up to 18:30: a day's mean temperature read from 38 of its 48 rows), with their rows and
    those of its full periods; they are rolled up all the same. The training table's partial
    periods are found alike (:func:`_partial_end_rows`), and dropped where summed.
    Not seen, so not warned of: a partial period of a series whose future rows lie in one period
    only (a horizon of 1: a series keeps at least one period), partial periods of rows on no
    grid, and rows missing inside a period (a day of the horizon without its 12:00 row): only
    whether a series' first and last periods run on to their ends, a step of the grid further,
    is checked."""
    sid = _series_codes(df, schema.ids)
    times = df[schema.time].to_numpy()
    order = np.lexsort((times, sid))
    sid, times = sid[order], times[order]
    periods = _bucket(times, schema.freq)
    partial = _partial_end_rows(sid, times, periods, schema.freq)
    if not partial.any():
        return
    rows = pd.DataFrame({"sid": sid, "period": periods, "partial": partial})
    counts = rows.groupby(["sid", "period", "partial"], sort=True).size().reset_index(name="rows")
    full = counts[~counts["partial"]].groupby("sid")["rows"].max()
    short = counts[counts["partial"] & counts["period"].isin(needed.ravel())]
    if short.empty:
        return
    first = np.r_[True, sid[1:] != sid[:-1]]
    keys = df.iloc[order[first]][list(schema.ids)].set_axis(sid[first])
    said = [f"{_times_text(np.array([r.period]), schema)}"
            + (f" in series {keys.loc[r.sid].to_dict()}" if schema.ids else "")
            + f": {r.rows}" + (f" of {full[r.sid]}" if r.sid in full.index else "") + " rows"
            for r in short.itertuples()]
    log.warning(
        "the future table holds only part of the rows of %s of the forecast (%s): a period's known-future "
        "values are rolled up from the rows it holds; give all of them",
        f"{len(short)} {schema.freq!r} periods" if len(short) > 1 else f"a {schema.freq!r} period",
        shortlist(said, 3),
    )


GIVEN_ROW = "__given_row"  # the label of the row of the user's future table a row comes from (broadcast_future)


def missing_future(
    rows: pd.DataFrame, cells: pd.DataFrame, col: str, schema: Schema, named: Hashable, numeric: bool = False,
    why: str = "", fix: str = "fill them in",
) -> DataValidationError:
    """The error for the ``cells`` of the future grid (their ids and time, as ``schema`` reads
    the time) where known-future column ``col`` is missing (or text, where ``numeric``; ``why``
    says so), named by the rows of the user's future table behind them (:func:`_given_rows`),
    by their times and by the series of ``cells``; ``fix`` ends it. A hierarchy's refusal
    (:mod:`~tsauto.forecasting.hierarchy.fitting`) names the user's rows by it too: the table
    the forecaster of all nodes reads is one the user never gave (review 54)."""
    at = _given_rows(rows, cells, col, numeric, named)
    return DataValidationError(
        f"column {col!r} of the future table is missing at {describe_rows(at.index)} "
        f"({_times_text(pd.unique(at[schema.time].to_numpy()), schema)})"
        f"{_series_of(cells, cells.index, tuple(c for c in cells.columns if c != schema.time))}{why}: "
        f"known-future covariates need a value at every future step; {fix}."
    )


def _given_rows(rows: pd.DataFrame, cells: pd.DataFrame, col: str, numeric: bool, named: Hashable) -> pd.DataFrame:
    """The rows of the user's future table behind the future grid's ``cells`` (their ids and
    time) where ``col`` is missing (or text, where ``numeric``), in their order, indexed by
    their labels (:func:`given_once`): ``rows`` are the table's rows, each with its label
    (``GIVEN_ROW``), those of a period where rolled up. Row 80 of the grid, sorted by series
    and time, was no row a user could find (user test 56)."""
    keys = list(cells.columns)
    hit = rows[[*keys, col, GIVEN_ROW]].merge(cells.drop_duplicates(), on=keys)
    bad = hit[col].isna().to_numpy() | (text_cells(hit[col]) if numeric else False)
    return given_once(hit[bad] if bad.any() else hit, named)


def given_once(rows: pd.DataFrame, named: Hashable) -> pd.DataFrame:
    """``rows`` (of a table :func:`broadcast_future` read, each with the label of the user's
    row it comes from in ``GIVEN_ROW``) indexed by those labels, named ``named`` (``LINE``, a
    file's lines, as errors name them), in their order, each once: a row read for several
    series is one row of the user's."""
    rows = rows.drop_duplicates(GIVEN_ROW).sort_values(GIVEN_ROW)
    return rows.set_index(pd.Index(rows.pop(GIVEN_ROW), name=named))


def broadcast_future(
    df: pd.DataFrame, keys: pd.DataFrame, ids: Sequence[str], time: str, known: Sequence[str],
    labels: str | None = None,
) -> pd.DataFrame:
    """A future table ``df`` with every id column: where it holds its values per some of the
    ids (Walmart's features.csv: temperature and fuel price per Store and Date, the sales per
    Store and Dept) or per time alone, each row stands for every series of ``keys`` with its
    ids (it was refused for lacking Dept). Rows that share those ids and a time must agree;
    an id column spelled like one of the table's is refused as a misspelling, not broadcast.
    ``labels``: a column added holding the label of the row of ``df`` each row comes from."""
    fix = (f"Give it the id and time columns and every known-future column {list(known)}"
           " (make_future_frame(), or tsauto future-frame MODEL, lists its rows); a table lacking some id "
           "columns (values per store, for series of stores and departments) gives its values to each series.")
    require_columns(df, [time, *known], "the future table", fix)
    lacking = [c for c in ids if c not in df.columns]
    for col in lacking:
        if hint := close_match(col, [c for c in df.columns if c not in {time, *known}]):
            raise DataValidationError(f"the future table has no id column {col!r}{hint}. {fix}")
    if labels is not None:
        df = df.assign(**{labels: df.index.to_numpy()})
    if not lacking:
        return df
    given = [c for c in ids if c in df.columns]
    check_future_duplicates(df, [*given, time], list(known))
    series = keys[list(ids)].drop_duplicates()
    if given:
        check_id_types(df, series[given], "the future table")
    out = df.merge(series, on=given, how="inner") if given else df.merge(series, how="cross")
    log.info("the future table's rows per %s are read for each of their series (%s)",
             "/".join(map(str, given)) or str(time), ", ".join(map(str, lacking)))
    return out


UNKNOWN_SERIES_WARNING = (  # a hierarchy says it in its bottom series' terms, not the nodes'
    "the future table holds rows of %d series the forecast does not include, for example %s: "
    "their rows are not read and they get no forecast (a series needs rows in history=, or "
    "in the training data without it)"
)


def warn_unknown_series(future: pd.DataFrame, forecast: pd.DataFrame, ids: Sequence[str]) -> None:
    """A warning naming the series of ``future`` whose ``ids`` are none of the ``forecast``
    keys: their rows are not read, and they get no forecast (a misspelt id, or a new product
    whose history the model has not seen)."""
    ids = list(ids)
    if not ids:
        return
    keys = future[ids].drop_duplicates()
    known = forecast[ids].drop_duplicates()
    unknown = keys.merge(known, on=ids, how="left", indicator=True)["_merge"].to_numpy() == "left_only"
    if unknown.any():
        log.warning(UNKNOWN_SERIES_WARNING, int(unknown.sum()), _name_series(keys[unknown], 3),
        )


OUT_OF_RANGE_SPANS = 1.0  # future values further than this many widths of the history's range beyond it


def _warn_out_of_range(merged: pd.DataFrame, col: str, panel: Panel, fitted: Panel | None = None) -> None:
    """A warning where the numbers of known-future column ``col`` in the future grid
    (``merged``) lie further outside the range the history held than its width
    (``OUT_OF_RANGE_SPANS``; a history constant at c: its size, |c|): a unit or scale changed
    (cents for dollars, kW for W); a tree model reads such values as the nearest ones it saw.
    The history is ``panel`` and the training data ``fitted`` (a short ``history=`` read as
    given judged Walmart's fuel prices of November, 3.21 to 3.39, by October's 3.51 to 3.62)."""
    seen = pd.concat([pd.to_numeric(p.covariates[col], errors="coerce") for p in (panel, fitted)
                      if p is not None and col in p.covariates.columns]).dropna()
    given = pd.to_numeric(merged[col], errors="coerce")
    if seen.empty or given.isna().all():
        return
    lo, hi = float(seen.min()), float(seen.max())
    span = (hi - lo or max(abs(lo), abs(hi))) * OUT_OF_RANGE_SPANS  # constant before: its size
    if span == 0:
        return
    far = ((given < lo - span) | (given > hi + span)).to_numpy()
    if far.any():
        log.warning(
            "known-future column %r of the future table holds %d values far outside the range of "
            "the history [%.6g, %.6g] (from %.6g to %.6g)%s: are the units the same? Models "
            "read values beyond what they saw as the nearest they saw",
            col, int(far.sum()), lo, hi, float(given[far].min()), float(given[far].max()),
            _series_of(merged, merged.index[far], panel.schema.ids),
        )


def _early_ends(panel: Panel, missing: np.ndarray, horizon: int, what: str = "lacking rows") -> str:
    """Where series of the ``missing`` cells of the future grid (``horizon`` a series; those
    ``what``: lacking rows, missing values) end before the table's last time: how many, that
    each is forecast from its own end, where the rows needed are listed, and the fixes that
    forecast them from the table's end instead; else ''."""
    lacking = np.unique(np.flatnonzero(missing) // horizon)
    ends = panel.last_times
    early = int(np.sum(ends[lacking] < ends.max()))
    if not early:
        return ""
    return (
        f" ({early} of the series {what} end before the table's last time step: each is forecast "
        "from its own end, so its rows come at earlier times (data check ends_early); "
        "make_future_frame(), on the command line tsauto future-frame MODEL, lists every row "
        f"needed. To forecast them from the table's end instead: {ENDS_EARLY_FIX} from the training table)"
    )


def _other_period(given: pd.Series, needed: pd.Series, panel: Panel) -> str:
    """Where none of the future table's rows is one the forecast needs: the times the forecast
    runs over (from one step after the history's end), the times the table's rows run over,
    and which lies before the other, and the fix ('none of its rows is one of them (...): give
    rows at the forecast's times (...)'; its end is the caller's). A future table
    of the week before gave only 'lacks 336 of the 336 rows' (user test 46)."""
    schema = panel.schema
    first, last = needed.min(), needed.max()
    text = f"none of its rows is one of them ({_forecast_span(needed, panel)}; "
    fix = "): give rows at the forecast's times (make_future_frame(), or tsauto future-frame MODEL, lists them)"
    if not len(given):
        return text + "the table has no rows" + fix
    low, high = given.min(), given.max()
    where = (", all before the forecast starts" if high < first else ", all after the forecast ends" if low > last
             else "")
    return text + f"the table's rows run from {_time_text(low, schema)} to {_time_text(high, schema)}{where}" + fix


def _forecast_span(needed: pd.Series, panel: Panel) -> str:
    """The times the forecast runs over (``needed``: those of its future rows), in words."""
    schema, ends = panel.schema, panel.last_times
    first, last = needed.min(), needed.max()
    if ends.min() == ends.max():
        return (f"the forecast starts at {_time_text(first, schema)}, one step after the history's last time "
                f"{_time_text(ends.max(), schema)}, and ends at {_time_text(last, schema)}")
    return (f"the forecast runs from {_time_text(first, schema)} to {_time_text(last, schema)}, each series "
            "starting one step after its own last time")


def _covered_rows(future: pd.DataFrame, panel: Panel) -> int:
    """How many rows of the future table lie at or before their series' last time in ``panel``
    (times the history holds already)."""
    s = panel.schema
    last = pd.Series(panel.last_times)
    if s.ids:
        last = future[list(s.ids)].merge(panel.keys.assign(_last=panel.last_times), on=list(s.ids), how="left")["_last"]
    else:
        last = pd.Series(np.repeat(panel.last_times[:1], len(future)))
    ok = last.notna().to_numpy()
    return int(np.count_nonzero(future[s.time].to_numpy()[ok] <= last.to_numpy()[ok].astype(panel.times.dtype)))


def _earlier_forecast(given: pd.Series, needed: pd.Series, panel: Panel, covered: int) -> str:
    """Where the future table ends before the forecast (``needed``: its times) and ``covered`` of
    its rows lie at times the history holds already: it was made for an earlier forecast (last
    week's, before the newest rows came in history=); what it covers, what the forecast needs,
    and the fix. User test 59: 'lacks 215 of the 1816 rows: add them', for a table one week behind."""
    schema = panel.schema
    return (f"the table is for an earlier forecast ({covered} of its rows are at times the history holds already, "
            f"and its times end at {_time_text(given.max(), schema)}, while {_forecast_span(needed, panel)}): "
            "make one for this "
            "history with Forecaster.make_future_frame(history=...), on the command line tsauto future-frame "
            "MODEL --history FILE, and fill in its covariates")


def _time_text(value: object, schema: Schema) -> str:
    """One internal time as the user writes it (zone, integer dates), as the rows of an error
    show theirs ('2012-11-02', not '2012-11-02 00:00:00')."""
    return str(pd.Series(output_times(np.asarray([value]), schema)).astype(str).iloc[0])


def _off_grid(future: pd.DataFrame, grid: pd.DataFrame, missing: np.ndarray, panel: Panel) -> str:
    """Why the future table lacks rows (``missing`` of the ``grid`` of series and times it
    needs), where it holds rows of those series after their last time and up to their last
    step, at times off the fit's grid (a weekly W-FRI model given Thursdays): those times, the
    expected ones and the fix; else ''."""
    schema = panel.schema
    ids, time = list(schema.ids), schema.time
    steps = grid[time].to_numpy().reshape(panel.n_series, -1)
    spans = panel.keys.assign(__after=panel.last_times, __until=steps[:, -1])
    lacking = spans.iloc[np.unique(np.flatnonzero(missing) // steps.shape[1])]
    rows = future[[*ids, time]].merge(lacking, on=ids) if ids else future[[time]].merge(lacking, how="cross")
    rows = rows[(rows[time] > rows["__after"]) & (rows[time] <= rows["__until"])]
    on = rows[[*ids, time]].merge(grid[[*ids, time]], how="left", indicator=True)["_merge"] == "both"
    off = rows[time].to_numpy()[~on.to_numpy()]
    if not off.size:
        return ""
    return (
        f"its rows at {_times_text(np.unique(off), schema)} are not on the model's "
        f"{_grid_name(schema)} grid; expected {_times_text(np.unique(grid.loc[missing, time]), schema)}: "
        "move them to the grid's times (make_future_frame() lists them)."
    )


def _times_text(times: np.ndarray, schema: Schema, limit: int = 3) -> str:
    """The first ``limit`` of ``times`` as the user writes them, dates with their weekday."""
    stamps = output_times(times, schema)
    text = pd.Series(stamps).astype(str).tolist()
    if isinstance(stamps, pd.DatetimeIndex):
        text = [f"{t} ({day})" for t, day in zip(text, stamps.day_name())]
    return shortlist(text, limit)


def _grid_name(schema: Schema) -> str:
    """The fit's grid in words: ``'W-FRI'``, or ``integer step 1``."""
    return repr(schema.freq) if schema.freq is not None else f"integer step {schema.step}"


def is_flag(col: pd.Series) -> bool:
    """A bool column, or one of ``True``/``False`` with gaps (object dtype)."""
    if pd.api.types.is_bool_dtype(col):
        return True
    return col.dtype == object and col.notna().any() and col.dropna().isin([True, False]).all()


def row_labels(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the row labels errors name: its own where they are unique integers (the
    rows of the user's table, also inside a partition or a Dask partition), else positions,
    named so (``POSITION``: "position 24", not a "row 24" read as a label)."""
    if df.index.is_unique and pd.api.types.is_integer_dtype(df.index):
        return df.copy()
    return df.reset_index(drop=True).rename_axis(POSITION)


def check_id_types(table: pd.DataFrame, fitted: pd.DataFrame, what: str) -> None:
    """Each id column of ``table`` holds the kind of value the fit's keys (``fitted``) hold
    (numbers, times or labels): the id 1 never matches the label "1", so no series would."""
    for col in fitted.columns:
        new, old = table[col].dtype, fitted[col].dtype
        if _id_kind(new) != _id_kind(old):
            codes = fitted[col].astype(str)
            padded = codes.str.match(r"0\d").any() and codes.str.fullmatch(r"\d+").all()
            widths = codes.str.len().unique()
            fix = (f"the fit's codes are written with leading zeros ({codes.iloc[0]!r}): "
                   + (f"write this table's so (.astype(str).str.zfill({widths[0]}))" if len(widths) == 1 else
                      f"read this table's as text (pd.read_csv(..., dtype={{{col!r}: str}})) where its file keeps "
                      f"them; the codes are {min(widths)} to {max(widths)} digits long")
                   if padded and _id_kind(new) == "number" else f"Cast it to the fit's type (.astype('{old}'))")
            raise DataValidationError(
                f"id column {col!r} of {what} holds {new} values, the training data {old}: no "
                f"series would match. {fix[0].upper()}{fix[1:]}."
            )


def _id_kind(dtype) -> str:
    """``"number"``, ``"time"`` or ``"label"``: ids of one kind can match, of two kinds never do."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return "number"
    return "time" if pd.api.types.is_datetime64_any_dtype(dtype) else "label"


def check_future_duplicates(df: pd.DataFrame, keys: list[str], columns: list[str]) -> None:
    """Rows of the future table for the same series and time must agree on every known-future
    column (which of two values to take cannot be guessed; identical copies are harmless)."""
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return
    rows = df[dup]
    differ = rows.groupby(keys, dropna=False)[columns].nunique(dropna=False).gt(1).any(axis=1)
    if differ.any():
        clash = rows[rows.set_index(keys).index.isin(differ.index[differ])]
        pair = clash.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
        first = df.loc[[clash.index[0]], keys]
        dates = [c for c in keys if pd.api.types.is_datetime64_any_dtype(first[c])]
        first = first.astype(dict.fromkeys(dates, str)).to_dict("records")[0]  # ids as given, 1 not '1'
        pairs = "a (series, time) pair" if pair.max() == 0 else f"{pair.max() + 1} (series, time) pairs"
        raise DataValidationError(
            f"the future table has {len(clash)} rows that share {pairs} with different known-future "
            f"values, e.g. {first} at "
            f"{describe_rows(clash.index[pair == pair[0]])}: keep one row per series and time step."
        )


def parse_like(col: pd.Series, schema: Schema, what: str) -> pd.Series:
    """The time column of a later table, of the kind seen at fit (integer steps, naive stamps
    or stamps with a time zone) and in the fit's unit; naive stamps are never read as UTC;
    integers are dates where the training table wrote its dates so (201001)."""
    if isinstance(col.dtype, pd.PeriodDtype) and schema.period is None and schema.freq is not None:
        col = _grid_stamps(col, schema.freq)
    wall = schema.tz.startswith("wall:") if schema.tz else None
    try:
        times, tz = parse_time(col, schema.time, wall, schema.tz[5:] if wall else None, schema.day_first)
    except DataValidationError as err:  # which table's time column
        named = f"time column {schema.time!r}"
        text = str(err)
        raise DataValidationError(
            text.replace(named, f"{named} of {what}", 1) if named in text else f"{what}: {text}"
        ) from None
    if schema.time_format and pd.api.types.is_integer_dtype(times):
        times = read_integer_dates(times, schema.time_format, schema.time)
    is_dates = pd.api.types.is_datetime64_any_dtype(times)
    if (tz is None) != (schema.tz is None) or (schema.freq is None) == is_dates:
        raise DataValidationError(
            f"column {schema.time!r} of {what} holds {_time_kind(is_dates, tz)}; the model was "
            f"fitted on {_time_kind(schema.freq is not None, schema.tz)}: give the same kind "
            f"(make_future_frame() shows it{_zone_hint(tz, schema.tz) if is_dates else ''})."
        )
    return as_unit(times, schema.time_unit, schema.time, what) if is_dates else times


def _grid_stamps(periods: pd.Series, freq: str) -> pd.Series:
    """Periods given to a model fitted on stamps, each by the stamp of the fit's ``freq`` grid
    it holds: its first day (month starts, Monday weeks), else its last (Friday stamps given as
    'W-FRI' weeks, which were read at their Saturday start and refused as off the grid)."""
    try:
        on_grid = to_offset(freq).is_on_offset
    except (ValueError, TypeError, AttributeError):  # a calendar of open hours: by the first instant
        return periods
    for stamps in (periods.dt.start_time, periods.dt.end_time.dt.normalize()):
        if all(on_grid(t) for t in stamps.dropna().unique()):
            return stamps
    return periods


TextCounts = dict[str, tuple[int, dict[str, int]]]  # column → (known cells, cells of each text value)


def text_counts(df: pd.DataFrame, cols: Sequence[str]) -> TextCounts:
    """What the text rule reads of each of ``cols`` of ``df``: its known cells and the cells
    of each of its text values (none in a column of numbers, flags or dates; a ``category``
    column, which holds labels, is left out). Summed over the parts of a table (a Dask
    DataFrame's partitions), they give the rule's decision on the whole
    (:func:`counted_numbers`)."""
    out = {}
    for col in cols:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or container_cells(s).any():  # labels; lists (left out)
            continue
        text = s[text_cells(s)].astype(str).value_counts(sort=False)
        out[col] = (int(s.notna().sum()), {str(k): int(v) for k, v in text.items()})
    return out


def counted_numbers(parts: Iterable[TextCounts]) -> tuple[str, ...]:
    """The columns of numbers but for a few text cells in the table whose parts ``parts``
    counted (:func:`text_counts`): the rule of
    :func:`~tsauto.core.text_in_numbers.text_among_numbers` on their sums (at most
    ``MIXED_TEXT_SHARE`` of the known cells text, of its few distinct values, none a number
    written in a format)."""
    known: Counter = Counter()
    text: dict[str, Counter] = {}
    for part in parts:
        for col, (n, values) in part.items():
            known[col] += n
            text.setdefault(col, Counter()).update(values)
    return tuple(
        col for col, values in text.items()
        if values and values.total() <= MIXED_TEXT_SHARE * known[col]
        and text_among_numbers(pd.Series(sorted(values), dtype=object), 1.0) is not None
    )


def text_numbers(df: pd.DataFrame, cols: Sequence[str]) -> tuple[str, ...]:
    """Of ``cols``, the columns of ``df`` of numbers but for a few text cells, which
    :func:`validate` reads as numbers (the rule of :mod:`tsauto.core.text_in_numbers`).
    Decided on the whole training table and passed to the fits of its parts (``numbers=``),
    whose own share of text differs."""
    return counted_numbers([text_counts(df, cols)])


def read_numbers(
    df: pd.DataFrame, cols: Sequence[str], what: str, later: bool = False, warn: bool = True
) -> None:
    """Read each of ``cols`` of ``df`` as numbers, its text cells missing (then handled as the
    column's empty cells: filled within each series, step 6): at fit, the columns
    :func:`text_numbers` decided (those of a part of the table too, which may hold no text).
    ``later``: ``df`` is a later table (``history=``, the rows of a refit backtest's fold)
    whose ``cols`` were numbers at fit; its text, which may make up any share of its values,
    is read so with a warning (``warn``; else at INFO) where it is the rule's few distinct
    values, and refused naming them where more (a column of flags is left as it is, one of
    'True' and 'False' as text read as flags: :func:`read_flags`)."""
    for col in cols:
        if later:
            df[col] = read_flags(df[col])
        s = df[col]
        if pd.api.types.is_numeric_dtype(s):
            continue
        cells = text_cells(s)
        if later and not cells.any() and is_flag(s):
            continue
        if cells.any():
            found = f"{text_finding(s, text_values(s))} ({describe_rows(df.index[cells])})"
            if not later:
                log.info("column %r: %s: read as numbers, the text as missing values", col, found)
            elif text_among_numbers(s, 1.0) is None:
                raise _not_numbers(s, df.index[cells], col, what)
            else:
                log.log(logging.WARNING if warn else logging.INFO, "column %r of %s: %s: read as missing "
                        "values (the column was numeric at fit), as its empty cells are; give numbers there",
                        col, what, found)
        df[col] = read_as_numbers(s)


def refuse_text(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    """Refuse text in ``cols`` of ``df``, a ``future=`` table whose ``cols`` were numbers at
    fit (read as missing values, which known-future covariates may not hold), naming its rows
    and values (the nodes of a hierarchy are aggregated from its rows: errors name those);
    'True' and 'False' are flags (:func:`read_flags`); a column it lacks is refused first."""
    require_columns(df, cols, what, "Give it every known-future column (make_future_frame() lists its rows).")
    for col in cols:
        cells = text_cells(read_flags(df[col]))
        if cells.any():
            shown = shortlist(map(repr, dict.fromkeys(df.loc[cells, col].astype(str))))
            raise DataValidationError(
                f"column {col!r} of {what} holds the text {shown} at {describe_rows(df.index[cells])} "
                "(read as missing: the column was numeric at fit): known-future covariates need a "
                "value at every future step; give numbers there."
            )


def _zone_hint(given: str | None, fitted: str | None) -> str:
    """The command line's way to the fit's kind of stamps: ``--tz`` reads naive ones in its zone."""
    if fitted is not None and given is None:
        return f"; on the command line, --tz {fitted.removeprefix('wall:')} reads naive stamps as its local times"
    return "; on the command line, leave --tz out" if fitted is None and given is not None else ""


def _time_kind(is_dates: bool, tz: str | None) -> str:
    if not is_dates:
        return "integer steps"
    if tz is None:
        return "time stamps without a time zone"
    return f"time stamps in time zone {tz.removeprefix('wall:')}"


# --------------------------------------------------------------------------------------------
# checks


def _as_tuple(cols: Sequence[str] | str | None) -> tuple[str, ...]:
    if cols is None:
        return ()
    if isinstance(cols, str):
        return (cols,)
    if not isinstance(cols, Iterable):
        raise DataValidationError(
            f"column names must be a name or a list of names, got {cols!r}: e.g. "
            "ids=['store', 'item']."
        )
    return tuple(cols)


def names_check(target: object, time: object, ids: object = None, known_future: object = None) -> None:
    """``target=`` and ``time=`` each name one column, and each entry of ``ids=`` and
    ``known_future=`` one column (a list given as target= is a wide table: say how to make it
    long)."""
    ids_t, kf = _as_tuple(ids), _as_tuple(known_future)
    if not _is_name(target):
        listed = _names_in(target)
        if len(listed) > 1 and _is_name(time):
            raise DataValidationError(
                f"target= takes one column name, got {listed!r}: to forecast several columns, melt "
                f"the table to long format (df = df.melt(id_vars={[time, *ids_t, *kf]!r}, value_vars="
                f"{listed!r}, var_name='variable', value_name='value')) and pass "
                f"ids={[*ids_t, 'variable']!r}, target='value'."
            )
        raise DataValidationError(
            f"target= takes one column name, that of the values to forecast; got {target!r}"
            f"{f': give target={listed[0]!r}' if len(listed) == 1 else ''}."
        )
    if not _is_name(time):
        listed = _names_in(time)
        raise DataValidationError(
            f"time= takes one column name, that of the time stamps or integer steps; got {time!r}"
            f"{f': give time={listed[0]!r}' if len(listed) == 1 else ''}."
        )
    for arg, names in (("ids", ids_t), ("known_future", kf)):
        odd = [n for n in names if not _is_name(n)]
        if odd:
            flat = [m for n in names for m in ([n] if _is_name(n) else _names_in(n))]
            fix = f"{arg}={flat!r}" if all(map(_is_name, flat)) and flat else "a list of names"
            raise DataValidationError(
                f"{arg}= takes a list of column names, but holds {odd[0]!r}: give {fix}."
            )


def _names_in(value: object) -> list:
    """The column names a list-like ``value`` holds (``[]`` for anything else)."""
    if isinstance(value, (list, tuple, pd.Index, np.ndarray)) and all(map(_is_name, value)):
        return pd.Index(value).tolist()  # 'OT', not np.str_('OT')
    return []


def _is_name(value: object) -> bool:
    """Whether ``value`` can name one column: hashable, neither None nor a list of names."""
    return value is not None and isinstance(value, Hashable) and not isinstance(value, tuple)


def require_columns(
    df: pd.DataFrame,
    cols: Sequence[str],
    what: str,
    fix: str = "Check the target=, time=, ids= and known_future= names.",
) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        first = str(missing[0])
        parts = [p.strip() for p in first.split(",")]
        listed = len(parts) > 1 and all(p in df.columns for p in parts)
        indexed = [c for c in missing if c in df.index.names]
        if listed:
            hint = f" (a list of names: {parts!r}?)"
        elif indexed:
            hint = (f" ({shortlist(map(repr, indexed))} {'is' if len(indexed) == 1 else 'are'} the table's "
                    f"index{' levels' if len(indexed) > 1 else ''}: df.reset_index() makes "
                    f"{'it a column' if len(indexed) == 1 else 'them columns'})")
        else:
            hint = close_match(first, df.columns)
        raise DataValidationError(
            f"{what} has no column {', '.join(map(repr, missing))}{hint}; its columns are "
            f"{list(map(str, df.columns))[:20]}. {fix}"
        )


def _drop_containers(df: pd.DataFrame, named: dict[str, str]) -> pd.DataFrame:
    """``df`` without the columns whose cells hold several values (lists, dicts: JSON-like
    tags), which no covariate reads, with a warning naming each; one ``named`` (column → the
    argument naming it, ``"known_future="``) is refused."""
    found = {c: cells for c in df.columns if (cells := container_cells(df[c])).any()}
    for col, cells in found.items():
        what = containers_found(df[col], cells)
        fix = f"explode or encode it into columns of one value each (df.explode({col!r}), pd.json_normalize)"
        if col in named:
            raise DataValidationError(
                f"column {col!r}, given as {named[col]}, holds {what}: not one value per cell, so "
                f"it cannot be used there; {fix}."
            )
        log.warning("column %r holds %s: not usable as a covariate, so it is left out; %s, or drop it",
                    col, what, fix)
    return df.drop(columns=list(found))


def _check_ids(df: pd.DataFrame, ids: tuple[str, ...]) -> None:
    require_values(df, ids, "id column", "its series")
    for col in ids:
        _one_id_kind(df[col], col)


def _one_id_kind(s: pd.Series, col: str) -> None:
    """An id column holds one kind of value (numbers, times or labels, :func:`_id_kind`): the
    id 1 and the label "1" (an old extract concatenated with one read as text) would name two
    series, and a later table read from a file, all text, would match only the labels."""
    if s.dtype != object or pd.api.types.infer_dtype(s, skipna=True) not in ("mixed", "mixed-integer"):
        return
    types = s.map(type)
    first = {t: s[types == t].iloc[0] for t in types.unique()}
    kinds = types.map({t: _id_kind(pd.Series([v]).dtype) for t, v in first.items()})
    if kinds.nunique() < 2:
        return
    found = types_found(s)
    numbers, labels = s[kinds == "number"], pd.Series(pd.unique(s[kinds == "label"]), dtype=object)
    as_numbers = pd.to_numeric(labels.astype(str).str.strip(), errors="coerce")
    same = as_numbers.isin(numbers.unique())
    why = "ids of different types never name the same series"
    if same.any():
        number = numbers[numbers == as_numbers[same].iloc[0]].iloc[0]
        why = f"{number!r} and {labels[same].iloc[0]!r} would be two series"
    cast = f"pd.to_numeric(df[{col!r}])" if labels.size and as_numbers.notna().all() else f"df[{col!r}].astype(str)"
    raise DataValidationError(
        f"id column {col!r} mixes types: {found}; {why}: cast it to one type (df[{col!r}] = {cast})."
    )


def require_values(df: pd.DataFrame, cols: Sequence[str], role: str, names: str, where: str = "") -> None:
    """Every row of ``df`` holds a value in each of ``cols``, the ``role`` columns (``"id
    column"``) that name ``names`` (``"its series"``); ``where``: which table, in the error."""
    for col in cols:
        bad = df.index[df[col].isna()]
        if len(bad):
            raise DataValidationError(
                f"{role} {col!r}{where} is missing at {describe_rows(bad)}: every row must name "
                f"{names}; fill or drop those rows."
            )


def _check_known_future(df: pd.DataFrame, cols: Sequence[str], ids: tuple[str, ...], what: str) -> None:
    """Refuse a known-future column without a value in some series: filling within a series has
    nothing to carry there, so it would stay missing while predict() demands its values (in
    every series: a column with nothing to learn from)."""
    sid = df["__sid"]
    for col in cols:
        given = df[col].notna().groupby(sid, sort=True).any()
        if given.all():
            continue
        if not given.any():
            raise DataValidationError(
                f"known-future column {col!r} of {what} is missing in every row: there is nothing "
                "to learn from it or to fill it with. Give its values, or leave it out of known_future=."
            )
        rows = df.index[sid.isin(given.index[~given]).to_numpy()]
        raise DataValidationError(
            f"known-future column {col!r} of {what} is missing in every row of "
            f"{int((~given).sum())} series, {_name_series(df.loc[rows, list(ids)].drop_duplicates(), 3)} "
            f"({describe_rows(rows)}): filling within a series has nothing to carry there. Give "
            "their values (0 or False where a missing value means none), drop those series, or "
            "leave the column out of known_future=."
        )


def _check_countries(df: pd.DataFrame, column: str, ids: tuple[str, ...]) -> None:
    """Every code of the column naming each series' country (``holidays=column``) is one the
    holidays package knows; checked once, at fit, where the column and series can be named."""
    for code in pd.unique(df[column].dropna()).tolist():  # 1, not np.int64(1), in the message
        try:
            holiday_dates(str(code), 2000, 2001)
        except DataValidationError:
            rows = df.index[(df[column] == code).to_numpy()]
            raise DataValidationError(
                f"column {column!r} (holidays={column!r}: each series' country) holds {code!r} at "
                f"{describe_rows(rows)}{_series_of(df, rows, ids)}, a country or region the "
                "holidays package does not know: write ISO codes such as 'US', 'GB', 'DE' or "
                "'AU-NSW' in it."
            ) from None


def _numeric_target(
    df: pd.DataFrame, target: str, ids: tuple[str, ...], allow_nan: bool, where: str = "", file: object = None
) -> pd.Series:
    """The target column of ``df`` as float64 numbers, or an error naming its rows, values and
    fix; ``where``: which table, in the error (" of the history table"; the training table's unsaid);
    ``file``: the file ``df`` was read from (``df.attrs["file"]``, which :func:`table_name` takes off
    it), whose cells the fix names."""
    col = df[target]
    if pd.api.types.is_bool_dtype(col):
        return col.astype("float64")
    if not pd.api.types.is_numeric_dtype(col):
        converted = pd.to_numeric(col, errors="coerce")
        bad = col.index[converted.isna() & col.notna()]
        if len(bad):
            examples = shortlist(map(repr, pd.unique(col.loc[bad].to_numpy(dtype=object))))  # each once
            hint = number_format_hint(col.loc[bad])
            file = file if isinstance(file, str) else None  # a file, on the command line too
            if hint and file:
                hint = f"{hint[:-1]}; or write them in {file!r} with a decimal point, no separators: 1234.5)"
            fix = _placeholder_fix(col, converted, target, file, df.index.name == LINE)
            raise DataValidationError(
                f"target column {target!r}{where} is not numeric at {describe_rows(bad)} (values "
                f"{examples}){_series_of(df, bad, ids)}: convert it to numbers"
                f"{hint or fix or _text_target_fix(col, converted)}."
            )
        col = converted
    values = col.astype("float64")
    inf = values.index[np.isinf(values.to_numpy())]
    if len(inf):
        raise DataValidationError(
            f"target column {target!r}{where} is infinite at {describe_rows(inf)}"
            f"{_series_of(df, inf, ids)}: replace inf by a number or NaN (NaN is imputed)."
        )
    if not allow_nan and values.isna().any():
        raise DataValidationError(f"target column {target!r} has missing values.")
    return values


NA_VALUES_LISTED = 10  # text values of a target at most that the fix lists as pd.read_csv(na_values=)
PLACEHOLDER_SHARE = 0.5  # text cells of a target, of its known ones, at most read as placeholders of missing values


def _placeholder_fix(col: pd.Series, converted: pd.Series, target: str, file: str | None, cli: bool) -> str:
    """How to read the text cells of a target column of numbers ('n/a', '--', however many
    distinct values, at most half its known cells: :func:`~tsauto.core.text_in_numbers.text_among_numbers`)
    as missing values, naming them: in pandas, or in ``file`` (the table's, if read from one),
    alone on the command line (``cli``: no option there reads text as missing); '' for a column
    without numbers, mostly text (:func:`_text_target_fix`) or with numbers written in a format
    (a target is not guessed)."""
    text = text_among_numbers(col, PLACEHOLDER_SHARE, None) if converted.notna().any() else None
    if text is None:
        return ""
    why = "; where they mean an unknown value, make them missing values (imputed as gaps are, never scored): "
    listed = f"pd.read_csv(..., na_values={text!r})" if len(text) <= NA_VALUES_LISTED else ""
    if file:
        read = f", or read it with {listed} and pass the DataFrame" if listed and not cli else ""
        return f"{why}empty those cells in {file!r} (an empty cell is a missing value){read}"
    return (f"{why}df[{target!r}] = pd.to_numeric(df[{target!r}], errors='coerce')"
            + (f", or read the file with {listed}" if listed else ""))


def _text_target_fix(col: pd.Series, converted: pd.Series) -> str:
    """What to do where no value of the target reads as a number and none holds a digit (labels,
    not numbers written oddly such as '12,50 €'): a class label per row is tabular
    classification, not a forecast; where more than half its known values are not numbers
    (:data:`PLACEHOLDER_SHARE`), whether it is the column to forecast ('' otherwise)."""
    known = int(col.notna().sum())
    numbers = int(converted.notna().sum())
    if not numbers and not col.dropna().astype(str).str.contains(r"\d").any():
        return ("; none of its values is a number: a forecast needs a numeric target (to predict a "
                "class per row, use tsauto.Classifier or `tsauto classify`)")
    if known - numbers > PLACEHOLDER_SHARE * known:
        return (f"; {known - numbers} of its {known} values are not numbers, too many to read as missing: "
                "check that it is the column to forecast (target=, --target on the command line)")
    return ""


def _check_odd_integer_dates(df: pd.DataFrame, times: pd.Series, time: str, ids: tuple[str, ...]) -> None:
    """Refuse integer times written as dates (198306) but for a few rows: read as steps, every
    series would get steps invented between the dates (one 198002 typed as 19800 put 215,368
    invented values into 60 monthly series, and forecasts at 198313)."""
    found = odd_integer_dates(times.to_numpy())
    if found is None:
        return
    fmt, odd = found
    rows = df.index[odd]
    values = ", ".join(str(v) for v in pd.unique(times[odd])[:3])
    if fmt == "%Y%m" and (times[odd] % 100 == 13).all():  # a retail year of 13 periods (YYYYPP)
        raise DataValidationError(
            f"time column {time!r} holds integers written as year and period, 13 periods a year "
            f"(values such as {values} at {describe_rows(rows)}): no calendar steps along them, and "
            f"read as integer steps {AS_STEPS[fmt]} invented steps at every year. Give consecutive "
            f"steps instead: df[{time!r}] = df[{time!r}] // 100 * 13 + df[{time!r}] % 100 - 1, with "
            "seasons=[13]."
        )
    raise DataValidationError(
        f"time column {time!r} holds integers written as {INTEGER_DATES[fmt]} dates in "
        f"{len(df) - len(rows)} of {len(df)} rows, but not at {describe_rows(rows)}"
        f"{_series_of(df, rows, ids)} (values {values}): correct those values, or drop those rows. "
        f"Read as integer steps instead, {AS_STEPS[fmt]} invented steps."
    )


def _series_of(df: pd.DataFrame, rows, ids: tuple[str, ...]) -> str:
    """`` in series [...]``: the series that ``rows`` fall in (the first three, and how many more)."""
    if not ids:
        return ""
    return f" in series {_name_series(df.loc[rows, list(ids)].drop_duplicates(), 3)}"


def _name_series(keys: pd.DataFrame, limit: int) -> str:
    """The first ``limit`` series keys (one row each) as records, and how many more."""
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return f"{keys.head(limit).to_dict('records')}{more}"


def _series_codes(df: pd.DataFrame, ids: tuple[str, ...]) -> np.ndarray:
    if not ids:
        return np.zeros(len(df), dtype=np.int64)
    return df.groupby(list(ids), sort=True, observed=True).ngroup().to_numpy(np.int64)


OBSERVED = "__observed"  # the targets a period of aggregate= holds
REGULAR_SHARE = 0.99  # of the steps between rows equal: rows on a grid, whose partial periods show
# of the steps one calendar offset apart: a grid of business days leaves out exchange holidays
# (9-10 a year: Microsoft's trading days 1986-2017 are 96.6 % one business day apart)
OFFSET_SHARE = 0.95


def _aggregate(
    df: pd.DataFrame,
    target: str,
    time: str,
    ids: tuple[str, ...],
    freq: str | None,
    how: str,
) -> pd.DataFrame:
    if freq is None or not pd.api.types.is_datetime64_any_dtype(df[time]):
        raise DataValidationError(
            f"aggregate={how!r} needs freq= (the coarser frequency to roll up to, e.g. 'W-SUN' "
            "or 'MS') and timestamps in the time column."
        )
    freq = _check_freq(freq)
    _check_open(df, time, freq)
    periods = _bucket(df[time].to_numpy(), freq)
    sid = df["__sid"].to_numpy()
    partial = np.zeros(len(df), dtype=bool)
    if how == "sum":
        partial = _partial_end_rows(sid, df[time].to_numpy(), periods, freq)
    if partial.any():
        log.info("dropped %d rows of partial first or last %r periods before summing",
                 partial.sum(), freq)
    dropped = np.bincount(sid[partial], minlength=int(sid.max()) + 1)
    df = df.assign(**{time: periods})[~partial]
    keys = ["__sid", *ids, time]
    others = [c for c in df.columns if c not in {target, *keys}]
    out = _roll_up(df, keys, others, {target: (target, how), OBSERVED: (target, "count")})
    out.loc[out.pop(OBSERVED) == 0, target] = np.nan  # a period without a target is missing, not 0
    return out[[target, *others]].reset_index(), dropped


def _check_open(df: pd.DataFrame, time: str, freq: str) -> None:
    """Rows rolled up to open days or hours must fall in them: a row of a closed day or hour
    belongs to no step."""
    offset = to_offset(freq)
    if not is_open(offset):
        return
    closed = open_period(df[time].to_numpy(), offset)[1]
    if closed.any():
        rows = df.index[closed]
        raise DataValidationError(
            f"{int(closed.sum())} rows fall when frequency {freq!r} is closed (e.g. "
            f"{df.loc[rows[0], time]} at {describe_rows(rows)}): no step of it holds them. Drop "
            "them first, or roll up to another frequency."
        )


def _roll_up(
    df: pd.DataFrame, keys: list[str], columns: list[str], named: dict | None = None
) -> pd.DataFrame:
    """One row per group of ``keys``: the ``named`` aggregations, numeric ``columns`` by their
    mean (a flag becomes the share of rows it is set in), the others by their most frequent
    value (the result does not depend on the order of the rows)."""
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(df[c])]
    aggregations = {**(named or {}), **{c: (c, "mean") for c in numeric}}
    groups = df.groupby(keys, sort=True, observed=True, dropna=False)
    out = groups.agg(**aggregations) if aggregations else groups.size().to_frame("__rows")
    for c in columns:
        if c not in numeric:
            out[c] = most_frequent(df, keys, c).reindex(out.index)
    return out


def _partial_end_rows(sid: np.ndarray, times: np.ndarray, periods: np.ndarray, freq: str) -> np.ndarray:
    """Rows of a series' first or last ``freq`` period that its rows do not cover whole (daily
    rows up to the 15th summed to a month: half a month's sales read as a month's; two months
    of a quarter read as the quarter), where the rows lie on a grid (:func:`_grid_step`): the
    period after one more step of the grid, or before one step less, is the same. A series
    keeps at least one period."""
    step = _grid_step(sid, times)
    if step is None:
        return np.zeros(len(sid), dtype=bool)
    same = sid[1:] == sid[:-1]
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(sid)] - 1
    changes = np.r_[False, (periods[1:] != periods[:-1]) & same].astype(np.int64)
    n_periods = np.add.reduceat(changes, starts) + 1
    after, before = _shift(times[ends], step, 1), _shift(times[starts], step, -1)
    probe = _bucket(np.concatenate([after, before]), freq)
    last = (probe[: len(ends)] == periods[ends]) & (n_periods >= 2)
    first = (probe[len(ends):] == periods[starts]) & (n_periods - last >= 2)
    series = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(sid)]))
    in_last = last[series] & (periods == periods[ends][series])
    return in_last | (first[series] & (periods == periods[starts][series]))


def _grid_step(sid: np.ndarray, times: np.ndarray) -> np.timedelta64 | pd.DateOffset | None:
    """The step between a series' rows where ``REGULAR_SHARE`` of them take it: a duration
    (hours, days, weeks), else the rows' calendar frequency where ``OFFSET_SHARE`` of them are
    one offset apart (months, quarters, business days with holidays, the days a shop opens:
    unequal in days); None where the rows lie on no grid (transactions, gaps). Rows of one
    time (the departments of a store summed to it) count once."""
    distinct = np.r_[True, (sid[1:] != sid[:-1]) | (times[1:] != times[:-1])]
    sid, times = sid[distinct], times[distinct]
    same = sid[1:] == sid[:-1]
    gaps = (times[1:] - times[:-1])[same]
    if not gaps.size:
        return None
    values, counts = np.unique(gaps, return_counts=True)
    if counts.max() >= REGULAR_SHARE * gaps.size:
        return values[np.argmax(counts)]  # positive: distinct times, sorted
    try:
        offset = to_offset(infer_freq(pd.Series(times), sid))
    except ValueError:
        return None
    on_grid = _shift(times[:-1][same], offset, 1) == times[1:][same]
    return offset if on_grid.mean() >= OFFSET_SHARE else None


def _shift(times: np.ndarray, step: np.timedelta64 | pd.DateOffset, sign: int) -> np.ndarray:
    """``times`` one ``step`` later (``sign`` 1) or earlier (-1)."""
    if isinstance(step, np.timedelta64):
        return times + sign * step
    return shift(times, step, sign)


def most_frequent(df: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """``column``'s most frequent value in each group of ``keys`` (ties: the first in sorted
    order; a group with no value: absent)."""
    counts = df.groupby([*keys, column], sort=True, observed=True, dropna=True).size()
    counts = counts.sort_values(ascending=False, kind="stable")
    top = counts[~counts.index.droplevel(column).duplicated()]
    return pd.Series(top.index.get_level_values(column), index=top.index.droplevel(column))


def _bucket(times: np.ndarray, freq: str) -> np.ndarray:
    """The time stamp of the ``freq`` period holding each time: the period's first stamp for
    start-labelled frequencies (``MS``, ``QS``, ``D``), its last for end-labelled ones (``ME``,
    ``QE``, ``W-SUN``: pandas labels a week by its last day)."""
    offset = to_offset(freq)
    if is_open(offset):  # pandas rolls back to a closing time, off the grid
        return open_period(times, offset)[0]
    lo = offset.rollback(pd.Timestamp(times.min()).normalize())
    hi = offset.rollforward(pd.Timestamp(times.max()))
    unit = np.datetime_data(times.dtype)[0]
    grid = pd.date_range(lo, hi + offset, freq=offset, unit=unit).to_numpy()
    name = offset.rule_code.upper()
    if name.startswith(("W", "QE", "YE", "BQE", "BYE")) or name in {"ME", "BME", "SME"}:
        # by the day: a period labelled by its last day holds all of that day (Sunday 00:30 went
        # to the next W-SUN week, a month's last day after midnight to the next month)
        days = times.astype("datetime64[D]").astype(times.dtype)
        return grid[np.searchsorted(grid, days, side="left")]
    return grid[np.searchsorted(grid, times, side="right") - 1]


def check_duplicates(df: pd.DataFrame, time: str, ids: tuple[str, ...], where: str = "") -> None:
    """Refuse rows sharing a (series, time) pair (``df`` with ``__sid``), naming them. Rows
    that are exact copies of another (every column equal: a file's lines pasted twice) are
    said apart, with their own fix: dropped, not rolled up (``aggregate='sum'`` would count
    them twice). ``where``: which table, in the error (" of the history table")."""
    dup = df.duplicated(["__sid", time], keep=False).to_numpy()
    if not dup.any():
        return
    copies = df.duplicated([c for c in df.columns if c != "__sid"], keep="first").to_numpy()  # the later ones
    pairs = df[dup].groupby(["__sid", time], sort=False).ngroup().to_numpy()
    distinct = np.bincount(pairs, weights=~copies[dup])  # rows of each pair unlike the others
    clash = np.zeros(len(df), dtype=bool)
    clash[dup] = distinct[pairs] > 1
    copied = dup & copies & ~clash  # pairs of exact copies alone
    lines = df.index.name == LINE
    drop = ("delete those lines from the file (in pandas: df = df.drop_duplicates())" if lines
            else "df = df.drop_duplicates()")
    if not clash.any():
        pair = df.index[dup][pairs == pairs[copies[dup]][0]]  # the first copy's pair: the row, its copies
        raise DataValidationError(
            f"{_copies(df.index[copied], where=where)} (e.g. {describe_rows(pair[1:], 3, counted=False)} "
            f"{'repeat' if len(pair) > 2 else 'repeats'} {describe_rows(pair[:1], counted=False)}, "
            f"{_key_text(df, pair[0], time, ids)}): drop the copies, {drop}; aggregate='sum' would "
            "count them twice."
        )
    rows = df.index[clash]
    local = ""
    if pd.api.types.is_datetime64_any_dtype(df[time]) and (df[time].dt.normalize() != df[time]).any():
        local = (
            " Local clock times repeat an hour when daylight saving ends: give time-zone "
            "aware times (or UTC) if that is the cause."
        )
    also = ""
    if copied.any():
        also = f" Besides, {_copies(df.index[copied], 'other ', counted=False)}: drop the copies, {drop}."
    cli = " (--ids, --aggregate sum --freq F on the command line)" if lines else ""
    raise DataValidationError(
        f"{int(clash.sum())} rows{where} share a (series, time) pair, e.g. {_key_text(df, rows[0], time, ids)} at "
        f"{describe_rows(rows)}: each series needs one row per time step. Remove the "
        "duplicates, add the missing id column to ids=, or pass aggregate='sum' (or "
        f"'mean', 'min', 'max') with freq= to roll them up{cli}.{local}{also}"
    )


def _copies(rows: pd.Index, other: str = "", where: str = "", counted: bool = True) -> str:
    """"3 rows are exact copies of earlier ones (every column equal) at rows 4, 9, 12"
    (``counted``: :func:`~tsauto.core.exceptions.describe_rows`'s)."""
    many = len(rows) > 1
    said = "are exact copies of earlier ones" if many else "is an exact copy of an earlier one"
    return (f"{len(rows)} {other}row{'s' if many else ''}{where} {said} (every column equal) at "
            f"{describe_rows(rows, counted=counted)}")


def _key_text(df: pd.DataFrame, row: Hashable, time: str, ids: tuple[str, ...]) -> dict:
    """The ids and time of ``row`` of ``df`` as a user writes them: {'Store': 1, 'Date':
    '2010-04-16'}, not Timestamp('2010-04-16 00:00:00')."""
    key = df.loc[[row], [*ids, time]]
    dates = [c for c in key.columns if pd.api.types.is_datetime64_any_dtype(key[c])]
    return key.astype(dict.fromkeys(dates, str)).to_dict("records")[0]


def _check_freq(freq: object) -> str:
    try:
        return freq_alias(freq)
    except (TypeError, ValueError) as err:
        raise DataValidationError(
            f"freq={freq!r} is not a pandas frequency{_freq_error(freq, err)}; use e.g. 'h', 'D', 'W-SUN', 'MS', "
            "'QS', 'C(Mon Tue Wed Thu Fri Sat)' for days of a shop closed on Sundays, "
            "'C(Mon Tue Wed Thu Fri; US holidays)' for weekdays but public holidays, "
            "'CBH(09:00-18:00 Mon Tue Wed Thu Fri)' for its opening hours."
        ) from None


_PANDAS_ALIAS = re.compile(  # the alias pandas rejected and the one it names instead
    r"Invalid frequency: (\S+?)\. Did you mean (\S+?)\?|'([^']+)' is no longer supported for offsets\. "
    r"Please use '([^']+)' instead")


def _freq_error(freq: object, err: Exception) -> str:
    """pandas' error for a frequency ``freq`` it does not read, plainly: ``" (did you mean
    '2h'?)"`` where it names another alias ('2H', 'M' of pandas 2; its multiple kept), '' where
    it names none ("Invalid frequency: Daily. Failed to parse with error message: ..." nests its
    own errors, repeating them); else the error as it is (business hours over several hours)."""
    text = str(err)
    if not text.startswith("Invalid frequency"):
        return f" ({text})"
    found = _PANDAS_ALIAS.search(text)
    if not found:
        return ""
    bad, good = (found[1], found[2]) if found[1] else (found[3], found[4])
    alias = str(freq).replace(bad, good, 1) if bad in str(freq) else good
    try:
        to_offset(alias)
    except ValueError as again:  # 'A-DEC': 'Y-DEC', itself gone for 'YE-DEC'
        return _freq_error(alias, again) if again.args != err.args else ""
    return f" (did you mean {alias!r}?)"


def _integer_step(df: pd.DataFrame, time: str) -> int:
    values = df[time].to_numpy(np.int64)
    sid = df["__sid"].to_numpy()
    diffs = np.diff(values)[sid[1:] == sid[:-1]]
    diffs = diffs[diffs > 0]
    return int(np.gcd.reduce(diffs)) if diffs.size else 1


def history_rows(df: pd.DataFrame, target: str, time: str, fill: str) -> np.ndarray:
    """Which rows of ``df`` (with ``__sid``) stay history: from each series' first target to
    its last, or to its end under ``fill='zero'`` (step 6); not the rows around them, such as
    the future's rows of known covariates after the last target."""
    times = df[time]
    observed = times.where(df[target].notna()).groupby(df["__sid"].to_numpy())
    inside = times >= observed.transform("min")
    if fill != "zero":
        inside &= times <= observed.transform("max")
    return inside.to_numpy(dtype=bool)


def table_history(raw: pd.DataFrame, schema: Schema) -> np.ndarray:
    """:func:`history_rows` of the training table as given, in its order of rows."""
    df = pd.DataFrame({
        schema.time: parse_like(raw[schema.time].reset_index(drop=True), schema, "the table"),
        schema.target: pd.to_numeric(raw[schema.target].reset_index(drop=True), errors="coerce"),
        "__sid": _series_codes(raw, schema.ids),
    })
    return history_rows(df, schema.target, schema.time, schema.fill)


STATIC_GAPS = 0.1  # of a series' rows, the missing cells a static column may have


def _split_static(df: pd.DataFrame, cols: list[str]) -> tuple[list[str], list[str]]:
    """Of ``cols``, those constant within every series of ``df`` but for a few missing cells
    (at most ``STATIC_GAPS`` of a series' rows, or all: static, filled with the series' value),
    and those that change (past covariates: an indicator blank on most rows, a promotion flag
    of 1 among empty cells, is an event, not a constant)."""
    if not cols:
        return [], []
    sid = df["__sid"].to_numpy()
    nunique = df.groupby(sid, sort=True)[cols].nunique().max().fillna(0)
    gaps = df[cols].isna().groupby(sid, sort=True).mean()
    gappy = ((gaps > STATIC_GAPS) & (gaps < 1)).any()
    static = [c for c in cols if nunique[c] <= 1 and not gappy[c]]
    past = [c for c in cols if c not in static]
    dropped = [c for c in past if pd.api.types.is_datetime64_any_dtype(df[c])]
    if dropped:
        log.warning("columns %s hold dates and are not used as covariates", dropped)
    return static, [c for c in past if c not in dropped]


def _categories(df: pd.DataFrame, cols: list[str]) -> dict[str, tuple]:
    out = {}
    for col in cols:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            continue
        out[col] = tuple(sorted(s.dropna().astype(str).unique()))
    return out


def _encode_column(
    s: pd.Series, col: str, categories: dict[str, tuple], what: str = "the table",
    where: Callable[[list], str] | None = None,
) -> np.ndarray:
    """``s`` as numbers: a category's codes (NaN for a value not seen at fit, warned of, at the
    rows of ``s``, or where ``where``, given the values, says: a static column's one value per
    series is named at the table's own rows, not at the series' place among them)."""
    if col in categories:
        labels = s.astype("string").astype(object)
        codes = pd.Index(list(categories[col])).get_indexer(labels).astype("float64")
        unseen = (codes < 0) & labels.notna().to_numpy()
        if unseen.any():
            new = list(pd.unique(labels[unseen]))
            values = ", ".join(repr(v) for v in new[:5])
            log.warning("column %r of %s holds values not seen at fit (%s at %s): read as missing",
                        col, what, values, describe_rows(s.index[unseen]) if where is None else where(new))
        codes[codes < 0] = np.nan
        return codes
    if is_flag(s):
        return s.astype("float64").to_numpy()
    values = pd.to_numeric(s, errors="coerce")
    bad = s.index[values.isna() & s.notna()]
    if len(bad):
        raise _not_numbers(s, bad, col, what)
    return values.to_numpy(dtype="float64")


def _not_numbers(s: pd.Series, bad: pd.Index, col: str, what: str) -> DataValidationError:
    """The error of a column numeric at fit holding non-numbers at rows ``bad`` of ``what``."""
    examples = ", ".join(repr(v) for v in s.loc[bad[:3]])
    return DataValidationError(
        f"column {col!r} of {what} was numeric at fit but holds non-numbers at "
        f"{describe_rows(bad)} (values {examples}): give numbers, or NaN where unknown (text "
        f"of at most {MIXED_TEXT_LEVELS} distinct values, such as '--', is read so)."
    )


# --------------------------------------------------------------------------------------------
# regularisation


COARSE_MIN_STEPS = 3  # steps of one size a series needs to be read as on a coarser grid


def _grid_positions(tvals: np.ndarray, freq: str, unit: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The ``freq`` grid through the stamps, and each one's step on it (-1 where off it)."""
    every = to_offset(freq)
    if is_open(every):  # pandas rolls back to a closing time, off the open steps
        grid = pd.DatetimeIndex(open_grid(tvals, every))
    else:
        grid = pd.date_range(_grid_start(tvals, every), tvals.max(), freq=every, unit=unit)
    return grid, grid.get_indexer(pd.DatetimeIndex(tvals))


def _grid_of_every_stamp(df: pd.DataFrame, schema: Schema) -> str | None:
    """The frequency inferred from the stamps where every one lies on its grid and it is not
    the one given (weeks ending Friday read with ``freq='W'``, pandas' Sundays), else None."""
    try:
        freq = infer_freq(df[schema.time], df["__sid"].to_numpy())
    except (ValueError, DataValidationError):
        return None
    tvals = df[schema.time].to_numpy(f"datetime64[{schema.time_unit}]")
    if freq == schema.freq or np.any(_grid_positions(tvals, freq, schema.time_unit)[1] < 0):
        return None
    return freq


_PERIODS = {  # offset: its period's name and months, the period alias and the frequency of its starts
    pd.offsets.MonthBegin: ("month", 1, "M", "MS"),
    pd.offsets.MonthEnd: ("month", 1, "M", "MS"),
    pd.offsets.QuarterBegin: ("quarter", 3, "Q", "QS"),
    pd.offsets.QuarterEnd: ("quarter", 3, "Q", "QS"),
    pd.offsets.YearBegin: ("year", 12, "Y", "YS"),
    pd.offsets.YearEnd: ("year", 12, "Y", "YS"),
}
_ENDS = (pd.offsets.MonthEnd, pd.offsets.QuarterEnd, pd.offsets.YearEnd)


def _period_of(offset) -> tuple[str, str, str, Callable[[np.ndarray], np.ndarray]] | None:
    """For a frequency of months, quarters or years (``offset``, stamped on their first or last
    days): the period's name, its alias (``'Q-DEC'``), the frequency of its starts
    (``'QS-JAN'``) and the function giving the first day of the period each day is in; else None."""
    if type(offset) not in _PERIODS:
        return None
    name, months, period, starts = _PERIODS[type(offset)]
    anchor = getattr(offset, "startingMonth", None) or getattr(offset, "month", None) or 1
    ends = isinstance(offset, (pd.offsets.QuarterEnd, pd.offsets.YearEnd))
    first_month = anchor % 12 if ends else anchor - 1  # of a period, 0 for January
    if months > 1:  # anchored by the month that ends them, and by the one that starts them
        period = f"{period}-{month_abbr[(first_month - 1) % 12 + 1].upper()}"
        starts = f"{starts}-{month_abbr[first_month + 1].upper()}"
    starts = f"{offset.n if offset.n > 1 else ''}{starts}"

    def start_of(days: np.ndarray) -> np.ndarray:  # the first day of the period each day is in
        m = days.astype("datetime64[M]").astype(np.int64)
        return (m - (m % 12 - first_month) % months).astype("datetime64[M]").astype("datetime64[D]")

    return name, period, starts, start_of


def _refuse_other_edge(df: pd.DataFrame, schema: Schema, off: np.ndarray, what: str) -> None:
    """Refuse a later table (``what``: ``history=``) whose stamps off the fit's grid (``off``)
    are all on the other edge of the fit's months (quarters, years): the fit's month starts
    given as month ends, or the reverse, as another extract writes them. Said so, with the
    re-stamp that reads them, not as series that "mix frequencies" (user test 59 F5)."""
    offset = to_offset(schema.freq)
    geometry = _period_of(offset)
    if geometry is None:
        return
    name, period, _, start_of = geometry
    months = _PERIODS[type(offset)][1]
    days = df[schema.time].to_numpy()[off].astype("datetime64[D]")
    fitted_ends = isinstance(offset, _ENDS)
    edge = start_of(days + 1) == days + 1 if not fitted_ends else days == start_of(days)
    if not edge.all():
        return
    first = start_of(days)
    restamped = first if not fitted_ends else start_of(first + 31 * months) - 1  # the next period's eve
    if np.any(_grid_positions(restamped.astype(f"datetime64[{schema.time_unit}]"), schema.freq,
                              schema.time_unit)[1] < 0):
        return
    rows = df.index[off]
    stamps = "1 time stamp is" if len(rows) == 1 else f"{len(rows)} time stamps are"
    given, fitted = ("last", "first") if not fitted_ends else ("first", "last")
    stamp = ".dt.end_time.dt.normalize()" if fitted_ends else ".dt.start_time"
    raise DataValidationError(
        f"time column {schema.time!r} of {what}: {stamps} on the {given} day of their {name} at "
        f"{describe_rows(rows)}{_series_of(df, rows, schema.ids)}, where the model was fitted on {name} "
        f"{'ends' if fitted_ends else 'starts'} ({schema.freq!r}): the same {name}s, stamped at the other "
        f"end. Re-stamp them on the {fitted} day: df[{schema.time!r}] = pd.to_datetime(df[{schema.time!r}])"
        f".dt.to_period({period!r}){stamp} (for `tsauto predict --history FILE`, write FILE with those stamps)."
    )


def _refuse_mixed_edges(df: pd.DataFrame, schema: Schema) -> None:
    """Refuse, with the fixes that read them, stamps of months (quarters, years) some on the
    first day of their period and some on the last, as two source systems write them: neither
    grid holds both, and ``freq=`` alone reads only one (``freq='MS'`` named the month ends)."""
    offset = to_offset(schema.freq)
    geometry = _period_of(offset)
    if geometry is None:
        return
    name, period, starts, start_of = geometry
    days = df[schema.time].to_numpy().astype("datetime64[D]")
    first, last = days == start_of(days), start_of(days + 1) == days + 1
    if not (first | last).all() or first.all() or last.all():
        return
    restamped = start_of(days).astype(f"datetime64[{schema.time_unit}]")
    if np.any(_grid_positions(restamped, starts, schema.time_unit)[1] < 0):
        return
    few, edge, other = (last, "last", "first") if last.sum() <= first.sum() else (first, "first", "last")
    rows = df.index[few]
    stamps = "1 stamp is" if len(rows) == 1 else f"{len(rows)} stamps are"
    # on the edge the frequency (given, or the more stamps') steps along: freq='ME' kept, not contradicted
    day, stamp = (("last", ".dt.to_timestamp(how='end').dt.normalize()") if isinstance(offset, _ENDS)
                  else ("first", ".dt.to_timestamp()"))
    raise DataValidationError(
        f"time column {schema.time!r} mixes the first and last days of {name}s: {stamps} on the "
        f"{edge} day of a {name} at {describe_rows(rows)}"
        f"{_series_of(df, rows, schema.ids)}, the other {int((~few).sum())} on the {other}, and no "
        f"frequency steps along both: re-stamp them on their {name}'s {day} day (df[{schema.time!r}] = "
        f"df[{schema.time!r}].dt.to_period({period!r}){stamp}), or pass freq={starts!r} with "
        "aggregate='sum' (one row per step, stamped at its start)."
    )


def _regularise(df: pd.DataFrame, schema: Schema, what: str = "the table", later: bool = False) -> Panel:
    """``df`` on the grid of ``schema``'s frequency, missing steps inserted and filled, as a
    :class:`Panel`. ``later``: a ``history=`` table of a fitted model, whose frequency the fit
    read from all the rows: a series' few newest rows all a fortnight apart (a sparse Walmart
    department's) do not make it a series of another frequency (user test 50: 4 of 23 weekly
    extracts refused, "the series mix frequencies")."""
    time, target = schema.time, schema.target
    sid = df["__sid"].to_numpy(np.int64)
    if schema.freq is None:
        tvals = df[time].to_numpy(np.int64)
        origin = int(tvals.min())
        offset = tvals - origin
        if np.any(offset % schema.step):
            bad = df.index[offset % schema.step != 0]
            raise DataValidationError(
                f"time column {time!r}: steps are not multiples of {schema.step} at "
                f"{describe_rows(bad)}{_series_of(df, bad, schema.ids)}."
            )
        pos = offset // schema.step
    else:
        unit = schema.time_unit
        tvals = df[time].to_numpy(f"datetime64[{unit}]")
        grid, pos = _grid_positions(tvals, schema.freq, unit)
        off = pos < 0
        if off.any():
            bad = df.index[off]
            stamps = "1 time stamp is" if off.sum() == 1 else f"{int(off.sum())} time stamps are"
            other = None
            if what == "the table":  # a later table is read on the fit's grid
                _refuse_mixed_edges(df, schema)
                other = _grid_of_every_stamp(df, schema)
            else:  # the fit's months stamped at their other end
                _refuse_other_edge(df, schema, off, what)
            fix = (
                f"every stamp is on the {other!r} grid: give freq={other!r}{_roll_up_hint(df, schema)}" if other else
                "the series mix frequencies or are irregular. Resample them (aggregate= with "
                "freq=), or give freq= explicitly"
            )
            raise DataValidationError(
                f"time column {time!r}: {stamps} not on the "
                f"{schema.freq!r} grid at {describe_rows(bad)}{_series_of(df, bad, schema.ids)}; "
                f"{fix}."
            )
    if not later:
        _check_one_frequency(df, sid, pos, schema)
    n_codes = int(sid.max()) + 1
    first = np.full(n_codes, np.iinfo(np.int64).max)
    last = np.full(n_codes, -1)
    np.minimum.at(first, sid, pos)
    np.maximum.at(last, sid, pos)
    present = np.flatnonzero(last >= 0)
    remap = np.full(n_codes, -1)
    remap[present] = np.arange(len(present))
    sid = remap[sid]
    first, last = first[present], last[present]
    lengths = last - first + 1
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    total = int(indptr[-1])
    flat = indptr[sid] + (pos - first[sid])
    inserted = total - len(df)
    full_pos = ranges(first, lengths)
    if schema.freq is None:
        times = origin + full_pos * schema.step
    else:
        times = grid.to_numpy()[full_pos]

    y = np.full(total, np.nan)
    y[flat] = df[target].to_numpy("float64")
    first_rows = df.groupby("__sid", sort=True).head(1).index
    keys = df.loc[first_rows, list(schema.ids)].reset_index(drop=True)
    cov = pd.DataFrame(index=pd.RangeIndex(total))
    for col in schema.covariates:
        values = np.full(total, np.nan)
        values[flat] = _encode_column(df[col], col, schema.categories, what)
        cov[col] = values
    static = pd.DataFrame(index=pd.RangeIndex(len(present)))
    history = history_rows(df, target, time, schema.fill)
    for col in schema.static:  # each series' value, from its history (a missing cell filled)
        values = df[col].where(history).groupby(df["__sid"].to_numpy(), sort=True).first()

        def rows_of(new: list, col: str = col) -> str:  # the table's rows (a file's lines) of unseen values
            rows = df.index[history & df[col].astype("string").isin(new).to_numpy(dtype=bool)]
            return f"{describe_rows(rows)}{_series_of(df, rows, schema.ids)}"

        static[col] = _encode_column(values.reset_index(drop=True), col, schema.categories, what, rows_of)

    given = np.zeros(total, dtype=bool)
    given[flat] = True
    missing = np.isnan(y)
    if inserted:
        log.info(INSERTED_NOTE, inserted, schema.fill)
    y, keep = impute_targets(y, indptr, schema.fill)
    if len(cov.columns):
        filled = segmented_bfill(segmented_ffill(cov.to_numpy(np.float64), indptr), indptr)
        cov = pd.DataFrame(filled, columns=cov.columns)
    panel = Panel(schema, keys, indptr, y, times, cov.reset_index(drop=True), static)
    if not keep.all():
        lengths_kept = np.add.reduceat(keep.astype(np.int64), indptr[:-1])
        if np.any(lengths_kept == 0):
            empty = panel.keys.iloc[np.flatnonzero(lengths_kept == 0)]
            raise DataValidationError(
                f"series {_name_series(empty, 5)} have no observed target value: drop them or "
                "give values."
            )
        panel = _drop_rows(panel, keep)
    panel.fills = _fill_report(missing, given, keep, indptr)
    _warn_imputed(panel)
    return panel


def _roll_up_hint(df: pd.DataFrame, schema: Schema) -> str:
    """How to roll the rows of ``df`` up to ``schema``'s frequency where it is coarser than
    their own, several rows of a series in one of its periods (hourly rows given freq='D': a
    roll-up is likely what was meant, as the duplicate rows' error says); else ''."""
    periods = _bucket(df[schema.time].to_numpy(), schema.freq)
    if not pd.DataFrame({"s": df["__sid"].to_numpy(), "p": periods}).duplicated().any():
        return ""
    cli = f" (--aggregate sum --freq {schema.freq} on the command line)" if df.index.name == LINE else ""
    return (f", or, to roll them up to {schema.freq!r} steps, pass aggregate='sum' (or 'mean', 'min', 'max') "
            f"with freq={schema.freq!r}{cli}")


IMPUTED_SERIES_NAMED = 5  # series the imputation warning names, each with its first few dates


def _warn_imputed(panel: Panel) -> None:
    """The warning counting the targets imputed inside the series of ``panel`` and naming a
    few of them, with their counts and first times (the data checks named them; the warning
    did not, nor, user test 57, their dates)."""
    counts = panel.fills.imputed
    idx = np.flatnonzero(counts)
    if not idx.size:
        return
    labels, rows, ptr = series_labels(panel), panel.fills.imputed_rows, panel.indptr

    def at(i: int) -> str:
        return _times_text(panel.times[ptr[i]:ptr[i + 1]][rows[ptr[i]:ptr[i + 1]]], panel.schema)

    if panel.schema.ids:
        named = [f"{labels[i]}: {counts[i]} at {at(i)}" for i in idx[:IMPUTED_SERIES_NAMED]]
        more = f"; and {idx.size - IMPUTED_SERIES_NAMED} more series" if idx.size > IMPUTED_SERIES_NAMED else ""
        which = f" ({'; '.join(named)}{more})"
    else:
        which = f" (at {at(idx[0])})"
    log.warning(IMPUTED_NOTE, int(counts.sum()), panel.schema.fill, idx.size, which)


def _grid_start(tvals: np.ndarray, every) -> np.datetime64:
    """The first step of ``every``'s grid at or before the earliest stamp, on the grid most
    stamps lie on: a fixed step (hours, days) at the phase most stamps share, a calendar offset
    (weeks, months) rolled back onto its anchor. Not the earliest stamp itself: it may be the
    one off the grid (half hours from 10:15 among ones at :00 and :30), which errors then name."""
    first = tvals.min()
    unit = np.datetime_data(tvals.dtype)[0]
    try:
        step = pd.Timedelta(every) // pd.Timedelta(1, unit=unit)
    except ValueError:  # a calendar offset
        at = pd.Timestamp(first)
        return first if every.is_on_offset(at) else np.datetime64(every.rollback(at))
    ticks = tvals.astype(np.int64)
    phase = ticks % step
    if (phase == phase[0]).all():  # the rule: no sort of every stamp
        common = int(phase[0])
    else:
        phases, counts = np.unique(phase, return_counts=True)
        common = int(phases[np.argmax(counts)])
    back = (int(ticks.min()) - common) % step
    return first - np.timedelta64(back, unit)


def _check_one_frequency(df: pd.DataFrame, sid: np.ndarray, pos: np.ndarray, schema: Schema) -> None:
    """Refuse series on a coarser grid than the frequency: every one of their (at least
    ``COARSE_MIN_STEPS``) steps the same ``k > 1`` steps of it, as a yearly series among
    monthly ones, whose ``k - 1`` steps between would be filled in. Not with ``fill='zero'``,
    where rows exist only where there was something (a product sold every Monday of a daily
    table)."""
    if schema.fill == "zero":
        return
    order = np.lexsort((pos, sid))
    code, where = sid[order], pos[order]
    same = code[1:] == code[:-1]
    steps, owner = np.diff(where)[same], code[1:][same]
    n_codes = int(sid.max()) + 1
    count = np.bincount(owner, minlength=n_codes)
    low = np.full(n_codes, np.iinfo(np.int64).max)
    high = np.zeros(n_codes, dtype=np.int64)
    np.minimum.at(low, owner, steps)
    np.maximum.at(high, owner, steps)
    coarse = np.flatnonzero((count >= COARSE_MIN_STEPS) & (low == high) & (low > 1))
    if not coarse.size:
        return
    unit = _grid_name(schema)
    k = int(low[coarse[0]])
    if coarse.size == np.unique(sid).size:
        raise DataValidationError(
            f"time column {schema.time!r}: every series steps {k} {unit} steps at a time, so the "
            f"{k - 1} between would be filled in: give the frequency the rows follow (freq=), or "
            "leave freq= out to infer it."
        )
    first = pd.Series(np.arange(len(sid))).groupby(sid).min()
    keys = df.iloc[first.loc[coarse].to_numpy()][list(schema.ids)]
    raise DataValidationError(
        f"time column {schema.time!r}: series {_name_series(keys, 5)} step {k} {unit} steps at a "
        f"time in every row, while the others follow {unit}: the series mix frequencies, and "
        f"the {k - 1} steps between would be filled in. Fit each frequency apart (partition_by= "
        "a column naming it), resample them all to one (aggregate= with freq=), or, where a "
        "missing step means zero, pass data={'fill': 'zero'} (--fill zero)."
    )


@dataclass(frozen=True)
class FillReport:
    """What regularising did to each series, for the data checks: the table's rows on its grid,
    the time steps inserted, the targets imputed (inserted steps included), the longest run of
    imputed targets, the leading and the trailing steps without a target, dropped; and which of
    the panel's rows hold an imputed target (``imputed_rows``). The panel built by
    :func:`validate` carries it as ``panel.fills``; panels derived from it do not."""

    rows: np.ndarray
    inserted: np.ndarray
    imputed: np.ndarray
    longest_gap: np.ndarray
    leading: np.ndarray
    imputed_rows: np.ndarray | None = None  # None: a report of an older saved model
    trailing: np.ndarray | None = None  # None: a report of an older saved model
    partial: np.ndarray | None = None  # rows dropped in partial end periods of aggregate="sum"


def _fill_report(
    missing: np.ndarray, given: np.ndarray, keep: np.ndarray, indptr: np.ndarray
) -> FillReport:
    starts = indptr[:-1]
    gap = missing & keep
    rows = np.arange(len(gap))
    run = np.where(gap, rows - last_valid_index(~gap, indptr), 0)  # series start observed
    leading = ~keep & (last_valid_index(keep, indptr) < 0)
    return FillReport(
        rows=np.add.reduceat(given.astype(np.int64), starts),
        inserted=np.add.reduceat((~given & keep).astype(np.int64), starts),
        imputed=np.add.reduceat(gap.astype(np.int64), starts),
        longest_gap=np.maximum.reduceat(run, starts),
        leading=np.add.reduceat(leading.astype(np.int64), starts),
        imputed_rows=missing[keep],
        trailing=np.add.reduceat((~keep & ~leading).astype(np.int64), starts),
    )


def _drop_rows(panel: Panel, keep: np.ndarray) -> Panel:
    lengths = np.add.reduceat(keep.astype(np.int64), panel.indptr[:-1])
    return replace(
        panel,
        indptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        y=panel.y[keep],
        times=panel.times[keep],
        covariates=panel.covariates.loc[keep].reset_index(drop=True),
    )


def metric_check(metric: object) -> str:
    """The validation metric must be one the search can rank by."""
    if metric not in SEARCH_METRICS:
        raise DataValidationError(
            f"metric={metric!r} cannot rank forecasts: use one of {SEARCH_METRICS}."
        )
    return metric


def time_budget_check(time_budget: object) -> float | None:
    """A time budget is ``None`` (no search) or a positive number of seconds."""
    if time_budget is None:
        return None
    if isinstance(time_budget, bool) or not isinstance(time_budget, (int, float, np.number)) or not (
        0 < time_budget < np.inf
    ):
        raise DataValidationError(
            f"time_budget={time_budget!r}: give the seconds the fit may take as a positive number "
            "(e.g. time_budget=600), or None for the default portfolio without a search."
        )
    return float(time_budget)


def backtest_check(panel: Panel, horizon: int, folds: object, step: object) -> None:
    """``folds`` and ``step`` are positive integers, and the longest series holds every fold:
    ``MIN_TRAIN`` observations before its oldest cutoff (a fold's fit infers the frequency)."""
    for name, value in (("folds", folds), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DataValidationError(
                f"{name}={value!r}: give a positive integer (e.g. folds=3, step={horizon})."
            )
    longest = int(panel.lengths.max())
    most = (longest - horizon - MIN_TRAIN) // step + 1
    if folds > most:
        series = f" {panel.keys.iloc[int(panel.lengths.argmax())].to_dict()}" if panel.schema.ids else ""
        fix = f"use folds={most}" if most >= 1 else f"use a horizon below {longest - 1}"
        raise DataValidationError(
            f"backtest with folds={folds}, step={step} and horizon {horizon} needs a series of "
            f"at least {horizon + (folds - 1) * step + MIN_TRAIN} observations; the longest series"
            f"{series} has {longest}: {fix}, a smaller step, or give longer series."
        )


MIN_INTERVAL = 0.1  # the narrowest band a level= of numbers is read as (statsforecast's level=[10, ...])


def interval_quantiles(level: object) -> list[float] | None:
    """The quantiles bounding the central bands of ``level`` read as prediction-interval
    levels (statsforecast's ``level=[80, 95]``, or shares such as 0.8), lowest first; None
    where it does not read so (a hierarchy's level: columns, ``[]``, ``"all"``; a number
    below 10, as a level's position)."""
    try:
        items = list([level] if isinstance(level, (str, numbers.Number)) else level)
        values = [float(v) for v in items if not isinstance(v, bool)]
    except (TypeError, ValueError):
        return None
    shares = [v / 100 if v >= 1 else v for v in values]
    if not shares or len(shares) < len(items) or not all(MIN_INTERVAL <= s < 1 for s in shares):
        return None
    return sorted({round(q, 6) for s in shares for q in ((1 - s) / 2, (1 + s) / 2)})


def interval_hint(level: object, asked: object = None, cli: bool = False) -> str:
    """Where ``level`` reads as prediction-interval levels (:func:`interval_quantiles`), a
    sentence on how tsauto makes intervals: the quantiles to ask for at fit (none where
    ``asked``, the fit's ``quantiles=``, holds them) and their columns ``q0.1``, ...; ``cli``:
    in the command line's spelling. Else ''."""
    qs = interval_quantiles(level)
    if qs is None:
        return ""
    if set(qs) <= _quantile_set(asked):
        ask = f"drop {'--level' if cli else 'level='}, as the quantiles asked for at fit hold them already"
    elif cli:
        ask = f"give --quantiles {','.join(f'{q:g}' for q in qs)} to tsauto forecast"
    else:
        ask = f"set quantiles={qs} when constructing the Forecaster, and fit"
    pairs = list(zip(qs[: len(qs) // 2], reversed(qs[len(qs) // 2:])))
    bands = ", ".join(f"the {round((hi - lo) * 100, 4):g} % band q{lo:g} to q{hi:g}" for lo, hi in reversed(pairs))
    return (f" For prediction intervals (statsforecast's level=[80, 95]), {ask}: the forecasts hold the "
            f"columns {', '.join(f'q{q:g}' for q in qs)} ({bands}).")


def _quantile_set(quantiles: object) -> set[float]:
    """``quantiles=`` (one number, several, or None) as a set of levels, rounded as
    :func:`interval_quantiles` rounds."""
    items = [] if quantiles is None else [quantiles] if isinstance(quantiles, numbers.Number) else quantiles
    return {round(float(q), 6) for q in items}


def horizon_check(horizon: object) -> int:
    """A horizon must be a positive integer."""
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise DataValidationError(
            f"horizon={horizon!r}: the horizon is the number of steps to forecast and must be a "
            "positive integer (e.g. horizon=12)."
        )
    return int(horizon)
