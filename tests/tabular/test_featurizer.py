"""Column kinds, data checks and the three encodings of the featurizer, on real tables."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file
from scipy import sparse

from tsauto import Classifier, Regressor
from tsauto.core.exceptions import DataValidationError
from tsauto.tabular.checks import exact_sums, linear_combination
from tsauto.tabular.featurizer import Featurizer, infer_kinds

FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0)


def _with_description(df: pd.DataFrame) -> pd.DataFrame:
    """A free-text column written from six categorical fields of the same rows."""
    fields = [
        "purpose",
        "credit_history",
        "job",
        "housing",
        "property_magnitude",
        "personal_status",
    ]
    return df.assign(description=df[fields].astype(str).agg(". ".join, axis=1))


def test_kinds_and_checks_of_a_mixed_table(credit_g) -> None:
    df, target = credit_g
    X = _with_description(df.drop(columns=target)).assign(
        empty=np.nan,
        row=np.arange(len(df)),
        country="DE",
        opened=pd.date_range("2019-01-01", periods=len(df), freq="D").strftime("%Y-%m-%d"),
    )
    kinds, checks = infer_kinds(X)
    assert kinds["description"] == "text"
    assert kinds["opened"] == "datetime"
    assert kinds["empty"] == kinds["row"] == kinds["country"] == "drop"
    assert kinds["purpose"] == "categorical" and kinds["age"] == "numeric"
    found = {(c.check, c.column) for c in checks}
    assert {
        ("all_missing", "empty"),
        ("id_like", "row"),
        ("constant", "country"),
        ("text", "description"),
        ("datetime", "opened"),
    } <= found


@pytest.mark.parametrize(("value", "shown"), [(1.0, "1.0"), (3, "3"), (True, "True"), ("DE", "'DE'")])
def test_a_constant_column_names_its_value_as_written(credit_g, value, shown) -> None:
    df, target = credit_g
    _, checks = infer_kinds(df.drop(columns=target).assign(constant=value))
    [check] = [c for c in checks if c.column == "constant"]
    assert (check.check, check.finding) == ("constant", f"one value ({shown}) in every row")


def test_featurization_off_and_per_column(credit_g) -> None:
    df, target = credit_g
    X = df.drop(columns=target)
    off, _ = infer_kinds(X, "off")
    assert set(off.values()) == {"numeric", "categorical"}
    kinds, checks = infer_kinds(X, {"age": "categorical", "purpose": "drop"})
    assert kinds["age"] == "categorical" and kinds["purpose"] == "drop"
    assert any(c.check == "column_kind" and c.column == "age" for c in checks)
    with pytest.raises(DataValidationError, match="not in the data"):
        infer_kinds(X, {"colour": "text"})


@pytest.mark.parametrize("featurization", ["auto", "off", {"tags": "categorical"}], ids=["auto", "off", "override"])
def test_a_column_of_lists_is_dropped_whatever_the_featurization(credit_g, featurization, caplog) -> None:
    """Lists or dicts in a column (JSON-like tags) crashed with pandas' 'unhashable type: list'
    (user test): no encoding reads them, so the column is dropped with an alert and a warning
    (but where featurization= drops it already)."""
    df, target = credit_g
    X = df.drop(columns=target).assign(tags=[["x", "y"]] * len(df))
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular.featurizer"):
        kinds, checks = infer_kinds(X, featurization)
    assert kinds["tags"] == "drop" and "column 'tags' holds lists such as ['x', 'y']" in caplog.text
    nested = [c for c in checks if c.column == "tags"]
    assert [(c.check, c.status) for c in nested] == [("nested_values", "alert")]
    _, dropped = infer_kinds(X, {"tags": "drop"})
    assert [c.check for c in dropped if c.column == "tags"] == ["column_kind"]


@pytest.mark.parametrize("encoding", ["native", "ordinal", "linear"])
def test_encodings_learn_from_training_rows_only(credit_g, encoding) -> None:
    df, target = credit_g
    X = _with_description(df.drop(columns=target))
    y = (df[target] == "good").to_numpy().astype(np.int64)
    kinds, _ = infer_kinds(X)
    feat = Featurizer(kinds, encoding, "classification")
    train = feat.fit_transform(X.iloc[:700], y[:700])
    new = X.iloc[700:].copy()
    new.loc[new.index[:5], "purpose"] = "a purpose never seen"
    new.loc[new.index[:5], "age"] = np.nan
    test = feat.transform(new)
    assert train.shape[1] == test.shape[1] and test.shape[0] == 300
    if encoding == "native":
        categories = test.select_dtypes("category")
        assert categories.shape[1] == 13
        assert categories.iloc[:5].isna().any(axis=1).all()  # the unseen purpose is missing
        assert not categories.iloc[5:].isna().any().any()
    elif encoding == "linear":
        assert sparse.issparse(test)  # the TF-IDF of the text stays sparse
    else:
        assert np.isfinite(test).all()


def test_text_column_is_used_end_to_end(credit_g) -> None:
    df, target = credit_g
    data = _with_description(df.head(600))[["description", "age", "credit_amount", target]]
    clf = Classifier(target, max_trials=2, learners=["linear", "lightgbm"], **FAST).fit(data)
    assert clf.kinds_["description"] == "text"
    assert clf.leaderboard()["roc_auc"].max() > 0.6  # the text carries the signal
    assert len(clf.predict(data.head(10))) == 10


def test_all_missing_column_is_dropped_and_optional_at_predict(credit_g) -> None:
    df, target = credit_g
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(df.assign(notes=np.nan))
    checks = clf.guardrails()
    row = checks[checks["column"] == "notes"].iloc[0]
    assert (row["check"], row["action"]) == ("all_missing", "dropped")
    assert len(clf.predict(df)) == len(df)  # the dropped column may be left out


def test_leakage_suspects(credit_g) -> None:
    df, target = credit_g
    leaky = df.assign(
        verdict=df[target].map({"good": "approved", "bad": "rejected"}),  # the target renamed
        previous=df[target].shift(1).fillna("good"),  # the target of the row before
    )
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(leaky)
    checks = clf.guardrails()
    leaks = checks[checks["check"] == "leakage"].set_index("column")
    assert leaks.loc["verdict", "action"] == "dropped"
    assert "neighbouring row" in leaks.loc["previous", "finding"]
    assert clf.kinds_["verdict"] == "drop" and clf.kinds_["previous"] == "categorical"


def test_a_target_summing_two_columns_drops_them_as_a_copy(california_small, caplog) -> None:
    """Bike rentals as they come: cnt = casual + registered, its parts known only with it (a user
    test: test R² 1.00 with one log line). Both columns are dropped, as an exact copy is, with a
    check naming them and the relation; a difference is found too; real predictors, however
    good, are no exact sum (and not an exact linear combination of all the columns)."""
    raw = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg = Regressor("cnt", max_trials=1, learners=["linear"], **FAST).fit(raw.drop(columns="instant"))
    [leak] = reg.guardrails().query("check == 'leakage'").to_dict("records")
    assert leak["column"] == "casual, registered" and leak["action"].startswith("dropped, as a copy of the target")
    assert leak["finding"] == "the target equals casual + registered in 17379 of 17379 rows where both are known"
    assert reg.kinds_["casual"] == reg.kinds_["registered"] == "drop"
    assert reg.cv_score_ > 50  # hourly rentals learnt from the weather and the hour, not from their parts
    assert any("casual, registered" in r.getMessage() for r in caplog.records)
    X = raw.drop(columns=["registered"])
    kinds = {c: "numeric" for c in X.columns if pd.api.types.is_numeric_dtype(X[c])}
    assert exact_sums(X, raw["registered"].to_numpy(np.float64), kinds) == [
        (("casual", "cnt"), "cnt - casual", "17379 of 17379")]
    df, target = california_small
    kinds = {c: "numeric" for c in df.columns if c != target and pd.api.types.is_numeric_dtype(df[c])}
    assert exact_sums(df, df[target].to_numpy(np.float64), kinds) == []
    assert linear_combination(df, df[target].to_numpy(), kinds) == []


def test_the_parts_of_a_sum_are_named_once(caplog) -> None:
    """kc1's n = total_Op + total_Opnd: total_Op was both "kept: make sure it is known" (it
    correlates with n alone) and "dropped, as a copy" (user test 53); now only dropped."""
    from tsauto.tabular.checks import leakage

    raw = pd.read_csv(shared_file("tabular/classification/kc1.csv.gz"))
    X, y = raw.drop(columns=["n"]), raw["n"].to_numpy(np.float64)
    kinds = {c: "numeric" for c in X.columns if pd.api.types.is_numeric_dtype(X[c])}
    checks, drop = leakage(X, y, y, kinds, "regression")
    assert drop == ["total_Op", "total_Opnd"]
    assert [c.column for c in checks if "total_Op" in c.column] == ["total_Op, total_Opnd"]


def test_a_numeric_override_of_text_values_fails_at_once(credit_g) -> None:
    df, target = credit_g
    with pytest.raises(DataValidationError, match="'purpose' is numeric for the model"):
        Classifier(target, featurization={"purpose": "numeric"}, max_trials=1, **FAST).fit(df)


# ------------------------------------------------------------------ values read alike at fit and predict


def _coded(df: pd.DataFrame, target: str) -> pd.DataFrame:
    """German credit with ``purpose`` as integer codes 1..10 (as a database exports a lookup)."""
    return df.drop(columns="purpose").assign(purpose_code=pd.factorize(df["purpose"], sort=True)[0] + 1)


def test_integer_codes_read_as_floats_meet_their_levels(credit_g, caplog) -> None:
    """An empty cell makes pandas read a column of codes as floats (20.0): still level "20"; a
    column of levels mostly never seen is a warning naming it, the share and examples."""
    df, target = credit_g
    data = _coded(df, target)
    clf = Classifier(target, featurization={"purpose_code": "categorical"}, max_trials=1,
                     learners=["lightgbm"], **FAST).fit(data)
    rows = data.drop(columns=target).head(40)
    gap = rows.assign(purpose_code=rows["purpose_code"].where(rows.index != 0))  # floats now
    assert gap["purpose_code"].dtype == np.float64
    as_ints, as_floats = clf.predict_proba(rows), clf.predict_proba(gap)
    np.testing.assert_allclose(as_floats[1:], as_ints[1:])
    as_text = rows.assign(purpose_code=rows["purpose_code"].astype(str))
    np.testing.assert_allclose(clf.predict_proba(as_text), as_ints)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        clf.predict(rows.assign(purpose_code=rows["purpose_code"] + 100))
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "'purpose_code'" in warning and "40 of the 40" in warning and "(100%)" in warning
    assert "not seen at fit" in warning and "e.g. '107'" in warning and "rows 0, 1, 2" in warning


def _opened(df: pd.DataFrame) -> pd.Series:
    """Dates derived from real columns: a loan opened ``age`` weeks and ``duration`` days
    after 2010-01-01 (days 1 to 31, so day and month cannot be confused)."""
    return pd.Timestamp("2010-01-01") + pd.to_timedelta(df["age"] * 7 + df["duration"], unit="D")


@pytest.mark.parametrize("fmt", ["%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"])
def test_date_strings_in_a_common_format_are_dates(credit_g, fmt) -> None:
    """Recognised without featurization= as ISO dates are, the order of day and month read
    from all the values; as an override too, their parts the dates' own."""
    df, target = credit_g
    opened = _opened(df)
    X = df.drop(columns=target).assign(opened=opened.dt.strftime(fmt))
    kinds, checks = infer_kinds(X)
    assert kinds["opened"] == "datetime"
    assert ("datetime", "opened", f"date strings ({fmt})") in {(c.check, c.column, c.finding) for c in checks}
    kinds, _ = infer_kinds(X, {"opened": "datetime"})
    matrix = Featurizer(kinds, "native", "classification").fit_transform(X, np.zeros(len(X), int))
    year = matrix.iloc[:, sum(k == "numeric" for k in kinds.values())]  # date parts follow the numbers
    np.testing.assert_array_equal(year, opened.dt.year)


