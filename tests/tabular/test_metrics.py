"""Tabular metrics: each per-row loss terms order predictions as the metric's loss does."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.tabular.metrics import METRICS


@pytest.mark.parametrize("name", sorted(METRICS))
def test_per_row_terms_order_predictions_as_the_loss(name: str) -> None:
    metric = METRICS[name]
    rng = np.random.default_rng(0)
    if metric.task == "classification":
        y = rng.integers(0, 3, 300)
        preds = [rng.dirichlet(np.ones(3), 300) for _ in range(20)]
    else:
        y = rng.gamma(2.0, 10.0, 300)
        preds = [y + rng.normal(0.0, s, 300) for s in np.linspace(1.0, 20.0, 20)]
    if metric.terms is None:
        assert name in ("roc_auc", "f1", "balanced_accuracy")  # not a mean over rows
        return
    losses = [metric.loss(y, p) for p in preds]
    means = [float(np.mean(metric.terms(y, p))) for p in preds]
    assert np.array_equal(np.argsort(losses, kind="stable"), np.argsort(means, kind="stable"))
    if name in ("log_loss", "mae", "mape", "accuracy"):
        assert means == pytest.approx(losses, rel=1e-12)
