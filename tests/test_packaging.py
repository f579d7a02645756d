"""A non-editable install carries every subpackage and the bundled data, and runs from any
folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_installed_copy_has_bundled_data_and_runs_from_another_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    assert (target / "tsauto" / "bundled" / "aus_retail.csv.gz").is_file()
    for pkg in ("core", "forecasting", "forecasting/learners", "forecasting/features", "tabular"):
        assert (target / "tsauto" / pkg / "__init__.py").is_file(), pkg
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import tsauto, sys; from tsauto import datasets, Forecaster, Classifier, Regressor; "
        "assert tsauto.__file__.startswith(sys.argv[1]), tsauto.__file__; "
        "print(len(datasets.load_aus_retail()))"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code, str(target)], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == 64532
    cli = subprocess.run([sys.executable, "-m", "tsauto.cli", "--help"], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0 and "forecast" in cli.stdout
