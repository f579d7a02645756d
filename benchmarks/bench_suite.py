"""The development suite: tsauto's defaults against the statistical benchmarks, in one run.

Data sets (horizon h, seasonal period m of MASE, Naive2 and the peers' ``season_length``):
M1 yearly (6, 1), quarterly (8, 4) and monthly (18, 12); M4 Hourly (48, 24), Weekly (13, 1)
and the 4-series Daily sample (14, 1) with M4's m; Australian retail (12, 12; the last 12 months
of each series held out); Walmart store x department (8, 52; complete series, the last 8 weeks
held out, an evenly spaced sample of 300 unless ``--series``); Wikipedia page views (14, 7;
10 daily series, the last 14 days held out).

Temporal aggregates (sums of whole periods of the real series above, for frequencies and
lengths the suite has few series of; the last h periods held out): Australian retail by
calendar quarter (8, 4) and year (6, 1); the M4 Weekly training parts in 13-week (8, 4) and
52-week blocks (6, 1); the M4 Hourly training parts in 24-hour blocks (7, 7). M4 blocks end at
each series' last training week or hour (steps, no calendar); M4's test parts are not read.

Methods: tsauto's default ``Forecaster(target, time, ids, horizon)``; tsauto with
``time_budget=--budget`` (300 s; ``--skip-search`` leaves it out); statsforecast AutoETS,
AutoTheta, AutoARIMA, the mean of the three, and seasonal naive; the M4 Naive2 benchmark.
Scores: sMAPE and MASE (M4 rules: in-sample seasonal-naive scale) per series, then averaged;
OWA against the Naive2 computed here on the same series (the M4 definition; in test mode the
published M4 Naive2 of Hourly and Weekly is shown beside it as a check of the scorer); wall
seconds of fit + predict of each method.

Two modes, each with its own sections of ``RESULTS.md``:

* ``--validation``: only the TRAINING parts. The last h points of each training series are the
  validation window (``--windows K``: K rolling origins h apart, scores averaged over them;
  without it each set's own count, ``VALIDATION_WINDOWS``, so that a rerun of every set
  reproduces the stored tables); test parts are never read. Defaults are chosen on this mode.
* default (test): fit on the training parts, score the held-out test parts. Report only.

    .venv/bin/python benchmarks/bench_suite.py --validation --datasets m1_yearly,m1_quarterly
    .venv/bin/python benchmarks/bench_suite.py --budget 60 --datasets m4_weekly
    .venv/bin/python benchmarks/bench_suite.py --skip-search            # every data set

Per-data-set results are also kept in ``bench_suite_results.json`` (beside this script), from
which the summary table of each mode is rebuilt, so data sets can be run separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import RESULTS, git_commit, write_section  # noqa: E402

log = logging.getLogger("bench_suite")
HERE = Path(__file__).resolve().parent
STORE = HERE / "bench_suite_results.json"
PEERS = ("AutoETS", "AutoTheta", "AutoARIMA")


@dataclass
class Data:
    """One data set of the suite: long train/test tables and how to score them."""

    name: str
    title: str
    train: pd.DataFrame
    test: pd.DataFrame
    target: str
    time: str
    ids: list[str]
    horizon: int
    season: int  # MASE / Naive2 / peers' season_length
    published: dict = field(default_factory=dict)  # M4 Naive2 as published (test mode only)


# --------------------------------------------------------------------------------------------
# data sets


def _m1(period: str) -> Callable[[], Data]:
    def load() -> Data:
        from tsauto import datasets

        train, test, _ = datasets.load_m1(period)
        spec = datasets.M1_INFO[period]
        return Data(f"m1_{period}", f"M1 {period}", train, test, "y", "ds", ["unique_id"],
                    spec["horizon"], spec["season"])

    return load


def _m4(group: str) -> Callable[[], Data]:
    def load() -> Data:
        from tsauto import datasets

        train, test = datasets.load_m4(group)
        spec = datasets.M4_INFO[group]
        time_col = "ds" if group == "daily" else "t"
        published = datasets.m4_published(group) if group != "daily" else {}
        title = "M4 Daily (4-series sample)" if group == "daily" else f"M4 {group.capitalize()}"
        return Data(f"m4_{group}", title, train, test, "y", time_col, ["unique_id"],
                    spec["horizon"], spec["season"], published)

    return load


def _tail_split(df: pd.DataFrame, ids: list[str], time_col: str, h: int):
    """(all but the last h rows, the last h rows) of every series."""
    df = df.sort_values([*ids, time_col]).reset_index(drop=True)
    from_end = df.groupby(ids, sort=False).cumcount(ascending=False).to_numpy()
    return df[from_end >= h].reset_index(drop=True), df[from_end < h].reset_index(drop=True)


def _aus_retail() -> Data:
    from tsauto import datasets

    ids = ["State", "Industry"]
    df = datasets.load_aus_retail()[[*ids, "Month", "Turnover"]]
    train, test = _tail_split(df, ids, "Month", 12)
    return Data("aus_retail", "Australian retail (last 12 months held out)", train, test,
                "Turnover", "Month", ids, 12, 12)


def _walmart() -> Data:
    from tsauto import datasets

    ids = ["Store", "Dept"]
    df = datasets.load_walmart()[[*ids, "Date", "Weekly_Sales"]]
    sizes = df.groupby(ids).size()
    complete = sizes[sizes == sizes.max()].index  # aligned hold-out, no gaps
    df = df.set_index(ids).loc[complete].reset_index()
    train, test = _tail_split(df, ids, "Date", 8)
    return Data("walmart", "Walmart store x dept (complete series, last 8 weeks held out)",
                train, test, "Weekly_Sales", "Date", ids, 8, 52)


def _wikipedia() -> Data:
    from tsauto import datasets

    df = datasets.load_wikipedia_traffic()
    train, test = _tail_split(df, ["unique_id"], "ds", 14)
    return Data("wikipedia_daily", "Wikipedia page views, daily (last 14 days held out)", train, test,
                "y", "ds", ["unique_id"], 14, 7)


def _aus_retail_sums(period: str) -> Callable[[], Data]:
    """Australian retail turnover summed by calendar quarter (``"Q"``) or year (``"Y"``)."""
    h, m, months, word = {"Q": (8, 4, 3, "quarter"), "Y": (6, 1, 12, "year")}[period]

    def load() -> Data:
        from tsauto import datasets

        ids = ["State", "Industry"]
        df = datasets.load_aus_retail()
        df["Period"] = df["Month"].dt.to_period(period).dt.start_time
        sums = df.groupby([*ids, "Period"], as_index=False).agg(
            Turnover=("Turnover", "sum"), months=("Turnover", "size"))
        sums = sums[sums["months"] == months].drop(columns="months")  # whole periods only
        train, test = _tail_split(sums, ids, "Period", h)
        return Data(f"aus_retail_{word}ly", f"Australian retail by {word} (last {h} {word}s held out)",
                    train, test, "Turnover", "Period", ids, h, m)

    return load


def _m4_blocks(group: str, k: int, word: str, h: int, m: int) -> Callable[[], Data]:
    """The M4 ``group`` training parts summed over blocks of ``k`` steps that end at each
    series' last step (an incomplete first block dropped); series of at least h + 2 blocks."""

    def load() -> Data:
        from tsauto import datasets

        df = datasets.load_m4(group)[0].sort_values(["unique_id", "t"])
        block = df.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy() // k
        sums = df.assign(block=block).groupby(["unique_id", "block"], as_index=False).agg(
            y=("y", "sum"), steps=("y", "size"))
        sums = sums[sums["steps"] == k]
        sums["t"] = sums.groupby("unique_id")["block"].transform("max") - sums["block"] + 1
        sums = sums[sums.groupby("unique_id")["t"].transform("size") >= h + 2]
        train, test = _tail_split(sums[["unique_id", "t", "y"]], ["unique_id"], "t", h)
        return Data(f"m4_{group}_{word}", f"M4 {group.capitalize()} training parts in {k}-step sums",
                    train, test, "y", "t", ["unique_id"], h, m)

    return load


