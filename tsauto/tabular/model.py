"""Fitted tabular models: one learner configuration with its featurizer, and their ensemble.

Both predict raw outputs: class probabilities of shape ``(n, n_classes)`` (columns in class-code
order) for classification, values for regression.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from tsauto.tabular.featurizer import Featurizer, Kind
from tsauto.tabular.learners import MIN_SHARE, Build, fit_estimator, learner
from tsauto.tabular.metrics import TaskType


class TabularPipeline:
    """Featurizer + estimator of one (learner, params), fitted on the rows it is given."""

    def __init__(
        self,
        learner: str,
        params: dict[str, Any],
        kinds: Mapping[str, Kind],
        task: TaskType,
        n_classes: int = 0,
        balanced: bool = False,
        random_state: int = 0,
    ):
        self.learner = learner
        self.params = params
        self.kinds = kinds
        self.task = task
        self.n_classes = n_classes
        self.balanced = balanced
        self.random_state = random_state

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        threads: int = 1,
        deadline: float | None = None,
        min_share: float = MIN_SHARE,
    ) -> "TabularPipeline":
        """Fit the featurizer and the estimator; LightGBM and the forests are kept within
        ``deadline`` (LightGBM's rounds cut at a raised rate, a forest's trees: see
        :meth:`params_used`), failing where that leaves less than ``min_share`` of their work
        (:func:`~tsauto.tabular.learners.fit_estimator`)."""
        entry = learner(self.learner, self.task)
        self.featurizer_ = Featurizer(self.kinds, entry.encoding, self.task, self.random_state)
        features = self.featurizer_.fit_transform(X, y)
        build = Build(self.task, threads, self.random_state, self.balanced, len(X))
        self.estimator_ = entry.factory(self.params, build)
        self.cut_ = fit_estimator(entry, self.estimator_, features, y, deadline, min_share)
        return self

    def params_used(self) -> dict[str, Any]:
        """Of a fitted pipeline: its parameters as the fit used them (LightGBM's rounds and
        learning rate, a forest's trees, where its deadline cut them)."""
        return self.params if self.cut_ is None else {**self.params, **self.cut_}

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities over all classes (classification) or values (regression)."""
        features = self.featurizer_.transform(X)
        if self.task == "regression":
            return np.asarray(self.estimator_.predict(features), dtype=np.float64)
        proba = np.asarray(self.estimator_.predict_proba(features), dtype=np.float64)
        out = np.zeros((proba.shape[0], self.n_classes))
        out[:, np.asarray(self.estimator_.classes_, dtype=np.int64)] = (
            proba  # classes absent from a fold get 0
        )
        return out


class TabularEnsemble:
    """Weighted members; predicts the weighted mean of their raw outputs."""

    def __init__(self, members: list[tuple[float, TabularPipeline]]):
        self.members = members

    def fit(self, X: pd.DataFrame, y: np.ndarray, threads: int = 1) -> "TabularEnsemble":
        for _, member in self.members:
            member.fit(X, y, threads=threads)
        return self

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        return sum(w * m.predict_raw(X) for w, m in self.members)

    def describe(self) -> str:
        return " + ".join(f"{w:.2f}×{m.learner}" for w, m in self.members)
