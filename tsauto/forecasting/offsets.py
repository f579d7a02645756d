"""Frequency aliases as pandas offsets, and steps along them.

A frequency is a pandas alias (``"h"``, ``"D"``, ``"W-FRI"``, ``"MS"``) or one of tsauto's own
for calendars pandas' aliases cannot name. Days of a shop closed on some weekdays are
``"C(Mon Tue Wed Thu Fri Sat)"``: pandas' ``CustomBusinessDay`` with that week mask (its
``freqstr`` is ``"C"`` whatever the mask; ``"B"`` stays Monday to Friday). Its opening hours are
``"CBH(09:00-18:00 Mon Tue Wed Thu Fri Sat)"``: pandas' ``CustomBusinessHour``, hourly steps
labelled by their start (09:00 to 17:00; ``"CBH(09:30-16:30 ...)"``: 09:30 to 15:30), ``00:00``
closing at midnight. Steps along open days and hours are counted with numpy's business-day
calendar (pandas adds such offsets element by element, and labels a step back from an
opening time by the closing time before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.tseries import frequencies
from pandas.tseries.offsets import (
    BaseOffset,
    BusinessDay,
    BusinessHour,
    CustomBusinessDay,
    CustomBusinessHour,
)

__all__ = [
    "WEEKDAYS",
    "freq_alias",
    "hours_a_day",
    "open_days_freq",
    "open_hours_freq",
    "open_period",
    "open_steps",
    "shift",
    "to_offset",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_OPEN_DAYS = re.compile(r"C\((.+)\)")
_OPEN_HOURS = re.compile(r"CBH\((\d\d):(\d\d)-(\d\d):(\d\d) (.+)\)")
_EPOCH = np.datetime64("1970-01-05", "D")  # a Monday: open steps are counted from it
_MINUTE = np.timedelta64(1, "m")


def to_offset(freq: str | BaseOffset) -> BaseOffset:
    """pandas' offset of a frequency alias, ``"C(...)"`` and ``"CBH(...)"`` included."""
    if isinstance(freq, str):
        days = _OPEN_DAYS.fullmatch(freq)
        if days:
            return CustomBusinessDay(weekmask=_weekmask(days.group(1)))
        hours = _OPEN_HOURS.fullmatch(freq)
        if hours:
            start, end = (60 * int(hours.group(i)) + int(hours.group(i + 1)) for i in (1, 3))
            whole_hours = (end - start) % 60 == 0
            if not (start < 1440 and end < 1440 and (start < end or end == 0 < start) and whole_hours):
                raise ValueError("opening hours run from a start to a later end, whole hours apart "
                                 "('00:00': midnight)")
            mask = _weekmask(hours.group(5))
            return CustomBusinessHour(start=_clock(start), end=_clock(end), weekmask=mask)
    return frequencies.to_offset(freq)


