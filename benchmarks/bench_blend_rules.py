"""How the default (without a budget, or with `--budget`) should weight its trials, on validation only.

For each data set and validation window (``bench_suite.validation_windows``: the training parts
less their last h points, and the h before them for ``--windows 2``, ...; test parts are never
read), the default ``Forecaster`` is fitted once; its trials, with their out-of-fold forecasts,
are then weighted by each rule below, every trial the rule weights is refit on the window's
training rows, and the blend (with the length routes the engine adds, ``ForecastStrategy.assemble``)
is scored on the held-out h points: OWA against Naive2, as ``bench_suite``.

- ``greedy``: greedy ensemble selection (Caruana et al. 2004) on every scored cell: the engine's
  rule until 2026-12-05, and still for learners the user names (``selection.ensemble_weights``);
- ``bagged``: the mean of the greedy weights over 25 bootstrap samples of the series (Caruana et
  al. 2004, section 5: a few validation windows let greedy selection overfit);
- ``top-3 mean``: equal weights on the 3 trials of best out-of-fold score;
- ``shrink 0.5``: halfway between ``greedy`` and ``top-3 mean``;
- ``leaders 0.5``: halfway between ``greedy`` and equal weights on the best trials of the 3 best
  learners (the same as ``shrink 0.5`` without a budget: one trial per learner): the default's
  rule with or without a budget since 2026-12-05 (``planner.BLEND_SHRINK``);
- ``bagged leaders 0.5``: halfway between ``bagged`` and the same equal weights on the leaders;
- ``best``: the best trial alone.

``--budget B``: the same for ``Forecaster(time_budget=B)``, its trials (the engine's pool,
``selection.ensemble_pool``: every learner's best, then the best others up to 20) weighted by each
rule; written to the section ``bench_blend_rules_budget``. Two rules more there, for "a budget is
never worse than none": the search's default trials (a search runs them first) stand for the
unbudgeted default, whose selection from a few trials overfits its folds less:

- ``defaults leaders 0.5``: ``leaders 0.5`` over the default trials of the learners a fit without
  a budget compares (``bench_ensemble_pool.unbudgeted_portfolio``) only;
- ``defaults half``: halfway between that and ``leaders 0.5`` over the pool.

Tried 2026-12-06 (``--budget 120 --windows 2``, M1 yearly / quarterly / monthly, M4 Hourly /
Weekly, a machine loaded 4-10 by other jobs, so fewer trials than on a quiet one): mean OWA over
the 10 windows ``leaders 0.5`` 0.7353, ``defaults leaders 0.5`` 0.7482, ``defaults half``
0.7350 (M1 quarterly 0.850 / 0.769 -> 0.848 / 0.768, monthly 0.800 / 0.918 -> 0.796 / 0.913,
M4 Weekly 0.738 -> 0.747, the rest within 0.0004): no gain worth a second rule; not taken.

``fit``: the forecaster as fitted (``leaders 0.5`` since 2026-12-05, ``greedy`` before; under a
budget among the trials whose refit fits in its time, so not always the same as a column).
Writes the ``bench_blend_rules`` section of RESULTS.md.

    .venv/bin/python benchmarks/bench_blend_rules.py [--sets m1_yearly,m1_quarterly] [--windows 3]
        [--budget 120] [--no-write]
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
from bench_ensemble_pool import captured_search, unbudgeted_portfolio  # noqa: E402
from results_file import git_commit, markdown, write_section  # noqa: E402

import tsauto  # noqa: E402
from tsauto.core.ensemble import greedy_ensemble  # noqa: E402
from tsauto.core.search import Trial  # noqa: E402
from tsauto.core.selection import ensemble_pool, learners_best  # noqa: E402
from tsauto.forecasting.backtest import windows_of  # noqa: E402
from tsauto.forecasting.metrics import comparable_scale, window_scores  # noqa: E402

log = logging.getLogger("bench_blend_rules")
SETS = ("m1_yearly", "m1_quarterly", "m1_monthly", "aus_retail_quarterly", "aus_retail_yearly",
        "m4_weekly_quarterly", "m4_weekly_yearly", "m4_hourly_daily")
RULES = ("greedy", "bagged", "top-3 mean", "shrink 0.5", "leaders 0.5", "bagged leaders 0.5", "best")
BUDGET_RULES = ("defaults leaders 0.5", "defaults half")
BAGS = 25
TOP = 3


def rule_weights(oof: list[np.ndarray], res, learners: list[str] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Each rule's weights over the trials whose out-of-fold forecasts are ``oof`` (the cells of
    ``res``, a trial's ``FoldResults``; ``learners``: each trial's learner, all different when
    not given), chosen on their MASE per window (series x fold) averaged as the engine scores
    them."""
    window = windows_of(res)
    scale = comparable_scale(res.scale)
    series_of = np.zeros(window.max() + 1, dtype=int)
    series_of[window] = res.series

    def loss(counts: np.ndarray):
        def score(p: np.ndarray) -> float:
            v = window_scores("mase", res.actual, p, window, scale)
            ok = np.isfinite(v) & (counts > 0)
            return float(np.sum(counts[ok] * v[ok]) / np.sum(counts[ok])) if ok.any() else float("nan")

        return score

    every = np.ones(len(series_of))
    greedy, _ = greedy_ensemble(oof, loss(every))
    rng = np.random.default_rng(seed)
    series = np.unique(res.series)
    bagged = np.zeros(len(oof))
    for _ in range(BAGS):
        counts = np.bincount(rng.choice(series, size=len(series)), minlength=int(series.max()) + 1)
        bagged += greedy_ensemble(oof, loss(counts[series_of].astype(float)))[0] / BAGS
    single = np.array([loss(every)(p) for p in oof])
    single = np.where(np.isfinite(single), single, np.inf)
    ranked = np.argsort(single)
    top = np.zeros(len(oof))
    top[ranked[:TOP]] = 1.0 / min(TOP, len(oof))
    names = learners or [str(k) for k in range(len(oof))]
    scored = [Trial(k, names[k], {}, score=float(single[k])) for k in range(len(oof))]
    leaders = [t.number for t in learners_best(scored)[:TOP]]  # as the engine picks them
    lead = np.zeros(len(oof))
    lead[leaders] = 1.0 / len(leaders)
    best = np.zeros(len(oof))
    best[ranked[0]] = 1.0
    return {"greedy": greedy, "bagged": bagged, "top-3 mean": top, "shrink 0.5": 0.5 * greedy + 0.5 * top,
            "leaders 0.5": 0.5 * greedy + 0.5 * lead, "bagged leaders 0.5": 0.5 * bagged + 0.5 * lead,
            "best": best}


