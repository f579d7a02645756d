"""The all-series array: every series of a validated table in one flat array.

``Panel`` holds the target of all series concatenated with ``indptr`` boundaries (as
mlforecast's ``GroupedArray``), their time stamps and covariates, and the :class:`Schema` that
later tables (``history=``, ``future=``) must follow. Built by :mod:`.validation`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from tsauto.core.arrays import ranges
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.offsets import shift, to_offset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schema:
    """Roles and encodings decided when the training table was validated."""

    target: str
    time: str
    ids: tuple[str, ...]
    freq: str | None  # pandas offset alias, None for integer steps
    step: int = 1  # integer time only: distance between consecutive steps
    tz: str | None = None
    known_future: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    categories: dict[str, tuple] = field(default_factory=dict, repr=False)
    fill: str = "interpolate"
    time_unit: str = "ns"  # resolution of timestamps: "ns", or "s"/"us" for far calendars
    calendar_note: str | None = None  # how an unusual calendar was read (for the data checks)
    time_format: str | None = None  # integer times written as dates ("%Y%m"): read and output so
    aggregate: str | None = None  # rows rolled up to freq (aggregate=): later tables are too
    period: str | None = None  # a column of periods' frequency ("W-FRI"): output as periods again
    leaks: tuple = ()  # the covariates found to leak the target (data_checks.Leak), and what was done
    text_ids: tuple[str, ...] = ()  # id columns holding text at fit: a later CSV's read as text
    # dates written day first (True, 31/01/2012) or month first (False) at fit, as their values told:
    # a later table's 07/09/2012 read so (None, as in a model saved before it was kept: judged alone)
    day_first: bool | None = None

    @property
    def covariates(self) -> tuple[str, ...]:
        return self.known_future + self.past


@dataclass
class Panel:
    """All series of a validated table, concatenated and regular.

    ``y[indptr[i]:indptr[i+1]]`` is series ``i``, whose key is row ``i`` of ``keys``.
    ``times`` holds the matching time stamps (``int64``, or UTC-naive ``datetime64`` in the
    schema's ``time_unit``: ``ns``, or ``s`` for dates outside 1800..2200).
    ``covariates`` holds the known-future and past covariate columns row-aligned with ``y``,
    numeric (categoricals as float codes, missing as NaN); ``static`` one row per series.
    """

    schema: Schema
    keys: pd.DataFrame
    indptr: np.ndarray
    y: np.ndarray
    times: np.ndarray
    covariates: pd.DataFrame
    static: pd.DataFrame

    @property
    def n_series(self) -> int:
        return len(self.indptr) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def last_times(self) -> np.ndarray:
        return self.times[self.indptr[1:] - 1]

    def series_codes(self) -> np.ndarray:
        """Series index of every row of the flat arrays."""
        return np.repeat(np.arange(self.n_series), self.lengths)

    def future_times(self, horizon: int) -> np.ndarray:
        """Times of the next ``horizon`` steps of every series, shape (n_series, horizon)."""
        return step_times(self.last_times, np.arange(1, horizon + 1), self.schema)

    def take(self, series: np.ndarray) -> "Panel":
        """The panel restricted to the series at the given positions (in that order)."""
        series = np.asarray(series, dtype=np.int64)
        lengths = self.lengths[series]
        rows = ranges(self.indptr[series], lengths)
        return replace(
            self,
            keys=self.keys.iloc[series].reset_index(drop=True),
            indptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            y=self.y[rows],
            times=self.times[rows],
            covariates=self.covariates.iloc[rows].reset_index(drop=True),
            static=self.static.iloc[series].reset_index(drop=True),
        )

    def head(self, lengths: np.ndarray) -> "Panel":
        """The first ``lengths[i]`` observations of every series; series with 0 are removed."""
        lengths = np.asarray(lengths, dtype=np.int64)
        keep = np.flatnonzero(lengths > 0)
        rows = ranges(self.indptr[keep], lengths[keep])
        return replace(
            self,
            keys=self.keys.iloc[keep].reset_index(drop=True),
            indptr=np.concatenate([[0], np.cumsum(lengths[keep])]).astype(np.int64),
            y=self.y[rows],
            times=self.times[rows],
            covariates=self.covariates.iloc[rows].reset_index(drop=True),
            static=self.static.iloc[keep].reset_index(drop=True),
        )

    def to_frame(self, values: np.ndarray | None = None, name: str | None = None) -> pd.DataFrame:
        """The long table: id columns, time and the target (or ``values`` named ``name``)."""
        out = self.keys.iloc[self.series_codes()].reset_index(drop=True)
        out[self.schema.time] = output_times(self.times, self.schema)
        out[name or self.schema.target] = self.y if values is None else values
        return out


def series_labels(panel: Panel) -> np.ndarray:
    """A readable label per series: its id values joined by '/' ('' for a single series)."""
    keys = panel.keys
    if not len(keys.columns):
        return np.full(panel.n_series, "", dtype=object)
    text = [keys[c].astype(str) for c in keys.columns]
    joined = text[0]
    for part in text[1:]:
        joined = joined + "/" + part
    return joined.to_numpy(dtype=object)


def fitted_positions(later: Panel, fitted: Panel) -> np.ndarray:
    """For each series of ``later``, its position in ``fitted`` (the training panel), -1 for
    a series the fit lacks; without ids, the one series of a single-series fit."""
    if later.schema.ids:
        keys = fitted.keys.assign(__pos=np.arange(fitted.n_series))
        pos = later.keys.merge(keys, on=list(later.schema.ids), how="left")["__pos"]
        return pos.fillna(-1).to_numpy(np.int64)
    return np.full(later.n_series, 0 if fitted.n_series == 1 else -1, dtype=np.int64)


def continued(later: Panel, fitted: Panel, bridge: int = 0) -> tuple[Panel, int, np.ndarray]:
    """``later`` (a ``history=`` table) with, before each of its series, the rows of the same
    series in ``fitted`` (the training panel) earlier than its first: given only the newest
    rows, a forecast read just them (a user test: 4 new quarters of M1, MASE 2.03 against 1.57
    from the whole history; ETS's level re-estimated on them, LightGBM's lags and the
    intervals' scale short). A series whose rows start inside its training rows keeps its own
    from there (revised values; it is forecast from its own end). Returns the panel, how many
    series were continued, and the positions (in ``later``) of the series that start more than
    one step after their training rows end: a gap, read as given; a series the fit lacks, or
    starting before its training rows, is read as given too. A gap of at most ``bridge`` missing
    steps is bridged instead: its steps inserted and their targets imputed by the fill rule, as a
    gap inside a history is (user test 59: one month missing from a feed of new rows made a
    429-month series start over from its 5 new months, forecast flat). A model fitted with ``aggregate=``
    reads ``later`` as given: its first and last periods, covered in part, are dropped at fit and
    in ``later`` alike, so the rows that follow the training table start a period late, and a
    few newest rows would be a part of a period read as a whole one (a user test: a day's
    sum of 5 half-hours carried forward, forecasts 10x too low)."""
    if later.schema.aggregate is not None:
        return later, 0, np.zeros(0, dtype=np.int64)
    pos = fitted_positions(later, fitted)
    known = pos >= 0
    first = later.times[later.indptr[:-1]].astype(fitted.times.dtype)
    j = pos[known]
    # each fitted series' rows earlier than the first of the later series it matches
    cut = np.zeros(fitted.n_series, dtype=first.dtype)  # those of no later series: not read
    cut[j] = first[known]
    codes = fitted.series_codes()
    earlier = np.bincount(codes, weights=fitted.times < cut[codes], minlength=fitted.n_series).astype(np.int64)
    k = earlier[j]
    ends = fitted.indptr[1:][j]
    at = np.minimum(fitted.indptr[:-1][j] + k, ends - 1)  # the fitted row at the later series' first
    after_end = step_times(fitted.last_times[j], np.array([1]), fitted.schema)[:, 0].astype(first.dtype)
    inside = (fitted.indptr[:-1][j] + k < ends) & (fitted.times[at] == first[known])
    after = (fitted.indptr[:-1][j] + k == ends) & ~(inside | (after_end == first[known]))
    gap = np.zeros(j.size, dtype=np.int64)  # missing steps bridged between training end and later's first
    if bridge > 0 and after.any():
        ahead = step_times(fitted.last_times[j[after]], np.arange(1, bridge + 2), fitted.schema).astype(first.dtype)
        match = ahead == first[known][after][:, None]
        gap[after] = np.where(match.any(axis=1), match.argmax(axis=1), 0)
    joins = inside | ((fitted.indptr[:-1][j] + k == ends) & ((after_end == first[known]) | (gap > 0)))
    before = np.zeros(later.n_series, dtype=np.int64)
    before[known] = np.where(joins, k, 0)
    inserted = np.zeros(later.n_series, dtype=np.int64)
    inserted[known] = gap
    gapped = np.flatnonzero(known)[after & (gap == 0)]
    if not before.any():
        return later, 0, gapped
    lengths = before + inserted + later.lengths
    # the fitted rows needed, the bridged steps, then the later panel's, interleaved series by series
    pre = ranges(fitted.indptr[:-1][np.maximum(pos, 0)], before)
    bridged = np.flatnonzero(inserted)
    gap_times = np.concatenate([
        step_times(fitted.last_times[pos[b : b + 1]], np.arange(1, inserted[b] + 1), fitted.schema)[0]
        for b in bridged
    ]).astype(fitted.times.dtype) if bridged.size else fitted.times[:0]
    take = np.column_stack([np.concatenate([[0], np.cumsum(before)[:-1]]),
                            pre.size + np.concatenate([[0], np.cumsum(inserted)[:-1]]),
                            later.indptr[:-1] + pre.size + gap_times.size]).ravel()
    rows = ranges(take, np.column_stack([before, inserted, later.lengths]).ravel())
    blank = pd.DataFrame(np.nan, index=range(gap_times.size), columns=fitted.covariates.columns)
    covariates = pd.concat([fitted.covariates.iloc[pre], blank, later.covariates[fitted.covariates.columns]],
                           ignore_index=True).iloc[rows].reset_index(drop=True)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    y = np.concatenate([fitted.y[pre], np.full(gap_times.size, np.nan), later.y])[rows]
    if gap_times.size:  # the bridged steps' targets by the fill rule, their covariates carried forward
        y = impute_targets(y, indptr, fitted.schema.fill)[0]
        log.warning("history=: %d series start %d to %d steps after the training data's end: continued across "
                    "the gap, %d missing step(s) imputed by %s (give their rows to use the real values)",
                    bridged.size, inserted[bridged].min() + 1, inserted[bridged].max() + 1, gap_times.size,
                    fitted.schema.fill)
        if len(covariates.columns):
            covariates = pd.DataFrame(segmented_ffill(covariates.to_numpy(np.float64), indptr),
                                      columns=covariates.columns)
    out = replace(
        later,
        indptr=indptr,
        y=y,
        times=np.concatenate([fitted.times[pre], gap_times, later.times.astype(fitted.times.dtype)])[rows],
        covariates=covariates,
    )
    return out, int(np.count_nonzero(before)), gapped


def step_times(last: np.ndarray, steps: np.ndarray, schema: Schema) -> np.ndarray:
    """Times ``steps`` steps after each of ``last``; shape (len(last), len(steps))."""
    if schema.freq is None:
        return last[:, None] + steps[None, :] * schema.step
    unit = f"datetime64[{schema.time_unit}]"
    offset = to_offset(schema.freq)
    base = np.asarray(last, dtype=unit)
    try:
        return shift(base, offset, np.asarray(steps)).astype(unit)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise DataValidationError(
            f"the times {int(np.max(np.abs(steps)))} steps from {base.min()}..{base.max()} "
            "leave pandas' nanosecond range (1677-09-21 to 2262-04-11): use a shorter horizon."
        ) from None


def decoded(values: np.ndarray, labels: tuple | None) -> np.ndarray:
    """Covariate values as the user's table held them: a labelled column's codes as its
    ``labels`` (None where missing); numbers (``labels`` None) as they are."""
    if labels is None:
        return values
    return np.where(np.isnan(values), None, np.asarray(labels, dtype=object)[np.nan_to_num(values).astype(np.int64)])


def output_times(times: np.ndarray, schema: Schema) -> pd.Series | np.ndarray:
    """Internal time stamps as the user gave them (time zone restored; integers such as 201001
    where the training table wrote its dates so; periods where it held periods)."""
    if schema.freq is None:
        return times
    idx = pd.DatetimeIndex(times)
    if schema.period:
        return idx.to_period(schema.period)
    if schema.time_format:
        return np.asarray(idx.strftime(schema.time_format), dtype=np.int64)
    if schema.tz is None:
        return idx
    if schema.tz.startswith("wall:"):
        return idx.tz_localize(schema.tz[5:], nonexistent="shift_forward", ambiguous="NaT")
    return idx.tz_localize("UTC").tz_convert(schema.tz)


def time_text(value) -> str:
    """A time as the tables and messages write it: a date alone at midnight (no ' 00:00:00')."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)


def min_length_split(panel: Panel, min_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the series at least ``min_length`` long, and of the shorter ones."""
    ok = panel.lengths >= min_length
    return np.flatnonzero(ok), np.flatnonzero(~ok)


def pad_front(panel: Panel, min_length: int) -> Panel:
    """Left-pad series shorter than ``min_length`` with zeros (``short_series="pad"``).

    The padding reads as "the series existed with no activity before its first record", the
    usual meaning for sales; covariates are back-filled from the first real row.
    """
    missing = np.maximum(min_length - panel.lengths, 0)
    if not missing.any():
        return panel
    new_lengths = panel.lengths + missing
    indptr = np.concatenate([[0], np.cumsum(new_lengths)]).astype(np.int64)
    total = int(indptr[-1])
    codes = np.repeat(np.arange(panel.n_series), new_lengths)
    steps_back = missing[codes] - (np.arange(total) - indptr[:-1][codes])  # > 0 on padded rows
    real = steps_back <= 0
    y = np.zeros(total)
    y[real] = panel.y
    back = step_times(panel.times[panel.indptr[:-1]], -np.arange(int(missing.max()) + 1), panel.schema)
    times = np.empty(total, dtype=panel.times.dtype)
    times[real] = panel.times
    times[~real] = back[codes[~real], steps_back[~real]]
    cov = pd.DataFrame(index=pd.RangeIndex(total))
    for c in panel.covariates.columns:
        values = np.full(total, np.nan)
        values[real] = panel.covariates[c].to_numpy()
        cov[c] = values
    if len(cov.columns):
        cov = pd.DataFrame(
            segmented_bfill(cov.to_numpy(np.float64), indptr), columns=cov.columns
        )
    return replace(panel, indptr=indptr, y=y, times=times, covariates=cov)


def impute_targets(y: np.ndarray, indptr: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Missing targets imputed within each series by ``rule`` (``"interpolate"``: linear between
    the neighbours, ``"zero"``, ``"ffill"``); returns (y, the rows to keep: not those before a
    series' first observation, nor after its last unless the rule is zero)."""
    missing = np.isnan(y)
    if not missing.any():
        return y, np.ones(len(y), dtype=bool)
    last_obs = last_valid_index(~missing, indptr)
    next_obs = next_valid_index(~missing, indptr)
    outside = last_obs < 0  # before the first observation; after the last one, unless a gap is 0
    if rule == "zero":
        filled = np.where(missing, 0.0, y)
    else:
        outside |= next_obs >= len(y)
        ffilled = np.where(last_obs >= 0, y[np.maximum(last_obs, 0)], np.nan)
        if rule == "ffill":
            filled = ffilled
        else:
            nxt = y[np.minimum(next_obs, len(y) - 1)]
            span = (next_obs - last_obs).astype("float64")
            frac = np.divide(
                np.arange(len(y)) - last_obs, span, out=np.zeros(len(y)), where=span > 0
            )
            filled = ffilled + frac * (nxt - ffilled)
            filled = np.where(missing, filled, y)
    return filled, ~outside


def last_valid_index(valid: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Row of the last valid entry at or before each row, within its series; -1 if none.

    ``valid`` is a boolean array of rows (or rows x columns) cut into series by ``indptr``.
    """
    rows = np.arange(len(valid)).reshape((-1,) + (1,) * (valid.ndim - 1))
    out = np.maximum.accumulate(np.where(valid, rows, -1), axis=0)
    start = np.repeat(indptr[:-1], np.diff(indptr)).reshape(rows.shape)
    return np.where(out >= start, out, -1)


def next_valid_index(valid: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Row of the next valid entry at or after each row, within its series; ``len`` if none."""
    n = len(valid)
    rows = np.arange(n).reshape((-1,) + (1,) * (valid.ndim - 1))
    out = np.minimum.accumulate(np.where(valid, rows, n)[::-1], axis=0)[::-1]
    end = np.repeat(indptr[1:], np.diff(indptr)).reshape(rows.shape)
    return np.where(out < end, out, n)


def _by_column(fill, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Apply a 1-D fill to every column (contiguous columns are faster than one 2-D pass)."""
    out = np.empty_like(values, dtype=np.float64)
    for j in range(values.shape[1]):
        out[:, j] = fill(np.ascontiguousarray(values[:, j]), indptr)
    return out


def segmented_ffill(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """NaNs replaced by the last value before them in the same series (1-D or rows x columns)."""
    if values.ndim == 2:
        return _by_column(segmented_ffill, values, indptr)
    last = last_valid_index(~np.isnan(values), indptr)
    return np.where(last >= 0, values[np.maximum(last, 0)], np.nan)


def segmented_bfill(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """NaNs replaced by the next value after them in the same series (1-D or rows x columns)."""
    if values.ndim == 2:
        return _by_column(segmented_bfill, values, indptr)
    n = len(values)
    nxt = next_valid_index(~np.isnan(values), indptr)
    return np.where(nxt < n, values[np.minimum(nxt, max(n - 1, 0))], np.nan)
