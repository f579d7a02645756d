"""LightGBM within a deadline: cut to the rounds its time affords at a raised rate, or
stopped with an error when too little is left. The pace is a fake clock (10 ms a round), so the
cuts are exact."""

from __future__ import annotations

import lightgbm as lgb
import pytest
from engine_doubles import RoundClock
from sklearn.datasets import load_diabetes

from tsauto.core import stopping
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.core.stopping import MAX_RATE, LightGBMDeadline

PARAMS = {"objective": "l2", "verbosity": -1, "num_threads": 1, "seed": 0}


@pytest.fixture
def clock(monkeypatch) -> RoundClock:
    fake = RoundClock(start=0.0)  # every deadline here is set from the fake clock
    monkeypatch.setattr(stopping, "time", fake)
    return fake


@pytest.fixture(scope="module")
def data():
    X, y = load_diabetes(return_X_y=True)  # real data bundled with scikit-learn
    return X, y


def train(data, rounds: int, rate: float, stop: LightGBMDeadline) -> lgb.Booster:
    X, y = data
    return lgb.train({**PARAMS, "learning_rate": rate}, lgb.Dataset(X, y), num_boost_round=rounds,
                     callbacks=[stop])


def test_a_fit_that_fits_its_time_runs_as_planned(data, clock) -> None:
    stop = LightGBMDeadline(clock.now + 10.0, rounds=200, rate=0.05)
    booster = train(data, 200, 0.05, stop)
    assert booster.current_iteration() == 200
    assert stop.rounds_ is None and stop.rate_ is None


def test_a_fit_too_long_for_its_time_is_cut_at_a_raised_rate(data, clock) -> None:
    # 200 rounds of 10 ms against 1 s: the pace after 10 rounds affords 81 more (90 % of 0.9 s)
    stop = LightGBMDeadline(clock.now + 1.0, rounds=200, rate=0.05)
    booster = train(data, 200, 0.05, stop)
    assert stop.rounds_ == booster.current_iteration() == 91
    assert stop.rate_ * stop.rounds_ == pytest.approx(0.05 * 200)  # the planned sum of rates
    assert 0.05 < stop.rate_ < MAX_RATE
    assert clock.now <= stop.deadline
    same = lgb.train({**PARAMS, "learning_rate": stop.rate_}, lgb.Dataset(*data), num_boost_round=91)
    X, y = data  # about the model of the mean rate the trial reports
    cut_error = abs(booster.predict(X) - y).mean()
    assert cut_error == pytest.approx(abs(same.predict(X) - y).mean(), rel=0.1)


def test_a_cut_rate_stops_at_the_cap_and_too_little_left_raises(data, clock) -> None:
    # 500 rounds at 0.05 (a sum of 25) against 0.3 s: at 0.2 a round, 28 rounds sum to 4.1
    stop = LightGBMDeadline(clock.now + 0.3, rounds=500, rate=0.05)
    with pytest.raises(TimeLimitExceeded, match="round 28 of 500"):
        train(data, 500, 0.05, stop)


def test_a_fit_at_its_deadline_keeps_its_rounds_when_they_hold_enough(data, clock) -> None:
    # the pace slows after the plan: the deadline comes first, with most of the rates spent
    stop = LightGBMDeadline(clock.now + 1.0, rounds=100, rate=0.05)

    def slower(env) -> None:
        if env.iteration == 60:
            clock.step = 0.05

    X, y = data
    booster = lgb.train({**PARAMS, "learning_rate": 0.05}, lgb.Dataset(X, y), num_boost_round=100,
                        callbacks=[slower, stop])
    assert stop.rounds_ == booster.current_iteration() < 100
    assert stop.rounds_ * stop.rate_ >= 0.5 * 0.05 * 100
