"""Classifier end to end on real tables: labels, probabilities, leaderboard, errors, save/load."""

from __future__ import annotations

import logging
import re
import time

import numpy as np
import pandas as pd
import pytest
from engine_doubles import ctrl_c_after
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tsauto import Classifier
from tsauto.core.exceptions import DataValidationError, IncompatibleModelError, SearchFailedError
from tsauto.tabular.evaluator import TabularEvaluator
from tsauto.tabular.model import prior_shift, shift

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
    assert proba.shape == (len(adult_test_small), 2)  # columns in the order of classes_
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
    assert clf.predict_proba(df.head(20)).shape == (20, 2)
    assert set(np.unique(clf.predict(df))) <= {1, 2}
    assert clf.predict(df).dtype.kind == "i"


def test_boolean_imbalanced_target_gets_class_weights(kc1) -> None:
    df, target = kc1
    clf = Classifier(
        target, metric="balanced_accuracy", max_trials=2, learners=["linear"], **FAST
    ).fit(df)
    assert list(clf.classes_) == [False, True] and clf.predict_proba(df.head()).shape == (5, 2)
    checks = clf.guardrails().set_index("check")
    assert "balanced class weights" in checks.loc["class_imbalance", "action"]
    assert clf.leaderboard()["balanced_accuracy"].max() > 0.6  # the rare class is found


@pytest.mark.parametrize("name", ["kc1", "credit_g"])
def test_probabilities_of_a_class_weighted_metric_read_as_the_class_frequencies(request, name) -> None:
    # balanced accuracy fits with balanced class weights: kc1's 15.5 % defects had a mean
    # probability of 0.37-0.40 held out, credit-g's 70 % 'good' 0.56
    df, target = request.getfixturevalue(name)
    train, test = train_test_split(df, test_size=0.3, stratify=df[target], random_state=0)
    clf = Classifier(
        target, metric="balanced_accuracy", max_trials=3, learners=["linear", "lightgbm"], **FAST
    ).fit(train)
    y = (test[target] == clf.classes_[1]).to_numpy()
    weighted = clf._predict_raw(test)  # the probabilities of the class-weighted model
    proba = clf.predict_proba(test)
    assert abs(weighted[:, 1].mean() - y.mean()) > 0.1
    assert abs(proba[:, 1].mean() - y.mean()) < 0.03
    assert log_loss(y, proba[:, 1]) < log_loss(y, weighted[:, 1]) - 0.03
    # the labels are the weighted model's, which the metric chose; so is the score
    labels = clf.predict(test)
    np.testing.assert_array_equal(labels, clf.classes_[weighted.argmax(axis=1)])
    assert clf.score(test) == pytest.approx(balanced_accuracy_score(test[target], labels))
    [check] = clf.guardrails().query("check == 'probabilities'").to_dict("records")
    assert "predict keeps the labels of the weighted model" in check["action"]


def test_prior_shift_of_a_class_weighted_logistic_regression_is_the_ratio_of_the_classes(kc1) -> None:
    # the standard correction (p' ∝ p / weight) is exact for a logistic regression: the
    # fitted multipliers find it
    df, target = kc1
    X, y = df.drop(columns=target).to_numpy(np.float64), df[target].to_numpy().astype(np.int64)
    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    oof = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
    multipliers = prior_shift(oof, y)
    assert multipliers[1] == pytest.approx(y.mean() / (1 - y.mean()), rel=0.1)
    assert shift(oof, multipliers)[:, 1].mean() == pytest.approx(y.mean(), abs=1e-4)


def test_folds_cut_by_a_rare_class_say_why(kc1) -> None:
    df, target = kc1
    few = pd.concat([df[~df[target]], df[df[target]].head(2)], ignore_index=True)
    clf = Classifier(target, max_trials=1, learners=["linear"], **{**FAST, "folds": "auto"}).fit(few)
    assert clf.guardrails().set_index("check").loc["validation", "action"] == (
        "2-fold stratified cross-validation (cut from 5 folds: class True has only 2 rows, and "
        "each fold validates at least one row of every class)"
    )


