"""Validation splits of a table: stratified k-fold (classification), k-fold (regression), or
one hold-out split for large tables; with ``folds="time"`` expanding windows over the row order
(each fold validates later rows by a model of the earlier ones). Yields index arrays; knows
nothing of learners."""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np

from tsauto.tabular.metrics import TaskType

log = logging.getLogger(__name__)

HOLDOUT_ROWS = 100_000  # above this many rows one hold-out split replaces k-fold
HOLDOUT_SHARE = 0.2
TIME = "time"  # folds="time": expanding windows over the row order (rows sorted by time)

Split = tuple[np.ndarray, np.ndarray]


def auto_folds(n_rows: int) -> int:
    """Folds for ``folds="auto"``: 5 up to 10,000 rows, 3 up to 100,000, then 1 (hold-out)."""
    if n_rows > HOLDOUT_ROWS:
        return 1
    return 5 if n_rows <= 10_000 else 3


def fold_count(y: np.ndarray, task: TaskType, folds: int | Literal["auto"]) -> tuple[int, int | None]:
    """The folds of :func:`make_splits` and, where the rarest class cut them to its row count
    (a stratified fold validates at least one row of every class), that class's code."""
    k = auto_folds(len(y)) if folds in ("auto", TIME) else int(folds)
    if k < 1:
        raise ValueError(f"folds={folds!r}: give 'auto', 'time' or an integer >= 1.")
    if task != "classification" or folds == TIME:
        return k, None
    counts = np.bincount(y)
    if k <= counts.min():
        return k, None
    return max(int(counts.min()), 1), int(counts.argmin())


def make_splits(
    y: np.ndarray, task: TaskType, folds: int | Literal["auto"], random_state: int = 0
) -> list[Split]:
    """(train, valid) index pairs; ``folds=1`` is a single hold-out of 20 % of the rows.

    Classification splits are stratified; with fewer rows in the rarest class than folds, the
    number of folds is lowered to that count.
    """
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    n = len(y)
    k, rarest = fold_count(y, task, folds)
    if folds == TIME:
        return time_splits(n, k)
    if rarest is not None:
        log.info("using %d folds: the rarest class has %d rows", k, int(np.sum(y == rarest)))
    stratify = task == "classification"
    if k == 1:
        train, valid = train_test_split(
            np.arange(n),
            test_size=HOLDOUT_SHARE,
            random_state=random_state,
            stratify=y if stratify else None,
        )
        return [(np.sort(train), np.sort(valid))]
    splitter = (StratifiedKFold if stratify else KFold)(k, shuffle=True, random_state=random_state)
    return list(splitter.split(np.zeros(n), y))


def time_splits(n: int, k: int) -> list[Split]:
    """Expanding windows over the row order: ``k`` folds, each validating the next ``n // (k +
    1)`` rows by the rows before them (scikit-learn's ``TimeSeriesSplit``); ``k=1``: the last
    20 % validated by the rows before. The first window's rows are never validated."""
    from sklearn.model_selection import TimeSeriesSplit

    rows = np.arange(n)
    if k == 1:
        cut = n - max(1, int(round(HOLDOUT_SHARE * n)))
        return [(rows[:cut], rows[cut:])]
    return list(TimeSeriesSplit(n_splits=k).split(rows))
