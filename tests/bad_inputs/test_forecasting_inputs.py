"""Bad inputs to :class:`tsauto.Forecaster`: each gets a tsauto error naming the column, the
series, the rows and the fix, or a documented handling that the test checks.

The retail table (see conftest) holds three series of 108 months, sorted: rows 0-107 are
"Cafes, restaurants and catering services", 108-215 "... takeaway food services", 216-323
"Clothing retailing".
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
from bad_inputs.helpers import RETAIL, forecaster

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError, SearchFailedError, TsautoError
from tsauto.forecasting.learners.lightgbm import LightGBMLearner

CAFES = "Cafes, restaurants and catering services"


def _set(col: str, row: int, value, dtype=None):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        if dtype is not None:
            df[col] = df[col].astype(dtype)
        df.loc[row, col] = value
        return df

    return change


def _weekly_fridays(df: pd.DataFrame) -> pd.DataFrame:
    weeks = df.groupby("Industry").cumcount().to_numpy()
    return df.assign(Month=pd.Timestamp("2010-01-01") + pd.to_timedelta(7 * weeks, unit="D"))


def _weekly_first_series(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    first = df["Industry"] == CAFES
    df.loc[first, "Month"] = pd.date_range("2010-01-03", periods=int(first.sum()), freq="W-SUN")
    return df


def _dates(fmt: str, every: int = 1, other: str = "%Y-%m-%d"):
    """Month stamps written as text in ``fmt`` (every ``every``-th row in ``other``)."""
    def change(df: pd.DataFrame) -> pd.DataFrame:
        text = df["Month"].dt.strftime(fmt)
        return df.assign(Month=text.where(df.index % every == 0, df["Month"].dt.strftime(other)))

    return change


def _offsets(df: pd.DataFrame) -> pd.DataFrame:
    """Month stamps written with the offsets of Europe/Berlin (+01:00 in winter, +02:00 in
    summer), as a CSV of local times would hold them."""
    local = df["Month"].dt.tz_localize("Europe/Berlin")
    return df.assign(Month=local.map(lambda t: t.isoformat()))


# id, change to the table, Forecaster arguments, pieces the message must hold
FIT_ERRORS = [
    ("empty table", lambda d: d.iloc[:0], {}, ["no rows", "at least one observation"]),
    ("missing target column", lambda d: d.drop(columns="Turnover"), {}, ["'Turnover'", "target="]),
    ("missing time column", lambda d: d.drop(columns="Month"), {}, ["'Month'", "time="]),
    ("missing id column", lambda d: d.drop(columns="State"), {}, ["'State'", "ids="]),
    ("target misspelt", None, {"target": "turnover"}, ["'turnover' (did you mean 'Turnover'?)"]),
    (  # fit(df.set_index("Date")), common with pandas time series (user test)
        "the time column as the index",
        lambda d: d.set_index("Month"),
        {},
        ["no column 'Month' ('Month' is the table's index: df.reset_index() makes it a column)"],
    ),
    (
        "the ids as index levels",
        lambda d: d.set_index(["State", "Industry"]),
        {},
        ["('State', 'Industry' are the table's index levels: df.reset_index() makes them columns)"],
    ),
    (  # JSON-like tags, as pd.read_json gives them, named as a known-future covariate
        "a known-future column of lists",
        lambda d: d.assign(tags=[["sale", "x"]] * len(d)),
        {"known_future": ["tags"]},
        ["column 'tags', given as known_future=, holds lists such as ['sale', 'x'] (rows 0, 1, 2, 3, 4 (and 319 more))",
         "not one value per cell", "df.explode('tags')"],
    ),
    ("ids as one string", None, {"ids": "State,Industry"}, ["(a list of names: ['State', 'Industry']?)"]),
    (
        "two columns of one name",
        lambda d: pd.concat([d, d[["Turnover"]]], axis=1),
        {},
        ["more than one column named ['Turnover']", "rename"],
    ),
    (
        "string in the target",
        _set("Turnover", 5, "n/a", object),
        {},
        ["'Turnover'", "row 5", "'n/a'", CAFES, "convert it to numbers"],
    ),
    (
        "thousands separators in the target",
        lambda d: d.assign(Turnover=(d["Turnover"] * 1000).map(lambda v: f"{v:,.1f}")),
        {},
        ["'Turnover'", "rows 0, 1", "convert it to numbers (written with thousands separators", "thousands=','"],
    ),
    (
        "a currency sign in the target",
        lambda d: d.assign(Turnover=(d["Turnover"] * 1000).map(lambda v: f"${v:,.2f}")),
        {},
        ["'Turnover'", "rows 0, 1", "written with a currency sign", r"s.str.replace(r'[$€£¥,\s]', '', regex=True)"],
    ),
    (
        "decimal commas in the target",
        lambda d: d.assign(Turnover=d["Turnover"].map(lambda v: f"{v:.1f}".replace(".", ","))),
        {},
        ["'Turnover'", "rows 0, 1", "written with decimal commas", "decimal=','"],
    ),
    (
        "unparseable date",
        _set("Month", 7, "2013-13-45", object),
        {},
        ["'Month'", "row 7", "'2013-13-45'", "ISO dates"],
    ),
    ("missing date", _set("Month", 9, None, object), {}, ["'Month'", "row 9", "drop those rows"]),
    (
        "integer steps as text",
        lambda d: d.assign(Month=d.groupby(["State", "Industry"]).cumcount().astype(str)),
        {},
        ["'Month'", "integer steps as text", ".astype(int)"],
    ),
    (
        "a list in a date cell",
        lambda df: df.assign(Month=[[1, 2] if i == 7 else t for i, t in zip(df.index, df["Month"])]),
        {},
        ["'Month'", "row 7", "[1, 2]"],
    ),
    (
        "infinite target",
        _set("Turnover", 120, np.inf),
        {},
        ["'Turnover'", "infinite at row 120", "takeaway", "replace inf"],
    ),
    (
        "minus infinite target",
        _set("Turnover", 300, -np.inf),
        {},
        ["'Turnover'", "row 300", "Clothing", "replace inf"],
    ),
    (
        "all-NaN series",
        lambda d: d.assign(Turnover=d["Turnover"].where(d["Industry"] != CAFES)),
        {},
        [CAFES, "no observed target value", "drop them or give values"],
    ),
    ("missing id value", _set("Industry", 11, None), {}, ["'Industry'", "row 11", "fill or drop"]),
    (
        "duplicated time stamps",
        lambda d: pd.concat([d, d.iloc[[3]].assign(Turnover=1.0)], ignore_index=True),
        {},
        [CAFES, "'Month': '2010-04-01'", "rows 3, 324", "aggregate='sum'"],
    ),
    (  # a row pasted twice: summed, it would count twice (a user test)
        "a row copied exactly",
        lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True),
        {},
        ["1 row is an exact copy of an earlier one (every column equal) at row 324 (e.g. row 324 repeats row 3, ",
         "'Month': '2010-04-01'}", "df = df.drop_duplicates(); aggregate='sum' would count them twice"],
    ),
    (
        "irregular stamp off the grid",
        _set("Month", 20, pd.Timestamp("2011-09-15")),
        {},
        ["'Month'", "'MS' grid", "row 20", CAFES, "freq="],
    ),
    (
        "mixed frequencies",
        _weekly_first_series,
        {},
        ["'Month'", "not on the 'MS' grid", "rows 0, 1, 2", CAFES, "mix frequencies", "aggregate="],
    ),
    (
        "the week's end given wrong",  # freq='W' is pandas' Sundays: 'W-FRI' named (user test)
        _weekly_fridays,
        {"data": {"freq": "W"}},
        ["'Month'", "not on the 'W-SUN' grid", "every stamp is on the 'W-FRI' grid: give freq='W-FRI'"],
    ),
    (
        "day and month both possible",
        _dates("%d/%m/%Y"),
        {},
        ["'Month'", "'01/02/2010' at row 1 is 2010-01-02 or 2010-02-01", "ISO dates", "format='%d/%m/%Y'"],
    ),
    (
        "day-first and month-first rows mixed",
        _dates("%d/%m/%Y", every=2, other="%m/%d/%Y"),
        {},
        ["'Month'", "month-first and day-first", "row 1", "format='%m/%d/%Y'"],
    ),
    (
        "ISO and dotted dates mixed",
        _dates("%Y-%m-%d", every=5, other="%d.%m.%Y"),
        {},
        ["'Month'", "mixes date formats", "rows 1, 2, 3, 4, 6", "'01.02.2010'", "one format"],
    ),
    (
        "mixed time-zone offsets",
        _offsets,
        {},
        ["'Month'", "+01:00 at rows 0, 1, 2", "+02:00 at rows", "tz_convert"],
    ),
    ("horizon 0", None, {"horizon": 0}, ["horizon=0", "positive integer"]),
    ("negative horizon", None, {"horizon": -3}, ["horizon=-3", "positive integer"]),
    ("fractional horizon", None, {"horizon": 2.5}, ["horizon=2.5", "positive integer"]),
    ("time_budget 0", None, {"time_budget": 0}, ["time_budget=0", "positive number"]),
    ("negative time_budget", None, {"time_budget": -5}, ["time_budget=-5", "positive number"]),
    ("NaN time_budget", None, {"time_budget": float("nan")}, ["time_budget=nan", "None"]),
    (
        "a single row",
        lambda d: d.iloc[:1],
        {},
        ["'Month'", "single time stamp", "freq="],
    ),
    (
        "known-future column absent at fit",
        None,
        {"known_future": ["promo"]},
        ["'promo'", "known_future="],
    ),
    (
        "target named a known-future covariate",
        None,
        {"known_future": ["Turnover"]},
        ["known_future=", "['Turnover']", "remove them"],
    ),
    ("ids not a list of names", None, {"ids": 5}, ["got 5", "ids=['store', 'item']"]),
    ("unknown metric", None, {"metric": "r2"}, ["metric='r2'", "'mase'"]),
    ("quantile outside (0, 1)", None, {"quantiles": [1.5]}, ["quantiles=[1.5]", "(0, 1)"]),
    ("unknown frequency", None, {"data": {"freq": "XYZ"}}, ["freq='XYZ'", "'MS'"]),
    ("unknown learner", None, {"learners": ["prophetx"]}, ["'prophetx'", "naive"]),
    ("no learners", None, {"learners": []}, ["learners=", "at least one"]),
    ("boolean time column", lambda d: d.assign(Month=True), {}, ["'Month'", "booleans"]),
    ("unknown fill rule", None, {"data": {"fill": "mean"}}, ["fill='mean'", "interpolate"]),
    ("non_negative as text", None, {"data": {"non_negative": "always"}},
     ["non_negative='always'", "'auto'", "'yes' and 'no'"]),
    (
        "several targets",
        None,
        {"target": ["Turnover", "Month"], "time": "Month"},
        ["target= takes one column name", "melt the table to long format", "value_vars=['Turnover', 'Month']",
         "ids=['State', 'Industry', 'variable'], target='value'"],
    ),
    ("time as a list", None, {"time": ["Month"]}, ["time= takes one column name", "give time='Month'"]),
    ("an id given as a list", None, {"ids": ["State", ["Industry"]]}, ["ids=", "give ids=['State', 'Industry']"]),
    (
        "id 1 and id '1'",
        lambda d: d.assign(State=pd.Series([1] * 100 + ["1"] * (len(d) - 100), index=d.index, dtype=object)),
        {},
        ["id column 'State' mixes types: 1 (int, rows 0, 1, 2 (and 97 more)) and '1' (str, rows 100, 101, 102",
         "1 and '1' would be two series", "pd.to_numeric(df['State'])"],
    ),
    ("season of one step", None, {"data": {"seasons": [1]}}, ["seasons=[1]", "at least 2", "[] for none"]),
    ("season as text", None, {"data": {"seasons": "weekly"}}, ["seasons='weekly'", "[7]"]),
    ("zero validation folds", None, {"search": {"folds": 0}}, ["folds=0", "positive integer"]),
    ("max_trials 0", None, {"search": {"max_trials": 0}}, ["max_trials=0", "positive integer"]),
    ("n_jobs 0", None, {"compute": {"n_jobs": 0}}, ["n_jobs=0", "-1 for all cores"]),
    ("unknown backend", None, {"compute": {"backend": "spark"}}, ["backend='spark'", "'loky'"]),
    ("unreadable memory limit", None, {"compute": {"memory_limit": "lots"}}, ["memory_limit='lots'", "'4GiB'"]),
    ("unknown option", None, {"data": {"frequency": "MS"}}, ["'frequency'", "freq"]),
    (
        "negative values with a log transform",
        lambda d: d.assign(Turnover=d["Turnover"] - 30.0),
        {"learners": [LightGBMLearner(target_transform=["log1p"])]},
        [
            "'log1p' needs a non-negative target",
            "'Turnover' is negative in 199 rows of 2 series",
            f"'Industry': '{CAFES}'}} at 104 rows (Month 2010-01-01, 2010-02-01, 2010-03-01 and 101 more)",
            "'Clothing retailing'} at 95 rows",
            "Drop 'log1p' from target_transform",
            "shift the target to be non-negative",
        ],
    ),
    (
        "log transform after differencing",
        None,
        {"learners": [LightGBMLearner(target_transform=["diff1", "log1p"])]},
        ["['diff1', 'log1p']", "'log1p'", "must come first"],
    ),
]


@pytest.mark.parametrize(
    ("change", "kwargs", "pieces"),
    [pytest.param(c, k, p, id=i) for i, c, k, p in FIT_ERRORS],
)
def test_fit_error_names_what_and_how(retail, change, kwargs, pieces) -> None:
    data = retail if change is None else change(retail)
    with pytest.raises(TsautoError) as err:
        forecaster(**kwargs).fit(data)
    assert isinstance(err.value, DataValidationError)
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


# ---------------------------------------------------------------- predict time


@pytest.fixture(scope="module")
def with_promo(retail):
    """A model fitted with a known-future ``promo`` (December), read by LightGBM (a model that
    does not read it needs no future table), and its complete future table."""
    data = retail.assign(promo=(retail["Month"].dt.month == 12).astype(float))
    model = forecaster(known_future=["promo"], learners=["lightgbm"]).fit(data)
    future = model.make_future_frame().assign(promo=0.0)
    return model, future


PREDICT_ERRORS = [
    (
        "no future table",
        lambda f: None,
        ["['promo']", "future=", "next 3 steps"],
    ),
    (
        "future lacks the known-future column",
        lambda f: f.drop(columns="promo"),
        ["future table", "'promo'", "make_future_frame()"],
    ),
    (
        "future does not cover the horizon",
        lambda f: f.groupby("Industry").head(2),
        ["lacks 3 of the 9", CAFES, "'Month': '2019-03-01'", "add them"],
    ),
    (
        "future misses one value",
        lambda f: f.assign(promo=np.where(f.index == 4, np.nan, 0.0)),
        ["'promo'", "row 4", "takeaway", "fill them in"],
    ),
    (
        "future holds strings",
        lambda f: f.assign(promo=np.where(f.index == 7, "yes", "0")),
        ["'promo'", "future table", "row 7", "'yes'", "give numbers"],
    ),
]


@pytest.mark.parametrize(
    ("change", "pieces"), [pytest.param(c, p, id=i) for i, c, p in PREDICT_ERRORS]
)
def test_predict_error_names_what_and_how(with_promo, change, pieces) -> None:
    model, future = with_promo
    with pytest.raises(DataValidationError) as err:
        model.predict(future=change(future))
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


def test_future_rows_lacking_for_a_series_that_ends_early_say_why(with_promo, retail) -> None:
    """The natural 'next 3 months' file lacks the rows of a series ended two months before the
    table: it was refused with no word of why those earlier times are needed (user test)."""
    model, future = with_promo
    history = retail.assign(promo=(retail["Month"].dt.month == 12).astype(float))
    history = history[~((history["Industry"] == CAFES) & (history["Month"] > history["Month"].max() - pd.DateOffset(months=2)))]
    with pytest.raises(DataValidationError) as err:
        model.predict(history=history, future=future)
    assert "lacks 2 of the" in str(err.value) and CAFES in str(err.value)
    assert ("1 of the series lacking rows end before the table's last time step: each is forecast "
            "from its own end") in str(err.value) and "tsauto future-frame MODEL" in str(err.value)


def test_a_missing_future_value_of_a_series_that_ends_early_says_why_and_the_fixes(with_promo, retail) -> None:
    """Future covariates merged for the real next months left empty the rows make_future_frame()
    lists at earlier times for a series ended two months before the table: the error said only
    'fill them in' (user test, Walmart departments last sold in 2010). It says that the series
    ends early, the data check naming it, and the two fixes."""
    model, _ = with_promo
    history = retail.assign(promo=(retail["Month"].dt.month == 12).astype(float))
    history = history[~((history["Industry"] == CAFES) & (history["Month"] > history["Month"].max() - pd.DateOffset(months=2)))]
    future = model.make_future_frame(history=history)
    future["promo"] = np.where(future["Month"] > retail["Month"].max(), 0.0, np.nan)
    with pytest.raises(DataValidationError) as err:
        model.predict(history=history, future=future)
    message = str(err.value)
    assert "column 'promo' of the future table is missing at rows 0, 1" in message and CAFES in message
    assert ("fill them in (1 of the series with missing values end before the table's last time step: each is "
            "forecast from its own end, so its rows come at earlier times (data check ends_early)") in message
    assert ("To forecast them from the table's end instead: if they stopped, give them rows up to the table's "
            "end (target 0, or empty with data={'fill': 'zero'}, --fill zero); if not, drop them from the "
            "training table).") in message


def test_a_column_of_lists_is_left_out_with_a_warning(retail, caplog) -> None:
    """A column of JSON-like tags crashed fit with pandas' 'unhashable type: list' (user test):
    not named, it is left out as no covariate can read it, with a warning and its data check."""
    tagged = retail.assign(tags=[["sale"]] * len(retail))
    tagged.at[5, "tags"] = {"sale": 1}
    with caplog.at_level(logging.WARNING, logger="tsauto.forecasting.validation"):
        model = forecaster().fit(tagged)
    assert "column 'tags' holds lists and dicts such as ['sale'] (rows 0, 1, 2, 3, 4 (and 319 more))" in caplog.text
    role = model.data_checks().set_index("column").loc["tags"]
    assert role["check"] == "column_role" and role["message"].startswith("ignored: holds lists and dicts")
    assert "tags" not in model.history_.schema.covariates + model.history_.schema.static
    pd.testing.assert_frame_equal(model.predict(), forecaster().fit(retail).predict())


def test_a_missing_future_value_shows_the_times_of_the_rows_it_names(with_promo, retail) -> None:
    """The times shown were the earliest missing anywhere (a series ended early), beside rows
    0-4 of other times (user test)."""
    model, _ = with_promo
    last = sorted(retail["Industry"].unique())[-1]
    history = retail.assign(promo=(retail["Month"].dt.month == 12).astype(float))
    history = history[~((history["Industry"] == last) & (history["Month"] > history["Month"].max() - pd.DateOffset(months=2)))]
    future = model.make_future_frame(history=history).assign(promo=0.0)
    future.loc[(future.index < 3) | (future["Industry"] == last), "promo"] = np.nan
    with pytest.raises(DataValidationError) as err:
        model.predict(history=history, future=future)
    first = future["Month"].iloc[0].strftime("%Y-%m-%d")
    assert re.search(rf"missing at rows 0, 1, 2, [\d, ]+ \(and \d+ more\) \({first} \(\w+day\)", str(err.value)), str(err.value)


def test_extra_future_columns_and_rows_are_ignored(with_promo) -> None:
    model, future = with_promo
    expected = model.predict(future=future)
    unseen = future.head(3).assign(Industry="Not a series")
    extra = pd.concat([future.assign(price=9.99), unseen], ignore_index=True)
    pd.testing.assert_frame_equal(model.predict(future=extra), expected)


def test_history_missing_a_column_or_of_another_kind(retail) -> None:
    model = forecaster().fit(retail)
    with pytest.raises(DataValidationError, match="history table has no column 'Turnover'.*training"):
        model.predict(history=retail.drop(columns="Turnover"))
    aware = retail.assign(Month=retail["Month"].dt.tz_localize("UTC"))
    with pytest.raises(DataValidationError, match="'Month' of the history table holds time stamps in time zone UTC.*without a time zone: give the same kind"):
        model.predict(history=aware)


def test_future_times_without_the_zone_of_the_fit(retail) -> None:
    """Naive future stamps for a model fitted on Berlin times are refused, not read as UTC
    (which would match covariates an hour off); the same instants in UTC are accepted."""
    times = pd.date_range("2024-03-01", periods=60, freq="h", tz="Europe/Berlin")
    data = pd.DataFrame({"t": times, "y": np.resize(retail["Turnover"].to_numpy(), 60)})
    data["promo"] = (times.hour == 0).astype(float)
    model = forecaster(target="y", time="t", ids=None, known_future=["promo"], learners=["lightgbm"]).fit(data)
    future = model.make_future_frame().assign(promo=[0.0, 1.0, 0.0])
    expected = model.predict(future=future)
    naive = future.assign(t=future["t"].dt.tz_localize(None))
    with pytest.raises(DataValidationError, match="'t' of the future table holds time stamps without a time zone.*Europe/Berlin"):
        model.predict(future=naive)
    in_utc = future.assign(t=future["t"].dt.tz_convert("UTC"))
    pd.testing.assert_frame_equal(model.predict(future=in_utc), expected)


def test_unseen_series_at_predict_time_gets_a_forecast(retail) -> None:
    """A series first seen in ``history=`` is forecast from its own history (no refit)."""
    model = forecaster().fit(retail)
    new = retail[retail["Industry"] == CAFES].assign(Industry="Opened later")
    new = new.iloc[-40:].assign(Turnover=lambda d: d["Turnover"] * 2)
    out = model.predict(history=pd.concat([retail, new], ignore_index=True))
    fresh = out[out["Industry"] == "Opened later"]
    assert len(fresh) == 3
    np.testing.assert_allclose(fresh["forecast"], new["Turnover"].iloc[-1])
    before = model.predict()
    pd.testing.assert_frame_equal(out[out["Industry"] != "Opened later"].reset_index(drop=True), before)


# ---------------------------------------------------------------- backtest


BACKTEST_ERRORS = [
    ("more folds than the data hold", {"folds": 200}, ["folds=200", "108", "use folds=35", CAFES]),
    ("zero folds", {"folds": 0}, ["folds=0", "positive integer"]),
    ("zero step", {"folds": 2, "step": 0}, ["step=0", "positive integer"]),
    ("fractional folds", {"folds": 2.5}, ["folds=2.5", "positive integer"]),
]


@pytest.mark.parametrize(
    ("kwargs", "pieces"), [pytest.param(k, p, id=i) for i, k, p in BACKTEST_ERRORS]
)
def test_backtest_error_names_what_and_how(retail, kwargs, pieces) -> None:
    with pytest.raises(DataValidationError) as err:
        forecaster().backtest(retail, **kwargs)
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


def test_backtest_horizon_longer_than_every_series(retail) -> None:
    with pytest.raises(DataValidationError, match="longest series.* has 108: use a horizon below 107"):
        forecaster(horizon=120).backtest(retail, folds=1)


def test_backtest_fold_with_one_observation_before_its_cutoff(retail) -> None:
    """13 months, horizon 3: a 4th fold would refit on one month, from which no frequency can
    be read; the error says how many folds fit."""
    recent = retail.groupby("Industry").tail(13)
    with pytest.raises(DataValidationError, match="folds=4.*at least 14 observations.* has 13: use folds=3"):
        forecaster().backtest(recent, folds=4)
    assert forecaster().backtest(recent, folds=3).forecasts["fold"].nunique() == 3


def test_backtest_cutoff_on_a_missing_step(retail, caplog) -> None:
    # documented handling: a series without an observation at the cutoff is forecast from its
    # last one (nothing after the cutoff is used), so its last step lies beyond the horizon and
    # is not scored; the log says so
    gap = retail.drop(index=[104, 212])  # two series miss the month of the last cutoff
    with caplog.at_level("WARNING", logger="tsauto.forecasting.backtest"):
        result = forecaster().backtest(gap, folds=1)
    sizes = result.forecasts.groupby("Industry").size()
    assert result.forecasts["Industry"].nunique() == 3
    assert sorted(sizes) == [2, 2, 3]
    assert "2 cell(s) of 2 series not scored" in caplog.text


def test_backtest_with_no_cell_to_score(retail) -> None:
    last = retail.groupby("Industry")["Month"].transform("max")
    gap = retail[retail["Month"] != last - pd.DateOffset(months=1)]  # every cutoff step missing
    with pytest.raises(DataValidationError, match="scored no cell"):
        forecaster(horizon=1).backtest(gap, folds=1)


def test_backtest_with_as_many_folds_as_the_data_hold(retail) -> None:
    result = forecaster().backtest(retail, folds=35)
    assert result.forecasts["fold"].nunique() == 35


# ---------------------------------------------------------------- documented handling


def test_unsorted_rows_are_sorted(retail) -> None:
    shuffled = retail.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(
        forecaster().fit(shuffled).predict(), forecaster().fit(retail).predict()
    )


def test_missing_time_steps_are_inserted_and_imputed(retail) -> None:
    gaps = retail.drop(index=[10, 11, 150])
    model = forecaster().fit(gaps)
    assert model.history_.n_series == 3 and len(model.history_.y) == len(retail)
    filled = model.history_.to_frame()["Turnover"].to_numpy()
    np.testing.assert_allclose(filled[10:12], np.interp([10, 11], [9, 12], retail["Turnover"].iloc[[9, 12]]))
    assert len(model.predict()) == 9


def test_nan_targets_are_imputed_and_leading_ones_dropped(retail) -> None:
    data = retail.copy()
    data.loc[[0, 1, 50], "Turnover"] = np.nan
    model = forecaster().fit(data)
    assert model.history_.lengths.tolist() == [106, 108, 108]
    assert np.isfinite(model.history_.y).all()


def test_constant_series_forecast_the_constant(retail) -> None:
    data = retail.assign(Turnover=np.where(retail["Industry"] == CAFES, 42.0, retail["Turnover"]))
    out = forecaster(learners=["naive", "seasonal_naive"], quantiles=[0.1, 0.9]).fit(data).predict()
    cafes = out[out["Industry"] == CAFES]
    np.testing.assert_allclose(cafes["forecast"], 42.0)
    # intervals are scaled by the series' level where its MASE scale is zero (metrics.normalising_scale)
    assert (cafes["q0.1"] <= 42.0).all() and (cafes["q0.9"] >= 42.0).all()


def test_all_series_constant_in_a_search(retail) -> None:
    # validation MASE is undefined when every series is constant: learners compared by MAE
    out = forecaster(learners=["naive", "seasonal_naive"]).fit(retail.assign(Turnover=42.0)).predict()
    np.testing.assert_allclose(out["forecast"], 42.0)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s.dt.to_period("M"), id="periods"),
        pytest.param(lambda s: s.dt.date, id="date-objects"),
        pytest.param(lambda s: s.dt.strftime("%b %Y"), id="Jan-2010"),
        pytest.param(lambda s: s.dt.strftime("%Y-%m"), id="2010-01"),
        pytest.param(lambda s: s.dt.strftime("%Y-%m-%d").where(s.dt.month != 6, s.dt.strftime("%Y-%m-%d 00:00")), id="iso-mixed-precision"),
    ],
)
def test_other_spellings_of_the_months_read_alike(retail, change) -> None:
    """Periods (read by their first day, written back as periods), date objects and unambiguous
    text give the same forecast."""
    expected = forecaster().fit(retail).predict()
    out = forecaster().fit(retail.assign(Month=change(retail["Month"]))).predict()
    if isinstance(out["Month"].dtype, pd.PeriodDtype):
        out["Month"] = out["Month"].dt.to_timestamp().dt.as_unit("ns")
    pd.testing.assert_frame_equal(out, expected)


def test_day_first_dates_are_read_when_only_day_first_fits(retail) -> None:
    """Daily dates written day-first (13/01/2024 cannot be month-first) are read day-first."""
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    data = pd.DataFrame({"t": days.strftime("%d/%m/%Y"), "y": retail["Turnover"].iloc[:60].to_numpy()})
    model = forecaster(target="y", time="t", ids=None).fit(data)
    assert model.history_.schema.freq == "D"
    assert list(model.predict()["t"]) == list(pd.date_range("2024-03-01", periods=3, freq="D"))


def test_business_days_are_inferred_and_forecast_on_weekdays(retail) -> None:
    """Turnover values on a business-day calendar: frequency 'B', no weekend forecasts."""
    values = retail["Turnover"].iloc[:108].to_numpy()
    data = pd.DataFrame({"day": pd.bdate_range("2024-01-01", periods=108), "y": values})
    model = forecaster(target="y", time="day", ids=None, horizon=5).fit(data)
    assert model.history_.schema.freq == "B"
    out = model.predict()
    assert list(out["day"]) == list(pd.bdate_range(data["day"].iloc[-1], periods=6)[1:])
    assert (out["day"].dt.day_of_week < 5).all()


def test_business_days_with_gaps_where_friday_to_monday_is_the_commonest_step(retail) -> None:
    """Wednesdays and Thursdays missing after the first week: in calendar days the commonest
    step is 3 (Friday to Monday, Tuesday to Friday), in business days it is 1; read as '3D' the
    stamps were "irregular". Never on a Wednesday or Thursday, they are the days open."""
    days = pd.bdate_range("2024-01-01", periods=150)
    days = days[(days.day_of_week.isin([0, 1, 4])) | (days < "2024-01-08")]
    data = pd.DataFrame({"day": days, "y": retail["Turnover"].iloc[: len(days)].to_numpy()})
    model = forecaster(target="y", time="day", ids=None, horizon=3, learners=["naive"]).fit(data)
    assert model.history_.schema.freq == "B"
    model = forecaster(target="y", time="day", ids=None, horizon=3, learners=["naive"]).fit(data.iloc[5:])
    assert model.history_.schema.freq == "C(Mon Tue Fri)"
    assert list(model.predict()["day"].dt.day_of_week) == [0, 1, 4]


def test_backtest_folds_keep_the_frequency_of_the_whole_table(retail) -> None:
    """A nested backtest's fold sees Wednesday to Friday only: read alone that is daily data,
    whose next step is a Saturday with no actual to score. Folds keep the table's 'B'."""
    days = pd.bdate_range("2024-01-03", periods=4)  # Wed, Thu, Fri, Mon
    data = pd.DataFrame({"day": days, "y": retail["Turnover"].iloc[:4].to_numpy()})
    rows = forecaster(target="y", time="day", ids=None, horizon=1, learners=["naive"]).backtest(
        data, folds=1
    ).forecasts
    assert list(rows["day"]) == [days[-1]] and rows["forecast"].iloc[0] == data["y"].iloc[2]

