"""Validation of the target imputation default (``data={"fill": ...}``) on real gaps.

Each rule (``interpolate``, ``zero``, ``ffill``) fills the missing targets before the default
``Forecaster`` is fitted; the forecasts of the window after the data are scored by MASE (the
mean absolute error over the series' in-sample mean absolute seasonal difference, over the pairs
observed, lag 1 where there is none: the same scale for every rule), only where the window is
observed. Two windows per set, the last first.

* Walmart: the store x department series with interior gaps (weeks without a sales row: the
  neighbours of a gap sell a median of 12 against 7,600 overall, so a gap mostly means no sales)
  and at least 52 weeks. The last 8 weeks (``bench_suite.py``'s test part) are never read; the
  windows are the 8 weeks before them and the 8 before those, scored on the series observed
  every week of the window.
* statsmodels' ``co2`` (weekly Mauna Loa CO2, 59 weeks missing: a measurement, not a count);
  windows of 52 weeks.

Run from the repository root::

    .venv/bin/python benchmarks/bench_fill.py            # writes RESULTS.md
    .venv/bin/python benchmarks/bench_fill.py --quick    # 40 Walmart series, one window; print only
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
from results_file import markdown, write_section  # noqa: E402

from tsauto import Forecaster, datasets  # noqa: E402
from tsauto.forecasting.validation import FILL_RULES  # noqa: E402

log = logging.getLogger("bench_fill")
SECTION = "fill"
TEST_WEEKS = 8  # Walmart's test part in bench_suite.py


@dataclass
class Case:
    """One set: its long table (``id``, ``ds``, ``y``; missing rows or NaN targets = gaps)."""

    name: str
    frame: pd.DataFrame
    horizon: int
    season: int
    freq: str


def walmart(quick: bool) -> Case:
    df = datasets.load_walmart()
    df = pd.DataFrame({"id": df["Store"].astype(str) + "_" + df["Dept"].astype(str),
                       "ds": df["Date"], "y": df["Weekly_Sales"]})
    weeks = np.sort(df["ds"].unique())
    df = df[df["ds"] < weeks[-TEST_WEEKS]]
    span = df.groupby("id")["ds"].agg(["min", "max", "size"])
    missing = (span["max"] - span["min"]).dt.days // 7 + 1 - span["size"]
    keep = missing[(missing > 0) & (span["size"] >= 52)].index
    if quick:
        keep = keep[:40]
    log.info("walmart: %d series with interior gaps, %d weeks missing", len(keep), missing[keep].sum())
    return Case("Walmart store x dept with gaps", df[df["id"].isin(keep)], TEST_WEEKS, 52, "W-FRI")


def co2() -> Case:
    import statsmodels.api as sm

    s = sm.datasets.co2.load_pandas().data["co2"]
    return Case("statsmodels co2 (weekly)", pd.DataFrame({"id": "co2", "ds": s.index, "y": s.to_numpy()}),
                52, 52, "W-SAT")


def windows(case: Case, n: int) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """(training rows, rows of the window after them), the last window first."""
    times = np.sort(case.frame["ds"].unique())
    for k in range(n):
        start, end = len(times) - case.horizon * (k + 1), len(times) - case.horizon * k
        yield case.frame[case.frame["ds"] < times[start]], case.frame[case.frame["ds"].isin(times[start:end])]


def scale(train: pd.DataFrame, season: int) -> pd.Series:
    wide = train.pivot(index="ds", columns="id", values="y")
    diff = lambda lag: (wide - wide.shift(lag)).abs().mean()
    out = diff(season).fillna(diff(1))
    return out.where(out > 0)


def evaluate(case: Case, train: pd.DataFrame, window: pd.DataFrame, fill: str) -> dict:
    observed = window.dropna(subset=["y"]).groupby("id").size()
    scored = observed[observed == case.horizon].index  # observed through the window
    start = time.perf_counter()
    fc = Forecaster(target="y", time="ds", ids="id", horizon=case.horizon,
                    data={"fill": fill, "freq": case.freq}).fit(train)
    out = fc.predict().merge(window.dropna(subset=["y"]), on=["id", "ds"])
    out = out[out["id"].isin(scored)]
    mae = (out["forecast"] - out["y"]).abs().groupby(out["id"]).mean()
    mase = (mae / scale(train, case.season).reindex(mae.index)).dropna()
    return {"mase": float(mase.mean()), "series": len(mase), "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 Walmart series, one window; print only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("tsauto").setLevel(logging.ERROR)
    start, load = time.perf_counter(), os.getloadavg()[0]
    n = 1 if args.quick else 2
    rows = []
    for case in (walmart(args.quick), co2()):
        for k, (train, window) in enumerate(windows(case, n)):
            for fill in FILL_RULES:
                r = evaluate(case, train, window, fill)
                log.info("%s window %d %s: %s", case.name, k, fill, r)
                rows.append({"data": case.name, "window": k, "fill": fill, **r})
    runs = pd.DataFrame(rows)
    table = runs.pivot_table(index="data", columns="fill", values="mase", aggfunc="mean", sort=False)
    scored = runs.groupby("data", sort=False)["series"]
    table["series scored"] = scored.agg(lambda s: "/".join(map(str, dict.fromkeys(s))))
    table = table.reset_index()
    print(runs.to_string(index=False))
    print(table.to_string(index=False))
    if args.quick:
        return
    text = (
        "## Target imputation on real gaps (`bench_fill.py`)\n\n"
        f"{dt.date.today()}, {time.perf_counter() - start:.0f}s on {os.cpu_count()} cores (load average "
        f"{load:.1f} at the start). The default `Forecaster` fitted after each fill rule; MASE of the "
        f"window after the data, mean over {n} windows (set-up: the script's docstring).\n\n"
        + markdown(table)
    )
    write_section(SECTION, text)


if __name__ == "__main__":
    main()
