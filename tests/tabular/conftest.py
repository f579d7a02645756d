"""Real tabular data sets for the tabular tests (skipped, naming the file, when absent)."""

from __future__ import annotations

import pandas as pd
import pytest

from tsauto import datasets
from tsauto.core.exceptions import DatasetNotFoundError


def _real(name: str, rows: int | None = None) -> tuple[pd.DataFrame, str]:
    """``(frame, target)`` of a data set of ``../shared/datasets``, or a seeded random sample of
    ``rows`` rows; skips the test, naming the file, when it is absent."""
    try:
        df, target, _ = datasets.load_tabular(name)
    except DatasetNotFoundError as err:
        pytest.skip(f"needs a real data set: {err}")
    if rows is not None and rows < len(df):
        df = df.sample(rows, random_state=0).reset_index(drop=True)
    return df, target


@pytest.fixture(scope="session")
def credit_g() -> tuple[pd.DataFrame, str]:
    """German credit: 1,000 rows, 13 categorical columns, string target good/bad."""
    return _real("credit_g")


@pytest.fixture(scope="session")
def adult_small() -> tuple[pd.DataFrame, str]:
    """1,500 rows of Adult: string target, missing values in three categorical columns."""
    return _real("adult", 1500)


@pytest.fixture(scope="session")
def adult_raw_small() -> pd.DataFrame:
    """1,500 rows of Adult's training file as the command line reads it: '?' kept as a value
    (``datasets.load_tabular`` reads it as missing)."""
    from tsauto.core.table_io import read_table

    found = datasets.available().set_index("dataset").loc["adult"]
    if not found["present"]:
        pytest.skip(f"needs a real data set: {found['file']}")
    return read_table(found["path"]).sample(1500, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def adult_test_small() -> pd.DataFrame:
    """1,000 rows of Adult's separate test file."""
    try:
        df, _, _ = datasets.load_tabular_test("adult")
    except DatasetNotFoundError as err:
        pytest.skip(f"needs a real data set: {err}")
    return df.sample(1000, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def phoneme_small() -> tuple[pd.DataFrame, str]:
    """1,200 rows of phoneme: numeric features, numeric-coded target Class 1/2."""
    return _real("phoneme", 1200)


@pytest.fixture(scope="session")
def bank_small() -> tuple[pd.DataFrame, str]:
    """4,000 rows of bank_marketing (without ``duration``): target y, 11.7 % "yes"."""
    return _real("bank_marketing", 4000)


@pytest.fixture(scope="session")
def kc1() -> tuple[pd.DataFrame, str]:
    """KC1 software defects: boolean target, imbalanced (15 % true)."""
    return _real("kc1")


@pytest.fixture(scope="session")
def california_small() -> tuple[pd.DataFrame, str]:
    """1,500 rows of California housing: missing values and a categorical column."""
    return _real("california_housing", 1500)


@pytest.fixture(scope="session")
def wine_quality() -> tuple[pd.DataFrame, str]:
    """Wine quality: 6,497 rows, integer target quality 3–9 (5 rows of 9)."""
    return _real("wine_quality")


@pytest.fixture(scope="session")
def abalone() -> tuple[pd.DataFrame, str]:
    """Abalone: 4,177 rows, seven measurements in (0, 3) and a sex code, integer target Rings."""
    return _real("abalone")


@pytest.fixture(scope="session")
def bike_small() -> tuple[pd.DataFrame, str]:
    """3,000 hours of bike rentals: a count target ``cnt`` (at least 1), dates, weather."""
    return _real("bike_sharing", 3000)
