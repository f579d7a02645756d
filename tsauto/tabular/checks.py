"""Data checks ("guardrails") of a training table: what was found and what was done about it.

Every decision of the featurizer and the estimator is one :class:`Check` row: dropped columns
(constant, all missing, ID-like, copies of the target), column types inferred, infinite numbers
read as missing, missing values, high cardinality, class imbalance, leakage suspects, the metric
and the validation scheme, predictions clipped at 0; and alerts about what was left as it is:
categories that look like missing-value markers ('?'), class labels that differ only by spaces,
case or punctuation (' >50K', '>50k'), targets of 0 under MAPE, rows in time order validated by
random folds, a model no better out of fold than a constant prediction.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from tsauto.core import checks as core
from tsauto.core.checks import Check
from tsauto.core.exceptions import describe_rows, shortlist
from tsauto.core.text_in_numbers import read_as_numbers
from tsauto.tabular.metrics import Metric, TaskType

log = logging.getLogger(__name__)

IMBALANCE_RATIO = 4.0  # largest class / smallest class at or above which imbalance is reported
PREDICTIVE_CORR = 0.99  # |correlation| with a numeric target that marks a leakage suspect
IDENTICAL_CORR = 0.9999  # |correlation| treated as a copy of the target (rescaled)
SHIFT_SHARE = 0.99  # share of rows equal to the target one row away: a shifted copy
# A column whose values alone predict the class with this balanced accuracy (:func:`alone_accuracy`)
# is a leakage suspect: a flag set after the outcome, equal to the label but in 3 % of rows, scores
# 0.97 (in 5 %: 0.95), while ordinary features, however strong, stay below 0.92 (the highest of
# the columns of the real tabular sets: adult's relationship 0.76 for its income, bank marketing's
# duration 0.72; for targets built from their columns: the wine's colour from its chlorides 0.91,
# California's ocean proximity from the longitude 0.85). A column the target is defined from
# scores so too (bike rentals' workingday from the weekday, 0.955: but for holidays).
PREDICTIVE_ACCURACY = 0.95
# Rows a class (and the others) needs to be judged by :func:`alone_accuracy`: a threshold
# separates a handful of rows from the rest by chance.
PREDICTIVE_CLASS_ROWS = 20
# Rows :func:`alone_accuracy` judges, a seeded sample of larger tables: its balanced accuracy
# tells 0.95 from 0.92 on far fewer; on all rows, a million would take seconds per column.
ALONE_ROWS = 100_000
# A numeric target that least squares on the numeric columns reproduces to this share of its
# variance is their exact linear combination (parts summing to a total): far beyond what real
# predictors give, and within what rounding leaves of an exact sum.
COMBINATION_R2 = 1 - 1e-9
COMBINATION_ROWS = 5000  # rows the least squares reads (a seeded sample): at least 10 per column
COMBINATION_COLUMNS = 500  # more numeric columns: not checked (the least squares would take seconds)
# A numeric target equal to the sum or difference of two numeric columns (bike rentals' cnt =
# casual + registered) within SUM_TOLERANCE of their size, in SUM_SHARE of the rows where both are
# known (SUM_MIN_ROWS at least), is treated as a copy: both columns dropped. Every pair of the
# first SUM_COLUMNS numeric columns is screened on a seeded sample of SUM_ROWS rows (vectorised, a
# column against all later ones at a time: 200 columns of 20,000 rows, 19,900 pairs, 0.17 s), and
# a pair found is confirmed on every row.
SUM_TOLERANCE = 1e-6
SUM_SHARE = 0.99
SUM_MIN_ROWS = 50
SUM_COLUMNS = 200
SUM_ROWS = 300
SUM_RELATIONS = ((1, 1, "{a} + {b}"), (1, -1, "{a} - {b}"), (-1, 1, "{b} - {a}"))  # (a's sign, b's, written)
# Categories that usually stand for a missing value (compared stripped and lower-cased): Adult
# writes '?', bank marketing 'unknown'. Not 'none', a level of its own in credit-g
# (other_parties: no guarantor).
MISSING_MARKERS = frozenset({"", "?", "-", "--", ".", "na", "n/a", "n.a.", "nan", "null", "unknown",
                             "missing", "not available"})
# A date column whose times follow the row order this closely (|rank correlation|, oldest or
# newest first) over at least TIME_ORDER_TIMES distinct times makes the table a time line, which
# random folds cut across; fewer times are batches or periods (a year column), not a time line.
TIME_ORDER_CORR = 0.9
TIME_ORDER_TIMES = 30
# Characters around a class label that do not make it another class: spaces, and the punctuation
# a file or a copy adds (Adult's test file writes '<=50K.'); not + - < > = ( ), which do ('A+').
STRAY = " \t\r\n.,;:!?'\"`"
# Relative margin within which a model's out-of-fold loss counts as a constant prediction's
# (:func:`no_skill`): a LightGBM that cannot split predicts its fold's mean up to rounding.
SKILL_TOLERANCE = 1e-9


def frame(checks: list[Check]) -> pd.DataFrame:
    """The guardrails table: columns ``check``, ``column``, ``finding``, ``action``."""
    return core.frame(checks, ("check", "column", "finding", "action"))


# Why a metric that does not reward the rare classes is searched without class weights.
UNWEIGHTED_BECAUSE = {
    "roc_auc": "ROC AUC scores ranks, which the class shares do not bias",
    "log_loss": "log loss scores probabilities, which class weights would bias",
    "accuracy": "accuracy counts every row alike: class weights would trade hits on the common classes "
    "for hits on the rare ones",
}


def plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (messages show ``9``, not ``np.int64(9)``)."""
    return value.item() if isinstance(value, np.generic) else value


