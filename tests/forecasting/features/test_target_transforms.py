"""Target transforms invert exactly on the way out."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_file
from tsauto import datasets
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.features.target_transforms import (
    backward,
    forward,
    make_transforms,
    mostly_nonstationary,
)
from tsauto.forecasting.validation import validate


@pytest.mark.parametrize("names", [("scale",), ("diff1", "scale"), ("log1p", "diff12", "scale")])
def test_future_values_invert_exactly(aus_small, names) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    train = panel.head(panel.lengths - 6)
    truth = panel.y.reshape(panel.n_series, -1)[:, -6:] if len(set(panel.lengths)) == 1 else None
    assert truth is not None
    transforms = make_transforms(names)
    forward(transforms, train)
    # transform the true continuation with the fitted state, then invert it
    full = make_transforms(names)
    yt_full = forward(full, panel).reshape(panel.n_series, -1)
    if names[-1] == "scale":  # express the future in the train scaling
        sc_full, sc_train = full[-1], transforms[-1]
        yt_full = (yt_full * sc_full.scale_[:, None] + sc_full.loc_[:, None] - sc_train.loc_[:, None]) / sc_train.scale_[:, None]
    np.testing.assert_allclose(backward(transforms, yt_full[:, -6:]), truth, rtol=1e-9)


def test_log1p_names_the_series_and_times_of_negative_values(aus_small) -> None:
    """Retail turnover less 8 (million): negative in some months of the smallest series."""
    data = aus_small.assign(Turnover=aus_small["Turnover"] - 8.0)
    panel = validate(data, target="Turnover", time="Month", ids=["State", "Industry"])
    negative = data[data["Turnover"] < 0].sort_values(["State", "Industry", "Month"])
    first = negative.iloc[0]
    n_first = int(((negative["State"] == first["State"]) & (negative["Industry"] == first["Industry"])).sum())
    with pytest.raises(DataValidationError) as err:
        forward(make_transforms(("log1p", "scale")), panel)
    msg = str(err.value)
    n_series = len(negative.groupby(["State", "Industry"]))
    assert f"'Turnover' is negative in {len(negative)} rows of {n_series} series" in msg
    key = {"State": first["State"], "Industry": first["Industry"]}
    assert f"{key} at {n_first} row" in msg
    assert f"(Month {first['Month']:%Y-%m-%d}" in msg
    assert "Drop 'log1p'" in msg and "shift the target to be non-negative" in msg


def test_log1p_must_come_first() -> None:
    with pytest.raises(DataValidationError, match=r"\['scale', 'log1p'\].*must come first"):
        make_transforms(("scale", "log1p"))


def test_unknown_transform_is_named() -> None:
    with pytest.raises(DataValidationError, match="'boxcox'"):
        make_transforms(("boxcox",))


def test_auto_differences_trending_retail_series(aus_small) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    assert mostly_nonstationary(panel.y, panel.indptr) is True
    noise = np.random.default_rng(0).normal(size=400)  # stationary white noise
    assert mostly_nonstationary(noise, np.array([0, 400])) is False


def test_the_vote_survives_a_series_of_zeros_but_for_a_blip() -> None:
    """Walmart's Store 9 / Dept 78 holds -12.88 and 12.88 in two weeks of January 2012; in a
    hierarchy it is carried with zeros to the table's end, and statsmodels' KPSS lag rule
    overflowed on it ("cannot convert float infinity to integer"): the whole fit failed."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    walmart = datasets.load_walmart()
    rows = walmart[(walmart["Store"] == 9) & (walmart["Dept"] == 78)]
    weeks = (walmart["Date"].max() - rows["Date"].max()).days // 7
    blip = np.r_[rows["Weekly_Sales"].to_numpy(), np.zeros(weeks)]
    noise = np.random.default_rng(0).normal(size=400)
    y = np.r_[blip, noise]
    assert mostly_nonstationary(y, np.array([0, blip.size, y.size])) is False
