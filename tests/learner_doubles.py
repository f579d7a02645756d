"""Test doubles of learners: one that fails, one that hangs past any budget, one that kills
its worker process.

They live in their own importable module so that worker processes can unpickle them.
"""

from __future__ import annotations

import os
import time

import numpy as np

from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags


class FailingLearner(Learner):
    """Raises in fit, as a buggy or misconfigured learner would."""

    name = "failing"
    tags = LearnerTags(kind="global")

    def _fit(self, panel, task) -> None:
        raise RuntimeError("this learner always fails")

    def _predict(self, history, future) -> Forecast:
        raise AssertionError("never fitted")


class HangingLearner(Learner):
    """Ignores every deadline: sleeps ``seconds`` in fit (a hung native call)."""

    name = "hanging"
    tags = LearnerTags(kind="global")

    def __init__(self, seconds: float = 600.0):
        self.seconds = seconds

    def _fit(self, panel, task) -> None:
        time.sleep(self.seconds)

    def _predict(self, history, future) -> Forecast:
        return Forecast(np.zeros((history.n_series, self.task_.horizon)))


class DyingLearner(Learner):
    """Ends its worker process in fit (``os._exit``: a segfault or an out-of-memory kill)."""

    name = "dying"
    tags = LearnerTags(kind="global")

    def _fit(self, panel, task) -> None:
        os._exit(3)

    def _predict(self, history, future) -> Forecast:
        raise AssertionError("never fitted")