def test_dates_that_do_not_read_are_refused(credit_g) -> None:
    df, target = credit_g
    X = df.drop(columns=target)
    with pytest.raises(DataValidationError) as err:
        infer_kinds(X, {"purpose": "datetime"})
    for piece in ("column 'purpose'", "rows 0, 1, 2, 3, 4", "'radio/tv'", "one format",
                  "featurization={'purpose': 'categorical'}"):
        assert piece in str(err.value), (piece, str(err.value))
    firsts = pd.to_datetime(pd.DataFrame({"year": 2010 + df["duration"] // 12,
                                          "month": df["duration"] % 12 + 1, "day": 1}))
    with pytest.raises(DataValidationError, match=r"column 'opened' reads as dates both month-first "
                       r"and day-first .* format='%d/%m/%Y'\) \(day first\)"):
        infer_kinds(X.assign(opened=firsts.dt.strftime("%m/%d/%Y")))  # every day the 1st


def test_predict_reads_dates_in_the_format_read_at_fit(credit_g) -> None:
    """Day-first date strings fit and predict as their datetime values do, rows whose dates
    alone could be read month-first included (read day-first, as the training dates were)."""
    df, target = credit_g
    opened = _opened(df)
    settings = dict(featurization={"opened": "datetime"}, max_trials=1, learners=["lightgbm"], **FAST)
    data = df.assign(opened=opened.dt.strftime("%d/%m/%Y"))
    clf = Classifier(target, **settings).fit(data)
    reference = Classifier(target, **settings).fit(df.assign(opened=opened))
    rows = data.drop(columns=target).head(60)
    rows = rows[rows["opened"].str[:2].astype(int) <= 12]  # 05/03/2011: 5 March or May 3
    as_dates = rows.assign(opened=opened[rows.index])
    np.testing.assert_allclose(clf.predict_proba(rows), reference.predict_proba(as_dates))
    month_first = rows.assign(opened=pd.to_datetime(rows["opened"], format="%m/%d/%Y"))
    assert not np.allclose(reference.predict_proba(month_first), reference.predict_proba(as_dates))


