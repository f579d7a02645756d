"""The statistical combination: its forecast is the median (or mean) of its members' at each step."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.combination import StatCombo
from tsauto.forecasting.learners.local import SeriesData


@pytest.mark.parametrize("combine, reduce", [("median", np.median), ("mean", np.mean)])
def test_forecast_combines_the_members_forecasts(m1_sample, combine: str, reduce) -> None:
    task = Task(horizon=8, season=4, quantiles=(0.1, 0.9))
    combo = StatCombo(combine=combine)
    for y, _ in m1_sample("QUARTERLY", 3):
        series = SeriesData(y, np.arange(len(y)), None, None)
        state = combo._fit_one(series, task)
        members = [learner._forecast_one(s, series, task) for learner, s in zip(combo._members(), state.states)]
        mean, quantiles = combo._forecast_one(state, series, task)
        np.testing.assert_allclose(mean, reduce(np.stack([m for m, _ in members]), axis=0))
        for q in task.quantiles:
            np.testing.assert_allclose(quantiles[q], reduce(np.stack([qs[q] for _, qs in members]), axis=0))
        stacked = np.stack([m for m, _ in members])
        assert np.abs(np.median(stacked, axis=0) - np.mean(stacked, axis=0)).max() > 1e-6  # they differ here
