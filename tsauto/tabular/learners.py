"""Registry of tabular learners: name → estimator factory, search space, defaults, cost.

Each entry builds a scikit-learn style estimator for a task with the native threads it is
given (LightGBM and forest ``n_jobs``), and says which encoding of the featurizer it takes.
Search spaces are functions of an Optuna trial; the search core prefixes the parameter names
with the learner name. Heavy libraries are imported only when a learner is built.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np

from tsauto.core.exceptions import DataValidationError, TimeLimitExceeded
from tsauto.core.registry import Registry
from tsauto.core.stopping import MIN_SHARE, LightGBMDeadline
from tsauto.tabular.featurizer import Encoding
from tsauto.tabular.metrics import TaskType


@dataclass(frozen=True)
class Build:
    """What a factory is told besides the learner's parameters."""

    task: TaskType
    threads: int = 1
    random_state: int = 0
    balanced: bool = False  # weight classes inversely to their frequency
    rows: int = 0  # training rows


SMALL_ROWS = 20_000  # LightGBM runs single-threaded below this many rows (threads cost more)
TREE_BATCHES = 10  # a forest fitted within a deadline grows its trees in this many batches


@dataclass(frozen=True)
class TabularLearner:
    """A registry entry (``cost``: relative to LightGBM's defaults; cheap ones are tried first)."""

    name: str
    encoding: Encoding
    factory: Callable[[dict[str, Any], Build], Any]
    space: Callable[[TaskType, Any], dict[str, Any]]  # (task, Optuna trial) → parameters
    defaults: Callable[[TaskType], dict[str, Any]]
    cost: float
    tasks: tuple[TaskType, ...] = ("classification", "regression")
    # kept within a deadline: "rounds" (LightGBM: a per-round callback), "trees" (forests: trees
    # grown in batches); None: not at all (stopped from outside where it runs past its deadline)
    stoppable: Literal["rounds", "trees"] | None = None
    # seconds per unit of rows·log2(rows)·features-per-split of one default fit on one core
    # (measured on real tables, upper range); None: cheap enough to always try
    seconds_per_unit: float | None = None

    def default_fit_seconds(self, task: TaskType, rows: int, width: int) -> float:
        """Rough time of one default fit on ``rows`` × ``width`` features (0 when unknown)."""
        if self.seconds_per_unit is None or rows < 2:
            return 0.0
        share = self.defaults(task).get("max_features", 1.0)
        per_split = np.sqrt(width) if share == "sqrt" else float(share) * width
        return self.seconds_per_unit * rows * np.log2(rows) * max(per_split, 1.0)


def fit_estimator(
    entry: TabularLearner,
    estimator: Any,
    X: Any,
    y: np.ndarray,
    deadline: float | None,
    min_share: float = MIN_SHARE,
) -> dict[str, Any] | None:
    """Fit ``estimator`` of ``entry`` within ``deadline`` where it can be cut: LightGBM to the
    rounds its time affords at a raised rate (:class:`~tsauto.core.stopping.LightGBMDeadline`),
    a forest to the trees grown in time (:func:`_grow_trees`); returns the parameters a cut fit
    amounted to (``None``: as given). A cut below ``min_share`` of the planned work (the sum of
    the learning rates; the trees) raises :class:`TimeLimitExceeded`. Convergence warnings of
    iterative solvers are silenced: the score judges the fit."""
    from sklearn.exceptions import ConvergenceWarning

    timed = deadline is not None and np.isfinite(deadline)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if timed and entry.stoppable == "rounds":
            stop = LightGBMDeadline(
                deadline, estimator.n_estimators, estimator.learning_rate, min_share=min_share
            )
            estimator.fit(X, y, callbacks=[stop])
            if stop.rounds_ is not None:
                return {"n_estimators": stop.rounds_, "learning_rate": stop.rate_}
        elif timed and entry.stoppable == "trees":
            return _grow_trees(estimator, X, y, deadline, min_share)
        else:
            estimator.fit(X, y)
    return None


def _grow_trees(estimator: Any, X: Any, y: np.ndarray, deadline: float, min_share: float):
    """Fit a forest ``TREE_BATCHES`` batches of trees at a time (warm start: the same trees as
    one fit) while the next batch fits before ``deadline`` at the pace so far; the trees grown
    (``{"n_estimators": ...}``) where that is fewer than planned, ``None`` where all were."""
    planned = estimator.n_estimators
    step = max(1, math.ceil(planned / TREE_BATCHES))
    start = time.monotonic()
    grown = 0
    estimator.set_params(warm_start=True)
    while grown < planned:
        now = time.monotonic()
        if grown and now + (now - start) / grown * min(step, planned - grown) > deadline:
            break
        grown = min(planned, grown + step)
        estimator.set_params(n_estimators=grown)
        estimator.fit(X, y)
    estimator.set_params(warm_start=False)
    if grown == planned:
        return None
    if grown < min_share * planned:
        raise TimeLimitExceeded(f"forest stopped at {grown} of {planned} trees: time is up")
    return {"n_estimators": grown}


# ---------------------------------------------------------------------------------- LightGBM


