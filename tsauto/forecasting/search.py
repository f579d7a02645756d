"""Forecasting on the search core: candidates, the rolling-origin evaluator, the ensemble.

The search core (:mod:`tsauto.core.search`) knows nothing of time series; this module hands it
forecasting learners with their spaces and an evaluator that scores a (learner, params) trial by
rolling-origin cross-validation, keeping its out-of-fold forecasts for ensemble selection.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tsauto.forecasting import registry
from tsauto.forecasting.backtest import FoldResults, cross_validate, window_scores, windows_of
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.learners.base import Forecast, Task
from tsauto.forecasting.learners.fallback import Routed, WithFallback
from tsauto.core.executor import Executor
from tsauto.core.search import Candidate, Evaluation, Search, SearchSettings, Trial
from tsauto.core.selection import REFIT_MARGIN, affordable, best_trial, describe, ensemble_weights
from tsauto.forecasting.splitters import RollingOriginSplitter

log = logging.getLogger(__name__)

# rough seconds to fit one series on one core (measured on monthly/hourly M4-like series);
# the search leaves out local learners whose default trial would eat too much of the budget
SECONDS_PER_SERIES = {"auto_arima": 1.5, "prophet": 0.4, "ets": 0.15, "theta": 0.02}
FULL_AUTO = (
    "lightgbm", "tcn", "ets", "theta", "auto_arima", "prophet", "seasonal_naive", "naive", "drift",
)


def auto_candidates(
    panel: Panel,
    task: Task,
    time_budget: float | None,
    folds: int,
    workers: int,
    allow: list[str] | None = None,
    exclude: list[str] | None = None,
) -> dict[str, Candidate]:
    """The learners a search tries: the allow list (or all of ``FULL_AUTO``, plus Croston/TSB
    for intermittent data), minus the block list, minus local learners too slow for the budget
    and calendar learners on integer time."""
    from tsauto.forecasting.learners.intermittent import intermittent_share

    names = list(allow or FULL_AUTO)
    if allow is None and intermittent_share(panel) > 0.5:
        names += ["tsb", "croston"]
    names = [n for n in names if n not in set(exclude or ())]
    out = {}
    for name in names:
        entry = registry.FORECASTERS[name]
        cls = entry.load()
        if panel.schema.freq is None and cls.tags.needs_calendar:
            log.info("leaving out %s: it needs timestamps", name)
            continue
        if allow is None and time_budget is not None and name in SECONDS_PER_SERIES:
            estimate = (folds + 1) * panel.n_series * SECONDS_PER_SERIES[name] / workers
            if task.season > 12 and name == "auto_arima":
                estimate *= 4  # long seasonal periods make ARIMA much slower
            if estimate > 0.3 * time_budget:
                log.info("leaving out %s: about %.0fs for one trial", name, estimate)
                continue
        space = getattr(cls, "search_space", None)
        out[name] = Candidate(name=name, space=space, cost=entry.cost)
    if not out:
        raise ValueError("no learner is left to search: check learners= and exclude=.")
    return out


@dataclass
class ForecastEvaluator:
    """Scores a trial by rolling-origin cross-validation on ``panel`` (picklable)."""

    panel: Panel
    task: Task
    splitter: RollingOriginSplitter
    metric: str = "mase"
    short_series: str = "auto"
    base_params: dict[str, dict[str, Any]] | None = None  # per learner, e.g. lags for lightgbm
    classes: dict[str, type] | None = None  # learners given as instances rather than names

    def make(self, name: str, params: dict[str, Any]) -> WithFallback:
        merged = {**(self.base_params or {}).get(name, {}), **params}
        cls = (self.classes or {}).get(name) or registry.FORECASTERS[name].load()
        return WithFallback(cls(**merged), self.short_series)

    def evaluate(self, name: str, params: dict[str, Any], deadline: float, threads: int) -> Evaluation:
        task = replace(self.task, deadline=deadline, n_jobs=threads)
        res = cross_validate(self.panel, task, lambda: self.make(name, params), self.splitter)
        window = windows_of(res)
        fold_scores = []
        for f in np.unique(res.fold):
            m = res.fold == f
            w = np.unique(window[m], return_inverse=True)[1]
            scored = window_scores(self.metric, res.actual[m], res.forecast[m], w, res.scale[m])
            fold_scores.append(float(np.nanmean(scored)))
        return Evaluation(fold_scores, _Oof.of(res), res.fit_time, res.predict_time)


@dataclass
class _Oof:
    """Out-of-fold forecasts and what is needed to score any blend of them."""

    forecast: np.ndarray
    cells: bytes  # identity of the scored cells, so only aligned trials are blended
    result: FoldResults | None = None

    @classmethod
    def of(cls, res: FoldResults) -> "_Oof":
        cells = np.stack([res.series, res.fold, res.step]).tobytes()
        return cls(res.forecast, cells, res)


class EnsembleModel:
    """Weighted members (each a learner with its fallback); predicts their weighted mean.

    Behaves like :class:`WithFallback`, so a backtest refits the whole ensemble per fold.
    """

    def __init__(self, members: list[tuple[float, WithFallback]]):
        self.members = members

    @property
    def learner(self):
        """The member with the largest weight."""
        return max(self.members, key=lambda m: m[0])[1].learner

    @property
    def min_length_(self) -> int:
        return min(m.min_length_ for _, m in self.members)

    def clone(self) -> "EnsembleModel":
        """The same members and weights, unfitted."""
        return EnsembleModel([(w, m.clone()) for w, m in self.members])

    def fit(self, panel: Panel, task: Task) -> "EnsembleModel":
        for _, member in self.members:
            member.fit(panel, task)
        return self

    def predict(self, history: Panel, future: dict[str, np.ndarray]) -> Routed:
        routed = [(w, m.predict(history, future)) for w, m in self.members]
        if len(routed) == 1:
            return routed[0][1]
        mean = sum(w * r.forecast.mean for w, r in routed)
        dropped = np.any([r.dropped for _, r in routed], axis=0)
        return Routed(Forecast(mean), routed[0][1].reason, dropped)

    def describe(self) -> str:
        return " + ".join(f"{w:.2f}×{m.learner.name}" for w, m in self.members)


def run_search(
    panel: Panel,
    task: Task,
    evaluator: ForecastEvaluator,
    candidates: dict[str, Candidate],
    settings: SearchSettings,
    executor: Executor,
    ensemble: bool,
    deadline: float | None = None,
) -> tuple[EnsembleModel, list[Trial], dict[int, float], FoldResults]:
    """Search, select the ensemble over out-of-fold forecasts, refit its members on all data.

    Members are refit heaviest weight first while their measured fit time fits before
    ``deadline``; the best trial is always refit. Returns the model, the trials, the weights by
    trial number and the blended out-of-fold results (for interval calibration).
    """
    start = time.monotonic()
    trials = Search(candidates, evaluator, settings, executor).run()
    best = best_trial(trials)
    res = best.oof.result
    window = windows_of(res)

    def score(pred: np.ndarray) -> float:
        return float(np.nanmean(window_scores(evaluator.metric, res.actual, pred, window, res.scale)))

    aligned = [t for t in trials if t.status == "ok" and t.oof.cells == best.oof.cells]
    weights = ensemble_weights(aligned, lambda t: t.oof.forecast, score, ensemble)
    by_number = {t.number: t for t in trials}
    folds = max(evaluator.splitter.folds, 1)
    cost = {n: by_number[n].fit_time / folds * REFIT_MARGIN for n in weights}
    weights = affordable(weights, cost, best.number, deadline)
    blended = sum(w * by_number[n].oof.forecast for n, w in weights.items())
    log.info(
        "ensemble %s: %s %.4f (best single %.4f)",
        describe(weights, by_number),
        evaluator.metric,
        score(blended),
        best.score,
    )
    full_task = replace(task, deadline=None)
    model = EnsembleModel(
        [(w, evaluator.make(by_number[n].learner, by_number[n].params)) for n, w in weights.items()]
    ).fit(panel, full_task)
    log.info("search and refit done in %.1fs", time.monotonic() - start)
    return model, trials, weights, replace(res, forecast=blended)
