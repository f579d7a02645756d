"""The vectorised per-series fills of the data contract equal pandas' grouped fills."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import shared_file
from tsauto import datasets
from tsauto.forecasting.panel import pad_front, segmented_bfill, segmented_ffill
from tsauto.forecasting.validation import validate

COVARIATES = ["Temperature", "Fuel_Price", "MarkDown1", "MarkDown2", "CPI", "Unemployment"]


def _grouped(values: np.ndarray, indptr: np.ndarray, how: str) -> np.ndarray:
    codes = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    frame = pd.DataFrame(values if values.ndim == 2 else values[:, None])
    fill = {"ffill": lambda s: s.ffill(), "bfill": lambda s: s.bfill()}[how]
    return frame.groupby(codes, sort=False).transform(fill).to_numpy().reshape(values.shape)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    data=st.data(),
)
def test_segmented_fills_match_pandas(lengths: list[int], data) -> None:
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(indptr[-1])
    assume(n > 0)  # pandas cannot transform an empty frame
    cell = st.one_of(st.none(), st.floats(-5, 5))
    cells = data.draw(st.lists(cell, min_size=2 * n, max_size=2 * n))
    values = np.array([np.nan if c is None else c for c in cells], dtype=float).reshape(n, 2)
    for how, fill in (("ffill", segmented_ffill), ("bfill", segmented_bfill)):
        np.testing.assert_array_equal(fill(values, indptr), _grouped(values, indptr, how))
        column = values[:, 0]
        np.testing.assert_array_equal(fill(column, indptr), _grouped(column, indptr, how))


def _walmart_with_features(stores: list[int]) -> pd.DataFrame:
    shared_file("forecasting/walmart_store_sales/features.csv")
    shared_file("forecasting/walmart_store_sales/stores.csv")
    df = datasets.load_walmart(with_features=True)
    return df[df["Store"].isin(stores)].reset_index(drop=True)


def test_covariate_fill_on_walmart_equals_grouped_ffill_bfill() -> None:
    """Walmart departments have missing weeks (inserted rows) and markdowns missing before
    Nov 2011: the filled covariates equal pandas' per-series ffill().bfill() of the raw ones."""
    df = _walmart_with_features([1, 2, 3])
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"])
    panel = validate(df[["Store", "Dept", "Date", "Weekly_Sales", *COVARIATES]], **kw)
    assert len(panel.y) > len(df)  # weeks were inserted
    assert set(COVARIATES) <= set(panel.schema.past)
    grid = panel.to_frame()[["Store", "Dept", "Date"]]
    raw = grid.merge(df, on=["Store", "Dept", "Date"], how="left")[COVARIATES]
    assert raw.isna().any().all()
    expected = _grouped(raw.to_numpy(float), panel.indptr, "ffill")
    expected = _grouped(expected, panel.indptr, "bfill")
    np.testing.assert_array_equal(panel.covariates[COVARIATES].to_numpy(), expected)


def test_pad_front_covariates_equal_grouped_bfill() -> None:
    df = _walmart_with_features([5])
    panel = validate(
        df[["Store", "Dept", "Date", "Weekly_Sales", *COVARIATES]],
        target="Weekly_Sales",
        time="Date",
        ids=["Store", "Dept"],
    )
    assert (panel.lengths < 52).any()  # short departments get padded
    padded = pad_front(panel, 52)
    assert (padded.lengths >= 52).all()
    codes = padded.series_codes()
    offset = np.arange(len(codes)) - padded.indptr[:-1][codes]
    real = offset >= (padded.lengths - panel.lengths)[codes]
    raw = np.full((len(codes), len(COVARIATES)), np.nan)
    raw[real] = panel.covariates[COVARIATES].to_numpy()
    expected = _grouped(raw, padded.indptr, "bfill")
    np.testing.assert_array_equal(padded.covariates[COVARIATES].to_numpy(), expected)
    np.testing.assert_array_equal(padded.y[~real], 0.0)
