"""Metrics: hand-computed values, M4 definitions, evaluate(), and Naive2 on real M4 data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared_file

from tsauto.forecasting import metrics as M
from tsauto.forecasting.metrics import (
    DEFAULT_METRICS,
    METRICS,
    coverage,
    evaluate,
    lower_is_better,
    mae,
    mase_scale,
    mape,
    mase,
    msis,
    naive2,
    owa,
    pinball,
    rmse,
    rmsse,
    seasonality_test,
    smape,
    wape,
)


Y = np.array([1.0, 2.0, 0.0, 4.0])
F = np.array([2.0, 2.0, 1.0, 2.0])


# ---------------------------------------------------------------- point metrics by hand


def test_point_metrics_by_hand() -> None:
    assert mae(Y, F) == pytest.approx(1.0)
    assert rmse(Y, F) == pytest.approx(np.sqrt(1.5))
    assert mape(Y, F) == pytest.approx((100 + 0 + 50) / 3)  # y == 0 entry ignored
    assert smape(Y, F) == pytest.approx((200 / 3 + 0 + 200 + 400 / 6) / 4)
    assert wape(Y, F) == pytest.approx(4 / 7)


def test_the_scale_leaves_out_differences_of_imputed_values() -> None:
    y = np.array([10.0, 14.0, 11.0, 12.0, 13.0, 14.0, 9.0, 15.0])  # 12, 13 interpolated
    observed = np.array([True, True, True, False, False, True, True, True])
    indptr = np.array([0, 8])
    by_hand = np.mean([4.0, 3.0, 5.0, 6.0])  # |14-10|, |11-14|, |9-14|, |15-9|
    assert mase_scale(y, indptr, 1, observed=observed)[0] == pytest.approx(by_hand)
    assert mase_scale(y, indptr, 1)[0] == pytest.approx(np.mean(np.abs(np.diff(y))))
    season = mase_scale(y, indptr, 2, power=2, observed=observed)[0]
    assert season == pytest.approx(np.mean([1.0, 1.0]))  # (11-10)², (15-14)²: the only pairs observed


def test_zero_edge_cases() -> None:
    assert np.isnan(mape([0.0, 0.0], [1.0, 2.0]))
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx((0 + 100) / 2)  # 0/0 counts 0
    assert np.isnan(wape([0.0], [1.0]))
    assert np.isnan(mae([], []))


def test_pinball_and_coverage_by_hand() -> None:
    y = np.array([1.0, 2.0, 3.0])
    q_pred = np.array([2.0, 2.0, 2.0])
    assert pinball(y, q_pred, 0.9) == pytest.approx((0.1 + 0.0 + 0.9) / 3)
    assert pinball(y, q_pred, 0.5) == pytest.approx(0.5 * mae(y, q_pred))
    assert coverage([1, 2, 3, 4], [0, 2, 4, 0], [1, 3, 5, 3]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        pinball(y, q_pred, 1.0)


def test_msis_by_hand() -> None:
    """M4's MSIS: width plus 2/alpha times the miss, over the in-sample naive MAE (here 2)."""
    insample = [0.0, 2.0, 4.0]
    assert msis([1.0, 5.0], [0.0, 0.0], [2.0, 2.0], insample, alpha=0.05) == pytest.approx(
        ((2 + 0) + (2 + 40 * 3)) / 2 / 2
    )
    assert msis([1.0], [0.0], [2.0], insample, alpha=0.2) == pytest.approx(1.0)  # inside: width
    with pytest.raises(ValueError, match="between 0 and 1"):
        msis([1.0], [0.0], [2.0], insample, alpha=0.0)


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="same length"):
        mae([1, 2], [1])
    with pytest.raises(ValueError, match="1-D"):
        mae([[1, 2]], [[1, 2]])


# ---------------------------------------------------------------- scaled metrics (M4 / M5)


