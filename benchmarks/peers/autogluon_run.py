"""AutoGluon-TimeSeries on one data set, run in its own virtual environment (it needs pandas 2).

    python autogluon_run.py TRAIN_CSV HORIZON FREQ START BUDGET OUT_CSV

TRAIN_CSV holds ``unique_id, step, y``: integer steps on one regular grid (step 1 is START).
M4 Hourly/Weekly have no dates, and M1's dates start as early as year 1, which pandas 2's
nanosecond stamps cannot hold; so every series is laid on a dummy calendar
``date_range(START, freq=FREQ)`` by its steps (``bench_search.py`` keeps each M1 series'
month or quarter of the year in its first step, so seasonal positions stay true). Fits
``presets="medium_quality"`` within BUDGET seconds and writes the mean forecasts
(``unique_id, step, forecast``; step 1..HORIZON after each series' end) to OUT_CSV, and to
OUT_CSV.json the wall seconds of fit and predict, the best model, the models fitted and the
versions used.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd


def to_calendar(steps, freq: str, start: str) -> pd.DatetimeIndex:
    """Time stamps of integer ``steps`` (1 = ``start``) on a regular ``freq`` calendar."""
    steps = pd.Index(steps).astype("int64")
    if len(steps) and steps.min() < 1:
        raise ValueError(f"steps start at 1, got {steps.min()}")
    calendar = pd.date_range(start, periods=int(steps.max()) if len(steps) else 0, freq=freq)
    return calendar[steps.to_numpy() - 1]


def main() -> None:
    path, horizon, freq, start_date, budget, out = sys.argv[1:7]
    import autogluon.timeseries as agts
    import torch
    from autogluon.timeseries import TimeSeriesDataFrame, TimeSeriesPredictor

    train = pd.read_csv(path, dtype={"unique_id": str, "step": "int64", "y": "float64"})
    train["timestamp"] = to_calendar(train["step"], freq, start_date)
    data = TimeSeriesDataFrame.from_data_frame(
        train[["unique_id", "timestamp", "y"]], id_column="unique_id", timestamp_column="timestamp"
    )
    start = time.monotonic()
    predictor = TimeSeriesPredictor(
        prediction_length=int(horizon), eval_metric="MASE", target="y", freq=freq, verbosity=1,
        path=out + ".ag",
    )
    predictor.fit(data, presets="medium_quality", time_limit=float(budget))
    fitted = time.monotonic()
    pred = predictor.predict(data)
    done = time.monotonic()
    mean = pred["mean"].reset_index().sort_values(["item_id", "timestamp"])
    mean["step"] = mean.groupby("item_id").cumcount() + 1
    mean.rename(columns={"item_id": "unique_id", "mean": "forecast"})[
        ["unique_id", "step", "forecast"]
    ].to_csv(out, index=False)
    board = predictor.leaderboard(silent=True)
    with open(out + ".json", "w") as fh:
        json.dump({
            "wall": done - start, "fit": fitted - start, "predict": done - fitted,
            "best": str(board.iloc[0]["model"]), "models": [str(m) for m in board["model"]],
            "autogluon": agts.__version__, "torch": torch.__version__,
            "torch_cuda": torch.version.cuda, "pandas": pd.__version__,
        }, fh)


if __name__ == "__main__":
    main()
