"""The tabular learners' estimators as built for a fit (``tsauto.tabular.learners``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
