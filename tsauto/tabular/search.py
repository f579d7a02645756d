"""Tables on the engine: the candidate learners and the task strategy.

The engine (:mod:`tsauto.core.engine`) runs the search, selects the ensemble and refits; this
module hands it the tabular learners with their spaces and a :class:`TabularStrategy` around
a :class:`~tsauto.tabular.evaluator.TabularEvaluator`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np

from tsauto.core.engine import THREAD_GAIN
from tsauto.core.resources import pinned
from tsauto.core.search import Candidate, Trial, budget_to_finish
from tsauto.core.selection import REFIT_MARGIN, refit_estimate
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
    """Tables for the engine: trials' out-of-fold predictions, their loss, and the refit of
    the ensemble's members on every row with the threads each trial had."""

    evaluator: TabularEvaluator
    threads: int = 1

    @property
    def metric(self) -> str:
        return self.evaluator.metric.name

    def oof(self, trial: Trial) -> np.ndarray:
        return trial.oof

    def comparable(self, trial: Trial, best: Trial) -> bool:
        return True  # every trial predicts every row of the same splits

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

    def fallback_member(self, best: Trial):
        """The best trial refit here without a deadline: a model rather than no model."""
        return self.fit_member(best, None)

    def assemble(self, members: Sequence[tuple[float, Any]], trials: Sequence[Trial]) -> TabularEnsemble:
        return TabularEnsemble(list(members))