def test_a_few_text_values_among_numbers_are_missing(credit_g) -> None:
    df, target = credit_g
    data = df.assign(age=df["age"].astype(object).where(df.index % 25 != 0, "unknown"))
    clf = Classifier(target, max_trials=1, learners=["lightgbm"], **FAST).fit(data)
    assert clf.kinds_["age"] == "numeric"
    check = clf.guardrails().set_index(["check", "column"]).loc[("text_in_numbers", "age")]
    assert "'unknown' in 40 of 1000 rows" in check["finding"] and "'unknown' as missing" in check["action"]
    rows = data.drop(columns=target).head(30)
    missing = rows.assign(age=pd.to_numeric(rows["age"], errors="coerce"))
    np.testing.assert_allclose(clf.predict_proba(rows), clf.predict_proba(missing))
    with pytest.raises(DataValidationError, match=r"'age' is numeric .* 30 of its 30 known values .* 'n/a'"):
        clf.predict(rows.assign(age="n/a"))  # a column all text at predict: not read as missing


@pytest.mark.parametrize(("share", "kind"), [(0.05, "numeric"), (0.4, "categorical")])
def test_text_among_numbers_is_a_check_whichever_way_the_column_is_read(adult_small, share, kind, caplog) -> None:
    """Adult's age with '?' in a share of its rows: a few are read as missing (a check says how
    many); 40 % are too many, the column is read as labels, and an alert (and warning) names the
    column, the share and how to read it as numbers (a user test: 68 levels and no word)."""
    df, target = adult_small
    unknown = np.random.default_rng(0).random(len(df)) < share
    X = df.drop(columns=target).assign(age=df["age"].astype(object).where(~unknown, "?"))
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        kinds, checks = infer_kinds(X)
    assert kinds["age"] == kind
    [check] = [c for c in checks if c.column == "age" and "text" in c.check]
    assert f"({unknown.mean():.0%})" in check.finding or f"text in {unknown.mean():.0%}" in check.finding
    if kind == "numeric":
        assert check.check == "text_in_numbers" and "'?' as missing" in check.action
        return
    assert (check.check, check.status) == ("numbers_with_text", "alert")
    assert check.finding == (f"numbers in {1 - unknown.mean():.0%} of its 1500 known values, but text in "
                             f"{unknown.mean():.0%} ('?'): too much to read as missing")
    assert check.action.startswith(f"read as a categorical of {X['age'].nunique()} levels")
    assert "df['age'] = pd.to_numeric(df['age'], errors='coerce')" in check.action
    assert any("column 'age': numbers in" in r.getMessage() for r in caplog.records)
    _, plain = infer_kinds(df.drop(columns=target))  # Adult's own columns: no such alert
    assert not [c for c in plain if c.check == "numbers_with_text"]


