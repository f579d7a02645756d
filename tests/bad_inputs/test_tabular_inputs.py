"""Bad inputs to :class:`tsauto.Classifier` and :class:`tsauto.Regressor`: a tsauto error that
names the column, the rows and the fix, or a documented handling that the test checks.

Tables: 200 rows of German credit (target ``class``: good/bad) and of California housing
(target ``median_house_value``), from ../shared/datasets.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from bad_inputs.helpers import classifier, regressor

from tsauto.core.exceptions import DataValidationError, TsautoError


def _set(col: str, row: int, value):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
        return df

    return change


# id, estimator kind, change to the table, estimator arguments, pieces the message must hold
FIT_ERRORS = [
    ("empty table", "clf", lambda d, t: d.iloc[:0], {}, ["no rows"]),
    ("empty table", "reg", lambda d, t: d.iloc[:0], {}, ["no rows"]),
    ("missing target column", "clf", lambda d, t: d.drop(columns=t), {}, ["'class'", "not in the data"]),
    (
        "a target spelt otherwise",
        "clf",
        lambda d, t: d.rename(columns={t: "Class"}),
        {},
        ["target column 'class' is not in the data (did you mean 'Class'?)"],
    ),
    (
        "a target misspelt",
        "reg",
        lambda d, t: d.rename(columns={t: "median_house_valeu"}),
        {},
        ["(did you mean 'median_house_valeu'?)"],
    ),
    ("only the target column", "reg", lambda d, t: d[[t]], {}, ["only the target", "give features"]),
    (
        "labels as a regression target",
        "reg",
        lambda d, t: d.assign(**{t: np.where(d[t] > d[t].median(), "high", "low")}),
        {},
        ["must hold finite numbers", "labels are classified: tsauto classify, or Classifier"],
    ),
    (
        "a single row",
        "clf",
        lambda d, t: d.iloc[:1],
        {},
        ["'class'", "single class", "at least two classes"],
    ),
    ("a single row", "reg", lambda d, t: d.iloc[:1], {}, ["1 row(s)", "at least 2", "more rows"]),
    (
        "fewer rows than folds",
        "reg",
        lambda d, t: d.iloc[:3],
        {"folds": "auto"},
        ["3 row(s)", "folds='auto' needs at least 5", "smaller folds="],
    ),
    (
        "a single class",
        "clf",
        lambda d, t: d.assign(**{t: "good"}),
        {},
        ["'class'", "single class ('good')", "two classes"],
    ),
    (  # user test 58 F12: the row and the line that drops it
        "a class with one row",
        "clf",
        lambda d, t: d.assign(**{t: np.where(d.index == 0, "rare", d[t])}),
        {},
        ["'class'", "1 class(es) with a single row: 'rare' at row 0", "at least 2 rows",
         "df = df[~df['class'].isin(['rare'])]", "merge"],
    ),
    (
        "a quantity as classes",
        "clf",
        lambda d, t: d.assign(**{t: d["credit_amount"]}),
        {},
        ["'class'", "have a single row", "distinct numbers look like a quantity", "regress it"],
    ),
    (  # user test 58 F9: the types, values and rows, and the line that gives one type
        "labels of mixed types",
        "clf",
        lambda d, t: _set(t, 4, 1)(d),
        {},
        ["'class'", "mixes types of labels", "(str, rows 0, 1, 2 (and 196 more)) and 1 (int, row 4)",
         "df['class'] = df['class'].astype(str)"],
    ),
    (  # 1 and '1': numbers, some written as text
        "numbers and numbers as text as labels",
        "clf",
        lambda d, t: d.assign(**{t: pd.Series([int(v == "good") if i % 2 else str(int(v == "good"))
                                               for i, v in enumerate(d[t])], index=d.index, dtype=object)}),
        {},
        ["'class'", "mixes types of labels", "(str, rows 0, 2, 4 (and 97 more)) and ", "(int, rows 1, 3, 5 (and 97 more))",
         "df['class'] = pd.to_numeric(df['class'])"],
    ),
    (  # user test 58 F8: a boolean target is a class label
        "a boolean regression target",
        "reg",
        lambda d, t: d.assign(**{t: d[t] > d[t].median()}),
        {},
        ["'median_house_value'", "True/False", "Classifier", "tsauto classify",
         "df['median_house_value'] = df['median_house_value'].astype(int)"],
    ),
    (
        "a string in the target",
        "reg",
        lambda d, t: _set(t, 3, "many")(d),
        {},
        ["'median_house_value'", "'many'", "row 3", "convert them to numbers"],
    ),
    (
        "thousands separators in the target",
        "reg",
        lambda d, t: d.assign(**{t: d[t].map(lambda v: f"{v:,.0f}")}),
        {},
        ["'median_house_value'", "convert them to numbers", "thousands=','"],
    ),
    (
        "an infinite target",
        "reg",
        lambda d, t: _set(t, 8, np.inf)(d),
        {},
        ["'median_house_value'", "'inf'", "row 8"],
    ),
    (
        "an all-missing target",
        "reg",
        lambda d, t: d.assign(**{t: np.nan}),
        {},
        ["'median_house_value'", "missing in all 200 rows", "give target values"],
    ),
    ("time_budget 0", "clf", None, {"time_budget": 0}, ["time_budget=0", "positive"]),
    ("negative time_budget", "reg", None, {"time_budget": -1}, ["time_budget=-1", "positive"]),
    ("zero folds", "reg", None, {"folds": 0}, ["folds=0", "positive integer"]),
    ("unknown learner", "clf", None, {"learners": ["logistic"]}, ["'logistic'", "choose from"]),
    ("no learners", "clf", None, {"learners": []}, ["learners=[]", "non-empty list"]),
    ("learners as one string", "reg", None, {"learners": "linear"}, ["learners='linear'", "['lightgbm']"]),
    ("max_trials 0", "reg", None, {"max_trials": 0}, ["max_trials=0", "positive integer"]),
    # user test 58 F13: scikit-learn's and joblib's n_jobs: 0 is no number of workers
    ("n_jobs 0", "clf", None, {"n_jobs": 0}, ["n_jobs=0", "-1 for all cores"]),
    ("n_jobs as text", "reg", None, {"n_jobs": "2"}, ["n_jobs='2'", "-1 for all cores"]),
    ("unknown metric", "clf", None, {"metric": "r2"}, ["'r2'", "'roc_auc'"]),
    (
        "two columns of one name",
        "clf",
        lambda d, t: d.rename(columns={"age": "duration"}),
        {},
        ["more than one column named ['duration']", "rename"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "change", "kwargs", "pieces"),
    [pytest.param(k, c, a, p, id=f"{k}-{i}") for i, k, c, a, p in FIT_ERRORS],
)
def test_fit_error_names_what_and_how(credit, housing, kind, change, kwargs, pieces) -> None:
    (data, target), make = (credit, classifier) if kind == "clf" else (housing, regressor)
    table = data if change is None else change(data, target)
    with pytest.raises(TsautoError) as err:
        make(target, **kwargs).fit(table)
    assert isinstance(err.value, DataValidationError)
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


def test_array_inputs_are_checked(housing) -> None:
    data, target = housing
    with pytest.raises(DataValidationError, match="2-D array"):
        regressor(target).fit(np.arange(5.0))
    with pytest.raises(DataValidationError, match="y has 3 values but X has 200 rows"):
        regressor("y").fit(data.drop(columns=target), y=[1.0, 2.0, 3.0])
    with pytest.raises(DataValidationError, match="give one or the other"):
        regressor(target).fit(data, y=data[target])


# ---------------------------------------------------------------- predict time


@pytest.fixture(scope="module")
def fitted(credit):
    data, target = credit
    return classifier(target, learners=["lightgbm"]).fit(data), data.drop(columns=target)


PREDICT_ERRORS = [
    ("no rows", lambda X: X.iloc[:0], ["no rows"]),
    ("a missing column", lambda X: X.drop(columns="checking_status"), ["missing ['checking_status']"]),
    (  # a few text cells are read as missing, with a warning (tests/tabular/test_predict_data.py)
        "a numeric column of text",
        lambda X: X.assign(duration=np.where(X.index % 2 == 0, "long", "short")),
        ["'duration'", "'long'", "Give numbers"],
    ),
]


@pytest.mark.parametrize(("change", "pieces"), [pytest.param(c, p, id=i) for i, c, p in PREDICT_ERRORS])
def test_predict_error_names_what_and_how(fitted, change, pieces) -> None:
    model, X = fitted
    with pytest.raises(DataValidationError) as err:
        model.predict(change(X.head(10)))
    for piece in pieces:
        assert piece in str(err.value), (piece, str(err.value))


def test_an_extra_column_is_ignored_with_a_warning(fitted, caplog) -> None:
    model, X = fitted
    rows = X.head(10)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        np.testing.assert_array_equal(model.predict(rows.assign(extra=1)), model.predict(rows))
    assert "columns not seen at fit are ignored: 'extra'" in caplog.text


def test_unseen_categories_are_read_as_missing(fitted) -> None:
    """LightGBM codes an unseen level as it codes a missing value (featurizer docstring)."""
    model, X = fitted
    rows = X.head(20)
    unseen = model.predict_proba(rows.assign(checking_status="a level never seen"))
    missing = model.predict_proba(rows.assign(checking_status=np.nan))
    np.testing.assert_array_equal(unseen, missing)


def test_score_with_an_unseen_class(fitted, credit) -> None:
    model, _ = fitted
    data, target = credit
    with pytest.raises(DataValidationError, match=r"'class' holds classes not seen at fit: \['maybe'\]"):
        model.score(data.head(10).assign(**{target: "maybe"}))


def test_rows_without_a_target_are_dropped_and_reported(housing) -> None:
    data, target = housing
    gaps = data.assign(**{target: data[target].where(data.index % 10 != 0)})
    model = regressor(target).fit(gaps)
    checks = model.guardrails().set_index("check")
    assert checks.loc["missing_target", "finding"] == "20 rows without a target"
    assert checks.loc["missing_target", "action"] == "rows dropped"


@pytest.mark.parametrize("scale", [1e12, 1e-9], ids=["1e12", "1e-9"])
def test_extreme_target_magnitudes(housing, scale) -> None:
    """Predictions follow the target's scale: the linear model standardises what it learns."""
    data, target = housing
    base = regressor(target).fit(data).predict(data.head(20))
    scaled = regressor(target).fit(data.assign(**{target: data[target] * scale})).predict(data.head(20))
    np.testing.assert_allclose(scaled, base * scale, rtol=1e-4)


