"""Seasonal adjustment shared by the statistical learners.

* :func:`is_seasonal`: the classical 90% autocorrelation test of the M4 benchmarks, Theta
  (Assimakopoulos & Nikolopoulos 2000) and statsforecast's ``AutoTheta``: the series is seasonal
  when ``|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)``.
* :func:`seasonal_indices`: one cycle of seasonal indices by classical decomposition
  (centred moving average, ``statsmodels.seasonal_decompose``), multiplicative for positive
  series, or by STL (on logs for a multiplicative season); additive where a multiplicative
  index falls below ``MIN_FACTOR``.
* :class:`Seasonality`: those indices with the phase of the series they came from, to adjust a
  history and to extend the season over the horizon.
"""

from __future__ import annotations

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
    """Robust STL seasonal component (on logs for a multiplicative season), averaged by phase
    over the last two cycles: the season the forecasts carry on."""
    from statsmodels.tsa.seasonal import STL

    x = np.log(y) if method == "multiplicative" else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        season = np.asarray(STL(x, period=period, robust=True).fit().seasonal)
    n = len(y)
    tail = season[n - 2 * period :] if n >= 2 * period else season[n - period :]
    phase = (np.arange(n - len(tail), n)) % period
    cycle = np.bincount(phase, weights=tail, minlength=period) / np.bincount(phase, minlength=period)
    return np.exp(cycle) if method == "multiplicative" else cycle


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
