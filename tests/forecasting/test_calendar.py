"""Any calendar: dates outside pandas' nanosecond range are read, noted, and continued.

M1 (Makridakis et al. 1982) has real series recorded on a dummy calendar starting in year 1
(``0001-01-01``); tsauto must read them and forecast in that calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsauto
from conftest import shared_file
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.calendar_time import integer_date_format, odd_integer_dates
from tsauto.forecasting.panel import pad_front
from tsauto.forecasting.validation import future_covariates, validate, validate_like

M1 = "forecasting/m1/"
STEP_MONTHS = {"YEARLY": 12, "QUARTERLY": 3, "MONTHLY": 1}
KW = dict(target="y", time="ds", ids="unique_id")


@pytest.fixture(scope="module")
def m1() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The M1 training table as read from CSV (``ds`` as strings) and its info table."""
    train = pd.read_csv(shared_file(M1 + "M1-train.csv.gz"), dtype={"ds": "str"})
    info = pd.read_csv(shared_file(M1 + "M1-info.csv"))
    return train, info


def _subset(m1, period: str, n_normal: int = 3) -> pd.DataFrame:
    """Every ``period`` series of M1 on a dummy calendar (year < 1678) and a few real-dated ones."""
    train, info = m1
    ids = info.loc[info["period"] == period, "unique_id"]
    df = train[train["unique_id"].isin(ids)]
    years = df["ds"].str[:4].astype(int)
    odd = df.loc[years < 1678, "unique_id"].unique()
    assert len(odd) > 0
    normal = [i for i in ids if i not in set(odd)][:n_normal]
    return df[df["unique_id"].isin([*odd, *normal])].reset_index(drop=True)


def _add_months(ds: pd.Series, months: np.ndarray) -> np.ndarray:
    """ISO dates (first of a month) moved by whole months, as ``YYYY-MM-DD`` strings."""
    year = ds.str[:4].astype(int).to_numpy()
    month = ds.str[5:7].astype(int).to_numpy() - 1 + months
    return np.array([f"{y + m // 12:04d}-{m % 12 + 1:02d}-01" for y, m in zip(year, month)])


def _as_iso(times) -> np.ndarray:
    return np.asarray(times).astype("datetime64[D]").astype(str)


@pytest.mark.parametrize("period", ["YEARLY", "QUARTERLY", "MONTHLY"])
def test_m1_dummy_calendar_is_read_and_forecast_in_it(m1, period: str, caplog) -> None:
    df = _subset(m1, period)
    with caplog.at_level("INFO", logger="tsauto"):
        fc = tsauto.Forecaster(**KW, horizon=6, learners=["naive"]).fit(df)
    # a note, not a warning: nothing is wrong, and -q runs and backtest folds repeated it
    said = {r.levelname for r in caplog.records if "outside pandas' nanosecond range" in r.getMessage()}
    assert said == {"INFO"}
    out = fc.predict()
    last = df.sort_values("ds").groupby("unique_id")["ds"].last()
    out = out.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    assert list(out["unique_id"].unique()) == sorted(last.index)
    steps = np.tile(np.arange(1, 7), len(last)) * STEP_MONTHS[period]
    expected = _add_months(last.loc[out["unique_id"]].reset_index(drop=True), steps)
    np.testing.assert_array_equal(_as_iso(out["ds"]), expected)
    assert min(_as_iso(out["ds"])) < "1000"  # the dummy calendar is kept
    assert out["forecast"].notna().all()


def test_schema_records_the_calendar(m1, aus_small: pd.DataFrame) -> None:
    panel = validate(_subset(m1, "QUARTERLY"), **KW)
    assert panel.schema.freq.startswith("QS")
    assert panel.schema.time_unit == "s"
    assert "0001-" in panel.schema.calendar_note
    assert panel.times.dtype == np.dtype("datetime64[s]")
    normal = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    assert normal.schema.calendar_note is None and normal.schema.time_unit == "ns"
    assert normal.times.dtype == np.dtype("datetime64[ns]")


def test_datetime_column_and_strings_agree(m1) -> None:
    df = _subset(m1, "MONTHLY")
    as_dates = df.assign(ds=pd.to_datetime(df["ds"], format="%Y-%m-%d"))
    a, b = validate(df, **KW), validate(as_dates, **KW)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.schema.freq == b.schema.freq == "MS"


def test_dates_after_2262(m1) -> None:
    """Real M1 values on a calendar moved to the year 2500 and later."""
    df = _subset(m1, "MONTHLY", n_normal=0)
    df = df.assign(ds=[f"{int(d[:4]) + 2500:04d}{d[4:]}" for d in df["ds"]])
    out = tsauto.Forecaster(**KW, horizon=3, learners=["naive"]).fit(df).predict()
    last = df.groupby("unique_id")["ds"].max()
    first = out.groupby("unique_id")["ds"].min()
    np.testing.assert_array_equal(_as_iso(first), _add_months(last.loc[first.index], 1))