def class_balance(y: np.ndarray, classes: np.ndarray, metric: Metric) -> list[Check]:
    """Report imbalance (largest/smallest class ≥ 4) and what the search does about it:
    balanced class weights where ``metric`` rewards the rare classes, else why not."""
    counts = np.bincount(y, minlength=len(classes))
    if counts.max() < IMBALANCE_RATIO * counts.min():
        return []
    rare = int(counts.argmin())
    finding = (
        f"rarest class {plain(classes[rare])!r}: {counts[rare]} rows ({counts[rare] / counts.sum():.1%}); "
        f"largest/smallest = {counts.max() / counts.min():.1f}"
    )
    action = "stratified folds; " + (
        "balanced class weights (the metric rewards the rare classes)"
        if metric.needs_class_weights
        else f"no reweighting ({UNWEIGHTED_BECAUSE[metric.name]})"
    )
    return [Check("class_imbalance", "", finding, action)]


def label_key(label: object) -> object:
    """A class label as compared with the others: a string without ``STRAY`` characters around
    it, case folded ('<=50K.' and ' <=50k' as '<=50k'); a label of those characters alone ('.',
    '?') and other labels as they are."""
    if not isinstance(label, str):
        return label
    return label.strip(STRAY).casefold() or label


def label_variants(y: np.ndarray, classes: np.ndarray, target: str) -> list[Check]:
    """One alert (and warning) per group of class labels equal but for spaces, case or stray
    punctuation around them (:func:`label_key`), naming each variant, its rows and the most
    frequent spelling; nothing is merged: the labels are the user's, and predict returns them."""
    counts = np.bincount(y, minlength=len(classes))
    groups: dict[object, list[tuple[int, str]]] = {}
    for label, n in zip(classes, counts):
        groups.setdefault(label_key(label), []).append((int(n), label))
    out = []
    for group in groups.values():
        if len(group) < 2:
            continue
        (n_main, main), *variants = sorted(group, key=lambda g: -g[0])  # ties: classes_ order
        how = _how_labels_differ(main, [v for _, v in variants])
        shown = shortlist(f"{v!r} ({n} rows)" for n, v in variants)
        finding = (f"labels {shown} differ from {main!r} ({n_main} rows) only by {' or '.join(how)}: "
                   f"{len(classes)} classes where the labels name {len(groups)}")
        fixes = {"spaces": "strip the spaces", "case": "match the case",
                 "punctuation": "drop the punctuation around them"}
        action = (f"kept as classes of their own (nothing changed): if they name the class {main!r}, "
                  f"{' and '.join(fixes[h] for h in how)} in column {target!r} and fit again")
        log.warning("target %r: %s; %s.", target, finding, action)
        out.append(Check("label_variants", target, finding, action, status="alert",
                         count=sum(n for n, _ in variants)))
    return out


