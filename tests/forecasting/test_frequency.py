"""Frequencies and seasonal periods found on real series: the real ones, and none invented;
open days and opening hours read as such."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pmdarima
import pytest
from conftest import shared_file
from hypothesis import given, settings
from hypothesis import strategies as st

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.frequency import detect_seasonality, infer_datetime_freq, longest_series, seasonal_periods
from tsauto.forecasting.validation import validate


def _one(y: np.ndarray) -> list[int]:
    return detect_seasonality(y, np.array([0, len(y)]), None)


def test_no_period_invented_on_yearly_series_on_integer_steps() -> None:
    path = shared_file("forecasting/m1/M1-train.csv.gz")
    info = pd.read_csv(shared_file("forecasting/m1/M1-info.csv"))
    train = pd.read_csv(path)
    yearly = train[train["unique_id"].isin(info.loc[info["period"] == "YEARLY", "unique_id"])]
    found = [_one(g.to_numpy()) for _, g in yearly.groupby("unique_id")["y"]]
    invented = sum(1 for f in found if f)
    assert invented <= 0.02 * len(found), f"{invented} of {len(found)} yearly series got a period"


def test_no_period_on_a_random_walk_scanned_over_many_lags() -> None:
    # the first differences of an M4 weekly series are close to noise over short lags; its
    # cumulative sum of shuffled differences is a random walk with the same step sizes
    path = shared_file("forecasting/m4/Weekly-long.csv.gz")
    df = pd.read_csv(path)
    y = df.loc[(df["unique_id"] == "W1") & (df["split"] == "train"), "y"].to_numpy()
    steps = np.random.default_rng(0).permutation(np.diff(y))
    walk = y[0] + np.concatenate([[0.0], np.cumsum(steps)])
    assert _one(walk) == []


def test_the_calendars_own_period_is_kept_on_short_series_the_autocorrelation_vote_misses() -> None:
    """M1 quarterly series cut to their first 18 quarters: fewer than a third pass the 90 %
    autocorrelation test at lag 4, yet a quarter of a year is the calendar's period and the
    learners choose per series whether to use it."""
    train = pd.read_csv(shared_file("forecasting/m1/M1-train.csv.gz"))
    info = pd.read_csv(shared_file("forecasting/m1/M1-info.csv"))
    quarterly = train[train["unique_id"].isin(info.loc[info["period"] == "QUARTERLY", "unique_id"])]
    short = quarterly.groupby("unique_id").head(18)
    short = short[short.groupby("unique_id")["y"].transform("size") == 18]
    y = short["y"].to_numpy(float)
    indptr = np.arange(0, len(y) + 1, 18)
    passed = []
    for i in range(len(indptr) - 1):
        x = y[indptr[i] : indptr[i + 1]]
        x = x - x.mean()
        acf = np.array([np.dot(x[: len(x) - k], x[k:]) for k in range(5)]) / np.dot(x, x)
        passed.append(acf[4] > 1.645 * np.sqrt((1 + 2 * np.sum(acf[1:4] ** 2)) / len(x)))
    assert np.mean(passed) < 1 / 3  # the vote alone would have dropped the period
    assert detect_seasonality(y, indptr, [4]) == [4]
    assert detect_seasonality(y, indptr[:2], [12]) == []  # 18 points: under two years of months


def _m1_monthly_last(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The last ``n`` months of M1's monthly training series that hold ``n``: (y, indptr)."""
    train = pd.read_csv(shared_file("forecasting/m1/M1-train.csv.gz"))
    info = pd.read_csv(shared_file("forecasting/m1/M1-info.csv"))
    monthly = train[train["unique_id"].isin(info.loc[info["period"] == "MONTHLY", "unique_id"])]
    months = monthly.groupby("unique_id").tail(n)
    months = months[months.groupby("unique_id")["y"].transform("size") == n]
    return months["y"].to_numpy(float), np.arange(0, len(months) + 1, n)


def test_a_season_shorter_series_show_in_their_changes_is_kept(walmart_small) -> None:
    """Under two periods a series (the median): 93 weeks of Walmart sales, whose weekly changes
    repeat a year later (the period was dropped, and seasonal naive at lag 52 never compared),
    keep 52; 20 months of M1's monthly series, whose changes mostly do not, keep none."""
    weeks = walmart_small.groupby("Dept").head(93)
    y, indptr = weeks["Weekly_Sales"].to_numpy(float), np.arange(0, len(weeks) + 1, 93)
    assert detect_seasonality(y, indptr, seasonal_periods("W-FRI")) == [52]
    y, indptr = _m1_monthly_last(20)
    assert detect_seasonality(y, indptr, [12]) == []


