"""Frequency inference and the defaults that follow from a frequency.

A frequency is a pandas offset alias (``"h"``, ``"D"``, ``"W-FRI"``, ``"MS"``) for timestamped
series, or ``None`` for integer time steps without a calendar. Days of a shop closed on some
weekdays are written ``"C(Mon Tue Wed Thu Fri Sat)"``: pandas' ``CustomBusinessDay`` with that
week mask, which no pandas alias names (its ``freqstr`` is ``"C"`` whatever the mask); its
opening hours ``"CBH(09:00-18:00 Mon Tue Wed Thu Fri Sat)"``: pandas' ``CustomBusinessHour``,
hourly steps labelled by their start (09:00 to 17:00; ``"CBH(09:30-16:30 ...)"``: 09:30 to
15:30), ``00:00`` closing at midnight.
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
    "detect_seasonality",
    "freq_kind",
    "freq_alias",
    "infer_datetime_freq",
    "longest_series",
    "open_days_freq",
    "open_hours_freq",
    "open_period",
    "open_steps",
    "seasonal_periods",
    "shift",
    "to_offset",
]

_DAY = pd.Timedelta(days=1)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_OPEN_DAYS = re.compile(r"C\((.+)\)")
_OPEN_HOURS = re.compile(r"CBH\((\d\d):(\d\d)-(\d\d):(\d\d) (.+)\)")
_EPOCH = np.datetime64("1970-01-05", "D")  # a Monday: open steps are counted from it
_MINUTE = np.timedelta64(1, "m")


SEASONALITY_SAMPLE = 200  # the longest series detect_seasonality reads


def infer_datetime_freq(times: pd.Series, series_codes: np.ndarray) -> str:
    """Infer one offset alias from sorted timestamps of several series.

    The most common step between consecutive observations of the same series sets the size;
    anchored frequencies (week day, month start/end, quarter, year) are read from the dates.
    """
    values = times.to_numpy(dtype="datetime64[ns]")
    same = series_codes[1:] == series_codes[:-1]
    steps = np.diff(values.astype("int64"))[same]
    steps = steps[steps > 0]
    if steps.size == 0:
        raise ValueError("every series has a single time stamp: no frequency can be inferred")
    uniq, counts = np.unique(steps, return_counts=True)
    step = pd.Timedelta(int(uniq[np.argmax(counts)]), unit="ns")
    sample = pd.DatetimeIndex(values[: min(len(values), 5000)])
    if step == 7 * _DAY:
        return "W-" + sample[0].day_name()[:3].upper()
    if 28 * _DAY <= step <= 31 * _DAY:
        return "ME" if sample.is_month_end.all() else "MS"
    if 89 * _DAY <= step <= 92 * _DAY:
        anchor = sample[0].month_name()[:3].upper() if sample.is_month_end.all() else None
        if anchor is not None:
            return f"QE-{_quarter_anchor(sample[0].month, end=True)}"
        return f"QS-{_quarter_anchor(sample[0].month, end=False)}"
    if 365 * _DAY <= step <= 366 * _DAY:
        return "YE" if sample.is_year_end.all() else "YS"
    if step % _DAY == pd.Timedelta(0):
        days = step // _DAY
        return "D" if days == 1 else f"{days}D"
    return to_offset(step).freqstr


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
    """``times`` (datetime64) moved ``k`` steps of ``offset``; open days and hours by numpy's
    business-day calendar (pandas adds them element by element)."""
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


def _quarter_anchor(month: int, end: bool) -> str:
    names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    first = (month - 1) % 3  # month index of the quarter anchor
    return names[first + 2] if end else names[first]


def freq_kind(freq: str | None) -> str:
    """Coarse kind of a frequency: integer, minute, hour, day, week, month, quarter, year."""
    if freq is None:
        return "integer"
    off = to_offset(freq)
    if isinstance(off, BusinessHour):  # CustomBusinessHour too
        return "hour"
    name = off.rule_code.upper()
    if name.startswith("W"):
        return "week"
    if name in {"MS", "ME", "M", "BMS", "BME", "SMS", "SME"}:
        return "month"
    if name.startswith(("Q", "BQ")):
        return "quarter"
    if name.startswith(("Y", "A", "BY")):
        return "year"
    try:
        delta = pd.Timedelta(off)
    except ValueError:
        return "day"
    if delta < pd.Timedelta(hours=1):
        return "minute"
    if delta < _DAY:
        return "hour"
    return "day"


def seasonal_periods(freq: str | None) -> list[int]:
    """Candidate seasonal periods implied by a frequency, strongest first.

    Calendar days: a week (7) and a year (365). Business days (``"B"``, ``"C"``): a week of 5
    and a year of about 252 working days, divided by the step (``"2B"``: 126). Other open days
    (``"C(Mon Tue Wed Thu Fri Sat)"``): a week of them and a year of 52.18 weeks (6: 313).
    Opening hours (``"CBH(09:00-18:00 Mon Tue Wed Thu Fri)"``): a day and a week of them (9, 45)."""
    kind = freq_kind(freq)
    if kind == "integer":
        return []
    off = to_offset(freq)
    if isinstance(off, CustomBusinessHour):
        per_day = _opening(off)[1]
        return [per_day, per_day * int(off.calendar.weekmask.sum())] if per_day > 1 else []
    if off.rule_code in ("B", "C"):
        open_days = int(off.calendar.weekmask.sum()) if isinstance(off, CustomBusinessDay) else 5
        year = 252 if open_days == 5 else round(365.25 / 7 * open_days)
        return [p // off.n for p in (open_days, year) if p % off.n == 0 and p // off.n > 1]
    if kind in {"minute", "hour"}:
        per_day = round(_DAY / pd.Timedelta(off))
        return [per_day, 7 * per_day] if per_day > 1 else []
    return {"day": [7, 365], "week": [52], "month": [12], "quarter": [4], "year": []}[kind]


def detect_seasonality(
    y: np.ndarray, indptr: np.ndarray, candidates: list[int] | None = None, max_series: int = SEASONALITY_SAMPLE
) -> list[int]:
    """Seasonal periods with a clear autocorrelation peak in a sample of the longest series.

    With ``candidates`` (from the frequency) the first, the calendar's own period (a week of
    days, a year of months or quarters), is kept where the median sampled series spans more
    than two of it: whether a series is seasonal is then each learner's choice (ETS's AICc,
    Theta's seasonality test) and the validation's, as in statsforecast and AutoGluon, which
    take it from the frequency. A panel vote dropped it where short series hide it from the
    autocorrelation test (quarterly series of 18 points, daily series of 26: MASE 4–24 % worse,
    see ``benchmarks/README.md``). The others (a year of days, a week of hours) are kept when
    their autocorrelation is significant (the 90 % test of the M4 benchmarks) in at least a
    third of the sampled series long enough to show it. Without candidates (integer time steps)
    the autocorrelation of the differenced series, averaged over the sample, is scanned up to
    lag 400: a peak counts when it passes a Bonferroni-corrected 5 % bound over the lags scanned
    and shows again at its double (chance peaks do neither); the primary period is the shortest
    strong peak, and a multiple of it that stands above its neighbouring multiples (a week of
    24 hours: 168) is returned second.
    """
    order = longest_series(np.diff(indptr), max_series)
    max_lag = max(candidates) if candidates else 400
    acfs, sizes = [], []
    for i in order:
        x = y[indptr[i] : indptr[i + 1]]
        x = x[np.isfinite(x)]
        if candidates is None:
            x = np.diff(x)
        if x.size < 8:
            continue
        acf = _acf(x - x.mean(), max_lag)
        if acf is not None:
            acfs.append(acf)
            sizes.append(x.size)
    if not acfs:
        return []
    acf_all = np.vstack(acfs)
    n = np.array(sizes)
    if candidates:
        kept = []
        for j, m in enumerate(candidates):
            long_enough = n > 2 * m
            if not long_enough.any():
                continue
            if j == 0 and np.median(n) > 2 * m:
                kept.append(m)
                continue
            a = acf_all[long_enough]
            limit = 1.645 * np.sqrt((1 + 2 * np.sum(a[:, 1:m] ** 2, axis=1)) / n[long_enough])
            if np.mean(a[:, m] > limit) >= 1 / 3:
                kept.append(m)
        return kept
    usable = int(min(max_lag, np.median(n) // 3))
    if usable < 4:
        return []
    score = acf_all[:, : usable + 1].mean(axis=0)
    # every lag up to `usable` is a test: a Bonferroni bound keeps chance peaks (a random walk
    # scanned over 400 lags shows several at the 10 % level) from becoming periods
    limit = _norm_quantile(1 - 0.05 / usable) / np.sqrt(np.median(n) * len(acfs))
    limit = max(limit, 0.05)
    peaks = [
        m
        for m in range(2, usable)
        if score[m] > limit
        and score[m] >= score[m - 1]
        and score[m] >= score[m + 1]
        and (2 * m > usable or score[2 * m] > limit / 2)  # a period repeats at its double
    ]
    if not peaks:
        return []
    best = max(peaks, key=lambda m: score[m])
    primary = next(m for m in peaks if best % m == 0 and score[m] >= 0.8 * score[best])
    out = [primary]
    multiples = [k * primary for k in range(2, usable // primary)]
    for j, m in enumerate(multiples):
        before = score[m - primary]
        after = score[m + primary] if m + primary <= usable else -np.inf
        if score[m] > before + 0.05 and score[m] > after + 0.05:
            out.append(m)
            break
    return out


def longest_series(lengths: np.ndarray, max_series: int = SEASONALITY_SAMPLE) -> np.ndarray:
    """Positions of up to ``max_series`` of the longest series: every series at least as long
    as the ``max_series``-th longest, evenly spaced over the panel's order where more tie. The
    first ``max_series`` of the tied ones were the panel's first ids, one kind of series where
    ids group them (M4 Hourly's daily sums: the first 200 of 245 equally long series show no
    week, the panel does)."""
    if lengths.size <= max_series:
        return np.arange(lengths.size)
    cut = np.partition(lengths, lengths.size - max_series)[lengths.size - max_series]
    pool = np.flatnonzero(lengths >= cut)
    return pool[np.linspace(0, pool.size - 1, max_series).round().astype(int)]


def _norm_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def _acf(x: np.ndarray, max_lag: int) -> np.ndarray | None:
    n = x.size
    denom = float(np.dot(x, x))
    if denom == 0:
        return None
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    full = np.fft.irfft(spec * np.conj(spec), size)[: min(max_lag, n - 1) + 1] / denom
    out = np.zeros(max_lag + 1)
    out[: full.size] = full
    return out
