"""Lags and rolling windows: checked by hand on a real series; batch path == recursive path."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.forecasting.validation import validate
from tsauto.forecasting.features.lags import LagSpec, lag_matrix, lag_step, tail_buffer

KW = dict(target="Turnover", time="Month", ids=["State", "Industry"])
SPEC = LagSpec(lags=(1, 12), windows=(3, 12))


@pytest.fixture(scope="module")
def panel(aus_small):
    return validate(aus_small, **KW)


def test_lag_and_rolling_by_hand(panel) -> None:
    X = lag_matrix(panel.y, panel.indptr, SPEC)
    names = SPEC.names
    s = 1  # second series
    y = panel.y[panel.indptr[s] : panel.indptr[s + 1]]
    row = panel.indptr[s] + 30
    assert X[row, names.index("lag1")] == y[29]
    assert X[row, names.index("lag12")] == y[18]
    np.testing.assert_allclose(X[row, names.index("roll3_mean")], y[27:30].mean())
    np.testing.assert_allclose(X[row, names.index("roll12_std")], y[18:30].std(), rtol=1e-9)
    assert X[row, names.index("roll12_min")] == y[18:30].min()
    assert X[row, names.index("roll3_max")] == y[27:30].max()


def test_no_value_leaks_across_series_or_from_the_row_itself(panel) -> None:
    X = lag_matrix(panel.y, panel.indptr, SPEC)
    starts = panel.indptr[:-1]
    assert np.isnan(X[starts]).all()  # the first row of every series has no past
    assert np.isnan(X[starts + 2, SPEC.names.index("roll3_mean")]).all()
    assert np.isfinite(X[starts + 3, SPEC.names.index("roll3_mean")]).all()


def test_batch_and_recursive_paths_agree(panel) -> None:
    """The features of the step after a history equal the batch features of that row."""
    cut = panel.head(panel.lengths - 1)
    buffer = tail_buffer(cut.y, cut.indptr, SPEC.depth)
    step = lag_step(buffer, SPEC)
    batch = lag_matrix(panel.y, panel.indptr, SPEC)[panel.indptr[1:] - 1]
    np.testing.assert_allclose(step, batch, rtol=1e-9, atol=1e-9)


def test_tail_buffer_pads_short_series_with_nan(panel) -> None:
    short = panel.head(np.r_[2, panel.lengths[1:]])
    buffer = tail_buffer(short.y, short.indptr, 4)
    assert np.isnan(buffer[0, :2]).all()
    np.testing.assert_array_equal(buffer[0, 2:], short.y[:2])
