"""``Forecaster(hierarchy=...)``: every level out, coherent, quantiles ordered; the future frame,
covariates, middle_out, levels and histories of a hierarchy."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Forecaster, datasets
from tsauto.core.exceptions import DataValidationError

KW = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"], "horizon": 6}


@pytest.fixture(scope="module")
def fitted(aus_small):
    fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["seasonal_naive", "theta"],
                    quantiles=[0.1, 0.9], reconcile="mint_shrink")
    return fc.fit(aus_small[aus_small["Month"] >= "2010-01-01"])


def test_every_level_out_and_coherent(fitted) -> None:
    bottom = fitted.predict()
    assert len(bottom) == 12 * 6 and {"State", "Industry"} <= set(bottom.columns)
    states = fitted.predict(level=["State"])
    assert len(states) == 2 * 6
    total = fitted.predict(level=[])
    assert len(total) == 6
    every = fitted.predict(level="all")
    assert "level" in every.columns and every["level"].nunique() == 4
    by_time = bottom.groupby("Month")["forecast"].sum().to_numpy()
    np.testing.assert_allclose(total["forecast"].to_numpy(), by_time, rtol=1e-6)
    per_state = bottom.groupby(["State", "Month"])["forecast"].sum().to_numpy()
    np.testing.assert_allclose(states.sort_values(["State", "Month"])["forecast"].to_numpy(), per_state, rtol=1e-6)
    assert (every["q0.1"] <= every["forecast"] + 1e-9).all() and (every["forecast"] <= every["q0.9"] + 1e-9).all()
    assert fitted.hierarchy_.reconciler.method == "mint_shrink"  # validation residuals existed


def test_forecasts_far_outside_are_named_once_as_reconciled(fitted, caplog, monkeypatch) -> None:
    """The warning of forecasts far outside their history quotes the reconciled forecasts, once
    (a review: the forecaster of all nodes said it of its forecasts before reconciliation)."""
    from tsauto.forecasting import forecaster

    monkeypatch.setattr(forecaster, "far_outside", lambda panel, mean: np.ones(len(mean), dtype=bool))
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fitted.predict(level="all")
    said = [r.getMessage() for r in caplog.records if "far outside their history's range" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"series forecast far outside their history's range: {out['node'].nunique()},")
    first = said[0].split("e.g. ")[1].split(" (forecast ")
    shown = out[out["node"] == first[0]]["forecast"]
    assert first[1].startswith(f"{shown.min():.6g} to {shown.max():.6g},")


def test_nodes_without_validation_errors_are_logged_once(aus_small, caplog) -> None:
    """A series that starts within the last months has no validation errors: said once per
    fit, naming its node, not at every cutoff the choice of reconciler refits on."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    short = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df = df[~short | (df["Month"] >= df["Month"].max() - pd.DateOffset(months=2))]
    with caplog.at_level(logging.INFO, logger="tsauto"):
        Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive", "seasonal_naive"]).fit(df)
    said = [r.getMessage() for r in caplog.records if "fewer than 2 validation errors" in r.getMessage()]
    assert len(said) == 1 and "Tasmania" in said[0]


