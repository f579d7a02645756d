"""The ``tsauto`` command line: the Python API on files.

    tsauto forecast FILE --target T --time D [--ids A,B] [--tz ZONE] --horizon H [--time-budget S]
                         [--max-trials N] [--quantiles 0.1,0.9] [--future FILE] --out FILE
                         [--save-model MODEL]
    tsauto backtest FILE --target T --time D [--ids A,B] [--tz ZONE] --horizon H [--folds 3]
                         [--mode nested|refit] [--out FILE]
    tsauto predict MODEL [--history FILE] [--future FILE] [--level L] --out FILE
    tsauto predict MODEL --test FILE [--id A,B] --out FILE   (a saved classifier or regressor)
    tsauto future-frame MODEL [--history FILE] --out FILE
    tsauto leaderboard MODEL [--out FILE]
    tsauto report MODEL --out report.html [--backtest FILE [--folds 3] [--mode nested|refit]]
                        [--backtest BACKTEST_TABLE --data FILE [--mode nested|refit]]
    tsauto classify FILE --target T [--time-budget 60] [--metric auto] [--test FILE] [--id A,B]
                         --out FILE
    tsauto regress  FILE --target T [--time-budget 60] [--metric auto] [--test FILE] [--id A,B]
                         --out FILE

CSV or Parquet in and out (by extension); ``--tz ZONE`` puts a forecaster's time column in that
zone (naive stamps read as its local times); ``--id`` names columns that identify rows: left out
of the features, copied to the output beside the predictions (a saved model keeps them:
``tsauto predict`` copies them without ``--id``). The log goes to stderr; on a
terminal the search is one progress line (trials done, best score, time left), redrawn in
place; ``-q`` keeps only warnings, errors and the results (no leaderboard). Every failure
ends with one line on stderr and exit status 2, never a traceback (``--traceback`` shows it first, the status still 2).
``-q`` and ``--traceback`` go before the command or after it. A first Ctrl-C stops a fit's
search: the command writes the outputs of the trials finished, says so on stderr and exits with
status 130, as a second Ctrl-C, which stops at once; SIGTERM stops it writing nothing, status 143;
``forecast --known-future --save-model`` without ``--future`` saves the model, writes no forecast
and exits with status 3 (``EXIT_STATUS``).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import pandas as pd

from tsauto.core.exceptions import DataValidationError, TsautoError, close_match, shortlist
from tsauto.core.logfilter import tsauto_filter, warnings_once
from tsauto.core.files import check_writable, missing_folder
from tsauto.core.table_io import read_table, table_kind, write_table
from tsauto.core.version import VERSION

if TYPE_CHECKING:
    from tsauto.forecasting.forecaster import Forecaster

log = logging.getLogger("tsauto.cli")

OUT_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
SHOWN_TRIALS = 20  # beyond this, a fit's printed leaderboard shows the members and each learner's best
BAR_WIDTH = 24
MODEL_NAME_WIDTH = 40  # a longer model name in a backtest's summary is printed above the table
REPORT_FOLDS = 3  # the folds of the backtest `tsauto report --backtest DATA` runs
SUMMARY_LEGEND = (  # how a backtest's summary averages (tsauto.forecasting.backtest.backtest_tables)
    "mae, rmse, mape, smape, mase, rmsse: means over series and folds (each series' forecasts from "
    "a cutoff weigh the same, as M4 averages MASE); wape: all errors over all actuals. mape and smape "
    "are in percent (5 is 5%), wape a fraction (0.05 is 5%)"
)
INTERRUPTED = 130  # the shell's status of a command stopped by Ctrl-C (128 + SIGINT)
TERMINATED = 143  # SIGTERM's (128 + 15): the SystemExit a fit's search or refit raises on it
NOT_FORECAST = 3  # forecast --known-future --save-model without --future: model saved, no --out (user test 59 F3)
EXIT_STATUS = (
    "exit status: 0 done; 2 an error (one line on stderr); 3 forecast --known-future --save-model "
    "without --future: the model is saved, no --out forecast is written (stderr says how to forecast "
    "later: future-frame, then predict --future); 130 interrupted: a first Ctrl-C stops "
    "the search of forecast, classify or regress, whose forecasts or predictions (and --save-model) "
    "are then written from the trials finished, as stderr says; a second one stops at once; "
    "143 stopped by SIGTERM, nothing written (--run-dir keeps the trials finished for a rerun)."
)


class UsageError(TsautoError):
    """The command line asks for something tsauto cannot do."""


class Interrupted(Exception):
    """Ctrl-C stopped the search; the command wrote the outputs of the trials finished before it."""


class NotForecast(Exception):
    """``forecast --known-future --save-model`` without ``--future``: the model is saved, the
    ``--out`` forecast not written (exit status ``NOT_FORECAST``, never 0: a scheduled job would
    read a file that is not there)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises its errors, to be reported in one line."""

    def error(self, message: str) -> NoReturn:
        where = f"{self.prog}: " if " " in self.prog else ""  # a sub-command's; main writes "tsauto: "
        raise UsageError(f"{where}{message} (see {self.prog} --help)")


def _list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _path(value: str) -> str:
    """A file or folder argument, ``~`` expanded: the shell leaves it as written in quotes and
    in ``--out=~/fc.csv``."""
    return os.path.expanduser(value)


def _levels(value: str) -> list[float]:
    """``--quantiles``: comma-separated levels strictly between 0 and 1."""
    try:
        levels = [float(v) for v in _list(value) or []]
    except ValueError:
        levels = []
    if not levels or not all(0 < q < 1 for q in levels):
        raise argparse.ArgumentTypeError(f"give levels between 0 and 1 like 0.1,0.9, not {value!r}")
    return levels


def _seasons(value: str) -> str | tuple[int, ...]:
    """``--seasons``: ``'auto'``, ``'none'`` or comma-separated periods of at least 2 steps."""
    if value in ("auto", "none"):
        return "auto" if value == "auto" else ()
    try:
        periods = tuple(int(v) for v in _list(value) or [])
    except ValueError:
        periods = ()
    if not periods or min(periods) < 2:
        raise argparse.ArgumentTypeError(
            f"give 'auto', 'none' or periods of 2 steps or more like 7,365, not {value!r}"
        )
    return periods


def _zone(value: str) -> str:
    """``--tz``: a time zone pandas converts to (``Australia/Melbourne``, ``UTC``)."""
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(value)
    except Exception:  # noqa: BLE001 - zoneinfo, dateutil and pandas raise their own kinds
        import zoneinfo

        raise argparse.ArgumentTypeError(
            f"unknown time zone {value!r}{close_match(value, zoneinfo.available_timezones())}: give a zone of "
            "the tz database, such as Australia/Melbourne or UTC"
        ) from None
    return value


def _budget(value: str) -> float | None:
    """``--time-budget``: seconds, a positive number, or ``none``: no limit of time (a search
    stops on ``--max-trials``)."""
    if value.strip().lower() == "none":
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(
            "give the seconds the fit may take as a positive number, such as --time-budget 60, or "
            f"--time-budget none with --max-trials N, not {value!r}"
        )
    return seconds


def _count(value: str) -> int:
    """A whole number of 1 or more (``--max-trials``)."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"give a whole number of 1 or more, not {value!r}")
    return int(value)


def _auto_or_count(value: str, words: tuple[str, ...] = ("auto",)) -> int | str:
    """One of ``words`` (``'auto'``) or a positive whole number."""
    if value in words:
        return value
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"give {' or '.join(map(repr, words))} or a whole number, not {value!r}")
    return int(value)


def _table_folds(value: str) -> int | str:
    """A table's validation folds: ``'auto'``, ``'time'`` or a positive whole number."""
    return _auto_or_count(value, ("auto", "time"))


