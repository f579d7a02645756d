"""ProphetLearner on real series: ABS aus_retail, Victoria electricity, lynx, Walmart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pmdarima
import prophet
import pytest
import statsmodels.api as sm

from tsauto.forecasting.validation import validate, validate_like
from tsauto.datasets import load_vic_elec
from tsauto.core.exceptions import DatasetNotFoundError, DataValidationError
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.prophet import ProphetLearner

QUANTILES = (0.1, 0.5, 0.9)


@pytest.fixture(scope="module")
def retail(aus_retail: pd.DataFrame):
    """Three Victorian retail series, train (last 12 months held out) and full panels."""
    df = aus_retail[aus_retail["State"] == "Victoria"]
    df = df[df["Industry"].isin(df["Industry"].unique()[:3])].drop(columns="Series ID")
    full = validate(df, target="Turnover", time="Month", ids=["State", "Industry"])
    return full.head(full.lengths - 12), full


@pytest.fixture(scope="module")
def retail_fit(retail):
    train, _ = retail
    task = Task(horizon=12, season=12, quantiles=QUANTILES, holidays=("AU",), n_jobs=1)
    return ProphetLearner().fit(train, task)


def test_shapes_quantile_order_and_accuracy(retail_fit, retail) -> None:
    train, full = retail
    fc = retail_fit.predict(train)
    assert fc.mean.shape == (3, 12) and set(fc.quantiles) == set(QUANTILES)
    assert retail_fit.failures_.empty
    lo, mid, hi = (fc.quantiles[q] for q in QUANTILES)
    assert np.all(lo <= mid) and np.all(mid <= hi) and np.all(lo < hi)
    assert np.all((lo <= fc.mean) & (fc.mean <= hi))
    truth = full.y.reshape(3, -1)[:, -12:]
    assert np.all(np.abs(fc.mean - truth) / truth < 0.25)
    # monthly data: holidays enter as the number of holidays in each month
    assert all(state.holiday_counts == ("AU",) for state in retail_fit.states_)
    model = retail_fit.states_[0].model
    assert "yearly" in model.seasonalities and "weekly" not in model.seasonalities


def _extended(train, values_of, months: int = 12):
    """``train`` and ``months`` newer months per series, valued ``values_of(i, dates)``."""
    frame = train.to_frame()
    parts = [frame]
    for i, key in train.keys.iterrows():
        dates = pd.date_range(pd.Timestamp(train.last_times[i]), periods=months + 1, freq="MS")[1:]
        parts.append(key.to_frame().T.iloc[[0] * months].assign(Month=dates, Turnover=values_of(i, dates)))
    return validate_like(pd.concat(parts, ignore_index=True), train.schema)


def _prophet_parts(model, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Prophet's own prediction (trend, seasonal terms, yhat) at ``dates``."""
    return model.predict(pd.DataFrame({"ds": dates, "holidays_AU": _au_counts(dates)}))


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside Prophet.predict
def test_predict_from_newer_history_reanchors_without_refit(retail_fit, retail, monkeypatch) -> None:
    """Newer observations move the trend's offset, every other fitted parameter kept: new months
    that sit ``c`` above the fitted model's own fit move the forecasts (and every quantile
    draw) by exactly ``c``; new months on the fitted model's line leave them where Prophet puts
    them."""
    train, _ = retail
    before = retail_fit.predict(train)
    monkeypatch.setattr(
        prophet.Prophet, "fit", lambda *a, **k: pytest.fail("predict must not refit")
    )
    models = [state.model for state in retail_fit.states_]
    params = [{k: v.copy() for k, v in m.params.items()} for m in models]
    on_line = _extended(train, lambda i, d: _prophet_parts(models[i], d)["yhat"].to_numpy())
    c = 0.2 * train.y.reshape(3, -1)[:, -12:].mean(axis=1)  # a 20 % level shift per series
    above = _extended(train, lambda i, d: _prophet_parts(models[i], d)["yhat"].to_numpy() + c[i])
    fc_on, fc_above = retail_fit.predict(on_line), retail_fit.predict(above)
    future = pd.date_range(pd.Timestamp(on_line.last_times[0]), periods=13, freq="MS")[1:]
    for i, model in enumerate(models):
        np.testing.assert_allclose(fc_on.mean[i], _prophet_parts(model, future)["yhat"], rtol=1e-9)
    np.testing.assert_allclose(fc_above.mean, fc_on.mean + c[:, None], rtol=1e-9)
    for q in QUANTILES:  # same seed, same draws: the whole distribution moves with the trend
        np.testing.assert_allclose(fc_above.quantiles[q], fc_on.quantiles[q] + c[:, None], rtol=1e-9)
    # predict is pure: the fitted parameters and the forecast from the training data are kept
    for model, saved in zip(models, params):
        for k, v in saved.items():
            np.testing.assert_array_equal(model.params[k], v)
    np.testing.assert_array_equal(retail_fit.predict(train).mean, before.mean)
    dates = pd.date_range(pd.Timestamp(train.last_times[0]), periods=13, freq="MS")[1:]
    np.testing.assert_allclose(before.mean[0], _prophet_parts(models[0], dates)["yhat"], rtol=1e-9)


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside Prophet.predict
def test_multiplicative_reanchoring_moves_the_trend(retail) -> None:
    """In multiplicative mode the trend moves, so the shift scales with each month's
    seasonal factor: yhat = (trend + c) * (1 + multiplicative terms)."""
    train, _ = retail
    task = Task(horizon=6, season=12, n_jobs=1)
    learner = ProphetLearner(seasonality_mode="multiplicative", uncertainty_samples=0)
    learner.fit(train.take(np.array([0])), task)
    model = learner.states_[0].model
    one = train.take(np.array([0]))
    c = 0.15 * one.y[-12:].mean()

    def moved(i, dates):
        parts = model.predict(pd.DataFrame({"ds": dates}))
        return (parts["trend"] + c) * (1 + parts["multiplicative_terms"]) + parts["additive_terms"]

    newer = _extended(one, lambda i, d: moved(i, d).to_numpy(), months=9)
    future = pd.date_range(pd.Timestamp(newer.last_times[0]), periods=7, freq="MS")[1:]
    np.testing.assert_allclose(learner.predict(newer).mean[0], moved(0, future), rtol=1e-9)


