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
