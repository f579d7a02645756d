"""The Forecaster facade end to end on real series."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
from engine_doubles import ctrl_c_after

from tsauto import Forecaster
from tsauto.forecasting.learners.theta import ThetaLearner
from tsauto.core.exceptions import DataValidationError, IncompatibleModelError, NotFittedError
from tsauto.forecasting.learners.lightgbm import LightGBMLearner
from tsauto.forecasting.search import ForecastEvaluator

KW = dict(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6)


@pytest.fixture(scope="module")
def split(aus_small: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = aus_small["Month"].max() - pd.DateOffset(months=6)
    return aus_small[aus_small["Month"] <= cut], aus_small[aus_small["Month"] > cut]


@pytest.fixture(scope="module")
def fitted(split) -> Forecaster:
    return Forecaster(**KW, learners=["lightgbm"]).fit(split[0])


def test_forecast_table_shape_and_times(fitted: Forecaster, split) -> None:
    out = fitted.predict()
    assert list(out.columns) == ["State", "Industry", "Month", "forecast"]
    assert len(out) == 12 * 6
    assert np.isfinite(out["forecast"]).all()
    last = split[0]["Month"].max()
    expected = pd.date_range(last, periods=7, freq="MS")[1:]
    assert (out.groupby(["State", "Industry"])["Month"].apply(list).map(list) == [list(expected)] * 12).all()


def test_one_learner_without_a_search_is_not_scored_and_says_so(fitted: Forecaster) -> None:
    (row,) = fitted.leaderboard().to_dict("records")
    assert row["learner"] == "lightgbm" and row["weight"] == 1.0
    assert np.isnan(row["mase"]) and row["reason"].startswith("not validated")


def test_predict_from_training_history_equals_predict(fitted: Forecaster, split) -> None:
    pd.testing.assert_frame_equal(fitted.predict(), fitted.predict(history=split[0]))


def test_predict_from_newer_history_without_refit(fitted: Forecaster, split, monkeypatch) -> None:
    monkeypatch.setattr(LightGBMLearner, "_fit", lambda *a, **k: pytest.fail("refit"))
    newer = pd.concat([split[0], split[1][split[1]["Month"] <= split[1]["Month"].min() + pd.DateOffset(months=2)]])
    out = fitted.predict(history=newer)
    assert out["Month"].min() == newer["Month"].max() + pd.DateOffset(months=1)
    assert not np.allclose(out["forecast"].to_numpy(), fitted.predict()["forecast"].to_numpy())


def test_a_month_missing_from_a_feed_of_new_rows_is_bridged(fitted: Forecaster, split, caplog) -> None:
    """User test 59 F2: given only the new rows, a series missing the first new month was read
    from its new rows alone (its training history lost, its forecast flat); it continues its
    training rows across the gap, the month imputed by the fill rule, as when the whole history
    with that month missing is given."""
    new = split[1][split[1]["Month"] <= split[1]["Month"].min() + pd.DateOffset(months=2)]
    one = (new["State"] == new["State"].iloc[0]) & (new["Industry"] == new["Industry"].iloc[0])
    feed = new[~(one & (new["Month"] == new["Month"].min()))]
    with caplog.at_level(logging.WARNING):
        out = fitted.predict(history=feed)
    assert "history=: 1 series start 2 to 2 steps after the training data's end: continued across the gap" in caplog.text
    whole = fitted.predict(history=pd.concat([split[0], feed]))  # the gap inside the history: imputed
    pd.testing.assert_frame_equal(out, whole)


def test_unseen_series_are_forecast_from_their_history(fitted: Forecaster, aus_retail, caplog) -> None:
    other = aus_retail[(aus_retail["State"] == "Queensland") & (aus_retail["Industry"] == "Takeaway food services")]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fitted.predict(history=other.drop(columns="Series ID"))
    assert len(out) == 6 and np.isfinite(out["forecast"]).all()
    level = other["Turnover"].tail(12).mean()
    assert (out["forecast"].between(0.5 * level, 1.5 * level)).all()
    assert "1 of 1 series of history= were not in the training data (Queensland/Takeaway food services)" in caplog.text


def test_series_of_the_fit_absent_from_history_are_named(fitted: Forecaster, split, caplog) -> None:
    """A trained series missing from the newer rows got no forecast without a word (user test)."""
    train = split[0]
    first = (train["State"] == train["State"].iloc[0]) & (train["Industry"] == train["Industry"].iloc[0])
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fitted.predict(history=train[~first])
    n = fitted.history_.n_series
    assert len(out) == (n - 1) * 6
    name = f"{train['State'].iloc[0]}/{train['Industry'].iloc[0]}"
    assert f"1 of {n} series of the fit are not in history= and get no forecast ({name})" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fitted.predict(history=train)
    assert "get no forecast" not in caplog.text


def test_save_load_roundtrip_is_identical(fitted: Forecaster, tmp_path) -> None:
    path = fitted.save(tmp_path / "model.tsauto")
    loaded = Forecaster.load(path)
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())


def test_load_refuses_other_versions_and_files(fitted: Forecaster, tmp_path) -> None:
    import json

    from tsauto.core import persistence

    path = fitted.save(tmp_path / "model.tsauto")
    magic, line, payload = path.read_bytes().split(b"\n", 2)
    header = {**json.loads(line), "format_version": persistence.FORMAT_VERSION + 1}
    header["header_sha256"] = persistence.header_digest(header)
    future = tmp_path / "future.tsauto"
    future.write_bytes(magic + b"\n" + json.dumps(header).encode() + b"\n" + payload)
    with pytest.raises(IncompatibleModelError, match="format"):
        Forecaster.load(future)
    (tmp_path / "junk.tsauto").write_text("not a model")
    with pytest.raises(IncompatibleModelError):
        Forecaster.load(tmp_path / "junk.tsauto")


def test_backtest_never_trains_on_its_future(aus_small: pd.DataFrame) -> None:
    fc = Forecaster(**KW, learners=["lightgbm"])
    result = fc.backtest(aus_small, folds=2, step=3)
    f = result.forecasts
    assert set(f["fold"]) == {0, 1}
    assert (f["Month"] > f["cutoff"]).all()
    assert f.groupby(["fold"])["cutoff"].nunique().eq(1).all()
    cutoffs = sorted(f["cutoff"].unique())
    assert cutoffs[1] - cutoffs[0] == pd.Timedelta(days=(cutoffs[1] - cutoffs[0]).days)
    assert (pd.DatetimeIndex(cutoffs)[1] - pd.DateOffset(months=3)) == pd.DatetimeIndex(cutoffs)[0]
    assert len(f) == 2 * 12 * 6
    assert {"mase", "smape", "wape"} <= set(result.summary.columns)
    assert list(result.summary["model"]) == ["lightgbm", "seasonal_naive"]
    model, naive = result.summary["mase"]
    assert model < naive  # the global model beats seasonal naive on retail turnover


def test_a_nested_backtest_with_a_run_dir_searches_each_cutoff_in_a_folder_of_its_own(
    aus_small: pd.DataFrame, tmp_path, caplog
) -> None:
    """Every fold's fit reused the run_dir, and the second refused the first's data (review
    56 B2): each cutoff searches in ``backtest-<cutoff>-<hash>``, which a rerun resumes; a refit
    backtest does not search and leaves the folder alone."""
    run = tmp_path / "run"
    fc = Forecaster(**KW, learners=["theta", "seasonal_naive"], search={"run_dir": str(run), "max_trials": 2},
                    compute={"backend": "sequential"})
    first = fc.backtest(aus_small, folds=2)
    names = sorted(p.name for p in run.iterdir() if p.is_dir())
    assert [re.sub(r"-[0-9a-f]{8}$", "", n) for n in names] == ["backtest-2017-12-01", "backtest-2018-06-01"]
    with caplog.at_level(logging.INFO, logger="tsauto.core.journal"):
        again = fc.backtest(aus_small, folds=2)
    assert caplog.text.count("resuming the search in") == 2
    pd.testing.assert_frame_equal(first.summary, again.summary)
    fc.fit(aus_small)
    fc.backtest(aus_small, folds=1, mode="refit")
    assert sorted(p.name for p in run.iterdir()) == [*names, "journal.log", "trials", "tsauto.lock"]


def test_quantiles_are_ordered_and_cover(split) -> None:
    fc = Forecaster(**KW, quantiles=[0.1, 0.9]).fit(split[0])
    out = fc.predict()
    assert (out["q0.1"] <= out["forecast"]).all() and (out["forecast"] <= out["q0.9"]).all()
    merged = out.merge(split[1], on=["State", "Industry", "Month"])
    inside = merged["Turnover"].between(merged["q0.1"], merged["q0.9"]).mean()
    assert inside >= 0.5  # an 80 % interval should hold most of the truth


def test_short_series_fall_back_to_seasonal_naive(split) -> None:
    train = split[0]
    first = train[(train["State"] == "Tasmania")]["Industry"].iloc[0]
    short = train[~((train["State"] == "Tasmania") & (train["Industry"] == first))]
    tiny = train[(train["State"] == "Tasmania") & (train["Industry"] == first)].tail(2)
    df = pd.concat([short, tiny])
    fc = Forecaster(**KW, learners=["lightgbm"]).fit(df)
    out = fc.predict()
    assert len(out) == 12 * 6 and np.isfinite(out["forecast"]).all()
    fb = fc.fallbacks_
    assert len(fb) == 1 and fb["Industry"].iloc[0] == first
    assert "seasonal_naive" in fb["reason"].iloc[0]
    dropped = Forecaster(**KW, learners=["lightgbm"], data={"short_series": "drop"}).fit(df).predict()
    assert len(dropped) == 11 * 6


def test_no_window_to_validate_fits_theta_alone_or_says_why(split) -> None:
    # a year of each series and 18 months to forecast: nothing can be held out to compare on
    year = split[0].groupby(["State", "Industry"]).tail(12)
    kw = {**KW, "horizon": 18}
    fc = Forecaster(**kw, quantiles=[0.1, 0.9], time_budget=30).fit(year)
    assert list(fc.leaderboard()["learner"]) == ["theta"] and fc.plan_.notes[0].startswith(
        "no series has more observations than horizon=18 (the longest has 12)")
    out = fc.predict()
    series = len(year.groupby(["State", "Industry"]))
    assert len(out) == 18 * series
    assert (out["q0.1"] <= out["forecast"]).all() and (out["forecast"] <= out["q0.9"]).all()
    with pytest.raises(DataValidationError, match="no window can be validated: the learners cannot be compared"):
        Forecaster(**kw, learners=["theta", "naive"]).fit(year)
    with pytest.raises(DataValidationError, match="'theta', the default then, is excluded"):
        Forecaster(**kw, search={"exclude": ["theta"]}).fit(year)
    two = year.groupby(["State", "Industry"]).tail(2)  # too short for Theta too: the last value
    fc = Forecaster(**kw).fit(two)
    assert list(fc.leaderboard()["learner"]) == ["seasonal_naive"]
    last = two.groupby(["State", "Industry"])["Turnover"].last().to_numpy()
    assert np.allclose(fc.predict().groupby(["State", "Industry"])["forecast"].first().to_numpy(), last)


def test_a_search_that_finished_no_trial_names_the_budget_that_would_do(split, monkeypatch) -> None:
    """"every trial failed (no trial ran); give a larger time_budget" gave no number: the user
    tried 1 s, then 2 s (user test). The budget a default trial needs is named; without a
    budget there is none to name. (Whether a tiny budget runs a trial depends on the workers
    being started already: the search's failure is made here.)"""
    from tsauto.core import engine
    from tsauto.core.exceptions import SearchFailedError

    def failed(out_of_time: bool):
        def search(*args, **kwargs):
            raise SearchFailedError("every trial failed (no trial ran); give a larger time_budget", out_of_time)
        return search

    monkeypatch.setattr(engine, "search_and_refit", failed(True))
    with pytest.raises(SearchFailedError, match=r"no trial ran.*a time_budget of about (\d+)s lets it finish") as err:
        Forecaster(**KW, time_budget=0.5).fit(split[0])
    assert 3 <= int(re.search(r"about (\d+)s lets", str(err.value))[1]) <= 60  # the workers' start alone: 2 s
    with pytest.raises(SearchFailedError) as err:
        Forecaster(**KW, search={"max_trials": 3}).fit(split[0])
    assert "time_budget of about" not in str(err.value)
    monkeypatch.setattr(engine, "search_and_refit", failed(False))  # trials that failed, not for time
    with pytest.raises(SearchFailedError) as err:
        Forecaster(**KW, time_budget=0.5).fit(split[0])
    assert "time_budget of about" not in str(err.value)


def test_several_learners_are_compared_on_a_leaderboard(split) -> None:
    fc = Forecaster(**KW, learners=["lightgbm", "seasonal_naive", "naive"], search={"ensemble": False})
    board = fc.fit(split[0]).leaderboard()
    assert sorted(board["learner"]) == ["lightgbm", "naive", "seasonal_naive"]
    assert (board["status"] == "ok").all()
    assert {"mase_fold0", "mase_fold1", "fit_time"} <= set(board.columns)
    best = board.loc[board["mase"].idxmin(), "learner"]
    assert fc.model_.learner.name == best
    assert board.set_index("learner")["weight"].to_dict()[best] == 1.0


def test_clear_errors(split) -> None:
    with pytest.raises(NotFittedError):
        Forecaster(**KW).predict()
    with pytest.raises(DataValidationError, match="unknown forecasting learner 'xgb'"):
        Forecaster(**KW, learners=["xgb"]).fit(split[0])
    with pytest.raises(DataValidationError, match="positive integer"):
        Forecaster(**{**KW, "horizon": 0}).fit(split[0])


def test_holidays_and_known_future_on_walmart(walmart_small: pd.DataFrame) -> None:
    cut = pd.Timestamp("2012-08-31")
    train = walmart_small[walmart_small["Date"] <= cut]
    future = walmart_small[walmart_small["Date"] > cut]
    fc = Forecaster(
        target="Weekly_Sales",
        time="Date",
        ids=["Store", "Dept"],
        horizon=4,
        holidays="US",
        known_future=["IsHoliday"],
        learners=["lightgbm"],  # the learner that reads holiday and covariate features
    ).fit(train)
    names = fc.model_.learner.spec_.names
    assert {"holiday_US", "days_to_holiday_US", "IsHoliday", "series_id"} <= set(names)
    out = fc.predict(future=future)
    assert len(out) == 10 * 4 and np.isfinite(out["forecast"]).all()
    with pytest.raises(DataValidationError, match="future="):
        fc.predict()


def test_covariates_no_member_reads_need_no_future_table(walmart_small: pd.DataFrame, caplog) -> None:
    """A model of Theta and naive (neither reads covariates) fitted with known_future=: a
    warning says they are not used, and predict() forecasts without future= (it demanded the
    values, though changing them changed nothing)."""
    cut = pd.Timestamp("2012-08-31")
    train, future = walmart_small[walmart_small["Date"] <= cut], walmart_small[walmart_small["Date"] > cut]
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
                    known_future=["IsHoliday"], learners=["theta", "naive"]).fit(train)
    assert not fc.model_.reads_known_future
    assert "known-future covariates ['IsHoliday'] are not used" in caplog.text
    pd.testing.assert_frame_equal(fc.predict(), fc.predict(future=future))