DATASETS: dict[str, Callable[[], Data]] = {
    "m1_yearly": _m1("yearly"),
    "m1_quarterly": _m1("quarterly"),
    "m1_monthly": _m1("monthly"),
    "m4_hourly": _m4("hourly"),
    "m4_weekly": _m4("weekly"),
    "m4_daily": _m4("daily"),
    "aus_retail": _aus_retail,
    "walmart": _walmart,
    "wikipedia_daily": _wikipedia,
    "aus_retail_quarterly": _aus_retail_sums("Q"),
    "aus_retail_yearly": _aus_retail_sums("Y"),
    "m4_weekly_quarterly": _m4_blocks("weekly", 13, "quarterly", 8, 4),
    "m4_weekly_yearly": _m4_blocks("weekly", 52, "yearly", 6, 1),
    "m4_hourly_daily": _m4_blocks("hourly", 24, "daily", 7, 7),
}
DEFAULT_SERIES = {"walmart": 300}  # statsforecast's AutoARIMA with m=52 takes ~minutes/series
# Validation windows per data set when --windows is not given: those its stored tables were
# measured on (one for M1's 1,001 series; more where a set has few series or short windows)
VALIDATION_WINDOWS = {"m1_yearly": 1, "m1_quarterly": 1, "m1_monthly": 1, "wikipedia_daily": 4,
                      "aus_retail_quarterly": 3, "aus_retail_yearly": 3, "m4_weekly_quarterly": 3,
                      "m4_weekly_yearly": 3, "m4_hourly_daily": 3}
