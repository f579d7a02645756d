"""Trials in parts: the default fit's wall time with the search's parts rule against every trial
whole, on this machine's cores.

Without a budget, a trial whose learner fits fold by fold runs as one call per fold when its
estimated seconds are at least the workers' even share of all candidates' (``Search._parts``).
On 2 cores the default portfolio keeps both workers busy and nothing is split; where workers
outnumber the long trials, LightGBM's folds run side by side. This script measures that:
each (data set, rule, ``n_jobs``) is a fresh child process fitting the default
``Forecaster(target, time, ids, horizon, compute={"n_jobs": ...})`` on the training parts and
predicting; ``whole`` turns the rule off (``Search._parts`` returns no parts). Reported: fit and
predict wall seconds, the learners split, and the largest difference between the forecasts of
the rules (they must agree: a part is the same computation as the trial's fold).

    .venv/bin/python benchmarks/bench_parts.py [--datasets m4_hourly,m4_weekly]
        [--n-jobs -1 4] [--rules parts whole] [--write] [--results PATH] [--store PATH]
    .venv/bin/python benchmarks/bench_parts.py --from-store PATH --write  # a run made elsewhere

``--write`` replaces the ``bench_parts`` section of benchmarks/RESULTS.md (or ``--results``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_suite import DATASETS, _matrix, score  # noqa: E402
from results_file import RESULTS, git_commit, write_section  # noqa: E402

log = logging.getLogger("bench_parts")
RULES = ("parts", "whole")
CHILD_TIMEOUT = 900  # seconds for one child's fit and predict


def run_child(dataset: str, rule: str, n_jobs: int) -> dict:
    """Fit and predict the default on ``dataset`` in this process; the measurements."""
    import tsauto
    from tsauto.core.resources import cores
    from tsauto.core.search import Search

    split: set[str] = set()
    parts_of = Search._parts

    def parts(self, record, deadline):
        out = parts_of(self, record, deadline) if rule == "parts" else []
        if out:
            split.add(record.learner)
        return out

    Search._parts = parts
    data = DATASETS[dataset]()
    fc = tsauto.Forecaster(target=data.target, time=data.time, ids=data.ids, horizon=data.horizon,
                           compute={"n_jobs": n_jobs})
    start = time.perf_counter()
    fc.fit(data.train)
    fitted = time.perf_counter()
    out = fc.predict()
    done = time.perf_counter()
    mat, _ = _matrix(out, data, "forecast")
    board = fc.leaderboard()
    return {
        "dataset": dataset, "title": data.title, "rule": rule, "n_jobs": n_jobs, "cores": cores(),
        "fit_s": fitted - start, "predict_s": done - fitted, "split": sorted(split),
        "trials": {row.learner: round(float(row.fit_time), 1) for row in board.itertuples()},
        "mase": score(mat, data)["mase"], "forecasts": mat.tolist(),
    }


def measure(dataset: str, rule: str, n_jobs: int) -> dict:
    """One child process's measurements (an ``error`` entry where it failed)."""
    cmd = [sys.executable, __file__, "--child", dataset, rule, str(n_jobs)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"dataset": dataset, "rule": rule, "n_jobs": n_jobs, "commit": git_commit(),
                "error": f"over {CHILD_TIMEOUT}s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"dataset": dataset, "rule": rule, "n_jobs": n_jobs,
                "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]}
    return {**json.loads(lines[-1]), "commit": git_commit(), "date": str(dt.date.today())}


def table(rows: list[dict]) -> str:
    """The section: one row per child, the forecasts' largest difference per data set and machine."""
    ok = [r for r in rows if "error" not in r]
    out = [
        "## Trials in parts (`benchmarks/bench_parts.py`)",
        "",
        f"{ok[0]['date'] if ok else dt.date.today()}: the default `Forecaster` fitted on the "
        "training parts and predicting, each run in a fresh process. `parts`: the search's rule (a "
        "learner's folds side by side where its trial is at least the workers' even share of all "
        "trials); `whole`: every trial one call. Trials: the leaderboard's fit seconds (of a trial "
        "in parts, its parts' sum).",
        "",
        "| data set | cores | n_jobs | commit | rule | split | fit s | predict s | test MASE | trials (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['dataset']} | {r.get('cores', '')} | {r['n_jobs']} | {r.get('commit', '')} "
                       f"| {r['rule']} | failed: {r['error']} | | | | |")
            continue
        trials = ", ".join(f"{k} {v}" for k, v in r["trials"].items())
        out.append(f"| {r['title']} | {r['cores']} | {r['n_jobs']} | {r['commit']} | {r['rule']} "
                   f"| {', '.join(r['split']) or '-'} | {r['fit_s']:.1f} | {r['predict_s']:.1f} "
                   f"| {r['mase']:.4f} | {trials} |")
    out.append("")
    for name, cores in dict.fromkeys((r["dataset"], r["cores"]) for r in ok):
        mats = [np.asarray(r["forecasts"]) for r in ok if (r["dataset"], r["cores"]) == (name, cores)]
        diff = max(float(np.nanmax(np.abs(m - mats[0]))) for m in mats)
        out.append(f"- {name}, {cores} cores: largest difference between the runs' forecasts {diff:.3g}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="m4_hourly,m4_weekly")
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[-1])
    parser.add_argument("--rules", nargs="+", choices=RULES, default=list(RULES))
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--store", type=Path, help="JSON of every run, rewritten after each")
    parser.add_argument("--from-store", type=Path, help="write the table of a --store file, run nothing")
    parser.add_argument("--child", nargs=3, metavar=("DATASET", "RULE", "N_JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        dataset, rule, n_jobs = args.child
        sys.stdout.write(json.dumps(run_child(dataset, rule, int(n_jobs))) + "\n")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rows = json.loads(args.from_store.read_text()) if args.from_store else []
    for dataset in [] if args.from_store else args.datasets.split(","):
        for n_jobs in args.n_jobs:
            for rule in args.rules:
                rows.append(measure(dataset, rule, n_jobs))
                r = rows[-1]
                log.info("%s n_jobs=%s %s: %s", dataset, n_jobs, rule,
                         r.get("error") or f"fit {r['fit_s']:.1f}s, split {r['split']}")
                if args.store:
                    args.store.write_text(json.dumps(rows))
    text = table(rows)
    if args.write:
        write_section("bench_parts", text, args.results)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
