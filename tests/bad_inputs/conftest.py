"""Small real tables for the bad-input catalogue."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_file

from tsauto import datasets
from tsauto.core.exceptions import DatasetNotFoundError


@pytest.fixture(scope="session")
def retail() -> pd.DataFrame:
    """Three Tasmanian retail turnover series, monthly from 2010 (108 months each)."""
    aus = datasets.load_aus_retail()
    df = aus[aus["State"] == "Tasmania"]
    df = df[df["Industry"].isin(sorted(df["Industry"].unique())[:3])]
    df = df[df["Month"] >= "2010-01-01"].drop(columns="Series ID")
    return df.sort_values(["Industry", "Month"]).reset_index(drop=True)


@pytest.fixture(scope="session")
def vic_elec() -> pd.DataFrame:
    """Four days of Victorian electricity demand (half-hourly) across the end of daylight
    saving on 2012-04-01: ``Time_local`` strings carry +1100 then +1000 offsets."""
    df = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz"))
    keep = (df["Time_UTC"] >= "2012-03-30") & (df["Time_UTC"] < "2012-04-03")
    return df[keep].reset_index(drop=True)


def _tabular(name: str, rows: int) -> tuple[pd.DataFrame, str]:
    try:
        df, target, _ = datasets.load_tabular(name)
    except DatasetNotFoundError as err:
        pytest.skip(f"needs a real data set: {err}")
    return df.sample(rows, random_state=0).reset_index(drop=True), target


@pytest.fixture(scope="session")
def credit() -> tuple[pd.DataFrame, str]:
    """200 rows of German credit: categorical columns, string target good/bad."""
    return _tabular("credit_g", 200)


@pytest.fixture(scope="session")
def housing() -> tuple[pd.DataFrame, str]:
    """200 rows of California housing: numeric target, one categorical column."""
    return _tabular("california_housing", 200)