def test_a_season_and_the_horizon_keep_the_period_of_short_series(walmart_small) -> None:
    """60 weeks of Walmart sales hold 8 changes a year apart, too few to show the season in
    any series, but a year and 8 weeks: the last validation fold's training holds a year, so
    seasonal naive at lag 52 is compared there (validation windows of the training part: MASE
    1.156 -> 0.929 over 5 origins); with 13 weeks ahead, 65 > 60, the period is left out.
    M1's monthly series cut to 20 months keep none for 18 months ahead, 12 for 6."""
    weeks = walmart_small.groupby("Dept").head(60)
    y, indptr = weeks["Weekly_Sales"].to_numpy(float), np.arange(0, len(weeks) + 1, 60)
    assert detect_seasonality(y, indptr, [52]) == []  # no series shows it in its changes
    assert detect_seasonality(y, indptr, [52], horizon=8) == [52]
    assert detect_seasonality(y, indptr, [52], horizon=13) == []
    y, indptr = _m1_monthly_last(20)
    assert detect_seasonality(y, indptr, [12], horizon=18) == []
    assert detect_seasonality(y, indptr, [12], horizon=6) == [12]


def test_daily_cycle_found_on_hourly_series_on_integer_steps() -> None:
    df = pd.read_csv(shared_file("forecasting/other/ETTh1.csv.gz"))
    assert _one(df["OT"].to_numpy()[:2000])[0] == 24


def test_business_days_have_a_week_of_five_and_a_year_of_252() -> None:
    assert seasonal_periods("B") == [5, 252]
    assert seasonal_periods("C") == [5, 252]
    assert seasonal_periods("2B") == [126]
    assert seasonal_periods("D") == [7, 365]


def _closed_on_sundays() -> pd.DataFrame:
    """Wikipedia's daily page views (10 series, 2015-07 to 2016-12) without their Sundays: the
    rows of a shop closed on Sundays."""
    df = pd.read_csv(shared_file("forecasting/other/wikipedia_traffic_daily.csv"), parse_dates=["ds"])
    return df[df["ds"].dt.day_of_week != 6].reset_index(drop=True)


def test_days_of_a_shop_closed_on_sundays_are_not_filled_in(tmp_path) -> None:
    """Daily rows that never fall on a Sunday and step from Saturday to Monday are read as
    six open days a week: no Sunday is inserted, interpolated or forecast, the week has 6
    steps, and a saved model forecasts the same open days."""
    df = _closed_on_sundays()
    model = Forecaster(target="y", time="ds", ids="unique_id", horizon=8, learners=["seasonal_naive"]).fit(df)
    assert model.history_.schema.freq == "C(Mon Tue Wed Thu Fri Sat)"
    assert model.task_.season == 6
    assert len(model.history_.y) == len(df)  # no step inserted
    fc = model.predict()
    days = pd.DatetimeIndex(fc["ds"])
    assert (days.day_of_week != 6).all() and len(fc) == 80
    last = df.groupby("unique_id")["ds"].max().iloc[0]  # a Saturday: 2016-12-31
    assert days[0] == last + pd.Timedelta(days=2) and days[6] == last + pd.Timedelta(days=9)
    # seasonal naive repeats the last six open days, Monday on Monday
    first = fc[fc["unique_id"] == fc["unique_id"].iloc[0]]
    tail = df[df["unique_id"] == first["unique_id"].iloc[0]].tail(6)
    np.testing.assert_allclose(first["forecast"].to_numpy()[:6], tail["y"].to_numpy())
    model.save(tmp_path / "m.tsauto")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m.tsauto").predict(), fc)