def test_mase_m4_definition() -> None:
    insample = np.array([1.0, 3.0, 2.0, 6.0])
    y, f = np.array([5.0, 7.0]), np.array([6.0, 5.0])
    assert mase(y, f, insample, 1) == pytest.approx(1.5 / (7 / 3))
    assert mase(y, f, insample, 2) == pytest.approx(1.5 / 2.0)  # |2-1|, |6-3|
    assert mase(y, f, insample, 4) == pytest.approx(1.5 / (7 / 3))  # too short -> season 1
    # zero seasonal scale falls back to season-1 differences, then to nan
    assert mase(y, f, [1.0, 2.0, 1.0, 2.0], 2) == pytest.approx(1.5)
    assert np.isnan(mase(y, f, [3.0, 3.0, 3.0], 1))
    assert np.isnan(mase(y, f, [3.0], 1))


def test_mase_matches_m4_r_formula() -> None:
    rng = np.random.default_rng(0)
    insample, y, f = rng.gamma(2, size=50), rng.gamma(2, size=8), rng.gamma(2, size=8)
    for m in (1, 4, 12):
        masep = np.mean(np.abs(insample[m:] - insample[:-m]))
        assert mase(y, f, insample, m) == pytest.approx(np.mean(np.abs(y - f)) / masep)


def test_rmsse_m5_definition() -> None:
    insample = np.array([1.0, 3.0, 2.0, 6.0])
    y, f = np.array([5.0, 7.0]), np.array([6.0, 5.0])
    assert rmsse(y, f, insample) == pytest.approx(np.sqrt(2.5 / 7.0))
    assert rmsse(y, f, insample, 2) == pytest.approx(np.sqrt(2.5 / 5.0))  # (1 + 9) / 2


def test_owa_and_registry() -> None:
    assert owa(10.0, 2.0, 10.0, 2.0) == pytest.approx(1.0)
    assert owa(5.0, 1.0, 10.0, 2.0) == pytest.approx(0.5)
    assert set(DEFAULT_METRICS) <= set(METRICS)
    assert {"pinball", "coverage"} <= set(METRICS)
    assert all(lower_is_better(m) for m in METRICS if m != "coverage")
    assert not lower_is_better("coverage")
    with pytest.raises(ValueError, match="unknown metric"):
        lower_is_better("accuracy")


# ---------------------------------------------------------------- Naive2


def test_naive2_plain_naive_when_not_seasonal() -> None:
    np.testing.assert_array_equal(naive2([1.0, 5.0, 3.0], 4, season=1), [3.0] * 4)
    # shorter than 3 seasons -> plain naive
    np.testing.assert_array_equal(naive2(np.arange(1.0, 12.0), 2, season=4), [11.0, 11.0])


def test_naive2_recovers_exact_multiplicative_season() -> None:
    pattern = np.array([0.5, 1.5, 1.2, 0.8])  # mean 1
    x = 10.0 * np.tile(pattern, 6)[:-1]  # 23 points, ends mid-cycle
    assert seasonality_test(x, 4)
    np.testing.assert_allclose(naive2(x, 6, season=4), 10.0 * pattern[[3, 0, 1, 2, 3, 0]])


def test_seasonality_test_matches_statsmodels_acf() -> None:
    acf = pytest.importorskip("statsmodels.tsa.stattools").acf
    rng = np.random.default_rng(1)
    for trial in range(40):
        m = int(rng.integers(2, 13))
        n = int(rng.integers(3 * m, 10 * m))
        x = rng.normal(size=n) + rng.uniform(0, 2) * np.sin(2 * np.pi * np.arange(n) / m)
        r = acf(x, nlags=m, fft=False)[1:]
        limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[: m - 1] ** 2)) / n)
        assert seasonality_test(x, m) == (abs(r[m - 1]) > limit), trial


def test_naive2_matches_statsmodels_decomposition() -> None:
    decompose = pytest.importorskip("statsmodels.tsa.seasonal").seasonal_decompose
    rng = np.random.default_rng(2)
    for m in (4, 7, 12):
        n = 5 * m + 3
        x = (50 + np.arange(n)) * (1 + 0.3 * np.sin(2 * np.pi * np.arange(n) / m))
        x *= rng.uniform(0.95, 1.05, size=n)
        assert seasonality_test(x, m)
        seasonal = decompose(x, model="multiplicative", period=m).seasonal
        level = x[-1] / seasonal[-1]
        expected = level * seasonal[n - m : n][np.arange(5) % m]
        np.testing.assert_allclose(naive2(x, 5, season=m), expected, rtol=1e-10)


