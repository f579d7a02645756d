"""Empirical coverage of the default forecaster's 80 % interval (q0.1-q0.9) on data not used
for calibration, and its 95 % interval on M4 Hourly and Weekly next to the published M4 interval results.

At each cutoff a fresh ``Forecaster(learners="auto", quantiles=[0.1, 0.9])`` is fitted on the
data up to it (its quantiles are calibrated on its own validation folds inside that data) and
forecasts the horizon after it; coverage is the share of actuals after the cutoff inside
[q0.1, q0.9]. Also: the mean scaled pinball loss (by the series' in-sample seasonal-naive
MAE), MSIS (M4's mean scaled interval score, same scale), the median relative width of the
band, the share of forecasts inside their own band and the quantile method each fit chose
(:mod:`tsauto.forecasting.intervals`). Target: 75-85 %.

Data: Australian retail (30 series, the last year held out), M1 yearly, quarterly and monthly
(all series, the competition's test part held out), Walmart (40 complete store x department
series, 2 cutoffs 8 weeks apart), ETTh1 ``OT`` (one hourly series, the last 2,000
hours, 4 daily cutoffs), M4 Hourly (40 series, the official 48-step test) and, with
``quantiles=[0.025, 0.975]``, all 414 M4 Hourly and all 359 M4 Weekly series: MSIS and ACD (|coverage - 95 %|) next
to those published for the competition's benchmarks and submissions (``../shared/datasets/
forecasting/m4/m4_published_interval_accuracy_by_frequency.csv``).

``--validation`` compares the ways of making the quantiles instead, on the training parts
only: for each set of the development suite (``bench_suite.py``) and each of the last
``--windows`` windows of h points of its training parts, one default fit on the data before
the window, and its band made by each method of :mod:`tsauto.forecasting.intervals` from the
fit's own out-of-fold errors (native, calibrated, conformal, by_series; the one the fit chose is starred),
scored on the window: coverage and scaled pinball loss. Section ``bench_intervals_validation``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_intervals.py            # writes RESULTS.md
    .venv/bin/python benchmarks/bench_intervals.py --quick    # smoke run, prints only
    .venv/bin/python benchmarks/bench_intervals.py --validation [--windows 3] [--sets m1_yearly,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import git_commit, markdown, write_section

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tsauto import Forecaster, datasets
from tsauto.forecasting import forecaster as forecaster_module
from tsauto.forecasting.intervals import calibrate
from tsauto.forecasting.metrics import interval_score_terms, pinball_terms

log = logging.getLogger("bench_intervals")
SECTION = "bench_intervals"
VALIDATION_SECTION = "bench_intervals_validation"
# the suite's sets of short series, where a fit may have one validation fold, and its daily sets
# (where a held-out tail of user test 46 found the band short: Wikipedia 0.61, M4 Daily 0.64 at 95 %)
VALIDATION_SETS = ("m1_yearly", "m1_quarterly", "m1_monthly", "aus_retail_yearly", "aus_retail_quarterly",
                   "m4_weekly_yearly", "m4_weekly_quarterly", "m4_hourly_daily", "m4_daily", "wikipedia_daily")
METHODS = ("native", "calibrated", "conformal", "by_series")
ONE_FOLD_METHODS = METHODS[:3]  # those the one-fold rule chooses among (never by_series)
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
    for period in ("yearly", "quarterly", "monthly"):
        train, test, _ = datasets.load_m1(period)
        m1 = pd.concat([train, test]).sort_values(["unique_id", "ds"])
        if quick:
            m1 = m1[m1["unique_id"].isin(rng.choice(m1["unique_id"].unique(), 8, replace=False))]
        spec = datasets.M1_INFO[period]
        yield Case(f"M1 {period}", m1, {"target": "y", "time": "ds", "ids": "unique_id"},
                   spec["horizon"], spec["season"], (spec["horizon"],))
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
    # M4 Weekly's 95 % band scored worse than M4's Naive (MSIS 26.7 against 26.4, user test 51)
    train, test = datasets.load_m4("weekly")
    weekly = pd.concat([train, test]).sort_values(["unique_id", "t"])
    if quick:
        weekly = weekly[weekly["unique_id"].isin(rng.choice(train["unique_id"].unique(), 8, replace=False))]
    yield Case(f"M4 Weekly, {'8' if quick else 'all 359'} (95 %)", weekly,
               {"target": "y", "time": "t", "ids": "unique_id"}, 13, 1, (13,), M4_LEVELS)


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
    pinball = _scaled_pinball(y, dict(zip(case.levels, (lo, hi))), scale)
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


def _scaled_pinball(y: np.ndarray, bands: dict[float, np.ndarray], scale) -> float:
    """Pinball loss over the levels of ``bands`` and the cells, each divided by its series'
    ``scale`` (cells of a constant history, without a scale, left out)."""
    scale = np.where(np.asarray(scale, dtype=float) > 0, scale, np.nan)
    return float(np.nanmean([pinball_terms(y, v, q) / scale for q, v in bands.items()]))


def _naive_mae(train: pd.DataFrame, ids: list[str], target: str, season: int) -> pd.DataFrame:
    """In-sample seasonal-naive MAE per series (the MASE scale): ids and ``scale``."""
    if not ids:
        y = train[target].to_numpy(float)
        return pd.DataFrame({"scale": [np.mean(np.abs(y[season:] - y[:-season]))]})
    diff = train[target] - train.groupby(ids, sort=False)[target].shift(season)
    return diff.abs().groupby([train[c] for c in ids], sort=False).mean().rename("scale").reset_index()


def published_m4(table: pd.DataFrame, frequency: str) -> str:
    """tsauto's 95 % MSIS and ACD on all of M4 ``frequency`` (Hourly, Weekly) next to the
    published ones."""
    path = DATA / PUBLISHED
    ours = table[(table["interval"] == "95%") & table["data"].str.startswith(f"M4 {frequency}")]
    if ours.empty or not path.exists():
        return ""
    pub = pd.read_csv(path)
    pub = pub[pub["frequency"] == frequency].pivot(index="method", columns="metric", values="value")
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
        f"\n{ours.iloc[0]['data'].split(' (')[0]} series, 95 % interval on the official test (published values "
        f"from `{PUBLISHED}`; ACD = |coverage - 0.95|):\n\n" + markdown(frame)
    )


@contextmanager
def recorded_calibration() -> Iterator[dict]:
    """The arguments of the fit's :func:`calibrate` call (levels, weighted members' out-of-fold
    results, horizon), so that every method's band is made from the same errors."""
    seen: dict = {}
    real = forecaster_module.calibrate

    def record(levels, members, horizon, method=None):
        seen["args"] = (levels, members, horizon)
        return real(levels, members, horizon, method)

    forecaster_module.calibrate = record
    try:
        yield seen
    finally:
        forecaster_module.calibrate = real