def _au_counts(dates: pd.DatetimeIndex) -> np.ndarray:
    from tsauto.forecasting.features.holiday import holiday_features

    return holiday_features(dates.to_numpy(), "AU", "MS")[:, 0]


def test_integer_time_is_a_clear_error() -> None:
    y = pmdarima.datasets.load_wineind().astype(float)
    panel = validate(pd.DataFrame({"t": np.arange(len(y)), "y": y}), target="y", time="t")
    with pytest.raises(DataValidationError, match="Prophet needs calendar time stamps"):
        ProphetLearner().fit(panel, Task(horizon=3, season=12))


def test_unknown_holiday_country_is_a_clear_error(retail) -> None:
    with pytest.raises(DataValidationError, match="holidays='XX'"):
        ProphetLearner().fit(retail[0], Task(horizon=3, season=12, holidays=("XX",)))


def test_holidays_are_honoured() -> None:
    """Victoria's daily electricity demand drops on Christmas and Boxing Day."""
    try:
        df = load_vic_elec()
    except DatasetNotFoundError as err:
        pytest.skip(f"forecasting/other/vic_elec.csv.gz not found: {err}")
    daily = df.groupby("Date", as_index=False)["Demand"].sum()
    panel = validate(daily[daily["Date"] < "2013-12-18"], target="Demand", time="Date")
    dates = pd.date_range("2013-12-18", periods=14)
    christmas = dates.isin(pd.to_datetime(["2013-12-25", "2013-12-26"]))
    means = {}
    for countries in [(), ("AU-VIC",)]:
        task = Task(horizon=14, season=7, holidays=countries)
        learner = ProphetLearner(uncertainty_samples=0).fit(panel, task)
        means[countries] = learner.predict(panel).mean[0]
    with_holidays, without = means[("AU-VIC",)], means[()]
    assert np.all(with_holidays[christmas] < 0.85 * without[christmas])
    np.testing.assert_allclose(with_holidays[~christmas], without[~christmas], rtol=0.05)
    truth = daily.set_index("Date").loc[dates, "Demand"].to_numpy()
    assert np.mean(np.abs(with_holidays - truth)) < np.mean(np.abs(without - truth))


def test_clipped_at_zero_only_for_non_negative_history() -> None:
    lynx = pmdarima.datasets.load_lynx().astype(float)  # trappings 1821-1934, troughs near 0
    panel = validate(
        pd.DataFrame({"year": pd.date_range("1821", periods=len(lynx), freq="YS"), "y": lynx}),
        target="y",
        time="year",
    )
    task = Task(horizon=10, season=1, quantiles=(0.1, 0.9))
    fc = ProphetLearner().fit(panel, task).predict(panel)
    assert np.all(fc.quantiles[0.1] >= 0) and np.any(fc.quantiles[0.1] == 0)
    assert np.all(fc.mean >= 0)
    macro = sm.datasets.macrodata.load_pandas().data  # US inflation, negative in 2009
    infl = pd.DataFrame(
        {"quarter": pd.date_range("1959-01-01", periods=len(macro), freq="QS"),
         "infl": macro["infl"].to_numpy()}
    )
    panel = validate(infl, target="infl", time="quarter")
    fc = ProphetLearner().fit(panel, task).predict(panel)
    assert np.any(fc.quantiles[0.1] < 0)


