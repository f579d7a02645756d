"""The leaderboard table: one row per trial, scores in the metric's orientation, refit drops."""

from __future__ import annotations

import numpy as np

from tsauto.core.leaderboard import leaderboard
from tsauto.core.search import Trial


def test_rows_scores_weights_and_a_member_dropped_at_refit() -> None:
    trials = [
        Trial(0, "lightgbm", {"num_leaves": 31}, fold_scores=[0.2, 0.3], score=0.25, fit_time=1.5),
        Trial(1, "linear", {}, fold_scores=[0.4, 0.4], score=0.4),
        Trial(2, "tcn", {}, status="timeout", reason="past its deadline"),
    ]
    board = leaderboard(
        trials, {1: 1.0}, "roc_auc", lambda loss: 1.0 - loss,
        dropped={0: "refit failed: TimeLimitExceeded: time is up"},
    )
    assert list(board["trial"]) == [0, 1, 2]
    assert board.loc[0, "reason"].startswith("refit failed") and board.loc[0, "weight"] == 0.0
    assert board.loc[1, "weight"] == 1.0 and board.loc[2, "reason"] == "past its deadline"
    np.testing.assert_allclose(board["roc_auc"].to_numpy()[:2], [0.75, 0.6])
    np.testing.assert_allclose(board.loc[0, ["roc_auc_fold0", "roc_auc_fold1"]].astype(float), [0.8, 0.7])
    assert np.isnan(board.loc[2, "roc_auc"]) and board.loc[0, "params"] == "{'num_leaves': 31}"


def test_a_trial_cut_to_its_time_and_left_out_of_the_blend_keeps_both_reasons() -> None:
    """The reason it was left out replaced the one it had (LightGBM cut to its time; review)."""
    trials = [Trial(0, "lightgbm", {}, fold_scores=[0.2], score=0.2, reason="cut to its time: 80 of 500 rounds")]
    board = leaderboard(trials, {}, "mae", dropped={0: "not blended: refit ~41s, 12s left"})
    assert board.loc[0, "reason"] == "cut to its time: 80 of 500 rounds; not blended: refit ~41s, 12s left"
