"""Rows to predict are read as the training rows were: text among numbers as missing (with a
warning, a column mostly of text refused), infinite numbers as missing (with a warning), 'True'
and 'False' as text as flags, a column missing in every row and levels never seen at fit warned
of, columns not seen at fit ignored with a warning, an array refused by a model of named
columns; on German credit."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from tsauto import Classifier
from tsauto.core.exceptions import DataValidationError

FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0)


@pytest.fixture(scope="module")
def fitted(credit_g):
    """Credit-g with 'unknown' in 20 ages (read as missing at fit: text_in_numbers), fitted."""
    df, target = credit_g
    train = df.astype({"age": object})
    train.loc[train.index[:20], "age"] = "unknown"
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(train)
    assert "text_in_numbers" in set(clf.guardrails()["check"])
    return clf, df.drop(columns=target).iloc[100:160].reset_index(drop=True)


def test_text_in_a_numeric_column_at_predict_is_read_as_missing_with_a_warning(fitted, caplog) -> None:
    clf, rows = fitted
    new = rows.astype({"age": object, "duration": object})
    new.loc[[3, 7], "age"] = "?"  # a text value the fit never saw, in a column that had text
    new.loc[[5], "duration"] = "?"  # in a column that had none
    new.loc[[9], "age"] = "unknown"  # seen at fit: read as missing quietly
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        proba = clf.predict_proba(new)
    assert proba.shape == (60, 2) and np.isfinite(proba).all()
    warned = [r.getMessage() for r in caplog.records]
    age = [m for m in warned if m.startswith("column 'age'")]
    assert len(age) == 1 and "2 of the 60 known values" in age[0] and "'?'" in age[0]
    assert "rows 3, 7" in age[0] and "read as missing" in age[0] and "unknown" not in age[0]
    assert any(m.startswith("column 'duration': 1 of the 60 known values") for m in warned)
    # the rows read as they would with those cells left empty
    blank = rows.astype({"age": object, "duration": object})
    blank.loc[[3, 7, 9], "age"] = None
    blank.loc[[5], "duration"] = None
    np.testing.assert_allclose(proba, clf.predict_proba(blank))
    np.testing.assert_allclose(clf.predict_proba(new.loc[[3]]), proba[[3]])  # a row alone: alike


def test_infinite_numbers_to_predict_are_read_as_missing_with_a_warning(fitted, caplog) -> None:
    """±inf in rows to predict: scikit-learn's "Input X contains infinity" out of the linear
    member (LightGBM's took them quietly); read as missing, as at fit, with a warning naming the
    column, the values and the rows; 'inf' written as text alike."""
    clf, rows = fitted
    new = rows.astype({"duration": float, "credit_amount": object})
    new.loc[[3, 7], "duration"] = [np.inf, -np.inf]
    new.loc[[5], "credit_amount"] = "inf"
    blank = rows.copy()
    blank.loc[[3, 7], "duration"] = np.nan
    blank.loc[[5], "credit_amount"] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        proba = clf.predict_proba(new)
    np.testing.assert_allclose(proba, clf.predict_proba(blank))
    assert [r.getMessage() for r in caplog.records] == [
        "column 'duration': 2 of the 60 values to predict are infinite ('inf', '-inf') at rows 3, 7: "
        "read as missing, as infinite numbers are at fit.",
        "column 'credit_amount': 1 of the 60 values to predict are infinite ('inf') at row 5: read as "
        "missing, as infinite numbers are at fit.",
    ]


def test_an_array_to_predict_of_a_model_fitted_on_named_columns_is_refused(fitted) -> None:
    """An array has no column names: it was refused as "missing 20 columns; unexpected
    ['x0', ...]"; it is now refused saying so, and how to give the table."""
    clf, rows = fitted
    why = (r"X is a numpy array, which has no column names, but the model was fitted on a table of named "
           r"columns \('checking_status', 'duration', .* and 15 more\): give a pandas DataFrame")
    with pytest.raises(DataValidationError, match=why):
        clf.predict(rows.to_numpy())
    with pytest.raises(DataValidationError, match=why):
        clf.score(rows.to_numpy(), np.full(len(rows), "good"))


def test_a_numeric_column_mostly_of_text_at_predict_is_refused(fitted) -> None:
    clf, rows = fitted
    new = rows.assign(age=rows["purpose"])  # another column's values
    with pytest.raises(DataValidationError, match=r"column 'age' is numeric for the model but 60 of its "
                       r"60 known values to predict are text, such as 'new car', 'radio/tv'"):
        clf.predict(new)


def test_a_column_missing_in_every_row_to_predict_is_warned_of(fitted, caplog) -> None:
    clf, rows = fitted
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        clf.predict(rows.assign(credit_amount=np.nan))
        clf.predict(rows.head(1).assign(credit_amount=np.nan))  # one row: an ordinary missing value
    warned = [r.getMessage() for r in caplog.records]
    assert warned == [
        "column 'credit_amount' is missing in all 60 rows to predict: the predictions use nothing of "
        "it (the model learnt from its values at fit); give the column's values."
    ]


def test_extra_columns_at_predict_are_ignored_with_a_warning(fitted, caplog) -> None:
    """Scoring tables carry row ids, batch names, a model version: the model reads its own
    columns and says which it ignored; a column it was fitted on stays required."""
    clf, rows = fitted
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        proba = clf.predict_proba(rows.assign(row_id=np.arange(60), batch="2024-06"))
    np.testing.assert_allclose(proba, clf.predict_proba(rows))
    assert [r.getMessage() for r in caplog.records] == [
        "columns not seen at fit are ignored: 'row_id', 'batch' (the model uses the 20 columns it was "
        "fitted on; the command line's --id carries columns such as row ids to its output)."
    ]
    with pytest.raises(DataValidationError, match=r"missing \['age'\]; unexpected \['row_id'\]"):
        clf.predict(rows.drop(columns="age").assign(row_id=np.arange(60)))


def test_unseen_levels_at_predict_are_counted_in_a_warning(fitted, caplog) -> None:
    """Three rows of a housing never seen at fit: read as missing, and a warning names their
    count, share, examples and rows (from a fifth of the rows, that the column is hardly used)."""
    clf, rows = fitted
    new = rows.copy()
    new.loc[[4, 8, 9], "housing"] = "houseboat"
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        proba = clf.predict_proba(new)
    assert proba.shape == (60, 2) and np.isfinite(proba).all()
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning == (
        "column 'housing': 3 of the 60 known values to predict (5%) are levels not seen at fit (those seen, "
        "most frequent first: 'own', 'rent', 'for free'), e.g. 'houseboat' at rows 4, 8, 9: they are read as "
        "missing."
    )


def test_flags_written_as_text_are_read_as_flags(credit_g, caplog) -> None:
    """A telephone flag fitted as booleans predicts alike from 'True'/'False', 'TRUE'/'FALSE' or
    'true'/'false' (as a CSV file or the forecaster's future= gives them), quietly; fitted from
    such text, it is the same flag."""
    df, target = credit_g
    flags = df.assign(own_telephone=df["own_telephone"] == "yes")
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(flags)
    rows = flags.drop(columns=target).iloc[:60]
    expected = clf.predict_proba(rows)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        for written in (str, lambda v: str(v).upper(), lambda v: str(v).lower()):
            text = rows.assign(own_telephone=rows["own_telephone"].map(written))
            np.testing.assert_allclose(clf.predict_proba(text), expected)
    assert not caplog.records
    from_text = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(
        flags.assign(own_telephone=flags["own_telephone"].map(lambda v: str(v).upper())))
    assert from_text.kinds_["own_telephone"] == "numeric"
    np.testing.assert_allclose(from_text.predict_proba(rows), expected)


def _odd_values_warned_of(clf, rows, column: str, at: list[int], values: list[str], caplog) -> str:
    """The one warning of predicting ``rows`` with ``values`` in ``column`` at rows ``at``,
    whose predictions are those of the rows with these cells empty."""
    odd, blank = rows.copy(), rows.copy()
    odd.loc[at, column], blank.loc[at, column] = values, None
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        proba = clf.predict_proba(odd)
    [warning] = [r.getMessage() for r in caplog.records]
    np.testing.assert_allclose(proba, clf.predict_proba(blank))
    return warning


def test_an_odd_value_among_flags_at_predict_is_read_as_missing_with_a_warning(credit_g, caplog) -> None:
    """A telephone flag fitted from 'TRUE'/'FALSE' text, given 'unknown' in one row to predict:
    the flags read as flags and that value as missing, with a warning naming it (the call was
    refused, naming the flags as the text)."""
    df, target = credit_g
    flags = df.assign(own_telephone=np.where(df["own_telephone"] == "yes", "TRUE", "FALSE"))
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(flags)
    rows = flags.drop(columns=target).iloc[:60].reset_index(drop=True)
    warning = _odd_values_warned_of(clf, rows, "own_telephone", [7], ["unknown"], caplog)
    assert warning.startswith("column 'own_telephone': 1 of the 60 known values to predict are text")
    assert "'unknown' at row 7: read as missing" in warning


def test_commas_not_separating_thousands_at_predict_are_text_not_numbers(credit_g, caplog) -> None:
    """Credit amounts fitted with thousands separators ('1,169'): at predict '2,5' and '12,3456'
    are no thousands, so they read as missing with a warning naming them, not as 25 and 123456."""
    df, target = credit_g
    separated = df.assign(credit_amount=df["credit_amount"].map("{:,}".format))
    clf = Classifier(target, max_trials=1, learners=["linear"], **FAST).fit(separated)
    assert "thousands_separators" in set(clf.guardrails()["check"])
    rows = separated.drop(columns=target).iloc[:60].reset_index(drop=True)
    warning = _odd_values_warned_of(clf, rows, "credit_amount", [2, 5], ["2,5", "12,3456"], caplog)
    assert warning.startswith("column 'credit_amount': 2 of the 60 known values to predict are text")
    assert "'2,5', '12,3456' at rows 2, 5: read as missing" in warning