def test_future_rows_left_in_the_training_table_are_its_future(walmart_small: pd.DataFrame) -> None:
    """The weeks to forecast, kept in the table with their holiday flag and no sales, are not
    history: the forecast starts after the last week with sales and reads their flags."""
    cut = pd.Timestamp("2012-08-31")
    table = walmart_small[walmart_small["Date"] <= cut + pd.Timedelta(weeks=4)].copy()
    table.loc[table["Date"] > cut, "Weekly_Sales"] = np.nan
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
              known_future=["IsHoliday"], learners=["lightgbm"])
    fc = Forecaster(**kw).fit(table)
    with pytest.raises(DataValidationError, match="pass that table as future= too"):
        fc.predict()
    out = fc.predict(future=table)
    assert (out["Date"] > cut).all() and out["Date"].max() == cut + pd.Timedelta(weeks=4)
    same = Forecaster(**kw).fit(table[table["Date"] <= cut]).predict(future=table)
    pd.testing.assert_frame_equal(out, same)


def test_later_tables_of_an_aggregated_model_are_rolled_up_as_at_fit(walmart_small: pd.DataFrame) -> None:
    """Weeks summed to months: the future's weekly holiday flags and a weekly history are rolled
    up to months by the fit's rules (the flag's share of weeks), not refused as off the grid."""
    kw = dict(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=2, known_future=["IsHoliday"],
              learners=["lightgbm"], data={"aggregate": "sum", "freq": "MS"})
    weeks = walmart_small[walmart_small["Dept"] <= 3]
    fc = Forecaster(**kw).fit(weeks[weeks["Date"] < "2012-08-01"])
    months = weeks.assign(Date=weeks["Date"].dt.to_period("M").dt.to_timestamp())
    by_hand = months.groupby(["Store", "Dept", "Date"], as_index=False)["IsHoliday"].mean()
    out = fc.predict(future=weeks)
    pd.testing.assert_frame_equal(out, fc.predict(future=by_hand))
    assert out["Date"].min() == pd.Timestamp("2012-08-01")
    later = fc.predict(history=weeks[weeks["Date"] < "2012-09-01"], future=weeks)
    assert later["Date"].min() == pd.Timestamp("2012-09-01") and len(later) == 3 * 2


