"""Hierarchical reconciliation: tsauto vs statsforecast + hierarchicalforecast, MASE per level.

Data sets (bundled / ../shared/datasets):

* Australian retail turnover, ``State x Industry`` crossed (state totals, industry totals, grand
  total), monthly, from 2008; the series observed every month from then on (148 of 152: two
  Queensland and two Tasmanian series stop or start inside the window);
* Walmart weekly sales, ``Store -> Dept`` nested with the total, stores ``1..--stores``
  (default 5 of 45, for the time budget), the store-department series observed every week.

Rolling origin: ``--folds`` cutoffs ``h`` apart on the last part of the data (monthly: h=12,
weekly: h=8). At each cutoff, on the rows at or before it:

* tsauto default: ``Forecaster(target, time, ids, horizon, hierarchy=...)`` with its defaults
  (``learners="auto"``: the planner's portfolio, validation folds and ensemble;
  ``reconcile="auto"``: of the reconcilers no worse than base at any level on the validation
  folds (bottom: within 2 %), the one of lowest validation MASE, mean over levels),
  refitted from scratch at every cutoff on the bottom series. Rows: the base forecasts of every
  node (the forecaster of all nodes, unreconciled), bottom-up, ``mint_shrink`` on the
  validation errors (the earlier default), and the default (``reconcile="auto"``) with the
  method it chose at each cutoff.
* tsauto ETS (``--ets``, off by default): ``learners=["ets"]`` estimated once, at the first
  cutoff; later cutoffs forecast with those parameters from the longer history; residuals for
  MinT: the one-step errors of the same model from each of the last ``--window`` origins before
  the cutoff. Reconciled with ``bottom_up`` and ``mint_shrink``.
* Nixtla: statsforecast ``AutoETS(season_length=m)`` refitted at every cutoff, with its
  in-sample fitted values; reconciled by hierarchicalforecast's ``BottomUp`` and
  ``MinTrace(method="mint_shrink")`` on the same ``S``. On weekly Walmart, statsforecast's ETS
  kernel does not run seasons longer than 24 (its seasonal candidates with ``m=52`` are
  computed by a kernel that returns at once), while tsauto's ETS takes the 52-week season out
  first (classical decomposition) and fits ETS to the rest.
* Check: tsauto's ``mint_shrink`` on statsforecast's base forecasts and residuals against
  hierarchicalforecast's result (largest relative difference).
* Targets (issue 12): the reconciled default at least as accurate as the base forecasts at every
  aggregate level and within 2 % of them at the bottom; better than Nixtla's pipeline
  (``+ MinTrace shrink``) at every level. Each is checked and printed under its table.

Validation mode (``--validation [K]``, prints only): the rule of ``reconcile="auto"`` is chosen
here, on the training part of the test run (the rows up to its first cutoff; nothing after it
is read). ``K`` cutoffs ``h`` apart (``--every S``: ``S`` steps apart), the last ``h`` before
the end of that part; at each, the facade default is refitted as above, and after the cutoff
are scored: the base forecasts and each reconciler of ``AUTO_CANDIDATES``, ``top_down`` and
``middle_out`` at each middle level (historical average proportions), fitted as the facade
fits its choice (all validation errors, the history to the cutoff); then each rule of ``RULES``
picks a method per cutoff from the validation folds' MASE per level (also printed) and its
picks are scored after the cutoffs against issue 12's target versus base, on the mean over
cutoffs and per cutoff.

MASE: mean absolute error over the horizon divided by the in-sample mean absolute seasonal
difference (season 12 / 52) of the node's training window, averaged over the nodes of a level
(nodes with a zero scale left out), then over cutoffs. Both tools run ``--jobs`` worker
processes (default 2: tsauto ``compute={"n_jobs": 2}``, statsforecast ``n_jobs=2``); BLAS
threads are pinned to 1. ``--folds``, ``--stores`` and ``--sets`` size the run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_hierarchy.py            # full: writes RESULTS.md
    .venv/bin/python benchmarks/bench_hierarchy.py --quick    # smoke run, logs only
    .venv/bin/python benchmarks/bench_hierarchy.py --validation   # rules on the training parts
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import git_commit, write_section

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import the working tree
    sys.path.insert(0, str(ROOT))

from tsauto.forecasting.hierarchy import (
    AUTO_CANDIDATES,
    HierarchySpec,
    Reconciler,
    reconcile,
    reconcile_forecasts,
    residual_matrix,
)
from tsauto.forecasting.hierarchy.selection import (
    BASE,
    BOTTOM_TOLERANCE,
    NOT_LEVELS,
    candidate,
    choose_reconciler,
    lowest,
    pick,
)

log = logging.getLogger("bench_hierarchy")
SECTION = "hierarchy"
DEFAULT = ["tsauto default base", "+ bottom_up", "+ mint_shrink", "+ auto (default)"]
ETS = ["tsauto ETS (fit once)", "+ bottom_up", "+ mint_shrink"]
NIXTLA = ["sf AutoETS", "+ BottomUp", "+ MinTrace shrink"]


@dataclass
class Case:
    """One hierarchy: its spec, the table of every node, and the evaluation set-up."""

    name: str
    spec: HierarchySpec
    nodes: pd.DataFrame
    raw: pd.DataFrame  # the bottom series, as a user passes them
    ids: list[str]
    hierarchy: list
    season: int
    horizon: int
    freq: str
    cutoffs: list[pd.Timestamp]
    note: str


def _complete(df: pd.DataFrame, ids: list[str], time: str) -> pd.DataFrame:
    """Keep the series observed at every time of the table."""
    counts = df.groupby(ids)[time].transform("count")
    return df[counts == df[time].nunique()].reset_index(drop=True)


def _case(name, df, ids, hierarchy, time, target, season, horizon, freq, folds, note, validation=0,
          every=0) -> Case:
    """``folds`` test cutoffs ``horizon`` apart on the last part of ``df``; ``validation`` > 0:
    that many cutoffs on the training part of that test run instead (the rows up to its first
    cutoff), the last one ``horizon`` before its end, ``every`` steps apart (default
    ``horizon``)."""
    step = horizon
    if validation:
        times = np.sort(df[time].unique())
        df = df[df[time] <= times[-1 - horizon * folds]].reset_index(drop=True)
        folds, step = validation, every or horizon
        note = f"{note}; validation: the rows up to {pd.Timestamp(df[time].max()).date()}"
    spec = HierarchySpec.from_table(df, ids, hierarchy, time, target)
    nodes = spec.aggregate(df, covariates=[])
    times = np.sort(nodes[time].unique())
    cutoffs = [pd.Timestamp(times[-1 - horizon - step * k]) for k in range(folds - 1, -1, -1)]
    return Case(name, spec, nodes, df, ids, hierarchy, season, horizon, freq, cutoffs, note)


def aus_case(folds: int, quick: bool, validation: int = 0, every: int = 0) -> Case:
    from tsauto.datasets import load_aus_retail

    df = load_aus_retail().drop(columns="Series ID")
    df = _complete(df[df["Month"] >= "2008-01-01"], ["State", "Industry"], "Month")
    if quick:  # two states, four industries
        df = df[df["State"].isin(sorted(df["State"].unique())[:2])]
        df = df[df["Industry"].isin(sorted(df["Industry"].unique())[:4])]
    n = df.groupby(["State", "Industry"]).ngroups
    note = f"State x Industry, monthly 2008-01..2018-12, {n} series observed every month"
    return _case("Australian retail", df, ["State", "Industry"], [["State"], ["Industry"]],
                 "Month", "Turnover", 12, 12, "MS", folds, note, validation, every)


def walmart_case(folds: int, stores: int, validation: int = 0, every: int = 0) -> Case:
    from tsauto.datasets import load_walmart

    df = load_walmart()
    df = _complete(df[df["Store"] <= stores].drop(columns="IsHoliday"), ["Store", "Dept"], "Date")
    n = df.groupby(["Store", "Dept"]).ngroups
    note = f"Store -> Dept, weekly, stores 1-{stores} of 45, {n} series observed every week"
    return _case("Walmart", df, ["Store", "Dept"], ["Store", "Dept"], "Date", "Weekly_Sales",
                 52, 8, "W-FRI", folds, note, validation, every)


# ------------------------------------------------------------------------------ tools


def run_default(case: Case, n_jobs: int, learners="auto", candidates: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """tsauto's facade default refitted at every cutoff: base, bottom-up, mint_shrink and the
    default's reconciled forecasts of every node; the method chosen and its validation scores.
    (``learners``: the default's, ``"auto"``; tests pass cheaper ones.) ``candidates``: more
    reconcilers (``"top_down"``, ``"middle_out:<level>"``) to score, with ``AUTO_CANDIDATES``,
    on the validation folds (``"val"``: the score table of :func:`choose_reconciler`) and after
    the cutoff (``"held"``: each reconciler fitted as the facade fits its choice)."""
    from tsauto import Forecaster

    spec, time_col = case.spec, case.spec.time
    order = spec.nodes[spec.node_column].tolist()
    out, timing = {}, {"fit": 0.0}
    for cutoff in case.cutoffs:
        train = case.raw[case.raw[time_col] <= cutoff]
        model = Forecaster(target=spec.target, time=time_col, ids=case.ids, horizon=case.horizon,
                           hierarchy=case.hierarchy, learners=learners, compute={"n_jobs": n_jobs})
        t0 = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - t0
        timing["fit"] += seconds
        fitted = model.hierarchy_
        if fitted.spec.nodes[spec.node_column].tolist() != order:
            raise RuntimeError(f"{case.name}: the forecaster's nodes differ from the benchmark's at {cutoff}")
        base = fitted.base.predict()
        residuals = residual_matrix(fitted.base.validation_, spec)
        mint = Reconciler("mint_shrink").fit(spec, residuals=residuals)
        matrix = lambda frame: spec.pivot(frame, "forecast")[0]
        out[cutoff] = {
            "base": matrix(base),
            "bu": matrix(reconcile_forecasts(base, spec, "bottom_up")),
            "mint": matrix(reconcile_forecasts(base, spec, mint)),
            "auto": matrix(model.predict(level="all")),
            "method": fitted.reconciler.method if fitted.choice is None else fitted.choice.method,
            "scores": model.reconcile_scores_,
            "model": model.model_.describe(),
            "folds": next((n for n in model.plan_.notes if "validation fold" in n), ""),
            "seconds": seconds,
        }
        if candidates:
            names = (*AUTO_CANDIDATES, *candidates)
            seen, times = spec.pivot(fitted.base.history_.to_frame(), spec.target)
            out[cutoff]["val"] = choose_reconciler(fitted.base.validation_, spec, seen, times,
                                                   fitted.base.task_.season, names).scores
            out[cutoff]["held"] = {BASE: out[cutoff]["base"]} | {
                name: matrix(reconcile_forecasts(base, spec, candidate(name).fit(spec, residuals, seen)))
                for name in names}
        log.info("%s default at %s: %.0fs, %s, reconciled by %s", case.name, cutoff.date(), seconds,
                 out[cutoff]["model"], out[cutoff]["method"])
    return out, timing


def run_ets(case: Case, window: int, n_jobs: int) -> tuple[dict, dict]:
    """Base forecasts and one-step residuals per cutoff; times."""
    from tsauto import Forecaster

    spec, time_col = case.spec, case.spec.time
    table = case.nodes.drop(columns=spec.level_column)
    times = np.sort(table[time_col].unique())
    actual = spec.pivot(table, spec.target)[0]
    model = Forecaster(target=spec.target, time=time_col, ids=spec.node_column, horizon=case.horizon,
                       learners=["ets"], compute={"n_jobs": n_jobs})
    t0 = time.perf_counter()
    model.fit(table[table[time_col] <= case.cutoffs[0]])
    timing = {"fit": time.perf_counter() - t0}
    t0 = time.perf_counter()
    first = int(np.searchsorted(times, case.cutoffs[0])) - window
    last = int(np.searchsorted(times, case.cutoffs[-1]))
    one_step = np.full((spec.n_nodes, len(times)), np.nan)  # [:, t]: forecast of t from t - 1
    out = {}
    for origin in range(first, last + 1):
        fc = model.predict(history=table[table[time_col] <= times[origin]])
        matrix = spec.pivot(fc, "forecast")[0]
        one_step[:, origin + 1] = matrix[:, 0]
        if pd.Timestamp(times[origin]) in case.cutoffs:
            out[pd.Timestamp(times[origin])] = {"base": matrix}
    for cutoff, res in out.items():
        end = int(np.searchsorted(times, cutoff)) + 1
        res["residuals"] = (actual - one_step)[:, end - window:end]
    timing["predict"] = time.perf_counter() - t0
    return out, timing


def run_nixtla(case: Case, n_jobs: int) -> tuple[dict, dict]:
    """statsforecast AutoETS + hierarchicalforecast BottomUp / MinTrace(mint_shrink) per cutoff."""
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    spec = case.spec
    table = case.nodes.rename(columns={spec.node_column: "unique_id", spec.time: "ds", spec.target: "y"})
    bottom_ids = spec.nodes[spec.node_column].iloc[spec.n_aggregates:].to_numpy()
    S_df = pd.DataFrame(spec.S.toarray(), columns=bottom_ids)
    S_df.insert(0, "unique_id", spec.nodes[spec.node_column].to_numpy())
    tags = {lvl: spec.nodes.loc[spec.nodes[spec.level_column] == lvl, spec.node_column].to_numpy()
            for lvl in spec.levels}
    timing = {"fit": 0.0, "reconcile": 0.0, "tsauto reconcile": 0.0}
    out = {}
    for cutoff in case.cutoffs:
        train = table.loc[table["ds"] <= cutoff, ["unique_id", "ds", "y"]]
        sf = StatsForecast(models=[AutoETS(season_length=case.season)], freq=case.freq, n_jobs=n_jobs)
        t0 = time.perf_counter()
        fc = sf.forecast(df=train, h=case.horizon, fitted=True)
        fitted = sf.forecast_fitted_values()
        timing["fit"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        hrec = HierarchicalReconciliation(reconcilers=[BottomUp(), MinTrace(method="mint_shrink")])
        rec = hrec.reconcile(Y_hat_df=fc, Y_df=fitted, S_df=S_df, tags=tags)
        timing["reconcile"] += time.perf_counter() - t0
        rec = rec.rename(columns={"unique_id": spec.node_column, "ds": spec.time})
        cols = {c: c for c in rec.columns if c.startswith("AutoETS")}
        pivots = {c: spec.pivot(rec, c)[0] for c in cols}
        base = pivots["AutoETS"]
        bu = next(v for c, v in pivots.items() if "BottomUp" in c)
        mint = next(v for c, v in pivots.items() if "MinTrace" in c)
        fitted = fitted.rename(columns={"unique_id": spec.node_column, "ds": spec.time})
        residuals = spec.pivot(fitted.assign(r=fitted["y"] - fitted["AutoETS"]), "r")[0]
        t0 = time.perf_counter()
        ours = reconcile(base, spec, "mint_shrink", residuals=residuals)
        timing["tsauto reconcile"] += time.perf_counter() - t0
        diff = float(np.max(np.abs(ours - mint) / np.maximum(1.0, np.abs(mint))))
        out[cutoff] = {"base": base, "bu": bu, "mint": mint, "check": diff}
    return out, timing


# ------------------------------------------------------------------------------ scoring


def level_mase(case: Case, forecasts: dict[pd.Timestamp, np.ndarray]) -> dict[str, float]:
    """Mean MASE per level over the nodes and then the cutoffs."""
    spec = case.spec
    actual, times = spec.pivot(case.nodes, spec.target)
    times = times.to_numpy()
    codes = spec.level_codes
    per_level = {lvl: [] for lvl in spec.levels}
    for cutoff, forecast in forecasts.items():
        end = int(np.searchsorted(times, cutoff.to_datetime64())) + 1
        train = actual[:, :end]
        scale = np.nanmean(np.abs(train[:, case.season:] - train[:, :-case.season]), axis=1)
        errors = np.abs(actual[:, end:end + case.horizon] - forecast).mean(axis=1)
        mase = np.where(scale > 0, errors / np.where(scale > 0, scale, 1.0), np.nan)
        for i, lvl in enumerate(spec.levels):
            per_level[lvl].append(np.nanmean(mase[codes == i]))
    return {lvl: float(np.mean(v)) for lvl, v in per_level.items()}


def _vs_base(case: Case, scores: dict, base: dict) -> dict[str, bool]:
    """Per level: issue 12's target against base (<= base; at the bottom within 2 %)."""
    bottom = case.spec.levels[-1]
    return {lvl: scores[lvl] <= base[lvl] * (BOTTOM_TOLERANCE if lvl == bottom else 1.0) for lvl in case.spec.levels}


def _targets(case: Case, default: dict, base: dict, nixtla: dict) -> list[str]:
    """Issue 12's targets, each with its numbers."""
    bottom = case.spec.levels[-1]
    met = _vs_base(case, default, base)
    lines = []
    for lvl in case.spec.levels:
        d, b, n = default[lvl], base[lvl], nixtla[lvl]
        rule = "within 2 % of base" if lvl == bottom else "<= base"
        lines.append(
            f"- {lvl}: default {d:.3f} vs base {b:.3f} ({rule}: {'met' if met[lvl] else 'NOT met'}), "
            f"vs Nixtla MinTrace {n:.3f} (better: {'met' if d < n else 'NOT met'})"
        )
    return lines


def run_case(case: Case, window: int, n_jobs: int, ets: bool) -> str:
    log.info("%s: %s; %r; cutoffs %s", case.name, case.note, case.spec, [str(c.date()) for c in case.cutoffs])
    fits, fit_time = run_default(case, n_jobs)
    columns = list(DEFAULT)
    scores = [level_mase(case, {c: r[key] for c, r in fits.items()}) for key in ("base", "bu", "mint", "auto")]
    if ets:
        ts, ts_time = run_ets(case, window, n_jobs)
        log.info("%s tsauto ETS: fit %.1fs, predict/residuals %.1fs", case.name, ts_time["fit"], ts_time["predict"])
        t0 = time.perf_counter()
        ts_bu = {c: reconcile(r["base"], case.spec, "bottom_up") for c, r in ts.items()}
        ts_mint = {c: reconcile(r["base"], case.spec, "mint_shrink", residuals=r["residuals"]) for c, r in ts.items()}
        ts_time["reconcile"] = time.perf_counter() - t0
        columns += ETS
        scores += [level_mase(case, {c: r["base"] for c, r in ts.items()}), level_mase(case, ts_bu),
                   level_mase(case, ts_mint)]
    nx, nx_time = run_nixtla(case, n_jobs)
    log.info("%s nixtla: fit %.1fs, reconcile %.1fs", case.name, nx_time["fit"], nx_time["reconcile"])
    columns += NIXTLA
    scores += [level_mase(case, {c: r[key] for c, r in nx.items()}) for key in ("base", "bu", "mint")]
    sizes = case.spec.level_sizes()
    lines = [
        f"### {case.name}: {case.note}",
        "",
        (f"{case.spec.n_nodes} nodes; h={case.horizon}; cutoffs {', '.join(str(c.date()) for c in case.cutoffs)}. "
        "MASE (lower is better):"),
        "",
        "| level | nodes | " + " | ".join(columns) + " |",
        "|---|---:|" + "---:|" * len(columns),
    ]
    for lvl in case.spec.levels:
        lines.append(f"| {lvl} | {sizes[lvl]} | " + " | ".join(f"{s[lvl]:.3f}" for s in scores) + " |")
    lines += ["", "Targets (reconciled default against base and against Nixtla's MinTrace):", ""]
    lines += _targets(case, scores[3], scores[0], scores[-1])
    lines += ["", ("tsauto default per cutoff (model, validation folds, method chosen by `reconcile=\"auto\"` "
              "and its validation MASE, mean over levels, against the other candidates):"), ""]
    for cutoff, r in fits.items():
        board = r["scores"]
        listed = "none (no validation folds)" if board is None else ", ".join(
            f"{m} {v:.3f}" for m, v in zip(board["method"], board["score"], strict=True))
        lines.append(f"- {cutoff.date()}: {r['model']}; {r['folds']}; fit {r['seconds']:.0f}s; "
                     f"**{r['method']}**; validation: {listed}")
    check = max(r["check"] for r in nx.values())
    timing = [f"tsauto default fit + forecast {fit_time['fit']:.0f}s over {len(case.cutoffs)} cutoffs"]
    if ets:
        timing.append(f"tsauto ETS fit {ts_time['fit']:.0f}s (once) + forecasts and one-step residuals "
                      f"{ts_time['predict']:.0f}s, reconciliation {ts_time['reconcile']:.2f}s")
    timing.append(f"statsforecast AutoETS {nx_time['fit']:.0f}s, hierarchicalforecast reconciliation "
                  f"{nx_time['reconcile']:.2f}s, tsauto mint_shrink on the same inputs {nx_time['tsauto reconcile']:.2f}s")
    lines += [
        "",
        "Time: " + "; ".join(timing) + ". tsauto mint_shrink vs hierarchicalforecast MinTrace(mint_shrink) on "
        f"statsforecast's base forecasts and residuals: largest relative difference {check:.1e}.",
    ]
    text = "\n".join(lines)
    log.info("\n%s", text)
    return text


# ------------------------------------------------------------------------------ validation mode


def _lowest_mean(scores: pd.DataFrame) -> str:
    """The rule before: the lowest mean over levels."""
    return lowest(scores[scores["method"] != BASE])


def _lowest_worst_ratio(scores: pd.DataFrame) -> str:
    """The lowest worst ratio to base over the levels (the bottom's divided by 1.02)."""
    levels = [c for c in scores.columns if c not in NOT_LEVELS]
    base = scores.loc[scores["method"] == BASE, levels].iloc[0].to_numpy(float)
    limit = np.append(base[:-1], base[-1] * BOTTOM_TOLERANCE)
    ranked = scores[(scores["method"] != BASE) & np.isfinite(scores["score"])]
    worst = np.nanmax(ranked[levels].to_numpy(float) / limit, axis=1)
    return str(ranked["method"].iloc[int(np.nanargmin(worst))])


RULES = {
    "lowest mean over levels (before)": _lowest_mean,
    "no worse than base, else lowest mean (`selection.pick`)": pick,
    "lowest worst ratio to base": _lowest_worst_ratio,
}


def run_validation(case: Case, n_jobs: int, learners="auto") -> str:
    """Validation mode: the facade refitted at cutoffs on the training part only; each
    reconciler's MASE per level after the cutoffs, and what each rule of :data:`RULES` would
    have chosen from the validation folds, with and without the splitting methods."""
    spec, levels = case.spec, list(case.spec.levels)
    split = ("top_down", *(f"middle_out:{lvl}" for lvl in levels[1:-1]))
    fits, timing = run_default(case, n_jobs, learners, candidates=split)
    names = [BASE, *AUTO_CANDIDATES, *split]
    held = {n: level_mase(case, {c: r["held"][n] for c, r in fits.items()}) for n in names}
    sizes = spec.level_sizes()
    table = lambda rows: ["| level | nodes | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)] + [
        f"| {lvl} | {sizes.get(lvl, '')} | " + " | ".join(f"{row[n]:.3f}" for n in names) + " |" for lvl, row in rows]
    lines = [
        f"### {case.name}, validation: {case.note}",
        "",
        (f"{spec.n_nodes} nodes; h={case.horizon}; cutoffs {', '.join(str(c.date()) for c in case.cutoffs)}; "
         f"tsauto default fit + forecast {timing['fit']:.0f}s. MASE after the cutoffs (each reconciler fitted "
         "as the facade fits its choice: on all validation errors):"),
        "",
        *table([(lvl, {n: held[n][lvl] for n in names}) for lvl in levels]),
    ]
    for cutoff, r in fits.items():
        val = r["val"].set_index("method")
        lines += ["", f"Validation MASE at {cutoff.date()} ({r['folds']}; what the rules choose on):", ""]
        lines += table([(lvl, val[lvl]) for lvl in [*levels, "score"]])
    pools = {"AUTO_CANDIDATES": AUTO_CANDIDATES, "+ top_down, middle_out": (*AUTO_CANDIDATES, *split)}
    lines += ["", ("Rules (chosen on each cutoff's validation folds; scored after it; target: <= base at every "
                   "aggregate level, within 2 % at the bottom, on the mean over cutoffs and per cutoff):"), "",
              "| rule | candidates | chosen per cutoff | " + " | ".join(levels) + " | levels met | cutoff x level met |",
              "|---|---|---|" + "---:|" * len(levels) + "---:|---:|"]
    for pool_name, pool in pools.items():
        for rule_name, rule in RULES.items():
            picks = {c: rule(r["val"][r["val"]["method"].isin([BASE, *pool])]) for c, r in fits.items()}
            mean = level_mase(case, {c: r["held"][picks[c]] for c, r in fits.items()})
            cells = sum(sum(_vs_base(case, level_mase(case, {c: r["held"][picks[c]]}),
                                     level_mase(case, {c: r["held"][BASE]})).values()) for c, r in fits.items())
            lines.append(
                f"| {rule_name} | {pool_name} | {', '.join(picks.values())} | "
                + " | ".join(f"{mean[lvl]:.3f}" for lvl in levels)
                + f" | {sum(_vs_base(case, mean, held[BASE]).values())}/{len(levels)} | {cells}/{len(levels) * len(fits)} |"
            )
    text = "\n".join(lines)
    log.info("\n%s", text)
    return text


def _import_time(module: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--stores", type=int, default=5, help="Walmart stores 1..N (of 45)")
    parser.add_argument("--window", type=int, default=24, help="--ets: one-step residuals per cutoff")
    parser.add_argument("--ets", action="store_true", help="also the tsauto ETS rows (ETS fitted once)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of each tool")
    parser.add_argument("--sets", nargs="+", choices=["aus", "walmart"], default=["aus", "walmart"])
    parser.add_argument("--quick", action="store_true", help="2 states x 4 industries, 2 stores, 1 fold; writes nothing")
    parser.add_argument("--validation", type=int, nargs="?", const=3, default=0, metavar="K",
                        help="K cutoffs on the training part of the test run (rows up to its first cutoff): "
                        "reconcilers and selection rules; prints only, writes nothing")
    parser.add_argument("--every", type=int, default=0, metavar="S",
                        help="--validation: steps between its cutoffs (default the horizon)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("tsauto").setLevel(logging.WARNING)
    if args.quick:
        args.folds, args.stores = 1, 2
    if args.validation:
        with threadpool_limits(1):
            if "aus" in args.sets:
                run_validation(aus_case(args.folds, args.quick, args.validation, args.every), args.jobs)
            if "walmart" in args.sets:
                run_validation(walmart_case(args.folds, args.stores, args.validation, args.every), args.jobs)
        return
    started, load0 = dt.datetime.now().strftime("%Y-%m-%d %H:%M"), os.getloadavg()[0]
    commit = git_commit()  # the code this run imports
    imports = {m: _import_time(m) for m in ("tsauto.forecasting.hierarchy", "hierarchicalforecast.methods")}
    texts = []
    with threadpool_limits(1):
        if "aus" in args.sets:
            texts.append(run_case(aus_case(args.folds, args.quick), args.window, args.jobs, args.ets))
        if "walmart" in args.sets:
            texts.append(run_case(walmart_case(args.folds, args.stores), args.window, args.jobs, args.ets))
    import hierarchicalforecast
    import statsforecast

    header = (
        f"## Hierarchical forecasting (`bench_hierarchy.py`)\n\n"
        f"Run {started} (commit {commit}), {platform.machine()} {os.cpu_count()} cores, load average "
        f"{load0:.1f} at start / {os.getloadavg()[0]:.1f} at end; statsforecast "
        f"{statsforecast.__version__}, hierarchicalforecast {hierarchicalforecast.__version__} "
        f"(benchmark only). Import time in a fresh process: `tsauto.forecasting.hierarchy` "
        f"{imports['tsauto.forecasting.hierarchy']:.1f}s, `hierarchicalforecast.methods` "
        f"{imports['hierarchicalforecast.methods']:.1f}s. Set-up and protocol: the script's docstring.\n"
    )
    text = header + "\n" + "\n\n".join(texts)
    if args.quick:
        log.info("quick run: RESULTS.md not written")
    else:
        write_section(SECTION, text)
        log.info("wrote the %r section of benchmarks/RESULTS.md", SECTION)


if __name__ == "__main__":
    main()
