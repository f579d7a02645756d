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
from numbers import Integral
from typing import Iterator

from threadpoolctl import threadpool_limits

from tsauto.core.exceptions import DataValidationError

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


def check_n_jobs(n_jobs: object) -> None:
    """Refuse an ``n_jobs`` that is no count of workers: as scikit-learn's, a positive number or
    -1 (all cores); 0, a bool or a non-integer is refused, naming the fix."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0:
        raise DataValidationError(f"n_jobs={n_jobs!r}: give the number of worker processes, or -1 for all cores.")


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
    before = _cpu_snapshot()
    if before is None:
        return None
    time.sleep(seconds)
    return _busy_since(before)


class CpuMeter:
    """Cores busy with other processes' work while this process works: started before a
    stretch of this process's own work (building features), read after it.

    :func:`free_cores` watches idle CPUs for a moment; two fits started together both watch at
    the same moment, both see the machine idle and both take every core (M4 Hourly, two
    LightGBM fits at once: 5.1x slower each, not 2x). Measured across work instead, each sees
    the other working. This process's own CPU time over the stretch is taken off the busy
    cores; a stretch shorter than ``SAMPLE_SECONDS`` is topped up by watching. The CPU time
    is the whole process's: other threads of this process count as its own work, not as load.
    """

    def __init__(self) -> None:
        self._start = time.monotonic(), time.process_time(), _cpu_snapshot()

    def free_cores(self) -> int:
        """Cores not busy with other processes' work since the meter started, at least one;
        :func:`free_cores` where the CPU counters cannot be read."""
        wall0, own0, before = self._start
        if before is None:
            return free_cores()
        time.sleep(max(0.0, SAMPLE_SECONDS - (time.monotonic() - wall0)))
        wall, own = time.monotonic() - wall0, time.process_time() - own0
        busy = _busy_since(before)
        if busy is None:
            return free_cores()
        others = max(0.0, busy - own / wall)
        total = cores()
        return max(1, min(total, int(total - others + 0.5)))


def _cpu_snapshot() -> dict[str, tuple[int, int]] | None:
    """The CPU counters of this process's cores, None where they cannot be read."""
    try:
        return _cpu_times({f"cpu{i}" for i in os.sched_getaffinity(0)}) or None
    except (OSError, AttributeError, ValueError):
        return None


def _busy_since(before: dict[str, tuple[int, int]]) -> float | None:
    """Cores busy since the counters ``before`` were read."""
    after = _cpu_snapshot()
    if after is None:
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
    """Native threads one job may use beside ``n_workers_running - 1`` others of its own; a
    share of one core is not measured (:func:`free_cores` watches the CPUs for 0.1 s: five
    times a fit on 2 cores, half a second of a 4-second M1 yearly fit)."""
    share = cores() // max(1, n_workers_running)
    return 1 if share <= 1 else max(1, min(share, free_cores()))


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
