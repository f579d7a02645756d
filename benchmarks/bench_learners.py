"""Every tsauto learner alone, next to statsforecast's AutoARIMA, AutoETS and AutoTheta.

On M4 Weekly (H=13), M4 Hourly (H=48) and Walmart store sales (H=8, the last 8 weeks held out),
each learner is fitted on the training part and forecasts the held-out horizon of the same
series as the peers. Reported: sMAPE, MASE (M4 seasons: 1 weekly, 24 hourly; 52 for Walmart),
OWA where the published Naive2 exists, fit time per series and the ratio of tsauto's time to
statsforecast's for the matching model. Slow local models run on an evenly spaced sample of the
series (``--series``); the sample is the same for every tool and is stated in the table.

    .venv/bin/python benchmarks/bench_learners.py [--sets weekly hourly walmart] [--series 100]

Each set writes its own section of RESULTS.md, so sets may be run separately (e.g. Hourly with
fewer series: statsforecast's AutoARIMA needs about 27 s per Hourly series here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import write_section  # noqa: E402

log = logging.getLogger("bench_learners")
LEARNERS = ["naive", "seasonal_naive", "drift", "theta", "ets", "auto_arima", "prophet",
            "croston", "tsb", "tcn", "lightgbm"]
PEER_OF = {"auto_arima": "AutoARIMA", "ets": "AutoETS", "theta": "AutoTheta"}


def load(name: str, n_series: int | None):
    """(train, test, target, time, ids, horizon, season, published Naive2 or None)."""
    from tsauto import datasets

    if name in ("weekly", "hourly"):
        train, test = datasets.load_m4(name)
        info = datasets.M4_INFO[name]
        cols = ("y", "t", ["unique_id"])
        horizon, season, pub = info["horizon"], info["season"], datasets.m4_published(name)
    else:
        sales = datasets.load_walmart()
        sizes = sales.groupby(["Store", "Dept"]).size()
        full = sizes[sizes == sizes.max()].index  # complete series, so the hold-out is aligned
        sales = sales.set_index(["Store", "Dept"]).loc[full].reset_index()
        cut = sales["Date"].max() - pd.Timedelta(weeks=8)
        train, test = sales[sales["Date"] <= cut], sales[sales["Date"] > cut]
        cols = ("Weekly_Sales", "Date", ["Store", "Dept"])
        horizon, season, pub = 8, 52, None
    ids = cols[2]
    keys = train[ids].drop_duplicates().sort_values(ids).reset_index(drop=True)
    if n_series and len(keys) > n_series:
        keys = keys.iloc[np.linspace(0, len(keys) - 1, n_series).astype(int)]
    train = train.merge(keys, on=ids)
    test = test.merge(keys, on=ids)
    return train, test, *cols, horizon, season, pub


def scores(fc: np.ndarray, train, test, target, time_col, ids, horizon, season, pub) -> dict:
    from tsauto.forecasting import metrics

    test = test.sort_values([*ids, time_col])
    actual = test[target].to_numpy().reshape(-1, horizon)
    history = [g[target].to_numpy() for _, g in train.sort_values([*ids, time_col]).groupby(ids, sort=True)]
    sm = float(np.mean([metrics.smape(actual[i], fc[i]) for i in range(len(actual))]))
    ms = float(np.nanmean([metrics.mase(actual[i], fc[i], history[i], season) for i in range(len(actual))]))
    owa = metrics.owa(sm, ms, pub["sMAPE"], pub["MASE"]) if pub else np.nan
    return {"smape": sm, "mase": ms, "owa": owa}


def run_tsauto(name, train, target, time_col, ids, horizon, feature_season):
    from tsauto.forecasting.validation import validate
    from tsauto.forecasting.learners.base import Task
    from tsauto.forecasting.learners.fallback import WithFallback
    from tsauto.forecasting import registry

    panel = validate(train, target=target, time=time_col, ids=ids)
    task = Task(horizon=horizon, season=feature_season, seasons=(feature_season,) if feature_season > 1 else (),
                quantiles=(), n_jobs=-1)
    start = time.monotonic()
    model = WithFallback(registry.create(name)).fit(panel, task)
    fit = time.monotonic() - start
    fc = model.predict(panel, {}).forecast.mean
    failures = getattr(model.learner, "failures_", None)
    note = f"{len(failures)} series fell back" if failures is not None and len(failures) else ""
    return fc, fit, note


def run_statsforecast(train, target, time_col, ids, horizon, feature_season):
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    df = train.copy()
    df["unique_id"] = df[ids].astype(str).agg("|".join, axis=1) if len(ids) > 1 else df[ids[0]]
    df = df.rename(columns={time_col: "ds", target: "y"})[["unique_id", "ds", "y"]]
    order = train[ids].drop_duplicates().sort_values(ids)
    order = order[ids].astype(str).agg("|".join, axis=1) if len(ids) > 1 else order[ids[0]]
    out, times = {}, {}
    freq = 1 if pd.api.types.is_integer_dtype(df["ds"]) else pd.infer_freq(df[df["unique_id"] == df["unique_id"].iloc[0]]["ds"])
    for model in (AutoARIMA(season_length=feature_season), AutoETS(season_length=feature_season),
                  AutoTheta(season_length=feature_season)):
        name = type(model).__name__
        sf = StatsForecast(models=[model], freq=freq, n_jobs=os.cpu_count())
        start = time.monotonic()
        fc = sf.forecast(df=df, h=horizon)
        times[name] = time.monotonic() - start
        fc = fc.set_index("unique_id").loc[order.to_numpy()]
        out[name] = fc[name].to_numpy().reshape(-1, horizon)
    return out, times


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", default=["weekly", "hourly", "walmart"])
    ap.add_argument("--series", type=int, default=100, help="series sampled per set (0: all)")
    ap.add_argument("--learners", nargs="+", default=LEARNERS)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    from tsauto import __version__

    parts = [
        "## Each learner alone vs statsforecast (`benchmarks/bench_learners.py`)\n",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores (load average at start "
        f"{os.getloadavg()[0]:.2f}); tsauto {__version__}; every tool with all cores (local models: "
        "one process per core, native threads pinned to 1). *s/series*: fit time over the number "
        "of series (tsauto: fit; statsforecast: forecast, which fits). Ratio: tsauto / statsforecast time.",
    ]
    for set_name in args.sets:
        train, test, target, time_col, ids, horizon, season, pub = load(set_name, args.series or None)
        # the seasons of the M4 evaluation (Weekly: 1); statsforecast's AutoARIMA with m=52
        # takes minutes per series, so weekly seasonality is only used on Walmart
        feature_season = {"weekly": 1, "hourly": 24, "walmart": 52}[set_name]
        n = len(train[ids].drop_duplicates())
        ctx = (train, test, target, time_col, ids, horizon, season, pub)
        rows = []
        peers, peer_times = run_statsforecast(train, target, time_col, ids, horizon, feature_season)
        for name, fc in peers.items():
            rows.append({"tool": f"statsforecast {name}", **scores(fc, *ctx), "s": peer_times[name] / n, "note": ""})
        for name in args.learners:
            if name == "prophet" and set_name != "walmart":
                continue  # integer time steps: Prophet needs a calendar
            try:
                fc, fit, note = run_tsauto(name, train, target, time_col, ids, horizon, feature_season)
            except Exception as err:
                log.warning("%s failed on %s: %s", name, set_name, err)
                rows.append({"tool": f"tsauto {name}", "smape": np.nan, "mase": np.nan, "owa": np.nan, "s": np.nan, "note": f"failed: {err}"})
                continue
            peer = PEER_OF.get(name)
            ratio = f"{(fit / n) / (peer_times[peer] / n):.2f}× {peer}" if peer else ""
            rows.append({"tool": f"tsauto {name}", **scores(fc, *ctx), "s": fit / n, "note": ", ".join(x for x in (ratio, note) if x)})
            log.info("%s %s: %s", set_name, name, rows[-1])
        title = {"weekly": "M4 Weekly", "hourly": "M4 Hourly", "walmart": "Walmart store × dept, complete series"}[set_name]
        lines = [f"\n### {title}: {n} series, H={horizon}, feature season {feature_season}\n",
                 "| model | sMAPE | MASE | OWA | s/series | note |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        for r in rows:
            lines.append(f"| {r['tool']} | {r['smape']:.3f} | {r['mase']:.3f} | {r['owa']:.3f} | {r['s']:.4f} | {r['note']} |")
        write_section("bench_learners", "\n".join(parts))
        write_section(f"bench_learners_{set_name}", "\n".join(lines))


if __name__ == "__main__":
    main()