def test_a_bottom_series_without_rows_at_the_end_counts_zero_there(aus_small, caplog) -> None:
    """One series' last three months absent (a department closed): its parents sum the others
    there, so it is carried to the table's end with zeros, named in the log and the plan, and
    every node forecasts from the same origin (before, it was forecast from its own last month,
    three months earlier, with dates already in the table)."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    closed = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df = df[~closed | (df["Month"] <= df["Month"].max() - pd.DateOffset(months=3))]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df)
    said = [r.getMessage() for r in caplog.records if "counted 0 after their last row" in r.getMessage()]
    assert len(said) == 1 and "1 bottom series" in said[0] and "Tasmania" in said[0]
    assert not any("end before the last time of the others" in r.getMessage() for r in caplog.records)
    out = fc.predict(level="all")
    assert out.groupby("node")["Month"].min().nunique() == 1  # one origin
    bottom = out[(out["State"] == "Tasmania") & (out["Industry"] == df.loc[closed, "Industry"].iloc[0])]
    assert bottom["forecast"].abs().max() < 1e-6  # naive on its zeros
    drops = fc.data_checks_.query("check == 'ends_in_a_drop'")  # the zeros are not the user's rows to fix
    assert drops["status"].tolist() == ["passed"]


def test_a_bottom_series_ending_early_is_named(aus_small, caplog) -> None:
    """The last three months of one series not reported yet: it ends before the other nodes
    (its parents sum the others there), and the fit says so in the log and the plan notes."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])].copy()
    late = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df.loc[late & (df["Month"] > df["Month"].max() - pd.DateOffset(months=3)), "Turnover"] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df)
    said = [r.getMessage() for r in caplog.records if "end before the last time" in r.getMessage()]
    assert len(said) == 1 and "1 node(s)" in said[0] and "Tasmania" in said[0]
    assert any("end before the last time" in n for n in fc.hierarchy_.base.plan_.notes)
    complete = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df[~late])
    assert not any("end before" in n for n in complete.hierarchy_.base.plan_.notes)
    caplog.clear()  # history='s checks are not run on the nodes: the zeros it is carried with are no drop (review 50)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=df)
    assert "data check" not in caplog.text


def test_bottom_series_of_history_ending_early_are_named(aus_small, caplog) -> None:
    """User test 50: a state's last 2 months missing from a nightly history= were carried with
    zeros and its forecast fell 30 %, without a word; now a warning names its series."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    cut = df["Month"].max() - pd.DateOffset(months=6)
    fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["naive"]).fit(df[df["Month"] <= cut])
    newer = df[df["Month"] > cut]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=newer)
    assert "end before its last time step" not in caplog.text
    short = newer[~((newer["State"] == "Tasmania") & (newer["Month"] > newer["Month"].max() - pd.DateOffset(months=2)))]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=short)
    said = [r.getMessage() for r in caplog.records if "end before its last time step" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("2 bottom series of history= end before") and "Tasmania" in said[0]


def test_the_newest_rows_of_each_series_continue_the_training_rows(aus_small, caplog) -> None:
    """history= of each series' two newest rows, one series closed two years before the others:
    every level forecast as from the whole table. Summed to the nodes first, its parents began
    at its last rows as that series alone, the two years between interpolated (a user test:
    the total moved by 14.3)."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    closed = (df["State"] == "Tasmania") & (df["Industry"] == df["Industry"].iloc[0])
    df = df[~closed | (df["Month"] <= df["Month"].max() - pd.DateOffset(years=2))]
    fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["theta", "lightgbm"]).fit(df)
    newest = df.groupby(["State", "Industry"]).tail(2)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fc.predict(history=newest, level="all")
    assert "imputed" not in caplog.text
    pd.testing.assert_frame_equal(out, fc.predict(level="all"))
    recent = df[df["Month"] > df["Month"].max() - pd.DateOffset(months=2)]  # none of the closed series'
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        pd.testing.assert_frame_equal(fc.predict(history=recent, level="all"), out)  # its parents held a share of it
    assert "have no rows in history=" not in caplog.text
    with pytest.raises(DataValidationError, match="the history table has no column 'Industry'"):  # a raw KeyError
        fc.predict(history=recent.drop(columns="Industry"))
    contributions = fc.explain(series="total", steps=1, history=newest).contributions
    pd.testing.assert_frame_equal(contributions, fc.explain(series="total", steps=1).contributions)