def test_open_days_can_be_given_and_a_weekday_missing_once_is_a_gap() -> None:
    df = _closed_on_sundays()
    given = Forecaster(
        target="y", time="ds", ids="unique_id", horizon=3, learners=["naive"],
        data={"freq": pd.offsets.CustomBusinessDay(weekmask="Mon Tue Wed Thu Fri Sat")},
    ).fit(df)
    assert given.history_.schema.freq == "C(Mon Tue Wed Thu Fri Sat)"
    with pytest.raises(DataValidationError, match="Funday"):
        Forecaster(target="y", time="ds", ids="unique_id", horizon=3, data={"freq": "C(Mon Funday)"}).fit(df)
    # nine days of one series with its one Sunday missing: a gap in daily rows, not a calendar
    days = pd.read_csv(shared_file("forecasting/other/wikipedia_traffic_daily.csv"), parse_dates=["ds"])
    week = days[days["unique_id"] == days["unique_id"].iloc[0]].iloc[5:14]  # Mon 2015-07-06 ..
    week = week[week["ds"].dt.day_of_week != 6]
    model = Forecaster(target="y", time="ds", horizon=2, learners=["naive"]).fit(week[["ds", "y"]])
    assert model.history_.schema.freq == "D" and len(model.history_.y) == 9


def test_hours_of_a_business_open_nine_to_six_on_weekdays_are_not_filled_in() -> None:
    """Washington's hourly bike rentals 2011-2012 at 09:00-17:00 on weekdays only (the rows of
    a business open 9 to 6, Monday to Friday): the nights and weekends are not inserted (only
    the 23 open hours the data lack), a day has 9 steps and a week 45, and the forecast runs
    over the next open hours."""
    df = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    df["time"] = pd.to_datetime(df["dteday"]) + pd.to_timedelta(df["hr"], unit="h")
    open_hours = df[(df["time"].dt.day_of_week < 5) & df["hr"].between(9, 17)][["time", "cnt"]]
    model = Forecaster(target="cnt", time="time", horizon=12, learners=["seasonal_naive"]).fit(open_hours)
    assert model.history_.schema.freq == "CBH(09:00-18:00 Mon Tue Wed Thu Fri)"
    assert model.task_.seasons == (9, 45)
    assert len(model.history_.y) == len(open_hours) + 23
    out = model.predict()
    last = open_hours["time"].max()  # Monday 2012-12-31 17:00
    expected = pd.date_range(last, periods=13, freq=pd.offsets.CustomBusinessHour(start="09:00", end="18:00"))[1:]
    assert list(out["time"]) == list(expected) and expected[0] == pd.Timestamp("2013-01-01 09:00")
    assert set(out["time"].dt.hour) <= set(range(9, 18))
    # a restaurant's two services, every day: lunch 11:00-14:00 and dinner 17:00-21:00
    services = df[df["hr"].between(11, 14) | df["hr"].between(17, 21)][["time", "cnt"]]
    served = validate(services, target="cnt", time="time")
    assert served.schema.freq == "CBH(11:00-15:00,17:00-22:00 Mon Tue Wed Thu Fri Sat Sun)"
    assert pd.Timestamp(served.times[4]) == pd.Timestamp("2011-01-01 17:00")  # after 14:00, 17:00
    # every hour of the weekdays (an office's meter): all day on the days open
    weekdays = df[df["time"].dt.day_of_week < 5][["time", "cnt"]]
    assert validate(weekdays, target="cnt", time="time").schema.freq == "CBH(00:00-00:00 Mon Tue Wed Thu Fri)"
    # labelled at half past (as an exchange's hourly bars, 09:30 to 15:30)
    half_past = open_hours.assign(time=open_hours["time"] + pd.Timedelta(minutes=30))
    assert validate(half_past, target="cnt", time="time").schema.freq == "CBH(09:30-18:30 Mon Tue Wed Thu Fri)"
    # the same hours in New York's time zone: read on the wall clock, as UTC they would move
    # an hour with daylight saving (13:00-22:00 in summer, 14:00-23:00 in winter)
    local = open_hours.assign(time=open_hours["time"].dt.tz_localize("America/New_York"))
    zoned = Forecaster(target="cnt", time="time", horizon=12, learners=["seasonal_naive"]).fit(local)
    assert zoned.history_.schema.freq == model.history_.schema.freq
    assert zoned.history_.schema.tz == "wall:America/New_York"
    checks = zoned.data_checks().set_index("check")
    assert "America/New_York read on the wall clock" in checks.loc["frequency", "message"]
    out = zoned.predict()
    times = out["time"]
    assert str(times.dt.tz) == "America/New_York" and list(times.dt.tz_localize(None)) == list(expected)
    pd.testing.assert_frame_equal(zoned.predict(history=local), out)  # a later table read alike


