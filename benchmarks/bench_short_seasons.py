"""Short histories: the calendar's seasonal period kept or dropped, compared on validation only.

A panel whose median series spans two periods or fewer (93 weeks of weekly sales, 20 months)
lost its period before 2026-12-06: seasonal naive was never compared and the learners fitted no
season. Here, for suite sets with a calendar, every series is cut to its last ``L + h`` points
before a validation origin inside the training part (``--cutoffs``: steps before its end; the
test parts are never read); the default ``Forecaster`` is fitted on the first ``L`` and scored on
the next ``h`` with its own seasons (``default``) and with ``data={"seasons": [m]}``
(``season``). ``share``: the share of series whose first differences correlate at lag m above
the 90 % bound (``frequency._short_season_share``, the rule that now keeps the period where it
is at least a third). Scores: mean MASE over series, scaled by the in-sample mean absolute
change (lag 1: a season's scale needs two of them).

    TSAUTO_DATA=../shared/datasets .venv/bin/python benchmarks/bench_short_seasons.py \\
        walmart --length 93 --horizon 8 --cutoffs 0,5,10,15,20,25,30 --series 300

One JSON line per origin on stdout; nothing is written to RESULTS.md (the figures are quoted in
``benchmarks/README.md``, seasonal periods).
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np
import pandas as pd

import bench_suite
from tsauto import Forecaster
from tsauto.forecasting.frequency import _short_season_share, longest_series

SEASONS = {"walmart": 52, "aus_retail": 12, "m1_monthly": 12, "m1_quarterly": 4, "aus_retail_quarterly": 4}


def windows(data, length: int, horizon: int, cutoffs: list[int], series: int | None, seed: int = 0):
    """(cutoff, history, next h points) per origin: the series with ``length + horizon`` points
    before it, ``series`` of them drawn at random where more."""
    frame = data.train.sort_values([*data.ids, data.time])
    back = frame.groupby(data.ids, sort=False).cumcount(ascending=False).to_numpy()
    for k in cutoffs:
        part = frame[(back >= k) & (back < k + length + horizon)]
        sizes = part.groupby(data.ids).size()
        full = sizes[sizes == length + horizon].index
        if series and len(full) > series:
            full = full[np.random.default_rng(seed).choice(len(full), series, replace=False)]
        part = part.set_index(data.ids).loc[full].reset_index()
        ahead = part.groupby(data.ids, sort=False).cumcount(ascending=False).to_numpy()
        yield k, part[ahead >= horizon], part[ahead < horizon]


def mean_mase(train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, data) -> float:
    keys = [*data.ids, data.time]
    merged = test.merge(forecast, on=keys)
    scale = train.sort_values(keys).groupby(data.ids)[data.target].apply(
        lambda s: np.mean(np.abs(np.diff(s.to_numpy(float)))))
    error = merged.assign(e=(merged[data.target] - merged["forecast"]).abs()).groupby(data.ids)["e"].mean()
    ratio = (error / scale.reindex(error.index)).replace(np.inf, np.nan).dropna()
    return float(ratio.mean())


def share(train: pd.DataFrame, data, m: int) -> float:
    ordered = train.sort_values([*data.ids, data.time])
    lengths = ordered.groupby(data.ids, sort=False).size().to_numpy()
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return _short_season_share(ordered[data.target].to_numpy(float), indptr, longest_series(lengths), m)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(SEASONS))
    parser.add_argument("--length", type=int, required=True, help="points of history per series")
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--cutoffs", default="0", help="origins, in steps before the training part's end")
    parser.add_argument("--series", type=int, default=None, help="series drawn per origin (default: all)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = bench_suite.DATASETS[args.dataset]()
    m = SEASONS[args.dataset]
    cutoffs = [int(c) for c in args.cutoffs.split(",")]
    for k, train, test in windows(data, args.length, args.horizon, cutoffs, args.series):
        row = {"set": args.dataset, "length": args.length, "h": args.horizon, "cutoff": k,
               "series": int(train.groupby(data.ids).ngroups), "share": round(share(train, data, m), 3)}
        for label, opts in (("default", {}), ("season", {"seasons": [m]})):
            start = time.perf_counter()
            fc = Forecaster(target=data.target, time=data.time, ids=data.ids, horizon=args.horizon,
                            data=opts).fit(train)
            row[label] = round(mean_mase(train, test, fc.predict(), data), 4)
            row[f"{label} seconds"] = round(time.perf_counter() - start, 1)
            row[f"{label} seasons"] = list(fc.task_.seasons)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
