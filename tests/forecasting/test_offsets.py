"""Frequency aliases of open days and opening hours, and steps along them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.features.holiday import holiday_dates
from tsauto.forecasting.frequency import seasonal_periods
from tsauto.forecasting.offsets import (
    HOLIDAY_YEARS,
    WEEKDAYS,
    freq_alias,
    holiday_code,
    open_grid,
    open_hours_freq,
    open_period,
    shift,
    to_offset,
)


def test_open_days_are_a_frequency_of_their_own() -> None:
    mon_sat = "C(Mon Tue Wed Thu Fri Sat)"
    assert to_offset(mon_sat).calendar.weekmask.tolist() == [True] * 6 + [False]
    assert freq_alias(pd.offsets.CustomBusinessDay(weekmask="1111110")) == mon_sat
    assert freq_alias("C(Sat Tue Wed Thu Fri Sun)") == "C(Tue Wed Thu Fri Sat Sun)"  # closed Mondays
    assert freq_alias("C(Mon Tue Wed Thu Fri)") == "B"
    assert seasonal_periods(mon_sat) == [6, 313]
    assert seasonal_periods("C(Tue Wed Thu Fri Sat Sun)") == [6, 313]
    with pytest.raises(ValueError, match="unknown weekday"):
        to_offset("C(Mon Funday)")
    tuesdays = pd.date_range("1950-01-03", periods=60, freq="7D").to_numpy()  # before 1970 too
    np.testing.assert_array_equal(open_grid(tuesdays, to_offset("C(Tue)")), tuesdays)
    np.testing.assert_array_equal(shift(tuesdays[:50], to_offset("C(Tue)"), 10), tuesdays[10:])


def test_open_days_closed_on_public_holidays() -> None:
    """Washington's weekdays without its public holidays: Christmas and New Year's Day are
    stepped over, the alias names the region, a list of dates cannot be named."""
    dc = "C(Mon Tue Wed Thu Fri; US-DC holidays)"
    offset = to_offset(dc)
    assert freq_alias(offset) == dc and holiday_code(offset) == "US-DC" and to_offset(dc) is offset
    assert freq_alias("C(Mon Tue Wed Thu Fri Sat Sun; GB holidays)") == "C(Mon Tue Wed Thu Fri Sat Sun; GB holidays)"
    friday = np.array(["2012-12-21"], dtype="datetime64[ns]")
    ahead = shift(friday, offset, np.arange(1, 7))[0].astype("datetime64[D]").astype(str).tolist()
    assert ahead == ["2012-12-24", "2012-12-26", "2012-12-27", "2012-12-28", "2012-12-31", "2013-01-02"]
    back = shift(np.array(["2013-01-02"], dtype="datetime64[ns]"), offset, -1)
    assert back.astype("datetime64[D]").astype(str).tolist() == ["2012-12-31"]
    assert seasonal_periods(dc) == seasonal_periods("B")
    listed = pd.offsets.CustomBusinessDay(holidays=["2012-12-25"])
    with pytest.raises(ValueError, match="named in the alias"):
        freq_alias(listed)
    hours = "CBH(09:00-18:00 Mon Tue Wed Thu Fri, 30min; US-DC holidays)"  # opening hours too
    assert freq_alias(hours) == hours and seasonal_periods(hours) == [18, 90]
    evening = np.array(["2012-12-24T17:30"], dtype="datetime64[ns]")
    assert shift(evening, to_offset(hours), 2).astype(str).tolist() == ["2012-12-26T09:30:00.000000000"]
    with pytest.raises(ValueError, match="not by a list of dates"):
        to_offset(pd.offsets.CustomBusinessHour(holidays=["2012-12-25"]))
    with pytest.raises(DataValidationError, match="does not know this country"):
        to_offset("C(Mon Tue; XX holidays)")


@settings(max_examples=40, deadline=None)
@given(
    days=st.sets(st.integers(0, 6), min_size=1),
    country=st.sampled_from(["US", "GB", "DE", "AU-VIC"]),
    first=st.integers(HOLIDAY_YEARS[0], HOLIDAY_YEARS[1] - 6),
    k=st.integers(-40, 40),
)
def test_open_days_closed_on_holidays_move_along_pandas_grid(days, country, first, k) -> None:
    """On days closed on a country's holidays, ``shift`` by k lands k places along the grid
    pandas' ``CustomBusinessDay`` generates with those holidays."""
    freq = "C(" + " ".join(WEEKDAYS[d] for d in sorted(days)) + f"; {country} holidays)"
    offset = to_offset(freq)
    mask = [d in days for d in range(7)]
    pandas_offset = pd.offsets.CustomBusinessDay(weekmask=mask, holidays=holiday_dates(country, first, first + 6))
    grid = pd.date_range(f"{first}-01-01", periods=300, freq=pandas_offset).to_numpy()
    assert not np.isin(grid.astype("datetime64[D]"), holiday_dates(country, first, first + 6)).any()
    np.testing.assert_array_equal(open_grid(grid, offset), grid)
    np.testing.assert_array_equal(shift(grid[50:250], offset, k), grid[50 + k : 250 + k])


