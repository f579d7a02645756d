"""The global LightGBM learner: training on the most recent rows of each series, its training
rows kept in the feature matrix's own memory and stored in single precision, the differencing
vote of the task, leaves by data size."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners import lightgbm
from tsauto.forecasting.features.builder import FeatureBuilder
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.lightgbm import (
    DEFAULT_PARAMS,
    LARGE_DATA_LEAVES,
    LARGE_DATA_ROWS,
    SMALL_PANEL_LEAVES,
    SMALL_PANEL_OBSERVATIONS,
    LightGBMLearner,
    RecentLightGBMLearner,
    keep_rows_in_place,
    recent_rows,
)
from tsauto.forecasting.planner import make_task
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


@pytest.mark.parametrize("horizon, season, rows", [(6, 12, 24), (48, 24, 48), (13, 52, 52)])
def test_the_recent_learner_keeps_a_horizon_or_a_season_of_rows(panel, horizon, season, rows) -> None:
    task = Task(horizon=horizon, season=season, seasons=(season,))
    assert recent_rows(task) == rows
    recent = RecentLightGBMLearner(params=FAST).fit(panel, task)
    assert recent.n_train_rows_ == rows * panel.n_series
    same = LightGBMLearner(params=FAST, max_samples_per_series=rows).fit(panel, task)
    np.testing.assert_array_equal(recent.predict(panel).mean, same.predict(panel).mean)


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


def train_matrix_rows(monkeypatch) -> list[int]:
    """The number of rows of every feature matrix built from now on."""
    built: list[int] = []
    original = FeatureBuilder.train_matrix

    def spy(self, panel, y, *args, **kwargs):
        built.append(len(y))
        return original(self, panel, y, *args, **kwargs)

    monkeypatch.setattr(FeatureBuilder, "train_matrix", spy)
    return built


@pytest.mark.parametrize("limit", [None, 24])
def test_a_large_table_is_binned_from_chunks_of_series_to_the_same_model(panel, monkeypatch, limit) -> None:
    """Above the threshold the whole matrix is never built: each chunk of whole series is
    built three times (its labels, LightGBM's sample of rows for the bins, the binning pass),
    and the model is the in-memory one, bit for bit (the same rows, and the same rows sampled
    for the bins: a sample of 500 of the ~2,800 rows here)."""
    task = Task(horizon=6, season=12, seasons=(12,))
    params = {**FAST, "bin_construct_sample_cnt": 500}
    whole = LightGBMLearner(params=params, max_samples_per_series=limit).fit(panel, task)
    n_bytes = len(panel.y) * len(whole.spec_.names) * 4
    monkeypatch.setattr(lightgbm, "WHOLE_MATRIX_BYTES", n_bytes - 1)
    monkeypatch.setattr(lightgbm, "CHUNK_BYTES", n_bytes // 5)  # two series a chunk: 6 chunks
    built = train_matrix_rows(monkeypatch)
    chunked = LightGBMLearner(params=params, max_samples_per_series=limit).fit(panel, task)
    assert len(built) == 3 * 6 and max(built) < len(panel.y) and sum(built) == 3 * len(panel.y)
    assert chunked.n_train_rows_ == whole.n_train_rows_
    np.testing.assert_array_equal(chunked.predict(panel).mean, whole.predict(panel).mean)


def test_a_data_error_in_a_chunk_is_raised_as_from_the_whole_matrix(aus_small, monkeypatch) -> None:
    """Only a chunk without a training row is skipped: an error of the data (log1p of a
    negative target) fails the fit as it does without chunks, not a chunk silently left out."""
    df = aus_small.copy()
    df.loc[df.index[5], "Turnover"] = -1.0
    bad = validate(df, target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=6, season=12, seasons=(12,))
    learner = LightGBMLearner(params=FAST, target_transform=["log1p", "scale"])
    with pytest.raises(DataValidationError) as whole:
        learner.fit(bad, task)
    monkeypatch.setattr(lightgbm, "WHOLE_MATRIX_BYTES", 0)
    with pytest.raises(DataValidationError) as chunked:
        learner.clone().fit(bad, task)
    assert str(chunked.value) == str(whole.value)


def test_the_direct_strategy_keeps_the_whole_matrix(panel, monkeypatch) -> None:
    monkeypatch.setattr(lightgbm, "WHOLE_MATRIX_BYTES", 0)
    built = train_matrix_rows(monkeypatch)
    LightGBMLearner(params=FAST, strategy="direct").fit(panel, Task(horizon=3, season=12, seasons=(12,)))
    assert built == [len(panel.y)]


def test_chunks_are_runs_of_whole_series_covering_all() -> None:
    indptr = np.array([0, 3, 10, 12, 13, 20])
    assert lightgbm._series_chunks(indptr, 4) == [(0, 1), (1, 2), (2, 4), (4, 5)]
    assert lightgbm._series_chunks(indptr, 100) == [(0, 5)]


def test_the_task_differencing_vote_is_what_every_fit_follows(panel) -> None:
    """Australian retail turnover trends: taken on the panel, the vote differences it; a task
    that took the vote on the whole training panel is followed as it is, so that the models
    of the validation folds (parts of that panel) and the refit transform alike."""
    task = make_task(panel, 6, None, None, 1, 0)
    assert task.nonstationary is True
    assert LightGBMLearner(params=FAST).fit(panel, replace(task, nonstationary=None)).transform_names_ == (
        "diff1", "scale",
    )
    told = replace(task, nonstationary=False)
    assert LightGBMLearner(params=FAST).fit(panel, told).transform_names_ == ("scale",)
    asked = LightGBMLearner(params=FAST, target_transform="diff1").fit(panel, told)
    assert asked.transform_names_ == ("diff1",)


@pytest.mark.parametrize(
    "rows, observations, params, leaves",
    [
        (SMALL_PANEL_OBSERVATIONS - 1, None, None, SMALL_PANEL_LEAVES),
        (LARGE_DATA_ROWS, None, None, LARGE_DATA_LEAVES),
        (LARGE_DATA_ROWS, None, {"num_leaves": 15}, 15),
        (SMALL_PANEL_OBSERVATIONS - 1, None, {"num_leaves": 63}, 63),
        # a validation fold: fewer rows than the whole training panel, sized as the panel
        (LARGE_DATA_ROWS - 1, LARGE_DATA_ROWS, None, LARGE_DATA_LEAVES),
        (LARGE_DATA_ROWS, SMALL_PANEL_OBSERVATIONS - 1, None, SMALL_PANEL_LEAVES),
    ],
)
def test_more_data_gets_more_leaves_unless_leaves_are_given(rows, observations, params, leaves) -> None:
    task = Task(horizon=6, observations=observations)
    got, _ = LightGBMLearner(params=params).train_params(task, rows)
    assert got["num_leaves"] == leaves


def test_recent_rows_of_a_large_panel_keep_the_default_leaves() -> None:
    task = Task(horizon=6, observations=SMALL_PANEL_OBSERVATIONS)
    got, _ = LightGBMLearner(max_samples_per_series=48).train_params(task, 20_000)
    assert got["num_leaves"] == DEFAULT_PARAMS["num_leaves"]


def test_leaves_are_sized_from_the_rows_trained_on_not_the_observations(panel, monkeypatch) -> None:
    monkeypatch.setattr(lightgbm, "LARGE_DATA_ROWS", len(panel.y) // 2)
    monkeypatch.setattr(lightgbm, "SMALL_PANEL_OBSERVATIONS", 1)
    task = Task(horizon=6, season=12, seasons=(12,))
    every_row = LightGBMLearner(params=FAST).fit(panel, task)
    sized = replace(task, observations=len(panel.y))
    recent = LightGBMLearner(params=FAST, max_samples_per_series=24).fit(panel, sized)
    assert every_row.boosters_[0].params["num_leaves"] == LARGE_DATA_LEAVES
    assert recent.boosters_[0].params["num_leaves"] == DEFAULT_PARAMS["num_leaves"]


def test_a_differenced_target_reads_its_known_future_covariates_differenced(walmart_holiday_split) -> None:
    panel, flags = walmart_holiday_split
    task = Task(horizon=10, season=52, seasons=(52,))
    learner = LightGBMLearner(target_transform=["diff1"], params=FAST).fit(panel, task)
    spec = learner.spec_
    assert spec.covariate_diffs == (1,) and "IsHoliday_diff1" in spec.names
    col = spec.names.index("IsHoliday_diff1")
    X = learner.builder_.train_matrix(panel, panel.y)
    x = panel.covariates["IsHoliday"].to_numpy(float)
    for a, b in zip(panel.indptr[:-1], panel.indptr[1:]):  # x_t - x_{t-1} within each series
        assert np.isnan(X[a, col]) and np.array_equal(X[a + 1 : b, col], np.diff(x[a:b]))
    ahead = learner.builder_.future_exog(panel, 10, {"IsHoliday": np.tile(flags, (2, 1))})
    last = x[panel.indptr[1:] - 1]
    np.testing.assert_array_equal(ahead[:, :, col - len(spec.lags.names)], np.diff(np.c_[last, np.tile(flags, (2, 1))]))
    level = LightGBMLearner(target_transform=["scale"], params=FAST).fit(panel, task)
    assert level.spec_.covariate_diffs == () and "IsHoliday_diff1" not in level.spec_.names


def test_a_validation_fold_cut_far_short_keeps_its_rounds_a_refit_does_not(panel, monkeypatch) -> None:
    """User test 57: at time_budget=45 the default LightGBM trial of ETTh1 had its folds cut
    to a few dozen of their 500 rounds at the top rate and thrown away (less than half the
    planned sum of rates): the trial timed out. A validation fold keeps what its time afforded,
    scored for what it is worth (as a table trial's does); a fit that forecasts (a refit) still
    fails short of half its work. A fake clock: every boosting round takes 1 s."""
    import time

    from engine_doubles import RoundClock

    from tsauto.core import stopping
    from tsauto.core.exceptions import TimeLimitExceeded
    from tsauto.forecasting.search import ForecastEvaluator
    from tsauto.forecasting.splitters import RollingOriginSplitter

    params = {"params": {"num_boost_round": 500, "learning_rate": 0.05}, "use_id": False}
    task = Task(horizon=6, season=12, seasons=(12,))
    evaluator = ForecastEvaluator(panel, task, RollingOriginSplitter(6, folds=2, step=6),
                                  classes={"lightgbm": LightGBMLearner})
    monkeypatch.setattr(stopping, "time", RoundClock(step=1.0))
    result = evaluator.evaluate("lightgbm", params, time.monotonic() + 60.0, threads=1)
    used = result.params["params"]
    assert 10 < used["num_boost_round"] < 30  # each fold's 30 s at 1 s a round, 90 % of it planned
    assert used["num_boost_round"] * used["learning_rate"] < 0.5 * 500 * 0.05
    assert used["learning_rate"] > 0.05 and len(result.fold_scores) == 2 and np.isfinite(result.fold_scores).all()
    monkeypatch.setattr(stopping, "time", RoundClock(step=1.0))
    with pytest.raises(TimeLimitExceeded, match="stopped at round"):
        LightGBMLearner(**params).fit(panel, replace(task, deadline=time.monotonic() + 30.0))
