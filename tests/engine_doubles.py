"""Test doubles of the engine: a toy evaluator whose learners end a trial every way one can
(score, raise, exit, be killed, segfault, eat memory, hang), and small functions for
``Executor.call``. Nothing here is about time series.

They live in their own importable module so that worker processes can unpickle them.
"""

from __future__ import annotations

import json
import itertools
import logging
import os
import signal
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tsauto.core.search import Candidate, Evaluation

log = logging.getLogger("engine_doubles")

HOG_STEP = 64 * 2**20  # bytes the hog takes at a time


class RoundClock:
    """A fake ``time.monotonic`` (for ``tsauto.core.stopping``) whose every call, one per
    LightGBM boosting round, takes ``step`` seconds: cuts to a deadline become exact.
    ``start``: the clock's first reading (default: the real one, for deadlines that other
    modules set from it); a fixed start keeps the rounding of the steps' sums the same on
    every machine (from the real one, a cut computed at 81.0 rounds came out 80.99... on a
    machine up for 45,000 s)."""

    def __init__(self, step: float = 0.01, start: float | None = None):
        self.now = time.monotonic() if start is None else start
        self.step = step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


def quadratic_space(trial) -> dict:
    return {"x": trial.suggest_float("x", -5.0, 5.0)}


def tiny_space(trial) -> dict:
    """Two settings, as ETS's ``damped``."""
    return {"flag": trial.suggest_categorical("flag", [True, False])}


@dataclass
class ToyEvaluator:
    """Scores learner ``name`` (its behaviour) with ``params``; lower is better.

    ``sleep``: seconds a working trial takes (``slow``: the "slow" learner). ``marker_dir``: a
    file per finished trial, holding the worker's pid. ``hog_stop``: bytes at which the hog gives
    up by itself, so that a missing memory cap fails the test instead of the machine.
    """

    sleep: float = 0.0
    slow: float = 4.0
    marker_dir: str | None = None
    hog_stop: int = 6 * 2**30
    interrupt_after: int | None = None  # in process only: Ctrl-C once this many trials ran

    def __post_init__(self):
        self.calls = 0

    def evaluate(self, name: str, params: dict, deadline: float, threads: int) -> Evaluation:
        t0 = time.perf_counter()
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt
        kind = name.split("_")[0]
        if kind == "quadratic":
            score = (params.get("x", 0.0) - 1.5) ** 2 + 1.0
        elif kind == "tiny":  # the best learner, of two settings
            score = 0.5 if params.get("flag", True) else 0.6
        elif kind == "constant":
            score = 5.0
        elif kind == "cut":  # cuts its work to its time, and says so: it used half the x asked
            used = {**params, "x": params.get("x", 4.0) / 2}
            return Evaluation([3.0], oof=[3.0], fit_time=0.0, predict_time=0.0, params=used)
        elif kind == "slow":
            time.sleep(self.slow)
            score = 6.0
        elif kind == "raises":
            raise ValueError("this learner always raises")
        elif kind == "brittle":  # a space of which every setting fails (as under a tight memory_limit)
            raise MemoryError("brittle ran out of memory")
        elif kind == "exit":
            os._exit(3)
        elif kind == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif kind == "segfault":
            import ctypes

            ctypes.string_at(0)
        elif kind == "hog":
            return self._hog()
        elif kind == "hang":
            time.sleep(3600)  # ignores its deadline, as a hung native call would
            score = 0.0
        elif kind == "noisy":
            for _ in range(30):
                warnings.warn("overflow encountered in exp", RuntimeWarning)
            warnings.warn("a worker stopped early", UserWarning)
            log.warning("noisy learner: something to report")
            print("noisy learner prints to stdout")
            score = 4.0
        else:
            raise KeyError(name)
        time.sleep(self.sleep)
        if self.marker_dir:
            marker = Path(self.marker_dir) / f"{time.time_ns()}-{os.getpid()}.done"
            marker.write_text(json.dumps({"learner": name, "pid": os.getpid(), "score": score}))
        return Evaluation([score, score], oof=[score], fit_time=time.perf_counter() - t0, predict_time=0.0)

    def _hog(self) -> Evaluation:
        chunks = []
        while len(chunks) * HOG_STEP < self.hog_stop:
            chunks.append(bytearray(HOG_STEP))  # zero-filled: really used, not just reserved
        raise AssertionError(f"no memory cap stopped the hog at {len(chunks) * HOG_STEP} bytes")


