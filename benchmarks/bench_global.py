"""Global LightGBM: tsauto against mlforecast on M4 Hourly and M4 Weekly.

Measures, per data set, in one run:

* tsauto's global LightGBM (``Forecaster(learners=["lightgbm"])``; the default is a portfolio,
  see ``bench_suite.py``): fit, predict, accuracy (sMAPE, MASE, OWA against the published M4
  Naive2), peak memory;
* mlforecast with ``lightgbm.LGBMRegressor`` on tsauto's own configuration (the same
  hyperparameters, lags, rolling windows on lag 1, target transforms and series id feature,
  all read from the fitted tsauto model), and on the best-known mlforecast set-up per data set;
* feature building on its own (tsauto: ``LightGBMLearner.training_rows``;
  mlforecast: ``MLForecast.preprocess``) and recursive prediction on its own
  (``Forecaster.predict`` vs ``MLForecast.predict``), each the median of ``--repeats`` runs;
* seasonal naive (direct computation, the M4 season) and the published Naive2 as references;
* the fit on a busy machine: two identical fits started at once (two processes on the same
  cores, as two notebooks or CI jobs side by side), for tsauto and for mlforecast on the same
  configuration; each fit's time against its time alone.

Every tool configuration runs in a fresh child process (spawned), so that one tool's memory
and caches do not leak into another's numbers. In each child: data loading and a small
warm-up fit (lazy imports, JIT) come first, then the peak-RSS counter of the process is reset
(``/proc/self/clear_refs``), then the measured fit + predict; "peak MB" is the peak resident
memory of the child during fit + predict minus its resident memory just before the fit (RSS,
so LightGBM's native allocations count). Where ``clear_refs`` is not writable, the
``resource.getrusage`` ``ru_maxrss`` growth is used instead (and said so in the results).

Threads: LightGBM gets the thread count tsauto chose itself (``n_jobs=-1``: all cores of the
machine for 50k training rows or more), and mlforecast's ``LGBMRegressor`` gets the same
``n_jobs``; feature building is single-threaded in both (mlforecast ``num_threads=1``, its
default).

Run from the repository root::

    .venv/bin/python -m pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_global.py                 # full: writes RESULTS.md
    .venv/bin/python benchmarks/bench_global.py --quick         # smoke run, prints only
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import gc
import logging
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import git_commit, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import the working tree
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("bench_global")

SECTION = "bench_global"
SETS = {
    # M4 group -> horizon, the season of M4's MASE (and of the seasonal-naive reference)
    "hourly": {"horizon": 48, "m4_season": 24},
    "weekly": {"horizon": 13, "m4_season": 1},
}
WARMUP_SERIES = 4

# tsauto's LightGBM parameter names -> LGBMRegressor's (scikit-learn API) names.
SKLEARN_NAMES = {
    "objective": "objective",
    "learning_rate": "learning_rate",
    "num_leaves": "num_leaves",
    "min_data_in_leaf": "min_child_samples",
    "feature_fraction": "colsample_bytree",
    "bagging_fraction": "subsample",
    "bagging_freq": "subsample_freq",
    "lambda_l2": "reg_lambda",
    "num_boost_round": "n_estimators",
}


# --------------------------------------------------------------------------------- helpers


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(processName)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )


def _load(group: str, n_series: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from tsauto.datasets import load_m4

    train, test = load_m4(group)
    if n_series:
        ids = np.sort(train["unique_id"].unique())
        keep = ids[np.linspace(0, len(ids) - 1, min(n_series, len(ids))).astype(int)]
        train = train[train["unique_id"].isin(keep)].reset_index(drop=True)
        test = test[test["unique_id"].isin(keep)].reset_index(drop=True)
    return train, test


class PeakMemory:
    """Peak resident memory above the level at :meth:`start`, in MB."""

    def __init__(self) -> None:
        self.method = "VmHWM reset via /proc/self/clear_refs"
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            self.method = "ru_maxrss growth (getrusage)"

    @staticmethod
    def _status(key: str) -> float:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
        raise KeyError(key)

    def start(self) -> None:
        gc.collect()
        if self.method.startswith("VmHWM"):
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            self.base = self._status("VmRSS")
        else:
            self.base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    def peak(self) -> float:
        if self.method.startswith("VmHWM"):
            return self._status("VmHWM") - self.base
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 - self.base


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def lgbm_params(n_jobs: int, num_leaves: int | None = None) -> dict[str, Any]:
    """tsauto's DEFAULT_PARAMS (plus its seed/determinism settings) as LGBMRegressor kwargs,
    with the leaves tsauto's fit chose for its data size (``num_leaves``)."""
    from tsauto.forecasting.learners.lightgbm import DEFAULT_PARAMS

    missing = set(DEFAULT_PARAMS) - set(SKLEARN_NAMES)
    if missing:
        raise RuntimeError(f"map tsauto's LightGBM parameters {sorted(missing)} in SKLEARN_NAMES")
    out = {SKLEARN_NAMES[k]: v for k, v in DEFAULT_PARAMS.items()}
    out.update(random_state=0, deterministic=True, n_jobs=n_jobs, verbosity=-1)
    if num_leaves is not None:
        out["num_leaves"] = num_leaves
    return out