def test_mixed_offsets_of_real_local_times_name_the_rows_and_the_fix(vic_elec) -> None:
    """Melbourne's local times as the CSV holds them: +1100 until 2012-04-01 03:00, then +1000."""
    kw = {"target": "Demand", "time": "Time_local", "ids": None, "horizon": 4}
    with pytest.raises(DataValidationError) as err:
        forecaster(**kw).fit(vic_elec[["Time_local", "Demand"]])
    msg = str(err.value)
    assert "'Time_local'" in msg and "+1100 at rows 0, 1, 2" in msg and "+1000 at rows" in msg
    assert "tz_convert" in msg
    # the fix the message gives works: one zone, daylight saving handled
    fixed = vic_elec.assign(
        Time_local=pd.to_datetime(vic_elec["Time_local"], utc=True).dt.tz_convert(
            "Australia/Melbourne"
        )
    )
    out = forecaster(**kw).fit(fixed[["Time_local", "Demand"]]).predict()
    assert str(out["Time_local"].dt.tz) == "Australia/Melbourne"
    assert out["Time_local"].diff().dropna().eq(pd.Timedelta("30min")).all()
    last = fixed["Time_local"].iloc[-1]
    assert out["Time_local"].iloc[0] == last + pd.Timedelta("30min")


def test_naive_local_times_repeat_when_daylight_saving_ends(vic_elec) -> None:
    """Melbourne's clock times without offsets: 02:00 and 02:30 occur twice on 2012-04-01."""
    naive = vic_elec.assign(Time=vic_elec["Time_local"].str[:19])[["Time", "Demand"]]
    with pytest.raises(DataValidationError) as err:
        forecaster(target="Demand", time="Time", ids=None).fit(naive)
    msg = str(err.value)
    assert "2012-04-01 02:00:00" in msg and "rows 78, 80, 79, 81" in msg
    assert "aggregate=" in msg and "daylight saving" in msg and "time-zone aware" in msg


