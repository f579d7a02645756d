"""benchmarks/bench_intervals.py: the validation mode's recording and summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bench_scripts import bench_script

from tsauto.forecasting import forecaster
from tsauto.forecasting.backtest import FoldResults
from tsauto.forecasting.intervals import calibrate


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_intervals.py") as module:
        yield module


def _fold(n: int = 300) -> FoldResults:
    """One fold of ``n`` cells (scale 1) whose native band is half the errors' width."""
    rng = np.random.default_rng(0)
    mean = rng.normal(size=n)
    ones, zeros = np.ones(n), np.zeros(n)
    return FoldResults(
        series=np.arange(n) // 6, fold=np.zeros(n, dtype=int), step=np.tile(np.arange(1, 7), n // 6),
        cutoff=zeros, time=zeros, actual=mean + 2 * rng.normal(size=n), forecast=mean, baseline=mean,
        quantiles={0.1: mean - 1.28, 0.9: mean + 1.28}, scale=ones, scale_sq=ones,
        train_length=np.full(n, 50), fallback=np.full(n, "", dtype=object), fit_time=0.0, predict_time=0.0,
    )


def test_the_fits_calibration_is_recorded_and_the_original_restored(bench) -> None:
    members = [(1.0, _fold())]
    with bench.recorded_calibration() as seen:
        chosen = forecaster.calibrate((0.1, 0.9), members, 6)
    assert forecaster.calibrate is calibrate
    assert seen["args"] == ((0.1, 0.9), members, 6)
    assert chosen.method == "calibrated"  # one fold of 300 errors
    native = calibrate(*seen["args"], method="native")
    assert native.method == "native" and not native.offsets.any() and chosen.offsets[1].mean() > 0


def test_the_summary_covers_one_fold_windows_with_native_quantiles_only(bench) -> None:
    table = pd.DataFrame({
        "set": ["a", "a", "b"], "window": [1, 2, 1], "folds": [1, 1, 3], "chosen": ["calibrated"] * 3,
        "native coverage": [0.5, np.nan, 0.7], "native pinball": [1.0, np.nan, 0.2],
        "calibrated coverage": [0.7, np.nan, 0.8], "calibrated pinball": [0.8, np.nan, 0.3],
        "conformal coverage": [0.6, 0.8, 0.8], "conformal pinball": [0.9, 0.5, 0.3],
    })
    text = bench.one_fold_summary(table)
    assert "one fold and native quantiles: 1;" in text and "below native pinball in 1;" in text
    assert "native 1.0000 / calibrated 0.8000 / conformal 0.9000" in text
    assert bench.one_fold_summary(table.assign(folds=3)) == ""


def test_the_coverage_summary_reads_the_band_each_fit_chose(bench) -> None:
    table = pd.DataFrame({
        "set": ["a", "a", "b"], "window": [1, 2, 1], "folds": [3, 3, 1],
        "chosen": ["conformal", "calibrated", "conformal"],
        "calibrated coverage": [0.1, 0.7, np.nan], "conformal coverage": [0.9, 0.2, 0.6],
    })
    text = bench.chosen_coverage(table)
    assert "a 0.800 (0.70-0.90, 2 windows)" in text and "b 0.600 (0.60-0.60, 1 windows)" in text


def test_scaled_pinball_divides_by_each_series_scale_and_skips_a_constant_one(bench) -> None:
    y = np.array([10.0, 10.0, 10.0])
    bands = {0.1: np.array([9.0, 11.0, 0.0]), 0.9: np.array([12.0, 8.0, 0.0])}
    # level 0.1: 0.1, 0.9, (skipped); level 0.9: 0.2, 1.8, (skipped); scales 1, 2
    expected = np.mean([0.1 / 1, 0.9 / 2, 0.2 / 1, 1.8 / 2])
    assert bench._scaled_pinball(y, bands, np.array([1.0, 2.0, 0.0])) == pytest.approx(expected)
