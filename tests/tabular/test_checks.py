"""Guardrails of the tabular search: class imbalance, on real targets."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.tabular.checks import class_balance
from tsauto.tabular.metrics import METRICS

CLASSIFICATION = sorted(n for n, m in METRICS.items() if m.task == "classification")


@pytest.mark.parametrize(("name", "rarest"), [("kc1", "True"), ("wine_quality", "9")])
def test_class_imbalance_shows_the_rarest_label_as_written(request, name, rarest) -> None:
    df, target = request.getfixturevalue(name)
    classes, codes = np.unique(df[target].to_numpy(), return_inverse=True)
    [check] = class_balance(codes, classes, METRICS["accuracy"])
    assert check.finding.startswith(f"rarest class {rarest}: ")
    assert "np." not in check.finding


@pytest.mark.parametrize("metric", CLASSIFICATION)
def test_class_imbalance_says_why_the_metric_is_or_is_not_weighted(kc1, metric) -> None:
    df, target = kc1
    classes, codes = np.unique(df[target].to_numpy(), return_inverse=True)
    [check] = class_balance(codes, classes, METRICS[metric])
    if METRICS[metric].needs_class_weights:
        assert check.action == "stratified folds; balanced class weights (the metric rewards the rare classes)"
    else:
        assert check.action.startswith("stratified folds; no reweighting (")
        assert ("counts every row alike" in check.action) == (metric == "accuracy")
