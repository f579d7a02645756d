"""Empirical coverage of the default forecaster's 80 % interval (q0.1-q0.9) on data not used
for calibration, and its 95 % interval on M4 Hourly next to the published M4 interval results.

At each cutoff a fresh ``Forecaster(learners="auto", quantiles=[0.1, 0.9])`` is fitted on the
data up to it (its quantiles are calibrated on its own validation folds inside that data) and
forecasts the horizon after it; coverage is the share of actuals after the cutoff inside
[q0.1, q0.9]. Also: the mean scaled pinball loss (by the series' in-sample seasonal-naive
MAE), MSIS (M4's mean scaled interval score, same scale), the median relative width of the
band, the share of forecasts inside their own band and the quantile method each fit chose
(:mod:`tsauto.forecasting.intervals`). Target: 75-85 %.

Data: Australian retail (30 series, the last year held out), Walmart (40 complete store x
department series, 2 cutoffs 8 weeks apart), ETTh1 ``OT`` (one hourly series, the last 2,000
hours, 4 daily cutoffs), M4 Hourly (40 series, the official 48-step test) and, with
``quantiles=[0.025, 0.975]``, all 414 M4 Hourly series: MSIS and ACD (|coverage - 95 %|) next
to those published for the competition's benchmarks and submissions (``../shared/datasets/
forecasting/m4/m4_published_interval_accuracy_by_frequency.csv``).

Run from the repository root::

    .venv/bin/python benchmarks/bench_intervals.py            # writes RESULTS.md
    .venv/bin/python benchmarks/bench_intervals.py --quick    # smoke run, prints only
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import markdown, write_section

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tsauto import Forecaster, datasets
from tsauto.forecasting.metrics import interval_score_terms

log = logging.getLogger("bench_intervals")
SECTION = "bench_intervals"
LEVELS = (0.1, 0.9)
M4_LEVELS = (0.025, 0.975)  # the M4 competition's 95 % interval
PUBLISHED = "forecasting/m4/m4_published_interval_accuracy_by_frequency.csv"
DATA = Path(os.environ.get("TSAUTO_DATA") or ROOT.parent / "shared" / "datasets")


@dataclass
class Case:
    """One data set: its table, the Forecaster columns, horizon, season and cutoffs (rows of
    each series kept for training, counted from the end)."""

    name: str
    frame: pd.DataFrame
    columns: dict
    horizon: int
    season: int
    holdouts: tuple[int, ...]
    levels: tuple[float, float] = LEVELS


def cases(quick: bool) -> Iterator[Case]:
    rng = np.random.default_rng(0)
    aus = datasets.load_aus_retail().drop(columns="Series ID")
    aus["key"] = aus["State"] + "/" + aus["Industry"]
    keep = rng.choice(aus["key"].unique(), 8 if quick else 30, replace=False)
    aus = aus[aus["key"].isin(keep) & (aus["Month"] >= "2004-01-01")].drop(columns="key")
    yield Case("Australian retail", aus, {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"]},
               12, 12, (12,))
    ett = DATA / "forecasting" / "other" / "ETTh1.csv.gz"
    if ett.exists():
        frame = pd.read_csv(ett, usecols=["date", "OT"], parse_dates=["date"]).tail(2000)
        yield Case("ETTh1 OT (1 series)", frame, {"target": "OT", "time": "date"}, 24, 24,
                   (24,) if quick else (96, 72, 48, 24))
    else:
        log.warning("no %s: ETTh1 left out", ett)
    train, test = datasets.load_m4("hourly")
    ids = rng.choice(train["unique_id"].unique(), 8 if quick else 40, replace=False)
    m4 = pd.concat([train, test])
    m4 = m4[m4["unique_id"].isin(ids)].sort_values(["unique_id", "t"])
    yield Case("M4 Hourly", m4, {"target": "y", "time": "t", "ids": "unique_id"}, 48, 24, (48,))
    walmart = datasets.load_walmart()[["Store", "Dept", "Date", "Weekly_Sales"]]
    sizes = walmart.groupby(["Store", "Dept"]).size()
    complete = sizes[sizes == sizes.max()].index
    chosen = complete[rng.choice(len(complete), 8 if quick else 40, replace=False)]
    walmart = walmart.set_index(["Store", "Dept"]).loc[chosen].reset_index()
    yield Case("Walmart", walmart, {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"]},
               8, 52, (8,) if quick else (16, 8))
    every = m4 if quick else pd.concat([train, test]).sort_values(["unique_id", "t"])
    yield Case(f"M4 Hourly, {'8' if quick else 'all 414'} (95 %)", every,
               {"target": "y", "time": "t", "ids": "unique_id"}, 48, 24, (48,), M4_LEVELS)


def evaluate(case: Case, holdout: int) -> dict:
    """Fit on all but the last ``holdout`` rows of every series; score the next horizon."""
    ids = case.columns.get("ids") or []
    ids = [ids] if isinstance(ids, str) else list(ids)
    time_col, target = case.columns["time"], case.columns["target"]
    n = len(case.frame)
    position = case.frame.groupby(ids, sort=False).cumcount(ascending=False) if ids else np.arange(n)[::-1]
    train = case.frame[position >= holdout]
    test = case.frame[(position < holdout) & (position >= holdout - case.horizon)]
    t0 = time.perf_counter()
    fc = Forecaster(**case.columns, horizon=case.horizon, quantiles=list(case.levels)).fit(train)
    out = fc.predict()
    seconds = time.perf_counter() - t0
    merged = out.merge(test, on=[*ids, time_col])
    columns = (target, *(f"q{q:g}" for q in case.levels), "forecast")
    y, lo, hi, mean = (merged[c].to_numpy(float) for c in columns)
    scale = _naive_mae(train, ids, target, case.season)
    scale = merged.merge(scale, on=ids)["scale"].to_numpy() if ids else float(scale["scale"].iloc[0])
    pinball = np.mean([np.maximum(q * (y - v), (q - 1) * (y - v)) / scale for q, v in zip(case.levels, (lo, hi))])
    alpha = 1.0 - (case.levels[1] - case.levels[0])
    score = interval_score_terms(y, lo, hi, alpha) / scale
    # M4: MSIS per series, then the mean over series
    series = merged[ids].astype(str).agg("/".join, axis=1) if ids else pd.Series(0, index=merged.index)
    return {
        "cells": len(merged),
        "inside": int(((y >= lo) & (y <= hi)).sum()),
        "pinball": pinball,
        "msis": float(pd.Series(score).groupby(series.to_numpy()).mean().mean()),
        "width": float(np.median((hi - lo) / np.abs(mean))),
        "bracketed": float(((lo <= mean) & (mean <= hi)).mean()),
        "method": "—" if fc.intervals_ is None else fc.intervals_.method,
        "model": fc.model_.describe(),
        "seconds": seconds,
    }


def _naive_mae(train: pd.DataFrame, ids: list[str], target: str, season: int) -> pd.DataFrame:
    """In-sample seasonal-naive MAE per series (the MASE scale): ids and ``scale``."""
    if not ids:
        y = train[target].to_numpy(float)
        return pd.DataFrame({"scale": [np.mean(np.abs(y[season:] - y[:-season]))]})
    diff = train[target] - train.groupby(ids, sort=False)[target].shift(season)
    return diff.abs().groupby([train[c] for c in ids], sort=False).mean().rename("scale").reset_index()


def published_m4_hourly(table: pd.DataFrame) -> str:
    """tsauto's 95 % MSIS and ACD on all of M4 Hourly next to the published ones."""
    path = DATA / PUBLISHED
    ours = table[table["interval"] == "95%"]
    if ours.empty or not path.exists():
        return ""
    pub = pd.read_csv(path)
    pub = pub[pub["frequency"] == "Hourly"].pivot(index="method", columns="metric", values="value")
    named = pub.loc[[m for m in ("Naive", "ETS", "ARIMA") if m in pub.index]]
    submitted = pub.drop(index=named.index)
    best, median = submitted["MSIS"].idxmin(), submitted["MSIS"].median()
    row = ours.iloc[0]
    lines = [
        ("tsauto default, `quantiles=[0.025, 0.975]`", row["msis"], abs(row["coverage"] - 0.95)),
        *((f"M4 benchmark {m}", v["MSIS"], v["ACD"]) for m, v in named.iterrows()),
        (f"best M4 submission (id {best})", submitted.loc[best, "MSIS"], submitted.loc[best, "ACD"]),
        (f"median of the {len(submitted)} M4 submissions with intervals", median, submitted["ACD"].median()),
    ]
    frame = pd.DataFrame(lines, columns=["method", "MSIS", "ACD"])
    return (
        "\nM4 Hourly, all 414 series, 95 % interval on the official test (published values from "
        f"`{PUBLISHED}`; ACD = |coverage - 0.95|):\n\n" + markdown(frame)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few series, one cutoff; print only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("tsauto.forecasting.search", "tsauto.core", "tsauto.forecasting.backtest"):
        logging.getLogger(name).setLevel(logging.WARNING)
    start, load = time.perf_counter(), os.getloadavg()[0]
    rows = []
    for case in cases(args.quick):
        runs = []
        for holdout in case.holdouts:
            r = evaluate(case, holdout)
            log.info("%s, holdout %d: %s", case.name, holdout, r)
            runs.append(r)
        cells = sum(r["cells"] for r in runs)
        rows.append({
            "data": case.name,
            "interval": f"{case.levels[1] - case.levels[0]:.0%}",
            "cutoffs": len(runs),
            "cells": cells,
            "coverage": sum(r["inside"] for r in runs) / cells,
            "pinball": sum(r["pinball"] * r["cells"] for r in runs) / cells,
            "msis": sum(r["msis"] * r["cells"] for r in runs) / cells,
            "width": np.median([r["width"] for r in runs]),
            "bracketed": sum(r["bracketed"] * r["cells"] for r in runs) / cells,
            "methods": ", ".join(r["method"] for r in runs),
            "models": " | ".join(dict.fromkeys(r["model"] for r in runs)),
            "fit s": sum(r["seconds"] for r in runs),
        })
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(published_m4_hourly(table))
    if args.quick:
        return
    text = (
        "## Interval coverage and MSIS (bench_intervals)\n\n"
        f"{dt.date.today()}, {time.perf_counter() - start:.0f}s on {os.cpu_count()} cores shared with other "
        f"work (load average {load:.1f} at the start). Default `Forecaster(quantiles=[0.1, 0.9])` "
        "(on the last row `[0.025, 0.975]`) refitted at each cutoff on the data before it; coverage of [q0.1, q0.9] on the horizon after "
        "it (target 75-85 %); pinball: mean over both levels, scaled by the in-sample seasonal-naive "
        "MAE; width: median (q0.9 - q0.1) / |forecast|; bracketed: forecasts inside their own band; "
        "method: the quantile method each fit chose; msis: M4's mean scaled interval score of the "
        "interval (mean over series; per cutoff, weighted by cells).\n\n"
        + markdown(table)
        + published_m4_hourly(table)
    )
    write_section(SECTION, text)


if __name__ == "__main__":
    main()
