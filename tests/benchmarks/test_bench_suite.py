"""benchmarks/bench_suite.py: the temporal aggregates sum whole periods of the real series and
hold out their last h periods; M4's test parts are not read."""

from __future__ import annotations

import numpy as np
import pytest
from bench_scripts import bench_script
from conftest import shared_file

from tsauto import datasets


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_suite.py") as module:
        yield module


def test_australian_retail_by_quarter_sums_whole_calendar_quarters(bench, aus_retail) -> None:
    data = bench.DATASETS["aus_retail_quarterly"]()
    assert (data.horizon, data.season) == (8, 4)
    assert data.test.groupby(data.ids).size().eq(8).all()
    one = aus_retail[(aus_retail["State"] == "Victoria") & (aus_retail["Industry"] == "Food retailing")]
    q = one[(one["Month"] >= "2018-10-01")]["Turnover"].sum()
    last = data.test[(data.test["State"] == "Victoria") & (data.test["Industry"] == "Food retailing")]
    assert last["Period"].max() == np.datetime64("2018-10-01")
    assert last["Turnover"].iloc[-1] == pytest.approx(q)
    first = data.train.groupby(data.ids)["Period"].min()
    assert (first.dt.month.isin([1, 4, 7, 10])).all()  # 1982-04: a whole quarter starts there


def test_m4_blocks_end_at_the_last_training_step(bench) -> None:
    shared_file("forecasting/m4/Weekly-long.csv.gz")
    data = bench.DATASETS["m4_weekly_quarterly"]()
    train, _ = datasets.load_m4("weekly")
    w1 = train[train["unique_id"] == "W1"].sort_values("t")["y"].to_numpy()
    sums = np.concatenate([
        data.train[data.train["unique_id"] == "W1"].sort_values("t")["y"].to_numpy(),
        data.test[data.test["unique_id"] == "W1"].sort_values("t")["y"].to_numpy(),
    ])
    assert len(sums) == len(w1) // 13
    assert sums[-1] == pytest.approx(w1[-13:].sum())  # the last block: the last 13 training weeks
    assert sums[0] == pytest.approx(w1[len(w1) % 13:][:13].sum())  # the incomplete first block dropped
    assert data.test.groupby("unique_id").size().eq(8).all()
    assert data.train.groupby("unique_id").size().min() >= 2


def test_earlier_rows_are_kept_only_for_the_same_series_and_windows(bench) -> None:
    two = ", validation: last 2 window(s) of h of the training parts"
    earlier = {"n_series": 414, "windows_note": two, "date": "2026-12-03 16:45", "commit": "06bf46b",
               "rows": [{"method": "tsauto search", "owa": 0.463, "note": "time_budget=120"},
                        {"method": "Naive2", "owa": 1.0, "note": ""}]}
    now = [{"method": "tsauto default", "owa": 0.46, "note": ""}, {"method": "Naive2", "owa": 1.0, "note": ""}]
    order = ["tsauto default", "tsauto search", "Naive2"]
    kept = bench.keep_earlier_rows(now, earlier, 414, order, two)
    assert [r["method"] for r in kept] == order
    assert kept[1]["note"] == "time_budget=120; run of 2026-12-03 16:45 (06bf46b)"
    one = two.replace("2 window(s)", "1 window(s)")
    assert bench.keep_earlier_rows(now, earlier, 414, order, one) == now  # other windows: other scores
    assert bench.keep_earlier_rows(now, earlier, 400, order, two) == now  # other series


def test_each_set_has_its_own_validation_windows_unless_given(bench) -> None:
    assert bench.windows_for("m1_monthly", None) == 1
    assert bench.windows_for("wikipedia_daily", None) == 4
    assert bench.windows_for("m4_hourly", None) == bench.DEFAULT_WINDOWS == 2
    assert bench.windows_for("m1_monthly", 3) == 3
    assert set(bench.VALIDATION_WINDOWS) <= set(bench.DATASETS)
