"""benchmarks/bench_ensemble_pool.py: the pools it compares are the ones it names."""

from __future__ import annotations

import pytest
from bench_scripts import bench_script

from tsauto.core.search import Trial


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_ensemble_pool.py") as module:
        yield module


def test_the_pools_follow_their_rules(bench) -> None:
    # trials 0-3 are the defaults (a search tries them first; the TCN's is one a budget adds);
    # then 25 LightGBM variants that all beat the defaults and one failed trial
    trials = [Trial(0, "theta", {}, score=1.5), Trial(1, "ets", {}, score=1.4), Trial(2, "lightgbm", {}, score=1.3),
              Trial(3, "tcn", {}, score=1.45)]
    trials += [Trial(4 + i, "lightgbm", {"i": i}, score=1.0 + i / 100) for i in range(25)]
    trials += [Trial(29, "ets", {"damped": True}, score=1.35), Trial(30, "tcn", {"x": 1}, status="failed")]
    pools = bench.pools(trials, 4, portfolio={"theta", "ets", "lightgbm"})
    numbers = {name: {t.number for t in pool} for name, pool in pools.items()}
    assert numbers["top20"] == set(range(4, 24))  # LightGBM variants only
    assert {0, 3, 29} <= numbers["leaders+top"] and len(numbers["leaders+top"]) == 20
    assert 1 not in numbers["leaders+top"]  # ETS's best is the damped one
    assert numbers["defaults"] == {0, 1, 2}  # what a fit without a budget compares
    assert numbers["every default"] == {0, 1, 2, 3}
    assert {0, 1, 2, 3, 29} <= numbers["defaults+leaders+top"] and len(numbers["defaults+leaders+top"]) == 20
    assert all(30 not in pool for pool in numbers.values())
    assert {t.number for t in bench.pools(trials, 4)["defaults"]} == {0, 1, 2, 3}  # tables: every learner


def test_the_table_sets_the_budget_beside_no_budget_per_window(bench) -> None:
    def row(label: str, fit: float, no_budget: float) -> dict:
        out = {"set": label, "metric": "OWA", "trials": 3}
        out.update({p: 0.5 for p in bench.POOLS}, fit=fit, **{"no budget": no_budget})
        out.update({p + " blend": "1.00×theta" for p in bench.COLUMNS})
        return out

    text = bench.series_table([row("m1_yearly", 0.7, 0.9), row("m1_yearly w1", 0.8, 0.6)], 120)
    header = next(line for line in text.splitlines() if line.startswith("| data set"))
    assert header.split(" | ")[-2:] == ["fit", "no budget |"]
    assert "| m1_yearly w1 | OWA | 3 |" in text
    assert "| mean |  |  | " + " | ".join(["0.500"] * 5) + " | 0.750 | 0.750 |" in text
