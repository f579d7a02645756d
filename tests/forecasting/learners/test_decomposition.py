"""Seasonal indices by STL (the ETS learner's long-season adjustment) on real weekly series:
the loess jumps change them little, a season multiplied onto a series comes back at its phase,
and Walmart's seasons stay those robust STL found."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tsauto.forecasting.learners.decomposition import seasonal_indices

M = 52


def weekly_series(walmart_small: pd.DataFrame, m4_weekly_small) -> list[np.ndarray]:
    """Walmart store 1's departments 1-10 (143 weeks) and the first 20 M4 Weekly training
    series of two seasons or more (104-2,597 weeks)."""
    walmart = [g["Weekly_Sales"].to_numpy(float) for _, g in walmart_small.groupby("Dept")]
    m4 = [g["y"].to_numpy(float) for _, g in m4_weekly_small[0].groupby("unique_id", sort=False)]
    return walmart + [y for y in m4 if len(y) >= 2 * M]


def stl_cycle(y: np.ndarray, method: str, robust: bool) -> np.ndarray:
    """statsmodels' STL at every point (no jumps), averaged by phase over the last two cycles,
    phase 0 at ``y[0]``; on logs for a multiplicative season."""
    from statsmodels.tsa.seasonal import STL

    x = np.log(y) if method == "multiplicative" else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        season = np.asarray(STL(x, period=M, robust=robust).fit().seasonal)
    n = len(y)
    phase = np.arange(n - 2 * M, n) % M
    return np.bincount(phase, season[n - 2 * M :], M) / np.bincount(phase, minlength=M)


def in_logs(indices: np.ndarray, method: str) -> np.ndarray:
    """Multiplicative indices as logs, additive ones as they are."""
    return np.log(indices) if method == "multiplicative" else indices


def test_stl_jumps_keep_the_indices_of_every_point(walmart_small, m4_weekly_small) -> None:
    """The loess fitted every ``ceil(window / 10)`` points: within 5 % of the season's spread
    of non-robust STL fitted at every point (measured: 0.03 % to 3 %; robust STL's differ from
    them by up to 120 %)."""
    for y in weekly_series(walmart_small, m4_weekly_small):
        indices, method = seasonal_indices(y, M, "multiplicative", "stl")
        ours, full = in_logs(indices, method), stl_cycle(y, method, robust=False)
        assert np.sqrt(np.mean((ours - full) ** 2)) < 0.05 * np.std(full)


def test_a_season_multiplied_onto_a_real_series_is_recovered(walmart_small, m4_weekly_small) -> None:
    """STL takes a periodic component wholly into its season: a zero-mean pattern (a yearly
    wave and a one-week peak) added to the logs of a positive series comes out of its
    multiplicative indices exactly, at the series' phase (``y[0]`` phase 0)."""
    t = np.arange(M)
    pattern = np.exp(0.2 * np.cos(2 * np.pi * t / M) + 0.4 * (t == 47) - 0.4 / M)
    checked = 0
    for y in weekly_series(walmart_small, m4_weekly_small):
        plain, method = seasonal_indices(y, M, "multiplicative", "stl")
        if method != "multiplicative":  # a Walmart department with sales below zero
            continue
        moved, method_moved = seasonal_indices(y * pattern[np.arange(len(y)) % M], M, "multiplicative", "stl")
        assert method_moved == "multiplicative"
        np.testing.assert_allclose(moved / plain, pattern, rtol=1e-9)
        checked += 1
    assert checked >= 20


def test_walmart_seasons_stay_those_of_robust_stl(walmart_small) -> None:
    """On Walmart store 1 the indices follow robust STL's (the adjustment before 2026-12-06):
    correlation above 0.9 in every department (measured 0.956-0.998)."""
    for _, g in walmart_small.groupby("Dept"):
        y = g["Weekly_Sales"].to_numpy(float)
        indices, method = seasonal_indices(y, M, "multiplicative", "stl")
        assert np.corrcoef(in_logs(indices, method), stl_cycle(y, method, robust=True))[0, 1] > 0.9

