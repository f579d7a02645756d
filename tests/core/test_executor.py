"""The executor: trials and calls isolated in worker processes that may die, hang or eat memory."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path
from types import SimpleNamespace

import engine_doubles as d
import pytest

import tsauto
from tsauto.core import executor as executor_module
from tsauto.core.executor import (
    MIN_ROOM,
    Call,
    Executor,
    MemoryLimitExceeded,
    WorkerLost,
    _Slot,
    parse_memory,
)
from tsauto.core.exceptions import TimeLimitExceeded
from tsauto.core.search import Evaluation
from tsauto.core.worker import private_memory

CAP = "1GiB"  # above a worker's ~0.6 GiB of mapped libraries, small enough to hit fast


@pytest.fixture(scope="module")
def executor():
    ex = Executor(1, memory_limit=CAP)
    yield ex
    ex.close()


def soon(seconds: float = 60.0) -> float:
    return time.monotonic() + seconds


def test_call_returns_the_result_in_another_process(executor) -> None:
    assert executor.call(d.square, 3, plus=1, deadline=soon()) == 10
    assert executor.call(d.pid) != os.getpid()


def test_call_raises_what_the_function_raised_with_its_worker_traceback(executor) -> None:
    with pytest.raises(ValueError, match="bad input in the worker") as info:
        executor.call(d.raise_value_error, deadline=soon())
    assert any("raise_value_error" in note for note in getattr(info.value, "__notes__", []))


def test_call_past_its_deadline_is_killed_and_the_next_call_runs(executor) -> None:
    executor.call(d.pid, deadline=soon())  # the worker is up
    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="sleep_for timed out"):
        executor.call(d.sleep_for, 60, deadline=time.monotonic() + 1.0)
    assert time.monotonic() - t0 < 1.0 + executor.grace(1.0) + 2.5  # the kill itself is quick
    assert executor.call(d.square, 2, deadline=soon()) == 4


def test_a_worker_that_keeps_memory_is_not_replaced_behind_the_executor() -> None:
    ex = Executor(1, memory_limit=CAP)
    try:
        first = ex.call(d.pid)
        assert ex.call(d.keep_memory, 400) == first  # loky's leak check would end it here
        assert ex.call(d.pid) == first  # ... and start another outside the executor's control
    finally:
        ex.close()


@pytest.mark.parametrize(
    "fn, reason",
    [
        ((d.exit_with, 3), "exited with code 3"),
        ((d.kill_self,), "SIGKILL"),
        ((d.segfault,), "SIGSEGV"),
        ((d.exit_after_failed_allocation,), r"exited with code 1 after running out of memory"),
    ],
    ids=["exit", "sigkill", "segfault", "native-allocation"],
)
def test_a_worker_that_dies_is_reported_with_its_signal_or_code(executor, fn, reason) -> None:
    with pytest.raises(WorkerLost, match=reason):
        executor.call(*fn, deadline=soon())
    assert executor.call(d.square, 5, deadline=soon()) == 25  # a new worker took its place


def test_memory_is_capped_per_worker(executor) -> None:
    with pytest.raises(MemoryLimitExceeded, match=r"hog ran out of memory.*1\.0 GiB"):
        executor.call(d.hog, deadline=soon())
    assert executor.call(d.square, 6, deadline=soon()) == 36


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a worker's memory is read on Linux only")
def test_a_cap_that_leaves_a_new_worker_no_room_is_refused_with_the_sizes() -> None:
    """A worker starts holding the memory of its imports; a cap barely above it made the
    trials fail for memory and a fit wait for ever on a thread its nested pool could not start."""
    probe = Executor(1, memory_limit=None)
    try:
        held = probe.call(private_memory)
    finally:
        probe.close()
    tight = Executor(1, memory_limit=held + MIN_ROOM // 2)
    try:
        with pytest.raises(ValueError, match=r"memory_limit=\d+ caps each worker at .* holds .*give at least"):
            tight.warm()
    finally:
        tight.close()
    roomy = Executor(1, memory_limit=held + 2 * MIN_ROOM)
    try:
        roomy.warm()
        assert roomy.call(d.square, 3) == 9
    finally:
        roomy.close()


def test_a_long_silence_is_broken_by_what_still_runs(executor, caplog, monkeypatch) -> None:
    monkeypatch.setattr(executor_module, "HEARTBEAT", 0.6)
    caplog.set_level(logging.INFO, logger="tsauto.core.executor")
    assert executor.call(d.sleep_for, 2.0, deadline=soon(), label="refit of ets#4") == "woke"
    beats = [r.getMessage() for r in caplog.records if r.getMessage().startswith("still running")]
    assert beats and all(re.fullmatch(r"still running: refit of ets#4 \(\ds\)", b) for b in beats)
    assert len(beats) <= 3  # one per silence of HEARTBEAT seconds, not one per look
    caplog.clear()
    assert executor.call(d.square, 2, deadline=soon()) == 4
    assert not any(r.getMessage().startswith("still running") for r in caplog.records)


def test_worker_noise_reaches_the_log_not_the_console(executor, capfd, caplog) -> None:
    caplog.set_level(logging.INFO)
    capfd.readouterr()
    assert executor.call(d.noisy, deadline=soon()) == 7
    trials = [SimpleNamespace(learner="noisy", params={})]
    [result] = executor.run_trials(d.ToyEvaluator(), trials, soon())
    assert isinstance(result, Evaluation)
    out, err = capfd.readouterr()
    assert "divide by zero" not in out + err and "overflow" not in out + err
    assert "prints to stdout" not in out + err and "A worker stopped" not in out + err
    text = caplog.text
    assert "RuntimeWarning: overflow encountered in exp (×30)" in text
    assert "noisy learner: something to report" in text  # a worker's log record is kept


def test_each_trial_of_a_batch_ends_on_its_own(tmp_path) -> None:
    names = ["constant", "exit", "sigkill", "raises", "quadratic_a", "hang"]
    trials = [SimpleNamespace(learner=n, params={"x": 1.5}) for n in names]
    ex = Executor(2, memory_limit=CAP)
    try:
        t0 = time.monotonic()
        results = dict(zip(names, ex.run_trials(d.ToyEvaluator(), trials, time.monotonic() + 10)))
        took = time.monotonic() - t0
    finally:
        ex.close()
    assert results["constant"].fold_scores == [5.0, 5.0]
    assert results["quadratic_a"].fold_scores == [1.0, 1.0]
    assert isinstance(results["exit"], WorkerLost) and "code 3" in str(results["exit"])
    assert isinstance(results["sigkill"], WorkerLost) and "SIGKILL" in str(results["sigkill"])
    assert isinstance(results["raises"], ValueError)
    assert isinstance(results["hang"], TimeLimitExceeded) and "hang timed out" in str(results["hang"])
    assert took <= 10 + ex.grace(10) + 1.0


def test_a_running_call_no_longer_needed_is_stopped_and_its_worker_replaced() -> None:
    calls = iter([("slow", Call(d.sleep_for, (60,), "slow")), ("quick", Call(d.square, (3,), "quick"))])
    results: dict = {}
    ex = Executor(2, memory_limit=CAP)
    try:
        ex.stream_trials(
            None,
            lambda: next(((k, c, soon(120)) for k, c in calls), None),
            results.__setitem__,
            dropped=lambda key: key == "slow" and "quick" in results,  # once "quick" is done
        )
        assert ex.call(d.square, 2, deadline=soon()) == 4  # the slot works again
    finally:
        ex.close()
    assert results["quick"] == 9
    assert isinstance(results["slow"], CancelledError) and "no longer needed" in str(results["slow"])


def test_a_worker_killed_with_calls_queued_leaves_no_traceback(tmp_path, monkeypatch) -> None:
    raised: list = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_type))
    slot = _Slot(0, str(tmp_path), None, set())
    futures = [slot.submit(d.sleep_for, 0.2) for _ in range(4)]
    time.sleep(0.3)  # the first call has run, the others wait in the pool's queue
    slot.kill()
    time.sleep(0.5)  # the pool's manager thread winds down
    assert raised == []  # loky's shutdown(kill_workers=True) raised KeyError there
    assert slot.pool is None and all(f.done() for f in futures[1:])


def test_a_worker_killed_while_it_sends_its_result_leaves_no_thread_waiting(tmp_path) -> None:
    """A refit killed at its deadline mid-way through sending its model left part of a message
    in the pool's result pipe; loky's manager thread waited on the rest for ever, and the
    script, its fit returned, never exited (Python's exit joins that thread). Here the cut-off
    message is written into the pipe as the dead worker would have left it."""
    slot = _Slot(0, str(tmp_path), None, set())
    slot.submit(d.sleep_for, 30.0)
    time.sleep(0.5)
    results, manager = slot.pool._result_queue, slot.pool._executor_manager_thread
    os.write(results._writer.fileno(), (1000).to_bytes(4, "big") + b"cut off...")  # 10 of 1000 bytes
    time.sleep(0.3)  # the manager thread is reading the rest
    try:
        slot.kill()
        manager.join(timeout=5.0)
        assert not manager.is_alive()
    finally:  # unblock it where kill() did not, so that this test process can exit
        if manager.is_alive():
            results._writer.close()


def test_workers_import_tsauto_from_where_this_process_does(tmp_path) -> None:
    (tmp_path / "tsauto").mkdir()  # a checkout in the working directory: not this process's
    (tmp_path / "tsauto" / "__init__.py").write_text("")
    script = (
        "import tsauto\n"
        "from tsauto.core.executor import Executor\n"
        "ex = Executor(1, memory_limit=None)\n"
        "print(tsauto.__file__ == ex.call(eval, \"__import__('tsauto').__file__\"))\n"
        "ex.close()\n"
    )
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "script.py").write_text(script)  # a script: its folder, not the working
    here = str(Path(tsauto.__file__).parents[1])  # directory, starts this process's path
    env = {**os.environ, "PYTHONPATH": here}
    done = subprocess.run([sys.executable, str(tmp_path / "run" / "script.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr[-2000:]


def test_close_keeps_an_idle_worker_for_the_calls_that_follow() -> None:
    """A search ends with close(keep_idle=1): its refits then run in a worker that is up."""
    ex = Executor(2, memory_limit=None)
    try:
        ex.warm()
        first = ex.call(d.pid)
        ex.close(keep_idle=1)
        assert len(ex._slots) == 1
        kept = ex.call(d.pid)
        assert ex.call(d.pid) == kept  # the same process, not a new one per call
        ex.warm()  # a later search starts the other worker again beside it
        assert len(ex._slots) == 2
        ex.close()
        assert ex._slots == [] and ex.call(d.pid) not in {first, kept}
    finally:
        ex.close()


def test_a_search_leaves_one_of_its_workers_up_for_the_refit(tmp_path) -> None:
    from tsauto.core.search import Search, SearchSettings

    ex = Executor(2, memory_limit=None)
    try:
        Search(d.candidates("constant", "quadratic"), d.ToyEvaluator(marker_dir=str(tmp_path)),
               SearchSettings(max_trials=4), ex).run()
        trial_pids = {json.loads(p.read_text())["pid"] for p in tmp_path.glob("*.done")}
        assert len(ex._slots) == 1 and ex.call(d.pid) in trial_pids
    finally:
        ex.close()


def test_sequential_backend_runs_in_this_process() -> None:
    ex = Executor(backend="sequential")
    assert ex.call(d.pid) == os.getpid()
    [result] = ex.run_trials(d.ToyEvaluator(), [SimpleNamespace(learner="raises", params={})], soon())
    assert isinstance(result, ValueError)


def test_memory_limits_are_parsed() -> None:
    assert parse_memory("1.5GiB") == int(1.5 * 2**30)
    assert parse_memory("500MB") == 500_000_000
    assert parse_memory(2**30) == 2**30
    assert parse_memory(None) is None
    assert parse_memory("auto", workers=2) >= 2 * 2**30
    with pytest.raises(ValueError, match="memory_limit"):
        parse_memory("lots")


def test_sys_exit_in_a_call_is_an_error_not_an_exit() -> None:
    ex = Executor(backend="sequential")
    with pytest.raises(RuntimeError, match=r"exit_quietly called sys.exit\(2\)"):
        ex.call(d.exit_quietly)


def test_a_dask_client_with_a_local_backend_is_a_settings_conflict() -> None:
    """It was a DataValidationError, though no data were at fault (a user test): a class of its
    own, still a ValueError and a DataValidationError for code that catches those."""
    from tsauto.core.exceptions import ConflictingOptionsError, DataValidationError
    from tsauto.core.executor import resolve_backend

    for backend in ("loky", "sequential"):
        with pytest.raises(ConflictingOptionsError, match=f"backend='{backend}' with a Dask client") as info:
            resolve_backend(backend, object())
        assert isinstance(info.value, ValueError) and isinstance(info.value, DataValidationError)
    assert resolve_backend(None, object()) == "dask"


def _client(status: str, runner_started: bool, cluster_status: str | None = None) -> SimpleNamespace:
    """A stand-in for a ``distributed.Client`` as ``check_client`` reads it: its status, whether
    its event loop's runner still runs (``client.close()`` stops it; distributed closing a
    client that lost its scheduler does not), and the status of the cluster it was made on."""
    cluster = None if cluster_status is None else SimpleNamespace(status=SimpleNamespace(name=cluster_status))
    return SimpleNamespace(status=status, scheduler=SimpleNamespace(address="tcp://10.0.0.5:8786"),
                           cluster=cluster, _loop_runner=SimpleNamespace(is_started=lambda: runner_started))


def test_a_lost_dask_client_says_what_happened() -> None:
    """A user test's LocalCluster, closed while its client was open, read "the Dask client is
    closed", though the code never closed it: closed by its caller, its cluster closed, or its
    scheduler lost are told apart."""
    from tsauto.core.executor import DaskClusterLost, check_client

    told = {
        ("closed", False, None): r"^the Dask client is closed \(scheduler tcp://10.0.0.5:8786\): its caller closed it",
        ("closed", False, "closed"): r"^the Dask client is closed \(scheduler .*\): its caller closed it",
        ("closed", True, "closed"): r"^the Dask cluster of scheduler tcp://10.0.0.5:8786 was closed while its client "
                                    r"was open",
        ("closing", True, "closing"): r"^the Dask cluster of scheduler .* was closed while its client was open",
        ("closed", True, None): r"^the Dask client lost its scheduler tcp://10.0.0.5:8786: the scheduler stopped or "
                                r"cannot be reached from here, then closed itself when it could not reconnect",
        ("connecting", True, None): r"^the Dask client lost its scheduler .*\(it is reconnecting\)",
        ("connecting", True, "running"): r"^the Dask client lost its scheduler .*\(it is reconnecting\)",
    }
    for (status, started, cluster), message in told.items():
        with pytest.raises(DaskClusterLost, match=message):
            check_client(_client(status, started, cluster), " (unfinished: ets)")
    with pytest.raises(DaskClusterLost, match=r"fit on this machine \(backend='loky', no client\) \(unfinished: ets\)\.$"):
        check_client(_client("closed", True, "closed"), " (unfinished: ets)")
    check_client(_client("running", True, "running"))  # nothing to say


def test_dask_backend_calls_and_deadlines() -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        with distributed.Client(cluster) as client:
            ex = Executor(backend="dask", client=client)
            assert ex.call(d.square, 4, plus=1, deadline=soon()) == 17
            with pytest.raises(ValueError, match="bad input"):
                ex.call(d.raise_value_error, deadline=soon())
            with pytest.raises(TimeLimitExceeded, match="sleep_for timed out"):
                ex.call(d.sleep_for, 3, deadline=time.monotonic() + 0.5)
            trials = [SimpleNamespace(learner=n, params={}) for n in ("constant", "raises")]
            ok, failed = ex.run_trials(d.ToyEvaluator(), trials, soon())
            assert ok.fold_scores == [5.0, 5.0] and isinstance(failed, ValueError)
            ex.close()


_BUSY_SCRIPT = """
import sys, time
from tsauto.core.executor import Call, Executor
ex = Executor(2, memory_limit=None)
ex.warm()
print(ex._dir, flush=True)
calls = iter([(i, Call(time.sleep, (600,), "sleep"), time.monotonic() + 600) for i in range(2)])
ex.stream_trials(None, lambda: next(calls, None), lambda key, result: None)
"""
# partitions fitted in parallel: loky workers, each with a fork server and workers of its own
_BUSY_PARTITIONS = """
import time
from joblib import Parallel, delayed