def test_failing_series_falls_back(aus_retail: pd.DataFrame) -> None:
    df = aus_retail[aus_retail["State"] == "Tasmania"].drop(columns="Series ID")
    liquor = df[df["Industry"] == "Liquor retailing"]  # 32 months
    tiny = liquor.iloc[-2:].assign(Industry="tiny")
    panel = validate(pd.concat([liquor, tiny]), target="Turnover", time="Month", ids=["Industry"])
    learner = ProphetLearner().fit(panel, Task(horizon=4, season=12, quantiles=(0.1, 0.9)))
    assert learner.failures_["Industry"].tolist() == ["tiny"]
    fc = learner.predict(panel)
    tiny_row = panel.keys["Industry"].tolist().index("tiny")
    np.testing.assert_array_equal(fc.mean[tiny_row], np.repeat(tiny["Turnover"].iloc[-1], 4))
    assert np.all(np.isfinite(fc.quantiles[0.1]))


def test_holiday_column_gives_each_series_its_country(aus_retail: pd.DataFrame) -> None:
    df = aus_retail[aus_retail["Industry"] == "Food retailing"].drop(columns="Series ID")
    df = df[df["State"].isin(["Victoria", "Queensland"]) & (df["Month"] >= "2010-01-01")]
    df = df.assign(Region=df["State"].map({"Victoria": "AU-VIC", "Queensland": "AU-QLD"}))
    panel = validate(df, target="Turnover", time="Month", ids=["State"])
    assert "Region" in panel.schema.static
    task = Task(horizon=6, season=12, holiday_column="Region")
    learner = ProphetLearner().fit(panel, task)
    by_state = dict(zip(panel.keys["State"], learner.states_))
    assert by_state["Victoria"].holiday_counts == ("AU-VIC",)
    assert by_state["Queensland"].holiday_counts == ("AU-QLD",)
    assert learner.keys_.equals(panel.keys) and learner.failures_.empty
    assert learner.predict(panel).mean.shape == (2, 6)


def test_known_future_covariates_are_regressors(walmart_holiday_split) -> None:
    panel, flags = walmart_holiday_split
    learner = ProphetLearner(uncertainty_samples=0).fit(panel, Task(horizon=10, season=52))
    assert "known_future_0" in learner.states_[0].model.extra_regressors
    with_flags = learner.predict(panel, {"IsHoliday": np.tile(flags, (2, 1))}).mean
    without = learner.predict(panel, {"IsHoliday": np.zeros((2, 10))}).mean
    diff = with_flags - without
    assert np.all(np.abs(diff[:, flags == 1]) > 100)
    np.testing.assert_allclose(diff[:, flags == 0], 0, atol=1e-6)
    with pytest.raises(DataValidationError, match="IsHoliday"):
        learner.predict(panel)


def test_zoned_sub_daily_stamps_are_read_on_the_local_clock() -> None:
    """Half-hourly Melbourne demand, kept in UTC internally: Prophet's dates (on which its
    holidays and daily seasonality fall) are Melbourne's, across daylight saving; they were
    UTC's, Christmas 11 hours late."""
    try:
        v = load_vic_elec()
    except DatasetNotFoundError as err:
        pytest.skip(f"forecasting/other/vic_elec.csv.gz not found: {err}")
    v = v[(v["Time_local"] >= "2013-09-25") & (v["Time_local"] < "2013-10-12")]  # daylight saving from 6 Oct
    panel = validate(v[["Time_local", "Demand"]], target="Demand", time="Time_local")
    assert panel.schema.tz == "Australia/Melbourne"
    learner = ProphetLearner(uncertainty_samples=0).fit(panel, Task(horizon=4, season=48, holidays=("AU-VIC",)))
    dates = learner.states_[0].model.history_dates
    np.testing.assert_array_equal(dates.to_numpy(), v["Time_local"].dt.tz_localize(None).to_numpy())
    ahead = learner._local(np.asarray(panel.times[-1:]) + np.timedelta64(30, "m"))
    assert ahead[0] == v["Time_local"].iloc[-1].tz_localize(None) + pd.Timedelta(30, "min")