def test_hourly_stamps_across_daylight_saving_stay_regular(retail) -> None:
    values = np.tile(retail["Turnover"].iloc[:24].to_numpy(), 3)
    times = pd.date_range("2024-03-30", periods=72, freq="h", tz="Europe/Berlin")
    out = forecaster(target="y", time="t", ids=None).fit(pd.DataFrame({"t": times, "y": values})).predict()
    assert list(out["t"]) == list(pd.date_range(times[-1], periods=4, freq="h")[1:])
    assert str(out["t"].dt.tz) == "Europe/Berlin"


def test_daily_stamps_across_daylight_saving_keep_local_dates(retail) -> None:
    times = pd.date_range("2024-03-20", periods=30, freq="D", tz="Europe/Berlin")
    data = pd.DataFrame({"t": times, "y": retail["Turnover"].iloc[:30].to_numpy()})
    out = forecaster(target="y", time="t", ids=None).fit(data).predict()
    assert list(out["t"]) == list(pd.date_range("2024-04-19", periods=3, freq="D", tz="Europe/Berlin"))


@pytest.mark.parametrize(
    ("times", "freq", "next_time"),
    [
        pytest.param([f"{y:04d}-01-01" for y in range(1, 40)], "YS", "0040-01-01", id="year-1-strings"),
        pytest.param(
            pd.date_range("1500-01-01", periods=39, freq="MS", unit="s"), "MS", "1503-04-01", id="1500-monthly"
        ),
        pytest.param(
            pd.date_range("2250-01-01", periods=39, freq="D", unit="s"), "D", "2250-02-09", id="2250-daily"
        ),
    ],
)
def test_dates_outside_pandas_nanosecond_range(retail, times, freq, next_time) -> None:
    """A dummy calendar from year 1 (or before 1678, or after 2262) works at second resolution."""
    data = pd.DataFrame({"t": times, "y": retail["Turnover"].iloc[:39].to_numpy()})
    model = forecaster(target="y", time="t", ids=None).fit(data)
    assert model.history_.schema.freq == freq
    assert "nanosecond range" in model.history_.schema.calendar_note
    out = model.predict()
    assert str(out["t"].iloc[0])[:10] == next_time
    np.testing.assert_allclose(out["forecast"], data["y"].iloc[-1])


