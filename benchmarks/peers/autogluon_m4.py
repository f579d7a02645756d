"""AutoGluon-TimeSeries on an M4 set, run in its own virtual environment (it needs pandas 2).

    python autogluon_m4.py LONG_CSV HORIZON FREQ BUDGET OUT_CSV

Reads the M4 long file (unique_id, t, y, split), maps the integer steps to a dummy regular
calendar (M4 Hourly/Weekly have no dates), fits `presets="medium_quality"` within BUDGET
seconds and writes the mean forecasts (unique_id, step, forecast) and the wall time.
"""

import json
import sys
import time

import pandas as pd


def main() -> None:
    path, horizon, freq, budget, out = sys.argv[1:6]
    from autogluon.timeseries import TimeSeriesDataFrame, TimeSeriesPredictor

    df = pd.read_csv(path)
    train = df[df["split"] == "train"].copy()
    calendar = pd.date_range("2000-01-03", periods=int(train["t"].max()), freq=freq)
    train["timestamp"] = calendar[train["t"].to_numpy() - 1]
    data = TimeSeriesDataFrame.from_data_frame(
        train[["unique_id", "timestamp", "y"]], id_column="unique_id", timestamp_column="timestamp"
    )
    start = time.monotonic()
    predictor = TimeSeriesPredictor(
        prediction_length=int(horizon), eval_metric="MASE", target="y", freq=freq, verbosity=1,
        path=out + ".ag",
    )
    predictor.fit(data, presets="medium_quality", time_limit=float(budget))
    pred = predictor.predict(data)
    wall = time.monotonic() - start
    mean = pred["mean"].reset_index()
    mean["step"] = mean.groupby("item_id").cumcount() + 1
    mean.rename(columns={"item_id": "unique_id", "mean": "forecast"})[
        ["unique_id", "step", "forecast"]
    ].to_csv(out, index=False)
    board = predictor.leaderboard(silent=True)
    with open(out + ".json", "w") as fh:
        json.dump({"wall": wall, "best": str(board.iloc[0]["model"])}, fh)


if __name__ == "__main__":
    main()
