"""Shared fixtures: small slices of real data sets (bundled, or in ../shared/datasets)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from tsauto import datasets

# `make test` draws the same examples on every run (a red CI names a change, not a draw);
# HYPOTHESIS_PROFILE=explore draws new ones, to look for bugs.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SHARED = Path(
    os.environ.get("TSAUTO_DATA") or Path(__file__).resolve().parents[2] / "shared" / "datasets"
)


def shared_file(relative: str) -> Path:
    """Path of a file in ../shared/datasets; skips the test, naming the file, when absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"needs {path} (real data set, see ../shared/datasets/README.md)")
    return path


@pytest.fixture(scope="session")
def aus_retail() -> pd.DataFrame:
    """The bundled Australian retail turnover table (152 monthly series)."""
    return datasets.load_aus_retail()


@pytest.fixture(scope="session")
def aus_small(aus_retail: pd.DataFrame) -> pd.DataFrame:
    """Twelve Australian retail series (two states), the last 20 years."""
    df = aus_retail[aus_retail["State"].isin(["Tasmania", "Victoria"])]
    df = df[df["Industry"].isin(df["Industry"].unique()[:6])]
    return df[df["Month"] >= "1999-01-01"].drop(columns="Series ID").reset_index(drop=True)


@pytest.fixture(scope="session")
def m4_weekly_small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Twenty M4 Weekly series (integer time), train and test parts."""
    shared_file("forecasting/m4/Weekly-long.csv.gz")
    train, test = datasets.load_m4("weekly")
    keep = train["unique_id"].unique()[:20]
    return (
        train[train["unique_id"].isin(keep)].reset_index(drop=True),
        test[test["unique_id"].isin(keep)].reset_index(drop=True),
    )


@pytest.fixture(scope="session")
def walmart_small() -> pd.DataFrame:
    """Walmart store 1, departments 1-10 (weekly, IsHoliday known-future)."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart()
    return df[(df["Store"] == 1) & (df["Dept"] <= 10)].reset_index(drop=True)


@pytest.fixture(scope="session")
def shipped_monthly():
    """pmdarima's wineind and AirPassengers, statsmodels' elec_equip: three monthly series."""
    import pmdarima as pm
    from statsmodels.datasets import elec_equip

    from tsauto.forecasting.validation import validate

    wine = pm.datasets.load_wineind(as_series=True)
    air = pm.datasets.load_airpassengers(as_series=True)
    elec = elec_equip.load_pandas().data.iloc[:, 0]
    parts = [
        ("wineind", pd.to_datetime(wine.index, format="%b %Y"), wine.to_numpy()),
        ("airpassengers", pd.date_range("1949-01-01", periods=len(air), freq="MS"), air.to_numpy()),
        ("elec_equip", pd.DatetimeIndex(elec.index), elec.to_numpy()),
    ]
    df = pd.concat(
        [pd.DataFrame({"unique_id": name, "month": t, "y": v}) for name, t, v in parts],
        ignore_index=True,
    )
    return validate(df, target="y", time="month", ids="unique_id")


@pytest.fixture(scope="session")
def walmart_holiday_split():
    """Walmart store 1, departments 1 and 2, up to 2011-10-28 (IsHoliday known-future), and
    the IsHoliday flags of the next 10 weeks (two holiday weeks)."""
    from tsauto.forecasting.validation import validate

    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart()
    sub = df[(df["Store"] == 1) & df["Dept"].isin([1, 2])]
    cut = pd.Timestamp("2011-10-28")
    panel = validate(
        sub[sub["Date"] <= cut],
        target="Weekly_Sales",
        time="Date",
        ids=["Store", "Dept"],
        known_future=["IsHoliday"],
    )
    dates = pd.date_range(cut, periods=11, freq=panel.schema.freq)[1:]
    flags = sub[sub["Dept"] == 1].set_index("Date").loc[dates, "IsHoliday"].to_numpy(float)
    return panel, flags


@pytest.fixture(scope="module")
def client():
    """A real ``distributed.LocalCluster`` of two single-thread worker processes, one per test
    module. A task whose worker dies is not retried elsewhere (as the README advises: a trial
    that kills one worker would kill the next). A worker restarted by its nanny is waited for
    2 minutes, not 15 s: under a loaded machine's test run a restart took longer, and the
    cluster closed the nanny for good (``lost-worker-timeout``), failing the module's later tests."""
    pytest.importorskip("distributed")
    import dask
    import distributed

    config = {"distributed.scheduler.allowed-failures": 0, "distributed.deploy.lost-worker-timeout": "120s"}
    with dask.config.set(config), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield c
