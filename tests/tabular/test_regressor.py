"""Regressor on real tables, metrics and their orientation, the tabular command line."""

from __future__ import annotations

import copy
import logging
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_wine

from tsauto import Classifier, Regressor
from tsauto.cli import main
from tsauto.core.exceptions import DataValidationError
from tsauto.tabular.metrics import METRICS, resolve_metric

FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0)


def test_regressor_on_california_housing(california_small) -> None:
    df, target = california_small
    reg = Regressor(target, max_trials=3, learners=["lightgbm", "linear"], **FAST).fit(df)
    assert reg.metric_ == "rmse"
    pred = reg.predict(df)
    assert pred.shape == (len(df),) and np.isfinite(pred).all()
    assert -reg.score(df) < df[target].std()  # better than the mean (score: -rmse)
    checks = reg.guardrails()
    assert ("missing_values", "total_bedrooms") in set(zip(checks["check"], checks["column"]))
    assert "no_skill" not in set(checks["check"])  # better than the mean out of fold
    assert reg.kinds_["ocean_proximity"] == "categorical"


def test_ids_are_left_out_of_the_features_and_kept_by_the_model(california_small, caplog) -> None:
    """California housing with a house id given as ids=: not a feature (nor said to be an id by
    the featurizer), a guardrail names it, the model keeps it (``ids_``) and predict ignores
    it without a word; an id that is not a column, or the target, is refused."""
    df, target = california_small
    houses = df.assign(house_id=[f"h{i:05d}" for i in range(len(df))])
    reg = Regressor(target, max_trials=1, learners=["linear"], ids="house_id", **FAST).fit(houses)
    assert reg.ids_ == ["house_id"] and "house_id" not in reg.feature_names_in_
    checks = reg.guardrails()
    assert checks.query("column == 'house_id'")["check"].tolist() == ["ids"]
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        np.testing.assert_array_equal(reg.predict(houses), reg.predict(df))
    assert not caplog.records
    typo = r"ids=\['house'\]: not columns of the table \(did you mean 'house_id'\?\)"
    with pytest.raises(DataValidationError, match=typo):
        Regressor(target, max_trials=1, ids=["house"], **FAST).fit(houses)
    with pytest.raises(DataValidationError, match=f"ids= names the target column '{target}'"):
        Regressor(target, max_trials=1, ids=[target], **FAST).fit(houses)
    del reg.ids, reg.ids_  # as a model saved before ids= existed
    assert reg.get_params()["ids"] == () and np.isfinite(reg.predict(df)).all()


def test_infinite_numbers_at_fit_are_read_as_missing_with_a_data_check(abalone, caplog) -> None:
    """Abalone with three lengths of inf: every linear trial failed on scikit-learn's "Input X
    contains NaN" and learners=['linear'] failed the fit, without a data check. They are read as
    missing (the model is that of those cells left empty), a 'fixed' row and a warning name the
    column, the count and the rows; an infinite target is refused, naming its rows."""
    df, target = abalone
    odd, blank = df.copy(), df.copy()
    odd.loc[[1, 2], "Length"], odd.loc[3, "Length"] = np.inf, -np.inf
    blank.loc[[1, 2, 3], "Length"] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg = Regressor(target, max_trials=1, learners=["linear"], **FAST).fit(odd)
    assert (reg.leaderboard()["status"] == "ok").all()
    [row] = reg.guardrails().query("check == 'infinite_values'").to_dict("records")
    assert row["column"] == "Length"
    assert row["finding"] == "3 of 4177 values are infinite ('inf', '-inf') at rows 1, 2, 3"
    assert row["action"].startswith("read as missing, at fit and at predict")
    assert any(r.getMessage().startswith("column 'Length': 3 of 4177 values are infinite") for r in caplog.records)
    same = Regressor(target, max_trials=1, learners=["linear"], **FAST).fit(blank)
    np.testing.assert_allclose(reg.predict(df), same.predict(df))
    infinite = df.astype({target: float})
    infinite.loc[[4, 9], target] = [np.inf, -np.inf]
    with pytest.raises(DataValidationError, match=r"target 'Rings' must hold finite numbers; it holds "
                       r"\['inf', '-inf'\] at rows 4, 9: give finite values in place of the infinite ones"):
        Regressor(target, max_trials=1, **FAST).fit(infinite)


