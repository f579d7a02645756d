"""Classifier end to end on real tables: labels, probabilities, leaderboard, errors, save/load."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

from tsauto import Classifier
from tsauto.core.exceptions import DataValidationError, IncompatibleModelError

FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0)


def test_string_target_probabilities_named_by_labels(adult_small, adult_test_small, caplog) -> None:
    df, target = adult_small
    with caplog.at_level(logging.INFO, logger="tsauto.core"):
        clf = Classifier(target, max_trials=3, learners=["lightgbm", "linear"], **FAST).fit(df)
    assert list(clf.classes_) == ["<=50K", ">50K"]
    assert clf.metric_ == "roc_auc"
    # the log reads the AUC itself, not the loss the search minimises (1 - AUC)
    last_trial = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trial 3/3")]
    assert last_trial and f"best roc_auc {clf.leaderboard()['roc_auc'].max():.4f} |" in last_trial[0]
    blend = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ensemble ")]
    assert blend and f": roc_auc {clf.cv_score_:.4f} (best single" in blend[0]
    proba = clf.predict_proba(adult_test_small)
    assert list(proba.columns) == ["<=50K", ">50K"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(adult_test_small)) <= {"<=50K", ">50K"}
    assert clf.score(adult_test_small) > 0.85  # ROC AUC on the separate test file
    checks = clf.guardrails()
    missing = set(checks.loc[checks["check"] == "missing_values", "column"])
    assert {"workclass", "occupation", "native_country"} <= missing


def test_numeric_coded_target_keeps_its_labels(phoneme_small) -> None:
    df, target = phoneme_small
    clf = Classifier(target, max_trials=2, learners=["lightgbm"], **FAST).fit(df)
    assert list(clf.classes_) == [1, 2]
    proba = clf.predict_proba(df.head(20))
    assert list(proba.columns) == [1, 2]
    assert set(np.unique(clf.predict(df))) <= {1, 2}
    assert clf.predict(df).dtype.kind == "i"


def test_boolean_imbalanced_target_gets_class_weights(kc1) -> None:
    df, target = kc1
    clf = Classifier(
        target, metric="balanced_accuracy", max_trials=2, learners=["linear"], **FAST
    ).fit(df)
    assert list(clf.predict_proba(df.head()).columns) == [False, True]
    checks = clf.guardrails().set_index("check")
    assert "balanced class weights" in checks.loc["class_imbalance", "action"]
    assert clf.leaderboard()["balanced_accuracy"].max() > 0.6  # the rare class is found


def test_multiclass_auto_metric_is_log_loss() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = Classifier("species", max_trials=2, learners=["linear", "extra_trees"], **FAST).fit(X, y)
    assert clf.metric_ == "log_loss"
    assert list(clf.predict_proba(X).columns) == [0, 1, 2]
    assert clf.score(X, y) < 0.5


def test_leaderboard_has_one_row_per_trial_and_the_ensemble_weights() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    clf = Classifier("malignant", max_trials=5, learners=["linear", "lightgbm"], **FAST).fit(X, y)
    board = clf.leaderboard()
    assert len(board) == 5
    assert {
        "trial",
        "learner",
        "params",
        "status",
        "reason",
        "roc_auc",
        "roc_auc_fold0",
        "roc_auc_fold2",
        "fit_time",
        "predict_time",
        "weight",
    } <= set(board.columns)
    assert (board["status"] == "ok").all()
    assert board["weight"].sum() == pytest.approx(1.0)
    assert board["params"].nunique() >= 4  # the search explored parameters
    assert clf.cv_score_ >= board["roc_auc"].max() - 0.005  # the ensemble is no worse than its best


def test_unseen_categories_at_predict_time(credit_g) -> None:
    df, target = credit_g
    train = df[df["purpose"] != "retraining"]
    clf = Classifier(
        target, max_trials=3, learners=["lightgbm", "linear", "extra_trees"], **FAST
    ).fit(train)
    new = df[df["purpose"] == "retraining"].copy()
    new.loc[new.index[:3], "housing"] = "houseboat"  # never seen at all
    proba = clf.predict_proba(new)
    assert len(proba) == len(new) and np.isfinite(proba.to_numpy()).all()


def test_single_class_is_a_clear_error(credit_g) -> None:
    df, target = credit_g
    with pytest.raises(DataValidationError, match="single class.*'good'"):
        Classifier(target, max_trials=1, **FAST).fit(df[df[target] == "good"])


def test_single_boolean_class_is_named_as_written(kc1) -> None:
    df, target = kc1
    with pytest.raises(DataValidationError, match=r"has a single class \(False\) in the training data"):
        Classifier(target, max_trials=1, **FAST).fit(df[~df[target]])


def test_missing_target_column_is_a_clear_error(credit_g) -> None:
    df, _ = credit_g
    with pytest.raises(DataValidationError, match="'credit_risk' is not in the data"):
        Classifier("credit_risk", max_trials=1, **FAST).fit(df)


def test_mismatched_columns_at_predict_name_them(credit_g) -> None:
    df, target = credit_g
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(df)
    bad = df.drop(columns=["age", target]).assign(colour="red")
    with pytest.raises(DataValidationError, match=r"missing \['age'\]; unexpected \['colour'\]"):
        clf.predict(bad)
    before = set(vars(clf))
    clf.predict(df)  # the target column may stay; predict changes nothing
    assert set(vars(clf)) == before


def test_save_load_round_trip(credit_g, tmp_path) -> None:
    df, target = credit_g
    clf = Classifier(target, max_trials=3, learners=["lightgbm", "linear"], **FAST).fit(df)
    path = clf.save(tmp_path / "credit.tsauto")
    back = Classifier.load(path)
    pd.testing.assert_frame_equal(back.predict_proba(df), clf.predict_proba(df))
    pd.testing.assert_frame_equal(back.leaderboard(), clf.leaderboard())
    with pytest.raises(IncompatibleModelError, match="holds a Classifier"):
        from tsauto import Regressor

        Regressor.load(path)


def test_failing_learner_is_recorded_and_an_all_failed_search_is_a_clear_error(
    credit_g, monkeypatch
) -> None:
    from tsauto.core.exceptions import SearchFailedError
    from tsauto.tabular import learners

    def broken(params, build):
        raise RuntimeError("this learner always fails")

    entry = learners.TabularLearner(
        "broken", "ordinal", broken, lambda task, trial: {}, lambda task: {}, 0.1
    )
    monkeypatch.setitem(learners.LEARNERS, "broken", entry)
    df, target = credit_g
    clf = Classifier(target, max_trials=2, learners=["broken", "linear"], **FAST).fit(df)
    board = clf.leaderboard().set_index("learner")
    assert board.loc["broken", "status"] == "failed"
    assert "always fails" in board.loc["broken", "reason"]
    assert board.loc["linear", "weight"] == 1.0
    with pytest.raises(SearchFailedError, match="always fails"):
        Classifier(target, max_trials=1, learners=["broken"], **FAST).fit(df)
