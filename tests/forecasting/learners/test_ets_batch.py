"""All series at once: the batched ETS picks the forms and parameters the per-series code does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tsauto.forecasting.learners.ets import ETSLearner, forecast_state, select
from tsauto.forecasting.learners.ets_batch import MAX_LENGTH, select_many
from tsauto.forecasting.learners.optim import nelder_mead, nelder_mead_batch


def test_lock_step_nelder_mead_takes_each_problem_s_own_steps() -> None:
    rng = np.random.default_rng(0)
    count, dim = 20, 3
    scale, centre = rng.normal(size=(count, dim, dim)), rng.normal(size=(count, dim))

    def one(k):
        return lambda x: float(np.sum((scale[k] @ (x - centre[k])) ** 2) + 0.1 * np.abs(x).sum())

    def many(points, rows):
        return np.array([one(k)(p) for p, k in zip(points, rows)])

    start = rng.uniform(0.1, 0.5, size=(count, dim))
    lower, upper = np.zeros((count, dim)), np.ones((count, dim))
    x, f = nelder_mead_batch(many, start, lower, upper)
    for k in range(count):
        xs, fs = nelder_mead(one(k), start[k], lower[k], upper[k])
        np.testing.assert_array_equal(x[k], xs)
        assert f[k] == fs


@pytest.mark.parametrize("period, season", [("YEARLY", 1), ("QUARTERLY", 4), ("MONTHLY", 12)])
def test_same_models_as_series_by_series(m1_sample, period: str, season: int) -> None:
    series = [y for y, _ in m1_sample(period, 12)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = [select(y, season) for y in series]
        together = select_many(series, season)
    for y, a, b in zip(series, alone, together):
        assert a.spec == b.spec
        np.testing.assert_allclose(b.par, a.par, rtol=1e-6, atol=1e-9)
        fa, _ = forecast_state(a, y, 8, ())
        fb, _ = forecast_state(b, y, 8, ())
        np.testing.assert_allclose(fb, fa, rtol=1e-8, atol=1e-8 * np.abs(y).mean())


def test_constant_long_and_failing_series_are_handled(m1_sample) -> None:
    y = m1_sample("MONTHLY", 1)[0][0]
    long = np.tile(y, MAX_LENGTH // len(y) + 1)
    out = select_many([np.full(20, 3.0), long, y[:3], y], 12)
    assert out[0].spec.short_name == "ANN"  # constant: simple exponential smoothing
    assert out[1].spec == select(long, 12).spec  # longer than MAX_LENGTH: series by series
    assert isinstance(out[2], ValueError)  # three points: no candidate form
    assert out[3].spec == select(y, 12).spec


def test_learner_records_series_no_form_fits(m1_sample) -> None:
    from tsauto.forecasting.learners.base import Task
    from tsauto.forecasting.learners.local import SeriesData

    y = m1_sample("QUARTERLY", 1)[0][0]
    chunk = [SeriesData(y, np.arange(len(y)), None, None), SeriesData(y[:3], np.arange(3), None, None)]
    out = ETSLearner()._fit_chunk(chunk, Task(horizon=8, season=4, n_jobs=1), 60.0)
    assert out[0][1] == "" and out[0][0].spec == select(y, 4).spec
    assert out[1][0] is None and "no ETS model" in out[1][1]
