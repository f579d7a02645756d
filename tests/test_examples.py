"""The example script's forecaster runs as written (its arguments went out of date unseen:
``fill="zero"`` was no argument, and the script crashed on its first call)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "walmart_store_sales.py"


def test_the_walmart_example_fits_and_forecasts_a_few_series(walmart_small: pd.DataFrame) -> None:
    spec = importlib.util.spec_from_file_location("walmart_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    sales = walmart_small[walmart_small["Dept"] <= 3]
    fc = example.forecaster().fit(sales)
    future = fc.make_future_frame().assign(IsHoliday=False)
    out = fc.predict(future=future)
    assert len(out) == 3 * example.H and (out["q0.1"] <= out["q0.9"]).all()