# --------------------------------------------------------------------------------- workers
# Each runs in a fresh spawned process and returns plain data (forecasts as a DataFrame).


def run_tsauto(group: str, n_series: int | None, repeats: int, barrier=None) -> dict[str, Any]:
    """tsauto's global LightGBM; with ``barrier`` (a pair run) only the fit, timed from the
    moment both processes are ready."""
    _setup_logging()
    import lightgbm

    from tsauto import Forecaster
    from tsauto.forecasting.learners.lightgbm import LightGBMLearner

    horizon = SETS[group]["horizon"]
    train, _ = _load(group, n_series)
    args = dict(target="y", time="t", ids="unique_id", horizon=horizon)
    warm_ids = train["unique_id"].unique()[:WARMUP_SERIES]
    warm = train[train["unique_id"].isin(warm_ids)]
    Forecaster(**args, learners=[LightGBMLearner(params={"num_boost_round": 5})]).fit(
        warm
    ).predict()

    mem = PeakMemory()
    mem.start()
    if barrier is not None:
        barrier.wait()
    t0 = time.perf_counter()
    fc = Forecaster(**args, learners=["lightgbm"]).fit(train)
    fit_s = time.perf_counter() - t0
    if barrier is not None:
        return {"fit_s": fit_s, "threads": int(fc.model_.learner.boosters_[0].params["num_threads"])}
    t0 = time.perf_counter()
    pred = fc.predict()
    predict_first_s = time.perf_counter() - t0
    peak = mem.peak()
    log.info("tsauto %s: fit %.1fs, predict %.2fs, peak %.0f MB", group, fit_s, predict_first_s, peak)

    learner = fc.model_.learner
    panel = fc.history_
    spec = learner.spec_

    def build():
        return learner.training_rows(panel)

    feature_s = _median_time(build, repeats)
    validate_s = _median_time(lambda: fc._validate(train), repeats)
    predict_s = _median_time(fc.predict, repeats)
    log.info("tsauto %s: features %.2fs, predict %.2fs (medians)", group, feature_s, predict_s)
    return {
        "forecast": pred.rename(columns={"forecast": "yhat"})[["unique_id", "t", "yhat"]],
        "fit_s": fit_s,
        "feature_s": feature_s,
        "validate_s": validate_s,
        "predict_s": predict_s,
        "predict_first_s": predict_first_s,
        "peak_mb": peak,
        "mem_method": mem.method,
        "lags": list(spec.lags.lags),
        "windows": list(spec.lags.windows),
        "stats": list(spec.lags.stats),
        "transforms": list(learner.transform_names_),
        "use_id": bool(spec.use_id),
        "features": list(spec.names),
        "seasons": list(fc.task_.seasons),
        "threads": int(learner.boosters_[0].params["num_threads"]),
        "num_leaves": int(learner.boosters_[0].params["num_leaves"]),
        "train_rows": int(learner.n_train_rows_),
        "lightgbm": lightgbm.__version__,
    }


def _mlf_transforms(names: list[str]) -> list:
    from mlforecast.target_transforms import Differences, LocalStandardScaler

    out = []
    for name in names:
        if name.startswith("diff"):
            out.append(Differences([int(name[4:] or 1)]))
        elif name == "scale":
            out.append(LocalStandardScaler())
        else:
            raise ValueError(f"no mlforecast counterpart mapped for tsauto transform {name!r}")
    return out


