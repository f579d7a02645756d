"""What runs inside a worker process.

:func:`init_worker` prepares a fresh worker: a cap on the memory it may write, Ctrl-C left to
the parent (which stops the workers itself), its stdout/stderr (library chatter, crash dumps)
sent to a file the parent reads, its log records kept for the parent, and an end of its own as
soon as the process that started it is gone (:func:`watch_owner`). :func:`run` makes one
call there and returns an :class:`Outcome`: the result or the exception, plus the warnings
(counted, not printed) and log records the call produced.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import pickle
import re
import resource
import select
import shutil
import signal
import sys
import threading
import time
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
WATCH_POLL = 1.0  # seconds between looks at a worker's owner where its exit cannot be awaited
ORPHANED = 3  # exit status of a worker that ended because its owner was gone
_STATE: dict[str, Any] = {"memory_limit": None, "collector": None}
OWN_FOLDERS: set[str] = set()  # this process's executors' folders of worker files (orphaned: removed)


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


def init_worker(
    memory_limit: int | None, output: str | None, log_level: int, owner: int | None = None
) -> None:
    """Set up a worker process (loky ``initializer``); ``owner``: the pid of the process that
    started it and reads its results (:func:`watch_owner`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the parent's to handle
    if output:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    if owner:  # before the memory cap: its thread's stack is memory the cap counts
        watch_owner(owner, os.path.dirname(output) if output else None)
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


def watch_owner(owner: int, folder: str | None = None) -> None:
    """End this process, and the processes it started, as soon as process ``owner`` exits;
    ``folder``: the owner's folder of worker files, removed then too.

    A worker whose owner was killed (``kill -9``, the system out of memory, ``docker kill``)
    is no one's: its result has no reader. Nothing else ended it: it ran its trial to the end,
    then waited for ever to write the result into a pipe it holds both ends of, and since every
    worker holds the fork server's "alive" pipe and the resource tracker's, those two stayed up
    as well, with the owner's stdout and stderr open, so that a wrapper reading the command's
    output never saw it end (user test 49: 4 processes, 630 MiB, for good). Once the workers
    are gone, both servers see the end of their pipe and exit. The owner's folder of worker
    files, which its exit would have removed, is removed by its orphaned workers (the
    ``/tmp/tsauto-workers-*`` folders that ``kill -9``, or a SIGTERM outside a search or
    refit, left behind).

    The owner is watched by pid, not as the parent: a worker's parent is the fork server. A
    pidfd (Linux 5.3) tells of its exit at once, a zombie's included (a wrapper reaps the
    command only after reading its output to the end); elsewhere its pid is looked at every
    ``WATCH_POLL`` seconds. The watching thread needs the GIL to act: a call holding it in
    native code for long is ended when it lets go."""
    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:  # gone already
        _orphaned(folder)
    except (AttributeError, OSError):  # no pidfd here: look at its pid instead
        pidfd = None
    threading.Thread(target=_watch, args=(owner, pidfd, folder), name="tsauto-owner-watch", daemon=True).start()


def _watch(owner: int, pidfd: int | None, folder: str | None) -> None:
    if pidfd is not None:
        poll = select.poll()
        poll.register(pidfd, select.POLLIN)
        poll.poll()  # returns once the owner has exited
    while _running(owner):  # without a pidfd (and should the poll have returned early)
        time.sleep(WATCH_POLL)
    _orphaned(folder)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs: neither gone nor a zombie (which ``os.kill`` still finds)."""
    if os.path.exists("/proc/self/stat"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False
        except (OSError, IndexError):
            pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: it runs
        pass
    return True


def _orphaned(folder: str | None) -> None:
    """End this worker, whose owner is gone, and the processes it started (a learner's own
    pool): nothing else would stop them. Resource trackers and fork servers are left to end
    on their own once the processes they serve are gone (a killed tracker removes none of the
    semaphores it tracks). The owner's ``folder`` goes too, no one reads it now, and so do
    this process's own (a partition's, whose workers are killed here)."""
    for pid in reversed(_descendants(os.getpid())):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if re.search(rb"(resource_tracker|forkserver) import main", f.read()):
                    continue
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for path in {folder, *OWN_FOLDERS} - {None}:
        shutil.rmtree(path, ignore_errors=True)
    os._exit(ORPHANED)


def _descendants(pid: int) -> list[int]:
    """The pids of ``pid``'s children, theirs and so on, parents first (Linux ``/proc``; none
    elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(0), [])
        found += kids
        todo += kids
    return found


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