def test_newer_rows_continue_as_the_whole_table_reads_them(aus_small, caplog) -> None:
    """Four newer months of each series: one series' newest target missing, another's first two
    months absent (a gap after its training rows), a third's last three training months absent
    (carried with zeros at fit): every level as from the whole table with the same rows. The
    missing target was carried as a real 0, the gapped series was left out of its parents'
    training rows (a review: its state a third lower for 8 years), and the third was continued
    with the fit's zeros where the whole table has none (a user test: -21.8 against -41.1)."""
    df = aus_small[(aus_small["Month"] >= "2010-01-01") & aus_small["Industry"].isin(aus_small["Industry"].unique()[:2])]
    df = df.assign(Promo=(df["Month"].dt.month == 12).map({True: "sale", False: "none"}))
    cut = df["Month"].max() - pd.DateOffset(months=4)
    first, second, third = df[["State", "Industry"]].drop_duplicates().iloc[:3].itertuples(index=False)
    paused = (df["State"] == third.State) & (df["Industry"] == third.Industry) & df["Month"].between(
        cut - pd.DateOffset(months=2), cut)  # ends before the fit's end (carried with zeros there), back after it
    df = df[~paused]
    fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["theta", "lightgbm"],
                    known_future=["Promo"]).fit(df[df["Month"] <= cut])
    late = df.assign(Turnover=df["Turnover"].mask((df["State"] == first.State) & (df["Industry"] == first.Industry)
                                                   & (df["Month"] == df["Month"].max())))
    late = late[~((late["State"] == second.State) & (late["Industry"] == second.Industry)
                  & (late["Month"] > cut) & (late["Month"] <= cut + pd.DateOffset(months=2)))]
    fut = fc.make_future_frame(history=late)
    fut = fut.assign(Promo=(fut["Month"].dt.month == 12).map({True: "sale", False: "none"}))
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        newer = fc.predict(future=fut, history=late[late["Month"] > cut], level="all")
    assert "1 bottom series of history= start more than a step after" in caplog.text and second.Industry in caplog.text
    pd.testing.assert_frame_equal(newer, fc.predict(future=fut, history=late, level="all"))


# ---------------------------------------------------------------------- Walmart stores 1-2 x departments 1-3

WALMART = {"target": "Weekly_Sales", "time": "Date", "ids": ["Store", "Dept"], "horizon": 4,
           "hierarchy": ["Store", "Dept"]}


@pytest.fixture(scope="module")
def walmart_six() -> pd.DataFrame:
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    df = datasets.load_walmart(with_features=True)
    return df[df["Store"].isin([1, 2]) & df["Dept"].isin([1, 2, 3])].reset_index(drop=True)


@pytest.fixture(scope="module")
def holiday_fit(walmart_six) -> Forecaster:
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    return Forecaster(**WALMART, known_future=["IsHoliday"], learners=["seasonal_naive"]).fit(data)


def test_future_frame_holds_the_bottom_series_that_predict_reads(holiday_fit, walmart_six) -> None:
    """make_future_frame, fill the known-future column, predict(future=): the frame held node ids
    ('total', 'Store=1') that predict could not read, and history= had to hold node ids."""
    fut = holiday_fit.make_future_frame()
    assert list(fut.columns) == ["Store", "Dept", "Date"] and len(fut) == 6 * 4
    assert fut[["Store", "Dept"]].dtypes.eq("int64").all()
    out = holiday_fit.predict(future=fut.assign(IsHoliday=False), level="all")
    assert len(out) == (1 + 2 + 6) * 4 and np.isfinite(out["forecast"]).all()
    earlier = walmart_six[walmart_six["Date"] <= "2012-06-29"].drop(columns=["Temperature", "Type", "Size"])
    past = holiday_fit.make_future_frame(history=earlier)
    assert past["Date"].min() == pd.Timestamp("2012-07-06") and len(past) == 6 * 4
    clash = pd.concat([fut.assign(IsHoliday=False), fut.iloc[[1]].assign(IsHoliday=True)], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"2 rows that share a \(series, time\) pair .* rows 1, 24"):
        holiday_fit.predict(future=clash)  # it was averaged into the nodes, silently
    per_store = fut.assign(IsHoliday=fut["Date"] == fut["Date"].min()).drop(columns="Dept").drop_duplicates()
    every = fut.merge(per_store, on=["Store", "Date"])  # a week's flag of each store, for its departments
    pd.testing.assert_frame_equal(holiday_fit.predict(future=per_store, level="all"),
                                  holiday_fit.predict(future=every, level="all"))


def test_explain_reads_the_training_table_columns(holiday_fit, walmart_six) -> None:
    """history= and future= of explain() in the training table's columns (they needed node ids)."""
    fut = holiday_fit.make_future_frame().assign(IsHoliday=False)
    history = walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    ex = holiday_fit.explain(series="Store=1", steps=1, future=fut, history=history)
    assert ex.weights["learner"].tolist() == ["seasonal_naive"]


