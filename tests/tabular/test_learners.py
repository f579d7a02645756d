"""The tabular learners' estimators as built for a fit (``tsauto.tabular.learners``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsauto.tabular.learners import Build, learner


def test_lightgbm_splits_a_table_too_small_for_its_default_leaves(credit_g: tuple[pd.DataFrame, str]) -> None:
    """24 training rows (a fold of 30) with leaves of 20 rows at least: no split, a constant
    (a user test: AUC 0.500 on the 970 other rows); leaves of a quarter of the rows there."""
    df, target = credit_g
    numbers = df.select_dtypes("number")
    X, y = numbers.iloc[:24].to_numpy(), (df[target].iloc[:24] == "good").to_numpy(int)
    entry = learner("lightgbm", "classification")
    small = entry.factory(entry.defaults("classification"), Build("classification", rows=len(X)))
    assert small.min_child_samples == 6
    proba = small.fit(X, y).predict_proba(numbers.iloc[24:].to_numpy())[:, 1]
    assert np.unique(proba).size > 1
    large = entry.factory(entry.defaults("classification"), Build("classification", rows=1000))
    assert large.min_child_samples == 20  # as given where a split is possible


def test_the_leaves_used_are_the_parameters_reported(credit_g: tuple[pd.DataFrame, str]) -> None:
    """The trial reads the leaves LightGBM was built with, not the 20 it drew (a review)."""
    from tsauto.tabular.featurizer import infer_kinds
    from tsauto.tabular.model import TabularPipeline

    df, target = credit_g
    X, y = df.drop(columns=target).iloc[:24], (df[target].iloc[:24] == "good").to_numpy(int)
    entry = learner("lightgbm", "classification")
    pipe = TabularPipeline("lightgbm", entry.defaults("classification"), infer_kinds(X)[0], "classification", 2)
    assert pipe.fit(X, y).params_used()["min_child_samples"] == 6


def test_a_large_tables_logistic_regression_is_fitted_by_lbfgs() -> None:
    """A drawn elastic net (l1_ratio > 0) needs saga, whose step is 1 over the largest squared
    row norm: on adult and bank_marketing's standardised heavy-tailed columns it ran 100 epochs,
    8-14 s per 3-fold trial against 0.2-1.1 s by lbfgs, for no better validation AUC (a user
    test). Above ``L1_MAX_ROWS`` training rows the penalty is L2 alone: on 6,000 rows of
    bank_marketing the fit converges in 50 passes over the rows at most (saga: 88 epochs), and
    the trial reports the l1_ratio its refit fits. A small table keeps the elastic net."""
    from sklearn.metrics import roc_auc_score

    from tsauto import datasets
    from tsauto.core.exceptions import DatasetNotFoundError
    from tsauto.tabular.featurizer import infer_kinds
    from tsauto.tabular.model import TabularPipeline

    try:
        df, target, _ = datasets.load_tabular("bank_marketing")
    except DatasetNotFoundError as err:
        pytest.skip(f"needs a real data set: {err}")
    df = df.sample(8000, random_state=0).reset_index(drop=True)
    X, y = df.drop(columns=target), (df[target] == "yes").to_numpy(int)
    drawn = {"C": 1.0, "l1_ratio": 0.5}
    pipe = TabularPipeline("linear", drawn, infer_kinds(X)[0], "classification", 2)
    pipe.fit(X.iloc[:6000], y[:6000])
    fitted = pipe.estimator_
    assert fitted.solver == "lbfgs" and fitted.n_iter_.max() <= 50 < fitted.max_iter
    assert pipe.params_used() == {"C": 1.0, "l1_ratio": 0.0}
    assert roc_auc_score(y[6000:], pipe.predict_raw(X.iloc[6000:])[:, 1]) > 0.72
    entry = learner("linear", "classification")
    small = entry.factory(drawn, Build("classification", rows=800))
    assert small.solver == "saga" and small.l1_ratio == 0.5
