"""A Dask DataFrame trains one global LightGBM on a real ``distributed.LocalCluster`` (two
worker processes): features built on the workers equal the in-process ones row for row,
LightGBM trains there data-parallel (on worker threads too), forecasts come back close to the
in-process model's, the shuffle by series logs nothing, what this path cannot do is refused
with a reason, and a worker failing in the training fails the fit at once."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting import distributed as dist
from tsauto.forecasting.distributed_training import DistributedTrainingError
from tsauto.forecasting.learners.lightgbm import LightGBMLearner
from tsauto.forecasting.validation import validate

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

KW = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 6}


@pytest.fixture(scope="module")
def retail(aus_retail: pd.DataFrame) -> pd.DataFrame:
    """All 152 Australian retail series since 2008 (two of them only 2 months long)."""
    df = aus_retail.drop(columns="Series ID")
    return df[df["Month"] >= "2008-01-01"].reset_index(drop=True)


@pytest.fixture(scope="module")
def on_dask(client, retail):
    """The fitted forecaster, its forecast and the task stream of fit and predict."""
    with distributed.get_task_stream(client) as stream:
        fc = Forecaster(**KW, learners=["lightgbm"], compute={"client": client})
        fc.fit(dd.from_pandas(retail, npartitions=5))
        forecast = fc.predict()
    return fc, forecast, stream.data


@pytest.fixture(scope="module")
def in_process(retail) -> Forecaster:
    """The same forecaster fitted on the pandas table, in this process."""
    return Forecaster(**KW, learners=["lightgbm"], compute={"n_jobs": 1}).fit(retail)


def workers_running(stream, name: str) -> set[str]:
    return {t["worker"] for t in stream if name in str(t["key"])}


def test_features_are_built_and_trained_on_both_workers(client, on_dask) -> None:
    fc, _, stream = on_dask
    workers = set(client.scheduler_info()["workers"])
    for task in ("_hold", "_train_held"):  # one task a worker builds its rows, one trains on them
        assert workers_running(stream, task) == workers
        assert len({str(t["key"]) for t in stream if task in str(t["key"])}) == len(workers)
    assert workers_running(stream, "_forecast_part") <= workers
    board = fc.leaderboard()
    assert board[["learner", "status"]].values.tolist() == [["lightgbm", "ok"]]
    assert board["mase"].isna().all() and board["reason"].str.startswith("not validated").all()
    assert "data-parallel" in fc.plan_.notes[0] and "152 series" in fc.plan_.notes[0]


def test_a_thread_based_cluster_forecasts_as_worker_processes(client, retail) -> None:
    """``LocalCluster(processes=False)`` (``Client(processes=False)`` in a notebook): both
    workers, threads of this process, build their rows and train together; the forecasts are
    close to those of the cluster of worker processes (equal where each worker holds the same
    partitions, which the scheduler places: test_distributed_training places them)."""
    keys = retail[KW["ids"]].drop_duplicates().iloc[::8]
    few = retail.merge(keys, on=KW["ids"])

    def forecast(c) -> tuple[pd.DataFrame, set[str]]:
        with distributed.get_task_stream(c) as stream:
            fc = Forecaster(**KW, learners=["lightgbm"], compute={"client": c})
            out = fc.fit(dd.from_pandas(few, npartitions=3)).predict()
        return out, workers_running(stream.data, "_train_held")

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as threads:
        on_threads, trained = forecast(threads)
        assert trained == set(threads.scheduler_info()["workers"])
    on_processes, _ = forecast(client)
    assert len(on_threads) == len(keys) * KW["horizon"]
    pd.testing.assert_frame_equal(on_threads.drop(columns="forecast"), on_processes.drop(columns="forecast"))
    ours, theirs = on_threads["forecast"], on_processes["forecast"]
    rel = (ours - theirs).abs() / theirs.abs().clip(lower=1)
    assert rel.median() < 0.03 and rel.quantile(0.95) < 0.15


def test_alerts_of_the_partitions_forecasts_are_said_once_by_the_client(client, retail, caplog, monkeypatch) -> None:
    """Each partition is forecast on a worker: its warnings naming series (here, every series
    taken for far outside its history) come back and are said once, here, their counts added
    (they were logged on the workers, once per partition). Threads of this process as
    workers, so that the test sees what a worker would log."""
    from tsauto.forecasting import forecaster

    keys = retail[KW["ids"]].drop_duplicates().iloc[::8]
    few = retail.merge(keys, on=KW["ids"])
    monkeypatch.setattr(forecaster, "far_outside", lambda panel, mean: np.ones(len(mean), dtype=bool))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as threads:
        fc = Forecaster(**KW, learners=["lightgbm"], compute={"client": threads})
        fc.fit(dd.from_pandas(few, npartitions=3))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tsauto"):
            fc.predict()
    far = [r for r in caplog.records if r.msg == forecaster.FAR_WARNING]
    assert len(far) == 1 and far[0].args[0] == len(keys)
    assert far[0].threadName == threading.current_thread().name


def shuffles(frame) -> set[str]:
    """The kinds of shuffle tasks in ``frame``'s graph."""
    names = {str(k[0] if isinstance(k, tuple) else k) for k in frame.__dask_graph__()}
    return {kind for kind in ("taskshuffle", "shuffle-transfer") if any(kind in n for n in names)}