def test_missing_value_markers_are_flagged_and_left_as_they_are(adult_raw_small) -> None:
    df = adult_raw_small  # Adult as written: '?' where a value is unknown
    clf = Classifier("income", max_trials=1, learners=["linear"], **FAST).fit(df)
    markers = clf.guardrails().query("check == 'missing_markers'").set_index("column")
    assert set(markers.index) == {"workclass", "occupation", "native_country"}
    n = int((df["workclass"] == "?").sum())
    assert markers.loc["workclass", "finding"].startswith(f"'?' in {n} rows (")
    assert markers.loc["workclass", "action"].startswith("kept as a level of their own (nothing changed)")
    assert clf.kinds_["workclass"] == "categorical" and "missing_values" not in set(clf.guardrails()["check"])


def test_multiclass_auto_metric_is_log_loss() -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = Classifier("species", max_trials=2, learners=["linear", "extra_trees"], **FAST).fit(X, y)
    assert clf.metric_ == "log_loss"
    assert list(clf.classes_) == [0, 1, 2] and clf.predict_proba(X).shape == (len(X), 3)
    assert -0.5 < clf.score(X, y) < 0  # log loss, negated: higher is better


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
    assert len(proba) == len(new) and np.isfinite(proba).all()


def test_a_model_no_better_than_a_constant_is_an_alert(credit_g, caplog) -> None:
    """30 rows of credit-g: no trial beat a constant, and the model kept went without a word (a
    user kept one: ROC AUC 0.500 on the other 970 rows). The linear model's out-of-fold ROC AUC
    is below that of each training fold's class frequencies on the same folds: an alert and a
    warning name both scores and what to do."""
    df, target = credit_g
    few = df.sample(30, random_state=3)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(few)
    [row] = clf.guardrails().query("check == 'no_skill'").to_dict("records")
    found = re.fullmatch(r"the model's out-of-fold roc_auc (\S+) is no better than (\S+), that of a constant "
                         r"prediction \(the training folds' class frequencies\) on the same folds, both on the "
                         r"folds' predictions pooled \(a fold's constant alone ranks nothing: 0\.5; pooled, the "
                         r"folds' levels differ\)", row["finding"])
    model, constant = float(found[1]), float(found[2])
    assert model == pytest.approx(clf.cv_score_, abs=1e-4) and model < constant < 0.5
    assert row["column"] == target
    assert row["action"].endswith(
        "give more rows (there are 30), try other learners (learners=), or check the target column 'class'")
    assert any(r.getMessage().startswith(row["finding"]) for r in caplog.records)


@pytest.mark.parametrize("seed", [None, 0.5, "0"])
def test_a_seed_that_is_not_an_integer_is_refused_at_the_door(seed) -> None:
    """``random_state=None`` crashed inside the search with a raw TypeError (user test): refused
    before any work, as the Forecaster refuses it (a fit is reproduced by its seed)."""
    from tsauto import Regressor

    table = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2})
    for model in (Classifier, Regressor):
        with pytest.raises(DataValidationError, match=rf"random_state={re.escape(repr(seed))}: give an integer seed"):
            model(target="y", random_state=seed, **{k: v for k, v in FAST.items() if k != "random_state"}).fit(table)