def test_a_constant_target_is_refused(abalone) -> None:
    """Every Rings 10: it fitted without a word (out-of-fold RMSE 0); refused as a single class is."""
    df, target = abalone
    with pytest.raises(DataValidationError, match=r"target 'Rings' has a single value \(10\) in all 4177 "
                       r"training rows: there is nothing to learn .*give rows with other values of 'Rings'"):
        Regressor(target, max_trials=1, **FAST).fit(df.assign(**{target: 10}))


def test_predictions_of_a_never_negative_target_are_clipped_at_zero(bike_small, tmp_path, caplog) -> None:
    """Bike rentals (cnt at least 1) by a linear model: some held-out predictions were negative.
    non_negative="auto" clips them at 0 (non_negative_, a guardrail, an INFO line), which brings
    no prediction farther from the truth; False keeps them, True clips a target that has
    negative values; a model saved before the parameter existed predicts as it did."""
    df, target = bike_small
    train, test = df.iloc[:2000], df.iloc[2000:]
    truth = test[target].to_numpy()
    with caplog.at_level(logging.INFO, logger="tsauto.tabular"):
        reg = Regressor(target, max_trials=1, learners=["linear"], **FAST).fit(train)
    kept = Regressor(target, max_trials=1, learners=["linear"], non_negative=False, **FAST).fit(train)
    assert reg.non_negative_ is True and kept.non_negative_ is False
    raw = kept.predict(test)
    assert (raw < 0).sum() > 10
    clipped = reg.predict(test)
    np.testing.assert_array_equal(clipped, np.maximum(raw, 0.0))
    assert (np.abs(clipped - truth) <= np.abs(raw - truth)).all() and reg.score(test) > kept.score(test)
    [row] = reg.guardrails().query("check == 'non_negative'").to_dict("records")
    assert row["column"] == "cnt" and row["finding"] == "never negative in the 2000 training rows (lowest 1)"
    assert row["action"].startswith("predictions clipped at 0 (non_negative='auto'; ")
    assert any(r.levelno == logging.INFO and "predictions clipped at 0" in r.getMessage() for r in caplog.records)
    assert "non_negative" not in set(kept.guardrails()["check"])
    shifted = train.assign(**{target: train[target] - 10})
    forced = Regressor(target, max_trials=1, learners=["linear"], non_negative=True, **FAST).fit(shifted)
    assert forced.non_negative_ and (forced.predict(test) >= 0).all()
    assert forced.guardrails().set_index("check").loc["non_negative", "finding"] == "lowest training target -9"
    old = copy.deepcopy(reg)  # as saved before non_negative existed
    del old.non_negative, old.non_negative_
    back = Regressor.load(old.save(tmp_path / "old.tsauto"))
    np.testing.assert_array_equal(back.predict(test), raw)
    assert back.get_params()["non_negative"] == "auto" and clone(back).non_negative == "auto"
    with pytest.raises(DataValidationError, match=r"non_negative='yes': give 'auto' \(clip"):
        Regressor(target, non_negative="yes", **FAST).fit(train)


def test_non_negative_auto_is_the_default_and_none_its_old_spelling(bike_small, tmp_path) -> None:
    """non_negative="auto" (the Forecaster's spelling) is the default; None, the default of
    models saved before "auto", still loads, refits and is accepted as "auto", without a word."""
    df, target = bike_small
    train, test = df.iloc[:2000], df.iloc[2000:]
    assert Regressor(target).get_params()["non_negative"] == "auto"
    auto = Regressor(target, max_trials=1, learners=["linear"], non_negative="auto", **FAST).fit(train)
    default = Regressor(target, max_trials=1, learners=["linear"], **FAST).fit(train)
    assert auto.non_negative_ is True and (auto.predict(test) >= 0).all()
    np.testing.assert_array_equal(auto.predict(test), default.predict(test))
    pd.testing.assert_frame_equal(auto.guardrails(), default.guardrails())
    shifted = train.assign(**{target: train[target] - 10})  # negative values: 'auto' does not clip
    assert Regressor(target, max_trials=1, learners=["linear"], **FAST).fit(shifted).non_negative_ is False
    old = copy.deepcopy(default)  # as saved with non_negative=None, before "auto"
    old.non_negative = None
    back = Regressor.load(old.save(tmp_path / "none.tsauto"))
    assert back.get_params()["non_negative"] is None and back.non_negative_ is True
    np.testing.assert_array_equal(back.predict(test), default.predict(test))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refit = clone(back).fit(train)
    assert refit.non_negative_ is True and not [w for w in caught if "non_negative" in str(w.message)]
    pd.testing.assert_frame_equal(refit.guardrails(), default.guardrails())


