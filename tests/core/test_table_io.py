"""Reading tables from files: what a CSV holds comes back as the user wrote it."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsauto.core.exceptions import DataValidationError
from tsauto.core.table_io import read_table


@pytest.mark.parametrize("sep", [",", ";"])
def test_series_codes_with_leading_zeros_stay_text(aus_small: pd.DataFrame, tmp_path: Path, sep: str) -> None:
    """Store codes '0012' and postcodes '0800' were read as 12 and 800: the forecasts' ids
    matched none of the user's. Only the columns named as codes: a month written '01'..'12' or
    a time step '007' stays a number, as do codes written without leading zeros."""
    codes = {name: f"{i:04d}" for i, name in enumerate(sorted(aus_small["Industry"].unique()))}
    df = aus_small.assign(code=aus_small["Industry"].map(codes), month=aus_small["Month"].dt.strftime("%m"),
                          plain=aus_small["Industry"].map(codes).astype(int) + 10)
    path = tmp_path / "retail.csv"
    df.to_csv(path, index=False, sep=sep)
    read = read_table(path, codes=["code", "plain", "absent"])
    assert read["code"].tolist() == df["code"].tolist() and read["code"].iloc[0] == "0000"
    assert pd.api.types.is_integer_dtype(read["plain"]) and pd.api.types.is_integer_dtype(read["month"])
    assert read["Turnover"].tolist() == pytest.approx(df["Turnover"].tolist())
    assert pd.api.types.is_integer_dtype(read_table(path)["code"])  # not named: as pandas reads it


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_header_repeating_a_name_is_refused(aus_small: pd.DataFrame, tmp_path: Path, sep: str, caplog) -> None:
    """pandas reads a repeated name of a CSV header as 'Turnover' and 'Turnover.1': the table
    was read as two columns, silently (a user test's credit file); refused as a DataFrame's is."""
    path = tmp_path / "twice.csv"
    pd.concat([aus_small, aus_small[["Turnover"]]], axis=1).to_csv(path, index=False, sep=sep)
    with pytest.raises(DataValidationError) as err:
        read_table(path)
    assert str(err.value) == f"file '{path}' has more than one column named ['Turnover']: rename or drop the copies."
    aus_small.rename(columns={"Month": "Turnover.1"}).to_csv(path, index=False, sep=sep)  # a name pandas would make
    assert "Turnover.1" in read_table(path).columns
    aus_small.assign(a=np.nan, b=np.nan).rename(columns={"a": "", "b": " "}).to_csv(path, index=False, sep=sep)
    assert list(read_table(path).columns) == list(aus_small.columns)  # a spreadsheet's empty columns: not features
    aus_small.rename(columns={"Turnover": ""}).to_csv(path, index=False, sep=sep)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        assert read_table(path)[f"Unnamed: {list(aus_small.columns).index('Turnover')}"].notna().all()
    assert "1 column(s) hold values under a blank header cell" in caplog.text


def test_numbers_with_thousands_separators_in_a_csv_file_are_read_as_numbers(
    walmart_small: pd.DataFrame, tmp_path: Path
) -> None:
    """A sales file written '24,924.50' (a user test): refused at fit with a pandas fix a command
    line user cannot apply, though the tabular side reads such numbers. Read as numbers where
    every value of the column reads so (the tabular side's rule), '1,374' alone too (a later
    table of values over 1,000 was refused as ambiguous though its fit's read: a review); with
    a placeholder ('--'), its separators removed, for the columns' own rule; codes are left as
    written, as is a semicolon file's '1,5' (decimal commas)."""
    sales = walmart_small["Weekly_Sales"]
    whole = (sales.abs() + 1000).round()
    df = walmart_small.assign(Weekly_Sales=sales.map("{:,.2f}".format), whole=whole.map("{:,.0f}".format),
                              code=sales.abs().round().map("{:,.0f}".format), label="a, b",
                              marked=sales.map("{:,.2f}".format).where(sales.index != 3, "--"))
    path = tmp_path / "sales.csv"
    df.to_csv(path, index=False)
    read = read_table(path, codes=["code"])
    assert read["Weekly_Sales"].dtype == "float64"
    np.testing.assert_array_equal(read["Weekly_Sales"], sales.map("{:.2f}".format).astype(float))
    np.testing.assert_array_equal(read["whole"], whole)  # '25,924': thousands, in a file of commas
    assert read["marked"].iloc[3] == "--" and read["marked"].iloc[0] == f"{sales.iloc[0]:.2f}"
    assert read["code"].tolist() == df["code"].tolist() and read["label"].iloc[0] == "a, b"
    semicolons = tmp_path / "semicolons.csv"
    df.assign(Weekly_Sales=sales.map("{:.1f}".format).str.replace(".", ",")).to_csv(semicolons, sep=";", index=False)
    np.testing.assert_array_equal(read_table(semicolons)["Weekly_Sales"], sales.map("{:.1f}".format).astype(float))


def test_rows_read_with_lines_are_labelled_by_their_lines_in_the_file(aus_small: pd.DataFrame, tmp_path: Path) -> None:
    """The command line's tables: errors named rows by their position from 0 ('rows 10, 5400'),
    while the user reads the file's lines (12, 5402; a user test). Read with lines=True, each row
    is labelled by its line (the header line 1), which errors name as lines; where a row is not
    one line (a blank line, a value over two lines), by position as before. The file is kept."""
    from tsauto.core.exceptions import LINE, describe_rows
    from tsauto.core.table_io import table_name

    path = tmp_path / "retail.csv"
    aus_small.to_csv(path, index=False)
    read = read_table(path, lines=True)
    assert read.index.name == LINE and list(read.index[:3]) == [2, 3, 4] and read.index[-1] == len(aus_small) + 1
    assert describe_rows(read.index[[8, 9]]) == "lines 10, 11" and describe_rows(read.index[:1]) == "line 2"
    assert describe_rows(pd.RangeIndex(3)) == "rows 0, 1, 2"
    assert list(read_table(path).index[:2]) == [0, 1]  # as pandas reads it, without lines=
    assert table_name(read, "the future table") == f"the future table {str(path)!r}"
    assert table_name(read, "the future table") == "the future table"  # taken off: not carried further
    assert table_name(aus_small, "the future table") == "the future table"
    from tsauto import Forecaster

    fc = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=2, learners=["naive"])
    fc.fit(read_table(path, lines=True))  # pandas carried the file into the forecasts and the future frame
    assert "file" not in fc.predict().attrs and "file" not in fc.make_future_frame().attrs
    gz = tmp_path / "retail.csv.gz"
    aus_small.to_csv(gz, index=False)
    assert list(read_table(gz, lines=True).index[:2]) == [2, 3]
    blank = tmp_path / "blank.csv"
    blank.write_text(path.read_text().replace("\n", "\n\n", 3))
    read = read_table(blank, lines=True)
    assert len(read) == len(aus_small) and read.index.name is None and read.index[0] == 0
