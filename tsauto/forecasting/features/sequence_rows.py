"""Training rows handed to LightGBM part by part, each part's features built when read, so that
no whole feature table ever exists: in one process (a large local fit) and on each Dask worker
(:mod:`~tsauto.forecasting.distributed_training`).

A part is anything ``build`` turns into a column-major array of features and label (or None
when it has no training row): a set of whole series, whose rows are exact on their own since
features are per series. :func:`counted` builds each part once to learn its labels (small);
:func:`rebuilt_dataset` hands LightGBM the parts as :class:`Rebuilt` sequences, which it reads
twice, in order: its sample of rows for the bin boundaries, then every row to bin it. One
part's features are held at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np

from tsauto.core.worker import trim_freed_memory

REBUILT_BATCH = 65_536  # rows LightGBM bins at a time


class Rebuilt(lgb.Sequence):
    """A part's feature rows for LightGBM, built by ``build`` when read. The sequences of one
    ``cache`` hold one part's rows at a time: read in order, each is built once a pass."""

    batch_size = REBUILT_BATCH

    def __init__(self, part: Any, build: Callable, n: int, cache: dict) -> None:
        self.part, self.build, self.n, self.cache = part, build, n, cache

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int | slice) -> np.ndarray:
        if self.cache.get("of") is not self:
            self.cache.clear()  # the part read before is dropped first
            self.cache.update(of=self, rows=self.build(self.part)[:, :-1])
        rows = self.cache["rows"][idx]
        return rows if isinstance(idx, slice) else rows.astype(np.float64)  # a sampled row: double


def counted(parts: list, build: Callable) -> tuple[list, list[np.ndarray]]:
    """The parts that have training rows and their labels, each part built once (and dropped)."""
    kept, labels = [], []
    for part in parts:
        rows = build(part)
        if rows is not None and len(rows):
            kept.append(part)
            labels.append(rows[:, -1].copy())
    return kept, labels


def rebuilt_dataset(
    parts: list, build: Callable, labels: list[np.ndarray], names: list[str], categorical: list[int]
) -> lgb.Dataset:
    """The parts (those of :func:`counted`, with their labels) as one LightGBM Dataset of
    :class:`Rebuilt` sequences, dropped once binned."""
    cache: dict = {}
    seqs = [Rebuilt(p, build, len(y), cache) for p, y in zip(parts, labels, strict=True)]
    return lgb.Dataset(
        seqs, label=np.concatenate(labels), feature_name=names, categorical_feature=categorical,
        free_raw_data=True, params={"verbosity": -1},
    )


def sequence_params(params: dict) -> dict:
    """``params`` for a Dataset of sequences that samples the same rows for the bins as
    LightGBM does for an in-memory matrix under the same ``seed``. A matrix is sampled in C++
    with the ``data_random_seed`` that ``seed`` derives; sequences are sampled in Python, which
    passes only the Dataset's parameters (not ``seed``): the derived value is given explicitly
    (an explicit ``data_random_seed`` is kept)."""
    if "seed" not in params or "data_random_seed" in params:
        return params
    return {**params, "data_random_seed": _derived_seed(int(params["seed"]))}


def _derived_seed(seed: int) -> int:
    """LightGBM's ``data_random_seed`` from ``seed`` (``Config::Set``: the first draw of its
    ``Random(seed)``, a linear congruential generator, ``NextShort(0, INT16_MAX)``)."""
    x = (214013 * (seed & 0xFFFFFFFF) + 2531011) & 0xFFFFFFFF
    return ((x >> 16) & 0x7FFF) % 32767


def free_after_binning(env: Any) -> None:
    """Before the first round: give the system the pages freed while LightGBM binned the rows
    (a worker otherwise keeps freed memory for reuse, see
    :func:`~tsauto.core.worker.keep_freed_memory`)."""
    if env.iteration == env.begin_iteration:
        trim_freed_memory()


free_after_binning.before_iteration = True  # type: ignore[attr-defined]