def test_a_column_of_lists_or_dicts_is_dropped_with_a_warning(credit, caplog) -> None:
    """A column of JSON-like tags (lists, dicts: pd.read_json, read_parquet) crashed fit with
    pandas' 'unhashable type: list' (user test): dropped, as a constant column is, with an alert
    naming its rows and a warning; the model is that of the table without it."""
    data, target = credit
    tagged = data.assign(tags=[["x", "y"]] * len(data))
    tagged.at[3, "tags"] = {"x": 1}
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        model = classifier(target).fit(tagged)
    row = model.guardrails().set_index("column").loc["tags"]
    assert row["check"] == "nested_values"
    assert row["finding"] == (
        "holds lists and dicts such as ['x', 'y'] (rows 0, 1, 2, 3, 4 (and 195 more)), not one value per cell"
    )
    assert row["action"].startswith("dropped: not usable as a feature; explode or encode it")
    assert "column 'tags' holds lists and dicts" in caplog.text
    X = tagged.drop(columns=target).head(20)
    np.testing.assert_array_equal(model.predict_proba(X), classifier(target).fit(data).predict_proba(X.drop(columns="tags")))


# ---------------------------------------------------------------- user test 58


@pytest.mark.parametrize("make", [classifier, regressor], ids=["clf", "reg"])
def test_every_method_before_fit_raises_not_fitted(make, credit, tmp_path) -> None:
    """F2: predict and predict_proba raised a raw AttributeError ('classes_', 'model_')."""
    from tsauto.core.exceptions import NotFittedError

    data, target = credit
    model = make(target)
    calls = {"predict": lambda: model.predict(data), "score": lambda: model.score(data),
             "leaderboard": model.leaderboard, "guardrails": model.guardrails, "explain": model.explain,
             "save": lambda: model.save(tmp_path / "m.tsauto")}
    if make is classifier:
        calls["predict_proba"] = lambda: model.predict_proba(data)
    for name, call in calls.items():
        with pytest.raises(NotFittedError, match="call fit first"):
            call()