def test_a_single_quantile_is_forecast_as_a_list_of_one(split) -> None:
    out = Forecaster(**KW, learners=["naive"], quantiles=0.9, compute={"n_jobs": 1}).fit(split[0]).predict()
    assert list(out.columns) == ["State", "Industry", "Month", "forecast", "q0.9"]
    assert (out["q0.9"] >= out["forecast"]).all()


def test_a_model_fitted_on_periods_reads_history_as_given(split) -> None:
    """aggregate= drops a table's first and last periods covered in part, at fit and in
    history= alike: the newest rows are not continued (a day's sum of 5 half-hours was read
    as the day after the training data, forecasts 10x too low: user test)."""
    fc = Forecaster(**{**KW, "horizon": 2}, learners=["naive"], data={"freq": "QS", "aggregate": "sum"}).fit(split[0])
    newest = split[1][split[1]["Month"] >= "2018-07-01"]  # whole quarters after the training data
    assert (fc._history_panel(newest, warn=False).lengths == 2).all()  # read as given


def test_a_history_shorter_than_the_lags_is_named(fitted: Forecaster, split, caplog) -> None:
    """3 months of each series, after a gap of 9 from the training data's end, as history= for
    LightGBM, whose longest lag or window reaches further back: a warning says so and how many
    rows to give; the training data itself, its last 3 months or the months after it (which
    continue it), none. After a gap of 3 (under the long-gap limit, 6 months), the series
    continue their training rows across it (user test 59 F2), not read alone."""
    earlier = split[0][split[0]["Month"] <= split[0]["Month"].max() - pd.DateOffset(months=6)]
    early = Forecaster(**KW, learners=["lightgbm"]).fit(earlier)
    reach = max(max(r) for r in early.model_.members[0][1].learner.lag_reach().values())
    last = split[1].groupby(["State", "Industry"]).tail(3)
    with caplog.at_level(logging.WARNING):
        early.predict(history=last)
    assert f"12 of 12 series of history= hold fewer rows than the {reach} the model reads back" in caplog.text
    assert "12 series of history= start more than a step after the training data's end" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fitted.predict(history=last)
    assert "12 series start 4 to 4 steps after the training data's end: continued across the gap" in caplog.text
    assert "hold fewer rows" not in caplog.text and "more than a step after" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fitted.predict(history=split[0])
        fitted.predict(history=split[0].groupby(["State", "Industry"]).tail(3))
        fitted.predict(history=split[1])
    assert "history=" not in caplog.text


