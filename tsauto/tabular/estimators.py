"""The :class:`Classifier` and :class:`Regressor` facades: tables on the search core.

``fit`` checks the table, decides the column kinds (data checks), chooses the metric and the
validation splits, runs the search (learners and their parameters under a time budget), selects
an ensemble over the out-of-fold predictions and refits it on every row.
"""

from __future__ import annotations

import copy
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from tsauto.core.arguments import known_arguments
from tsauto.core.exceptions import (
    DataValidationError,
    NotFittedError,
    SearchFailedError,
    close_match,
    describe_rows,
    number_format_hint,
    shortlist,
)
from tsauto.core.resources import check_n_jobs
from tsauto.core.search import check_seed
from tsauto.core.table_io import read_table
from tsauto.tabular import checks as C
from tsauto.core.text_in_numbers import text_cells, types_found
from tsauto.tabular.explain import Explanation, explain
from tsauto.tabular.featurizer import Featurization, Kind, feature_width, infer_kinds
from tsauto.tabular.metrics import Metric, TaskType, resolve_metric
from tsauto.tabular.model import prior_shift, shift
from tsauto.tabular.reading import ColumnReader, infinite_cells, mostly_text
from tsauto.tabular.splitting import TIME, auto_folds, fold_count, make_splits

log = logging.getLogger(__name__)

SEARCH_SHARE = 0.85  # of the time budget for the search at most; the rest for the ensemble and
# refit, more where the blend's refit needs it (engine._refit_reserve)
# Of the search's budget, what a learner's default trial may take: up to the search's end, as
# in forecasting (planner.DEFAULT_TRIAL_SHARE); searched trials keep the core's trial_share (0.4).
# Adult (32,561 rows) at time_budget=8: the default trials had 2.3 s for their 3 folds, LightGBM
# was cut at round 11 of 100 and every trial failed; with the search's 5.8 s, LightGBM's default
# trial took 1.3 s (ROC AUC 0.927).
DEFAULT_TRIAL_SHARE = 1.0

Table = pd.DataFrame | np.ndarray | str | Path
# Other libraries' names for the estimators' arguments (AutoGluon's TabularPredictor, FLAML's
# AutoML, scikit-learn's searches): refused with tsauto's name (core.arguments.known_arguments).
_FOLDS = "use folds= (the validation folds; folds='time': in the row order, later rows by earlier ones)"
ESTIMATOR_ALIASES = {
    "label": "use target= (the column predicted)", "y": "use target= (the column predicted)",
    "time_limit": "use time_budget= (seconds)",
    "eval_metric": "use metric=", "scoring": "use metric=", "seed": "use random_state=",
    "estimator_list": "use learners=", "models": "use learners=", "n_splits": _FOLDS, "cv": _FOLDS,
    "num_bag_folds": _FOLDS, "n_trials": "use max_trials=",
    "class_weight": "not a parameter: metric='balanced_accuracy' or metric='f1' fits every learner "
                    "with balanced class weights (kc1, 15 % defects: test balanced accuracy 0.602 -> "
                    "0.728); other class weights are not supported",
}
# a regression has no classes to weigh (user test 53: the class advice was given to a Regressor)
REGRESSOR_ALIASES = {**ESTIMATOR_ALIASES, "class_weight": "not a parameter: a regression has no classes to weigh"}
# fit()'s: row weights are not supported (the search, folds, learners and metrics are unweighted)
_NO_WEIGHTS = "row weights are not supported (the search, folds, learners and metrics are unweighted)"
_REPEAT = ("for integer weights (counts) repeat the rows, X.loc[X.index.repeat(w)] (copies of a row then "
           "fall in different folds: the out-of-fold score is optimistic)")
FIT_ALIASES = {
    "sample_weight": f"{_NO_WEIGHTS}: for imbalanced classes use metric='balanced_accuracy' or metric='f1' "
                     f"(balanced class weights; kc1: test balanced accuracy 0.602 -> 0.728); {_REPEAT}",
}
REGRESSION_FIT_ALIASES = {"sample_weight": f"{_NO_WEIGHTS}: {_REPEAT}"}  # no class advice (review 51)
MAX_NUMERIC_CLASSES = 50  # a numeric target with more classes (and single-row ones) reads as a quantity


