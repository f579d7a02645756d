"""The engine's refit: members refit cheapest first, so one that overruns drops only itself."""

from __future__ import annotations

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