def mlf_config(kind: str, group: str, ts: dict[str, Any] | None) -> dict[str, Any]:
    """MLForecast keyword arguments (lags, lag_transforms, target_transforms) and extras."""
    from mlforecast.lag_transforms import RollingMax, RollingMean, RollingMin, RollingStd
    from mlforecast.target_transforms import Differences, LocalStandardScaler

    if kind == "same":
        stat_cls = {"mean": RollingMean, "std": RollingStd, "min": RollingMin, "max": RollingMax}
        rolls = [stat_cls[s](window_size=w) for w in ts["windows"] for s in ts["stats"]]
        return {
            "lags": ts["lags"],
            "lag_transforms": {1: rolls} if rolls else {},
            "target_transforms": _mlf_transforms(ts["transforms"]),
            "use_id": ts["use_id"],
        }
    # Best known here (the plain Differences without LocalStandardScaler scored OWA 0.653
    # Hourly; lags 1..13 without lag 52 scored 0.897 Weekly, with the same LightGBM).
    if group == "hourly":
        return {
            "lags": [24 * i for i in range(1, 8)],
            "lag_transforms": {},
            "target_transforms": [Differences([24]), LocalStandardScaler()],
            "use_id": False,
        }
    return {
        "lags": [*range(1, 14), 52],
        "lag_transforms": {},
        "target_transforms": [Differences([1]), LocalStandardScaler()],
        "use_id": False,
    }


def describe_mlf(kind: str, group: str, ts: dict[str, Any] | None) -> str:
    if kind == "same":
        return "tsauto's lags, windows, transforms" + (", series id" if ts["use_id"] else "")
    if group == "hourly":
        return "lags 24..168 step 24, Differences([24]) + LocalStandardScaler"
    return "lags 1..13 and 52, Differences([1]) + LocalStandardScaler"


def run_mlforecast(
    group: str, n_series: int | None, repeats: int, kind: str, ts: dict[str, Any], n_jobs: int,
    barrier=None,
) -> dict[str, Any]:
    """mlforecast + LGBMRegressor; with ``barrier`` (a pair run) only the fit."""
    _setup_logging()
    import warnings

    import lightgbm as lgb
    import mlforecast

    # "series were dropped completely due to the transformations": counted and reported below
    warnings.filterwarnings("ignore", message="The following series were dropped")
    from mlforecast import MLForecast

    horizon = SETS[group]["horizon"]
    train, _ = _load(group, n_series)
    cfg = mlf_config(kind, group, ts)
    df = train.rename(columns={"t": "ds"})
    static: list[str] = []
    if cfg["use_id"]:  # tsauto's "series_id": the id as a LightGBM categorical feature
        df = df.assign(series_id=df["unique_id"].astype("category"))
        static = ["series_id"]

    def make(params: dict[str, Any]) -> MLForecast:
        return MLForecast(
            models={"lgbm": lgb.LGBMRegressor(**params)},
            freq=1,
            lags=cfg["lags"],
            lag_transforms=cfg["lag_transforms"],
            target_transforms=[type(t)(**_init_args(t)) for t in cfg["target_transforms"]],
            num_threads=1,
        )

    params = lgbm_params(n_jobs, ts["num_leaves"] if ts else None)
    warm_ids = df["unique_id"].unique()[:WARMUP_SERIES]
    warm = df[df["unique_id"].isin(warm_ids)]
    make({**params, "n_estimators": 5}).fit(warm, static_features=static).predict(horizon)

    mem = PeakMemory()
    mem.start()
    if barrier is not None:
        barrier.wait()
    t0 = time.perf_counter()
    mlf = make(params).fit(df, static_features=static)
    fit_s = time.perf_counter() - t0
    if barrier is not None:
        return {"fit_s": fit_s, "threads": n_jobs}
    t0 = time.perf_counter()
    pred = mlf.predict(horizon)
    predict_first_s = time.perf_counter() - t0
    peak = mem.peak()
    log.info("mlforecast[%s] %s: fit %.1fs, predict %.2fs, peak %.0f MB", kind, group, fit_s,
             predict_first_s, peak)

    prep = make(params)
    feature_s = _median_time(lambda: prep.preprocess(df, static_features=static), repeats)
    prepped = prep.preprocess(df, static_features=static)
    n_rows, no_rows = len(prepped), df["unique_id"].nunique() - prepped["unique_id"].nunique()
    predict_s = _median_time(lambda: mlf.predict(horizon), repeats)
    log.info("mlforecast[%s] %s: features %.2fs, predict %.2fs (medians)", kind, group,
             feature_s, predict_s)
    return {
        "forecast": pred.rename(columns={"ds": "t", "lgbm": "yhat"})[["unique_id", "t", "yhat"]],
        "fit_s": fit_s,
        "feature_s": feature_s,
        "predict_s": predict_s,
        "predict_first_s": predict_first_s,
        "peak_mb": peak,
        "mem_method": mem.method,
        "train_rows": int(n_rows),
        "series_without_rows": int(no_rows),
        "features": list(mlf.ts.features_order_),
        "config": describe_mlf(kind, group, ts),
        "threads": n_jobs,
        "mlforecast": mlforecast.__version__,
    }


