"""Hierarchy spec and reconciliation: the published formulas on a hand-made S, coherence of
every method at every level of real hierarchies (Australian retail, Walmart), validation
errors, non-crossing quantiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from scipy import sparse

from tsauto import datasets
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.hierarchy import (
    METHODS,
    HierarchySpec,
    Reconciler,
    coherence_error,
    reconcile,
    reconcile_forecasts,
    residual_matrix,
    shrunk_covariance,
)

# total; A = a1 + a2; B = b1 + b2; bottom a1, a2, b1, b2
S_SMALL = np.array(
    [[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    dtype=float,
)
RIDGE = 2e-8


@pytest.fixture(scope="module")
def residuals_small() -> np.ndarray:
    rng = np.random.default_rng(3)
    bottom = rng.normal(size=(4, 40)) * np.array([[1.0], [2.0], [0.5], [3.0]])
    return S_SMALL @ bottom + rng.normal(scale=0.3, size=(7, 40))


def published_p(S: np.ndarray, W: np.ndarray) -> np.ndarray:
    """P = (S' W^-1 S)^-1 S' W^-1 (Wickramasuriya et al. 2019, eq. 9)."""
    Wi = np.linalg.inv(W)
    return np.linalg.inv(S.T @ Wi @ S) @ S.T @ Wi


# ---------------------------------------------------------------------- formulas


def test_bottom_up_projection_is_zero_then_identity():
    P = Reconciler("bottom_up").fit(S_SMALL).projection()
    np.testing.assert_array_equal(P, np.hstack([np.zeros((4, 3)), np.eye(4)]))


@pytest.mark.parametrize("method", ["ols", "wls_struct", "wls_var", "mint_shrink"])
def test_mint_family_projection_matches_published_formula(method, residuals_small):
    W = {
        "ols": np.eye(7),
        "wls_struct": np.diag(S_SMALL.sum(axis=1) + RIDGE),
        "wls_var": np.diag((residuals_small**2).mean(axis=1) + RIDGE),
        "mint_shrink": shrunk_covariance(residuals_small, RIDGE)[0],
    }[method]
    P = Reconciler(method).fit(sparse.csr_matrix(S_SMALL), residuals_small).projection()
    np.testing.assert_allclose(P, published_p(S_SMALL, W), atol=1e-10)
    np.testing.assert_allclose(P @ S_SMALL, np.eye(4), atol=1e-10)  # unbiased: P S = I


def test_shrinkage_intensity_is_schafer_strimmer(residuals_small):
    """lambda = sum_{i != j} Var(r_ij) / sum_{i != j} r_ij^2 (Schäfer & Strimmer 2005, target
    D), written out from the paper's definitions with standardised residuals (divisor n-1)."""
    x = residuals_small
    n = x.shape[1]
    xs = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    w = xs[:, None, :] * xs[None, :, :]
    w_bar = w.mean(axis=2)
    var_r = n / (n - 1) ** 3 * ((w - w_bar[..., None]) ** 2).sum(axis=2)
    r = n / (n - 1) * w_bar
    off = ~np.eye(len(x), dtype=bool)
    lam = np.clip(var_r[off].sum() / (r[off] ** 2).sum(), 0, 1)
    W, got = shrunk_covariance(x, ridge=0.0)
    assert got == pytest.approx(lam, rel=1e-10)
    cov = np.cov(x)
    np.testing.assert_allclose(W, lam * np.diag(np.diag(cov)) + (1 - lam) * cov, rtol=1e-10)


def test_shrinkage_with_missing_values_is_pairwise_and_complete_at_the_diagonal(residuals_small):
    x = residuals_small.copy()
    x[0, :5] = np.nan
    W, lam = shrunk_covariance(x, ridge=0.0)
    assert 0 <= lam <= 1 and np.isfinite(W).all()
    assert W[0, 0] == pytest.approx(np.nanvar(x[0], ddof=1))
    both = ~np.isnan(x[0])
    np.testing.assert_allclose(W[0, 1], (1 - lam) * np.cov(x[0, both], x[1, both])[0, 1])


def test_top_down_proportions_gross_sohl(residuals_small):
    rng = np.random.default_rng(0)
    bottom = rng.uniform(1, 5, size=(4, 12))
    history = S_SMALL @ bottom
    base = np.full((7, 2), 100.0)
    a = reconcile(base, S_SMALL, "top_down", history=history, proportions="average_proportions")
    f = reconcile(base, S_SMALL, "top_down", history=history, proportions="proportion_averages")
    np.testing.assert_allclose(a[3:, 0], 100 * (bottom / bottom.sum(axis=0)).mean(axis=1))
    np.testing.assert_allclose(f[3:, 0], 100 * bottom.mean(axis=1) / bottom.sum(axis=0).mean())
    assert coherence_error(a, S_SMALL) < 1e-12 and a[0, 0] == pytest.approx(100)


def test_s_must_end_with_the_identity():
    with pytest.raises(ValueError, match="identity"):
        Reconciler("ols").fit(S_SMALL[::-1])


def test_methods_needing_inputs_say_so():
    with pytest.raises(ValueError, match="residuals"):
        Reconciler("mint_shrink").fit(S_SMALL)
    with pytest.raises(ValueError, match="history"):
        Reconciler("top_down").fit(S_SMALL)
    with pytest.raises(ValueError, match="method="):
        Reconciler("mint_cov").fit(S_SMALL)


# ---------------------------------------------------------------------- spec on small tables


def _toy(parents: dict[str, str]) -> pd.DataFrame:
    times = pd.date_range("2020-01-01", periods=6, freq="MS")
    rows = [
        {"Region": region, "Store": store, "Dept": dept, "t": t, "y": float(i + d + 1)}
        for i, (store, region) in enumerate(parents.items())
        for d, dept in enumerate(["d1", "d2"])
        for t in times
    ]
    return pd.DataFrame(rows)


def test_nested_spec_levels_nodes_and_sums():
    df = _toy({"s1": "north", "s2": "north", "s3": "south"})
    spec = HierarchySpec.from_table(df, ["Store", "Dept"], ["Region", "Store", "Dept"], "t", "y")
    assert spec.levels == ("total", "Region", "Store", "Store/Dept")
    assert spec.level_sizes() == {"total": 1, "Region": 2, "Store": 3, "Store/Dept": 6}
    assert spec.nested and spec.S.shape == (12, 6)
    assert spec.nodes.loc[3, "node"] == "Store=s1" and spec.nodes.loc[3, "Region"] == "north"
    nodes = spec.aggregate(df)
    assert len(nodes) == 12 * 6
    y = spec.pivot(nodes, "y")[0]
    assert coherence_error(y, spec) == 0
    assert nodes.loc[nodes["node"] == "total", "y"].iloc[0] == df.loc[df["t"] == df["t"].min(), "y"].sum()


def test_nested_violation_names_rows_and_fix():
    df = _toy({"s1": "north", "s2": "south"})
    df.loc[(df["Store"] == "s2") & (df["Dept"] == "d2"), "Region"] = "north"  # s2 under both
    with pytest.raises(DataValidationError, match=r"Store='s2'.*Region='north' at rows .*crossed"):
        HierarchySpec.from_table(df, ["Store", "Dept"], ["Region", "Store", "Dept"], "t", "y")


def test_series_under_two_parents_is_an_error():
    df = _toy({"s1": "north", "s2": "south"})
    df.loc[df.index[-1], "Region"] = "north"  # one row of series (s2, d2) moves
    with pytest.raises(DataValidationError, match=r"series \{'Store': 's2', 'Dept': 'd2'\}.*rows"):
        HierarchySpec.from_table(df, ["Store", "Dept"], ["Region", "Store", "Dept"], "t", "y")


def test_crossed_declared_as_nested_is_an_error_that_suggests_crossing(aus_retail):
    with pytest.raises(DataValidationError, match=r"hierarchy=\[\['State'\], \['Industry'\]\]"):
        HierarchySpec.from_table(aus_retail, "Series ID", ["State", "Industry"], "Month", "Turnover")


def spec_of(df: pd.DataFrame) -> HierarchySpec:
    return HierarchySpec.from_table(df, ["Store", "Dept"], ["Store", "Dept"], "t", "y")


def test_missing_bottom_counts_as_zero_and_covariates_follow_their_rule():
    df = _toy({"s1": "north", "s2": "north"}).assign(flag=False, price=1.0)
    df.loc[0, ["flag", "price"]] = [True, 3.0]  # s1/d1 at the first time
    df = df.drop(index=df.index[(df["Store"] == "s2") & (df["t"] == df["t"].max())])
    spec = HierarchySpec.from_table(df, ["Store", "Dept"], ["Store", "Dept"], "t", "y")
    nodes = spec.aggregate(df)
    total = nodes[nodes["node"] == "total"].set_index("t")
    last = df["t"].max()
    assert total.loc[last, "y"] == df.loc[df["t"] == last, "y"].sum()
    first = total.index.min()
    assert total.loc[first, "flag"] and not total["flag"].iloc[1:].any()
    assert total.loc[first, "price"] == pytest.approx((3 + 1 + 1 + 1) / 4)
    # the series of s2 end before the table: counted 0 there, as the sums above count them
    s2 = nodes[nodes["t"] == last].set_index("node")
    assert s2.loc[["Store=s2", "Store=s2/Dept=d1", "Store=s2/Dept=d2"], "y"].tolist() == [0, 0, 0]
    assert s2.loc[["Store=s2/Dept=d1", "Store=s2"], "price"].isna().all()  # covariates unknown there
    # a gap before a series' last row is not filled: it stays absent, 0 in the sums above
    gap = _toy({"s1": "north"}).drop(index=[2])  # s1/d1 at the third time
    gapped = spec_of(gap).aggregate(gap)
    assert len(gapped[gapped["node"] == "Store=s1/Dept=d1"]) == 5


def test_labels_by_the_most_frequent_and_flags_with_gaps_by_max():
    """A categorical known-future column (``"none"``/``"xmas"``) is aggregated by its most
    frequent label (ties: the first in sorted order); a flag with a gap (object dtype) by max
    over the children that have a value, missing where none has (it was refused as not numeric)."""
    df = _toy({"s1": "north", "s2": "north"}).assign(event="none", flag=False)
    first, second = df["t"].min(), sorted(df["t"].unique())[1]
    df.loc[(df["t"] == first) & (df["Store"] == "s1"), "event"] = "xmas"  # 2 of 4: a tie
    df.loc[(df["t"] == second) & (df["Dept"] == "d1"), "event"] = "xmas"
    df.loc[(df["t"] == second) & (df["Store"] == "s2"), "event"] = "xmas"  # 3 of 4
    df["flag"] = df["flag"].astype(object)
    df.loc[(df["t"] == first) & (df["Dept"] == "d1"), "flag"] = [True, np.nan]  # s1/d1, s2/d1
    nodes = spec_of(df).aggregate(df, covariates=["event", "flag"]).set_index(["node", "t"])
    assert nodes.loc[("total", first), "event"] == "none"  # the tie: the first label in sorted order
    assert nodes.loc[("total", second), "event"] == "xmas"
    assert nodes.loc[("Store=s1", first), "event"] == "xmas"
    assert nodes.loc[("total", first), "flag"] == 1 and nodes.loc[("Store=s2", first), "flag"] == 0
    assert np.isnan(nodes.loc[("Store=s2/Dept=d1", first), "flag"])
    with pytest.raises(DataValidationError, match=r"'event' holds labels .*use 'mode'"):
        spec_of(df).aggregate(df, covariates=["event"], rules={"event": "max"})


def test_level_and_unseen_series_errors_name_the_fix():
    df = _toy({"s1": "north", "s2": "north"})
    spec, nodes = spec_of(df), spec_of(df).aggregate(df)
    with pytest.raises(DataValidationError, match=r"level=3: name a level \('total' \[\]"):
        spec.select(nodes, 3)
    with pytest.raises(DataValidationError, match=r"no level named 'Region'; the levels are 'total'"):
        spec.select(nodes, "Region")
    other = pd.concat([df, df[df["Store"] == "s1"].assign(Store="s9")])  # a repeated index, as concat gives
    with pytest.raises(DataValidationError, match=r"series \{'Store': 's9', 'Dept': 'd1'\} at rows .*fit on a"):
        spec.aggregate(other)


def test_zeros_after_an_end_follow_time_order_not_text_order():
    """Dates written day first across a new year ("15/12/2019" sorts after "15/01/2020" as
    text): the series that ends early is carried to the chronologically last month."""
    df = _toy({"s1": "north", "s2": "north"})
    df["t"] = (df["t"] - pd.DateOffset(months=2) + pd.Timedelta(days=14)).dt.strftime("%d/%m/%Y")
    df = df.drop(index=df.index[(df["Store"] == "s2") & (df["t"] == "15/04/2020")])
    nodes = spec_of(df).aggregate(df)
    s2 = nodes[nodes["node"] == "Store=s2/Dept=d1"].set_index("t")["y"]
    assert s2.loc["15/04/2020"] == 0 and len(s2) == 6


def test_select_by_name_columns_total_and_all():
    df = _toy({"s1": "north", "s2": "south"})
    spec = HierarchySpec.from_table(df, ["Store", "Dept"], ["Region", "Store", "Dept"], "t", "y")
    nodes = spec.aggregate(df)
    assert set(spec.select(nodes)["level"]) == {"Store/Dept"}
    assert set(spec.select(nodes, []).node) == {"total"}
    assert set(spec.select(nodes, ["Region"])["Region"]) == {"north", "south"}
    assert set(spec.select(nodes, [["Region"], []])["level"]) == {"Region", "total"}
    assert len(spec.select(nodes, "all")) == len(nodes)
    with pytest.raises(DataValidationError, match="no level"):
        spec.select(nodes, ["Dept"])


# ---------------------------------------------------------------------- real hierarchies


@pytest.fixture(scope="module")
def aus_case():
    df = datasets.load_aus_retail()
    df = df[df["Month"] >= "2010-01-01"]
    spec = HierarchySpec.from_table(df, ["State", "Industry"], [["State"], ["Industry"]], "Month", "Turnover")
    return spec, *_case(spec, df, season=12)


@pytest.fixture(scope="module")
def walmart_case():
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart()
    spec = HierarchySpec.from_table(df, ["Store", "Dept"], ["Store", "Dept"], "Date", "Weekly_Sales")
    return spec, *_case(spec, df, season=52)


def _case(spec: HierarchySpec, df: pd.DataFrame, season: int, h: int = 6):
    """Seasonal naive base forecasts of every node, made incoherent (0 for an absent series),
    and its in-sample residuals."""
    history = spec.pivot(spec.aggregate(df), spec.target)[0]
    base = np.nan_to_num(history[:, -season:][:, :h]) * 1.01 + np.arange(spec.n_nodes)[:, None] % 7
    residuals = history[:, season:] - history[:, :-season]
    return history, base, residuals


def test_aus_retail_levels():
    df = datasets.load_aus_retail()
    spec = HierarchySpec.from_table(df, ["State", "Industry"], [["State"], ["Industry"]], "Month", "Turnover")
    assert spec.level_sizes() == {"total": 1, "State": 8, "Industry": 20, "State/Industry": 152}
    assert spec.n_nodes == 181 and not spec.nested


@pytest.mark.parametrize("case", ["aus_case", "walmart_case"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_is_coherent_at_every_level(case, method, request):
    spec, history, base, residuals = request.getfixturevalue(case)
    level = spec.levels[1] if method == "middle_out" else None
    residuals = residuals if method in ("wls_var", "mint_shrink") else None
    rec = reconcile(base, spec, method, residuals=residuals, level=level, history=history)
    assert rec.shape == base.shape and np.isfinite(rec).all()
    bottom = rec[spec.n_aggregates:]
    for rows in spec.membership:  # every level: each node equals the sum of its bottom series
        sums = np.zeros((spec.n_nodes, rec.shape[1]))
        np.add.at(sums, rows, bottom)
        nodes = np.unique(rows)
        np.testing.assert_allclose(rec[nodes], sums[nodes], rtol=1e-6, atol=1e-9 * np.abs(rec).max())
    if method == "bottom_up":
        np.testing.assert_allclose(bottom, base[spec.n_aggregates:])
    if method in ("top_down", "middle_out"):  # the level split down keeps its base forecasts
        kept = np.unique(spec.membership[1 if level else 0])
        busy = (spec.S[kept] @ np.nan_to_num(history[spec.n_aggregates:])).sum(axis=1) > 0
        np.testing.assert_allclose(rec[kept[busy]], base[kept[busy]], rtol=1e-9)


def test_forecast_proportions_need_a_nested_hierarchy(aus_case, walmart_case):
    spec, history, base, _ = aus_case
    with pytest.raises(ValueError, match="nested"):
        reconcile(base, spec, "top_down", proportions="forecast_proportions")
    spec, history, base, _ = walmart_case
    base = np.abs(base) + 1
    for method in ("top_down", "middle_out"):
        rec = reconcile(base, spec, method, level="Store", proportions="forecast_proportions")
        assert coherence_error(rec, spec) < 1e-6
    rec = reconcile(base, spec, "top_down", proportions="forecast_proportions")
    np.testing.assert_allclose(rec[0], base[0])
    stores = spec.membership[1]
    share = base[spec.n_aggregates:] / (spec.S[stores] @ base[spec.n_aggregates:])
    np.testing.assert_allclose(rec[spec.n_aggregates:], share * rec[stores], rtol=1e-9)


@pytest.mark.parametrize("case", ["aus_case", "walmart_case"])
@pytest.mark.parametrize("method", ["bottom_up", "mint_shrink", "top_down"])
def test_quantiles_never_cross_at_any_level(case, method, request):
    spec, history, base, residuals = request.getfixturevalue(case)
    rec = Reconciler(method).fit(spec, residuals, history)
    qs = rec.sample_quantiles(base, [0.9, 0.1, 0.5, 0.05, 0.95], n_samples=200)
    assert list(qs) == [0.05, 0.1, 0.5, 0.9, 0.95]
    stacked = np.stack(list(qs.values()))
    assert np.isfinite(stacked).all()
    assert (np.diff(stacked, axis=0) >= 0).all()  # every node, step: q05 <= q10 <= ... <= q95
    width = stacked[-1] - stacked[0]
    assert (width[spec.n_aggregates:] > 0).any()


def test_reconcile_forecasts_on_a_predict_table(aus_case):
    spec, history, base, residuals = aus_case
    times = pd.date_range("2019-01-01", periods=base.shape[1], freq="MS", name="Month")
    fc = spec.unpivot({"forecast": base}, pd.Index(times)).drop(columns="level")
    fc["q0.1"], fc["q0.9"] = fc["forecast"] - 5.0, fc["forecast"] + 5.0
    fc = fc.sample(frac=1, random_state=0)
    fitted = Reconciler("mint_shrink").fit(spec, residuals)
    out = reconcile_forecasts(fc, spec, fitted, n_samples=200)
    assert list(out.columns) == list(fc.columns) and (out.index == fc.index).all()
    assert coherence_error(spec.pivot(out, "forecast")[0], spec) < 1e-6
    assert (out["q0.1"] < out["q0.9"]).all()
    assert spec.select(out, ["State"])["State"].notna().all()


def test_reconcile_forecasts_counts_a_missing_bottom_forecast_as_zero(aus_case):
    spec, history, base, residuals = aus_case
    times = pd.Index(pd.date_range("2019-01-01", periods=base.shape[1], freq="MS"), name="Month")
    fc = spec.unpivot({"forecast": base}, times).drop(columns="level")
    gone = fc["node"] == spec.nodes["node"].iloc[-1]
    out = reconcile_forecasts(fc[~gone], spec, "bottom_up")
    matrix = spec.pivot(out, "forecast")[0]
    np.testing.assert_allclose(matrix[0], base[spec.n_aggregates:-1].sum(axis=0))


def test_residual_matrix_and_future_tables(aus_case):
    spec, history, base, residuals = aus_case
    df = datasets.load_aus_retail()
    df = df[df["Month"] >= "2017-01-01"]
    backtest = spec.aggregate(df).rename(columns={"Turnover": "actual"})
    backtest["forecast"] = backtest["actual"] - 1.0
    backtest["cutoff"] = backtest["Month"].dt.year
    backtest["step"] = backtest["Month"].dt.month
    R = residual_matrix(backtest, spec)
    assert R.shape == (spec.n_nodes, 24) and np.nanmax(np.abs(R - 1.0)) < 1e-9
    assert np.isnan(R).all(axis=1).sum() == 4  # the discontinued Queensland and Tasmania series
    future = spec.aggregate(df.drop(columns="Turnover").assign(promo=True))
    assert list(future.columns) == ["node", "level", "Month", "promo"] and future["promo"].all()


def test_reconcile_forecasts_by_cutoff(aus_case):
    spec, history, base, residuals = aus_case
    parts = []
    for k, start in enumerate(["2018-01-01", "2018-04-01"]):
        times = pd.Index(pd.date_range(start, periods=base.shape[1], freq="MS"), name="Month")
        parts.append(spec.unpivot({"forecast": base + k}, times).assign(cutoff=k))
    frame = pd.concat(parts, ignore_index=True).drop(columns="level")
    out = reconcile_forecasts(frame, spec, "wls_struct", by="cutoff")
    assert (out.index == frame.index).all()
    for _, part in out.groupby("cutoff"):
        assert coherence_error(spec.pivot(part, "forecast")[0], spec) < 1e-6
