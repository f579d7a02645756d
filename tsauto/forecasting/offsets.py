"""Frequency aliases as pandas offsets, and steps along them.

A frequency is a pandas alias (``"h"``, ``"D"``, ``"W-FRI"``, ``"MS"``) or one of tsauto's own
for calendars pandas' aliases cannot name. Days of a shop closed on some weekdays are
``"C(Mon Tue Wed Thu Fri Sat)"``: pandas' ``CustomBusinessDay`` with that week mask (its
``freqstr`` is ``"C"`` whatever the mask; ``"B"`` stays Monday to Friday); closed on the public
holidays of a country or region of the ``holidays`` package as well,
``"C(Mon Tue Wed Thu Fri; US-DC holidays)"`` (from 1950 to 2100; hours too,
``"CBH(09:00-18:00 Mon Tue Wed Thu Fri; US-DC holidays)"``). Its opening hours are
``"CBH(09:00-18:00 Mon Tue Wed Thu Fri Sat)"`` (:class:`OpenHours`; pandas' ``CustomBusinessHour``
steps by whole hours only): hourly steps labelled by their start (09:00 to 17:00;
``"CBH(09:30-16:30 ...)"``: 09:30 to 15:30), ``00:00`` closing at midnight; half hours are
``"CBH(08:00-20:00 Mon Tue Wed Thu Fri, 30min)"``; a restaurant's two services
``"CBH(11:00-15:00,18:00-23:00 Tue Wed Thu Fri Sat Sun)"``. Steps along open days and hours
are counted with numpy's business-day calendar (pandas adds such offsets element by element,
and labels a step back from an opening time by the closing time before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from pandas.tseries import frequencies
from pandas.tseries.offsets import BaseOffset, BusinessDay, BusinessHour, CustomBusinessDay

__all__ = [
    "HOLIDAY_YEARS",
    "WEEKDAYS",
    "OpenHours",
    "freq_alias",
    "holiday_code",
    "is_open",
    "open_days_freq",
    "open_hours_freq",
    "open_grid",
    "open_period",
    "open_steps",
    "open_weekdays",
    "shift",
    "to_offset",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_OPEN_DAYS = re.compile(r"C\(([A-Za-z ]+?)(?:; ([A-Za-z0-9]+(?:-[A-Za-z0-9]+)?) holidays)?\)")
HOLIDAY_YEARS = (1950, 2100)  # the years a calendar closed on holidays knows them in
_OPEN_HOURS = re.compile(r"CBH\(((?:\d\d:\d\d-\d\d:\d\d,?)+) ([A-Za-z ]+?)(?:, (\d+)min)?"
                         r"(?:; ([A-Za-z0-9]+(?:-[A-Za-z0-9]+)?) holidays)?\)")
# A Monday before every nanosecond stamp: open steps are counted from it. numpy counts open days
# back to an earlier date one short where that date is open (-1043 Tuesdays from 1970-01-05 back
# to 1950-01-03, 1044 forward), so no stamp may come before it.
_EPOCH = np.datetime64("1677-09-20", "D")
_MINUTE = np.timedelta64(1, "m")
_MONDAY_TO_FRIDAY = np.busdaycalendar(weekmask="1111100")  # "B"


@dataclass(frozen=True)
class OpenHours:
    """Opening hours: steps of ``step`` minutes starting at ``slots`` (minutes after midnight,
    ascending: one or more spans a day, e.g. a restaurant's lunch and dinner) on the weekdays
    of ``weekmask`` (Monday first), closed on the public holidays of ``holidays`` (a country or
    region of the ``holidays`` package; ``None``: none). pandas' ``CustomBusinessHour`` steps
    by whole hours only."""

    weekmask: tuple[bool, ...]
    slots: tuple[int, ...]
    step: int = 60
    n: int = 1  # one step at a time, as the open calendars tsauto reads
    holidays: str | None = None

    def __post_init__(self) -> None:
        slots = np.asarray(self.slots)
        in_day = slots.size and slots[0] >= 0 and slots[-1] + self.step <= 1440
        if not (in_day and np.all(np.diff(slots) >= self.step)):
            raise ValueError("opening hours run from a start to a later end on the same day, a "
                             "whole number of steps apart, spans in order ('00:00': midnight)")
        if not any(self.weekmask):
            raise ValueError("opening hours need at least one open weekday")

    @classmethod
    def of_spans(
        cls, weekmask: tuple[bool, ...], spans: Iterable[tuple[int, int]], step: int = 60,
        holidays: str | None = None,
    ) -> OpenHours:
        """The hours open from each ``(start, end)`` of ``spans`` (minutes after midnight)."""
        slots: list[int] = []
        for start, end in spans:
            if end <= start or (end - start) % step:
                raise ValueError("opening hours run from a start to a later end on the same day, a "
                                 "whole number of steps apart ('00:00': midnight)")
            slots.extend(range(start, end, step))
        return cls(weekmask, tuple(slots), step, holidays=holidays)

    @property
    def per_day(self) -> int:
        """Steps a day."""
        return len(self.slots)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The ``(start, end)`` of each run of consecutive steps."""
        slots = np.asarray(self.slots)
        breaks = np.flatnonzero(np.diff(slots) != self.step) + 1
        return [(int(run[0]), int(run[-1]) + self.step) for run in np.split(slots, breaks)]

    @property
    def freqstr(self) -> str:
        return open_hours_freq(self.spans, np.flatnonzero(self.weekmask), self.step, self.holidays)


def to_offset(freq: str | BaseOffset) -> BaseOffset | OpenHours:
    """pandas' offset of a frequency alias, ``"C(...)"`` included; :class:`OpenHours` for
    ``"CBH(...)"`` and for pandas' business hours."""
    if isinstance(freq, OpenHours):
        return freq
    if isinstance(freq, str):
        days = _OPEN_DAYS.fullmatch(freq)
        if days:
            if days.group(2):
                return _open_days_but_holidays(_weekmask(days.group(1)), days.group(2))
            return CustomBusinessDay(weekmask=_weekmask(days.group(1)))
        hours = _OPEN_HOURS.fullmatch(freq)
        if hours:
            open_days = set(_weekmask(hours.group(2)).split())
            mask = tuple(d in open_days for d in WEEKDAYS)
            spans = [tuple(_minutes(t) for t in span.split("-")) for span in hours.group(1).split(",")]
            step, country = int(hours.group(3) or 60), hours.group(4)
            if country:
                _holidays(country)  # an unknown code is refused here, not at the first step
            return OpenHours.of_spans(mask, [(a, b or 1440) for a, b in spans], step, country)
    offset = frequencies.to_offset(freq)
    if isinstance(offset, BusinessHour):  # CustomBusinessHour too
        if offset.n != 1 or any(t.second for t in (*offset.start, *offset.end)):
            raise ValueError("business hours are supported one step at a time, in whole minutes")
        calendar = getattr(offset, "calendar", None)  # BusinessHour: Monday to Friday
        if calendar is not None and calendar.holidays.size:
            raise ValueError("business hours closed on holidays are named by a country in the alias, "
                             "e.g. 'CBH(09:00-18:00 Mon Tue Wed Thu Fri; US holidays)', not by a list of dates")
        mask = (True,) * 5 + (False,) * 2 if calendar is None else tuple(bool(d) for d in calendar.weekmask)
        ends = zip(offset.start, offset.end)
        spans = [(60 * a.hour + a.minute, 60 * b.hour + b.minute or 1440) for a, b in ends]
        return OpenHours.of_spans(mask, spans)
    return offset


_HOLIDAY_CODES: dict[tuple[bytes, bytes], str] = {}  # (week mask, holidays) of each code's days


@lru_cache(maxsize=64)
def _holidays(country: str) -> np.ndarray:
    """The public holidays of ``country`` in ``HOLIDAY_YEARS`` (``datetime64[D]``)."""
    # imported here: the holiday features import the frequency module, which imports this one
    from tsauto.forecasting.features.holiday import holiday_dates

    return holiday_dates(country, *HOLIDAY_YEARS)


@lru_cache(maxsize=64)
def _open_days_but_holidays(weekmask: str, country: str) -> CustomBusinessDay:
    """Days open on ``weekmask`` but not on the public holidays of ``country``."""
    offset = CustomBusinessDay(weekmask=weekmask, holidays=_holidays(country))
    _HOLIDAY_CODES[_calendar_key(offset)] = country
    return offset


@lru_cache(maxsize=64)
def _hours_calendar(weekmask: tuple[bool, ...], country: str | None) -> np.busdaycalendar:
    return np.busdaycalendar(weekmask=list(weekmask), holidays=_holidays(country) if country else [])


def _calendar_key(offset: CustomBusinessDay) -> tuple[bytes, bytes]:
    return offset.calendar.weekmask.tobytes(), offset.calendar.holidays.tobytes()


def holiday_code(offset: BaseOffset | OpenHours) -> str | None:
    """The country or region whose public holidays ``offset``'s open days skip (``None``: none)."""
    if isinstance(offset, CustomBusinessDay) and offset.calendar.holidays.size:
        return _HOLIDAY_CODES.get(_calendar_key(offset))
    return None


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return 60 * int(hours) + int(minutes)


def shift(times: np.ndarray, offset: BaseOffset | OpenHours, k: int | np.ndarray) -> np.ndarray:
    """``times`` (datetime64) moved ``k`` steps of ``offset`` (open days and hours by numpy's
    business-day calendar); with an array ``k``, shape ``(len(times), len(k))``."""
    ks = np.atleast_1d(np.asarray(k, dtype=np.int64))
    if not is_open(offset):
        index = pd.DatetimeIndex(times)
        moved = np.stack([(index + int(j) * offset).to_numpy().astype(times.dtype) for j in ks], axis=1)
    else:
        steps = open_steps(times, offset)[:, None] + ks[None, :] * offset.n
        like = np.repeat(times[:, None], len(ks), axis=1)
        moved = _from_steps(steps.ravel(), offset, times.dtype, like.ravel()).reshape(steps.shape)
    return moved if np.ndim(k) else moved[:, 0]


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
    count = np.busday_count(_EPOCH, days, busdaycal=_calendar(offset))
    if not isinstance(offset, OpenHours):
        return count
    clock = (times - days.astype(times.dtype)) // _MINUTE
    return count * offset.per_day + np.searchsorted(offset.slots, clock, side="right") - 1


def open_period(times: np.ndarray, offset: BusinessDay | OpenHours) -> tuple[np.ndarray, np.ndarray]:
    """The open day or step of ``offset`` holding each of ``times`` (its first instant), and
    which of ``times`` fall when it is closed (their period is then the day or step they start)."""
    days = times.astype("datetime64[D]")
    closed = ~np.is_busday(days, busdaycal=_calendar(offset))
    if not isinstance(offset, OpenHours):
        return days.astype(times.dtype), closed
    clock = (times - days.astype(times.dtype)) // _MINUTE
    slots = np.asarray(offset.slots)
    index = np.searchsorted(slots, clock, side="right") - 1
    start = slots[np.maximum(index, 0)]
    closed |= (index < 0) | (clock >= start + offset.step)
    return days.astype(times.dtype) + (start * _MINUTE).astype(_delta(times.dtype)), closed


def _from_steps(
    steps: np.ndarray, offset: BusinessDay | OpenHours, dtype, like: np.ndarray | None = None
) -> np.ndarray:
    """The times of open steps counted by :func:`open_steps` (days keep ``like``'s clock)."""
    if not isinstance(offset, OpenHours):
        days = np.busday_offset(_EPOCH, steps, roll="forward", busdaycal=_calendar(offset)).astype(dtype)
        return days if like is None else days + (like - like.astype("datetime64[D]").astype(dtype))
    day = np.busday_offset(_EPOCH, steps // offset.per_day, roll="forward", busdaycal=_calendar(offset))
    clock = np.asarray(offset.slots)[steps % offset.per_day] * _MINUTE
    return day.astype(dtype) + clock.astype(_delta(dtype))


def is_open(offset) -> bool:
    """Open days (``"B"``, ``"C(...)"``) or opening hours, one step at a time."""
    return isinstance(offset, OpenHours) or (isinstance(offset, BusinessDay) and offset.n == 1)


def open_weekdays(offset: BaseOffset | OpenHours) -> np.ndarray:
    """Which weekdays (Monday first) ``offset`` steps on: its open days, or all seven."""
    return _calendar(offset).weekmask if is_open(offset) else np.ones(7, dtype=bool)


def _calendar(offset: BusinessDay | OpenHours) -> np.busdaycalendar:
    """numpy's business-day calendar of the open days (week mask and holidays)."""
    if isinstance(offset, OpenHours):
        return _hours_calendar(offset.weekmask, offset.holidays)
    return _MONDAY_TO_FRIDAY if offset.calendar is None else offset.calendar  # "B": no calendar


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
    country = holiday_code(offset)
    if offset.n != 1 or (offset.calendar.holidays.size and country is None):
        raise ValueError(
            "open days are supported one day at a time, closed on the public holidays of a country "
            "or region named in the alias (e.g. 'C(Mon Tue Wed Thu Fri; US holidays)'), not on a "
            "list of dates"
        )
    return open_days_freq(np.flatnonzero(offset.calendar.weekmask), country)


def without_holidays(freq: str) -> str:
    """``freq`` open on its weekdays or hours whatever the holidays (``"B"`` for
    ``"C(Mon Tue Wed Thu Fri; US holidays)"``); ``freq`` itself where it skips none."""
    offset = to_offset(freq)
    if isinstance(offset, OpenHours):
        return replace(offset, holidays=None).freqstr
    if holiday_code(offset) is None:
        return freq
    return open_days_freq(np.flatnonzero(open_weekdays(offset)))


def open_days_freq(weekdays: Iterable[int], holidays: str | None = None) -> str:
    """The frequency of days open on ``weekdays`` (0 Monday ... 6 Sunday), except on the public
    holidays of the country or region ``holidays``."""
    days = sorted(set(weekdays))
    if holidays is not None:
        return "C(" + " ".join(WEEKDAYS[d] for d in days) + f"; {holidays} holidays)"
    if days == [0, 1, 2, 3, 4]:
        return "B"
    if len(days) == 7:
        return "D"
    return "C(" + " ".join(WEEKDAYS[d] for d in days) + ")"


def open_hours_freq(
    spans: Iterable[tuple[int, int]], weekdays: Iterable[int], step: int = 60, holidays: str | None = None
) -> str:
    """The frequency of steps of ``step`` minutes in each ``(start, end)`` of ``spans``
    (minutes after midnight; 1440: midnight) on ``weekdays``, except on the public holidays of
    the country or region ``holidays``."""
    days = " ".join(WEEKDAYS[d] for d in sorted(set(weekdays)))
    hours = ",".join(f"{_clock(start)}-{_clock(end % 1440)}" for start, end in spans)
    every = "" if step == 60 else f", {step}min"
    closed = "" if holidays is None else f"; {holidays} holidays"
    return f"CBH({hours} {days}{every}{closed})"


def _weekmask(days: str) -> str:
    unknown = [d for d in days.split() if d not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday(s) {unknown}: name them {' '.join(WEEKDAYS)}")
    return days
