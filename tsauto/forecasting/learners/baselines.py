"""Naive, seasonal naive and drift: vectorised over all series; also the fallbacks."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from tsauto.forecasting.panel import Panel
from tsauto.forecasting.features.lags import tail_buffer
from tsauto.forecasting.metrics import lagged_difference_mean
from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags, Task


class _Baseline(Learner):
    """Baselines keep no fitted parameters: they read the history they are given."""

    tags = LearnerTags(kind="local", native_quantiles=True)

    def _fit(self, panel: Panel, task: Task) -> None:
        self.fitted_ = True

    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast:
        task = self.task_
        mean, sigma = self._point_and_sigma(history, task)
        quantiles = {q: mean + norm.ppf(q) * sigma for q in task.quantiles}
        return Forecast(mean, quantiles)

    def _point_and_sigma(self, history: Panel, task: Task) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def seasonal_naive_forecast(
    history: Panel, horizon: int, season: int
) -> tuple[np.ndarray, np.ndarray]:
    """Last seasonal cycle repeated (naive when a series is shorter than ``season``).

    Returns (forecasts, residual std of the in-sample seasonal-naive errors), both (n, H).
    """
    season = max(int(season), 1)
    lengths = history.lengths
    use = np.where(lengths >= season, season, 1)
    buf = tail_buffer(history.y, history.indptr, season)
    steps = np.arange(horizon)
    col = season - use[:, None] + (steps[None, :] % use[:, None])
    mean = np.take_along_axis(buf, col, axis=1)
    sigma = _residual_sigma(history, use)
    k = np.floor(steps / use[:, None]) + 1  # how many seasons ahead
    return mean, sigma[:, None] * np.sqrt(k)


def _residual_sigma(history: Panel, lag: np.ndarray) -> np.ndarray:
    """Root mean square of ``y[t] - y[t - lag]`` within each series (0 when too short)."""
    return np.sqrt(lagged_difference_mean(history.y, history.indptr, lag, power=2))


class Naive(_Baseline):
    """The last value carried forward."""

    name = "naive"

    def _point_and_sigma(self, history: Panel, task: Task) -> tuple[np.ndarray, np.ndarray]:
        return seasonal_naive_forecast(history, task.horizon, 1)


class SeasonalNaive(_Baseline):
    """The last seasonal cycle repeated (``season`` from the task unless given)."""

    name = "seasonal_naive"

    def __init__(self, season: int | None = None):
        self.season = season

    def _point_and_sigma(self, history: Panel, task: Task) -> tuple[np.ndarray, np.ndarray]:
        return seasonal_naive_forecast(history, task.horizon, self.season or task.season)


class Drift(_Baseline):
    """The line from the first to the last value, extended."""

    name = "drift"

    def _point_and_sigma(self, history: Panel, task: Task) -> tuple[np.ndarray, np.ndarray]:
        y, indptr = history.y, history.indptr
        first, last = y[indptr[:-1]], y[indptr[1:] - 1]
        n = history.lengths
        slope = np.divide(last - first, n - 1, out=np.zeros(len(n)), where=n > 1)
        steps = np.arange(1, task.horizon + 1)
        mean = last[:, None] + slope[:, None] * steps[None, :]
        sigma = _residual_sigma(history, np.ones(history.n_series, dtype=np.int64))
        return mean, sigma[:, None] * np.sqrt(steps[None, :] * (1 + steps[None, :] / np.maximum(n[:, None], 1)))