def test_regressor_with_arrays_and_another_metric() -> None:
    X, y = load_diabetes(return_X_y=True)
    reg = Regressor(
        "progression", metric="mae", max_trials=2, learners=["linear", "random_forest"], **FAST
    )
    reg.fit(X, y)
    assert list(reg.feature_names_in_) == [f"x{i}" for i in range(10)]
    assert reg.leaderboard()["mae"].min() < 50
    with pytest.raises(DataValidationError, match="for classification"):
        Regressor("y", metric="roc_auc", max_trials=1, **FAST).fit(X, y)


def test_mape_leaves_out_zero_targets_with_a_warning(wine_quality, caplog) -> None:
    # wine quality - 3: 30 zeros in 6,497 rows; MAPE divided by a tiny number there: 4.6e13
    df, target = wine_quality
    df = df.assign(**{target: df[target] - 3})
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg = Regressor(target, metric="mape", max_trials=1, learners=["linear"], **FAST).fit(df)
    assert 0 < reg.cv_score_ < 1
    known = df[target] != 0
    pred = reg.predict(df)
    mape = np.mean(np.abs(df[target][known] - pred[known]) / df[target][known])
    assert reg.score(df) == pytest.approx(-mape)  # score() as the search: the zeros left out
    [check] = reg.guardrails().query("check == 'zero_targets'").to_dict("records")
    assert check["finding"] == "30 of 6497 targets are 0, where MAPE (a share of the target) is undefined"
    assert "metric='mae' or 'rmse' judges every row" in check["action"]
    assert any("30 of 6497 targets are 0" in r.getMessage() for r in caplog.records)
    with pytest.raises(DataValidationError, match=r"'quality' has a single value \(0\) in all 30 training rows"):
        Regressor(target, metric="mape", max_trials=1, **FAST).fit(df[~known])


def test_mape_is_over_the_nonzero_targets() -> None:
    assert METRICS["mape"].fn(np.array([0.0, 2.0, 4.0]), np.array([5.0, 1.0, 5.0])) == pytest.approx(0.375)
    assert np.isnan(METRICS["mape"].fn(np.zeros(3), np.ones(3)))


def test_metric_orientation_and_auto_choice() -> None:
    y = np.array([0, 1, 1, 0])
    good = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    assert METRICS["roc_auc"].loss(y, good) == 0.0
    assert METRICS["accuracy"].loss(y, good[:, ::-1]) == 1.0
    assert METRICS["log_loss"].loss(y, good) < METRICS["log_loss"].loss(y, good[:, ::-1])
    assert METRICS["r2"].to_value(METRICS["r2"].loss(np.arange(5.0), np.arange(5.0))) == 1.0
    assert resolve_metric("auto", "classification", 2).name == "roc_auc"
    assert resolve_metric("auto", "classification", 3).name == "log_loss"
    assert resolve_metric("auto", "regression").name == "rmse"


def test_wine_multiclass_accuracy() -> None:
    X, y = load_wine(return_X_y=True, as_frame=True)
    clf = Classifier(
        "cultivar", metric="accuracy", max_trials=2, learners=["linear", "lightgbm"], **FAST
    )
    assert clf.fit(X, y).score(X, y) > 0.9


