"""Metrics of tabular classification and regression, oriented for a search that minimises.

Every metric has a ``loss`` (lower is better: ``1 - value`` for the scores bounded by 1 such as
ROC AUC, accuracy, F1 and R², the value itself for errors such as log loss and RMSE) and its
``value`` in the usual orientation, for people. Classification metrics take the class codes
``0..k-1`` and a probability matrix of shape ``(n, k)``; regression metrics take two vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from tsauto.core.exceptions import DataValidationError
from tsauto.core.percentage_error import mean_absolute_percentage_error

TaskType = Literal["classification", "regression"]


@dataclass(frozen=True)
class Metric:
    """A named metric: its function, its task and whether higher values are better."""

    name: str
    task: TaskType
    fn: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool
    needs_class_weights: bool = False  # scores that reward the minority classes
    # a proper scoring rule of the probabilities (log loss): a blend chosen on it cannot gain
    # by squeezing them; ROC AUC, accuracy and F1 read only their order or arg max
    scores_probabilities: bool = False

    def loss(self, y: np.ndarray, pred: np.ndarray) -> float:
        """The value the search minimises."""
        return self.to_loss(self.fn(y, pred))

    def to_loss(self, value: float) -> float:
        return 1.0 - value if self.higher_is_better else value

    def to_value(self, loss: float) -> float:
        """The metric in its usual orientation, from a loss."""
        return 1.0 - loss if self.higher_is_better else loss


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.asarray(proba).argmax(axis=1)


def _accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    return float(np.mean(_labels(proba) == y))


def _balanced_accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, _labels(proba)))


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), np.asarray(y, dtype=np.int64)])))


def brier(y: np.ndarray, proba: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Brier score of class probabilities: the squared distance to the one-hot truth, summed
    over the classes and averaged over the rows (with ``weights`` where given). A proper
    scoring rule, bounded (unlike log loss, which a forest's probability of 0 for a row's class
    makes huge) and convex in the probabilities: a blend scores no worse than the weighted
    mean of its members' scores."""
    p = np.asarray(proba, dtype=np.float64)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(p)), np.asarray(y, dtype=np.int64)] = 1.0
    return float(np.average(np.sum((p - onehot) ** 2, axis=1), weights=weights))


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties averaged."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes among the scored rows")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    if proba.shape[1] == 2:
        return _binary_auc(y == 1, proba[:, 1])
    p = proba / proba.sum(axis=1, keepdims=True)
    return float(np.mean([_binary_auc(y == k, p[:, k]) for k in range(p.shape[1])]))


def _f1(y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    binary = np.asarray(proba).shape[1] == 2
    return float(
        f1_score(y, _labels(proba), average="binary" if binary else "macro", zero_division=0)
    )


def _rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(pred)) ** 2)))


def _mae(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(pred))))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = np.asarray(y, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    total = np.sum((y - y.mean()) ** 2)
    return float(1.0 - np.sum((y - pred) ** 2) / total) if total > 0 else 0.0


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("roc_auc", "classification", _roc_auc, True),
        Metric("log_loss", "classification", log_loss, False, scores_probabilities=True),
        Metric("accuracy", "classification", _accuracy, True),
        Metric("balanced_accuracy", "classification", _balanced_accuracy, True, True),
        Metric("f1", "classification", _f1, True, True),
        Metric("rmse", "regression", _rmse, False),
        Metric("mae", "regression", _mae, False),
        Metric("r2", "regression", _r2, True),
        Metric("mape", "regression", mean_absolute_percentage_error, False),
    ]
}
"""Metric name → :class:`Metric`. ``f1`` is the F1 of the second class when there are two
classes (the positive one, in sorted label order), the macro F1 otherwise; ``roc_auc`` of more
than two classes is one-vs-rest, macro-averaged; ``mape`` is a fraction, not percent, over
the rows whose target is not 0 (a fit warns of the others)."""


def resolve_metric(name: str, task: TaskType, n_classes: int = 0) -> Metric:
    """The metric named ``name`` (``"auto"``: ROC AUC for two classes, log loss for more,
    RMSE for regression), checked against the task."""
    if name == "auto":
        if task == "regression":
            return METRICS["rmse"]
        return METRICS["roc_auc" if n_classes == 2 else "log_loss"]
    if name not in METRICS:
        raise DataValidationError(
            f"unknown metric {name!r}; choose 'auto' or one of {sorted(METRICS)}."
        )
    metric = METRICS[name]
    if metric.task != task:
        usable = sorted(n for n, m in METRICS.items() if m.task == task)
        raise DataValidationError(
            f"metric {name!r} is for {metric.task}, not {task}; use one of {usable}."
        )
    return metric