def test_series_shorter_than_the_horizon_fall_back(retail) -> None:
    short = pd.concat(
        [retail, retail[retail["Industry"] == CAFES].head(2).assign(Industry="Two months")],
        ignore_index=True,
    )
    model = forecaster(learners=["seasonal_naive"], horizon=6).fit(short)
    out = model.predict()
    assert out.groupby("Industry").size().eq(6).all() and out["Industry"].nunique() == 4
    assert out["forecast"].notna().all()


def test_a_series_shorter_than_the_lags_is_forecast(retail) -> None:
    """LightGBM reads lags beyond a series' start as missing: a 5-month series is forecast."""
    short = pd.concat(
        [retail, retail[retail["Industry"] == CAFES].head(5).assign(Industry="Five months")],
        ignore_index=True,
    )
    out = forecaster(learners=[LightGBMLearner(lags=[12, 24], windows=())]).fit(short).predict()
    assert out.groupby("Industry").size().eq(3).all() and out["Industry"].nunique() == 4
    assert np.isfinite(out["forecast"]).all()


def test_every_series_too_short_for_a_learner_says_how_long_they_are(retail) -> None:
    """"shorter than the 5 observations" of a 9-point series (a fold's training part) read as
    wrong (user test 51): the longest length is said, and that a fold trains on a part."""
    tiny = retail.groupby("Industry").head(3)
    with pytest.raises(DataValidationError, match=r"shorter than the 5 observations learner 'ets' needs \(the "
                                                  r"longest here holds 3; a validation fold trains on the part"):
        forecaster(learners=["ets"], data={"short_series": "drop"}).fit(tiny)


