"""Covariates of numbers with a few text cells ("--") are read as numbers, those cells missing,
at fit and in the later tables, by the rule of the tabular side (:mod:`tsauto.core.text_in_numbers`),
decided once on the whole table: a hierarchy's nodes, a nested backtest's folds and partitions
read a column as the whole table does."""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.validation import (
    counted_numbers,
    future_covariates,
    refuse_text,
    text_counts,
    text_numbers,
    validate,
    validate_like,
)

VIC = dict(target="Demand", time="Time_UTC", known_future=["Temperature"])
TEXT_ROWS = [100, 2000]


@pytest.fixture(scope="module")
def vic_last_60_days() -> pd.DataFrame:
    """The last 60 days of Victoria's half-hourly demand and temperature: 2,880 rows."""
    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"))
    return v[["Time_UTC", "Demand", "Temperature", "Holiday"]].tail(2880).reset_index(drop=True)


def with_text(df: pd.DataFrame, rows: list[int], text: list[str] | str = "--") -> pd.DataFrame:
    """``df`` with ``text`` in the Temperature cells of ``rows`` (a reading the sensor missed)."""
    out = df.assign(Temperature=df["Temperature"].astype(object))
    out.loc[rows, "Temperature"] = text
    return out


def test_two_dashes_among_temperatures_are_missing_values_not_levels(vic_last_60_days) -> None:
    """Two '--' among 2,880 temperatures made the column a categorical covariate of 241 levels
    (its numbers as labels). It is numbers, the '--' missing and carried forward within the
    series as missing covariate values are; so from a CSV file too (text read as strings)."""
    clean = vic_last_60_days
    panel = validate(with_text(clean, TEXT_ROWS), **VIC)
    assert panel.schema.categories == {}
    expected = clean["Temperature"].copy()
    expected[TEXT_ROWS] = clean["Temperature"][[r - 1 for r in TEXT_ROWS]].to_numpy()
    np.testing.assert_array_equal(panel.covariates["Temperature"].to_numpy(), expected.to_numpy())
    csv = io.StringIO(with_text(clean, TEXT_ROWS).to_csv(index=False))
    read = validate(pd.read_csv(csv), **VIC)
    assert read.schema.categories == {}
    np.testing.assert_array_equal(read.covariates["Temperature"].to_numpy(), expected.to_numpy())


def test_more_text_than_a_few_placeholders_stays_a_label(vic_last_60_days) -> None:
    """The rule's bounds, as on the tabular side: four distinct text values, or text in a fifth
    of the rows, make a column of labels (categorical), not of numbers."""
    four = with_text(vic_last_60_days, [1, 2, 3, 4], ["--", "n/a", "?", "x"])
    assert "Temperature" in validate(four, **VIC).schema.categories
    fifth = with_text(vic_last_60_days, list(range(0, 2880, 5)))
    assert "Temperature" in validate(fifth, **VIC).schema.categories


def test_text_among_numbers_is_left_out_of_a_mean_when_rolled_up(vic_last_60_days) -> None:
    """Half-hours averaged to hours (aggregate='mean'): an hour with a '--' half-hour is the
    other half-hour's temperature (the column was rolled up by its most frequent value)."""
    hours = validate(with_text(vic_last_60_days, TEXT_ROWS), **VIC, aggregate="mean", freq="h")
    temps = vic_last_60_days["Temperature"].to_numpy().reshape(-1, 2)
    expected = temps.mean(axis=1)
    for r in TEXT_ROWS:
        expected[r // 2] = temps[r // 2, 1 - r % 2]
    np.testing.assert_allclose(hours.covariates["Temperature"].to_numpy(), expected)


def test_text_in_later_tables_is_missing_in_the_history_and_refused_in_the_future(
    vic_last_60_days, caplog
) -> None:
    """A column numeric at fit: text in a history= table is read as missing and filled, with a
    warning naming it and its rows (more distinct text values than the rule's are refused);
    text at a step of the future= table is refused, as a missing value there is, naming it."""
    text = with_text(vic_last_60_days, TEXT_ROWS)
    panel = validate(text, **VIC)
    with caplog.at_level(logging.WARNING, logger="tsauto.forecasting.validation"):
        history = validate_like(text, panel.schema)
    assert "column 'Temperature' of the history table: numbers, but for the text value(s) '--' in 2 " \
        "of 2880 rows (rows 100, 2000): read as missing values" in caplog.text
    pd.testing.assert_frame_equal(history.covariates, panel.covariates)
    four = with_text(vic_last_60_days, [1, 2, 3, 4], ["--", "n/a", "?", "x"])
    with pytest.raises(DataValidationError, match=r"'Temperature' of the history table was numeric at fit .*'--', 'n/a', '\?'"):
        validate_like(four, panel.schema)

    after = pd.Timestamp(panel.times[-1]) + pd.Timedelta(minutes=30)
    future = pd.DataFrame({
        "Time_UTC": pd.date_range(after, periods=48, freq="30min").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Temperature": vic_last_60_days["Temperature"].tail(48).to_numpy(),
    })
    assert not np.isnan(future_covariates(future, panel, 48)["Temperature"]).any()
    with pytest.raises(DataValidationError, match=(
        r"'Temperature' of the future table is missing at row 3 \(2014-12-31 "
        r"14:30:00\+00:00 \(Wednesday\)\), where it holds the text '--' .*give numbers there\.$"
    )):
        future_covariates(with_text(future, [3]), panel, 48)


# --------------------------------------------------------------------------------------------
# the rule decided once, on the whole table: a hierarchy's nodes, a backtest's folds, partitions

WALMART = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["Temperature"])