class _TabularEstimator(BaseEstimator, ABC):
    """Shared fit/predict of :class:`Classifier` and :class:`Regressor`: scikit-learn
    estimators (``clone``, ``cross_val_score``, ``Pipeline`` and ``GridSearchCV`` take them).

    Parameters
    ----------
    target:
        Name of the target column (of the table given to ``fit``, or the name given to ``y``).
    metric:
        ``"auto"`` (ROC AUC for two classes, log loss for more, RMSE for regression) or a name
        of :data:`tsauto.tabular.metrics.METRICS`. The choice is in ``metric_``.
    time_budget, max_trials:
        Limits of the search, in seconds (search, ensemble and refit together) and trials.
    learners:
        ``"auto"`` (every tabular learner) or names of :data:`tsauto.tabular.learners.LEARNERS`.
    featurization:
        ``"auto"``, ``"off"`` or a dict of column kinds (see
        :func:`tsauto.tabular.featurizer.infer_kinds`).
    folds:
        Cross-validation folds; ``"auto"``: 5 up to 10,000 rows, 3 up to 100,000, else one
        20 % hold-out split (``folds=1``); all shuffled. ``"time"``: as many expanding windows
        over the row order (sort the rows by time first), each validating later rows by a
        model of the earlier ones, for rows whose future is predicted. Bike rentals (hourly,
        first 75 % fitted, last 25 % scored, 45 s, seeds 0-2): out of fold 72-76 against
        test RMSE 66-82 ("auto": 31 against 73-80); test RMSE 72.7/82.3/66.4 against "auto"'s
        76.8/79.5/73.2: an honest estimate, a better model not shown. Not the default.
    ensemble:
        Blend the best trials by greedy ensemble selection (else the best trial alone). Under a
        metric that reads only the order or the arg max of the probabilities (ROC AUC,
        accuracy, F1), a trial whose out-of-fold probabilities hold less than half the best
        trial's Brier skill is not blended (the leaderboard's reason says so): it would squeeze
        the blend's probabilities toward a constant that the metric does not see.
    n_jobs, random_state:
        Parallel trials (a positive count, or -1: one per core; 0 is refused, as
        scikit-learn refuses it) and the seed of the splits, learners and search.
    backend, client:
        Where trials run: local processes (``"loky"``), in-process (``"sequential"``), or a
        Dask cluster (``"dask"`` on ``client``, a ``distributed.Client``, else the current
        one); ``None``: ``"dask"`` where a client is given, else ``"loky"``.
    ids:
        Columns that identify rows (a house id): left out of the features and ignored at
        predict (``tsauto predict`` copies them to its output).

    Fitted attributes: ``model_`` (the refit ensemble), ``metric_`` (the metric's name),
    ``cv_score_`` (the ensemble's out-of-fold metric), ``kinds_`` (column → kind),
    ``reader_`` (how raw values are read at fit and predict:
    :class:`~tsauto.tabular.reading.ColumnReader`), ``feature_names_in_``, ``n_features_in_``,
    ``leaderboard_``, ``guardrails_``, ``ids_`` (the columns of ``ids``, the command line's
    ``--id``, as a list), ``interrupted_`` (true where Ctrl-C stopped the search:
    the model is then that of the trials finished, as a warning and a guardrail say; a second
    Ctrl-C aborts the fit), and for a classifier ``classes_`` and ``proba_shift_``
    (per-class multipliers of the probabilities of a model fitted with class weights, None
    without: :meth:`Classifier.predict_proba`). Which input columns the model reads:
    :meth:`explain`.
    """

    _task: ClassVar[TaskType]
    ids: str | Sequence[str] = ()  # what a model saved before the parameter existed reads

    @known_arguments(ESTIMATOR_ALIASES)
    def __init__(
        self,
        target: str,
        metric: str = "auto",
        time_budget: float | None = 60,
        max_trials: int | None = None,
        learners: Literal["auto"] | Sequence[str] = "auto",
        featurization: Featurization = "auto",
        folds: int | Literal["auto"] = "auto",
        ensemble: bool = True,
        n_jobs: int = -1,
        random_state: int = 0,
        backend: Literal["loky", "sequential", "dask"] | None = None,
        client: Any = None,
        ids: str | Sequence[str] = (),
    ):
        self.target = target
        self.metric = metric
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.learners = learners
        self.featurization = featurization
        self.folds = folds
        self.ensemble = ensemble
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.backend = backend
        self.client = client
        self.ids = ids

    # ------------------------------------------------------------------ fit

    @known_arguments(FIT_ALIASES)
    def fit(self, X: Table, y: Any = None) -> Self:
        """Search, ensemble and refit on ``X`` (a table holding the target column, or the
        features with the target given as ``y``); returns self. Row weights
        (``sample_weight=``) are refused: for imbalanced classes, ``metric="balanced_accuracy"``
        or ``"f1"`` fits with balanced class weights."""
        from tsauto.core.engine import search_and_refit
        from tsauto.core.executor import Executor
        from tsauto.core.leaderboard import leaderboard
        from tsauto.core.search import SearchSettings
        from tsauto.tabular.evaluator import TabularEvaluator
        from tsauto.tabular.search import BLEND_SKILL_SHARE, TabularStrategy, budget_hint, candidates

        start = time.monotonic()
        _check_limits(self.time_budget, self.max_trials, self.learners, self.n_jobs)
        check_seed(self.random_state)
        executor = Executor(self.n_jobs, self.backend, self.client)  # refuses a closed client now
        ids = [self.ids] if isinstance(self.ids, str) else list(self.ids)
        features, y, kinds, found = self._prepare(self._training_table(X, y, ids))
        if ids:
            found.insert(0, C.Check("ids", ", ".join(ids), "identify rows (ids=)",
                                    "left out of the features and ignored at predict"))
        n_classes = len(self.classes_) if self._task == "classification" else 0
        metric = resolve_metric(self.metric, self._task, n_classes)
        balanced = metric.needs_class_weights and self._task == "classification"
        splits = make_splits(y, self._task, self.folds, self.random_state)
        if self.folds == TIME and self._task == "classification":
            self._check_time_windows(y, splits)
        found += self._target_checks(y, metric)
        chosen_by = " (chosen by metric='auto')" if self.metric == "auto" else ""
        validation = _describe_splits(splits, self._task, self.folds == TIME) + self._folds_cut(y)
        found.append(
            C.Check("metric", self.target, self._target_summary(y), metric.name + chosen_by)
        )
        found.append(C.Check("validation", "", f"{len(y)} rows", validation))
        found += C.time_order(features, kinds, validation, self.folds == TIME)
        log.info("metric: %s%s; validation: %s", metric.name, chosen_by, validation)

        budget = None if self.time_budget is None else float(self.time_budget)
        search_budget = None
        if budget is not None:
            search_budget = max(1.0, SEARCH_SHARE * budget - (time.monotonic() - start))
        width = feature_width(kinds)
        chosen, learner_checks = candidates(
            self._task, self.learners, len(y), width, len(splits), search_budget
        )
        evaluator = TabularEvaluator(
            features, y, kinds, self._task, metric, splits, n_classes, balanced, self.random_state
        )
        settings = SearchSettings(
            time_budget=search_budget,
            max_trials=self.max_trials,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            default_share=DEFAULT_TRIAL_SHARE,
        )
        deadline = None if budget is None else start + budget
        strategy = TabularStrategy(evaluator, executor.threads_per_trial())
        spent = time.monotonic() - start
        try:
            result = search_and_refit(strategy, chosen, settings, executor, self.ensemble, deadline)
        except SearchFailedError as err:
            hint = "" if budget is None or not err.out_of_time else budget_hint(
                self._task, list(chosen), len(y), width, len(splits), spent, budget, SEARCH_SHARE
            )
            raise SearchFailedError(f"{err}{hint}", err.out_of_time) from None
        model, trials, weights, loss = result.model, result.trials, result.weights, result.loss
        left_out = strategy.left_out(trials) if self.ensemble else {}
        if left_out:
            log.info("left out of the ensemble, their probabilities' Brier skill under %.0f%% of the "
                     "best trial's: %s", 100 * BLEND_SKILL_SHARE,
                     ", ".join(f"{t.learner}#{t.number}" for t in trials if t.number in left_out))
        if result.interrupted:
            found.append(_interrupted(len(trials), self.max_trials))
        constant = evaluator.oof_loss(evaluator.constant_oof())
        found += C.no_skill(metric, loss, constant, self.target, self._task, len(y))
        self.interrupted_ = result.interrupted
        if self._task == "classification":
            self.proba_shift_ = None
            if balanced:  # the oof blend's probabilities, of the model the refit repeats
                judged = y[evaluator.valid_rows()]
                self.proba_shift_ = prior_shift(result.oof, judged)
                found.append(C.probability_shift(result.oof, judged, self.proba_shift_, self.classes_))
        self.model_ = model
        self.metric_ = metric.name
        self.kinds_ = kinds
        self.ids_ = ids
        self.feature_names_in_ = np.asarray(features.columns, dtype=object)
        self.n_features_in_ = len(features.columns)
        self.cv_score_ = metric.to_value(loss)
        self.leaderboard_ = leaderboard(
            trials, weights, metric.name, metric.to_value, dropped={**left_out, **result.dropped}
        )
        self.guardrails_ = C.frame(found + learner_checks)
        log.info(
            "fitted %s in %.1fs: out-of-fold %s %.4f",
            model.describe(),
            time.monotonic() - start,
            metric.name,
            self.cv_score_,
        )
        return self

    def _prepare(
        self, data: pd.DataFrame
    ) -> tuple[pd.DataFrame, np.ndarray, dict[str, Kind], list[C.Check]]:
        """Features, encoded target, column kinds and the data checks so far; rows without a
        target are dropped and copies of the target are left out."""
        features = data.drop(columns=self.target)
        labels = data[self.target]
        found: list[C.Check] = []
        if labels.isna().any():
            n = int(labels.isna().sum())
            found.append(
                C.Check("missing_target", self.target, f"{n} rows without a target", "rows dropped")
            )
            known = labels.notna().to_numpy()
            features, labels = features[known], labels[known]
            if labels.empty:
                raise DataValidationError(
                    f"target column {self.target!r} is missing in all {n} rows: give target values."
                )
        y = self._encode_target(labels)
        self._check_folds(len(y))
        kinds, kind_checks = infer_kinds(features, self.featurization)
        self.reader_ = ColumnReader(kinds).fit(features)  # on every row, once: not per fold
        features = self.reader_.plain_numbers(features)
        numeric = [c for c, k in kinds.items() if k == "numeric"]
        infinite = C.infinite_values(features, infinite_cells(features, numeric))
        # the table's own row labels named above; positions from here on, as the folds and the
        # out-of-fold predictions are
        features = self.reader_.transform(features).reset_index(drop=True)
        leaks, drop = C.leakage(features, y, labels.to_numpy(), kinds, self._task)
        kinds.update({c: "drop" for c in drop})
        if self._task == "regression":
            leaks += C.linear_combination(features, y, kinds)
        for leak in leaks:  # a score too good to be true must not pass unseen (guardrails())
            log.warning("data check leakage %r: %s", leak.column, leak.message)
        found += kind_checks + leaks + infinite + C.missing_values(features, kinds)
        return features, y, kinds, found + C.missing_markers(features, kinds)

    def _training_table(self, X: Table, y: Any, ids: list[str]) -> pd.DataFrame:
        """``X`` (with ``y`` as the target column) without its ``ids`` columns, checked; its
        rows keep their labels, which the fit's messages name as predict's do (the lines of a
        file read by the command line, a DataFrame's own index)."""
        data = _as_frame(X)
        if y is not None:
            if self.target in data.columns:
                raise DataValidationError(
                    f"y was given but X already has the target column {self.target!r}: "
                    "give one or the other."
                )
            values = np.asarray(y)
            if len(values) != len(data):
                raise DataValidationError(f"y has {len(values)} values but X has {len(data)} rows.")
            data = data.assign(**{self.target: values})
        if self.target not in data.columns:
            raise DataValidationError(
                f"target column {self.target!r} is not in the data"
                f"{close_match(self.target, data.columns)}; its columns are {list(data.columns)}."
            )
        missing = [c for c in ids if c not in data.columns]
        if missing:
            raise DataValidationError(
                f"ids={missing}: not columns of the table{close_match(missing[0], data.columns)}; "
                f"its columns are {list(data.columns)}."
            )
        if self.target in ids:
            raise DataValidationError(
                f"ids= names the target column {self.target!r}: give the columns that identify rows."
            )
        data = data.drop(columns=ids)
        if data.empty:
            raise DataValidationError("the table has no rows: give at least two rows to learn from.")
        if data.shape[1] < 2:
            raise DataValidationError(
                f"the data holds only the target column {self.target!r}: give features."
            )
        return data

    def _check_folds(self, n_rows: int) -> None:
        """``folds`` is ``"auto"`` or a positive integer, and the rows are enough for them."""
        folds = self.folds
        if folds not in ("auto", TIME) and (isinstance(folds, bool) or not isinstance(folds, int) or folds < 1):
            raise DataValidationError(
                f"folds={folds!r}: give 'auto', 'time' (validate later rows by earlier ones, in the row "
                "order) or a positive integer (1: one hold-out split)."
            )
        needed = max(2, auto_folds(n_rows) if folds in ("auto", TIME) else folds) + (folds == TIME)
        if self._task == "regression" and n_rows < needed:
            raise DataValidationError(
                f"the table has {n_rows} row(s) with a target {self.target!r}; validating with "
                f"folds={folds!r} needs at least {needed}: give more rows"
                f"{' or a smaller folds=' if needed > 2 else ''}."
            )

    def _check_time_windows(self, y: np.ndarray, splits: list) -> None:
        """Each window of ``folds="time"`` trains on two classes or more and validates two or
        more (a model of one class, or a ROC AUC of one, says nothing): else refused, naming it."""
        for i, (train, valid) in enumerate(splits):
            for part, rows in (("learns from", train), ("validates", valid)):
                present = np.unique(y[rows])
                if len(present) < 2:
                    raise DataValidationError(
                        f"folds='time': window {i + 1} of {len(splits)} {part} rows {rows[0]} to "
                        f"{rows[-1]} (in the row order), of the single class "
                        f"{C.plain(self.classes_[present[0]])!r}: the row order puts that class "
                        "first: validate with shuffled folds (folds='auto')."
                    )

    def _folds_cut(self, y: np.ndarray) -> str:
        """Why the validation has fewer folds than ``folds`` asked (a class with fewer rows than
        folds), for the guardrails; '' when it has them."""
        _, rarest = fold_count(y, self._task, self.folds)
        if rarest is None:
            return ""
        asked = auto_folds(len(y)) if self.folds == "auto" else self.folds
        n = int(np.sum(y == rarest))
        return (f" (cut from {asked} folds: class {C.plain(self.classes_[rarest])!r} has only {n} "
                f"rows, and each fold validates at least one row of every class)")

    @abstractmethod
    def _encode_target(self, labels: pd.Series) -> np.ndarray:
        """Training target → class codes (and ``classes_``) or values."""

    @abstractmethod
    def _target_summary(self, y: np.ndarray) -> str:
        """One line about the target, for the guardrails."""

    @abstractmethod
    def _target_checks(self, y: np.ndarray, metric: Metric) -> list[C.Check]:
        """The data checks of the encoded training target under ``metric``."""

    # ------------------------------------------------------------------ predict

    def _features(self, X: Table) -> pd.DataFrame:
        """The feature columns of ``X``, checked against those seen at fit (a missing one is an
        error, others are ignored with a warning) and read as at fit
        (:class:`~tsauto.tabular.reading.ColumnReader`); text in a numeric column is read as
        missing and a column missing in every row is warned of (:func:`_read_numbers`,
        :func:`_warn_all_missing`)."""
        data = self._table(X)
        if data.empty:
            raise DataValidationError("the table to predict has no rows: give at least one row.")
        seen = set(self.feature_names_in_)
        used = [c for c, k in self.kinds_.items() if k != "drop"]
        missing = [c for c in used if c not in data.columns]
        ids = getattr(self, "ids_", ())  # absent: a model saved before it was kept
        unexpected = [c for c in data.columns if c not in seen and c != self.target and c not in ids]
        if missing:
            raise DataValidationError(
                "the columns do not match those the model was fitted on: "
                f"missing {missing}; unexpected {unexpected or 'none'}. "
                "Give the training columns (the target column may be left out; the command "
                "line's --id carries columns such as row ids to its output)."
            )
        if unexpected:
            log.warning(
                "columns not seen at fit are ignored: %s (the model uses the %d columns it was "
                "fitted on; the command line's --id carries columns such as row ids to its output).",
                shortlist(map(repr, unexpected)), len(used),
            )
        features = data[[c for c in self.feature_names_in_ if c in data.columns]]
        _warn_all_missing(features, used)
        reader = getattr(self, "reader_", None)  # None: a model saved before it was kept
        if reader is not None:  # '0,455' of a column read with a decimal comma is a number, not text
            features = reader.plain_numbers(features)
        features = _read_numbers(features, self.kinds_, reader)
        return features if reader is None else reader.transform(features, check=used)

    def _table(self, X: Table) -> pd.DataFrame:
        """``X`` to predict or score as a table. An array only for a model fitted on one (its
        columns named by position: x0, x1, ...): an array has no column names, so one given to
        a model of named columns is refused, saying so, rather than read by position as
        scikit-learn reads it (with a warning): an array of the columns in another order would
        be predicted from without a word. Credit-g's 20 columns as an array were refused as
        "missing [20 columns]; unexpected ['x0', ...]", which named no cause."""
        self._check_fitted()
        named = list(self.feature_names_in_) != _positions(len(self.feature_names_in_))
        if isinstance(X, np.ndarray) and named:
            raise DataValidationError(
                "X is a numpy array, which has no column names, but the model was fitted on a table "
                f"of named columns ({shortlist(map(repr, self.feature_names_in_))}): give a pandas "
                "DataFrame with those columns, e.g. pd.DataFrame(X, columns=model.feature_names_in_) "
                "where the array holds them in that order."
            )
        return _as_frame(X)

    def _predict_raw(self, X: Table) -> np.ndarray:
        features = self._features(X)  # NotFittedError before fit, as every method (user test 58)
        return self.model_.predict_raw(features)

    def score(self, X: Table, y: Any = None) -> float:
        """``metric_`` on ``X`` (which holds the target column, or give it as ``y``), higher
        is better as scikit-learn's model selection reads a score: ROC AUC, accuracy, F1, R²
        as they are, a loss negated as scikit-learn's scorers do (``-rmse``, ``-log_loss``;
        ``GridSearchCV`` without ``scoring=`` picked the model of the larger RMSE: 2.243 over
        2.152, a user test). Rows without a target are left out, as fit drops them, with a
        warning naming how many (user test 58: 5 of 50 left out without a word)."""
        data = self._table(X)
        if y is None and self.target not in data.columns:
            raise DataValidationError(f"score needs the target column {self.target!r} (or y=).")
        truth = data[self.target] if y is None else pd.Series(np.asarray(y), index=data.index)
        known = truth.notna().to_numpy()
        if not known.any():
            raise DataValidationError(
                f"score: no target {self.target!r} in any of the {len(truth)} rows: give the true "
                "values to score against (predict needs none)."
            )
        if not known.all():
            log.warning(
                "score: %d of the %d rows have no target %r (%s): scored on the other %d, as fit "
                "drops rows without a target.", (~known).sum(), len(truth), self.target,
                describe_rows(truth.index[~known]), known.sum(),
            )
        pred = self._predict_raw(data[known])
        metric = resolve_metric(self.metric_, self._task)
        value = metric.fn(self._encode_truth(truth[known]), pred)
        return value if metric.higher_is_better else -value

    @abstractmethod
    def _encode_truth(self, truth: pd.Series) -> np.ndarray:
        """Known target values → what the metric takes (class codes or floats)."""

    # ------------------------------------------------------------------ the rest

    def leaderboard(self) -> pd.DataFrame:
        """One row per trial: learner, params, status, reason, the metric per fold and on
        average (in its usual orientation), fit/predict time and ensemble weight."""
        self._check_fitted()
        return self.leaderboard_.copy()

    def guardrails(self) -> pd.DataFrame:
        """The data checks of the training table: ``check``, ``column``, ``finding``, ``action``."""
        self._check_fitted()
        return self.guardrails_.copy()

    def explain(self) -> Explanation:
        """Which input columns the model reads: ``importance`` per column of the training
        table (not the encoded columns), as shares summing to 1, from the ensemble's members
        weighted by their ensemble weights (LightGBM's split gain, the forests' impurity
        decrease, a linear member's ``|coefficient|`` times the column's standard deviation),
        ``weights`` (each member, its measure, whether it is counted) and ``by_member``. Read
        from the fitted model, no refit: it says what the model used, not what each column
        adds to its accuracy (scikit-learn's ``permutation_importance`` measures that). See
        :mod:`tsauto.tabular.explain`."""
        self._check_fitted()
        return explain(self.model_.members, self.kinds_)

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` (a versioned file); a Dask client is a
        connection, not model state: not written (it could not be: a raw pickling error)."""
        from tsauto.core.persistence import save

        self._check_fitted()
        if self.client is None:
            return save(self, path)
        model = copy.copy(self)
        model.client = None
        return save(model, path)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`; refuses incompatible files with a reason."""
        from tsauto.core.persistence import load

        return load(path, cls)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first.")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(target={self.target!r}, metric={self.metric!r}, "
            f"time_budget={self.time_budget!r})"
        )


class Classifier(ClassifierMixin, _TabularEstimator):
    """Automated classification of a table: search, ensemble, refit on the search core.

    ``classes_`` holds the class labels as they were in the data (strings, numbers or
    booleans), sorted; ``predict_proba`` returns an array of one column per class in that
    order, as scikit-learn's probability scorers (``scoring="roc_auc"``, ``"neg_log_loss"``)
    read it.
    """

    _task = "classification"
    score = _TabularEstimator.score  # the model's metric, not the mixin's accuracy

    def _encode_target(self, labels: pd.Series) -> tuple[np.ndarray, int]:
        try:
            classes, codes = np.unique(labels.to_numpy(), return_inverse=True)
        except TypeError:  # numbers and text do not sort: name them (user test 58)
            t = self.target
            fix = (f"pd.to_numeric(df[{t!r}])" if not text_cells(labels).any()  # 1 and '1'
                   else f"df[{t!r}].astype(str)")
            raise DataValidationError(
                f"target {t!r} mixes types of labels: {types_found(labels)}: give one type, e.g. "
                f"df[{t!r}] = {fix} (the same label written as a number and as text is then one class)."
            ) from None
        counts = np.bincount(codes, minlength=len(classes))
        if len(classes) < 2:
            raise DataValidationError(
                f"target {self.target!r} has a single class ({C.plain(classes[0])!r}) in the training data: "
                "a classifier needs at least two classes."
            )
        if counts.min() < 2:  # named with their rows and the line that drops them (user test 58)
            single = counts < 2
            rare = [C.plain(c) for c in classes[single]]
            t = self.target
            where = f"{shortlist(map(repr, rare))} at {describe_rows(labels.index[single[codes]])}"
            numbers = pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels)
            if numbers and len(classes) > MAX_NUMERIC_CLASSES:
                raise DataValidationError(
                    f"target {t!r}: {len(rare)} class(es) have a single row ({where}); {len(classes)} "
                    "distinct numbers look like a quantity: regress it (Regressor, `tsauto regress`)."
                )
            drop = (f"df[~df[{t!r}].isin({rare!r})]" if len(rare) <= 5 else
                    f"df[df[{t!r}].map(df[{t!r}].value_counts()) > 1]")
            raise DataValidationError(
                f"target {t!r}: {len(rare)} class(es) with a single row: {where}; each class needs at "
                f"least 2 rows to be validated: drop them, df = {drop}, or merge them into another class."
            )
        self.classes_ = classes
        return codes.astype(np.int64)

    def _target_summary(self, y: np.ndarray) -> str:
        n = len(self.classes_)
        return f"{n} classes" + (" (binary)" if n == 2 else "")

    def _target_checks(self, y: np.ndarray, metric: Metric) -> list[C.Check]:
        return C.label_variants(y, self.classes_, self.target) + C.class_balance(y, self.classes_, metric)

    def _encode_truth(self, truth: pd.Series) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_)}
        unseen = ~truth.map(lambda v: v in index).to_numpy(dtype=bool)
        if unseen.any():
            unknown = sorted(set(truth[unseen]), key=str)
            respelled = C.respelled(unknown, self.classes_)
            hint = (f"; they are the fit's classes but for spaces, case or punctuation around them "
                    f"({respelled}): write them as at fit" if respelled else "")
            raise DataValidationError(
                f"target {self.target!r} holds classes not seen at fit: {unknown} in {unseen.sum()} "
                f"of the {len(truth)} rows scored{hint}."
            )
        return np.array([index[v] for v in truth], dtype=np.int64)

    def predict_proba(self, X: Table) -> np.ndarray:
        """Class probabilities, shape ``(rows of X, classes)``: column ``k`` is the probability
        of ``classes_[k]`` (``pd.DataFrame(p, columns=clf.classes_)`` names them).

        With ``metric="f1"`` or ``"balanced_accuracy"`` the learners are fitted with balanced
        class weights, which raise the rare classes' probabilities (kc1, 15.5 % defects: a mean
        probability of 0.38); they are brought back to the class frequencies here, each class's
        probability multiplied by ``proba_shift_`` (fitted on the out-of-fold predictions, see
        :func:`tsauto.tabular.model.prior_shift`) and renormalised, while :meth:`predict` keeps
        the decisions of the weighted model that the metric chose: there the label of a row
        need not be the arg max of its probabilities."""
        raw = self._predict_raw(X)
        multipliers = getattr(self, "proba_shift_", None)  # absent: a model saved before it
        return raw if multipliers is None else shift(raw, multipliers)

    def predict(self, X: Table) -> np.ndarray:
        """The class label of each row: the most probable under the model as fitted (with the
        class weights of ``metric="f1"`` or ``"balanced_accuracy"``, see :meth:`predict_proba`)."""
        raw = self._predict_raw(X)  # NotFittedError before fit, before classes_ is read
        return self.classes_[raw.argmax(axis=1)]


class Regressor(RegressorMixin, _TabularEstimator):
    """Automated regression of a table: search, ensemble, refit on the search core.

    ``non_negative``: clip the predictions at 0; ``"auto"`` (the default, as the Forecaster's):
    where the training target is never negative (counts, prices, durations), ``True``: always,
    ``False``: never; ``None`` means ``"auto"`` (its spelling in models saved before ``"auto"``).
    The decision is ``non_negative_``, a guardrail and an INFO line. For a true value of 0 or
    more, clipping a negative prediction to 0 brings it nearer, so it never increases the
    prediction's absolute or squared error (bike rentals, ``cnt`` at least 1, 30 s fit: 93 of
    4,345 held-out predictions were negative, down to -45.9; RMSE 33.91, clipped 33.87). The
    out-of-fold score (``cv_score_``) is that of the predictions before clipping, on which the
    ensemble was chosen; ``predict`` and ``score`` clip.
    """

    _task = "regression"
    score = _TabularEstimator.score  # the model's metric, not the mixin's R²
    # what a model saved before the parameter existed reads
    non_negative: bool | Literal["auto"] | None = "auto"

    @known_arguments(REGRESSOR_ALIASES)
    def __init__(
        self,
        target: str,
        metric: str = "auto",
        time_budget: float | None = 60,
        max_trials: int | None = None,
        learners: Literal["auto"] | Sequence[str] = "auto",
        featurization: Featurization = "auto",
        folds: int | Literal["auto"] = "auto",
        ensemble: bool = True,
        n_jobs: int = -1,
        random_state: int = 0,
        backend: Literal["loky", "sequential", "dask"] | None = None,
        client: Any = None,
        ids: str | Sequence[str] = (),
        non_negative: bool | Literal["auto"] | None = "auto",
    ):
        super().__init__(
            target, metric=metric, time_budget=time_budget, max_trials=max_trials,
            learners=learners, featurization=featurization, folds=folds, ensemble=ensemble,
            n_jobs=n_jobs, random_state=random_state, backend=backend, client=client, ids=ids,
        )
        self.non_negative = non_negative

    @known_arguments(REGRESSION_FIT_ALIASES)
    def fit(self, X: Table, y: Any = None) -> Self:
        """As :meth:`_TabularEstimator.fit`, ``non_negative`` checked first."""
        if not (_auto(self.non_negative) or self.non_negative in (True, False)):
            raise DataValidationError(
                f"non_negative={self.non_negative!r}: give 'auto' (clip the predictions at 0 where "
                "the training target is never negative), True (always) or False (never)."
            )
        return super().fit(X, y)

    def _encode_target(self, labels: pd.Series) -> np.ndarray:
        """The target as numbers; True/False refused (user test 58: fitted silently, predicted
        1.03): a class label, whose probability a Classifier gives, in [0, 1]."""
        if pd.api.types.infer_dtype(labels, skipna=True) == "boolean":
            t = self.target
            raise DataValidationError(
                f"target {t!r} holds True/False: a boolean target is a class label: classify it "
                "(Classifier, `tsauto classify`), whose predict_proba gives the probability of True "
                "in [0, 1]; to regress it as 0/1 all the same (a regression's predictions may leave "
                f"[0, 1]), give it as numbers: df[{t!r}] = df[{t!r}].astype(int)."
            )
        return self._encode_truth(labels)

    def _target_summary(self, y: np.ndarray) -> str:
        return f"numeric, mean {y.mean():.4g}, std {y.std():.4g}"

    def _target_checks(self, y: np.ndarray, metric: Metric) -> list[C.Check]:
        """A constant target refused (as a classifier refuses a single class: abalone with
        every ``Rings`` 10 fitted with an out-of-fold RMSE of 0), targets of 0 under MAPE, and
        whether predictions are clipped at 0 (``non_negative_``)."""
        if np.all(y == y[0]):
            raise DataValidationError(
                f"target {self.target!r} has a single value ({y[0]:.15g}) in all {len(y)} training rows: "
                "there is nothing to learn (every prediction would be that value); give rows with "
                f"other values of {self.target!r}, or check that it is the column to predict."
            )
        auto = _auto(self.non_negative)
        self.non_negative_ = bool(np.min(y) >= 0 if auto else self.non_negative)
        clipped = [C.clipped_at_zero(y, self.target, None if auto else True)] if self.non_negative_ else []
        return C.zero_targets(y, metric, self.target) + clipped

    def _encode_truth(self, truth: pd.Series) -> np.ndarray:
        values = pd.to_numeric(truth, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            examples = list(dict.fromkeys(truth[bad].astype(str)))[:3]
            infinite = np.isinf(values)
            text = bad & ~infinite & truth.notna().to_numpy()
            fixes = [f"convert them to numbers{number_format_hint(truth[text])}"] if text.any() else []
            if infinite.any():
                fixes.append("give finite values in place of the infinite ones")
            raise DataValidationError(
                f"target {self.target!r} must hold finite numbers; it holds {examples} at "
                f"{describe_rows(truth.index[bad])}: {', '.join(fixes)}, or leave them empty "
                "(rows without a target are dropped)"
                + ("; labels are classified: tsauto classify, or Classifier." if bad.mean() > 0.5 else ".")
            )
        return values

    def _predict_raw(self, X: Table) -> np.ndarray:
        """The model's values, clipped at 0 where ``non_negative_`` (absent, as in a model saved
        before it was kept: not clipped), for :meth:`predict` and :meth:`score` alike."""
        pred = super()._predict_raw(X)
        return np.maximum(pred, 0.0) if getattr(self, "non_negative_", False) else pred

    def predict(self, X: Table) -> np.ndarray:
        """Predicted values, one per row of ``X`` (clipped at 0 where ``non_negative_``)."""
        return self._predict_raw(X)


def _auto(non_negative: Any) -> bool:
    """Whether ``Regressor(non_negative=...)`` leaves the clipping to the training target:
    ``"auto"``, or ``None``, its spelling before ``"auto"`` (models saved then hold it)."""
    return non_negative is None or (isinstance(non_negative, str) and non_negative == "auto")


def _interrupted(trials: int, planned: int | None) -> C.Check:
    """The guardrail of a search Ctrl-C stopped after ``trials`` of the ``planned`` (``None``: no
    count was set), logged as a warning."""
    of = f"{trials} trial{'s' * (trials != 1)}" if planned is None else f"{trials} of {planned} trials"
    check = C.Check("search", "", f"interrupted by the user after {of}",
                    "the model is what was finished; fit again for the whole search", "alert")
    log.warning("search %s: %s", check.finding, check.action)
    return check


def _warn_all_missing(features: pd.DataFrame, used: Sequence[str]) -> None:
    """Warn of each used column missing in every one of the (two or more) rows to predict: the
    predictions then use nothing of it, as of a column whose levels were all unseen at fit. One
    row missing a value is an ordinary missing value."""
    if len(features) < 2:
        return
    for c in used:
        if c in features.columns and features[c].isna().all():
            log.warning(
                "column %r is missing in all %d rows to predict: the predictions use nothing of "
                "it (the model learnt from its values at fit); give the column's values.",
                c, len(features),
            )


def _read_numbers(
    features: pd.DataFrame, kinds: dict[str, Kind], reader: ColumnReader | None
) -> pd.DataFrame:
    """``features`` with the text values of its numeric columns not seen at fit ('?') read as
    missing, as fit reads a few text values among numbers (check ``text_in_numbers``), and a
    warning naming the column, their count, examples and rows; a column whose known values
    to predict are mostly text (:func:`~tsauto.tabular.reading.mostly_text`) is refused (more
    likely a wrong file or column), as a date column mostly unreadable is. Text values seen at
    fit are left to ``reader`` (read as missing, quietly)."""
    seen = {} if reader is None else reader.missing_text_
    out = features
    for c in features.columns:
        if kinds.get(c) != "numeric":
            continue
        raw = features[c]
        bad = text_cells(raw) & ~raw.astype(str).isin(seen.get(c, ())).to_numpy()
        if not bad.any():
            continue
        known, n = int(raw.notna().sum()), int(bad.sum())
        examples = shortlist(map(repr, dict.fromkeys(raw[bad].astype(str))), 3)
        if mostly_text(n, known):
            raise DataValidationError(
                f"column {c!r} is numeric for the model but {n} of its {known} known values to "
                f"predict are text, such as {examples}: is it the column (and the file) the model "
                "was fitted on? Give numbers, or leave unknown values empty."
            )
        log.warning(
            "column %r: %d of the %d known values to predict are text in a column of numbers, "
            "e.g. %s at %s: read as missing, as text among numbers is at fit.",
            c, n, known, examples, describe_rows(raw.index[bad]),
        )
        out = out.copy() if out is features else out
        out[c] = raw.where(~bad)
    return out


def _check_limits(time_budget: object, max_trials: object, learners: object, n_jobs: object) -> None:
    """The search's limits, learners and ``n_jobs`` (as scikit-learn's: 0 is no count of
    workers, -1 all cores), checked before any work."""
    check_n_jobs(n_jobs)
    if time_budget is not None and (
        isinstance(time_budget, bool)
        or not isinstance(time_budget, (int, float, np.number))
        or not 0 < time_budget < np.inf
    ):
        raise DataValidationError(
            f"time_budget={time_budget!r}: give the seconds the fit may take as a positive "
            "number (e.g. time_budget=60), or None to stop on max_trials only."
        )
    if max_trials is not None and (
        isinstance(max_trials, bool) or not isinstance(max_trials, (int, np.integer)) or max_trials < 1
    ):
        raise DataValidationError(
            f"max_trials={max_trials!r}: give a positive integer, or None to stop on time_budget."
        )
    if learners != "auto" and (isinstance(learners, str) or not learners):
        raise DataValidationError(
            f"learners={learners!r}: give 'auto' or a non-empty list of names, e.g. ['lightgbm']."
        )


def _as_frame(X: Table) -> pd.DataFrame:
    if isinstance(X, dict) and X and all(pd.api.types.is_list_like(v) for v in X.values()):
        raise DataValidationError("expected a table, got a dict of columns: give pd.DataFrame(X).")
    if isinstance(X, (pd.Series, dict)):  # one row, most likely (user test 58)
        raise DataValidationError(
            f"expected a table (a pandas DataFrame or a CSV/Parquet path), got a {type(X).__name__}: "
            "give one row as a one-row DataFrame: X.iloc[[0]] (double brackets) of a DataFrame, "
            "row.to_frame().T of a Series, pd.DataFrame([row]) of a dict."
        )
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise DataValidationError(
                f"expected a 2-D array of features, got {X.ndim} dimension(s)."
            )
        return pd.DataFrame(X, columns=_positions(X.shape[1]))
    return read_table(X, thousands=False)  # the featurizer reads them, in the guardrails


def _positions(n: int) -> list[str]:
    """The names of an array's ``n`` columns, by position: x0, x1, ..."""
    return [f"x{i}" for i in range(n)]


def _describe_splits(splits: list, task: TaskType, in_time: bool = False) -> str:
    if in_time:
        first = len(splits[0][0])
        return (f"{len(splits)} expanding-window fold(s) in the row order (folds='time': each validates "
                f"later rows by the rows before them; the first {first} rows are never validated)")
    if len(splits) == 1:
        return f"one hold-out split ({len(splits[0][1])} validation rows)"
    kind = "stratified " if task == "classification" else ""
    return f"{len(splits)}-fold {kind}cross-validation"