def _how_labels_differ(main: str, variants: list[str]) -> list[str]:
    """How ``variants`` differ from ``main`` (equal under :func:`label_key`): among 'spaces',
    'case' and 'punctuation'."""
    labels = [main, *variants]
    spaces = any(v != v.strip() for v in labels)
    punctuation = any(v.strip() != v.strip(STRAY) for v in labels)
    case = len({v.strip(STRAY) for v in labels}) > 1
    return [h for h, found in (("spaces", spaces), ("case", case), ("punctuation", punctuation)) if found]


def respelled(unknown: list, classes: np.ndarray) -> str:
    """Which labels of ``unknown`` (not seen at fit) are classes of ``classes`` but for spaces,
    case or stray punctuation (:func:`label_key`): "'<=50K.' as '<=50K', '>50K.' as '>50K'";
    '' where none is."""
    keys: dict[object, list] = {}
    for c in classes:
        keys.setdefault(label_key(c), []).append(repr(plain(c)))
    return shortlist(f"{v!r} as {' or '.join(keys[label_key(v)])}" for v in unknown if label_key(v) in keys)


def probability_shift(oof: np.ndarray, y: np.ndarray, multipliers: np.ndarray, classes: np.ndarray) -> Check:
    """How the out-of-fold probabilities ``oof`` (of classes ``y``) of a model fitted with
    balanced class weights are brought back to the class frequencies by ``multipliers``
    (:func:`tsauto.tabular.model.prior_shift`): the rarest class's mean probability before and
    after, beside its share of rows."""
    from tsauto.tabular.model import shift

    share = np.bincount(y, minlength=len(classes)) / len(y)
    rare = int(share.argmin())
    before, after = oof[:, rare].mean(), shift(oof, multipliers)[:, rare].mean()
    relative = multipliers / multipliers.max()
    factors = shortlist(f"×{m:.3g} for {plain(c)!r}" for c, m in zip(classes, relative))
    return Check(
        "probabilities", "",
        f"balanced class weights put the mean out-of-fold probability of {plain(classes[rare])!r} at "
        f"{before:.3f}, its share of rows {share[rare]:.3f}",
        f"predict_proba brought back to the class shares ({factors}, renormalised: {after:.3f}); "
        "predict keeps the labels of the weighted model, which the metric chose",
    )


def zero_targets(y: np.ndarray, metric: Metric, target: str) -> list[Check]:
    """Targets of 0 under MAPE, where it is undefined: left out of it, as forecasting's MAPE
    leaves them out (:func:`tsauto.forecasting.metrics.mape`), with a warning and an alert
    naming their count. A target of 0 in every row is constant, refused before this check (as
    nothing to learn, whatever the metric)."""
    zeros = int(np.sum(np.asarray(y) == 0))
    if metric.name != "mape" or zeros == 0:
        return []
    finding = f"{zeros} of {len(y)} targets are 0, where MAPE (a share of the target) is undefined"
    action = ("left out of the MAPE of the search and of score(), as in forecasting: those rows "
              "are learnt from but not judged; metric='mae' or 'rmse' judges every row")
    log.warning("target %r: %s; %s.", target, finding, action)
    return [Check("zero_targets", target, finding, action, status="alert", count=zeros)]


def infinite_values(X: pd.DataFrame, cells: dict[str, np.ndarray]) -> list[Check]:
    """One row (and warning) per column of ``X`` with infinite numbers (``cells``: which, from
    :func:`~tsauto.tabular.reading.infinite_cells`), naming their count and rows: they are read
    as missing, at fit and at predict. Left as they are, every linear trial failed on abalone
    with three lengths of ``inf``, on scikit-learn's "Input X contains NaN" (the linear
    encoding's standardisation turned the column into NaN), and LightGBM read them as its
    largest values."""
    out = []
    for col, found in cells.items():
        values = shortlist(map(repr, dict.fromkeys(X[col][found].astype(str))), 3)
        n = int(found.sum())
        finding = f"{n} of {len(X)} values are infinite ({values}) at {describe_rows(X.index[found])}"
        action = "read as missing, at fit and at predict (then handled as the column's missing values)"
        log.warning("column %r: %s: %s.", col, finding, action)
        out.append(Check("infinite_values", col, finding, action, status="fixed", count=n))
    return out


