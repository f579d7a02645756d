"""The full AutoML rows: tsauto's search at a time budget against its peers, in one run.

On M4 Hourly (H=48) and M4 Weekly (H=13), each at the same budget (default 300 s):

- tsauto ``Forecaster(time_budget=B)`` (search + ensemble + refit), and the best single trial
  of its search refit alone (to check that the ensemble is no worse on the held-out test);
- AutoGluon-TimeSeries ``presets="medium_quality", time_limit=B``, in its own virtual
  environment (``benchmarks/.venv-autogluon``: it needs pandas 2; created on first run with
  ``torch==2.13.0`` first; its pretrained Chronos model cannot be fetched offline and is
  skipped by AutoGluon);
- statsforecast: the mean of AutoETS and AutoTheta (season from M4), and
- mlforecast with LightGBM, lags of the seasonal cycle and the differences best measured here.

Accuracy: M4 sMAPE, MASE and OWA against the published Naive2; wall time of fit + predict.

    .venv/bin/python benchmarks/bench_search.py [--budget 300] [--sets hourly weekly] [--skip-autogluon]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import write_section  # noqa: E402

log = logging.getLogger("bench_search")
HERE = Path(__file__).resolve().parent
AG_VENV = HERE / ".venv-autogluon"
SEASON = {"hourly": 24, "weekly": 1}
FEATURE_SEASON = {"hourly": 24, "weekly": 52}
FREQ = {"hourly": "h", "weekly": "W-MON"}


def owa_row(name: str, fc: np.ndarray, train: pd.DataFrame, test: pd.DataFrame, group: str, wall: float | None, note: str = "") -> dict:
    from tsauto import datasets, metrics

    ids = np.sort(train["unique_id"].unique())
    h = datasets.M4_INFO[group]["horizon"]
    actual = test.sort_values(["unique_id", "t"])["y"].to_numpy().reshape(len(ids), h)
    grouped = dict(tuple(train.sort_values(["unique_id", "t"]).groupby("unique_id")["y"]))
    sm = float(np.mean([metrics.smape(actual[i], fc[i]) for i in range(len(ids))]))
    ms = float(np.mean([metrics.mase(actual[i], fc[i], grouped[k].to_numpy(), SEASON[group]) for i, k in enumerate(ids)]))
    pub = datasets.m4_published(group)
    return {"tool": name, "smape": sm, "mase": ms, "owa": metrics.owa(sm, ms, pub["sMAPE"], pub["MASE"]), "wall": wall, "note": note}


def to_matrix(df: pd.DataFrame, col: str, h: int) -> np.ndarray:
    df = df.sort_values(["unique_id", df.columns[1]])
    return df[col].to_numpy().reshape(-1, h)


def run_tsauto(group, train, test, budget) -> list[dict]:
    from tsauto import Forecaster, registry
    from tsauto.forecasting.learners.fallback import WithFallback

    h = test.groupby("unique_id").size().iloc[0]
    start = time.monotonic()
    fc = Forecaster(target="y", time="t", ids="unique_id", horizon=int(h), time_budget=budget)
    fc.fit(train)
    out = fc.predict()
    wall = time.monotonic() - start
    board = fc.leaderboard()
    ens = board[board["weight"] > 0]
    note = ", ".join(f"{r.learner}#{r.trial}×{r.weight:.2f}" for r in ens.itertuples())
    rows = [owa_row(f"tsauto time_budget={budget:g}", to_matrix(out, "forecast", h), train, test, group, wall,
                    f"{len(board)} trials ({(board['status'] == 'ok').sum()} ok); ensemble {note}")]
    best = min((t for t in fc.trials_ if t.status == "ok"), key=lambda t: t.score)
    lgbm_base = {"lags": "auto", "windows": "auto"} if best.learner == "lightgbm" else {}
    single = WithFallback(registry.create(best.learner, **{**lgbm_base, **best.params}))
    mean = single.fit(fc.history_, fc.task_).predict(fc.history_, {}).forecast.mean
    rows.append(owa_row(f"tsauto best single trial ({best.learner}#{best.number})", mean, train, test, group, None,
                        "refit alone on all data, outside the budget"))
    return rows


def run_autogluon(group, budget) -> dict | None:
    py = AG_VENV / "bin" / "python"
    if not py.exists():
        log.info("creating %s (AutoGluon needs pandas 2; torch==2.13.0 first)", AG_VENV)
        subprocess.run([sys.executable, "-m", "venv", str(AG_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "autogluon.timeseries", "torch==2.13.0"], check=True)
    from tsauto import datasets

    src = datasets.resolve_data_dir() / "forecasting" / "m4" / f"{group.capitalize()}-long.csv.gz"
    out = HERE / ".cache" / f"ag_{group}.csv"
    out.parent.mkdir(exist_ok=True)
    h = datasets.M4_INFO[group]["horizon"]
    start = time.monotonic()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # no network here: pretrained models fail fast
    subprocess.run([str(py), str(HERE / "peers" / "autogluon_m4.py"), str(src), str(h), FREQ[group], str(budget), str(out)],
                   check=True, env=env)
    wall = time.monotonic() - start
    meta = json.loads(Path(str(out) + ".json").read_text())
    fc = pd.read_csv(out)
    return {"fc": to_matrix(fc, "forecast", h), "wall": wall, "note": f"best model {meta['best']}; wall includes start-up"}


def run_statsforecast(group, train, h) -> tuple[np.ndarray, float]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    m = FEATURE_SEASON[group] if group == "hourly" else 1
    df = train.rename(columns={"t": "ds"})[["unique_id", "ds", "y"]]
    sf = StatsForecast(models=[AutoETS(season_length=m), AutoTheta(season_length=m)], freq=1, n_jobs=os.cpu_count())
    start = time.monotonic()
    out = sf.forecast(df=df, h=h)
    wall = time.monotonic() - start
    out = out.sort_values(["unique_id", "ds"])
    combo = (out["AutoETS"].to_numpy() + out["AutoTheta"].to_numpy()) / 2
    return combo.reshape(-1, h), wall


def run_mlforecast(group, train, h) -> tuple[np.ndarray, float]:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.target_transforms import Differences

    df = train.rename(columns={"t": "ds"})[["unique_id", "ds", "y"]]
    if group == "hourly":
        lags, diffs = [24 * i for i in range(1, 8)], [24]
    else:
        lags, diffs = list(range(1, 14)), [1]
    mlf = MLForecast(models={"lgb": lgb.LGBMRegressor(verbosity=-1, n_jobs=os.cpu_count(), random_state=0)},
                     freq=1, lags=lags, target_transforms=[Differences(diffs)])
    start = time.monotonic()
    mlf.fit(df)
    out = mlf.predict(h)
    wall = time.monotonic() - start
    return out.sort_values(["unique_id", "ds"])["lgb"].to_numpy().reshape(-1, h), wall


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--sets", nargs="+", default=["hourly", "weekly"])
    ap.add_argument("--skip-autogluon", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    from tsauto import __version__, datasets

    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load = os.getloadavg()[0]
    parts = [
        "## AutoML at a time budget: tsauto vs AutoGluon-TimeSeries, statsforecast, mlforecast "
        "(`benchmarks/bench_search.py`)\n",
        f"Run {started} on {os.cpu_count()} cores, load average at start {load:.2f}; tsauto {__version__}; "
        f"budget {args.budget:g} s for tsauto and AutoGluon (medium_quality). OWA against the published Naive2.\n",
    ]
    for group in args.sets:
        train, test = datasets.load_m4(group)
        h = datasets.M4_INFO[group]["horizon"]
        rows = run_tsauto(group, train, test, args.budget)
        if not args.skip_autogluon:
            try:
                ag = run_autogluon(group, args.budget)
                rows.append(owa_row(f"AutoGluon-TS medium_quality time_limit={args.budget:g}", ag["fc"], train, test, group, ag["wall"], ag["note"]))
            except Exception as err:  # report the peer's failure in the table, go on
                log.warning("AutoGluon failed: %s", err)
                rows.append({"tool": "AutoGluon-TS", "smape": np.nan, "mase": np.nan, "owa": np.nan, "wall": None, "note": f"failed: {err}"})
        fc, wall = run_statsforecast(group, train, h)
        rows.append(owa_row("statsforecast mean(AutoETS, AutoTheta)", fc, train, test, group, wall))
        fc, wall = run_mlforecast(group, train, h)
        rows.append(owa_row("mlforecast LightGBM (seasonal lags, differences)", fc, train, test, group, wall))
        lines = [f"\n### M4 {group.capitalize()} (H={h})\n", "| tool | sMAPE | MASE | OWA | wall s | note |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        for r in rows:
            wall_s = "–" if r["wall"] is None else f"{r['wall']:.0f}"
            lines.append(f"| {r['tool']} | {r['smape']:.3f} | {r['mase']:.3f} | {r['owa']:.3f} | {wall_s} | {r['note']} |")
        parts.append("\n".join(lines))
        log.info("\n%s", "\n".join(lines))
        write_section("bench_search", "\n".join(parts))


if __name__ == "__main__":
    main()
