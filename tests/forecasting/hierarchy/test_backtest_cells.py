"""Forecaster.backtest with a hierarchy: each fold forecasts from the cutoff common to every node
(known-future covariates included, for series with a gap at the cutoff or ending before it),
and only observations are scored (not a closed series' zeros, nor imputed values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster, datasets


@pytest.fixture(scope="module")
def walmart_gaps() -> pd.DataFrame:
    """Store 1's departments 1 and 2 (every week), 45 (no row from 2012-02-10 to 2012-09-07)
    and 47 (a few rows, the last on 2012-09-28, four weeks before the others' end)."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    w = datasets.load_walmart()
    return w[(w["Store"] == 1) & w["Dept"].isin([1, 2, 45, 47])].reset_index(drop=True)


@pytest.mark.parametrize("mode", ["nested", "refit"])
def test_known_future_backtest_of_series_with_a_gap_at_the_cutoff_or_ended(walmart_gaps, mode) -> None:
    """Each fold's future table began after each series' own last row before the cutoff, where
    the fold's fit carries every series to the cutoff: "the future table lacks 8 of the 24
    (series, time) rows ... add them", in both modes."""
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
                    known_future=["IsHoliday"], hierarchy=["Store", "Dept"], learners=["lightgbm"])
    if mode == "refit":
        fc.fit(walmart_gaps)
    result = fc.backtest(walmart_gaps, folds=2, mode=mode)
    f = result.forecasts
    assert f.groupby("fold")["cutoff"].nunique().eq(1).all()  # one origin for every node
    assert result.by_level["nodes"].tolist() == [1, 1, 4] and np.isfinite(result.by_level["mase"]).all()
    rows = walmart_gaps.set_index(["Dept", "Date"]).index
    bottom = f[f["level"] == "Store/Dept"]
    assert pd.MultiIndex.from_frame(bottom[["Dept", "Date"]]).isin(rows).all()  # observations only
    assert set(bottom.loc[bottom["Dept"] == 45, "Date"].astype(str)) >= {"2012-09-07", "2012-10-26"}


@pytest.fixture(scope="module")
def closed_and_gappy(aus_small: pd.DataFrame) -> pd.DataFrame:
    """Four Australian retail series since 2012: one closed after 2017-06 (no rows after), one
    missing two months inside the last folds (interpolated)."""
    df = aus_small[(aus_small["Month"] >= "2012-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    first = df["Industry"].iloc[0]
    closed = (df["State"] == "Tasmania") & (df["Industry"] == first) & (df["Month"] > "2017-06-01")
    gap = (df["State"] == "Victoria") & (df["Industry"] == first) & df["Month"].isin(pd.to_datetime(["2018-03-01", "2018-04-01"]))
    return df[~closed & ~gap].reset_index(drop=True)


def test_only_observations_are_scored_alike_in_both_modes(closed_and_gappy) -> None:
    """The closed series was scored with actual 0 after its end (sMAPE 200 against a forecast of
    -4e-10, or a perfect 0 in refit mode) and the interpolated months as if observed; now
    neither is, in nested and refit mode alike, while every aggregate cell still is."""
    fc = Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6,
                    hierarchy=[["State"], ["Industry"]], learners=["naive", "seasonal_naive"])
    nested = fc.backtest(closed_and_gappy, folds=2)
    refit = fc.fit(closed_and_gappy).backtest(closed_and_gappy, folds=2, mode="refit")
    observed = pd.MultiIndex.from_frame(closed_and_gappy[["State", "Industry", "Month"]])
    for result in (nested, refit):
        f = result.forecasts
        bottom = f[f["level"] == "State/Industry"]
        assert pd.MultiIndex.from_frame(bottom[["State", "Industry", "Month"]]).isin(observed).all()
        assert len(bottom) == 4 * 12 - 12 - 2  # the closed series' 12 months and the 2 missing ones
        assert len(f[f["level"] == "total"]) == 12
        assert result.per_series["smape"].max() < 100
    cells = ["node", "Month", "actual"]
    pd.testing.assert_frame_equal(nested.forecasts[cells], refit.forecasts[cells])