def no_skill(
    metric: Metric, loss: float, constant: float, target: str, task: TaskType, rows: int
) -> list[Check]:
    """An alert (and warning) where the model's out-of-fold ``loss`` is no lower than
    ``constant``, that of a constant prediction scored on the same folds (each training fold's
    class frequencies, or mean: :meth:`~tsauto.tabular.evaluator.TabularEvaluator.constant_oof`):
    the model may predict nothing beyond the target's frequencies or mean. 30 rows of credit-g, 8 s:
    every trial scored a mean ROC AUC of 0.5 or less over the folds, and the model kept, 0.419
    out of fold as the constant, scored 0.500 on the other 970 rows, where a logistic regression
    of the same 30 rows scored 0.743; it went without a word."""
    if loss < constant - SKILL_TOLERANCE * max(1.0, abs(constant)):
        return []
    baseline = f"the training folds' {'class frequencies' if task == 'classification' else 'mean'}"
    finding = (f"the model's out-of-fold {metric.name} {metric.to_value(loss):.4f} is no better than "
               f"{metric.to_value(constant):.4f}, that of a constant prediction ({baseline}) on the "
               "same folds, both on the folds' predictions pooled"
               + (" (a fold's constant alone ranks nothing: 0.5; pooled, the folds' levels differ)"
                  if metric.name == "roc_auc" else ""))
    action = (f"kept (nothing changed): it may predict nothing beyond {baseline}; give more rows "
              f"(there are {rows}), try other learners (learners=), or check the target column {target!r}")
    log.warning("%s; %s.", finding, action)
    return [Check("no_skill", target, finding, action, status="alert")]


def clipped_at_zero(y: np.ndarray, target: str, asked: bool | None) -> Check:
    """The row of predictions clipped at 0 (``Regressor(non_negative=...)``, ``asked``: True
    where given, None where ``"auto"`` chose it), naming the lowest training target, logged at INFO."""
    lowest = float(np.min(y))
    if asked:
        finding, why = f"lowest training target {lowest:g}", "non_negative=True"
    else:
        finding = f"never negative in the {len(y)} training rows (lowest {lowest:g})"
        why = "non_negative='auto'; non_negative=False keeps them as the model gives them"
    action = (f"predictions clipped at 0 ({why}): for a true value of 0 or more, 0 is nearer than a "
              "negative prediction")
    log.info("target %r: %s: %s.", target, finding, action)
    return Check("non_negative", target, finding, action)


def time_order(X: pd.DataFrame, kinds: dict[str, str], validation: str, in_time: bool = False) -> list[Check]:
    """One alert (and warning) per used date column of ``X`` (as read: date strings as
    timestamps) whose times follow the row order (:data:`TIME_ORDER_CORR`) over many distinct
    times (:data:`TIME_ORDER_TIMES`): ``validation`` (random folds, left as they are) then
    judges rows by models that learnt from later ones, an optimistic estimate of the future;
    it points to ``folds="time"``. With that (``in_time``), a date column the rows do not
    follow is the alert: the windows are cut in the row order, not its."""
    out = []
    for col, kind in kinds.items():
        times = X[col].dropna()
        dated = kind != "drop" and pd.api.types.is_datetime64_any_dtype(times)
        if not dated or times.nunique() < TIME_ORDER_TIMES:
            continue
        positions = np.flatnonzero(X[col].notna())
        corr = float(np.corrcoef(times.rank().to_numpy(), positions)[0, 1])
        if in_time and corr < TIME_ORDER_CORR:
            finding = f"{times.nunique()} distinct times, {_when(times.min())} to {_when(times.max())}"
            action = (f"{validation}: the rows do not follow its times (rank correlation with the row "
                      f"order {corr:+.2f}), so the windows are not in its order: sort the table by it "
                      f"(df.sort_values({col!r})) if it is the time the rows are predicted in")
        elif in_time or abs(corr) < TIME_ORDER_CORR:
            continue
        else:
            finding = (f"the rows follow its times ({times.nunique()} distinct, {_when(times.min())} to "
                       f"{_when(times.max())}; rank correlation with the row order {corr:+.2f})")
            action = (f"{validation} on rows drawn at random (kept as it is): rows are validated by "
                      "models that learnt from later rows, so the out-of-fold score may be optimistic "
                      "for predicting the future; to validate later rows by earlier ones, fit with "
                      "folds='time' (Classifier, Regressor); to measure it, fit on the earlier rows and "
                      "score() the latest ones held out as a test table (tsauto regress/classify --test), "
                      "or forecast the series with `tsauto forecast` (Forecaster)")
        log.warning("column %r: %s; %s.", col, finding, action)
        out.append(Check("time_order", col, finding, action, status="alert", count=len(times)))
    return out


