"""The data contract: every bad input gets its own clear error or documented handling."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pmdarima
import pytest
from conftest import shared_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsauto import Forecaster, datasets
from tsauto.forecasting.panel import pad_front

from tsauto.forecasting.validation import check_id_types, future_covariates, horizon_check, validate, validate_like
from tsauto.core.exceptions import DataValidationError

KW = dict(target="Turnover", time="Month", ids=["State", "Industry"])


def test_regular_panel_roundtrips(aus_small: pd.DataFrame) -> None:
    panel = validate(aus_small, **KW)
    assert panel.n_series == 12
    assert panel.schema.freq == "MS"
    assert len(panel.y) == len(aus_small)
    back = panel.to_frame()
    expected = aus_small.sort_values(["State", "Industry", "Month"]).reset_index(drop=True)
    np.testing.assert_array_equal(back["Turnover"].to_numpy(), expected["Turnover"].to_numpy())
    assert (back["Month"].to_numpy() == expected["Month"].to_numpy()).all()


def test_csv_and_parquet_paths(aus_small: pd.DataFrame, tmp_path) -> None:
    aus_small.to_csv(tmp_path / "a.csv", index=False)
    aus_small.to_parquet(tmp_path / "a.parquet", index=False)
    a = validate(tmp_path / "a.csv", **KW)
    b = validate(str(tmp_path / "a.parquet"), **KW)
    np.testing.assert_array_equal(a.y, b.y)


def test_missing_column_is_named(aus_small: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="'Sales'"):
        validate(aus_small, target="Sales", time="Month", ids=["State", "Industry"])


def test_non_numeric_target_names_rows_and_series(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df["Turnover"] = df["Turnover"].astype(object)
    df.loc[5, "Turnover"] = "n/a"
    with pytest.raises(DataValidationError, match=r"not numeric at row 5.*'n/a'.*Tasmania"):
        validate(df, **KW)


def test_a_target_with_a_few_text_cells_is_refused_with_the_code_that_reads_them_missing(
    walmart_small: pd.DataFrame,
) -> None:
    """Walmart sales with 'n/a' in three weeks: still refused (a target is not guessed), the
    message giving the code that reads them as missing, which then validates with the three
    imputed; a target of labels (IsHoliday written as text) gets no such code, but is told a
    class per row is a Classifier's (user test 54: "convert it to numbers" alone)."""
    df = walmart_small.copy()
    df["Weekly_Sales"] = df["Weekly_Sales"].astype(object)
    df.loc[[5, 50, 100], "Weekly_Sales"] = "n/a"
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    with pytest.raises(DataValidationError) as err:
        validate(df, **kw)
    fix = "df['Weekly_Sales'] = pd.to_numeric(df['Weekly_Sales'], errors='coerce')"
    assert fix in str(err.value) and "pd.read_csv(..., na_values=['n/a'])" in str(err.value)
    df["Weekly_Sales"] = pd.to_numeric(df["Weekly_Sales"], errors="coerce")
    assert validate(df, **kw).fills.imputed.sum() == 3
    labels = walmart_small.assign(Weekly_Sales=walmart_small["IsHoliday"].map({True: "yes", False: "no"}))
    with pytest.raises(DataValidationError, match="convert it to numbers; none of its values is a number: a "
                       "forecast needs a numeric target \\(to predict a class per row, use tsauto.Classifier") as err:
        validate(labels, **kw)
    assert "to_numeric" not in str(err.value)