def test_quantiles_of_a_never_negative_node_are_clipped_at_zero(walmart_six) -> None:
    """A department of zeros: its base quantiles are clipped at zero, but the reconciled sample
    paths gave q0.1 = -0.15; the guard holds at every node, quantiles ordered around the forecast."""
    w = walmart_six[(walmart_six["Store"] == 1) & walmart_six["Dept"].isin([1, 2])]
    w = w[["Store", "Dept", "Date", "Weekly_Sales"]]
    df = pd.concat([w, w[w["Dept"] == 1].assign(Dept=999, Weekly_Sales=0.0)], ignore_index=True)
    fc = Forecaster(**WALMART, quantiles=[0.1, 0.9], learners=["theta", "seasonal_naive"]).fit(df)
    out = fc.predict(level="all")
    zeros = out[out["node"] == "Store=1/Dept=999"]
    assert len(zeros) == 4 and (zeros[["forecast", "q0.1", "q0.9"]] == 0).all().all()  # never changed: no band
    assert (out["q0.1"] <= out["forecast"] + 1e-9).all() and (out["forecast"] <= out["q0.9"] + 1e-9).all()
    # how the nodes' base quantiles were made (user test 51: an AttributeError)
    assert fc.intervals_ is fc.hierarchy_.base.intervals_ and fc.intervals_.quantiles == (0.1, 0.9)


def test_columns_the_nodes_are_not_forecast_from_are_named(walmart_six, caplog) -> None:
    """Temperature (past), Type and Size (static) were dropped silently: the flat model uses them."""
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc = Forecaster(**WALMART, known_future=["IsHoliday"], learners=["seasonal_naive"]).fit(
            walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday", "Temperature", "Type", "Size"]])
    said = [r.getMessage() for r in caplog.records if "column(s) not used" in r.getMessage()]
    assert len(said) == 1 and "3 column(s) not used (Temperature, Type, Size;" in said[0]
    checks = fc.data_checks()
    ignored = checks[checks["message"].str.startswith("ignored: not used with hierarchy=")]
    assert ignored["column"].tolist() == ["Temperature", "Type", "Size"] and (ignored["status"] == "alert").all()


def test_data_checks_describe_the_users_table(walmart_six, caplog) -> None:
    """The checks described the node table: an id column ``node``, 10 series (the 6 departments,
    2 stores, type A and the total), IsHoliday missing in the zeros a department that ended early is
    carried with, and ``ends_early`` passed where the fit warned that it ends early. Now: the
    user's id columns and hierarchy level (Type), the 6 series and the 4 nodes the hierarchy
    adds, and the early end named as the fit names it (a series whose last targets are missing
    ends early as without a hierarchy); the nodes' own checks are kept, not logged."""
    cut = (walmart_six["Store"] == 2) & (walmart_six["Dept"] == 3) & (walmart_six["Date"] > "2012-09-07")
    data = walmart_six.loc[~cut, ["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday", "Type", "Temperature"]]
    late = (data["Store"] == 1) & (data["Dept"] == 1) & (data["Date"] > "2012-10-12")
    data.loc[late, "Weekly_Sales"] = np.nan  # its last two weeks
    with caplog.at_level(logging.INFO, logger="tsauto"):
        fc = Forecaster(**{**WALMART, "hierarchy": ["Type", "Store", "Dept"]}, known_future=["IsHoliday"],
                        learners=["seasonal_naive"]).fit(data)
    checks = fc.data_checks().set_index("column")
    roles = checks[checks["check"] == "column_role"]
    assert list(roles.index) == list(data.columns)
    assert roles.loc[["Store", "Dept", "Type", "Temperature"], "status"].tolist() == ["passed"] * 3 + ["alert"]
    assert roles.loc["Store", "message"].startswith("id: ")
    assert roles.loc["Type", "message"].startswith("hierarchy level")
    checks = fc.data_checks().set_index("check")
    lengths = checks.loc["series_lengths"]
    assert lengths["count"] == 6 and "adds 4 aggregate nodes (total 1, Type 1, Store 2)" in lengths["message"]
    early = checks.loc["ends_early"]
    assert early["status"].tolist() == ["alert"] * 2 and early["series"].tolist() == [("2/3",), ("1/1",)]
    assert early["count"].tolist() == [7, 2] and "counted 0 after their last row" in early["message"].iloc[0]
    assert "1 of 6 series end before the table's last time step" in early["message"].iloc[0]
    assert "forecast from their own end" in early["message"].iloc[1]
    assert checks.loc["missing_covariates", "status"] == "passed"  # not the zeros carried
    warned = [r.getMessage() for r in caplog.records if "end before the table's last time" in r.getMessage()]
    assert len(warned) == 1 and "1 bottom series" in warned[0]  # by the fit, not again by the checks
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("data_checks")]
    assert len(logged) == len(checks) - 3 and not any("Type=A" in m for m in logged)  # nor Temperature
    assert "node" in set(fc.hierarchy_.base.data_checks()["column"])  # the nodes' own


