"""All series at once: the batched ETS picks the forms and parameters the per-series code does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsauto.forecasting.learners import ets_batch
from tsauto.forecasting.learners.ets import ETSLearner, forecast_state, select
from tsauto.forecasting.learners.ets_batch import LONG_RATIO, MAX_CELLS, MAX_LENGTH, length_batches, select_many
from tsauto.forecasting.learners.optim import nelder_mead, nelder_mead_batch, nelder_mead_groups


@pytest.mark.parametrize("max_iter", [1000, 5])  # 5: problems still running at the end
def test_lock_step_nelder_mead_takes_each_problem_s_own_steps(max_iter: int) -> None:
    rng = np.random.default_rng(0)
    count, dim = 20, 3
    scale, centre = rng.normal(size=(count, dim, dim)), rng.normal(size=(count, dim))

    def one(k):
        return lambda x: float(np.sum((scale[k] @ (x - centre[k])) ** 2) + 0.1 * np.abs(x).sum())

    def many(points, rows):
        return np.array([one(k)(p) for p, k in zip(points, rows)])

    start = rng.uniform(0.1, 0.5, size=(count, dim))
    lower, upper = np.zeros((count, dim)), np.ones((count, dim))
    x, f = nelder_mead_batch(many, start, lower, upper, max_iter=max_iter)
    for k in range(count):
        xs, fs = nelder_mead(one(k), start[k], lower[k], upper[k], max_iter=max_iter)
        np.testing.assert_array_equal(x[k], xs)
        assert f[k] == fs


def test_lock_steps_of_several_dimensions_advance_together_each_as_alone() -> None:
    rng = np.random.default_rng(1)
    dims, count = (2, 4), 6
    problems = [(rng.normal(size=(count, d, d)), rng.normal(size=(count, d))) for d in dims]

    def one(g, k):
        scale, centre = problems[g][0][k], problems[g][1][k]
        return lambda x: float(np.sum((scale @ (x - centre)) ** 2) + 0.1 * np.abs(x).sum())

    shared = []

    def fun_many(asks):
        shared.append(len(asks))
        return [np.array([one(g, k)(p) for p, k in zip(points, rows)]) for g, points, rows in asks]

    groups = [(rng.uniform(0.1, 0.5, size=(count, d)), np.zeros((count, d)), np.ones((count, d))) for d in dims]
    found = nelder_mead_groups(fun_many, groups)
    assert max(shared) == 2  # both groups' points in one call
    for g, ((x0, lower, upper), (x, f)) in enumerate(zip(groups, found)):
        for k in range(count):
            xs, fs = nelder_mead(one(g, k), x0[k], lower[k], upper[k])
            np.testing.assert_array_equal(x[k], xs)
            assert f[k] == fs


@pytest.mark.parametrize(
    "period, season, long_from",
    [("YEARLY", 1, None), ("QUARTERLY", 4, None), ("MONTHLY", 12, None), ("MONTHLY", 12, 60)],
)
def test_same_models_as_series_by_series(m1_sample, monkeypatch, period: str, season: int, long_from) -> None:
    """``long_from``: the series longer than this in batches of similar length, not in one.
    Batches as small as two series are estimated together here (by default only from
    ``MIN_BATCH``, where it starts to pay)."""
    monkeypatch.setattr(ets_batch, "MIN_BATCH", 2)
    monkeypatch.setattr(ets_batch, "LONG_MIN_BATCH", 2)
    if long_from:
        monkeypatch.setattr(ets_batch, "MAX_LENGTH", long_from)
    series = [y for y, _ in m1_sample(period, 12)]
    if long_from:
        assert len(length_batches(np.array([len(y) for y in series]))) >= 3
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


@given(st.lists(st.integers(1, 50 * MAX_LENGTH), max_size=80))
def test_length_batches_hold_every_series_once_within_their_bounds(lengths: list[int]) -> None:
    lengths = np.array(lengths, dtype=int)
    batches = length_batches(lengths)
    assert sorted(np.concatenate(batches or [np.array([], int)]).tolist()) == list(range(len(lengths)))
    short = [b for b in batches if lengths[b].max() <= MAX_LENGTH]
    assert len(short) <= 1 and all(len(b) == (lengths <= MAX_LENGTH).sum() for b in short)
    long = [b for b in batches if lengths[b].min() > MAX_LENGTH]
    for b in long:
        assert lengths[b].max() <= LONG_RATIO * lengths[b].min()
        assert len(b) == 1 or len(b) * lengths[b].max() <= MAX_CELLS
    for before, after in zip(long, long[1:]):  # as large as allowed: the next one could not join
        first = lengths[after[0]]
        assert first > LONG_RATIO * lengths[before].min() or (len(before) + 1) * first > MAX_CELLS


def test_constant_long_and_failing_series_are_handled(m1_sample, monkeypatch) -> None:
    monkeypatch.setattr(ets_batch, "MIN_BATCH", 2)  # the batched path, on few series
    monkeypatch.setattr(ets_batch, "LONG_MIN_BATCH", 2)
    calls = []
    batch = ets_batch._select_batch
    monkeypatch.setattr(ets_batch, "_select_batch", lambda ys, *a: calls.append(len(ys)) or batch(ys, *a))
    y = m1_sample("MONTHLY", 1)[0][0]
    long = np.tile(y, MAX_LENGTH // len(y) + 1)
    out = select_many([np.full(20, 3.0), long, y[:3], y, long[: int(len(long) / 1.1)]], 12)
    assert sorted(calls) == [2, 2]  # the two short and the two long series, each a batch
    assert out[0].spec.short_name == "ANN"  # constant: simple exponential smoothing
    assert out[1].spec == select(long, 12).spec  # longer than MAX_LENGTH: with the other long one
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


def test_compiled_rows_take_the_steps_of_numpy_s_recursion(m1_sample, monkeypatch) -> None:
    """The multiplicative-season asks evaluated row by row in the compiled loop or all at once
    by numpy's recursion: the same forms, parameters and forecasts to rounding."""
    monkeypatch.setattr(ets_batch, "MIN_BATCH", 2)
    series = [y for y, _ in m1_sample("MONTHLY", 10)]
    found = {}
    for compiled in (True, False):
        monkeypatch.setattr(ets_batch, "_compiled_pays", lambda lengths, c=compiled: c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found[compiled] = select_many(series, 12)
    assert any(s.spec.seasonal == "mul" for s in found[True])
    for y, a, b in zip(series, found[False], found[True]):
        assert a.spec == b.spec
        np.testing.assert_allclose(b.par, a.par, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(forecast_state(b, y, 8, ())[0], forecast_state(a, y, 8, ())[0], rtol=1e-8)


def test_compiled_rows_pay_on_few_or_long_series() -> None:
    assert ets_batch._compiled_pays(np.full(10, 130))
    assert not ets_batch._compiled_pays(np.full(1000, 130))  # numpy's steps shared by many rows
    assert ets_batch._compiled_pays(np.full(400, 1000))