def test_a_default_fit_logs_no_shuffle_warnings(client, retail) -> None:
    """Dask's peer-to-peer shuffle logs two WARNING lines on the scheduler (here, in this
    process) for every shuffle, one that ends well too; up to 32 partitions tsauto shuffles
    by tasks, which logs nothing."""
    records: list[logging.LogRecord] = []
    seen = logging.Handler(logging.DEBUG)
    seen.emit = records.append
    shuffle_log = logging.getLogger("distributed.shuffle")
    shuffle_log.addHandler(seen)
    try:
        fc = Forecaster(**KW, learners=["lightgbm"], compute={"client": client})
        fc.fit(dd.from_pandas(retail, npartitions=5)).predict()
    finally:
        shuffle_log.removeHandler(seen)
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []


def test_the_shuffle_by_series_is_by_tasks_up_to_32_partitions_or_as_configured(client, retail) -> None:
    """Beyond 32 partitions the task shuffle runs in rounds, slower than peer-to-peer; a method
    set in Dask's configuration is kept."""
    import dask

    ids = KW["ids"]
    assert shuffles(dist._by_series(dd.from_pandas(retail, npartitions=32), ids)) == {"taskshuffle"}
    assert shuffles(dist._by_series(dd.from_pandas(retail, npartitions=40), ids)) == {"shuffle-transfer"}
    with dask.config.set({"dataframe.shuffle.method": "p2p"}):
        assert shuffles(dist._by_series(dd.from_pandas(retail, npartitions=5), ids)) == {"shuffle-transfer"}


def test_features_and_choices_equal_the_in_process_ones(client, retail, on_dask, in_process) -> None:
    """Seasons, transforms, lags, series codes as in process; the workers' training rows are
    the in-process matrix's rows (in another order, in single precision)."""
    fc, _, _ = on_dask
    local = in_process
    ours, theirs = fc.model_.learner, local.model_.learner
    assert fc.task_.seasons == local.task_.seasons == (12,)
    assert ours.transform_names_ == theirs.transform_names_
    assert ours.spec_ == theirs.spec_
    pd.testing.assert_frame_equal(ours.builder_.id_keys, theirs.builder_.id_keys)
    member = fc.model_.members[0][1]
    parts = dd.from_pandas(retail, npartitions=5).shuffle(on=KW["ids"]).to_delayed()
    schema = fc.dask_.schema
    there = np.concatenate([dist._training_part(p.compute(), schema, member, 1) for p in parts])
    X, y = theirs.training_rows(local.model_.members[0][1].trainable(local.history_))
    here = np.column_stack([X, y])
    assert there.shape == here.shape == (ours.n_train_rows_, len(ours.spec_.names) + 1)

    def in_order(a: np.ndarray) -> np.ndarray:  # by series, then target, then lag 1
        a = a.astype(np.float32)
        return a[np.lexsort((a[:, 0], a[:, -1], a[:, ours.spec_.names.index("series_id")]))]

    assert there.dtype == np.float32  # half the memory on the workers
    table = dist._training_part(parts[0].compute(), schema, member, 1)
    assert table[:, :-1].flags.f_contiguous  # features and label in one array: LightGBM reads in place
    np.testing.assert_allclose(in_order(there), in_order(here), rtol=1e-6, atol=1e-6)


