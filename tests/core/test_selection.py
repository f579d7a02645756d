"""From trials to refit members: only models whose refit fits in the time left are blended."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tsauto.core.search import Trial
from tsauto.core.selection import (
    REFIT_MARGIN,
    SHRINK_TOP,
    affordable,
    ensemble_pool,
    ensemble_weights,
    refit_estimate,
    refittable,
)


def _trials(scores: list[float]) -> list[Trial]:
    return [Trial(i, f"learner{i}", {}, score=s) for i, s in enumerate(scores)]


def test_a_best_trial_too_slow_to_refit_leaves_the_others_in() -> None:
    trials = _trials([1.0, 1.2, 1.3])
    cost = {0: 30.0, 1: 0.0, 2: 5.0}
    kept = refittable(trials, cost, time.monotonic() + 20)
    assert [t.number for t in kept] == [1, 2]  # the best (30 s) would overrun; the free one stays


def test_without_a_deadline_or_when_none_fits() -> None:
    trials = _trials([1.0, 1.2])
    assert refittable(trials, {0: 50.0, 1: 40.0}, None) == trials
    (cheapest,) = refittable(trials, {0: 50.0, 1: 40.0}, time.monotonic() + 10)
    assert cheapest.number == 1


def test_affordable_keeps_the_heaviest_and_what_fits_beside_it() -> None:
    weights = {0: 0.5, 1: 0.3, 2: 0.2}
    kept, without = affordable(weights, {0: 8.0, 1: 8.0, 2: 0.0}, time.monotonic() + 10)
    assert set(kept) == {0, 2} and set(without) == {1, 2}  # and the blend without the heaviest
    assert abs(sum(kept.values()) - 1) < 1e-12 and abs(kept[0] / kept[2] - 0.5 / 0.2) < 1e-12
    assert affordable(weights, {0: 8.0, 1: 8.0, 2: 0.0}, None) == [weights]


def test_affordable_offers_the_blend_without_a_heaviest_member_past_the_time_left() -> None:
    """User test 58: the heaviest member (0.6), its refit taking most of the 1 s left, was kept
    alone and the members that refit at once were left out; now both blends are offered (the
    engine keeps the one validating best)."""
    weights = {0: 0.6, 1: 0.3, 2: 0.1}
    forced, without = affordable(weights, {0: 0.95, 1: 0.1, 2: 0.1}, time.monotonic() + 1.0)
    assert forced == {0: 1.0}
    assert set(without) == {1, 2} and abs(without[1] - 0.75) < 1e-12
    assert len(affordable(weights, {0: 1.5, 1: 2.0, 2: 2.0}, time.monotonic() + 1.0)) == 1  # none fits without it
    assert len(affordable(weights, {0: 0.5, 1: 0.2, 2: 0.2}, time.monotonic() + 1.0)) == 1  # all fit together


def test_a_refit_estimate_grows_from_a_folds_rows_to_all_rows() -> None:
    # 2 folds of 50 and 70 rows took 12 s: 6 s per fold of 60 rows, so 12 s for 120 rows
    assert refit_estimate(12.0, [50, 70], 120) == 12.0 * REFIT_MARGIN
    assert refit_estimate(12.0, [], 120) == 12.0 * REFIT_MARGIN  # no folds: the trial's own time


def test_the_ensemble_pool_holds_every_learners_best_trial() -> None:
    # 30 LightGBM variants all better than ETS and Theta: the pool keeps ETS and Theta's best
    trials = [Trial(i, "lightgbm", {"i": i}, score=1.0 + i / 100) for i in range(30)]
    trials += [Trial(30, "ets", {}, score=2.0), Trial(31, "ets", {"a": 1}, score=2.5),
               Trial(32, "theta", {}, score=3.0), Trial(33, "tcn", {}, status="failed")]
    pool = ensemble_pool(trials, size=5)
    assert [t.number for t in pool] == [0, 1, 2, 30, 32]  # best first, failed trials never in
    assert len(ensemble_pool(trials, size=2)) == 3  # every learner's best even above the size


def _mae(truth: np.ndarray):
    return lambda p: float(np.mean(np.abs(p - truth)))


def test_shrunk_weights_move_halfway_from_greedy_to_the_mean_of_the_best() -> None:
    # greedy blends learners 0 and 1 (their errors cancel); the 3 best by score share the
    # shrunk half equally, the fourth (worst) gets nothing; the blend still beats the best alone
    truth = np.array([1.0, 2.0, 3.0, 4.0])
    preds = {0: truth + 0.5, 1: truth - 0.5, 2: truth + 0.6, 3: truth + 5.0}
    trials = _trials([0.5, 0.5, 0.6, 5.0])

    def weights(shrink: float) -> dict[int, float]:
        return ensemble_weights(trials, lambda t: preds[t.number], _mae(truth), shrink=shrink)

    assert weights(0.0) == {0: 0.5, 1: 0.5}
    half = weights(0.5)
    assert SHRINK_TOP == 3 and set(half) == {0, 1, 2}
    assert half[0] == pytest.approx(0.25 + 0.5 / 3) and half[2] == pytest.approx(0.5 / 3)
    assert sum(half.values()) == pytest.approx(1.0)
    assert ensemble_weights(trials, lambda t: preds[t.number], lambda p: 0.0,
                            ensemble=False, shrink=0.5) == {0: 1.0}  # no ensemble: the best alone
    with pytest.raises(ValueError, match="shrink"):
        weights(1.5)


def test_said_whether_the_weights_were_shrunk() -> None:
    # the plan notes the rule only (user test 48: "moved 50%" noted, the weights stayed greedy):
    # the outcome is said either way, for the fitted plan's notes
    truth = np.array([1.0, 2.0, 3.0, 4.0])
    trials = _trials([0.5, 0.5, 0.6, 5.0])
    cancel = {0: truth + 0.5, 1: truth - 0.5, 2: truth + 0.6, 3: truth + 5.0}
    far = {0: truth, 1: truth + 1.0, 2: truth - 2.0, 3: truth + 5.0}
    said: list[str] = []
    ensemble_weights(trials, lambda t: cancel[t.number], _mae(truth), shrink=0.5, said=said)
    ensemble_weights(trials, lambda t: far[t.number], _mae(truth), shrink=0.5, said=said)
    assert said == [
        "ensemble weights shrunk: moved 50% toward equal weights on learner0, learner1, learner2",
        "ensemble weights not shrunk: toward equal weights on learner0, learner1, learner2 they "
        "validate worse than learner0 alone",
    ]


def test_shrunk_weights_go_to_the_best_trials_of_the_3_best_learners() -> None:
    # a search's variants of one learner lead: the shrunk share skips the second variant
    truth = np.array([1.0, 2.0, 3.0, 4.0])
    preds = {0: truth + 0.5, 1: truth + 0.6, 2: truth - 0.5, 3: truth + 0.7, 4: truth + 5.0}
    trials = [Trial(0, "lightgbm", {}, score=0.5), Trial(1, "lightgbm", {"a": 1}, score=0.6),
              Trial(2, "ets", {}, score=0.5), Trial(3, "theta", {}, score=0.7), Trial(4, "naive", {}, score=5.0)]
    half = ensemble_weights(trials, lambda t: preds[t.number], _mae(truth), shrink=0.5)
    assert set(half) == {0, 2, 3}  # greedy: trials 0 and 2; the leaders: 0, ets, theta
    assert half[2] == pytest.approx(0.25 + 0.5 / 3) and half[3] == pytest.approx(0.5 / 3)


def test_weights_shrunk_worse_than_the_best_alone_stay_greedy() -> None:
    # the best trial is exact and the third best learner far behind: moved toward equal weights
    # the blend would validate worse than the best alone, so the greedy weights stay
    truth = np.array([1.0, 2.0, 3.0, 4.0])
    preds = {0: truth, 1: truth + 1.0, 2: truth - 2.0, 3: truth + 5.0}
    trials = _trials([0.0, 1.0, 2.0, 5.0])
    assert ensemble_weights(trials, lambda t: preds[t.number], _mae(truth), shrink=0.5) == {0: 1.0}


def test_weights_shrunk_toward_named_learners_go_to_their_best_trials_whatever_validation_says() -> None:
    # few short series: the shrunk share goes equally to the named learners' best trials (ETS and
    # Theta), also where the validation windows prefer the best trial alone (they are too few to say)
    truth = np.array([1.0, 2.0, 3.0, 4.0])
    preds = {0: truth, 1: truth + 1.0, 2: truth - 2.0, 3: truth + 3.0, 4: truth + 5.0}
    trials = [Trial(0, "lightgbm", {}, score=0.0), Trial(1, "drift", {}, score=1.0), Trial(2, "ets", {"damped": False}, score=2.0),
              Trial(3, "theta", {}, score=3.0), Trial(4, "ets", {}, score=5.0)]
    said: list[str] = []
    moved = ensemble_weights(trials, lambda t: preds[t.number], _mae(truth), shrink=0.5, said=said,
                             toward=("ets", "theta"))
    assert moved == {0: 0.5, 2: 0.25, 3: 0.25}  # ETS's best trial, not its default one
    assert said == ["ensemble weights shrunk: moved 50% toward equal weights on ets and theta"]
    assert ensemble_weights(trials, lambda t: preds[t.number], _mae(truth), shrink=0.5) == {0: 1.0}
    alone = [t for t in trials if t.learner != "ets"]  # one of them failed or left out: the other takes it all
    assert ensemble_weights(alone, lambda t: preds[t.number], _mae(truth), shrink=0.5, toward=("ets", "theta")) == {
        0: 0.5, 3: 0.5}
    neither = [t for t in alone if t.learner != "theta"]  # neither: the usual rule
    assert ensemble_weights(neither, lambda t: preds[t.number], _mae(truth), shrink=0.5, toward=("ets", "theta")) == {0: 1.0}