def _init_args(t) -> dict[str, Any]:
    """Constructor arguments of an mlforecast target transform (a fresh copy per model)."""
    from mlforecast.target_transforms import Differences

    return {"differences": list(t.differences)} if isinstance(t, Differences) else {}


def _in_child(fn, *args):
    """Run ``fn(*args)`` in a fresh spawned process and return its result."""
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _pair(fn, *args) -> list[dict[str, Any]]:
    """Run ``fn(*args, barrier)`` in two fresh processes at once; their fits start together."""
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, cf.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        barrier = manager.Barrier(2)
        futures = [pool.submit(fn, *args, barrier) for _ in range(2)]
        return [f.result() for f in futures]


# --------------------------------------------------------------------------------- scoring


def seasonal_naive(train: pd.DataFrame, horizon: int, season: int) -> pd.DataFrame:
    rows = []
    for uid, g in train.groupby("unique_id", sort=True):
        y = g.sort_values("t")["y"].to_numpy()
        m = season if len(y) >= season else 1
        tail = y[-m:]
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "t": g["t"].max() + np.arange(1, horizon + 1),
                    "yhat": tail[np.arange(horizon) % m],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def score(
    forecast: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, season: int,
    naive2: dict[str, float],
) -> dict[str, float]:
    """M4 sMAPE and MASE (means over series) and OWA relative to the published Naive2."""
    from tsauto.forecasting import metrics as M

    merged = test.merge(forecast, on=["unique_id", "t"], how="left", validate="one_to_one")
    if merged["yhat"].isna().any():
        raise RuntimeError(f"{int(merged['yhat'].isna().sum())} test points have no forecast")
    insample = {uid: g["y"].to_numpy() for uid, g in train.sort_values("t").groupby("unique_id")}
    smapes, mases = [], []
    for uid, g in merged.groupby("unique_id", sort=True):
        smapes.append(M.smape(g["y"].to_numpy(), g["yhat"].to_numpy()))
        mases.append(M.mase(g["y"].to_numpy(), g["yhat"].to_numpy(), insample[uid], season))
    s, m = float(np.mean(smapes)), float(np.nanmean(mases))
    return {"smape": s, "mase": m, "owa": M.owa(s, m, naive2["sMAPE"], naive2["MASE"])}


# --------------------------------------------------------------------------------- report


def _fmt(x: float | None, digits: int) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}×"