def test_half_hours_of_a_call_centre_open_eight_to_eight_are_not_filled_in() -> None:
    """Victoria's half-hourly electricity demand kept to 08:00-20:00 on weekdays (the rows of a
    call centre's half hours): 24 steps a day, 120 a week, no night or weekend inserted, the
    forecast over the next open half hours (pandas' business hours step by whole hours only)."""
    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"))
    t = pd.to_datetime(v["Time_UTC"]).dt.tz_localize(None)
    rows = pd.DataFrame({"t": t, "Demand": v["Demand"]})
    rows = rows[(t.dt.hour >= 8) & (t.dt.hour < 20) & (t.dt.day_of_week < 5)]
    model = Forecaster(target="Demand", time="t", horizon=30, learners=["seasonal_naive"]).fit(rows)
    assert model.history_.schema.freq == "CBH(08:00-20:00 Mon Tue Wed Thu Fri, 30min)"
    assert model.task_.seasons == (24, 120) and len(model.history_.y) == len(rows)
    out = model.predict()["t"]  # the data end on Wednesday 31 December 2014 at 12:30
    assert out.iloc[0] == pd.Timestamp("2014-12-31 13:00") and out.iloc[13] == pd.Timestamp("2014-12-31 19:30")
    assert out.iloc[14] == pd.Timestamp("2015-01-01 08:00") and out.iloc[29] == pd.Timestamp("2015-01-01 15:30")


def test_trading_days_of_a_real_stock_get_business_day_seasons() -> None:
    """Microsoft's daily trading volume 1986-2017 (pmdarima): weekdays only, exchange
    holidays missing. Read as business days, its candidate seasons are 5 and 252, not 7/365."""
    msft = pmdarima.datasets.load_msft()
    data = msft[["Date", "Volume"]].assign(Volume=np.log1p(msft["Volume"].astype(float)))
    model = Forecaster(target="Volume", time="Date", horizon=5, learners=["naive"]).fit(data)
    assert model.history_.schema.freq == "B"
    assert model.task_.seasons == (5, 252) and model.task_.season == 5



def test_the_week_of_daily_sums_is_read_across_the_panel_not_from_its_first_ids() -> None:
    """M4 Hourly's training parts in daily sums on integer steps, their last 14 days held out
    (the suite's first validation window of ``m4_hourly_daily``): 245 series of 26 days, the
    longest. The 200 with the first ids show no week in their mean autocorrelation, the 245 do;
    the sample of equally long series spreads over the panel instead of taking its first ids."""
    df = pd.read_csv(shared_file("forecasting/m4/Hourly-long.csv.gz"))
    df = df[df["split"] == "train"].sort_values(["unique_id", "t"])
    day = df.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy() // 24
    sums = df.assign(day=day).groupby(["unique_id", "day"])["y"].agg(["sum", "size"]).reset_index()
    sums = sums[(sums["size"] == 24) & (sums["day"] >= 14)].sort_values(["unique_id", "day"], ascending=[True, False])
    counts = sums.groupby("unique_id").size()
    longest = sums[sums["unique_id"].isin(counts[counts == 26].index)]
    y = longest["sum"].to_numpy(float)
    indptr = np.arange(0, len(y) + 1, 26)
    assert len(indptr) - 1 == 245
    assert detect_seasonality(y[: 200 * 26], indptr[:201], None) == []  # the first ids hide it
    assert detect_seasonality(y, indptr, None) == [7]


def test_the_longest_series_are_all_taken_and_ties_spread_over_the_panel() -> None:
    lengths = np.array([30] * 5 + [10] * 3 + [30] * 5 + [50])  # 11 series at least 30 long
    assert longest_series(lengths, 20).tolist() == list(range(14))  # all, under the cap
    picked = longest_series(lengths, 6)
    assert 13 in picked and len(set(picked)) == 6 and set(lengths[picked]) == {30, 50}
    assert picked.min() == 0 and picked.max() == 13  # from both ends of the panel, not its first ids