def test_forecasts_are_close_to_the_in_process_model(retail, on_dask, in_process) -> None:
    """Data-parallel training bins and bags on each worker's rows: the forecasts differ from
    the in-process model's about as much as another seed's do (1 % median on this data)."""
    _, forecast, _ = on_dask
    keys = [*KW["ids"], "Month"]
    local = in_process.predict()
    both = forecast.merge(local, on=keys, suffixes=("", "_local"))
    assert len(both) == len(local) == len(forecast) == 152 * 6
    rel = (both["forecast"] - both["forecast_local"]).abs() / both["forecast_local"].abs().clip(lower=1)
    assert rel.median() < 0.03 and rel.quantile(0.95) < 0.15
    short = retail.groupby(KW["ids"]).size().loc[lambda n: n < 3].index  # seasonal naive, as local
    fallback = both.set_index(KW["ids"]).loc[short]
    np.testing.assert_array_equal(fallback["forecast"], fallback["forecast_local"])


def test_forecasts_have_the_dtypes_of_the_in_process_ones(retail, on_dask, in_process) -> None:
    """Dask reads the table's ``str`` ids as ``string[pyarrow]`` (missing value ``pd.NA``, not
    NaN): the keys and the forecasts still have the dtypes the same table gives in process."""
    fc, forecast, _ = on_dask
    assert dd.from_pandas(retail, npartitions=5).dtypes["State"] != retail.dtypes["State"]
    pd.testing.assert_series_equal(forecast.dtypes, in_process.predict().dtypes)
    pd.testing.assert_series_equal(fc.dask_.keys.dtypes, in_process.history_.keys.dtypes)


def test_saved_model_forecasts_pandas_history_and_asks_for_rows(on_dask, retail, tmp_path) -> None:
    fc, forecast, _ = on_dask
    loaded = Forecaster.load(fc.save(tmp_path / "model.tsauto"))
    pd.testing.assert_frame_equal(
        loaded.predict(history=retail).sort_values([*KW["ids"], "Month"]).reset_index(drop=True),
        forecast,
    )
    with pytest.raises(DataValidationError, match="pass history="):
        loaded.predict()


def test_known_future_covariates_on_dask(client, walmart_small, caplog) -> None:
    """Walmart's IsHoliday is a feature over the horizon; the future table reaches every
    partition; its rows of a series not fitted are named, once (as in process)."""
    last = sorted(walmart_small["Date"].unique())[-4:]
    train = walmart_small[~walmart_small["Date"].isin(last)]
    future = walmart_small[walmart_small["Date"].isin(last)].drop(columns="Weekly_Sales")
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"], "horizon": 4, "known_future": ["IsHoliday"]}
    fc = Forecaster(**kw, compute={"client": client}).fit(dd.from_pandas(train, npartitions=3))
    assert "IsHoliday" in fc.model_.learner.spec_.names
    out = fc.predict(future=future)
    assert len(out) == 4 * train.groupby(["Store", "Dept"]).ngroups
    assert np.isfinite(out["forecast"]).all()
    with pytest.raises(DataValidationError, match="known-future"):
        fc.predict()
    extra = pd.concat([future, future[future["Dept"] == 1].assign(Dept=99)])
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        pd.testing.assert_frame_equal(fc.predict(future=extra), out)
    assert caplog.text.count("rows of 1 series the forecast does not include") == 1


@pytest.mark.parametrize(
    "extra, named",
    [
        ({"time_budget": 60}, "time_budget"),
        ({"quantiles": [0.1, 0.9]}, "quantiles"),
        ({"learners": ["theta"]}, "learners=\\['theta'\\]"),
        ({"learners": ["lightgbm", "ets"]}, "learners="),
    ],
)
def test_what_the_dask_path_cannot_do_is_refused(client, retail, extra, named) -> None:
    ddf = dd.from_pandas(retail, npartitions=2)
    with pytest.raises(DataValidationError, match=named):
        Forecaster(**{**KW, **extra}, compute={"client": client}).fit(ddf)


