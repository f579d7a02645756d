"""The engine's choice of blend (the defaults' unless the search's beats it beyond noise) and its
refit: members refit cheapest first, so one that overruns drops only itself."""

from __future__ import annotations

import numpy as np

from tsauto.core import engine
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.core.search import Candidate, Trial


class OverrunningExecutor:
    """Refits in call order; the trial numbered ``slow`` overruns the deadline, and every call
    after it finds the deadline passed (as on a loaded machine)."""

    def __init__(self, slow: int):
        self.slow, self.late, self.calls = slow, False, []

    def call(self, fn, trial, member_deadline, **kwargs):
        self.calls.append(trial.number)
        if self.late or trial.number == self.slow:
            self.late = True
            raise TimeLimitExceeded(f"refit of #{trial.number} past its deadline")
        return f"model {trial.number}"

    def close(self) -> None:
        pass


class Strategy:
    def fit_member(self, trial, deadline):  # never called: the executor stands in
        raise AssertionError


def test_a_costly_member_that_overruns_leaves_the_cheaper_ones_refit() -> None:
    trials = {n: Trial(n, learner, {}) for n, learner in enumerate(["tcn", "ets", "theta"])}
    weights = {0: 0.6, 1: 0.3, 2: 0.1}  # the costly TCN weighs most
    cost = {0: 30.0, 1: 5.0, 2: 1.0}
    executor = OverrunningExecutor(slow=0)
    fitted, failures = engine._refit(Strategy(), executor, weights, trials, 100.0, cost)
    assert executor.calls == [2, 1, 0]  # cheapest first
    assert fitted == [(2, 0.1, "model 2"), (1, 0.3, "model 1")]
    assert list(failures) == [0] and "TimeLimitExceeded" in failures[0]


def test_equal_costs_refit_the_heavier_member_first() -> None:
    trials = {n: Trial(n, "ets", {}) for n in range(3)}
    executor = OverrunningExecutor(slow=-1)
    engine._refit(Strategy(), executor, {0: 0.2, 1: 0.5, 2: 0.3}, trials, None, {})
    assert executor.calls == [1, 2, 0]


def test_a_refit_on_more_threads_is_faster_but_not_in_proportion() -> None:
    from tsauto.core.engine import refit_speedup

    assert refit_speedup(1.0) == refit_speedup(0.5) == 1.0
    gains = [refit_speedup(r) for r in (1.0, 2.0, 4.0)]
    assert gains == sorted(gains) and 1.0 < gains[1] < 2.0 and gains[2] < 4.0
    assert refit_speedup(2.0, gain=0.25) == 1.25  # a learner that gains little from threads


class BlendStrategy:
    """Trials' out-of-fold predictions of 200 units; the loss per unit is the absolute error."""

    def __init__(self, actual: np.ndarray):
        self.actual = actual

    def oof(self, trial: Trial) -> np.ndarray:
        return trial.oof

    def loss(self, best: Trial, prediction: np.ndarray) -> float:
        return float(np.mean(self.unit_losses(best, prediction)))

    def unit_losses(self, best: Trial, prediction: np.ndarray) -> np.ndarray:
        return np.abs(self.actual - prediction)


def _search(gain: float, searched_trials: int):
    """Two learners' default trials and ``searched_trials`` tuned ones; the best tuned trial's
    errors are the first default's less ``gain`` on average, with unit-to-unit noise."""
    rng = np.random.default_rng(1)
    actual = rng.normal(0.0, 1.0, 200)
    candidates = {"a": Candidate("a", defaults={"depth": 3}), "b": Candidate("b", defaults={})}
    err = rng.normal(0.0, 1.0, 200)
    pool = [Trial(0, "a", {"depth": 3}, oof=actual + err), Trial(1, "b", {}, oof=actual + 2 * err)]
    tuned = actual + err * (1 - gain + rng.normal(0.0, 0.5, 200))  # no better blended
    pool += [Trial(2 + i, "a", {"depth": 4 + i}, oof=tuned + i) for i in range(searched_trials)]
    strategy = BlendStrategy(actual)
    for t in pool:
        t.score = strategy.loss(None, t.oof)
    best = min(pool, key=lambda t: t.score)
    weights = engine.ensemble_weights(pool, strategy.oof, lambda p: strategy.loss(best, p))
    return engine._defaults_unless_beaten(strategy, candidates, pool, weights, best, True)


def test_a_search_keeps_its_blend_only_when_it_beats_the_defaults_beyond_noise() -> None:
    weights, why = _search(gain=0.3, searched_trials=3)
    assert 2 in weights and "the search's blend kept" in why
    weights, why = _search(gain=0.02, searched_trials=3)
    assert set(weights) <= {0, 1} and "the defaults' blend kept" in why


def test_a_run_of_defaults_only_is_left_as_it_is() -> None:
    weights, why = _search(gain=0.3, searched_trials=0)
    assert set(weights) <= {0, 1} and why == ""