def test_unique_integer_identifiers_are_dropped(credit_g) -> None:
    """Integers different in every row: row numbers of a sample (most of their range) and a
    column named as an identifier are dropped; others are kept and named."""
    df, target = credit_g
    account = df["credit_amount"] * 1000 + np.arange(len(df))  # distinct, spread thinly
    X = df.drop(columns=target).assign(row_id=np.arange(len(df)), account_no=account, reference=account)
    kinds, checks = infer_kinds(X.sample(frac=0.7, random_state=0))  # a training split
    assert kinds["row_id"] == kinds["account_no"] == "drop" and kinds["reference"] == "numeric"
    found = {c.column: c for c in checks if c.column in ("row_id", "account_no", "reference")}
    assert found["row_id"].check == "id_like" and "70% of the integers from" in found["row_id"].finding
    assert found["account_no"].check == "id_like" and "name ends in 'no'" in found["account_no"].finding
    assert found["reference"].check == "unique_values"
    assert "featurization={'reference': 'drop'}" in found["reference"].action
    small, _ = infer_kinds(X.head(60))  # in a small table, a measurement may differ in every row
    assert small["account_no"] == small["reference"] == "numeric"


def _comma(values: pd.Series) -> pd.Series:
    """Numbers as a comma-decimal locale writes them: 0.455 as '0,455'."""
    return values.map(lambda v: f"{v:g}".replace(".", ","))