def test_a_duplicate_row_is_refused_as_without_a_hierarchy(walmart_six) -> None:
    """A row given twice was summed into its department and the nodes above it (its sales
    doubled) while the data checks said "one row per series and time step". Refused as a fit
    without hierarchy refuses it."""
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales"]]
    doubled = pd.concat([data, data.iloc[[5]]], ignore_index=True)
    said = (r"1 row is an exact copy of an earlier one \(every column equal\) at row 858 \(e.g. row 858 repeats row 5, "
            r"\{'Store': 1, 'Dept': 1, .*\}\): drop the copies")
    with pytest.raises(DataValidationError, match=said):
        Forecaster(**WALMART, learners=["naive"]).fit(doubled)
    fc = Forecaster(**WALMART, learners=["naive"]).fit(data)  # and in a history to forecast from
    with pytest.raises(DataValidationError, match=said):
        fc.predict(history=doubled)


def test_a_categorical_known_future_column_is_aggregated(walmart_six) -> None:
    """Labels ("none"/"xmas") by the most frequent: they were refused, pointing to rules=."""
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales"]].assign(
        Event=np.where(walmart_six["IsHoliday"] & (walmart_six["Date"].dt.month == 12), "xmas", "none"))
    fc = Forecaster(**WALMART, known_future=["Event"], learners=["seasonal_naive"]).fit(data)
    fut = fc.make_future_frame().assign(Event="none")
    assert len(fc.predict(future=fut, level=[])) == 4


def test_a_missing_flag_in_the_future_names_its_series(walmart_six) -> None:
    """One NaN in the bool column: refused as not numeric (rules=); now as without a hierarchy
    (LightGBM reads the flag: a model that does not needs no future table)."""
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    fc = Forecaster(**WALMART, known_future=["IsHoliday"], learners=["lightgbm"]).fit(data)
    fut = fc.make_future_frame().assign(IsHoliday=False).astype({"IsHoliday": object})
    fut.loc[5, "IsHoliday"] = np.nan  # Store 1, Dept 2, second step
    with pytest.raises(DataValidationError, match=r"'IsHoliday' of the future table is missing at row 5 .*\{'Store': 1, 'Dept': 2\}"):
        fc.predict(future=fut)


def test_middle_out_names_its_level(walmart_six) -> None:
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales"]]
    fc = Forecaster(**WALMART, learners=["seasonal_naive"], reconcile="middle_out:Store").fit(data)
    assert (fc.hierarchy_.reconciler.method, fc.hierarchy_.reconciler.level) == ("middle_out", "Store")
    out = fc.predict(level="all")
    stores = out[out["level"] == "Store"].groupby("Store")["forecast"].sum()
    depts = out[out["level"] == "Store/Dept"].groupby("Store")["forecast"].sum()
    np.testing.assert_allclose(stores.to_numpy(), depts.to_numpy(), rtol=1e-9)
    same = fc.predict(future=fc.make_future_frame())  # no known-future column: a future of ids and times
    pd.testing.assert_frame_equal(same, fc.predict())
    with pytest.raises(DataValidationError, match=r"reconcile='middle_out:Store' \(the levels: 'total', 'Store'"):
        Forecaster(**WALMART, reconcile="middle_out").fit(data)
    with pytest.raises(DataValidationError, match=r"no level named 'Region'"):
        Forecaster(**WALMART, reconcile="middle_out:Region").fit(data)