def _when(t: pd.Timestamp) -> str:
    """A time stamp as its date where it is midnight ('2011-01-01'), else in full."""
    return str(t.date()) if t == t.normalize() else str(t)


def missing_markers(X: pd.DataFrame, kinds: dict[str, str]) -> list[Check]:
    """One alert per categorical or text column holding values that look like missing-value
    markers (:data:`MISSING_MARKERS`, such as Adult's '?'): they are kept as a level of their
    own, the data unchanged; the alert names them and their rows."""
    out = []
    for col, kind in kinds.items():
        if kind not in ("categorical", "text"):
            continue
        known = X[col].dropna()
        marked = known[known.astype(str).str.strip().str.lower().isin(MISSING_MARKERS)]
        if marked.empty:
            continue
        counts = marked.astype(str).value_counts()
        shown = shortlist(f"{v!r} in {n} rows" for v, n in counts.items())
        out.append(Check(
            "missing_markers", col,
            f"{shown} ({len(marked) / len(X):.1%}): these look like markers of a missing value",
            "kept as a level of their own (nothing changed): if they mean missing, leave those cells "
            "empty so that every learner reads them as missing values",
            status="alert", count=len(marked),
        ))
    return out


def missing_values(X: pd.DataFrame, kinds: dict[str, str]) -> list[Check]:
    """One row per used column with missing values, saying how each learner handles them."""
    actions = {
        "numeric": "median imputation + missing indicator (LightGBM: native missing values)",
        "datetime": "date parts imputed by their median + missing indicator (LightGBM: native)",
        "categorical": "missing is its own level (LightGBM: native missing values)",
        "text": "missing text is empty",
    }
    out = []
    for col, kind in kinds.items():
        share = float(X[col].isna().mean())
        if kind in actions and share > 0:
            out.append(Check("missing_values", col, f"{share:.1%} missing", actions[kind]))
    return out


def leakage(
    X: pd.DataFrame, y: np.ndarray, labels: np.ndarray, kinds: dict[str, str], task: TaskType
) -> tuple[list[Check], list[str]]:
    """Leakage suspects and the columns to drop.

    A column that is the target under another name (a one-to-one relabelling, or for a
    numeric target a rescaled copy) is dropped, as are two numeric columns whose sum or
    difference the numeric target is (:func:`exact_sums`). A column equal to the target
    shifted by one row, or that predicts it on its own perfectly or almost (a class:
    :func:`alone_accuracy`; a number: ``PREDICTIVE_CORR``), is reported (an alert) and kept: it
    may be legitimate when its value is known at prediction time. ``y`` is the class codes
    (classification) or the target values; ``labels`` the original target values row by row.
    """
    from tsauto.tabular.featurizer import category_strings  # it imports this module

    checks: list[Check] = []
    drop: list[str] = []
    rows = alone_rows(len(y))  # one sample for every column
    for col, kind in kinds.items():
        if kind not in ("numeric", "categorical"):
            continue
        # a category's values as the model reads them: 1 and '1' one level (user test 58: 6 counted of 3)
        s = category_strings(X[col]) if kind == "categorical" else X[col]
        if task == "classification":
            found = _class_leak(s, y, labels, kind, rows)
        else:
            found = _numeric_leak(s, np.asarray(y, dtype=np.float64))
        if found is None:
            continue
        finding, is_copy = found
        if is_copy:
            drop.append(col)
        checks.append(
            Check(
                "leakage",
                col,
                finding,
                "dropped" if is_copy else "kept: make sure it is known when predicting",
                status="fixed" if is_copy else "alert",
            )
        )
    if task == "regression":
        kept = {c: k for c, k in kinds.items() if c not in drop}
        sums = exact_sums(X, np.asarray(y, dtype=np.float64), kept)
        parts = {c for (a, b), _, _ in sums for c in (a, b)}
        # a part alone alerted as predicting the target is dropped with its sum: said once (user test 53)
        checks = [c for c in checks if c.column not in parts]
        for (a, b), relation, share in sums:
            drop += [c for c in (a, b) if c not in drop]
            checks.append(Check(
                "leakage", f"{a}, {b}", f"the target equals {relation} in {share} rows where both are known",
                "dropped, as a copy of the target: a model of it learns nothing else (where the parts are "
                "known when predicting, compute the target from them)",
                status="fixed",
            ))
    return checks, drop


