"""Partitions isolate their trials as the top-level search does: a learner that hangs or kills
its process inside a partition is a failed row of that partition's leaderboard, with its reason,
and the partition and the fit go on; partitions fitted side by side share the cores."""

from __future__ import annotations

import html
import logging
import re
import time

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from forecast_doubles import ThreadsItGot
from learner_doubles import DyingLearner, HangingLearner

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError
from tsauto.core.executor import Executor, parse_memory, sharing_machine
from tsauto.core.resources import cores
from tsauto.forecasting.options import ComputeOptions
from tsauto.forecasting.partitions import MIN_BUDGET, _fit_child, newest_folds_aligned, split

KW = dict(target="Turnover", time="Month", ids=["State", "Industry"], horizon=6, partition_by="State")


@pytest.fixture(scope="module")
def retail(aus_small: pd.DataFrame) -> pd.DataFrame:
    return aus_small[aus_small["Month"] >= "2008-01-01"]


@pytest.mark.parametrize("n_jobs", [1, 2])  # partitions one after the other here, or side by side
def test_a_hanging_and_a_dying_learner_inside_partitions_are_failed_rows(retail, n_jobs) -> None:
    budget = 16
    start = time.monotonic()
    fc = Forecaster(
        **KW, learners=[HangingLearner(), DyingLearner(), "seasonal_naive"], time_budget=budget,
        compute={"n_jobs": n_jobs},
    ).fit(retail)
    elapsed = time.monotonic() - start
    board = fc.leaderboard()
    assert set(board["State"]) == {"Tasmania", "Victoria"}
    for _, rows in board.groupby("State"):
        rows = rows.set_index("learner")
        assert rows.loc["hanging", "status"] == "timeout"
        assert "hanging timed out" in rows.loc["hanging", "reason"]
        assert rows.loc["dying", "status"] == "failed"
        assert "its worker process died: it exited with code 3" in rows.loc["dying", "reason"]
        assert rows.loc["seasonal_naive", "status"] == "ok"
        assert rows.loc["seasonal_naive", "weight"] == pytest.approx(1.0)
    out = fc.predict()
    assert len(out) == 12 * 6 and np.isfinite(out["forecast"]).all()
    # it returns: the hung trials were stopped (the partitions' own processes start outside
    # their shares of the budget: 2-6 s here)
    assert elapsed <= budget + 10


