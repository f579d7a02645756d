"""Deadlines inside long native fits: a LightGBM callback that keeps a fit within its time."""

from __future__ import annotations

import math
import time

from tsauto.core.exceptions import TimeLimitExceeded

# The highest learning rate a fit cut to its time is raised to (the planner's bound for a
# budgeted default trial, and the top of the search space's rates).
MAX_RATE = 0.2
# Of the rounds the time left affords at the pace so far, those a cut fit plans on: the rest
# is kept for the forecast that follows the fit.
PACE_MARGIN = 0.9
# A fit cut to its deadline that did less than this share of its planned work (the sum of its
# learning rates; a forest's trees) fails: a model that forecasts or predicts (a refit). A
# validation fold's fit keeps whatever it did (TRIAL_MIN_SHARE): its validation scores what it
# amounts to, and the refit uses the parameters of the trial's median fold's cut (core.cuts).
MIN_SHARE = 0.5
TRIAL_MIN_SHARE = 0.0


def equal_share(deadline: float | None, parts_left: int) -> float | None:
    """The deadline of the next of ``parts_left`` fits (folds, models) still to run before
    ``deadline``: an equal share of the time left, so that one fit cut to its deadline leaves
    the others theirs (``None`` or infinite: unchanged)."""
    if deadline is None or not math.isfinite(deadline):
        return deadline
    now = time.monotonic()
    return now + (deadline - now) / parts_left


class LightGBMDeadline:
    """LightGBM callback keeping a fit of ``rounds`` boosting rounds at learning ``rate`` within
    ``deadline`` (a ``time.monotonic()`` time).

    A fit that would run past the deadline at its pace so far (re-read every ``every`` rounds)
    is cut to the rounds the time left affords, its learning rate raised (up to ``MAX_RATE``)
    so that the sum of the rates over the rounds stays as planned (fewer rounds at a raised
    rate cost the least accuracy of the ways to fit a budget, benchmarks/README.md); a fit
    still running at the deadline stops with the rounds done. It raises
    :class:`TimeLimitExceeded` only when the rounds done hold less than ``min_share`` of the
    planned sum of rates. ``rounds_`` and ``rate_`` (the mean rate) say what a cut fit amounted
    to; ``None`` when it ran as planned.
    """

    order = 0

    def __init__(
        self, deadline: float, rounds: int, rate: float, every: int = 10, min_share: float = MIN_SHARE
    ):
        self.deadline = deadline
        self.rounds = rounds
        self.rate = rate
        self.every = every
        self.min_share = min_share
        self.rounds_: int | None = None
        self.rate_: float | None = None
        self._end = rounds
        self._current = rate
        self._spent = 0.0  # sum of the rates of the rounds done
        self._start: tuple[float, int] | None = None  # (time, rounds done) of the first call

    def __call__(self, env) -> None:
        now = time.monotonic()
        done = env.iteration - env.begin_iteration + 1
        self._spent += self._current
        if now > self.deadline:
            self._stop(env, done)
        if self._start is None:  # the first round also bins the data: the pace starts after it
            self._start = (now, done)
        elif done % self.every == 0:
            self._replan(env, now, done)
        if done >= self._end and self._end < self.rounds:
            self._stop(env, done)

    def _replan(self, env, now: float, done: int) -> None:
        t0, done0 = self._start
        pace = (now - t0) / (done - done0)
        affordable = done + int(PACE_MARGIN * (self.deadline - now) / pace) if pace > 0 else self._end
        if affordable >= self._end:
            return
        self._end = max(affordable, done + 1)
        left = self.rate * self.rounds - self._spent
        rate = min(max(MAX_RATE, self.rate), left / (self._end - done))
        if rate > 1.01 * self._current:
            env.model.reset_parameter({"learning_rate": rate})
            self._current = rate

    def _stop(self, env, done: int) -> None:
        import lightgbm as lgb

        if self._spent < self.min_share * self.rate * self.rounds:
            raise TimeLimitExceeded(
                f"LightGBM stopped at round {done} of {self.rounds}: time is up"
            )
        self.rounds_, self.rate_ = done, self._spent / done
        raise lgb.callback.EarlyStopException(env.iteration, [])
