"""Frequency aliases as pandas offsets, and steps along them.

A frequency is a pandas alias (``"h"``, ``"D"``, ``"W-FRI"``, ``"MS"``) or one of tsauto's own
for calendars pandas' aliases cannot name. Days of a shop closed on some weekdays are
``"C(Mon Tue Wed Thu Fri Sat)"``: pandas' ``CustomBusinessDay`` with that week mask (its
``freqstr`` is ``"C"`` whatever the mask; ``"B"`` stays Monday to Friday). Its opening hours are
``"CBH(09:00-18:00 Mon Tue Wed Thu Fri Sat)"`` (:class:`OpenHours`; pandas' ``CustomBusinessHour``
steps by whole hours only): hourly steps labelled by their start (09:00 to 17:00;
``"CBH(09:30-16:30 ...)"``: 09:30 to 15:30), ``00:00`` closing at midnight; half hours are
``"CBH(08:00-20:00 Mon Tue Wed Thu Fri, 30min)"``. Steps along open days and hours are counted
with numpy's business-day calendar (pandas adds such offsets element by element, and labels a
step back from an opening time by the closing time before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries import frequencies
from pandas.tseries.offsets import BaseOffset, BusinessDay, BusinessHour, CustomBusinessDay

__all__ = [
    "WEEKDAYS",
    "OpenHours",
    "freq_alias",
    "is_open",
    "open_days_freq",
    "open_hours_freq",
    "open_grid",
    "open_period",
    "open_steps",
    "shift",
    "to_offset",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_OPEN_DAYS = re.compile(r"C\((.+)\)")
_OPEN_HOURS = re.compile(r"CBH\((\d\d):(\d\d)-(\d\d):(\d\d) ([A-Za-z ]+?)(?:, (\d+)min)?\)")
_EPOCH = np.datetime64("1970-01-05", "D")  # a Monday: open steps are counted from it
_MINUTE = np.timedelta64(1, "m")


@dataclass(frozen=True)
class OpenHours:
    """Opening hours: steps of ``step`` minutes from ``start`` to ``end`` (minutes after
    midnight; 1440: midnight) on the weekdays of ``weekmask`` (Monday first). pandas'
    ``CustomBusinessHour`` steps by whole hours only; a call centre's half hours need this."""

    weekmask: tuple[bool, ...]
    start: int
    end: int
    step: int = 60
    n: int = 1  # one step at a time, as the open calendars tsauto reads

    def __post_init__(self) -> None:
        span = self.end - self.start
        if not (0 <= self.start < self.end <= 1440 and self.step > 0 and span % self.step == 0):
            raise ValueError("opening hours run from a start to a later end on the same day, a "
                             "whole number of steps apart ('00:00': midnight)")
        if not any(self.weekmask):
            raise ValueError("opening hours need at least one open weekday")

    @property
    def per_day(self) -> int:
        """Steps a day."""
        return (self.end - self.start) // self.step

    @property
    def freqstr(self) -> str:
        return open_hours_freq(self.start, self.end, np.flatnonzero(self.weekmask), self.step)


def to_offset(freq: str | BaseOffset) -> BaseOffset | OpenHours:
    """pandas' offset of a frequency alias, ``"C(...)"`` included; :class:`OpenHours` for
    ``"CBH(...)"`` and for pandas' business hours."""
    if isinstance(freq, OpenHours):
        return freq
    if isinstance(freq, str):
        days = _OPEN_DAYS.fullmatch(freq)
        if days:
            return CustomBusinessDay(weekmask=_weekmask(days.group(1)))
        hours = _OPEN_HOURS.fullmatch(freq)
        if hours:
            start, end = (60 * int(hours.group(i)) + int(hours.group(i + 1)) for i in (1, 3))
            open_days = set(_weekmask(hours.group(5)).split())
            mask = tuple(d in open_days for d in WEEKDAYS)
            return OpenHours(mask, start, end or 1440, int(hours.group(6) or 60))
    offset = frequencies.to_offset(freq)
    if isinstance(offset, BusinessHour):  # CustomBusinessHour too
        if offset.n != 1 or len(offset.start) != 1 or any(t.second for t in (*offset.start, *offset.end)):
            raise ValueError("business hours are supported one step at a time, as one span a day "
                             "in whole minutes")
        start, end = (60 * t.hour + t.minute for t in (offset.start[0], offset.end[0]))
        calendar = getattr(offset, "calendar", None)  # BusinessHour: Monday to Friday
        mask = (True,) * 5 + (False,) * 2 if calendar is None else tuple(bool(d) for d in calendar.weekmask)
        return OpenHours(mask, start, end or 1440)
    return offset


def shift(times: np.ndarray, offset: BaseOffset | OpenHours, k: int) -> np.ndarray:
    """``times`` (datetime64) moved ``k`` steps of ``offset`` (open days and hours by numpy's
    business-day calendar)."""
    if not is_open(offset):
        return (pd.DatetimeIndex(times) + k * offset).to_numpy().astype(times.dtype)
    return _from_steps(open_steps(times, offset) + k * offset.n, offset, times.dtype, times)