def test_history_gets_the_checks_fit_runs_on_its_newest_rows(fitted: Forecaster, split, caplog) -> None:
    """User test 49, a nightly predict(history=): a stale extract, a series whose newest values
    are missing, an outage's zeros and a unit change were each forecast without a word, for
    dates already past or from values 1,000 times too large, where fit alerts on the same rows."""
    newer = split[1]
    one = (newer["State"] == newer["State"].iloc[0]) & (newer["Industry"] == newer["Industry"].iloc[0])
    name = f"{newer['State'].iloc[0]}/{newer['Industry'].iloc[0]}"
    last = newer["Month"] == newer["Month"].max()
    cases = {
        "stale_history": split[0][split[0]["Month"] <= split[0]["Month"].max() - pd.DateOffset(months=12)],
        "ends_early": newer[~(one & (newer["Month"] > newer["Month"].max() - pd.DateOffset(months=2)))],
        "ends_in_a_drop": newer.assign(Turnover=newer["Turnover"].where(
            ~(one & (newer["Month"] > newer["Month"].max() - pd.DateOffset(months=2))), 0.0)),
        "spikes": newer.assign(Turnover=newer["Turnover"].where(~(one & last), newer["Turnover"] * 1000)),
    }
    said = {}
    for check, history in cases.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tsauto"):
            fitted.predict(history=history)
        said[check] = caplog.text
        assert re.findall(r"data check of history= (\w+)", caplog.text) == [check], caplog.text
    assert ("12 of 12 series of history= end before their training data does (the first at 2017-06-01, its "
            "training rows at 2018-06-01)") in said["stale_history"]
    assert f"(series {name}: 2 steps early, last at " in said["ends_early"]
    assert f"{name}: last 2 steps at 0" in said["ends_in_a_drop"] and name in said["spikes"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fitted.predict(history=newer)
        fitted.predict(history=newer[~one])  # some series only (review 50: called stale)
    assert "data check" not in caplog.text


def test_a_stale_series_of_history_is_named_once(fitted: Forecaster, split, caplog) -> None:
    """A series ending before its training rows end was named twice, as stale_history and as
    ends_early (review 50): once, as stale."""
    train, newer = split
    one = (train["State"] == train["State"].iloc[0]) & (train["Industry"] == train["Industry"].iloc[0])
    old = train[one & (train["Month"] <= train["Month"].max() - pd.DateOffset(months=6))]
    its = (newer["State"] == train["State"].iloc[0]) & (newer["Industry"] == train["Industry"].iloc[0])
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fitted.predict(history=pd.concat([train[~one], newer[~its], old]))
    assert re.findall(r"data check of history= (\w+)", caplog.text) == ["stale_history"], caplog.text
    assert "1 of 12 series of history= end before their training data does" in caplog.text


def test_a_series_that_ended_early_at_fit_is_named_at_every_predict(split, caplog) -> None:
    """A series ended early at fit (a stopped department: Walmart's) and given no newer row is
    forecast for past dates at every predict: named once a call, with its last time (user test
    59 F8: said at fit only), with history= or without; one that got newer rows too."""
    train, newer = split
    one = (train["State"] == train["State"].iloc[0]) & (train["Industry"] == train["Industry"].iloc[0])
    stopped = train[~(one & (train["Month"] > train["Month"].max() - pd.DateOffset(months=3)))]
    fc = Forecaster(**KW, learners=["naive"]).fit(stopped)
    its = (newer["State"] == train["State"].iloc[0]) & (newer["Industry"] == train["Industry"].iloc[0])
    later, first = newer[~its], newer[its]
    caplog.clear()  # the fit's own alert
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=pd.concat([stopped, later]))
    assert re.findall(r"data check of history= (\w+)", caplog.text) == ["ends_early"], caplog.text
    assert "1 of 12 series end before" in caplog.text and "9 steps early, last at " in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict()
    assert re.findall(r"data check of the training data (\w+)", caplog.text) == ["ends_early"], caplog.text
    assert "3 steps early, last at " in caplog.text and "for dates already past" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=pd.concat([stopped, later, first.head(2)]))
    assert "data check of history= ends_early" in caplog.text


