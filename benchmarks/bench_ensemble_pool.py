"""Which trials the ensemble of a budgeted search chooses from, compared on validation only.

For each data set, one ``Forecaster(time_budget=B)`` search runs on the training parts less their
last h points (``bench_suite.validation_windows``; test parts are never read). Its trials, with
their out-of-fold forecasts, are then blended by the same greedy selection (Caruana) from four
pools, each blend's members refit on those data and scored on the held-out last h points:

- ``top20``: the 20 best trials (the rule before 2026-12-02);
- ``leaders+top``: every learner's best trial, then the best others up to 20 (``ensemble_pool``);
- ``defaults``: the default trials of the learners a fit without a budget compares (what the
  unbudgeted default blends; on tables every learner);
- ``every default``: the default trial of every learner the search tried (with the TCN,
  Prophet and drift a budget adds);
- ``defaults+leaders+top``: ``every default`` and ``leaders+top``;

``fit``, the search's own result: the ``leaders+top`` blend less the members whose refit did not
fit the budget; and ``no budget``,
the default ``Forecaster`` without a budget fitted on the same cut (what a budget must not be
worse than).

Scores: OWA against Naive2 on the same hold-out. About 5 minutes per data set at the default 300 s.
``--windows K`` repeats it at K validation origins h apart (rows ``<set>`` hold out the last h
points, ``<set> w1`` the h before them, and so on; one window is one draw of the future, and
blends that differ by 1 % swap places between windows).

Tables the same way (``--tables``): one ``Classifier``/``Regressor(time_budget=--table-budget)``
on the training rows of ``bench_tabular.load_split`` less a seeded 25 % of them (its test rows
are never read), each pool's blend scored on that quarter with the set's metric (RMSE for
regression; log loss for classification);
``no budget``: the same estimator without a budget.

Writes the ``bench_ensemble_pool`` (series) and ``bench_ensemble_pool_tables`` sections of RESULTS.md.

    .venv/bin/python benchmarks/bench_ensemble_pool.py [--sets m1_yearly ...] [--budget 300]
        [--windows 1] [--tables abalone ...] [--table-budget 60] [--no-write]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_suite as bs  # noqa: E402
import bench_tabular as bt  # noqa: E402
from results_file import git_commit, markdown, write_section  # noqa: E402

import tsauto  # noqa: E402
import tsauto.core.engine as engine  # noqa: E402
from tsauto.core.ensemble import greedy_ensemble  # noqa: E402
from tsauto.core.selection import ENSEMBLE_POOL, ensemble_pool  # noqa: E402
from tsauto.forecasting.options import ComputeOptions, SearchOptions  # noqa: E402
from tsauto.forecasting.planner import make_plan  # noqa: E402

log = logging.getLogger("bench_ensemble_pool")
SETS = ("m1_yearly", "m1_quarterly", "m1_monthly", "m4_hourly", "m4_weekly")
TABLES = ("california_housing", "abalone", "wine_quality", "bike_sharing", "phoneme", "credit_g")
POOLS = ("top20", "leaders+top", "defaults", "every default", "defaults+leaders+top")
COLUMNS = (*POOLS, "fit", "no budget")


def _union(*groups):
    seen, out = set(), []
    for group in groups:
        for t in group:
            if t.number not in seen:
                seen.add(t.number)
                out.append(t)
    return out


def pools(trials, n_defaults: int, portfolio: set[str] | None = None) -> dict[str, list]:
    """The candidate pools over the finished trials (the first ``n_defaults`` trials are the
    learners' defaults: a search tries them first; ``portfolio``: the learners a fit without a
    budget compares, None for all)."""
    ok = sorted((t for t in trials if t.status == "ok"), key=lambda t: t.score)
    every = [t for t in ok if t.number < n_defaults]
    leaders = list({t.learner: t for t in reversed(ok)}.values())
    both = _union(every, leaders)
    return {
        "top20": ok[:ENSEMBLE_POOL],
        "leaders+top": ensemble_pool(ok),
        "defaults": [t for t in every if portfolio is None or t.learner in portfolio],
        "every default": every,
        "defaults+leaders+top": _union(both, ok)[: max(ENSEMBLE_POOL, len(both))],
    }


@contextlib.contextmanager
def captured_search():
    """The engine's search result of the fit run inside, trials with their out-of-fold
    predictions (a fit clears them once it is done)."""
    captured = {}
    search_and_refit = engine.search_and_refit

    def capture(strategy, candidates, *args, **kwargs):
        result = search_and_refit(strategy, candidates, *args, **kwargs)
        captured.update(strategy=strategy, n=len(candidates), oof={t.number: t.oof for t in result.trials},
                        trials=list(result.trials))
        return result

    engine.search_and_refit = capture
    try:
        yield captured
    finally:
        engine.search_and_refit = search_and_refit
    for t in captured["trials"]:
        t.oof = captured["oof"][t.number]


def score_pools(row: dict, captured: dict, install, score, portfolio: set[str] | None = None) -> dict:
    """Every pool's greedy blend refit, put in the fitted model by ``install(members)`` and
    scored by ``score()``, into ``row`` (``portfolio``: as for :func:`pools`)."""
    strategy, trials = captured["strategy"], captured["trials"]
    best = min((t for t in trials if t.status == "ok"), key=lambda t: t.score)
    fitted = {}
    for pool_name, pool in pools(trials, captured["n"], portfolio).items():
        weights, loss = greedy_ensemble([strategy.oof(t) for t in pool], lambda p: strategy.loss(best, p))
        members = [(float(w), t) for t, w in zip(pool, weights) if w > 0]
        for _, t in members:
            if t.number not in fitted:
                fitted[t.number] = strategy.fit_member(t, None)
        install(strategy.assemble([(w, fitted[t.number]) for w, t in members], [t for _, t in members]))
        row[pool_name] = score()
        row[pool_name + " blend"] = ", ".join(f"{w:.2f}×{t.learner}" for w, t in members)
        log.info("%s %s: inner %.4f, held out %.4f (%s)", row["set"], pool_name, loss, row[pool_name],
                 row[pool_name + " blend"])
    return row


def _blend(board: pd.DataFrame) -> str:
    """A fitted model's blend from its leaderboard: weight × learner of its members."""
    return ", ".join(f"{w:.2f}×{n}" for n, w in zip(board["learner"], board["weight"]) if w > 0)