def exact_sums(
    X: pd.DataFrame, y: np.ndarray, kinds: dict[str, str], seed: int = 0
) -> list[tuple[tuple[str, str], str, str]]:
    """The pairs of numeric columns whose sum or difference the target ``y`` equals (see
    ``SUM_SHARE``), each with the relation ("casual + registered") and the rows that hold it
    ("17379 of 17379")."""
    cols = [c for c, k in kinds.items() if k == "numeric" and pd.api.types.is_numeric_dtype(X[c])
            and not pd.api.types.is_bool_dtype(X[c])][:SUM_COLUMNS]
    rows = np.flatnonzero(np.isfinite(y))
    if len(cols) < 2 or rows.size < SUM_MIN_ROWS or np.std(y[rows]) == 0:
        return []
    sample = rows
    if rows.size > SUM_ROWS:
        sample = np.random.default_rng(seed).choice(rows, SUM_ROWS, replace=False)
    screen = X[cols].iloc[sample].to_numpy(dtype=np.float64)  # the sample only (review 51: not the table)
    found = []
    for i in range(len(cols) - 1):
        for j, (sa, sb, written) in _screened(screen, y[sample], i):
            a, b = (X[cols[k]].to_numpy(dtype=np.float64)[rows] for k in (i, j))
            held, known = _matches(sa * a + sb * b, a, b, y[rows])
            if known >= SUM_MIN_ROWS and held >= SUM_SHARE * known:
                relation = written.format(a=cols[i], b=cols[j])
                found.append(((cols[i], cols[j]), relation, f"{held} of {known}"))
    return found


def _screened(A: np.ndarray, y: np.ndarray, i: int) -> list[tuple[int, tuple[int, int, str]]]:
    """The later columns ``j`` whose sum with or difference from column ``i`` (a relation of
    ``SUM_RELATIONS``) equals ``y`` in ``SUM_SHARE`` of the sample rows (A's), all pairs at once."""
    a, b = A[:, i, None], A[:, i + 1:]
    out = []
    for relation in SUM_RELATIONS:
        held, known = _matches(relation[0] * a + relation[1] * b, a, b, y[:, None])
        hits = np.flatnonzero((known >= SUM_MIN_ROWS) & (held >= SUM_SHARE * known))
        out += [(i + 1 + int(k), relation) for k in hits]
    return out


def _matches(value: np.ndarray, a: np.ndarray, b: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    """Per column: the rows where ``value`` equals ``y`` within ``SUM_TOLERANCE`` of their
    size, and those where it is known."""
    size = np.abs(a) + np.abs(b) + np.abs(y)
    return (np.abs(value - y) <= SUM_TOLERANCE * size).sum(axis=0), np.isfinite(value).sum(axis=0)


def linear_combination(X: pd.DataFrame, y: np.ndarray, kinds: dict[str, str], seed: int = 0) -> list[Check]:
    """A numeric target that is an exact linear combination of numeric columns (a total of
    three parts, or of weighted ones): reported, naming the columns and their coefficients, and
    kept like the other suspects (no single column shows it: each alone correlates far less).
    The sum or difference of two columns (bike rentals' ``cnt = casual + registered``) is
    dropped before, as a copy (:func:`exact_sums`).
    Checked on a seeded sample of rows, at least ten per column, and up to
    ``COMBINATION_COLUMNS`` columns (else not checked)."""
    cols = [c for c, kind in kinds.items() if kind == "numeric" and pd.api.types.is_numeric_dtype(X[c])]
    if not 2 <= len(cols) <= COMBINATION_COLUMNS:
        return []
    A = X[cols].to_numpy(dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(A).all(axis=1) & np.isfinite(target))
    n = max(COMBINATION_ROWS, 10 * (len(cols) + 1))
    if rows.size < 10 * (len(cols) + 1):
        return []
    if rows.size > n:
        rows = np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))
    A, target = A[rows], target[rows]
    spread = target.std()
    if spread == 0:
        return []
    design = np.column_stack([A, np.ones(len(rows))])
    coef = np.linalg.lstsq(design, target, rcond=None)[0]
    if 1 - np.var(target - design @ coef) / spread**2 < COMBINATION_R2:
        return []
    weight = np.abs(coef[:-1]) * A.std(axis=0)  # each column's share of the target's spread
    used = [(c, w) for c, w, size in zip(cols, coef[:-1], weight) if size > 1e-6 * spread]
    if not used:
        return []
    terms = " + ".join(f"{w:.4g}×{c}" for c, w in used)
    if abs(coef[-1]) > 1e-6 * spread:
        terms += f" + {coef[-1]:.4g}"
    return [Check(
        "leakage", ", ".join(c for c, _ in used),
        f"the target is a linear combination of these columns: {terms} (in every one of {len(rows)} rows checked)",
        "kept: use them only if they are known when predicting; drop them otherwise",
        status="alert",
    )]