def test_history_whose_newest_rows_have_no_target_is_warned_of(fitted: Forecaster, split, caplog) -> None:
    """User test 59 F1: the newest month's rows of every series with an empty target (not
    loaded yet) were dropped without a word, the forecasts starting at that month."""
    train, newer = split
    last = newer["Month"].max()
    history = newer.assign(Turnover=newer["Turnover"].where(newer["Month"] < last))
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fitted.predict(history=history)
    assert out["Month"].min() == last  # as before: the rows without a target are not history
    assert re.findall(r"data check of history= (\w+)", caplog.text) == ["trailing_missing"], caplog.text
    stamp = f"{last:%Y-%m-%d}"
    assert "12 trailing steps without a target" in caplog.text and f"1 steps at {stamp}" in caplog.text
    assert (f"the last rows of 12 of 12 series hold no target (from {stamp} on), so their forecasts start "
            "there") in caplog.text and "fill in the values, or drop those rows" in caplog.text
    assert "belong in future=" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fitted.predict(history=newer[newer["Month"] < last])  # the same rows, cut: no word
    assert "data check" not in caplog.text


def test_a_sparse_series_in_history_is_not_read_as_another_frequency(fitted: Forecaster, split) -> None:
    """User test 50: a Walmart department with a few newest rows a fortnight apart made a weekly
    extract "mix frequencies" (refused); the fit knows the frequency, and its gaps are filled."""
    train, newer = split
    recent = pd.concat([train[train["Month"] > train["Month"].max() - pd.DateOffset(months=2)], newer])
    its = (recent["State"] == train["State"].iloc[0]) & (recent["Industry"] == train["Industry"].iloc[0])
    months = recent["Month"].dt.year * 12 + recent["Month"].dt.month
    sparse = recent[~its | (months % 2 == months[its].max() % 2)]  # that series: every other month
    assert its[sparse.index].sum() == 4
    out = fitted.predict(history=sparse)
    assert out["Month"].min() == newer["Month"].max() + pd.DateOffset(months=1) and len(out) == 12 * 6


