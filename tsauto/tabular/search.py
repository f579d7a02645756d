"""Tables on the search core: candidates, search, ensemble selection, refit on all rows.

The search core (:mod:`tsauto.core.search`) runs the trials; this module hands it the tabular
learners with their spaces and a :class:`~tsauto.tabular.evaluator.TabularEvaluator`, selects
the ensemble over the trials' out-of-fold predictions and refits its members on every row.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tsauto.core.ensemble import greedy_ensemble
from tsauto.core.exceptions import SearchFailedError
from tsauto.core.executor import Executor
from tsauto.core.search import Candidate, Search, SearchSettings, Trial
from tsauto.tabular.checks import Check
from tsauto.tabular.evaluator import TabularEvaluator
from tsauto.tabular.learners import LEARNERS, learner
from tsauto.tabular.metrics import TaskType
from tsauto.tabular.model import TabularEnsemble
from tsauto.tabular.splitting import HOLDOUT_SHARE

log = logging.getLogger(__name__)

SLOW_SHARE = 0.3  # learners whose default trial would take more of the search budget are left out
ENSEMBLE_POOL = 20  # best trials the greedy selection chooses from
REFIT_MARGIN = 1.2  # safety factor on the refit time predicted from the folds' fit times


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
    ok = [t for t in trials if t.status == "ok"]
    if not ok:
        reasons = "; ".join(f"{t.learner}: {t.reason}" for t in trials[:5]) or "no trial ran"
        raise SearchFailedError(
            f"no trial succeeded ({reasons}); give a larger time_budget, or check the reasons."
        )
    best = min(ok, key=lambda t: t.score)
    weights = {best.number: 1.0}
    if ensemble and len(ok) > 1:
        top = sorted(ok, key=lambda t: t.score)[:ENSEMBLE_POOL]
        w, _ = greedy_ensemble([t.oof for t in top], evaluator.oof_loss)
        weights = {t.number: float(x) for t, x in zip(top, w) if x > 0}
    by_number = {t.number: t for t in trials}
    rows = len(evaluator.y)
    growth = rows / np.mean([len(train) for train, _ in evaluator.splits])  # refit / fold rows
    per_fit = {
        n: by_number[n].fit_time / len(evaluator.splits) * growth * REFIT_MARGIN for n in weights
    }
    weights = _affordable(weights, per_fit, best.number, deadline)
    loss = evaluator.oof_loss(sum(w * by_number[n].oof for n, w in weights.items()))
    log.info(
        "ensemble %s: %s %.4f (best single %.4f)",
        ", ".join(
            f"{by_number[n].learner}#{n}×{w:.2f}"
            for n, w in sorted(weights.items(), key=lambda x: -x[1])
        ),
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
    with threadpool_limits(threads):
        model = TabularEnsemble(members).fit(evaluator.X, evaluator.y, threads=threads)
    log.info("refit %d member(s) on %d rows in %.1fs", len(members), rows, time.monotonic() - t0)
    return model, trials, weights, loss


def _affordable(
    weights: dict[int, float], cost: dict[int, float], best: int, deadline: float | None
) -> dict[int, float]:
    """Keep the members whose estimated refit ``cost`` (seconds) fits before the deadline, the
    heaviest first; the best trial is always kept."""
    if deadline is None:
        return weights
    left = deadline - time.monotonic()
    kept, spent = {}, 0.0
    for n in sorted(weights, key=lambda n: (n != best, -weights[n])):
        if n == best or spent + cost[n] <= left:
            kept[n] = weights[n]
            spent += cost[n]
    total = sum(kept.values())
    return {n: w / total for n, w in kept.items()}


def leaderboard(
    trials: list[Trial],
    weights: dict[int, float],
    metric_name: str,
    to_value: Callable[[float], float],
) -> pd.DataFrame:
    """One row per trial: learner, params, status, reason, fold and mean metric (in its usual
    orientation), fit and predict time (summed over folds), ensemble weight."""
    folds = [f"{metric_name}_fold{i}" for i in range(max(len(t.fold_scores) for t in trials))]
    columns = [
        "trial",
        "learner",
        "params",
        "status",
        "reason",
        *folds,
        metric_name,
        "fit_time",
        "predict_time",
        "weight",
    ]
    rows = [
        {
            "trial": t.number,
            "learner": t.learner,
            "params": repr(t.params),
            "status": t.status,
            "reason": t.reason,
            **{f: to_value(v) for f, v in zip(folds, t.fold_scores)},
            metric_name: to_value(t.score) if t.status == "ok" else np.nan,
            "fit_time": t.fit_time,
            "predict_time": t.predict_time,
            "weight": weights.get(t.number, 0.0),
        }
        for t in trials
    ]
    return pd.DataFrame(rows, columns=columns)