@pytest.fixture(scope="module")
def walmart_temperatures() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Walmart stores 1 and 2, departments 1 and 2, with each store's weekly temperature
    (features.csv) as text, two readings '--' (store 1's at row 5, store 2's at row 300); and
    the temperatures of the 4 weeks after the table, by store."""
    from tsauto import datasets

    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    features = pd.read_csv(shared_file("forecasting/walmart_store_sales/features.csv"), parse_dates=["Date"])
    df = datasets.load_walmart()
    df = df[df["Store"].isin([1, 2]) & df["Dept"].isin([1, 2])]
    df = df.drop(columns="IsHoliday").merge(features[["Store", "Date", "Temperature"]], on=["Store", "Date"])
    df["Temperature"] = df["Temperature"].astype(str).astype(object)
    df.loc[[5, 300], "Temperature"] = "--"
    later = features[(features["Date"] > df["Date"].max()) & features["Store"].isin([1, 2])]
    return df, later[later["Date"] <= df["Date"].max() + pd.Timedelta(weeks=4)]


def test_a_hierarchy_averages_a_column_of_numbers_with_text_cells(walmart_temperatures, monkeypatch) -> None:
    """Temperatures with two '--' were aggregated to the nodes as labels, by their most frequent
    value (the total's first week: one store's 40.19 F, not the stores' mean 41.25 F), at fit,
    in future= and history= (the text rule ran on the nodes, after the aggregation chose). They
    are numbers, the '--' missing, averaged over each node's series; text in future= is refused
    naming the row of the table given (not of the nodes'), as without hierarchy."""
    df, later = walmart_temperatures
    fc = Forecaster(**WALMART, horizon=4, hierarchy=["Store", "Dept"], learners=["lightgbm"]).fit(df)
    base = fc.hierarchy_.base
    assert base.history_.schema.categories == {}
    temps = df.assign(Temperature=pd.to_numeric(df["Temperature"], errors="coerce"))
    first = temps[temps["Date"] == temps["Date"].min()].groupby("Store")["Temperature"].first()
    at = base.history_.keys.index[base.history_.keys["node"] == "total"][0]
    total = base.history_.covariates["Temperature"].to_numpy()[base.history_.indptr[at]]
    assert total == pytest.approx(first.mean())  # 41.25, the stores' 42.31 and 40.19

    seen = []
    predict = type(base).predict
    monkeypatch.setattr(type(base), "predict", lambda self, future=None, history=None: seen.append(
        (future, history)) or predict(self, future=future, history=history))
    future = fc.make_future_frame()[["Store", "Dept", "Date"]].merge(later[["Store", "Date", "Temperature"]])
    fc.predict(future=future.astype({"Temperature": str}), history=df)
    nodes, history = seen[-1]
    expected = later.groupby("Date")["Temperature"].mean().to_numpy()
    np.testing.assert_allclose(nodes.loc[nodes["node"] == "total", "Temperature"].to_numpy(dtype=float), expected)
    assert history.loc[history["node"] == "total", "Temperature"].iloc[0] == pytest.approx(first.mean())
    text = future.astype({"Temperature": object})
    text.loc[3, "Temperature"] = "--"
    with pytest.raises(DataValidationError, match=(
        r"^column 'Temperature' of the future table holds the text '--' at row 3 \(read as missing: "
        r"the column was numeric at fit\)")):
        fc.predict(future=text)


def test_a_nested_backtest_reads_its_folds_as_the_whole_table(vic_last_60_days, monkeypatch) -> None:
    """Two '--' in the last day (after every cutoff): each fold's fit decided the rule on its
    own rows, which hold no text, and read the temperatures, strings of an object column, as a
    categorical of 2,000 levels: the backtest scored another model than fit builds (its future
    temperatures unseen levels, read as missing). The folds read them as the whole table
    does: numbers, the backtest's forecasts those of the same table with the cells empty."""
    fits = []
    fit = Forecaster.fit
    monkeypatch.setattr(Forecaster, "fit", lambda self, data: fits.append(fit(self, data)) or fits[-1])
    fc = Forecaster(**VIC, horizon=48, learners=["lightgbm"])
    text = fc.backtest(with_text(vic_last_60_days, [2870, 2875]), folds=2)
    assert len(fits) == 2 and all(f.history_.schema.categories == {} for f in fits)
    empty = vic_last_60_days.copy()
    empty.loc[[2870, 2875], "Temperature"] = np.nan
    pd.testing.assert_frame_equal(text.forecasts, fc.backtest(empty, folds=2).forecasts)


def test_partitions_read_a_column_as_the_whole_table(walmart_temperatures) -> None:
    """Both '--' are department 1's: department 2's partition, which holds none, read its
    temperatures (strings) as a categorical covariate, department 1's as numbers. Every
    partition reads them as the whole table does: numbers."""
    df, _ = walmart_temperatures
    assert set(df.loc[df["Temperature"] == "--", "Dept"]) == {1}
    fc = Forecaster(**WALMART, horizon=4, partition_by="Dept", learners=["naive"], compute={"n_jobs": 1}).fit(df)
    assert [child.history_.schema.categories for child in fc.partitions_.values()] == [{}, {}]


def test_the_text_counts_of_parts_decide_as_the_whole_table(vic_last_60_days) -> None:
    """A table in parts (a Dask DataFrame's partitions) is decided by the sum of their counts
    of text, as the whole table is by the rule: two '--' are numbers, four distinct text values
    or text in a fifth of the rows labels, and a ``category`` column labels."""
    tables = {
        "two dashes": (with_text(vic_last_60_days, TEXT_ROWS), ("Temperature",)),
        "four values": (with_text(vic_last_60_days, [1, 2, 3, 4], ["--", "n/a", "?", "x"]), ()),
        "a fifth": (with_text(vic_last_60_days, list(range(0, 2880, 5))), ()),
        "category": (with_text(vic_last_60_days, TEXT_ROWS).astype({"Temperature": "category"}), ()),
    }
    for name, (table, expected) in tables.items():
        parts = [table.iloc[:100], table.iloc[100:2500], table.iloc[2500:]]  # no text in the last
        assert counted_numbers(text_counts(p, ["Temperature", "Holiday"]) for p in parts) == expected, name
        assert text_numbers(table, ["Temperature", "Holiday"]) == expected, name


# --------------------------------------------------------------------------------------------
# flags written as text: 'True' and 'False' in a later table's column of flags at fit


def test_true_and_false_written_as_text_are_the_flags_of_a_boolean_column(walmart_small) -> None:
    """Walmart's IsHoliday, a bool column at fit, given as the text 'False'/'True' (a future
    table whose column came as strings) was refused as text in a column "numeric at fit", and
    read as missing in a history= table. Text flags in any case are read as the flags pandas
    reads from a CSV column of them; other text in such a column is named alone, as such."""
    sales = walmart_small[walmart_small["Dept"] <= 2]
    cut = pd.Timestamp("2012-08-31")
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], known_future=["IsHoliday"])
    panel = validate(sales[sales["Date"] <= cut], **kw)
    future = sales[sales["Date"] > cut].drop(columns="Weekly_Sales")
    flags = future_covariates(future, panel, 4)["IsHoliday"]
    assert flags[:, 0].tolist() == [1.0, 1.0] and flags[:, 1:].sum() == 0  # Labor Day week, then none
    text = future.astype({"IsHoliday": str})
    np.testing.assert_array_equal(future_covariates(text, panel, 4)["IsHoliday"], flags)
    cases = text.assign(IsHoliday=text["IsHoliday"].map({"True": " TRUE", "False": "false"}).astype("string"))
    np.testing.assert_array_equal(future_covariates(cases, panel, 4)["IsHoliday"], flags)

    history = validate_like(sales[sales["Date"] <= cut].astype({"IsHoliday": str}), panel.schema)
    pd.testing.assert_frame_equal(history.covariates, panel.covariates)
    refuse_text(text, ["IsHoliday"], "the future table")  # a hierarchy's future table, before its nodes

    row = text.index[(text["Dept"] == 2) & (text["Date"] == cut + pd.Timedelta(weeks=2))][0]  # its own label
    text.loc[row, "IsHoliday"] = "no"
    with pytest.raises(DataValidationError, match=(
        rf"missing at row {row} \(2012-09-14 \(Friday\)\) in series "
        r"\[\{'Store': 1, 'Dept': 2\}\], "
        r"where it holds the text 'no' \(read as missing: the column held 1/0 or True/False at fit\): "
        r"known-future covariates need a value at every future step; give numbers or True/False there\.$"
    )):
        future_covariates(text, panel, 4)
