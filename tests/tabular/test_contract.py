"""Every registered tabular learner meets the same contract, on real tables.

Learners are discovered from :data:`tsauto.tabular.learners.LEARNERS` (none opts out), each
with its own featurizer encoding (:class:`~tsauto.tabular.model.TabularPipeline`), on every
real table of a task it supports: fit/predict shapes, probabilities, determinism with a seed,
pickling, a configuration drawn from its search space, and skill against the majority-class /
mean predictor on held-out rows. The skill check is a function (:func:`skill`) so that the last
test can show that it fails a learner with none.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from tsauto.tabular.featurizer import infer_kinds
from tsauto.tabular.learners import LEARNERS
from tsauto.tabular.metrics import METRICS
from tsauto.tabular.model import TabularPipeline

# table fixture → task. credit_g: categoricals, string target; phoneme: numeric features;
# wine: three classes (scikit-learn's copy of the UCI table); california: missing values and a
# categorical column, regression.
TABLES = {
    "credit_g": "classification",
    "phoneme_small": "classification",
    "wine": "classification",
    "california_small": "regression",
}
# Held-out loss relative to the majority-class (log loss of the class frequencies) or mean
# predictor (RMSE). Measured 2026-11-30 with each learner's defaults: credit_g 0.75-0.81,
# phoneme 0.48-0.77, wine 0.01-0.14, california 0.48-0.60; the majority/mean predictor 1;
# LightGBM fitted to shuffled targets 1.1-1.4.
MAX_LOSS_RATIO = 0.9
CASES = [
    (name, table)
    for name, entry in LEARNERS.items()
    for table, task in TABLES.items()
    if task in entry.tasks
]


@pytest.fixture(scope="session")
def wine() -> tuple[pd.DataFrame, str]:
    """UCI wine recognition (178 rows, 13 measurements, 3 cultivars), shipped with sklearn."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    return frame, "target"


class Split:
    """A table split once into training and held-out rows, target as class codes or values."""

    def __init__(self, df: pd.DataFrame, target: str, task: str):
        X, raw = df.drop(columns=target), df[target]
        if task == "classification":
            self.classes, y = np.unique(raw.astype(str), return_inverse=True)
            stratify = y
        else:
            self.classes, y, stratify = np.array([]), raw.to_numpy(np.float64), None
        self.task = task
        self.X_train, self.X_test, self.y_train, self.y_test = train_test_split(
            X, y, test_size=0.3, random_state=0, stratify=stratify
        )
        self.kinds, _ = infer_kinds(self.X_train)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def pipeline(self, name: str, params: dict | None = None, seed: int = 0) -> TabularPipeline:
        entry = LEARNERS[name]
        params = entry.defaults(self.task) if params is None else params
        return TabularPipeline(name, params, self.kinds, self.task, self.n_classes, random_state=seed)


def split_of(request, table: str) -> Split:
    """The split of a table fixture (a missing data file skips only the cases that need it)."""
    df, target = request.getfixturevalue(table)
    return Split(df, target, TABLES[table])


@pytest.fixture(scope="module", params=CASES, ids=[f"{n}-{t}" for n, t in CASES])
def fitted(request):
    name, table = request.param
    split = split_of(request, table)
    return name, split, split.pipeline(name).fit(split.X_train, split.y_train, threads=1)


def skill(pred: np.ndarray, split: Split) -> float:
    """Held-out loss of ``pred`` relative to the majority-class / mean predictor's (below 1:
    better than it): log loss against the training class frequencies, RMSE against the
    training mean."""
    if split.task == "classification":
        prior = np.bincount(split.y_train, minlength=split.n_classes) / len(split.y_train)
        base = np.tile(prior, (len(split.y_test), 1))
        metric = METRICS["log_loss"]
    else:
        base = np.full(len(split.y_test), split.y_train.mean())
        metric = METRICS["rmse"]
    return metric.loss(split.y_test, pred) / metric.loss(split.y_test, base)


def test_shapes_and_probabilities(fitted) -> None:
    name, split, pipe = fitted
    pred = pipe.predict_raw(split.X_test)
    assert np.isfinite(pred).all(), name
    if split.task == "regression":
        assert pred.shape == (len(split.X_test),)
        return
    assert pred.shape == (len(split.X_test), split.n_classes)
    assert (pred >= 0).all() and (pred <= 1).all(), name
    np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-9)
    assert len(np.unique(pred.argmax(axis=1))) > 1, f"{name} predicts a single class"


def test_better_than_the_majority_or_mean_predictor(fitted) -> None:
    name, split, pipe = fitted
    ratio = skill(pipe.predict_raw(split.X_test), split)
    assert ratio < MAX_LOSS_RATIO, f"{name}: held-out loss {ratio:.2f}x the baseline's"


def test_deterministic_with_a_seed(fitted) -> None:
    name, split, pipe = fitted
    again = split.pipeline(name).fit(split.X_train, split.y_train, threads=1)
    np.testing.assert_array_equal(again.predict_raw(split.X_test), pipe.predict_raw(split.X_test))


def test_pickle_round_trip_is_identical(fitted) -> None:
    _, split, pipe = fitted
    loaded = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(loaded.predict_raw(split.X_test), pipe.predict_raw(split.X_test))


def test_predicting_leaves_the_fitted_state_alone(fitted) -> None:
    _, split, pipe = fitted
    before = pickle.dumps(pipe)
    pipe.predict_raw(split.X_test)
    assert pickle.dumps(pipe) == before


def test_a_configuration_from_its_search_space_fits(fitted) -> None:
    import optuna

    name, split, _ = fitted
    entry = LEARNERS[name]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    params = entry.space(split.task, trial)
    assert set(params) == set(entry.defaults(split.task)), name
    pipe = split.pipeline(name, params).fit(split.X_train, split.y_train, threads=1)
    pred = pipe.predict_raw(split.X_test)
    assert np.isfinite(pred).all() and len(pred) == len(split.X_test), name


@pytest.mark.parametrize("table", ["credit_g", "california_small"])
def test_the_skill_check_fails_a_learner_without_skill(table, request) -> None:
    """The majority/mean predictor itself, and a learner fitted to shuffled targets."""
    split = split_of(request, table)
    if split.task == "classification":
        prior = np.bincount(split.y_train, minlength=split.n_classes) / len(split.y_train)
        constant = np.tile(prior, (len(split.y_test), 1))
    else:
        constant = np.full(len(split.y_test), split.y_train.mean())
    assert skill(constant, split) == pytest.approx(1.0)
    shuffled = np.random.default_rng(0).permutation(split.y_train)
    pipe = split.pipeline("lightgbm").fit(split.X_train, shuffled, threads=1)
    assert skill(pipe.predict_raw(split.X_test), split) > MAX_LOSS_RATIO, table