# ---------------------------------------------------------------------- arguments


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=_path, help="input table (.csv, .csv.gz or .parquet), one row per series and time")
    p.add_argument("--target", required=True, help="column to forecast")
    p.add_argument("--time", required=True, help="time column (dates or integer steps)")
    p.add_argument("--ids", help="comma-separated id columns naming a series")
    _tz_option(p)
    p.add_argument("--horizon", required=True, type=int, help="steps to forecast")
    p.add_argument("--freq", help="pandas frequency (inferred when omitted); open days "
                   "'C(Mon Tue Wed Thu Fri Sat)', 'C(Mon Tue Wed Thu Fri; US holidays)', hours "
                   "'CBH(09:00-18:00 Mon Tue Wed Thu Fri)'")
    p.add_argument("--holidays", help="country code(s), comma-separated, or a country column; "
                   "with one code, daily or open-hour rows never on its holidays are read as closed on them")
    p.add_argument("--known-future", help="comma-separated known-future covariate columns")
    p.add_argument("--learners", default="auto", help="'auto' or comma-separated learner names")
    p.add_argument("--quantiles", type=_levels, help="comma-separated quantile levels, e.g. 0.1,0.9")
    p.add_argument("--metric", default="mase", help="validation metric (mase, smape, wape, ...)")
    p.add_argument("--time-budget", type=_budget, help="seconds for search, ensemble and refit; none (the "
                   "default): no limit, the default portfolio, or a search of --max-trials trials")
    p.add_argument("--max-trials", type=_count, help="stop the search after this many trials")
    p.add_argument("--exclude", help="comma-separated learners never to try")
    p.add_argument("--no-ensemble", action="store_true", help="keep the best trial alone")
    p.add_argument("--partition-by", help="comma-separated columns: one model per partition")
    p.add_argument("--aggregate", choices=["sum", "mean", "min", "max"],
                   help="roll duplicate rows up to --freq")
    p.add_argument("--fill", default="interpolate", choices=["interpolate", "zero", "ffill"],
                   help="rule to impute missing targets")
    p.add_argument("--short-series", default="auto", choices=["auto", "pad", "drop"],
                   help="series too short for a learner: seasonal naive, pad or drop")
    _non_negative_option(p, "forecasts", "series never negative ('auto'), all, or none")
    p.add_argument("--seasons", type=_seasons, default="auto",
                   help="seasonal periods in steps, comma-separated ('auto': detected; 'none')")
    p.add_argument("--no-discontinued", action="store_true",
                   help="do not forecast series ending in a season of zeros as zero")
    p.add_argument("--validation-folds", default="auto", type=_auto_or_count,
                   help="the search's validation windows ('auto' or a number)")
    p.add_argument("--patience", type=int, help="stop after this many trials without improvement")
    p.add_argument("--target-score", type=float, help="stop once a trial reaches this score")
    p.add_argument("--run-dir", type=_path, help="folder journaling the trials: a second run resumes")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--hierarchy", help="levels over the ids: nested 'Store,Dept', crossed 'State;Industry'")
    p.add_argument("--reconcile", default="auto",
                   help="reconciliation method of --hierarchy ('auto': chosen by validation)")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel jobs (-1: all cores)")
    _compute_options(p)
    p.add_argument("--memory-limit", default="auto", help="most memory a trial may use ('4GiB', 'none')")


def _anywhere(p: argparse.ArgumentParser, default: Any) -> None:
    """``-q`` and ``--traceback``, taken before the command (``default`` False) and after it
    (``default`` SUPPRESS: a command's own default would reset one given before it)."""
    p.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="no log, progress or leaderboard: only warnings, errors and the results")
    p.add_argument("--traceback", action="store_true", default=default,
                   help="show the traceback of a failure")


def _tz_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tz", type=_zone, metavar="ZONE",
                   help="the time column in this zone (Australia/Melbourne), as calendar and holiday features and "
                   "the forecasts read it: stamps with a UTC offset (different ones too) converted to it, naive "
                   "stamps read as its local times")


def _level_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--level", help="with a hierarchy: 'all', 'total' or comma-separated columns")


def _id_option(p: argparse.ArgumentParser, default: str = "") -> None:
    p.add_argument("--id", help="comma-separated columns identifying rows: not features, copied "
                   f"to the output ahead of the predictions{default}")


# the tabular commands, what they predict and their metrics (as tsauto.tabular.metrics.METRICS
# holds them, not imported here to keep the command line's start quick)
TABULAR_COMMANDS = (
    ("classify", "classes", "roc_auc, log_loss, accuracy, balanced_accuracy, f1 (the last two fit with "
                            "balanced class weights)"),
    ("regress", "values", "rmse, mae, r2, mape"),
)


def _tabular(p: argparse.ArgumentParser, metrics: str) -> None:
    p.add_argument("file", type=_path, help="training table (.csv, .csv.gz or .parquet), one row per example")
    p.add_argument("--target", required=True, help="column to predict")
    p.add_argument("--test", type=_path, help="table to predict (default: FILE itself)")
    _id_option(p)
    p.add_argument("--out", type=_path, required=True, help="where to write the predictions (.csv/.parquet)")
    p.add_argument("--time-budget", type=_budget, default=60.0, help="seconds for search and refit (default "
                   "60); none: no limit, with --max-trials N (a reproducible search)")
    p.add_argument("--max-trials", type=_count, help="stop the search after this many trials")
    p.add_argument("--validation-folds", default="auto", type=_table_folds,
                   help="the search's validation folds: 'auto' (shuffled, by the rows), a number, or 'time' "
                        "(expanding windows in the row order: later rows validated by earlier ones, for rows "
                        "in time order)")
    p.add_argument("--metric", default="auto", help=f"metric to optimise: auto (by task), {metrics}")
    p.add_argument("--learners", default="auto", help="'auto' or comma-separated learner names")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel trials (-1: all cores)")
    _compute_options(p)
    p.add_argument("--save-model", type=_path, help="also save the fitted model to this path")


def _compute_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=["loky", "sequential", "dask"],
                   help="trials in worker processes (loky, the default), in this one, or on the Dask "
                        "cluster of --scheduler (dask, the default with it)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://host:8786): the trials run on its workers; the "
                        "table is read and the forecast made here")


def build_parser() -> argparse.ArgumentParser:
    """The ``tsauto`` argument parser, with one sub-command per task."""
    parser = _Parser(prog="tsauto", description="Automated forecasting, classification and regression.",
                     epilog=EXIT_STATUS)
    parser.add_argument("--version", action="version", version=f"tsauto {VERSION}")
    _anywhere(parser, False)
    sub = parser.add_subparsers(dest="command", required=True)
    fc = sub.add_parser("forecast", help="fit on FILE and forecast the next --horizon steps")
    _common(fc)
    fc.add_argument("--future", type=_path, help="table of known-future covariates over the horizon")
    fc.add_argument("--out", type=_path, required=True, help="where to write the forecasts (.csv/.parquet)")
    fc.add_argument("--save-model", type=_path, help="also save the fitted model to this path")
    _level_option(fc)
    bt = sub.add_parser("backtest", help="rolling-origin evaluation on FILE")
    _common(bt)
    bt.add_argument("--folds", type=int, default=3, help="number of forecast origins")
    bt.add_argument("--step", type=int, help="steps between origins (default: horizon)")
    bt.add_argument(
        "--mode",
        choices=("nested", "refit"),
        default="nested",
        help="nested: rerun the whole selection at each origin on the data before it (honest; "
        "folds x time budget); refit: select once on FILE, then refit that model at each origin "
        "(fast, optimistic)",
    )
    bt.add_argument("--out", type=_path, help="where to write the per-fold forecasts (.csv/.parquet)")
    pr = sub.add_parser("predict", help="forecast (or predict rows) with a saved model, without refitting")
    pr.add_argument("model", nargs="?", type=_path, help="a model saved with --save-model (forecast, classify, regress)")
    pr.add_argument("--model", dest="model_option", metavar="MODEL", type=_path, help="the same, as an option")
    pr.add_argument("--history", type=_path, help="newer data to forecast from its end (default: the training data)")
    pr.add_argument("--future", type=_path, help="table of known-future covariates over the horizon")
    pr.add_argument("--test", type=_path, help="a saved classifier's or regressor's rows to predict")
    _id_option(pr, " (default: the --id given at fit, where the table has them)")
    _tz_option(pr)
    pr.add_argument("--out", type=_path, required=True, help="where to write the forecasts or predictions (.csv/.parquet)")
    _level_option(pr)
    ff = sub.add_parser("future-frame", help="the rows a saved forecaster's --future table fills: ids "
                        "and times of the next horizon steps")
    ff.add_argument("model", type=_path, help="a model saved by `tsauto forecast --save-model`")
    ff.add_argument("--history", type=_path, help="newer data whose end the horizon follows (default: the training data)")
    ff.add_argument("--out", type=_path, required=True, help="where to write the rows (.csv/.parquet)")
    _tz_option(ff)
    lb = sub.add_parser("leaderboard", help="the trials of a saved model, as a table")
    lb.add_argument("model", type=_path, help="a model saved with --save-model (forecast, classify, regress)")
    lb.add_argument("--out", type=_path, help="write the whole table (.csv/.parquet) instead of printing it")
    rp = sub.add_parser("report", help="a saved forecaster's HTML report, one self-contained file")
    rp.add_argument("model", type=_path, help="a model saved by `tsauto forecast --save-model`")
    rp.add_argument("--out", type=_path, required=True, help="where to write the report (.html)")
    rp.add_argument("--future", type=_path, help="table of known-future covariates over the horizon (for the forecast plotted)")
    rp.add_argument("--backtest", metavar="FILE", type=_path,
                    help="also show a backtest (errors by fold and step): run on FILE, a data table with the "
                    "training file's columns; or read from FILE, the table `tsauto backtest --out` wrote, "
                    "with --data")
    rp.add_argument("--data", metavar="FILE", type=_path,
                    help="with --backtest a backtest's table: the data table that backtest ran on (its "
                    "scaled errors are computed from it)")
    rp.add_argument("--folds", type=int, help=f"number of backtest origins (default {REPORT_FOLDS})")
    rp.add_argument("--mode", choices=("nested", "refit"),
                    help="the backtest's mode (see `tsauto backtest --help`; default nested); with a backtest's "
                    "table, the mode it records (give it only for a table written before tables recorded it)")
    _tz_option(rp)
    for name, what, metrics in TABULAR_COMMANDS:
        tab = sub.add_parser(name, help=f"fit on FILE and predict its {what} (or those of --test)")
        _tabular(tab, metrics)
    _non_negative_option(sub.choices["regress"], "predictions",
                         "where the target is never negative ('auto'), always, or never")
    for command in sub.choices.values():
        _anywhere(command, argparse.SUPPRESS)
    return parser


