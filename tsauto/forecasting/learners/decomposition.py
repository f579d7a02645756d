"""Seasonal adjustment shared by the statistical learners.

* :func:`is_seasonal`: the classical 90% autocorrelation test of the M4 benchmarks, Theta
  (Assimakopoulos & Nikolopoulos 2000) and statsforecast's ``AutoTheta``: the series is seasonal
  when ``|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)``.
* :func:`seasonal_indices`: one cycle of seasonal indices by classical decomposition
  (centred moving average, ``statsmodels.seasonal_decompose``), multiplicative for positive
  series, or by STL (on logs for a multiplicative season; non-robust, with R's ``stl`` loess
  jumps: see :func:`_stl_indices`); additive where a multiplicative index falls below
  ``MIN_FACTOR``.
* :class:`Seasonality`: those indices with the phase of the series they came from, to adjust a
  history and to extend the season over the horizon.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["multiplicative", "additive"]
Decomposition = Literal["classical", "stl"]
Z90 = 1.6448536269514722  # standard normal 95% quantile: the two-sided 90% test
# The smallest multiplicative index kept; below it the season is additive. A week of Walmart's
# Store 3 Dept 18 near zero (0.1 among weeks of 24,000) had an STL index of 0.003 against 112 at
# Christmas: ETS forecast 303,442 on the adjusted series, its 90 % quantile 4.8e10.
MIN_FACTOR = 0.01


def acf(y: np.ndarray, nlags: int) -> np.ndarray:
    """Sample autocorrelations at lags 1..``nlags`` (as ``statsmodels.acf(fft=False)``)."""
    x = np.asarray(y, dtype=np.float64) - np.mean(y)
    denom = x @ x
    if denom <= 0:
        return np.zeros(nlags)
    return np.array([x[k:] @ x[:-k] for k in range(1, nlags + 1)]) / denom


def is_seasonal(y: np.ndarray, period: int, min_cycles: float = 2.0) -> bool:
    """The 90% autocorrelation test at lag ``period``; False for shorter than ``min_cycles``
    cycles or ``period < 2``."""
    n = len(y)
    if period < 2 or n < min_cycles * period:
        return False
    r = acf(y, period)
    limit = Z90 * np.sqrt((1.0 + 2.0 * np.sum(r[:-1] ** 2)) / n)
    return bool(abs(r[-1]) > limit)


def seasonal_indices(
    y: np.ndarray, period: int, method: Method, decomposition: Decomposition = "classical"
) -> tuple[np.ndarray, Method]:
    """One cycle of seasonal indices, phase 0 at ``y[0]``, and the method actually used."""
    if method == "multiplicative" and np.min(y) <= 0:
        method = "additive"
    if decomposition == "stl":
        season = _stl_indices(y, period, method)
        if method == "multiplicative" and season.min() < MIN_FACTOR:
            return _stl_indices(y, period, "additive"), "additive"
        return season, method
    from statsmodels.tsa.seasonal import seasonal_decompose

    kind = "multiplicative" if method == "multiplicative" else "additive"
    season = np.asarray(seasonal_decompose(y, model=kind, period=period).seasonal)
    if method == "multiplicative" and season.min() < MIN_FACTOR:
        method = "additive"
        season = np.asarray(seasonal_decompose(y, model="additive", period=period).seasonal)
    return season[:period].astype(np.float64), method


def _stl_indices(y: np.ndarray, period: int, method: Method) -> np.ndarray:
    """STL seasonal component (on logs for a multiplicative season), averaged by phase over the
    last two cycles: the season the forecasts carry on.

    Non-robust STL (statsmodels' 5 inner passes, no robustness iterations), its loess fitted at
    every ``ceil(window / 10)``-th point and interpolated between, as R's ``stl`` does by default
    (:func:`_stl_season`). Chosen 2026-12-06 over robust STL (2 inner passes x 16, every point):
    the ETS learner alone, batched, on validation windows cut from the training parts only,
    mean MASE per window robust -> this (ETS fit seconds of a window): Walmart's 2,660 complete
    series, the last 3 windows of 8 weeks before the suite's hold-out, 0.802 / 0.808 / 0.921 ->
    0.792 / 0.798 / 0.912 (58 -> 9 s); M4 Weekly's 359, 3 x 13 weeks, 3.371 / 3.312 / 3.704 ->
    3.031 / 2.979 / 2.891 (45 -> 7 s); M4 Hourly's 414 at m=168, 3 x 48 hours, 1.553 / 1.563 /
    1.553 -> 1.576 / 1.465 / 1.474 (162 -> 6 s); Victoria's half-hourly demand at m=48 (one
    series, 20 daily origins before its last 4 weeks) 0.922 -> 0.931 (8 origins better, 12
    worse). STL itself 20 -> 0.6 ms a Walmart series. Also measured (mean MASE over the
    windows, Walmart / M4 Weekly; robust 0.844 / 3.462): non-robust at every point 0.834 / 2.959
    (fit 14 / 11 s); robust with R's jumps 0.843 / 3.588 (15 / 11 s; Victoria 0.923); robust
    with 5 outer iterations 0.843 / 3.289, with jumps too 0.843 / 3.321 (10 / 7 s); classical
    decomposition 0.957 / 2.829. Robust STL on the last 4 / 6 / 8 cycles only moved M4 Weekly's
    indices by 0.55 / 0.30 / 0.11 of their spread (median), the jumps by 0.01."""
    x = np.log(y) if method == "multiplicative" else y
    season = _stl_season(x, period)
    n = len(y)
    tail = season[n - 2 * period :] if n >= 2 * period else season[n - period :]
    phase = (np.arange(n - len(tail), n)) % period
    cycle = np.bincount(phase, weights=tail, minlength=period) / np.bincount(phase, minlength=period)
    return np.exp(cycle) if method == "multiplicative" else cycle


def _stl_season(x: np.ndarray, period: int) -> np.ndarray:
    """Non-robust STL's seasonal component of ``x``, each loess (seasonal, trend, low-pass) on
    statsmodels' default window, evaluated every ``ceil(window / 10)`` points (R's jumps)."""
    from statsmodels.tsa.seasonal import STL

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(STL(x, period=period, **_stl_jumps(period)).fit().seasonal)


@functools.cache
def _stl_jumps(period: int) -> dict[str, int]:
    """R's loess jumps for statsmodels' default STL windows of ``period`` (they depend on the
    period alone): read once per period, not built again for every series."""
    from statsmodels.tsa.seasonal import STL

    windows = STL(np.arange(2.0 * period + 2), period=period).config
    return {f"{k}_jump": math.ceil(windows[k] / 10) for k in ("seasonal", "trend", "low_pass")}


@dataclass(frozen=True)
class Seasonality:
    """Seasonal indices of one cycle (phase 0 at ``first_time``) and how they apply."""

    method: Method
    factors: np.ndarray
    first_time: np.generic

    @classmethod
    def fit(
        cls,
        y: np.ndarray,
        times: np.ndarray,
        period: int,
        method: Method = "multiplicative",
        decomposition: Decomposition = "classical",
    ) -> "Seasonality":
        factors, used = seasonal_indices(y, period, method, decomposition)
        return cls(used, factors, times[0])

    def along(self, y: np.ndarray, times: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """The indices over ``y`` and over the ``horizon`` steps after it.

        A history that starts at or before the fitted series' first time is aligned by time; one
        that starts later has an unknown phase, and gets indices recomputed from itself.
        """
        n, factors, offset = len(y), self.factors, 0
        if times[0] <= self.first_time:
            offset = int(np.searchsorted(times, self.first_time))
        else:
            factors, _ = seasonal_indices(y, len(factors), self.method)
        idx = factors[(np.arange(n + horizon) - offset) % len(factors)]
        return idx[:n], idx[n:]

    def adjust(self, y: np.ndarray, season: np.ndarray) -> np.ndarray:
        """``y`` without the season."""
        return y / season if self.method == "multiplicative" else y - season

    def restore(self, y: np.ndarray, season: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`adjust`."""
        return y * season if self.method == "multiplicative" else y + season
