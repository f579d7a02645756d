"""benchmarks/bench_search.py and peers/autogluon_run.py: AutoGluon's dummy calendar by step
(M1 dates from year 1, M4 integer steps), forecasts mapped back by step, the verdict line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bench_scripts import bench_script


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_search.py") as module:
        yield module


@pytest.fixture(scope="module")
def peer():
    with bench_script("peers/autogluon_run.py") as module:
        yield module


def quarterly(bench):
    """Two quarterly series as M1 has them: one from year 1 (Q4), one from 1990 Q1."""
    ds = pd.to_datetime(["0001-10-01", "0002-01-01", "0002-04-01", "1990-01-01", "1990-04-01"],
                        format="%Y-%m-%d").astype("datetime64[us]")
    train = pd.DataFrame({"unique_id": ["b", "b", "b", "a", "a"], "ds": ds, "y": [1.0, 2, 3, 4, 5]})
    test = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "ds": ds[:4], "y": [6.0, 7, 8, 9]})
    return bench.suite.Data("m1_quarterly", "M1 quarterly", train, test, "y", "ds", ["unique_id"], 2, 4)


def test_m1_series_keep_their_quarter_on_the_dummy_calendar(bench, peer):
    data = quarterly(bench)
    frame = bench.ag_frame(data, "QS")
    assert frame["unique_id"].tolist() == ["a", "a", "b", "b", "b"]
    assert frame["step"].tolist() == [1, 2, 4, 5, 6]
    assert frame["y"].tolist() == [4.0, 5, 1, 2, 3]
    stamps = peer.to_calendar(frame["step"], "QS", "2000-01-01")
    assert [str(t.date()) for t in stamps] == [
        "2000-01-01", "2000-04-01", "2000-10-01", "2001-01-01", "2001-04-01"]
    original = data.train.sort_values(["unique_id", "ds"])["ds"].dt.month.tolist()
    assert stamps.month.tolist() == original  # true month of the year, year 1 never reaches pandas 2


def test_m4_steps_are_laid_from_the_first_date(bench, peer):
    train = pd.DataFrame({"unique_id": ["H1"] * 3 + ["H2"] * 2, "t": [1, 2, 3, 1, 2], "y": np.arange(5.0)})
    data = bench.suite.Data("m4_hourly", "M4 Hourly", train, train.iloc[:0], "y", "t", ["unique_id"], 2, 24)
    frame = bench.ag_frame(data, "h")
    assert frame["step"].tolist() == [1, 2, 3, 1, 2]
    stamps = peer.to_calendar(frame["step"], "h", "2000-01-03")
    assert stamps[2] == pd.Timestamp("2000-01-03 02:00")
    with pytest.raises(ValueError, match="start at 1"):
        peer.to_calendar([0, 1], "h", "2000-01-03")


def test_forecasts_come_back_by_step_in_key_order(bench):
    data = quarterly(bench)
    out = pd.DataFrame({"unique_id": ["b", "b", "a", "a"], "step": [2, 1, 2, 1], "forecast": [4.0, 3, 2, 1]})
    mat, missing = bench.suite._matrix(out.rename(columns={"step": "ds"}), data, "forecast")
    assert missing == 0
    np.testing.assert_array_equal(mat, [[1, 2], [3, 4]])  # rows a, b; columns step 1, 2


def test_verdict_names_the_tool_ahead_and_both_walls(bench):
    rows = [{"method": "tsauto time_budget=120", "smape": 10.0, "mase": 1.0, "owa": 0.80, "seconds": 121.0},
            {"method": "AutoGluon-TS medium_quality time_limit=120", "smape": 11.0, "mase": 1.1,
             "owa": 0.85, "seconds": 130.0}]
    who, line = bench.verdict({"rows": rows, "budget": 120.0})
    assert who == "tsauto"
    assert "OWA 0.800 (tsauto) vs 0.850 (AutoGluon-TS)" in line and "wall 121 vs 130 s" in line
    rows[1]["owa"] = np.nan
    assert bench.verdict({"rows": rows, "budget": 120.0})[0] == "n/a"


def test_skipped_models_are_read_from_autogluon_log(bench):
    text = ("\tTime limit exceeded... Skipping Theta.\n"
            "\tWarning: Exception caused Chronos2 to fail during training... Skipping this model.\n"
            "\tWarning: Exception caused Chronos2 to fail during training... Skipping this model.\n")
    assert bench.skipped_models(text) == ["Chronos2 (failed)", "Theta (time)"]