def _non_negative_option(parser: argparse.ArgumentParser, what: str, when: str) -> None:
    """``--non-negative auto|yes|no``: clip ``what`` at zero ``when``."""
    parser.add_argument("--non-negative", default="auto", choices=["auto", "yes", "no"],
                        help=f"clip {what} at zero: {when}")


def _non_negative(args: argparse.Namespace) -> bool | str:
    """``--non-negative`` as the models take it: True, False or "auto"."""
    return {"yes": True, "no": False}.get(args.non_negative, "auto")


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


def _check_level(value: str | None, levels: Sequence[tuple[str, tuple]], quantiles: Sequence[float] | None) -> None:
    """Refuse a ``--level`` naming none of the hierarchy's ``levels`` ((name, columns) pairs),
    in the command line's spellings (the Python API's error reads Python lists); ``quantiles``:
    the fit's, for interval levels given as --level (:func:`_interval_hint`)."""
    if value is None or value in ("all", "total"):
        return
    asked = set(_list(value) or [])
    if any(asked == set(cols) for _, cols in levels):
        return
    spellings = [",".join(cols) or "total" for _, cols in levels]
    raise UsageError(
        f"--level {value}: no level of the hierarchy is grouped by exactly these columns; choose "
        f"--level {', '.join(spellings)} or all (comma-separated columns name a level)"
        f"{_interval_hint(value, quantiles)}"
    )


def _interval_hint(value: str, asked: Sequence[float] | None) -> str:
    """How to get prediction intervals, where ``--level`` gives interval levels (80,95): a
    sentence after the error's (``asked``: the quantiles of the fit)."""
    from tsauto.forecasting.validation import interval_hint

    hint = interval_hint(_list(value), asked, cli=True)
    return f".{hint}" if hint else ""


def make_forecaster(args: argparse.Namespace) -> Forecaster:
    """The unfitted :class:`~tsauto.Forecaster` the options of ``forecast`` / ``backtest`` ask for."""
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
        quantiles=args.quantiles,
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
            non_negative=_non_negative(args),
            discontinued=not args.no_discontinued,
            seasons=args.seasons,
        ),
        search=SearchOptions(
            max_trials=args.max_trials,
            folds=args.validation_folds,
            ensemble=not args.no_ensemble,
            exclude=tuple(_list(args.exclude) or ()),
            patience=args.patience,
            target_score=args.target_score,
            random_state=args.seed,
            run_dir=args.run_dir,
        ),
        compute=ComputeOptions(
            n_jobs=args.n_jobs,
            backend=args.backend,
            client=getattr(args, "client", None),
            memory_limit=_memory(args.memory_limit),
        ),
    )


def _memory(value: str) -> int | str | None:
    """``--memory-limit``: bytes as a number, ``'none'`` as no limit, else as written."""
    if value.lower() == "none":
        return None
    return int(value) if value.isdigit() else value


# ---------------------------------------------------------------------- files and tables


def _check_out(path: str | None) -> None:
    """Refuse, before any work, an ``--out`` path whose extension tsauto cannot write, or that
    it cannot write (:func:`_check_writable`)."""
    if path is not None and not path.lower().endswith(OUT_SUFFIXES):
        raise UsageError(f"cannot write {path!r}: give a .csv, .csv.gz or .parquet path")
    _check_writable(path, "--out")


# the paths a command reads and writes, by their attribute of the parsed arguments, named as the
# command line spells them (the positional FILE or MODEL by its metavar)
INPUT_PATHS = (
    ("file", "FILE"), ("model", "MODEL"), ("model_option", "--model"), ("future", "--future"),
    ("history", "--history"), ("test", "--test"), ("backtest", "--backtest"), ("data", "--data"),
)
OUTPUT_PATHS = (("out", "--out"), ("save_model", "--save-model"), ("run_dir", "--run-dir"))