def _class_leak(
    s: pd.Series, y: np.ndarray, labels: np.ndarray, kind: str, rows: np.ndarray | None = None
) -> tuple[str, bool] | None:
    known = s.notna().to_numpy()
    if known.sum() < 2:
        return None
    values = s[known]
    codes = pd.factorize(values)[0]
    yk = y[known]
    per_value = pd.Series(yk).groupby(codes).nunique()
    if per_value.max() == 1 and known.all():
        per_class = pd.Series(codes).groupby(yk).nunique()
        if per_class.max() == 1:
            return "a relabelled copy of the target (one value per class)", True
    shifted = _shifted_share(values.astype(str).to_numpy(), labels[known].astype(str))
    if shifted >= SHIFT_SHARE:
        return f"equals the target of the neighbouring row in {shifted:.0%} of rows", False
    n_values = len(per_value)
    if per_value.max() == 1 and 1 < n_values <= len(values) // 2:
        return f"each of its {n_values} values belongs to one class only", False
    if kind == "numeric" and len(np.unique(yk)) == 2:
        v = values.to_numpy(dtype=np.float64)
        lo, hi = v[yk == yk.min()], v[yk == yk.max()]
        if lo.max() < hi.min() or hi.max() < lo.min():
            return "a threshold on it separates the two classes perfectly", False
    accuracy = alone_accuracy(s, y, kind, rows=rows)
    if accuracy >= PREDICTIVE_ACCURACY:
        return (f"it alone predicts the class almost perfectly: balanced accuracy {accuracy:.3f} of the "
                f"best rule on its values (ordinary features stay below {PREDICTIVE_ACCURACY})"), False
    return None


def alone_rows(n: int, seed: int = 0) -> np.ndarray:
    """The rows of ``n`` that :func:`alone_accuracy` judges: all, or a seeded sample of
    ``ALONE_ROWS``, in order."""
    if n <= ALONE_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, ALONE_ROWS, replace=False))


def alone_accuracy(
    s: pd.Series, y: np.ndarray, kind: str, seed: int = 0, rows: np.ndarray | None = None
) -> float:
    """How well column ``s`` alone predicts the class codes ``y``: the balanced accuracy (the
    mean of the shares of a class's rows and of the others' rows told apart) of its best rule,
    one class against the others, averaged over the classes with ``PREDICTIVE_CLASS_ROWS`` rows
    and more (0.5 where none has). The rules: a class per value (missing is one), learnt on a
    seeded half of the rows and judged on the other, both ways (an identifier predicts nothing
    there); for a numeric column also a threshold on its known values, whose best balanced
    accuracy is (1 + the Kolmogorov-Smirnov distance between the class and the others) / 2.
    Judged on ``rows`` (default: :func:`alone_rows`)."""
    rows = alone_rows(len(y), seed) if rows is None else rows
    s, y = s.iloc[rows], y[rows]
    n_classes = int(y.max()) + 1
    counts = np.bincount(y, minlength=n_classes)
    judged = np.flatnonzero(np.minimum(counts, len(y) - counts) >= PREDICTIVE_CLASS_ROWS)
    judged = judged[-1:] if n_classes == 2 else judged  # one class against the other: one score
    if judged.size == 0:
        return 0.5
    accuracy = _value_rule_accuracy(pd.factorize(s, use_na_sentinel=False)[0], y, n_classes, judged, seed)
    if kind == "numeric":
        threshold = _threshold_accuracy(read_as_numbers(s).to_numpy(), y, judged)
        accuracy = np.maximum(accuracy, threshold)
    return float(accuracy.mean())