def test_methods_that_read_the_rows_say_so(on_dask, retail) -> None:
    fc, _, _ = on_dask
    for call in (fc.explain, fc.data_checks, fc.make_future_frame):
        with pytest.raises(DataValidationError, match="Dask DataFrame"):
            call()
    with pytest.raises(DataValidationError, match="Dask DataFrame is read by Forecaster.fit"):
        fc.backtest(dd.from_pandas(retail, npartitions=2))


def test_partitions_reading_different_frequencies_are_refused() -> None:
    """One partition of business days, one of calendar days: name the two and the fix."""
    kw = {"target": "y", "time": "t", "ids": ["id"]}
    days = pd.DataFrame({"id": "a", "t": pd.date_range("2024-01-01", periods=30, freq="D"), "y": 1.0})
    bdays = pd.DataFrame({"id": "b", "t": pd.bdate_range("2024-01-01", periods=30), "y": 1.0})
    schemas = [validate(d, **kw).schema for d in (days, bdays)]
    with pytest.raises(DataValidationError, match=r"different time freqs \['B', 'D'\].*data=\{'freq'"):
        dist._merge_schemas(schemas, ["id", "t", "y"])


def test_partitions_reading_zoned_stamps_differently_are_refused() -> None:
    """Hourly bike rentals in New York time: a partition of all hours is read as UTC, one of
    daytime hours on the wall clock; with freq='h' given for both, the zones still differ."""
    df = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz")).head(24 * 40)
    t = (pd.to_datetime(df["dteday"]) + pd.to_timedelta(df["hr"], unit="h")).dt.tz_localize(
        "America/New_York", ambiguous="NaT", nonexistent="NaT")
    rows = pd.DataFrame({"id": "all day", "t": t, "y": df["cnt"].astype(float)}).dropna()
    day = rows[rows["t"].dt.hour.between(9, 17)].assign(id="daytime")
    schemas = [validate(d, target="y", time="t", ids=["id"], freq="h").schema for d in (rows, day)]
    assert [s.tz for s in schemas] == ["America/New_York", "wall:America/New_York"]
    with pytest.raises(DataValidationError, match="wall clock in some, as UTC in others.*convert"):
        dist._merge_schemas(schemas, ["id", "t", "y"])


def test_schemas_merge_categories_and_static_columns() -> None:
    """A column constant within series in one partition but not another is a past covariate;
    categories are the sorted union, as one validation of all rows gives."""
    kw = {"target": "y", "time": "t", "ids": ["id"]}
    t = pd.date_range("2024-01-01", periods=4, freq="D")
    a = pd.DataFrame({"id": "a", "t": t, "y": 1.0, "kind": "x", "promo": "on"})
    b = pd.DataFrame({"id": "b", "t": t, "y": 2.0, "kind": "w", "promo": ["on", "off"] * 2})
    merged = dist._merge_schemas([validate(d, **kw).schema for d in (a, b)], list(a.columns))
    whole = validate(pd.concat([a, b]), **kw).schema
    assert merged.static == whole.static == ("kind",)
    assert merged.past == whole.past == ("promo",)
    assert merged.categories == whole.categories


def test_a_refit_on_pandas_rows_forgets_the_cluster(client, retail) -> None:
    some = retail[retail["State"] == "Tasmania"]
    fc = Forecaster(**KW, learners=["lightgbm"], compute={"client": client})
    fc.fit(dd.from_pandas(some, npartitions=2)).fit(some)
    assert fc.dask_ is None
    assert fc.explain().importance is not None  # reads the rows now held in process
    pd.testing.assert_frame_equal(fc.predict(), fc._forecast(fc.history_, {}))


