"""Croston, TSB and the Syntetos-Boylan classification on real zero-heavy Walmart series.

Walmart weeks without a sales row mean no sales: the panel is built with ``fill="zero"``.
The Walmart tests skip, naming the file, when ``walmart_store_sales/train.csv.gz`` is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsauto.forecasting import registry
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate
from tsauto.datasets import load_aus_retail, load_walmart
from tsauto.core.exceptions import DatasetNotFoundError
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.intermittent import (
    TSB,
    Croston,
    croston,
    intermittent_share,
    is_intermittent,
    tsb,
)

TASK = Task(horizon=8, season=52, quantiles=(0.1, 0.5, 0.9), n_jobs=1)
# (Store, Dept) pairs whose weekly sales are mostly zero (missing weeks); none negative
SPARSE = [(30, 41), (4, 45), (20, 45)]


@pytest.fixture(scope="module")
def walmart() -> Panel:
    try:
        df = load_walmart()
    except DatasetNotFoundError as err:
        pytest.skip(f"Walmart file train.csv.gz not available: {err}")
    keys = pd.DataFrame(SPARSE, columns=["Store", "Dept"])
    sub = df.merge(keys)[["Store", "Dept", "Date", "Weekly_Sales"]]
    return validate(
        sub, target="Weekly_Sales", time="Date", ids=["Store", "Dept"], fill="zero", freq="W-FRI"
    )


def series(panel: Panel, i: int) -> np.ndarray:
    return panel.y[panel.indptr[i] : panel.indptr[i + 1]]


def position(panel: Panel, store: int, dept: int) -> int:
    keys = panel.keys
    return int(np.flatnonzero((keys["Store"] == store) & (keys["Dept"] == dept))[0])


def test_registry_builds_croston_and_tsb() -> None:
    assert isinstance(registry.create("croston"), Croston)
    assert isinstance(registry.create("tsb"), TSB)


def test_hand_checked_on_first_ten_weeks(walmart: Panel) -> None:
    first = walmart.take(np.array([position(walmart, 30, 41)])).head(np.array([10]))
    y = first.y
    np.testing.assert_allclose(y, [14, 0, 7, 38, 87, 0, 0, 9, 70.5, 7.5])
    # sizes 14, 7, 38, 87, 9, 70.5, 7.5 smoothed with alpha 0.1 from 14:
    # 13.3, 15.77, 22.893, 21.5037, 26.40333, 24.512997
    size = 24.512997
    # intervals 1, 2, 1, 1, 3, 1, 1 smoothed from 1: 1.1, 1.09, 1.081, 1.2729, 1.24561, 1.221049
    interval = 1.221049
    # occurrence 1,0,1,1,1,0,0,1,1,1 smoothed from 1: ... 0.79827031, 0.818443279
    prob = 0.818443279
    assert croston(y)[0] == pytest.approx(size / interval, rel=1e-9)
    assert croston(y, 0.1, "sba")[0] == pytest.approx(0.95 * size / interval, rel=1e-9)
    assert tsb(y)[0] == pytest.approx(size * prob, rel=1e-9)
    task = Task(horizon=4, quantiles=(0.1, 0.9), n_jobs=1)
    for learner, expected in [
        (Croston(), size / interval),
        (Croston(variant="sba"), 0.95 * size / interval),
        (TSB(), size * prob),
    ]:
        out = learner.fit(first, task).predict(first)
        np.testing.assert_allclose(out.mean, np.full((1, 4), expected), rtol=1e-9)


def test_quantiles_non_negative_and_ordered(walmart: Panel) -> None:
    for learner in (Croston(), Croston(variant="sba"), TSB()):
        out = learner.fit(walmart, TASK).predict(walmart)
        q = out.quantiles
        assert np.all(q[0.1] >= 0)
        assert np.all(q[0.1] <= q[0.5]) and np.all(q[0.5] <= q[0.9])
        assert np.all(q[0.1] == 0)  # every series is zero in well over 10% of weeks
        assert np.all(out.mean >= 0) and np.all(np.ptp(out.mean, axis=1) == 0)  # flat
        assert np.all(q[0.9] > 0)


def test_predict_runs_on_the_given_history(walmart: Panel) -> None:
    short = walmart.head(walmart.lengths - 20)
    for learner, fn in [(Croston(), croston), (TSB(), tsb)]:
        learner.fit(short, TASK)
        out = learner.predict(walmart)
        for i in range(walmart.n_series):
            assert out.mean[i, 0] == pytest.approx(fn(series(walmart, i))[0], rel=1e-12)
        assert not np.allclose(out.mean, learner.predict(short).mean)


def test_is_intermittent_clear_cases(walmart: Panel) -> None:
    for i in range(walmart.n_series):
        assert is_intermittent(series(walmart, i))  # 62-70% zero weeks
    assert is_intermittent(np.zeros(10))
    retail = load_aus_retail()
    turnover = retail.loc[retail["Series ID"] == retail["Series ID"].iloc[0], "Turnover"]
    assert not is_intermittent(turnover.to_numpy())  # monthly turnover: never zero


def test_intermittent_share(walmart: Panel) -> None:
    retail = load_aus_retail()
    keys = retail[["State", "Industry"]].drop_duplicates().iloc[:3]
    dense = validate(
        retail.merge(keys)[["State", "Industry", "Month", "Turnover"]],
        target="Turnover",
        time="Month",
        ids=["State", "Industry"],
    )
    assert intermittent_share(walmart) == 1.0
    assert intermittent_share(dense) == 0.0


def test_all_zero_history_forecasts_zero(walmart: Panel) -> None:
    lengths = np.zeros(walmart.n_series, dtype=np.int64)
    lengths[position(walmart, 30, 41)] = 30
    zero = validate(
        walmart.head(lengths).to_frame().assign(Weekly_Sales=0.0),  # its dates, no sales
        target="Weekly_Sales",
        time="Date",
        ids=["Store", "Dept"],
        freq="W-FRI",
    )
    for learner in (Croston(), TSB()):
        out = learner.fit(zero, TASK).predict(zero)
        assert np.all(out.mean == 0) and all(np.all(v == 0) for v in out.quantiles.values())


BAD = [Croston(alpha=0.0), Croston(variant="tsb"), TSB(alpha_p=1.5)]  # type: ignore[arg-type]


@pytest.mark.parametrize("learner", BAD)
def test_bad_params_are_rejected(walmart: Panel, learner) -> None:
    with pytest.raises(ValueError):
        learner.fit(walmart, TASK)
