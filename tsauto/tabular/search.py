"""Tables on the engine: the candidate learners and the task strategy.

The engine (:mod:`tsauto.core.engine`) runs the search, selects the ensemble and refits; this
module hands it the tabular learners with their spaces and a :class:`TabularStrategy` around
a :class:`~tsauto.tabular.evaluator.TabularEvaluator`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np

from tsauto.core.engine import THREAD_GAIN
from tsauto.core.resources import pinned
from tsauto.core.search import Candidate, Trial, budget_to_finish
from tsauto.core.selection import REFIT_MARGIN, best_trial, refit_estimate
from tsauto.tabular.checks import Check
from tsauto.tabular.evaluator import TabularEvaluator
from tsauto.tabular.learners import LEARNERS, learner
from tsauto.tabular.metrics import TaskType
from tsauto.tabular.model import TabularEnsemble
from tsauto.tabular.splitting import HOLDOUT_SHARE

log = logging.getLogger(__name__)

SLOW_SHARE = 0.3  # learners whose default trial would take more of the search budget are left out
# What a budget must hold for a default trial to finish, where every trial failed: seconds of a
# default fit per training row and feature column (beyond FIT_SECONDS) of a learner without
# its own estimate (measured one fit at a time, one thread, on the tabular sets of
# tsauto.datasets, 2 cores: LightGBM 0.8-1.4e-6 from 20,000 rows, linear up to 2.2e-6 on Adult's
# one-hot columns); the workers' start is core.search.WORKER_START_SECONDS.
CELL_SECONDS = 2e-6
FIT_SECONDS = 0.1
# Of the best trial's skill at probabilities (its Brier skill against the folds' class
# frequencies, TabularEvaluator.probability_skill), the share a trial must hold to be blended
# where the metric reads only the order or the arg max of the probabilities (ROC AUC, accuracy,
# F1, balanced accuracy). Such a metric cannot see a blend squeeze the probabilities toward a
# constant: ROC AUC is the same for p and 0.1 + 0.01 p, so the greedy selection gives a member
# whose probabilities hardly vary the large weight it needs to move the ranking at all. On 8,000
# rows of bank_marketing at time_budget=10 (user test 44 T5), a LightGBM cut to 1-8 of its 441
# rounds (ROC AUC 0.690, P(yes) 0.11-0.14 in three folds; Brier skill 0.021, 14 % of the best's
# 0.151) took 0.47 of the weight, 0.58 once a member was left out, for +0.003 of out-of-fold
# AUC, which the mean of the folds' AUCs gave alike: the blend's largest P(yes) was 0.45,
# predict() said "yes" for no row (12.75 % true), held-out log loss 0.326 against 0.311 for
# the best trial alone. The Brier score is convex in the probabilities, so any blend of the
# trials kept (whatever the weights, renormalised after a member is left out too) holds at
# least this share of the best's skill. Of the 46 trials of 30 s fits on credit_g, phoneme,
# kc1, magic_telescope and bank_marketing, the 18 the greedy selection weighted held 0.56-1.08
# of the best's skill; the 5 under half (four linear models, an extra-trees: 0.23-0.37) had
# weight 0 there.
BLEND_SKILL_SHARE = 0.5


def candidates(
    task: TaskType,
    learners: Literal["auto"] | Sequence[str],
    rows: int,
    width: int,
    folds: int,
    search_budget: float | None,
) -> tuple[dict[str, Candidate], list[Check]]:
    """The learners the search tries, and the data checks about them.

    ``"auto"``: every registered learner of the task, less those whose default trial (``folds``
    fits on the training part of ``rows`` rows with ``width`` features) would take more than
    ``SLOW_SHARE`` of the search budget; a list is taken as it is.
    """
    auto = learners == "auto"
    names = [n for n, e in LEARNERS.items() if task in e.tasks] if auto else list(learners)
    if not names:
        raise ValueError("learners= is empty: name at least one learner.")
    out, checks = {}, []
    train_rows = int(rows * (1 - 1 / folds)) if folds > 1 else int(rows * (1 - HOLDOUT_SHARE))
    for name in names:
        entry = learner(name, task)
        estimate = folds * entry.default_fit_seconds(task, train_rows, width)
        if auto and search_budget is not None and estimate > SLOW_SHARE * search_budget:
            log.info("leaving out %s: about %.0fs for its default trial", name, estimate)
            checks.append(
                Check(
                    "learners",
                    "",
                    f"{name}: about {estimate:.0f}s for one trial of a {search_budget:.0f}s search",
                    "left out (learners='auto'; a larger time_budget keeps it)",
                )
            )
            continue
        out[name] = Candidate(
            name,
            space=functools.partial(entry.space, task),
            defaults=entry.defaults(task),
            cost=entry.cost,
        )
    return out, checks


def budget_hint(
    task: TaskType,
    learners: Sequence[str],
    rows: int,
    width: int,
    folds: int,
    spent: float,
    budget: float,
    search_share: float,
) -> str:
    """Where the search of a ``budget`` failed: about the budget in which the default trial of
    the cheapest of ``learners`` finishes and refits (``spent`` seconds went before the search,
    which gets ``search_share`` of the budget), as a sentence; '' when ``budget`` is no less."""
    train_rows = int(rows * (1 - 1 / folds)) if folds > 1 else int(rows * (1 - HOLDOUT_SHARE))

    def fit(name: str, n: int) -> float:
        known = learner(name, task).default_fit_seconds(task, n, width)
        return FIT_SECONDS + (known or CELL_SECONDS * n * width)

    costs = {name: folds * fit(name, train_rows) + REFIT_MARGIN * fit(name, rows) for name in learners}
    name = min(costs, key=costs.get)
    needed = budget_to_finish(spent, costs[name], search_share)
    if needed <= budget:
        return ""
    return (
        f" At {rows:,} rows and {width} feature column(s), {name}'s default trial ({folds} fit(s)) "
        f"and its refit take about {costs[name]:.1f} s after the workers' start: a time_budget "
        f"of about {needed} s lets it finish."
    )


@dataclass
class TabularStrategy:
    """Tables for the engine: trials' out-of-fold predictions, their loss, the trials that may
    be blended, and the refit of the ensemble's members on every row with the threads each
    trial had."""

    evaluator: TabularEvaluator
    threads: int = 1
    _skills: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    @property
    def metric(self) -> str:
        return self.evaluator.metric.name

    def oof(self, trial: Trial) -> np.ndarray:
        return trial.oof

    def comparable(self, trial: Trial, best: Trial) -> bool:
        """Every trial predicts every row of the same splits; it is blended unless its
        probabilities fall short (:meth:`short_of_skill`)."""
        return self.short_of_skill(trial, best) is None

    def short_of_skill(self, trial: Trial, best: Trial) -> str | None:
        """Why ``trial`` is not blended with ``best``, or None: under a metric that does not
        score probabilities (ROC AUC, accuracy, F1), a trial of a classifier whose out-of-fold
        probabilities hold less than ``BLEND_SKILL_SHARE`` of ``best``'s Brier skill (all of
        it, where ``best`` has none)."""
        ev = self.evaluator
        if ev.task != "classification" or ev.metric.scores_probabilities or trial.number == best.number:
            return None
        mine, top = self._skill(trial), self._skill(best)
        if mine >= top - (1.0 - BLEND_SKILL_SHARE) * max(top, 0.0):
            return None
        return (f"not blended: its probabilities' Brier skill {mine:.3f} is under "
                f"{BLEND_SKILL_SHARE:.0%} of the best trial's {top:.3f}")

    def left_out(self, trials: Sequence[Trial]) -> dict[int, str]:
        """The finished trials :meth:`comparable` keeps out of the blend of the best of
        ``trials``, with the reason, by trial number."""
        ok = [t for t in trials if t.status == "ok"]
        if not ok:
            return {}
        best = best_trial(ok)
        found = {t.number: self.short_of_skill(t, best) for t in ok}
        return {n: why for n, why in found.items() if why}

    def _skill(self, trial: Trial) -> float:
        if trial.number not in self._skills:
            self._skills[trial.number] = self.evaluator.probability_skill(trial.oof)
        return self._skills[trial.number]

    def loss(self, best: Trial, prediction: np.ndarray) -> float:
        return self.evaluator.oof_loss(prediction)

    def metric_value(self, loss: float) -> float:
        return self.evaluator.metric.to_value(loss)

    def thread_gain(self, trial: Trial) -> float:
        return THREAD_GAIN

    def refit_seconds(self, trial: Trial) -> float:
        trained = [len(train) for train, _ in self.evaluator.splits]
        return refit_estimate(trial.fit_time, trained, len(self.evaluator.y))

    def fit_member(self, trial: Trial, deadline: float | None, threads: int | None = None):
        # with the threads each trial had (or fewer), so that the trials' times predict the
        # refit (two threads next to other busy processes can run many times slower than one)
        threads = min(threads or self.threads, self.threads)
        member = self.evaluator.make(trial.learner, trial.params)
        with pinned(threads):
            return member.fit(self.evaluator.X, self.evaluator.y, threads=threads, deadline=deadline)

    def kept_member(self, trial: Trial) -> None:
        """None: every member is refit on all rows."""
        return None

    def fallback_member(self, best: Trial):
        """The best trial refit here without a deadline: a model rather than no model."""
        return self.fit_member(best, None)

    def assemble(self, members: Sequence[tuple[float, Any]], trials: Sequence[Trial]) -> TabularEnsemble:
        return TabularEnsemble(list(members))
