"""The global LightGBM learner: training on the most recent rows of each series."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.lightgbm import LightGBMLearner
from tsauto.forecasting.validation import validate

FAST = {"num_boost_round": 30}


@pytest.fixture(scope="module")
def panel(aus_small):
    return validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])


def test_recent_rows_only_are_trained_on(panel) -> None:
    task = Task(horizon=6, season=12, seasons=(12,))
    full = LightGBMLearner(params=FAST).fit(panel, task)
    recent = LightGBMLearner(params=FAST, max_samples_per_series=24).fit(panel, task)
    assert recent.n_train_rows_ == 24 * panel.n_series < full.n_train_rows_
    assert not np.allclose(recent.predict(panel).mean, full.predict(panel).mean)


def test_a_limit_above_every_length_changes_nothing(panel) -> None:
    task = Task(horizon=6, season=12, seasons=(12,))
    full = LightGBMLearner(params=FAST).fit(panel, task)
    same = LightGBMLearner(params=FAST, max_samples_per_series=int(panel.lengths.max())).fit(panel, task)
    assert same.n_train_rows_ == full.n_train_rows_
    np.testing.assert_array_equal(same.predict(panel).mean, full.predict(panel).mean)


def test_a_non_positive_limit_is_refused_by_name(panel) -> None:
    with pytest.raises(DataValidationError, match="max_samples_per_series=0"):
        LightGBMLearner(params=FAST, max_samples_per_series=0).fit(panel, Task(horizon=6, season=12))
