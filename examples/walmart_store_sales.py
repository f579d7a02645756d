"""Forecast Walmart store × department weekly sales (3,331 series), 8 weeks ahead.

Uses ``IsHoliday`` as a known-future covariate and US holiday features, backtests the last
three 8-week windows against seasonal naive, then forecasts the 8 weeks after the data.

    TSAUTO_DATA=../shared/datasets python examples/walmart_store_sales.py

The data are the Kaggle "Walmart Recruiting: Store Sales Forecasting" files; see
``tsauto.datasets.load_walmart`` for where to put them.
"""

from __future__ import annotations

import logging

import pandas as pd

from tsauto import Forecaster, datasets

H = 8


def forecaster() -> Forecaster:
    """The example's forecaster (tests/test_examples.py fits it on a few series)."""
    return Forecaster(
        target="Weekly_Sales",
        time="Date",
        ids=["Store", "Dept"],
        horizon=H,
        holidays="US",
        known_future=["IsHoliday"],
        data={"fill": "zero"},  # a week without a row is a week without sales
        quantiles=[0.1, 0.9],
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    sales = datasets.load_walmart()
    fc = forecaster()
    backtest = fc.backtest(sales, folds=3)
    print(backtest.summary[["model", "mase", "smape", "wape"]].round(3).to_string(index=False))

    fc.fit(sales)
    # the holiday weeks after the data are known in advance: Thanksgiving and Christmas 2012
    future = fc.make_future_frame()
    future["IsHoliday"] = future["Date"].isin(pd.to_datetime(["2012-11-23", "2012-12-28"]))
    forecasts = fc.predict(future=future)
    print(forecasts.head(10).to_string(index=False))
    print(f"{forecasts[['Store', 'Dept']].drop_duplicates().shape[0]} series forecast")


if __name__ == "__main__":
    main()
