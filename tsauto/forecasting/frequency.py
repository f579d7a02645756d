"""Frequency inference and the defaults that follow from a frequency.

A frequency is a pandas offset alias (``"h"``, ``"D"``, ``"W-FRI"``, ``"MS"``) for timestamped
series, or ``None`` for integer time steps without a calendar; open days and opening hours
have aliases of tsauto's own (:mod:`.offsets`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.offsets import CustomBusinessDay

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.offsets import OpenHours, to_offset

__all__ = [
    "detect_seasonality",
    "freq_kind",
    "infer_datetime_freq",
    "longest_series",
    "seasonal_periods",
]

_DAY = pd.Timedelta(days=1)


SEASONALITY_SAMPLE = 200  # the longest series detect_seasonality reads
SEASON_SHARE = 1 / 3  # of the series able to show a period, those that must (the M4 benchmarks' 90 % test)


def infer_datetime_freq(times: pd.Series, series_codes: np.ndarray) -> str:
    """Infer one offset alias from sorted timestamps of several series.

    The most common step between consecutive observations of the same series sets the size;
    steps of whole calendar months are read as months from the dates (``MS``, ``ME``, their
    business-day forms ``BMS``, ``BME``, multiples such as ``2MS``, quarters ``QS-JAN`` /
    ``QE-DEC`` anchored where most stamps fall, years ``YS`` / ``YE`` and fiscal years such as
    ``YE-JUN``); weeks by the weekday most stamps fall on (a first row a day off is then named
    off the grid, not every row after it); semi-monthly stamps (the 1st and 15th, or the 15th and
    the month's end) as ``SMS`` / ``SME``. Monthly steps on another day of the month (the 15th)
    have no pandas alias: a DataValidationError says how to read them.
    """
    values = times.to_numpy(dtype="datetime64[ns]")
    same = series_codes[1:] == series_codes[:-1]
    steps = np.diff(values.astype("int64"))[same]
    keep = steps > 0
    steps = steps[keep]
    if steps.size == 0:
        raise ValueError("every series has a single time stamp: no frequency can be inferred")
    uniq, counts = np.unique(steps, return_counts=True)
    step = pd.Timedelta(int(uniq[np.argmax(counts)]), unit="ns")
    sample = pd.DatetimeIndex(values[: min(len(values), 5000)])
    if step == 7 * _DAY:  # on the weekday most stamps fall on: the others are named off the grid
        weekday = np.bincount(pd.DatetimeIndex(values).day_of_week, minlength=7).argmax()
        return "W-" + _WEEKDAYS[weekday]
    if step >= 28 * _DAY:
        months = _month_steps(values, same)[keep]
        k = int(np.bincount(months[months > 0]).argmax()) if np.any(months > 0) else 0
        if k and 28 * k * _DAY <= step <= 31 * k * _DAY:
            return _months_alias(pd.DatetimeIndex(values), k)  # every stamp: the first 5,000 may be one grid's
    if 13 * _DAY <= step <= 16 * _DAY:
        semi = _semi_monthly_alias(sample)
        if semi is not None:
            return semi
    if step % _DAY == pd.Timedelta(0):
        days = step // _DAY
        return "D" if days == 1 else f"{days}D"
    return to_offset(step).freqstr


_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
# where in its month a stamp falls, by the alias' ending: "S" the first day, "E" the last,
# "BS" / "BE" the first / last business day (Monday to Friday)
_ANCHORS = {
    "S": pd.offsets.MonthBegin(),
    "E": pd.offsets.MonthEnd(),
    "BS": pd.offsets.BusinessMonthBegin(),
    "BE": pd.offsets.BusinessMonthEnd(),
}


def _month_steps(values: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Calendar months between consecutive stamps of the same series."""
    months = values.astype("datetime64[M]").astype(np.int64)
    return np.diff(months)[same]


def _months_alias(stamps: pd.DatetimeIndex, k: int) -> str:
    """The alias of stamps ``k`` months apart: monthly, quarterly, yearly or ``{k}MS``-like,
    by where in the month most of them fall (the first or last day, or business day; the grid
    then names any stamp off it)."""
    unique, counts = np.unique(stamps.asi8, return_counts=True)
    dates = pd.DatetimeIndex(unique)
    on = {a: np.array([off.is_on_offset(t) for t in dates]) for a, off in _ANCHORS.items()}
    anchor = max(on, key=lambda a: counts[on[a]].sum())
    if counts[on["S"] | on["E"]].sum() == len(stamps):  # first and last days mixed: the grid of more
        anchor = "S" if counts[on["S"]].sum() >= counts[on["E"]].sum() else "E"  # (validation names the others)
    elif 2 * counts[on[anchor]].sum() <= len(stamps):
        days = sorted(set(dates.day))[:3]
        start = {1: "MS", 3: "QS", 12: "YS"}.get(k, f"{k}MS")
        raise DataValidationError(
            f"time stamps {k} month(s) apart fall on day {', '.join(map(str, days))} of their month, "
            f"neither its first nor its last day, which no pandas frequency steps along: pass "
            f"freq={start!r} with aggregate='sum' (one row per step, stamped at its start), or re-stamp "
            "them (df[time] = df[time].dt.to_period('M').dt.to_timestamp())."
        )
    business, edge = ("B", anchor[1]) if anchor.startswith("B") else ("", anchor)
    # stamps on the anchor in each month: quarters and years start (or end) where most do
    months = np.bincount(dates.month[on[anchor]] - 1, weights=counts[on[anchor]], minlength=12)
    if k == 3:
        # QS-JAN starts quarters in Jan, Apr, Jul, Oct; QE-DEC ends them in Mar, Jun, Sep, Dec
        phase = int(months.reshape(4, 3).sum(axis=0).argmax())
        name = _MONTHS[phase] if edge == "S" else _MONTHS[phase + 9]
        return f"{business}Q{edge}-{name}"
    if k == 12:
        name = _MONTHS[int(months.argmax())]
        plain = (edge == "S" and name == "JAN") or (edge == "E" and name == "DEC")
        return f"{business}Y{edge}" if plain else f"{business}Y{edge}-{name}"
    return f"{'' if k == 1 else k}{business}M{edge}"


def _semi_monthly_alias(stamps: pd.DatetimeIndex) -> str | None:
    """``SMS`` for stamps on the 1st and 15th of their months, ``SME`` on the 15th and the
    last day; None otherwise."""
    day = stamps.day.to_numpy()
    if np.all((day == 1) | (day == 15)):
        return "SMS"
    if np.all((day == 15) | stamps.is_month_end):
        return "SME"
    return None


def freq_kind(freq: str | None) -> str:
    """Coarse kind of a frequency: integer, minute, hour, day, week, month, quarter, year."""
    if freq is None:
        return "integer"
    off = to_offset(freq)
    if isinstance(off, OpenHours):
        return "hour" if off.step >= 60 else "minute"
    name = off.rule_code.upper()
    if name.startswith("W"):
        return "week"
    if name in {"MS", "ME", "M", "BMS", "BME"} or name.startswith(("SMS", "SME")):  # "SMS-15"
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

    Calendar days: a week (7) and a year (365); multiples of a step keep the periods they
    divide (``"2MS"``: 6, ``"6MS"``: 2, ``"3D"``: none); semi-months (``"SMS"``): 24. Business
    days (``"B"``, ``"C"``): a week of 5 and a year of about 252 working days, divided by the
    step (``"2B"``: 126). Other open days
    (``"C(Mon Tue Wed Thu Fri Sat)"``): a week of them and a year of 52.18 weeks (6: 313).
    Opening hours (``"CBH(09:00-18:00 Mon Tue Wed Thu Fri)"``): a day and a week of their steps
    (9, 45; half hours from 08:00 to 20:00 on weekdays: 24, 120)."""
    kind = freq_kind(freq)
    if kind == "integer":
        return []
    off = to_offset(freq)
    if isinstance(off, OpenHours):
        return [off.per_day, off.per_day * sum(off.weekmask)] if off.per_day > 1 else []
    if off.rule_code in ("B", "C"):
        open_days = int(off.calendar.weekmask.sum()) if isinstance(off, CustomBusinessDay) else 5
        year = 252 if open_days == 5 else round(365.25 / 7 * open_days)
        return [p // off.n for p in (open_days, year) if p % off.n == 0 and p // off.n > 1]
    if kind in {"minute", "hour"}:
        per_day = round(_DAY / pd.Timedelta(off))
        return [per_day, 7 * per_day] if per_day > 1 else []
    if off.rule_code.startswith(("SMS", "SME")):
        return [24 // off.n] if 24 % off.n == 0 and off.n < 24 else []
    periods = {"day": [7, 365], "week": [52], "month": [12], "quarter": [4], "year": []}[kind]
    return [p // off.n for p in periods if p % off.n == 0 and p // off.n > 1]  # "2MS": 6, "3D": none


def detect_seasonality(
    y: np.ndarray,
    indptr: np.ndarray,
    candidates: list[int] | None = None,
    max_series: int = SEASONALITY_SAMPLE,
    horizon: int | None = None,
) -> list[int]:
    """Seasonal periods with a clear autocorrelation peak in a sample of the longest series.

    With ``candidates`` (from the frequency) the first, the calendar's own period (a week of
    days, a year of months or quarters), is kept where the median sampled series spans more
    than two of it: whether a series is seasonal is then each learner's choice (ETS's AICc,
    Theta's seasonality test) and the validation's, as in statsforecast and AutoGluon, which
    take it from the frequency. A panel vote dropped it where short series hide it from the
    autocorrelation test (quarterly series of 18 points, daily series of 26: MASE 4–24 % worse,
    see ``benchmarks/README.md``). Where the median series spans two periods or fewer, it is
    kept when it holds a period and the ``horizon`` after it (so that the last validation
    fold's training holds a whole period: seasonal naive and the seasonal learners are then
    compared with the others there) or when a third of the series show it in their changes
    (:func:`_short_season_share`; 93 weeks of Walmart sales: seasonal naive at lag 52 was never
    compared, MASE 0.903 with the period, 1.026 without; 60 weeks, where no series can show
    it in its 8 yearly changes: 1.156 -> 0.929 over 5 origins). The others (a year of days, a week of hours) are kept when
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
            if j == 0 and np.median(n) <= 2 * m:  # short series: a period and the horizon, or the changes show it
                spans = horizon is not None and np.median(np.diff(indptr)) >= m + horizon  # every series'
                if spans or _short_season_share(y, indptr, order, m) >= SEASON_SHARE:
                    kept.append(m)
                continue
            long_enough = n > 2 * m
            if not long_enough.any():
                continue
            if j == 0:
                kept.append(m)
                continue
            a = acf_all[long_enough]
            limit = 1.645 * np.sqrt((1 + 2 * np.sum(a[:, 1:m] ** 2, axis=1)) / n[long_enough])
            if np.mean(a[:, m] > limit) >= SEASON_SHARE:
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


def _short_season_share(y: np.ndarray, indptr: np.ndarray, order: np.ndarray, m: int) -> float:
    """Of the sampled series (``order``) longer than ``m + 2``, the share whose changes (first
    differences, free of the trend that hides a season in so few points) correlate at lag ``m``
    above the 90 % bound ``1.645 / sqrt(n)``: the test of a panel whose median series is too
    short for two periods (see ``benchmarks/README.md``, short histories)."""
    votes = []
    for i in order:
        x = np.diff(y[indptr[i] : indptr[i + 1]])
        x = x[np.isfinite(x)]
        if x.size <= m + 1:
            continue
        acf = _acf(x - x.mean(), m)
        if acf is not None:
            votes.append(acf[m] > 1.645 / np.sqrt(x.size))
    return float(np.mean(votes)) if votes else 0.0


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
