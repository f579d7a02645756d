"""Reading tables from files: what a CSV holds comes back as the user wrote it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tsauto.core.table_io import read_table


@pytest.mark.parametrize("sep", [",", ";"])
def test_integer_codes_with_leading_zeros_stay_text(aus_small: pd.DataFrame, tmp_path: Path, sep: str) -> None:
    """Store codes '0012' and postcodes '0800' were read as 12 and 800: the forecasts' ids
    matched none of the user's. Plain integers stay numbers."""
    codes = {name: f"{i:04d}" for i, name in enumerate(sorted(aus_small["Industry"].unique()))}
    df = aus_small.assign(code=aus_small["Industry"].map(codes), year=aus_small["Month"].dt.year)
    path = tmp_path / "retail.csv"
    df.to_csv(path, index=False, sep=sep)
    read = read_table(path)
    assert read["code"].tolist() == df["code"].tolist() and read["code"].iloc[0] == "0000"
    assert pd.api.types.is_integer_dtype(read["year"])
    assert read["Turnover"].tolist() == pytest.approx(df["Turnover"].tolist())
