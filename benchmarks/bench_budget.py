"""Is the time budget held? ``Forecaster(time_budget=B).fit`` wall time ÷ B, idle and loaded.

On M4 Hourly (414 series, h=48) and M4 Weekly (359 series, h=13), at B = 60 s and 300 s, each
fit once on an idle machine and once with a second job sharing the cores (one process spinning
on each core for the whole fit). ``aus_retail_by_state``: the Australian retail set with
``partition_by="State"`` (8 partitions sharing the budget, two at a time), where small budgets
(20 s: 4.5 s a partition) test how partitions split it. The fit's wall time covers everything
``fit`` does (validation, plan, search, ensemble, refit); ``predict`` is timed apart. Each
forecast is scored once on the test part (sMAPE, MASE, OWA against Naive2 on the same series, as
in ``bench_suite``), to show what the budget bought; nothing here chooses a default.

    .venv/bin/python benchmarks/bench_budget.py --sets m4_hourly m4_weekly   # 2 sets x 2 budgets x 2
    .venv/bin/python benchmarks/bench_budget.py --sets m4_weekly --budgets 60 --loads idle
    .venv/bin/python benchmarks/bench_budget.py --sets aus_retail_by_state --budgets 20 60

Results are kept in ``bench_budget_results.json`` (beside this script); the ``bench_budget``
section of ``RESULTS.md`` is rebuilt from it after every run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import bench_suite as suite
from results_file import git_commit, write_section

log = logging.getLogger("bench_budget")
STORE = Path(__file__).with_name("bench_budget_results.json")
PARTITIONED = {"aus_retail_by_state": ("aus_retail", "State")}  # set: (suite data set, partition_by)
SETS = ("m4_hourly", "m4_weekly", *PARTITIONED)
TOLERANCE = 0.05  # issue 10: fit within budget + 5 %


@contextlib.contextmanager
def second_job(loaded: bool):
    """One process spinning on each core while the block runs (nothing when not ``loaded``)."""
    spinners = []
    if loaded:
        from tsauto.core.resources import cores

        spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores())]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def run_one(data: suite.Data, budget: float, loaded: bool, partition_by: str | None = None) -> dict:
    from tsauto import Forecaster

    fc = Forecaster(target=data.target, time=data.time, ids=data.ids, horizon=data.horizon,
                    time_budget=budget, partition_by=partition_by)
    load0 = os.getloadavg()[0]
    with second_job(loaded):
        start = time.monotonic()
        fc.fit(data.train)
        fit = time.monotonic() - start
        out = fc.predict()
        predict = time.monotonic() - start - fit
    board = fc.leaderboard()
    members = board[board["weight"] > 0]
    counts = ", ".join(f"{n} {s}" for s, n in board["status"].value_counts().items())
    mat, _ = suite._matrix(out, data, "forecast")
    return {
        "method": f"tsauto time_budget={budget:g}", "budget": budget, "load": "second job on every core" if loaded else "idle",
        "fit": fit, "ratio": fit / budget, "predict": predict, **suite.score(mat, data),
        "trials": f"{len(board)} ({counts})",
        "ensemble": (f"{board[partition_by].nunique()} partitions, {len(members)} members" if partition_by
                     else ", ".join(f"{r.learner}×{r.weight:.2f}" for r in members.itertuples())),
        "load_start": load0, "load_end": os.getloadavg()[0],
    }


def section(store: dict) -> str:
    lines = [
        (
            "Does `fit` end within its `time_budget`? Wall time of `Forecaster(time_budget=B).fit`"
            " (validation, plan, search, ensemble, refit) ÷ B, on an idle machine and with a second"
            " job sharing the cores (one spinning process per core); the target is ≤ 1.05."
            " The forecasts are scored once on the test part (OWA against Naive2 on the same series)."
            " With `partition_by`, the partitions share the budget, two at a time (one per core)."
        ),
        "",
        "| data set | budget | load | fit s | fit ÷ budget | predict s | sMAPE | MASE | OWA | trials | ensemble | run |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for entry in store.values():
        for r in entry["rows"]:
            held = "" if r["ratio"] <= 1 + TOLERANCE else " (over)"
            lines.append(
                f"| {entry['title']} | {r['budget']:g} | {r['load']} | {r['fit']:.1f} | "
                f"{r['ratio']:.3f}{held} | {r['predict']:.1f} | {r['smape']:.3f} | {r['mase']:.3f} | "
                f"{r.get('owa', float('nan')):.3f} | {r['trials']} | {r['ensemble']} | "
                f"{r['date']} ({r['commit']}), load {r['load_start']:.1f}→{r['load_end']:.1f} |"
            )
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--budgets", nargs="+", type=float, default=[60.0, 300.0])
    ap.add_argument("--loads", nargs="+", default=["idle", "loaded"], choices=["idle", "loaded"])
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("tsauto").setLevel(logging.WARNING)
    store = {} if args.no_write else suite.load_store(STORE)
    for name in args.sets:
        source, partition_by = PARTITIONED.get(name, (name, None))
        data = suite.DATASETS[source]()
        naive2 = {"method": "Naive2", **suite.score(suite.run_naive2(data)[0], data)}
        title = data.title + (f", partition_by={partition_by!r}" if partition_by else "")
        entry = store.setdefault(name, {"title": title, "rows": []})
        for budget in args.budgets:
            for load in args.loads:
                log.info("%s: time_budget=%g, %s", name, budget, load)
                row = run_one(data, budget, load == "loaded", partition_by)
                suite.add_owa([row, dict(naive2)])
                row.update(date=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", commit=git_commit())
                entry["rows"] = [r for r in entry["rows"]
                                 if (r["budget"], r["load"]) != (row["budget"], row["load"])] + [row]
                entry["rows"].sort(key=lambda r: (r["budget"], r["load"]))
                log.info("fit %.1fs = %.3f x budget; OWA %.3f", row["fit"], row["ratio"], row["owa"])
                if not args.no_write:
                    suite.save_store(store, STORE)
                    write_section("bench_budget", section(store))
    print(section(store))


if __name__ == "__main__":
    main()
