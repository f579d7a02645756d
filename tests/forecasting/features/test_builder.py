"""The feature matrix: calendar and holiday features on the local clock."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import shared_file

from tsauto import datasets
from tsauto.forecasting.features.builder import FeatureBuilder, FeatureSpec
from tsauto.forecasting.features.lags import LagSpec
from tsauto.forecasting.validation import validate


def test_calendar_and_holidays_read_the_local_clock_of_stamps_kept_in_utc() -> None:
    """Half-hourly Melbourne demand (stamps in the night hours: kept in UTC internally): the
    hour, weekday and Christmas flag are those of Melbourne, across daylight saving (they were
    UTC's: hour 13 on local midnight, Christmas flagged from 11:00 on the 25th)."""
    shared_file("forecasting/other/vic_elec.csv.gz")
    v = datasets.load_vic_elec()
    v = v[(v["Time_local"] >= "2014-06-28") & (v["Time_local"] < "2014-12-27")]
    panel = validate(v[["Time_local", "Demand"]], target="Demand", time="Time_local")
    assert panel.schema.tz == "Australia/Melbourne"  # read as UTC, restored on output
    spec = FeatureSpec(LagSpec((), ()), calendar=("hour", "dayofweek"), holiday_countries=("AU",), use_id=False)
    features = FeatureBuilder(spec, panel.schema.freq, panel.keys).train_matrix(panel, panel.y)
    local = v["Time_local"].dt
    np.testing.assert_array_equal(features[:, 0], local.hour)
    np.testing.assert_array_equal(features[:, 1], local.day_of_week)
    christmas = (local.month == 12) & (local.day == 25)
    np.testing.assert_array_equal(features[:, 2], christmas.astype(float) + ((local.month == 12) & (local.day == 26)))