def test_a_history_without_a_bottom_series_is_named(holiday_fit, walmart_six, caplog) -> None:
    """Store 2 without its department 2: its forecast fell silently to the sum of the others.
    Said once, by bottom series: the forecaster of all nodes then said "1 of 9 series of the
    fit are not in history=", counting nodes as series."""
    history = walmart_six[~((walmart_six["Store"] == 2) & (walmart_six["Dept"] == 2))]
    fut = holiday_fit.make_future_frame().assign(IsHoliday=False)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = holiday_fit.predict(future=fut, history=history, level=["Store"])
    said = [r.getMessage() for r in caplog.records if "no rows in history=" in r.getMessage()]
    assert len(said) == 1 and "(Store=2/Dept=2)" in said[0] and "(total, Store=2)" in said[0]
    assert not any("series of the fit are not in history=" in r.getMessage() for r in caplog.records)
    assert len(out) == 2 * 4


def test_a_future_table_per_store_names_only_the_stores_not_forecast(walmart_six, caplog) -> None:
    """A table per store is read for each of its departments: a store the model lacks is named
    in the table's terms, and departments absent from history= are not (the user gave none of
    their rows; a user test: "rows of 2 series the forecast does not include, [{'node':
    'Store=1/Dept=51'}, ...]")."""
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    fc = Forecaster(**WALMART, known_future=["IsHoliday"], learners=["lightgbm"]).fit(data)
    recent = data[(data["Date"] > "2012-06-29") & (data["Dept"] != 3)]
    per_store = fc.make_future_frame(history=recent).drop(columns="Dept").drop_duplicates()
    per_store = per_store.assign(IsHoliday=False)
    unknown = per_store[per_store["Store"] == 1].assign(Store=3)
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        out = fc.predict(future=pd.concat([per_store, unknown]), history=recent)
    said = [r.getMessage() for r in caplog.records if "the forecast does not include" in r.getMessage()]
    assert len(said) == 1 and "rows of 1 series the forecast does not include, for example [{'Store': 3}]" in said[0]
    assert len(out) == 4 * 4


