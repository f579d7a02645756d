"""What the history rules out is not forecast: non-negative and discontinued series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsauto import Forecaster
from tsauto.forecasting.guards import Guards, discontinued
from tsauto.forecasting.validation import validate

KW = dict(target="Turnover", time="Month", ids=["State", "Industry"])


def _panel(df: pd.DataFrame):
    return validate(df, **KW)


def _zero_tail(df: pd.DataFrame, industry: str, months: int) -> pd.DataFrame:
    """The real table with one series' last ``months`` values set to zero (a discontinued
    product line)."""
    df = df.copy()
    rows = df.index[(df["State"] == "Tasmania") & (df["Industry"] == industry)][-months:]
    df.loc[rows, "Turnover"] = 0.0
    return df


def test_discontinued_needs_a_season_of_zeros_longer_than_any_before(aus_small) -> None:
    industry = aus_small["Industry"].unique()[0]
    stopped = _panel(_zero_tail(aus_small, industry, 12))
    recent = _panel(_zero_tail(aus_small, industry, 5))
    hit = stopped.keys.index[(stopped.keys["State"] == "Tasmania") & (stopped.keys["Industry"] == industry)]
    assert discontinued(stopped, 12)[hit].all()
    assert discontinued(stopped, 12).sum() == 1
    assert not discontinued(recent, 12).any()
    # a pause as long once before, with activity after it: the data say it may come back
    df = _zero_tail(aus_small, industry, 12)
    rows = df.index[(df["State"] == "Tasmania") & (df["Industry"] == industry)]
    df.loc[rows[-40:-26], "Turnover"] = 0.0
    assert not discontinued(_panel(df), 12).any()


def test_discontinued_series_forecast_zero_others_untouched(aus_small) -> None:
    industry = aus_small["Industry"].unique()[0]
    df = _zero_tail(aus_small, industry, 12)
    fc = Forecaster(**KW, horizon=6, learners=["theta"]).fit(df)
    out = fc.predict()
    stopped = (out["State"] == "Tasmania") & (out["Industry"] == industry)
    assert (out.loc[stopped, "forecast"] == 0).all()
    assert (out.loc[~stopped, "forecast"] > 0).all()
    kept = Forecaster(**KW, horizon=6, learners=["theta"],
                      data={"discontinued": False, "non_negative": False})
    kept = kept.fit(df).predict()
    assert kept.loc[stopped, "forecast"].abs().sum() > 0  # theta's drift is not zero


def test_non_negative_clips_only_series_never_negative(walmart_small) -> None:
    panel = validate(walmart_small, target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    negative_before = np.add.reduceat((panel.y < 0).astype(int), panel.indptr[:-1]) > 0
    assert negative_before.any() and (~negative_before).any()  # real returns in some depts
    mean = np.full((panel.n_series, 4), -5.0)
    quantiles = {0.1: mean - 1, 0.9: mean + 1}
    out, q, reason = Guards("auto", discontinued=False).apply(panel, mean, quantiles, 52, 4)
    assert (out[~negative_before] == 0).all() and (q[0.1][~negative_before] == 0).all()
    assert (out[negative_before] == -5).all()
    assert (reason[~negative_before] != "").all()
    off, _, _ = Guards(False, discontinued=False).apply(panel, mean, quantiles, 52, 4)
    assert (off == -5).all()
    everyone, _, _ = Guards(True, discontinued=False).apply(panel, mean, quantiles, 52, 4)
    assert (everyone == 0).all()