def test_row_and_class_weights_are_refused_saying_what_to_do(credit_g) -> None:
    """No weights through the search, folds, learners and metrics: refused at the door, naming
    the public class and the ways to do without (not Python's bare TypeError naming
    _TabularEstimator); fit() keeps no sample_weight parameter, so scikit-learn's
    has_fit_parameter does not offer weights to it."""
    from sklearn.utils.validation import has_fit_parameter

    from tsauto import Regressor

    df, target = credit_g
    weights = np.ones(len(df))
    with pytest.raises(TypeError, match=r"^Classifier\.fit\(\) got unexpected keyword argument\(s\): "
                       r"'sample_weight': row weights are not supported .*metric='balanced_accuracy'.*"
                       r"0\.602 -> 0\.728.*X\.loc\[X\.index\.repeat\(w\)\]"):
        Classifier(target, max_trials=1, **FAST).fit(df, sample_weight=weights)
    with pytest.raises(TypeError, match=r"^Regressor\.fit\(\) got .*'sample_weight': row weights are not") as err:
        Regressor("age", max_trials=1, **FAST).fit(df, sample_weight=weights)
    assert "balanced_accuracy" not in str(err.value) and "repeat the rows" in str(err.value)  # no class advice
    with pytest.raises(TypeError, match="a regression has no classes to weigh"):  # user test 53
        Regressor("age", class_weight="balanced")
    with pytest.raises(TypeError, match=r"^Classifier\(\) got .*'class_weight': not a parameter: "
                       r"metric='balanced_accuracy' or metric='f1' fits every learner with balanced"):
        Classifier(target, class_weight="balanced")
    assert not has_fit_parameter(Classifier(target), "sample_weight")


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
    np.testing.assert_array_equal(back.predict_proba(df), clf.predict_proba(df))
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


@pytest.mark.parametrize(("scoring", "better_than"), [("roc_auc", 0.7), ("neg_log_loss", -0.6)])
def test_scikit_learn_probability_scorers_on_a_binary_target(credit_g, scoring, better_than) -> None:
    """predict_proba is an array in the order of classes_, as scikit-learn's scorers read it
    (a DataFrame made them fail with InvalidIndexError)."""
    from sklearn.model_selection import cross_val_score

    df, target = credit_g
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST)
    scores = cross_val_score(clf, df.drop(columns=target), df[target], cv=3, scoring=scoring,
                             error_score="raise")
    assert scores.shape == (3,) and (scores > better_than).all()  # log loss of the prior: 0.61


def test_scikit_learn_probability_scorers_on_a_multiclass_target(wine_quality) -> None:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    df, target = wine_quality  # red wines first, then white: shuffled folds
    X, y = df.drop(columns=target), df[target]
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST)
    folds = StratifiedKFold(2, shuffle=True, random_state=0)
    prior = -np.log(y.value_counts(normalize=True)[y]).mean()  # log loss of the class shares
    for scoring, better_than in (("neg_log_loss", -prior), ("roc_auc_ovr", 0.7)):
        scores = cross_val_score(clf, X, y, cv=folds, scoring=scoring, error_score="raise")
        assert (scores > better_than).all(), (scoring, scores)
    proba = clf.fit(X, y).predict_proba(X.head(50))
    assert isinstance(proba, np.ndarray) and proba.shape == (50, len(clf.classes_)) == (50, 7)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X.head(50)))


class _Sleepy(DummyClassifier):
    """The class shares, after ``SLEEP`` seconds a fit: a learner of known cost."""

    def fit(self, X, y, sample_weight=None):
        time.sleep(SLEEP)
        return super().fit(X, y, sample_weight)


SLEEP = 0.5


@pytest.fixture
def sleepy(monkeypatch) -> str:
    """A registered learner "sleepy" (in-process backends only)."""
    from tsauto.tabular import learners

    entry = learners.TabularLearner(
        "sleepy", "ordinal", lambda params, build: _Sleepy(), lambda task, trial: {}, lambda task: {}, 0.1
    )
    monkeypatch.setitem(learners.LEARNERS, "sleepy", entry)
    return "sleepy"


def test_a_default_trial_may_take_the_whole_search(credit_g, sleepy) -> None:
    """5 folds of 0.5 s in a search of about 4 s: a default trial runs to the search's end (a
    searched one gets 0.4 of it, which failed this trial after 4 folds, and every trial with it)."""
    df, target = credit_g
    clf = Classifier(target, time_budget=5, max_trials=1, learners=[sleepy], folds=5,
                     backend="sequential").fit(df)
    assert clf.leaderboard()["status"].tolist() == ["ok"]