def set_section(group: str, res: dict[str, Any]) -> str:
    ts, same, best = res["tsauto"], res["mlf_same"], res["mlf_best"]
    h, m = SETS[group]["horizon"], SETS[group]["m4_season"]
    lines = [
        f"### M4 {group.capitalize()} ({res['n_series']} series, H={h}, MASE season {m})",
        "",
        "| tool / config | sMAPE | MASE | OWA | fit s | feature s | predict s | peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [
        ('tsauto global LightGBM (`learners=["lightgbm"]`)', ts),
        (f"mlforecast + LGBM: {same['config']}", same),
        (f"mlforecast + LGBM, best known: {best['config']}", best),
    ]
    for label, r in rows:
        sc = r["scores"]
        lines.append(
            f"| {label} | {sc['smape']:.3f} | {sc['mase']:.3f} | {sc['owa']:.3f} | "
            f"{r['fit_s']:.1f} | {r['feature_s']:.2f} | {r['predict_s']:.2f} | {r['peak_mb']:.0f} |"
        )
    sn = res["snaive"]
    lines.append(
        f"| seasonal naive (m={m}) | {sn['smape']:.3f} | {sn['mase']:.3f} | {sn['owa']:.3f} "
        "| – | – | – | – |"
    )
    n2 = res["naive2"]
    lines.append(
        f"| Naive2 (published M4) | {n2['sMAPE']:.3f} | {n2['MASE']:.3f} | 1.000 | – | – | – | – |"
    )
    lines += [
        "",
        "tsauto / mlforecast (same configuration): "
        f"feature building **{_ratio(ts['feature_s'], same['feature_s'])}**, "
        f"recursive prediction **{_ratio(ts['predict_s'], same['predict_s'])}**, "
        f"fit **{_ratio(ts['fit_s'], same['fit_s'])}**, "
        f"peak memory {_ratio(ts['peak_mb'], same['peak_mb'])} (below 1 = tsauto faster/smaller).",
        "",
        f"- tsauto chose: seasons {ts['seasons']}, lags {_short(ts['lags'])}, "
        f"windows {ts['windows']} × ({', '.join(ts['stats'])}) on lag 1, "
        f"transforms {ts['transforms']}, series id feature: {ts['use_id']}; "
        f"{len(ts['features'])} features, {ts['train_rows']:,} training rows, "
        f"LightGBM threads {ts['threads']}.",
        f"- mlforecast, same configuration: {len(same['features'])} features, "
        f"{same['train_rows']:,} training rows (mlforecast drops every row with a missing "
        f"feature, so {same['series_without_rows']} short series give it no training row; "
        "tsauto keeps rows whose lag 1 and target exist and lets LightGBM handle missing "
        f"longer lags/windows), LGBMRegressor n_jobs={same['threads']}.",
        f"- tsauto's DataFrame → Panel validation, not part of its feature time: "
        f"{ts['validate_s']:.2f} s; first predict call {ts['predict_first_s']:.2f} s "
        f"(mlforecast {same['predict_first_s']:.2f} s).",
        "",
    ]
    if "pairs" in res:
        lines += [
            ("Busy machine: two identical fits started at once (two processes sharing the "
             "cores); *slowdown*: the slower fit of the pair against the fit alone (1: no "
             "slowdown; 2: two fits share the cores that one had alone)."),
            "",
            "| tool | fit s alone (threads) | fit s of each, two at once (threads) | slowdown |",
            "| --- | ---: | ---: | ---: |",
        ]
        for label, alone, pair in (("tsauto", ts, res["pairs"]["tsauto"]),
                                   ("mlforecast (same configuration)", same, res["pairs"]["mlf"])):
            both = " / ".join(f"{p['fit_s']:.1f} ({p['threads']})" for p in pair)
            slow = max(p["fit_s"] for p in pair) / alone["fit_s"]
            lines.append(f"| {label} | {alone['fit_s']:.1f} ({alone['threads']}) | {both} | "
                         f"{slow:.2f}× |")
        lines.append("")
    return "\n".join(lines)