def test_the_newest_rows_alone_continue_the_training_data(split, caplog) -> None:
    """history= of the newest rows only (the months after the fit, or its last ones revised)
    forecast as from the whole table: the model read just them before (user test, 4 new
    quarters of M1: MASE 2.03 against 1.57 with the whole history)."""
    fc = Forecaster(**KW, learners=["ets", "lightgbm"], quantiles=[0.1, 0.9]).fit(split[0])
    whole = pd.concat([split[0], split[1]])
    with caplog.at_level(logging.INFO, logger="tsauto"):
        pd.testing.assert_frame_equal(fc.predict(history=split[1]), fc.predict(history=whole))
    assert "history=: 12 series continue the training data" in caplog.text
    revised = split[0].groupby(["State", "Industry"]).tail(2).assign(Turnover=lambda d: d["Turnover"] * 1.1)
    by_hand = pd.concat([split[0].groupby(["State", "Industry"]).head(-2), revised])
    pd.testing.assert_frame_equal(fc.predict(history=revised), fc.predict(history=by_hand))
    key = tuple(split[0][["State", "Industry"]].iloc[0])  # explain() reads the same history (review)
    pd.testing.assert_frame_equal(fc.explain(series=key, steps=1, history=split[1]).contributions,
                                  fc.explain(series=key, steps=1, history=whole).contributions)


def test_history_with_ids_of_another_type_is_refused_naming_the_column(fitted: Forecaster, split) -> None:
    coded = split[0].assign(State=split[0]["State"].astype("category").cat.codes)  # 0, 1 for the names
    with pytest.raises(DataValidationError, match=r"id column 'State' of history= holds int8 values, the training "
                       r"data (str|object): .* Cast it to the fit's type \(\.astype\('(str|object)'\)\)"):
        fitted.predict(history=coded)


def test_a_level_without_a_hierarchy_is_refused(fitted: Forecaster) -> None:
    for level in ("all", [], ["State"]):
        with pytest.raises(DataValidationError, match=r"fitted without a hierarchy, so it has no levels; drop level="):
            fitted.predict(level=level)
        with pytest.raises(DataValidationError) as err:
            fitted.predict(level=level)
        assert "quantiles=" not in str(err.value)


def test_interval_levels_are_told_how_tsauto_makes_intervals(fitted: Forecaster) -> None:
    """predict(level=[80, 95]), statsforecast's interval levels, said only "fitted without a
    hierarchy, so it has no levels" (user test 48): it says the quantiles and columns to use."""
    with pytest.raises(DataValidationError) as err:
        fitted.predict(level=[80, 95])
    assert "so it has no levels" in str(err.value) and (
        "For prediction intervals (statsforecast's level=[80, 95]), set quantiles=[0.025, 0.1, 0.9, 0.975] "
        "when constructing the Forecaster, and fit: the forecasts hold the columns q0.025, q0.1, q0.9, "
        "q0.975 (the 80 % band q0.1 to q0.9, the 95 % band q0.025 to q0.975).") in str(err.value)
    with pytest.raises(DataValidationError, match=r"set quantiles=\[0.1, 0.9\] .* \(the 80 % band q0.1 to q0.9\)"):
        fitted.predict(level=0.8)