def unbudgeted_portfolio(fc: tsauto.Forecaster) -> set[str]:
    """The learners the fitted forecaster's data would get without a budget."""
    plan = make_plan(fc.history_, fc.plan_.task, "auto", None, SearchOptions(), ComputeOptions())
    return set(plan.candidates)


def run_set(name: str, budget: float, window: int = 0) -> dict:
    """One search on validation cut ``window`` of ``name`` (0: the last h points held out),
    then every pool's blend and the unbudgeted default scored."""
    data = bs.DATASETS[name]()
    if name in bs.DEFAULT_SERIES:
        data = bs.sample(data, bs.DEFAULT_SERIES[name])
    cut = bs.validation_windows(data, window + 1)[window]
    kw = dict(target=cut.target, time=cut.time, ids=cut.ids, horizon=cut.horizon)
    fc = tsauto.Forecaster(**kw, time_budget=budget)
    with captured_search() as captured:
        fc.fit(cut.train)
    naive2 = bs.score(bs.run_naive2(cut)[0], cut)

    def owa(model: tsauto.Forecaster = fc) -> float:
        s = bs.score(bs._matrix(model.predict(), cut, "forecast")[0], cut)
        return 0.5 * (s["smape"] / naive2["smape"] + s["mase"] / naive2["mase"])

    label = name if window == 0 else f"{name} w{window}"
    row = {"set": label, "metric": "OWA", "trials": len(captured["trials"]), "fit": owa(),
           "fit blend": _blend(fc.leaderboard())}
    log.info("%s fit: OWA %.4f (%s)", label, row["fit"], row["fit blend"])
    default = tsauto.Forecaster(**kw).fit(cut.train)
    row["no budget"], row["no budget blend"] = owa(default), _blend(default.leaderboard())
    log.info("%s no budget: OWA %.4f (%s)", label, row["no budget"], row["no budget blend"])
    return score_pools(row, captured, lambda model: setattr(fc, "model_", model), owa, unbudgeted_portfolio(fc))


