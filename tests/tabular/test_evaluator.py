"""A tabular trial whose LightGBM or forest is cut to its time reports the parameters it
fitted. LightGBM's pace is a fake clock (10 ms a boosting round), so the cut is exact."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from engine_doubles import RoundClock

from tsauto.core import stopping
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.tabular.evaluator import TabularEvaluator
from tsauto.tabular.featurizer import infer_kinds
from tsauto.tabular.model import TabularPipeline
from tsauto.tabular.metrics import resolve_metric
from tsauto.tabular.splitting import make_splits


PARAMS = {"n_estimators": 500, "learning_rate": 0.05, "num_leaves": 15}


def _evaluator(table: tuple[pd.DataFrame, str]) -> TabularEvaluator:
    """One hold-out split of ``table`` (phoneme), its first class against the other, by ROC AUC."""
    df, target = table
    X, y = df.drop(columns=target), (df[target] == df[target].iloc[0]).to_numpy(int)
    kinds, _ = infer_kinds(X)
    splits = make_splits(y, "classification", folds=1)
    metric = resolve_metric("auto", "classification", 2)
    return TabularEvaluator(X, y, kinds, "classification", metric, splits, n_classes=2)


def test_a_lightgbm_trial_cut_to_its_time_reports_what_it_fitted(phoneme_small, monkeypatch) -> None:
    evaluator = _evaluator(phoneme_small)
    monkeypatch.setattr(stopping, "time", RoundClock())  # 10 ms a round
    result = evaluator.evaluate("lightgbm", PARAMS, time.monotonic() + 2.0, threads=1)
    assert 100 < result.params["n_estimators"] < 200  # about 90 % of 2 s at 10 ms a round
    assert result.params["n_estimators"] * result.params["learning_rate"] == pytest.approx(500 * 0.05)
    assert result.params["num_leaves"] == 15 and 0 < result.fold_scores[0] < 1
    assert evaluator.evaluate("lightgbm", PARAMS, time.monotonic() + 60.0, threads=1).params is None


def test_a_lightgbm_trial_cut_far_short_keeps_the_rounds_it_fitted(phoneme_small, monkeypatch) -> None:
    """A trial whose time affords a few of its rounds is scored on them, not failed: its
    validation says what they are worth (the refit, min_share=0.5, still fails short of half)."""
    evaluator = _evaluator(phoneme_small)
    monkeypatch.setattr(stopping, "time", RoundClock())  # 10 ms a round: 0.5 s affords about 45
    result = evaluator.evaluate("lightgbm", PARAMS, time.monotonic() + 0.5, threads=1)
    rounds, rate = result.params["n_estimators"], result.params["learning_rate"]
    assert 30 < rounds < 50 and rounds * rate < 0.5 * 500 * 0.05  # less than half the planned sum
    assert 0.5 < 1 - result.fold_scores[0] < 1  # ROC AUC of what was fitted
    refit = evaluator.make("lightgbm", PARAMS)  # the default min_share: half the planned sum at least
    with pytest.raises(TimeLimitExceeded, match="stopped at round"):
        refit.fit(evaluator.X, evaluator.y, deadline=time.monotonic() + 0.5)


def test_a_forest_cut_to_its_time_keeps_the_trees_grown(phoneme_small) -> None:
    """A forest grows its trees in batches (warm start: the trees of one fit) while its time
    lasts; a deadline already past leaves the first batch, a tenth of the trees."""
    evaluator = _evaluator(phoneme_small)
    X, y, kinds = evaluator.X, evaluator.y, evaluator.kinds
    pipe = TabularPipeline("extra_trees", {"n_estimators": 100}, kinds, "classification", n_classes=2)
    pipe.fit(X, y, deadline=time.monotonic(), min_share=0.0)
    assert pipe.params_used()["n_estimators"] == 10 and len(pipe.estimator_.estimators_) == 10
    with pytest.raises(TimeLimitExceeded, match="10 of 100 trees"):
        pipe.fit(X, y, deadline=time.monotonic())  # the default min_share (a refit): half at least
    whole = TabularPipeline("extra_trees", {"n_estimators": 30}, kinds, "classification", n_classes=2)
    in_time = whole.fit(X, y, deadline=time.monotonic() + 600).predict_raw(X)
    np.testing.assert_array_equal(in_time, whole.fit(X, y).predict_raw(X))  # the same trees
    assert whole.params_used() == {"n_estimators": 30}


def _scripted_cuts(monkeypatch, cuts: list) -> None:
    """Each fold's fit runs whole, then reports the next of ``cuts`` as what its deadline cut
    it to (``None``: as planned): the folds' cuts are exact, whatever the machine's pace."""
    from tsauto.tabular import model

    fit, left = model.fit_estimator, iter(cuts)

    def scripted(entry, estimator, X, y, deadline, min_share):
        fit(entry, estimator, X, y, None, min_share)
        return next(left)

    monkeypatch.setattr(model, "fit_estimator", scripted)


def _cut(rounds: int) -> dict:
    """A cut of PARAMS to ``rounds`` at the rate raised as LightGBMDeadline raises it."""
    return {"n_estimators": rounds, "learning_rate": min(0.2, 500 * 0.05 / rounds)}


@pytest.mark.parametrize(
    "cuts, expected",
    [
        ([_cut(8), _cut(4), _cut(1)], _cut(4)),  # a hiccup in the last fold does not decide
        ([_cut(1), _cut(8), _cut(4)], _cut(4)),
        ([None, _cut(8), _cut(1)], _cut(8)),  # an uncut fold counts as the plan, above any cut
        ([_cut(8), None, None], None),  # most folds uncut: the trial as proposed
    ],
)
def test_a_trial_whose_folds_were_cut_differently_reports_its_median_folds_cut(
    phoneme_small, monkeypatch, cuts, expected
) -> None:
    """The trial's out-of-fold predictions, which chose it and weigh it in the ensemble, come
    from all its folds: its refit fits the cut of the median fold by learning (rounds × rate),
    not the last fold's."""
    df, target = phoneme_small
    X, y = df.drop(columns=target), (df[target] == df[target].iloc[0]).to_numpy(int)
    kinds, _ = infer_kinds(X)
    splits = make_splits(y, "classification", folds=3)
    evaluator = TabularEvaluator(X, y, kinds, "classification", resolve_metric("auto", "classification", 2),
                                 splits, n_classes=2)
    _scripted_cuts(monkeypatch, cuts)
    result = evaluator.evaluate("lightgbm", PARAMS, time.monotonic() + 600, threads=1)
    assert result.params == (None if expected is None else {**PARAMS, **expected})
    assert len(result.fold_scores) == 3