def test_sklearn_clone_copies_the_settings_not_the_fit(fitted: Forecaster) -> None:
    from sklearn.base import clone

    fc = Forecaster(**KW, quantiles=[0.1, 0.9], data={"fill": "zero"}, search={"folds": 2})
    copied = clone(fc)
    assert copied is not fc and copied.get_params() == fc.get_params()
    assert copied.data is not fc.data  # a deep copy: changing one leaves the other
    assert not hasattr(clone(fitted), "model_") and clone(fitted).get_params() == fitted.get_params()
    theta = ThetaLearner(model="OTM")
    learner = clone(Forecaster(**KW, learners=[theta])).learners[0]  # learners given as instances too
    assert learner is not theta and learner.get_params() == theta.get_params()


def test_load_of_a_folder_says_it_is_a_folder(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="is a folder, not a saved model file"):
        Forecaster.load(tmp_path)


def test_a_future_table_for_a_forecaster_without_known_future_columns_is_named_unused(split, caplog) -> None:
    """Its covariates were silently not used (a user had forgotten known_future=)."""
    train, test = split
    fc = Forecaster(**KW, learners=["naive"]).fit(train)
    with caplog.at_level("WARNING", logger="tsauto.forecasting.forecaster"):
        out = fc.predict(future=test)
    assert "future= is not used: this Forecaster was fitted without known_future= columns" in caplog.text
    pd.testing.assert_frame_equal(out, fc.predict())


def test_the_future_frame_takes_the_known_future_columns_by_assignment_or_merge(walmart_small: pd.DataFrame) -> None:
    """make_future_frame() gives ids and time, as mlforecast's and AutoGluon's do: the
    known-future columns are added by assignment or by a merge with a calendar table (empty
    columns in it made a merge give promo_x and promo_y); left out, predict names the column."""
    cut = pd.Timestamp("2012-08-31")
    data = walmart_small[walmart_small["Dept"] <= 3].assign(promo=lambda d: (d["Date"].dt.month == 12) * 1.0)
    train, later = data[data["Date"] <= cut], data[data["Date"] > cut]
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
                    known_future=["promo", "IsHoliday"], learners=["lightgbm"]).fit(train)
    fut = fc.make_future_frame()
    assert list(fut.columns) == ["Store", "Dept", "Date"] and len(fut) == 3 * 4
    with pytest.raises(DataValidationError, match="'promo'"):
        fc.predict(future=fut)
    calendar = later[["Store", "Dept", "Date", "promo", "IsHoliday"]]
    merged = fut.merge(calendar, on=["Store", "Dept", "Date"])
    assert list(merged.columns) == ["Store", "Dept", "Date", "promo", "IsHoliday"]
    pd.testing.assert_frame_equal(fc.predict(future=merged), fc.predict(future=later))


def test_conflicting_future_rows_are_named_by_their_first_pair(walmart_small: pd.DataFrame) -> None:
    """Two (series, week) pairs given twice with different flags: the example pair's own rows
    (the message listed the first rows of every duplicate, not the example's)."""
    cut = pd.Timestamp("2012-08-31")
    data = walmart_small[walmart_small["Dept"] <= 3]
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
                    known_future=["IsHoliday"], learners=["naive", "lightgbm"]).fit(data[data["Date"] <= cut])
    later = data[data["Date"] > cut].reset_index(drop=True)
    flipped = later.iloc[[0, 1]].assign(IsHoliday=lambda d: ~d["IsHoliday"])
    future = pd.concat([later, flipped], ignore_index=True)
    with pytest.raises(DataValidationError) as err:
        fc.predict(future=future)
    assert "4 rows that share 2 (series, time) pairs" in str(err.value)
    assert f"at rows 0, {len(later)}:" in str(err.value)


def test_a_refit_backtest_of_partitions_says_it_is_optimistic_once(walmart_small: pd.DataFrame, caplog) -> None:
    """backtest(mode="refit") with partition_by: the warning that it is optimistic, once (each
    partition's backtest said it again)."""
    data = walmart_small[walmart_small["Dept"] <= 3]
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store"], horizon=4, partition_by="Dept",
                    learners=["naive"], compute={"n_jobs": 1}).fit(data)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        result = fc.backtest(data, folds=2, mode="refit")
    said = [r for r in caplog.records if "backtest mode='refit' is optimistic" in r.getMessage()]
    assert len(said) == 1 and said[0].name == "tsauto.forecasting.forecaster"
    assert result.mode == "refit" and set(result.per_series["Dept"]) == {1, 2, 3}
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.partitions_[(1,)].backtest(data[data["Dept"] == 1], folds=2, mode="refit")
    assert len([r for r in caplog.records if "is optimistic" in r.getMessage()]) == 2  # a partition's own, alone


