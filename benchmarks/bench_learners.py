"""tsauto's statistical learners next to statsforecast's AutoETS, AutoTheta and AutoARIMA.

On M1 (yearly H=6, quarterly H=8 with season 4, monthly H=18 with season 12; integer time steps,
as some M1 series carry dummy dates), M4 Weekly (H=13, season 1 as in the M4 evaluation) and, for
ETS with a long season, Walmart store × department sales (complete series, the last 8 weeks held
out, season 52; an evenly spaced sample of ``--walmart-series``), each learner is fitted on the
training part of every series and forecasts the held-out horizon of the same series as the peer.
``stat_combo`` is compared with the mean of statsforecast's three forecasts. Reported: sMAPE and
MASE (in-sample seasonal-naive scale, season 1 on M4 Weekly), fit + forecast wall seconds, and
the ratio of tsauto's time to statsforecast's; both use every core (tsauto: ``n_jobs=-1``, one
worker per core with native threads pinned to 1; statsforecast: ``n_jobs`` = cores), and both
forecast seasonal naive where a model cannot be fitted.

``--holdout`` scores instead the last horizon of each *training* series (fitting on the rest):
the rolling-origin check the defaults were chosen with, written to its own sections
(``bench_learners_holdout_<set>``). Without it the test parts are scored once, for the report.

    .venv/bin/python benchmarks/bench_learners.py [--sets m1_yearly ... walmart] [--holdout]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import RESULTS, git_commit, write_section  # noqa: E402

log = logging.getLogger("bench_learners")
SETS = ("m1_yearly", "m1_quarterly", "m1_monthly", "m4_weekly", "walmart")
LEARNERS = {  # tsauto name -> statsforecast peer
    "ets": "AutoETS",
    "theta": "AutoTheta",
    "auto_arima": "AutoARIMA",
    "stat_combo": "mean(AutoETS, AutoTheta, AutoARIMA)",
}
M1 = {"m1_yearly": ("YEARLY", 6, 1), "m1_quarterly": ("QUARTERLY", 8, 4), "m1_monthly": ("MONTHLY", 18, 12)}


@dataclass
class DataSet:
    """Series of one set as one long table (``unique_id``, integer ``t``, ``y``) per part."""

    title: str
    train: pd.DataFrame
    test: pd.DataFrame
    horizon: int
    season: int  # seasonal period given to every model
    mase_season: int
    learners: tuple[str, ...]


def load(name: str, holdout: bool, walmart_series: int) -> DataSet:
    from tsauto import datasets

    if name in M1:
        period, horizon, season = M1[name]
        root = Path(os.environ.get("TSAUTO_DATA") or Path(__file__).resolve().parents[2] / "shared" / "datasets")
        info = pd.read_csv(root / "forecasting/m1/M1-info.csv")
        ids = set(info.loc[info["period"] == period, "unique_id"])
        parts = [pd.read_csv(root / f"forecasting/m1/M1-{p}.csv.gz") for p in ("train", "test")]
        train, test = (_steps(df[df["unique_id"].isin(ids)]) for df in parts)
        title, mase_season, learners = f"M1 {period.lower()}", season, tuple(LEARNERS)
    elif name == "m4_weekly":
        train, test = datasets.load_m4("weekly")
        train, test = (df[["unique_id", "t", "y"]] for df in (train, test))
        horizon, season, mase_season, title = 13, 1, 1, "M4 Weekly"
        learners = tuple(LEARNERS)
    elif name == "walmart":
        sales = datasets.load_walmart()
        sizes = sales.groupby(["Store", "Dept"]).size()
        full = sizes[sizes == sizes.max()].index  # complete series: one calendar for all
        keys = full[np.linspace(0, len(full) - 1, walmart_series).astype(int)]
        sales = sales.set_index(["Store", "Dept"]).loc[keys].reset_index()
        sales["unique_id"] = sales["Store"].astype(str) + "_" + sales["Dept"].astype(str)
        table = _steps(sales.rename(columns={"Weekly_Sales": "y"}).sort_values(["unique_id", "Date"]))
        horizon, season, mase_season = 8, 52, 52
        train, test = _split(table, horizon)
        title, learners = f"Walmart store × dept ({walmart_series} complete series)", ("ets", "theta")
    else:
        raise ValueError(f"unknown set {name!r}; use {SETS}")
    if holdout:
        train, test = _split(train, horizon)
    return DataSet(title, train, test, horizon, season, mase_season, learners)


def _steps(df: pd.DataFrame) -> pd.DataFrame:
    """Integer time steps 1..n per series, in file order."""
    df = df[["unique_id", "y"]].copy()
    df["t"] = df.groupby("unique_id").cumcount() + 1
    return df.reset_index(drop=True)


def _split(df: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    last = df.groupby("unique_id")["t"].transform("max")
    return df[df["t"] <= last - horizon].reset_index(drop=True), df[df["t"] > last - horizon].reset_index(drop=True)


def scores(fc: np.ndarray, data: DataSet) -> dict[str, float]:
    from tsauto.forecasting import metrics

    history = [g["y"].to_numpy() for _, g in data.train.groupby("unique_id", sort=True)]
    actual = [g["y"].to_numpy() for _, g in data.test.groupby("unique_id", sort=True)]
    smape = [metrics.smape(a, f) for a, f in zip(actual, fc)]
    mase = [metrics.mase(a, f, x, data.mase_season) for a, f, x in zip(actual, fc, history)]
    return {"smape": float(np.mean(smape)), "mase": float(np.nanmean(mase))}


def run_tsauto(name: str, data: DataSet) -> tuple[np.ndarray, float, str]:
    from tsauto.forecasting import registry
    from tsauto.forecasting.learners.base import Task
    from tsauto.forecasting.learners.fallback import WithFallback
    from tsauto.forecasting.validation import validate

    panel = validate(data.train, target="y", time="t", ids="unique_id")
    seasons = (data.season,) if data.season > 1 else ()
    task = Task(horizon=data.horizon, season=data.season, seasons=seasons, n_jobs=-1)
    start = time.monotonic()
    model = WithFallback(registry.create(name)).fit(panel, task)
    routed = model.predict(panel, {})
    seconds = time.monotonic() - start
    failures = getattr(model.learner, "failures_", None)
    short = int((routed.reason != "").sum())
    notes = [f"{n} series fell back" for n in (len(failures) if failures is not None else 0, short) if n]
    return routed.forecast.mean, seconds, ", ".join(notes)


def run_statsforecast(data: DataSet) -> dict[str, tuple[np.ndarray, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    df = data.train.rename(columns={"t": "ds"})
    ids = np.sort(df["unique_id"].unique())
    peers = {"AutoETS": AutoETS, "AutoTheta": AutoTheta, "AutoARIMA": AutoARIMA}
    wanted = {LEARNERS[n] for n in data.learners} | ({"AutoETS", "AutoTheta", "AutoARIMA"} if "stat_combo" in data.learners else set())
    out = {}
    for name, cls in peers.items():
        if name not in wanted:
            continue
        sf = StatsForecast(models=[cls(season_length=data.season)], freq=1, n_jobs=os.cpu_count(),
                           fallback_model=SeasonalNaive(season_length=data.season))
        start = time.monotonic()
        fc = sf.forecast(df=df, h=data.horizon)
        seconds = time.monotonic() - start
        values = fc.set_index("unique_id").loc[ids, name].to_numpy().reshape(-1, data.horizon).copy()
        out[name] = (_naive_where_missing(values, data), seconds)
    if "stat_combo" in data.learners:
        parts = [out[k] for k in ("AutoETS", "AutoTheta", "AutoARIMA")]
        out[LEARNERS["stat_combo"]] = (np.mean([p[0] for p in parts], axis=0), sum(p[1] for p in parts))
    return out


def _naive_where_missing(fc: np.ndarray, data: DataSet) -> np.ndarray:
    """Seasonal naive (naive when shorter than a season) where a peer left no forecast."""
    history = [g["y"].to_numpy() for _, g in data.train.groupby("unique_id", sort=True)]
    for i, y in enumerate(history):
        if not np.all(np.isfinite(fc[i])):
            m = data.season if len(y) >= data.season else 1
            fc[i] = y[-m:][np.arange(data.horizon) % m]
    return fc


def with_earlier_rows(text: str, section: str, learners: list[str] | None) -> str:
    """``text`` plus the rows of learners not rerun (``--learners``) from the section's earlier
    run, marked as such."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    start = f"<!-- {section}:start -->"
    if not learners or start not in old:
        return text
    earlier = old.split(start, 1)[1].split(f"<!-- {section}:end -->", 1)[0]
    kept = []
    for line in earlier.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] in set(LEARNERS) - set(learners):
            if "earlier run" not in cells[-1]:
                cells[-1] = "; ".join(c for c in (cells[-1], "earlier run") if c)
            kept.append("| " + " | ".join(cells) + " |")
    return text + ("\n" + "\n".join(kept) if kept else "")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--holdout", action="store_true", help="score the last horizon of the training parts")
    ap.add_argument("--walmart-series", type=int, default=200)
    ap.add_argument("--learners", nargs="+", choices=list(LEARNERS), help="a subset of the learners (and their peers)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    from tsauto import __version__

    load_start = os.getloadavg()[0]
    sections = []
    for set_name in args.sets:
        data = load(set_name, args.holdout, args.walmart_series)
        if args.learners:
            data = replace(data, learners=tuple(n for n in data.learners if n in args.learners))
        n = data.train["unique_id"].nunique()
        peers = run_statsforecast(data)
        rows = []
        for name in data.learners:
            fc, seconds, note = run_tsauto(name, data)
            peer = LEARNERS[name]
            peer_fc, peer_s = peers[peer]
            ours, theirs = scores(fc, data), scores(peer_fc, data)
            rows.append((name, peer, ours, theirs, seconds, peer_s, note))
            log.info("%s %s: %s vs %s %s (%.1fs vs %.1fs)", set_name, name, ours, peer, theirs, seconds, peer_s)
        lines = [
            f"\n### {data.title}: {n} series, H={data.horizon}, season {data.season}"
            + (" (hold-out of the training parts)" if args.holdout else "") + "\n",
            f"Run {dt.datetime.now():%Y-%m-%d %H:%M}, tsauto {git_commit()}, load average "
            f"{load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end.\n",
            "| tsauto | sMAPE | MASE | s | statsforecast | sMAPE | MASE | s | MASE ratio | time ratio | note |",
            "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for name, peer, ours, theirs, seconds, peer_s, note in rows:
            lines.append(
                f"| {name} | {ours['smape']:.3f} | {ours['mase']:.3f} | {seconds:.1f} | {peer} | "
                f"{theirs['smape']:.3f} | {theirs['mase']:.3f} | {peer_s:.1f} | "
                f"{ours['mase'] / theirs['mase']:.3f} | {seconds / peer_s:.2f} | {note} |"
            )
        print("\n".join(lines), flush=True)
        sections.append((set_name, "\n".join(lines)))
    if args.holdout:
        for set_name, text in sections:
            name = f"bench_learners_holdout_{set_name}"
            write_section(name, with_earlier_rows(text, name, args.learners))
        return
    header = [
        "## Statistical learners vs statsforecast (`benchmarks/bench_learners.py`)\n",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores (load average at start "
        f"{load_start:.2f}, at end {os.getloadavg()[0]:.2f}: other processes shared the cores, so "
        f"times are noisy); tsauto {__version__}. Each tool with every core; *s*: fit + forecast "
        "wall seconds for all series; ratios: tsauto / statsforecast (below 1: tsauto more "
        "accurate or faster). Defaults were chosen on the training parts only (`--holdout`); "
        "the test parts are scored here once.",
    ]
    write_section("bench_learners", "\n".join(header))
    for set_name, text in sections:  # M4 Weekly keeps the section name of earlier runs
        name = f"bench_learners_{set_name.replace('m4_weekly', 'weekly')}"
        write_section(name, with_earlier_rows(text, name, args.learners))


if __name__ == "__main__":
    main()