DEFAULT_WINDOWS = 2


def windows_for(name: str, given: int | None) -> int:
    """Validation windows of data set ``name``: ``given`` (``--windows``), else its own."""
    return given if given is not None else VALIDATION_WINDOWS.get(name, DEFAULT_WINDOWS)


def sample(data: Data, n: int | None) -> Data:
    """An evenly spaced sample of ``n`` series (the same for every method)."""
    keys = data.train[data.ids].drop_duplicates().sort_values(data.ids).reset_index(drop=True)
    if n and len(keys) > n:
        keys = keys.iloc[np.linspace(0, len(keys) - 1, n).astype(int)]
    data.train = data.train.merge(keys, on=data.ids)
    data.test = data.test.merge(keys, on=data.ids)
    return data


def validation_windows(data: Data, windows: int) -> list[Data]:
    """The training part cut at ``windows`` rolling origins h apart (last origin first).

    Window k holds out the h points after the origin ``n - (k + 1) h`` of each training
    series; series with fewer than 2 points before an origin are left out of that window.
    """
    out = []
    h = data.horizon
    for k in range(windows):
        df = data.train.sort_values([*data.ids, data.time]).reset_index(drop=True)
        from_end = df.groupby(data.ids, sort=False).cumcount(ascending=False).to_numpy()
        df = df[from_end >= k * h]
        fit, hold = _tail_split(df, data.ids, data.time, h)
        long_enough = fit.groupby(data.ids).size()
        keep = long_enough[long_enough >= 2].index.to_frame(index=False)
        fit, hold = fit.merge(keep, on=data.ids), hold.merge(keep, on=data.ids)
        complete = hold.groupby(data.ids).size()
        keep = complete[complete == h].index.to_frame(index=False)
        out.append(Data(data.name, data.title, fit.merge(keep, on=data.ids),
                        hold.merge(keep, on=data.ids), data.target, data.time, data.ids,
                        data.horizon, data.season))
    return out


# --------------------------------------------------------------------------------------------
# methods: each returns a forecast matrix (n_series, h) in the order of the sorted keys


def _keys(data: Data) -> pd.DataFrame:
    return data.train[data.ids].drop_duplicates().sort_values(data.ids).reset_index(drop=True)


def _key_strings(df: pd.DataFrame, ids: list[str]) -> pd.Series:
    return df[ids].astype(str).agg("|".join, axis=1) if len(ids) > 1 else df[ids[0]].astype(str)


def _matrix(out: pd.DataFrame, data: Data, value: str) -> tuple[np.ndarray, int]:
    """Forecasts of a long output table as (n_series, h), by series and step; missing: NaN."""
    keys = _keys(data)
    out = out.sort_values([*data.ids, data.time]).copy()
    out["__step"] = out.groupby(data.ids, sort=False).cumcount()
    out = out[out["__step"] < data.horizon]
    pos = keys.assign(__row=np.arange(len(keys))).merge(out, on=data.ids, how="inner")
    mat = np.full((len(keys), data.horizon), np.nan)
    mat[pos["__row"].to_numpy(), pos["__step"].to_numpy()] = pos[value].to_numpy(float)
    return mat, int(np.isnan(mat).any(axis=1).sum())


