"""The command line end to end on real files: forecast with a budget, predict from the saved
model, leaderboard, backtest with quantiles, and failures as one line with exit status 2."""

from __future__ import annotations

import contextlib
import http.server
import io
import logging
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import tsauto
from tsauto.cli import _board_text, _summary_text, build_parser, main, make_forecaster, progress_line
from tsauto.forecasting.options import ComputeOptions, DataOptions, SearchOptions

RETAIL = ["--target", "Turnover", "--time", "Month", "--ids", "State,Industry", "--horizon", "3"]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def retail_csv(aus_small: pd.DataFrame, tmp_path: Path) -> Path:
    """Twelve Australian retail series as a CSV file."""
    path = tmp_path / "retail.csv"
    aus_small.to_csv(path, index=False)
    return path


def test_forecast_then_predict_and_leaderboard_from_the_saved_model(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fc, model = tmp_path / "fc.parquet", tmp_path / "m.tsauto"
    code = main(
        [
            "forecast", str(retail_csv), *RETAIL, "--time-budget", "20", "--max-trials", "4",
            "--quantiles", "0.1,0.9", "--out", str(fc), "--save-model", str(model),
        ]
    )
    assert code == 0
    forecast = pd.read_parquet(fc)
    assert len(forecast) == 12 * 3
    assert {"forecast", "q0.1", "q0.9"} <= set(forecast.columns)
    printed = capsys.readouterr().out
    assert "wrote 36 forecasts" in printed and "mase" in printed
    log = terminal.getvalue()
    assert "\r\x1b[K[" in log and "/4 | best" in log and " left" in log  # the progress line
    monkeypatch.undo()

    predicted = tmp_path / "again.parquet"
    assert main(["predict", "--model", str(model), "--out", str(predicted), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(predicted), forecast, check_exact=True)
    from_history = tmp_path / "history.parquet"
    args = ["predict", str(model), "--history", str(retail_csv), "--out", str(from_history)]  # as `report MODEL`
    assert main([*args, "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(from_history), forecast, check_exact=True)
    capsys.readouterr()

    assert main(["leaderboard", str(model), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "learner" in printed and "mase" in printed and "params" not in printed
    assert main(["leaderboard", str(model), "--out", str(tmp_path / "board.csv"), "-q"]) == 0
    board = pd.read_csv(tmp_path / "board.csv")
    assert 1 <= len(board) <= 4 and {"learner", "params", "mase", "weight"} <= set(board.columns)


def test_report_of_a_saved_model_with_a_backtest(retail_csv: Path, tmp_path: Path, capsys) -> None:
    model, page = tmp_path / "m.tsauto", tmp_path / "report.html"
    fit = ["forecast", str(retail_csv), *RETAIL, "--learners", "naive,theta", "--quantiles", "0.1,0.9"]
    assert main([*fit, "--out", str(tmp_path / "fc.csv"), "--save-model", str(model), "-q"]) == 0
    printed = capsys.readouterr().out  # quiet: what was written, no leaderboard
    assert "wrote 36 forecasts" in printed and "saved the model" in printed and "mase" not in printed
    args = ["report", str(model), "--backtest", str(retail_csv), "--folds", "2", "--mode", "refit"]
    assert main([*args, "--out", str(page), "-q"]) == 0
    assert f"wrote the report to {page}" in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    for table in ("data-checks", "leaderboard", "backtest-errors"):
        assert f'<table id="{table}">' in html
    assert html.count("<svg") >= 3
    lacking = tmp_path / "lacking.csv"
    pd.read_csv(retail_csv).drop(columns="Industry").to_csv(lacking, index=False)
    assert main(["report", str(model), "--backtest", str(lacking), "--out", str(page), "-q"]) == 2
    assert f"tsauto: error: --backtest {lacking}: the table has no column 'Industry'" in capsys.readouterr().err
    missing = tmp_path / "later.csv"  # named before the model is read, which a wrong path does not reach
    assert main(["report", str(tmp_path / "no_model.tsauto"), "--future", str(missing), "--out", str(page), "-q"]) != 0
    assert f"file '{missing}' does not exist" in capsys.readouterr().err
    for wrong in ("report.csv", "report.md"):  # the API's refusal (report.py), as a usage error
        assert main(["report", str(model), "--out", str(tmp_path / wrong), "-q"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"tsauto: error: --out: cannot write the report to '{tmp_path / wrong}'")
        assert err.rstrip().endswith("give a .html path") and err.count("\n") == 1


def test_a_backtest_and_a_report_backtest_with_a_run_dir(retail_csv: Path, tmp_path: Path, capsys) -> None:
    """``tsauto backtest --run-dir`` and ``tsauto report --backtest`` of a model fitted with one
    failed (rc 2): every fold's fit reused the forecast's run folder (review 56 B2)."""
    runs, model = tmp_path / "runs", tmp_path / "m.tsauto"
    fit = [str(retail_csv), *RETAIL, "--learners", "naive,theta", "--run-dir", str(runs)]
    assert main(["backtest", *fit, "--folds", "2", "--out", str(tmp_path / "bt.csv"), "-q"]) == 0
    assert main(["forecast", *fit, "--out", str(tmp_path / "fc.csv"), "--save-model", str(model), "-q"]) == 0
    report = ["report", str(model), "--backtest", str(retail_csv), "--folds", "2", "--out", str(tmp_path / "r.html")]
    assert main([*report, "-q"]) == 0
    assert (runs / "journal.log").exists() and len(list(runs.glob("backtest-*"))) == 2


def test_report_reads_the_table_tsauto_backtest_wrote(retail_csv: Path, tmp_path: Path, capsys) -> None:
    """User test 46 T6: `tsauto report MODEL --backtest FILE` with the table `tsauto backtest --out`
    wrote failed with "the table has no column 'Turnover' ... Check the target=, time=, ids=" (it
    reran a backtest on it as data); now that table is recognised, and with --data, the data it
    ran on, shown as it is: the page the rerun gives. The table records its mode (it was taken
    from --mode, nested by default, and a refit table read so was labelled wrongly): read from
    it, a --mode contradicting it refused; a table written before it was recorded falls back to
    --mode, the log saying so."""
    model, table = tmp_path / "m.tsauto", tmp_path / "bt.csv"
    learners = ["--learners", "naive,theta", "--quantiles", "0.1,0.9"]
    assert main(["forecast", str(retail_csv), *RETAIL, *learners, "--out", str(tmp_path / "fc.csv"),
                 "--save-model", str(model), "-q"]) == 0
    assert main(["backtest", str(retail_csv), *RETAIL, *learners, "--folds", "2", "--mode", "refit",
                 "--out", str(table), "-q"]) == 0
    capsys.readouterr()
    assert set(pd.read_csv(table)["backtest_mode"]) == {"refit"}
    report = ["report", str(model), "--backtest", str(table)]  # no --mode: the table's
    assert main([*report, "--out", str(tmp_path / "r.html"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tsauto: error: --backtest {table} is a backtest's table (columns cutoff, fold, step, "
                          "actual, forecast: `tsauto backtest --out`): to show it as it is, give --data FILE")
    assert "target=" not in err and err.count("\n") == 1
    read, rerun = tmp_path / "read.html", tmp_path / "rerun.html"
    assert main([*report, "--data", str(retail_csv), "--out", str(read), "-q"]) == 0
    assert main(["report", str(model), "--backtest", str(retail_csv), "--folds", "2", "--mode", "refit",
                 "--out", str(rerun), "-q"]) == 0

    def undated(path: Path) -> str:
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", path.read_text(encoding="utf-8"))

    assert '<table id="backtest-summary">' in undated(read) and undated(read) == undated(rerun)
    capsys.readouterr()
    assert main([*report, "--data", str(retail_csv), "--mode", "nested", "--out", str(read), "-q"]) == 2
    assert (f"tsauto: error: --mode nested: --backtest {table} is a backtest's table (columns cutoff, fold, step, "
            "actual, forecast: `tsauto backtest --out`) of a refit backtest (its column backtest_mode); leave "
            "--mode out") in capsys.readouterr().err
    old = tmp_path / "old.csv"  # as written before tables recorded their mode
    pd.read_csv(table).drop(columns="backtest_mode").to_csv(old, index=False)
    assert main(["report", str(model), "--backtest", str(old), "--data", str(retail_csv), "--out", str(read)]) == 0
    assert ("mode nested, the default (the table, written before tables recorded their mode, does not record it: "
            "give --mode refit for a refit backtest)") in capsys.readouterr().err
    assert main(["report", str(model), "--backtest", str(old), "--data", str(retail_csv), "--mode", "refit",
                 "--out", str(read), "-q"]) == 0
    assert undated(read) == undated(rerun)
    capsys.readouterr()
    assert main([*report, "--data", str(retail_csv), "--folds", "3", "--out", str(read), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"--folds 3: --backtest {table} is a backtest's table" in err and "of 2 folds; leave --folds out" in err
    shorter = tmp_path / "shorter.csv"
    pd.read_csv(retail_csv).iloc[:-12].to_csv(shorter, index=False)  # not the data the backtest ran on
    assert main([*report, "--data", str(shorter), "--out", str(read), "-q"]) == 2
    assert "cells are not the data's" in capsys.readouterr().err
    assert main(["report", str(model), "--backtest", str(retail_csv), "--data", str(retail_csv),
                 "--out", str(read), "-q"]) == 2
    assert "--data goes with --backtest given a backtest's table" in capsys.readouterr().err


def test_every_option_reaches_the_forecaster() -> None:
    args = build_parser().parse_args(
        [
            "forecast", "f.csv", *RETAIL, "--quantiles", "0.1,0.9", "--time-budget", "30",
            "--max-trials", "5", "--metric", "smape", "--exclude", "tcn,prophet", "--no-ensemble",
            "--partition-by", "State", "--aggregate", "sum", "--fill", "zero", "--short-series",
            "pad", "--non-negative", "no", "--no-discontinued", "--seasons", "7,365", "--validation-folds", "2",
            "--patience", "3", "--target-score", "0.5", "--run-dir", "runs", "--backend",
            "sequential", "--memory-limit", "4GiB", "--out", "fc.csv",
        ]
    )
    fc = make_forecaster(args)
    assert (fc.quantiles, fc.time_budget, fc.metric) == ([0.1, 0.9], 30.0, "smape")
    assert fc.ids == ["State", "Industry"] and fc.partition_by == ["State"]
    assert fc.data == DataOptions(
        aggregate="sum", fill="zero", short_series="pad", non_negative=False, discontinued=False,
        seasons=(7, 365),
    )
    assert fc.search == SearchOptions(
        max_trials=5, folds=2, ensemble=False, exclude=("tcn", "prophet"), patience=3,
        target_score=0.5, run_dir="runs",
    )
    assert fc.compute == ComputeOptions(backend="sequential", memory_limit="4GiB")


def test_progress_line_fills_by_trials_or_by_time() -> None:
    def record(*args: object) -> logging.LogRecord:
        msg = "trial %d/%s | best %s %.4f | %s left"
        return logging.LogRecord("tsauto.core.search", logging.INFO, __file__, 1, msg, args, None)

    by_trials = progress_line(record(3, 4, "roc_auc", 0.93, "-"), 1.0)
    assert by_trials.startswith("[" + "#" * 18 + "." * 6 + "]  75%") and "best roc_auc 0.93 |" in by_trials
    by_time = progress_line(record(9, "-", "mase", float("nan"), "30s"), 10.0)
    assert by_time.startswith("[" + "#" * 6 + "." * 18 + "]  25%") and "best -" in by_time
    other = logging.LogRecord("tsauto.core.search", logging.INFO, __file__, 1, "x %s", (1,), None)
    assert progress_line(other, 1.0) is None


def test_a_backtest_summary_lists_a_long_model_name_above_its_table() -> None:
    blend = "0.25×seasonal_naive + 0.57×theta + 0.17×ets"
    text = _summary_text(pd.DataFrame({"model": [blend, "seasonal_naive"], "mase": [0.84, 0.91]}))
    first, header, row, base = text.splitlines()
    assert first == f"model: {blend}" and header.split() == ["model", "mase"]
    assert row.split() == ["model", "0.84"] and base.split() == ["seasonal_naive", "0.91"]
    short = _summary_text(pd.DataFrame({"model": ["lightgbm", "seasonal_naive"], "mase": [0.8, 0.9]}))
    assert short.splitlines()[1].split() == ["lightgbm", "0.8"]
    # a nested backtest whose folds chose different models: each fold's, by its label
    folds = pd.DataFrame({"fold": [0, 1], "label": ["fold 0 (cutoff 2010-01-01)", "fold 1 (cutoff 2010-02-01)"],
                          "model": [blend, "0.29×naive + 0.71×theta"]})
    summary = pd.DataFrame({"model": ["chosen per fold: 2 models over 2 folds (BacktestResult.models)",
                                      "seasonal_naive"], "mase": [0.84, 0.91]})
    lines = _summary_text(summary, folds).splitlines()
    assert lines[:2] == [f"fold 0 (cutoff 2010-01-01): {blend}", "fold 1 (cutoff 2010-02-01): 0.29×naive + 0.71×theta"]
    assert lines[3].split() == ["model", "0.84"] and lines[4].split() == ["seasonal_naive", "0.91"]


def test_a_long_printed_board_keeps_members_dropped_members_and_each_learners_best() -> None:
    scores = [0.70 + 0.001 * i for i in range(24)] + [0.60]
    board = pd.DataFrame({
        "trial": range(25),
        "learner": ["linear"] * 24 + ["lightgbm"],
        "params": "{}",
        "status": "ok",
        "reason": [""] * 22 + ["refit failed: TimeLimitExceeded: time is up", "", ""],
        "roc_auc": scores,
        "weight": [0.0] * 20 + [1.0] + [0.0] * 4,
    })
    text = _board_text(board, 20, "roc_auc", higher_is_better=True)
    rows = [line.split()[0] for line in text.splitlines()[1:] if line.split()[0].isdigit()]
    # member 20; 22 dropped at refit; 23 linear's best; 24 lightgbm's only (worst) trial
    assert rows == ["20", "22", "23", "24"] and "(21 other trials" in text
    lower_better = _board_text(board.assign(roc_auc=scores[::-1]), 20, "roc_auc")
    assert "(21 other trials" in lower_better  # linear's best is now trial 0, lightgbm's still 24
    assert [line.split()[0] for line in lower_better.splitlines()[1:5]] == ["0", "20", "22", "24"]


def test_members_of_partitions_are_listed_by_partition() -> None:
    board = pd.DataFrame({
        "State": ["NSW", "NSW", "Victoria", "Victoria"], "trial": [0, 1, 0, 1],
        "learner": ["ets", "theta", "ets", "theta"], "params": "{}", "status": "ok", "reason": "",
        "mase": [1.0, 1.1, 0.9, 0.8], "weight": [0.3, 0.7, 0.6, 0.4],
    })
    members = _board_text(board, 20, "mase").split("ensemble members (weight, trial, learner, parameters):\n")[1]
    assert members.splitlines() == [
        "  State=NSW: 0.700  #1 theta {}", "  State=NSW: 0.300  #0 ets {}",
        "  State=Victoria: 0.600  #0 ets {}", "  State=Victoria: 0.400  #1 theta {}",
    ]


def test_backtest_writes_and_scores_the_quantiles(retail_csv: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "bt.csv"
    code = main(
        [
            "backtest", str(retail_csv), *RETAIL, "--folds", "2", "--quantiles", "0.1,0.5,0.9",
            "--learners", "naive,seasonal_naive", "--out", str(out),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("nested: the whole selection was rerun at each cutoff")
    assert "seasonal_naive" in captured.out and "pinball" in captured.out
    assert "coverage" in captured.out and "nominal 80 %" in captured.out
    # how the summary averages, said where it is printed (user test: coverage was read as pooled)
    assert ("mae, rmse, mape, smape, mase, rmsse: means over series and folds (each series' forecasts from "
            "a cutoff weigh the same, as M4 averages MASE); wape: all errors over all actuals") in captured.out
    # in their units: "mape 7.799 ... wape 0.05609" read as alike (user test)
    assert "mape and smape are in percent (5 is 5%), wape a fraction (0.05 is 5%)" in captured.out
    assert "coverage: share of all actuals in [q0.1, q0.9] (nominal 80 %)" in captured.out
    assert "scaled_pinball: each series' over its MASE scale" in captured.out
    assert "\r" not in captured.err  # stderr is not a terminal: no progress line
    table = pd.read_csv(out)
    assert len(table) == 2 * 12 * 3
    assert {"actual", "forecast", "q0.1", "q0.5", "q0.9"} <= set(table.columns)
    # where seasonal naive did better, the series are named (user test 54: only the overall verdict)
    errors = table.assign(model=(table["actual"] - table["forecast"]).abs(),
                          reference=(table["actual"] - table["seasonal_naive"]).abs())
    sums = errors.groupby(["State", "Industry"])[["model", "reference"]].sum()
    lost = int((sums["model"] > 1.05 * sums["reference"]).sum())
    assert 0 < lost < len(sums) == 12  # the premise
    assert f"seasonal_naive was better than the model by more than 5% on {lost} of 12 series: " in captured.err

    code = main(
        [
            "backtest", str(retail_csv), *RETAIL, "--folds", "1", "--learners", "lightgbm",
            "--quantiles", "0.1,0.9", "--out", str(out), "-q",
        ]
    )
    assert code == 0
    columns = set(pd.read_csv(out).columns)
    assert {"q0.1", "q0.9"} <= columns or "no q0.1, q0.9" in capsys.readouterr().err

    capsys.readouterr()
    code = main(["backtest", str(retail_csv), *RETAIL, "--learners", "naive,seasonal_naive", "--mode", "refit"])
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("optimistic: the model was chosen on these data")
    assert "optimistic" in captured.err  # and the log says so


def _fails(argv: list[str], capsys, message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tsauto: error: ") and err.count("\n") == 1, err
    assert message in err


def test_text_in_the_target_gets_advice_a_command_line_user_can_follow(aus_small, tmp_path: Path, capsys) -> None:
    """The command line's advice on text in the target was Python (pd.to_numeric, na_values=),
    which it has no option for, and listed '--' twice, 'x' not (user test 57): each value once,
    and the cells of its file to empty."""
    df = aus_small.astype({"Turnover": object})
    df.loc[[50, 60, 70, 80], "Turnover"] = ["--", "--", "#VALUE!", "x"]
    path = tmp_path / "retail.csv"
    df.to_csv(path, index=False)
    out = ["--out", str(tmp_path / "fc.csv")]
    _fails(["forecast", str(path), *RETAIL, "--learners", "naive", "-q", *out], capsys,
           f"not numeric at lines 52, 62, 72, 82 (values '--', '#VALUE!', 'x') in series [{{'State': 'Tasmania', "
           f"'Industry': 'Cafes, restaurants and catering services'}}]: convert it to numbers; where they mean an "
           f"unknown value, make them missing values (imputed as gaps are, never scored): empty those cells in "
           f"{str(path)!r} (an empty cell is a missing value).\n")


def test_text_in_the_target_of_a_history_file_gets_the_same_advice(aus_small, tmp_path: Path, capsys) -> None:
    """`predict MODEL --history FILE` with text in the target was given Python advice (pd.to_numeric,
    na_values=) and a number format's without the file (review 55 B2): the cells of its file, as fit's."""
    train = tmp_path / "retail.csv"
    aus_small.to_csv(train, index=False)
    model = tmp_path / "m.tsauto"
    out = ["--out", str(tmp_path / "fc.csv")]
    assert main(["forecast", str(train), *RETAIL, "--learners", "naive", "-q", *out, "--save-model", str(model)]) == 0
    df = aus_small.astype({"Turnover": object})
    df.loc[[50, 60], "Turnover"] = ["--", "x"]
    history = tmp_path / "hist.csv"
    df.to_csv(history, index=False)
    _fails(["predict", str(model), "--history", str(history), *out], capsys,
           f"is not numeric at lines 52, 62 (values '--', 'x') in series [{{'State': 'Tasmania', "
           f"'Industry': 'Cafes, restaurants and catering services'}}]: convert it to numbers; where they mean an "
           f"unknown value, make them missing values (imputed as gaps are, never scored): empty those cells in "
           f"{str(history)!r} (an empty cell is a missing value).\n")
    df.loc[[50, 60], "Turnover"] = ["$24.50", "$7.25"]
    df.to_csv(history, index=False)
    _fails(["predict", str(model), "--history", str(history), *out], capsys,
           f"; or write them in {str(history)!r} with a decimal point, no separators: 1234.5).\n")


def test_a_coarser_freq_than_the_rows_names_the_roll_up_options(retail_csv: Path, tmp_path: Path, capsys) -> None:
    """--freq QS on monthly rows: the fix names --aggregate as well as --freq MS (user test 57)."""
    _fails(["forecast", str(retail_csv), *RETAIL, "--freq", "QS", "-q", "--out", str(tmp_path / "fc.csv")], capsys,
           "give freq='MS', or, to roll them up to 'QS-JAN' steps, pass aggregate='sum' (or 'mean', 'min', 'max') "
           "with freq='QS-JAN' (--aggregate sum --freq QS-JAN on the command line).\n")


def test_failures_are_one_line_and_exit_2(aus_small: pd.DataFrame, tmp_path: Path, capsys) -> None:
    tiny = tmp_path / "tiny.csv"
    aus_small.groupby(["State", "Industry"]).tail(5).to_csv(tiny, index=False)
    base = ["forecast", str(tiny), *RETAIL, "-q"]
    out = ["--out", str(tmp_path / "fc.csv")]
    too_short = ["--learners", "lightgbm", "--short-series", "drop"]
    budget = ["--time-budget", "10", "--max-trials", "2"]
    _fails([*base, *too_short, *budget, *out], capsys, "every trial failed")
    _fails([*base, "--learners", "nosuch", *out], capsys, "unknown forecasting learner 'nosuch'")
    _fails([*base, "--out", str(tmp_path / "fc.xlsx")], capsys, "fc.xlsx")
    _fails([*base, "--level", "total", *out], capsys, "--level needs --hierarchy")
    _fails(["forecast", str(tiny), "--time", "Month", *out], capsys, "required: --target")
    _fails([*base, "--quantiles", "10,90", *out], capsys, "argument --quantiles: give levels")
    _fails([*base, "--validation-folds", "x", *out], capsys, "argument --validation-folds")

    model = tmp_path / "m.tsauto"
    fit = [*base, "--learners", "naive", *out, "--save-model", str(model)]
    assert main(fit) == 0
    capsys.readouterr()
    _fails(["predict", "--model", str(tmp_path / "none.tsauto"), *out], capsys, "no saved model")
    # --traceback prints it, and the exit status stays 2 (user test 49: 1 with it, a raised exception)
    assert main(["--traceback", "predict", "--model", str(tmp_path / "none.tsauto"), *out]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "FileNotFoundError" in err
    assert err.rstrip().splitlines()[-1].startswith("tsauto: error: no saved model")
    _fails(["predict", "--model", str(model), "--out", "fc.json"], capsys, "fc.json")
    _fails(["predict", *out], capsys, "give the saved model once")
    _fails(["predict", str(model), "--test", str(tiny), *out], capsys, "holds a Forecaster: give --history")
    _fails(["predict", str(model), "--model", str(model), *out], capsys, "give the saved model once")
    _fails(["leaderboard", str(tiny)], capsys, "not a tsauto model file")
    tampered = tmp_path / "tampered.tsauto"
    data = bytearray(model.read_bytes())
    data[-100] ^= 0xFF
    tampered.write_bytes(bytes(data))
    _fails(["predict", "--model", str(tampered), *out], capsys, "damaged or was altered")


def test_bad_column_in_a_subprocess_is_one_line_and_exit_2(retail_csv: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "tsauto.cli", "forecast", str(retail_csv), "--target", "Sales",
            "--time", "Month", "--horizon", "3", "--out", str(tmp_path / "x.csv"), "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("tsauto: error:") and proc.stderr.count("\n") == 1
    assert "'Sales'" in proc.stderr


def test_python_dash_m_tsauto_is_the_tsauto_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "tsauto", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: tsauto") and "forecast" in proc.stdout


def test_paths_are_checked_before_the_fit(retail_csv: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    from tsauto import Classifier, Forecaster

    def fit(self, data):
        raise RuntimeError("the fit started")

    monkeypatch.setattr(Forecaster, "fit", fit)
    monkeypatch.setattr(Classifier, "fit", fit)
    missing = tmp_path / "missing.csv"
    base = ["forecast", str(retail_csv), *RETAIL, "-q"]
    out = ["--out", str(tmp_path / "fc.csv")]
    _fails([*base, *out], capsys, "the fit started")
    _fails([*base, "--future", str(missing), *out], capsys, f"file '{missing}' does not exist: check the path")
    under_a_file = str(retail_csv / "fc.csv")
    _fails([*base, "--out", under_a_file], capsys, f"cannot write '{under_a_file}': '{retail_csv}' is not a folder")
    _fails([*base, *out, "--save-model", str(retail_csv / "m.tsauto")], capsys, "is not a folder tsauto can write in")
    folder = tmp_path / "models.csv"  # an existing folder: the fit ran, then "free some space"
    folder.mkdir()
    is_a_folder = f"cannot write '{folder}': Is a directory (nothing was changed there); that is a folder"
    _fails([*base, *out, "--save-model", str(folder)], capsys, is_a_folder)
    _fails([*base, "--out", str(folder)], capsys, is_a_folder)
    tabular = ["classify", str(retail_csv), "--target", "State", *out, "-q"]
    _fails([*tabular, "--test", str(missing)], capsys, f"file '{missing}' does not exist")
    short = tmp_path / "short.csv"  # a column of the training file lacking: found after the fit, lost
    pd.read_csv(retail_csv).drop(columns=["Industry", "Turnover"]).to_csv(short, index=False)
    _fails([*tabular, "--test", str(short)], capsys,
           f"--test {short} lacks 2 column(s) of {retail_csv} the model reads: 'Industry', 'Turnover'; give them")
    _fails([*tabular, "--save-model", str(folder)], capsys, is_a_folder)
    report = ["report", str(tmp_path / "m.tsauto"), "--out", str(tmp_path / "r.html"), "-q"]
    _fails([*report, "--backtest", str(missing)], capsys, f"file '{missing}' does not exist")
    _fails([*report, "--future", str(missing)], capsys, f"file '{missing}' does not exist")
    (tmp_path / "r.html").mkdir()
    _fails(report, capsys, f"cannot write '{tmp_path / 'r.html'}': Is a directory")
    _fails(["predict", str(tmp_path), *out], capsys, "is a folder, not a saved model file")


def test_quiet_and_traceback_go_before_or_after_the_command(tmp_path: Path, capsys) -> None:
    """`tsauto -q predict ...` was "unrecognized arguments", and `--traceback` after the command too."""
    parser = build_parser()
    for argv in (["-q", "leaderboard", "m"], ["leaderboard", "m", "-q"]):
        args = parser.parse_args(argv)
        assert args.quiet and not args.traceback, argv
    for argv in (["--traceback", "leaderboard", "m"], ["leaderboard", "m", "--traceback"]):
        args = parser.parse_args(argv)
        assert args.traceback and not args.quiet, argv
    args = parser.parse_args(["leaderboard", "m"])
    assert not args.quiet and not args.traceback
    none = ["predict", "--model", str(tmp_path / "none.tsauto"), "--out", str(tmp_path / "fc.csv")]
    _fails(["-q", *none], capsys, "no saved model")
    assert main([*none, "--traceback"]) == 2 and "Traceback" in capsys.readouterr().err


def test_paths_in_the_home_folder_are_expanded(aus_small: pd.DataFrame, tmp_path: Path, monkeypatch) -> None:
    """The shell leaves `~` as written in quotes and in `--out=~/...`: it made a folder named "~"."""
    from tsauto import Forecaster

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=3,
               learners=["naive"]).fit(aus_small).save(home / "m.tsauto")
    assert main(["predict", "~/m.tsauto", "--out=~/fc.csv", "-q"]) == 0
    assert main(["leaderboard", "--out=~/board.csv", "~/m.tsauto", "-q"]) == 0
    assert (home / "fc.csv").is_file() and (home / "board.csv").is_file() and list(work.iterdir()) == []


def test_a_model_fitted_on_dask_asks_for_history_as_an_option(client, aus_small: pd.DataFrame, tmp_path: Path,
                                                              capsys) -> None:
    """Its rows stay on the cluster: the command line names --history FILE, Python history=."""
    from tsauto import Forecaster
    from tsauto.core.exceptions import DataValidationError

    dd = pytest.importorskip("dask.dataframe")
    rows, model, out = tmp_path / "rows.csv", tmp_path / "m.tsauto", tmp_path / "fc.csv"
    tasmania = aus_small[aus_small["State"] == "Tasmania"]
    tasmania.to_csv(rows, index=False)
    Forecaster(target="Turnover", time="Month", ids=["State", "Industry"], horizon=3, learners=["lightgbm"],
               compute={"client": client}).fit(dd.from_pandas(tasmania, npartitions=2)).save(model)
    _fails(["predict", str(model), "--out", str(out), "-q"], capsys,
           "was fitted on a Dask DataFrame, whose rows are not saved with it: give the rows to forecast from "
           "as --history FILE")
    with pytest.raises(DataValidationError, match="pass history="):
        Forecaster.load(model).predict()
    assert main(["predict", str(model), "--history", str(rows), "--out", str(out), "-q"]) == 0
    assert len(pd.read_csv(out)) == 3 * tasmania[["Industry"]].drop_duplicates().shape[0]


def test_scheduler_runs_the_trials_on_its_dask_cluster(client, retail_csv: Path, tmp_path: Path, capsys,
                                                       monkeypatch) -> None:
    """--scheduler ADDRESS: the trials of forecast and classify run on the cluster's workers (no
    Dask on the command line before); the model saves without the connection. A scheduler that
    does not answer, --backend dask without one, or a local backend with one: one line each."""
    from conftest import shared_file

    distributed = pytest.importorskip("distributed")
    address = client.scheduler.address
    out, model = tmp_path / "fc.csv", tmp_path / "m.tsauto"
    credit = tmp_path / "credit.csv"
    pd.read_csv(shared_file("tabular/classification/credit_g.csv")).iloc[:300].to_csv(credit, index=False)
    with distributed.get_task_stream(client) as forecast:
        assert main(["forecast", str(retail_csv), *RETAIL, "--learners", "naive,theta", "--scheduler", address,
                     "--out", str(out), "--save-model", str(model), "-q"]) == 0
    with distributed.get_task_stream(client) as classify:
        assert main(["classify", str(credit), "--target", "class", "--learners", "linear", "--max-trials", "1",
                     "--scheduler", address, "--out", str(tmp_path / "p.csv"), "-q"]) == 0
    for stream, trials in ((forecast, 2), (classify, 1)):
        assert sum(str(t["key"]).startswith("run_trial") for t in stream.data) >= trials
    assert len(pd.read_csv(out)) == 12 * 3
    assert main(["predict", str(model), "--out", str(tmp_path / "again.csv"), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), pd.read_csv(out))
    base = ["forecast", str(retail_csv), *RETAIL, "--out", str(out), "-q"]
    _fails([*base, "--backend", "dask"], capsys, "--backend dask needs --scheduler ADDRESS")
    _fails([*base, "--backend", "loky", "--scheduler", address], capsys,
           "--backend loky with --scheduler: the trials would run on this machine")
    _fails([*base, "--scheduler", "localhost:8786x"], capsys, "--scheduler localhost:8786x: not a Dask scheduler address")
    _fails([*base, "--scheduler", "tls://127.0.0.1:9"], capsys,
           "--scheduler tls://127.0.0.1:9: a tls:// scheduler needs Dask's TLS settings")
    monkeypatch.setattr("tsauto.cli.SCHEDULER_TIMEOUT", 1)
    _fails([*base, "--scheduler", "tcp://127.0.0.1:9"], capsys,
           "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s")


def test_zero_padded_series_codes_come_back_as_written(aus_small: pd.DataFrame, tmp_path: Path) -> None:
    """SKU-like ids '0000'..'0005' came back as 0..5 from forecast and predict (user test)."""
    codes = {name: f"{i:04d}" for i, name in enumerate(sorted(aus_small["Industry"].unique()))}
    df = aus_small.assign(code=aus_small["Industry"].map(codes)).drop(columns=["Industry"])
    path, out, model = tmp_path / "codes.csv", tmp_path / "fc.csv", tmp_path / "m.tsauto"
    df.to_csv(path, index=False)
    args = ["--target", "Turnover", "--time", "Month", "--ids", "State,code", "--horizon", "3", "--learners", "naive"]
    assert main(["forecast", str(path), *args, "--out", str(out), "--save-model", str(model), "-q"]) == 0
    written = pd.read_csv(out, dtype={"code": str})
    assert sorted(written["code"].unique()) == sorted(codes.values())
    assert main(["predict", str(model), "--history", str(path), "--out", str(tmp_path / "p.csv"), "-q"]) == 0
    assert sorted(pd.read_csv(tmp_path / "p.csv", dtype={"code": str})["code"].unique()) == sorted(codes.values())


def test_tabular_id_columns_are_carried_to_the_output(tmp_path: Path, capsys) -> None:
    """--id: columns identifying rows are not features and come out beside the predictions;
    the saved model keeps them, so that predict carries them without --id (a model saved
    before it kept them ignores the column, with a warning naming --id)."""
    from conftest import shared_file

    from tsauto import Classifier

    credit = pd.read_csv(shared_file("tabular/classification/credit_g.csv"))
    credit.insert(0, "row_id", credit.index + 10_000)  # as a table keeps its row numbers
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    credit.iloc[:800].to_csv(train, index=False)
    credit.iloc[800:].drop(columns="class").to_csv(test, index=False)
    out, model = tmp_path / "pred.csv", tmp_path / "credit.tsauto"
    fit = ["classify", str(train), "--target", "class", "--test", str(test), "--id", "row_id",
           "--max-trials", "1", "--learners", "linear", "--out", str(out), "--save-model", str(model), "-q"]
    assert main(fit) == 0
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["row_id", "prediction", "proba_bad", "proba_good"]
    assert pred["row_id"].tolist() == credit["row_id"].iloc[800:].tolist()
    assert "row_id" not in Classifier.load(model).feature_names_in_
    again = tmp_path / "again.csv"
    predict = ["predict", str(model), "--test", str(test), "--out", str(again), "-q"]
    assert main([*predict, "--id", "row_id"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), pred)
    capsys.readouterr()
    assert main(predict) == 0  # the --id of the fit
    assert "ignored" not in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(again), pred)
    old = Classifier.load(model)
    del old.ids_  # as a model saved before it was kept
    old.save(model)
    assert main(predict) == 0
    err = capsys.readouterr().err
    assert "columns not seen at fit are ignored: 'row_id'" in err and "--id" in err
    assert list(pd.read_csv(again).columns) == ["prediction", "proba_bad", "proba_good"]
    assert main([*predict, "--id", "row"]) == 2
    assert "--id: ['row'] not in" in capsys.readouterr().err


def test_a_saved_regressor_carries_the_id_of_its_fit_unless_told_another(tmp_path: Path, capsys) -> None:
    """The user test's houses: regress with --id house_id and --save-model, then predict without
    --id: house_id comes out beside the predictions; --id names others instead; a test table
    without house_id is predicted without it, with a warning that says so."""
    from conftest import shared_file

    houses = pd.read_csv(shared_file("tabular/regression/california_housing.csv.gz")).sample(1200, random_state=0)
    houses.insert(0, "house_id", [f"h{i:05d}" for i in range(len(houses))])
    houses["district"] = houses["house_id"].str[:3]  # another column to name as --id at predict
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    houses.iloc[:1000].drop(columns="district").to_csv(train, index=False)
    houses.iloc[1000:].drop(columns="median_house_value").to_csv(test, index=False)
    model, out = tmp_path / "cal.tsauto", tmp_path / "z.csv"
    assert main(["regress", str(train), "--target", "median_house_value", "--id", "house_id", "--max-trials",
                 "1", "--learners", "linear", "--out", str(tmp_path / "y.csv"), "--save-model", str(model),
                 "--non-negative", "no", "-q"]) == 0
    from tsauto import Regressor

    assert Regressor.load(model).non_negative_ is False  # house values are never negative: 'auto' clips
    predict = ["predict", str(model), "--out", str(out), "-q"]
    assert main([*predict, "--test", str(test)]) == 0
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["house_id", "prediction"]
    assert pred["house_id"].tolist() == houses["house_id"].iloc[1000:].tolist()
    assert main([*predict, "--test", str(test), "--id", "district"]) == 0
    assert list(pd.read_csv(out).columns) == ["district", "prediction"]
    houses.iloc[1000:].drop(columns=["median_house_value", "house_id"]).to_csv(test, index=False)
    capsys.readouterr()
    assert main([*predict, "--test", str(test)]) == 0
    assert list(pd.read_csv(out).columns) == ["prediction"]
    assert (f"--id house_id (given at fit) is not a column of {test}: the predictions are written without it, "
            "in the order of its rows") in capsys.readouterr().err


def test_the_rows_of_a_tabular_file_are_named_by_their_lines(tmp_path: Path, capsys) -> None:
    """The rows that `tsauto regress --test` and `tsauto predict --test` warn of or refuse are
    named by their lines in the file (the header line 1), as the forecasting commands name
    theirs: they were their positions from 0 ('at rows 3, 50', two lines up; user test 56).
    The predictions still follow the file's rows, each beside its id."""
    from conftest import shared_file

    bike = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz")).iloc[:600]
    train, test, clean, model = (tmp_path / name for name in ("tr.csv", "te.csv", "clean.csv", "m.tsauto"))
    bike.iloc[:480].to_csv(train, index=False)
    rows = bike.iloc[480:].drop(columns="cnt").reset_index(drop=True)
    rows.to_csv(clean, index=False)
    bad = rows.astype({"temp": object})
    bad.loc[[3, 50], "temp"] = "--"  # lines 5 and 52
    bad.loc[7, "dteday"] = "someday"  # line 9
    bad.to_csv(test, index=False)
    assert test.read_text().splitlines()[4].split(",")[bad.columns.get_loc("temp")] == "--"
    out = tmp_path / "p.csv"
    assert main(["regress", str(train), "--target", "cnt", "--test", str(test), "--id", "instant", "--max-trials", "1",
                 "--learners", "lightgbm", "--out", str(out), "--save-model", str(model), "-q"]) == 0
    err = capsys.readouterr().err
    assert "e.g. '--' at lines 5, 52: read as missing" in err, err
    assert "e.g. 'someday' at line 9: they are read as missing" in err, err
    fitted = pd.read_csv(out)
    ids = rows["instant"].astype(int).tolist()  # text in the whole file (pandas 3), numbers in these rows
    assert fitted["instant"].tolist() == ids
    again = tmp_path / "q.csv"
    assert main(["predict", str(model), "--test", str(test), "--out", str(again), "-q"]) == 0
    err = capsys.readouterr().err
    assert "e.g. '--' at lines 5, 52: read as missing" in err and "'someday' at line 9:" in err, err
    pd.testing.assert_frame_equal(pd.read_csv(again), fitted)
    assert main(["predict", str(model), "--test", str(clean), "--out", str(again), "-q"]) == 0
    predicted = pd.read_csv(again)
    assert predicted["instant"].tolist() == ids
    same = ~rows.index.isin([3, 7, 50])
    pd.testing.assert_frame_equal(predicted[same], fitted[same])  # the other rows' predictions, in order
    rows.assign(dteday="soon").to_csv(test, index=False)
    _fails(["predict", str(model), "--test", str(test), "--out", str(again), "-q"], capsys,
           "such as 'soon' at lines 2, 3, 4, 5, 6 (and 115 more): is it the column")


def test_a_forecast_that_fails_after_the_fit_keeps_the_saved_model(walmart_small: pd.DataFrame, tmp_path: Path,
                                                                    capsys) -> None:
    """A future table lacking weeks of a partition's series (checked by partition, after the
    fit): the fit was lost with the error; it is saved first, and the error says how to
    forecast from it without a refit."""
    table, future, model = tmp_path / "sales.csv", tmp_path / "future.csv", tmp_path / "m.tsauto"
    sales = walmart_small[walmart_small["Dept"] <= 2]
    cut = pd.Timestamp("2012-08-31")
    sales[sales["Date"] <= cut].to_csv(table, index=False)
    sales[sales["Date"] > cut].iloc[1:].to_csv(future, index=False)  # no first week of department 1
    args = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
            "--horizon", "4", "--known-future", "IsHoliday", "--learners", "lightgbm", "--future", str(future),
            "--partition-by", "Dept", "--out", str(tmp_path / "fc.csv"), "--save-model", str(model), "-q"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the future table lacks" in err and f"The fitted model is saved in {model}" in err
    sales[sales["Date"] > cut].to_csv(future, index=False)
    assert main(["predict", str(model), "--future", str(future), "--out", str(tmp_path / "p.csv"), "-q"]) == 0


def test_future_frame_leaves_out_a_known_future_column_found_to_leak(walmart_small: pd.DataFrame, tmp_path: Path,
                                                                    capsys) -> None:
    """A known-future column equal to next week's sales is left out at fit: the rows to fill in
    do not ask for it (they did, and predict then ignored it)."""
    table, model, rows = tmp_path / "sales.csv", tmp_path / "m.tsauto", tmp_path / "rows.csv"
    sales = walmart_small[walmart_small["Dept"] <= 2].sort_values(["Store", "Dept", "Date"])
    sales = sales.assign(next_week=sales.groupby(["Store", "Dept"])["Weekly_Sales"].shift(-1))
    sales.to_csv(table, index=False)
    fit = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept", "--horizon", "4",
           "--known-future", "IsHoliday,next_week", "--learners", "lightgbm", "--save-model", str(model),
           "--out", str(tmp_path / "f.csv"), "-q"]
    assert main(fit) == 3  # the model saved, no forecast without --future (user test 59 F3)
    capsys.readouterr()
    assert main(["future-frame", str(model), "--out", str(rows), "-q"]) == 0
    assert "fill in IsHoliday and pass it as --future" in capsys.readouterr().out
    assert list(pd.read_csv(rows).columns) == ["Store", "Dept", "Date", "IsHoliday"]


def test_known_future_covariates_without_a_future_table(walmart_small: pd.DataFrame, tmp_path: Path, capsys) -> None:
    """Refused before the fit unless the model is saved; `future-frame` writes the rows of the
    saved model's horizon, the covariates to fill in, which `predict` then reads."""
    table, model, rows = tmp_path / "sales.csv", tmp_path / "m.tsauto", tmp_path / "rows.csv"
    sales = walmart_small[walmart_small["Dept"] <= 2]
    cut = pd.Timestamp("2012-08-31")
    sales[sales["Date"] <= cut].to_csv(table, index=False)
    fit = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
           "--horizon", "4", "--known-future", "IsHoliday", "--learners", "lightgbm", "--out", str(tmp_path / "f.csv")]
    started = time.perf_counter()
    assert main([*fit, "-q"]) == 2
    err = capsys.readouterr().err
    assert "--known-future IsHoliday: give their values over the horizon as --future FILE" in err
    assert "tsauto future-frame MODEL --out FILE" in err and time.perf_counter() - started < 5  # no fit
    # fit now, forecast later (it was rc 2): the model saved, status 3, never 0 without the --out
    # file, which a scheduled job would then read (user test 59 F3: it was 0)
    assert main([*fit, "--save-model", str(model), "-q"]) == 3
    said = capsys.readouterr()
    assert f"saved the model to {model}" in said.out and "error" not in said.err and model.exists()
    assert f"tsauto: no forecast written to {tmp_path / 'f.csv'}" in said.err and not (tmp_path / "f.csv").exists()
    assert f"the model is saved to {model}" in said.err
    assert f"`tsauto future-frame {model} --out future.csv`" in said.err
    assert f"`tsauto predict {model} --future future.csv --out {tmp_path / 'f.csv'}`" in said.err
    assert main(["future-frame", str(model), "--out", str(rows), "-q"]) == 0
    assert "wrote 8 rows to" in (said := capsys.readouterr().out) and "fill in IsHoliday and pass it as --future" in said
    assert main([*fit, "--future", str(rows), "-q"]) == 2  # not filled in: refused before the fit
    assert f"--future {rows} holds no value of ['IsHoliday']" in capsys.readouterr().err
    frame = pd.read_csv(rows, parse_dates=["Date"])
    assert list(frame.columns) == ["Store", "Dept", "Date", "IsHoliday"] and frame["IsHoliday"].isna().all()
    assert sorted(frame["Date"].unique()) == list(pd.date_range("2012-09-07", periods=4, freq="W-FRI"))
    truth = sales[sales["Date"] > cut][["Store", "Dept", "Date", "IsHoliday"]]
    frame.drop(columns="IsHoliday").merge(truth, on=["Store", "Dept", "Date"]).to_csv(rows, index=False)
    assert main(["predict", str(model), "--future", str(rows), "--out", str(tmp_path / "p.csv"), "-q"]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == 8
    shuffled = pd.read_csv(rows).iloc[[3, 0, 7, 1, 6, 2, 5, 4]].astype({"IsHoliday": object})
    shuffled.iloc[2, shuffled.columns.get_loc("IsHoliday")] = None  # line 4: the last row of the grid
    shuffled.to_csv(rows, index=False)
    _fails(["predict", str(model), "--future", str(rows), "--out", str(tmp_path / "p.csv"), "-q"], capsys,
           "column 'IsHoliday' of the future table is missing at line 4 (2012-09-28 (Friday)) in series "
           "[{'Store': 1, 'Dept': 2}]")  # it was "row 7 of the future grid" (user test 56)
    from tsauto import Classifier

    classifier = tmp_path / "c.tsauto"
    Classifier(target="y", learners=["linear"], max_trials=1).fit(pd.DataFrame({"x": [i % 7 for i in range(40)], "y": [0, 1] * 20})).save(classifier)
    assert main(["future-frame", str(classifier), "--out", str(rows)]) == 2
    assert "holds a Classifier: `tsauto future-frame` takes a saved Forecaster" in capsys.readouterr().err


def test_report_of_a_saved_classifier_points_to_explain(tmp_path: Path, capsys) -> None:
    from tsauto import Classifier

    classifier = tmp_path / "c.tsauto"
    Classifier(target="y", learners=["linear"], max_trials=1, time_budget=None, backend="sequential").fit(
        pd.DataFrame({"x": [i % 7 for i in range(40)], "y": [0, 1] * 20})).save(classifier)
    assert main(["report", str(classifier), "--out", str(tmp_path / "r.html")]) == 2
    assert (f"holds a Classifier: `tsauto report` takes a saved Forecaster; a Classifier has no HTML report: in "
            f"Python, Classifier.load({str(classifier)!r}).explain().importance gives its columns' importance"
            ) in capsys.readouterr().err


def test_a_known_future_covariate_a_model_does_not_read_needs_no_future_table(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    """--known-future and --save-model without --future, Theta (which reads no covariate): the
    forecast is written, not put off to `tsauto predict --future`."""
    table, out = tmp_path / "sales.csv", tmp_path / "f.csv"
    walmart_small[walmart_small["Dept"] <= 2].to_csv(table, index=False)
    fit = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
           "--horizon", "4", "--known-future", "IsHoliday", "--learners", "theta", "--out", str(out)]
    assert main([*fit, "--save-model", str(tmp_path / "m.tsauto"), "-q"]) == 0
    assert "wrote 8 forecasts" in capsys.readouterr().out and len(pd.read_csv(out)) == 8
    assert main([*fit, "-q"]) == 0  # nor --save-model: no learner named reads it (refused before)
    assert "wrote 8 forecasts" in capsys.readouterr().out


def test_a_misspelt_known_future_column_is_named_in_the_training_table(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    """A --known-future column in neither table: said to be missing from the training table,
    with the column spelled like it, before any fit (it was "--future holds no value of
    ['IsHolidy']: fill in their values", a column to fill in that the model never had); one the
    future table lacks is named as lacking there, apart from one it leaves empty."""
    table, future = tmp_path / "sales.csv", tmp_path / "future.csv"
    walmart_small.to_csv(table, index=False)
    walmart_small.tail(40).drop(columns="Weekly_Sales").to_csv(future, index=False)
    args = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
            "--horizon", "4", "--future", str(future), "--out", str(tmp_path / "f.csv")]
    started = time.perf_counter()
    assert main([*args, "--known-future", "IsHolidy"]) == 2
    err = capsys.readouterr().err
    assert (f"--known-future: 'IsHolidy' (did you mean 'IsHoliday'?) is not a column of the training "
            f"table {table}; its columns are ['Store', 'Dept', 'Date', 'Weekly_Sales', 'IsHoliday']") in err
    assert "holds no value" not in err and time.perf_counter() - started < 5  # no fit
    assert main([*args, "--known-future", "isholiday,Dpt"]) == 2
    assert ("'isholiday' (did you mean 'IsHoliday'?), 'Dpt' (did you mean 'Dept'?) are not columns of "
            "the training table") in capsys.readouterr().err
    walmart_small.tail(40)[["Store", "Dept", "Date"]].to_csv(future, index=False)
    assert main([*args, "--known-future", "IsHoliday"]) == 2
    assert f"--known-future: 'IsHoliday' is not a column of --future {future}" in capsys.readouterr().err


def test_a_misspelt_known_future_column_without_a_future_table_is_named_first(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    """--known-future isholiday without --future: the misspelling is named on the first run (it
    asked for --future FILE or --save-model, and only the run with --save-model named it; user
    test 56); a column the training table holds is then asked its values over the horizon."""
    table = tmp_path / "sales.csv"
    walmart_small[walmart_small["Dept"] <= 2].to_csv(table, index=False)
    args = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
            "--horizon", "4", "--out", str(tmp_path / "f.csv"), "-q"]
    _fails([*args, "--known-future", "isholiday"], capsys, "--known-future: 'isholiday' (did you mean 'IsHoliday'?) "
           f"is not a column of the training table {table}; its columns are ['Store', 'Dept', 'Date', 'Weekly_Sales', "
           "'IsHoliday']")
    _fails([*args, "--known-future", "IsHoliday"], capsys, "--known-future IsHoliday: give their values over the "
           "horizon as --future FILE, or --save-model MODEL to fit now and forecast later")


def test_a_future_table_without_known_future_columns_is_refused_before_the_fit(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    """Its columns were silently left unused (read as past covariates from the training file)."""
    table, future = tmp_path / "sales.csv", tmp_path / "future.csv"
    cut = pd.Timestamp("2012-08-31")
    walmart_small[walmart_small["Date"] <= cut].to_csv(table, index=False)
    walmart_small[walmart_small["Date"] > cut].drop(columns="Weekly_Sales").to_csv(future, index=False)
    args = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
            "--horizon", "4", "--future", str(future), "--out", str(tmp_path / "f.csv"), "-q"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"--future {future} without --known-future" in err and "such as --known-future IsHoliday" in err


def search_stopped_after(monkeypatch, trials: int) -> None:
    """Ctrl-C once ``trials`` trials ran: the engine's search ends there, interrupted, as its
    Ctrl-C handler leaves it (trials in worker processes too)."""
    from tsauto.core import engine

    class Stopped(engine.Search):
        def run(self) -> list:
            self.settings = replace(self.settings, max_trials=trials)
            finished = super().run()
            self.interrupted = True
            return finished

    monkeypatch.setattr(engine, "Search", Stopped)


def test_a_forecast_stopped_by_ctrl_c_writes_its_outputs_and_exits_130(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """It wrote the forecasts of the trials done and exited 0, as a whole run: `set -e` went on."""
    from tsauto import Forecaster

    search_stopped_after(monkeypatch, 2)
    fc, model, runs = tmp_path / "fc.csv", tmp_path / "m.tsauto", tmp_path / "runs"
    args = ["forecast", str(retail_csv), *RETAIL, "--learners", "naive,seasonal_naive,theta", "--backend",
            "sequential", "--n-jobs", "1", "--run-dir", str(runs), "--out", str(fc), "--save-model", str(model)]
    assert main([*args, "-q"]) == 130
    captured = capsys.readouterr()
    assert len(pd.read_csv(fc)) == 12 * 3 and "wrote 36 forecasts" in captured.out
    assert captured.err.splitlines()[-1] == (
        f"tsauto: interrupted: the search stopped after 2 trials; the forecasts written to {fc} and the "
        f"model saved to {model} come from those; run it again with --run-dir {runs} to resume it for the "
        "whole search"
    )
    saved = Forecaster.load(model)
    assert saved.interrupted_ and f"fit again with run_dir={str(runs)!r} to resume it" in saved.plan_.notes[-1]
    assert main(["leaderboard", str(model), "-q"]) == 0
    assert "(the search was interrupted by Ctrl-C" in capsys.readouterr().out
    monkeypatch.undo()
    assert main([*args, "-q"]) == 0  # resumed: the third trial, a whole search
    assert not Forecaster.load(model).interrupted_ and "interrupted" not in capsys.readouterr().err


def test_a_classifier_stopped_by_ctrl_c_writes_its_predictions_and_exits_130(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    from conftest import shared_file

    search_stopped_after(monkeypatch, 1)
    train, out = tmp_path / "train.csv", tmp_path / "pred.csv"
    pd.read_csv(shared_file("tabular/classification/credit_g.csv")).iloc[:600].to_csv(train, index=False)
    args = ["classify", str(train), "--target", "class", "--max-trials", "3", "--learners", "linear",
            "--n-jobs", "1", "--out", str(out), "-q"]
    assert main(args) == 130
    assert len(pd.read_csv(out)) == 600
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tsauto: interrupted: the search stopped after 1 trial; the predictions written to {out} comes "
        "from those; run the command again for the whole search"
    )


def test_classify_validates_in_the_row_order_with_validation_folds_time(tmp_path: Path, capsys) -> None:
    """User test 58 F7: the tabular commands had no way to validate rows in time order
    (``folds="time"`` in Python); ``--validation-folds time`` gives it, and a word is refused
    naming the choices."""
    from conftest import shared_file

    from tsauto import Classifier

    train, out, model = tmp_path / "train.csv", tmp_path / "pred.csv", tmp_path / "m.tsauto"
    pd.read_csv(shared_file("tabular/classification/credit_g.csv")).iloc[:600].to_csv(train, index=False)
    args = ["classify", str(train), "--target", "class", "--max-trials", "1", "--learners", "linear",
            "--n-jobs", "1", "--out", str(out), "--save-model", str(model), "-q"]
    assert main([*args, "--validation-folds", "time"]) == 0
    fitted = Classifier.load(model)
    checks = fitted.guardrails().set_index("check")
    assert fitted.folds == "time" and "expanding-window fold(s) in the row order" in checks.loc["validation", "action"]
    capsys.readouterr()
    assert main([*args, "--validation-folds", "later"]) == 2
    assert "give 'auto' or 'time' or a whole number, not 'later'" in capsys.readouterr().err


def test_classify_prints_the_data_checks_after_its_leaderboard(tmp_path: Path, capsys) -> None:
    """User test 58 F5: a command-line user never saw a table's data checks (bank marketing's
    'unknown' in 82 % of a column); they follow the leaderboard, one line each, unless -q."""
    from conftest import shared_file

    train, out = tmp_path / "train.csv", tmp_path / "pred.csv"
    pd.read_csv(shared_file("tabular/classification/credit_g.csv")).iloc[:600].to_csv(train, index=False)
    args = ["classify", str(train), "--target", "class", "--max-trials", "1", "--learners", "linear",
            "--n-jobs", "1", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    checks = printed[printed.index("Data checks (guardrails() in Python):"):].splitlines()
    assert "- metric 'class': 2 classes (binary): roc_auc (chosen by metric='auto')" in checks
    assert any(line.startswith("- validation: 600 rows: ") for line in checks)
    assert main([*args, "-q"]) == 0 and "Data checks" not in capsys.readouterr().out


def test_classify_predicts_a_test_table_whose_target_column_is_empty(tmp_path: Path, capsys) -> None:
    """Review 57 B4: a --test table of rows to predict, with the target column there but empty,
    exited 2 after the whole fit ("no target in any of the rows"): it is predicted, not scored."""
    from conftest import shared_file

    train, test, out = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "pred.csv"
    credit = pd.read_csv(shared_file("tabular/classification/credit_g.csv"))
    credit.iloc[:500].to_csv(train, index=False)
    credit.iloc[500:600].assign(**{"class": None}).to_csv(test, index=False)
    assert main(["classify", str(train), "--target", "class", "--test", str(test), "--max-trials", "1",
                 "--learners", "linear", "--n-jobs", "1", "--out", str(out), "-q"]) == 0
    assert len(pd.read_csv(out)) == 100 and "roc_auc on" not in capsys.readouterr().out


def test_a_refit_backtest_whose_selection_is_stopped_by_ctrl_c_exits_130(
    retail_csv: Path, capsys, monkeypatch
) -> None:
    """The selection's search stopped and the backtest ran on, exit 0."""
    from tsauto.core import engine

    searches = []

    class StoppedOnce(engine.Search):  # Ctrl-C in the selection's search only, as a user's
        def run(self) -> list:
            finished = super().run()
            searches.append(self)
            self.interrupted = len(searches) == 1
            return finished

    monkeypatch.setattr(engine, "Search", StoppedOnce)
    args = ["backtest", str(retail_csv), *RETAIL, "--learners", "naive,seasonal_naive", "--backend",
            "sequential", "--mode", "refit", "--folds", "2", "-q"]
    assert main(args) == 130
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == "tsauto: interrupted" and "MASE" not in captured.out


def test_a_forecast_stopped_by_sigterm_says_nothing_was_written_and_exits_143(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """SIGTERM in the search exited 143 with no last line (the log's last: "5 finished trial(s)
    kept", with nothing to keep them without --run-dir): now it says what happened."""
    from tsauto.core import engine

    class Terminated(engine.Search):
        def _loop(self, study, end, previous, journal, ctrl_c):
            trials = super()._loop(study, end, previous, journal, ctrl_c)
            ctrl_c._handle(signal.SIGTERM, None)  # as a SIGTERM after the trials: exits at the search's end
            return trials

    monkeypatch.setattr(engine, "Search", Terminated)
    fc, runs = tmp_path / "fc.csv", tmp_path / "runs"
    args = ["forecast", str(retail_csv), *RETAIL, "--learners", "naive,seasonal_naive", "--backend", "sequential",
            "--n-jobs", "1", "--out", str(fc), "-q"]
    assert main(args) == 143
    assert capsys.readouterr().err.splitlines()[-1] == (
        "tsauto: stopped by SIGTERM: nothing written; the trials finished are lost (with --run-dir DIR they "
        "are journaled, and the same command resumes from them)"
    )
    assert main([*args, "--run-dir", str(runs)]) == 143 and not fc.exists()
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tsauto: stopped by SIGTERM: nothing written; the trials finished are journaled in {runs}: run the "
        "same command again to resume"
    )


def test_a_level_naming_no_level_is_refused_in_the_command_lines_spellings(
    retail_csv: Path, tmp_path: Path, capsys
) -> None:
    """--level Region said "no level is grouped by exactly the columns ['Region']; the levels are
    'total' [], ... (a list of columns names one level, [] the total; ...)", Python's spelling,
    and in `tsauto forecast` after the fit. Now the command line's, before the fit."""
    out, model = tmp_path / "fc.csv", tmp_path / "m.tsauto"
    fit = ["forecast", str(retail_csv), *RETAIL, "--hierarchy", "State;Industry", "--learners", "naive",
           "--out", str(out), "-q"]
    choose = "--level Region: no level of the hierarchy is grouped by exactly these columns; choose --level " \
             "total, State, Industry, State,Industry or all"
    _fails([*fit, "--level", "Region"], capsys, choose)
    assert not out.exists()  # refused before the fit
    assert main([*fit, "--save-model", str(model)]) == 0
    capsys.readouterr()
    _fails(["predict", str(model), "--level", "Region", "--out", str(out)], capsys, choose)
    for level, rows in (("total", 3), ("State", 2 * 3), ("Industry,State", 12 * 3), ("all", 21 * 3)):
        assert main(["predict", str(model), "--level", level, "--out", str(out), "-q"]) == 0
        assert len(pd.read_csv(out)) == rows


def test_interval_levels_given_as_level_are_told_the_quantiles_option(
    retail_csv: Path, tmp_path: Path, capsys
) -> None:
    """--level 80,95 (statsforecast's interval levels) said "--level needs --hierarchy" alone
    (user test 48): it says the --quantiles to give and the columns they come out as; a
    hierarchy's own levels are read as before."""
    out, model = tmp_path / "fc.csv", tmp_path / "m.tsauto"
    fit = ["forecast", str(retail_csv), *RETAIL, "--learners", "naive", "--out", str(out), "-q"]
    hint = ("For prediction intervals (statsforecast's level=[80, 95]), give --quantiles 0.025,0.1,0.9,0.975 to "
            "tsauto forecast: the forecasts hold the columns q0.025, q0.1, q0.9, q0.975 (the 80 % band q0.1 to "
            "q0.9, the 95 % band q0.025 to q0.975).")
    _fails([*fit, "--level", "80,95"], capsys, "--level needs --hierarchy (it names a level of the hierarchy). "
           + hint)
    _fails([*fit, "--quantiles", "0.1,0.9", "--level", "80"], capsys, "For prediction intervals (statsforecast's "
           "level=[80, 95]), drop --level, as the quantiles asked for at fit hold them already: the forecasts hold")
    assert main([*fit, "--level", "State"]) == 2
    err = capsys.readouterr().err
    assert "--level needs --hierarchy" in err and "--quantiles" not in err
    _fails([*fit, "--hierarchy", "State;Industry", "--level", "80,95"], capsys, "or all (comma-separated columns "
           "name a level). " + hint)
    assert main([*fit, "--save-model", str(model)]) == 0
    capsys.readouterr()
    _fails(["predict", str(model), "--level", "0.8", "--out", str(out)], capsys, "was fitted without a hierarchy. "
           "For prediction intervals (statsforecast's level=[80, 95]), give --quantiles 0.1,0.9 to tsauto forecast")


def test_a_usage_error_says_tsauto_once_and_the_version_is_printed(capsys) -> None:
    """'tsauto: error: tsauto: the following arguments are required'; --version was that error."""
    assert main([]) == 2
    assert capsys.readouterr().err.startswith("tsauto: error: the following arguments are required: command")
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"tsauto {tsauto.__version__}"


def test_a_fit_whose_future_table_lacks_rows_is_kept_for_predict(walmart_small: pd.DataFrame, tmp_path: Path, capsys) -> None:
    """The future table's rows of partitions are checked after the fit, which was then lost
    (user test)."""
    table, future, out = tmp_path / "sales.csv", tmp_path / "future.csv", tmp_path / "f.csv"
    sales = walmart_small[walmart_small["Dept"] <= 2]
    cut = pd.Timestamp("2012-08-31")
    sales[sales["Date"] <= cut].to_csv(table, index=False)
    ahead = sales[(sales["Date"] > cut) & (sales["Date"] <= cut + pd.Timedelta(weeks=4))]
    ahead[["Store", "Dept", "Date", "IsHoliday"]].iloc[1:].to_csv(future, index=False)  # one row short
    fit = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
           "--horizon", "4", "--known-future", "IsHoliday", "--learners", "lightgbm", "--partition-by", "Dept",
           "--out", str(out)]
    assert main([*fit, "--future", str(future), "-q"]) == 2
    kept = tmp_path / "f.tsauto"
    assert f"The fitted model is saved in {kept}: forecast with `tsauto predict {kept}" in capsys.readouterr().err
    ahead[["Store", "Dept", "Date", "IsHoliday"]].to_csv(future, index=False)
    assert main(["predict", str(kept), "--future", str(future), "--out", str(out), "-q"]) == 0
    assert len(pd.read_csv(out)) == 8


def test_an_output_in_a_folder_that_does_not_exist_is_refused_before_any_work(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """`--out typo_dir/forecast.csv` made the folder 'typo_dir' and wrote there, after the fit:
    every output path is refused at the door where its folder does not exist, nothing made."""
    from tsauto import Classifier, Forecaster

    def fit(self, data):
        raise RuntimeError("the fit started")

    monkeypatch.setattr(Forecaster, "fit", fit)
    monkeypatch.setattr(Classifier, "fit", fit)
    monkeypatch.chdir(tmp_path)
    typo = "typo_dir/forecast.csv"
    forecast = ["forecast", str(retail_csv), *RETAIL, "-q"]
    _fails([*forecast, "--out", typo], capsys,
           "tsauto: error: --out typo_dir/forecast.csv: the folder 'typo_dir' does not exist; create it first or "
           "fix the path\n")
    _fails([*forecast, "--out", "fc.csv", "--save-model", "typo_dir/m.tsauto"], capsys,
           "--save-model typo_dir/m.tsauto: the folder 'typo_dir' does not exist")
    _fails([*forecast, "--out", "fc.csv", "--run-dir", "typo_dir/runs"], capsys,
           "--run-dir typo_dir/runs: the folder 'typo_dir' does not exist; the run folder itself is made where "
           "missing, not the folder it is in: create that first (mkdir -p typo_dir) or fix the path\n")
    backtest = ["backtest", str(retail_csv), *RETAIL, "-q"]
    _fails([*backtest, "--out", typo], capsys, "--out typo_dir/forecast.csv: the folder")
    _fails(["predict", "m.tsauto", "--out", typo, "-q"], capsys, "the folder 'typo_dir' does not exist")
    _fails(["future-frame", "m.tsauto", "--out", typo, "-q"], capsys, "the folder 'typo_dir' does not exist")
    _fails(["leaderboard", "m.tsauto", "--out", typo, "-q"], capsys, "the folder 'typo_dir' does not exist")
    _fails(["report", "m.tsauto", "--out", "typo_dir/r.html", "-q"], capsys, "--out typo_dir/r.html: the folder")
    classify = ["classify", str(retail_csv), "--target", "State", "-q"]
    _fails([*classify, "--out", typo], capsys, "the folder 'typo_dir' does not exist")
    _fails([*classify, "--out", "p.csv", "--save-model", "typo_dir/c.tsauto"], capsys,
           "--save-model typo_dir/c.tsauto: the folder")
    _fails([*forecast, "--out", "fc.csv"], capsys, "the fit started")  # an existing folder: on to the fit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retail.csv"]


def test_an_output_that_is_an_input_or_another_output_is_refused_before_any_work(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """`--out data.csv` replaced the training file with the forecasts (status 0), `--save-model
    data.csv` turned it into a model file, and `--out o.csv --save-model o.csv` said "wrote" and
    "saved" while the model was lost (a user test): an output that is the same file as an input
    (a link or hard link to it too) or as another output is one line, before any work."""
    from tsauto import Classifier, Forecaster

    def fit(self, data):
        raise RuntimeError("the fit started")

    monkeypatch.setattr(Forecaster, "fit", fit)
    monkeypatch.setattr(Classifier, "fit", fit)
    data = retail_csv.read_bytes()
    future, rows, model = tmp_path / "future.csv", tmp_path / "rows.csv", tmp_path / "m.tsauto"
    for path in (future, rows, model):
        path.write_bytes(data)
    (tmp_path / "link.csv").symlink_to(retail_csv)
    os.link(retail_csv, tmp_path / "hard.csv")
    forecast = ["forecast", str(retail_csv), *RETAIL, "-q"]
    same = f"--out {retail_csv} is the same file as the input FILE {retail_csv}: writing it would overwrite that input; give --out another path"
    _fails([*forecast, "--out", str(retail_csv)], capsys, f"tsauto: error: {same}\n")
    _fails([*forecast, "--out", str(tmp_path / "fc.csv"), "--save-model", str(retail_csv)], capsys,
           f"--save-model {retail_csv} is the same file as the input FILE {retail_csv}")
    for alias in ("link.csv", "hard.csv", "sub/../retail.csv"):  # a link, a hard link, the same path spelled otherwise
        _fails([*forecast, "--out", str(tmp_path / alias)], capsys, f"--out {tmp_path / alias} is the same file as the input FILE")
    _fails([*forecast, "--out", str(tmp_path / "fc.csv"), "--save-model", str(rows)], capsys,  # another table: before the fit
           f"tsauto: error: --save-model: '{rows}' holds a table (CSV), not a model: saving the model would replace it")
    both = tmp_path / "o.csv"
    _fails([*forecast, "--out", str(both), "--save-model", str(both)], capsys,
           f"--out {both} and --save-model {both} are the same file: one would overwrite the other; give them different paths")
    _fails([*forecast, "--known-future", "Turnover", "--future", str(future), "--out", str(future)], capsys,
           f"--out {future} is the same file as --future {future}")
    _fails([*forecast, "--out", str(both), "--run-dir", str(retail_csv)], capsys,
           f"--run-dir {retail_csv} is the same file as the input FILE")
    _fails(["backtest", str(retail_csv), *RETAIL, "--out", str(retail_csv), "-q"], capsys, same)
    _fails(["predict", str(model), "--history", str(rows), "--out", str(rows), "-q"], capsys,
           f"--out {rows} is the same file as --history {rows}")
    _fails(["predict", "--model", str(model), "--future", str(future), "--out", str(future), "-q"], capsys,
           f"--out {future} is the same file as --future {future}")
    _fails(["future-frame", str(model), "--history", str(rows), "--out", str(rows), "-q"], capsys,
           f"--out {rows} is the same file as --history {rows}")
    _fails(["leaderboard", str(rows), "--out", str(rows), "-q"], capsys, f"--out {rows} is the same file as the input MODEL")
    _fails(["report", str(model), "--out", str(model), "-q"], capsys, f"--out {model} is the same file as the input MODEL")
    _fails(["report", str(model), "--backtest", str(rows), "--data", str(future), "--out", str(future), "-q"], capsys,
           f"--out {future} is the same file as --data {future}")
    classify = ["classify", str(retail_csv), "--target", "State", "-q"]
    _fails([*classify, "--test", str(rows), "--out", str(rows)], capsys, f"--out {rows} is the same file as --test {rows}")
    _fails([*classify, "--out", str(tmp_path / "p.csv"), "--save-model", str(retail_csv)], capsys,
           f"--save-model {retail_csv} is the same file as the input FILE")
    assert retail_csv.read_bytes() == data and rows.read_bytes() == data and future.read_bytes() == data
    assert not both.exists()
    _fails([*forecast, "--out", str(both), "--save-model", str(tmp_path / "o.tsauto")], capsys, "the fit started")


class _Banner(socketserver.BaseRequestHandler):
    """A service that greets each connection with a banner, as SSH and SMTP do."""

    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n" * 4)


class _Web(http.server.BaseHTTPRequestHandler):
    """An HTTP server, as the Dask dashboard's port 8787 has; its log kept off stderr."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


class _Silent(socketserver.BaseRequestHandler):
    """A service that accepts a connection and says nothing until the client speaks its protocol."""

    def handle(self) -> None:
        self.request.settimeout(30)
        with contextlib.suppress(OSError):
            while self.request.recv(1 << 16):
                pass


@contextlib.contextmanager
def _service(handler: type) -> Iterator[str]:
    """``handler`` serving on a free local port in a thread; its address, tcp://127.0.0.1:PORT."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.timeout(120)  # a silent or HTTP port waited for ever
def test_a_scheduler_address_of_another_service_is_one_line_in_bounded_time(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """--scheduler at a port that is not a Dask scheduler's (a user test): a banner was read as a
    frame's length ("MemoryError: Unable to allocate 2.82 EiB"); an HTTP server (the dashboard's
    8787) or a silent one hung for ever, though a scheduler not answering in SCHEDULER_TIMEOUT
    seconds is one line of error. Each is now that line, naming the ports, and the command's
    process exits."""
    pytest.importorskip("distributed")
    monkeypatch.setattr("tsauto.cli.SCHEDULER_TIMEOUT", 1)
    base = ["forecast", str(retail_csv), *RETAIL, "--out", str(tmp_path / "fc.csv"), "-q"]
    ports = "the scheduler listens on 8786 by default, its dashboard on 8787"
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Web)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    web = f"127.0.0.1:{http_server.server_address[1]}"
    try:
        with _service(_Banner) as banner, _service(_Silent) as silent:
            for address, why in ((banner, "what it sent is not Dask's protocol: MemoryError"),
                                 (silent, "it sent no Dask handshake within 1 s"),
                                 (web, "it sent no Dask handshake within 1 s")):
                start = time.monotonic()
                _fails([*base, "--scheduler", address], capsys,
                       f"--scheduler {address}: the service there did not answer as a Dask scheduler ({why}")
                assert time.monotonic() - start < 10
            _fails([*base, "--scheduler", banner], capsys, ports)
            script = ("import sys, tsauto.cli as cli; cli.SCHEDULER_TIMEOUT = 1; "
                      f"sys.exit(cli.main({[*base, '--scheduler', silent]!r}))")
            start = time.monotonic()
            proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
            assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
            assert "did not answer as a Dask scheduler (it sent no Dask handshake within 1 s)" in proc.stderr
            assert time.monotonic() - start < 30  # its exit waits for no thread left connecting
    finally:
        http_server.shutdown()
        http_server.server_close()


def _before_the_fit(
    walmart_small: pd.DataFrame, tmp_path: Path, monkeypatch
) -> tuple[list[str], Path, pd.DataFrame]:
    """A `tsauto forecast` of Walmart's store 1, departments 1-2, to 2012-08-31 (sales.csv),
    4 weeks ahead with --known-future IsHoliday and --future future.csv (not written: the
    test writes it), whose fit raises "the fit started": its arguments, future.csv, and the
    rows of the 4 weeks (ids, Date, IsHoliday), in the order of the series and weeks."""
    from tsauto import Forecaster

    def fit(self, data):
        raise RuntimeError("the fit started")

    monkeypatch.setattr(Forecaster, "fit", fit)
    table, future = tmp_path / "sales.csv", tmp_path / "future.csv"
    sales = walmart_small[walmart_small["Dept"] <= 2]
    cut = pd.Timestamp("2012-08-31")
    sales[sales["Date"] <= cut].to_csv(table, index=False)
    ahead = sales[(sales["Date"] > cut) & (sales["Date"] <= cut + pd.Timedelta(weeks=4))]
    ahead = ahead[["Store", "Dept", "Date", "IsHoliday"]].reset_index(drop=True)
    args = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
            "--horizon", "4", "--known-future", "IsHoliday", "--future", str(future), "--out", str(tmp_path / "f.csv")]
    return args, future, ahead


def test_a_future_table_lacking_rows_or_values_is_refused_before_the_fit(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys, monkeypatch
) -> None:
    """The future table's rows were checked after the fit, minutes later: they are checked
    before it, with the same messages, from the training table's series ends and frequency
    (unless no learner named reads the known-future columns; by partition after the fit)."""
    args, future, ahead = _before_the_fit(walmart_small, tmp_path, monkeypatch)
    sales, table, cut = walmart_small[walmart_small["Dept"] <= 2], tmp_path / "sales.csv", pd.Timestamp("2012-08-31")
    ahead.iloc[1:].to_csv(future, index=False)
    _fails([*args, "-q"], capsys, "the future table lacks 1 of the 8 (series, time) rows needed for the next 4 steps, "
           "for example [{'Store': 1, 'Dept': 1, 'Date': '2012-09-07'}]: add them.")
    ahead.astype({"IsHoliday": object}).assign(IsHoliday=lambda f: f["IsHoliday"].mask(f.index == 6)).to_csv(
        future, index=False)
    _fails([*args, "-q"], capsys, "column 'IsHoliday' of the future table is missing at line 8 "
           "(2012-09-21 (Friday)) in series [{'Store': 1, 'Dept': 2}]: known-future covariates need a value")
    sales[(sales["Date"] <= cut) & ~((sales["Dept"] == 2) & (sales["Date"] > cut - pd.Timedelta(weeks=2)))].to_csv(
        table, index=False)  # department 2 ends two weeks early: its rows come two weeks earlier
    ahead.to_csv(future, index=False)
    _fails([*args, "-q"], capsys, "the future table lacks 2 of the 8 (series, time) rows needed for the next 4 "
           "steps, for example [{'Store': 1, 'Dept': 2, 'Date': '2012-08-24'}, {'Store': 1, 'Dept': 2, 'Date': "
           "'2012-08-31'}]: add them (1 of the series lacking rows end before the table's last time step")
    _fails([*args, "--learners", "theta", "-q"], capsys, "the fit started")  # reads no known-future column
    _fails([*args, "--partition-by", "Dept", "-q"], capsys, "the fit started")  # checked by partition, after it
    sales[sales["Date"] <= cut].to_csv(table, index=False)
    _fails([*args, "-q"], capsys, "the fit started")  # a whole future table


def test_a_missing_future_value_is_named_by_its_line_in_the_future_file(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A future file in an order of its own, a value left empty on its line 9: named there, not
    as "row 5 of the future grid" (the grid sorted by series and time, which the user never
    sees; user test 56), as rows of one series and week are named by their lines. A week with
    no row at all has no line: the series and week are named."""
    args, future, ahead = _before_the_fit(walmart_small, tmp_path, monkeypatch)
    ahead = ahead.astype({"IsHoliday": object}).sample(frac=1, random_state=1).reset_index(drop=True)
    blank = 7  # the file's line 9 (the header is line 1)
    assert ahead.loc[blank, ["Dept", "Date"]].tolist() == [2, pd.Timestamp("2012-09-14")]  # the grid's row 5
    ahead.loc[blank, "IsHoliday"] = None
    ahead.to_csv(future, index=False)
    assert future.read_text().splitlines()[8].endswith(",")
    _fails([*args, "-q"], capsys, "column 'IsHoliday' of the future table is missing at line 9 "
           "(2012-09-14 (Friday)) in series [{'Store': 1, 'Dept': 2}]: known-future covariates need a value")
    ahead.drop(index=blank).to_csv(future, index=False)
    _fails([*args, "-q"], capsys, "the future table lacks 1 of the 8 (series, time) rows needed for the next 4 steps, "
           "for example [{'Store': 1, 'Dept': 2, 'Date': '2012-09-14'}]: add them.")


def test_a_boolean_covariate_whose_future_values_are_text_is_read_as_flags(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    """IsHoliday, a bool column of the training CSV, came as the strings 'False'/'True' in the
    future table (Parquet written from text): refused after the fit as text "read as missing:
    the column was numeric at fit". They are its flags, as pandas reads them from a CSV."""
    table, future, out = tmp_path / "sales.csv", tmp_path / "future.parquet", tmp_path / "f.csv"
    sales = walmart_small[walmart_small["Dept"] <= 2]
    cut = pd.Timestamp("2012-08-31")
    sales[sales["Date"] <= cut].to_csv(table, index=False)
    ahead = sales[(sales["Date"] > cut) & (sales["Date"] <= cut + pd.Timedelta(weeks=4))]
    args = ["forecast", str(table), "--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept",
            "--horizon", "4", "--known-future", "IsHoliday", "--learners", "lightgbm", "--future", str(future),
            "--out", str(out), "-q"]
    ahead.drop(columns="Weekly_Sales").to_parquet(future)
    assert main(args) == 0
    flags = pd.read_csv(out)
    ahead.drop(columns="Weekly_Sales").astype({"IsHoliday": str}).to_parquet(future)
    assert main(args) == 0, capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(out), flags)


def _vic_elec(tmp_path: Path, name: str, time: str, rows: slice, naive: bool = False) -> Path:
    """Melbourne's half-hourly demand (vic_elec) of ``rows``, its ``time`` column (``Time_UTC``:
    UTC stamps; ``Time_local``: Melbourne's offsets, +1100 or +1000) cut to naive local times
    where ``naive``, as a CSV file."""
    from conftest import shared_file

    v = pd.read_csv(shared_file("forecasting/other/vic_elec.csv.gz")).iloc[rows]
    stamps = v[time].str[:19] if naive else v[time]
    path = tmp_path / name
    pd.DataFrame({"t": stamps, "Demand": v["Demand"]}).to_csv(path, index=False)
    return path


VIC = ["--target", "Demand", "--time", "t", "--horizon", "48", "--learners", "seasonal_naive", "-q"]
DECEMBER = slice(-960, None)  # 2014-12-12..31, AEDT (UTC+11)
APRIL = slice(3892, 4852)  # 2012-03-22..04-11: daylight saving ends on 04-01 at 03:00 (02:00 twice)


def test_tz_converts_the_time_column_as_the_data_checks_advise(tmp_path: Path, capsys) -> None:
    """The data checks told command-line users with UTC stamps and holidays AU-VIC, or with a
    file mixing UTC offsets, to convert the time column in Python. --tz ZONE converts it: the
    holiday clock alert is gone and the forecasts are in that zone; mixed offsets (daylight
    saving) are read as the instants they name. An unknown zone, stamps some with an offset and
    some without, or integer steps are refused, naming --tz."""
    utc = _vic_elec(tmp_path, "utc.csv", "Time_UTC", DECEMBER)
    out = tmp_path / "fc.csv"
    fit = ["forecast", str(utc), *VIC, "--holidays", "AU-VIC", "--out", str(out)]
    assert main(fit) == 0
    assert "data check holiday_clock 't' (alert)" in capsys.readouterr().err
    assert main([*fit, "--tz", "Australia/Melbourne"]) == 0
    assert "holiday_clock" not in capsys.readouterr().err
    stamps = pd.read_csv(out)["t"]
    assert stamps.iloc[0] == "2015-01-01 00:00:00+11:00" and stamps.str.endswith("+11:00").all()
    _fails([*fit, "--tz", "Australia/Melborne"], capsys, "argument --tz: unknown time zone 'Australia/Melborne' "
           "(did you mean 'Australia/Melbourne'?): give a zone of the tz database, such as Australia/Melbourne or UTC")

    local = _vic_elec(tmp_path, "local.csv", "Time_local", APRIL)  # +1100, then +1000
    backtest = ["backtest", str(local), *VIC, "--folds", "1", "--out", str(out)]
    _fails(backtest, capsys, "time column 't' mixes time-zone offsets")
    assert main([*backtest, "--tz", "Australia/Melbourne"]) == 0
    table = pd.read_csv(out)
    assert len(table) == 48 and table["cutoff"].eq("2012-04-10 00:30:00+10:00").all()
    mixed = tmp_path / "mixed.csv"
    pd.read_csv(local).assign(t=lambda d: d["t"].where(d.index >= 3, d["t"].str[:19])).to_csv(mixed, index=False)
    _fails(["forecast", str(mixed), *VIC, "--tz", "UTC", "--out", str(out)], capsys,
           f"--tz UTC, {mixed}: time column 't' gives a UTC offset in some stamps ('2012-03-22T03:30:00+1100') and "
           "none in lines 2, 3, 4 ('2012-03-22T02:00:00'), whose instant is unknown: write every stamp with its offset")
    steps = tmp_path / "steps.csv"
    pd.DataFrame({"t": range(100), "Demand": range(100)}).to_csv(steps, index=False)
    _fails(["forecast", str(steps), *VIC, "--tz", "UTC", "--out", str(out)], capsys,
           f"--tz UTC, {steps}: time column 't' holds numbers (steps), not time stamps: a time zone is for stamps; "
           "leave it out")


def test_tz_reads_naive_stamps_as_the_zones_local_times(tmp_path: Path, capsys) -> None:
    """--tz with naive stamps reads them as the zone's local times: the forecasts carry its
    offsets, and a saved model's later naive tables take --tz too (without it they are refused
    as of another kind); a stamp daylight saving repeats is refused, naming its rows."""
    naive = _vic_elec(tmp_path, "naive.csv", "Time_local", DECEMBER, naive=True)
    model, out = tmp_path / "m.tsauto", tmp_path / "fc.csv"
    tz = ["--tz", "Australia/Melbourne"]
    assert main(["forecast", str(naive), *VIC, *tz, "--out", str(out), "--save-model", str(model)]) == 0
    forecast = pd.read_csv(out)
    assert forecast["t"].iloc[0] == "2015-01-01 00:00:00+11:00"
    again = tmp_path / "again.csv"
    _fails(["predict", str(model), "--history", str(naive), "--out", str(again), "-q"], capsys,
           "holds time stamps without a time zone")
    _fails(["predict", str(model), "--history", str(naive), "--out", str(again), "-q"], capsys,
           "on the command line, --tz Australia/Melbourne reads naive stamps as its local times")
    _fails(["predict", str(model), *tz, "--out", str(again), "-q"], capsys,
           "--tz Australia/Melbourne: it reads the time column of --history and --future, and neither is given")
    assert main(["predict", str(model), "--history", str(naive), *tz, "--out", str(again), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), forecast)
    assert main(["future-frame", str(model), "--history", str(naive), *tz, "--out", str(again), "-q"]) == 0
    assert pd.read_csv(again)["t"].tolist() == forecast["t"].tolist()
    report = ["report", str(model), "--backtest", str(naive), "--folds", "1", "--mode", "refit", *tz]
    assert main([*report, "--out", str(tmp_path / "r.html"), "-q"]) == 0
    capsys.readouterr()  # the refit's warning
    repeated = _vic_elec(tmp_path, "april.csv", "Time_local", APRIL, naive=True)  # 02:00-02:30 twice on 04-01
    _fails(["forecast", str(repeated), *VIC, *tz, "--out", str(out)], capsys,
           f"--tz Australia/Melbourne, {repeated}: time column 't': its naive stamps at lines 482, 483, 484, 485 "
           "('2012-04-01 02:00:00') are no single instant in Australia/Melbourne, whose daylight saving repeats")


def test_tz_reads_offsets_however_written_and_tables_across_daylight_saving(tmp_path: Path, capsys) -> None:
    """Offsets written '+00' (PostgreSQL's text) or ' UTC' were missed and the stamps read as
    Melbourne's local times, 11 hours off, unsaid (a review); day-first dates were taken for
    offsets and refused. A backtest's table across the end of daylight saving (+11:00, then
    +10:00) is read back by the report in the model's zone (it was refused as mixed offsets)."""
    utc = _vic_elec(tmp_path, "utc.csv", "Time_UTC", DECEMBER)
    out, expected = tmp_path / "fc.csv", tmp_path / "expected.csv"
    tz = ["--tz", "Australia/Melbourne"]
    assert main(["forecast", str(utc), *VIC, *tz, "--out", str(expected)]) == 0
    for name, written in (("pg.csv", lambda t: t.str[:10] + " " + t.str[11:19] + "+00"),
                          ("words.csv", lambda t: t.str[:10] + " " + t.str[11:19] + " UTC")):
        other = tmp_path / name
        pd.read_csv(utc).assign(t=lambda d: written(d["t"])).to_csv(other, index=False)
        assert main(["forecast", str(other), *VIC, *tz, "--out", str(out)]) == 0
        pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(expected))
    days = tmp_path / "days.csv"
    daily = pd.read_csv(utc).iloc[::48].head(20)
    daily.assign(t=pd.date_range("2023-01-01", periods=20).strftime("%d-%m-%Y")).to_csv(days, index=False)
    assert main(["forecast", str(days), *VIC, "--horizon", "3", *tz, "--out", str(out)]) == 0
    assert pd.read_csv(out)["t"].tolist() == ["2023-01-21", "2023-01-22", "2023-01-23"]  # dates have no clock

    local = _vic_elec(tmp_path, "local.csv", "Time_local", slice(3892, 4432))  # to 2012-04-02 06:00
    model, table = tmp_path / "m.tsauto", tmp_path / "bt.csv"
    assert main(["forecast", str(local), *VIC, *tz, "--out", str(out), "--save-model", str(model)]) == 0
    assert main(["backtest", str(local), *VIC, *tz, "--folds", "2", "--mode", "refit", "--out", str(table)]) == 0
    cutoffs = pd.read_csv(table)["cutoff"]
    assert cutoffs.str.endswith("+11:00").any() and pd.read_csv(table)["t"].str.endswith("+10:00").any()
    report = ["report", str(model), "--backtest", str(table), "--data", str(local), *tz]
    assert main([*report, "--out", str(tmp_path / "r.html")]) == 0, capsys.readouterr().err


def test_classify_test_needs_the_columns_predict_needs(tmp_path: Path, capsys, monkeypatch) -> None:
    """`classify --test` refused, before the fit, a test table lacking any column of the training
    file, though predict reads only those the model uses: one without a constant column (the fit
    drops it) was refused, and `tsauto predict` of the saved model predicted it. Now the check
    before the fit asks what predict asks: the columns the model reads (found as the fit finds
    them), and a row."""
    from conftest import shared_file

    from tsauto import Classifier

    credit = pd.read_csv(shared_file("tabular/classification/credit_g.csv"))
    credit["batch"] = "2024"  # constant: dropped by the fit
    train, test, model = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "m.tsauto"
    credit.iloc[:800].to_csv(train, index=False)
    credit.iloc[800:].drop(columns=["class", "batch"]).to_csv(test, index=False)
    out, again = tmp_path / "pred.csv", tmp_path / "again.csv"
    fit = ["classify", str(train), "--target", "class", "--max-trials", "1", "--learners", "linear", "-q"]
    assert main([*fit, "--test", str(test), "--out", str(out), "--save-model", str(model)]) == 0
    assert main(["predict", str(model), "--test", str(test), "--out", str(again), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), pd.read_csv(out))
    lacking, empty = tmp_path / "lacking.csv", tmp_path / "empty.csv"
    pd.read_csv(test).drop(columns="age").to_csv(lacking, index=False)
    pd.read_csv(test).iloc[:0].to_csv(empty, index=False)
    _fails(["predict", str(model), "--test", str(lacking), "--out", str(again), "-q"], capsys, "missing ['age']")
    _fails(["predict", str(model), "--test", str(empty), "--out", str(again), "-q"], capsys, "has no rows")

    def started(self, data):
        raise RuntimeError("the fit started")

    monkeypatch.setattr(Classifier, "fit", started)
    _fails([*fit, "--test", str(lacking), "--out", str(out)], capsys,
           f"--test {lacking} lacks 1 column(s) of {train} the model reads: 'age'; give them")
    _fails([*fit, "--test", str(empty), "--out", str(out)], capsys,
           f"--test {empty} has no rows: give at least one row to predict")


def test_a_users_day_first_dates_copied_rows_and_thousands_separators(
    walmart_small: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    """A user test's files (ut47): day-first sales dates were read (31/08/2012 tells the order)
    but a --future file holding only 07/09/2012 was refused as ambiguous, the file unnamed: read
    day-first, as the fit read, it forecasts as ISO dates do. Weeks pasted twice were refused
    naming rows from 0 and advising aggregate='sum' (doubling them): the copies are named by
    their lines in the file, with the fix. Sales written '24,924.50' were refused with a pandas
    fix: read as numbers."""
    sales = walmart_small[walmart_small["Dept"] <= 2]
    train, week = sales[sales["Date"] <= "2012-08-31"], sales[sales["Date"] == "2012-09-07"]
    common = ["--target", "Weekly_Sales", "--time", "Date", "--ids", "Store,Dept", "--horizon", "1", "-q"]
    fit = [*common, "--known-future", "IsHoliday", "--learners", "lightgbm", "--max-trials", "1"]
    files = {name: tmp_path / f"{name}.csv" for name in ("iso", "iso_future", "days", "days_future", "copied",
                                                          "separated", "plain", "out", "expected")}
    train.to_csv(files["iso"], index=False)
    week.drop(columns="Weekly_Sales").to_csv(files["iso_future"], index=False)
    days = train.assign(Date=train["Date"].dt.strftime("%d/%m/%Y"))
    days.to_csv(files["days"], index=False)
    week.drop(columns="Weekly_Sales").assign(Date="07/09/2012").to_csv(files["days_future"], index=False)
    assert main(["forecast", str(files["iso"]), *fit, "--future", str(files["iso_future"]),
                 "--out", str(files["expected"])]) == 0
    assert main(["forecast", str(files["days"]), *fit, "--future", str(files["days_future"]),
                 "--out", str(files["out"])]) == 0, capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(files["out"]), pd.read_csv(files["expected"]))

    n = len(train)
    pd.concat([train, train.iloc[[10, 20, 21]]]).to_csv(files["copied"], index=False)
    _fails(["forecast", str(files["copied"]), *common, "--learners", "naive", "--out", str(files["out"])], capsys,
           f"3 rows are exact copies of earlier ones (every column equal) at lines {n + 2}, {n + 3}, {n + 4} (e.g. "
           f"line {n + 2} repeats line 12, {{'Store': 1, 'Dept': 1, 'Date': '2010-04-16'}}): drop the copies, "
           "delete those lines from the file (in pandas: df = df.drop_duplicates()); aggregate='sum' would count "
           "them twice.")
    pd.concat([train, train.iloc[[10]].assign(Weekly_Sales=1.0)]).to_csv(files["copied"], index=False)
    _fails(["forecast", str(files["copied"]), *common, "--learners", "naive", "--out", str(files["out"])], capsys,
           f"at lines 12, {n + 2}: each series needs one row per time step. Remove the duplicates, add the missing id "
           "column to ids=, or pass aggregate='sum' (or 'mean', 'min', 'max') with freq= to roll them up (--ids, "
           "--aggregate sum --freq F on the command line).")

    train.assign(Weekly_Sales=train["Weekly_Sales"].map("{:,.2f}".format)).to_csv(files["separated"], index=False)
    train.assign(Weekly_Sales=train["Weekly_Sales"].map("{:.2f}".format)).to_csv(files["plain"], index=False)
    assert '"24,924.50"' in files["separated"].read_text()
    for name, out in (("separated", "out"), ("plain", "expected")):
        assert main(["forecast", str(files[name]), *common, "--learners", "naive", "--out", str(files[out])]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(files["out"]), pd.read_csv(files["expected"]))


def test_the_tabular_commands_list_every_metric_of_their_task() -> None:
    """--metric's help named none (user test 52: the names showed only in error messages)."""
    from tsauto.cli import TABULAR_COMMANDS
    from tsauto.tabular.metrics import METRICS

    for command, _, listed in TABULAR_COMMANDS:
        task = "classification" if command == "classify" else "regression"
        named = {m for m, metric in METRICS.items() if metric.task == task}
        assert named <= set(listed.replace(",", " ").replace("(", " ").split()), (command, named)


def _credit(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The first 300 rows of credit-g as train.csv, and the next 100 (a test table)."""
    from conftest import shared_file

    credit = pd.read_csv(shared_file("tabular/classification/credit_g.csv"))
    train = tmp_path / "train.csv"
    credit.iloc[:300].to_csv(train, index=False)
    return train, credit.iloc[300:400].reset_index(drop=True)


def test_a_save_that_fails_after_the_fit_keeps_the_other_outputs_and_says_why(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A save path that passed the checks and failed after the fit lost the fit: the forecast,
    written after the save, was not written, and the advice was "choose another folder" for a
    name too long (review 56 B7). Too long a name is refused before the fit; a save failing
    after it leaves the forecasts or predictions written, and the error names them."""
    from tsauto import Classifier, Forecaster
    from tsauto.core.exceptions import TsautoError

    fc, model = tmp_path / "fc.csv", tmp_path / "m.tsauto"
    fit = ["forecast", str(retail_csv), *RETAIL, "--learners", "naive", "--out", str(fc), "-q"]
    long = tmp_path / ("m" * 240 + ".tsauto")
    _fails([*fit, "--save-model", str(long)], capsys, "give a shorter file name: at most")
    assert not fc.exists()

    def full(self, path):
        raise TsautoError(f"cannot write {str(path)!r}: No space left on device (nothing was changed there); "
                          "free some space or choose another folder.")

    monkeypatch.setattr(Forecaster, "save", full)
    monkeypatch.setattr(Classifier, "save", full)
    _fails([*fit, "--save-model", str(model)], capsys,
           f"the model was not saved to {model}: cannot write '{model}': No space left on device (nothing was "
           f"changed there); free some space or choose another folder. Kept: the forecasts written to {fc}.\n")
    assert len(pd.read_csv(fc)) == 36 and not model.exists()
    train, rows = _credit(tmp_path)
    pred = tmp_path / "pred.csv"
    _fails(["classify", str(train), "--target", "class", "--time-budget", "none", "--max-trials", "1",
            "--learners", "linear", "--out", str(pred), "--save-model", str(model), "-q"], capsys,
           f"the model was not saved to {model}: cannot write '{model}': No space left on device")
    assert len(pd.read_csv(pred)) == 300


def test_the_model_kept_after_a_refused_future_table_overwrites_nothing(
    retail_csv: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A forecast refused after the fit kept the fit at <out>.tsauto over any file there, and a
    failure of that save replaced the forecast's error (review 56 R5): the model is kept at a
    free name, and the forecast's error comes first."""
    from tsauto import Forecaster
    from tsauto.core.exceptions import DataValidationError, TsautoError

    table = pd.read_csv(retail_csv).assign(promo=0)
    train, future = tmp_path / "train.csv", tmp_path / "future.csv"
    table.to_csv(train, index=False)
    ends = table.groupby(["State", "Industry"]).tail(1)[["State", "Industry", "Month"]]
    ends.assign(Month=(pd.to_datetime(ends["Month"]) + pd.offsets.MonthBegin(1)).dt.strftime("%Y-%m-%d"),
                promo=1).to_csv(future, index=False)

    def refused(self, **kwargs):
        raise DataValidationError("the future table lacks the rows of 3 series.")

    monkeypatch.setattr(Forecaster, "predict", refused)
    taken = tmp_path / "fc.tsauto"
    taken.write_bytes(b"someone's model")
    fit = ["forecast", str(train), *RETAIL, "--learners", "naive", "--known-future", "promo", "--future",
           str(future), "--out", str(tmp_path / "fc.csv"), "-q"]
    kept = tmp_path / "fc-2.tsauto"

    def last_line() -> str:  # after a warning: the naive learner reads no promo
        assert main(fit) == 2
        return capsys.readouterr().err.splitlines()[-1]

    assert last_line().startswith(f"tsauto: error: the future table lacks the rows of 3 series. The fitted model "
                                  f"is saved in {kept}: ")
    assert taken.read_bytes() == b"someone's model" and Forecaster.load(kept).learners == ["naive"]

    def full(self, path):
        raise TsautoError(f"cannot write {str(path)!r}: No space left on device.")

    monkeypatch.setattr(Forecaster, "save", full)
    assert last_line() == ("tsauto: error: the future table lacks the rows of 3 series. The fitted model could not "
                           f"be kept either: cannot write '{tmp_path / 'fc-3.tsauto'}': No space left on device.")


def test_classify_checks_the_test_targets_classes_before_the_fit(tmp_path: Path, capsys, monkeypatch) -> None:
    """A --test target holding classes the training target lacks ('GOOD' for 'good') was found
    after the fit, the predictions and model written, then exit 2 saying nothing of them (user
    test 58 F4): refused before the fit, by the rule the score applies; a failure of the score
    after the fit names what was written."""
    from tsauto import Classifier
    from tsauto.core.exceptions import DataValidationError

    train, rows = _credit(tmp_path)
    test = tmp_path / "test.csv"
    rows.assign(**{"class": rows["class"].replace({"good": "GOOD"})}).to_csv(test, index=False)
    out, model = tmp_path / "pred.csv", tmp_path / "m.tsauto"
    fit = ["classify", str(train), "--target", "class", "--test", str(test), "--time-budget", "none",
           "--max-trials", "1", "--learners", "linear", "--out", str(out), "--save-model", str(model), "-q"]

    def started(self, *args, **kwargs):
        raise RuntimeError("the fit started")

    with monkeypatch.context() as patch:
        patch.setattr(Classifier, "fit", started)
        _fails(fit, capsys, f"--test {test}: target 'class' holds classes not seen at fit: ['GOOD'] in ")
    assert not out.exists() and not model.exists()
    rows.to_csv(test, index=False)

    def unscored(self, *args, **kwargs):
        raise DataValidationError("target 'class' holds classes not seen at fit: ['GOOD'].")

    monkeypatch.setattr(Classifier, "score", unscored)
    _fails(fit, capsys, f"the score on {test} was not computed: target 'class' holds classes not seen at fit: "
           f"['GOOD']. Kept: the predictions written to {out} and the model saved to {model}.\n")
    assert len(pd.read_csv(out)) == 100 and Classifier.load(model).max_trials == 1


def test_time_budget_none_runs_on_max_trials_and_errors_are_in_the_command_lines_spelling(
    tmp_path: Path, capsys
) -> None:
    """The command line had no way to run without a time budget (the README's reproducible
    mode), and `--time-budget 0` was told "time_budget=60 ... or None" (user test 58 F6)."""
    parser = build_parser()
    common = ["f.csv", *RETAIL, "--out", "o.csv"]
    for command in ("forecast", "backtest"):
        assert parser.parse_args([command, *common]).time_budget is None  # the default: no budget
        assert parser.parse_args([command, *common, "--time-budget", "none"]).time_budget is None
        assert parser.parse_args([command, *common, "--time-budget", "30"]).time_budget == 30.0
    tabular = ["classify", "t.csv", "--target", "y", "--out", "o.csv"]
    assert parser.parse_args(tabular).time_budget == 60.0
    assert parser.parse_args([*tabular, "--time-budget", "None", "--max-trials", "3"]).time_budget is None
    for bad in ("0", "-5", "inf", "soon"):
        _fails([*tabular, "--time-budget", bad], capsys,
               f"argument --time-budget: give the seconds the fit may take as a positive number, such as "
               f"--time-budget 60, or --time-budget none with --max-trials N, not '{bad}'")
    _fails([*tabular, "--max-trials", "0"], capsys, "argument --max-trials: give a whole number of 1 or more, not '0'")
    train, _ = _credit(tmp_path)
    out = tmp_path / "pred.csv"
    fit = ["classify", str(train), "--target", "class", "--learners", "linear", "--out", str(out), "-q"]
    _fails([*fit, "--time-budget", "none"], capsys,
           "--time-budget none needs --max-trials N: the search stops on nothing else")
    model = tmp_path / "m.tsauto"
    assert main([*fit, "--time-budget", "none", "--max-trials", "2", "--save-model", str(model)]) == 0
    fitted = tsauto.Classifier.load(model)
    assert (fitted.time_budget, fitted.max_trials, len(fitted.leaderboard())) == (None, 2, 2)
