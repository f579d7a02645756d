"""Covariate names LightGBM could not take (tsauto's own feature names, JSON characters) and
learners that fail on every trial, on real Walmart series (user test F27, F30)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster, datasets
from tsauto.forecasting.learners.lightgbm import LightGBMLearner

KW = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=8)
KNOWN = ["month", "Temp: avg [F]", "IsHoliday"]


@pytest.fixture(scope="module")
def messy() -> pd.DataFrame:
    """Walmart stores 1-2, departments 1-4, with the store's temperature as ``Temp: avg [F]``,
    its fuel price as ``Fuel, USD`` (a past covariate), its size as ``Size [sq ft]`` (static)
    and the month of the week as ``month`` (known-future, as the calendar's own ``month``)."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart(with_features=True)
    df = df[(df["Store"] <= 2) & (df["Dept"] <= 4)]
    df = df[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday", "Temperature", "Fuel_Price", "Size"]]
    df = df.rename(columns={"Temperature": "Temp: avg [F]", "Fuel_Price": "Fuel, USD", "Size": "Size [sq ft]"})
    return df.assign(month=df["Date"].dt.month).reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(messy: pd.DataFrame) -> tuple[Forecaster, pd.DataFrame]:
    """The default portfolio fitted on all but the last 8 weeks, and those weeks."""
    last = np.sort(messy["Date"].unique())[-8:]
    train, future = messy[~messy["Date"].isin(last)], messy[messy["Date"].isin(last)]
    return Forecaster(**KW, known_future=KNOWN).fit(train), future.drop(columns="Weekly_Sales")


def _lightgbm(fc: Forecaster) -> LightGBMLearner:
    return next(m.learner for _, m in fc.model_.members if m.learner.name == "lightgbm")


def test_the_default_lightgbm_fits_on_columns_named_like_its_features_or_with_json_characters(fitted) -> None:
    fc, future = fitted
    board = fc.leaderboard()
    assert (board.loc[board["learner"].str.startswith("lightgbm"), "status"] == "ok").all()
    assert "lightgbm" in set(board["learner"])
    learner = _lightgbm(fc)
    gains = learner.feature_importance()
    assert {"month", "month (calendar)", "Temp: avg [F]", "Fuel, USD_lag8", "Size [sq ft]"} <= set(gains)
    assert learner.boosters_[0].feature_name() == learner.spec_.model_names
    out = fc.predict(future=future)
    assert len(out) == 8 * 8 and np.isfinite(out["forecast"]).all()


def test_explain_names_the_users_columns(fitted) -> None:
    fc, future = fitted
    ex = fc.explain(series=[(1, 2)], steps=[1, 8], future=future)
    families = set(ex.importance["family"])
    assert {"month", "Temp: avg [F]", "Fuel, USD", "Size [sq ft]", "calendar", "target lags"} <= families
    c = ex.contributions
    assert {"month", "Temp: avg [F]", "Size [sq ft]", "calendar"} <= set(c.columns)
    named = [f for f in c.columns if f in families]
    np.testing.assert_allclose(c["base"] + c[named].sum(axis=1), c["prediction"], atol=1e-6)


@pytest.mark.parametrize(
    "column, known",
    [("month", True), ("Temp: avg [F]", True), ("Size [sq ft]", False), ("Fuel, USD", False)],
)
def test_lightgbm_alone_fits_on_each_such_column(messy: pd.DataFrame, column: str, known: bool) -> None:
    """With ``learners=["lightgbm"]`` each alone made the fit raise SearchFailedError
    ("Feature (month) appears more than one time", "special JSON characters")."""
    data = messy[[*KW["ids"], KW["time"], KW["target"], column]]
    fc = Forecaster(**KW, known_future=[column] if known else None, learners=["lightgbm"]).fit(data)
    assert any(name.startswith(column) for name in fc.model_.learner.feature_importance())


def test_a_learner_failing_every_trial_is_warned_of_and_the_covariates_it_read(messy, caplog) -> None:
    """LightGBM failing on every trial left the model without it and without a warning; the
    only hint said the known-future covariates were not used, as if LightGBM had lost."""
    learners = [LightGBMLearner(strategy="sideways"), "theta"]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**KW, known_future=["IsHoliday"], learners=learners).fit(messy)
    assert fc.model_.describe() == "theta"
    assert ("lightgbm failed on every trial and is not in the model: DataValidationError: "
            "strategy='sideways': use 'recursive' or 'direct'; see leaderboard()") in caplog.text
    assert ("known-future covariates ['IsHoliday'] are not used: lightgbm, which reads them, failed on "
            "every trial") in caplog.text
    assert "theta failed" not in caplog.text