def test_partitions_side_by_side_share_the_cores(retail, tmp_path) -> None:
    log = tmp_path / "threads.txt"
    Forecaster(
        **KW, learners=[ThreadsItGot(str(log)), "naive"], search={"max_trials": 2}, compute={"n_jobs": 2},
    ).fit(retail)
    threads = [int(line.split("\t")[1]) for line in log.read_text().splitlines()]
    assert len(threads) >= 2 * 2  # a fit per fold and partition at least
    assert max(threads) <= max(1, cores() // 2)


def test_an_executor_sharing_the_machine_takes_its_share() -> None:
    with sharing_machine(2):
        shared = Executor(1, memory_limit="auto")
    alone = Executor(1, memory_limit="auto")
    assert shared.threads_per_trial() <= max(1, cores() // 2)
    assert shared.call_threads() <= max(1, cores() // 2)
    assert shared.memory_cap == parse_memory("auto", 2)
    assert alone.memory_cap == parse_memory("auto", 1)


class _Child:
    """A partition's forecaster that records the budget it was given."""

    compute = ComputeOptions(n_jobs=1, backend="sequential")
    time_budget = 9.0

    def fit(self, part) -> "_Child":
        return self


def test_a_partition_gets_its_share_of_the_time_left() -> None:
    def budget(left: float, share: float) -> float:
        return _fit_child(_Child(), None, time.time() + left, share).time_budget

    assert budget(20.0, 0.5) == pytest.approx(0.9 * 20 * 0.5, abs=0.1)  # its share, none lost
    assert budget(12.0, 0.5) == pytest.approx(0.9 * 12 * 0.5, abs=0.1)  # starting took time
    assert budget(1.0, 0.5) == MIN_BUDGET  # late: a floor, not nothing
    assert budget(40.0, 1.0) == pytest.approx(36.0, abs=0.1)  # the last: the time left


def test_a_partition_whose_every_trial_failed_forecasts_with_seasonal_naive(retail, caplog) -> None:
    caplog.set_level("INFO", logger="tsauto")
    fc = Forecaster(**KW, learners=[DyingLearner()], time_budget=12, compute={"n_jobs": 1}).fit(retail)
    board = fc.leaderboard()
    assert list(board["learner"]) == ["seasonal_naive", "seasonal_naive"]  # one row a partition
    for state, reason in zip(board["State"], board["reason"]):
        assert reason.startswith(f"fallback of partition State={state!r}: every trial failed")
        assert "its worker process died" in reason
    assert "partition State='Tasmania'" in caplog.text
    assert "fitting 2 partitions, 1 at a time: time_budget=12s shared, about 5.4s each" in caplog.text
    fitted = [r.getMessage() for r in caplog.records if r.name == "tsauto.forecasting.forecaster"]
    assert fitted and all(m.startswith("partition State=") for m in fitted)  # each names its partition
    assert set(fc.plan_.plans) == {(state,) for state in board["State"]}  # each partition's plan
    assert any(n.startswith("State='Tasmania': fallback of partition State='Tasmania'") for n in fc.plan_.notes)
    out = fc.predict()
    expected = retail.groupby(["State", "Industry"])["Turnover"].apply(lambda s: s.iloc[-12:-6].to_numpy())
    first = out.groupby(["State", "Industry"])["forecast"].apply(lambda s: s.to_numpy())
    for key, values in first.items():  # seasonal naive: the same month of the last year
        np.testing.assert_allclose(values, expected[key])


def test_bad_data_in_one_partition_is_an_error_naming_it(retail) -> None:
    short = retail[(retail["State"] == "Victoria") | (retail["Month"] >= retail["Month"].max())]
    with pytest.raises(DataValidationError, match="partition State='Tasmania'"):
        Forecaster(**KW, learners=["seasonal_naive"], compute={"n_jobs": 1}).fit(short)


def test_a_missing_partition_value_is_an_error_naming_the_column_and_rows(retail) -> None:
    """Not silently dropped by the grouping, as the rows of a series would be (a week gone)."""
    rows = retail.reset_index(drop=True)
    rows.loc[[3, 40], "State"] = None
    with pytest.raises(DataValidationError, match="partition column 'State' of the table is missing at rows 3, 40"):
        Forecaster(**KW, learners=["naive"], compute={"n_jobs": 1}).fit(rows)
    with pytest.raises(DataValidationError, match="of the future table is missing at rows 3, 40: every row"):
        split(rows, ["State"], "the future table")


def test_forecasts_carry_the_partition_and_errors_name_the_tables_rows(retail) -> None:
    """Partitioned by State with Industry alone as the id: each forecast names its State (an
    industry of two states was two rows alike), as do the backtest's tables; a duplicate row in
    the second partition is named at its row of the table given, not of the partition."""
    rows = retail.reset_index(drop=True)
    kw = {**KW, "ids": ["Industry"], "learners": ["seasonal_naive"], "compute": {"n_jobs": 1}}
    fc = Forecaster(**kw).fit(rows)
    out = fc.predict()
    assert list(fc.fallbacks_.columns) == ["State", "Industry", "reason"]  # it raised AttributeError
    assert list(out.columns[:2]) == ["State", "Industry"] and not out.duplicated(["State", "Industry", "Month"]).any()
    last = rows[(rows["State"] == "Victoria") & (rows["Industry"] == rows["Industry"].iloc[0])]["Turnover"]
    first = out[(out["State"] == "Victoria") & (out["Industry"] == rows["Industry"].iloc[0])]["forecast"]
    np.testing.assert_allclose(first.iloc[:6], last.iloc[-12:-6])  # its own State's series
    folds = fc.backtest(rows, folds=1, mode="refit")
    assert {"State", "Industry"} <= set(folds.forecasts.columns) and "State" in folds.per_series.columns
    at = int(rows.index[rows["State"] == "Victoria"][5])
    doubled = pd.concat([rows, rows.loc[[at]]], ignore_index=True)
    with pytest.raises(DataValidationError, match=rf"partition State='Victoria': .* at row {len(rows)} \(e.g. row "
                       rf"{len(rows)} repeats row {at}, "):
        Forecaster(**kw).fit(doubled)


def test_the_default_backtest_reruns_each_partitions_fit(retail, walmart_small) -> None:
    """The nested backtest of a partitioned forecaster validated the whole table as one: it
    refused a monthly and a weekly partition (fit and predict take them). Now each partition's
    whole fit reruns before its own cutoffs, unfitted too, and the tables name the partition."""
    months = retail[retail["State"] == "Tasmania"].assign(kind="monthly", id=lambda d: d["Industry"])
    weeks = walmart_small.assign(kind="weekly", id=lambda d: "dept " + d["Dept"].astype(str))
    table = pd.concat([months.rename(columns={"Month": "t", "Turnover": "y"})[["kind", "id", "t", "y"]],
                       weeks.rename(columns={"Date": "t", "Weekly_Sales": "y"})[["kind", "id", "t", "y"]]])
    fc = Forecaster(target="y", time="t", ids=["id"], horizon=3, partition_by="kind", learners=["naive"],
                    compute={"n_jobs": 1})
    result = fc.backtest(table, folds=2)
    assert result.mode == "nested" and list(result.forecasts.columns[:2]) == ["kind", "id"]
    for kind, days in (("monthly", {28, 29, 30, 31}), ("weekly", {7})):
        rows = result.forecasts[result.forecasts["kind"] == kind]
        assert rows["cutoff"].nunique() == 2
        assert set(rows.groupby(["id", "cutoff"])["t"].diff().dt.days.dropna()) <= days
    assert set(result.summary["model"]) == {"model", "seasonal_naive"}


def test_reconcile_without_a_hierarchy_is_said_once_not_by_every_partition(retail, caplog) -> None:
    """reconcile= with partition_by= and no hierarchy=: the fit said it is not used, then each
    partition's fit said it again (and a nested backtest, once per partition)."""
    fc = Forecaster(**KW, learners=["naive"], reconcile="ols", compute={"n_jobs": 1})
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.fit(retail)
        fc.backtest(retail, folds=1)
    said = [r.getMessage() for r in caplog.records if "reconcile='ols' is not used" in r.getMessage()]
    assert len(said) == 2 and not any(m.startswith("partition ") for m in said)  # fit, backtest


def test_a_partitioned_backtest_summary_is_that_of_all_series(retail) -> None:
    """The summary of a backtest by State equals the means over all series and cutoffs of its
    own tables, wape over all forecasts at once (the partitions' wapes were averaged)."""
    fc = Forecaster(**KW, learners=["theta"], compute={"n_jobs": 1}).fit(retail)
    result = fc.backtest(retail, folds=2, mode="refit")
    model = result.summary.set_index("model")
    f = result.forecasts
    for name, column in (("model", "forecast"), ("seasonal_naive", "seasonal_naive")):
        wape = (f["actual"] - f[column]).abs().sum() / f["actual"].abs().sum()
        assert model.loc[name, "wape"] == pytest.approx(wape)
    assert model.loc["model", "mase"] == pytest.approx(result.per_series["mase"].mean())


@pytest.fixture(scope="module")
def two_stores() -> pd.DataFrame:
    """Walmart stores 1 and 2, departments 1 and 2, since 2011 (IsHoliday known ahead)."""

    from tsauto import datasets

    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart()
    return df[df["Store"].isin([1, 2]) & df["Dept"].isin([1, 2]) & (df["Date"] >= "2011-01-01")]


def test_the_future_frame_of_partitions_is_what_predict_reads(two_stores, caplog) -> None:
    """make_future_frame (an AttributeError with partition_by), its known-future column filled,
    then predict(future=); a future table whose partition column was read as text, or that
    lacks a partition, is named as such (it was 'pass future=')."""
    fc = Forecaster(target="Weekly_Sales", time="Date", ids=["Dept"], horizon=4, partition_by="Store",
                    known_future=["IsHoliday"], learners=["theta"], compute={"n_jobs": 1}).fit(two_stores)
    frame = fc.make_future_frame()
    assert list(frame.columns) == ["Store", "Dept", "Date"] and len(frame) == 2 * 2 * 4
    out = fc.predict(future=frame.assign(IsHoliday=False))
    assert out[["Store", "Dept", "Date"]].equals(frame)
    text = frame.assign(IsHoliday=False, Store=frame["Store"].astype(str))
    with pytest.raises(DataValidationError, match=r"holds partitions \[\('1',\), \('2',\)\] unseen at fit"):
        fc.predict(future=text)
    with pytest.raises(DataValidationError, match=r"has no rows of partitions \[\(2,\)\]"):
        fc.predict(future=frame.assign(IsHoliday=False).query("Store == 1"))
    features = pd.read_csv(shared_file("forecasting/walmart_store_sales/features.csv"), parse_dates=["Date"])
    later = features[features["Date"] > two_stores["Date"].max()][["Store", "Date", "IsHoliday"]]  # 45 stores
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        pd.testing.assert_frame_equal(fc.predict(future=later), fc.predict(future=frame.merge(later)))
    assert "the future table holds rows of 43 partition(s) not fitted" in caplog.text
    dates = later[later["Store"] == 1].drop(columns="Store")  # per date: for every partition
    pd.testing.assert_frame_equal(fc.predict(future=dates), fc.predict(future=frame.merge(dates)))


def test_a_duplicate_in_a_filtered_table_is_named_at_its_position(retail) -> None:
    """A filtered table (its labels not 0..n-1) with a row repeated: named at the positions of
    the table given, as without partitions (they were positions inside the partition)."""
    at = int(np.flatnonzero((retail["State"] == "Victoria").to_numpy())[5])
    doubled = pd.concat([retail, retail.iloc[[at]]])  # labels repeat: positions are named
    with pytest.raises(DataValidationError, match=rf"partition State='Victoria': .* at position {len(retail)} "
                       rf"\(counted from 0\) \(e.g. position {len(retail)} repeats position {at}, "):
        Forecaster(**{**KW, "ids": ["Industry"]}, learners=["naive"], compute={"n_jobs": 1}).fit(doubled)


def test_partitions_fold_columns_line_up_by_their_newest_window() -> None:
    """A partition whose budget afforded two folds, beside one of three: its folds are the
    other's last two windows, and so are its columns."""
    three = pd.DataFrame({"Store": [1], "learner": ["drift"], "mase_fold0": [1.06], "mase_fold1": [0.92],
                          "mase_fold2": [1.24], "mase": [1.07]})
    two = pd.DataFrame({"Store": [3], "learner": ["drift"], "mase_fold0": [0.93], "mase_fold1": [1.25],
                        "mase": [1.09]})
    board = newest_folds_aligned([two, three])
    assert list(board.columns) == ["Store", "learner", "mase_fold0", "mase_fold1", "mase_fold2", "mase"]
    assert board["mase_fold0"].isna().tolist() == [True, False]
    assert board["mase_fold2"].tolist() == [1.25, 1.24] and board["mase_fold1"].tolist() == [0.93, 0.92]


def test_a_partitioned_backtest_coverage_is_the_share_of_all_actuals_inside(retail) -> None:
    """The partitions' coverages were averaged by their windows; a partition with fewer scored
    months (a gap) then weighed as if it had all: the coverage is the share of all actuals."""
    first = (retail["State"] == retail["State"].iloc[0]) & (retail["Industry"] == retail["Industry"].iloc[0])
    end = retail["Month"].max()
    gap = first & retail["Month"].between(end - pd.DateOffset(months=4), end - pd.DateOffset(months=1))
    table = retail[~gap]
    fc = Forecaster(**KW, learners=["theta"], quantiles=[0.1, 0.9], compute={"n_jobs": 1}).fit(table)
    # each partition's intervals, by its key (review 51: no intervals_ with partitions)
    assert set(fc.intervals_) == set(fc.partitions_) and all(i.quantiles == (0.1, 0.9) for i in fc.intervals_.values())
    from tsauto.forecasting.report import _intervals_note

    said = html.unescape(_intervals_note(fc))
    assert all(f"Intervals of State={key[0]!r} — quantiles: " in said for key in fc.partitions_), said
    result = fc.backtest(table, folds=2, mode="refit")
    f = result.forecasts.dropna(subset=["actual"])
    inside = f["actual"].between(f["q0.1"], f["q0.9"])
    assert result.summary.iloc[0]["coverage"] == pytest.approx(inside.mean(), rel=1e-12)


def test_series_history_lacks_are_counted_over_all_partitions(retail, caplog) -> None:
    """predict(history=) of Victoria's first four industries: Tasmania, a whole partition, got
    no forecast without a word (Victoria's two other industries were named, "2 of 6 series");
    now one warning counts and names all."""
    fc = Forecaster(**KW, learners=["naive"], compute={"n_jobs": 1}).fit(retail)
    industries = retail["Industry"].unique()
    history = retail[(retail["State"] == "Victoria") & retail["Industry"].isin(industries[:4])]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fc.predict(history=history)
    said = [r.getMessage() for r in caplog.records if "series of the fit are not in history=" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("8 of 12 series of the fit are not in history=")
    assert "(every series of State='Tasmania'; Victoria/" in said[0] and industries[5] in said[0]
    assert set(out["State"]) == {"Victoria"} and out["Industry"].nunique() == 4
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=retail)
    assert not any("not in history=" in r.getMessage() for r in caplog.records)
    # a partition's history= alerts name it (review 50: "series Cafes...", of which State?)
    late = (retail["State"] == "Victoria") & (retail["Industry"] == industries[0])
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=retail[~(late & (retail["Month"] > retail["Month"].max() - pd.DateOffset(months=2)))])
    said = [r.getMessage() for r in caplog.records if "data check of history=" in r.getMessage()]
    assert [m.split(" (alert)")[0] for m in said] == [  # it ends before its training rows (and the others')
        "partition State='Victoria': data check of history= stale_history 'Turnover'"]
    # one series ending early is no late partition (user test 53: a closed department named its store)
    assert not any("partitions of history= end before" in r.getMessage() for r in caplog.records)
    # a whole partition's rows ending early: each partition's checks see only its own series
    caplog.clear()
    tas = retail["State"] == "Tasmania"
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=retail[~(tas & (retail["Month"] > retail["Month"].max() - pd.DateOffset(months=2)))])
    behind = [r.getMessage() for r in caplog.records if "partitions of history= end before the others" in r.getMessage()]
    assert len(behind) == 1 and "1 of 2 partitions" in behind[0] and "State='Tasmania' to" in behind[0]


def test_series_forecast_far_outside_are_counted_over_all_partitions(retail, caplog, monkeypatch) -> None:
    """Each partition's predict warned of its own series forecast far outside their history
    (here, every series taken for such): one warning per partition; now one, counts added."""
    from tsauto.forecasting import forecaster

    fc = Forecaster(**KW, learners=["naive"], compute={"n_jobs": 1}).fit(retail)
    monkeypatch.setattr(forecaster, "far_outside", lambda panel, mean: np.ones(len(mean), dtype=bool))
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict()
    far = [r for r in caplog.records if r.msg == forecaster.FAR_WARNING]
    assert len(far) == 1 and far[0].args[0] == retail.groupby(["State", "Industry"]).ngroups
    assert "e.g. State='Tasmania': " in far[0].getMessage()  # its series named with their partition


def test_partitions_with_a_run_dir_search_in_folders_of_their_own(retail, tmp_path) -> None:
    """Every partition searched in the run_dir, and the second refused the first's data (review
    56 B3): each searches in ``partition-<key>-<hash>``, a key's characters unsafe in a file name
    escaped, and a second fit resumes each."""
    run = tmp_path / "run"
    table = retail.assign(State=retail["State"].replace({"Victoria": "Victoria/West"}))
    fc = Forecaster(**KW, learners=["theta", "seasonal_naive"], search={"run_dir": str(run), "max_trials": 2},
                    compute={"n_jobs": 1})
    fc.fit(table)
    names = sorted(p.name for p in run.iterdir())
    assert re.fullmatch(r"partition-Tasmania-[0-9a-f]{8}", names[0])
    assert re.fullmatch(r"partition-Victoria_West-[0-9a-f]{8}", names[1])
    assert len(names) == 2
    again = Forecaster(**KW, learners=["theta", "seasonal_naive"], search={"run_dir": str(run), "max_trials": 2},
                       compute={"n_jobs": 1}).fit(table)
    assert sum(n.endswith("resumed the search in " + str(run / names[0]) + ": 2 finished trial(s) taken from it, "
                          "not run again") for n in again.plan_.notes) == 1