def test_days_closed_on_holidays_are_read_so_on_dask_as_in_process(client) -> None:
    """Washington's registered and casual riders on working days, one series a partition, with
    holidays="US-DC": read as closed on the District's holidays, as a pandas table is; where one
    series has a row on a holiday (July 4th), every partition reads them as gaps, as pandas does."""
    df = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    days = df[df["workingday"] == 1].groupby("dteday", as_index=False)[["registered", "casual"]].sum()
    rows = days.melt(id_vars="dteday", var_name="riders", value_name="y")
    rows = rows.assign(dteday=pd.to_datetime(rows["dteday"]))
    kw = {"target": "y", "time": "dteday", "ids": ["riders"], "horizon": 3, "holidays": "US-DC",
          "learners": ["lightgbm"]}
    for table, freq in ((rows, "C(Mon Tue Wed Thu Fri; US-DC holidays)"),
                        (pd.concat([rows, pd.DataFrame({"dteday": [pd.Timestamp("2012-07-04")], "riders": ["casual"],
                                                        "y": [900.0]})], ignore_index=True), "B")):
        assert validate(table, target="y", time="dteday", ids=["riders"], holidays="US-DC").schema.freq == freq
        fc = Forecaster(**kw, compute={"client": client}).fit(dd.from_pandas(table, npartitions=2))
        assert fc.dask_.schema.freq == freq


def test_a_bad_row_is_named_at_its_row_of_the_table(client, retail) -> None:
    """A date that cannot be read, in a Dask DataFrame: named at its row of the table given
    (it was its position inside the shuffled partition)."""
    bad = retail.astype({"Month": object})
    bad.loc[643, "Month"] = "2018-13-45"
    fc = Forecaster(**KW, learners=["lightgbm"], compute={"client": client})
    with pytest.raises(DataValidationError, match=r"could not be read as dates at row 643\b"):
        fc.fit(dd.from_pandas(bad, npartitions=3))


def test_a_column_of_numbers_with_text_cells_is_numbers_in_every_partition(client, walmart_small, caplog) -> None:
    """Walmart's temperatures as text with two '--' (department 3's): in process numbers, the
    '--' missing; on Dask each partition decided the rule on its own rows, so those without a
    '--' read them as labels and the merged schema made the column a categorical of their
    levels (the other partitions' temperatures unseen, read as missing). The rule is decided
    on the whole frame, by the partitions' counts of text: numbers, as in process; the fit's
    own reads of its rows do not warn of text in a history table."""
    features = pd.read_csv(shared_file("forecasting/walmart_store_sales/features.csv"), parse_dates=["Date"])
    df = walmart_small.drop(columns="IsHoliday").merge(features[["Store", "Date", "Temperature"]])
    df["Temperature"] = df["Temperature"].astype(str).astype(object)
    df.loc[df.index[df["Dept"] == 3][[10, 20]], "Temperature"] = "--"
    kw = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"], "known_future": ["Temperature"]}
    assert validate(df, **kw).schema.categories == {}
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**kw, horizon=4, compute={"client": client}).fit(dd.from_pandas(df, npartitions=3))
    assert fc.dask_.schema.categories == {}
    assert "history table" not in caplog.text


class NoMemoryForOneSeries(LightGBMLearner):
    """LightGBM whose training rows of one Victorian series (so of one partition, on one
    worker) cannot be built once LightGBM trains on them (they were counted)."""

    SERIES = ("Victoria", "Clothing retailing")

    def training_rows(self, panel, step=1, label=False):
        keys = set(panel.keys[["State", "Industry"]].itertuples(index=False, name=None))
        if self.SERIES in keys and "_train_held" in str(distributed.get_worker().get_current_task()):
            raise MemoryError("no memory left for the rows of a Victorian series")
        return super().training_rows(panel, step, label=label)


def test_a_worker_failing_in_the_training_fails_the_fit_at_once(client, retail) -> None:
    """The fit raises within seconds (not LightGBM's time_out of 120 minutes) naming the
    worker and the cause; both workers run the next tasks."""
    fc = Forecaster(**KW, learners=[NoMemoryForOneSeries()], compute={"client": client})
    start = time.monotonic()
    with pytest.raises(DistributedTrainingError, match=r"failed on Dask worker \S+: MemoryError: no memory") as info:
        fc.fit(dd.from_pandas(retail, npartitions=4))
    assert time.monotonic() - start < 60 and isinstance(info.value.__cause__, MemoryError)
    workers = sorted(client.scheduler_info()["workers"])
    ran = [client.submit(len, "ab", workers=[w], allow_other_workers=False, pure=False) for w in workers]
    assert [f.result(timeout=30) for f in ran] == [2, 2]
