"""Tabular metrics: every loss ranks predictions closer to the truth lower."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.tabular.metrics import METRICS


@pytest.mark.parametrize("name", sorted(METRICS))
def test_a_loss_falls_as_predictions_near_the_truth(name: str) -> None:
    metric = METRICS[name]
    rng = np.random.default_rng(0)
    if metric.task == "classification":
        y = rng.integers(0, 2, 400)
        onehot = np.eye(2)[y]
        # from a coin flip to nearly the true class, each row's probability moving alike
        preds = [(1 - a) * np.full((400, 2), 0.5) + a * (0.9 * onehot + 0.05) + rng.normal(0, 0.01, (400, 2)).clip(0)
                 for a in np.linspace(0.0, 1.0, 6)]
        preds = [p / p.sum(axis=1, keepdims=True) for p in preds]
    else:
        y = rng.gamma(2.0, 10.0, 400)
        preds = [y + rng.normal(0.0, s, 400) for s in (40.0, 20.0, 10.0, 5.0, 1.0)]
    losses = [metric.loss(y, p) for p in preds]
    assert losses[-1] < losses[0], losses
    if metric.task == "regression":
        assert losses == sorted(losses, reverse=True), losses
