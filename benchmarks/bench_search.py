"""The full AutoML rows: tsauto's search at a time budget against AutoGluon-TimeSeries, in one run.

On M1 yearly (h=6, m=1), quarterly (8, 4) and monthly (18, 12), M4 Hourly (48, 24) and M4 Weekly
(13, 1), each at the same budget B (default 120 s), one tool after the other on the same machine:

- tsauto ``Forecaster(time_budget=B)`` (portfolio + search + ensemble + refit), and the best
  single trial of its search refit alone (outside the budget; to check that the ensemble is no
  worse on the held-out test);
- AutoGluon-TimeSeries ``presets="medium_quality", time_limit=B``, in its own virtual environment
  (``benchmarks/.venv-autogluon``: it needs pandas 2; created on first run with the CPU build of
  ``torch==2.13.0`` first, checked before every run; its pretrained models, Chronos-2 and
  Toto-2, cannot be fetched offline and are skipped by AutoGluon, as the table's note says).
  ``peers/autogluon_run.py`` lays each series on
  a dummy regular calendar by its steps (M4 has no dates, M1's start as early as year 1),
  keeping an M1 series' month or quarter of the year, and the forecasts are mapped back by step;
- then, where cheap (``--peers``, ``--peers-on``): statsforecast's mean of AutoETS and AutoTheta
  (season m), and on M4 mlforecast with LightGBM, seasonal lags and differences;
- Naive2 (M4's benchmark), the reference of OWA.

Scores (``bench_suite.score``): sMAPE and MASE (in-sample seasonal-naive scale with the data
set's m) per series, then averaged; OWA against the Naive2 computed here on the same series (the
published M4 Naive2 is shown as a check). Wall seconds of fit + predict of each tool, and the
load average at the start and end of each tool and data set.

    .venv/bin/python benchmarks/bench_search.py                  # all five, B = 120 s
    .venv/bin/python benchmarks/bench_search.py --sets m4_weekly --budget 300
    .venv/bin/python benchmarks/bench_search.py --series 8 --budget 15 --no-write   # smoke test

Per-data-set results are kept in ``bench_search_results.json`` (beside this script), from which
the ``bench_search`` section of ``RESULTS.md`` is rebuilt after every data set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_suite as suite
from results_file import git_commit, write_section

log = logging.getLogger("bench_search")
HERE = Path(__file__).resolve().parent
AG_VENV = HERE / ".venv-autogluon"
AG_PEER = HERE / "peers" / "autogluon_run.py"
STORE = HERE / "bench_search_results.json"
SETS = ("m1_yearly", "m1_quarterly", "m1_monthly", "m4_hourly", "m4_weekly")
PEERS = ("statsforecast", "mlforecast")
# AutoGluon's dummy calendar: pandas frequency and first date. M4 as before (a Monday).
AG_CALENDAR = {
    "m1_yearly": ("YS", "2000-01-01"),
    "m1_quarterly": ("QS", "2000-01-01"),
    "m1_monthly": ("MS", "2000-01-01"),
    "m4_hourly": ("h", "2000-01-03"),
    "m4_weekly": ("W-MON", "2000-01-03"),
}
PERIODS_PER_YEAR = {"MS": 12, "QS": 4}  # calendars whose first step keeps the series' phase
# mlforecast on M4 only: lags of the seasonal cycle and the differences best measured here
MLF_SETUP = {"m4_hourly": ([24 * i for i in range(1, 8)], [24]), "m4_weekly": (list(range(1, 14)), [1])}
TSAUTO = "tsauto time_budget"
AUTOGLUON = "AutoGluon-TS medium_quality"


def _load() -> float:
    return os.getloadavg()[0]


def _row(method: str, fc: np.ndarray, data: suite.Data, seconds: float | None, note: str,
         load: tuple[float, float]) -> dict:
    missing = int(np.isnan(fc).any(axis=1).sum())
    notes = [f"{missing} series without a forecast (naive used)"] if missing else []
    notes += [note] if note else []
    return {"method": method, **suite.score(fc, data), "seconds": seconds, "note": "; ".join(notes),
            "load": list(load)}


def _failed(method: str, err: Exception, seconds: float | None, load: tuple[float, float]) -> dict:
    log.exception("%s failed", method)
    return {"method": method, "smape": np.nan, "mase": np.nan, "seconds": seconds,
            "note": f"failed: {type(err).__name__}: {err}"[:200], "load": list(load)}


def _single_id(data: suite.Data) -> str:
    if len(data.ids) != 1:
        raise ValueError(f"{data.name}: one id column expected, got {data.ids}")
    return data.ids[0]


# --------------------------------------------------------------------------------------------
# tsauto


def run_tsauto(data: suite.Data, budget: float, single: bool) -> list[dict]:
    from tsauto import Forecaster
    from tsauto.forecasting import registry

    def forecaster(**kw) -> Forecaster:
        return Forecaster(target=data.target, time=data.time, ids=data.ids, horizon=data.horizon, **kw)

    method = f"{TSAUTO}={budget:g}"
    load0, start = _load(), time.monotonic()
    try:
        fc = forecaster(time_budget=budget)
        out = fc.fit(data.train).predict()
    except Exception as err:  # noqa: BLE001 - reported in the table
        return [_failed(method, err, time.monotonic() - start, (load0, _load()))]
    wall = time.monotonic() - start
    board = fc.leaderboard()
    ens = board[board["weight"] > 0]
    members = ", ".join(f"{r.learner}#{r.trial}×{r.weight:.2f}" for r in ens.itertuples())
    members = members or f"none refit in time ({fc.plan_.notes[-1]})"
    counts = ", ".join(f"{n} {status}" for status, n in board["status"].value_counts().items())
    note = f"{len(board)} trials ({counts}); ensemble {members}"
    rows = [_row(method, suite._matrix(out, data, "forecast")[0], data, wall, note, (load0, _load()))]
    if not single:
        return rows
    ok = [t for t in fc.trials_ if t.status == "ok"]
    if not ok:
        return rows
    best = min(ok, key=lambda t: t.score)
    method = f"tsauto best single trial ({best.learner}#{best.number})"
    load0, start = _load(), time.monotonic()
    try:
        alone = forecaster(learners=[registry.create(best.learner, **best.params)])
        out = alone.fit(data.train).predict()
    except Exception as err:  # noqa: BLE001
        return [*rows, _failed(method, err, None, (load0, _load()))]
    note = f"refit alone on all data, outside the budget ({time.monotonic() - start:.0f} s)"
    rows.append(_row(method, suite._matrix(out, data, "forecast")[0], data, None, note, (load0, _load())))
    return rows


# --------------------------------------------------------------------------------------------
# AutoGluon-TimeSeries (own venv)


def ensure_autogluon_venv() -> dict:
    """Create the AutoGluon venv if missing (torch's CPU build first); check that its torch is
    the CPU build and no CUDA package came in. Returns the versions."""
    py = AG_VENV / "bin" / "python"
    if not py.exists():
        log.info("creating %s (AutoGluon needs pandas 2; torch==2.13.0 first)", AG_VENV)
        subprocess.run([sys.executable, "-m", "venv", str(AG_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "autogluon.timeseries", "torch==2.13.0"], check=True)
    probe = ("import json, torch, pandas, autogluon.timeseries as a; print(json.dumps({'torch': "
             "torch.__version__, 'cuda': torch.version.cuda, 'pandas': pandas.__version__, "
             "'autogluon': a.__version__}))")
    versions = json.loads(subprocess.run([str(py), "-c", probe], check=True, capture_output=True,
                                         text=True).stdout.strip().splitlines()[-1])
    listed = json.loads(subprocess.run([str(py), "-m", "pip", "list", "--format=json"], check=True,
                                       capture_output=True, text=True).stdout)
    cuda = sorted(p["name"] for p in listed if p["name"].lower().startswith(("nvidia-", "triton")))
    if versions["cuda"] is not None or not versions["torch"].endswith("+cpu") or cuda:
        raise RuntimeError(f"{AG_VENV} holds a CUDA build ({versions}, {cuda}): remove it; "
                           "torch==2.13.0 must come from the local CPU wheel")
    return versions


def ag_frame(data: suite.Data, freq: str) -> pd.DataFrame:
    """``unique_id, step, y`` for ``peers/autogluon_run.py``: each series' points on integer
    steps; with a monthly or quarterly calendar, step 1 is January / Q1 and a series starts at
    its own month / quarter of the year (its true seasonal position)."""
    frame = suite._sf_frame(data).rename(columns={"ds": "step"})
    per_year = PERIODS_PER_YEAR.get(freq)
    if per_year:
        first = data.train.groupby(_single_id(data))[data.time].min()
        phase = (first.dt.month.to_numpy() - 1) // (12 // per_year)
        offset = pd.Series(phase, index=first.index.astype(str))
        frame["step"] += frame["unique_id"].map(offset).to_numpy()
    return frame


def skipped_models(text: str) -> list[str]:
    """Models AutoGluon's log says it skipped: failed (pretrained ones cannot be fetched
    offline) or out of time."""
    failed = re.findall(r"Exception caused (\S+) to fail", text)
    late = re.findall(r"Time limit exceeded\.\.\. Skipping (\S+)\.", text)
    return [f"{m} (failed)" for m in dict.fromkeys(failed)] + [f"{m} (time)" for m in dict.fromkeys(late)]


def run_autogluon(data: suite.Data, budget: float) -> dict:
    py = AG_VENV / "bin" / "python"
    freq, first_date = AG_CALENDAR[data.name]
    cache = HERE / ".cache"
    cache.mkdir(exist_ok=True)
    src, out = cache / f"ag_{data.name}_train.csv", cache / f"ag_{data.name}.csv"
    for old in (out, Path(f"{out}.json")):
        old.unlink(missing_ok=True)
    shutil.rmtree(f"{out}.ag", ignore_errors=True)
    ag_frame(data, freq).to_csv(src, index=False)
    method = f"{AUTOGLUON} time_limit={budget:g}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # no network here: pretrained models fail fast
    load0, start = _load(), time.monotonic()
    try:
        with open(f"{out}.log", "w") as fh:  # AutoGluon's own log (tracebacks of skipped models)
            subprocess.run([str(py), str(AG_PEER), str(src), str(data.horizon), freq, first_date,
                            str(budget), str(out)], check=True, env=env, stdout=fh, stderr=subprocess.STDOUT)
    except Exception as err:  # noqa: BLE001
        log.error("AutoGluon's log:\n%s", Path(f"{out}.log").read_text()[-4000:])
        return _failed(method, err, time.monotonic() - start, (load0, _load()))
    total, load1 = time.monotonic() - start, _load()
    meta = json.loads(Path(f"{out}.json").read_text())
    fc = pd.read_csv(out, dtype={"unique_id": str}).rename(
        columns={"unique_id": _single_id(data), "step": data.time})
    skipped = skipped_models(Path(f"{out}.log").read_text())
    note = (f"best model {meta['best']} of {len(meta['models'])}; fit {meta['fit']:.0f} s + predict "
            f"{meta['predict']:.0f} s; process {total:.0f} s with start-up"
            + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
    return _row(method, suite._matrix(fc, data, "forecast")[0], data, meta["wall"], note, (load0, load1))


# --------------------------------------------------------------------------------------------
# cheap peers


def run_statsforecast(data: suite.Data) -> dict:
    method = "statsforecast mean(AutoETS, AutoTheta)"
    load0, start = _load(), time.monotonic()
    try:
        fc = np.mean([suite.run_statsforecast(data, m)[0] for m in ("AutoETS", "AutoTheta")], axis=0)
    except Exception as err:  # noqa: BLE001
        return _failed(method, err, time.monotonic() - start, (load0, _load()))
    return _row(method, fc, data, time.monotonic() - start, f"season {data.season}", (load0, _load()))


def run_mlforecast(data: suite.Data) -> dict:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.target_transforms import Differences

    method = "mlforecast LightGBM (seasonal lags, differences)"
    lags, diffs = MLF_SETUP[data.name]
    load0, start = _load(), time.monotonic()
    try:
        mlf = MLForecast(models={"lgb": lgb.LGBMRegressor(verbosity=-1, n_jobs=os.cpu_count(), random_state=0)},
                         freq=1, lags=lags, target_transforms=[Differences(diffs)])
        out = mlf.fit(suite._sf_frame(data)).predict(data.horizon)
    except Exception as err:  # noqa: BLE001
        return _failed(method, err, time.monotonic() - start, (load0, _load()))
    wall = time.monotonic() - start
    out = out.rename(columns={"unique_id": _single_id(data), "ds": data.time})
    return _row(method, suite._matrix(out, data, "lgb")[0], data, wall, "", (load0, _load()))


def run_naive2(data: suite.Data) -> dict:
    load0, start = _load(), time.monotonic()
    fc, _ = suite.run_naive2(data)
    return _row("Naive2", fc, data, time.monotonic() - start, "reference of OWA", (load0, _load()))


# --------------------------------------------------------------------------------------------
# report


def _pick(entry: dict, prefix: str) -> dict | None:
    return next((r for r in entry["rows"] if r["method"].startswith(prefix)), None)


def verdict(entry: dict) -> tuple[str, str]:
    """(who is ahead at equal budget, one line saying so with OWA and wall seconds)."""
    ts, ag = _pick(entry, TSAUTO), _pick(entry, AUTOGLUON)
    if ts is None or ag is None or not (np.isfinite(ts["owa"]) and np.isfinite(ag["owa"])):
        failed = [name for name, r in (("tsauto", ts), ("AutoGluon-TS", ag))
                  if r is None or not np.isfinite(r["owa"])]
        return "n/a", f"No comparison: {' and '.join(failed)} without a result."
    if round(ts["owa"], 3) == round(ag["owa"], 3):
        who = "tie"
        head = "tsauto and AutoGluon-TS tie"
    else:
        who = "tsauto" if ts["owa"] < ag["owa"] else "AutoGluon-TS"
        head = f"{who} ahead"
    return who, (f"{head} at {entry['budget']:g} s: OWA {ts['owa']:.3f} (tsauto) vs {ag['owa']:.3f} "
                 f"(AutoGluon-TS); sMAPE {ts['smape']:.3f} vs {ag['smape']:.3f}, MASE {ts['mase']:.3f} "
                 f"vs {ag['mase']:.3f}; wall {suite._fmt(ts['seconds'], 0)} vs "
                 f"{suite._fmt(ag['seconds'], 0)} s.")


def _seconds(x) -> str:
    return "–" if x is None else suite._fmt(x, 0)


def dataset_table(entry: dict) -> str:
    lines = [
        f"### {entry['title']} (H={entry['horizon']}): {entry['n_series']} series, m={entry['season']}\n",
        (f"Run {entry['date']}, tsauto {entry['commit']}, budget {entry['budget']:g} s; load average "
         f"{entry['load_start']:.2f} at start, {entry['load_end']:.2f} at end.\n"),
        "| tool | sMAPE | MASE | OWA | wall s | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in entry["rows"]:
        load = "load {:.2f}→{:.2f}".format(*r["load"])
        note = "; ".join(x for x in (r["note"], load) if x)
        lines.append(f"| {r['method']} | {suite._fmt(r['smape'])} | {suite._fmt(r['mase'])} | "
                     f"{suite._fmt(r['owa'])} | {_seconds(r['seconds'])} | {note} |")
    lines.append(f"\n**{verdict(entry)[1]}**")
    if entry.get("published"):
        p = entry["published"]
        lines.append(f"\nPublished M4 Naive2 on the full set: sMAPE {p['sMAPE']:.3f}, MASE {p['MASE']:.3f} "
                     "(the Naive2 row above is computed here).")
    return "\n".join(lines)


def _cell(row: dict | None, key: str, digits: int = 3) -> str:
    return "n/a" if row is None or row[key] is None else suite._fmt(row[key], digits)


def section(store: dict) -> str:
    names = [n for n in (*SETS, *sorted(set(store) - set(SETS))) if n in store]
    versions = next((store[n]["autogluon"] for n in reversed(names) if store[n].get("autogluon")), {})
    ag = (f"AutoGluon {versions['autogluon']} (pandas {versions['pandas']}, torch {versions['torch']})"
          if versions else "AutoGluon")
    intro = (
        "Per data set, at the same budget and one after the other on the same machine (2 cores): "
        f"tsauto `Forecaster(time_budget=B)` and {ag} `presets=\"medium_quality\", time_limit=B` "
        "(its pretrained models, Chronos-2 and Toto-2, cannot be fetched offline here and are "
        "skipped, see the notes; it sees each "
        "series on a dummy regular calendar by its steps, M1 series at their own month or quarter "
        "of the year). Then the cheap peers and Naive2. sMAPE and MASE (in-sample "
        "seasonal-naive scale with the data set's m) per series, averaged; OWA against the Naive2 "
        "computed here on the same series. wall s: fit + predict (AutoGluon's inside its process; "
        "the note gives the process total with start-up).\n"
    )
    lines = [
        ("## AutoML at a time budget: tsauto vs AutoGluon-TimeSeries, statsforecast, mlforecast "
         "(`benchmarks/bench_search.py`)\n"),
        intro,
        "| data set | series | budget s | tsauto OWA | AutoGluon-TS OWA | tsauto wall s | AutoGluon-TS wall s | ahead |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for n in names:
        e = store[n]
        ts, agr = _pick(e, TSAUTO), _pick(e, AUTOGLUON)
        lines.append(f"| {e['title']} | {e['n_series']} | {e['budget']:g} | {_cell(ts, 'owa')} | "
                     f"{_cell(agr, 'owa')} | {_cell(ts, 'seconds', 0)} | {_cell(agr, 'seconds', 0)} | "
                     f"{verdict(e)[0]} |")
    for n in names:
        lines.append("\n" + dataset_table(store[n]))
    return "\n".join(lines)


def run_dataset(name: str, args, versions: dict, earlier: dict | None = None) -> dict:
    """Every method on one data set; methods skipped now (AutoGluon, peers) keep the rows of
    the ``earlier`` run at the same budget on the same series, marked with their run."""
    from tsauto import datasets  # noqa: F401 - resolves the data directory early

    data = suite.sample(suite.DATASETS[name](), args.series or None)
    load_start = _load()
    log.info("%s: %d series, tsauto at %g s", name, len(suite._keys(data)), args.budget)
    rows = run_tsauto(data, args.budget, not args.skip_single)
    if not args.skip_autogluon:
        rows.append(run_autogluon(data, args.budget))
    if name in args.peers_on:
        if "statsforecast" in args.peers:
            rows.append(run_statsforecast(data))
        if "mlforecast" in args.peers and name in MLF_SETUP:
            rows.append(run_mlforecast(data))
    rows.append(run_naive2(data))
    if earlier is not None and earlier.get("budget") == args.budget:
        others = [r for r in earlier["rows"] if not r["method"].startswith("tsauto")]  # rerun now
        order = [r["method"] for r in rows] + [r["method"] for r in others]
        rows = suite.keep_earlier_rows(rows, {**earlier, "rows": others}, len(suite._keys(data)), order)
    suite.add_owa(rows)
    return {
        "title": data.title, "n_series": len(suite._keys(data)), "horizon": data.horizon,
        "season": data.season, "budget": args.budget, "rows": rows, "published": data.published,
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", "commit": git_commit(),
        "load_start": load_start, "load_end": _load(),
        "autogluon": versions or (earlier or {}).get("autogluon", {}),  # kept rows keep their versions
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=120.0, help="seconds for tsauto and AutoGluon alike")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--series", type=int, default=None,
                    help="evenly spaced sample of series per data set (smoke tests)")
    ap.add_argument("--skip-autogluon", action="store_true")
    ap.add_argument("--skip-single", action="store_true", help="no refit of tsauto's best single trial")
    ap.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS,
                    help="cheap peers to run (none: --peers with no name); mlforecast on M4 only")
    ap.add_argument("--peers-on", nargs="+", default=list(SETS), choices=SETS,
                    help="data sets on which the peers run (e.g. leave out M1)")
    ap.add_argument("--no-write", action="store_true", help="print only; RESULTS.md and the store untouched")
    ap.add_argument("--verbose", action="store_true", help="tsauto's own INFO log as well")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    if not args.verbose:
        logging.getLogger("tsauto").setLevel(logging.WARNING)
    versions = {} if args.skip_autogluon else ensure_autogluon_venv()
    log.info("AutoGluon venv: %s", versions)
    store = {} if args.no_write else suite.load_store(STORE)
    done = {}
    for name in args.sets:
        done[name] = store[name] = run_dataset(name, args, versions, store.get(name))
        print(dataset_table(done[name]), flush=True)
        if not args.no_write:  # after every data set, so a run cut short keeps what it did
            suite.save_store(store, STORE)
            write_section("bench_search", section(store))
    print(section(store if not args.no_write else done))


if __name__ == "__main__":
    main()
