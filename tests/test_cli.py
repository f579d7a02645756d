"""The command line end to end on real files."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from tsauto.cli import main


def test_forecast_and_backtest_commands(aus_small: pd.DataFrame, tmp_path, capsys) -> None:
    data = tmp_path / "retail.csv"
    aus_small.to_csv(data, index=False)
    out = tmp_path / "fc.parquet"
    code = main(
        [
            "forecast", str(data), "--target", "Turnover", "--time", "Month",
            "--ids", "State,Industry", "--horizon", "3", "--quantiles", "0.1,0.9",
            "--out", str(out), "--save-model", str(tmp_path / "m.tsauto"), "-q",
        ]
    )
    assert code == 0
    table = pd.read_parquet(out)
    assert len(table) == 12 * 3
    assert {"forecast", "q0.1", "q0.9"} <= set(table.columns)
    assert "wrote 36 forecasts" in capsys.readouterr().out
    assert (tmp_path / "m.tsauto").exists()

    code = main(
        [
            "backtest", str(data), "--target", "Turnover", "--time", "Month",
            "--ids", "State,Industry", "--horizon", "3", "--folds", "2",
            "--out", str(tmp_path / "bt.csv"), "-q",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "seasonal_naive" in printed and "mase" in printed
    assert len(pd.read_csv(tmp_path / "bt.csv")) == 2 * 12 * 3


def test_bad_input_is_one_line_and_exit_2(aus_small: pd.DataFrame, tmp_path) -> None:
    data = tmp_path / "retail.csv"
    aus_small.to_csv(data, index=False)
    proc = subprocess.run(
        [
            sys.executable, "-m", "tsauto.cli", "forecast", str(data), "--target", "Sales",
            "--time", "Month", "--horizon", "3", "--out", str(tmp_path / "x.csv"), "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("tsauto: error:") and "'Sales'" in proc.stderr
