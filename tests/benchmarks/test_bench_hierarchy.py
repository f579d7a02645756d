"""benchmarks/bench_hierarchy.py: the facade refitted per cutoff (cheap learners; its nodes in the
benchmark's order, coherent reconciled forecasts, bottom-up keeping the bottom base, the extra
candidates scored), MASE per level by hand, the targets' verdict lines, the validation mode
(cutoffs on the training part only, one row per rule and candidate pool)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bench_scripts import bench_script

from tsauto.forecasting.hierarchy import AUTO_CANDIDATES, coherence_error


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_hierarchy.py") as module:
        yield module


@pytest.fixture(scope="module")
def case(bench, aus_small):
    """Two states x three industries, monthly since 2008, two cutoffs a year apart."""
    df = aus_small[aus_small["Industry"].isin(aus_small["Industry"].unique()[:3])]
    df = df[df["Month"] >= "2008-01-01"].reset_index(drop=True)
    return bench._case("aus test", df, ["State", "Industry"], [["State"], ["Industry"]], "Month", "Turnover",
                       12, 12, "MS", 2, "test")


LEARNERS = ["seasonal_naive", "theta", "ets"]
SPLIT = ("top_down", "middle_out:State")


@pytest.fixture(scope="module")
def fits(bench, case):
    return bench.run_default(case, n_jobs=1, learners=LEARNERS, candidates=SPLIT)[0]


def test_default_refitted_at_each_cutoff_is_coherent(case, fits) -> None:
    assert list(fits) == case.cutoffs
    na = case.spec.n_aggregates
    for r in fits.values():
        assert r["auto"].shape == (case.spec.n_nodes, case.horizon) and np.isfinite(r["auto"]).all()
        assert coherence_error(r["auto"], case.spec) < 1e-6 and coherence_error(r["bu"], case.spec) < 1e-6
        np.testing.assert_allclose(r["bu"][na:], r["base"][na:])
        assert r["method"] in AUTO_CANDIDATES and r["scores"].loc[r["scores"]["chosen"], "method"].item() == r["method"]
        assert list(r["val"]["method"]) == ["base", *AUTO_CANDIDATES, *SPLIT]
        assert list(r["held"]) == ["base", *AUTO_CANDIDATES, *SPLIT]
        np.testing.assert_allclose(r["held"]["base"], r["base"])
        np.testing.assert_allclose(r["held"][r["method"]], r["auto"], rtol=1e-9)  # fitted as the facade fits it
        assert all(coherence_error(v, case.spec) < 1e-6 for k, v in r["held"].items() if k != "base")


def test_level_mase_by_hand(bench, case) -> None:
    spec, cutoff = case.spec, case.cutoffs[0]
    actual, times = spec.pivot(case.nodes, spec.target)
    end = int(np.searchsorted(times.to_numpy(), cutoff.to_datetime64())) + 1
    forecast = actual[:, end - 1:end].repeat(case.horizon, axis=1)  # naive: the last value
    got = bench.level_mase(case, {cutoff: forecast})
    total = case.nodes[case.nodes[spec.level_column] == "total"].set_index("Month")["Turnover"]
    train, test = total[total.index <= cutoff], total[total.index > cutoff].iloc[:case.horizon]
    want = (test - train.iloc[-1]).abs().mean() / train.diff(12).abs().mean()
    assert got["total"] == pytest.approx(want, rel=1e-12)


def test_targets_say_met_or_not(bench, case) -> None:
    levels = case.spec.levels
    default = dict.fromkeys(levels, 1.0) | {levels[-1]: 1.015}
    base = dict.fromkeys(levels, 1.0) | {levels[0]: 0.99}
    lines = bench._targets(case, default, base, dict.fromkeys(levels, 1.01))
    assert "<= base: NOT met" in lines[0] and "<= base: met" in lines[1]
    assert "within 2 % of base: met" in lines[-1] and "(better: NOT met)" in lines[-1]
    assert all("(better: met)" in line for line in lines[:-1])


def test_validation_mode_reads_the_training_part_only(bench, aus_small, case) -> None:
    df = aus_small[aus_small["Industry"].isin(aus_small["Industry"].unique()[:3])]
    df = df[df["Month"] >= "2008-01-01"].reset_index(drop=True)
    val = bench._case("aus test", df, ["State", "Industry"], [["State"], ["Industry"]], "Month", "Turnover",
                      12, 12, "MS", 2, "test", validation=2)
    first = case.cutoffs[0]  # the test run's first cutoff: the end of its training part
    assert val.raw["Month"].max() == first and val.nodes["Month"].max() == first
    assert val.cutoffs == [first - pd.DateOffset(months=24), first - pd.DateOffset(months=12)]
    half = bench._case("aus test", df, ["State", "Industry"], [["State"], ["Industry"]], "Month", "Turnover",
                       12, 12, "MS", 2, "test", validation=3, every=6)
    assert half.cutoffs == [first - pd.DateOffset(months=m) for m in (24, 18, 12)]
    text = bench.run_validation(val, n_jobs=1, learners=LEARNERS)
    rows = [line for line in text.splitlines() for name in bench.RULES if line.startswith(f"| {name} | ")]
    assert len(rows) == 2 * len(bench.RULES)  # each rule on each candidate pool
    assert "| no worse than base, else lowest mean (`selection.pick`) | AUTO_CANDIDATES |" in text
