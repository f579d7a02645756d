"""Cores free right now: measured from the CPU counters, not the load average's last minute,
and across this process's own work without counting it (:class:`CpuMeter`)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tsauto.core import resources
from tsauto.core.resources import CpuMeter, busy_cores, cores, free_cores


def test_a_spinning_process_counts_as_a_busy_core() -> None:
    if busy_cores(0.01) is None:
        pytest.skip("no /proc/stat on this system: free_cores() reads the load average instead")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = busy_cores(0.5)
    finally:
        spinner.kill()
    assert 0.7 <= busy <= cores() + 1e-9
    assert 1 <= free_cores() <= cores()


def _work(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_meter_sees_another_process_working_while_this_one_works() -> None:
    if busy_cores(0.01) is None:
        pytest.skip("no /proc/stat on this system: the meter reads the load average instead")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # the spinner is running
        meter = CpuMeter()
        _work(0.4)
        free = meter.free_cores()
    finally:
        spinner.kill()
    assert 1 <= free <= max(1, cores() - 1)


class Clock:
    """Wall and CPU seconds of this process, advanced by hand."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def monotonic(self) -> float:
        return self.wall

    def process_time(self) -> float:
        return self.cpu

    def sleep(self, seconds: float) -> None:
        self.wall += seconds


def test_the_meter_takes_this_process_own_work_off_the_busy_cores(monkeypatch) -> None:
    clock = Clock()
    monkeypatch.setattr(resources, "time", clock)
    monkeypatch.setattr(resources, "_cpu_snapshot", lambda: {"cpu0": (0, 0)})
    meter = CpuMeter()
    clock.wall += 1.0
    clock.cpu += 1.0  # a second of this process's own work on one core ...
    monkeypatch.setattr(resources, "_busy_since", lambda before: 1.0)  # ... and nothing else
    assert meter.free_cores() == cores()
    monkeypatch.setattr(resources, "_busy_since", lambda before: 2.0)  # another process's core
    assert meter.free_cores() == max(1, cores() - 1)


def test_a_share_of_one_core_is_one_thread_without_watching_the_cpus(monkeypatch) -> None:
    def watch() -> int:
        raise AssertionError("free_cores() watched the CPUs for a share of one core")

    monkeypatch.setattr(resources, "free_cores", watch)
    monkeypatch.setattr(resources, "cores", lambda: 4)
    assert resources.process_threads(4) == 1
    assert resources.process_threads(8) == 1
    monkeypatch.setattr(resources, "free_cores", lambda: 3)
    assert resources.process_threads(2) == 2  # two cores' share, three free
    assert resources.process_threads(1) == 3  # four cores' share, three free