def test_history_and_future_tables_in_the_dummy_calendar(m1) -> None:
    df = _subset(m1, "MONTHLY", n_normal=1)
    month = df["ds"].str[5:7].astype(int)
    df = df.assign(december=(month == 12).astype(float))
    panel = validate(df, **KW, known_future=["december"])
    again = validate_like(df, panel.schema)
    np.testing.assert_array_equal(again.times, panel.times)
    future = pd.DataFrame(
        {"unique_id": np.repeat(panel.keys["unique_id"].to_numpy(), 2)}
    )
    times = panel.future_times(2)
    future["ds"] = _as_iso(times.ravel())  # strings, as a user would write them
    future["december"] = (pd.DatetimeIndex(times.ravel()).month == 12).astype(float)
    cov = future_covariates(future, panel, 2)
    np.testing.assert_array_equal(cov["december"].ravel(), future["december"].to_numpy())


def test_history_outside_the_fitted_range_is_a_clear_error(aus_small: pd.DataFrame) -> None:
    kw = dict(target="Turnover", time="Month", ids=["State", "Industry"])
    panel = validate(aus_small, **kw)
    old = aus_small.assign(Month=[f"0{d.year - 1000}-{d.month:02d}-01" for d in aus_small["Month"]])
    with pytest.raises(DataValidationError, match="refit"):
        validate_like(old, panel.schema)


def test_padding_and_near_limit_dates_stay_in_range(m1) -> None:
    df = _subset(m1, "YEARLY", n_normal=2)
    df = df.assign(ds=[f"{int(d[:4]) + 2230:04d}{d[4:]}" for d in df["ds"]])  # ends ~2270
    panel = validate(df, **KW)
    padded = pad_front(panel, int(panel.lengths.max()) + 5)
    assert padded.times.dtype == np.dtype("datetime64[s]")
    years = pd.DatetimeIndex(padded.times).year
    assert (np.diff(years)[np.diff(padded.series_codes()) == 0] == 1).all()
    future = pd.DatetimeIndex(panel.future_times(50).ravel())
    assert future.year.max() > 2262


def test_a_horizon_beyond_the_nanosecond_range_is_a_clear_error(aus_small: pd.DataFrame) -> None:
    df = aus_small.assign(Month=aus_small["Month"] + pd.DateOffset(years=180))  # ends 2198
    panel = validate(df, target="Turnover", time="Month", ids=["State", "Industry"])
    assert panel.schema.time_unit == "ns"
    with pytest.raises(DataValidationError, match="nanosecond range"):
        panel.future_times(12 * 70)


def test_yyyymm_integers_are_read_as_months_and_written_back(aus_small: pd.DataFrame) -> None:
    """Months written as integers (201001): as steps, 88 steps a year would be invented between
    201012 and 201101; read as dates, and forecasts, history and backtests carry the integers."""
    df = aus_small[aus_small["State"] == "Tasmania"].assign(
        Month=lambda d: d["Month"].dt.strftime("%Y%m").astype(int))
    kw = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 3}
    fc = tsauto.Forecaster(**kw, learners=["seasonal_naive"]).fit(df)
    assert fc.history_.schema.freq == "MS" and len(fc.history_.y) == len(df)  # no step inserted
    out = fc.predict()
    assert out["Month"].dtype == np.int64 and out["Month"].iloc[:3].tolist() == [201901, 201902, 201903]
    checks = fc.data_checks().set_index("check")
    assert checks.loc["calendar", "status"] == "fixed" and "YYYYMM" in checks.loc["calendar", "message"]
    again = fc.predict(history=df[df["Month"] < 201807])
    assert again["Month"].iloc[:3].tolist() == [201807, 201808, 201809]
    with pytest.raises(DataValidationError, match=r"year-month \(YYYYMM\) dates, as the model's training"):
        fc.predict(history=df.assign(Month=df["Month"] * 100 + 1))  # YYYYMMDD now
    folds = fc.backtest(df, folds=1, mode="refit").forecasts
    assert folds["Month"].max() == 201812 and folds["cutoff"].iloc[0] == 201809


def _yyyymm(df: pd.DataFrame) -> pd.DataFrame:
    """M1 rows with ``ds`` as YYYYMM integers (0001-01-01 as 101)."""
    return df.assign(ds=df["ds"].str[:4].astype(int) * 100 + df["ds"].str[5:7].astype(int))


