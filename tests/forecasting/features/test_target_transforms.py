"""Target transforms invert exactly on the way out."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.forecasting.validation import validate
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.features.target_transforms import auto_transforms, backward, forward, make_transforms


@pytest.mark.parametrize("names", [("scale",), ("diff1", "scale"), ("log1p", "diff12", "scale")])
def test_future_values_invert_exactly(aus_small, names) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    train = panel.head(panel.lengths - 6)
    truth = panel.y.reshape(panel.n_series, -1)[:, -6:] if len(set(panel.lengths)) == 1 else None
    assert truth is not None
    transforms = make_transforms(names)
    forward(transforms, train.y, train.indptr)
    # transform the true continuation with the fitted state, then invert it
    full = make_transforms(names)
    yt_full = forward(full, panel.y, panel.indptr).reshape(panel.n_series, -1)
    if names[-1] == "scale":  # express the future in the train scaling
        sc_full, sc_train = full[-1], transforms[-1]
        yt_full = (yt_full * sc_full.scale_[:, None] + sc_full.loc_[:, None] - sc_train.loc_[:, None]) / sc_train.scale_[:, None]
    np.testing.assert_allclose(backward(transforms, yt_full[:, -6:]), truth, rtol=1e-9)


def test_log1p_refuses_negative_values() -> None:
    with pytest.raises(DataValidationError, match="non-negative"):
        forward(make_transforms(("log1p",)), np.array([1.0, -2.0]), np.array([0, 2]))


def test_unknown_transform_is_named() -> None:
    with pytest.raises(DataValidationError, match="'boxcox'"):
        make_transforms(("boxcox",))


def test_auto_differences_trending_retail_series(aus_small) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    assert auto_transforms(panel.y, panel.indptr) == ("diff1", "scale")
    noise = np.random.default_rng(0).normal(size=400)  # stationary white noise
    assert auto_transforms(noise, np.array([0, 400])) == ("scale",)