@dataclass
class FoldedEvaluator:
    """Scores a trial on three folds (fold k: ``k + 1``), each fold a part it offers a search
    (``fold_groups``, joined by ``merge``); learner "partfail" raises on fold 1. A part's
    out-of-fold values are the pid of the worker that ran it."""

    sleep: float = 0.3

    def evaluate(self, name: str, params: dict, deadline: float, threads: int, folds=None) -> Evaluation:
        folds = (0, 1, 2) if folds is None else folds
        time.sleep(self.sleep * len(folds))
        if name == "partfail" and 1 in folds:
            raise ValueError("fold 1 failed")
        return Evaluation([k + 1.0 for k in folds], oof=[os.getpid()] * len(folds),
                          fit_time=self.sleep * len(folds), predict_time=0.0)

    def fold_groups(self, name: str, params: dict) -> list[tuple[int, ...]]:
        return [(0,), (1,), (2,)]

    @staticmethod
    def merge(parts: list[Evaluation]) -> Evaluation:
        return Evaluation([x for p in parts for x in p.fold_scores], [x for p in parts for x in p.oof],
                          sum(p.fit_time for p in parts), 0.0, parts[-1].params)


def candidates(*names: str) -> dict[str, Candidate]:
    """Candidates for ``names``, their defaults tried in this order; the quadratic learners
    have a space."""
    out = {}
    for i, name in enumerate(names):
        space = {"quadratic": quadratic_space, "tiny": tiny_space, "brittle": quadratic_space}.get(name.split("_")[0])
        out[name] = Candidate(name, space=space, cost=1.0 + i)
    return out


# ---- a blend for the engine: two members, one of them slow ------------------------------------

OFFSETS = {"fast": -1.0, "slow": 1.0, "off": 3.0}  # out-of-fold error of each learner


@dataclass
class OffsetEvaluator:
    """Trials whose out-of-fold predictions miss the truth (zeros) by their learner's offset:
    "fast" and "slow" blend to no error, "off" is left out. "slow" takes ``slow`` seconds."""

    slow: float = 2.0

    def evaluate(self, name: str, params: dict, deadline: float, threads: int) -> Evaluation:
        if name == "slow":
            time.sleep(self.slow)
        offset = OFFSETS[name]
        return Evaluation([abs(offset)], oof=[offset] * 4, fit_time=0.0, predict_time=0.0)


@dataclass
class OffsetStrategy:
    """The engine's view of :class:`OffsetEvaluator`'s trials; a refit returns where and how
    it ran (learner, process, threads)."""

    evaluator: OffsetEvaluator
    metric: str = "mae"

    def metric_value(self, loss: float) -> float:
        return loss

    def oof(self, trial):
        return np.asarray(trial.oof, dtype=float)

    def comparable(self, trial, best) -> bool:
        return True

    def loss(self, best, prediction) -> float:
        return float(np.mean(np.abs(prediction)))

    def refit_seconds(self, trial) -> float:
        return trial.fit_time

    def thread_gain(self, trial) -> float:
        return 0.5

    def fit_member(self, trial, deadline, threads=None) -> dict:
        return {"learner": trial.learner, "pid": os.getpid(), "threads": threads}

    def kept_member(self, trial) -> bytes | None:
        return None

    def fallback_member(self, best) -> dict:
        return {"learner": "fallback"}

    def assemble(self, members, trials):
        return members


@dataclass
class CostlyFastRefit(OffsetStrategy):
    """The "fast" learner's refit is priced at ``seconds`` (the others' at nothing)."""

    seconds: float = 10.0

    def refit_seconds(self, trial) -> float:
        return self.seconds if trial.learner == "fast" else 0.0


