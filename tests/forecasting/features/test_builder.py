"""The feature matrix: calendar and holiday features on the local clock."""

from __future__ import annotations

import numpy as np
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


def test_columns_named_by_numbers_get_text_names_for_lightgbm() -> None:
    """A column labelled 7 (a table read with header=None) failed every LightGBM trial."""
    spec = FeatureSpec(LagSpec((1,), ()), known_future=(7, 0))
    shown = spec.names
    assert 7 in shown and 0 in shown
    assert [spec.model_names[shown.index(c)] for c in (7, 0)] == ["7", "0"]


def test_user_columns_keep_their_names_and_lightgbm_gets_unique_names_it_accepts() -> None:
    """Covariates named like tsauto's own features (``month``, ``lag1``, ``series_id``) or with
    characters LightGBM refuses (``[``, ``:``, ``,``): shown by the user's names, tsauto's
    feature beside one suffixed with its family; LightGBM's names are unique, without them
    (it failed on ``Feature (month) appears more than one time`` and on JSON characters)."""
    spec = FeatureSpec(
        LagSpec((1, 2), (13,)),
        calendar=("weekofyear", "month", "day"),
        known_future=("month", "lag1", "Temp: avg [F]", "Promo {x}"),
        past=("Fuel, USD",),
        past_lags=(8,),
        static=("Size [sq ft]", "series_id"),
        categorical=("Promo {x}", "series_id"),
        covariate_diffs=(1,),
    )
    names = spec.names
    assert len(set(names)) == len(names) == len(spec.families)
    assert {"month", "lag1", "Temp: avg [F]", "Promo {x}", "Size [sq ft]", "series_id"} <= set(names)
    assert {"month (calendar)", "lag1 (target lags)", "series_id (series id)", "Fuel, USD_lag8"} <= set(names)
    assert names[:4] == ["lag1 (target lags)", "lag2", "roll13_mean", "roll13_std"]
    model = spec.model_names
    assert len(set(model)) == len(model) == len(names)
    assert not [n for n in model if set(n) & set('",:[]{} ')]
    assert [m for n, m in zip(names, model) if n == m] == [n for n in names if not set(n) & set('",:[]{} ')]
    assert [names[i] for i in spec.categorical_index] == ["Promo {x}", "series_id", "series_id (series id)"]
    assert spec.families[names.index("month (calendar)")] == "calendar"
    assert spec.families[names.index("Temp: avg [F]_diff1")] == "Temp: avg [F]"
