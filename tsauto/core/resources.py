"""How many workers and native threads a job may use, and how to pin them.

One rule for every parallel step of tsauto (trials, per-series chunks, partitions): workers
never exceed the cores, and each worker's native pools (OpenMP, BLAS, torch) are pinned so that
workers × threads never exceed the cores either. On a 2-core machine a 2-thread job next to
another busy process runs 7–75× slower than pinned to one thread.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

from threadpoolctl import threadpool_limits


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def n_workers(n_jobs: int | None, n_items: int | None = None) -> int:
    """Workers for ``n_items`` tasks: ``n_jobs`` (``None`` or negative: all cores), never more
    than the cores or the items, at least one."""
    total = cores()
    wanted = total if n_jobs is None or n_jobs < 0 else max(1, int(n_jobs))
    limit = total if n_items is None else max(1, n_items)
    return max(1, min(wanted, total, limit))


def free_cores() -> int:
    """Cores not busy with other work right now (1-minute load average), at least one.

    A multi-threaded native library spin-waits on busy cores; sizing its threads from the cores
    actually free keeps a loaded machine from slowing a fit many times over.
    """
    total = cores()
    try:
        load = os.getloadavg()[0]
    except OSError:
        return total
    return max(1, min(total, int(total - load + 0.5)))


def process_threads(n_workers_running: int = 1) -> int:
    """Native threads one job may use beside ``n_workers_running - 1`` others of its own."""
    return max(1, min(cores() // max(1, n_workers_running), free_cores()))


@contextlib.contextmanager
def pinned(threads: int) -> Iterator[None]:
    """Limit every native thread pool of this process (BLAS, OpenMP, torch) to ``threads``."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None and before is not None:
                torch.set_num_threads(before)
