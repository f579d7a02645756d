"""Validation of ``max_length``: a local learner fitted on the last L points of long series.

Long single series (ETTh1's 7 hourly series, Washington's 3 hourly bike-rental counts, Victoria's
half-hourly electricity demand and its 08:00-20:00 weekday hours, the M4 Daily sample's two
series of 4,197 days) are cut at 6 origins a week apart (a fortnight for daily data); the 4
weeks after the last origin are never read. At each origin the learner (``--learner``: ETS, the
default, or Theta) with ``max_length=L`` is fitted on the series up to it and forecasts the next
``h`` steps, scored by MASE (scaled by the series' in-sample seasonal differences, the same for
every L); CPU seconds per fit. Section ``long_series_<learner>`` of RESULTS.md.

Run from the repository root (about 12 minutes on 2 cores)::

    .venv/bin/python benchmarks/bench_long_series.py                    # writes RESULTS.md
    .venv/bin/python benchmarks/bench_long_series.py --lengths all,1000 --series ETTh1 --no-write
    .venv/bin/python benchmarks/bench_long_series.py --learner theta
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import markdown, write_section  # noqa: E402

from tsauto import datasets  # noqa: E402
from tsauto.core.resources import pinned  # noqa: E402
from tsauto.forecasting.learners.base import Task  # noqa: E402
from tsauto.forecasting.registry import FORECASTERS  # noqa: E402
from tsauto.forecasting.validation import validate  # noqa: E402

log = logging.getLogger("bench_long_series")
LEARNERS = {"ets": "ETS", "theta": "Theta"}  # local learners that take max_length, by title
ORIGINS = 6
UNREAD_WEEKS = 4


@dataclass
class Case:
    """One long series: its table (``ds``, ``y``), season, horizon and steps between origins."""

    name: str
    frame: pd.DataFrame
    season: int
    horizon: int
    step: int


def cases(data: Path) -> Iterator[Case]:
    ett = datasets.load_etth1()
    for col in ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"):
        yield Case(f"ETTh1 {col}", pd.DataFrame({"ds": pd.to_datetime(ett["date"]), "y": ett[col]}), 24, 24, 168)
    bikes = pd.read_csv(data / "tabular" / "regression" / "bike_sharing_hour.csv.gz")
    hours = pd.to_datetime(bikes["dteday"]) + pd.to_timedelta(bikes["hr"], unit="h")
    for col in ("cnt", "casual", "registered"):
        yield Case(f"bike rentals {col}", pd.DataFrame({"ds": hours, "y": bikes[col]}), 24, 24, 168)
    elec = datasets.load_vic_elec()
    stamps = pd.to_datetime(elec["Time_UTC"]).dt.tz_localize(None)
    whole = pd.DataFrame({"ds": stamps, "y": elec["Demand"]})
    yield Case("vic_elec half-hourly", whole, 48, 48, 336)
    open_hours = (stamps.dt.hour >= 8) & (stamps.dt.hour < 20) & (stamps.dt.day_of_week < 5)
    yield Case("vic_elec 08:00-20:00 weekdays", whole[open_hours].reset_index(drop=True), 24, 24, 120)
    train, _ = datasets.load_m4("daily")
    for uid, g in train.groupby("unique_id"):
        if len(g) > 3000:
            yield Case(f"M4 Daily {uid}", g[["ds", "y"]].reset_index(drop=True), 7, 14, 14)


def run_case(case: Case, learner: str, lengths: list[int | None]) -> list[dict]:
    """Each length's MASE and CPU seconds per fit, averaged over the origins."""
    make = FORECASTERS[learner].load()
    with pinned(1):
        panel = validate(case.frame, target="y", time="ds")
        y, times = panel.y, panel.times
        task = Task(horizon=case.horizon, season=case.season, seasons=(case.season,), n_jobs=1)
        scores: dict[int | None, list[tuple[float, float]]] = {n: [] for n in lengths}
        for k in range(ORIGINS):
            end = len(y) - UNREAD_WEEKS * case.step - k * case.step
            seen = pd.DataFrame({"ds": times[:end], "y": y[:end]})
            past = validate(seen, target="y", time="ds", freq=panel.schema.freq)
            scale = np.mean(np.abs(y[case.season:end] - y[: end - case.season]))
            actual = y[end : end + case.horizon]
            for n in lengths:
                start = time.process_time()
                fitted = make(max_length=n).fit(past, task)
                took = time.process_time() - start
                mean = fitted.predict(past).mean[0]
                scores[n].append((float(np.mean(np.abs(actual - mean)) / scale), took))
        return [{"series": case.name, "points": len(y), "max_length": "all" if n is None else n,
                 "MASE": float(np.mean([s for s, _ in scores[n]])),
                 "cpu_s": float(np.mean([t for _, t in scores[n]]))} for n in lengths]


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per length: geometric mean of the MASE ratios to all points, series better / worse, CPU."""
    whole = rows[rows["max_length"] == "all"].set_index("series")["MASE"]
    out = []
    for n, part in rows.groupby("max_length", sort=False):
        ratio = part.set_index("series")["MASE"] / whole
        out.append({"max_length": n, "geometric mean MASE ratio": math.exp(np.log(ratio).mean()),
                    "better": int((ratio < 1 - 1e-9).sum()), "worse": int((ratio > 1 + 1e-9).sum()),
                    "mean MASE": float(part["MASE"].mean()), "CPU s per fit": float(part["cpu_s"].mean())})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learner", default="ets", choices=list(LEARNERS))
    parser.add_argument("--lengths", default="all,1000,1500,2500,5000",
                        help="comma-separated max_length values ('all': the whole series)")
    parser.add_argument("--series", default="", help="only the series whose name contains this")
    parser.add_argument("--no-write", action="store_true", help="print only; RESULTS.md untouched")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("tsauto").setLevel(logging.ERROR)
    lengths = [None if n == "all" else int(n) for n in args.lengths.split(",")]
    if None not in lengths:
        parser.error("--lengths must include 'all', the reference")
    data = datasets.resolve_data_dir()
    if data is None:
        parser.error("no data directory: set TSAUTO_DATA or place ../shared/datasets")
    chosen = [c for c in cases(data) if args.series in c.name]
    start = time.monotonic()
    parts = Parallel(n_jobs=2)(delayed(run_case)(c, args.learner, lengths) for c in chosen)
    rows = pd.DataFrame([row for part in parts for row in part])
    wide = rows.pivot(index="series", columns="max_length", values="MASE")[[r["max_length"] for r in parts[0]]]
    wide = wide.reindex([c.name for c in chosen]).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    text = (
        f"## {LEARNERS[args.learner]} on the last `max_length` points of long series (`bench_long_series.py"
        f"{'' if args.learner == 'ets' else ' --learner ' + args.learner}`, "
        f"{dt.datetime.now():%Y-%m-%d %H:%M}, {time.monotonic() - start:.0f} s)\n\n"
        f"Validation only: {ORIGINS} origins a week apart (M4 Daily: a fortnight), the "
        f"{UNREAD_WEEKS} weeks after the last never read; MASE of the next h steps, averaged.\n\n"
        + markdown(summary(rows)) + "\nMASE per series:\n\n" + markdown(wide)
    )
    print(text)
    if not args.no_write:
        write_section(f"long_series_{args.learner}", text)


if __name__ == "__main__":
    main()
