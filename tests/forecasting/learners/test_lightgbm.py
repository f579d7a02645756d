"""The global LightGBM learner: training on the most recent rows of each series, its training
rows kept in the feature matrix's own memory and stored in single precision."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners import lightgbm
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.lightgbm import LightGBMLearner, keep_rows_in_place
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


@given(
    n_features=st.integers(1, 6),
    mask=st.lists(st.booleans(), min_size=1, max_size=60).filter(any),
    seed=st.integers(0, 2**16),
)
def test_rows_kept_in_place_equal_a_copy_and_share_its_memory(n_features, mask, seed) -> None:
    rows = np.array(mask)
    block = np.random.default_rng(seed).normal(size=(n_features, rows.size))
    block[0, ::3] = np.nan  # missing values travel too
    X = block.T  # column-major, as FeatureBuilder.train_matrix builds it
    expected = X[rows].copy()
    kept = keep_rows_in_place(X, rows)
    np.testing.assert_array_equal(kept, expected)
    assert np.shares_memory(kept, block) and kept.flags.f_contiguous


def test_training_in_place_fits_the_same_model(panel, monkeypatch) -> None:
    task = Task(horizon=6, season=12, seasons=(12,))
    in_place = LightGBMLearner(params=FAST).fit(panel, task).predict(panel).mean
    monkeypatch.setattr(lightgbm, "keep_rows_in_place", lambda X, rows: X[rows])
    copied = LightGBMLearner(params=FAST).fit(panel, task).predict(panel).mean
    np.testing.assert_array_equal(in_place, copied)


def test_training_rows_are_the_double_precision_features_stored_in_single(panel) -> None:
    task = Task(horizon=6, season=12, seasons=(12,))
    learner = LightGBMLearner(params=FAST).fit(panel, task)
    X, y = learner.training_rows(panel)
    yt = lightgbm.forward(lightgbm.make_transforms(learner.transform_names_), panel)
    double = learner.builder_.train_matrix(panel, yt)
    assert X.dtype == np.float32 and double.dtype == np.float64 and X.flags.f_contiguous
    kept = np.isfinite(yt) & np.isfinite(double[:, 0])
    np.testing.assert_array_equal(X, double[kept].astype(np.float32))
    np.testing.assert_array_equal(y, yt[kept])
