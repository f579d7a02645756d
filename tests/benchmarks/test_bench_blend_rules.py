"""benchmarks/bench_blend_rules.py: each rule's weights from out-of-fold forecasts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from bench_scripts import bench_script


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_blend_rules.py") as module:
        yield module


def _cells(n_series: int = 40, h: int = 4, seed: int = 1):
    """Out-of-fold cells of one fold: ``n_series`` series of ``h`` steps, scale 1."""
    rng = np.random.default_rng(seed)
    series = np.repeat(np.arange(n_series), h)
    actual = rng.normal(100, 10, size=series.size)
    res = SimpleNamespace(series=series, fold=np.zeros_like(series), step=np.tile(np.arange(1, h + 1), n_series),
                          actual=actual, scale=np.ones(series.size))
    return res, actual, rng


def test_rules_weight_members_by_their_out_of_fold_errors(bench) -> None:
    res, actual, rng = _cells()
    errors = [1.0, 2.0, 3.0, 8.0]  # mean absolute error of each member: the first is best
    oof = [actual + e * rng.choice([-1.0, 1.0], size=actual.size) for e in errors]
    w = bench.rule_weights(oof, res)
    assert set(w) == set(bench.RULES)
    for rule, weights in w.items():
        assert weights.min() >= 0 and weights.sum() == pytest.approx(1.0), rule
    np.testing.assert_allclose(w["best"], [1, 0, 0, 0])
    np.testing.assert_allclose(w["top-3 mean"], [1 / 3, 1 / 3, 1 / 3, 0])
    np.testing.assert_allclose(w["shrink 0.5"], 0.5 * w["greedy"] + 0.5 * w["top-3 mean"])
    np.testing.assert_allclose(w["leaders 0.5"], w["shrink 0.5"])  # one trial per learner: the same
    # two variants of one learner lead: "leaders" takes its best and the next two learners' best
    by_learner = bench.rule_weights(oof, res, ["lgb", "lgb", "ets", "theta"])
    lead = by_learner["leaders 0.5"] - 0.5 * by_learner["greedy"]
    np.testing.assert_allclose(lead, [1 / 6, 0, 1 / 6, 1 / 6])
    np.testing.assert_allclose(by_learner["bagged leaders 0.5"], 0.5 * by_learner["bagged"] + lead)
    assert w["greedy"][3] == 0 and w["bagged"][3] < 0.05  # the worst member is left out
    assert w["greedy"][0] == w["greedy"].max()


def test_bagging_averages_greedy_blends_over_samples_of_the_series(bench) -> None:
    res, actual, _ = _cells()
    last = res.series >= 37  # 3 series of 40
    biased_low_on_some = actual + np.where(last, -10.0, 1.0)
    biased_high = actual + np.where(last, 4.0, 2.0)  # 2/7 of the first cancels it on the last 3
    w = bench.rule_weights([biased_low_on_some, biased_high], res)
    assert w["greedy"][0] == pytest.approx(0.28, abs=0.03)
    # a sample with at most 2 of the last 3 series is served better by the first member alone
    assert w["bagged"][0] > w["greedy"][0] + 0.05
    np.testing.assert_array_equal(w["bagged"], bench.rule_weights([biased_low_on_some, biased_high], res)["bagged"])