def run_table(name: str, budget: float) -> dict:
    """One search on the training rows of ``name`` less a seeded quarter, every pool's blend
    scored on that quarter."""
    from sklearn.model_selection import train_test_split

    train, _, target, task = bt.load_split(name)
    strata = train[target] if task == "classification" else None
    fit_rows, held = train_test_split(train, test_size=0.25, random_state=1, stratify=strata)
    metric = "log_loss" if task == "classification" else "rmse"
    cls = tsauto.Classifier if task == "classification" else tsauto.Regressor
    model = cls(target, metric=metric, time_budget=budget, random_state=0)
    with captured_search() as captured:
        model.fit(fit_rows)
    score = lambda: model.score(held)  # noqa: E731
    board = model.leaderboard()
    row = {"set": name, "metric": metric, "trials": len(captured["trials"]), "fit": score(),
           "fit blend": _blend(board)}
    log.info("%s fit: %s %.4f (%s)", name, metric, row["fit"], row["fit blend"])
    default = cls(target, metric=metric, random_state=0).fit(fit_rows)
    row["no budget"], row["no budget blend"] = default.score(held), _blend(default.leaderboard())
    return score_pools(row, captured, lambda m: setattr(model, "model_", m), score)


def _frame(rows: list[dict], mean: bool) -> pd.DataFrame:
    frame = pd.DataFrame([{"data set": r["set"], "metric": r["metric"], "trials": r["trials"],
                           **{p: r[p] for p in COLUMNS}} for r in rows])
    if mean:
        means = {"data set": "mean", "metric": "", "trials": "", **{p: float(np.mean(frame[p])) for p in COLUMNS}}
        frame = pd.concat([frame, pd.DataFrame([means])], ignore_index=True)
    return frame


def _notes(rows: list[dict]) -> str:
    blends = "\n".join(f"- {r['set']}: " + "; ".join(f"{p}: {r[p + ' blend']}" for p in COLUMNS) for r in rows)
    return "Blends (weight × learner):\n\n" + blends + "\n"


def _header(what: str, budget: float, holdout: str) -> str:
    return (
        f"## Ensemble pool of a budgeted search, {what} (`benchmarks/bench_ensemble_pool.py`)\n\n"
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M}, tsauto {git_commit()}, `time_budget={budget:g}`, load "
        f"average {os.getloadavg()[0]:.2f} at the end. Validation only: one search per data set on its "
        f"training part less {holdout}, each pool's greedy blend refit there and scored on the hold-out "
        "(lower is better).\n\n"
    )


def series_table(rows: list[dict], budget: float) -> str:
    holdout = "the last h points of each series (rows marked w1: the h points before those; OWA against Naive2)"
    return (_header("series", budget, holdout)
            + markdown(_frame(rows, True)) + "\n\n" + _notes(rows))


def tables_table(rows: list[dict], budget: float) -> str:
    return (_header("tables", budget, "a seeded 25 % of its rows (RMSE or log loss)")
            + markdown(_frame(rows, False)) + "\n\n" + _notes(rows))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=list(SETS), choices=list(bs.DATASETS))
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--windows", type=int, default=1, help="validation origins, h apart (series only)")
    ap.add_argument("--tables", nargs="*", default=list(TABLES), choices=list(TABLES))
    ap.add_argument("--table-budget", type=float, default=60.0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("tsauto").setLevel(logging.WARNING)
    sections = []
    if args.sets:
        rows = [run_set(n, args.budget, w) for w in range(args.windows) for n in args.sets]
        sections.append(("bench_ensemble_pool", series_table(rows, args.budget)))
    if args.tables:
        rows = [run_table(n, args.table_budget) for n in args.tables]
        sections.append(("bench_ensemble_pool_tables", tables_table(rows, args.table_budget)))
    for name, text in sections:
        print(text)
        if not args.no_write:
            write_section(name, text)


if __name__ == "__main__":
    main()
