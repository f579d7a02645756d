"""Tables on the search core: candidates, search, ensemble selection, refit on all rows.

The search core (:mod:`tsauto.core.search`) runs the trials; this module hands it the tabular
learners with their spaces and a :class:`~tsauto.tabular.evaluator.TabularEvaluator`, selects
the ensemble over the trials' out-of-fold predictions and refits its members on every row.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Literal, Sequence

import numpy as np

from tsauto.core.executor import Executor
from tsauto.core.resources import pinned
from tsauto.core.search import Candidate, Search, SearchSettings, Trial
from tsauto.core.selection import REFIT_MARGIN, affordable, best_trial, describe, ensemble_weights
from tsauto.tabular.checks import Check
from tsauto.tabular.evaluator import TabularEvaluator
from tsauto.tabular.learners import LEARNERS, learner
from tsauto.tabular.metrics import TaskType
from tsauto.tabular.model import TabularEnsemble
from tsauto.tabular.splitting import HOLDOUT_SHARE

log = logging.getLogger(__name__)

SLOW_SHARE = 0.3  # learners whose default trial would take more of the search budget are left out


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


def run_search(
    evaluator: TabularEvaluator,
    candidates: dict[str, Candidate],
    settings: SearchSettings,
    executor: Executor,
    ensemble: bool,
    deadline: float | None = None,
) -> tuple[TabularEnsemble, list[Trial], dict[int, float], float]:
    """Search, select the ensemble over out-of-fold predictions, refit its members on all rows.

    Members are refit best first while their measured fit time fits before ``deadline``; the
    best trial is always refit. Returns the model, the trials, the weights by trial number and
    the ensemble's out-of-fold loss.
    """
    trials = Search(candidates, evaluator, settings, executor).run()
    best = best_trial(trials)
    weights = ensemble_weights(trials, lambda t: t.oof, evaluator.oof_loss, ensemble)
    by_number = {t.number: t for t in trials}
    rows = len(evaluator.y)
    growth = rows / np.mean([len(train) for train, _ in evaluator.splits])  # refit / fold rows
    per_fit = {
        n: by_number[n].fit_time / len(evaluator.splits) * growth * REFIT_MARGIN for n in weights
    }
    weights = affordable(weights, per_fit, best.number, deadline)
    loss = evaluator.oof_loss(sum(w * by_number[n].oof for n, w in weights.items()))
    log.info(
        "ensemble %s: %s %.4f (best single %.4f)",
        describe(weights, by_number),
        evaluator.metric.name,
        evaluator.metric.to_value(loss),
        evaluator.metric.to_value(best.score),
    )
    # the refit runs with the threads each trial had, so that the trials' times predict it (two
    # threads next to other busy processes can run many times slower than one)
    threads = executor.threads_per_trial()
    t0 = time.monotonic()
    members = [
        (w, evaluator.make(by_number[n].learner, by_number[n].params)) for n, w in weights.items()
    ]
    with pinned(threads):
        model = TabularEnsemble(members).fit(evaluator.X, evaluator.y, threads=threads)
    log.info("refit %d member(s) on %d rows in %.1fs", len(members), rows, time.monotonic() - t0)
    return model, trials, weights, loss
