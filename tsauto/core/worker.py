"""What runs inside a worker process.

:func:`init_worker` prepares a fresh worker: a cap on the memory it may write, Ctrl-C left to
the parent (which stops the workers itself), its stdout/stderr (library chatter, crash dumps)
sent to a file the parent reads, its log records kept for the parent. :func:`run` makes one
call there and returns an :class:`Outcome`: the result or the exception, plus the warnings
(counted, not printed) and log records the call produced.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import pickle
import resource
import signal
import sys
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tsauto.core.exceptions import TsautoError
from tsauto.core.resources import pinned

MAX_RECORDS = 500  # log records one call may send back to the parent
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
MMAP_THRESHOLD = 32 * 2**20  # glibc's own upper bound for its dynamic threshold
_STATE: dict[str, Any] = {"memory_limit": None, "collector": None}


class WorkerLost(TsautoError, RuntimeError):
    """The worker process running a call died (crash, signal, ``os._exit``, out of memory)."""


class MemoryLimitExceeded(TsautoError, MemoryError):
    """A call needed more memory than its worker's cap."""


@dataclass
class Outcome:
    """One call's result (or the exception that ended it) and what it said on the way."""

    value: Any
    failed: bool = False
    warnings: dict[str, int] = field(default_factory=dict)  # "Category: message" → count
    records: list[logging.LogRecord] = field(default_factory=list)
    dropped_records: int = 0
    traceback: str = ""


def format_bytes(n: float) -> str:
    """``1.5 GiB``, ``300 MiB``."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def init_worker(memory_limit: int | None, output: str | None, log_level: int) -> None:
    """Set up a worker process (loky ``initializer``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the parent's to handle
    if output:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    faulthandler.enable()  # a crash dump goes to the output file, where the parent finds it
    if memory_limit:
        # the writable private memory (heap, arrays), not the address space: reservations such
        # as CUDA's or malloc's arenas, and the mapped libraries, are not memory in use
        kind = getattr(resource, "RLIMIT_DATA", resource.RLIMIT_AS)
        _, hard = resource.getrlimit(kind)
        soft = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
        resource.setrlimit(kind, (soft, hard))
        _STATE["memory_limit"] = soft
    # loky ends a worker whose memory grew 300 MB since its first call (a TCN trial does) and
    # its manager thread starts the replacement, outside the parent's guard against re-running
    # an unguarded script's `__main__` (the new worker ran the user's whole script again) and
    # unknown to the slot; the cap above bounds the memory instead
    from joblib.externals.loky import process_executor

    process_executor._MAX_MEMORY_LEAK_SIZE = sys.maxsize
    root = logging.getLogger()
    root.setLevel(log_level)
    collector = _Collector()
    root.addHandler(collector)
    _STATE["collector"] = collector


def ready(*preload: Any) -> int | None:
    """The worker's :func:`private_memory`: a worker that returns it is up (``preload`` was
    unpickled on the way)."""
    return private_memory()


def private_memory() -> int | None:
    """Bytes of private writable memory this process holds (Linux ``VmData``: what its
    ``RLIMIT_DATA`` cap counts); None where it cannot be read."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def keep_freed_memory() -> None:
    """Let this process's malloc (glibc) reuse freed memory rather than return it at once.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes the
    threshold above which an allocation is a fresh ``mmap`` at 128 KiB: every array above it
    is then paid in page faults. Measured on a tsauto trial (2,000 series): 100,000 page faults
    and 4-20× its time in such a worker on a busy 2-core machine; none with these settings.
    """
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD)


def trim_freed_memory() -> None:
    """glibc's ``malloc_trim(0)``: return the free pages of every arena to the system (after
    :func:`keep_freed_memory`, where a large release should not stay with the process)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _glibc() -> Any:
    """The C library when it is glibc on Linux (it has ``mallopt`` and ``malloc_trim``), else None."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or not name:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def identity(value: Any) -> Any:
    """``value`` itself: data sent to Dask workers as a task's result, rebuilt if lost."""
    return value


def run(
    fn: Callable, args: tuple, kwargs: dict, threads: int, label: str, capture: bool = True
) -> Outcome:
    """Call ``fn(*args, **kwargs)`` with native threads pinned to ``threads``; an exception is
    returned in the outcome, never raised. ``capture``: count warnings instead of printing them
    (not on threaded workers such as Dask's, where the warning filters are shared)."""
    counts: Counter[str] = Counter()
    collector = _STATE["collector"]
    if collector is not None:
        collector.reset()
    out = Outcome(None)
    try:
        if capture:
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                warnings.showwarning = lambda msg, cat, *a, **k: counts.update([warning_key(cat, msg)])
                out.value = _call(fn, args, kwargs, threads)
        else:
            out.value = _call(fn, args, kwargs, threads)
    except MemoryError as err:
        limit = _STATE["memory_limit"]
        cap = f"the memory limit of {format_bytes(limit)}" if limit else "the memory available"
        out.value = MemoryLimitExceeded(
            f"{label} ran out of memory: it needed more than {cap} ({type(err).__name__}: {err})"
        )
        out.failed = True
    except SystemExit as err:  # a learner's sys.exit ends its call, not the worker or the search
        out.value, out.failed = RuntimeError(f"{label} called sys.exit({err.code!r})"), True
        out.traceback = traceback.format_exc()
    except Exception as err:
        out.value, out.failed = _picklable(err), True
        out.traceback = traceback.format_exc()
    out.warnings = dict(counts)
    if collector is not None:
        out.records, out.dropped_records = collector.take()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    return out


def run_trial(
    evaluator, name: str, params: dict, deadline: float, threads: int, capture: bool = True
) -> Outcome:
    """One trial: ``evaluator.evaluate(name, params, deadline, threads)``."""
    return run(evaluator.evaluate, (name, params, deadline, threads), {}, threads, name, capture)


def _call(fn: Callable, args: tuple, kwargs: dict, threads: int) -> Any:
    with pinned(threads):
        return fn(*args, **kwargs)


def warning_key(category, message) -> str:
    """``Category: first line of the message``."""
    text = str(message).strip().splitlines()[0] if str(message).strip() else ""
    return f"{getattr(category, '__name__', category)}: {text[:160]}"


def _picklable(err: BaseException) -> BaseException:
    """``err`` if it survives pickling (to reach the parent), else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


class _Collector(logging.Handler):
    """Keeps a call's log records (formatted, so that they pickle) for the parent."""

    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.dropped = 0

    def reset(self) -> None:
        self.records, self.dropped = [], 0

    def take(self) -> tuple[list[logging.LogRecord], int]:
        out = (self.records, self.dropped)
        self.reset()
        return out

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) >= MAX_RECORDS:
            self.dropped += 1
            return
        try:
            record.msg = record.getMessage()
            record.args = None
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
                record.exc_info = None
            self.records.append(record)
        except Exception:
            self.dropped += 1
