"""The statistical combination: its forecast is the median (or mean) of its members' at each step."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.combination import StatCombo
from tsauto.forecasting.learners.ets import MAX_LENGTH, restarted
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


def test_ets_member_fits_the_last_points_of_a_long_series(m4_weekly_small) -> None:
    """On a series longer than ETS's window (``ets.MAX_LENGTH``), the combination's ETS member is
    ETS on the last points, and forecasts as ETS alone does from the same first time; Theta
    and ARIMA read the whole series."""
    train, _ = m4_weekly_small
    lengths = train.groupby("unique_id").size()
    y = train.loc[train["unique_id"] == lengths.idxmax(), "y"].to_numpy(float)
    assert len(y) > MAX_LENGTH
    task = Task(horizon=13, season=1, quantiles=(0.1, 0.9))
    series = SeriesData(y, np.arange(len(y)), None, None)
    last = SeriesData(y[-MAX_LENGTH:], np.arange(len(y))[-MAX_LENGTH:], None, None)
    combo = StatCombo()
    state = combo._fit_one(series, task)
    ets, theta, arima = combo._members()
    alone = ets._fit_one(last, task)
    assert state.ets_from == len(y) - MAX_LENGTH
    np.testing.assert_allclose(
        ets._forecast_one(state.states[0], last, task)[0], ets._forecast_one(alone, last, task)[0]
    )
    members = [
        ets._forecast_one(state.states[0], last, task)[0],
        theta._forecast_one(state.states[1], series, task)[0],
        arima._forecast_one(state.states[2], series, task)[0],
    ]
    np.testing.assert_allclose(combo._forecast_one(state, series, task)[0], np.median(np.stack(members), axis=0))
    whole = ets._fit_one(series, task)
    assert not np.allclose(ets._forecast_one(whole, series, task)[0], members[0])  # the window matters here
    older = SeriesData(y[5:], np.arange(len(y))[5:], None, None)  # starts later, before ETS's window
    assert combo._restart(state, older, task) is state
    recent = SeriesData(y[-300:], np.arange(len(y))[-300:], None, None)  # starts inside it
    again = combo._restart(state, recent, task)
    np.testing.assert_array_equal(again.states[0].x0, restarted(state.states[0], recent.y, recent.times).x0)
    assert again.states[1:] == state.states[1:]