def test_a_mistyped_yyyymm_stamp_is_named_not_read_as_steps(m1) -> None:
    """One YYYYMM stamp with a digit dropped (198002 typed as 19800) made every series integer
    steps: 215,368 target values invented, forecasts at 198313, a 'season' of 100, and the
    calendar check 'passed'. Now the row is named; so are series on a dummy calendar (101,
    102, ...) mixed in, which did the same."""
    train, info = m1
    monthly = train[train["unique_id"].isin(info.loc[info["period"] == "MONTHLY", "unique_id"])]
    dated = monthly.loc[monthly["ds"] > "1800", "unique_id"].unique()[:20]
    real = _yyyymm(monthly[monthly["unique_id"].isin(dated)])
    assert validate(real, **KW).schema.freq == "MS"
    row = real.index[real["ds"] == 198002][0]
    typo = real.copy()
    typo.loc[row, "ds"] = 19800
    with pytest.raises(DataValidationError) as err:
        validate(typo, **KW)
    assert str(err.value).startswith(
        f"time column 'ds' holds integers written as year-month (YYYYMM) dates in {len(real) - 1} of "
        f"{len(real)} rows, but not at row {row} in series [{{'unique_id': {real.loc[row, 'unique_id']!r}}}] "
        "(values 19800): correct those values, or drop those rows.")
    dummy = _yyyymm(_subset(m1, "MONTHLY", n_normal=0))
    first, second = dummy["unique_id"].unique()[:2]
    two = dummy[dummy["unique_id"].isin([first, second])]
    with pytest.raises(DataValidationError, match=rf"but not at rows {len(real)}, .* in series "
                       rf"\[{{'unique_id': '{first}'}}, {{'unique_id': '{second}'}}\]"):
        validate(pd.concat([real, two], ignore_index=True), **KW)


def test_a_column_of_periods_is_written_back_as_periods(walmart_small: pd.DataFrame, tmp_path) -> None:
    """Weeks given as periods ending on Friday (``to_period("W-FRI")``) came back as the
    Saturdays that start them: forecasts, the future frame, backtests and a saved model now
    write the same periods, the weeks after the last."""
    df = walmart_small.assign(Week=walmart_small["Date"].dt.to_period("W-FRI")).drop(columns="Date")
    fc = tsauto.Forecaster(target="Weekly_Sales", time="Week", ids=["Store", "Dept"], horizon=3,
                           learners=["seasonal_naive"]).fit(df)
    out = fc.predict()
    weeks = pd.period_range(df["Week"].max() + 1, periods=3, freq="W-FRI")
    assert out["Week"].dtype == "period[W-FRI]" and out["Week"].iloc[:3].tolist() == list(weeks)
    assert fc.make_future_frame()["Week"].equals(out["Week"])
    folds = fc.backtest(df, folds=1)
    assert folds.forecasts["Week"].dtype == "period[W-FRI]"
    assert str(weeks[-1]) in fc.report(tmp_path / "weeks.html", backtest=folds).read_text()  # the axis
    fc.save(tmp_path / "weeks.tsauto")
    pd.testing.assert_frame_equal(tsauto.Forecaster.load(tmp_path / "weeks.tsauto").predict(), out)
    # weeks summed to months: the months' first days, not weeks labelling monthly sums
    months = tsauto.Forecaster(target="Weekly_Sales", time="Week", ids=["Store", "Dept"], horizon=2,
                               learners=["seasonal_naive"], data={"freq": "MS", "aggregate": "sum"}).fit(df)
    starts = months.predict()["Week"]
    assert pd.api.types.is_datetime64_any_dtype(starts) and starts.dt.day.eq(1).all()


@pytest.mark.parametrize(("values", "fmt"), [
    ([201011, 201012, 201101], "%Y%m"),
    ([19991230, 19991231, 20000101], "%Y%m%d"),
    ([20100131, 20100201], "%Y%m%d"),
    (list(range(201001, 201013)), None),  # one year only: steps and months read alike
    ([201012, 201013, 201014], None),
    ([20100130, 20100131, 20100132], None),
    ([1, 2, 3], None),
])
def test_integer_date_formats(values, fmt) -> None:
    assert integer_date_format(np.array(values)) == fmt


@settings(max_examples=200, deadline=None)
@given(start=st.integers(0, 30_000_000), n=st.integers(2, 400), step=st.sampled_from([1, 7, 24]))
def test_evenly_spaced_integer_steps_are_never_read_as_dates(start: int, n: int, step: int) -> None:
    steps = np.arange(start, start + n * step, step)
    assert integer_date_format(steps) is None and odd_integer_dates(steps) is None  # nor as mistyped dates


