"""Scores one tabular trial by cross-validation, keeping its out-of-fold predictions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from tsauto.core.cuts import representative_params
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.core.search import Evaluation
from tsauto.core.stopping import TRIAL_MIN_SHARE, equal_share
from tsauto.tabular.featurizer import Kind
from tsauto.tabular.metrics import Metric, TaskType, brier
from tsauto.tabular.model import TabularPipeline
from tsauto.tabular.splitting import Split


@dataclass
class TabularEvaluator:
    """Fits (learner, params) with its featurizer on each training fold and scores the
    validation fold with ``metric`` (as a loss). Picklable: it travels to the workers.

    ``y`` holds class codes ``0..n_classes-1`` (classification) or values (regression). The
    out-of-fold predictions of a trial are in the row order of :meth:`valid_rows`. A trial whose
    folds were cut to their time reports the parameters of its median fold's cut
    (:func:`~tsauto.core.cuts.representative_params`): those its refit fits.
    """

    X: pd.DataFrame
    y: np.ndarray
    kinds: Mapping[str, Kind]
    task: TaskType
    metric: Metric
    splits: list[Split]
    n_classes: int = 0
    balanced: bool = False
    random_state: int = 0

    def make(self, name: str, params: dict[str, Any]) -> TabularPipeline:
        """An unfitted pipeline of this learner configuration."""
        return TabularPipeline(
            name, params, self.kinds, self.task, self.n_classes, self.balanced, self.random_state
        )

    def evaluate(
        self, name: str, params: dict[str, Any], deadline: float, threads: int
    ) -> Evaluation:
        scores, preds, fitted = [], [], []
        fit_time = predict_time = 0.0
        for i, (train, valid) in enumerate(self.splits):
            if time.monotonic() >= deadline:
                raise TimeLimitExceeded(
                    f"{name}: time budget spent after {i} of {len(self.splits)} folds"
                )
            fold_deadline = equal_share(deadline, len(self.splits) - i)
            t0 = time.perf_counter()
            pipe = self.make(name, params).fit(
                self.X.iloc[train], self.y[train], threads, fold_deadline, TRIAL_MIN_SHARE
            )
            t1 = time.perf_counter()
            pred = pipe.predict_raw(self.X.iloc[valid])
            predict_time += time.perf_counter() - t1
            fit_time += t1 - t0
            scores.append(self.metric.loss(self.y[valid], pred))
            preds.append(pred)
            fitted.append(pipe.params_used())
        used = representative_params(fitted, params)  # the median fold's cut, for the refit
        return Evaluation(scores, np.concatenate(preds), fit_time, predict_time,
                          None if used == params else used)

    def valid_rows(self) -> np.ndarray:
        """Row positions of the out-of-fold predictions, in their order."""
        return np.concatenate([valid for _, valid in self.splits])

    def constant_oof(self) -> np.ndarray:
        """Out-of-fold predictions of a constant, in the order of :meth:`valid_rows`: each
        training fold's class frequencies (classification) or mean (regression), for its
        validation rows; what a model must beat to have learnt anything. Pooled, the folds'
        constants rank the rows: on 30 rows of credit-g, a ROC AUC of 0.419, not 0.5."""
        parts = []
        for train, valid in self.splits:
            if self.task == "regression":
                parts.append(np.full(len(valid), self.y[train].mean()))
            else:
                share = np.bincount(self.y[train], minlength=self.n_classes) / len(train)
                parts.append(np.tile(share, (len(valid), 1)))
        return np.concatenate(parts)

    def oof_loss(self, pred: np.ndarray) -> float:
        """The metric's loss of out-of-fold predictions (of one trial or a blend)."""
        return self.metric.loss(self.y[self.valid_rows()], pred)

    def probability_skill(self, pred: np.ndarray) -> float:
        """Brier skill of out-of-fold class probabilities (of one trial or a blend): 1 less their
        Brier score over that of :meth:`constant_oof`; 1 for certainty, right, on every row, 0 for
        probabilities no better than the folds' class frequencies. Of a model fitted with
        balanced class weights, whose probabilities are those of classes made equally
        frequent, both scores weigh each row by 1 over its class's count, against the
        uniform constant."""
        y = self.y[self.valid_rows()]
        weights, constant = None, self.constant_oof()
        if self.balanced:
            weights = 1.0 / np.bincount(y, minlength=self.n_classes)[y]
            constant = np.full((len(y), self.n_classes), 1.0 / self.n_classes)
        reference = brier(y, constant, weights)
        return 1.0 - brier(y, pred, weights) / reference if reference > 0 else 0.0