def test_every_series_shorter_than_the_lags(retail) -> None:
    tiny = retail.groupby("Industry").head(5)
    with pytest.raises(DataValidationError) as err:
        forecaster(learners=[LightGBMLearner(lags=[24, 12], windows=(), target_transform=["scale"])]).fit(tiny)
    msg = str(err.value)
    assert "'lightgbm' has no row to train on" in msg and "shorter than the 13 observations" in msg
    assert "shortest lag 12 + the row itself" in msg and "the longest has 5" in msg
    assert "shorter lags=" in msg


def test_series_shorter_than_some_lags_are_forecast_and_named(retail, caplog) -> None:
    """Clothing retailing cut to its last 15 months: shorter than lag 24 and window 24, still
    forecast by LightGBM (those features missing), and the data checks say so."""
    clothing = retail["Industry"] == "Clothing retailing"
    data = pd.concat([retail[~clothing], retail[clothing].tail(15)], ignore_index=True)
    learner = LightGBMLearner(lags=[1, 2, 12, 24], windows=[3, 24], params={"num_boost_round": 50})
    with caplog.at_level("WARNING", logger="tsauto.forecasting.data_checks"):
        model = forecaster(learners=[learner]).fit(data)
    out = model.predict()
    assert len(out) == 9 and np.isfinite(out["forecast"]).all()
    assert model.fallbacks_.empty  # forecast by LightGBM itself, not the fallback
    check = model.data_checks().set_index("check").loc["short_for_lags"]
    assert check["status"] == "alert" and check["series"] == ("Tasmania/Clothing retailing",)
    assert "1 series shorter than the longest lag or window of lightgbm (24 steps)" in check["message"]
    assert "series Tasmania/Clothing retailing: 15 steps, without lag 24 and window 24" in check["message"]
    assert "shorter lags= and windows=" in check["message"]
    assert "short_for_lags" in caplog.text