def part(i):
    from tsauto.core.executor import Executor
    ex = Executor(1, memory_limit=None)
    ex.warm()
    print(ex._dir, flush=True)
    ex.call(time.sleep, 600)

Parallel(n_jobs=2, backend="loky")(delayed(part)(i) for i in range(2))
"""


def _marked(mark: str) -> list[int]:
    """The processes whose environment holds ``TSAUTO_TEST_MARK=mark``: the script's and every
    process it started (a zombie's environment reads empty: it is gone)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if f"TSAUTO_TEST_MARK={mark}".encode() in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            pass
    return found


def _read_to_end(stream, timeout: float) -> bool:
    """Whether ``stream`` (a pipe) reaches its end within ``timeout`` seconds."""
    import select

    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        if select.select([stream], [], [], left)[0] and not os.read(stream.fileno(), 65536):
            return True
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server workers, /proc")
@pytest.mark.parametrize(("script", "folders", "signum"), [
    (_BUSY_SCRIPT, 1, signal.SIGKILL), (_BUSY_SCRIPT, 1, signal.SIGTERM), (_BUSY_PARTITIONS, 2, signal.SIGKILL),
], ids=["SIGKILL", "SIGTERM", "partitions-SIGKILL"])
def test_a_killed_main_process_leaves_no_process_and_no_worker_folder(script, folders, signum) -> None:
    """Killed mid-search (the OOM killer, ``docker kill``; a SIGTERM outside a search's guard),
    the main process left its workers, the fork server and the resource tracker running for
    good (user test 49: 630 MiB), the fork server holding its stdout open: a wrapper reading
    the output never saw its end. The end is read here before the dead process is reaped, as
    ``communicate`` does."""
    mark = f"{os.getpid()}-{time.time_ns()}"
    here = str(Path(tsauto.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": here, "TSAUTO_TEST_MARK": mark}
    main = subprocess.Popen([sys.executable, "-c", script], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    made: list[str] = []
    try:
        made += [main.stdout.readline().decode().strip() for _ in range(folders)]
        assert all(os.path.isdir(f) for f in made), made
        started = [p for p in _marked(mark) if p != main.pid]
        assert len(started) >= 3  # the fork server, the resource tracker, the workers
        time.sleep(1.0)  # the calls run
        os.kill(main.pid, signum)
        assert _read_to_end(main.stdout, 10.0), "the main process's output stays open"
        main.wait(timeout=10)
        end = time.monotonic() + 10
        while _marked(mark) and time.monotonic() < end:
            time.sleep(0.2)
        assert _marked(mark) == []
        assert not any(os.path.exists(f) for f in made)
    finally:
        main.kill()
        for pid in _marked(mark):  # the old code's survivors
            os.kill(pid, signal.SIGKILL)
        for folder in made:
            if folder.startswith(tempfile.gettempdir()):
                shutil.rmtree(folder, ignore_errors=True)
