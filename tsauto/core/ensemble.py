"""Greedy ensemble selection with replacement (Caruana et al., 2004).

Over the out-of-fold predictions of the trials: start from nothing, add at each round the member
whose inclusion gives the best score of the averaged prediction (a member may be added again,
which raises its weight), and keep the best ensemble seen. Knows nothing of learners.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def greedy_ensemble(
    predictions: Sequence[np.ndarray],
    score: Callable[[np.ndarray], float],
    rounds: int = 25,
) -> tuple[np.ndarray, float]:
    """Weights (summing to 1) over ``predictions`` and the ensemble's score (lower is better).

    The result is never worse than the best single member: the first round picks it, and the
    best ensemble over all rounds is returned. Where no prediction can be scored (every score
    nan), equal weights and a nan score.
    """
    if not predictions:
        raise ValueError("no predictions to ensemble")
    preds = [np.asarray(p, dtype=np.float64) for p in predictions]
    counts = np.zeros(len(preds))
    total = np.zeros_like(preds[0])
    best_counts, best_score = None, np.inf
    for r in range(1, rounds + 1):
        trial_scores = [score((total + p) / r) for p in preds]
        if np.isnan(trial_scores).all():
            break
        j = int(np.nanargmin(trial_scores))
        counts[j] += 1
        total = total + preds[j]
        if trial_scores[j] < best_score - 1e-12:
            best_score, best_counts = trial_scores[j], counts.copy()
    if best_counts is None:
        return np.full(len(preds), 1.0 / len(preds)), float("nan")
    return best_counts / best_counts.sum(), float(best_score)
