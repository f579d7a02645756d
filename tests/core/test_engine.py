"""The time the engine keeps for the refit of its blend, and the refit: members refit cheapest
first, so one that overruns drops only itself."""

from __future__ import annotations

import time

import numpy as np

from tsauto.core import engine
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.core.search import Trial


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
    """Trials' out-of-fold predictions of 200 units; the loss is the mean absolute error."""

    def __init__(self, actual: np.ndarray):
        self.actual = actual

    def oof(self, trial: Trial) -> np.ndarray:
        return trial.oof

    def loss(self, best: Trial, prediction: np.ndarray) -> float:
        return float(np.mean(np.abs(self.actual - prediction)))


class ReserveStrategy(BlendStrategy):
    """Refit seconds per learner (the trial's own time is ignored); every trial comparable."""

    refit = {"heavy": 30.0, "light": 1.0}

    def comparable(self, trial: Trial, best: Trial) -> bool:
        return True

    def refit_seconds(self, trial: Trial) -> float:
        return self.refit[trial.learner]

    def thread_gain(self, trial: Trial) -> float:
        return 0.0


class TwoCores:
    def call_threads(self) -> int:
        return 2

    def threads_per_trial(self) -> int:
        return 1


def _trials(strategy: ReserveStrategy, learners: list[str], errors: list[np.ndarray]) -> list[Trial]:
    trials = [Trial(n, name, {"n": n}, oof=strategy.actual + e) for n, (name, e) in enumerate(zip(learners, errors))]
    for t in trials:
        t.score = strategy.loss(None, t.oof)
    return trials


def test_the_search_stops_early_enough_to_refit_its_blend() -> None:
    rng = np.random.default_rng(0)
    strategy = ReserveStrategy(rng.normal(0.0, 1.0, 200))
    noise = [rng.normal(0.0, 1.0, 200) for _ in range(3)]
    now = time.monotonic()
    deadline, end = now + 100.0, now + 80.0
    stop_by = engine._refit_reserve(strategy, TwoCores(), deadline, end, ensemble=True)
    # two heavy trials with independent errors blend: both refits (60 s) are kept from the deadline
    heavy = _trials(strategy, ["heavy", "heavy"], noise[:2])
    assert abs(stop_by(heavy) - (deadline - 60.0)) < 1e-6
    # a heavy trial blended with light ones needs only its own refit and theirs
    mixed = _trials(strategy, ["heavy", "light", "light"], noise)
    assert abs(stop_by(mixed) - (deadline - 32.0)) < 1e-6
    # cheap blends leave the search's end alone (the time after it refits them)
    light = _trials(strategy, ["light", "light"], noise[:2])
    assert engine._refit_reserve(strategy, TwoCores(), deadline, end, True)(light) >= end
    # without an ensemble only the best trial is refit
    alone = engine._refit_reserve(strategy, TwoCores(), deadline, end, ensemble=False)
    assert abs(alone(heavy) - (deadline - 30.0)) < 1e-6