def test_ten_thousand_tiny_series(retail) -> None:
    n = 10_000
    values = np.resize(retail["Turnover"].to_numpy(), 3 * n)
    data = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "t": np.tile([1, 2, 3], n), "y": values})
    out = forecaster(target="y", time="t", ids="id", horizon=2).fit(data).predict()
    assert len(out) == 2 * n and out["id"].nunique() == n
    np.testing.assert_allclose(out["forecast"].to_numpy()[::2], values[2::3])


@pytest.mark.parametrize("scale", [1e12, 1e-9], ids=["1e12", "1e-9"])
def test_extreme_magnitudes_scale_the_forecast(retail, scale) -> None:
    """MASE ranks and the intervals are scale free: forecasts scale with the data."""
    make = lambda: forecaster(learners=["naive", "seasonal_naive"], quantiles=[0.1, 0.9])
    base = make().fit(retail).predict()
    scaled = make().fit(retail.assign(Turnover=retail["Turnover"] * scale)).predict()
    for col in ("forecast", "q0.1", "q0.9"):
        np.testing.assert_allclose(scaled[col], base[col] * scale, rtol=1e-9)


def test_negative_history_at_predict_time_with_a_log_transform(retail) -> None:
    model = forecaster(learners=[LightGBMLearner(target_transform=["log1p"])]).fit(retail)
    history = retail.assign(Turnover=retail["Turnover"].where(retail.index != 250, -1.0))
    with pytest.raises(DataValidationError) as err:
        model.predict(history=history)
    msg = str(err.value)
    assert "'Turnover' is negative in 1 row of 1 series" in msg and "Clothing retailing" in msg
    assert "(Month 2012-11-01)" in msg and "Drop 'log1p'" in msg and "shift the target" in msg