@dataclass
class SleepyRefitStrategy(OffsetStrategy):
    """A refit that writes its worker's pid to ``marker_dir`` and then sleeps a minute."""

    marker_dir: str = ""

    def fit_member(self, trial, deadline, threads=None) -> dict:
        (Path(self.marker_dir) / f"refit-{os.getpid()}.pid").write_text(str(os.getpid()))
        time.sleep(60)
        return super().fit_member(trial, deadline, threads)


def refit_to_terminate(marker_dir: str) -> None:
    """A search of two trials, then the refit of their blend in a worker that sleeps (to be
    sent SIGTERM by the test)."""
    from tsauto.core.engine import search_and_refit
    from tsauto.core.executor import Executor
    from tsauto.core.search import SearchSettings

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    strategy = SleepyRefitStrategy(OffsetEvaluator(slow=0.0), marker_dir=marker_dir)
    settings = SearchSettings(time_budget=100, max_trials=2, n_jobs=2)
    search_and_refit(strategy, candidates("fast", "slow"), settings, Executor(2),
                     deadline=time.monotonic() + 120)
    print("refit ended", flush=True)


# ---- functions for Executor.call -----------------------------------------------------------


def square(x: float, plus: float = 0.0) -> float:
    return x * x + plus


def sleep_for(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def exit_with(code: int) -> None:
    os._exit(code)


def exit_after_failed_allocation() -> None:
    """Die as a native library does when its memory runs out (OpenBLAS's words, exit code 1)."""
    os.write(2, b"OpenBLAS error: Memory allocation still failed after 10 retries, giving up.\n")
    os._exit(1)


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def segfault() -> None:
    import ctypes

    ctypes.string_at(0)


def pid() -> int:
    return os.getpid()


_KEPT: list = []


def keep_memory(megabytes: int) -> int:
    """Hold ``megabytes`` more for the worker's life (memory loky would take for a leak)."""
    time.sleep(1.1)  # loky looks at a worker's memory at most once a second
    _KEPT.append(bytearray(megabytes * 2**20))
    return os.getpid()


def exit_quietly() -> None:
    sys.exit(2)


def raise_value_error() -> None:
    raise ValueError("bad input in the worker")


def hog(stop: int = 6 * 2**30) -> None:
    ToyEvaluator(hog_stop=stop)._hog()


def noisy() -> int:
    warnings.warn("divide by zero encountered in log", RuntimeWarning)
    log.warning("noisy call: something to report")
    return 7


# ---- a search to interrupt (run as a script by the Ctrl-C test) --------------------------------


def interrupted_search(run_dir: str, marker_dir: str) -> None:
    """Run a long search; print, as JSON, what it returned once Ctrl-C stops it."""
    import signal

    from tsauto.core.executor import Executor
    from tsauto.core.search import Search, SearchSettings

    # as a script started from a terminal: a test runner's ignored or blocked SIGINT (inherited
    # through fork and exec) would make the Ctrl-C this test sends a no-op
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGINT, signal.default_int_handler)

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = SearchSettings(max_trials=1000, n_jobs=2, run_dir=run_dir)
    search = Search(
        candidates("constant", "quadratic"),
        ToyEvaluator(sleep=0.5, marker_dir=marker_dir),
        settings,
        Executor(2, memory_limit="2GiB"),
        fingerprint="toy",
    )
    t0 = time.monotonic()
    trials = search.run()
    ok = [t for t in trials if t.status == "ok"]
    best = min(ok, key=lambda t: t.score)
    print(json.dumps({
        "interrupted": search.interrupted,
        "trials": len(trials),
        "best": {"learner": best.learner, "score": best.score, "number": best.number},
        "ran": time.monotonic() - t0,
    }), flush=True)


def ctrl_c_after(monkeypatch, evaluator_class: type, trials: int) -> None:
    """Ctrl-C once ``trials`` trials ran: the next trial raises KeyboardInterrupt, as the
    search's handler does while trials run (in this process: backend "sequential")."""
    evaluate, calls = evaluator_class.evaluate, itertools.count(1)

    def interrupted(self, *args, **kwargs):
        if next(calls) > trials:
            raise KeyboardInterrupt
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(evaluator_class, "evaluate", interrupted)