class _FittedLine(logging.Handler):
    """Keeps the Forecaster's "fitted ..." log line: which model the default chose."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("fitted"):
            self.lines.append(msg)


def run_tsauto(data: Data, budget: float | None, extra: dict) -> tuple[np.ndarray, str]:
    import tsauto

    kw = dict(extra) if budget is None else {**extra, "time_budget": budget}
    fc = tsauto.Forecaster(target=data.target, time=data.time, ids=data.ids,
                           horizon=data.horizon, **kw)
    logger, capture = logging.getLogger("tsauto.forecasting.forecaster"), _FittedLine()
    level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    try:
        out = fc.fit(data.train).predict()
    finally:
        logger.removeHandler(capture)
        logger.setLevel(level)
    mat, missing = _matrix(out, data, "forecast")
    notes = [f"{missing} series without a forecast"] if missing else []
    notes += [line[:160] for line in capture.lines[-1:]]
    return mat, "; ".join(notes)


def _sf_frame(data: Data) -> pd.DataFrame:
    """statsforecast's long table with integer steps (peers use no calendar, only m)."""
    df = data.train.sort_values([*data.ids, data.time])
    out = pd.DataFrame({"unique_id": _key_strings(df, data.ids).to_numpy()})
    out["ds"] = df.groupby(data.ids, sort=False).cumcount().to_numpy() + 1
    out["y"] = df[data.target].to_numpy(float)
    return out


def run_statsforecast(data: Data, model_name: str) -> tuple[np.ndarray, str]:
    from statsforecast import StatsForecast
    from statsforecast import models as sfm

    m = data.season
    model = {
        "AutoETS": lambda: sfm.AutoETS(season_length=m),
        "AutoTheta": lambda: sfm.AutoTheta(season_length=m),
        "AutoARIMA": lambda: sfm.AutoARIMA(season_length=m),
        "SeasonalNaive": lambda: sfm.SeasonalNaive(season_length=m),
    }[model_name]()
    sf = StatsForecast(models=[model], freq=1, n_jobs=os.cpu_count() or 1,
                       fallback_model=sfm.Naive())
    fc = sf.forecast(df=_sf_frame(data), h=data.horizon)
    if "unique_id" not in fc.columns:
        fc = fc.reset_index()
    order = _key_strings(_keys(data), data.ids).to_numpy()
    fc = fc.set_index("unique_id").loc[order]
    return fc[model_name].to_numpy(float).reshape(-1, data.horizon), ""


def run_naive2(data: Data) -> tuple[np.ndarray, str]:
    from tsauto.forecasting.metrics import naive2

    return np.vstack([naive2(x, data.horizon, data.season) for x in _histories(data)]), ""


# --------------------------------------------------------------------------------------------
# scoring


def _histories(data: Data) -> list[np.ndarray]:
    df = data.train.sort_values([*data.ids, data.time])
    return [g[data.target].to_numpy(float) for _, g in df.groupby(data.ids, sort=True)]


def _actuals(data: Data) -> np.ndarray:
    df = data.test.sort_values([*data.ids, data.time])
    same = df[data.ids].drop_duplicates().reset_index(drop=True).equals(_keys(data))
    if not same or len(df) != len(_keys(data)) * data.horizon:
        raise ValueError(f"{data.name}: the hold-out does not hold h points of every series")
    return df[data.target].to_numpy(float).reshape(-1, data.horizon)


def score(fc: np.ndarray, data: Data) -> dict:
    """sMAPE and MASE per series, then averaged (forecasts missing for a series: naive)."""
    from tsauto.forecasting.metrics import mase, smape

    hist, actual = _histories(data), _actuals(data)
    fc = fc.copy()
    for i in np.flatnonzero(np.isnan(fc).any(axis=1)):
        fc[i] = np.where(np.isnan(fc[i]), hist[i][-1], fc[i])
    sm = [smape(actual[i], fc[i]) for i in range(len(actual))]
    ms = [mase(actual[i], fc[i], hist[i], data.season) for i in range(len(actual))]
    return {"smape": float(np.mean(sm)), "mase": float(np.nanmean(ms))}


def run_dataset(data: Data, methods: list[str], budget: float, extra: dict) -> list[dict]:
    """Every method on one data set (one origin): scores and wall seconds."""
    rows, peer_fc = [], {}
    for method in methods:
        start = time.monotonic()
        try:
            if method == "tsauto default":
                fc, note = run_tsauto(data, None, extra)
            elif method == "tsauto search":
                fc, note = run_tsauto(data, budget, extra)
                note = f"time_budget={budget:g}; {note}"
            elif method == "mean ETS/Theta/ARIMA":
                if len(peer_fc) < len(PEERS):
                    raise RuntimeError("needs the three statsforecast models")
                fc, note = np.mean([peer_fc[p] for p in PEERS], axis=0), ""
            elif method == "Naive2":
                fc, note = run_naive2(data)
            else:
                fc, note = run_statsforecast(data, method)
                peer_fc[method] = fc
        except Exception as err:  # noqa: BLE001 - a failing method is reported, not fatal
            log.exception("%s failed on %s", method, data.name)
            rows.append({"method": method, "smape": np.nan, "mase": np.nan,
                         "seconds": time.monotonic() - start, "note": f"failed: {err}"[:120]})
            continue
        seconds = time.monotonic() - start
        if method == "mean ETS/Theta/ARIMA":
            seconds = sum(r["seconds"] for r in rows if r["method"] in PEERS)
        rows.append({"method": method, **score(fc, data), "seconds": seconds, "note": note})
        log.info("%s %s: %s", data.name, method, rows[-1])
    return rows