def _blend(weights: np.ndarray, trials) -> str:
    return ", ".join(f"{w:.2f}×{t.learner}" for w, t in zip(weights, trials) if w > 0)


def run_set(name: str, windows: int, budget: float | None = None) -> list[dict]:
    """Every validation window of ``name`` (its test part never read), last first."""
    data = bs.DATASETS[name]()
    data.test = data.test.iloc[:0]
    data = bs.sample(data, bs.DEFAULT_SERIES.get(name))
    return [run_window(name, k, cut, budget) for k, cut in enumerate(bs.validation_windows(data, windows))]


def run_window(name: str, window: int, cut, budget: float | None = None) -> dict:
    """The default (``time_budget=budget``) fitted on validation ``cut`` number ``window`` of
    ``name``, then each rule's blend."""
    fc = tsauto.Forecaster(target=cut.target, time=cut.time, ids=cut.ids, horizon=cut.horizon,
                           time_budget=budget)
    with captured_search() as captured:
        fc.fit(cut.train)
    naive2 = bs.score(bs.run_naive2(cut)[0], cut)

    def owa() -> float:
        s = bs.score(bs._matrix(fc.predict(), cut, "forecast")[0], cut)
        return 0.5 * (s["smape"] / naive2["smape"] + s["mase"] / naive2["mase"])

    row = {"set": name, "window": window, "series": len(bs._keys(cut)), "fit": owa()}
    strategy = captured["strategy"]
    best = min((t for t in captured["trials"] if t.status == "ok"), key=lambda t: t.score)
    usable = [t for t in captured["trials"] if t.status == "ok" and strategy.comparable(t, best)]
    trials = ensemble_pool(usable)
    rules = rule_weights([strategy.oof(t) for t in trials], best.oof.result, [t.learner for t in trials])
    if budget is not None:
        portfolio = unbudgeted_portfolio(fc)
        defaults = [t for t in usable if t.number < captured["n"] and t.learner in portfolio]
        trials, rules = _with_default_rules(trials, rules, defaults, strategy, best)
    fitted = {}
    for rule, weights in rules.items():
        members = [(float(w), t) for w, t in zip(weights, trials) if w > 0]
        for _, t in members:
            if t.number not in fitted:
                fitted[t.number] = strategy.fit_member(t, None)
        fc.model_ = strategy.assemble([(w, fitted[t.number]) for w, t in members], [t for _, t in members])
        row[rule] = owa()
        log.info("%s w%d %s: OWA %.4f (%s)", name, window, rule, row[rule], _blend(weights, trials))
    return row


