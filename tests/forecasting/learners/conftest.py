"""Real series for the statistical learners' tests: a fixed sample of M1 per period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared_file

M1_HORIZON = {"YEARLY": 6, "QUARTERLY": 8, "MONTHLY": 18}
M1_SEASON = {"YEARLY": 1, "QUARTERLY": 4, "MONTHLY": 12}


@pytest.fixture(scope="session")
def m1_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """M1 train, test and info tables (skips when ../shared/datasets lacks them)."""
    train = pd.read_csv(shared_file("forecasting/m1/M1-train.csv.gz"))
    test = pd.read_csv(shared_file("forecasting/m1/M1-test.csv.gz"))
    info = pd.read_csv(shared_file("forecasting/m1/M1-info.csv"))
    return train, test, info


@pytest.fixture(scope="session")
def m1_sample(m1_tables):
    """``sample(period, k)``: ``k`` evenly spaced M1 series of ``period`` as (train, test) arrays."""
    train, test, info = m1_tables

    def sample(period: str, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        ids = sorted(info.loc[info["period"] == period, "unique_id"])
        ids = [ids[i] for i in np.linspace(0, len(ids) - 1, k).astype(int)]
        tr = {u: g["y"].to_numpy(float) for u, g in train[train["unique_id"].isin(ids)].groupby("unique_id")}
        te = {u: g["y"].to_numpy(float) for u, g in test[test["unique_id"].isin(ids)].groupby("unique_id")}
        return [(tr[u], te[u]) for u in ids]

    return sample
