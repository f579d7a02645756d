"""``Forecaster(hierarchy=...)``: every level out, coherent, quantiles ordered."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tsauto import Forecaster

KW = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 6}


@pytest.fixture(scope="module")
def fitted(aus_small):
    fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["seasonal_naive", "theta"],
                    quantiles=[0.1, 0.9], reconcile="mint_shrink")
    return fc.fit(aus_small[aus_small["Month"] >= "2010-01-01"])


def test_every_level_out_and_coherent(fitted) -> None:
    bottom = fitted.predict()
    assert len(bottom) == 12 * 6 and {"State", "Industry"} <= set(bottom.columns)
    states = fitted.predict(level=["State"])
    assert len(states) == 2 * 6
    total = fitted.predict(level=[])
    assert len(total) == 6
    every = fitted.predict(level="all")
    assert "level" in every.columns and every["level"].nunique() == 4
    by_time = bottom.groupby("Month")["forecast"].sum().to_numpy()
    np.testing.assert_allclose(total["forecast"].to_numpy(), by_time, rtol=1e-6)
    per_state = bottom.groupby(["State", "Month"])["forecast"].sum().to_numpy()
    np.testing.assert_allclose(states.sort_values(["State", "Month"])["forecast"].to_numpy(), per_state, rtol=1e-6)
    assert (every["q0.1"] <= every["forecast"] + 1e-9).all() and (every["forecast"] <= every["q0.9"] + 1e-9).all()
    assert fitted.hierarchy_.reconciler.method == "mint_shrink"  # validation residuals existed


def test_nodes_without_validation_errors_are_logged_once(aus_small, caplog) -> None:
    """A series that starts within the last months has no validation errors: said once per
    fit, naming its node, not at every cutoff the choice of reconciler refits on."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    short = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df = df[~short | (df["Month"] >= df["Month"].max() - pd.DateOffset(months=2))]
    with caplog.at_level(logging.INFO, logger="tsauto"):
        Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive", "seasonal_naive"]).fit(df)
    said = [r.getMessage() for r in caplog.records if "fewer than 2 validation errors" in r.getMessage()]
    assert len(said) == 1 and "Tasmania" in said[0]


def test_a_bottom_series_without_rows_at_the_end_counts_zero_there(aus_small, caplog) -> None:
    """One series' last three months absent (a department closed): its parents sum the others
    there, so it is carried to the table's end with zeros, named in the log and the plan, and
    every node forecasts from the same origin (before, it was forecast from its own last month,
    three months earlier, with dates already in the table)."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    closed = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df = df[~closed | (df["Month"] <= df["Month"].max() - pd.DateOffset(months=3))]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df)
    said = [r.getMessage() for r in caplog.records if "counted 0 after their last row" in r.getMessage()]
    assert len(said) == 1 and "1 bottom series" in said[0] and "Tasmania" in said[0]
    assert not any("end before the last time of the others" in r.getMessage() for r in caplog.records)
    out = fc.predict(level="all")
    assert out.groupby("node")["Month"].min().nunique() == 1  # one origin
    bottom = out[(out["State"] == "Tasmania") & (out["Industry"] == df.loc[closed, "Industry"].iloc[0])]
    assert bottom["forecast"].abs().max() < 1e-6  # naive on its zeros


def test_a_bottom_series_ending_early_is_named(aus_small, caplog) -> None:
    """The last three months of one series not reported yet: it ends before the other nodes
    (its parents sum the others there), and the fit says so in the log and the plan notes."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])].copy()
    late = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df.loc[late & (df["Month"] > df["Month"].max() - pd.DateOffset(months=3)), "Turnover"] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df)
    said = [r.getMessage() for r in caplog.records if "end before the last time" in r.getMessage()]
    assert len(said) == 1 and "1 node(s)" in said[0] and "Tasmania" in said[0]
    assert any("end before the last time" in n for n in fc.hierarchy_.base.plan_.notes)
    complete = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df[~late])
    assert not any("end before" in n for n in complete.hierarchy_.base.plan_.notes)
