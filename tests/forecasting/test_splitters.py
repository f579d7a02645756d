"""Rolling-origin splitter: fold geometry, flat positions, argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsauto.forecasting.splitters import Fold, RollingOriginSplitter, fold_positions


def _indptr(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)])


def test_example_three_folds() -> None:
    lengths = np.array([10, 6, 3])
    folds = list(RollingOriginSplitter(horizon=2, folds=3).split(lengths))
    assert [f.index for f in folds] == [0, 1, 2]
    np.testing.assert_array_equal(folds[0].train_lengths, [4, 0, 0])
    np.testing.assert_array_equal(folds[0].test_lengths, [2, 0, 0])
    np.testing.assert_array_equal(folds[1].train_lengths, [6, 2, 0])
    np.testing.assert_array_equal(folds[1].test_lengths, [2, 2, 0])
    np.testing.assert_array_equal(folds[2].train_lengths, [8, 4, 1])
    np.testing.assert_array_equal(folds[2].test_lengths, [2, 2, 2])
    train, test = fold_positions(folds[2], _indptr(lengths))
    np.testing.assert_array_equal(train, [*range(8), *range(10, 14), 16])
    np.testing.assert_array_equal(test, [8, 9, 14, 15, 17, 18])


def test_step_and_min_train_length() -> None:
    splitter = RollingOriginSplitter(horizon=3, folds=2, step=1, min_train_length=5)
    folds = list(splitter.split(np.array([9, 8])))
    np.testing.assert_array_equal(folds[0].train_lengths, [5, 0])
    np.testing.assert_array_equal(folds[0].test_lengths, [3, 0])
    np.testing.assert_array_equal(folds[1].train_lengths, [6, 5])
    np.testing.assert_array_equal(folds[1].present, [True, True])


def test_empty_fold_is_still_yielded() -> None:
    folds = list(RollingOriginSplitter(horizon=5, folds=2).split(np.array([4])))
    assert len(folds) == 2
    assert all(f.test_lengths.sum() == 0 for f in folds)
    train, test = fold_positions(folds[0], _indptr(np.array([4])))
    assert train.size == 0 and test.size == 0


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40), min_size=0, max_size=8),
    horizon=st.integers(1, 6),
    n_folds=st.integers(1, 5),
    step=st.one_of(st.none(), st.integers(1, 6)),
    min_train=st.integers(1, 10),
)
def test_fold_properties(
    lengths: list[int], horizon: int, n_folds: int, step: int | None, min_train: int
) -> None:
    lens = np.array(lengths, dtype=np.int64)
    indptr = _indptr(lens)
    splitter = RollingOriginSplitter(horizon, folds=n_folds, step=step, min_train_length=min_train)
    folds = list(splitter.split(lens))
    eff_step = horizon if step is None else step
    assert [f.index for f in folds] == list(range(n_folds))
    series_of_row = np.repeat(np.arange(lens.size), lens)
    for fold in folds:
        assert isinstance(fold, Fold)
        present = fold.test_lengths > 0
        assert np.all((fold.train_lengths == 0) == ~present)
        assert np.all(fold.train_lengths[present] >= min_train)
        assert np.all(fold.test_lengths <= horizon)
        cutoff = lens - horizon - (n_folds - 1 - fold.index) * eff_step
        np.testing.assert_array_equal(fold.train_lengths[present], cutoff[present])
        train, test = fold_positions(fold, indptr)
        # no train row at or past its series' cutoff; train rows are a prefix of each series
        s_train = series_of_row[train]
        assert np.all(train - indptr[s_train] < fold.train_lengths[s_train])
        assert train.size == fold.train_lengths.sum()
        # test rows are exactly the test_lengths points right after the cutoff
        starts = indptr[:-1] + fold.train_lengths
        expected = [np.arange(a, a + n) for a, n in zip(starts, fold.test_lengths)]
        np.testing.assert_array_equal(test, np.concatenate([[], *expected]).astype(np.int64))
        assert np.intersect1d(train, test).size == 0
    # the last fold tests each (long enough) series' final horizon points
    last = folds[-1]
    long_enough = lens - horizon >= min_train
    np.testing.assert_array_equal(last.test_lengths[long_enough], horizon)
    np.testing.assert_array_equal(last.test_lengths[~long_enough], 0)
    _, test = fold_positions(last, indptr)
    ends = indptr[1:][long_enough]
    expected_last = (ends[:, None] - horizon + np.arange(horizon)).ravel()
    np.testing.assert_array_equal(test, expected_last)
    # cutoffs move forward in time, oldest first
    for a, b in zip(folds, folds[1:]):
        both = (a.test_lengths > 0) & (b.test_lengths > 0)
        assert np.all(a.train_lengths[both] < b.train_lengths[both])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 2.5}, "horizon"),
        ({"horizon": 3, "folds": 0}, "folds"),
        ({"horizon": 3, "step": 0}, "step"),
        ({"horizon": 3, "min_train_length": 0}, "min_train_length"),
        ({"horizon": True}, "horizon"),
    ],
)
def test_argument_errors(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        RollingOriginSplitter(**kwargs)


def test_lengths_and_indptr_errors() -> None:
    splitter = RollingOriginSplitter(horizon=2)
    with pytest.raises(ValueError, match="lengths"):
        list(splitter.split(np.array([[3, 4]])))
    with pytest.raises(ValueError, match="lengths"):
        list(splitter.split(np.array([-1, 4])))
    with pytest.raises(ValueError, match="lengths"):
        list(splitter.split(np.array([2.5])))
    fold = next(RollingOriginSplitter(horizon=2, folds=1).split(np.array([5, 5])))
    with pytest.raises(ValueError, match="indptr"):
        fold_positions(fold, np.array([0, 5]))
    with pytest.raises(ValueError, match="other lengths"):
        fold_positions(fold, np.array([0, 3, 6]))