def test_a_calendar_of_13_periods_a_year_is_named_with_the_steps_that_read_it(aus_small) -> None:
    """Periods 201001..201013 of a retail year: 12 of 13 read as months, so period 13 was called
    a mistyped stamp to correct or drop (review); the fix given reads them as steps."""
    df = aus_small[aus_small["Month"] >= "2005-01-01"].copy()
    n = df.groupby(["State", "Industry"]).cumcount().to_numpy()
    df["period"] = (2005 + n // 13) * 100 + n % 13 + 1  # the same rows on 13 periods a year
    kw = dict(target="Turnover", time="period", ids=["State", "Industry"])
    with pytest.raises(DataValidationError, match=r"13 periods a year .*// 100 \* 13 \+ df\['period'\] % 100 - 1"):
        validate(df, **kw)
    steps = df.assign(period=df["period"] // 100 * 13 + df["period"] % 100 - 1)
    assert (validate(steps, **kw).lengths == df.groupby(["State", "Industry"]).size().to_numpy()).all()


def test_mixed_offsets_suggest_a_zone_of_those_offsets_and_a_fix_for_files() -> None:
    """User test 46 T8: Melbourne's local times (+1100, then +1000) were told to convert to
    'Europe/Berlin', with Python code only. Now the zones whose offsets they are, and what to
    do in a file (the command line): UTC stamps, or a column of them."""
    from tsauto.forecasting.calendar_time import parse_time

    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"), usecols=["Time_local"])
    with pytest.raises(DataValidationError) as err:
        parse_time(v["Time_local"], "Time_local")
    message = str(err.value)
    assert "Europe/Berlin" not in message and "+1100 at rows 0, 1, 2" in message
    assert "pd.to_datetime(df['Time_local'], utc=True).dt.tz_convert(ZONE)" in message
    assert "on the command line, --tz ZONE reads them so; or write every stamp in UTC" in message
    assert "give a column of UTC stamps as the time column (--time, time=)" in message
    from tsauto.forecasting.zones import zone_table

    if zone_table():  # the time-zone database's table of zones by country (tzdata)
        assert "one whose offsets these are at these times, such as 'Australia/Hobart', 'Australia/Melbourne'" in message
        # one zone only where the offsets are one zone's alone: Lord Howe Island's half hours
        lord_howe = pd.Series(pd.date_range("2014-03-01", "2014-05-01", freq="6h", tz="Australia/Lord_Howe")
                              .map(lambda t: t.isoformat()))
        with pytest.raises(DataValidationError, match=r"tz_convert\('Australia/Lord_Howe'\) \(Australia/Lord_Howe is "):
            parse_time(lord_howe, "t")


def test_dates_read_both_day_first_and_month_first_are_read_in_the_order_given() -> None:
    """read_time says the order the values told (a later table reads its dates so, parse_time's
    day_first): 31/01/2012 first or later tells day-first, 01/31/2012 month-first; dates that
    read either way tell nothing, and are refused without an order, read in the one given."""
    from tsauto.forecasting.calendar_time import parse_time, read_time

    for values, told in ((["05/02/2010", "31/01/2011"], True), (["31/01/2011", "05/02/2010"], True),
                         (["02/05/2010", "01/31/2011"], False), (["01/01/2010", "02/02/2010"], None),
                         (["2010-01-31"], None)):
        assert read_time(pd.Series(values), "t")[2] is told, values
    either = pd.Series(["07/09/2012", "14/09/2012"]).iloc[:1]
    assert parse_time(either, "t", day_first=True)[0].iloc[0] == pd.Timestamp("2012-09-07")
    assert parse_time(either, "t", day_first=False)[0].iloc[0] == pd.Timestamp("2012-07-09")
    with pytest.raises(DataValidationError, match="reads as dates both month-first and day-first"):
        parse_time(either, "t")


def test_in_zone_keeps_dates_unless_the_model_had_a_zone(caplog) -> None:
    """Dates have no clock and are kept as dates; a later table of a model whose stamps had a
    zone, holding only midnights (a future table of one step at 00:00), is put in the zone: it
    was kept naive and refused as another kind, --tz or not (a review)."""
    import logging

    from tsauto.forecasting.calendar_time import in_zone

    days = pd.Series(["2012-04-01", "2012-04-02"])
    assert in_zone(days, "t", "Australia/Melbourne").dt.tz is None
    zoned = in_zone(days, "t", "Australia/Melbourne", dates=False)
    assert str(zoned.dt.tz) == "Australia/Melbourne" and zoned.iloc[1] == pd.Timestamp("2012-04-02", tz="Australia/Melbourne")
    assert in_zone(pd.Series(["07/09/2012", "08/09/2012"]), "t", "UTC", day_first=True).iloc[0] == pd.Timestamp("2012-09-07")
    with caplog.at_level(logging.INFO, logger="tsauto"):  # naive stamps read as local times: said
        in_zone(pd.Series(["2012-01-17 04:00:00"]), "t", "Australia/Melbourne")
    assert "time column 't': its stamps have no UTC offset: read as Australia/Melbourne's local times" in caplog.text
