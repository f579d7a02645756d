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
import time
from typing import Iterator

from threadpoolctl import threadpool_limits

SAMPLE_SECONDS = 0.1  # how long free_cores() watches the CPUs


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
    """Cores not busy with other work right now, at least one: measured over ``SAMPLE_SECONDS``
    from the kernel's CPU counters (Linux), else from the 1-minute load average.

    A multi-threaded native library spin-waits on busy cores; sizing its threads from the cores
    actually free keeps a loaded machine from slowing a fit many times over. The load average
    lags by a minute: right after a search it still counts the search's own finished workers,
    and a refit sized from it got one thread on an idle machine.
    """
    total = cores()
    busy = busy_cores(SAMPLE_SECONDS)
    if busy is None:
        try:
            busy = os.getloadavg()[0]
        except OSError:
            return total
    return max(1, min(total, int(total - busy + 0.5)))


def busy_cores(seconds: float) -> float | None:
    """Cores of this process's set busy during the next ``seconds`` (``/proc/stat``); ``None``
    where the counters cannot be read."""
    try:
        mine = {f"cpu{i}" for i in os.sched_getaffinity(0)}
        before = _cpu_times(mine)
        time.sleep(seconds)
        after = _cpu_times(mine)
    except (OSError, AttributeError, ValueError):
        return None
    if not after:
        return None
    busy = 0.0
    for cpu, (total, idle) in after.items():
        total0, idle0 = before.get(cpu, (total, idle))
        if total > total0:
            busy += 1.0 - (idle - idle0) / (total - total0)
    return busy


def _cpu_times(names: set[str]) -> dict[str, tuple[int, int]]:
    """(all, idle + iowait) jiffies of the CPUs ``names`` from ``/proc/stat``."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name in names:
                v = [int(x) for x in values[:8]]
                out[name] = (sum(v), v[3] + v[4])
    return out


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