def shift(times: np.ndarray, offset: BaseOffset, k: int) -> np.ndarray:
    """``times`` (datetime64) moved ``k`` steps of ``offset`` (open days and hours by numpy's
    business-day calendar)."""
    if not isinstance(offset, CustomBusinessDay | CustomBusinessHour):
        return (pd.DatetimeIndex(times) + k * offset).to_numpy().astype(times.dtype)
    mask = offset.calendar.weekmask
    days = times.astype("datetime64[D]")
    if isinstance(offset, CustomBusinessDay):
        moved = np.busday_offset(days, k * offset.n, roll="forward", weekmask=mask)
        return moved.astype(times.dtype) + (times - days.astype(times.dtype))
    start, per_day = _opening(offset)
    slot = open_steps(times, offset) + k * offset.n
    day = np.busday_offset(_EPOCH, slot // per_day, roll="forward", weekmask=mask)
    clock = (start + 60 * (slot % per_day)) * _MINUTE
    return day.astype(times.dtype) + clock.astype(f"timedelta64[{np.datetime_data(times.dtype)[0]}]")


def open_steps(times: np.ndarray, offset: BusinessDay | CustomBusinessHour) -> np.ndarray:
    """The open days or hours from a fixed Monday to each of ``times`` (on the offset's grid):
    their differences are the steps between them."""
    days = times.astype("datetime64[D]")
    mask = "1111100" if offset.calendar is None else offset.calendar.weekmask  # "B": no calendar
    count = np.busday_count(_EPOCH, days, weekmask=mask)
    if not isinstance(offset, CustomBusinessHour):
        return count
    start, per_day = _opening(offset)
    return count * per_day + ((times - days.astype(times.dtype)) // _MINUTE - start) // 60


def open_period(times: np.ndarray, offset: BusinessDay | CustomBusinessHour) -> tuple[np.ndarray, np.ndarray]:
    """The open day or hour of ``offset`` holding each of ``times`` (its first instant), and
    which of ``times`` fall when it is closed (their period is then the day or hour they start)."""
    days = times.astype("datetime64[D]")
    mask = "1111100" if offset.calendar is None else offset.calendar.weekmask
    closed = ~np.is_busday(days, weekmask=mask)
    if not isinstance(offset, CustomBusinessHour):
        return days.astype(times.dtype), closed
    start, per_day = _opening(offset)
    hour = ((times - days.astype(times.dtype)) // _MINUTE - start) // 60
    closed |= (hour < 0) | (hour >= per_day)
    clock = (start + 60 * hour) * _MINUTE
    return days.astype(times.dtype) + clock.astype(f"timedelta64[{np.datetime_data(times.dtype)[0]}]"), closed


def _opening(offset: CustomBusinessHour) -> tuple[int, int]:
    """The opening time (minutes after midnight) and the hourly steps a day of ``offset``."""
    start, end = (60 * t.hour + t.minute for t in (offset.start[0], offset.end[0]))
    return start, (end - start) % 1440 // 60


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def freq_alias(freq: str | BaseOffset) -> str:
    """The alias tsauto stores for a frequency: pandas' own, or ``"C(...)"`` / ``"CBH(...)"``
    naming the open days or hours (``"B"`` for days open Monday to Friday)."""
    offset = to_offset(freq)
    if isinstance(offset, BusinessHour) and not isinstance(offset, CustomBusinessHour):
        offset = CustomBusinessHour(n=offset.n, start=offset.start, end=offset.end)
    if not isinstance(offset, CustomBusinessDay | CustomBusinessHour):
        return offset.freqstr
    if offset.n != 1 or len(offset.holidays) or offset.calendar.holidays.size:
        raise ValueError("open days and hours are supported one step at a time and without holidays")
    weekdays = np.flatnonzero(offset.calendar.weekmask)
    if isinstance(offset, CustomBusinessDay):
        return open_days_freq(weekdays)
    if len(offset.start) != 1 or any(t.second for t in (*offset.start, *offset.end)):
        raise ValueError("opening hours are supported as one span a day, in whole minutes")
    start, end = (60 * t.hour + t.minute for t in (offset.start[0], offset.end[0]))
    return open_hours_freq(start, end, weekdays)


def open_days_freq(weekdays: Iterable[int]) -> str:
    """The frequency of days open on ``weekdays`` (0 Monday ... 6 Sunday)."""
    days = sorted(set(weekdays))
    if days == [0, 1, 2, 3, 4]:
        return "B"
    if len(days) == 7:
        return "D"
    return "C(" + " ".join(WEEKDAYS[d] for d in days) + ")"


def open_hours_freq(start: int, end: int, weekdays: Iterable[int]) -> str:
    """The frequency of hourly steps from ``start`` to ``end`` (minutes after midnight; 0 or
    1440: midnight) on ``weekdays``."""
    days = " ".join(WEEKDAYS[d] for d in sorted(set(weekdays)))
    return f"CBH({_clock(start)}-{_clock(end % 1440)} {days})"


def _weekmask(days: str) -> str:
    unknown = [d for d in days.split() if d not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday(s) {unknown}: name them {' '.join(WEEKDAYS)}")
    return days


def hours_a_day(offset: CustomBusinessHour) -> int:
    """The hourly steps a day of opening hours."""
    return _opening(offset)[1]
