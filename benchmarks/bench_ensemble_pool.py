"""Which trials the ensemble of a budgeted search chooses from, compared on validation only.

For each data set, one ``Forecaster(time_budget=B)`` search runs on the training parts less their
last h points (``bench_suite.validation_windows``; test parts are never read). Its trials, with
their out-of-fold forecasts, are then blended by the same greedy selection (Caruana) from four
pools, each blend's members refit on those data and scored on the held-out last h points:

- ``top20``: the 20 best trials (the rule before 2026-12-02);
- ``leaders+top``: every learner's best trial, then the best others up to 20 (``ensemble_pool``);
- ``defaults``: the default trial of every learner only (what the unbudgeted default blends);
- ``defaults+leaders+top``: both;

and ``fit``, the search's own result: the ``leaders+top`` blend unless its gain over the
``defaults`` blend is within the noise of choosing among its trials (then the ``defaults`` one;
``tsauto.core.selection.search_gain_is_real``), with the reason in the notes.

Scores: OWA against Naive2 on the same hold-out. Writes the ``bench_ensemble_pool`` section of
RESULTS.md. About 5 minutes per data set at the default 300 s.

    .venv/bin/python benchmarks/bench_ensemble_pool.py [--sets m1_yearly ...] [--budget 300] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_suite as bs  # noqa: E402
from results_file import git_commit, markdown, write_section  # noqa: E402

import tsauto  # noqa: E402
import tsauto.core.engine as engine  # noqa: E402
from tsauto.core.ensemble import greedy_ensemble  # noqa: E402
from tsauto.core.selection import ENSEMBLE_POOL, ensemble_pool  # noqa: E402

log = logging.getLogger("bench_ensemble_pool")
SETS = ("m1_yearly", "m1_quarterly", "m1_monthly", "m4_hourly", "m4_weekly")
POOLS = ("top20", "leaders+top", "defaults", "defaults+leaders+top")
COLUMNS = (*POOLS, "fit")


def _union(*groups):
    seen, out = set(), []
    for group in groups:
        for t in group:
            if t.number not in seen:
                seen.add(t.number)
                out.append(t)
    return out


def pools(trials, n_defaults: int) -> dict[str, list]:
    """The candidate pools over the finished trials (the first ``n_defaults`` trials are the
    learners' defaults: a search tries them first)."""
    ok = sorted((t for t in trials if t.status == "ok"), key=lambda t: t.score)
    defaults = [t for t in ok if t.number < n_defaults]
    leaders = list({t.learner: t for t in reversed(ok)}.values())
    both = _union(defaults, leaders)
    return {
        "top20": ok[:ENSEMBLE_POOL],
        "leaders+top": ensemble_pool(ok),
        "defaults": defaults,
        "defaults+leaders+top": _union(both, ok)[: max(ENSEMBLE_POOL, len(both))],
    }


def run_set(name: str, budget: float) -> dict:
    """One search on the validation cut of ``name``, then every pool's blend scored."""
    data = bs.DATASETS[name]()
    if name in bs.DEFAULT_SERIES:
        data = bs.sample(data, bs.DEFAULT_SERIES[name])
    cut = bs.validation_windows(data, 1)[0]
    captured = {}
    search_and_refit = engine.search_and_refit

    def capture(strategy, candidates, *args, **kwargs):
        result = search_and_refit(strategy, candidates, *args, **kwargs)
        captured.update(strategy=strategy, n=len(candidates), oof={t.number: t.oof for t in result.trials},
                        trials=list(result.trials))
        return result

    engine.search_and_refit = capture
    try:
        fc = tsauto.Forecaster(target=cut.target, time=cut.time, ids=cut.ids, horizon=cut.horizon,
                               time_budget=budget)
        fc.fit(cut.train)
    finally:
        engine.search_and_refit = search_and_refit
    naive2 = bs.score(bs.run_naive2(cut)[0], cut)

    def owa() -> float:
        s = bs.score(bs._matrix(fc.predict(), cut, "forecast")[0], cut)
        return 0.5 * (s["smape"] / naive2["smape"] + s["mase"] / naive2["mase"])

    fitted_board = fc.leaderboard()
    row = {"set": name, "trials": len(captured["trials"]), "fit": owa(),
           "fit blend": ", ".join(f"{w:.2f}×{n}" for n, w in zip(fitted_board["learner"], fitted_board["weight"]) if w > 0),
           "choice": next((n for n in fc.plan_.notes if "blend kept" in n), "no searched trial")}
    log.info("%s fit: OWA %.4f (%s); %s", name, row["fit"], row["fit blend"], row["choice"])
    strategy, trials = captured["strategy"], captured["trials"]
    for t in trials:
        t.oof = captured["oof"][t.number]
    best = min((t for t in trials if t.status == "ok"), key=lambda t: t.score)
    fitted = {}
    for pool_name, pool in pools(trials, captured["n"]).items():
        weights, loss = greedy_ensemble([strategy.oof(t) for t in pool], lambda p: strategy.loss(best, p))
        members = [(float(w), t) for t, w in zip(pool, weights) if w > 0]
        for _, t in members:
            if t.number not in fitted:
                fitted[t.number] = strategy.fit_member(t, None)
        fc.model_ = strategy.assemble([(w, fitted[t.number]) for w, t in members], [t for _, t in members])
        row[pool_name] = owa()
        row[pool_name + " blend"] = ", ".join(f"{w:.2f}×{t.learner}" for w, t in members)
        log.info("%s %s: inner %.4f, OWA %.4f (%s)", name, pool_name, loss, row[pool_name],
                 row[pool_name + " blend"])
    return row


def table(rows: list[dict], budget: float) -> str:
    frame = pd.DataFrame([{"data set": r["set"], "trials": r["trials"], **{p: r[p] for p in COLUMNS}} for r in rows])
    mean = {"data set": "mean", "trials": "", **{p: float(np.mean(frame[p])) for p in COLUMNS}}
    frame = pd.concat([frame, pd.DataFrame([mean])], ignore_index=True)
    blends = "\n".join(f"- {r['set']}: " + "; ".join(f"{p}: {r[p + ' blend']}" for p in COLUMNS) for r in rows)
    choices = "\n".join(f"- {r['set']}: {r['choice']}" for r in rows)
    load = os.getloadavg()[0]
    return (
        "## Ensemble pool of a budgeted search (`benchmarks/bench_ensemble_pool.py`)\n\n"
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M}, tsauto {git_commit()}, `time_budget={budget:g}`, "
        f"load average {load:.2f} at the end. Validation only: one search per data set on the "
        "training parts less their last h points, each pool's greedy blend refit there and scored "
        "on those h points (OWA against Naive2; lower is better).\n\n"
        + markdown(frame) + "\n\nBlends (weight × learner):\n\n" + blends
        + "\n\nThe fit's choice of blend:\n\n" + choices + "\n"
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(bs.DATASETS))
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("tsauto").setLevel(logging.WARNING)
    rows = [run_set(name, args.budget) for name in args.sets]
    text = table(rows, args.budget)
    print(text)
    if not args.no_write:
        write_section("bench_ensemble_pool", text)


if __name__ == "__main__":
    main()