def _predicts_as_from_numbers(reg: Regressor, written: pd.DataFrame, numbers: pd.DataFrame, settings: dict,
                              caplog) -> None:
    """``reg``, fitted on ``written`` (numbers written as text), predicts the first rows given so
    or as ``numbers`` as a fit on ``numbers`` does, and nothing was warned of (the fits included)."""
    reference = Regressor(reg.target, **settings).fit(numbers)
    rows, as_numbers = written.drop(columns=reg.target).head(50), numbers.drop(columns=reg.target).head(50)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        np.testing.assert_allclose(reg.predict(rows), reference.predict(as_numbers))
        np.testing.assert_allclose(reg.predict(as_numbers), reference.predict(as_numbers))
    assert not caplog.records


def test_numbers_with_a_decimal_comma_are_read_as_numbers(abalone, caplog) -> None:
    """Abalone's measurements written '0,455' (two 'unknown' among them) fit and predict as the
    numbers do, given at predict with commas or as numbers; a 'decimal_comma' row says so."""
    df, target = abalone
    commas = df.assign(Length=_comma(df["Length"]), Diameter=_comma(df["Diameter"]))
    commas.loc[[3, 5], "Length"] = "unknown"
    numbers = df.assign(Length=df["Length"].where(~df.index.isin([3, 5])))
    settings = dict(max_trials=1, learners=["linear"], **FAST)
    reg = Regressor(target, **settings).fit(commas)
    assert reg.kinds_["Length"] == reg.kinds_["Diameter"] == "numeric"
    found = reg.guardrails().query("check == 'decimal_comma'").set_index("column")
    assert list(found.index) == ["Length", "Diameter"]
    assert found.loc["Length", "finding"] == ("numbers written with a decimal comma ('0,455', '0,35', '0,53' and "
                                              "131 more); numbers, but for the text value(s) 'unknown' in 2 of "
                                              "4177 rows")
    assert found.loc["Length", "action"] == ("read as numbers, the comma as the decimal point, at fit and at "
                                             "predict; 'unknown' as missing (a missing indicator keeps them apart)")
    _predicts_as_from_numbers(reg, commas, numbers, settings, caplog)