def _with_default_rules(trials: list, rules: dict, defaults: list, strategy, best) -> tuple[list, dict]:
    """The pool joined by the default trials, every rule's weights over the union, and the two
    rules of the default trials (see the module docstring)."""
    seen = {t.number for t in trials}
    union = trials + [t for t in defaults if t.number not in seen]
    index = {t.number: k for k, t in enumerate(union)}

    def spread(weights: np.ndarray, over: list) -> np.ndarray:
        out = np.zeros(len(union))
        for w, t in zip(weights, over):
            out[index[t.number]] += w
        return out

    out = {rule: spread(w, trials) for rule, w in rules.items()}
    own = rule_weights([strategy.oof(t) for t in defaults], best.oof.result, [t.learner for t in defaults])
    out["defaults leaders 0.5"] = spread(own["leaders 0.5"], defaults)
    out["defaults half"] = 0.5 * out["defaults leaders 0.5"] + 0.5 * out["leaders 0.5"]
    return union, out


def table(rows: list[dict], windows: int, budget: float | None = None) -> str:
    frame = pd.DataFrame(rows)
    rules = [r for r in (*RULES, *BUDGET_RULES) if r in frame]
    means = frame.groupby("set", sort=False)[["fit", *rules]].mean()
    means.insert(0, "series", frame.groupby("set", sort=False)["series"].first())
    wins = {r: (np.sum(frame[r] < frame["greedy"] - 1e-4), np.sum(frame[r] > frame["greedy"] + 1e-4))
            for r in rules if r != "greedy"}
    loads = os.getloadavg()[0]
    lines = [
        f"## Blend rules of {'the unbudgeted default' if budget is None else f'a time_budget={budget:g} search'}, "
        f"validation only (`benchmarks/bench_blend_rules.py{'' if budget is None else f' --budget {budget:g}'}`)",
        "",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M}, tsauto {git_commit()}, load average {loads:.2f} at "
        f"the end; the last {windows} validation window(s) of h of the training parts; OWA against "
        "Naive2, mean over the windows (the rules in the script's docstring).",
        "",
        markdown(means.reset_index()).rstrip(),
        "",
        "Windows where a rule is better / worse than `greedy` (by more than 0.0001 OWA): "
        + "; ".join(f"{r} {b} / {w}" for r, (b, w) in wins.items())
        + f" of {len(frame)}; mean OWA over all windows: "
        + ", ".join(f"{r} {frame[r].mean():.4f}" for r in ("fit", *rules)) + ".",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {','.join(bs.DATASETS)}")
    ap.add_argument("--windows", type=int, default=3, help="validation origins, h apart")
    ap.add_argument("--budget", type=float, default=None, help="time_budget of the forecaster (default: none)")
    ap.add_argument("--no-write", action="store_true", help="print only; RESULTS.md untouched")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("tsauto").setLevel(logging.WARNING)
    rows = [row for name in args.sets.split(",") for row in run_set(name, args.windows, args.budget)]
    text = table(rows, args.windows, args.budget)
    print(text)
    if not args.no_write:
        write_section("bench_blend_rules" if args.budget is None else "bench_blend_rules_budget", text)


if __name__ == "__main__":
    main()
