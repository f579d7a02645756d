"""Forecaster.backtest with a hierarchy: every level scored, aggregate actuals summed from the
bottom series, MASE scaled by each node's own history, coherent forecasts per fold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster, datasets
from tsauto.cli import main

RETAIL = {
    "target": "Turnover",
    "time": "Month",
    "ids": ["State", "Industry"],
    "horizon": 6,
    "hierarchy": [["State"], ["Industry"]],
    "learners": ["naive", "seasonal_naive"],
    "quantiles": [0.1, 0.9],
}
LEVELS = ["total", "State", "Industry", "State/Industry"]


@pytest.fixture(scope="module")
def retail(aus_small: pd.DataFrame) -> pd.DataFrame:
    """Two states x three industries of Australian retail, since 2010."""
    keep = aus_small["Industry"].isin(aus_small["Industry"].unique()[:3])
    return aus_small[keep & (aus_small["Month"] >= "2010-01-01")].reset_index(drop=True)


@pytest.fixture(scope="module")
def refit(retail: pd.DataFrame):
    return Forecaster(**RETAIL).fit(retail).backtest(retail, folds=2, mode="refit")


def _bottom_sums(forecasts: pd.DataFrame, column: str, by: list[str]) -> pd.Series:
    bottom = forecasts[forecasts["level"] == "State/Industry"]
    return bottom.groupby(["fold", *by, "Month"])[column].sum()


def _level(forecasts: pd.DataFrame, level: str, column: str, by: list[str]) -> pd.Series:
    rows = forecasts[forecasts["level"] == level]
    return rows.set_index(["fold", *by, "Month"])[column].sort_index()


def test_every_level_has_scores_and_cells(refit) -> None:
    by_level = refit.by_level
    assert by_level["level"].tolist() == LEVELS and by_level["nodes"].tolist() == [1, 2, 3, 6]
    metrics = ["mase", "smape", "wape", "pinball", "coverage"]
    assert np.isfinite(by_level[metrics].to_numpy()).all()
    counts = refit.forecasts["level"].value_counts()
    assert all(counts[lv] == n * 6 * 2 for lv, n in zip(LEVELS, [1, 2, 3, 6]))
    bottom = by_level.iloc[-1]
    model = refit.summary.iloc[0]  # the summary stays the bottom series'
    for m in ("mase", "smape", "wape", "pinball"):
        assert bottom[m] == pytest.approx(model[m], rel=1e-12)
    assert set(refit.per_series["level"]) == set(LEVELS) and len(refit.per_series) == 12 * 2


def test_a_gap_inside_a_bottom_series_is_named_with_the_fill_that_mends_it(retail, caplog) -> None:
    """One series' row missing: the sums above it count it 0 while the series itself is
    interpolated; the fit names the series and the fill that makes the two agree."""
    vic = (retail["State"] == "Victoria") & (retail["Industry"] == retail["Industry"].iloc[0])
    gappy = retail[~(vic & (retail["Month"] == retail["Month"].max() - pd.DateOffset(months=2)))]
    with caplog.at_level("WARNING", logger="tsauto"):
        Forecaster(**{**RETAIL, "quantiles": None}).fit(gappy)
    said = [r.getMessage() for r in caplog.records if "miss rows inside their span" in r.getMessage()]
    assert len(said) == 1 and "1 bottom series" in said[0] and "State=Victoria" in said[0]
    assert "'fill': 'zero'" in said[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="tsauto"):
        Forecaster(**{**RETAIL, "quantiles": None, "data": {"fill": "zero"}}).fit(gappy)
    assert not any("miss rows inside their span" in r.getMessage() for r in caplog.records)


def test_aggregate_actuals_are_bottom_sums_and_forecasts_coherent(refit, retail) -> None:
    f = refit.forecasts
    for level, by in (("total", []), ("State", ["State"]), ("Industry", ["Industry"])):
        for column in ("actual", "forecast"):
            got = _level(f, level, column, by)
            want = _bottom_sums(f, column, by).sort_index()
            np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-6)
    actual = retail.groupby("Month")["Turnover"].sum()
    total = f[f["level"] == "total"]
    np.testing.assert_allclose(total["actual"], actual.loc[total["Month"]].to_numpy(), rtol=1e-12)


def test_total_mase_equals_a_manual_computation(refit, retail) -> None:
    total = retail.groupby("Month")["Turnover"].sum()
    f = refit.forecasts
    first = f[(f["level"] == "total") & (f["fold"] == 0)]
    cutoff = first["cutoff"].iloc[0]
    history = total[total.index <= cutoff].to_numpy()
    scale = np.mean(np.abs(history[12:] - history[:-12]))
    manual = np.mean(np.abs(first["actual"] - first["forecast"])) / scale
    scores = refit.per_series
    row = scores[(scores["node"] == "total") & (scores["cutoff"] == cutoff)]
    assert row["mase"].item() == pytest.approx(manual, rel=1e-9)
    by_total = scores.loc[scores["node"] == "total", "mase"].mean()
    assert refit.by_level.loc[0, "mase"] == pytest.approx(by_total, rel=1e-12)


def test_without_a_hierarchy_nothing_changes(retail) -> None:
    flat = {k: v for k, v in RETAIL.items() if k != "hierarchy"}
    result = Forecaster(**flat).fit(retail).backtest(retail, folds=2, mode="refit")
    assert result.by_level is None
    assert "level" not in result.forecasts and len(result.forecasts) == 6 * 6 * 2


def test_nested_walmart_stores_and_departments() -> None:
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart()
    df = df[df["Store"].isin([1, 2]) & df["Dept"].isin([1, 2, 3])].reset_index(drop=True)
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=6,
                    known_future=["IsHoliday"], hierarchy=["Store", "Dept"],
                    learners=["naive", "seasonal_naive"])
    result = fc.backtest(df, folds=2)
    assert result.mode == "nested"
    assert result.by_level["level"].tolist() == ["total", "Store", "Store/Dept"]
    assert result.by_level["nodes"].tolist() == [1, 2, 6]
    assert np.isfinite(result.by_level[["mase", "smape", "wape"]].to_numpy()).all()
    f = result.forecasts
    bottom = f[f["level"] == "Store/Dept"].groupby(["fold", "Date"])[["actual", "forecast"]].sum()
    total = f[f["level"] == "total"].set_index(["fold", "Date"]).sort_index()
    np.testing.assert_allclose(total["actual"], bottom["actual"], rtol=1e-9)
    np.testing.assert_allclose(total["forecast"], bottom["forecast"], rtol=1e-6)


def test_cli_prints_the_per_level_table(retail: pd.DataFrame, tmp_path: Path, capsys) -> None:
    path = tmp_path / "retail.csv"
    retail.to_csv(path, index=False)
    code = main([
        "backtest", str(path), "--target", "Turnover", "--time", "Month", "--ids", "State,Industry",
        "--horizon", "6", "--folds", "2", "--mode", "refit", "--learners", "naive,seasonal_naive",
        "--hierarchy", "State;Industry", "-q",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "per level" in printed
    table = printed[printed.index("per level"):]
    assert all(level in table for level in LEVELS) and "mase" in table


def test_every_level_shows_seasonal_naive_beside_the_model(refit) -> None:
    """Each level's row holds the reference's means from the same cutoffs (user test 47: the
    per-level table had none, so a planner could not see what the total beat); the bottom
    level's equal the summary's reference row."""
    by_level = refit.by_level
    for m in ("mase", "smape", "wape"):
        assert np.isfinite(by_level[f"{m} seasonal_naive"]).all()
    assert "coverage seasonal_naive" not in by_level  # the reference has no band
    reference = refit.summary.set_index("model").loc["seasonal_naive"]
    for m in ("mase", "smape", "wape"):
        assert by_level[f"{m} seasonal_naive"].iloc[-1] == pytest.approx(reference[m], rel=1e-12)
    # the total's reference is the seasonal naive of the summed series, not the bottom's mean
    f = refit.forecasts[refit.forecasts["level"] == "total"]
    wape = (f["actual"] - f["seasonal_naive"]).abs().sum() / f["actual"].abs().sum()
    assert by_level["wape seasonal_naive"].iloc[0] == pytest.approx(wape, rel=1e-9)
