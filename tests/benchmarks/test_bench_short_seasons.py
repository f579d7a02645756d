"""benchmarks/bench_short_seasons.py: its cuts hold L points of history and the h after them,
inside the training parts; its score is MASE on the lag-1 scale."""

from __future__ import annotations

import numpy as np
import pytest
from bench_scripts import bench_script


@pytest.fixture(scope="module")
def bench():
    with bench_script("bench_short_seasons.py") as module:
        yield module


def test_cuts_hold_the_history_and_the_horizon_before_each_origin(bench) -> None:
    data = bench.bench_suite.DATASETS["aus_retail"]()
    ends = data.train.groupby(data.ids)[data.time].max()
    cuts = list(bench.windows(data, 20, 6, [0, 6], series=10))
    assert [k for k, _, _ in cuts] == [0, 6]
    for k, train, test in cuts:
        assert (train.groupby(data.ids).size() == 20).all() and (test.groupby(data.ids).size() == 6).all()
        last = test.groupby(data.ids)[data.time].max()
        steps_before_end = (ends.reindex(last.index).dt.to_period("M") - last.dt.to_period("M")).map(lambda d: d.n)
        assert (steps_before_end == k).all()  # never past the training part
    k, train, test = cuts[0]
    perfect = test.rename(columns={data.target: "forecast"})
    assert bench.mean_mase(train, test, perfect, data) == 0.0
    assert 0.0 <= bench.share(train, data, 12) <= 1.0
    assert np.isfinite(bench.mean_mase(train, test, perfect.assign(forecast=0.0), data))
