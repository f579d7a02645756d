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

from tsauto.core.exceptions import TsautoError
from tsauto.core.executor import Executor
from tsauto.core.search import Candidate, Evaluator, Search, SearchSettings, Trial
from tsauto.core.selection import (
    affordable,
    best_trial,
    describe,
    ensemble_weights,
    refittable,
    search_gain_is_real,
)

log = logging.getLogger(__name__)

# What one more thread adds to a fit's speed: the global LightGBM (features, then training) on
# 2 threads takes 1/1.57 (M4 Hourly) and 1/1.74 (Weekly) of its 1-thread time (2026-12-02);
# counting 2x dropped the heaviest member of a 60 s fit, its refit past the deadline.
THREAD_GAIN = 0.6


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

    def unit_losses(self, best: Trial, prediction: np.ndarray) -> np.ndarray | None:
        """The validation loss of a blend per independent unit (a series, a row), whose mean
        orders blends as ``loss`` does; None when the metric is not a mean over units."""

    def refit_seconds(self, trial: Trial) -> float:
        """Estimated seconds to refit ``trial``'s learner on all data, on the threads its trial had."""

    def thread_gain(self, trial: Trial) -> float:
        """What one more thread adds to the speed of ``trial``'s refit (``THREAD_GAIN`` when
        its learner says nothing)."""

    def fit_member(self, trial: Trial, deadline: float | None) -> Any:
        """``trial``'s learner fitted on all data (run in an isolated worker: picklable)."""

    def fallback_member(self, best: Trial) -> Any:
        """A model fitted on all data when no member could be refit in time (something cheap
        and bounded, or ``best`` refit without a deadline)."""

    def assemble(self, members: Sequence[tuple[float, Any]], trials: Sequence[Trial]) -> Any:
        """The final model from fitted members and their weights; ``trials``: each member's
        trial (its out-of-fold predictions), in the same order."""


@dataclass
class EngineResult:
    """The refit model, every trial, the ensemble weights by trial number (of the members
    refit), the blended out-of-fold predictions with their validation loss, why members were
    dropped at the refit (by trial number), whether Ctrl-C ended the search, and which blend
    was kept, the search's or the defaults' (empty when all trials were defaults)."""

    model: Any
    trials: list[Trial]
    weights: dict[int, float]
    oof: np.ndarray
    loss: float
    refit_failures: dict[int, str]
    interrupted: bool = False
    choice: str = ""


def search_and_refit(
    strategy: TaskStrategy,
    candidates: dict[str, Candidate],
    settings: SearchSettings,
    executor: Executor,
    ensemble: bool = True,
    deadline: float | None = None,
    fingerprint: str | None = None,
) -> EngineResult:
    """Run the search, select the ensemble over the comparable trials whose refit fits before
    ``deadline`` (the defaults' ensemble unless the search's beats it beyond noise), keep the
    members whose refits fit together (the heaviest always) and refit each in an isolated
    worker with that deadline; a member whose refit fails is dropped and the weights
    renormalised."""
    start = time.monotonic()
    search = Search(candidates, strategy.evaluator, settings, executor, fingerprint=fingerprint)
    trials = search.run()
    if search.interrupted:
        log.warning("search interrupted: finishing with the %d trials done", len(trials))
    best = best_trial(trials)
    pool = [t for t in trials if t.status == "ok" and strategy.comparable(t, best)]
    # trials ran beside each other on a share of the cores; a refit runs alone on all of them
    ratio = executor.call_threads() / executor.threads_per_trial()
    cost = {
        t.number: strategy.refit_seconds(t) / refit_speedup(ratio, strategy.thread_gain(t)) for t in pool
    }
    pool = refittable(pool, cost, deadline)
    weights = ensemble_weights(pool, strategy.oof, lambda p: strategy.loss(best, p), ensemble)
    by_number = {t.number: t for t in trials}
    weights, choice = _defaults_unless_beaten(strategy, candidates, pool, weights, best, ensemble)
    weights = affordable(weights, cost, deadline)
    blended = sum(w * strategy.oof(by_number[n]) for n, w in weights.items())
    loss = strategy.loss(best, blended)
    log.info(
        "ensemble %s: %s %.4f (best single %.4f)",
        describe(weights, by_number), strategy.metric, loss, best.score,
    )
    t0 = time.monotonic()
    fitted, failures = _refit(strategy, executor, weights, by_number, deadline, cost)
    if fitted:
        total = sum(w for _, w, _ in fitted)
        model = strategy.assemble([(w / total, m) for _, w, m in fitted], [by_number[n] for n, _, _ in fitted])
        weights = {n: w / total for n, w in weights.items() if n not in failures}
    else:
        log.warning("no member could be refit (%s): the fallback model is used", failures)
        model = strategy.assemble([(1.0, strategy.fallback_member(best))], [best])
        weights = {}
    log.info(
        "refit %d member(s) in %.1fs; search and refit %.1fs",
        len(fitted), time.monotonic() - t0, time.monotonic() - start,
    )
    return EngineResult(model, trials, weights, blended, loss, failures, search.interrupted, choice)


def _defaults_unless_beaten(strategy, candidates, pool, weights, best, ensemble):
    """The ensemble of the learners' default trials in ``pool``, unless the search's
    ``weights`` beat it by more than the noise of choosing among the pool's trials
    (:func:`~tsauto.core.selection.search_gain_is_real`); returns the weights kept and why.
    A budget is there to improve on the defaults, not to find a lucky fold."""
    defaults = [t for t in pool if t.params == candidates[t.learner].defaults]
    if not defaults or len(defaults) == len(pool):
        return weights, ""
    score = lambda p: strategy.loss(best, p)  # noqa: E731
    base = ensemble_weights(defaults, strategy.oof, score, ensemble)
    if base == weights:
        return weights, ""
    by_number = {t.number: t for t in pool}

    def units(w: dict[int, float]) -> np.ndarray | None:
        return strategy.unit_losses(best, sum(x * strategy.oof(by_number[n]) for n, x in w.items()))

    searched, default = units(weights), units(base)
    if searched is None or default is None:
        return weights, ""
    real, why = search_gain_is_real(default, searched, len(pool))
    log.info("%s", why)
    return (weights if real else base), why


def refit_speedup(ratio: float, gain: float = THREAD_GAIN) -> float:
    """How much faster a refit on ``ratio`` times its trial's threads runs: each extra thread
    adds ``gain`` of one (not all of a fit is parallel)."""
    return 1.0 + gain * (max(ratio, 1.0) - 1.0)


def _refit(strategy, executor, weights, by_number, deadline, cost):
    """Refit the members one after another, cheapest first (estimated ``cost``; heavier weight
    first among equals): on a loaded machine a costly refit that overruns then takes only
    itself out, not every cheaper member queued behind it (M1 monthly at a 120 s budget: a TCN
    refit past the deadline left ETS no time, and seasonal naive replaced the ensemble)."""
    fitted, failures = [], {}
    try:
        for n, w in sorted(weights.items(), key=lambda x: (cost.get(x[0], 0.0), -x[1])):
            try:
                member = executor.call(strategy.fit_member, by_number[n], deadline, deadline=deadline)
            except (TsautoError, MemoryError, TimeoutError) as err:
                failures[n] = f"refit failed: {type(err).__name__}: {err}"
                log.warning("member %s#%d dropped: %s", by_number[n].learner, n, failures[n])
                continue
            fitted.append((n, w, member))
    finally:
        executor.close()
    return fitted, failures
