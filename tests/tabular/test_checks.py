"""Guardrails of the tabular search: class imbalance, class labels spelled apart and columns
that predict the class almost alone, on real targets."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from conftest import shared_file

from tsauto import Classifier, Regressor
from tsauto.core.exceptions import DataValidationError
from tsauto.tabular.checks import class_balance, label_variants, leakage, time_order
from tsauto.tabular.featurizer import infer_kinds
from tsauto.tabular.metrics import METRICS

CLASSIFICATION = sorted(n for n, m in METRICS.items() if m.task == "classification")
FAST = dict(time_budget=None, backend="sequential", folds=3, random_state=0, max_trials=1, learners=["linear"])


@pytest.mark.parametrize(("name", "rarest"), [("kc1", "True"), ("wine_quality", "9")])
def test_class_imbalance_shows_the_rarest_label_as_written(request, name, rarest) -> None:
    df, target = request.getfixturevalue(name)
    classes, codes = np.unique(df[target].to_numpy(), return_inverse=True)
    [check] = class_balance(codes, classes, METRICS["accuracy"])
    assert check.finding.startswith(f"rarest class {rarest}: ")
    assert "np." not in check.finding


@pytest.mark.parametrize("metric", CLASSIFICATION)
def test_class_imbalance_says_why_the_metric_is_or_is_not_weighted(kc1, metric) -> None:
    df, target = kc1
    classes, codes = np.unique(df[target].to_numpy(), return_inverse=True)
    [check] = class_balance(codes, classes, METRICS[metric])
    if METRICS[metric].needs_class_weights:
        assert check.action == "stratified folds; balanced class weights (the metric rewards the rare classes)"
    else:
        assert check.action.startswith("stratified folds; no reweighting (")
        assert ("counts every row alike" in check.action) == (metric == "accuracy")


def test_labels_of_punctuation_alone_are_not_variants_of_each_other() -> None:
    """'.' and '?' both stripped to '' and were called spellings of one class (review)."""
    classes = np.array([".", "?", "ok"], dtype=object)
    assert label_variants(np.array([0, 0, 1, 1, 2]), classes, "target") == []


def test_labels_that_differ_only_by_spaces_or_case_are_an_alert_and_kept(adult_small, caplog) -> None:
    """Adult with 100 labels given a trailing space, 100 a leading one and 100 lower-cased: the
    classes stay as written (predict returns them), and an alert per class names its variants
    with their rows, why the task has 8 classes, and the fix."""
    df, target = adult_small
    rows = df.sample(300, random_state=3).index
    labels = df[target].copy()
    labels[rows[:100]] += " "
    labels[rows[100:200]] = " " + labels[rows[100:200]]
    labels[rows[200:]] = labels[rows[200:]].str.lower()
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        clf = Classifier(target, **FAST).fit(df.assign(**{target: labels}))
    assert len(clf.classes_) == 8  # nothing merged
    found = clf.guardrails().query("check == 'label_variants'").set_index("column")
    assert list(found.index) == [target, target]
    counts = labels.value_counts()
    rich = found["finding"].iloc[1]
    assert rich == (f"labels '>50k' ({counts['>50k']} rows), ' >50K' ({counts[' >50K']} rows), '>50K ' "
                    f"({counts['>50K ']} rows) differ from '>50K' ({counts['>50K']} rows) only by spaces or "
                    "case: 8 classes where the labels name 2")  # the variants most frequent first
    assert found["action"].iloc[1] == ("kept as classes of their own (nothing changed): if they name the class "
                                       "'>50K', strip the spaces and match the case in column 'income' and "
                                       "fit again")
    warned = [r.getMessage() for r in caplog.records if "differ from" in r.getMessage()]
    assert len(warned) == 2 and warned[1].startswith(f"target 'income': {rich}")


def test_score_names_true_labels_that_are_classes_but_for_punctuation(adult_small, adult_test_small) -> None:
    """Adult's test file writes '<=50K.': refused as classes not seen at fit, with their rows and
    the classes they are; a class of its own is named without a hint."""
    df, target = adult_small
    clf = Classifier(target, **FAST).fit(df)
    dotted = adult_test_small.assign(**{target: adult_test_small[target] + "."})
    with pytest.raises(DataValidationError) as err:
        clf.score(dotted)
    assert str(err.value) == (
        "target 'income' holds classes not seen at fit: ['<=50K.', '>50K.'] in 1000 of the 1000 rows "
        "scored; they are the fit's classes but for spaces, case or punctuation around them ('<=50K.' "
        "as '<=50K', '>50K.' as '>50K'): write them as at fit."
    )
    with pytest.raises(DataValidationError, match=r"not seen at fit: \['maybe'\] in 1 of the 10 rows scored\.$"):
        clf.score(adult_test_small.head(10).assign(**{target: ["maybe"] + ["<=50K"] * 9}))


def test_rows_in_time_order_are_an_alert_about_random_folds(caplog) -> None:
    """Hourly bike rentals 2011-2012 (every fifth row), dates as text and the rows in time order:
    random folds validate rows by models that learnt from later ones, an alert (and warning)
    saying so and how to measure the future; the folds are the same. Shuffled rows: none."""
    raw = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    hours = raw.drop(columns=["instant", "casual", "registered"]).iloc[::5].reset_index(drop=True)
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        reg = Regressor("cnt", **FAST).fit(hours)
    checks = reg.guardrails().set_index("check")
    alert = checks.loc["time_order"]
    assert alert["column"] == "dteday"
    assert alert["finding"].startswith("the rows follow its times (730 distinct, 2011-01-01 to 2012-12-31; ")
    assert alert["action"].startswith("3-fold cross-validation on rows drawn at random (kept as it is)")
    assert "optimistic" in alert["action"] and "tsauto forecast" in alert["action"]
    assert "latest ones held out as a test table" in alert["action"]
    assert "fit with folds='time' (Classifier, Regressor)" in alert["action"]
    assert checks.loc["validation", "action"] == "3-fold cross-validation"
    assert any("'dteday': the rows follow its times" in r.getMessage() for r in caplog.records)
    shuffled = Regressor("cnt", **FAST).fit(hours.sample(frac=1, random_state=0))
    assert "time_order" not in set(shuffled.guardrails()["check"])


def test_folds_time_validates_later_rows_by_earlier_ones(caplog) -> None:
    """User test 58 F7: folds='time' cuts expanding windows over the row order (every validated
    row after every row its model learnt from); the rows in time order are then no alert, rows
    against it are, saying how to sort them."""
    raw = pd.read_csv(shared_file("tabular/regression/bike_sharing_hour.csv.gz"))
    hours = raw.drop(columns=["instant", "casual", "registered"]).iloc[::5].reset_index(drop=True)
    reg = Regressor("cnt", **{**FAST, "folds": "time"}).fit(hours)
    checks = reg.guardrails().set_index("check")
    assert "time_order" not in checks.index
    assert checks.loc["validation", "action"].startswith(
        "5 expanding-window fold(s) in the row order (folds='time': each validates later rows by the rows "
        "before them; the first 581 rows are never validated)")
    from tsauto.tabular.splitting import make_splits

    splits = make_splits(np.zeros(len(hours)), "regression", "time")
    assert all(train.max() < valid.min() and train.min() == 0 for train, valid in splits)
    assert [len(v) for _, v in splits] == [579] * 5 and splits[-1][1][-1] == len(hours) - 1
    newest_first = Regressor("cnt", **{**FAST, "folds": "time"}).fit(hours.iloc[::-1])
    alert = newest_first.guardrails().set_index("check").loc["time_order"]
    assert alert["column"] == "dteday" and "df.sort_values('dteday')" in alert["action"]
    assert "rank correlation with the row order -1.00" in alert["action"]


def test_folds_time_refuses_a_window_of_one_class(credit_g) -> None:
    df, target = credit_g
    ordered = df.sort_values(target, kind="stable").reset_index(drop=True)  # 300 'bad' first
    with pytest.raises(DataValidationError, match=r"folds='time': window 1 of 5 learns from rows 0 to 169 "
                                                  r"\(in the row order\), of the single class 'bad'"):
        Classifier(target, **{**FAST, "folds": "time"}).fit(ordered)


def test_time_order_reads_newest_first_and_leaves_few_periods_alone() -> None:
    """Days newest first are a time line too; their 14 months (periods, not a time line), an
    unused column and a column of numbers are not."""
    days = pd.Series(pd.date_range("2011-01-01", periods=400, freq="D")[::-1])
    table = pd.DataFrame({"day": days, "month": days.dt.to_period("M").dt.start_time,
                          "dropped": days, "number": np.arange(400)})
    kinds = {"day": "datetime", "month": "datetime", "dropped": "drop", "number": "numeric"}
    [alert] = time_order(table, kinds, "5-fold cross-validation")
    assert alert.column == "day" and "rank correlation with the row order -1.00" in alert.finding


def _flipped(labels: pd.Series, share: float, seed: int = 0) -> np.ndarray:
    """Which rows a copy of ``labels`` gets wrong: a seeded ``share`` of them."""
    return np.random.default_rng(seed).random(len(labels)) < share


def test_a_column_agreeing_with_the_label_but_in_a_few_rows_is_a_leakage_suspect(credit_g, caplog) -> None:
    """A flag set after the outcome, the label but in 3 % of rows, and a number whose threshold
    tells the classes apart but in 3 % of rows: alerts (and warnings), kept; credit-g's own
    columns, however strong, are none (its best, checking_status, tells 68 % apart)."""
    df, target = credit_g
    bad, flipped = df[target] == "bad", _flipped(df[target], 0.03)
    leaky = df.assign(followup=np.where(bad ^ flipped, "recovery", "none"),
                      days_late=df["duration"] + 100 * (bad ^ _flipped(df[target], 0.03, seed=1)))
    with caplog.at_level(logging.WARNING, logger="tsauto.tabular"):
        clf = Classifier(target, **FAST).fit(leaky)
    leaks = clf.guardrails().query("check == 'leakage'").set_index("column")
    assert sorted(leaks.index) == ["days_late", "followup"]
    assert leaks.loc["followup", "finding"].startswith("it alone predicts the class almost perfectly: "
                                                       "balanced accuracy 0.9")
    assert set(leaks["action"]) == {"kept: make sure it is known when predicting"}
    assert clf.kinds_["followup"] == "categorical" and clf.kinds_["days_late"] == "numeric"
    warned = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("data check leakage 'followup': it alone predicts") for m in warned)


@pytest.mark.parametrize("name", ["adult_small", "kc1", "phoneme_small", "wine_quality"])
def test_strong_features_are_no_leakage_suspects_and_a_noisy_copy_of_classes_is(request, name) -> None:
    """The real columns of four tables (wine quality: seven classes, one against the others) are
    no suspects; a copy of the classes wrong in 3 % of rows is, as numbers and as labels."""
    df, target = request.getfixturevalue(name)
    labels = df[target].astype(str)
    y = pd.factorize(labels, sort=True)[0]
    wrong = labels.sample(frac=1, random_state=0).to_numpy()  # another row's label
    copy = labels.where(~_flipped(labels, 0.03), wrong)
    X = df.drop(columns=target).assign(copy="class " + copy, codes=pd.factorize(copy, sort=True)[0])
    kinds, _ = infer_kinds(X)
    found, dropped = leakage(X, y, labels.to_numpy(), kinds, "classification")
    assert sorted(c.column for c in found) == ["codes", "copy"] and dropped == []
    assert {c.status for c in found} == {"alert"}


def test_a_large_table_is_judged_on_one_bounded_sample_of_rows(monkeypatch) -> None:
    """A table of more rows than ``ALONE_ROWS`` (here lowered, for speed): every column is
    judged by :func:`alone_accuracy` on the same seeded sample of that many rows, drawn once (a
    million rows of twenty classes took seconds and a gigabyte a column); a label copy wrong in
    3 % of rows is still found, a column of noise is not."""
    from tsauto.tabular import checks

    monkeypatch.setattr(checks, "ALONE_ROWS", 3000)
    drawn, judged = [], []
    alone_rows, value_rule = checks.alone_rows, checks._value_rule_accuracy
    monkeypatch.setattr(checks, "alone_rows", lambda n: drawn.append(n) or alone_rows(n))
    monkeypatch.setattr(checks, "_value_rule_accuracy",
                        lambda codes, *args: judged.append(len(codes)) or value_rule(codes, *args))
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 40_000)
    labels = np.array(["a", "b", "c", "d"])[y]
    copy = pd.Series(labels).where(~_flipped(pd.Series(labels), 0.03), "a")
    X = pd.DataFrame({"noise": rng.standard_normal(len(y)), "copy": copy})
    found, _ = leakage(X, y, labels, {"noise": "numeric", "copy": "categorical"}, "classification")
    assert [c.column for c in found] == ["copy"]
    assert drawn == [40_000] and judged == [3000, 3000]


def test_a_column_mixing_1_and_text_1_is_counted_as_the_model_reads_it(credit_g) -> None:
    """User test 58 F10: a column of codes 1, 2, 3 written as integers in some rows and as text
    in others reads as 3 levels (the featurizer's), where the leakage check counted 6 values."""
    df, target = credit_g
    rng = np.random.default_rng(0)
    v = rng.choice([1, 2, 3], len(df))
    code = pd.Series([int(a) if i % 2 else str(a) for i, a in enumerate(v)], dtype=object)
    labels = pd.Series(np.where(v == 1, "good", "bad"))
    X = df.drop(columns=target).assign(code=code, noise=rng.standard_normal(len(df)))
    y = pd.factorize(labels, sort=True)[0]
    found, _ = leakage(X[["code", "noise"]], y, labels.to_numpy(),
                       {"code": "categorical", "noise": "numeric"}, "classification")
    [check] = found
    assert check.column == "code" and check.finding == "each of its 3 values belongs to one class only"
