"""A plain script, without an ``if __name__ == "__main__"`` guard, fits in worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import tsauto
    from tsauto.datasets import load_aus_retail

    df = load_aus_retail()
    keep = df[["State", "Industry"]].drop_duplicates().head(3)
    df = df.merge(keep)
    fc = tsauto.Forecaster(target="Turnover", time="Month", ids=["State", "Industry"],
                           horizon=3, learners=["naive", "theta"])
    fc.fit(df)
    board = fc.leaderboard_
    assert board["status"].eq("ok").all(), board["reason"].tolist()
    print("trials ok:", len(board))
    """
)


def test_a_script_without_a_main_guard_runs_its_trials_in_workers(tmp_path: Path) -> None:
    script = tmp_path / "forecast.py"
    script.write_text(SCRIPT)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trials ok: 2" in done.stdout