def test_ctrl_c_keeps_the_model_of_the_trials_finished_and_says_so(split, monkeypatch, caplog, tmp_path) -> None:
    """The fit went on with the trials done and nothing told it from a whole one."""
    kw = dict(**KW, learners=["naive", "seasonal_naive", "theta"], compute={"backend": "sequential", "n_jobs": 1})
    ctrl_c_after(monkeypatch, ForecastEvaluator, 2)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**kw).fit(split[0])
    note = ("search interrupted by the user after 2 of 3 trials: the model is what was finished; fit again "
            "for the whole search")
    assert fc.interrupted_ and len(fc.leaderboard()) == 2
    assert fc.plan_.notes[-1] == note and note in caplog.text
    assert np.isfinite(fc.predict()["forecast"]).all()
    page = fc.report(tmp_path / "report.html").read_text(encoding="utf-8")
    assert note in page and "The search was interrupted (Ctrl-C)" in page
    monkeypatch.undo()
    whole = Forecaster(**kw).fit(split[0])
    assert not whole.interrupted_ and len(whole.leaderboard()) == 3
    assert not any("interrupted" in n for n in whole.plan_.notes)


def test_a_future_table_of_weekly_periods_meets_friday_stamps(walmart_small: pd.DataFrame) -> None:
    """Walmart's weeks end on Fridays: a future table of 'W-FRI' periods (each week by its
    Saturday start) was refused as off the model's grid."""
    cut = pd.Timestamp("2012-08-31")
    data = walmart_small[walmart_small["Dept"] <= 3]
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Store", "Dept"], horizon=4,
                    known_future=["IsHoliday"], learners=["lightgbm"]).fit(data[data["Date"] <= cut])
    later = data[data["Date"] > cut]
    periods = later.assign(Date=later["Date"].dt.to_period("W-FRI"))
    pd.testing.assert_frame_equal(fc.predict(future=periods), fc.predict(future=later))


def test_the_plan_says_whether_the_blend_shipped_was_shrunk(aus_small: pd.DataFrame, m4_weekly_small) -> None:
    """The plan notes the rule before the blend is chosen; the fitted plan also says what the
    rule did (user test 48: "moved 50%" noted while the weights stayed greedy), and the weights
    agree: with 12 short series, ETS and Theta hold at least a quarter each whatever validation
    says; with 20 long ones, shrunk, each of the 3 best learners holds at least half of a third."""
    fc = Forecaster(**KW, learners=["naive", "seasonal_naive", "theta", "ets"]).fit(aus_small)
    assert not any(n.startswith("ensemble weights") for n in fc.plan_.notes)  # learners named: greedy
    fc = Forecaster(**KW).fit(aus_small)
    (said,) = [n for n in fc.plan_.notes if n.startswith("ensemble weights")]
    weights = fc.leaderboard().groupby("learner")["weight"].sum()
    assert said == "ensemble weights shrunk: moved 50% toward equal weights on ets and theta"
    assert weights["ets"] >= 0.25 - 1e-9 and weights["theta"] >= 0.25 - 1e-9
    fc = Forecaster(target="y", time="t", ids="unique_id", horizon=13).fit(m4_weekly_small[0])
    (said,) = [n for n in fc.plan_.notes if n.startswith("ensemble weights")]
    weights = fc.leaderboard().groupby("learner")["weight"].sum()
    if said.startswith("ensemble weights shrunk: moved 50% toward equal weights on "):
        leaders = said.rsplit(" on ", 1)[1].split(", ")
        assert len(leaders) == 3 and (weights[leaders] >= 0.5 / 3 - 1e-9).all()
    else:
        assert said.startswith("ensemble weights not shrunk: toward equal weights on ")


def test_a_series_of_history_with_a_trailing_space_is_linked_to_the_series_of_the_fit(
    fitted: Forecaster, split, caplog
) -> None:
    """An id with a trailing space in history= gave two warnings, a new series and one of the
    fit missing, without saying they differ only by that space (user test 57): the first says so."""
    train = split[0].copy()
    first = (train["State"] == train["State"].iloc[0]) & (train["Industry"] == train["Industry"].iloc[0])
    name = f"{train['State'].iloc[0]}/{train['Industry'].iloc[0]}"
    train.loc[first, "Industry"] = train.loc[first, "Industry"] + " "
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fitted.predict(history=train)
    assert (f"1 of {fitted.history_.n_series} series of history= were not in the training data ({name} ): the global "
            "models forecast them from their own rows, the local ones (ETS, Theta, ...) by seasonal naive; refit on a "
            "table that holds them to fit them; the fit holds it, but for spaces, case or punctuation around the ids "
            f"({name + ' '!r} as {name!r}): write the ids as at fit") in caplog.text, caplog.text
    assert "get no forecast" in caplog.text


def test_a_respelled_series_is_linked_to_the_first_of_twins_of_the_fit() -> None:
    """Two series of the fit equal but for case ('A', 'a '): a history= series 'A.' was linked to
    the last of them (review 55 S5); the first, as the fit ordered them."""
    from types import SimpleNamespace

    from tsauto.forecasting.forecaster import _respelled

    fitted = SimpleNamespace(keys=pd.DataFrame({"Store": ["A", "a ", "B"]}), n_series=3)
    new = pd.DataFrame({"Store": ["A.", "C"]})
    assert _respelled(new, np.array(["A.", "C"], dtype=object), fitted) == ["'A.' as 'A'"]