def test_cli_classify_end_to_end(credit_g, tmp_path, capsys) -> None:
    df, target = credit_g
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    df.iloc[:800].to_csv(train, index=False)
    df.iloc[800:].to_csv(test, index=False)
    out = tmp_path / "pred.csv"
    start = time.monotonic()
    files = ["--test", str(test), "--out", str(out)]
    model = tmp_path / "credit.tsauto"
    code = main(
        ["classify", str(train), "--target", target, *files, "--time-budget", "20"]
        + ["--learners", "lightgbm,linear", "--save-model", str(model), "-q"]
    )
    assert code == 0
    assert time.monotonic() - start < 20 * 1.1 + 5  # the budget holds (worker start included)
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["prediction", "proba_bad", "proba_good"] and len(pred) == 200
    printed = capsys.readouterr().out
    assert "roc_auc on" in printed and "in sample" not in printed
    assert "lightgbm" not in printed  # -q: no leaderboard
    again = tmp_path / "again.csv"  # the saved model predicts new rows without refitting
    assert main(["predict", str(model), "--test", str(test), "--out", str(again), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), pred)
    assert main(["predict", str(model), "--history", str(test), "--out", str(again), "-q"]) == 2
    assert "give the rows to predict as --test FILE" in capsys.readouterr().err
    odd = tmp_path / "odd.csv"  # a '?' among the durations: read as missing, said once (predict_proba said it again)
    rows = df.iloc[800:].astype({"duration": object})
    rows.iloc[0, rows.columns.get_loc("duration")] = "?"
    rows.to_csv(odd, index=False)
    assert main(["predict", str(model), "--test", str(odd), "--out", str(again), "-q"]) == 0
    assert capsys.readouterr().err.count("column 'duration'") == 1


def test_cli_regress_and_bad_target(california_small, tmp_path, capsys) -> None:
    df, target = california_small
    data = tmp_path / "housing.parquet"
    df.to_parquet(data)
    out = tmp_path / "pred.parquet"
    args = ["regress", str(data), "--target", target, "--out", str(out)]
    assert main([*args, "--max-trials", "1", "--learners", "linear", "-q"]) == 0
    assert len(pd.read_parquet(out)) == len(df)
    assert "(in sample, optimistic; out-of-fold " in capsys.readouterr().out  # no --test: its own rows
    assert main(["regress", str(data), "--target", "price", "--out", str(out), "-q"]) == 2
    assert "tsauto: error: target column 'price'" in capsys.readouterr().err


def test_scikit_learn_model_selection_takes_them(credit_g, california_small) -> None:
    """clone, is_classifier / is_regressor (stratified folds), cross_val_score with scoring=,
    and GridSearchCV's set_params; score stays the model's own metric."""
    from sklearn.base import is_classifier, is_regressor
    from sklearn.model_selection import GridSearchCV, cross_val_score

    df, target = credit_g
    X, y = df.drop(columns=target), df[target]
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST)
    assert is_classifier(clf) and clone(clf).get_params() == clf.get_params()
    scores = cross_val_score(clf, X, y, cv=3, scoring="accuracy")
    assert scores.shape == (3,) and (scores > 0.6).all()
    data, column = california_small
    reg = Regressor(column, max_trials=1, learners=["linear"], **FAST)
    grid = GridSearchCV(reg, {"ensemble": [False]}, cv=2, scoring="neg_root_mean_squared_error")
    grid.fit(data.drop(columns=column), data[column])
    assert is_regressor(reg) and grid.best_estimator_.ensemble is False
    kept = clone(reg.set_params(non_negative=False))
    assert kept.get_params() == reg.get_params() and kept.get_params()["non_negative"] is False
    best = grid.best_estimator_
    rmse = float(np.sqrt(np.mean((best.predict(data) - data[column]) ** 2)))
    assert best.metric_ == "rmse" and best.score(data) == pytest.approx(-rmse)  # not the mixin's R²
    plain = GridSearchCV(reg, {"learners": [["linear"], ["lightgbm"]]}, cv=2)  # scoring: score(), higher better
    plain.fit(data.drop(columns=column), data[column])
    assert (plain.cv_results_["mean_test_score"] < 0).all()  # -rmse: the best is the smallest RMSE