def _check_distinct(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path (``--out``, ``--save-model``, ``--run-dir``)
    that is the same file as one the command reads (the data, ``--future``, ``--history``,
    ``--test``, ``--backtest``, ``--data``, the model) or as another of its outputs. A user
    test's ``--out data.csv`` replaced the training file with the forecasts (status 0), and
    ``--out o.csv --save-model o.csv`` said both "wrote" and "saved" while the model was lost."""
    def given(names: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        found = ((label, getattr(args, name, None)) for name, label in names)
        return [(label, path) for label, path in found if isinstance(path, str)]

    inputs, outputs = given(INPUT_PATHS), given(OUTPUT_PATHS)
    for k, (option, path) in enumerate(outputs):
        for label, read in inputs:
            if _same_file(path, read):
                what = label if label.startswith("--") else f"the input {label}"
                raise UsageError(
                    f"{option} {path} is the same file as {what} {read}: writing it would overwrite that "
                    f"input; give {option} another path"
                )
        for other, written in outputs[k + 1:]:
            if _same_file(path, written):
                raise UsageError(
                    f"{option} {path} and {other} {written} are the same file: one would overwrite the "
                    f"other; give them different paths"
                )


def _same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one file: the same file where both exist (links and
    hard links too), else the same path once resolved (``..``, symbolic links)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL in a name: the reading or writing says
        return False


def _check_save_model(path: str | None) -> None:
    """Refuse, before any work, a ``--save-model`` path that cannot be written or that holds a
    data table (:func:`~tsauto.core.persistence.check_model_path`: found after the fit before)."""
    from tsauto.core.persistence import ModelPathTakenError, check_model_path

    _check_writable(path, "--save-model")
    if path:
        try:
            check_model_path(path)
        except ModelPathTakenError as err:
            raise UsageError(f"--save-model: {err}") from None


def _check_writable(path: str | None, option: str) -> None:
    """Refuse, before any work, an output path given as ``option`` whose folder does not exist
    (:func:`_check_folder`), that is a folder, or whose folder tsauto cannot write in."""
    if path is not None:
        _check_folder(path, option)
        check_writable(path)


def _check_folder(path: str | None, option: str) -> None:
    """Refuse a ``path`` given as ``option`` whose folder does not exist (as the Python API
    refuses it: :func:`~tsauto.core.files.missing_folder`), naming the option."""
    missing = None if path is None else missing_folder(path)
    if missing and option == "--run-dir":  # the run folder is made, not its parent: said so (user test 59 F11)
        from tsauto.core.journal import missing_run_parent

        missing = missing_run_parent(path)
    if missing:
        raise UsageError(f"{option} {path}: {missing}")


def _table(
    path: str | None, codes: Sequence[str] = (), model: Any = None, tz: str | None = None
) -> pd.DataFrame | None:
    """The table at ``path`` (None: none), its ``codes`` columns read as :func:`read_table` reads
    them; a fitted ``model``'s codes as at its fit (those that were text, as text), its time
    column in zone ``tz`` (:func:`_in_zone`)."""
    if path is None:
        return None
    if model is None:
        return read_table(path, codes, lines=True)
    schema = _fitted_schema(model)
    table = read_table(path, model._codes(), getattr(schema, "text_ids", ()), lines=True)
    return _in_zone(table, model.time, tz, path, schema)


def _in_zone(table: pd.DataFrame, time: str, zone: str | None, where: str, schema: Any = None) -> pd.DataFrame:
    """``table`` (``where``: its file) with its ``time`` column in ``zone`` (``--tz``:
    :func:`~tsauto.forecasting.calendar_time.in_zone`), a later table of a fit as its ``schema``
    read (dates in its day/month order; midnight stamps in its zone where it had one); as it is
    without ``zone`` or without the column (the fit names it)."""
    if zone is None or time not in table.columns:
        return table
    from tsauto.forecasting.calendar_time import in_zone

    day_first, zoned = getattr(schema, "day_first", None), getattr(schema, "tz", None) is not None
    try:
        return table.assign(**{time: in_zone(table[time], time, zone, day_first, dates=not zoned)})
    except DataValidationError as err:
        raise DataValidationError(f"--tz {zone}, {where}: {err}") from None


def _fitted_schema(model: Forecaster) -> Any:
    """The schema of ``model``'s training table (a partition's, or a Dask fit's); None if none."""
    for fitted in (model, *getattr(model, "partitions_", {}).values()):
        for holder in ("history_", "dask_"):
            schema = getattr(getattr(fitted, holder, None), "schema", None)
            if schema is not None:
                return schema
    return None


def _load(path: str) -> Any:
    """The model saved at ``path``: a Forecaster, Classifier or Regressor, as its header says."""
    import tsauto
    from tsauto.core.persistence import MODEL_CLASSES, holding, read_header

    name = read_header(path).get("class")
    if name not in MODEL_CLASSES:
        raise UsageError(f"{path!r} holds {holding(name)}, not a model tsauto's command line uses: give "
                         "the file that --save-model FILE wrote")
    return getattr(tsauto, name).load(path)


def _out(text: str) -> None:
    """One piece of the command's output, on stdout."""
    sys.stdout.write(text + "\n")


def _guardrails_text(checks: pd.DataFrame) -> str:
    """A table model's data checks (``guardrails()``), one line each: what was found in which
    column and what was done (user test 58 F5: 'unknown' in 82 % of a column, unseen from the
    command line)."""
    lines = [f"- {r.check}{f' {r.column!r}' if r.column else ''}: {r.finding}: {r.action}"
             for r in checks.itertuples(index=False)]
    return "Data checks (guardrails() in Python):\n" + "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.4g}"


def _board_text(
    board: pd.DataFrame,
    limit: int | None = None,
    metric: str | None = None,
    higher_is_better: bool = False,
) -> str:
    """A leaderboard as a readable table: no ``params`` column, reasons cut at 60 characters,
    4 significant digits, then the ensemble members' parameters. With more than ``limit``
    trials only the members, the members dropped at refit and each learner's best trial by
    ``metric`` are shown."""
    shown = board
    note = ""
    weighted = board["weight"] > 0 if "weight" in board else pd.Series(False, index=board.index)
    if limit is not None and len(board) > limit and weighted.any():
        keep = weighted | board["reason"].fillna("").astype(str).str.startswith("refit failed")
        if metric in board:
            scores = board[metric] if higher_is_better else -board[metric]
            best = scores.dropna().groupby(board["learner"]).idxmax()
            keep |= board.index.isin(best.to_numpy())
        shown = board[keep]
        note = (f"\n({len(board) - len(shown)} other trials: `tsauto leaderboard FILE` lists them, of a model "
                "saved with --save-model FILE)")
    table = shown.drop(columns="params", errors="ignore")
    if "reason" in table:
        reason = table["reason"].fillna("").astype(str)
        table = table.assign(reason=reason.where(reason.str.len() <= 60, reason.str[:59] + "…"))
    lines = [table.to_string(index=False, float_format=_number) + note]
    if "params" in board and weighted.any():
        lines.append("ensemble members (weight, trial, learner, parameters):")
        keys = list(board.columns[: board.columns.get_loc("trial")])  # partition_by columns
        members = board[weighted].sort_values([*keys, "weight"], ascending=[True] * len(keys) + [False])
        for _, row in members.iterrows():
            part = ", ".join(f"{k}={row[k]}" for k in keys)
            lines.append(f"  {part + ': ' if part else ''}{row['weight']:.3f}  #{row['trial']} "
                         f"{row['learner']} {row['params']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- progress and log


class Console(logging.Handler):
    """tsauto's log on ``stream``, one line a record. With ``progress`` (a terminal) the
    search's per-trial records become one progress line, redrawn in place and erased by the
    next line written."""

    def __init__(self, stream: TextIO, progress: bool):
        super().__init__()
        self.stream = stream
        self.progress = progress
        self.start = time.monotonic()
        self.drawn = False
        self.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = progress_line(record, time.monotonic() - self.start) if self.progress else None
            self.clear()
            if line is None:
                self.stream.write(self.format(record) + "\n")
            else:
                self.stream.write(line)
                self.drawn = True
            self.stream.flush()
        except (OSError, ValueError, TypeError):  # a closed stream, a bad record
            self.handleError(record)

    def clear(self) -> None:
        """Erase the progress line, if one is drawn."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.drawn = False


def progress_line(record: logging.LogRecord, elapsed: float) -> str | None:
    """The progress line of the search's per-trial record (``trial 3/10 | best mase 0.81 |
    14s left``): a bar filled by trials done or by time spent, whichever is further; ``None`` for
    any other record. ``elapsed``: seconds since the command started."""
    args = record.args
    if record.name != "tsauto.core.search" or not str(record.msg).startswith("trial "):
        return None
    if not isinstance(args, tuple) or len(args) != 5:
        return None
    done, total, metric, best, left = args
    shares = []
    if isinstance(total, int) and total > 0:
        shares.append(done / total)
    if str(left).endswith("s"):
        seconds = float(str(left)[:-1])
        shares.append(elapsed / (elapsed + seconds) if elapsed + seconds > 0 else 1.0)
    share = min(1.0, max(shares, default=0.0))
    filled = round(share * BAR_WIDTH)
    best_text = f"{metric} {_number(best)}" if math.isfinite(best) else "-"
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}  trial {done}/{total}"
        f" | best {best_text} | {left} left"
    )


def _one_line(err: BaseException) -> str:
    """``err`` as one line: its message, with its type when it is not an expected failure."""
    text = " ".join(str(err).split())
    if not isinstance(err, (TsautoError, OSError, ValueError)) or not text:
        text = f"{type(err).__name__}: {text} (`tsauto --traceback ...` shows where)"
    return text


# ---------------------------------------------------------------------- commands


def _run_forecast(args: argparse.Namespace) -> int:
    _check_out(args.out)
    _check_save_model(args.save_model)
    _check_folder(args.run_dir, "--run-dir")
    if args.level and not args.hierarchy:
        raise UsageError("--level needs --hierarchy (it names a level of the hierarchy)"
                         f"{_interval_hint(args.level, args.quantiles)}")
    if args.level and args.ids:  # before the fit (without --ids, the fit says a hierarchy needs them)
        from tsauto.forecasting.hierarchy.spec import hierarchy_levels

        _check_level(args.level, hierarchy_levels(_hierarchy(args.hierarchy), _list(args.ids)), args.quantiles)
    from tsauto.forecasting.forecaster import code_columns

    codes = code_columns(_list(args.ids), _list(args.partition_by))  # series codes: '00079' kept
    train = read_table(args.file, codes, lines=True)  # before the fit: a wrong path or name fails in seconds
    train = _in_zone(train, args.time, args.tz, args.file)
    future = None if args.future is None else _in_zone(_table(args.future, codes), args.time, args.tz, args.future)
    known = _list(args.known_future) or []
    # before --future's, and before asking for a --future: a misspelt name is said on the first
    # run, not on the next, with --save-model (user test 56)
    _check_columns(known, train, f"the training table {args.file}", "--known-future")
    if args.known_future and not args.future and not args.save_model and _may_read_known_future(args.learners):
        raise UsageError(
            f"--known-future {args.known_future}: give their values over the horizon as --future FILE, "
            "or --save-model MODEL to fit now and forecast later (`tsauto future-frame MODEL --out FILE` "
            "writes the rows to fill in)"
        )
    if future is not None and known:  # a future-frame left empty: found only after the fit
        _check_columns(known, future, f"--future {args.future}", "--known-future")
        empty = [c for c in known if future[c].isna().all()]
        if empty:
            raise UsageError(
                f"--future {args.future} holds no value of {empty} (--known-future): fill in their "
                "values over the horizon"
            )
    if future is not None and not args.known_future:
        named = {args.time, *(_list(args.ids) or [])}
        columns = [c for c in future.columns if c not in named and c != args.target]
        raise UsageError(
            f"--future {args.future} without --known-future: its columns would not be used; name "
            f"those known over the horizon, such as --known-future {','.join(map(str, columns)) or 'COLUMNS'}, "
            "or leave out --future"
        )
    model = make_forecaster(args)
    if future is not None and not (args.partition_by or args.hierarchy) and _may_read_known_future(args.learners):
        _check_future_rows(model, train, future)
    start = time.perf_counter()
    log.info("fitting on %s ...", args.file)
    model.fit(train)
    log.info("fitted in %.1fs", time.perf_counter() - start)
    saved, unsaved = _save(model, args.save_model)  # before a forecast that may fail
    later = bool(known) and future is None and _reads_known_future(model)  # --save-model: else refused above
    out = None if later else _forecast(model, future, args, saved, unsaved)
    path = None if out is None else write_table(out, args.out)
    if not args.quiet:
        _out(_board_text(model.leaderboard(), SHOWN_TRIALS, model.metric))
    if out is not None:
        _out(f"wrote {len(out)} forecasts to {path}")
    if saved is not None:
        _out(f"saved the model to {saved}")
    outputs = {"the forecasts written to": path, "the model saved to": saved}
    _fail_after_fit([unsaved], outputs)
    _stop_if_interrupted(model, outputs, args.run_dir)
    if later:  # the documented "fit now, forecast later": the model kept, --out not written (status 3)
        raise NotForecast(
            f"no forecast written to {args.out}: the model reads the values of {', '.join(known)} over the "
            "horizon (--known-future), which no --future table gave; the model is saved to "
            f"{saved}; forecast later, without refitting: `tsauto future-frame {saved} --out future.csv` "
            f"writes the rows to fill in, then `tsauto predict {saved} --future future.csv --out {args.out}`"
        )
    return 0


def _save(model: Any, path: str | Path | None) -> tuple[Path | None, str]:
    """Save the fitted ``model`` at ``path`` (None: not asked); returns where, and why it could not
    be saved (''): a failure is not raised, so that the fit's other outputs are still written,
    then :func:`_fail_after_fit` names them."""
    if path is None:
        return None, ""
    try:
        return model.save(path), ""
    except Exception as err:  # noqa: BLE001 - whatever stops the save, the forecasts are still written
        return None, f"the model was not saved to {path}: {_one_line(err)}"


def _fail_after_fit(problems: Sequence[str], outputs: dict[str, Path | None]) -> None:
    """Fail the command (status 2) where something after the fit failed (``problems``, '' where
    nothing did), naming the ``outputs`` written all the same (what → path; None: not written)."""
    problems = [p.rstrip(".") for p in problems if p]
    if problems:
        written = _written(outputs)
        raise TsautoError(f"{'; '.join(problems)}. {'Kept: ' + written if written else 'Nothing was written'}.")


def _written(outputs: dict[str, Path | None]) -> str:
    """The ``outputs`` written (what → path; None: not written), in words; '' for none."""
    return " and ".join(f"{what} {path}" for what, path in outputs.items() if path is not None)


def _stop_if_interrupted(model: Any, outputs: dict[str, Path | None], run_dir: str | None = None) -> None:
    """Raise :class:`Interrupted` where Ctrl-C stopped the search of the fitted ``model``
    (``interrupted_``), naming the ``outputs`` written (what → path; ``None``: not written),
    which come from its trials finished, and how to run the whole search (``run_dir``:
    resumed from there)."""
    if not model.interrupted_:
        return
    several = sum(path is not None for path in outputs.values()) > 1
    written = _written(outputs) + (" come" if several else " comes")
    again = "run the command again" if run_dir is None else f"run it again with --run-dir {run_dir} to resume it"
    trials = len(model.leaderboard())
    raise Interrupted(
        f"the search stopped after {trials} trial{'s' * (trials != 1)}; {written} from those; "
        f"{again} for the whole search"
    )


def _check_future_rows(model: Forecaster, train: pd.DataFrame, future: pd.DataFrame) -> None:
    """Refuse, before the fit, a ``future`` table lacking a row or a known-future value of a
    series' next horizon steps, as the forecast after the fit would: from the series' ends and
    the frequency of ``train``, validated as ``model``'s fit validates it (which logs what it
    finds: not said twice). Not with --partition-by or --hierarchy, whose forecasts check it
    by partition or over the nodes, after the fit."""
    from tsauto.forecasting.validation import future_covariates

    with tsauto_filter(lambda record: False):
        panel = model._validate(train)
    future_covariates(future, panel, model.horizon, warn=False)  # its warnings come with the forecast


def _forecast(
    model: Forecaster, future: pd.DataFrame | None, args: argparse.Namespace, saved: Path | None, unsaved: str
) -> pd.DataFrame:
    """The forecast of the fitted ``model``; a failure says where the model is ``saved`` (where
    the future table was refused, with --partition-by or --hierarchy, the fit is kept beside
    ``--out`` unless ``--save-model`` saved it, at a name no file has: ``tsauto predict``
    forecasts from it without a refit), or why it is not (``unsaved``: why --save-model failed;
    after the forecast's own error, which comes first)."""
    log.info("forecasting %d steps", args.horizon)
    try:
        return model.predict(future=future, level=_level(args.level))
    except DataValidationError as err:
        if saved is None and future is not None:
            try:
                saved = model.save(_free_path(Path(args.out).with_suffix(".tsauto")))
            except Exception as failed:  # noqa: BLE001 - said after the forecast's own error
                raise DataValidationError(
                    f"{err} The fitted model could not be kept either: {_one_line(failed)}") from None
        if saved is None and unsaved:
            raise DataValidationError(f"{err} {unsaved[0].upper()}{unsaved[1:].rstrip('.')}.") from None
        if saved is None:
            raise
        raise DataValidationError(
            f"{err} The fitted model is saved in {saved}: forecast with `tsauto predict {saved} "
            f"--future FILE --out FILE`, no refit (`tsauto future-frame {saved} --out FILE` writes "
            "the rows to fill in)."
        ) from None


def _free_path(path: Path) -> Path:
    """``path``, or where it is taken (a file, a link) the first of ``<stem>-2<suffix>``,
    ``<stem>-3<suffix>``, ... that is not: a file is never replaced unasked."""
    free, k = path, 1
    while os.path.lexists(free):
        k += 1
        free = path.with_name(f"{path.stem}-{k}{path.suffix}")
    return free


def _check_columns(names: Sequence[str], table: pd.DataFrame, where: str, option: str) -> None:
    """Refuse ``names``, given as ``option``, that are not columns of ``table`` (``where``: the
    table in words), each named with the column spelled like it."""
    missing = [c for c in names if c not in table.columns]
    if missing:
        named = ", ".join(f"{c!r}{close_match(c, table.columns)}" for c in missing)
        verb = "is not a column" if len(missing) == 1 else "are not columns"
        raise UsageError(
            f"{option}: {named} {verb} of {where}; its columns are {list(map(str, table.columns))[:20]}"
        )


def _may_read_known_future(learners: str) -> bool:
    """Whether the ``--learners`` given may read known-future covariates ('auto' may): where
    none does, as Theta, the fit forecasts without a --future table."""
    if learners == "auto":
        return True
    from tsauto.forecasting import registry

    names = _list(learners) or []
    return any(n not in registry.FORECASTERS or registry.FORECASTERS[n].load().tags.known_future for n in names)


def _reads_known_future(model: Forecaster) -> bool:
    """Whether the fitted ``model`` (any partition of it) reads its known-future covariates:
    one whose learners read none forecasts without a --future table."""
    fitted = [c.model_ for c in model.partitions_.values()] if model.partition_by else [model.model_]
    return any(m.reads_known_future for m in fitted)


def _run_backtest(args: argparse.Namespace) -> int:
    _check_out(args.out)
    _check_folder(args.run_dir, "--run-dir")
    model = make_forecaster(args)
    data = _in_zone(read_table(args.file, model._codes(), lines=True), args.time, args.tz, args.file)
    if args.mode == "refit":
        log.info("selecting the model on %s ...", args.file)
        model.fit(data)
        if model.interrupted_:  # nothing written yet: the command stops as a second Ctrl-C would
            raise KeyboardInterrupt
    log.info("backtest on %s: %d folds (%s) ...", args.file, args.folds, args.mode)
    result = model.backtest(data, folds=args.folds, step=args.step, mode=args.mode)
    _out(result.note)
    _out(_summary_text(result.summary, result.models))
    _out(SUMMARY_LEGEND)
    if result.by_level is not None:
        _out("per level (MASE scaled by each node's own history):")
        _out(result.by_level.to_string(index=False, float_format=_number))
    _report_quantiles(args.quantiles or [], result.forecasts, result.summary)
    from tsauto.forecasting.report import backtest_coverage, reference_wins

    for warning in (reference_wins(result), backtest_coverage(result)):
        if warning:
            log.warning("%s", warning)
    if args.out:
        from tsauto.forecasting.report import backtest_table

        path = write_table(backtest_table(result), args.out)
        _out(f"wrote {len(result.forecasts)} backtest rows to {path}")
    return 0


def _summary_text(summary: pd.DataFrame, models: pd.DataFrame | None = None) -> str:
    """A backtest's summary as text; a model name too long for a column (an ensemble) is
    listed above the table, whose row reads ``model``; so is each fold's model where the folds
    of a nested backtest chose different ones (``models``: ``BacktestResult.models``)."""
    names = summary["model"].astype(str)
    if models is not None and models["model"].nunique() > 1:
        listed = [f"{label}: {model}" for label, model in zip(models["label"], models["model"])]
        table = summary.assign(model=["model", *names.iloc[1:]])  # the reference's row keeps its name
        return "\n".join([*listed, table.to_string(index=False, float_format=_number)])
    long = names.str.len() > MODEL_NAME_WIDTH
    if not long.any():
        return summary.to_string(index=False, float_format=_number)
    listed = [f"model: {name}" for name in dict.fromkeys(names[long])]
    table = summary.assign(model=names.where(~long, "model"))
    return "\n".join([*listed, table.to_string(index=False, float_format=_number)])


def _report_quantiles(levels: list[float], forecasts: pd.DataFrame, summary: pd.DataFrame) -> None:
    """Say what the backtest's interval scores mean, or warn that the quantiles asked for are
    missing from its forecasts."""
    from tsauto.forecasting.metrics import band_percent, interval_pair

    missing = [f"q{q:g}" for q in levels if f"q{q:g}" not in forecasts]
    if missing:
        log.warning(
            "the backtest of %s has no %s: the model has no native quantiles and was not "
            "validated, so no conformal ones were calibrated",
            summary["model"].iloc[0], ", ".join(missing),
        )
        return
    pair = interval_pair(levels)
    if "coverage" in summary and pair is not None:
        lo, hi = pair
        _out(f"pinball: mean over q{', q'.join(f'{q:g}' for q in sorted(levels))} (and over series and "
             "folds), in the target's units; scaled_pinball: each series' over its MASE scale (comparable "
             f"across series and data sets, as the leaderboard's); coverage: share of all actuals in "
             f"[q{lo:g}, q{hi:g}] (nominal {band_percent(lo, hi)}); msis: that interval's M4 scaled interval "
             "score (width plus 2/alpha times the misses, lower is better; mean over series and folds)")


def _run_predict(args: argparse.Namespace) -> int:
    from tsauto.forecasting.forecaster import Forecaster

    if (args.model is None) == (args.model_option is None):
        raise UsageError("tsauto predict: give the saved model once, as MODEL or --model MODEL "
                         "(see tsauto predict --help)")
    args.model = args.model or args.model_option
    _check_out(args.out)
    model = _load(args.model)
    if not isinstance(model, Forecaster):
        if args.history or args.future or args.level or args.tz or not args.test:
            raise UsageError(
                f"{args.model!r} holds a {type(model).__name__}: give the rows to predict as "
                "--test FILE (--history, --future, --level and --tz are a forecaster's)"
            )
        rows = _tabular_table(args.test)
        ids = _ids(args.id, {args.test: rows}) if args.id else _fitted_ids(model, rows, args.test)
        path = write_table(_predictions(model, rows, ids), args.out)
        _out(f"wrote the predictions of {args.test} to {path}")
        return 0
    if args.test or args.id:
        raise UsageError(f"--test, --id: {args.model!r} holds a Forecaster: give --history and --future")
    if args.level and not model.hierarchy:
        raise UsageError(f"--level: {args.model!r} was fitted without a hierarchy"
                         f"{_interval_hint(args.level, model.quantiles)}")
    if args.tz and args.history is None and args.future is None:
        raise UsageError(f"--tz {args.tz}: it reads the time column of --history and --future, and neither is "
                         "given (the forecasts are in the fit's zone): give them, or leave --tz out")
    if args.level:
        spec = model.hierarchy_.spec
        _check_level(args.level, list(zip(spec.levels, spec.level_columns)), model.quantiles)
    if args.history is None and getattr(model, "dask_", None) is not None:  # predict() says history=
        raise UsageError(
            f"{args.model!r} was fitted on a Dask DataFrame, whose rows are not saved with it: give "
            "the rows to forecast from as --history FILE"
        )
    out = model.predict(
        future=_table(args.future, model=model, tz=args.tz),
        history=_table(args.history, model=model, tz=args.tz),
        level=_level(args.level),
    )
    path = write_table(out, args.out)
    _out(f"wrote {len(out)} forecasts to {path}")
    return 0


def _run_future_frame(args: argparse.Namespace) -> int:
    _check_out(args.out)
    model = _forecaster(args.model, "future-frame")
    frame = model.make_future_frame(history=_table(args.history, model=model, tz=args.tz))
    known = _known_future(model)
    # empty, to fill in; object columns: pandas refuses a flag or a label set into part of a float one
    frame = frame.assign(**{c: pd.Series(float("nan"), frame.index, object) for c in known})
    path = write_table(frame, args.out)
    what = f": fill in {', '.join(known)} and pass it as --future" if known else ""
    _out(f"wrote {len(frame)} rows to {path}{what}")
    return 0


def _known_future(model: Forecaster) -> list[str]:
    """The known-future columns ``predict`` reads from ``--future``: the fitted schema's (a
    column found to leak the target was left out at fit), else those named at fit."""
    history = getattr(model, "history_", None)
    if history is not None:
        return list(history.schema.known_future)
    named = model.known_future
    return _list(named) if isinstance(named, str) else list(named or [])


def _forecaster(path: str, command: str) -> Forecaster:
    """The saved Forecaster at ``path``; a usage error naming ``command`` for another model."""
    from tsauto.forecasting.forecaster import Forecaster

    model = _load(path)
    if not isinstance(model, Forecaster):
        name = type(model).__name__
        hint = (f"; a {name} has no HTML report: in Python, {name}.load({path!r}).explain().importance "
                "gives its columns' importance, .guardrails() its data checks (`tsauto classify` and `tsauto "
                "regress` print them after the fit), and `tsauto leaderboard` prints its trials") if command == "report" else ""
        raise UsageError(f"{path!r} holds a {name}: `tsauto {command}` takes a saved Forecaster{hint}")
    return model


def _run_leaderboard(args: argparse.Namespace) -> int:
    _check_out(args.out)
    model = _load(args.model)
    board = model.leaderboard()
    if args.out:
        _out(f"wrote the {len(board)} trials to {write_table(board, args.out)}")
    else:
        _out(_board_text(board))
    if getattr(model, "interrupted_", False):  # absent from models saved before it was kept
        _out("(the search was interrupted by Ctrl-C: these are the trials finished before it)")
    return 0


def _run_report(args: argparse.Namespace) -> int:
    from tsauto.forecasting.report import check_report_path

    try:
        check_report_path(args.out)  # before the model is read: a wrong path fails in seconds
    except DataValidationError as err:
        raise UsageError(f"--out: {err}") from None
    _check_writable(args.out, "--out")
    if args.data is not None and args.backtest is None:
        raise UsageError("--data goes with --backtest given a backtest's table (the data it ran on)")
    for path in (args.backtest, args.data, args.future):  # before the model is read: a wrong path fails first
        if path is not None:
            table_kind(Path(path))
    model = _forecaster(args.model, "report")
    backtest = _table(args.backtest, model=model)  # codes as at fit; --tz once it is found to be data
    future = _table(args.future, model=model, tz=args.tz)
    result = None if backtest is None else _report_backtest(args, model, backtest)
    _out(f"wrote the report to {model.report(args.out, backtest=result, future=future)}")
    return 0


def _report_backtest(args: argparse.Namespace, model: Forecaster, table: pd.DataFrame) -> Any:
    """The backtest ``tsauto report`` shows: read from ``--backtest``'s table where it is a
    backtest's (``tsauto backtest --out``), scaled by ``--data``; else run on it as data."""
    from tsauto.forecasting.report import (
        BACKTEST_COLUMNS, MODE_COLUMN, backtest_from_table, is_backtest_table, table_mode,
    )

    where = f"--backtest {args.backtest}"
    if is_backtest_table(table.columns):
        what = f"{where} is a backtest's table (columns {', '.join(BACKTEST_COLUMNS)}: `tsauto backtest --out`)"
        if args.data is None:
            raise UsageError(
                f"{what}: to show it as it is, give --data FILE, the data table that backtest ran on (its scaled "
                "errors are computed from it); or give --backtest that data table to run the backtest again"
            )
        folds = table["fold"].nunique()
        if args.folds is not None and args.folds != folds:
            raise UsageError(f"--folds {args.folds}: {what} of {folds} folds; leave --folds out")
        recorded = table_mode(table, where)
        if recorded is not None and args.mode not in (None, recorded):
            raise UsageError(f"--mode {args.mode}: {what} of a {recorded} backtest (its column {MODE_COLUMN}); "
                             "leave --mode out")
        mode = recorded or args.mode or "nested"
        said = "as the table records" if recorded else (
            f"{'as --mode says' if args.mode else 'the default'} (the table, written before tables recorded "
            "their mode, does not record it: give --mode refit for a refit backtest)")
        log.info("%s, read as it is (not run again), its scaled errors from --data %s; mode %s, %s",
                 what, args.data, mode, said)
        try:
            return backtest_from_table(model, table, _table(args.data, model=model, tz=args.tz), mode, where)
        except DataValidationError as err:
            raise DataValidationError(f"{err} (--data {args.data})") from None
    if args.data is not None:
        raise UsageError(f"--data goes with --backtest given a backtest's table; {where} is data: "
                         "the backtest runs on it (leave --data out)")
    table = _in_zone(table, model.time, args.tz, args.backtest)
    missing = [c for c in _data_columns(model) if c not in table.columns]
    if missing:
        raise UsageError(
            f"{where}: the table has no column {', '.join(map(repr, missing))}"
            f"{close_match(missing[0], table.columns)}; "
            f"its columns are {list(map(str, table.columns))[:20]}. --backtest takes a data table with the "
            f"training file's columns ({', '.join(map(str, _data_columns(model)))}), or a table `tsauto "
            "backtest --out` wrote, with --data"
        )
    folds, mode = REPORT_FOLDS if args.folds is None else args.folds, args.mode or "nested"
    log.info("backtest on %s: %d folds (%s) ...", args.backtest, folds, mode)
    try:
        return model.backtest(table, folds=folds, mode=mode)
    except DataValidationError as err:  # 'the table has no column ...': which table
        raise DataValidationError(f"{where}: {err}") from None


def _data_columns(model: Forecaster) -> list[str]:
    """The columns a data table of ``model`` holds: its time, ids, target and known-future
    covariates, as named at fit."""
    ids = [model.ids] if isinstance(model.ids, str) else list(model.ids or ())
    named = model.known_future
    known = _list(named) if isinstance(named, str) else list(named or [])
    return list(dict.fromkeys([model.time, *ids, model.target, *known]))


def _run_tabular(args: argparse.Namespace) -> int:
    from tsauto.tabular import Classifier, Regressor
    from tsauto.tabular.metrics import METRICS

    _check_out(args.out)
    _check_save_model(args.save_model)
    if args.time_budget is None and args.max_trials is None:
        raise UsageError("--time-budget none needs --max-trials N: the search stops on nothing else (or give "
                         "--time-budget SECONDS)")
    # read before the fit: a wrong path fails in seconds, not after it
    test = None if args.test is None else _tabular_table(args.test)
    cls = Classifier if args.command == "classify" else Regressor
    model = cls(
        target=args.target,
        metric=args.metric,
        time_budget=args.time_budget,
        max_trials=args.max_trials,
        folds=args.validation_folds,
        learners="auto" if args.learners == "auto" else _list(args.learners),
        n_jobs=args.n_jobs,
        backend=args.backend,
        client=getattr(args, "client", None),
    )
    train = _tabular_table(args.file)
    ids = _ids(args.id, {args.file: train, **({} if test is None else {args.test: test})})
    model.set_params(ids=ids)  # the model keeps them: `tsauto predict` copies them without --id
    if args.command == "regress":
        model.set_params(non_negative=_non_negative(args))
    if test is not None:
        _check_test(model, train, test, args)
    log.info("fitting on %s ...", args.file)
    model.fit(train)
    saved, unsaved = _save(model, args.save_model)  # kept if predicting fails
    scored = train if test is None else test
    out = _predictions(model, scored, ids)
    path = write_table(out, args.out)
    metric = METRICS[model.metric_]
    if not args.quiet:
        _out(_board_text(model.leaderboard(), SHOWN_TRIALS, metric.name, metric.higher_is_better))
        _out(_guardrails_text(model.guardrails()))
    unscored = ""
    if args.target in scored.columns and scored[args.target].notna().any():  # an empty one: rows to predict
        try:
            score = model.score(scored.drop(columns=ids))  # higher is better: a loss negated
        except (TsautoError, ValueError) as err:  # the check before the fit should have found it
            unscored = f"the score on {args.test or args.file} was not computed: {_one_line(err)}"
        else:
            score = score if metric.higher_is_better else -score
            line = f"{model.metric_} on {args.test or args.file}: {score:.4f}"
            if not args.test:  # scored on the rows it was fitted on
                line += f" (in sample, optimistic; out-of-fold {model.cv_score_:.4f} estimates new rows)"
            _out(line)
    _out(f"wrote {len(out)} predictions to {path}")
    if saved is not None:
        _out(f"saved the model to {saved}")
    outputs = {"the predictions written to": path, "the model saved to": saved}
    _fail_after_fit([unsaved, unscored], outputs)
    _stop_if_interrupted(model, outputs)
    return 0


def _tabular_table(path: str) -> pd.DataFrame:
    """The table of a classifier or regressor at ``path``, its rows labelled by their lines in
    the file (:func:`read_table` with ``lines=True``, as the forecasting commands read theirs):
    what predicting them warns of or refuses is named by those lines ("line 5"), not by the
    rows' positions from 0. Its numbers' thousands separators are left to the featurizer."""
    return read_table(path, thousands=False, lines=True)


def _check_test(model: Any, train: pd.DataFrame, test: pd.DataFrame, args: argparse.Namespace) -> None:
    """Before the fit, what predicting ``--test`` after it refuses (a column it lacked was found
    after the fit, which was lost: a user test, 31 s): no rows, or a column the model reads
    missing. Those it reads are the training file's but the target and the ids, less those the
    fit drops (constant, all missing, a different value in every row, a copy of the target),
    found by the fit's own preparation of the table, on a copy of ``model``. A target in
    ``--test`` is checked as scoring it after the fit checks it, on that copy (classes the
    training target lacks: user test 58 F4, found after a fit of the whole budget)."""
    if test.empty:
        raise UsageError(f"--test {args.test} has no rows: give at least one row to predict")
    probe = type(model)(**model.get_params())
    with tsauto_filter(lambda record: False):  # what it finds, the fit says
        kinds = probe._prepare(probe._training_table(train, None, model.ids))[2]
    missing = [c for c, kind in kinds.items() if kind != "drop" and c not in test.columns]
    if missing:
        raise UsageError(
            f"--test {args.test} lacks {len(missing)} column(s) of {args.file} the model reads: "
            f"{shortlist(map(repr, missing))}; give them (empty cells where unknown are read as missing)"
        )
    if model.target in test.columns:
        truth = test[model.target]
        try:
            probe._encode_truth(truth[truth.notna()])  # what score() refuses, by its own rule
        except DataValidationError as err:
            raise UsageError(f"--test {args.test}: {_one_line(err).rstrip('.')} (found before the fit: nothing "
                             "was fitted or written)") from None


def _ids(option: str | None, tables: dict[str, pd.DataFrame]) -> list[str]:
    """The columns of ``--id``, checked in each table (file name → table)."""
    ids = _list(option) or []
    for name, table in tables.items():
        missing = [c for c in ids if c not in table.columns]
        if missing:
            raise UsageError(f"--id: {missing} not in {name}; its columns are {list(table.columns)}")
    return ids


def _fitted_ids(model, rows: pd.DataFrame, name: str) -> list[str]:
    """The columns given as ``--id`` at fit (the model's ``ids_``; none in a model saved before it
    was kept) that ``rows`` (of file ``name``) hold: copied to the output as ``--id`` would, which
    overrides them; a warning names those it lacks."""
    fitted = list(getattr(model, "ids_", ()))
    ids = [c for c in fitted if c in rows.columns]
    absent = [c for c in fitted if c not in ids]
    if absent:
        log.warning(
            "--id %s (given at fit) is not a column of %s: the predictions are written without it, "
            "in the order of its rows; add the column to the file, or give --id with another one",
            ",".join(absent), name,
        )
    if ids:
        log.info("--id %s: as at fit (give --id to choose others)", ",".join(ids))
    return ids


def _predictions(model, rows: pd.DataFrame, ids: Sequence[str] = ()) -> pd.DataFrame:
    """A classifier's or regressor's predictions of ``rows``: the ``ids`` columns of ``rows``
    (left out of the features), ``prediction``, and a classifier's ``proba_<class>`` columns."""
    features = rows.drop(columns=list(ids))
    out = rows[list(ids)].reset_index(drop=True)
    seen: dict = {}  # predict_proba reads the same rows: its warnings were said by predict
    with warnings_once(seen):
        out["prediction"] = model.predict(features)
    if hasattr(model, "predict_proba"):
        with warnings_once(seen):
            proba = model.predict_proba(features)
        for k, label in enumerate(model.classes_):
            out[f"proba_{label}"] = proba[:, k]
    return out


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "forecast": _run_forecast,
    "backtest": _run_backtest,
    "predict": _run_predict,
    "future-frame": _run_future_frame,
    "leaderboard": _run_leaderboard,
    "report": _run_report,
    "classify": _run_tabular,
    "regress": _run_tabular,
}