def test_opening_hours_are_a_frequency_of_their_own() -> None:
    nine_to_six = "CBH(09:00-18:00 Mon Tue Wed Thu Fri Sat)"
    assert freq_alias(to_offset(nine_to_six)) == nine_to_six
    assert freq_alias(pd.offsets.BusinessHour()) == "CBH(09:00-17:00 Mon Tue Wed Thu Fri)"
    assert seasonal_periods(nine_to_six) == [9, 54]  # a day and a week of open hours
    assert seasonal_periods("CBH(10:00-00:00 Mon Tue Wed Thu Fri Sat Sun)") == [14, 98]  # to midnight
    assert seasonal_periods("CBH(09:30-16:30 Mon Tue Wed Thu Fri)") == [7, 35]  # an exchange's bars
    services = "CBH(11:00-15:00,18:00-23:00 Tue Wed Thu Fri Sat Sun)"  # a restaurant's lunch and dinner
    assert freq_alias(services) == services and to_offset(services).spans == [(660, 900), (1080, 1380)]
    assert seasonal_periods(services) == [9, 54]
    half_hours = "CBH(08:00-20:00 Mon Tue Wed Thu Fri, 30min)"  # a call centre's
    assert freq_alias(half_hours) == half_hours and to_offset(half_hours).per_day == 24
    assert seasonal_periods(half_hours) == [24, 120]
    with pytest.raises(ValueError, match="whole number of steps apart"):
        to_offset("CBH(09:30-16:00 Mon)")
    with pytest.raises(ValueError, match="start to a later end"):
        to_offset("CBH(18:00-09:00 Mon)")


@settings(max_examples=80, deadline=None)
@given(
    days=st.sets(st.integers(0, 6), min_size=1),
    start=st.integers(0, 22),
    hours=st.integers(1, 23),
    minute=st.sampled_from([0, 30]),
    step=st.sampled_from([60, 30, 15]),
    lunch=st.integers(0, 2),
    k=st.integers(-40, 40),
    country=st.sampled_from([None, "US", "DE"]),
)
def test_open_steps_move_along_their_grid(days, start, hours, minute, step, lunch, k, country) -> None:
    """``shift`` by k steps lands k places along the grid of open days or hours (one span a
    day, or two around a closed ``lunch`` of hours; closed on a country's holidays or not); on
    whole hours that grid is the one pandas generates for its business hours (whose own
    arithmetic labels a step back from an opening time by the closing time before it)."""
    start, end = 60 * start + minute, 60 * (start + hours) + minute
    if end > 1440 or (lunch and hours - hours // 2 <= lunch):  # both spans open an hour or more
        return
    middle = start + 60 * (hours // 2)
    spans = [(start, middle), (middle + 60 * lunch, end)] if lunch else [(start, end)]
    off_days = np.array([], "datetime64[D]") if country is None else holiday_dates(country, 2023, 2040)
    named = "" if country is None else f"; {country} holidays"
    for freq in (open_hours_freq(spans, days, step, country),
                 "C(" + " ".join(WEEKDAYS[d] for d in sorted(days)) + named + ")"):
        offset = to_offset(freq)
        mask = [d in days for d in range(7)]
        opening = np.busday_offset("2023-12-28", 0, roll="forward", weekmask=mask, holidays=off_days)
        opening = opening.astype("datetime64[ns]")
        first = opening + np.timedelta64(start if freq.startswith("CBH") else 0, "m")
        every = np.timedelta64(step if freq.startswith("CBH") else 1440, "m")
        stamps = first + np.arange(3000 * 1440 // (every // np.timedelta64(1, "m"))) * every
        grid = open_grid(stamps, offset)
        assert grid[0] == first and len(grid) >= 200
        assert (grid == stamps[~open_period(stamps, offset)[1]]).all()  # the open stamps, each once
        grid = grid[:200]
        np.testing.assert_array_equal(shift(grid[40:160], offset, k), grid[40 + k : 160 + k])
        both = shift(grid[40:160], offset, np.array([k, 1]))  # several steps at once: one column each
        np.testing.assert_array_equal(both, np.stack([grid[40 + k : 160 + k], grid[41:161]], axis=1))
        period, closed = open_period(grid, offset)
        assert not closed.any() and (period == grid).all()
        if freq.startswith("C(") or step == 60:
            clock = [[f"{t // 60 % 24:02d}:{t % 60:02d}" for t in span] for span in spans]
            starts, ends = [c[0] for c in clock], [c[1] for c in clock]
            pandas_offset = (pd.offsets.CustomBusinessDay(weekmask=mask, holidays=off_days) if freq.startswith("C(")
                             else pd.offsets.CustomBusinessHour(start=starts, end=ends, weekmask=mask,
                                                                holidays=off_days))
            expected = pd.date_range(grid[0], periods=len(grid), freq=pandas_offset).to_numpy()
            np.testing.assert_array_equal(grid, expected)
