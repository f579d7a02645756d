"""The ``tsauto`` command line: the Python API on files.

    tsauto forecast FILE --target T --time D [--ids A,B] --horizon H [--holidays US]
                         [--known-future X,Y] [--future FILE] [--quantiles 0.1,0.9] --out FILE
    tsauto backtest FILE --target T --time D [--ids A,B] --horizon H [--folds 3] [--out FILE]
    tsauto classify FILE --target T [--time-budget 60] [--metric auto] [--test FILE] --out FILE
    tsauto regress  FILE --target T [--time-budget 60] [--metric auto] [--test FILE] --out FILE

CSV or Parquet in and out (by extension). Progress goes to stderr; bad input ends with a
one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Sequence

import pandas as pd

from tsauto.core.exceptions import TsautoError
from tsauto.core.table_io import read_table, write_table

log = logging.getLogger("tsauto.cli")


def _list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _floats(value: str | None) -> list[float] | None:
    items = _list(value)
    return [float(v) for v in items] if items else None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="input table (.csv, .csv.gz or .parquet), one row per series and time")
    p.add_argument("--target", required=True, help="column to forecast")
    p.add_argument("--time", required=True, help="time column (dates or integer steps)")
    p.add_argument("--ids", help="comma-separated id columns naming a series")
    p.add_argument("--horizon", required=True, type=int, help="steps to forecast")
    p.add_argument("--freq", help="pandas frequency (inferred when omitted)")
    p.add_argument("--holidays", help="country code(s), comma-separated, or a country column")
    p.add_argument("--known-future", help="comma-separated known-future covariate columns")
    p.add_argument("--learners", default="auto", help="'auto' or comma-separated learner names")
    p.add_argument("--quantiles", help="comma-separated quantile levels, e.g. 0.1,0.9")
    p.add_argument("--metric", default="mase", help="validation metric (mase, smape, wape, ...)")
    p.add_argument("--time-budget", type=float, help="seconds for search, ensemble and refit")
    p.add_argument("--max-trials", type=int, help="stop the search after this many trials")
    p.add_argument("--exclude", help="comma-separated learners never to try")
    p.add_argument("--no-ensemble", action="store_true", help="keep the best trial alone")
    p.add_argument("--partition-by", help="comma-separated columns: one model per partition")
    p.add_argument("--aggregate", choices=["sum", "mean", "min", "max"],
                   help="roll duplicate rows up to --freq")
    p.add_argument("--fill", default="interpolate", choices=["interpolate", "zero", "ffill"],
                   help="rule to impute missing targets")
    p.add_argument("--short-series", default="auto", choices=["auto", "pad", "drop"],
                   help="series too short for a learner: seasonal naive, pad or drop")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--hierarchy", help="levels over the ids: nested 'Store,Dept', crossed 'State;Industry'")
    p.add_argument("--reconcile", default="mint_shrink", help="reconciliation method of --hierarchy")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel jobs (-1: all cores)")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsauto", description="Automated forecasting, classification and regression."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fc = sub.add_parser("forecast", help="fit on FILE and forecast the next --horizon steps")
    _common(fc)
    fc.add_argument("--future", help="table of known-future covariates over the horizon")
    fc.add_argument("--out", required=True, help="where to write the forecasts (.csv/.parquet)")
    fc.add_argument("--save-model", help="also save the fitted model to this path")
    fc.add_argument("--level", help="with --hierarchy: 'all', 'total' or comma-separated columns")
    bt = sub.add_parser("backtest", help="rolling-origin evaluation on FILE")
    _common(bt)
    bt.add_argument("--folds", type=int, default=3, help="number of forecast origins")
    bt.add_argument("--step", type=int, help="steps between origins (default: horizon)")
    bt.add_argument("--out", help="where to write the per-fold forecasts (.csv/.parquet)")
    for name, what in (("classify", "classes"), ("regress", "values")):
        tab = sub.add_parser(name, help=f"fit on FILE and predict its {what} (or those of --test)")
        _tabular(tab)
    return parser


def _tabular(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="training table (.csv, .csv.gz or .parquet), one row per example")
    p.add_argument("--target", required=True, help="column to predict")
    p.add_argument("--test", help="table to predict (default: FILE itself)")
    p.add_argument("--out", required=True, help="where to write the predictions (.csv/.parquet)")
    p.add_argument("--time-budget", type=float, default=60.0, help="seconds for search and refit")
    p.add_argument("--max-trials", type=int, help="stop the search after this many trials")
    p.add_argument("--metric", default="auto", help="metric to optimise ('auto': by task)")
    p.add_argument("--learners", default="auto", help="'auto' or comma-separated learner names")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel trials (-1: all cores)")
    p.add_argument("--save-model", help="also save the fitted model to this path")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


def _run_tabular(args: argparse.Namespace) -> int:
    from tsauto.tabular import Classifier, Regressor

    cls = Classifier if args.command == "classify" else Regressor
    model = cls(
        target=args.target,
        metric=args.metric,
        time_budget=args.time_budget,
        max_trials=args.max_trials,
        learners="auto" if args.learners == "auto" else _list(args.learners),
        n_jobs=args.n_jobs,
    )
    log.info("fitting on %s ...", args.file)
    model.fit(args.file)
    scored = read_table(args.test or args.file)
    out = pd.DataFrame({"prediction": model.predict(scored)})
    if isinstance(model, Classifier):
        proba = model.predict_proba(scored).reset_index(drop=True)
        out = out.join(proba.set_axis([f"proba_{c}" for c in proba.columns], axis=1))
    path = write_table(out, args.out)
    sys.stdout.write(model.leaderboard().drop(columns="params").to_string(index=False) + "\n")
    if args.target in scored.columns:
        what = args.test or args.file
        sys.stdout.write(f"{model.metric_} on {what}: {model.score(scored):.4f}\n")
    sys.stdout.write(f"wrote {len(out)} predictions to {path}\n")
    if args.save_model:
        sys.stdout.write(f"saved the model to {model.save(args.save_model)}\n")
    return 0


def _hierarchy(value: str | None):
    if not value:
        return None
    if ";" in value:
        return [_list(part) for part in value.split(";")]
    return _list(value)


def _level(value: str | None):
    if value is None or value == "all":
        return value
    return [] if value == "total" else _list(value)


def _forecaster(args: argparse.Namespace):
    from tsauto.forecasting.forecaster import Forecaster
    from tsauto.forecasting.options import ComputeOptions, DataOptions, SearchOptions

    holidays = _list(args.holidays)
    return Forecaster(
        target=args.target,
        time=args.time,
        ids=_list(args.ids),
        horizon=args.horizon,
        holidays=holidays[0] if holidays and len(holidays) == 1 else holidays,
        known_future=_list(args.known_future),
        learners="auto" if args.learners == "auto" else _list(args.learners),
        quantiles=_floats(args.quantiles),
        metric=args.metric,
        time_budget=args.time_budget,
        partition_by=_list(args.partition_by),
        hierarchy=_hierarchy(args.hierarchy),
        reconcile=args.reconcile,
        data=DataOptions(
            freq=args.freq,
            aggregate=args.aggregate,
            fill=args.fill,
            short_series=args.short_series,
        ),
        search=SearchOptions(
            max_trials=args.max_trials,
            ensemble=not args.no_ensemble,
            exclude=tuple(_list(args.exclude) or ()),
            random_state=args.seed,
        ),
        compute=ComputeOptions(n_jobs=args.n_jobs),
    )


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    if args.command in ("classify", "regress"):
        code = _run_tabular(args)
        log.info("done in %.1fs", time.perf_counter() - start)
        return code
    model = _forecaster(args)
    if args.command == "forecast":
        log.info("fitting on %s ...", args.file)
        model.fit(args.file)
        log.info("fitted in %.1fs; forecasting %d steps", time.perf_counter() - start, args.horizon)
        out = model.predict(future=args.future, level=_level(getattr(args, "level", None)))
        path = write_table(out, args.out)
        sys.stdout.write(model.leaderboard().to_string(index=False) + "\n")
        sys.stdout.write(f"wrote {len(out)} forecasts to {path}\n")
        if args.save_model:
            sys.stdout.write(f"saved the model to {model.save(args.save_model)}\n")
    else:
        log.info("backtest on %s: %d folds ...", args.file, args.folds)
        result = model.backtest(args.file, folds=args.folds, step=args.step)
        sys.stdout.write(result.summary.to_string(index=False) + "\n")
        if args.out:
            path = write_table(result.forecasts, args.out)
            sys.stdout.write(f"wrote {len(result.forecasts)} backtest rows to {path}\n")
    log.info("done in %.1fs", time.perf_counter() - start)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tsauto`` command."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    try:
        return _run(args)
    except (TsautoError, FileNotFoundError, ValueError) as err:
        sys.stderr.write(f"tsauto: error: {err}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("tsauto: interrupted; nothing was written.\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