def average_windows(per_window: list[list[dict]]) -> list[dict]:
    """Scores averaged over validation windows, seconds summed."""
    out = []
    for i, first in enumerate(per_window[0]):
        same = [w[i] for w in per_window]
        out.append({
            "method": first["method"],
            "smape": float(np.mean([r["smape"] for r in same])),
            "mase": float(np.mean([r["mase"] for r in same])),
            "seconds": float(np.sum([r["seconds"] for r in same])),
            "note": "; ".join(dict.fromkeys(r["note"] for r in same if r["note"])),
        })
    return out


def keep_earlier_rows(
    rows: list[dict], earlier: dict | None, n_series: int, order: list[str], windows_note: str = ""
) -> list[dict]:
    """``rows`` with the earlier run's rows of methods not run now (``--methods``), on the same
    series and validation windows (``windows_note``), each marked with the run it comes from;
    in the order of ``order``. The Naive2 reference of OWA is the same computation on the same
    series, so earlier OWAs stay comparable."""
    if not earlier or earlier.get("n_series") != n_series or earlier.get("windows_note", "") != windows_note:
        return rows
    ran = {r["method"] for r in rows}
    kept = []
    for r in earlier["rows"]:
        if r["method"] in ran:
            continue
        origin = r.get("from") or f"{earlier['date']} ({earlier['commit'].split()[0]})"
        note = r["note"] if r.get("from") else "; ".join(x for x in (r["note"], f"run of {origin}") if x)
        kept.append({**r, "from": origin, "note": note})
    rank = {m: i for i, m in enumerate(order)}
    return sorted(rows + kept, key=lambda r: rank.get(r["method"], len(rank)))


def add_owa(rows: list[dict]) -> None:
    from tsauto.forecasting.metrics import owa

    ref = next(r for r in rows if r["method"] == "Naive2")
    for r in rows:
        r["owa"] = owa(r["smape"], r["mase"], ref["smape"], ref["mase"])


# --------------------------------------------------------------------------------------------
# report


