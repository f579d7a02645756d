"""Fitted tabular models: one learner configuration with its featurizer, and their ensemble.

Both predict raw outputs: class probabilities of shape ``(n, n_classes)`` (columns in class-code
order) for classification, values for regression. A model fitted with balanced class weights
(metrics that reward the rare classes) raises the rare classes' probabilities: :func:`prior_shift`
and :func:`shift` bring them back to the class frequencies.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from tsauto.core.stopping import MIN_SHARE
from tsauto.tabular.featurizer import Featurizer, Kind
from tsauto.tabular.learners import Build, fit_estimator, learner
from tsauto.tabular.metrics import TaskType, log_loss

# Bound of the log of a class's multiplier in :func:`prior_shift`: balanced weights of a class of
# 2 rows among a million are 5e5 times those of the largest; beyond, a class the out-of-fold
# probabilities never give any weight would drive it to infinity.
MAX_LOG_SHIFT = float(np.log(1e6))


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
        built = self.estimator_.get_params(deep=False)  # as the factory adapted them to the rows
        self.adapted_ = {k: built[k] for k in self.params if k in built and built[k] != self.params[k]}
        self.cut_ = fit_estimator(entry, self.estimator_, features, y, deadline, min_share)
        return self

    def params_used(self) -> dict[str, Any]:
        """Of a fitted pipeline: its parameters as the fit used them (LightGBM's leaves on a
        table too small for them, its rounds and learning rate, a forest's trees, where its
        deadline cut them)."""
        return {**self.params, **getattr(self, "adapted_", {}), **(self.cut_ or {})}

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


def prior_shift(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-class multipliers ``c`` (``c[0] = 1``) under which out-of-fold probabilities
    ``proba`` of a model fitted with class weights read as the class frequencies of ``y`` again:
    ``p' ∝ p·c`` (:func:`shift`) with ``log c`` minimising the log loss of ``p'``, a convex
    problem whose optimum makes the mean of ``p'`` of each class its frequency in ``y``.

    The prior-shift correction of class weights in form (``c ∝ 1 / weight``: King & Zeng 2001,
    Saerens et al. 2002), with ``c`` measured rather than assumed. For a logistic regression
    both agree (kc1, balanced accuracy: 0.182 fitted, 0.154/0.846 = 0.182 from the weights);
    a forest's pure leaves give much the same probabilities whatever the weights, and
    ``1 / weight`` over-corrects it (credit-g, F1, extra trees alone, 30 % held out: mean
    probability of 'good' 0.83 against a share of 0.70, log loss 0.537; fitted: 0.69, 0.481).
    """
    from scipy.optimize import minimize

    y = np.asarray(y, dtype=np.int64)
    k = proba.shape[1]
    share = np.bincount(y, minlength=k) / len(y)

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        p = shift(proba, np.exp(np.r_[0.0, b]))
        return log_loss(y, p), (p.mean(axis=0) - share)[1:]

    found = minimize(loss, np.zeros(k - 1), jac=True, method="L-BFGS-B",
                     bounds=[(-MAX_LOG_SHIFT, MAX_LOG_SHIFT)] * (k - 1))
    return np.exp(np.r_[0.0, found.x])


def shift(proba: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
    """Probabilities ``proba`` multiplied per class by ``multipliers`` and renormalised: their
    ranks within a class are kept, their arg max is not."""
    p = np.asarray(proba, dtype=np.float64) * multipliers
    return p / p.sum(axis=1, keepdims=True)
