"""Forecasting on the engine: a trial scored by rolling-origin cross-validation.

The engine (:mod:`tsauto.core.engine`) knows nothing of time series; this module hands it an
evaluator that fits a (learner, params) trial on every fold of the splitter and keeps its
out-of-fold forecasts, and a strategy that blends, scores and refits trials.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from functools import cached_property, partial
from typing import Any, Sequence

import numpy as np

from tsauto.core.cuts import representative_params
from tsauto.core.engine import THREAD_GAIN, dump_model
from tsauto.core.exceptions import TsautoError
from tsauto.core.search import Evaluation, Trial
from tsauto.core.selection import refit_estimate
from tsauto.forecasting import registry
from tsauto.forecasting.backtest import FoldResults, concat_results, cross_validate, scored_folds, windows_of
from tsauto.forecasting.guards import Guards
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.baselines import SeasonalNaive
from tsauto.forecasting.learners.fallback import WithFallback
from tsauto.forecasting.metrics import comparable_scale, overall_score
from tsauto.forecasting.model import EnsembleModel
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.routing import length_routes
from tsauto.forecasting.splitters import RollingOriginSplitter

log = logging.getLogger(__name__)


@dataclass
class ForecastEvaluator:
    """Scores a trial by rolling-origin cross-validation on ``panel`` (picklable).

    ``classes``: learners given as instances rather than registry names, by name; ``guards``:
    the rules every forecast follows (validated as they will be applied).
    """

    panel: Panel
    task: Task
    splitter: RollingOriginSplitter | None
    metric: str = "mase"
    short_series: str = "auto"
    classes: dict[str, type] | None = None
    guards: Guards | None = None

    def learner_class(self, name: str) -> type:
        """See :func:`learner_class`."""
        return learner_class(name, self.classes)

    def make(self, name: str, params: dict[str, Any]) -> WithFallback:
        """The learner ``name`` with ``params``, wrapped with its fallback and the guards."""
        return WithFallback(self.learner_class(name)(**params), self.short_series, self.guards)

    def evaluate(
        self, name: str, params: dict[str, Any], deadline: float, threads: int,
        folds: Sequence[int] | None = None,
    ) -> Evaluation:
        """The trial's scores on every fold (``folds``: on the folds of these indices only,
        one part of the trial :meth:`merge` joins). Where its folds were cut to their time,
        the parameters of the median fold's cut (:func:`~tsauto.core.cuts.representative_params`):
        those its refit fits."""
        task = replace(self.task, deadline=deadline, n_jobs=threads)
        models: list[WithFallback] = []

        def make() -> WithFallback:
            models.append(self.make(name, params))
            return models[-1]

        res = cross_validate(self.panel, task, make, self.splitter, only=folds)
        window = windows_of(res)
        fold_scores = [
            score(self.metric, res, res.forecast, window, res.fold == f) for f in np.unique(res.fold)
        ]
        used = representative_params([m.learner.params_used(params) for m in models], params) or params
        kept = self._last_fold_fit(name, models, folds) if math.isfinite(deadline) else None
        return Evaluation(fold_scores, OutOfFold.of(res, kept), res.fit_time, res.predict_time,
                          None if used == params else used)

    def _last_fold_fit(self, name: str, models: list[WithFallback], folds: Sequence[int] | None) -> bytes | None:
        """The model of the latest fold, pickled as a refit would be (no deadline, a refit's
        ``min_share``), where a global learner keeps its fold fit (``tags.keeps_fold_fit``) and
        ``folds`` (all when None) hold that fold; else None (also where it cannot be pickled:
        it is then refit)."""
        tags = self.learner_class(name).tags
        if not models or not (tags.keeps_fold_fit and tags.kind == "global"):
            return None
        latest = max(f.index for f in scored_folds(self.splitter, self.panel.lengths))
        if folds is not None and latest not in folds:
            return None
        member = models[-1]
        member.learner.task_ = replace(member.learner.task_, deadline=None, min_share=self.task.min_share)
        try:
            return dump_model(member)
        except TsautoError as err:
            log.debug("%s: the latest fold's model is not kept (%s)", name, err)
            return None

    def fold_groups(self, name: str, params: dict[str, Any]) -> list[tuple[int, ...]] | None:
        """The folds of a trial of ``name`` as parts to run side by side (one fold each), or
        None: a single fold, or a learner that fits its folds in one pass (ETS: less work
        together; in parts, the default fit of the M1 training parts took 36 s monthly and 13 s
        quarterly against 30 s and 10 s whole, 2026-12-05). A learner fitted fold by fold gives
        the same scores either way; when its trial runs in parts is the search's choice
        (:meth:`~tsauto.core.search.Search._parts`)."""
        if self.splitter is None:
            return None
        folds = [f.index for f in scored_folds(self.splitter, self.panel.lengths)]
        if len(folds) < 2 or self.make(name, params).fits_together():
            return None
        return [(k,) for k in folds]

    @staticmethod
    def merge(parts: Sequence[Evaluation]) -> Evaluation:
        """One trial's :class:`Evaluation` from those of its parts (in fold order), as
        :meth:`evaluate` on all their folds gives it (parts of one fold each: the same
        parameters; ``None``: a part as proposed)."""
        res = concat_results([p.oof.result for p in parts])
        kept = next((p.oof.model for p in parts if p.oof.model is not None), None)
        return Evaluation([x for p in parts for x in p.fold_scores], OutOfFold.of(res, kept),
                          res.fit_time, res.predict_time, representative_params([p.params for p in parts]))


@dataclass
class OutOfFold:
    """Out-of-fold forecasts of a trial and what is needed to score any blend of them."""

    forecast: np.ndarray
    cells: bytes  # identity of the scored cells, so only aligned trials are blended
    result: FoldResults
    model: bytes | None = None  # the latest fold's model, pickled, where the learner keeps its fold fit

    @classmethod
    def of(cls, res: FoldResults, model: bytes | None = None) -> "OutOfFold":
        cells = np.stack([res.series, res.fold, res.step]).tobytes()
        return cls(res.forecast, cells, res, model)


@dataclass
class ForecastStrategy:
    """Forecasting for the engine: blend trials that forecast the same cells, score a blend by
    the validation metric per window, refit the members on the whole panel."""

    evaluator: ForecastEvaluator

    @property
    def metric(self) -> str:
        return self.evaluator.metric

    def oof(self, trial: Trial) -> np.ndarray:
        return trial.oof.forecast

    def comparable(self, trial: Trial, best: Trial) -> bool:
        return trial.oof.cells == best.oof.cells

    def loss(self, best: Trial, prediction: np.ndarray) -> float:
        res = best.oof.result
        return score(self.metric, res, prediction, windows_of(res))

    def metric_value(self, loss: float) -> float:
        return loss  # every forecasting metric is a loss

    def refit_seconds(self, trial: Trial) -> float:
        """From the trial's time per fold, grown from a fold's training rows to the panel's
        (M1 monthly, 1 fold of 18 of a median 66 steps: 1.33x)."""
        return refit_estimate(trial.fit_time, self._fold_rows, self.evaluator.panel.lengths.sum())

    @cached_property
    def _fold_rows(self) -> list[int]:
        """Each validation fold's training rows (the same for every trial)."""
        lengths = self.evaluator.panel.lengths
        return [int(f.train_lengths.sum()) for f in self.evaluator.splitter.split(lengths)]

    def thread_gain(self, trial: Trial) -> float:
        ev = self.evaluator
        gain = ev.learner_class(trial.learner).thread_gain_on(int(ev.panel.lengths.sum()))
        return THREAD_GAIN if gain is None else gain

    def fit_member(self, trial: Trial, deadline: float | None, threads: int | None = None) -> WithFallback:
        ev = self.evaluator
        task = replace(ev.task, deadline=deadline, n_jobs=threads or ev.task.n_jobs)
        return ev.make(trial.learner, trial.params).fit(ev.panel, task)

    def kept_member(self, trial: Trial) -> bytes | None:
        """The model of the trial's latest fold (pickled), where its learner keeps its fold fit."""
        return trial.oof.model if trial.oof is not None else None

    def fallback_member(self, best: Trial) -> WithFallback:
        """Seasonal naive: instant, so the budget holds."""
        ev = self.evaluator
        return WithFallback(SeasonalNaive(), ev.short_series, ev.guards).fit(ev.panel, ev.task)

    def assemble(self, members: Sequence[tuple[float, WithFallback]], trials: Sequence[Trial]) -> EnsembleModel:
        """The members' blend, with a blend for the short and the long half of the series
        (:func:`~tsauto.forecasting.routing.length_routes`) where they differ enough in length."""
        weights = np.array([w for w, _ in members])
        results = [t.oof.result for t in trials if t.oof is not None]
        routes = None
        if len(results) == len(members):
            routes = length_routes(self.evaluator.panel.lengths, weights, results, partial(score, self.metric))
        return EnsembleModel(list(members), routes)


def learner_class(name: str, classes: dict[str, type] | None) -> type:
    """The class of learner ``name``: in ``classes`` (learners given as instances, by name),
    else from the registry."""
    return (classes or {}).get(name) or registry.FORECASTERS[name].load()


def score(
    metric: str, res: FoldResults, forecast: np.ndarray, window: np.ndarray, cells: np.ndarray | None = None
) -> float:
    """The validation ``metric`` of ``forecast`` over the cells of ``res`` (all, or a mask)."""
    scale = comparable_scale(res.scale_sq if metric == "rmsse" else res.scale)
    if cells is not None:
        window = np.unique(window[cells], return_inverse=True)[1]
        return overall_score(metric, res.actual[cells], forecast[cells], window, scale[cells])
    return overall_score(metric, res.actual, forecast, window, scale)