def _against_others(codes: np.ndarray, y: np.ndarray, total: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows per code of class ``c`` and of the other classes (``total``: rows per code of all),
    one class at a time: a column of a million distinct values and twenty classes would take
    gigabytes at once."""
    ins = np.bincount(codes[y == c], minlength=len(total))
    return ins, total - ins


def _share_gap(ins: np.ndarray, outs: np.ndarray) -> np.ndarray:
    """Per code, its share of a class's rows less its share of the others' rows."""
    return ins / max(ins.sum(), 1) - outs / max(outs.sum(), 1)


def _value_rule_accuracy(
    codes: np.ndarray, y: np.ndarray, n_classes: int, judged: np.ndarray, seed: int
) -> np.ndarray:
    """Balanced accuracy of each ``judged`` class against the others, by the rule learnt on one
    half of the rows and judged on the other (both ways): a value is the class's where it is more
    frequent among the class's rows than among the others' (a tie, or a value unseen, half right)."""
    half = np.random.default_rng(seed).random(len(y)) < 0.5
    n_codes = int(codes.max()) + 1
    right = np.zeros((2, len(judged)))  # rows of the class, of the others, told apart
    for learn in (half, ~half):
        taught, tried = (codes[learn], y[learn]), (codes[~learn], y[~learn])
        taught_all, tried_all = (np.bincount(x[0], minlength=n_codes) for x in (taught, tried))
        for i, c in enumerate(judged):
            # 1: the value is the class's, -1: the others', 0: either
            vote = np.sign(_share_gap(*_against_others(*taught, taught_all, c)))
            ins, outs = _against_others(*tried, tried_all, c)
            right[:, i] += (ins * (1 + vote)).sum() / 2, (outs * (1 - vote)).sum() / 2
    rows = np.bincount(y, minlength=n_classes)[judged]
    return (right[0] / rows + right[1] / (len(y) - rows)) / 2


def _threshold_accuracy(values: np.ndarray, y: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """Balanced accuracy of the best threshold on the known ``values`` for each ``judged`` class
    against the others: (1 + their Kolmogorov-Smirnov distance) / 2; 0.5 for a class or others
    with fewer than ``PREDICTIVE_CLASS_ROWS`` known values."""
    known = ~np.isnan(values)
    order, codes = np.unique(values[known], return_inverse=True)
    y = y[known]
    total = np.bincount(codes, minlength=len(order))
    accuracy = np.full(len(judged), 0.5)
    for i, c in enumerate(judged):
        ins, outs = _against_others(codes, y, total, c)
        if min(ins.sum(), outs.sum()) >= PREDICTIVE_CLASS_ROWS:
            accuracy[i] = (1 + np.abs(np.cumsum(_share_gap(ins, outs))).max(initial=0)) / 2
    return accuracy


def _numeric_leak(s: pd.Series, y: np.ndarray) -> tuple[str, bool] | None:
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        return None
    v = s.to_numpy(dtype=np.float64)
    known = np.isfinite(v) & np.isfinite(y)
    if known.sum() < 3 or np.std(v[known]) == 0 or np.std(y[known]) == 0:
        return None
    if known.all() and np.array_equal(v, y):
        return "identical to the target", True
    corr = abs(float(np.corrcoef(v[known], y[known])[0, 1]))
    if corr >= IDENTICAL_CORR:
        return f"a rescaled copy of the target (|correlation| {corr:.4f})", True
    shifted = _shifted_share(v, y)
    if shifted >= SHIFT_SHARE:
        return f"equals the target of the neighbouring row in {shifted:.0%} of rows", False
    if corr >= PREDICTIVE_CORR:
        return f"|correlation| with the target {corr:.3f}", False
    return None


def _shifted_share(values: np.ndarray, target: np.ndarray) -> float:
    """Largest share of rows where the value equals the target one row before or after; 0 when
    the value equals the target of its own row at least as often (a mostly constant column)."""
    if len(values) < 3:
        return 0.0
    before = np.mean(values[1:] == target[:-1])
    after = np.mean(values[:-1] == target[1:])
    same = np.mean(values == target)
    return float(max(before, after)) if max(before, after) > same else 0.0