def _working_days() -> pd.DataFrame:
    """Washington's daily rentals by registered riders on working days (weekdays that are not
    public holidays in the District), 2011-2012."""
    df = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    days = df.groupby("dteday", as_index=False).agg(y=("registered", "sum"), working=("workingday", "max"))
    return days.loc[days["working"] == 1, ["dteday", "y"]].reset_index(drop=True)


def test_working_days_are_closed_on_the_public_holidays_of_the_region_given(tmp_path) -> None:
    """With ``holidays="US-DC"`` the 21 holidays the rows step over are closed days, not missing
    ones: none imputed, the forecast skips Christmas and New Year's Day, and a saved model does
    too. Without the region they are gaps (as before); a holiday with a row keeps them gaps."""
    days = _working_days()
    fit = days[days["dteday"] <= "2012-12-21"]
    closed = Forecaster(target="y", time="dteday", horizon=6, holidays="US-DC", learners=["seasonal_naive"]).fit(fit)
    assert closed.history_.schema.freq == "C(Mon Tue Wed Thu Fri; US-DC holidays)"
    assert len(closed.history_.y) == len(fit) and closed.task_.seasons == (5,)
    ahead = ["2012-12-24", "2012-12-26", "2012-12-27", "2012-12-28", "2012-12-31", "2013-01-02"]
    out = closed.predict()
    assert out["dteday"].dt.strftime("%Y-%m-%d").tolist() == ahead
    closed.save(tmp_path / "days.tsauto")
    again = Forecaster.load(tmp_path / "days.tsauto").predict(history=days[days["dteday"] <= "2012-12-21"])
    pd.testing.assert_frame_equal(again, out)
    plain = Forecaster(target="y", time="dteday", horizon=6, learners=["seasonal_naive"]).fit(fit)
    assert plain.history_.schema.freq == "B" and len(plain.history_.y) == len(fit) + 20
    assert "2012-12-25" in plain.predict()["dteday"].dt.strftime("%Y-%m-%d").tolist()
    opened = pd.concat([fit, pd.DataFrame({"dteday": ["2012-07-04"], "y": [3000]})])
    assert validate(opened, target="y", time="dteday", holidays="US-DC").schema.freq == "B"
    with pytest.raises(DataValidationError, match=r"^holidays='XX': the holidays package does not know .* 'AU-NSW'\.$"):
        validate(fit, target="y", time="dteday", holidays="XX")
    # the same days' opening hours, 09:00-17:00: the holidays are closed, the 23 open hours
    # the data lack stay gaps
    df = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    df["time"] = pd.to_datetime(df["dteday"]) + pd.to_timedelta(df["hr"], unit="h")
    hours = df[(df["workingday"] == 1) & df["hr"].between(9, 17)][["time", "registered"]]
    hours = hours[hours["time"] <= "2012-12-24 17:00"]
    panel = validate(hours, target="registered", time="time", holidays="US-DC")
    assert panel.schema.freq == "CBH(09:00-18:00 Mon Tue Wed Thu Fri; US-DC holidays)"
    assert len(panel.y) == len(hours) + 23


MONTHLY_ALIASES = ["MS", "ME", "BMS", "BME", "2MS", "6ME", "QS-JAN", "QS-FEB", "QE-DEC", "QE-NOV", "QE-JAN",
                   "BQE-DEC", "YS", "YE", "YS-JUL", "YE-JUN", "YE-MAR", "BYE-DEC", "SMS", "SME"]


@settings(max_examples=200, deadline=None)
@given(alias=st.sampled_from(MONTHLY_ALIASES), start=st.dates(dt.date(1700, 1, 1), dt.date(2200, 1, 1)),
       periods=st.integers(3, 40), series=st.integers(1, 3))
def test_month_based_stamps_are_read_on_the_grid_they_follow(alias: str, start: dt.date, periods: int,
                                                            series: int) -> None:
    """Stamps of any month-based pandas frequency (quarters ending in March were read as
    'QE-MAY', fiscal years as 'YS', business month ends as 'MS', every 2 months as '61D'):
    the frequency inferred steps along the same stamps, for one or several series."""
    stamps = pd.date_range(pd.Timestamp(start), periods=periods, freq=alias)
    times = pd.Series(np.tile(stamps, series))
    freq = infer_datetime_freq(times, np.repeat(np.arange(series), periods))
    assert pd.date_range(stamps[0], periods=periods, freq=freq).equals(stamps), (alias, freq)