def _short(lags: list[int]) -> str:
    runs, start = [], lags[0] if lags else None
    for a, b in zip(lags, lags[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}..{a}" if a != start else f"{a}")
            start = b
    return "[" + ", ".join(runs) + "]"


def report(
    results: dict[str, dict[str, Any]], args, started: str, load: tuple, code: str
) -> str:
    import lightgbm
    import mlforecast

    import tsauto

    first = next(iter(results.values()))
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    head = [
        "## Global LightGBM: tsauto vs mlforecast (`benchmarks/bench_global.py`)",
        "",
        f"Run {started} on {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
        f"load average at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f} "
        "(a load above 0 means other processes shared the cores: timings are then noisy). "
        f"Python {platform.python_version()}, tsauto {tsauto.__version__} (commit {code}), "
        f"mlforecast {mlforecast.__version__}, lightgbm {lightgbm.__version__}, "
        f"numpy {np.__version__}, pandas {pd.__version__}."
        + (" **Quick run on a subset of series.**" if args.quick else ""),
        "",
        "How: each tool configuration runs in a fresh process; data loading and a small "
        "warm-up fit come before the measurement. *fit s*: one `fit` of the whole training "
        "set (tsauto: `Forecaster(learners=[\"lightgbm\"]).fit` from the DataFrame, including "
        "validation, seasonality "
        "detection and the target-transform choice; mlforecast: `MLForecast.fit`). "
        "*feature s*: feature building alone (tsauto: `LightGBMLearner.training_rows`, target "
        "transforms, features and the rows kept; mlforecast: `MLForecast.preprocess`), and "
        "*predict s*: "
        "the recursive H-step forecast alone (`Forecaster.predict()` vs "
        f"`MLForecast.predict(H)`), each the median of {args.repeats} runs. *peak MB*: peak "
        "resident memory of the process during fit + predict above its level just before "
        f"({first['tsauto']['mem_method']}). LightGBM: tsauto's `DEFAULT_PARAMS` for every "
        f"LightGBM row, with the leaves tsauto's fit chose ({first['tsauto']['num_leaves']}; "
        "127 from 100,000 observations; mlforecast's `LGBMRegressor` gets them under their "
        "scikit-learn names, `random_state=0, deterministic=True`), both with the LightGBM threads tsauto chose "
        f"(`n_jobs=-1` → {first['tsauto']['threads']}); feature building single-threaded in "
        "both. Accuracy: M4 sMAPE and MASE (means over series) on the M4 test set; OWA "
        "against the published Naive2.",
        "",
    ]
    body = [set_section(g, r) for g, r in results.items()]
    return "\n".join(head + body)


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--quick", action="store_true",
                        help="smoke run on a subset of series (--series); prints, writes nothing "
                             "unless --out is given")
    parser.add_argument("--series", type=int, default=30, help="series per set with --quick")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of feature building and of predict (median reported)")
    parser.add_argument("--no-pair", action="store_true",
                        help="skip the busy-machine measurement (two fits at once)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default benchmarks/RESULTS.md; none with --quick)")
    args = parser.parse_args(argv)
    _setup_logging()
    out = args.out or (None if args.quick else ROOT / "benchmarks" / "RESULTS.md")
    n_series = args.series if args.quick else None
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load = os.getloadavg()
    code = git_commit()
    log.info("tsauto %s", code)
    log.info("sets %s, %s, load average %.2f", args.sets,
             f"{n_series} series each" if n_series else "all series", load[0])

    from tsauto.datasets import m4_published

    results: dict[str, dict[str, Any]] = {}
    for group in args.sets:
        horizon, season = SETS[group]["horizon"], SETS[group]["m4_season"]
        train, test = _load(group, n_series)
        naive2 = m4_published(group)
        log.info("%s: %d series, %d training rows", group, train["unique_id"].nunique(), len(train))
        res: dict[str, Any] = {"n_series": train["unique_id"].nunique(), "naive2": naive2}
        log.info("%s: tsauto ...", group)
        ts = _in_child(run_tsauto, group, n_series, args.repeats)
        ts["scores"] = score(ts.pop("forecast"), train, test, season, naive2)
        log.info("%s: tsauto %s", group, ts["scores"])
        res["tsauto"] = ts
        for kind in ("same", "best"):
            log.info("%s: mlforecast (%s config) ...", group, kind)
            r = _in_child(run_mlforecast, group, n_series, args.repeats, kind,
                          {k: ts[k] for k in ("lags", "windows", "stats", "transforms", "use_id", "num_leaves")},
                          ts["threads"])
            r["scores"] = score(r.pop("forecast"), train, test, season, naive2)
            log.info("%s: mlforecast (%s) %s", group, kind, r["scores"])
            res[f"mlf_{kind}"] = r
        if not args.no_pair:
            log.info("%s: two fits at once ...", group)
            same_cfg = {k: ts[k] for k in ("lags", "windows", "stats", "transforms", "use_id", "num_leaves")}
            res["pairs"] = {
                "tsauto": _pair(run_tsauto, group, n_series, args.repeats),
                "mlf": _pair(run_mlforecast, group, n_series, args.repeats, "same", same_cfg,
                             ts["threads"]),
            }
            log.info("%s: pairs %s", group, res["pairs"])
        res["snaive"] = score(seasonal_naive(train, horizon, season), train, test, season, naive2)
        results[group] = res
        print("\n" + set_section(group, res), flush=True)

    text = report(results, args, started, load, code)
    if out is not None:
        write_section(SECTION, text, out)
        log.info("wrote section %r of %s", SECTION, out)
    else:
        print("\n" + text)


if __name__ == "__main__":
    main()