def test_numbers_with_thousands_separators_are_read_as_numbers(california_small, caplog) -> None:
    """The user test's houses: total_rooms and population written '2,101' beside '709', as a
    spreadsheet exports them: read as numbers at fit and at predict (given with separators or as
    numbers), as the numbers are; a 'thousands_separators' row says so, and no warning."""
    df, target = california_small
    separated = df.assign(total_rooms=df["total_rooms"].map("{:,.0f}".format),
                          population=df["population"].map("{:,.0f}".format))
    settings = dict(max_trials=1, learners=["linear"], **FAST)
    reg = Regressor(target, **settings).fit(separated)
    assert reg.kinds_["total_rooms"] == reg.kinds_["population"] == "numeric"
    found = reg.guardrails().query("check == 'thousands_separators'").set_index("column")
    assert list(found.index) == ["total_rooms", "population"]
    assert found.loc["total_rooms", "finding"] == ("numbers written with thousands separators ('2,101', '2,620', "
                                                   "'3,167' and 1126 more)")
    assert found.loc["total_rooms", "action"] == "read as numbers, without the separators, at fit and at predict"
    _predicts_as_from_numbers(reg, separated, df, settings, caplog)


def test_commas_that_must_separate_thousands_are_read_and_others_warned_of(credit_g, caplog) -> None:
    """Credit amounts in marks ('1,169,000'; '1,169.0' in tens of marks) can only be written
    with thousands separators: numbers. Those of a thousand marks and more alone ('1,169'):
    thousands or a decimal comma, left as they are with an alert and a warning naming the
    column and the fix; in thousands of marks ('1,169', '0,25'), the amounts under one read as
    decimals."""
    df, target = credit_g
    X = df.drop(columns=target)
    amount = X["credit_amount"]
    for written in (amount * 1000).map("{:,}".format), (amount / 10).map("{:,.1f}".format):
        kinds, checks = infer_kinds(X.assign(credit_amount=written))
        assert kinds["credit_amount"] == "numeric"
        found = [(c.check, c.status) for c in checks if c.column == "credit_amount"]
        assert found == [("thousands_separators", "fixed")]
    large = X[amount >= 1000]
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        kinds, checks = infer_kinds(large.assign(credit_amount=large["credit_amount"].map("{:,}".format)))
    assert kinds["credit_amount"] == "categorical"
    [alert] = [c for c in checks if c.check == "comma_numbers"]
    assert (alert.column, alert.status) == ("credit_amount", "alert")
    assert alert.finding == ("numbers written with commas that may separate thousands or be decimal commas "
                             "('1,169', '5,951', '2,096' and 811 more)")
    assert alert.action.startswith("not read as numbers (the column is categorical): give numbers, e.g. "
                                   "df['credit_amount'].str.replace(',', '') for thousands")
    [warned] = [r.getMessage() for r in caplog.records]
    assert warned.startswith("column 'credit_amount': numbers written with commas that may separate thousands")
    assert "str.replace(',', '') for thousands" in warned
    kinds, checks = infer_kinds(X.assign(credit_amount=_comma(amount / 1000)))
    assert kinds["credit_amount"] == "numeric"
    assert [(c.check, c.status) for c in checks if c.column == "credit_amount"] == [("decimal_comma", "fixed")]
