"""Covariates of numbers with a few text cells ("--") are read as numbers, those cells missing,
at fit and in the later tables, by the rule of the tabular side (:mod:`tsauto.core.text_in_numbers`)."""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.validation import future_covariates, validate, validate_like

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
        r"'Temperature' of the future table is missing at row 3 of the future grid \(2014-12-31 "
        r"14:30:00\+00:00 \(Wednesday\)\), where it holds the text '--' .*give numbers there\.$"
    )):
        future_covariates(with_text(future, [3]), panel, 48)
