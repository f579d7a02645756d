"""Data-parallel LightGBM on the Dask workers that hold the training partitions: what
``lightgbm.dask`` does, keeping less on each worker.

Two rounds of tasks, one task a worker, each pinned to the worker holding its partitions:

1. :func:`held_rows`: each task builds the training rows of its worker's partitions one at a
   time, keeps only their labels and reserves a port; the client learns every worker's
   number of rows;
2. :meth:`HeldRows.train`: the workers with rows train together over LightGBM's socket network
   (``tree_learner="data"``, all of them named in ``machines``), as ``lightgbm.dask`` does. Each
   hands LightGBM its partitions as sequences built again when read, one partition at a time
   (:mod:`~tsauto.forecasting.features.sequence_rows`, which a large local fit uses too:
   LightGBM reads them twice, in order, its sample of rows for the bins, then every row to bin
   it). A worker so holds its partitions, LightGBM's binned rows and one partition's features
   at most, never its whole feature table (nor a copy kept by Dask). One worker with rows
   trains alone.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import lightgbm as lgb
import numpy as np

from tsauto.forecasting.features.sequence_rows import (
    counted,
    free_after_binning,
    rebuilt_dataset,
    sequence_params,
)

log = logging.getLogger(__name__)

NETWORK_TIMEOUT = 120  # minutes a worker waits for the others (lightgbm.dask's default)


@dataclass
class _Held:
    """On a worker: its partitions that have training rows, their labels, the reserved port."""

    parts: list
    build: Callable
    labels: list[np.ndarray]
    port: socket.socket


_HELD: dict[str, _Held] = {}  # on a worker, by token


def partitions_by_worker(frame: Any, client: Any) -> dict[str, list]:
    """The futures of the persisted ``frame``'s partitions grouped by a worker holding each
    (of several holders, the one given the fewest partitions so far)."""
    from distributed import futures_of, wait

    futures = futures_of(frame)
    wait(futures)
    holders = client.who_has(futures)
    out: dict[str, list] = defaultdict(list)
    for future in futures:
        worker = min(sorted(holders[future.key]), key=lambda w: len(out[w]))
        out[worker].append(future)
    return dict(out)


@dataclass
class HeldRows:
    """Training rows counted on the workers, ready to be trained on there: every worker's
    number of rows and reserved port."""

    client: Any
    token: str
    held: dict[str, tuple[int, int]]  # worker address: (rows, port)

    @property
    def rows(self) -> int:
        return sum(n for n, _ in self.held.values())

    def train(self, params: dict, rounds: int, names: list[str], categorical: list[int]) -> lgb.Booster:
        """One booster trained on all held rows by the workers holding some, together."""
        workers = [w for w, (n, _) in self.held.items() if n]
        threads = self.client.ncores()
        params = sequence_params(params)  # the bins' sample of rows as in process
        futures = [
            self.client.submit(
                _train_held, self.token, {**params, **self._network(w, workers), "num_threads": threads[w]},
                rounds, names, categorical, keep=i == 0, workers=[w], allow_other_workers=False, pure=False,
            )
            for i, w in enumerate(workers)
        ]
        log.info("LightGBM trains on %d worker(s): %s rows", len(workers),
                 ", ".join(f"{self.held[w][0]:,}" for w in workers))
        return lgb.Booster(model_str=self.client.gather(futures)[0])

    def _network(self, worker: str, workers: list[str]) -> dict[str, Any]:
        """LightGBM's network parameters of ``worker`` (none when it trains alone)."""
        if len(workers) == 1:
            return {}
        machines = ",".join(f"{urlparse(w).hostname}:{self.held[w][1]}" for w in workers)
        return {
            "tree_learner": "data", "num_machines": len(workers), "machines": machines,
            "local_listen_port": self.held[worker][1], "time_out": NETWORK_TIMEOUT,
        }


@contextlib.contextmanager
def held_rows(client: Any, parts: dict[str, list], build: Callable) -> Iterator[HeldRows]:
    """The rows ``build`` makes of each partition (a column-major array of features and label,
    or None), counted on the worker of ``parts`` (worker: its partitions' futures) and ready to
    train on there; released on exit."""
    token = uuid.uuid4().hex
    futures = [
        client.submit(_hold, ps, build, token, workers=[w], allow_other_workers=False, pure=False)
        for w, ps in parts.items()
    ]
    try:
        yield HeldRows(client, token, dict(zip(parts, client.gather(futures), strict=True)))
    finally:
        client.run(_release, token, workers=list(parts))


def _hold(parts: list, build: Callable, token: str) -> tuple[int, int]:
    """On a worker: count the training rows of its partitions (keeping their labels), reserve
    a port; the number of rows and the port."""
    kept, labels = counted(parts, build)
    port = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    port.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port.bind(("", 0))
    _HELD[token] = _Held(kept, build, labels, port)
    return sum(map(len, labels)), port.getsockname()[1]


def _train_held(
    token: str, params: dict, rounds: int, names: list[str], categorical: list[int], keep: bool
) -> str | None:
    """On a worker: train on its held rows (with the workers ``params`` names); the model as
    text where ``keep``."""
    data = _dataset(token, names, categorical)
    booster = lgb.train(params, data, num_boost_round=rounds, callbacks=[free_after_binning])
    try:
        return booster.model_to_string() if keep else None
    finally:
        if "machines" in params:
            booster.free_network()


def _dataset(token: str, names: list[str], categorical: list[int]) -> lgb.Dataset:
    """The held partitions as a LightGBM Dataset of rebuilt sequences (dropped once binned);
    the reserved port freed for LightGBM."""
    held = _HELD.pop(token)
    held.port.close()
    return rebuilt_dataset(held.parts, held.build, held.labels, names, categorical)


def _release(token: str) -> None:
    """On a worker: drop what ``token`` holds (partitions, labels, port), if still held."""
    held = _HELD.pop(token, None)
    if held is not None:
        held.port.close()
