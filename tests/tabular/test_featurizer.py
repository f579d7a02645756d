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
from tsauto.tabular.checks import linear_combination
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


def test_a_target_summing_its_parts_is_reported(california_small, caplog) -> None:
    raw = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))  # cnt = casual + registered
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg = Regressor("cnt", max_trials=1, learners=["linear"], **FAST).fit(raw.drop(columns="instant"))
    leak = reg.guardrails().query("check == 'leakage'")
    assert leak["column"].tolist() == ["casual, registered"] and "1×casual + 1×registered" in leak["finding"].iloc[0]
    assert "kept" in leak["action"].iloc[0] and any("casual, registered" in r.getMessage() for r in caplog.records)
    df, target = california_small  # real predictors, however good, are no exact combination
    kinds = {c: "numeric" for c in df.columns if c != target and pd.api.types.is_numeric_dtype(df[c])}
    assert linear_combination(df, df[target].to_numpy(), kinds) == []


def test_a_numeric_override_of_text_values_fails_at_once(credit_g) -> None:
    df, target = credit_g
    with pytest.raises(DataValidationError, match="'purpose' is numeric for the model"):
        Classifier(target, featurization={"purpose": "numeric"}, max_trials=1, **FAST).fit(df)