def open_grid(times: np.ndarray, offset: BusinessDay | OpenHours) -> np.ndarray:
    """Every open day or step of opening hours from the first to the last that ``times`` fall
    in (those at closed times fall in none)."""
    period, closed = open_period(times, offset)
    if closed.all():
        return times[:0]
    steps = open_steps(period[~closed], offset)
    return _from_steps(np.arange(steps.min(), steps.max() + 1), offset, times.dtype)


def open_steps(times: np.ndarray, offset: BusinessDay | OpenHours) -> np.ndarray:
    """The open days or steps of opening hours from a fixed Monday to each of ``times`` (on
    the offset's grid): their differences are the steps between them."""
    days = times.astype("datetime64[D]")
    count = np.busday_count(_EPOCH, days, weekmask=_mask(offset))
    if not isinstance(offset, OpenHours):
        return count
    clock = (times - days.astype(times.dtype)) // _MINUTE
    return count * offset.per_day + (clock - offset.start) // offset.step


def open_period(times: np.ndarray, offset: BusinessDay | OpenHours) -> tuple[np.ndarray, np.ndarray]:
    """The open day or step of ``offset`` holding each of ``times`` (its first instant), and
    which of ``times`` fall when it is closed (their period is then the day or step they start)."""
    days = times.astype("datetime64[D]")
    closed = ~np.is_busday(days, weekmask=_mask(offset))
    if not isinstance(offset, OpenHours):
        return days.astype(times.dtype), closed
    slot = ((times - days.astype(times.dtype)) // _MINUTE - offset.start) // offset.step
    closed |= (slot < 0) | (slot >= offset.per_day)
    clock = (offset.start + offset.step * slot) * _MINUTE
    return days.astype(times.dtype) + clock.astype(_delta(times.dtype)), closed


def _from_steps(
    steps: np.ndarray, offset: BusinessDay | OpenHours, dtype, like: np.ndarray | None = None
) -> np.ndarray:
    """The times of open steps counted by :func:`open_steps` (days keep ``like``'s clock)."""
    if not isinstance(offset, OpenHours):
        days = np.busday_offset(_EPOCH, steps, roll="forward", weekmask=_mask(offset)).astype(dtype)
        return days if like is None else days + (like - like.astype("datetime64[D]").astype(dtype))
    day = np.busday_offset(_EPOCH, steps // offset.per_day, roll="forward", weekmask=_mask(offset))
    clock = (offset.start + offset.step * (steps % offset.per_day)) * _MINUTE
    return day.astype(dtype) + clock.astype(_delta(dtype))


def is_open(offset) -> bool:
    """Open days (``"B"``, ``"C(...)"``) or opening hours, one step at a time."""
    return isinstance(offset, OpenHours) or (isinstance(offset, BusinessDay) and offset.n == 1)


def _mask(offset: BusinessDay | OpenHours):
    if isinstance(offset, OpenHours):
        return list(offset.weekmask)
    return "1111100" if offset.calendar is None else offset.calendar.weekmask  # "B": no calendar


def _delta(dtype) -> str:
    return f"timedelta64[{np.datetime_data(dtype)[0]}]"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def freq_alias(freq: str | BaseOffset | OpenHours) -> str:
    """The alias tsauto stores for a frequency: pandas' own, or ``"C(...)"`` / ``"CBH(...)"``
    naming the open days or hours (``"B"`` for days open Monday to Friday)."""
    offset = to_offset(freq)
    if isinstance(offset, OpenHours):
        return offset.freqstr
    if not isinstance(offset, CustomBusinessDay):
        return offset.freqstr
    if offset.n != 1 or len(offset.holidays) or offset.calendar.holidays.size:
        raise ValueError("open days are supported one day at a time and without holidays")
    return open_days_freq(np.flatnonzero(offset.calendar.weekmask))


def open_days_freq(weekdays: Iterable[int]) -> str:
    """The frequency of days open on ``weekdays`` (0 Monday ... 6 Sunday)."""
    days = sorted(set(weekdays))
    if days == [0, 1, 2, 3, 4]:
        return "B"
    if len(days) == 7:
        return "D"
    return "C(" + " ".join(WEEKDAYS[d] for d in days) + ")"


def open_hours_freq(start: int, end: int, weekdays: Iterable[int], step: int = 60) -> str:
    """The frequency of steps of ``step`` minutes from ``start`` to ``end`` (minutes after
    midnight; 1440: midnight) on ``weekdays``."""
    days = " ".join(WEEKDAYS[d] for d in sorted(set(weekdays)))
    every = "" if step == 60 else f", {step}min"
    return f"CBH({_clock(start)}-{_clock(end % 1440)} {days}{every})"


def _weekmask(days: str) -> str:
    unknown = [d for d in days.split() if d not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday(s) {unknown}: name them {' '.join(WEEKDAYS)}")
    return days
