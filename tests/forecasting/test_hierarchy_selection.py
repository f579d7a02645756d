"""``reconcile="auto"``: the rule (of the candidates no worse than base at every aggregate level
and within 2 % at the bottom, the lowest mean over levels; else the lowest of all) applied to
an independently recomputed validation score (cross-fitted residuals, MASE per node and
cutoff, mean per level) and to constructed score tables; the forecasts stay coherent,
explicit methods still work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.hierarchy import (
    Reconciler,
    coherence_error,
    reconcile_forecasts,
    residual_matrix,
)
from tsauto.forecasting.hierarchy.selection import (
    AUTO_CANDIDATES,
    BASE,
    choose_reconciler,
    pick,
)

AUS = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 6,
       "hierarchy": [["State"], ["Industry"]], "learners": ["seasonal_naive", "theta"]}
WALMART = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"], "horizon": 8,
           "hierarchy": ["Store", "Dept"], "learners": ["seasonal_naive", "theta"]}


@pytest.fixture(scope="module")
def aus_fit(aus_small):
    return Forecaster(**AUS).fit(aus_small[aus_small["Month"] >= "2008-01-01"])


@pytest.fixture(scope="module")
def walmart_fit(walmart_small):
    return Forecaster(**WALMART).fit(walmart_small.drop(columns="IsHoliday"))


def _recomputed(fc: Forecaster, method: str) -> pd.Series:
    """Mean MASE per level of ``method`` on the validation folds, written out with pandas:
    residuals of the other cutoffs, scale = in-sample mean |y_t - y_{t-m}| to the cutoff."""
    spec, base = fc.hierarchy_.spec, fc.hierarchy_.base
    season, node, time = base.task_.season, spec.node_column, spec.time
    validation = base.validation_
    history = base.history_.to_frame()[[node, time, spec.target]]
    rows = []
    for cutoff, part in validation.groupby("cutoff"):
        residuals = residual_matrix(validation[validation["cutoff"] != cutoff], spec)
        rec = part if method == "base" else reconcile_forecasts(
            part[[node, time, "cutoff", "step", "actual", "forecast"]], spec,
            Reconciler(method).fit(spec, residuals=residuals))
        past = history[history[time] <= cutoff].sort_values(time)
        scale = past.groupby(node)[spec.target].apply(lambda y: y.diff(season).abs().mean())
        mae = (rec["actual"] - rec["forecast"]).abs().groupby(rec[node]).mean()
        rows.append(mae / scale.reindex(mae.index))
    per_node = pd.concat(rows, axis=1)
    levels = spec.nodes.set_index(node)[spec.level_column].reindex(per_node.index)
    stacked = per_node.stack().to_frame("mase").join(levels.rename("level"), on=node)
    return stacked.groupby("level")["mase"].mean().reindex(spec.levels)


@pytest.mark.parametrize("case", ["aus_fit", "walmart_fit"])
def test_auto_applies_the_rule_to_the_recomputed_scores(case, request) -> None:
    fc = request.getfixturevalue(case)
    spec = fc.hierarchy_.spec
    scores = fc.reconcile_scores_.set_index("method")
    assert list(scores.index) == ["base", *AUTO_CANDIDATES]
    base = _recomputed(fc, "base")
    limit = base * np.where(np.arange(len(base)) == len(base) - 1, 1.02, 1.0)  # the bottom: within 2 %
    mean, ok = {}, {}
    for method in AUTO_CANDIDATES:
        per_level = _recomputed(fc, method)
        np.testing.assert_allclose(scores.loc[method, spec.levels].to_numpy(float), per_level.to_numpy(), rtol=1e-9)
        mean[method] = per_level.mean()  # each level weighs the same
        ok[method] = bool((per_level <= limit).all())
    pool = [m for m in AUTO_CANDIDATES if ok[m]] or list(AUTO_CANDIDATES)
    chosen = min(pool, key=mean.get)
    assert scores["no_worse"].drop("base").to_dict() == ok
    assert fc.hierarchy_.reconciler.method == chosen
    assert scores.loc[chosen, "chosen"] and scores["chosen"].sum() == 1
    np.testing.assert_allclose(scores.loc[chosen, "score"], mean[chosen], rtol=1e-9)
    assert any(n.startswith(f"reconcile: {chosen},") for n in fc.plan_.notes)


@pytest.mark.parametrize("case", ["aus_fit", "walmart_fit"])
def test_auto_forecasts_are_coherent_at_every_level(case, request) -> None:
    fc = request.getfixturevalue(case)
    spec = fc.hierarchy_.spec
    every = fc.predict(level="all")
    assert len(every) == spec.n_nodes * fc.horizon
    values = spec.pivot(every, "forecast")[0]
    assert np.isfinite(values).all()
    assert coherence_error(values, spec) < 1e-6


def test_explicit_method_kept_and_unknown_refused(walmart_small) -> None:
    data = walmart_small.drop(columns="IsHoliday")
    fc = Forecaster(**{**WALMART, "learners": ["seasonal_naive"]}, reconcile="bottom_up").fit(data)
    assert fc.hierarchy_.reconciler.method == "bottom_up" and fc.reconcile_scores_ is None
    with pytest.raises(DataValidationError, match="reconcile='mint'"):
        Forecaster(**WALMART, reconcile="mint").fit(data)


def test_auto_without_validation_folds_falls_back_to_wls_struct(walmart_small) -> None:
    data = walmart_small.drop(columns="IsHoliday")
    fc = Forecaster(**{**WALMART, "learners": ["seasonal_naive"]}).fit(data)  # one learner: no folds
    assert fc.hierarchy_.reconciler.method == "wls_struct" and fc.reconcile_scores_ is None
    assert "reconcile: wls_struct (no validation folds to choose on)" in fc.plan_.notes


def test_report_shows_the_validation_scores(walmart_fit, tmp_path) -> None:
    from tsauto.forecasting.report import render

    page = render(walmart_fit)
    assert '<section id="reconciliation">' in page
    assert page.count("<tr") - page.split('<section id="reconciliation">')[0].count("<tr") >= 7


def _scores(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """A validation score table (as ReconcileChoice.scores) from MASE per level: total, State, bottom."""
    levels = ["total", "State", "State/Industry"]
    frame = pd.DataFrame([{"method": m, **dict(zip(levels, v, strict=True))} for m, v in rows.items()])
    return frame.assign(score=frame[levels].mean(axis=1))


def test_pick_prefers_a_candidate_no_worse_than_base_at_every_level() -> None:
    rows = {
        BASE: (0.50, 0.60, 0.700),
        "ols": (0.60, 0.70, 0.650),  # worse at both aggregate levels
        "wls_var": (0.48, 0.60, 0.710),  # no worse: the bottom 1.4 % worse is allowed
        "mint_shrink": (0.40, 0.61, 0.700),  # the lowest mean over levels, but worse at State
    }
    assert pick(_scores(rows)) == "wls_var"
    assert pick(_scores(rows | {"wls_var": (0.48, 0.60, 0.7139)})) == "wls_var"  # within 2 % at the bottom
    assert pick(_scores(rows | {"wls_var": (0.48, 0.60, 0.7141)})) == "mint_shrink"  # none no worse: lowest mean
    assert pick(_scores(rows | {"bottom_up": (0.48, 0.60, 0.710)})) == "wls_var"  # ties: the earlier candidate
    assert pick(_scores(rows | {"ols": (0.50, 0.58, 0.700)})) == "ols"  # equal to base counts as no worse
    assert pick(_scores({BASE: (0.5, 0.6, 0.7), "mint_shrink": (np.nan,) * 3})) is None


def test_split_candidates_scored_on_the_validation_folds(aus_fit) -> None:
    """top_down and middle_out (named "middle_out:<level>") keep the base forecasts of the
    level they split: their validation MASE there equals base's."""
    base, spec = aus_fit.hierarchy_.base, aus_fit.hierarchy_.spec
    seen, times = spec.pivot(base.history_.to_frame(), spec.target)
    names = ("bottom_up", "top_down", "middle_out:State")
    scores = choose_reconciler(base.validation_, spec, seen, times, base.task_.season, names).scores
    scores = scores.set_index("method")
    assert list(scores.index) == [BASE, *names]
    assert np.isfinite(scores[list(spec.levels)].to_numpy(float)).all()
    assert scores.loc["top_down", "total"] == pytest.approx(scores.loc[BASE, "total"], rel=1e-9)
    assert scores.loc["middle_out:State", "State"] == pytest.approx(scores.loc[BASE, "State"], rel=1e-9)
    assert scores.loc["middle_out:State", "total"] != pytest.approx(scores.loc[BASE, "total"], rel=1e-6)
