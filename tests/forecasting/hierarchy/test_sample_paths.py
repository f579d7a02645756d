"""Sampled quantiles of reconciled forecasts: the noise of the sample paths is correlated across
nodes as their residuals are, so the band of a sum is as wide as the sum's own errors say (the
shrunk correlation that MinT-shrink weighs with made the bands of totals too narrow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from scipy.special import ndtri

from tsauto import datasets
from tsauto.forecasting.hierarchy import HierarchySpec, Reconciler
from tsauto.forecasting.hierarchy.covariance import ResidualCovariance

Z80 = 2 * ndtri(0.9)  # width of the 80 % band of a standard normal


@pytest.fixture(scope="module")
def walmart_errors() -> tuple[HierarchySpec, np.ndarray]:
    """Walmart stores 1 and 2, the departments they sell in every week (137 nodes), and the
    errors of every node's seasonal naive forecast with drift over the last 24 weeks: the
    aggregates' errors are the sums of their departments'. Their bottom errors are weakly
    correlated (Schäfer-Strimmer lambda 0.69), yet their sums spread 2.3-2.9 times the root of
    their summed variances."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    w = datasets.load_walmart()
    df = w[w["Store"].isin([1, 2])]
    weeks = df.groupby(["Store", "Dept"]).size()
    full = weeks[weeks == weeks.max()].index
    df = df[pd.MultiIndex.from_frame(df[["Store", "Dept"]]).isin(full)].reset_index(drop=True)
    spec = HierarchySpec.from_table(df, ["Store", "Dept"], ["Store", "Dept"], "Date", "Weekly_Sales")
    history = spec.pivot(spec.aggregate(df), spec.target)[0]
    errors = (history[:, 52:] - history[:, :-52])[:, -24:]
    return spec, errors - errors.mean(axis=1, keepdims=True)


@pytest.mark.parametrize("method", ["bottom_up", "wls_struct", "mint_shrink"])
def test_band_of_a_sum_is_as_wide_as_its_own_errors(walmart_errors, method) -> None:
    """The total's and each store's sampled 80 % band was 0.60-0.75 of the width its own
    errors give (2 z times their root mean square): the departments' noise was correlated as
    the shrunk correlation, (1 - lambda) of the observed. Now within sampling error of it, with
    every method (the errors add up, so the noise does too and reconciliation moves nothing)."""
    spec, errors = walmart_errors
    na = spec.n_aggregates
    rec = Reconciler(method).fit(spec, residuals=errors)
    assert rec.method != "mint_shrink" or rec.lambda_ > 0.5  # the shrinkage is strong here
    qs = rec.sample_quantiles(np.zeros((spec.n_nodes, 2)), [0.1, 0.9], n_samples=4000)
    band = qs[0.9] - qs[0.1]
    own = Z80 * np.sqrt(np.mean(errors[:na] ** 2, axis=1))
    ratio = band[:na] / own[:, None]
    assert ratio.min() > 0.93 and ratio.max() < 1.07, ratio


def test_noise_is_correlated_as_the_residuals(walmart_errors) -> None:
    """Draws of unit variance whose correlation across nodes is the residuals' sample
    correlation, not shrunk toward 0."""
    spec, errors = walmart_errors
    est = ResidualCovariance.from_residuals(errors)
    draws = est.noise().draw(np.random.default_rng(0), 40_000)
    np.testing.assert_allclose(draws.std(axis=1), 1.0, atol=0.02)
    sd = np.sqrt(np.diag(est.cov))
    observed = est.cov / np.outer(sd, sd)
    assert np.abs(np.corrcoef(draws) - observed).max() < 0.05


def test_a_node_without_residuals_keeps_its_own_spread() -> None:
    """A series with one residual has no correlation to give: its paths vary by its own scale,
    uncorrelated (they varied by sqrt(lambda) of it), the others as before."""
    S = np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    rng = np.random.default_rng(1)
    bottom = rng.normal(size=(3, 30)) + rng.normal(size=(1, 30))  # a common part
    residuals = S @ bottom
    residuals[3, 1:] = np.nan  # the third series: one residual
    rec = Reconciler("bottom_up").fit(S, residuals=residuals)
    qs = rec.sample_quantiles(np.zeros((4, 1)), [0.1, 0.9], scale=np.ones(4), n_samples=8000)
    band = (qs[0.9] - qs[0.1])[1:, 0]
    np.testing.assert_allclose(band, Z80, rtol=0.05)