def compare_methods(name: str, window: int) -> dict | None:
    """One default fit before validation window ``window`` (1: the last h points of the
    training parts) of suite set ``name``; every method's coverage and pinball there (None
    where the fit had no validation fold)."""
    import bench_suite

    data = bench_suite.DATASETS[name]()
    frame = data.train.sort_values([*data.ids, data.time])
    back = frame.groupby(data.ids, sort=False).cumcount(ascending=False)
    train = frame[back >= window * data.horizon]
    held = frame[(back < window * data.horizon) & (back >= (window - 1) * data.horizon)]
    # series with no point before the window have no forecast (M1's from year 1: unmergeable times)
    held = held.merge(train[data.ids].drop_duplicates(), on=data.ids)
    if held.empty:  # no series has a point before the window
        log.info("%s window %d: no history before it, left out", name, window)
        return None
    fc = Forecaster(target=data.target, time=data.time, ids=data.ids, horizon=data.horizon,
                    quantiles=list(LEVELS))
    with recorded_calibration() as seen:
        fc.fit(train)
    if fc.intervals_ is None:  # too short for a validation fold: no errors to make a band from
        log.info("%s window %d: no validation fold, left out", name, window)
        return None
    chosen = fc.intervals_.method
    scale = _naive_mae(train, data.ids, data.target, data.season)
    row = {"set": name, "window": window, "folds": fc.plan_.folds, "chosen": chosen}
    for method in METHODS:
        try:
            fc.intervals_ = calibrate(*seen["args"], method=method)
        except ValueError:  # a member without its own quantiles: conformal only
            continue
        merged = fc.predict().merge(held, on=[*data.ids, data.time]).merge(scale, on=data.ids)
        y, lo, hi = (merged[c].to_numpy(float) for c in (data.target, "q0.1", "q0.9"))
        pinball = _scaled_pinball(y, dict(zip(LEVELS, (lo, hi))), merged["scale"].to_numpy(float))
        row[f"{method} coverage"] = float(np.mean((y >= lo) & (y <= hi)))
        row[f"{method} pinball"] = float(pinball)
    return row


def one_fold_summary(table: pd.DataFrame) -> str:
    """The windows whose fit had one fold and native quantiles (where the one-fold rule
    decides): how often calibrated beat native, and every method's mean pinball and coverage."""
    one = table[(table["folds"] == 1) & table["native pinball"].notna()]
    if one.empty:
        return ""
    means = {m: one[f"{m} pinball"].mean() for m in ONE_FOLD_METHODS}
    better = int((one["calibrated pinball"] < one["native pinball"]).sum())
    return (
        f"\nWindows whose fit had one fold and native quantiles: {len(one)}; calibrated "
        f"below native pinball in {better}; mean pinball "
        + " / ".join(f"{m} {v:.4f}" for m, v in means.items())
        + "; mean coverage " + " / ".join(f"{m} {one[f'{m} coverage'].mean():.3f}" for m in ONE_FOLD_METHODS)
        + ".\n"
    )


