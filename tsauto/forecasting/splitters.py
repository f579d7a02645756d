"""Rolling-origin splits of many series at once, as per-series lengths and flat row indices.

Series are stored sorted by time and concatenated into one flat array with boundaries
``indptr = concatenate([0], cumsum(lengths))``; each series ends at its own last observation.
This module knows nothing of learners or metrics.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tsauto.core.arrays import ranges

__all__ = ["Fold", "RollingOriginSplitter", "fold_positions"]


@dataclass(frozen=True, eq=False)  # arrays: identity equality, hashable
class Fold:
    """One rolling-origin fold over all series.

    ``index`` is 0 for the oldest cutoff. Per series, ``train_lengths`` is the number of
    leading observations used for training (the cutoff position) and ``test_lengths`` the
    number of observations right after the cutoff that are forecast and scored. Both are 0
    when the series is absent from the fold.
    """

    index: int
    train_lengths: np.ndarray
    test_lengths: np.ndarray

    @property
    def present(self) -> np.ndarray:
        """Boolean mask of the series that take part in this fold."""
        return self.test_lengths > 0


def _check_int(value: object, name: str, minimum: int, fix: str) -> int:
    try:
        as_int = operator.index(value)  # rejects floats and bools-as-floats
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}; {fix}") from None
    if isinstance(value, bool) or as_int < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}; {fix}")
    return as_int


class RollingOriginSplitter:
    """Rolling-origin (expanding window) evaluation with ``folds`` cutoffs per series.

    For fold ``i`` of ``k`` (``i = 0`` oldest), the cutoff of a series of length ``n`` is
    ``n - horizon - (k - 1 - i) * step``: the last fold tests the final ``horizon`` points of
    every series. A series whose training part would be shorter than ``min_train_length`` is
    absent from that fold. ``step`` defaults to ``horizon`` (non-overlapping test windows).
    """

    def __init__(
        self, horizon: int, folds: int = 3, step: int | None = None, min_train_length: int = 1
    ) -> None:
        _check_int(horizon, "horizon", 1, "pass the number of steps to forecast, e.g. horizon=7")
        _check_int(folds, "folds", 1, "pass how many cutoffs to evaluate, e.g. folds=3")
        if step is not None:
            _check_int(step, "step", 1, "pass the distance between cutoffs or leave step=None")
        _check_int(
            min_train_length, "min_train_length", 1, "pass the shortest usable training part"
        )
        self.horizon = horizon
        self.folds = folds
        self.step = step
        self.min_train_length = min_train_length

    def __repr__(self) -> str:
        return (
            f"RollingOriginSplitter(horizon={self.horizon}, folds={self.folds}, "
            f"step={self.step}, min_train_length={self.min_train_length})"
        )

    @property
    def effective_step(self) -> int:
        """The effective step between consecutive cutoffs."""
        return self.horizon if self.step is None else self.step

    def split(self, lengths: np.ndarray) -> Iterator[Fold]:
        """Yield ``folds`` folds, oldest first, for series with the given ``lengths``.

        Every fold is yielded, even one from which all series are absent.
        """
        lengths = _check_lengths(lengths)
        for i in range(self.folds):
            cutoff = lengths - self.horizon - (self.folds - 1 - i) * self.effective_step
            present = cutoff >= self.min_train_length
            train = np.where(present, cutoff, 0)
            test = np.where(present, np.minimum(self.horizon, lengths - cutoff), 0)
            yield Fold(index=i, train_lengths=train, test_lengths=test)


def _check_lengths(lengths: np.ndarray) -> np.ndarray:
    arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise ValueError(f"lengths must be 1-D (one entry per series), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise ValueError(f"lengths must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError("lengths must be >= 0; count the observations of each series")
    return arr


def fold_positions(fold: Fold, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat row indices ``(train, test)`` of ``fold`` in the concatenated series array.

    ``indptr`` holds the series boundaries, ``concatenate([0], cumsum(lengths))``. Indices are
    grouped by series in series order and increase within a series.
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    n_series = fold.train_lengths.size
    if indptr.shape != (n_series + 1,):
        raise ValueError(
            f"indptr must have one more entry than the fold has series ({n_series + 1}), "
            f"got shape {indptr.shape}; build it as concatenate([0], cumsum(lengths))"
        )
    starts = indptr[:-1]
    if np.any(fold.train_lengths + fold.test_lengths > np.diff(indptr)):
        raise ValueError("fold does not fit these series: was it split from other lengths?")
    train = ranges(starts, fold.train_lengths)
    test = ranges(starts + fold.train_lengths, fold.test_lengths)
    return train, test