def test_an_all_failed_search_says_which_budget_would_do(credit_g, sleepy) -> None:
    df, target = credit_g
    with pytest.raises(SearchFailedError) as err:
        Classifier(target, time_budget=1, max_trials=1, learners=[sleepy], folds=5,
                   backend="sequential").fit(df)
    pattern = r"sleepy's default trial \(5 fit\(s\)\) .* a time_budget of about (\d+) s"
    found = re.search(pattern, str(err.value))
    assert found and int(found.group(1)) > 1, str(err.value)


def test_a_failed_search_leaves_no_worker_process(credit_g, monkeypatch) -> None:
    """The search keeps a worker up for the refits; a search whose trials all failed stops it.
    Left to garbage collection, a fit of Adult at time_budget=2 that failed in a
    multiprocessing child (benchmarks/bench_tabular.py) kept the child from exiting, waiting
    on the worker."""
    import multiprocessing

    from tsauto.tabular import learners

    def broken(params, build):  # in the worker: not registered there, it fails as well
        raise RuntimeError("this learner always fails")

    entry = learners.TabularLearner("broken", "ordinal", broken, lambda task, trial: {}, lambda task: {}, 0.1)
    monkeypatch.setitem(learners.LEARNERS, "broken", entry)
    df, target = credit_g
    before = set(multiprocessing.active_children())
    with pytest.raises(SearchFailedError):
        Classifier(target, learners=["broken"], max_trials=1, backend="loky", n_jobs=1).fit(df)
    assert [p for p in multiprocessing.active_children() if p not in before and p.is_alive()] == []


def test_a_trial_stopped_past_its_deadline_prints_nothing_without_logging(tmp_path) -> None:
    """The executor's note that it stopped a trial goes to its logger at INFO: a Python fit
    without logging configured printed "stopping linear: past its deadline" on every fit."""
    import subprocess
    import sys

    script = tmp_path / "stop.py"
    script.write_text(
        "import time\n"
        "from tsauto.core.executor import Call, Executor\n"
        "ex = Executor(1, 'loky')\n"
        "calls = [('k', Call(time.sleep, (60,), 'sleeper'), time.monotonic() + 3.0)]\n"
        "results = []\n"
        "ex.stream_trials(None, lambda: calls.pop() if calls else None, lambda k, r: results.append(r))\n"
        "ex.close()\n"
        "print(type(results[0]).__name__)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    # now and then the interpreter's resource tracker reports a semaphore of the killed worker at exit
    # (two lines: "UserWarning: resource_tracker: ... leaked semaphore", its warnings.warn): not tsauto's
    said = [line for line in done.stderr.splitlines()
            if "resource_tracker" not in line and not line.lstrip().startswith("warnings.warn(")]
    assert done.stdout.strip() == "TimeLimitExceeded" and said == [], done.stderr


def test_ctrl_c_keeps_the_model_of_the_trials_finished_and_says_so(credit_g, monkeypatch, caplog) -> None:
    """The fit went on with the trials done and nothing told it from a whole one."""
    ctrl_c_after(monkeypatch, TabularEvaluator, 2)  # Ctrl-C in the third trial
    df, target = credit_g
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        clf = Classifier(target, max_trials=4, learners=["linear"], **FAST).fit(df)
    assert clf.interrupted_ and len(clf.leaderboard()) == 2 and len(clf.predict(df)) == len(df)
    check = clf.guardrails().set_index("check").loc["search"]
    assert check["finding"] == "interrupted by the user after 2 of 4 trials"
    assert check["action"] == "the model is what was finished; fit again for the whole search"
    assert "search interrupted by the user after 2 of 4 trials: the model is what was finished" in caplog.text
    monkeypatch.undo()
    whole = Classifier(target, max_trials=2, learners=["linear"], **FAST).fit(df)
    assert not whole.interrupted_ and "search" not in set(whole.guardrails()["check"])
