"""benchmarks/bench_parts.py: its table compares the runs of each machine and names failures."""

from __future__ import annotations

import json

import pytest
from bench_scripts import bench_script


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_parts.py") as module:
        yield module


def _run(rule: str, cores: int, forecasts: list, fit: float) -> dict:
    return {"dataset": "m4_hourly", "title": "M4 Hourly", "rule": rule, "n_jobs": -1, "cores": cores,
            "fit_s": fit, "predict_s": 0.3, "split": ["lightgbm"] if rule == "parts" else [],
            "trials": {"lightgbm": 90.1, "theta": 10.3}, "mase": 0.81, "forecasts": forecasts,
            "commit": "abc1234", "date": "2026-12-04"}


def test_the_table_compares_forecasts_per_machine_and_names_a_failed_run(bench) -> None:
    rows = [
        {"dataset": "m4_hourly", "rule": "parts", "n_jobs": -1, "cores": 16, "commit": "0000000",
         "error": "over 900s"},
        _run("parts", 16, [[1.0, 2.0]], 37.8),
        _run("whole", 16, [[1.0, 2.0]], 93.1),
        _run("parts", 2, [[1.0, 2.5]], 90.2),
        _run("whole", 2, [[1.0, 2.0]], 89.9),
    ]
    text = bench.table(rows)
    assert "| m4_hourly | 16 | -1 | 0000000 | parts | failed: over 900s |" in text
    assert "| M4 Hourly | 16 | -1 | abc1234 | parts | lightgbm | 37.8 | 0.3 | 0.8100 |" in text
    assert "m4_hourly, 16 cores: largest difference between the runs' forecasts 0\n" in text
    assert "m4_hourly, 2 cores: largest difference between the runs' forecasts 0.5\n" in text


def test_a_stored_run_is_written_as_its_section(bench, tmp_path) -> None:
    store, results = tmp_path / "runs.json", tmp_path / "RESULTS.md"
    store.write_text(json.dumps([_run("parts", 16, [[1.0]], 37.8), _run("whole", 16, [[1.0]], 93.1)]))
    bench.main(["--from-store", str(store), "--write", "--results", str(results)])
    text = results.read_text()
    assert text.count("<!-- bench_parts:start -->") == 1
    assert "| M4 Hourly | 16 | -1 | abc1234 | whole | - | 93.1 |" in text