def chosen_coverage(table: pd.DataFrame) -> str:
    """Per set, the coverage of the band each fit chose: mean over its windows, and the
    lowest and highest window (the spread one held-out window can show)."""
    chosen = [row[f"{row['chosen']} coverage"] for _, row in table.iterrows()]
    per_set = table.assign(coverage=chosen).groupby("set", sort=False)["coverage"].agg(["mean", "min", "max", "size"])
    return "\nCoverage of the chosen band per set, mean over its windows (lowest-highest): " + "; ".join(
        f"{name} {r['mean']:.3f} ({r['min']:.2f}-{r['max']:.2f}, {r['size']:.0f} windows)" for name, r in per_set.iterrows()
    ) + ".\n"


def validation(windows: int, sets: list[str], write: bool) -> None:
    """Every method on the validation windows of ``sets`` (see the module docstring)."""
    start, load = time.perf_counter(), os.getloadavg()[0]
    rows = []
    for name in sets:
        for window in range(1, windows + 1):
            row = compare_methods(name, window)
            if row is not None:
                rows.append(row)
                log.info("%s", row)
    scores = [f"{m} {what}" for m in METHODS for what in ("coverage", "pinball")]
    table = pd.DataFrame(rows).reindex(columns=["set", "window", "folds", "chosen", *scores])
    summary = chosen_coverage(table) + one_fold_summary(table)
    shown = table.copy()
    for m in METHODS:
        shown[m] = [
            "" if pd.isna(c) else f"{c:.3f} / {p:.4f}{' *' if ch == m else ''}"
            for c, p, ch in zip(shown[f"{m} coverage"], shown[f"{m} pinball"], shown["chosen"])
        ]
    shown = shown[["set", "window", "folds", *METHODS]]
    print(shown.to_string(index=False))
    print(summary)
    if not write:
        return
    text = (
        "## Quantile methods on validation windows (`bench_intervals.py --validation`)\n\n"
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M}, tsauto {git_commit()}, {time.perf_counter() - start:.0f} s on "
        f"{os.cpu_count()} cores (load average {load:.1f} at the start). The training parts only: a "
        "default `Forecaster(quantiles=[0.1, 0.9])` fitted before each of the last windows of h points "
        "(window 1: the last), its band made by each method from the fit's own out-of-fold errors; "
        "*coverage / scaled pinball* on the window (target coverage 0.80; pinball scaled by the "
        "in-sample seasonal-naive MAE); `*`: the method the fit chose; empty: not available (a "
        "member without quantiles of its own).\n\n" + markdown(shown) + summary
    )
    write_section(VALIDATION_SECTION, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few series, one cutoff; print only")
    parser.add_argument("--validation", action="store_true", help="compare the quantile methods, training parts only")
    parser.add_argument("--windows", type=int, default=3, help="validation windows per set (--validation)")
    parser.add_argument("--sets", default=",".join(VALIDATION_SETS), help="suite sets (--validation)")
    parser.add_argument("--no-write", action="store_true", help="print only; RESULTS.md untouched")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("tsauto.forecasting.search", "tsauto.core", "tsauto.forecasting.backtest"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.validation:
        validation(args.windows, args.sets.split(","), not args.no_write)
        return
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
    published = published_m4(table, "Hourly") + published_m4(table, "Weekly")
    print(published)
    if args.quick or args.no_write:
        return
    text = (
        "## Interval coverage and MSIS (bench_intervals)\n\n"
        f"{dt.date.today()}, {time.perf_counter() - start:.0f}s on {os.cpu_count()} cores shared with other "
        f"work (load average {load:.1f} at the start). Default `Forecaster(quantiles=[0.1, 0.9])` "
        "(on the last two rows `[0.025, 0.975]`) refitted at each cutoff on the data before it; coverage of [q0.1, q0.9] on the horizon after "
        "it (target 75-85 %); pinball: mean over both levels, scaled by the in-sample seasonal-naive "
        "MAE; width: median (q0.9 - q0.1) / |forecast|; bracketed: forecasts inside their own band; "
        "method: the quantile method each fit chose; msis: M4's mean scaled interval score of the "
        "interval (mean over series; per cutoff, weighted by cells).\n\n"
        + markdown(table)
        + published
    )
    write_section(SECTION, text)


if __name__ == "__main__":
    main()
