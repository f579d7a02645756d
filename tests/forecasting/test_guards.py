"""What the history rules out is not forecast: non-negative and discontinued series."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from tsauto import Forecaster
from tsauto.forecasting.guards import CLIPPED, COLLAPSED, Guards, discontinued, far_outside
from tsauto.forecasting.validation import validate
from conftest import shared_file

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


def _m1_quarterly(*ids: str) -> pd.DataFrame:
    train = pd.read_csv(shared_file("forecasting/m1/M1-train.csv.gz"))
    return train[train["unique_id"].isin(ids)]


def test_a_forecast_clipped_to_zero_throughout_is_named_apart() -> None:
    """M1's QNC23 (2,830 to 14,817, then 3,584 in its last quarter): ARIMA(0,1,1) carries the
    fall on to -2,785; clipped, that is a flat zero the history never came near."""
    panel = validate(_m1_quarterly("QNC23", "QNC22"), target="y", time="ds", ids="unique_id")
    falls = (panel.keys["unique_id"] == "QNC23").to_numpy()[:, None]
    raw = np.where(falls, -2785.0, [[4200.0, -10.0, 4300.0, 4400.0]])
    mean, _, reason = Guards().apply(panel, raw, {}, 4, 4)
    row = dict(zip(panel.keys["unique_id"], reason))
    assert row == {"QNC23": COLLAPSED, "QNC22": CLIPPED}
    assert (mean >= 0).all()
    # a series that has been at zero before is clipped, not named apart
    zero_before = panel.y.copy()
    zero_before[panel.indptr[np.flatnonzero(falls)[0]]] = 0.0
    _, _, reason = Guards().apply(replace(panel, y=zero_before), raw, {}, 4, 4)
    assert (reason == CLIPPED).all()


def test_forecaster_warns_of_a_series_forecast_zero_throughout(caplog) -> None:
    df = _m1_quarterly("QNC23", "QNC22")
    fc = Forecaster(target="y", time="ds", ids="unique_id", horizon=8, learners=["auto_arima"]).fit(df)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fc.predict()
    assert (out.loc[out["unique_id"] == "QNC23", "forecast"] == 0).all()
    said = [r.getMessage() for r in caplog.records if "never reached zero" in r.getMessage()]
    assert len(said) == 1 and "QNC23 (history min 2830)" in said[0] and "QNC22" not in said[0]


def test_forecasts_far_outside_the_history_are_named(aus_small) -> None:
    """Beyond five widths of the history's range (a width grown by horizon / length for a
    history shorter than the horizon); a constant history is never named."""
    panel = _panel(aus_small)
    y = panel.y.reshape(panel.n_series, -1)  # series of one length
    lo, hi = y.min(axis=1), y.max(axis=1)
    mean = np.tile(((lo + hi) / 2)[:, None], (1, 6))
    assert not far_outside(panel, mean).any()
    mean[0, -1] = hi[0] + 5.5 * (hi[0] - lo[0])
    mean[1, 2] = lo[1] - 4.5 * (hi[1] - lo[1])  # inside five widths
    assert np.flatnonzero(far_outside(panel, mean)).tolist() == [0]
    short = validate(aus_small.groupby(["State", "Industry"]).head(2), **KW)  # 2 points, 6 steps: x3
    two = short.y.reshape(short.n_series, 2)
    width = np.abs(two[:, 1] - two[:, 0])
    mean = np.tile(two.max(axis=1)[:, None] + 14 * width[:, None], (1, 6))
    assert not far_outside(short, mean).any() and far_outside(short, mean + 2 * width[:, None]).all()
    flat = validate(aus_small.assign(Turnover=1.0), **KW)
    assert not far_outside(flat, np.full((flat.n_series, 6), 100.0)).any()


def test_forecaster_warns_of_a_forecast_far_outside_the_history(caplog) -> None:
    """ETTh1's oil temperature, 840 hours (-0.9 to 16.8) ending on a fall: LightGBM on the
    recent rows carried it on in a straight line to -252 over a week, unsaid (a user test)."""
    ett = pd.read_csv(shared_file("forecasting/other/ETTh1.csv.gz"), parse_dates=["date"])
    fit = ett[ett["date"] <= "2018-05-01 19:00"].tail(840)[["date", "OT"]]
    fc = Forecaster(target="OT", time="date", horizon=168, learners=["lightgbm_recent"]).fit(fit)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fc.predict()
    said = [r.getMessage() for r in caplog.records if "forecast far outside their history's range: 1," in r.getMessage()]
    assert out["forecast"].min() < fit["OT"].min() - 5 * np.ptp(fit["OT"])
    assert len(said) == 1 and "history -0.9" in said[0]