def _terminated(args: argparse.Namespace) -> str:
    """The last line of a command SIGTERM stopped, in its fit: nothing was written; the trials
    finished are lost, unless its ``--run-dir`` journals them for the same command to resume."""
    stopped = "stopped by SIGTERM: nothing written"
    if not hasattr(args, "run_dir"):  # a command without the option: classify, regress, report
        return stopped
    if args.run_dir is None:
        return (f"{stopped}; the trials finished are lost (with --run-dir DIR they are journaled, and "
                "the same command resumes from them)")
    return f"{stopped}; the trials finished are journaled in {args.run_dir}: run the same command again to resume"


SCHEDULER_TIMEOUT = 30  # seconds --scheduler's address has to answer
SCHEDULER_GRACE = 1  # seconds past it before a connection that answered nothing Dask reads is given up
DASK_PORTS = "the scheduler listens on 8786 by default, its dashboard on 8787"


@contextmanager
def _dask_client(args: argparse.Namespace) -> Iterator[Any]:
    """A ``distributed.Client`` of ``--scheduler``, closed after the command; None without."""
    address, backend = getattr(args, "scheduler", None), getattr(args, "backend", None)
    if address is None:
        if backend == "dask":
            raise UsageError("--backend dask needs --scheduler ADDRESS, a running Dask scheduler (tcp://host:8786)")
        yield None
        return
    if backend not in (None, "dask"):
        raise UsageError(
            f"--backend {backend} with --scheduler: the trials would run on this machine and the cluster "
            "stay idle; leave --backend out"
        )
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs the distributed package (pip install 'dask[distributed]')") from None
    try:
        _check_address(address)
    except (ValueError, TypeError) as err:  # not an address at all
        raise UsageError(
            f"--scheduler {address}: not a Dask scheduler address ({_one_line(err)}); give one such as "
            "tcp://10.0.0.5:8786"
        ) from None
    try:
        try:
            _handshake(address)  # a bounded first contact: Client's own handshake waits for ever on a silent port
        except Exception as err:  # noqa: BLE001 - whatever another service's bytes make of distributed's reading
            if isinstance(err, TypeError) and "ssl_context" in str(err):
                raise
            raise _not_answered(address, err) from None
        client = Client(address, timeout=SCHEDULER_TIMEOUT)
    except TypeError as err:
        if "ssl_context" not in str(err):
            raise
        raise UsageError(
            f"--scheduler {address}: a tls:// scheduler needs Dask's TLS settings (the certificate files "
            "in the Dask configuration: distributed.comm.tls.ca-file, .client.cert and .client.key, "
            "or the DASK_DISTRIBUTED__COMM__TLS__* environment variables)"
        ) from None
    except (OSError, TimeoutError, MemoryError) as err:  # the handshake went, then the connection did not
        raise _not_answered(address, err) from None
    with client:
        yield client