# ---------------------------------------------------------------- evaluate


def _long_frame(rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    rows, insample = [], {}
    for store in ("a", "b"):
        for item in (1, 2, 3):
            h = int(rng.integers(2, 6))
            y = rng.gamma(3, size=h)
            y[0] = 0.0 if item == 2 else y[0]
            f = y + rng.normal(size=h)
            rows.append(pd.DataFrame({"store": store, "item": item, "actual": y, "forecast": f,
                                      "q0.1": f - 1.0, "q0.5": f, "q0.9": f + 1.0}))
            insample[(store, item)] = rng.gamma(3, size=20)
    return pd.concat(rows, ignore_index=True), insample


def test_evaluate_matches_metric_functions() -> None:
    frame, insample = _long_frame(np.random.default_rng(3))
    per_series, agg = evaluate(frame, id_cols=["store", "item"], insample=insample, season=2)
    assert list(per_series.columns) == ["store", "item", *DEFAULT_METRICS, "pinball", "scaled_pinball", "coverage",
                                        "msis"]
    assert len(per_series) == 6 and len(agg) == 1
    for _, row in per_series.iterrows():
        part = frame[(frame.store == row.store) & (frame.item == row["item"])]
        y, f = part.actual.to_numpy(), part.forecast.to_numpy()
        x = insample[(row.store, row["item"])]
        expected = {"mae": mae(y, f), "rmse": rmse(y, f), "mape": mape(y, f),
                    "smape": smape(y, f), "wape": wape(y, f), "mase": mase(y, f, x, 2),
                    "rmsse": rmsse(y, f, x, 2),
                    "pinball": np.mean([pinball(y, part[f"q{q}"], q) for q in (0.1, 0.5, 0.9)]),
                    # over the MASE scale (user test 51: pinball in units, not comparable)
                    "scaled_pinball": np.mean([pinball(y, part[f"q{q}"], q) for q in (0.1, 0.5, 0.9)])
                    / np.mean(np.abs(x[2:] - x[:-2])),
                    "coverage": coverage(y, part["q0.1"], part["q0.9"]),
                    "msis": msis(y, part["q0.1"], part["q0.9"], x, 2, alpha=0.2)}
        for name, value in expected.items():
            assert row[name] == pytest.approx(value), name
    for name in per_series.columns[2:]:
        if name != "wape":
            assert agg.loc[0, name] == pytest.approx(per_series[name].mean())
    assert agg.loc[0, "wape"] == pytest.approx(wape(frame.actual, frame.forecast))


def test_evaluate_quantile_selection_and_outer_pair() -> None:
    frame, insample = _long_frame(np.random.default_rng(4))
    frame["q0.25"], frame["q0.75"] = frame.forecast - 0.5, frame.forecast + 0.5
    per_series, _ = evaluate(frame, id_cols=["store", "item"], insample=insample, season=1,
                             metrics=["mae"], quantiles=[0.25, 0.75])
    part = frame[(frame.store == "a") & (frame.item == 1)]
    assert per_series.loc[0, "coverage"] == pytest.approx(
        coverage(part.actual, part["q0.25"], part["q0.75"]))
    assert per_series.loc[0, "pinball"] == pytest.approx(
        (pinball(part.actual, part["q0.25"], 0.25) + pinball(part.actual, part["q0.75"], 0.75)) / 2)
    assert per_series.loc[0, "msis"] == pytest.approx(
        msis(part.actual, part["q0.25"], part["q0.75"], insample[("a", 1)], 1, alpha=0.5))
    unscaled, _ = evaluate(frame, id_cols=["store", "item"], insample=None, season=1, metrics=["mae"])
    assert "coverage" in unscaled and "msis" not in unscaled and "scaled_pinball" not in unscaled  # no scale
    with pytest.raises(ValueError, match="q0.3"):
        evaluate(frame, id_cols=["store", "item"], insample=None, season=1, metrics=["mae"],
                 quantiles=[0.3])


def test_evaluate_with_cutoffs_mapping_and_callable() -> None:
    frame = pd.DataFrame({
        "id": ["x", "x", "x", "x", "y", "y"],
        "cutoff": [2, 2, 3, 3, 2, 2],
        "actual": [3.0, 4.0, 4.0, 5.0, 1.0, 2.0],
        "forecast": [2.0, 2.0, 3.0, 3.0, 1.0, 1.0],
    })
    history = {"x": np.array([1.0, 2.0, 3.0, 4.0, 5.0]), "y": np.array([4.0, 2.0, 1.0, 2.0])}

    def insample(key: str, cutoff: int) -> np.ndarray:
        return history[key][:cutoff]

    per_series, agg = evaluate(frame, id_cols="id", insample=insample, season=1)
    assert list(per_series[["id", "cutoff"]].itertuples(index=False, name=None)) == [
        ("x", 2), ("x", 3), ("y", 2)]
    np.testing.assert_allclose(per_series.mase, [1.5 / 1.0, 1.5 / 1.0, 0.5 / 2.0])
    mapping = {(k, c): insample(k, c) for k, c in [("x", 2), ("x", 3), ("y", 2)]}
    per_series2, agg2 = evaluate(frame, id_cols="id", insample=mapping, season=1)
    pd.testing.assert_frame_equal(per_series, per_series2)
    pd.testing.assert_frame_equal(agg, agg2)
    with pytest.raises(ValueError, match="no entry"):
        evaluate(frame, id_cols="id", insample={"x": history["x"]}, season=1)


def test_evaluate_errors() -> None:
    frame = pd.DataFrame({"id": [1, 1], "actual": [1.0, 2.0], "forecast": [1.0, np.nan]})
    with pytest.raises(ValueError, match="forecast"):
        evaluate(frame, id_cols="id", insample=None, season=1, metrics=["mae"])
    with pytest.raises(ValueError, match="actual"):
        evaluate(frame.drop(columns="actual"), id_cols="id", insample=None, season=1,
                 metrics=["mae"])
    with pytest.raises(ValueError, match="unknown metrics"):
        evaluate(frame.fillna(1.0), id_cols="id", insample=None, season=1, metrics=["r2"])
    with pytest.raises(ValueError, match="insample"):
        evaluate(frame.fillna(1.0), id_cols="id", insample=None, season=1)


# ---------------------------------------------------------------- Naive2 on M4 (published)


def _read_m4(name: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    train_path = shared_file(f"forecasting/m4/{name}-train.csv.gz")
    test_path = shared_file(f"forecasting/m4/{name}-test.csv.gz")
    train = pd.read_csv(train_path, index_col=0)
    test = pd.read_csv(test_path, index_col=0).loc[train.index]
    as_list = lambda t: [row[~np.isnan(row)] for row in t.to_numpy(dtype=float)]  # noqa: E731
    return as_list(train), as_list(test)


@pytest.mark.parametrize(
    ("name", "horizon", "season", "n_series", "smape_pub", "mase_pub"),
    [("Weekly", 13, 1, 359, 9.161, 2.777), ("Hourly", 48, 24, 414, 18.383, 2.395)],
)
def test_naive2_reproduces_published_m4(
    name: str, horizon: int, season: int, n_series: int, smape_pub: float, mase_pub: float
) -> None:
    train, test = _read_m4(name)
    assert len(train) == n_series
    smapes, mases = [], []
    frames, insample = [], {}
    for i, (x, y) in enumerate(zip(train, test)):
        assert y.size == horizon
        fc = naive2(x, horizon, season)
        smapes.append(smape(y, fc))
        mases.append(mase(y, fc, x, season))
        frames.append(pd.DataFrame({"id": i, "actual": y, "forecast": fc}))
        insample[i] = x
    assert np.mean(smapes) == pytest.approx(smape_pub, rel=1e-3)
    assert np.mean(mases) == pytest.approx(mase_pub, rel=1e-3)
    # the same figures through the table interface
    _, agg = evaluate(pd.concat(frames), id_cols="id", insample=insample, season=season)
    assert agg.loc[0, "smape"] == pytest.approx(np.mean(smapes))
    assert agg.loc[0, "mase"] == pytest.approx(np.mean(mases))
    assert M.owa(agg.loc[0, "smape"], agg.loc[0, "mase"], smape_pub, mase_pub) == pytest.approx(
        1.0, rel=1e-3)
