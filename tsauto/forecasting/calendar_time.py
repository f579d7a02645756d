"""Reading the time column, for any calendar.

Times are integer steps (no calendar) or timestamps. Timestamps are kept at nanosecond
resolution (``datetime64[ns]``) when they lie well inside pandas' nanosecond range
(1677-09-21 .. 2262-04-11). Dates outside it, or close enough to its limits that a horizon or
front padding could cross them (before 1800 or from 2200 on), are kept at second resolution
(``datetime64[s]``; microseconds where the stamps need them), which pandas handles for any year.
The whole panel then uses that unit, so no array ever mixes units (numpy converts between
units silently, overflowing instead of raising). The choice is logged and recorded as the
schema's ``calendar_note``; forecasts carry dates in the same calendar.

Frequencies of such dates are inferred on a copy shifted by whole 400-year cycles of the
Gregorian calendar (146,097 days: weekdays, month lengths and leap years repeat exactly).
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError, describe_rows, shortlist
from tsauto.core.table_io import day_or_month_first, guess_date_format
from tsauto.forecasting.frequency import infer_datetime_freq
from tsauto.forecasting.offsets import (
    OpenHours,
    open_days_freq,
    open_hours_freq,
    open_steps,
    open_weekdays,
    to_offset,
)
from tsauto.forecasting.zones import zones_of_offsets

log = logging.getLogger(__name__)

SAFE_NS = (np.datetime64("1800-01-01", "s"), np.datetime64("2200-01-01", "s"))
"""Stamps in ``[SAFE_NS[0], SAFE_NS[1])`` are kept at nanosecond resolution."""
NS_RANGE = (np.datetime64(pd.Timestamp.min.ceil("s")), np.datetime64(pd.Timestamp.max.floor("s")))
_CYCLE = np.timedelta64(146_097, "D")  # 400 Gregorian years


def parse_time(
    col: pd.Series, name: str, wall: bool | None = None, zone: str | None = None,
    day_first: bool | None = None,
) -> tuple[pd.Series, str | None]:
    """The time column as ``int64`` steps or naive ``datetime64``, and the time zone to restore.

    Timestamps come back at nanosecond resolution, or at second (microsecond) resolution when
    they lie outside ``SAFE_NS`` (see the module docstring). Stamps with a time zone are read
    as wall-clock or UTC times as ``wall`` says (``None``: as :func:`_drop_tz` reads them), the
    wall clock of ``zone`` where given (a later table's stamps on the fit's clock). Dates such
    as 07/09/2012, which read both day-first and month-first, are read in the order
    ``day_first`` says (the training table's, :func:`read_time`), an error without it.
    """
    times, tz, _ = read_time(col, name, wall, zone, day_first)
    return times, tz


def read_time(
    col: pd.Series, name: str, wall: bool | None = None, zone: str | None = None,
    day_first: bool | None = None,
) -> tuple[pd.Series, str | None, bool | None]:
    """As :func:`parse_time`, and whether date strings written with the day or the month first
    were read day-first (True) or month-first (False), where their values told (31/01/2012, or
    a first value 01/31/2012), or ``day_first`` said; None for other times (ISO dates, stamps,
    steps), and for dates whose values read alike both ways."""
    bad = col.index[col.isna()]
    if len(bad):
        raise DataValidationError(
            f"time column {name!r} is missing at {describe_rows(bad)}: drop those rows."
        )
    if pd.api.types.is_bool_dtype(col):
        raise DataValidationError(f"time column {name!r} holds booleans, not times or steps.")
    if pd.api.types.is_integer_dtype(col):
        return col.astype("int64"), None, None
    if pd.api.types.is_float_dtype(col):
        if not np.all(np.mod(col.to_numpy(), 1) == 0):
            rows = col.index[np.mod(col.to_numpy(), 1) != 0]
            raise DataValidationError(
                f"time column {name!r} holds non-integer numbers at {describe_rows(rows)}: "
                "use integer steps or timestamps."
            )
        return col.astype("int64"), None, None
    if isinstance(col.dtype, pd.PeriodDtype):
        return (*parse_time(col.dt.to_timestamp(), name, wall, zone), None)  # each period by its first instant
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return (*_drop_tz(col, wall, zone), None)
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.astype(f"datetime64[{_unit(col)}]"), None, None
    try:
        parsed, order = _parse_dates(col, name, day_first)
    except DataValidationError:
        raise
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError) as err:
        if "mixed timezones" in str(err).lower():
            if wall is None:  # at fit: no zone to read them in
                raise _mixed_offsets(col, name) from None
            return (*_drop_tz(_instants(col, name), wall, zone), None)  # a later table: the model's zone reads them
        raise DataValidationError(
            f"time column {name!r} could not be read as dates ({err}): give ISO dates such as "
            "2024-01-31 or integer steps."
        ) from None
    failed = col.index[parsed.isna()]
    if len(failed):
        examples = ", ".join(repr(v) for v in col.loc[failed[:3]])
        steps = col.astype(str).str.fullmatch(r"\s*-?\d+\s*").all()
        fix = ("the column holds integer steps as text: convert it to integers (.astype(int))"
               if steps else "give ISO dates such as 2024-01-31 or integer steps")
        raise DataValidationError(
            f"time column {name!r} could not be read as dates at {describe_rows(failed)} "
            f"(values {examples}): {fix}."
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return (*_drop_tz(parsed, wall, zone), order)
    return parsed.astype(f"datetime64[{_unit(parsed)}]"), None, order


def _parse_dates(col: pd.Series, name: str, day_first: bool | None = None) -> tuple[pd.Series, bool | None]:
    """Date strings (or objects) read in one format, that of the first value; NaT where
    unreadable. Dates that start with the day or the month (``01/02/2010``) are read month-first
    or day-first, whichever reads every row; if both do, differently, they are read as
    ``day_first`` says (the training table's order), an error without it, and so is any mix of
    formats other than ISO stamps of mixed precision: reading them would mean guessing day and
    month. With the dates, whether they were read day-first, where the values (or
    ``day_first``) told (see :func:`read_time`)."""
    text = col.astype(str).str.strip()
    fmt = guess_date_format(text.iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas' "could not infer format"
        if fmt is not None and fmt.startswith("%m"):
            read = day_or_month_first(col, fmt, name, "time column", day_first)
            if read is not None:
                parsed, used, told = read
                return parsed, used.startswith("%d") if told or day_first is not None else None
        else:
            told = True if fmt is not None and fmt.startswith("%d") and "%m" in fmt else None  # 31/01/2012 first
            try:
                return pd.to_datetime(col), told
            except (ValueError, TypeError) as err:  # TypeError: a cell holding a list or an index
                if "mixed timezones" in str(err).lower():
                    raise
        parsed = pd.to_datetime(col, errors="coerce", format="mixed")
    iso = text.str.match(r"[+-]?\d{4,}-\d\d")
    if iso.all() or not iso.any() and parsed.isna().any():
        return parsed, None  # the caller names the unreadable rows
    odd = col.index[pd.to_datetime(col, format=fmt, errors="coerce").isna()] if fmt else col.index[~iso]
    examples = ", ".join(repr(v) for v in text.loc[odd[:3]])
    raise DataValidationError(
        f"time column {name!r} mixes date formats: {text.iloc[0]!r} (row {col.index[0]}) reads as "
        f"{fmt or 'a date'}, {describe_rows(odd)} (values {examples}) do not, and day and month "
        "cannot be told apart without guessing: give every date in one format, ISO for example "
        "(2024-01-31)."
    )


def _mixed_offsets(col: pd.Series, name: str) -> DataValidationError:
    """The error for a column whose stamps carry different UTC offsets (or some none): the
    rows of each offset, and the fix in pandas with a zone whose offsets they are at those
    times (Melbourne's +1100 and +1000 were told 'Europe/Berlin'), and in a file (the command
    line has no conversion: UTC stamps, a UTC column of the table)."""
    offsets = col.map(_offset_of)
    groups = list(offsets.groupby(offsets, sort=False).groups.items())
    found = "; ".join(f"{off} at {describe_rows(rows, 3, counted=not i)}" for i, (off, rows) in enumerate(groups[:4]))
    zones = zones_of_offsets(col, offsets)
    if len(zones) == 1:
        zone, which = repr(zones[0]), f" ({zones[0]} is the zone whose offsets these are)"
    else:
        zone = "ZONE"
        which = (f" (ZONE: your zone, one whose offsets these are at these times, such as "
                 f"{shortlist([repr(z) for z in zones], 4)})" if zones else " (ZONE: your zone, e.g. 'Europe/Berlin')")
    return DataValidationError(
        f"time column {name!r} mixes time-zone offsets ({found}): convert it to one zone first: "
        f"in pandas, df[{name!r}] = pd.to_datetime(df[{name!r}], utc=True).dt.tz_convert({zone}){which}, "
        "daylight saving then handled; on the command line, --tz ZONE reads them so; or write every "
        "stamp in UTC (2024-01-31T13:00:00Z), or give a column of UTC stamps as the time column (--time, "
        "time=) if the table has one; or give naive local times."
    )


# a UTC offset or zone written after a time of day: '13:00Z', '13:00:00+11:00', '04:00:00+00' (as
# PostgreSQL writes them), '13:00:00 UTC'; not a date's year ('31-01-2023')
OFFSET = re.compile(r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)\s*$")


def _offset_of(value: object) -> str:
    """The UTC offset written in a time stamp (``"+02:00"``, ``"Z"``) or ``"no offset"``."""
    if isinstance(value, str):
        found = OFFSET.search(value.strip())
        return found.group(1) if found else "no offset"
    offset = getattr(value, "utcoffset", lambda: None)()
    return "no offset" if offset is None else pd.Timestamp(value).strftime("%z")


def _instants(col: pd.Series, name: str) -> pd.Series:
    """Text stamps of different UTC offsets (daylight saving's) as instants, in UTC; refused
    where some stamps have an offset and others none (the instant of those is unknown)."""
    offsets = col.map(_offset_of)
    naive = offsets == "no offset"
    if naive.any():
        raise DataValidationError(
            f"time column {name!r} gives a UTC offset in some stamps ({col[~naive].iloc[0]!r}) and none in "
            f"{describe_rows(col.index[naive])} ({col[naive].iloc[0]!r}), whose instant is unknown: write every "
            "stamp with its offset, or none (local times)."
        )
    try:
        return pd.to_datetime(col, utc=True, format="mixed")
    except (ValueError, TypeError, OverflowError) as err:
        raise _unreadable_stamps(name, f"({str(err).splitlines()[0][:200]})") from None


def _unreadable_stamps(name: str, where: str) -> DataValidationError:
    """The error for a time column whose stamps do not read (``where``: the rows, or why)."""
    return DataValidationError(
        f"time column {name!r} could not be read as time stamps {where}: give ISO stamps such as "
        "2024-01-31T13:00:00+11:00."
    )


def _stamps(col: pd.Series, name: str, day_first: bool | None = None) -> pd.Series:
    """Text stamps read as the fit reads them (:func:`_parse_dates`; with their zone where they
    carry an offset), those of different UTC offsets as instants (:func:`_instants`)."""
    offsets = col.map(_offset_of) != "no offset"
    if offsets.any() and not offsets.all():
        return _instants(col, name)  # refused, naming the rows without one
    try:
        parsed = _parse_dates(col, name, day_first)[0]
    except DataValidationError:
        raise
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError) as err:
        if "mixed timezones" not in str(err).lower():
            raise _unreadable_stamps(name, f"({str(err).splitlines()[0][:200]})") from None
        parsed = _instants(col, name)
    failed = col.index[parsed.isna()]
    if len(failed):
        values = ", ".join(repr(v) for v in col.loc[failed[:3]])
        raise _unreadable_stamps(name, f"at {describe_rows(failed)} (values {values})")
    return parsed


def in_zone(col: pd.Series, name: str, zone: str, day_first: bool | None = None, dates: bool = True) -> pd.Series:
    """The time column ``col`` put in ``zone`` (an IANA zone; the command line's ``--tz``):
    stamps with a UTC offset or a zone converted to it (different offsets too, as daylight
    saving writes them), naive stamps read as its local times (those daylight saving repeats or
    skips refused, naming their rows). Dates (every stamp at midnight) have no clock: kept as
    they are (a zone whose clocks change at midnight has no such instant for some of them),
    unless not ``dates`` (a later table of a model whose stamps had a zone: a day's rows at
    00:00). ``day_first``: the training table's order of dates such as 07/09/2012.
    Integer steps are refused."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise DataValidationError(
            f"time column {name!r} holds numbers (steps), not time stamps: a time zone is for stamps; leave it out."
        )
    if isinstance(col.dtype, pd.PeriodDtype):
        col = col.dt.to_timestamp()
    if not pd.api.types.is_datetime64_any_dtype(col):
        col = _stamps(col, name, day_first)
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert(zone)
    if dates and (col.dt.normalize() == col).all():
        return col
    log.info("time column %r: its stamps have no UTC offset: read as %s's local times (UTC ones are written "
             "with Z or +00:00)", name, zone)  # a user test's UTC times without one came out 11 hours off, unsaid
    local = col.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    bad = col.index[local.isna() & col.notna()]
    if len(bad):
        raise DataValidationError(
            f"time column {name!r}: its naive stamps at {describe_rows(bad)} ({str(col[bad[0]])!r}) are no single "
            f"instant in {zone}, whose daylight saving repeats or skips them: write the stamps with their UTC "
            "offset (2024-04-07T02:30:00+11:00) or in UTC, or give no zone to read them as naive local times."
        )
    return local


def _unit(col: pd.Series) -> str:
    """``ns`` inside ``SAFE_NS``; else ``s`` (``us`` for stamps with sub-second parts)."""
    values = col.to_numpy()
    if values.dtype.kind != "M" or len(values) == 0:
        return "ns"
    low, high = values.min(), values.max()
    if SAFE_NS[0] <= low and high < SAFE_NS[1]:
        return "ns"
    if (values.astype("datetime64[s]") == values).all():
        return "s"
    return "us"


WALL_NIGHT = range(0, 4)  # local hours in which daylight saving moves the clocks (01:00-03:00)


def _drop_tz(col: pd.Series, wall: bool | None, zone: str | None = None) -> tuple[pd.Series, str]:
    """Time-zone-aware stamps as naive ones, and the zone to restore on output.

    Daily or coarser stamps (all at local midnight) keep their wall-clock date, which daylight
    saving would make irregular in UTC; so do finer ones never in the night hours when clocks
    change (``WALL_NIGHT``: a shop's opening hours, 09:00-18:00 local all year, which UTC would
    shift by an hour in summer); other finer stamps are converted to UTC, which stays regular.
    The zone is recorded as ``"wall:<zone>"`` or ``"<zone>"`` (UTC-based) accordingly;
    ``wall`` given (a later table read as the fit's, or stamps rolled up to days or longer,
    which run from local midnight) decides instead; with ``zone``, the wall clock is that zone's
    (a later table of the same instants in UTC was read on UTC's clock: other days).
    """
    if wall and zone is not None:
        col = col.dt.tz_convert(zone)
    zone = str(col.dt.tz)
    if wall is None:
        wall = (col.dt.normalize() == col).all() or not col.dt.hour.isin(WALL_NIGHT).any()
    if wall:
        naive = col.dt.tz_localize(None)
        return naive.astype(f"datetime64[{_unit(naive)}]"), f"wall:{zone}"
    naive = col.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.astype(f"datetime64[{_unit(naive)}]"), zone


def wall_clock(times: np.ndarray, tz: str | None) -> np.ndarray:
    """Internal stamps as local wall-clock times, which calendar and holiday features read:
    those kept in UTC (``tz`` without ``wall:``, see :func:`_drop_tz`) converted to ``tz``
    (half-hourly Melbourne demand read as UTC had its hour-of-day 11 hours off, its weekday
    turning at 11:00 and Christmas flagged from 11:00 on the 25th); others as they are."""
    if tz is None or tz.startswith("wall:") or not np.issubdtype(times.dtype, np.datetime64):
        return times
    local = pd.DatetimeIndex(times).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    return local.to_numpy().astype(times.dtype)


INTEGER_DATES = {"%Y%m": "year-month (YYYYMM)", "%Y%m%d": "year-month-day (YYYYMMDD)"}
"""Date formats that integer time columns are read in (:func:`integer_date_format`)."""
AS_STEPS = {"%Y%m": "201012 to 201101 would leave 88", "%Y%m%d": "20100131 to 20100201 would leave 69"}
"""What reading such dates as integer steps would invent (followed by "invented steps")."""


def integer_date_format(values: np.ndarray) -> str | None:
    """``"%Y%m"`` (201001) or ``"%Y%m%d"`` (20100131) where every integer is such a date of
    1800..2199 and they cross a year (months) or a month (days), which integer steps never do
    as dates (201012 + 1 is no month); else None: the integers are steps. As steps, monthly
    YYYYMM values would be 89 apart at each new year and 88 steps would be invented between."""
    v = np.unique(np.asarray(values, dtype=np.int64))
    if v.size < 2:
        return None
    fmt = next((f for f in INTEGER_DATES if _date_values(v, f).all()), None)
    return fmt if fmt is not None and _crosses(v, fmt) else None


MOSTLY_DATES = 0.9
"""Share of the rows of an integer time column that, read as dates crossing a year or month,
make the others mistyped stamps rather than the column steps: evenly spaced steps that cross
one hold fewer (20100101..20100201: 32 of 101 are days; every 24th from 20151007: 4 of 6)."""


def odd_integer_dates(values: np.ndarray) -> tuple[str, np.ndarray] | None:
    """Where more than ``MOSTLY_DATES`` of the integers (rows) are dates of a format of
    :data:`INTEGER_DATES` (and read so on their own) but not all: the format and which values
    are not (198002 typed as 19800, a series on steps 1..n among YYYYMM ones); else None. Read as
    steps, the whole column would get invented steps between the dates (88 a year of months)."""
    v, inverse = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
    for fmt in INTEGER_DATES:
        ok = _date_values(v, fmt)
        if not ok.all() and ok[inverse].mean() > MOSTLY_DATES and _crosses(v[ok], fmt):
            return fmt, ~ok[inverse]
    return None


def _date_values(v: np.ndarray, fmt: str) -> np.ndarray:
    """Which integers are dates of 1800..2199 written in ``fmt``."""
    if fmt == "%Y%m":
        return (v >= 180001) & (v <= 219912) & (v % 100 >= 1) & (v % 100 <= 12)
    ok = (v >= 18000101) & (v <= 21991231)
    parsed = pd.to_datetime(pd.Series(v[ok].astype(str)), format="%Y%m%d", errors="coerce")
    ok[ok] = parsed.notna().to_numpy()
    return ok


def _crosses(v: np.ndarray, fmt: str) -> bool:
    """Whether the dates ``v`` (sorted, unique) cross a year (months: 201012 and 201101) or a
    month (days)."""
    if fmt == "%Y%m":
        return bool(np.isin(v[v % 100 == 12] + 89, v).any())
    return np.unique(v // 100).size > 1


def read_integer_dates(col: pd.Series, fmt: str, name: str) -> pd.Series:
    """Integers written as dates in ``fmt`` (:data:`INTEGER_DATES`) as ``datetime64[ns]``."""
    parsed = pd.to_datetime(col.astype("int64").astype(str), format=fmt, errors="coerce")
    bad = col.index[parsed.isna()]
    if len(bad):
        raise DataValidationError(
            f"time column {name!r} is read as {INTEGER_DATES[fmt]} dates, as the model's training "
            f"table was, but holds other integers at {describe_rows(bad)} (values "
            f"{', '.join(str(v) for v in col.loc[bad[:3]])}): give its dates in that form."
        )
    return parsed.astype("datetime64[ns]")


def integer_dates_note(name: str, fmt: str) -> str:
    """The note recorded (and logged) when integer times are read as dates."""
    note = (
        f"time column {name!r} holds integers written as {INTEGER_DATES[fmt]} dates: read as "
        f"dates (the frequency, seasons and calendar features from them; as integer steps, "
        f"{AS_STEPS[fmt]} invented steps); forecasts carry the same integers"
    )
    log.info("%s", note)
    return note


def time_unit(values: pd.Series | np.ndarray) -> str:
    """The resolution of parsed timestamps (``"ns"``, ``"us"`` or ``"s"``)."""
    return np.datetime_data(np.asarray(values).dtype)[0]


def calendar_note(values: pd.Series, name: str) -> str | None:
    """The note recorded (and logged) when timestamps are kept at a coarser unit than ns."""
    unit = time_unit(values)
    if unit == "ns":
        return None
    low, high = values.min(), values.max()
    where = (
        "outside pandas' nanosecond range (1677-09-21 to 2262-04-11)"
        if low < pd.Timestamp.min or high > pd.Timestamp.max
        else "close to the limits of pandas' nanosecond range (1677-09-21 to 2262-04-11)"
    )
    note = (
        f"time column {name!r} runs from {low} to {high}, {where}: times are kept as "
        f"datetime64[{unit}] and forecasts carry dates in the same calendar"
    )
    log.info("%s", note)  # nothing to fix: a note, which the data checks show
    return note


def as_unit(values: pd.Series, unit: str, name: str, what: str) -> pd.Series:
    """Parsed timestamps of a later table in the unit chosen at fit (an error if they cannot)."""
    if time_unit(values) == unit:
        return values
    if unit == "ns" and (values.min() < SAFE_NS[0] or values.max() >= SAFE_NS[1]):
        raise DataValidationError(
            f"column {name!r} of {what} runs from {values.min()} to {values.max()}, a calendar "
            "the model was not fitted on (its training dates lay between 1800 and 2200): "
            "refit on a table that holds these dates."
        )
    return values.astype(f"datetime64[{unit}]")


# steps over closed days or hours (summed over the series) before they are read as closed:
# fewer, and a weekday or an hour that a few random gaps hit every time reads as closed (two
# weeks of daily rows with both Saturdays missing)
STEPS_OVER = 4
# public holidays on open weekdays inside the stamps' span, none with a row, before daily rows
# are read as closed on the holidays of the country given
HOLIDAYS_SKIPPED = 2


def infer_freq(times: pd.Series, series_codes: np.ndarray, holidays: str | None = None) -> str:
    """:func:`infer_datetime_freq` for timestamps of any unit; for daily stamps that never
    fall on some weekdays and step over them, the days open: ``"B"`` (Monday to Friday) or
    ``"C(Mon Tue Wed Thu Fri Sat)"`` (a shop closed on Sundays); with the country or region
    ``holidays``, daily stamps (or opening hours) never on its public holidays (on open
    weekdays) are read as closed on them too (``"C(Mon Tue Wed Thu Fri; US-DC holidays)"``,
    ``"CBH(09:00-18:00 Mon Tue Wed Thu Fri; US-DC holidays)"``); for hourly (or
    half-hourly, quarter-hourly) stamps that never fall at some times of the day, the opening
    hours (``"CBH(09:00-18:00 Mon Tue Wed Thu Fri)"``, ``"CBH(08:00-20:00 Mon Tue Wed Thu Fri,
    30min)"``, ``"CBH(11:00-15:00,18:00-23:00 ...)"``): the closed days and hours are not
    inserted as missing steps, interpolated and forecast.

    Stamps outside the nanosecond range are moved, series by series, by whole 400-year cycles
    (which keep weekdays and month ends) to start after 1678 before inferring.
    """
    freq = _infer_any_unit(times, series_codes)
    if re.fullmatch(r"\d*D", freq):
        opened = _open_days(times, series_codes)
        if holidays is not None and freq == "D":
            opened = _closed_on_holidays(times, opened or freq, holidays) or opened
    elif freq == "h" or (re.fullmatch(r"\d*min", freq) and 60 % _minutes(freq) == 0):
        opened = _open_hours(times, series_codes, _minutes(freq))
        if holidays is not None and opened is not None:
            opened = _closed_on_holidays(times, opened, holidays) or opened
    else:
        return freq
    if opened is None:
        return freq
    log.info("%s stamps only at open %s: frequency %r", freq, "hours" if "CBH" in opened else "days", opened)
    return opened


def _minutes(freq: str) -> int:
    return pd.Timedelta(to_offset(freq)) // pd.Timedelta(minutes=1)


def _open_days(times: pd.Series, series_codes: np.ndarray) -> str | None:
    """The days open where some weekday inside the series' spans has no stamp (closed), the
    rows step over the closed days (:func:`_steps_over`: once where Saturday and Sunday are
    closed, the common calendar; ``STEPS_OVER`` times for other days), and the most common step
    is one open day (with gaps, Friday to Monday can be the most common step in calendar days)."""
    closed = _closed_weekdays(times, series_codes)
    if not closed.any():
        return None
    freq = open_days_freq(np.flatnonzero(~closed))
    weekend = closed.tolist() == [False] * 5 + [True] * 2
    return freq if _steps_over(times, series_codes, freq, 1 if weekend else STEPS_OVER) else None


def _closed_on_holidays(times: pd.Series, freq: str, country: str) -> str | None:
    """``freq``'s open days or hours closed on the public holidays of ``country`` too, where at
    least ``HOLIDAYS_SKIPPED`` of them fall on open weekdays inside the stamps' span and no stamp
    is on any of them (a shop open on one holiday is not closed on holidays)."""
    from tsauto.forecasting.features.holiday import holiday_dates

    offset = to_offset(freq)
    mask = open_weekdays(offset)
    days = np.unique(times.to_numpy().astype("datetime64[D]"))
    first, last = days[0], days[-1]
    dates = holiday_dates(country, int(str(first)[:4]), int(str(last)[:4]))
    dates = dates[(dates >= first) & (dates <= last) & np.is_busday(dates, weekmask=mask)]
    if len(dates) < HOLIDAYS_SKIPPED or np.isin(dates, days).any():
        return None
    if isinstance(offset, OpenHours):
        return replace(offset, holidays=country).freqstr
    return open_days_freq(np.flatnonzero(mask), country)


def _open_hours(times: pd.Series, series_codes: np.ndarray, step: int) -> str | None:
    """The opening hours where stamps ``step`` minutes apart (an hour, half an hour), all on
    one grid of the day (09:00, or 09:30 for bars of a stock exchange), never fall at some
    times of the day (or on some weekdays: then all day on the others): the times seen, in one
    span or more (a lunch break, a restaurant's two services; a day seen from its first to its
    last step is open all day, a time never seen within it a missing step), on the weekdays not
    closed (as for days), where the rows step over the closed times (:func:`_steps_over`) and
    the most common step is one open step."""
    values = times.to_numpy()
    clock = (values - values.astype("datetime64[D]").astype(values.dtype)) // np.timedelta64(1, "m")
    exact = (values - values.astype("datetime64[m]").astype(values.dtype)) == np.timedelta64(0)
    if not exact.all() or np.unique(clock % step).size > 1:
        return None
    seen = np.unique(clock)
    weekdays = np.flatnonzero(~_closed_weekdays(times, series_codes))
    if seen[0] == 0 and seen[-1] == 1440 - step:  # the whole day: open all day on the days open
        if len(weekdays) == 7:
            return None
        seen = np.arange(0, 1440, step)
    breaks = np.flatnonzero(np.diff(seen) != step) + 1
    spans = _closed_within_day([(int(run[0]), int(run[-1]) + step) for run in np.split(seen, breaks)],
                               values, clock, series_codes, step)
    freq = open_hours_freq(spans, weekdays, step)
    return freq if _steps_over(times, series_codes, freq, STEPS_OVER) else None


def _closed_within_day(
    spans: list[tuple[int, int]], values: np.ndarray, clock: np.ndarray, series_codes: np.ndarray, step: int
) -> list[tuple[int, int]]:
    """``spans`` with the breaks between them that rows step over, within a day, fewer than
    ``STEPS_OVER`` times joined (times a few random gaps left unseen are missing steps, not a
    lunch break)."""
    same = (series_codes[1:] == series_codes[:-1]) & (
        values[1:].astype("datetime64[D]") == values[:-1].astype("datetime64[D]"))
    before, after = clock[:-1][same], clock[1:][same]
    joined = [spans[0]]
    for start, end in spans[1:]:
        if np.sum((before == joined[-1][1] - step) & (after == start)) < STEPS_OVER:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _closed_weekdays(times: pd.Series, series_codes: np.ndarray) -> np.ndarray:
    """Which weekdays (Monday first) no stamp falls on though some series' span holds them
    (a weekday no series spans counts as open)."""
    weekday = pd.DatetimeIndex(times).day_of_week.to_numpy()
    seen = np.bincount(weekday, minlength=7) > 0
    if seen.all():
        return ~seen
    days = times.to_numpy().astype("datetime64[D]")
    same = series_codes[1:] == series_codes[:-1]
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(days)] - 1
    span = (days[ends] - days[starts]).astype(np.int64) + 1
    after_first = (np.arange(7)[None, :] - weekday[starts][:, None]) % 7
    spanned = (span[:, None] // 7 + (after_first < (span % 7)[:, None])).sum(axis=0)
    return ~seen & (spanned > 0)


def _steps_over(times: pd.Series, series_codes: np.ndarray, freq: str, jumps: int) -> bool:
    """Whether rows of a series step from one open day or hour of ``freq`` to the next over
    closed ones at least ``jumps`` times, and the most common step is one open step."""
    stamps = times.to_numpy()
    same = series_codes[1:] == series_codes[:-1]
    offset = to_offset(freq)
    steps = np.diff(open_steps(stamps, offset))[same]
    unit = np.timedelta64(offset.step, "m") if isinstance(offset, OpenHours) else np.timedelta64(1, "D")
    longer = np.diff(stamps)[same] > unit
    if np.sum((steps == 1) & longer) < jumps:
        return False
    uniq, counts = np.unique(steps[steps > 0], return_counts=True)
    return bool(uniq.size) and uniq[np.argmax(counts)] == 1


def _infer_any_unit(times: pd.Series, series_codes: np.ndarray) -> str:
    if time_unit(times) == "ns":
        return infer_datetime_freq(times, series_codes)
    values = times.to_numpy()
    codes, starts = np.unique(series_codes, return_index=True)
    first = np.minimum.reduceat(values, starts).astype("datetime64[s]")
    lowest = np.datetime64("1678-01-01", "s")
    cycles = np.ceil((lowest - first) / _CYCLE.astype("timedelta64[s]")).astype(np.int64)
    shifted = values + cycles[np.searchsorted(codes, series_codes)] * _CYCLE
    if shifted.max() > NS_RANGE[1]:
        raise ValueError("a series spans too many years to infer its frequency")
    return infer_datetime_freq(pd.Series(shifted.astype("datetime64[ns]")), series_codes)