def test_infinite_target_is_an_error(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df.loc[7, "Turnover"] = np.inf
    with pytest.raises(DataValidationError, match="infinite at row 7"):
        validate(df, **KW)


def test_a_bad_value_in_many_series_names_them_all(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df["Turnover"] = np.inf
    n_series = len(df[["State", "Industry"]].drop_duplicates())
    with pytest.raises(DataValidationError, match=rf"infinite at .* in series \[.*\] and {n_series - 3} more"):
        validate(df, **KW)


def test_duplicates_are_an_error_unless_aggregating(aus_small: pd.DataFrame) -> None:
    df = pd.concat([aus_small, aus_small.iloc[[3]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="aggregate="):
        validate(df, **KW)
    summed = validate(df, **KW, aggregate="sum", freq="MS")
    original = validate(aus_small, **KW)
    row = int(np.flatnonzero(original.times == np.datetime64(aus_small.loc[3, "Month"]))[0])
    assert summed.y[row] == pytest.approx(2 * original.y[row])


def test_aggregate_to_coarser_frequency(aus_small: pd.DataFrame) -> None:
    quarterly = validate(aus_small, **KW, aggregate="sum", freq="QS")
    monthly = validate(aus_small, **KW)
    assert quarterly.schema.freq.startswith("QS")
    assert quarterly.y.sum() == pytest.approx(monthly.y.sum())
    assert len(quarterly.y) == pytest.approx(len(monthly.y) / 3, abs=quarterly.n_series)


def test_a_summed_period_without_any_target_is_missing_not_zero(walmart_small: pd.DataFrame) -> None:
    """Weeks rolled up to months: the weeks of the next month kept in the table without sales
    (its future) are not a month of zero sales; a month without sales inside is imputed."""
    one = walmart_small[walmart_small["Dept"] == 1].copy()
    month = one["Date"].dt.to_period("M")
    one.loc[month == month.max(), "Weekly_Sales"] = np.nan
    one.loc[month == pd.Period("2011-06", "M"), "Weekly_Sales"] = np.nan
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": "Dept", "aggregate": "sum", "freq": "MS"}
    panel = validate(one, **kw)
    months = pd.DatetimeIndex(panel.times)
    assert months[-1] == (month.max() - 1).to_timestamp() and panel.fills.trailing[0] == 1
    june = panel.y[months == "2011-06-01"][0]
    assert panel.fills.imputed[0] == 1 and june == pytest.approx(
        (panel.y[months == "2011-05-01"][0] + panel.y[months == "2011-07-01"][0]) / 2)


def test_partial_first_and_last_periods_are_not_summed(walmart_small: pd.DataFrame) -> None:
    """Weeks (ending on Fridays) summed to months, the table starting on the third Friday of
    February 2010 and ending on the second of October 2012: those two months hold part of their
    weeks, and are dropped; on an irregular grid (weeks missing) nothing is guessed."""
    one = walmart_small[(walmart_small["Dept"] == 1) & walmart_small["Date"].between("2010-02-19", "2012-10-12")]
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": "Dept", "aggregate": "sum", "freq": "MS"}
    panel = validate(one, **kw)
    months = pd.DatetimeIndex(panel.times)
    assert months[0] == pd.Timestamp("2010-03-01") and months[-1] == pd.Timestamp("2012-09-01")
    assert panel.fills.partial.tolist() == [4] and panel.fills.trailing[0] == 0
    march = one["Date"].dt.to_period("M") == pd.Period("2010-03", "M")
    assert panel.y[0] == pytest.approx(one.loc[march, "Weekly_Sales"].sum())
    gappy = validate(one.drop(index=one.index[5::7]), **kw)  # every 7th week missing
    assert gappy.fills.partial.tolist() == [0] and pd.Timestamp(gappy.times[-1]) == pd.Timestamp("2012-10-01")
    assert validate(one, **{**kw, "aggregate": "mean"}).fills.partial.tolist() == [0]


def test_partial_quarters_of_monthly_rows_are_not_summed(aus_small: pd.DataFrame) -> None:
    """Monthly turnover (months unequal in days, one month apart) summed to quarters, the table
    cut to February 1999 - October 2018: the first quarter of 1999 holds two of its months and
    the last quarter of 2018 one, and both are dropped; every other quarter is the sum of its
    three months."""
    df = aus_small[aus_small["Month"].between("1999-02-01", "2018-10-01")]
    kw = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "aggregate": "sum", "freq": "QS"}
    panel = validate(df, **kw)
    quarters = pd.DatetimeIndex(panel.times)
    assert quarters.min() == pd.Timestamp("1999-04-01") and quarters.max() == pd.Timestamp("2018-07-01")
    n_series = df.groupby(["State", "Industry"]).ngroups
    assert panel.fills.partial.tolist() == [3] * n_series  # February, March and October of each
    first = df[df["Month"].between("1999-04-01", "1999-06-01")].groupby(["State", "Industry"])["Turnover"].sum()
    assert panel.y[panel.indptr[:-1]] == pytest.approx(first.sort_index().to_numpy())


def test_partial_periods_of_a_sum_over_several_rows_a_time(walmart_small: pd.DataFrame) -> None:
    """Store 1's departments summed to the store and to months (ten rows a week), the table cut
    to the second Friday of October 2012: October holds two of its weeks and is dropped."""
    cut = walmart_small[walmart_small["Date"] <= "2012-10-12"]
    panel = validate(cut, target="Weekly_Sales", time="Date", ids="Store", aggregate="sum", freq="MS")
    assert pd.Timestamp(panel.times[-1]) == pd.Timestamp("2012-09-01")
    october = cut["Date"] >= "2012-10-01"
    assert panel.fills.partial.tolist() == [int(october.sum())] and october.sum() == 20


def test_partial_months_of_trading_days_are_not_summed() -> None:
    """Microsoft's daily volume (pmdarima), trading days 1986-03-13 to 2017-11-10 with exchange
    holidays left out: one business day apart at 96.6 % of steps, a grid. Summed to months,
    March 1986 (from the 13th) and November 2017 (to the 10th) are dropped; summed to weeks
    ending on Fridays, the first week (Thursday and Friday) is, and the last, which ends on a
    Friday, is kept."""
    msft = pmdarima.datasets.load_msft()
    daily = msft[["Date", "Volume"]].assign(Volume=msft["Volume"].astype(float))
    kw = {"target": "Volume", "time": "Date", "aggregate": "sum"}
    months = validate(daily, **kw, freq="MS")
    assert pd.Timestamp(months.times[0]) == pd.Timestamp("1986-04-01")
    assert pd.Timestamp(months.times[-1]) == pd.Timestamp("2017-10-01")
    dates = pd.to_datetime(daily["Date"])
    assert months.fills.partial.tolist() == [int(((dates < "1986-04-01") | (dates >= "2017-11-01")).sum())]
    weeks = validate(daily, **kw, freq="W-FRI")
    assert pd.Timestamp(weeks.times[0]) == pd.Timestamp("1986-03-21")
    assert pd.Timestamp(weeks.times[-1]) == pd.Timestamp("2017-11-10") and weeks.fills.partial.tolist() == [2]


def test_zoned_stamps_are_summed_to_days_of_their_own_calendar() -> None:
    """Melbourne's half-hourly demand, zoned, summed to days around the end of daylight saving
    (2012-04-01, a 25-hour day): the days run from local midnight to midnight (they were cut at
    UTC's, 10:00 or 11:00 local), the long day sums its 50 half-hours, and the forecasts are
    stamped at local midnight."""
    df = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"))
    df = df[(df["Time_UTC"] >= "2012-03-28") & (df["Time_UTC"] < "2012-04-06")]
    local = pd.to_datetime(df["Time_UTC"], utc=True).dt.tz_convert("Australia/Melbourne")
    zoned = pd.DataFrame({"t": local, "Demand": df["Demand"].to_numpy()})
    panel = validate(zoned, target="Demand", time="t", freq="D", aggregate="sum")
    days = zoned.groupby(zoned["t"].dt.tz_localize(None).dt.normalize())["Demand"]
    whole = days.size()[lambda n: n >= 46].index  # the first and last local days are partial
    np.testing.assert_allclose(panel.y, days.sum()[whole].to_numpy())
    assert days.size()[pd.Timestamp("2012-04-01")] == 50
    fc = Forecaster(target="Demand", time="t", horizon=2, learners=["naive"], data={"freq": "D", "aggregate": "sum"})
    out = fc.fit(zoned).predict()
    assert out["t"].tolist() == [pd.Timestamp("2012-04-06", tz="Australia/Melbourne"),
                                 pd.Timestamp("2012-04-07", tz="Australia/Melbourne")]
    in_utc = zoned.assign(t=zoned["t"].dt.tz_convert("UTC"))  # the same instants, on another clock: the fit's days
    pd.testing.assert_frame_equal(fc.predict(history=in_utc), fc.predict(history=zoned))
    month = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz")).iloc[: 48 * 62]  # Jan-Feb 2012
    half_hours = pd.Series(month["Demand"].to_numpy(), pd.to_datetime(month["Time_UTC"], utc=True).dt.tz_localize(None).rename("t"),
                           name="Demand")
    for freq in ("W-SUN", "ME"):  # periods named by their last day hold all of it (Sunday 00:30 went to the next week)
        summed = validate(half_hours.reset_index(), target="Demand", time="t", freq=freq, aggregate="sum")
        assert len(summed.y) == {"W-SUN": 8, "ME": 2}[freq]  # the whole weeks and months
        expected = half_hours.resample(freq).sum().loc[pd.DatetimeIndex(summed.times)]
        np.testing.assert_allclose(summed.y, expected.to_numpy())


def test_partial_weeks_of_a_shop_closed_on_sundays_are_not_summed() -> None:
    """Wikipedia's daily views without their Sundays (a shop's six open days), 2015-07-01
    (a Wednesday) to 2016-12-31 (a Saturday), summed to weeks ending on Sundays: the first
    week, Wednesday to Saturday, is dropped; the last, Monday to Saturday, is whole."""
    df = pd.read_csv(shared_file("forecasting/other/wikipedia_traffic_daily.csv"), parse_dates=["ds"])
    df = df[df["ds"].dt.day_of_week != 6]
    weeks = validate(df, target="y", time="ds", ids="unique_id", freq="W-SUN", aggregate="sum")
    assert weeks.fills.partial.tolist() == [4] * 10
    assert pd.Timestamp(weeks.times[0]) == pd.Timestamp("2015-07-12")
    assert pd.Timestamp(weeks.times[-1]) == pd.Timestamp("2017-01-01")


def test_half_hours_are_summed_to_opening_hours_and_closed_rows_refused() -> None:
    """Victoria's half-hourly electricity demand (UTC) summed to the hours 09:00-17:00 on
    weekdays: each hour is its two half-hours, from Monday 2 January 2012 09:00; the table with
    its nights and weekends is refused, naming the rows (they belong to no open hour; pandas'
    grid, rolled back to a closing time, summed them into the hour before)."""
    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"))
    v = pd.DataFrame({"t": pd.to_datetime(v["Time_UTC"]).dt.tz_localize(None), "Demand": v["Demand"]})
    kw = {"target": "Demand", "time": "t", "aggregate": "sum", "freq": "CBH(09:00-17:00 Mon Tue Wed Thu Fri)"}
    with pytest.raises(DataValidationError, match=r"40088 rows fall when frequency .* is closed .*Drop them"):
        validate(v, **kw)
    day = v[v["t"].dt.hour.between(9, 16) & (v["t"].dt.day_of_week < 5)]
    hours = validate(day, **kw)
    assert len(hours.y) == len(day) // 2 and pd.Timestamp(hours.times[0]) == pd.Timestamp("2012-01-02 09:00")
    np.testing.assert_allclose(hours.y[:8], day["Demand"].to_numpy()[:16].reshape(8, 2).sum(axis=1))


def test_stamps_off_given_opening_hours_are_named_alone() -> None:
    """Hourly bike rentals at 08:00-17:00 on weekdays given freq= 09:00-18:00: the 517 rows at
    08:00 are off the grid, and only they (a grid started from pandas' roll back to the closing
    time before ran 17:00, 10:00, 11:00, ... and put the 09:00 rows off it too)."""
    df = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    df["time"] = pd.to_datetime(df["dteday"]) + pd.to_timedelta(df["hr"], unit="h")
    rows = df[(df["time"].dt.day_of_week < 5) & df["hr"].between(8, 17)][["time", "cnt"]]
    with pytest.raises(DataValidationError, match=r"^time column 'time': 517 time stamps are not on"):
        validate(rows, target="cnt", time="time", freq="CBH(09:00-18:00 Mon Tue Wed Thu Fri)")


def test_aggregate_rolls_covariates_up_by_mean_or_most_frequent(walmart_small: pd.DataFrame) -> None:
    """Weeks to months: a holiday flag becomes the share of holiday weeks (Super Bowl, Labor
    Day, Thanksgiving and Christmas weeks each count), a label its most frequent value; the row
    order of the file does not matter."""
    df = walmart_small.assign(Size=np.where(walmart_small["Dept"] <= 7, "big", "small"))
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": "Store", "known_future": ["IsHoliday"],
          "aggregate": "sum", "freq": "MS"}
    panel = validate(df, **kw)
    months = pd.DatetimeIndex(panel.times)
    share = pd.Series(panel.covariates["IsHoliday"].to_numpy(), index=months)
    assert share["2010-02-01"] == pytest.approx(1 / 4) and share["2010-09-01"] == pytest.approx(1 / 4)
    assert share["2010-12-01"] == pytest.approx(1 / 5) and share["2010-10-01"] == 0
    assert panel.schema.static == ("Dept", "Size")
    codes = panel.static["Size"].astype(int)
    assert [panel.schema.categories["Size"][c] for c in codes] == ["big"]  # 7 of 10 departments
    shuffled = validate(df.sample(frac=1.0, random_state=0), **kw)
    np.testing.assert_allclose(shuffled.y, panel.y, rtol=1e-12)  # sums in another order
    np.testing.assert_allclose(shuffled.covariates["IsHoliday"], panel.covariates["IsHoliday"], rtol=1e-12)
    pd.testing.assert_frame_equal(shuffled.static, panel.static)


def test_missing_steps_are_inserted_and_interpolated(aus_small: pd.DataFrame) -> None:
    full = validate(aus_small, **KW)
    gappy = aus_small.drop(index=[10, 11])
    panel = validate(gappy, **KW)
    assert len(panel.y) == len(full.y)
    y0 = aus_small.loc[9, "Turnover"]
    y3 = aus_small.loc[12, "Turnover"]
    np.testing.assert_allclose(panel.y[10:12], [y0 + (y3 - y0) / 3, y0 + 2 * (y3 - y0) / 3])
    zero = validate(gappy, **KW, fill="zero")
    np.testing.assert_array_equal(zero.y[10:12], [0.0, 0.0])
    ffill = validate(gappy, **KW, fill="ffill")
    np.testing.assert_array_equal(ffill.y[10:12], [y0, y0])


def test_nan_targets_are_imputed_and_leading_ones_dropped(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df.loc[0:2, "Turnover"] = np.nan  # the first three months of the first series
    df.loc[20, "Turnover"] = np.nan
    panel = validate(df, **KW)
    assert panel.lengths[0] == validate(aus_small, **KW).lengths[0] - 3
    assert np.isfinite(panel.y).all()


def test_the_imputation_warning_names_the_series_their_counts_and_dates(aus_small: pd.DataFrame, caplog) -> None:
    """"imputed 5 missing target values by the 'interpolate' rule" named no series, where
    data_checks() did (user test 48): the warning counts them and names a few, and (user test
    57: "in 1 series" alone) the first dates of each."""
    df = aus_small.copy()
    industry = df["Industry"].iloc[0]
    tas = df.index[(df["State"] == "Tasmania") & (df["Industry"] == industry)]
    vic = df.index[(df["State"] == "Victoria") & (df["Industry"] == industry)]
    df.loc[tas[[10, 11, 12]], "Turnover"] = np.nan
    df.loc[vic[[30, 40]], "Turnover"] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        validate(df, **KW)
    assert (f"imputed 5 missing target values by the 'interpolate' rule in 2 series (Tasmania/{industry}: 3 at "
            "1999-11-01 (Monday), 1999-12-01 (Wednesday), 2000-01-01 (Saturday); "
            f"Victoria/{industry}: 2 at 2001-07-01 (Sunday), 2002-05-01 (Wednesday))\n") in caplog.text, caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        validate(df.loc[tas], target="Turnover", time="Month")
    assert ("imputed 3 missing target values by the 'interpolate' rule in 1 series (at 1999-11-01 (Monday), "
            "1999-12-01 (Wednesday), 2000-01-01 (Saturday))\n") in caplog.text, caplog.text


def test_interval_levels_are_told_from_a_hierarchys_levels() -> None:
    """predict(level=) reads a hierarchy's levels; numbers such as statsforecast's [80, 95] (or
    0.8) read as interval levels, for the hint on quantiles= (user test 48)."""
    from tsauto.forecasting.validation import interval_quantiles

    assert interval_quantiles([80, 95]) == interval_quantiles(["95", "80"]) == [0.025, 0.1, 0.9, 0.975]
    assert interval_quantiles(0.8) == interval_quantiles(80) == [0.1, 0.9]
    for level in (None, "all", [], ["State"], [80, "State"], 3, [100], [True], [float("nan")]):
        assert interval_quantiles(level) is None, level


@pytest.mark.parametrize("fill", ["interpolate", "ffill"])
def test_trailing_missing_targets_are_dropped_not_imputed(aus_small: pd.DataFrame, fill: str) -> None:
    df = aus_small.copy()
    first = df.index[(df["State"] == df["State"].iloc[0]) & (df["Industry"] == df["Industry"].iloc[0])]
    df.loc[first[-3:], "Turnover"] = np.nan  # the last three months of the first series
    df.loc[first[20], "Turnover"] = np.nan  # a gap within it stays imputed
    panel = validate(df, **KW, fill=fill)
    whole = validate(aus_small, **KW)
    assert panel.lengths[0] == whole.lengths[0] - 3 and (panel.lengths[1:] == whole.lengths[1:]).all()
    assert panel.last_times[0] == df.loc[first[-4], "Month"]
    np.testing.assert_array_equal(panel.y[panel.indptr[1] - 3:panel.indptr[1]], df.loc[first[-6:-3], "Turnover"])
    assert panel.fills.trailing[0] == 3 and panel.fills.leading[0] == 0 and panel.fills.imputed[0] == 1


def test_trailing_missing_targets_are_zeros_where_a_gap_means_zero(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    first = df.index[(df["State"] == df["State"].iloc[0]) & (df["Industry"] == df["Industry"].iloc[0])]
    df.loc[first[-3:], "Turnover"] = np.nan  # nothing sold in the last three months
    panel = validate(df, **KW, fill="zero")
    assert panel.lengths[0] == validate(aus_small, **KW).lengths[0] and panel.fills.trailing[0] == 0
    np.testing.assert_array_equal(panel.y[panel.indptr[1] - 3:panel.indptr[1]], [0.0, 0.0, 0.0])


def test_mixed_frequencies_name_the_series(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    rows = df.index[(df["State"] == "Victoria") & (df["Industry"] == df["Industry"].iloc[0])]
    df.loc[rows, "Month"] = df.loc[rows, "Month"] + pd.Timedelta(days=14)
    with pytest.raises(DataValidationError, match=r"not on the 'MS' grid.*Victoria"):
        validate(df, **KW)


def test_month_starts_and_ends_mixed_are_refused_with_the_fixes_that_read_them(
    aus_retail: pd.DataFrame, aus_small: pd.DataFrame
) -> None:
    """Victorian series stamped on month starts, Tasmanian ones on month ends (two source
    systems): the error blamed the 8,820 Victorian rows off the 'ME' grid of the 6,679
    Tasmanian ones and advised freq=, which failed the same way. Now it names the fewer rows
    and gives the two fixes that read the table (quarters likewise)."""
    df = aus_retail[aus_retail["State"].isin(["Victoria", "Tasmania"])].drop(columns="Series ID")
    tas = df["State"] == "Tasmania"
    mixed = df.assign(Month=df["Month"].where(~tas, df["Month"] + pd.offsets.MonthEnd(0)))
    for freq in (None, "MS"):
        with pytest.raises(DataValidationError) as err:
            validate(mixed, **KW, freq=freq)
        msg = str(err.value)
        assert msg.startswith(f"time column 'Month' mixes the first and last days of months: {tas.sum()} "
                              "stamps are on the last day of a month at rows")
        assert "'Tasmania'" in msg and "'Victoria'" not in msg and f"the other {(~tas).sum()} on the first" in msg
        assert ("df['Month'] = df['Month'].dt.to_period('M').dt.to_timestamp()), or pass freq='MS' with "
                "aggregate='sum'") in msg
    clean = validate(df, **KW)
    restamped = mixed.assign(Month=mixed["Month"].dt.to_period("M").dt.to_timestamp())
    np.testing.assert_array_equal(validate(restamped, **KW).y, clean.y)
    np.testing.assert_array_equal(validate(mixed, **KW, freq="MS", aggregate="sum").y, clean.y)
    with pytest.raises(DataValidationError) as err:  # the month ends freq= asks for: re-stamped so
        validate(mixed, **KW, freq="ME")
    ends = "df['Month'].dt.to_period('M').dt.to_timestamp(how='end').dt.normalize()"
    assert f"re-stamp them on their month's last day (df['Month'] = {ends})" in str(err.value)
    restamped = mixed.assign(Month=mixed["Month"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize())
    np.testing.assert_array_equal(validate(restamped, **KW, freq="ME").y, clean.y)
    quarters = df[df["Month"].dt.month % 3 == 1]
    quarters = quarters.assign(Month=quarters["Month"].where(~tas, quarters["Month"] + pd.offsets.QuarterEnd(0)))
    with pytest.raises(DataValidationError, match=r"first and last days of quarters: .*to_period\('Q-DEC'\)"
                       r".*freq='QS-JAN' with aggregate='sum'"):
        validate(quarters, **KW)
    even = aus_small.assign(Month=aus_small["Month"].where(aus_small["State"] != "Tasmania",
                                                            aus_small["Month"] + pd.offsets.MonthEnd(0)))
    assert even["Month"].dt.is_month_start.sum() == even["Month"].dt.is_month_end.sum()  # 6 series of each
    with pytest.raises(DataValidationError, match="mixes the first and last days of months"):  # not 'neither'
        validate(even, **KW)


def test_a_yearly_series_among_monthly_ones_is_refused_not_filled_in() -> None:
    """M1's yearly YAF2 beside its monthly MRF1: the yearly series' stamps lie on the monthly
    grid, 12 steps apart; its 11 months between were interpolated (231 made-up points). Now a
    clear error names it; each frequency fits apart (partition_by=), and a table whose missing
    steps are zeros (fill='zero') is read as before."""
    m1 = pd.read_csv(shared_file("forecasting/m1/M1-train.csv.gz"))
    df = m1[m1["unique_id"].isin(["YAF2", "MRF1"])].copy()
    kw = dict(target="y", time="ds", ids="unique_id")
    with pytest.raises(DataValidationError, match=r"'YAF2'.*step 12 'MS' steps at a time.*mix frequencies"):
        validate(df, **kw)
    assert validate(df, **kw, fill="zero").lengths.tolist() == [42, 21 * 12 + 1]  # MRF1, YAF2
    df["period"] = df["unique_id"].str[0]
    fc = Forecaster(**kw | {"ids": ["period", "unique_id"]}, horizon=2, learners=["naive"], partition_by=["period"])
    steps = fc.fit(df).predict().groupby("unique_id")["ds"].diff().dt.days.dropna()
    assert set(steps.loc[fc.predict()["unique_id"] == "YAF2"]) <= {365, 366}


def test_weekly_rows_read_as_daily_are_refused(walmart_small: pd.DataFrame) -> None:
    """freq='D' given for weekly rows: every series steps 7 days, 6 of them would be made up."""
    with pytest.raises(DataValidationError, match=r"every series steps 7 'D' steps at a time"):
        validate(walmart_small, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], freq="D")


def test_unparseable_dates_name_rows(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df["Month"] = df["Month"].dt.strftime("%Y-%m-%d").astype(object)
    df.loc[4, "Month"] = "sometime"
    with pytest.raises(DataValidationError, match=r"row 4.*'sometime'"):
        validate(df, **KW)


def test_timezone_aware_times_are_restored(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df["Month"] = df["Month"].dt.tz_localize("Australia/Sydney")
    panel = validate(df, **KW)
    assert panel.schema.tz.endswith("Australia/Sydney")
    out = panel.to_frame()
    assert str(out["Month"].dt.tz) == "Australia/Sydney"
    assert out["Month"].iloc[0] == df.sort_values(["State", "Industry", "Month"])["Month"].iloc[0]


def test_integer_time_steps(m4_weekly_small) -> None:
    train, _ = m4_weekly_small
    panel = validate(train, target="y", time="t", ids="unique_id")
    assert panel.schema.freq is None and panel.schema.step == 1
    np.testing.assert_array_equal(panel.future_times(2)[0], panel.last_times[0] + np.array([1, 2]))
    with pytest.raises(DataValidationError, match="integer steps"):
        validate(train, target="y", time="t", ids="unique_id", freq="W")


def test_missing_id_values_name_rows(aus_small: pd.DataFrame) -> None:
    df = aus_small.copy()
    df.loc[8, "State"] = None
    with pytest.raises(DataValidationError, match="'State' is missing at row 8"):
        validate(df, **KW)


def test_empty_table_and_bad_horizon(aus_small: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="no rows"):
        validate(aus_small.iloc[:0], **KW)
    for bad in (0, -3, 1.5, True):
        with pytest.raises(DataValidationError, match="positive integer"):
            horizon_check(bad)


def test_static_and_past_covariates_are_inferred(walmart_small: pd.DataFrame) -> None:
    df = walmart_small.assign(Region="north", Promo=np.arange(len(walmart_small)) % 3)
    panel = validate(
        df, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"]
    )
    assert panel.schema.freq == "W-FRI"
    assert panel.schema.static == ("Region",)
    assert panel.schema.past == ("Promo",)
    assert panel.schema.known_future == ("IsHoliday",)


def test_future_table_must_cover_the_horizon(walmart_small: pd.DataFrame) -> None:
    train = walmart_small[walmart_small["Date"] < "2012-09-01"]
    test = walmart_small[walmart_small["Date"] >= "2012-09-01"]
    panel = validate(
        train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"]
    )
    fut = future_covariates(test, panel, 4)
    assert fut["IsHoliday"].shape == (panel.n_series, 4)
    assert fut["IsHoliday"][:, 0].all() and not fut["IsHoliday"][:, 1:].any()  # Labor Day week
    with pytest.raises(DataValidationError, match="lacks"):
        future_covariates(test.iloc[1:], panel, 4)
    with pytest.raises(DataValidationError, match=r"pass future= \(on the command line: --future FILE\)"):
        future_covariates(None, panel, 4)


def test_a_missing_future_value_names_the_row_of_the_table_given(walmart_small: pd.DataFrame) -> None:
    """The row of a missing known-future value is the label the user's table gives it (their
    own index, in their order), as a duplicate row's is, not its place in the future grid sorted
    by series and time ("row 5 of the future grid", which the user never sees: user test 56);
    a row per date read for every series is named once, by its own label."""
    train = walmart_small[(walmart_small["Date"] < "2012-09-01") & (walmart_small["Dept"] <= 2)]
    test = walmart_small[(walmart_small["Date"] >= "2012-09-01") & (walmart_small["Dept"] <= 2)]
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    given = test[test["Date"] <= "2012-09-28"].sample(frac=1, random_state=1).astype({"IsHoliday": object})
    row = given.index[given["Dept"].eq(2) & given["Date"].eq("2012-09-14")][0]  # the grid's row 5
    assert row not in (5, given.index.get_loc(row))  # neither the grid's row nor its place in the table
    given.loc[row, "IsHoliday"] = None
    with pytest.raises(DataValidationError, match=(
        rf"'IsHoliday' of the future table is missing at row {row} \(2012-09-14 \(Friday\)\) in series "
        r"\[\{'Store': 1, 'Dept': 2\}\]: known-future covariates need a value")):
        future_covariates(given, panel, 4)
    dates = given[given["Dept"] == 1][["Date", "IsHoliday"]].reset_index(drop=True).iloc[::-1]
    dates.loc[1, "IsHoliday"] = "no"  # the third row given, labelled 1: text, read as missing
    with pytest.raises(DataValidationError, match=(
        rf"missing at row 1 \({dates.loc[1, 'Date']:%Y-%m-%d} \(Friday\)\) in series \[\{{'Store': 1, 'Dept': 1\}}, "
        r"\{'Store': 1, 'Dept': 2\}\], where it holds the text 'no'")):
        future_covariates(dates, panel, 4)


def test_a_future_table_per_store_is_read_for_each_of_its_departments(caplog) -> None:
    """Walmart's features.csv holds temperature and fuel price per Store and Date, the sales are
    per Store and Dept: its rows are read for each department (it was refused for lacking Dept),
    as a table of every series would be; a table per date alone for every series; rows of a store
    and week that disagree are refused, and an id column spelled like one of the table's is
    named, not broadcast. A store the model lacks is named (its rows were dropped unsaid)."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    sales = datasets.load_walmart(with_features=True)
    sales = sales[(sales["Store"] <= 2) & (sales["Dept"] <= 3)]
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"]}
    panel = validate(sales, **kw, known_future=["IsHoliday", "Temperature", "Fuel_Price"])
    features = pd.read_csv(shared_file("forecasting/walmart_store_sales/features.csv"), parse_dates=["Date"])
    later = features[(features["Date"] > sales["Date"].max()) & (features["Store"] <= 2)]
    later = later[["Store", "Date", "IsHoliday", "Temperature", "Fuel_Price"]]
    every = panel.keys.merge(later, on="Store")  # each department's rows, as make_future_frame's merged
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        per_store = future_covariates(pd.concat([later, later[later["Store"] == 1].assign(Store=3)]), panel, 4)
    assert "rows of 1 series the forecast does not include, for example [{'Store': 3}]" in caplog.text
    per_series = future_covariates(every, panel, 4)
    for col in ("IsHoliday", "Temperature", "Fuel_Price"):
        np.testing.assert_array_equal(per_store[col], per_series[col])
    assert np.unique(per_store["Temperature"][:, 0]).size == 2  # a store's value for its departments
    holiday = validate(sales, **kw, known_future=["IsHoliday"])
    dates = later.loc[later["Store"] == 1, ["Date", "IsHoliday"]]
    np.testing.assert_array_equal(future_covariates(dates, holiday, 4)["IsHoliday"],
                                  per_store["IsHoliday"])
    clash = pd.concat([later, later.iloc[[0]].assign(Temperature=99.0)], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"2 rows that share a \(series, time\) pair"):
        future_covariates(clash, panel, 4)
    with pytest.raises(DataValidationError, match=r"no id column 'Store' \(did you mean 'store'\?\)"):
        future_covariates(later.rename(columns={"Store": "store"}), panel, 4)


def test_future_ids_of_another_type_and_clashing_rows_are_named(walmart_small: pd.DataFrame) -> None:
    """A department read as text ("1") never matches the fit's 1: named with its type (it was
    pandas' raw merge error); two rows of one week that disagree on IsHoliday are refused (the
    first was taken); an identical copy of a row is harmless."""
    train = walmart_small[walmart_small["Date"] < "2012-09-01"]
    test = walmart_small[walmart_small["Date"] >= "2012-09-01"].reset_index(drop=True)
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    with pytest.raises(DataValidationError, match=r"id column 'Dept' of the future table holds str.*int64"):
        future_covariates(test.assign(Dept=test["Dept"].astype(str)), panel, 4)
    clash = pd.concat([test, test.iloc[[0]].assign(IsHoliday=not test.loc[0, "IsHoliday"])], ignore_index=True)
    shared = rf"2 rows that share a \(series, time\) pair.*rows 0, {len(test)}"
    with pytest.raises(DataValidationError, match=shared) as err:
        future_covariates(clash, panel, 4)
    assert "{'Store': 1, 'Dept': 1, 'Date': '2012-09-07'}" in str(err.value)  # the ids as given: 1, not '1'
    copy = pd.concat([test, test.iloc[[0]]], ignore_index=True)
    np.testing.assert_array_equal(
        future_covariates(copy, panel, 4)["IsHoliday"], future_covariates(test, panel, 4)["IsHoliday"]
    )


def test_ids_read_as_numbers_against_zero_padded_codes_get_advice_that_works(walmart_small: pd.DataFrame) -> None:
    """Codes '0001' at fit, 1 in a later file: '.astype(str)' gave '1', which matched none (user test)."""
    train = walmart_small.assign(Store=walmart_small["Store"].map("{:04d}".format))
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    with pytest.raises(DataValidationError, match=r"leading zeros \('0001'\): write this table's so "
                                                  r"\(\.astype\(str\)\.str\.zfill\(4\)\)"):
        check_id_types(walmart_small, panel.keys, "history=")
    mixed = walmart_small.assign(Dept=walmart_small["Dept"].map(lambda d: f"{d:02d}" if d < 5 else f"{d:04d}"))
    panel = validate(mixed, target="Weekly_Sales", time="Date", ids=["Store", "Dept"])  # zfill(4): '0001', not '01'
    with pytest.raises(DataValidationError, match=r"read this table's as text \(pd.read_csv\(\.\.\., dtype="
                                                  r"\{'Dept': str\}\)\) .*2 to 4 digits long"):
        check_id_types(walmart_small, panel.keys, "history=")


def test_a_later_file_reads_codes_as_text_where_the_fit_had_text(walmart_small: pd.DataFrame, tmp_path) -> None:
    """Fit on the codes '0001' and '1002'; a later CSV holding only 1002 was read as a number
    (no leading zero in that file) and refused: it is read as text, as at fit (review)."""
    two = walmart_small[walmart_small["Dept"].isin([1, 2])]
    df = two.assign(code=two["Dept"].map({1: "0001", 2: "1002"})).drop(columns=["Store", "Dept"])
    path = tmp_path / "train.csv"
    df.to_csv(path, index=False)
    panel = validate(path, target="Weekly_Sales", time="Date", ids="code")
    assert panel.schema.text_ids == ("code",) and sorted(panel.keys["code"]) == ["0001", "1002"]
    later = tmp_path / "later.csv"
    df[df["code"] == "1002"].to_csv(later, index=False)
    assert validate_like(later, panel.schema).keys["code"].tolist() == ["1002"]


def test_future_rows_of_series_not_forecast_are_named(walmart_small: pd.DataFrame, caplog) -> None:
    """Rows of a department the fit never saw (a misspelt id, a new product) were dropped
    without a word: a warning names the series; the known series read as before."""
    train = walmart_small[walmart_small["Date"] < "2012-09-01"]
    test = walmart_small[walmart_small["Date"] >= "2012-09-01"]
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    expected = future_covariates(test, panel, 4)["IsHoliday"]
    assert "does not include" not in caplog.text
    extra = pd.concat([test, test[test["Dept"] == 1].assign(Dept=99)], ignore_index=True)
    np.testing.assert_array_equal(future_covariates(extra, panel, 4)["IsHoliday"], expected)
    assert ("the future table holds rows of 1 series the forecast does not include, for example "
            "[{'Store': 1, 'Dept': 99}]") in caplog.text


def test_known_future_numbers_far_outside_the_history_are_warned(caplog) -> None:
    """Walmart's fuel price given in cents over the horizon (dollars at fit) was read without
    a word; a price a little above the history's highest (a trend) is not warned."""
    features = pd.read_csv(shared_file("forecasting/walmart_store_sales/features.csv"), parse_dates=["Date"])
    df = features[features["Store"] <= 3][["Store", "Date", "Fuel_Price", "Temperature"]].copy()
    df["sales"] = datasets.load_walmart().groupby(["Store", "Date"])["Weekly_Sales"].sum().reindex(
        pd.MultiIndex.from_frame(df[["Store", "Date"]])).to_numpy()
    train = df[df["Date"] < "2012-09-01"]
    test = df[df["Date"] >= "2012-09-01"].reset_index(drop=True)
    panel = validate(train, target="sales", time="Date", ids=["Store"], known_future=["Fuel_Price", "Temperature"])
    hi = train["Fuel_Price"].max()
    future_covariates(test.assign(Fuel_Price=hi * 1.1), panel, 4)
    assert "far outside" not in caplog.text
    future_covariates(test.assign(Fuel_Price=test["Fuel_Price"] * 100), panel, 4)
    assert "known-future column 'Fuel_Price' of the future table holds 12 values far outside" in caplog.text
    assert "'Temperature'" not in caplog.text
    assert "in series [{'Store': 1}, {'Store': 2}, {'Store': 3}]" in caplog.text
    caplog.clear()  # a price constant in the history: judged by its size (review)
    fixed = validate(train.assign(price=2.5), target="sales", time="Date", ids=["Store"], known_future=["price"])
    future_covariates(test.assign(price=3.0), fixed, 4)
    assert "far outside" not in caplog.text
    future_covariates(test.assign(price=250.0), fixed, 4)
    assert "known-future column 'price' of the future table holds 12 values far outside" in caplog.text
    caplog.clear()  # a short history= read as given: judged with the training data too (a false alarm)
    october = validate(df[df["Date"].between("2012-10-01", "2012-10-26")], target="sales", time="Date", ids=["Store"],
                       known_future=["Fuel_Price", "Temperature"])
    november = df[df["Date"] > "2012-10-26"].reset_index(drop=True)
    future_covariates(november, october, 4, fitted=panel)
    assert "far outside" not in caplog.text
    future_covariates(november, october, 4)
    assert "known-future column 'Fuel_Price' of the future table holds" in caplog.text  # October's range alone


def test_a_category_unseen_at_fit_is_read_as_missing_and_named(walmart_small: pd.DataFrame, caplog) -> None:
    """A known-future label the fit never saw ("C") is read as missing, with a warning that
    names it (pandas warned of a deprecation instead)."""
    df = walmart_small.assign(promo=np.where(walmart_small["Date"].dt.month % 2 == 0, "A", "B"))
    train, test = df[df["Date"] < "2012-09-01"], df[df["Date"] >= "2012-09-01"]
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["promo"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fut = future_covariates(test.assign(promo="C"), panel, 4)
    assert np.isnan(fut["promo"]).all()
    assert "column 'promo' of the future table holds values not seen at fit ('C'" in caplog.text
    assert not np.isnan(future_covariates(test, panel, 4)["promo"]).any()


def test_a_known_future_column_without_values_in_a_series_is_refused(walmart_small: pd.DataFrame) -> None:
    """Empty in every row, IsHoliday passed as "filled within each series" though nothing
    could be, and predict() then asked for it; empty in one department, it stayed missing
    there. Both are refused, naming the column (and the series)."""
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    empty = r"known-future column 'IsHoliday' of the table is missing in every row: .*leave it out of known_future="
    with pytest.raises(DataValidationError, match=empty):
        validate(walmart_small.assign(IsHoliday=np.nan), **kw)
    df = walmart_small.astype({"IsHoliday": object})
    df.loc[df["Dept"] == 3, "IsHoliday"] = np.nan
    one = r"'IsHoliday' of the table is missing in every row of 1 series, \[\{'Store': 1, 'Dept': 3\}\].*drop those series"
    with pytest.raises(DataValidationError, match=one):
        validate(df, **kw)
    df.loc[(df["Dept"] == 3) & (df["Date"] == df["Date"].min()), "IsHoliday"] = False  # one value: carried
    assert not validate(df, **kw).covariates["IsHoliday"].isna().any()


def test_a_missing_label_in_the_future_is_refused_as_a_missing_number_is(walmart_small: pd.DataFrame) -> None:
    """A NaN in a categorical known-future column of the future table was read as missing
    (a NaN in a numeric one was refused): both are refused, naming the column and series."""
    df = walmart_small.assign(promo=np.where(walmart_small["Date"].dt.month % 2 == 0, "A", "B"))
    train, test = df[df["Date"] < "2012-09-01"], df[df["Date"] >= "2012-09-01"].reset_index(drop=True)
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    for col in ("promo", "IsHoliday"):
        panel = validate(train, **kw, known_future=[col])
        gap = test.astype({col: object})
        gap.loc[(gap["Dept"] == 2) & (gap["Date"] == "2012-09-14"), col] = np.nan
        named = rf"column '{col}' of the future table is missing at row 9 .*'Dept': 2.*fill them in"  # the table's label
        with pytest.raises(DataValidationError, match=named):
            future_covariates(gap, panel, 4)


def test_future_rows_off_the_grid_are_named_with_the_expected_times(walmart_small: pd.DataFrame) -> None:
    """Weekly W-FRI data given a future on Thursdays got only "lacks 40 of the 40 rows"."""
    train = walmart_small[walmart_small["Date"] < "2012-09-01"]
    test = walmart_small[walmart_small["Date"] >= "2012-09-01"]
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    with pytest.raises(DataValidationError) as err:
        future_covariates(test.assign(Date=test["Date"] - pd.Timedelta(days=1)), panel, 4)
    assert ("its rows at 2012-09-06 (Thursday), 2012-09-13 (Thursday), 2012-09-20 (Thursday) and 1 more "
            "are not on the model's 'W-FRI' grid; expected 2012-09-07 (Friday), 2012-09-14 (Friday), "
            "2012-09-21 (Friday) and 1 more: move them") in str(err.value)
    with pytest.raises(DataValidationError, match=r"lacks 10 of the 40 .*: add them\.$"):  # on the grid, a week short
        future_covariates(test[test["Date"] < "2012-09-28"], panel, 4)


def test_an_unknown_country_in_the_holidays_column_names_the_column_and_series(aus_small: pd.DataFrame) -> None:
    """holidays="Country" with 'XX' for Victoria reported only holidays='XX'."""
    df = aus_small.assign(Country=np.where(aus_small["State"] == "Tasmania", "AU-TAS", "XX"))
    with pytest.raises(DataValidationError) as err:
        validate(df, **KW, holidays="Country")
    message = str(err.value)
    assert message.startswith("column 'Country' (holidays='Country': each series' country) holds 'XX' at rows")
    assert "in series [{'State': 'Victoria', 'Industry': " in message and "and 3 more" in message
    assert "ISO codes such as 'US'" in message
    assert validate(df.assign(Country="AU-VIC"), **KW, holidays="Country").n_series == 12


def test_history_must_follow_the_schema(aus_small: pd.DataFrame) -> None:
    panel = validate(aus_small, **KW)
    with pytest.raises(DataValidationError, match="'Industry'"):
        validate_like(aus_small.drop(columns="Industry"), panel.schema)


def test_pad_front_adds_zeros_before_short_series(aus_small: pd.DataFrame) -> None:
    panel = validate(aus_small, **KW).head(np.array([5] + [240] * 11))
    padded = pad_front(panel, 12)
    assert padded.lengths[0] == 12
    np.testing.assert_array_equal(padded.y[:7], 0.0)
    np.testing.assert_array_equal(padded.y[7:12], panel.y[:5])
    steps = np.diff(padded.times[:12]).astype("timedelta64[D]").astype(int)
    assert ((steps >= 28) & (steps <= 31)).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_gaps_are_restored_with_observed_values_kept(aus_small: pd.DataFrame, data) -> None:
    """Property: dropping any interior rows gives back the same grid; kept values unchanged."""
    first = aus_small.groupby(["State", "Industry"]).head(1).index
    last = aus_small.groupby(["State", "Industry"]).tail(1).index
    interior = aus_small.index.difference(first.union(last))
    drop = data.draw(st.lists(st.sampled_from(list(interior)), max_size=30, unique=True))
    full = validate(aus_small, **KW)
    gappy = validate(aus_small.drop(index=drop), **KW)
    assert (gappy.times == full.times).all()
    kept = np.ones(len(full.y), dtype=bool)
    sorted_index = aus_small.sort_values(["State", "Industry", "Month"]).index
    kept[np.isin(sorted_index, drop)] = False
    np.testing.assert_array_equal(gappy.y[kept], full.y[kept])
    assert np.isfinite(gappy.y).all()


def test_an_id_column_holding_1_and_the_text_1_is_refused_naming_types_and_rows(walmart_small) -> None:
    """Walmart's Store 1 written as the number 1 up to May 2011 and as the text '1' after (an
    old extract concatenated with a newer one read as text) split every series in two: 20
    series instead of 10, half of them forecast from June 2011. The same with Dept 1.0 (a
    float) beside '1'. An object column of one kind (texts, or numbers) is read as before."""
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    df = walmart_small.copy()
    newer = df["Date"] >= "2011-06-01"
    (old_rows,), (new_rows,) = np.nonzero(~newer.to_numpy()), np.nonzero(newer.to_numpy())
    mixed = df.assign(Store=df["Store"].astype(object).where(~newer, "1"))
    with pytest.raises(DataValidationError) as err:
        validate(mixed, **kw)
    assert str(err.value) == (
        f"id column 'Store' mixes types: 1 (int, rows 0, 1, 2 (and {len(old_rows) - 3} more)) and '1' (str, "
        f"rows {new_rows[0]}, {new_rows[1]}, {new_rows[2]} (and {len(new_rows) - 3} more)); 1 and '1' would be "
        "two series: cast it to one type (df['Store'] = pd.to_numeric(df['Store']))."
    )
    with pytest.raises(DataValidationError) as err:  # a history= table is held to the same rule
        validate_like(mixed, validate(df, **kw).schema)
    assert str(err.value).startswith("id column 'Store' mixes types")
    dept = df["Dept"].astype(float).astype(object)
    floats = df.assign(Dept=dept.where(~newer, df["Dept"].astype(str)))
    with pytest.raises(DataValidationError, match=r"'Dept' mixes types: 1\.0 \(float, .*'1' \(str, .*"
                       r"1\.0 and '1' would be two series"):
        validate(floats, **kw)
    # labels beside numbers that no label spells: still two kinds of id, which a later table
    # read from a file (all text) would not match
    coded = df.assign(Dept=df["Dept"].astype(object).where(df["Dept"] != 3, "D3"))
    with pytest.raises(DataValidationError, match=r"never name the same series.*\.astype\(str\)"):
        validate(coded, **kw)
    # one kind in an object column: read as before
    assert validate(df.assign(Store=df["Store"].astype(str).astype(object)), **kw).n_series == 10
    assert validate(df.assign(Store=df["Store"].astype(object)), **kw).n_series == 10
    with pytest.raises(DataValidationError, match="'Store' is missing at row 8"):  # NaN ids as before
        validate(mixed.assign(Store=mixed["Store"].where(mixed.index != 8)), **kw)


@pytest.mark.parametrize("args, message", [
    ({"target": ["Turnover", "Industry"]},
     "target= takes one column name, got ['Turnover', 'Industry']: to forecast several columns, melt "
     "the table to long format (df = df.melt(id_vars=['Month', 'State'], value_vars=['Turnover', "
     "'Industry'], var_name='variable', value_name='value')) and pass ids=['State', 'variable'], "
     "target='value'."),
    ({"target": ["Turnover"]}, "target= takes one column name, that of the values to forecast; got "
     "['Turnover']: give target='Turnover'."),
    ({"target": None}, "target= takes one column name, that of the values to forecast; got None."),
    ({"time": ["Month"]}, "time= takes one column name, that of the time stamps or integer steps; got "
     "['Month']: give time='Month'."),
    ({"ids": ["State", ["Industry"]]}, "ids= takes a list of column names, but holds ['Industry']: "
     "give ids=['State', 'Industry']."),
    ({"known_future": [["Industry"]]}, "known_future= takes a list of column names, but holds "
     "['Industry']: give known_future=['Industry']."),
])
def test_column_arguments_of_the_wrong_type_get_an_error_with_the_fix(aus_small, args, message) -> None:
    """ETTh1's two columns given as target=['OT', 'HUFL'] raised a bare TypeError (unhashable
    type: 'list') from the column lookup."""
    df = aus_small[aus_small["State"] == "Tasmania"]
    kw = {"target": "Turnover", "time": "Month", "ids": ["State"], **args}
    with pytest.raises(DataValidationError) as err:
        validate(df, **kw)
    assert str(err.value) == message


def test_a_first_row_off_the_grid_is_named_alone_not_every_row_after_it() -> None:
    """Half-hourly Victorian demand with its first stamp 10 minutes late: the grid started at it,
    and all 1,999 correct rows were named off the grid; now it is the row named. Daily rows,
    one with a time of day, likewise."""
    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz")).tail(2000).reset_index(drop=True)
    df = pd.DataFrame({"t": pd.to_datetime(v["Time_UTC"]).dt.tz_localize(None), "Demand": v["Demand"]})
    late = df.assign(t=df["t"].where(df.index != 0, df["t"] + pd.Timedelta(minutes=10)))
    with pytest.raises(DataValidationError) as err:
        validate(late, target="Demand", time="t")
    assert str(err.value).startswith("time column 't': 1 time stamp is not on the '30min' grid at row 0;")
    daily = df.groupby(df["t"].dt.floor("D"), as_index=False)["Demand"].sum()
    noon = daily.assign(t=daily["t"].where(daily.index != 0, daily["t"] + pd.Timedelta(hours=12)))
    with pytest.raises(DataValidationError, match=r"1 time stamp is not on the 'D' grid at row 0;"):
        validate(noon, target="Demand", time="t")
    assert validate(daily, target="Demand", time="t").schema.freq == "D"


def test_a_numeric_holidays_column_is_named_with_plain_values(walmart_small) -> None:
    """holidays='Store' (a column of numbers) printed np.int64(1)."""
    with pytest.raises(DataValidationError, match=r"holds 1 at rows 0, 1, 2"):
        validate(walmart_small, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], holidays="Store")


def test_a_future_table_of_another_period_names_both_periods() -> None:
    """User test 46 T7: Melbourne's temperatures of the week before the forecast gave only
    "lacks 336 of the 336 rows". Now where the forecast starts and ends, and where the table's
    rows run."""
    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz")).tail(3 * 336)
    v = v[["Time_UTC", "Demand", "Temperature"]]
    train = v.iloc[:-336]
    panel = validate(train, target="Demand", time="Time_UTC", known_future=["Temperature"])
    with pytest.raises(DataValidationError) as err:
        future_covariates(train.iloc[-336:], panel, 336)
    assert str(err.value).endswith(
        "none of its rows is one of them (the forecast starts at 2014-12-24 13:00:00+00:00, one step after the "
        "history's last time 2014-12-24 12:30:00+00:00, and ends at 2014-12-31 12:30:00+00:00; the table's rows "
        "run from 2014-12-17 13:00:00+00:00 to 2014-12-24 12:30:00+00:00, all before the forecast starts): give "
        "rows at the forecast's times (make_future_frame(), or tsauto future-frame MODEL, lists them).")
    later = v.iloc[-336:].assign(Time_UTC=pd.to_datetime(v["Time_UTC"].iloc[-336:]) + pd.Timedelta(weeks=2))
    with pytest.raises(DataValidationError, match=r"to 2015-01-14 12:30:00\+00:00, all after the forecast ends\)"):
        future_covariates(later, panel, 336)
    with pytest.raises(DataValidationError, match=r"lacks 48 of the 336 .*: add them\.$"):  # a day short: as before
        future_covariates(v.iloc[-336:-48], panel, 336)


def test_a_future_table_of_the_right_times_for_other_series_names_them_first(caplog) -> None:
    """The forecast's weeks, a misspelt store (a review: "the table has no rows", and the
    warning naming the store came after the error, never seen)."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    sales = datasets.load_walmart(with_features=True)
    sales = sales[(sales["Store"] == 1) & (sales["Dept"] <= 2)]
    panel = validate(sales, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    weeks = pd.date_range(sales["Date"].max() + pd.Timedelta(weeks=1), periods=4, freq="W-FRI")
    misspelt = pd.DataFrame({"Store": 11, "Date": weeks, "IsHoliday": False})
    with caplog.at_level(logging.WARNING, logger="tsauto"), pytest.raises(
            DataValidationError, match=r"lacks 8 of the 8 .*: add them\.$"):
        future_covariates(misspelt, panel, 4)
    assert "rows of 1 series the forecast does not include, for example [{'Store': 11}]" in caplog.text
    earlier = misspelt.assign(Store=1, Date=weeks - pd.Timedelta(weeks=4))  # dates as the rows show them
    with pytest.raises(DataValidationError, match=r"the forecast starts at 2012-11-02, one step after the "
                                                  r"history's last time 2012-10-26, and ends at 2012-11-23"):
        future_covariates(earlier, panel, 4)


def test_a_later_table_reads_its_dates_in_the_order_the_fit_read(walmart_small: pd.DataFrame, tmp_path) -> None:
    """Training dates written day-first (31/08/2012 tells the order) and a future file holding
    only 07/09/2012, either order: it was refused as ambiguous, unnamed (a user test). Read
    day-first, as at fit (month-first where the fit's were), as are a history table's; a model
    saved before the order was kept refuses it as before, naming the table and its file."""
    import copy

    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    train = walmart_small[walmart_small["Date"] < "2012-09-01"]
    week = walmart_small[walmart_small["Date"] == "2012-09-07"]  # Labor Day: IsHoliday
    expected = future_covariates(week, validate(train, **kw), 1)["IsHoliday"]
    assert expected.all()
    recent = train[train["Date"].isin(pd.to_datetime(["2012-08-03", "2012-08-10"]))]  # 03/08, 10/08: either
    path = tmp_path / "future.csv"
    for fmt, day_first in (("%d/%m/%Y", True), ("%m/%d/%Y", False)):
        panel = validate(train.assign(Date=train["Date"].dt.strftime(fmt)), **kw)
        assert panel.schema.day_first is day_first
        week.assign(Date=week["Date"].dt.strftime(fmt)).to_csv(path, index=False)
        np.testing.assert_array_equal(future_covariates(path, panel, 1)["IsHoliday"], expected)
        history = validate_like(recent.assign(Date=recent["Date"].dt.strftime(fmt)), panel.schema)
        assert history.last_times.max() == np.datetime64("2012-08-10")
    assert validate(train, **kw).schema.day_first is None  # datetime values: nothing to tell
    old = copy.copy(panel)
    old.schema = copy.copy(panel.schema)
    object.__delattr__(old.schema, "day_first")  # as unpickled from a model saved before the field
    with pytest.raises(DataValidationError, match=(
            rf"time column 'Date' of the future table {str(path)!r} reads as dates both month-first and day-first "
            r"\('09/07/2012' at row 0 is 2012-09-07 or 2012-07-09\)")):
        future_covariates(path, old, 1)


def test_exact_copies_of_rows_are_told_from_clashing_rows(walmart_small: pd.DataFrame) -> None:
    """Three weeks pasted twice were refused with aggregate='sum' as a fix, which would double
    their sales, and the key shown as Timestamp('2010-04-16 00:00:00') (a user test): exact
    copies are named as such, with the fix that drops them; rows that differ keep theirs."""
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    copied = pd.concat([walmart_small, walmart_small.iloc[[10, 500, 501]]], ignore_index=True)
    n = len(walmart_small)
    with pytest.raises(DataValidationError) as err:
        validate(copied, **kw)
    assert str(err.value) == (
        f"3 rows are exact copies of earlier ones (every column equal) at rows {n}, {n + 1}, {n + 2} (e.g. row {n} "
        "repeats row 10, {'Store': 1, 'Dept': 1, 'Date': '2010-04-16'}): drop the copies, df = df.drop_duplicates(); "
        "aggregate='sum' would count them twice.")
    clash = pd.concat([copied, walmart_small.iloc[[20]].assign(Weekly_Sales=1.0)], ignore_index=True)
    with pytest.raises(DataValidationError) as err:
        validate(clash, **kw)
    assert str(err.value).startswith(
        f"2 rows share a (series, time) pair, e.g. {{'Store': 1, 'Dept': 1, 'Date': '2010-06-25'}} at rows 20, "
        f"{n + 3}: each series needs one row per time step.")
    assert str(err.value).endswith(
        f"Besides, 3 other rows are exact copies of earlier ones (every column equal) at rows {n}, {n + 1}, {n + 2}: "
        "drop the copies, df = df.drop_duplicates().")


def test_rows_are_named_by_their_labels_or_said_to_be_positions_and_history_is_named(aus_small) -> None:
    """A history= table indexed 1000..1023 named text in its target by the label, "row 1005", but
    an exact copy appended to it (its label 1007 repeated, so rows are counted by position) as
    "row 24 repeats row 7" (user test 57): positions are called positions, and the errors of a
    history= table say that table."""
    schema = validate(aus_small, **KW).schema
    history = aus_small.tail(24).set_axis(range(1000, 1024))
    text = history.astype({"Turnover": object})
    text.loc[1005, "Turnover"] = "err"
    with pytest.raises(DataValidationError, match=r"target column 'Turnover' of the history table is not numeric "
                       r"at row 1005 \(values 'err'\)"):
        validate_like(text, schema)
    with pytest.raises(DataValidationError) as err:
        validate_like(pd.concat([history, history.iloc[[7]]]), schema)
    assert str(err.value).startswith(
        "1 row of the history table is an exact copy of an earlier one (every column equal) at position 24 "
        "(counted from 0) (e.g. position 24 repeats position 7, "), str(err.value)
    assert str(err.value).count("counted from 0") == 1, str(err.value)  # once: a spreadsheet counts from 1
    n = len(aus_small)
    with pytest.raises(DataValidationError, match=rf"at position {n} \(counted from 0\) \(e.g. position {n} repeats "
                       r"position 3, "):
        validate(pd.concat([aus_small, aus_small.iloc[[3]]]), **KW)


def test_a_target_with_four_text_values_names_each_once_and_gets_the_fix(aus_small, tmp_path) -> None:
    """Four distinct text values in the target listed three ('missing' left out; a value
    repeated where fewer) and gave no fix, which three got (user test 57): each value once,
    and the fix whatever their number; a file read from a path is told to empty its cells."""
    df = aus_small.astype({"Turnover": object})
    df.loc[[10, 50, 60, 70, 80], "Turnover"] = ["n/a", "--", "--", "?", "missing"]
    with pytest.raises(DataValidationError) as err:
        validate(df, **KW)
    text = str(err.value)
    assert "at rows 10, 50, 60, 70, 80 (values 'n/a', '--', '?', 'missing')" in text, text
    assert ("make them missing values (imputed as gaps are, never scored): df['Turnover'] = pd.to_numeric("
            "df['Turnover'], errors='coerce'), or read the file with pd.read_csv(..., na_values=['--', '?', "
            "'missing', 'n/a'])") in text, text
    df.to_csv(tmp_path / "retail.csv", index=False)
    with pytest.raises(DataValidationError, match=rf"empty those cells in {str(tmp_path / 'retail.csv')!r} \(an empty "
                       r"cell is a missing value\), or read it with pd.read_csv\(\.\.\., na_values="):
        validate(str(tmp_path / "retail.csv"), **KW)


def test_a_target_mostly_of_text_is_not_told_to_read_it_as_missing(aus_small) -> None:
    """A target of text but for one number was told to make its text cells missing values
    (review 55 R5: 99.9% of it blanked): placeholders are at most half its known cells; more is
    asked whether it is the column to forecast. Half or less still gets the placeholder fix."""
    df = aus_small.astype({"Turnover": object})
    df.loc[df.index[1:], "Turnover"] = "Tasmania"
    with pytest.raises(DataValidationError) as err:
        validate(df, **KW)
    n = len(df)
    assert str(err.value).endswith(
        f"convert it to numbers; {n - 1} of its {n} values are not numbers, too many to read as missing: check "
        "that it is the column to forecast (target=, --target on the command line)."), str(err.value)
    assert "to_numeric" not in str(err.value) and "na_values" not in str(err.value)
    df = aus_small.astype({"Turnover": object})
    df.loc[df.index[: n // 2], "Turnover"] = "n/a"
    with pytest.raises(DataValidationError, match=r"make them missing values .*na_values=\['n/a'\]\)\.$"):
        validate(df, **KW)


@pytest.mark.parametrize("freq, said", [("H", " (did you mean 'h'?)"), ("3M", " (did you mean '3ME'?)"),
                                        ("A-DEC", " (did you mean 'YE-DEC'?)"), ("Daily", "")])
def test_a_frequency_pandas_does_not_read_gets_one_plain_suggestion(aus_small, freq, said) -> None:
    """freq='H' repeated pandas' nested parse error ("Invalid frequency: H. Failed to parse with
    error message: ValueError('Invalid frequency: H. Did you mean h?') Did you mean h?", user
    test 57): one plain suggestion, its multiple kept, and one that pandas reads itself."""
    with pytest.raises(DataValidationError) as err:
        validate(aus_small, **KW, freq=freq)
    assert str(err.value).startswith(f"freq={freq!r} is not a pandas frequency{said}; use e.g. 'h', 'D'"), str(err.value)
    assert "Invalid frequency" not in str(err.value)


def test_a_coarser_frequency_than_the_rows_gets_the_roll_up_as_a_fix(aus_small) -> None:
    """freq='D' on hourly rows was told to give freq='h' alone (user test 57), where a coarser
    frequency is likely a roll-up: aggregate= is named, as the duplicate rows' error names it;
    not where no two rows of a series share a period of the frequency given."""
    with pytest.raises(DataValidationError) as err:
        validate(aus_small, **KW, freq="QS")
    assert str(err.value).endswith(
        "every stamp is on the 'MS' grid: give freq='MS', or, to roll them up to 'QS-JAN' steps, pass "
        "aggregate='sum' (or 'mean', 'min', 'max') with freq='QS-JAN'."), str(err.value)
    with pytest.raises(DataValidationError) as err:
        validate(aus_small, **KW, freq="W-SUN")
    assert str(err.value).endswith("every stamp is on the 'MS' grid: give freq='MS'."), str(err.value)


def test_a_future_table_of_a_rolled_up_model_lacking_part_of_a_period_is_warned(caplog) -> None:
    """Half-hourly Victorian temperatures rolled up to days: a future table lacking the last 10
    half-hours of the last day was averaged from 38 of 48 without a word, where a training
    table's partial periods are named (user test 57): warned, naming the day and its rows; the
    forecast still reads it. A whole future table is not warned of."""
    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"), parse_dates=["Time_UTC"])
    v = v[["Time_UTC", "Demand", "Temperature"]].iloc[:-26]  # to 2014-12-30 23:30 UTC: whole UTC days
    train, future = v.iloc[-48 * 74:-48 * 14], v.iloc[-48 * 14:].drop(columns="Demand")
    panel = validate(train, target="Demand", time="Time_UTC", known_future=["Temperature"], aggregate="sum", freq="D")
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        future_covariates(future, panel, 14)
    assert "only part" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        temperature = future_covariates(future.iloc[:-10], panel, 14)["Temperature"]
    assert ("the future table holds only part of the rows of a 'D' period of the forecast (2014-12-30 00:00:00+00:00 "
            "(Tuesday): 38 of 48 rows)") in caplog.text, caplog.text
    assert temperature[0, -1] == pytest.approx(future["Temperature"].iloc[-48:-10].mean())


def test_history_stamped_at_the_other_end_of_its_periods_is_named_so(aus_retail: pd.DataFrame) -> None:
    """Australian retail fitted on month starts, its history= written on month ends (another
    extract): refused as 'the series mix frequencies or are irregular', advising freq=, which
    predict does not take (user test 59 F5). Said to be the same months stamped at the other
    end, with the re-stamp; the reverse, and quarters, alike."""
    df = aus_retail[aus_retail["State"] == "Tasmania"].drop(columns="Series ID").reset_index(drop=True)
    train = df[df["Month"] < "2017-01-01"]
    ends = df.assign(Month=df["Month"] + pd.offsets.MonthEnd(0))
    with pytest.raises(DataValidationError) as err:
        validate_like(ends, validate(train, **KW).schema)
    text = str(err.value)
    assert "mix frequencies" not in text and "freq=" not in text, text
    assert text.startswith(f"time column 'Month' of the history table: {len(df)} time stamps are on the last day "
                           "of their month at rows 0, 1, 2"), text
    assert ("the model was fitted on month starts ('MS'): the same months, stamped at the other end. Re-stamp "
            "them on the first day: df['Month'] = pd.to_datetime(df['Month']).dt.to_period('M').dt.start_time "
            "(for `tsauto predict --history FILE`, write FILE with those stamps).") in text, text
    with pytest.raises(DataValidationError) as err:  # the reverse: a month-end model
        validate_like(df, validate(ends[ends["Month"] < "2017-01-01"], **KW).schema)
    assert "on the first day of their month" in str(err.value), str(err.value)
    assert ("the model was fitted on month ends ('ME'): the same months, stamped at the other end. Re-stamp them "
            "on the last day: df['Month'] = pd.to_datetime(df['Month']).dt.to_period('M').dt.end_time.dt.normalize()"
            ) in str(err.value), str(err.value)
    quarters = df[df["Month"].dt.month.isin([1, 4, 7, 10])]
    with pytest.raises(DataValidationError) as err:
        validate_like(quarters.assign(Month=quarters["Month"] + pd.offsets.QuarterEnd(0)),
                      validate(quarters[quarters["Month"] < "2017-01-01"], **KW).schema)
    assert "on the last day of their quarter" in str(err.value), str(err.value)
    assert ("fitted on quarter starts ('QS-JAN'): the same quarters, stamped at the other end. Re-stamp them on the "
            "first day: df['Month'] = pd.to_datetime(df['Month']).dt.to_period('Q-DEC').dt.start_time"
            ) in str(err.value), str(err.value)


def test_an_unseen_static_value_names_the_rows_of_the_history_table(aus_retail: pd.DataFrame, caplog) -> None:
    """A history= table with a new series, whose 'Series ID' (static: one per series) the fit
    never saw, was said to hold it 'at row 1', the series' place among the series (user test 59
    F6): the table's own rows (a file's lines) are named, and the series."""
    df = aus_retail[aus_retail["State"] == "Tasmania"].reset_index(drop=True)
    new = df["Industry"] == df["Industry"].iloc[-1]
    schema = validate(df[~new & (df["Month"] < "2017-01-01")], **KW).schema
    assert "Series ID" in schema.static
    rows = np.flatnonzero(new.to_numpy())
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        validate_like(df, schema)
    sid = df.loc[rows[0], "Series ID"]
    assert (f"column 'Series ID' of the history table holds values not seen at fit ({sid!r} at rows {rows[0]}, "
            f"{rows[1]}, {rows[2]}, {rows[3]}, {rows[4]} (and {len(rows) - 5} more) in series "
            f"[{{'State': 'Tasmania', 'Industry': {df['Industry'].iloc[-1]!r}}}]): read as missing") in caplog.text, \
        caplog.text


def test_a_future_table_of_an_earlier_forecast_is_named_so_with_the_fix(walmart_small: pd.DataFrame) -> None:
    """User test 59 F7: last week's future table (its times one step behind the history's end)
    was refused as 'lacks N rows: add them'; it is for an earlier forecast, and
    make_future_frame(history=) / tsauto future-frame --history makes the right one."""
    train = walmart_small[walmart_small["Date"] < "2012-09-01"]
    panel = validate(train, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    week_before = walmart_small[(walmart_small["Date"] >= "2012-08-31") & (walmart_small["Date"] < "2012-09-28")]
    with pytest.raises(DataValidationError) as err:
        future_covariates(week_before, panel, 4)
    message = str(err.value)
    assert "lacks 10 of the 40" in message and "add them" not in message
    assert ("the table is for an earlier forecast (10 of its rows are at times the history holds already, and its "
            "times end at 2012-09-21, while the forecast starts at 2012-09-07, one step after the history's last "
            "time 2012-08-31, and ends at 2012-09-28)") in message
    assert "Forecaster.make_future_frame(history=...)" in message and "tsauto future-frame MODEL --history FILE" in message