def test_negative_values_with_a_log_transform_next_to_a_working_learner(retail) -> None:
    data = retail.assign(Turnover=retail["Turnover"] - 30.0)
    model = forecaster(learners=[LightGBMLearner(target_transform=["log1p"]), "naive"]).fit(data)
    board = model.leaderboard().set_index("learner")
    assert board.loc["lightgbm", "status"] == "failed" and "log1p" in board.loc["lightgbm", "reason"]
    np.testing.assert_allclose(model.predict()["forecast"].to_numpy()[::3], data.groupby("Industry")["Turnover"].last())


def test_all_trials_failing_single_learner(retail) -> None:
    from learner_doubles import FailingLearner

    with pytest.raises(SearchFailedError, match="'failing' failed to fit.*always fails.*learners="):
        forecaster(learners=[FailingLearner()]).fit(retail)


def test_all_trials_failing_in_a_search(retail) -> None:
    from learner_doubles import FailingLearner

    class AlsoFailing(FailingLearner):
        name = "also_failing"

    with pytest.raises(SearchFailedError) as err:
        forecaster(learners=[FailingLearner(), AlsoFailing()]).fit(retail)
    msg = str(err.value)
    assert "every trial failed" in msg and "other learners" in msg
    assert re.search(r"\bfailing: RuntimeError: this learner always fails", msg)
    assert "also_failing: RuntimeError" in msg


def test_fit_accepts_the_same_table_the_contract_names(retail) -> None:
    """The reference for the catalogue: the untouched table fits and forecasts every series."""
    out = Forecaster(**RETAIL, horizon=3, learners=["naive"]).fit(retail).predict()
    assert len(out) == 9 and out["forecast"].notna().all()


def test_make_future_frame_of_gappy_history_leaves_the_fill_note_to_predict(retail, caplog) -> None:
    """make_future_frame(history=) and then predict(history=) of the same rows logged the
    target's fill twice (user test): the frame of times reads no target value, so predict says it."""
    model = forecaster().fit(retail)
    newer = retail.drop(index=[10, 11]).copy()
    newer.loc[[20, 21, 22], "Turnover"] = np.nan
    with caplog.at_level(logging.INFO, logger="tsauto"):
        future = model.make_future_frame(history=newer)
    assert "imputed" not in caplog.text and "inserted" not in caplog.text
    with caplog.at_level(logging.INFO, logger="tsauto"):
        model.predict(history=newer, future=future)
    assert caplog.text.count("inserted 2 missing time steps") == 1
    assert caplog.text.count("imputed 5 missing target values by the 'interpolate' rule") == 1
