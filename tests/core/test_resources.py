"""Cores free right now: measured from the CPU counters, not the load average's last minute."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tsauto.core.resources import busy_cores, cores, free_cores


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