def _fmt(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def dataset_table(entry: dict) -> str:
    lines = [
        f"### {entry['title']}: {entry['n_series']} series, h={entry['horizon']}, "
        f"m={entry['season']}{entry['windows_note']}\n",
        f"Run {entry['date']}, tsauto {entry['commit']}, load average "
        f"{entry['load_start']:.2f} at start, {entry['load_end']:.2f} at end.\n",
        "| method | sMAPE | MASE | OWA | seconds | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in entry["rows"]:
        lines.append(f"| {r['method']} | {_fmt(r['smape'])} | {_fmt(r['mase'])} | "
                     f"{_fmt(r['owa'])} | {_fmt(r['seconds'], 1)} | {r['note']} |")
    if entry.get("published"):
        p = entry["published"]
        lines.append(f"\nPublished M4 Naive2 on the full set: sMAPE {p['sMAPE']:.3f}, "
                     f"MASE {p['MASE']:.3f} (the Naive2 row above is computed here).")
    return "\n".join(lines)


def summary_table(entries: dict[str, dict], mode: str) -> str:
    names = [n for n in DATASETS if n in entries]
    methods = list(dict.fromkeys(r["method"] for n in names for r in entries[n]["rows"]))
    head = ("Validation: the last h points of each TRAINING series held out (test parts never "
            "read); choose defaults on this table." if mode == "validation" else
            "Test: fit on the training parts, scored on the held-out test parts (report only; "
            "defaults are chosen on the validation section).")
    lines = [
        f"## Development suite, {mode} mode (`benchmarks/bench_suite.py"
        f"{' --validation' if mode == 'validation' else ''}`)\n",
        head + " OWA against Naive2 on the same series; mean OWA over the data sets run.\n",
        "| method | " + " | ".join(names) + " | mean OWA | seconds |",
        "| --- | " + " | ".join("---:" for _ in names) + " | ---: | ---: |",
    ]
    for m in methods:
        cells, owas, secs = [], [], 0.0
        for n in names:
            r = next((r for r in entries[n]["rows"] if r["method"] == m), None)
            cells.append(_fmt(r["owa"]) if r else "")
            if r and np.isfinite(r["owa"]):
                owas.append(r["owa"])
            secs += r["seconds"] if r and np.isfinite(r["seconds"]) else 0.0
        mean = _fmt(float(np.mean(owas))) if len(owas) == len(names) else "n/a"
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {mean} | {secs:.0f} |")
    return "\n".join(lines)


def load_store(path: Path = STORE) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def save_store(store: dict, path: Path = STORE) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(store, indent=1, default=float))
    tmp.replace(path)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help=f"comma-separated, from {','.join(DATASETS)}")
    ap.add_argument("--validation", action="store_true",
                    help="hold out the last h points of the training parts; never read tests")
    ap.add_argument("--windows", type=int, default=None,
                    help="validation origins, h apart (default: each set's own, VALIDATION_WINDOWS)")
    ap.add_argument("--budget", type=float, default=300.0, help="time_budget of tsauto search")
    ap.add_argument("--skip-search", action="store_true", help="leave out tsauto with a budget")
    ap.add_argument("--series", type=int, default=None,
                    help="evenly spaced sample of series per data set (0: all)")
    ap.add_argument("--methods", help="comma-separated subset of the methods (Naive2 is always run)")
    ap.add_argument("--tsauto-kw", default="{}",
                    help="JSON of extra Forecaster arguments for tsauto (to try a variant on validation)")
    ap.add_argument("--no-write", action="store_true", help="print only; RESULTS.md untouched")
    ap.add_argument("--verbose", action="store_true", help="tsauto's own INFO log as well")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        datefmt="%H:%M:%S")
    if not args.verbose:
        logging.getLogger("tsauto").setLevel(logging.WARNING)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        ap.error(f"unknown data sets {unknown}; choose from {list(DATASETS)}")
    mode = "validation" if args.validation else "test"
    extra = json.loads(args.tsauto_kw)
    every_method = ["tsauto default", "tsauto search", *PEERS, "mean ETS/Theta/ARIMA", "SeasonalNaive", "Naive2"]
    methods = [m for m in every_method if m != "tsauto search" or not args.skip_search]
    if args.methods:
        wanted = {m.strip() for m in args.methods.split(",")} | {"Naive2"}
        methods = [m for m in methods if m in wanted]
    store = load_store()
    entries = store.setdefault(mode, {})
    if not args.no_write and f"bench_suite_{mode}:start" not in RESULTS.read_text():
        write_section(f"bench_suite_{mode}", summary_table(entries, mode))  # summary first
    for name in names:
        data = DATASETS[name]()
        if args.validation:
            data.test = data.test.iloc[:0]  # the test part is never used in validation mode
        n = DEFAULT_SERIES.get(name) if args.series is None else args.series
        data = sample(data, n or None)
        load_start = os.getloadavg()[0]
        if args.validation:
            windows = windows_for(name, args.windows)
            parts = validation_windows(data, windows)
            rows = average_windows([run_dataset(p, methods, args.budget, extra) for p in parts])
            n_series = len(_keys(parts[0]))
            note = f", validation: last {windows} window(s) of h of the training parts"
        else:
            rows = run_dataset(data, methods, args.budget, extra)
            n_series = len(_keys(data))
            note = ""
        add_owa(rows)
        rows = keep_earlier_rows(rows, entries.get(name), n_series, every_method, note)
        entries[name] = {
            "title": data.title, "n_series": n_series, "horizon": data.horizon,
            "season": data.season, "rows": rows, "windows_note": note,
            "date": f"{dt.datetime.now():%Y-%m-%d %H:%M}", "commit": git_commit(),
            "load_start": load_start, "load_end": os.getloadavg()[0],
            "published": data.published if mode == "test" else {},
            "budget": None if args.skip_search else args.budget,
        }
        text = dataset_table(entries[name])
        print(text, flush=True)
        if not args.no_write:  # after every data set, so a run cut short keeps what it did
            save_store(store)
            write_section(f"bench_suite_{mode}_{name}", text)
            write_section(f"bench_suite_{mode}", summary_table(entries, mode))
    print(summary_table(entries, mode))


if __name__ == "__main__":
    main()