def test_the_representative_cut_of_an_even_number_of_folds_is_the_upper_middle() -> None:
    """Cuts only lower the work done: of two folds, one cut short by a hiccup does not decide."""
    from tsauto.core.cuts import representative_params

    proposed = {"n_estimators": 100, "learning_rate": 0.1}
    one, two = {"n_estimators": 10, "learning_rate": 0.2}, {"n_estimators": 30, "learning_rate": 0.2}
    assert representative_params([two, one], proposed) is two
    assert representative_params([proposed, one], proposed) is proposed
    assert representative_params([one, two, None, one], proposed) is two
    assert representative_params([one, None, None, one], proposed) is None
    forest = {"n_estimators": 100, "max_features": 0.5}  # trees, no rate
    cut = [{**forest, "n_estimators": n} for n in (60, 90, 70)]
    assert representative_params(cut, forest) is cut[2]
    linear = [{"C": 1.0}, {"C": 1.0}]  # nothing to cut: the last fold's
    assert representative_params(linear, {"C": 1.0}) is linear[1]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_constant_prediction_is_each_training_folds_frequencies_or_mean(abalone, task) -> None:
    """What a model must beat (checks.no_skill): per validation row, its training fold's class
    frequencies or mean, in the order of valid_rows; per fold, a ROC AUC of 0.5 and the RMSE
    of the fold's mean."""
    df, target = abalone
    X = df.drop(columns=target)
    y = (df[target] > 9).to_numpy(int) if task == "classification" else df[target].to_numpy(float)
    kinds, _ = infer_kinds(X)
    splits = make_splits(y, task, folds=3)
    metric = resolve_metric("auto", task, 2)
    constant = TabularEvaluator(X, y, kinds, task, metric, splits, n_classes=2).constant_oof()
    start = 0
    for train, valid in splits:
        part, start = constant[start:start + len(valid)], start + len(valid)
        if task == "classification":
            np.testing.assert_allclose(part, np.tile(np.bincount(y[train]) / len(train), (len(valid), 1)))
            assert metric.fn(y[valid], part) == 0.5
        else:
            np.testing.assert_allclose(part, y[train].mean())
            assert metric.fn(y[valid], part) == pytest.approx(np.sqrt(np.mean((y[valid] - y[train].mean()) ** 2)))
    assert start == len(y)