def test_a_history_long_after_the_fit_counts_the_users_series(aus_small, caplog) -> None:
    """history= a year after the training data's end: each bottom series is forecast from its
    own rows, and the warning counts and names those (it counted the 15 nodes as "series of
    history=": 'Industry=...', 'State=...')."""
    cut = aus_small["Month"].max() - pd.DateOffset(months=24)
    fc = Forecaster(**KW, hierarchy=[["State"], ["Industry"]], learners=["seasonal_naive"])
    fc.fit(aus_small[aus_small["Month"] <= cut])
    later = aus_small[aus_small["Month"] > cut + pd.DateOffset(months=12)]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=later)
    said = [r.getMessage() for r in caplog.records if "start more than a step after" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("12 series of history= start more than a step after")
    assert "(State=Tasmania/Industry=" in said[0]


def test_interval_levels_given_to_a_hierarchy_are_told_how_tsauto_makes_intervals(fitted) -> None:
    """level=[80, 95] meant as statsforecast's interval levels: the hierarchy's error says the
    quantiles to set (user test 48); a level the hierarchy has is read as before."""
    with pytest.raises(DataValidationError, match=r"level=80: name a level .* set quantiles=\[0.025, 0.1, 0.9, "
                       r"0.975\] when constructing the Forecaster"):
        fitted.predict(level=[80, 95])
    with pytest.raises(DataValidationError, match=r"drop level=, as the quantiles asked for at fit hold them already: "
                       r"the forecasts hold the columns q0.1, q0.9 \(the 80 % band q0.1 to q0.9\)"):
        fitted.predict(level=80)  # quantiles=[0.1, 0.9]
    for level in (["Region"], 3):  # a column, a level's position
        with pytest.raises(DataValidationError) as err:
            fitted.predict(level=level)
        assert "quantiles=" not in str(err.value)
    assert len(fitted.predict(level=["State"])) == 2 * 6


def test_level_and_unseen_series_are_clear_errors(holiday_fit, walmart_six) -> None:
    fut = holiday_fit.make_future_frame().assign(IsHoliday=False)
    with pytest.raises(DataValidationError, match=r"level=3: name a level"):
        holiday_fit.predict(future=fut, level=3)
    with pytest.raises(DataValidationError, match=r"no level named 'Region'; the levels are 'total' \[\]"):
        holiday_fit.predict(future=fut, level="Region")
    history = pd.concat([walmart_six, walmart_six[walmart_six["Dept"] == 1].assign(Dept=77)])
    with pytest.raises(DataValidationError, match=r"series \{'Store': 1, 'Dept': 77\} at positions .*\(counted from 0\) .*fit on a table"):
        holiday_fit.predict(future=fut, history=history)


def test_reconciled_bottom_series_follow_the_guards_and_the_levels_stay_coherent() -> None:
    """Store 2's departments 39 and 51 closed in 2010, and 1 and 2 were never negative: ols
    reconciled them to -29.2 and -103.6 (q0.9 971) on stores 1-2. Now the closed ones are
    forecast 0 and the never negative ones at least 0, quantiles too, and the store and the
    total are the sums of their departments."""
    shared_file("forecasting/walmart_store_sales/train.csv.gz")
    w = datasets.load_walmart()
    df = w[(w["Store"] == 2) & w["Dept"].isin([1, 2, 39, 45, 51])].reset_index(drop=True)
    fc = Forecaster(**WALMART, learners=["seasonal_naive", "theta"], reconcile="ols", quantiles=[0.1, 0.9],
                    data={"fill": "zero"}).fit(df)
    out = fc.predict(level="all")
    bottom = out[out["level"] == "Store/Dept"]
    closed = bottom[bottom["Dept"].isin([39, 51])]
    assert len(closed) == 2 * 4 and (closed[["forecast", "q0.1", "q0.9"]] == 0).all().all()
    never_negative = bottom[bottom["Dept"].isin([1, 2])]
    assert (never_negative[["forecast", "q0.1", "q0.9"]] >= 0).all().all()
    sums = bottom.groupby("Date")["forecast"].sum().to_numpy()
    for level in ("Store", "total"):
        np.testing.assert_allclose(out.loc[out["level"] == level, "forecast"].to_numpy(), sums, rtol=1e-9)
    assert (out["q0.1"] <= out["forecast"] + 1e-9).all() and (out["forecast"] <= out["q0.9"] + 1e-9).all()
    # how the nodes' base quantiles were made (user test 51: an AttributeError)
    assert fc.intervals_ is fc.hierarchy_.base.intervals_ and fc.intervals_.quantiles == (0.1, 0.9)


def test_hierarchy_with_partitions_is_refused_at_fit(aus_small) -> None:
    """Accepted, each partition fitted its own hierarchy, then predict(level="all") said "fitted
    without a hierarchy"; now refused, naming both options and the alternatives."""
    fc = Forecaster(**KW, hierarchy=["State", "Industry"], partition_by="State", learners=["naive"])
    for call in (lambda: fc.fit(aus_small), lambda: fc.backtest(aus_small, folds=2)):
        with pytest.raises(DataValidationError, match=r"hierarchy=\['State', 'Industry'\] with partition_by='State'") as err:
            call()
        assert "top level" in str(err.value) and "on each partition's rows" in str(err.value)
    crossed = Forecaster(**KW, hierarchy=[["Industry"]], partition_by="State")
    with pytest.raises(DataValidationError, match=r"hierarchy=\[\['State'\], \['Industry'\]\]"):
        crossed.fit(aus_small)


def test_an_empty_hierarchy_is_refused(aus_small) -> None:
    """hierarchy=[] was read as no hierarchy, without a word (an empty crossed chain, [[]],
    was refused): refused at fit and backtest, before any work."""
    for empty in ([], [[]]):
        fc = Forecaster(**KW, hierarchy=empty, learners=["naive"])
        for call in (lambda: fc.fit(aus_small), lambda: fc.backtest(aus_small, folds=2)):
            with pytest.raises(DataValidationError, match=r"hierarchy=\[\[?\]?\]: give a list of columns") as err:
                call()
            assert "leave it out (None) for no hierarchy" in str(err.value)
    # an empty part between two (the CLI's --hierarchy 'State;;Industry') was a raw TypeError
    with pytest.raises(DataValidationError, match=r"hierarchy=\[\['State'\], None, \['Industry'\]\]: give a list"):
        Forecaster(**KW, hierarchy=[["State"], None, ["Industry"]], learners=["naive"]).fit(aus_small)


def test_reconcile_without_a_hierarchy_is_named(aus_small, caplog) -> None:
    """reconcile='mint_shrink' without hierarchy= was ignored silently; the default says nothing."""
    df = aus_small[(aus_small["Month"] >= "2015-01-01") & (aus_small["State"] == "Tasmania")]
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        Forecaster(**KW, learners=["naive"], reconcile="mint_shrink").fit(df)
    said = [r.getMessage() for r in caplog.records if "reconcile=" in r.getMessage()]
    assert len(said) == 1 and "reconcile='mint_shrink' is not used" in said[0] and "hierarchy=" in said[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        Forecaster(**KW, learners=["naive"]).fit(df)
        Forecaster(**KW, learners=["naive"], hierarchy=["State", "Industry"], reconcile="bottom_up").fit(df)
    assert not any("is not used" in r.getMessage() for r in caplog.records)  # the nodes' fit said so


def test_errors_name_the_users_series_not_the_node_table(walmart_six) -> None:
    """A future table without one department said "lacks 4 of the 36 (series, time) rows ...
    [{'node': 'Store=1/Dept=1', ...}]", of a table the user never made; explain(series=(1, 1))
    asked for "keys of the id columns ['node']", explain(series="Store 1") said only "not in
    the data"."""
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    fc = Forecaster(**WALMART, known_future=["IsHoliday"], learners=["lightgbm"]).fit(data)
    fut = fc.make_future_frame().assign(IsHoliday=False)
    with pytest.raises(DataValidationError, match=r"lacks 4 of the 24 rows .*\{'Store': 1, 'Dept': 1, 'Date': '2012-11-02'") as err:
        fc.predict(future=fut[~((fut["Store"] == 1) & (fut["Dept"] == 1))])
    assert "node" not in str(err.value)
    with pytest.raises(DataValidationError, match=r"id column 'Store' of the table holds str values"):
        fc.predict(future=fut.astype({"Store": str}))  # said Store '1' "is not in the hierarchy"
    with pytest.raises(DataValidationError, match=r"the bottom series \(1, 1\) is 'Store=1/Dept=1'"):
        fc.explain(series=(1, 1))
    with pytest.raises(DataValidationError, match=r"series Store 1: .*column=value .*e\.g\. total, Store=1, Store=1/Dept=1"):
        fc.explain(series="Store 1")


def test_a_gappy_history_logs_its_fill_once(aus_small, caplog) -> None:
    """predict(history=) of a hierarchy validated the bottom rows twice (the base model's and the
    bounds') and logged the target's fill twice (review)."""
    fc = Forecaster(**KW, hierarchy=["State", "Industry"], learners=["naive"]).fit(aus_small)
    newer = aus_small.copy()
    newer.loc[newer.index[[30, 31]], "Turnover"] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto"):
        fc.predict(history=newer)
    assert caplog.text.count("imputed 2 missing target values") == 1, caplog.text


def test_a_future_table_lacking_the_week_of_a_missing_newest_target_says_why(walmart_six) -> None:
    """One department's newest target missing: it is forecast from the week before, whose
    future row the table lacks; the error said only to add it (user test)."""
    data = walmart_six[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    fc = Forecaster(**WALMART, known_future=["IsHoliday"], learners=["lightgbm"]).fit(data)
    last = (data["Store"] == 1) & (data["Dept"] == 1) & (data["Date"] == data["Date"].max())
    future = fc.make_future_frame().assign(IsHoliday=False)
    with pytest.raises(DataValidationError, match=r"lacks 1 of .* 1 of them are of series whose last target comes "
                                                  r"before the others' \(a newest value missing\?\)"):
        fc.predict(future=future, history=data.assign(Weekly_Sales=data["Weekly_Sales"].mask(last)))
