"""One engine for every task: search, select the ensemble, refit its members.

A task (forecasting, classification, regression) hands the engine a :class:`TaskStrategy`:
the evaluator that scores one trial on the task's splitter, and how to read, compare, score
and refit trials. The loop itself never changes with the task (as FLAML's task strategies).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from tsauto.core.executor import Executor
from tsauto.core.search import Candidate, Evaluator, Search, SearchSettings, Trial
from tsauto.core.selection import affordable, best_trial, describe, ensemble_weights

log = logging.getLogger(__name__)


class TaskStrategy(Protocol):
    """What a task tells the engine. ``evaluator`` must be picklable (it runs in workers)."""

    evaluator: Evaluator
    metric: str

    def oof(self, trial: Trial) -> np.ndarray:
        """The trial's out-of-fold predictions, as the ensemble blends them."""

    def comparable(self, trial: Trial, best: Trial) -> bool:
        """Whether ``trial`` predicted the same cells as ``best`` (so they can be blended)."""

    def loss(self, best: Trial, prediction: np.ndarray) -> float:
        """Validation loss of a blend of out-of-fold predictions (lower is better)."""

    def refit_seconds(self, trial: Trial) -> float:
        """Estimated seconds to refit ``trial``'s learner on all data."""

    def refit(self, members: Sequence[tuple[float, Trial]], deadline: float | None) -> Any:
        """The final model: every member refit on all data, with its weight."""


@dataclass
class EngineResult:
    """The refit model, every trial, the ensemble weights by trial number, and the blended
    out-of-fold predictions with their validation loss."""

    model: Any
    trials: list[Trial]
    weights: dict[int, float]
    oof: np.ndarray
    loss: float


def search_and_refit(
    strategy: TaskStrategy,
    candidates: dict[str, Candidate],
    settings: SearchSettings,
    executor: Executor,
    ensemble: bool = True,
    deadline: float | None = None,
) -> EngineResult:
    """Run the search, select the ensemble over comparable trials, keep the members whose
    refit fits before ``deadline`` (the best always) and refit them."""
    start = time.monotonic()
    trials = Search(candidates, strategy.evaluator, settings, executor).run()
    best = best_trial(trials)
    pool = [t for t in trials if t.status == "ok" and strategy.comparable(t, best)]
    weights = ensemble_weights(pool, strategy.oof, lambda p: strategy.loss(best, p), ensemble)
    by_number = {t.number: t for t in trials}
    cost = {n: strategy.refit_seconds(by_number[n]) for n in weights}
    weights = affordable(weights, cost, best.number, deadline)
    blended = sum(w * strategy.oof(by_number[n]) for n, w in weights.items())
    loss = strategy.loss(best, blended)
    log.info(
        "ensemble %s: %s %.4f (best single %.4f)",
        describe(weights, by_number), strategy.metric, loss, best.score,
    )
    t0 = time.monotonic()
    model = strategy.refit([(w, by_number[n]) for n, w in weights.items()], deadline)
    log.info(
        "refit %d member(s) in %.1fs; search and refit %.1fs",
        len(weights), time.monotonic() - t0, time.monotonic() - start,
    )
    return EngineResult(model, trials, weights, blended, loss)