def test_quarters_stamped_at_their_end_continue_at_quarter_ends(aus_retail: pd.DataFrame) -> None:
    """Australian retail summed by calendar quarter and stamped on the quarter's last day
    (March 31, June 30, ...): read as 'QE-DEC' (it was 'QE-MAY', whose grid refused them),
    the forecasts on the next quarter ends, with a yearly season of 4."""
    df = aus_retail[aus_retail["State"] == "Tasmania"]
    df = df.assign(Quarter=df["Month"].dt.to_period("Q").dt.end_time.dt.normalize())
    sums = df.groupby(["Industry", "Quarter"], as_index=False)["Turnover"].sum()
    fc = Forecaster(target="Turnover", time="Quarter", ids="Industry", horizon=4, learners=["seasonal_naive"])
    out = fc.fit(sums).predict()
    assert fc.history_.schema.freq == "QE-DEC" and fc.task_.season == 4
    assert sorted(set(out["Quarter"].dt.strftime("%m-%d"))) == ["03-31", "06-30", "09-30", "12-31"]


def test_monthly_stamps_on_the_15th_are_refused_with_the_way_to_read_them(aus_small: pd.DataFrame) -> None:
    """No pandas frequency steps along the 15th of each month: the error says so and names
    freq='MS' with aggregate='sum', which reads them (one row per month)."""
    df = aus_small.assign(Month=aus_small["Month"] + pd.Timedelta(days=14))
    kw = dict(target="Turnover", time="Month", ids=["State", "Industry"])
    with pytest.raises(DataValidationError, match=r"fall on day 15 of their month.*freq='MS' with aggregate='sum'"):
        validate(df, **kw)
    panel = validate(df, **kw, freq="MS", aggregate="sum")
    np.testing.assert_array_equal(panel.y, validate(aus_small, **kw).y)
    quarters = aus_small[aus_small["Month"].dt.month % 3 == 1]
    quarters = quarters.assign(Month=quarters["Month"] + pd.Timedelta(days=14))  # Jan 15, Apr 15, ...
    with pytest.raises(DataValidationError, match=r"3 month\(s\) apart fall on day 15.*freq='QS' with aggregate"):
        validate(quarters, **kw)
    assert validate(quarters, **kw, freq="QS", aggregate="sum").schema.freq == "QS-JAN"


@pytest.mark.parametrize("freq, periods", [("2MS", [6]), ("6MS", [2]), ("3D", []), ("2W-SUN", [26]), ("SMS", [24]),
                                           ("QE-DEC", [4]), ("YE-JUN", [])])
def test_multiples_of_a_step_keep_the_periods_they_divide(freq: str, periods: list[int]) -> None:
    assert seasonal_periods(freq) == periods


def test_a_mis_stamped_first_row_does_not_set_the_anchor(walmart_small: pd.DataFrame, aus_small: pd.DataFrame) -> None:
    """Walmart's first row stamped a Thursday among its Fridays made the frequency 'W-THU', and
    the error named every correct row off that grid (1,112 of them in store 1); the weekday
    most stamps fall on sets it, and the error names the one row. Quarters and years stamped on
    their first month, the first row a month early, likewise keep their anchor (it was
    'QS-MAR', 'YS-JUN')."""
    weekly = walmart_small.copy()
    weekly.loc[0, "Date"] -= pd.Timedelta(days=1)
    with pytest.raises(DataValidationError) as err:
        validate(weekly, target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    assert str(err.value).startswith(
        "time column 'Date': 1 time stamp is not on the 'W-FRI' grid at row 0 in series [{'Store': 1, 'Dept': 1}];")
    kw = dict(target="Turnover", time="Month", ids=["State", "Industry"])
    quarters = aus_small[aus_small["Month"].dt.month % 3 == 1].reset_index(drop=True)
    years = aus_small[aus_small["Month"].dt.month == 7].reset_index(drop=True)
    for table, freq in ((quarters, "QS-JAN"), (years, "YS-JUL")):
        assert validate(table, **kw).schema.freq == freq
        early = table.copy()
        early.loc[0, "Month"] -= pd.DateOffset(months=1)
        with pytest.raises(DataValidationError, match=rf"1 time stamp is not on the '{freq}' grid at row 0 in"):
            validate(early, **kw)