def test_score_says_how_many_rows_without_a_target_it_left_out(housing, caplog) -> None:
    """F11: as fit drops rows without a target (a guardrail), score leaves them out, saying so."""
    data, target = housing
    model = regressor(target).fit(data)
    gaps = data.head(50).copy()
    gaps.loc[[0, 3, 7, 11, 12, 20], target] = np.nan
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        value = model.score(gaps)
    assert value == model.score(gaps.dropna(subset=[target]))
    assert "score: 6 of the 50 rows have no target 'median_house_value' (rows 0, 3, 7, 11, 12 (and 1 more))" in caplog.text
    assert "scored on the other 44" in caplog.text
    with pytest.raises(DataValidationError, match="no target 'median_house_value' in any of the 5 rows"):
        model.score(data.head(5).assign(**{target: np.nan}))


def test_a_single_row_as_a_series_or_a_dict_is_refused_saying_how_to_give_it(fitted) -> None:
    """F14: "expected a pandas DataFrame ..., got Series" said nothing of how to give one row."""
    model, X = fitted
    for row in (X.iloc[0], X.iloc[0].to_dict()):
        with pytest.raises(DataValidationError) as err:
            model.predict(row)
        assert "X.iloc[[0]]" in str(err.value) and "pd.DataFrame([row])" in str(err.value), str(err.value)
