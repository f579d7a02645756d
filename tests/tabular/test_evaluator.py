"""A tabular trial whose LightGBM is cut to its time reports the parameters it fitted. The pace
is a fake clock (10 ms a boosting round), so the cut is exact."""

from __future__ import annotations

import time

import pytest
from engine_doubles import RoundClock

from tsauto.core import stopping
from tsauto.tabular.evaluator import TabularEvaluator
from tsauto.tabular.featurizer import infer_kinds
from tsauto.tabular.metrics import resolve_metric
from tsauto.tabular.splitting import make_splits


def test_a_lightgbm_trial_cut_to_its_time_reports_what_it_fitted(phoneme_small, monkeypatch) -> None:
    df, target = phoneme_small
    X, y = df.drop(columns=target), (df[target] == df[target].iloc[0]).to_numpy(int)
    kinds, _ = infer_kinds(X)
    splits = make_splits(y, "classification", folds=1)
    evaluator = TabularEvaluator(X, y, kinds, "classification", resolve_metric("auto", "classification", 2),
                                 splits, n_classes=2)
    params = {"n_estimators": 500, "learning_rate": 0.05, "num_leaves": 15}
    monkeypatch.setattr(stopping, "time", RoundClock())  # 10 ms a round
    result = evaluator.evaluate("lightgbm", params, time.monotonic() + 2.0, threads=1)
    assert 100 < result.params["n_estimators"] < 200  # about 90 % of 2 s at 10 ms a round
    assert result.params["n_estimators"] * result.params["learning_rate"] == pytest.approx(500 * 0.05)
    assert result.params["num_leaves"] == 15 and 0 < result.fold_scores[0] < 1
    assert evaluator.evaluate("lightgbm", params, time.monotonic() + 60.0, threads=1).params is None
