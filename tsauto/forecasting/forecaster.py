"""The :class:`Forecaster` facade: validate, plan, run the engine, forecast, backtest.

The facade composes the pipeline's boxes and holds the fitted state; it decides nothing itself:
:mod:`.validation` returns the panel, :mod:`.planner` the plan, :mod:`tsauto.core.engine` runs
it, :mod:`.partitions` fits many models by grouping, :mod:`.backtest` evaluates.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tsauto.core.arguments import known_arguments
from tsauto.core.exceptions import (
    DataValidationError,
    NotFittedError,
    SearchFailedError,
    TsautoError,
    shortlist,
)
from tsauto.core.executor import dask_context
from tsauto.core.journal import check_run_dir, part_run_dir, recorded_settings
from tsauto.core.leaderboard import leaderboard
from tsauto.core.logfilter import unsaid
from tsauto.core.search import Trial
from tsauto.core.table_io import read_table
from tsauto.forecasting.alerts import EXAMPLES, SeriesAlert, say
from tsauto.forecasting.backtest import (
    NOTES,
    backtest_forecaster,
    backtest_tables,
    fold_models_name,
    reference_note,
    results_frame,
)
from tsauto.forecasting.data_checks import (
    MIN_LONG_GAP,
    Leak,
    checks_frame,
    data_checks,
    history_checks,
    training_end_checks,
    log_checks,
    series_labels,
    without_leaks,
)
from tsauto.forecasting.distributed import is_dask_frame
from tsauto.forecasting.explain import Explanation, explain, series_positions
from tsauto.forecasting.guards import COLLAPSED, FAR_WIDTHS, Guards, far_outside, history_maximum, history_minimum
from tsauto.forecasting.intervals import Intervals, band_scale, calibrate, held_out_scores
from tsauto.forecasting.learners.base import Learner, Task
from tsauto.forecasting.learners.fallback import FALLBACK
from tsauto.forecasting.model import NOT_VALIDATED, EnsembleModel
from tsauto.forecasting.options import (
    ComputeOptions,
    DataOptions,
    SearchOptions,
    as_options,
)
from tsauto.forecasting.panel import Panel, continued, fitted_positions, output_times, time_text
from tsauto.forecasting.planner import DEFAULT_TRIAL_SHARE, Plan, budget_hint, make_plan, make_task
from tsauto.forecasting.splitters import RollingOriginSplitter
from tsauto.forecasting.validation import (
    backtest_check,
    check_id_types,
    fill_notes_quiet,
    future_covariates,
    horizon_check,
    interval_hint,
    metric_check,
    names_check,
    parse_like,
    text_numbers,
    time_budget_check,
    validate,
    validate_like,
)

log = logging.getLogger(__name__)

_HORIZON = "use horizon= (the steps to forecast)"
_FIXED_HORIZON = "the horizon is set at construction, Forecaster(horizon=...): all of it is forecast"
_SERIES = "use ids= (the column or columns naming each series)"
_TIME = "use time= (the time stamps' column)"
_TARGET = "use target= (the column forecast)"
_FOLDS = 'use search={"folds": ...} for the validation windows (backtest(folds=) for a backtest)'
_KNOWN = "use known_future= (columns known over the horizon; give them to predict(future=))"
# Other libraries' names for Forecaster's arguments (statsforecast / mlforecast, AutoGluon-TS,
# sktime, Prophet): refused with tsauto's name (core.arguments.known_arguments).
FORECASTER_ALIASES = {
    "h": _HORIZON, "prediction_length": _HORIZON, "forecast_horizon": _HORIZON, "fh": _HORIZON,
    "freq": 'use data={"freq": ...} (by default inferred from the time stamps)',
    "level": "use quantiles= (an 80 % band is quantiles=[0.1, 0.9]: columns q0.1 and q0.9)",
    "n_jobs": 'use compute={"n_jobs": ...}',
    "random_state": 'use search={"random_state": ...}', "seed": 'use search={"random_state": ...}',
    "time_limit": "use time_budget= (seconds for the whole fit)",
    "id_col": _SERIES, "id_column": _SERIES, "unique_id": _SERIES, "item_id": _SERIES,
    "time_col": _TIME, "timestamp_column": _TIME, "timestamp": _TIME, "ds": _TIME,
    "target_col": _TARGET, "target_column": _TARGET, "y": _TARGET,
    "eval_metric": "use metric=", "models": "use learners= (registry names, e.g. ['lightgbm', 'ets'])",
    "n_windows": _FOLDS, "num_val_windows": _FOLDS, "folds": _FOLDS,
    "max_trials": 'use search={"max_trials": ...}', "exclude": 'use search={"exclude": [...]}',
    "known_covariates_names": _KNOWN, "futr_exog_list": _KNOWN,
    "season_length": 'use data={"seasons": [...]} (by default from the frequency and the data)',
}
PREDICT_ALIASES = {
    "h": _FIXED_HORIZON, "fh": _FIXED_HORIZON, "prediction_length": _FIXED_HORIZON, "horizon": _FIXED_HORIZON,
    "X_df": "use future= (the known-future covariates over the horizon; make_future_frame() "
            "gives its ids and times)", "known_covariates": "use future=",
    "df": "use history= (newer rows to forecast from, no refit)", "data": "use history=",
}
BACKTEST_ALIASES = {"n_windows": "use folds=", "num_val_windows": "use folds=", "step_size": "use step=",
                    "h": _FIXED_HORIZON, "horizon": _FIXED_HORIZON}

REFIT_WARNING = "backtest mode='refit' is %s; mode='nested' reruns the selection"
ABSENT_WARNING = (  # predict(history=); partitions say it once for all, a hierarchy by its bottom series
    "%d of %d series of the fit are not in history= and get no forecast (%s): give their rows to "
    "forecast them (predict() without history= forecasts every series of the training data)"
)
FAR_WARNING = (  # a hierarchy says it of its reconciled forecasts
    "series forecast far outside their history's range: %d, more than " f"{FAR_WIDTHS:g}" " widths of the range "
    "beyond it (more where the history is shorter than the horizon), e.g. %s: the model extrapolates; check "
    "them (backtest, report) or compare learners (leaderboard())"
)
SHORT_BAND_WARNING = (
    "series with fewer points than 95 %% of the histories whose out-of-fold errors calibrated the "
    "quantiles: %d, e.g. %s: their bands rest on longer series' errors and may be too narrow; check them "
    "(backtest with quantiles) before relying on them"
)
COLLAPSED_WARNING = (
    "%d series forecast zero or below at every step were set to 0 though their history never "
    "reached zero, e.g. %s: the model extrapolates a fall; check them (backtest, report) or "
    "try other learners (data={'non_negative': False} shows the raw forecast)"
)
GAPPED_WARNING = (  # predict(history=); a hierarchy says it of its bottom series, not of the nodes
    "%d series of history= start%s more than a step after the training data's end%s: "
    "forecast from their own rows alone; give the rows in between to continue them"
)


@dataclass
class BacktestResult:
    """What :meth:`Forecaster.backtest` returns.

    ``forecasts``: one row per fold, series and step (ids, time, ``cutoff``, ``fold``, ``step``,
    ``actual``, ``forecast``, quantiles, the ``seasonal_naive`` reference and ``fallback``).
    ``per_series``: one row per series and fold, its ids, ``cutoff`` (the series' last training
    time: earlier than the fold's for a series that ends earlier), ``fold`` (as in ``forecasts``)
    and the metrics of its forecasts from that cutoff (over the steps of that fold alone; errors
    by step are in ``forecasts``). ``summary``: mean metrics of the model and of seasonal naive
    from the same cutoffs (the means of ``per_series``' rows, each series and fold weighing the
    same, as M4 averages MASE; ``wape`` over all cells; ``coverage`` the share of all actuals
    inside the interval).
    ``mode``: ``"nested"`` or ``"refit"``; ``note``: what the numbers mean (for ``"refit"``:
    optimistic, the model was chosen on these data).
    With a hierarchy, ``forecasts`` and ``per_series`` hold every node (``node``, ``level`` and
    its labels; actuals summed from the bottom series), ``summary`` the bottom series, and
    ``by_level`` the model's mean metrics per level (``level``, ``nodes``, metrics; MASE scaled
    by each node's own history) beside seasonal naive's (``"mase seasonal_naive"``, ...); without
    one it is None. ``models``: the model each fold fitted (``fold``, its ``label``, ``model``:
    learners and weights), where the summary's ``model`` reads "chosen per fold" (a nested
    backtest reruns the selection); None where not known (partitions, a table read back).
    """

    forecasts: pd.DataFrame
    per_series: pd.DataFrame
    summary: pd.DataFrame
    mode: str
    note: str
    by_level: pd.DataFrame | None = None
    models: pd.DataFrame | None = None


class Forecaster:
    """Automated forecasting of one or many series.

    Parameters
    ----------
    target, time, ids:
        Column names: the value to forecast, the time stamps (or integer steps) and the columns
        that identify a series (none for a single series).
    horizon:
        Number of steps to forecast.
    known_future:
        Covariate columns whose values are known over the horizon (prices, promotions).
    holidays:
        A country code (``"US"``), a list of codes, or the name of a column holding each
        series' country code; adds holiday features. With one code, daily rows (or opening
        hours) never on its public holidays (two or more on open weekdays in their span) are
        read as closed on them, not gaps: ``"C(Mon Tue Wed Thu Fri; US holidays)"``.
    learners:
        ``"auto"``: a portfolio chosen from the frequency, the series lengths and the data size
        (see :mod:`tsauto.forecasting.planner`), compared by rolling-origin validation and
        ensembled. Or a list of registry names / :class:`~tsauto.forecasting.learners.base.Learner`
        instances (``["lightgbm"]`` fits LightGBM alone).
    quantiles:
        Quantile levels to forecast (e.g. ``[0.1, 0.9]``; one number is a list of one): the
        learners' own (weighted in an ensemble), calibrated on the validation errors, or conformal
        from those errors (each series' band widened or narrowed by its own errors where series
        differ), whichever validates best (:mod:`tsauto.forecasting.intervals`; ``intervals_``,
        its ``describe()``; with ``partition_by``, each partition's by key; with ``hierarchy``, the
        nodes' base quantiles, around which the reconciled ones are those of coherent sample
        paths); they never cross and hold the point forecast between them.
    metric:
        Validation metric that ranks and blends learners (``"mase"``, ``"smape"``, ``"wape"``,
        ``"rmsse"``, ``"mae"``, ``"rmse"``).
    time_budget:
        Seconds for the whole fit (search, ensemble and refit): adds an Optuna search over
        learners and their parameters on top of the portfolio.
    partition_by:
        Columns splitting the data into partitions fitted separately (one model per store), in
        parallel; one leaderboard and one forecast for all; ``plan_`` holds each partition's
        plan (:class:`~tsauto.forecasting.partitions.PartitionPlans`).
    hierarchy, reconcile:
        Levels over the ids, nested coarse to fine (``["Store", "Dept"]``) or crossed
        (``[["State"], ["Industry"]]``): every node is forecast and the forecasts reconciled
        (``"mint_shrink"``, ``"wls_struct"``, ``"wls_var"``, ``"ols"``, ``"bottom_up"``,
        ``"top_down"``, ``"middle_out:<level>"``: that level's forecasts, e.g.
        ``"middle_out:Store"``, split down by historical proportions and summed above it) so that
        every aggregate equals the sum of its children;
        ``"auto"`` (default): of ``bottom_up``, ``ols``, ``wls_struct``, ``wls_var``,
        ``mint_shrink``, those whose reconciled validation forecasts are no worse than the base
        forecasts at every aggregate level (and within 2 % at the bottom), the best by MASE,
        mean over levels; the best of all when none is (``reconcile_scores_``, plan notes).
        ``predict(level=...)`` returns any level. Quantiles are those of coherent sample paths
        (not additive: a quantile of a sum is not the sum of quantiles). The bottom series follow
        the rules of ``non_negative=`` and ``discontinued=`` after reconciliation, the levels
        above being their sums. Not with ``partition_by`` (refused). The nodes are forecast from
        the target and the known-future covariates (numbers averaged over a node's series, flags by max, labels by
        the most frequent); other columns are not used (a warning and the data checks name them).
    data, search, compute:
        The rarely set options: :class:`~tsauto.forecasting.options.DataOptions` (frequency,
        aggregation, fill rule, short series, non-negative and discontinued-series rules),
        :class:`~tsauto.forecasting.options.SearchOptions` (trials, folds, ensemble, exclude,
        patience, target score, seed), :class:`~tsauto.forecasting.options.ComputeOptions`
        (jobs, backend, Dask client); a dict of the same keys also works.
    """

    @known_arguments(FORECASTER_ALIASES)
    def __init__(
        self,
        target: str,
        time: str,
        horizon: int,
        ids: Sequence[str] | str | None = None,
        known_future: Sequence[str] | None = None,
        holidays: str | Sequence[str] | None = None,
        learners: Literal["auto"] | Sequence[str | Learner] = "auto",
        quantiles: float | Sequence[float] | None = None,
        metric: str = "mase",
        time_budget: float | None = None,
        partition_by: Sequence[str] | str | None = None,
        hierarchy: Sequence[str] | Sequence[Sequence[str]] | None = None,
        reconcile: str = "auto",
        data: DataOptions | dict | None = None,
        search: SearchOptions | dict | None = None,
        compute: ComputeOptions | dict | None = None,
    ):
        self.target = target
        self.time = time
        self.horizon = horizon
        self.ids = ids
        self.known_future = known_future
        self.holidays = holidays
        self.learners = learners
        self.quantiles = quantiles
        self.metric = metric
        self.time_budget = time_budget
        self.partition_by = partition_by
        self.hierarchy = hierarchy
        self.reconcile = reconcile
        self.data = data
        self.search = search
        self.compute = compute

    # ------------------------------------------------------------------ fit

    def fit(self, data: pd.DataFrame | str | Path) -> Forecaster:
        """Validate ``data``, plan, compare / search the learners, ensemble and refit; returns
        self. See :meth:`leaderboard` for what was compared, :attr:`plan_` for why, and
        :meth:`data_checks` for what was found in the data and done to it. Ctrl-C stops the
        search and the fit goes on with the trials finished: ``interrupted_`` is then true, and
        a warning and a plan note say so (a second Ctrl-C aborts the fit)."""
        start = time.monotonic()
        time_budget_check(self.time_budget)
        metric_check(self.metric)
        names_check(self.target, self.time, self.ids, self.known_future)
        self._check_hierarchy()
        self._warn_unused_reconcile()
        run_dir = as_options(self.search, SearchOptions, "search").run_dir
        if run_dir is not None:  # a file or a folder of other files: refused before the fit (review 56 B8)
            check_run_dir(run_dir)
        self.dask_ = None  # a refit on pandas rows forgets an earlier fit's cluster rows
        self.__dict__.pop("_short_band_named", None)  # a new model names its short series anew
        self.interrupted_ = False  # true where Ctrl-C stopped a search (_fit_engine)
        if is_dask_frame(data):
            return self._fit_dask(data)
        if self.partition_by:
            from tsauto.forecasting.partitions import fit_partitions, partition_plans

            self.partitions_, self.leaderboard_ = fit_partitions(self, data)
            self.plan_ = partition_plans(self.partitions_, self.partition_by)
            # how each partition's quantiles were made, by partition key (review 51: absent)
            self.intervals_ = {key: child.intervals_ for key, child in self.partitions_.items()}
            self.model_ = None  # the partitions hold the models
            self.interrupted_ = any(child.interrupted_ for child in self.partitions_.values())
            return self
        if self.hierarchy:
            from tsauto.forecasting.hierarchy.fitting import fit_hierarchy

            self.hierarchy_ = fit_hierarchy(self, data)
            base = self.hierarchy_.base
            self.model_, self.leaderboard_, self.plan_ = base.model_, base.leaderboard_, base.plan_
            self.history_, self.task_, self.interrupted_ = base.history_, base.task_, base.interrupted_
            # how the nodes' base quantiles were made, which the coherent sample paths' spread is
            # read from (user test 51: absent, an AttributeError)
            self.intervals_ = base.intervals_
            self.data_checks_ = self.hierarchy_.checks  # of the user's table, not the nodes'
            choice = self.hierarchy_.choice
            self.reconcile_scores_ = None if choice is None else choice.scores
            return self
        opts, search, compute = self._options()
        raw = read_table(data, self._codes())
        panel = self._validate(raw)
        task = self._task(panel)
        guards = Guards(opts.non_negative, opts.discontinued)
        stopped = guards.stopped(panel, task.season, task.horizon)
        search = _resumed_folds(search)
        plan = make_plan(panel, task, self.learners, self.time_budget, search, compute, stopped)
        log.info("plan: %s", "; ".join(plan.notes))
        self.history_, self.task_, self.plan_, self.intervals_ = panel, task, plan, None
        with dask_context(compute.client):
            if not plan.validate:
                self._fit_single(panel, task, plan, opts.short_series, guards)
            else:
                self._fit_engine(panel, task, plan, opts.short_series, guards, search, compute, start)
        log.info("fitted %s in %.1fs", self.model_.describe(), time.monotonic() - start)
        self._warn_failed_or_unread(plan.classes)
        checks = data_checks(raw, panel, task, opts, self.model_)
        log_checks(checks)
        self.data_checks_ = checks_frame(checks)
        return self

    def _warn_failed_or_unread(self, classes: dict[str, type]) -> None:
        """A warning per learner whose every trial failed (none is in the model), and one where
        known-future covariates go unread: saying whether the learners that read them failed
        (``classes``: learners given as instances, by name)."""
        from tsauto.forecasting.search import learner_class

        failed = _failed_learners(self.leaderboard_)
        for name, reason in failed.items():
            log.warning("%s failed on every trial and is not in the model: %s; see leaderboard()", name, reason)
        known = list(self.history_.schema.known_future)
        if not known or self.model_.reads_known_future:
            return
        readers = [n for n in failed if learner_class(n, classes).tags.known_future]
        model = self.model_.describe()
        why = f"no learner of the model ({model}) reads them (LightGBM, ARIMA and Prophet do)"
        if readers:
            verb = "reads" if len(readers) == 1 else "read"
            why = (f"{', '.join(readers)}, which {verb} them, failed on every trial (see the warning above) "
                   f"and no learner of the model ({model}) reads them")
        log.warning("known-future covariates %s are not used: %s; predict() needs no future= table", known, why)

    def _check_hierarchy(self) -> None:
        """``hierarchy=`` with ``partition_by=`` is refused: each partition would fit a hierarchy
        of its own, without the levels above the partitions, and ``predict(level=...)`` would
        find none (it said "fitted without a hierarchy"). An empty one (``[]``) is refused too:
        it was read as no hierarchy, without a word."""
        if self.hierarchy is not None:
            from tsauto.forecasting.hierarchy.spec import check_hierarchy

            check_hierarchy(self.hierarchy)
        if not (self.hierarchy and self.partition_by):
            return
        from tsauto.forecasting.partitions import columns_of

        cols = columns_of(self.partition_by)
        chains = [self.hierarchy] if isinstance(self.hierarchy, str) else list(self.hierarchy)
        nested = all(isinstance(c, str) for c in chains)
        named = set(chains) if nested else {c for chain in chains for c in chain}
        new = [c for c in cols if c not in named]
        top = [*new, *chains] if nested else ([new, *chains] if new else chains)
        raise DataValidationError(
            f"hierarchy={self.hierarchy!r} with partition_by={self.partition_by!r}: a partitioned model "
            "has no levels above its partitions, so its hierarchy could not be forecast or reconciled as "
            "one. Either drop partition_by= and make the partition columns the hierarchy's top level "
            f"(hierarchy={top!r}), or fit one Forecaster(hierarchy={self.hierarchy!r}) on each "
            f"partition's rows (a hierarchy per {', '.join(cols)})."
        )

    def _warn_unused_reconcile(self) -> None:
        """A warning where ``reconcile=`` is set without ``hierarchy=`` (once per call: the
        partitions' forecasters get the default, see :func:`~.partitions.child_params`)."""
        if not self.hierarchy and self.reconcile != "auto":  # the signature's default
            log.warning(
                "reconcile=%r is not used: it reconciles the levels of a hierarchy, and this Forecaster "
                "has none; pass hierarchy=[...] (e.g. ['Store', 'Dept']) to forecast every level, or "
                "drop reconcile=", self.reconcile,
            )

    def _fit_dask(self, data) -> Forecaster:
        """One global LightGBM on a Dask DataFrame (:mod:`tsauto.forecasting.distributed`)."""
        from tsauto.forecasting.distributed import fit_dask

        client = self._client()
        with dask_context(client):
            fitted = fit_dask(self, data, client)
        self.model_, self.task_, self.dask_, self.plan_ = fitted.model, fitted.task, fitted.history, fitted.plan
        self.intervals_ = None
        self.leaderboard_ = leaderboard([fitted.trial], {0: 1.0}, self.metric)
        log.info("fitted %s on a Dask DataFrame in %.1fs", self.model_.describe(), fitted.trial.fit_time)
        return self

    def _client(self):
        """The Dask client of ``compute=``, else the current one; a clear error without."""
        from tsauto.core.executor import current_client

        client = self._options()[2].client
        return client if client is not None else current_client()

    def _fit_single(self, panel: Panel, task: Task, plan: Plan, short_series: str, guards: Guards) -> None:
        from tsauto.forecasting.search import ForecastEvaluator

        (name, cand), = plan.candidates.items()
        evaluator = ForecastEvaluator(panel, task, None, self.metric, short_series, plan.classes, guards)
        t0 = time.perf_counter()
        try:
            self.model_ = EnsembleModel([(1.0, evaluator.make(name, dict(cand.defaults)))]).fit(panel, task)
        except TsautoError:
            raise
        except Exception as err:
            raise SearchFailedError(
                f"learner {name!r} failed to fit ({type(err).__name__}: {str(err).strip()}); choose other "
                "learners= or check its parameters."
            ) from err
        trial = Trial(0, name, dict(cand.defaults), reason=NOT_VALIDATED, score=math.nan,
                      fit_time=time.perf_counter() - t0)
        self.leaderboard_ = leaderboard([trial], {0: 1.0}, self.metric)

    def _fit_engine(self, panel, task, plan, short_series, guards, search, compute, start) -> None:
        from tsauto.core.engine import search_and_refit
        from tsauto.core.executor import Executor
        from tsauto.core.search import SearchSettings, data_fingerprint
        from tsauto.forecasting.search import ForecastEvaluator, ForecastStrategy

        splitter = RollingOriginSplitter(task.horizon, folds=plan.folds, step=task.horizon)
        evaluator = ForecastEvaluator(panel, task, splitter, self.metric, short_series, plan.classes, guards)
        budget = plan.search_budget
        settings = SearchSettings(
            time_budget=None if budget is None else max(1.0, budget - (time.monotonic() - start)),
            max_trials=plan.max_trials,
            target_score=search.target_score,
            patience=search.patience,
            n_jobs=compute.n_jobs,
            random_state=search.random_state,
            default_share=DEFAULT_TRIAL_SHARE,
            run_dir=search.run_dir,
            conditions=self._conditions(panel, task, plan, short_series, guards),
        )
        executor = Executor(compute.n_jobs, compute.backend, compute.client, memory_limit=compute.memory_limit)
        deadline = None if self.time_budget is None else start + float(self.time_budget)
        fingerprint = data_fingerprint(panel.y, panel.indptr, panel.times)
        spent = time.monotonic() - start  # before the search: validation, checks, the plan
        try:
            result = search_and_refit(
                ForecastStrategy(evaluator), plan.candidates, settings, executor, search.ensemble,
                deadline, fingerprint, plan.shrink, plan.toward,
            )
        except SearchFailedError as err:
            hint = "" if self.time_budget is None or not err.out_of_time else budget_hint(
                plan, panel, executor.n_workers, spent, float(self.time_budget))
            raise SearchFailedError(f"{err}{hint}", err.out_of_time) from None
        self.model_ = result.model
        self.trials_ = result.trials
        self.cv_score_ = result.loss
        best = min((t for t in result.trials if t.status == "ok"), key=lambda t: t.score)
        self.validation_ = results_frame(best.oof.result, panel).assign(forecast=result.oof)
        board = leaderboard(
            result.trials, result.weights, self.metric,
            extra=self._interval_scores(result.trials), dropped=result.dropped,
        )
        notes = (() if result.weights else ("no member refit in time: seasonal naive",)) + result.notes
        if result.interrupted:
            note = _interrupted_note(len(result.trials), plan.max_trials, search.run_dir)
            log.warning("%s", note)
            notes = (*notes, note)
        self.interrupted_ = result.interrupted
        self.plan_ = replace(plan, notes=(*plan.notes, *notes))
        self.leaderboard_ = board
        if task.quantiles:
            by_number = {t.number: t for t in result.trials}
            members = [(w, by_number[n].oof.result) for n, w in result.weights.items()]
            self.intervals_ = calibrate(task.quantiles, members or [(1.0, best.oof.result)], task.horizon)
            note = self.intervals_.describe()
            if self.intervals_.undercovers():
                note += ": the bands may be too narrow (more history gives more folds to calibrate on)"
                log.warning("%s", note)
            self.plan_ = replace(self.plan_, notes=(*self.plan_.notes, note))
        for t in self.trials_:
            t.oof = None  # the fitted forecaster keeps no out-of-fold arrays

    def _conditions(self, panel: Panel, task: Task, plan: Plan, short_series: str, guards: Guards) -> dict:
        """What the search's trials are scored under besides the target's values and the search's
        own settings: a run_dir of other conditions is refused, naming them (review 56 B1: other
        folds or covariates were resumed as the same). ``n_jobs``, ``backend`` and the deadline
        change no score and are left out (B6)."""
        schema = panel.schema
        named = ("horizon", "quantiles", "holidays")
        rest = {k: v for k, v in asdict(task).items()
                if k not in (*named, "n_jobs", "backend", "deadline", "random_state")}
        return {
            **{k: getattr(task, k) for k in named}, "metric": self.metric, "task": rest,
            "search": {"folds": plan.folds, "step": task.horizon},
            "known_future": list(schema.known_future), "past": list(schema.past), "static": list(schema.static),
            "the covariate values": _digest(panel.covariates), "the static values": _digest(panel.static),
            "data": {"short_series": short_series, "non_negative": guards.non_negative,
                     "discontinued": guards.discontinued},
        }

    def _interval_scores(self, trials: list[Trial]) -> dict[int, dict[str, float]]:
        """With quantiles: every trial's held-out ``pinball``, ``coverage`` and ``msis``, its
        quantiles made from its own out-of-fold errors as :func:`calibrate` makes the model's."""
        if not self.task_.quantiles:
            return {}
        out = {}
        for t in trials:
            if t.status == "ok" and t.oof is not None:
                scores = held_out_scores(self.task_.quantiles, t.oof.result, self.task_.horizon)
                if scores is not None:  # the leaderboard's columns: the outermost band's (inner: describe())
                    out[t.number] = {k: v for k, v in asdict(scores).items() if k != "inner"}
        return out

    def _options(self) -> tuple[DataOptions, SearchOptions, ComputeOptions]:
        return (
            as_options(self.data, DataOptions, "data"),
            as_options(self.search, SearchOptions, "search"),
            as_options(self.compute, ComputeOptions, "compute"),
        )

    def _validate(self, data) -> Panel:
        horizon_check(self.horizon)
        opts = as_options(self.data, DataOptions, "data")
        panel = validate(
            data,
            target=self.target,
            time=self.time,
            ids=self.ids,
            known_future=self.known_future,
            freq=opts.freq,
            aggregate=opts.aggregate,
            fill=opts.fill,
            holidays=self.holidays if isinstance(self.holidays, str) else None,
            numbers=getattr(self, "_whole_numbers", None),
        )
        return without_leaks(
            panel, self.horizon, getattr(self, "_leave_out_leaks", True), getattr(self, "_whole_leaks", ())
        )

    def _part_of(
        self, numbers: Sequence[str], leave_out_leaks: bool = True, leaks: Sequence[Leak] = ()
    ) -> Forecaster:
        """This forecaster (returned), set to fit a part of a table: a nested backtest's fold,
        a partition, a hierarchy's nodes. ``numbers``: the columns the text rule reads as
        numbers in the whole table (:meth:`_numbers`); the part's fit reads them so, and no
        other column, whatever its own share of text (8 '--' in 100 rows are numbers, in the
        first 64 of them a categorical of the numbers). ``leave_out_leaks``: covariates found
        to leak the target are left out (:func:`~.data_checks.without_leaks`), not on a
        hierarchy's nodes, which are checked on the user's series. ``leaks``: those found on
        the whole table, left out of the part too (a nested backtest's folds: a fold's rows
        alone may fall under the threshold, and its held-out answers would be read). Not a
        parameter: a clone decides on its own table."""
        self._whole_numbers = tuple(numbers)
        self._leave_out_leaks = leave_out_leaks
        self._whole_leaks = tuple(leaks)
        return self

    def _codes(self) -> list[str]:
        """:func:`code_columns` of this forecaster."""
        return code_columns(self.ids, self.partition_by)

    def _numbers(self, raw: pd.DataFrame) -> tuple[str, ...]:
        """The columns of ``raw`` the text rule reads as numbers (:func:`~.validation.
        text_numbers`): as decided on the whole table of which ``raw`` is a part
        (:meth:`_part_of`), else on ``raw``, for the fits of its parts."""
        decided = getattr(self, "_whole_numbers", None)
        if decided is not None:
            return decided
        ids = [self.ids] if isinstance(self.ids, str) else list(self.ids or ())
        return text_numbers(raw, [c for c in raw.columns if c not in {self.target, self.time, *ids}])

    def _task(self, panel: Panel) -> Task:
        search = as_options(self.search, SearchOptions, "search")
        compute = as_options(self.compute, ComputeOptions, "compute")
        seasons = as_options(self.data, DataOptions, "data").seasons
        task = make_task(panel, self.horizon, self.holidays, self.quantiles, compute.n_jobs, search.random_state,
                         seasons)
        return replace(task, backend=compute.backend)

    # ------------------------------------------------------------------ predict

    @known_arguments(PREDICT_ALIASES)
    def predict(
        self,
        future: pd.DataFrame | str | Path | None = None,
        history: pd.DataFrame | str | Path | None = None,
        level: str | Sequence | None = None,
    ) -> pd.DataFrame:
        """Forecast ``horizon`` steps after the end of every series.

        ``history``: newer data (same columns as at fit) to forecast from its end without
        refitting; by default the training data. It may hold only the newest rows: a series
        whose rows start a step after its training rows end, or inside them (revised values),
        is read with its training rows before its first (and forecast from its own end), one
        a few steps later too, the steps between imputed by the fill rule (a gap shorter than the
        long-gap alert's: half a season, at least 5; warned of); a new series, or one after a
        longer gap (warned of), as given (ETS then estimates its level and
        trend on those rows and keeps its fitted season); so is every series of a model fitted
        on a Dask DataFrame, whose rows are not kept, or with ``aggregate=``, whose partial first
        and last periods are dropped. ``future``: the known-future covariates over the horizon. Returns a long
        table: ids, time, ``forecast`` and one column per quantile (``q0.5`` is not
        ``forecast``: a median calibrated on the validation errors). With a ``hierarchy``: ``level=None`` the bottom
        series, ``["Store"]`` one level, ``[]`` the total, ``"all"`` every node (with a ``level``
        column); coherent forecasts; ``future`` and ``history`` in the training table's columns
        (:meth:`make_future_frame` gives the bottom series' rows). Without one, ``level`` is an
        error.
        """
        self._check_fitted()
        if future is not None and not self.known_future:
            log.warning(
                "future= is not used: this Forecaster was fitted without known_future= columns; to "
                "use covariates known over the horizon, name them in known_future=[...] and fit again"
            )
            future = None  # said once, not again by each partition
        if getattr(self, "hierarchy_", None) is not None:
            return self._predict_hierarchy(future, history, level)
        if level is not None:
            raise DataValidationError(
                f"predict(level={level!r}): this Forecaster was fitted without a hierarchy, so it has "
                "no levels; drop level=, or fit with hierarchy=[...] (e.g. ['Store', 'Dept'])."
                + interval_hint(level, self.quantiles)
            )
        if self.partition_by:
            from tsauto.forecasting.partitions import predict_partitions

            return predict_partitions(self.partitions_, self.partition_by, future, history)
        if getattr(self, "dask_", None) is not None:
            return self._predict_dask(future, history)
        if history is None:  # said at fit, and again at each predict: their forecasts are for past dates
            log_checks(training_end_checks(self.history_), "the training data")
        panel = self.history_ if history is None else self._history_panel(history)
        fut = (future_covariates(future, panel, self.task_.horizon, fitted=self.history_)
               if self.model_.reads_known_future else {})
        with dask_context(self._options()[2].client):
            return self._forecast(panel, fut)

    def _predict_hierarchy(self, future, history, level) -> pd.DataFrame:
        """The hierarchy's coherent forecasts of ``level``; where it names no level and reads as
        prediction-interval levels (``[80, 95]``), the error says how tsauto makes intervals."""
        from tsauto.forecasting.hierarchy.fitting import predict_hierarchy

        try:
            return predict_hierarchy(self.hierarchy_, future, history, level)
        except DataValidationError as err:
            hint = interval_hint(level, self.quantiles)
            if not hint:
                raise
            raise DataValidationError(f"{err}{hint}") from err

    def _history_panel(self, history: pd.DataFrame | str | Path, warn: bool = True) -> Panel:
        """``history=`` validated as the training data was, each series continuing its
        training rows (:func:`~tsauto.forecasting.panel.continued`); with ``warn``, the series
        new, absent, after a gap or too short for the model are named."""
        panel = validate_like(history, self.history_.schema)
        check_id_types(panel.keys, self.history_.keys, "history=")
        given = panel
        panel, joined, gapped = continued(panel, self.history_, max(self.task_.season // 2, MIN_LONG_GAP) - 1)
        fills = getattr(given, "fills", None)
        if panel is not given and fills is not None:  # its fills per series (continued keeps their order), for
            panel.fills = replace(fills, imputed_rows=None)  # the checks; not by row: continued's rows are others
        if not warn:
            return panel
        _warn_unseen(panel, self.history_)
        if joined:
            log.info("history=: %d series continue the training data: its earlier rows are read before theirs", joined)
        if gapped.size:
            which = f" ({shortlist(series_labels(panel)[gapped])})" if panel.schema.ids else ""
            log.warning(
                GAPPED_WARNING, gapped.size, "s" if gapped.size == 1 else "", which,
            )
        _warn_short(panel, self.history_, self.model_, self.task_.season)
        log_checks(history_checks(panel, self.history_, self.task_, as_options(self.data, DataOptions, "data")),
                   "history=")
        return panel

    def _predict_dask(self, future, history) -> pd.DataFrame:
        """Forecasts of a model fitted on a Dask DataFrame: of its rows on the cluster, or of
        ``history`` (a Dask DataFrame, partition by partition; or a pandas one, here)."""
        from tsauto.forecasting.distributed import predict_dask

        future = None if future is None else read_table(future, self._codes())
        if history is not None and not is_dask_frame(history):
            panel = validate_like(history, self.dask_.schema)
            return self._forecast(panel, future_covariates(future, panel, self.task_.horizon))
        data = self.dask_.frame if history is None else history
        if data is None:
            raise DataValidationError(
                "this model was fitted on a Dask DataFrame whose rows are not saved with it: pass "
                "history= (the rows to forecast from, pandas or Dask)."
            )
        client = self._client()
        with dask_context(client):
            return predict_dask(self, data, future, client, by_series=history is None)

    def _forecast(self, panel: Panel, fut: dict[str, np.ndarray]) -> pd.DataFrame:
        """The forecast table of ``panel``: the model's forecasts, its intervals, the guards."""
        frame, alerts = self._forecast_table(panel, fut)
        say(alerts)
        return frame

    def _forecast_table(
        self, panel: Panel, fut: dict[str, np.ndarray]
    ) -> tuple[pd.DataFrame, list[SeriesAlert | None]]:
        """:meth:`_forecast`'s table, and the alerts on its series, not yet said."""
        routed = self.model_.predict(panel, fut)
        fc = routed.forecast
        quantiles = dict(fc.quantiles)
        if self.intervals_ is not None:
            scale = band_scale(panel, self.task_.season)
            if self.intervals_.spread is not None:  # by_series: each series' own factor, by its key
                scale = scale * self.intervals_.spread_at(fitted_positions(panel, self.history_))
            quantiles = self.intervals_.apply(fc.mean, fc.quantiles, scale)
            fallback = np.char.startswith(routed.reason.astype(str), FALLBACK)
            for q, v in fc.quantiles.items():
                quantiles[q][fallback] = v[fallback]
        opts = as_options(self.data, DataOptions, "data")
        mean, quantiles, changed = Guards(opts.non_negative, opts.discontinued).apply(
            panel, fc.mean, quantiles, self.task_.season, self.task_.horizon
        )
        alerts = [_collapsed_alert(panel, changed == COLLAPSED), far_alert(panel, mean, ~routed.dropped)]
        if self.intervals_ is not None:
            alerts.append(_short_band_alert(panel, self.intervals_, ~routed.dropped, self._short_named()))
        return self._forecast_frame(panel, mean, quantiles, ~routed.dropped), alerts

    def _short_named(self) -> set[tuple[str, int]]:
        """The series (label, length) the short-band warning named already: it names each once
        per fitted model. Not saved (:meth:`__getstate__`): a loaded model names them once again."""
        return self.__dict__.setdefault("_short_band_named", set())

    def _forecast_frame(
        self, panel: Panel, mean: np.ndarray, quantiles: dict[float, np.ndarray], keep: np.ndarray
    ) -> pd.DataFrame:
        h = self.task_.horizon
        series = np.repeat(np.flatnonzero(keep), h)
        out = panel.keys.iloc[series].reset_index(drop=True)
        times = panel.future_times(h)[keep].ravel()
        out[panel.schema.time] = output_times(times, panel.schema)
        out["forecast"] = mean[keep].ravel()
        for q in sorted(quantiles):
            out[f"q{q:g}"] = quantiles[q][keep].ravel()
        return out

    def make_future_frame(self, history: pd.DataFrame | str | Path | None = None) -> pd.DataFrame:
        """The ids and times of the next ``horizon`` steps of every series (after the end of
        ``history``, by default of the training data; with a hierarchy: of every bottom series;
        with ``partition_by``: the partition columns first): add the known-future covariates,
        by assignment (``fut["promo"] = ...``) or a merge with a calendar table, as
        mlforecast's ``make_future_dataframe`` and AutoGluon's ``make_future_data_frame`` give
        them, and pass it to :meth:`predict` as ``future=`` (``tsauto future-frame`` writes
        the columns empty, in a file to fill in)."""
        self._check_fitted(needs_rows="make_future_frame()")
        if getattr(self, "hierarchy_", None) is not None:
            from tsauto.forecasting.hierarchy.fitting import future_frame_hierarchy

            return future_frame_hierarchy(self.hierarchy_, history)
        if self.partition_by:
            from tsauto.forecasting.partitions import future_frame_partitions

            return future_frame_partitions(self.partitions_, self.partition_by, history)
        if history is None:
            panel = self.history_
        else:  # predict(history=) says how the target was filled: not this frame of times
            with fill_notes_quiet():
                panel = validate_like(history, self.history_.schema)
        keep = np.ones(panel.n_series, dtype=bool)
        empty = np.zeros((panel.n_series, self.task_.horizon))
        return self._forecast_frame(panel, empty, {}, keep).drop(columns="forecast")

    # ------------------------------------------------------------------ backtest

    @known_arguments(BACKTEST_ALIASES)
    def backtest(
        self,
        data: pd.DataFrame | str | Path,
        folds: int = 3,
        step: int | None = None,
        mode: Literal["nested", "refit"] = "nested",
    ) -> BacktestResult:
        """Rolling-origin evaluation: ``folds`` cutoffs ``step`` steps apart (default horizon).

        ``mode="nested"`` (the default, honest): at each cutoff a new forecaster with these
        settings runs the whole of :meth:`fit` (plan, search, ensemble, refit; the whole
        ``time_budget`` per cutoff, so folds × budget in all) on the rows at or before it and
        forecasts the horizon after it; works fitted or not. ``mode="refit"`` (fast,
        optimistic): refits the fitted model (its learners and ensemble weights; intervals as
        calibrated by ``fit``) at each cutoff without reselecting, so its folds score a choice
        made on their own future; it refits every member, a TCN too, which a fit under a
        ``time_budget`` kept as fitted on its latest validation fold. Neither changes this forecaster.
        """
        if mode not in NOTES:
            raise DataValidationError(f"mode={mode!r}: use 'nested' (honest) or 'refit' (fast, optimistic).")
        if mode == "refit":
            if not hasattr(self, "model_"):
                raise NotFittedError(
                    "backtest(mode='refit') refits the fitted model: call fit first, or use mode='nested'."
                )
            log.warning(REFIT_WARNING, NOTES[mode])
        self._check_hierarchy()
        if self.partition_by:
            from tsauto.forecasting.partitions import backtest_partitions

            if mode == "nested":  # as a nested backtest's first fit says it
                self._warn_unused_reconcile()
            # each partition's backtest(mode="refit") would say it again: said once, above
            with unsaid(REFIT_WARNING):
                return backtest_partitions(self, data, folds, step, mode)
        raw = read_table(data, self._codes())
        panel = self._validate(raw)
        task = self._task(panel)
        step = task.horizon if step is None else step
        backtest_check(panel, task.horizon, folds, step)
        if mode == "nested":
            params = self.get_params()
            budget = self.time_budget
            cost = "" if budget is None else f" (time_budget {budget:g}s each: up to {folds * budget:g}s in all)"
            log.info("nested backtest: %d folds, each runs the whole fit on the data before its cutoff%s", folds, cost)

            # the frequency of the whole table: a fold's first rows alone may read otherwise
            # (three business days in a row look daily); so the columns of numbers with text
            data_opts = as_options(self.data, DataOptions, "data")
            params["data"] = replace(data_opts, freq=data_opts.freq or panel.schema.freq)
            numbers = self._numbers(raw)
            search = as_options(self.search, SearchOptions, "search")

            def fit_fold(rows: pd.DataFrame) -> Forecaster:
                fold = params
                if search.run_dir is not None:  # each cutoff its own run folder: a rerun resumes each (review 56 B2)
                    times = parse_like(rows[panel.schema.time].reset_index(drop=True), panel.schema, "the table")
                    where = part_run_dir(search.run_dir, "backtest", time_text(times.max()))
                    fold = {**params, "search": replace(search, run_dir=where)}
                fitted = type(self)(**fold)._part_of(numbers, leaks=panel.schema.leaks).fit(rows)
                if fitted.interrupted_:  # its search caught Ctrl-C; the next fold's would not
                    raise KeyboardInterrupt("the backtest was stopped by Ctrl-C in a fold's search")
                return fitted
        else:
            def fit_fold(rows: pd.DataFrame) -> Forecaster:
                return self._refitted(rows, task)

        splitter = RollingOriginSplitter(task.horizon, folds=folds, step=step)
        aggregated = as_options(self.data, DataOptions, "data").aggregate is not None
        spec = nodes = None
        if self.hierarchy:
            from tsauto.forecasting.hierarchy.fitting import hierarchy_spec, node_panel

            spec = hierarchy_spec(self, raw)
            nodes = node_panel(spec, panel)
        res, models = backtest_forecaster(
            panel, raw, splitter, fit_fold, task.season, task.quantiles, aggregated, nodes
        )
        frame, per_series, summary, by_level = backtest_tables(
            res, panel if nodes is None else nodes.panel, fold_models_name(models), spec
        )
        extra = reference_note(task.season, task.seasons)
        note = f"{NOTES[mode]}. {extra}" if extra else NOTES[mode]
        return BacktestResult(frame, per_series, summary, mode, note, by_level, models)

    def _refitted(self, rows: pd.DataFrame, task: Task) -> Forecaster:
        """A copy of this fitted forecaster whose model (same learners, parameters and
        weights) is refitted on the raw ``rows`` (read as the fit read its table: a step
        missing at their end is not filled from rows after them, which a cut of the whole
        table's panel did, and the forecast starts after each series' last row); with a
        hierarchy, on them aggregated to every node, the reconciler kept."""
        fc = copy.copy(self)
        if getattr(self, "hierarchy_", None) is not None:
            from tsauto.forecasting.hierarchy.fitting import refit_hierarchy

            fc.hierarchy_ = refit_hierarchy(self.hierarchy_, rows)
            fc.intervals_ = fc.hierarchy_.base.intervals_
            return fc
        train = validate_like(rows, self.history_.schema)
        fc.model_ = self.model_.clone().fit(train, task)
        fc.history_, fc.task_ = train, task
        intervals = getattr(self, "intervals_", None)
        fc.intervals_ = None if intervals is None else intervals.for_series(fitted_positions(train, self.history_))
        return fc

    # ------------------------------------------------------------------ the rest

    def get_params(self, deep: bool = True) -> dict:
        """Constructor arguments, as given. ``deep``, scikit-learn's flag, changes nothing (no
        argument is an estimator to expand); it lets ``sklearn.base.clone`` copy a forecaster."""
        import inspect

        return {p: getattr(self, p) for p in inspect.signature(type(self).__init__).parameters if p != "self"}

    def leaderboard(self) -> pd.DataFrame:
        """One row per learner tried: validation scores per fold and their mean, status, reason,
        ensemble weight; with ``quantiles=``, held-out ``pinball`` (mean over every level), and
        ``coverage`` and ``msis`` of the outermost symmetric pair of quantiles (0.025 and 0.975 of
        four levels: the 95 % band); ``fit_time`` and ``predict_time``: the seconds its folds
        took in their worker, summed (trials run side by side: their sum exceeds the fit's
        wall time)."""
        self._check_fitted()
        return self.leaderboard_.copy()

    def data_checks(self) -> pd.DataFrame:
        """What the fit found in the data and did to it: one row per check (``check``,
        ``status``: passed / fixed / alert, ``column``, ``message``, ``series`` involved,
        ``count``), the role of every column first; see :mod:`tsauto.forecasting.data_checks`.
        With ``partition_by``, the partition columns lead. With ``hierarchy``, those of the table
        given, its bottom series (the aggregate nodes the hierarchy adds are counted apart; see
        :func:`~tsauto.forecasting.hierarchy.fitting.user_checks`)."""
        self._check_fitted(needs_rows="data_checks()")
        if not self.partition_by:
            return self.data_checks_.copy()
        from tsauto.forecasting.partitions import columns_of

        cols = columns_of(self.partition_by)
        parts = [
            child.data_checks().assign(**dict(zip(cols, key)))[[*cols, *child.data_checks_.columns]]
            for key, child in self.partitions_.items()
        ]
        return pd.concat(parts, ignore_index=True)

    def explain(
        self,
        series: object = None,
        steps: int | Sequence[int] | None = None,
        future: pd.DataFrame | str | Path | None = None,
        history: pd.DataFrame | str | Path | None = None,
    ) -> Explanation:
        """Why the model forecasts what it does: ensemble ``weights``, LightGBM ``importance`` by
        raw column (target lags and windows, calendar, holidays, each covariate, series id), the
        statistical ``models`` fitted per series and, with ``series`` (an id value, a tuple of
        id values, or a list of these) or horizon ``steps`` (1-based), LightGBM's per-forecast
        ``contributions`` (SHAP values by raw column) to the forecast of ``history`` (default the
        training data; ``future``: known-future covariates, as for :meth:`predict`). See
        :mod:`tsauto.forecasting.explain` for the columns and the units. With a hierarchy, the
        model of every node: ``series`` names nodes (``"Store=1"``, ``"total"``), ``history`` and
        ``future`` are in the training table's columns."""
        self._check_fitted(needs_rows="explain()")
        if self.partition_by:
            raise DataValidationError(
                "with partition_by each partition has its own model: explain one of "
                "partitions_.values()."
            )
        if getattr(self, "hierarchy_", None) is not None:
            from tsauto.forecasting.hierarchy.fitting import check_nodes, later_node_tables

            fit = self.hierarchy_
            check_nodes(fit.spec, series)
            future, history = later_node_tables(fit, future, history)
        panel = self.history_ if history is None else self._history_panel(history, warn=False)
        if series is not None:  # a wrong key is named before a missing future= table
            series_positions(panel.keys, series)
        fut = {}
        if (series is not None or steps is not None) and self.model_.reads_known_future:
            fut = future_covariates(future, panel, self.task_.horizon, fitted=self.history_)
        return explain(self.model_.members, panel, fut, series, steps, self.model_.routes)

    def report(
        self, path: str | Path, backtest: BacktestResult | None = None,
        future: pd.DataFrame | str | Path | None = None,
    ) -> Path:
        """Write a self-contained HTML report to ``path`` (opens offline): data checks,
        leaderboard with ensemble weights, plan notes, backtest errors by fold and step (with
        ``backtest``, a result of :meth:`backtest`), forecast plots of the best, the worst and
        a sample of series, and LightGBM feature importance; see
        :mod:`tsauto.forecasting.report`. ``future``: the known-future covariates over the
        horizon, as :meth:`predict` takes them (without them such a model's plots show no
        forecast)."""
        from tsauto.forecasting.report import write_report

        self._check_fitted(needs_rows="report()")
        return write_report(self, path, backtest, future)

    @property
    def fallbacks_(self) -> pd.DataFrame:
        """Training series forecast by seasonal naive (or dropped) instead of the learners
        (too short for every member of the model); with ``partition_by``, the partition columns
        lead."""
        self._check_fitted(needs_rows="fallbacks_")
        if self.partition_by:  # each partition's, its partition columns leading
            from tsauto.forecasting.partitions import columns_of, with_key

            cols = columns_of(self.partition_by)
            return pd.concat([with_key(child.fallbacks_, cols, key) for key, child in self.partitions_.items()],
                             ignore_index=True)
        opts = as_options(self.data, DataOptions, "data")
        if opts.short_series == "pad":  # padded series are forecast by the learners themselves
            return self.history_.keys.iloc[:0].assign(reason="").reset_index(drop=True)
        short = np.flatnonzero(self.history_.lengths < self.model_.min_length_)
        action = "dropped" if opts.short_series == "drop" else FALLBACK
        reason = f"{action}: shorter than {self.model_.min_length_} observations"
        return self.history_.keys.iloc[short].assign(reason=reason).reset_index(drop=True)

    def save(self, path: str | Path) -> Path:
        """Write the fitted forecaster to ``path`` (a versioned, checksummed file)."""
        from tsauto.core.persistence import save

        self._check_fitted()
        compute = self._options()[2]
        if compute.client is None:
            return save(self, path)
        fc = copy.copy(self)  # a Dask client is a connection, not model state
        fc.compute = replace(compute, client=None)
        return save(fc, path)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Read a forecaster written by :meth:`save`; refuses incompatible files with a reason."""
        from tsauto.core.persistence import load

        return load(path, cls)

    def _check_fitted(self, needs_rows: str | None = None) -> None:
        """Fitted, and, for a method that ``needs_rows`` (its name), fitted in this process."""
        if not hasattr(self, "model_"):
            raise NotFittedError("this Forecaster is not fitted yet: call fit(data) first.")
        if needs_rows and getattr(self, "dask_", None) is not None:
            raise DataValidationError(
                f"{needs_rows} reads the training rows, which a model fitted on a Dask DataFrame "
                "leaves on the cluster: it offers predict(), leaderboard() and save(); fit on a "
                "pandas sample for the rest."
            )

    def __getstate__(self) -> dict:
        """The fitted state, without the memo of the warnings said (:meth:`_short_named`)."""
        return {k: v for k, v in self.__dict__.items() if k != "_short_band_named"}

    def __repr__(self) -> str:
        return (
            f"Forecaster(target={self.target!r}, time={self.time!r}, ids={self.ids!r}, "
            f"horizon={self.horizon!r}, learners={self.learners!r})"
        )


def _digest(frame: pd.DataFrame) -> str | None:
    """A short hash of a panel's covariate or static values (None: no columns)."""
    from tsauto.core.search import data_fingerprint

    return None if frame.shape[1] == 0 else data_fingerprint(frame)[:12]


def _failed_learners(board: pd.DataFrame) -> dict[str, str]:
    """The learners of the leaderboard ``board`` whose every trial failed, each with the first
    line of its first failure's reason."""
    rows = board.sort_values("trial")
    failed = rows.groupby("learner", sort=False)["status"].agg(lambda s: (s == "failed").all())
    first = rows[rows["status"] == "failed"].groupby("learner", sort=False)["reason"].first()
    return {name: str(first[name]).strip().partition("\n")[0].rstrip(".") for name in failed[failed].index}


def _resumed_folds(search: SearchOptions) -> SearchOptions:
    """``search`` with the validation folds its run_dir's search was planned with, where its
    folds are automatic: the plan's count follows the budget and the cores free, and a resume of
    other folds is refused (review 57: the same command was refused, "search.folds: 1 -> 3", once
    ``n_jobs`` or a partition's share of the budget changed)."""
    if search.run_dir is None or search.folds != "auto":
        return search
    folds = (recorded_settings(search.run_dir) or {}).get("search", {}).get("folds")
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        return search
    log.info("resuming the search in %s: its %d validation fold(s), as it was planned", search.run_dir, folds)
    return replace(search, folds=folds)


def _interrupted_note(trials: int, planned: int | None, run_dir: str | Path | None = None) -> str:
    """The plan note of a search Ctrl-C stopped after ``trials`` of the ``planned`` (``None``:
    no count was set), saying how to get the whole search (``run_dir``: resumed from there)."""
    of = f"{trials} trial{'s' * (trials != 1)}" if planned is None else f"{trials} of {planned} trials"
    again = "fit again" if run_dir is None else f"fit again with run_dir={str(run_dir)!r} to resume it"
    return (
        f"search interrupted by the user after {of}: the model is what was finished; "
        f"{again} for the whole search"
    )


def code_columns(ids: str | Sequence[str] | None, partition_by: str | Sequence[str] | None) -> list[str]:
    """The columns naming series (ids, partition columns): a CSV's integers written with
    leading zeros there are read as that text (:func:`~tsauto.core.table_io.read_table`)."""
    return [c for cols in (ids, partition_by) for c in ([cols] if isinstance(cols, str) else cols or ())]


def _warn_unseen(panel: Panel, fitted: Panel) -> None:
    """Warnings naming the series of ``panel`` (a ``history=`` table) the model was not fitted
    on (they get forecasts, from their own rows, but no model learnt from them), and the series
    of the fit that ``panel`` lacks (they get none)."""
    ids = list(panel.schema.ids)
    if not ids:
        return
    merged = panel.keys.merge(fitted.keys, on=ids, how="left", indicator=True)
    new = np.flatnonzero((merged["_merge"] == "left_only").to_numpy())
    if new.size:
        labels = series_labels(panel)[new]
        same = _respelled(panel.keys.iloc[new], labels, fitted)
        held = "it" if new.size == 1 else "all of them" if len(same) == new.size else f"{len(same)} of them"
        log.warning(
            "%d of %d series of history= were not in the training data (%s): the global models "
            "forecast them from their own rows, the local ones (ETS, Theta, ...) by seasonal "
            "naive; refit on a table that holds them to fit them%s", new.size, panel.n_series, shortlist(labels),
            f"; the fit holds {held}, but for spaces, case or punctuation around the ids ({shortlist(same)}): "
            "write the ids as at fit" if same else "",
        )
    kept = fitted.keys.merge(panel.keys, on=ids, how="left", indicator=True)
    absent = np.flatnonzero((kept["_merge"] == "left_only").to_numpy())
    if absent.size:
        log.warning(ABSENT_WARNING, absent.size, fitted.n_series, shortlist(series_labels(fitted)[absent]))


def _respelled(keys: pd.DataFrame, labels: np.ndarray, fitted: Panel) -> list[str]:
    """Which of the series ``keys`` (named ``labels``) are series of ``fitted`` but for spaces,
    case or stray punctuation around an id (:func:`~tsauto.tabular.checks.label_key`, the
    tabular side's rule for class labels): ["'Gordon_Ramsay ' as 'Gordon_Ramsay'"], each as the
    first series of ``fitted`` so spelled (two there may be); [] where none is."""
    from tsauto.tabular.checks import label_key  # one rule for both sides

    def compared(table: pd.DataFrame) -> list[tuple]:
        return [tuple(map(label_key, row)) for row in table.itertuples(index=False, name=None)]

    known: dict[tuple, str] = {}
    for k, label in zip(compared(fitted.keys), series_labels(fitted)):
        known.setdefault(k, label)
    return [f"{label!r} as {known[k]!r}" for k, label in zip(compared(keys), labels) if k in known]


def _warn_short(panel: Panel, fitted: Panel, model: EnsembleModel, season: int) -> None:
    """A warning naming the series of ``panel`` (a ``history=`` table) shorter than the model
    reads back (its longest lag or window, at least a season) and than at fit: forecast
    without those rows (from the last 3 of 20 years of monthly retail sales, the default's
    forecasts moved 46 % from the fit's, its intervals vanished from the last one)."""
    reaches = [max(max(r) for r in m.learner.lag_reach().values()) for _, m in model.members if m.learner.lag_reach()]
    reach = max([season, *reaches])
    ids = list(panel.schema.ids)
    before = fitted.lengths
    if ids:
        ref = fitted.keys.assign(__length=fitted.lengths)
        before = panel.keys.merge(ref, on=ids, how="left")["__length"].fillna(0).to_numpy()
    short = np.flatnonzero((panel.lengths < reach) & (panel.lengths < before))
    if short.size:
        which = f": {shortlist(series_labels(panel)[short])}" if ids else ""
        log.warning(
            "%d of %d series of history= hold fewer rows than the %d the model reads back (its "
            "longest lag or window, or a season%s): forecast without them, their intervals "
            "too narrow; give at least %d rows of each", short.size, panel.n_series, reach, which, reach,
        )


def far_alert(panel: Panel, mean: np.ndarray, kept: np.ndarray) -> SeriesAlert | None:
    """The series forecast far outside their history's range (:func:`far_outside`): a
    recursive model extrapolating its newest steps (LightGBM on ETTh1 fell in a straight line
    to -252 after a history of -0.9 to 16.8, unsaid)."""
    far = np.flatnonzero(far_outside(panel, mean) & kept)
    if not far.size:
        return None
    labels, lowest, highest = series_labels(panel), history_minimum(panel), history_maximum(panel)
    return SeriesAlert(FAR_WARNING, far.size, tuple(
        f"{labels[i] or 'the series'} (forecast {np.nanmin(mean[i]):.6g} to {np.nanmax(mean[i]):.6g}, "
        f"history {lowest[i]:.6g} to {highest[i]:.6g})" for i in far[:EXAMPLES]))


def _short_band_alert(
    panel: Panel, intervals: Intervals, kept: np.ndarray, named: set[tuple[str, int]]
) -> SeriesAlert | None:
    """The series whose history is shorter than nearly all the histories the intervals were
    calibrated on (:meth:`~tsauto.forecasting.intervals.Intervals.short`), but those ``named``
    before at the same length (label, length; those named now are added): every predict() of
    a model said it again of the same series (user test 48)."""
    short = np.flatnonzero(intervals.short(panel.lengths) & kept)
    if not short.size:
        return None
    labels = series_labels(panel)
    seen = [(str(labels[i]), int(panel.lengths[i])) for i in short]
    idx = np.array([i for i, key in zip(short, seen) if key not in named], dtype=np.int64)
    named.update(seen)
    if not idx.size:
        return None
    return SeriesAlert(SHORT_BAND_WARNING, idx.size, tuple(
        f"{labels[i] or 'the series'} ({panel.lengths[i]} points; the errors from {intervals.shortest} up)"
        for i in idx[:EXAMPLES]))


def _collapsed_alert(panel: Panel, collapsed: np.ndarray) -> SeriesAlert | None:
    """The series forecast zero at every step by the non-negative guard whose history never
    reached zero: the model extrapolates a fall the clip hides."""
    idx = np.flatnonzero(collapsed)
    if not idx.size:
        return None
    labels, lowest = series_labels(panel), history_minimum(panel)
    return SeriesAlert(COLLAPSED_WARNING, idx.size, tuple(
        f"{labels[i] or 'the series'} (history min {lowest[i]:.6g})" for i in idx[:EXAMPLES]))
