"""A real two-process ``distributed.LocalCluster`` for the Dask tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def two_worker_client() -> Iterator[Any]:
    """A client of two single-thread worker processes. A task whose worker dies is not
    retried elsewhere (as the README advises: a trial that kills one worker would kill the
    next)."""
    import dask
    import distributed

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield c
