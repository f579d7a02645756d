"""Deliberately broken or instrumented forecasting learners, for the checks that must catch them.

Importable on its own (not a conftest) so that worker processes, local or Dask, can unpickle
them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags
from tsauto.forecasting.learners.baselines import seasonal_naive_forecast


class ZeroForecast(Learner):
    """Forecasts 0 everywhere: finite, the right shape, and useless."""

    name = "zero_forecast"
    tags = LearnerTags(kind="global")

    def _fit(self, panel, task) -> None:
        self.fitted_ = True

    def _predict(self, history, future) -> Forecast:
        return Forecast(np.zeros((history.n_series, self.task_.horizon)))


class StaleLevel(Learner):
    """Reads the wrong end of the history: forecasts the mean of each series' first season."""

    name = "stale_level"
    tags = LearnerTags(kind="global")

    def _fit(self, panel, task) -> None:
        self.fitted_ = True

    def _predict(self, history, future) -> Forecast:
        season = max(self.task_.season, 1)
        first = [history.y[a : a + season].mean() for a in history.indptr[:-1]]
        return Forecast(np.repeat(np.asarray(first)[:, None], self.task_.horizon, axis=1))


class FrozenAtFit(Learner):
    """Seasonal naive computed once at fit and returned whatever history it is given: accurate
    on the training history, deaf to newer observations."""

    name = "frozen_at_fit"
    tags = LearnerTags(kind="global")

    def _fit(self, panel, task) -> None:
        self.forecast_, _ = seasonal_naive_forecast(panel, task.horizon, task.season)

    def _predict(self, history, future) -> Forecast:
        return Forecast(self.forecast_[: history.n_series].copy())


class WhereItRan(Learner):
    """Seasonal naive that records, for every fit, the process and Dask worker it ran in: one
    line ``pid<TAB>worker address`` (``-`` outside a Dask worker) appended to ``log_file``."""

    name = "where_it_ran"
    tags = LearnerTags(kind="global")

    def __init__(self, log_file: str = ""):
        self.log_file = log_file

    def _fit(self, panel, task) -> None:
        try:
            from distributed import get_worker

            address = get_worker().address
        except (ImportError, ValueError):
            address = "-"
        with Path(self.log_file).open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\t{address}\n")
        self.fitted_ = True

    def _predict(self, history, future) -> Forecast:
        mean, _ = seasonal_naive_forecast(history, self.task_.horizon, self.task_.season)
        return Forecast(mean)


class TrainsToTheDeadline(Learner):
    """Trains until its deadline and a little past it, as a time-capped learner (the TCN) may;
    forecasts the last value."""

    name = "trains_to_the_deadline"
    tags = LearnerTags(kind="global")

    def min_length(self, task) -> int:
        return 3

    def _fit(self, panel, task) -> None:
        import time

        time.sleep(max(0.0, task.time_left()) + 0.05)

    def _predict(self, history, future) -> Forecast:
        return Forecast(seasonal_naive_forecast(history, self.task_.horizon, 1)[0])


class ThreadsItGot(WhereItRan):
    """Seasonal naive that records, for every fit, the process it ran in and the native threads
    it was given: one line ``pid<TAB>threads`` (``task.n_jobs``) appended to ``log_file``."""

    name = "threads_it_got"

    def _fit(self, panel, task) -> None:
        with Path(self.log_file).open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\t{task.n_jobs}\n")
        self.fitted_ = True