def _lightgbm(params: dict[str, Any], b: Build):
    import lightgbm as lgb

    cls = lgb.LGBMClassifier if b.task == "classification" else lgb.LGBMRegressor
    extra = {"class_weight": "balanced"} if b.balanced else {}
    threads = 1 if b.rows < SMALL_ROWS else b.threads
    leaf = params.get("min_child_samples", 20)
    if 0 < b.rows < 2 * leaf:  # no split possible: a constant (30 rows of credit_g, folds of 24: AUC 0.5)
        params = {**params, "min_child_samples": max(2, b.rows // 4)}
    return cls(
        **params, subsample_freq=1, n_jobs=threads, random_state=b.random_state, verbose=-1, **extra
    )


def _lightgbm_space(task: TaskType, trial) -> dict[str, Any]:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 20, 1000, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _lightgbm_defaults(task: TaskType) -> dict[str, Any]:
    return {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_child_samples": 20,
        "colsample_bytree": 1.0,
        "subsample": 1.0,
        "reg_lambda": 0.0,
    }


# ---------------------------------------------------------------------------------- linear

# Above this many training rows the logistic regression is L2-penalised (lbfgs) whatever
# l1_ratio was drawn. An l1_ratio > 0 needs saga, whose step is 1 over the largest squared row
# norm: on standardised heavy-tailed columns (bank_marketing: 12,091 against a mean of 15;
# adult: 231 against 14) it runs its 100 epochs unconverged. Measured 2026-12-07 on the search's
# 3 folds, one thread, 7 random draws (benchmarks/README.md): adult 10-14 s per elastic-net
# trial against 0.2-1.1 s, bank_marketing 8-13 s against 0.3-0.7 s, same best validation AUC
# (0.9066, 0.7651); L2's best was above the elastic net's or within 0.0001 of it on every table
# measured from 800 to 30,000 training rows (credit_g, kc1, phoneme, adult and bank samples).
L1_MAX_ROWS = 5_000


def _linear(params: dict[str, Any], b: Build):
    if b.task == "classification":
        from sklearn.linear_model import LogisticRegression

        l1 = float(params["l1_ratio"])
        if b.rows > L1_MAX_ROWS:  # L2 by lbfgs, reported as l1_ratio 0.0 (a refit of 5,000-7,500 rows is
            # L2 while its trials' folds, under 5,000 rows, fitted the elastic net: as accurate, measured)
            l1 = 0.0
        return LogisticRegression(
            C=params["C"],
            l1_ratio=l1,
            solver="lbfgs" if l1 == 0 else "saga",
            max_iter=300 if l1 == 0 else 100,
            tol=1e-3 if l1 > 0 else 1e-4,
            class_weight="balanced" if b.balanced else None,
            random_state=b.random_state,
        )
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.linear_model import ElasticNet
    from sklearn.preprocessing import StandardScaler

    net = ElasticNet(
        alpha=params["alpha"],
        l1_ratio=params["l1_ratio"],
        max_iter=2000,
        tol=1e-3,
        random_state=b.random_state,
    )
    return TransformedTargetRegressor(regressor=net, transformer=StandardScaler())


def _linear_space(task: TaskType, trial) -> dict[str, Any]:
    if task == "classification":
        strength = {"C": trial.suggest_float("C", 1e-3, 100.0, log=True)}
    else:
        strength = {"alpha": trial.suggest_float("alpha", 1e-5, 1.0, log=True)}
    return {**strength, "l1_ratio": trial.suggest_float("l1_ratio", 0.0, 1.0)}


def _linear_defaults(task: TaskType) -> dict[str, Any]:
    if task == "classification":
        return {"C": 1.0, "l1_ratio": 0.0}
    return {"alpha": 1e-3, "l1_ratio": 0.5}


# ---------------------------------------------------------------------------------- forests


def _forest(kind: str) -> Callable[[dict[str, Any], Build], Any]:
    def factory(params: dict[str, Any], b: Build):
        from sklearn import ensemble

        name = {"rf": "RandomForest", "et": "ExtraTrees"}[kind]
        if b.task == "classification":
            cls = getattr(ensemble, f"{name}Classifier")
            extra = {"class_weight": "balanced"} if b.balanced else {}
        else:
            cls, extra = getattr(ensemble, f"{name}Regressor"), {}
        return cls(**params, n_jobs=b.threads, random_state=b.random_state, **extra)

    return factory


def _forest_space(task: TaskType, trial) -> dict[str, Any]:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 300, log=True),
        "max_features": trial.suggest_float("max_features", 0.05, 1.0),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 32, log=True),
    }


def _forest_defaults(task: TaskType) -> dict[str, Any]:
    return {
        "n_estimators": 100,
        "max_features": "sqrt" if task == "classification" else 1.0,
        "min_samples_leaf": 1,
    }


LEARNERS: Registry[TabularLearner] = Registry(
    "tabular learner",
    {
        e.name: e
        for e in [
        TabularLearner(
            "lightgbm",
            "native",
            _lightgbm,
            _lightgbm_space,
            _lightgbm_defaults,
            1.0,
            stoppable="rounds",
        ),
        TabularLearner("linear", "linear", _linear, _linear_space, _linear_defaults, 0.5),
        TabularLearner(
            "extra_trees",
            "ordinal",
            _forest("et"),
            _forest_space,
            _forest_defaults,
            2.0,
            stoppable="trees",
            seconds_per_unit=3e-6,
        ),
        TabularLearner(
            "random_forest",
            "ordinal",
            _forest("rf"),
            _forest_space,
            _forest_defaults,
            3.0,
            stoppable="trees",
            seconds_per_unit=6e-6,
        ),
        ]
    },
)
"""Learner name → entry. ``linear`` is logistic regression (classification) or elastic net
on a standardised target (regression) on standardised features, both elastic-net penalised
(logistic regression: L2 alone above ``L1_MAX_ROWS`` training rows)."""


def learner(name: str, task: TaskType) -> TabularLearner:
    """The registry entry ``name``, checked against ``task``."""
    if name not in LEARNERS or task not in LEARNERS[name].tasks:
        usable = sorted(n for n, e in LEARNERS.items() if task in e.tasks)
        raise DataValidationError(f"unknown {task} learner {name!r}; choose from {usable}.")
    return LEARNERS[name]