def _check_address(address: str) -> None:
    """A ``ValueError`` where ``address`` is no Dask address (an unknown scheme such as
    ``http://``, a port that is not a number), found without the network."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    get_backend(scheme)
    if scheme in ("tcp", "tls"):
        parse_host_port(location)


def _handshake(address: str) -> None:
    """Connect to ``address`` and exchange Dask's handshake, all within ``SCHEDULER_TIMEOUT``
    seconds (and ``SCHEDULER_GRACE``), then close the connection. Another service there ends
    it as distributed reads what it sends: a banner (SSH, SMTP) read as the length of a frame is
    a ``MemoryError`` ("Unable to allocate 2.82 EiB"); an HTTP server (the dashboard's port)
    or a silent one never answers, and distributed waited for ever (``TimeoutError`` here).
    Nothing listening is distributed's ``OSError`` after ``SCHEDULER_TIMEOUT``. In its own
    thread and event loop (a caller's running loop is left alone); a thread still running
    past the limit (it should not be) is left behind, a daemon, which no exit waits for."""
    import asyncio
    import threading

    from distributed.comm import connect
    from distributed.security import Security

    async def shake() -> None:
        args = Security().get_connection_args("client")
        comm = await asyncio.wait_for(
            connect(address, timeout=SCHEDULER_TIMEOUT, **args), SCHEDULER_TIMEOUT + SCHEDULER_GRACE
        )
        await comm.close()

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(shake())
        except BaseException as err:  # noqa: BLE001 - said in the main thread
            failure.append(err)

    thread = threading.Thread(target=run, name="tsauto-scheduler-handshake", daemon=True)
    thread.start()
    thread.join(SCHEDULER_TIMEOUT + 2 * SCHEDULER_GRACE + 1)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {SCHEDULER_TIMEOUT} s")
    if failure:
        raise failure[0]


def _not_answered(address: str, err: BaseException) -> UsageError:
    """The one line for a ``--scheduler`` that failed to connect with ``err``: nothing answered
    (distributed's plain ``OSError``: refused, unreachable or unknown host, after
    ``SCHEDULER_TIMEOUT``), or the service there is not a Dask scheduler (its reply unreadable
    as Dask's, the connection closed, or no handshake in time)."""
    if type(err) is OSError:  # distributed's "Timed out trying to connect": nothing accepted the connection
        return UsageError(
            f"--scheduler {address}: no Dask scheduler answered within {SCHEDULER_TIMEOUT} s ({_one_line(err)}); "
            f"start one (`dask scheduler`, then `dask worker {address}` on each machine) or leave --scheduler out"
        )
    if isinstance(err, TimeoutError):
        why = f"it sent no Dask handshake within {SCHEDULER_TIMEOUT} s"
    elif isinstance(err, OSError):  # distributed's CommClosedError among them
        why = f"it closed the connection: {' '.join(str(err).split())[:200] or type(err).__name__}"
    else:
        why = f"what it sent is not Dask's protocol: {type(err).__name__}: {' '.join(str(err).split())[:200]}"
    return UsageError(
        f"--scheduler {address}: the service there did not answer as a Dask scheduler ({why}); {DASK_PORTS}: "
        "check the address and port, or leave --scheduler out"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tsauto`` command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as err:
        sys.stderr.write(f"tsauto: error: {_one_line(err)}\n")
        return 2
    console = Console(sys.stderr, progress=sys.stderr.isatty() and not args.quiet)
    root = logging.getLogger("tsauto")
    level = root.level
    root.addHandler(console)
    root.setLevel(logging.WARNING if args.quiet else logging.INFO)
    start = time.perf_counter()
    try:
        _check_distinct(args)  # before the scheduler's connection and any reading or fitting
        with _dask_client(args) as args.client:
            code = COMMANDS[args.command](args)
        log.info("done in %.1fs", time.perf_counter() - start)
        return code
    except Interrupted as stop:  # the outputs are written: a script's `set -e` stops all the same
        console.clear()
        sys.stderr.write(f"tsauto: interrupted: {stop}\n")
        return INTERRUPTED
    except NotForecast as stop:  # the model is saved: not "error", but never 0 (no --out file)
        console.clear()
        sys.stderr.write(f"tsauto: {stop}\n")
        return NOT_FORECAST
    except KeyboardInterrupt:
        console.clear()
        sys.stderr.write("tsauto: interrupted\n")
        return INTERRUPTED
    except SystemExit as stop:
        if stop.code != TERMINATED:
            raise
        console.clear()
        sys.stderr.write(f"tsauto: {_terminated(args)}\n")
        return TERMINATED
    except Exception as err:
        console.clear()
        if args.traceback:  # the same exit status with it (user test 49: 1 with, 2 without)
            traceback.print_exc()
        sys.stderr.write(f"tsauto: error: {_one_line(err)}\n")
        return 2
    finally:
        console.clear()
        root.removeHandler(console)
        root.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
