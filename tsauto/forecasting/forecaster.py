"""The :class:`Forecaster` facade: validate, choose and fit learners, forecast, backtest."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from tsauto.forecasting import metrics as M
from tsauto.forecasting import registry
from tsauto.forecasting.backtest import FoldResults, cross_validate, results_frame
from tsauto.forecasting.panel import Panel, output_times
from tsauto.forecasting.validation import Aggregate, Fill, future_covariates, horizon_check, validate, validate_like
from tsauto.core.exceptions import DataValidationError, NotFittedError
from tsauto.forecasting.frequency import detect_seasonality, seasonal_periods
from tsauto.forecasting.intervals import ConformalIntervals, series_scale
from tsauto.forecasting.learners.base import Learner, Task
from tsauto.forecasting.learners.fallback import ShortSeries, WithFallback
from tsauto.forecasting.splitters import RollingOriginSplitter

log = logging.getLogger(__name__)


@dataclass
class BacktestResult:
    """What :meth:`Forecaster.backtest` returns.

    ``forecasts``: one row per fold, series and step (ids, time, ``cutoff``, ``fold``, ``step``,
    ``actual``, ``forecast``, quantiles, the ``seasonal_naive`` reference and ``fallback``).
    ``per_series``: metrics per series and cutoff. ``summary``: mean metrics of the model and of
    seasonal naive from the same cutoffs.
    """

    forecasts: pd.DataFrame
    per_series: pd.DataFrame
    summary: pd.DataFrame


class Forecaster:
    """Automated forecasting of one or many series.

    Parameters
    ----------
    target, time, ids:
        Column names: the value to forecast, the time stamps (or integer steps) and the columns
        that identify a series (none for a single series).
    horizon:
        Number of steps to forecast.
    freq:
        Pandas frequency alias; inferred when ``None``.
    lags, windows:
        Target lags and rolling windows of the global models, or ``"auto"``.
    holidays:
        A country code (``"US"``), a list of codes, or the name of a column holding each
        series' country code; adds holiday features.
    known_future:
        Covariate columns whose values are known over the horizon (prices, promotions).
    learners:
        ``"auto"`` or a list of registry names / :class:`~tsauto.forecasting.learners.base.Learner`
        instances. With several, a rolling-origin validation picks the best by ``metric``.
    quantiles:
        Quantile levels to forecast (e.g. ``[0.1, 0.9]``): native where the learner has them,
        else conformal from cross-validation residuals.
    short_series:
        ``"auto"`` (seasonal-naive fallback), ``"pad"`` or ``"drop"``.
    aggregate, fill:
        Roll duplicate rows up to ``freq`` (sum/mean/min/max); rule to impute missing targets.
    cv_folds:
        Rolling-origin folds used to compare learners and calibrate intervals (``"auto"``: 2).
    time_budget, max_trials:
        Run the search core: learners and their parameters explored by Optuna within this many
        seconds (search, ensemble and refit together) or trials.
    ensemble:
        Blend the best trials by greedy ensemble selection (else use the best trial alone).
    exclude:
        Learners never to try.
    partition_by:
        Columns splitting the data into partitions searched and fitted separately (e.g. one
        model family per store), in parallel; one leaderboard and one forecast for all.
    backend, client:
        Where trials run: local processes (``"loky"``), in-process (``"sequential"``) or a Dask
        cluster (``"dask"`` with a ``distributed.Client``).
    """

    def __init__(
        self,
        target: str,
        time: str,
        horizon: int,
        ids: Sequence[str] | str | None = None,
        freq: str | None = None,
        lags: Sequence[int] | Literal["auto"] = "auto",
        windows: Sequence[int] | Literal["auto"] = "auto",
        holidays: str | Sequence[str] | None = None,
        known_future: Sequence[str] | None = None,
        learners: Literal["auto"] | Sequence[str | Learner] = "auto",
        quantiles: Sequence[float] | None = None,
        metric: str = "mase",
        n_jobs: int = -1,
        random_state: int = 0,
        short_series: ShortSeries = "auto",
        aggregate: Aggregate | None = None,
        fill: Fill = "interpolate",
        cv_folds: int | Literal["auto"] = "auto",
        time_budget: float | None = None,
        max_trials: int | None = None,
        ensemble: bool = True,
        exclude: Sequence[str] | None = None,
        partition_by: Sequence[str] | str | None = None,
        backend: Literal["loky", "sequential", "dask"] = "loky",
        client: object | None = None,
    ):
        self.target = target
        self.time = time
        self.horizon = horizon
        self.ids = ids
        self.freq = freq
        self.lags = lags
        self.windows = windows
        self.holidays = holidays
        self.known_future = known_future
        self.learners = learners
        self.quantiles = quantiles
        self.metric = metric
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.short_series = short_series
        self.aggregate = aggregate
        self.fill = fill
        self.cv_folds = cv_folds
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.ensemble = ensemble
        self.exclude = exclude
        self.partition_by = partition_by
        self.backend = backend
        self.client = client

    # ------------------------------------------------------------------ fit

    def fit(self, data: pd.DataFrame | str | Path) -> "Forecaster":
        """Validate ``data``, search / select and fit the learners; returns self.

        With ``time_budget`` or ``max_trials`` the search core explores learners and their
        parameters, ensembles the best trials and refits them on all data. Without, each
        learner's default configuration is compared by rolling-origin validation (when there
        are several, or intervals need calibrating) and the best, or the ensemble, is refit.
        """
        start = time.monotonic()
        if self.partition_by:
            from tsauto.forecasting.partitions import fit_partitions

            return fit_partitions(self, data)
        panel = self._validate(data)
        task = self._task(panel)
        learners = self._learners(panel)
        searching = self.time_budget is not None or self.max_trials is not None
        needs_cv = searching or len(learners) > 1 or self._needs_intervals(learners)
        self.history_, self.task_, self.intervals_ = panel, task, None
        if not needs_cv:
            learner = learners[0]
            t0 = time.perf_counter()
            self.model_ = WithFallback(learner.clone(), self.short_series).fit(panel, task)
            self.leaderboard_ = pd.DataFrame(
                [_row(0, learner.name, learner.get_params(), fit_time=time.perf_counter() - t0)]
            )
            log.info("fitted %s on %d series in %.1fs", learner.name, panel.n_series, time.perf_counter() - t0)
            return self
        self._fit_search(panel, task, learners, searching, start)
        return self

    def _fit_search(
        self, panel: Panel, task: Task, learners: list[Learner], searching: bool, start: float
    ) -> None:
        from tsauto.forecasting.search import ForecastEvaluator, auto_candidates, run_search
        from tsauto.core.executor import Executor
        from tsauto.core.search import Candidate, SearchSettings

        executor = Executor(self.n_jobs, self.backend, self.client)
        folds = 2 if self.cv_folds == "auto" else int(self.cv_folds)
        splitter = RollingOriginSplitter(task.horizon, folds=folds, step=task.horizon)
        budget = None if self.time_budget is None else float(self.time_budget)
        if self.learners == "auto" and searching:
            candidates = auto_candidates(
                panel, task, budget, folds, executor.n_workers, exclude=self.exclude
            )
            base = {"lightgbm": {"lags": self.lags, "windows": self.windows}}
        else:
            base = {lrn.name: lrn.get_params() for lrn in learners}
            candidates = {
                lrn.name: Candidate(
                    lrn.name,
                    space=getattr(type(lrn), "search_space", None) if searching else None,
                    cost=registry.FORECASTERS[lrn.name].cost if lrn.name in registry.FORECASTERS else 1.0,
                )
                for lrn in learners
                if lrn.name not in set(self.exclude or ())
            }
        classes = {lrn.name: type(lrn) for lrn in learners} if self.learners != "auto" else None
        evaluator = ForecastEvaluator(
            panel, task, splitter, self.metric, self.short_series, base, classes
        )
        elapsed = time.monotonic() - start
        settings = SearchSettings(
            time_budget=None if budget is None else max(1.0, 0.8 * budget - elapsed),
            max_trials=self.max_trials if searching else len(candidates),
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
        model, trials, weights, oof = run_search(
            panel, task, evaluator, candidates, settings, executor, self.ensemble,
            deadline=None if budget is None else start + budget,
        )
        self.model_ = model
        self.trials_ = [replace(t, oof=None) for t in trials]
        self.leaderboard_ = pd.DataFrame(
            [
                _row(
                    t.number, t.learner, t.params, status=t.status, reason=t.reason,
                    **{f"{self.metric}_fold{i}": v for i, v in enumerate(t.fold_scores)},
                    **{self.metric: t.score if t.status == "ok" else np.nan},
                    fit_time=t.fit_time, predict_time=t.predict_time,
                    weight=weights.get(t.number, 0.0),
                )
                for t in trials
            ]
        )
        if task.quantiles:
            errors = (oof.actual - oof.forecast) / np.where(oof.scale > 0, oof.scale, np.nan)
            self.intervals_ = ConformalIntervals(task.quantiles).fit(errors, oof.step, task.horizon)

    def _needs_intervals(self, learners: list[Learner]) -> bool:
        return bool(self.quantiles) and not all(lrn.tags.native_quantiles for lrn in learners)

    def _validate(self, data) -> Panel:
        horizon_check(self.horizon)
        return validate(
            data,
            target=self.target,
            time=self.time,
            ids=self.ids,
            known_future=self.known_future,
            freq=self.freq,
            aggregate=self.aggregate,
            fill=self.fill,
        )

    def _task(self, panel: Panel) -> Task:
        schema = panel.schema
        candidates = seasonal_periods(schema.freq)
        if schema.freq is None:
            seasons = detect_seasonality(panel.y, panel.indptr, None)
        else:
            seasons = detect_seasonality(panel.y, panel.indptr, candidates) if candidates else []
        countries, column = self._holidays(panel)
        quantiles = tuple(sorted(float(q) for q in (self.quantiles or ())))
        if any(not 0 < q < 1 for q in quantiles):
            raise DataValidationError(f"quantiles={self.quantiles!r}: each must lie in (0, 1).")
        log.info("seasonal periods: %s", seasons or "none")
        return Task(
            horizon=self.horizon,
            season=seasons[0] if seasons else 1,
            seasons=tuple(seasons),
            quantiles=quantiles,
            holidays=countries,
            holiday_column=column,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def _holidays(self, panel: Panel) -> tuple[tuple[str, ...], str | None]:
        if self.holidays is None:
            return (), None
        if panel.schema.freq is None:
            raise DataValidationError(
                f"holidays={self.holidays!r} needs timestamps, but column {self.time!r} holds "
                "integer steps: give dates or drop holidays=."
            )
        if isinstance(self.holidays, str) and self.holidays in panel.schema.static:
            return (), self.holidays
        if isinstance(self.holidays, str) and self.holidays in panel.schema.covariates:
            raise DataValidationError(
                f"holidays={self.holidays!r} names a column that changes within a series; it "
                "must hold one country code per series."
            )
        codes = (self.holidays,) if isinstance(self.holidays, str) else tuple(self.holidays)
        from tsauto.forecasting.features.holiday import holiday_dates

        for c in codes:
            holiday_dates(c, 2000, 2001)  # fails early on an unknown country
        return codes, None

    def _learners(self, panel: Panel | None = None) -> list[Learner]:
        names = registry.AUTO_LEARNERS if self.learners == "auto" else self.learners
        if self.learners == "auto" and panel is not None:
            from tsauto.forecasting.learners.intermittent import intermittent_share

            if intermittent_share(panel) > 0.5:  # mostly intermittent demand
                names = (*names, "tsb", "croston")
        if isinstance(names, (str, Learner)):
            names = [names]
        if not names:
            raise DataValidationError("learners= is empty: name at least one learner.")
        out = []
        for item in names:
            if isinstance(item, Learner):
                out.append(item)
            elif item == "lightgbm":
                out.append(registry.create(item, lags=self.lags, windows=self.windows))
            else:
                out.append(registry.create(item))
        return out

    # ------------------------------------------------------------------ predict

    def predict(
        self,
        future: pd.DataFrame | str | Path | None = None,
        history: pd.DataFrame | str | Path | None = None,
    ) -> pd.DataFrame:
        """Forecast ``horizon`` steps after the end of every series.

        ``history``: newer data (same columns as at fit) to forecast from its end without
        refitting; by default the training data. ``future``: the known-future covariates over
        the horizon. Returns a long table: ids, time, ``forecast`` and one column per quantile.
        """
        self._check_fitted()
        if self.partition_by:
            from tsauto.forecasting.partitions import predict_partitions

            return predict_partitions(self, future, history)
        panel = self.history_ if history is None else validate_like(history, self.history_.schema)
        fut = future_covariates(future, panel, self.task_.horizon)
        routed = self.model_.predict(panel, fut)
        fc = routed.forecast
        quantiles = dict(fc.quantiles)
        if self.intervals_ is not None:
            quantiles = self.intervals_.apply(fc.mean, series_scale(panel, self.task_.season))
            if (routed.reason != "").any():
                short = routed.reason != ""
                for q, v in fc.quantiles.items():
                    quantiles[q][short] = v[short]
        return self._forecast_frame(panel, fc.mean, quantiles, ~routed.dropped)

    def _forecast_frame(
        self,
        panel: Panel,
        mean: np.ndarray,
        quantiles: dict[float, np.ndarray],
        keep: np.ndarray,
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
        """The ids and times of the next ``horizon`` steps of every series: fill in the
        known-future covariates and pass it to :meth:`predict` as ``future=``."""
        self._check_fitted()
        panel = self.history_ if history is None else validate_like(history, self.history_.schema)
        keep = np.ones(panel.n_series, dtype=bool)
        return self._forecast_frame(panel, np.zeros((panel.n_series, self.task_.horizon)), {}, keep).drop(columns="forecast")

    # ------------------------------------------------------------------ backtest

    def backtest(
        self, data: pd.DataFrame | str | Path, folds: int = 3, step: int | None = None
    ) -> BacktestResult:
        """Rolling-origin evaluation: ``folds`` cutoffs ``step`` steps apart (default horizon).

        Each fold fits a fresh model (this configuration, first learner or the one chosen by
        ``fit``) only on data before its cutoff. Does not change a fitted forecaster.
        """
        if self.partition_by and hasattr(self, "partitions_"):
            from tsauto.forecasting.partitions import backtest_partitions

            return backtest_partitions(self, data, folds, step)
        panel = self._validate(data)
        task = self._task(panel)
        template = self._backtest_model()
        splitter = RollingOriginSplitter(task.horizon, folds=folds, step=step or task.horizon)
        res = cross_validate(panel, task, template.clone, splitter)
        frame = results_frame(res, panel)
        per_series, summary = self._score(frame, res, panel, task, template.describe())
        return BacktestResult(frame, per_series, summary)

    def _score(
        self, frame: pd.DataFrame, res: FoldResults, panel: Panel, task: Task, name: str
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        ids = list(panel.schema.ids)
        if not ids:
            ids = ["series"]
            frame = frame.assign(series=res.series)
        keys = frame[ids].itertuples(index=False, name=None)
        cell = {
            ((k if len(ids) > 1 else k[0]), c): (s, n)
            for k, c, s, n in zip(keys, frame["cutoff"], res.series, res.train_length)
        }

        def insample(key, cutoff) -> np.ndarray:
            s, n = cell[(key, cutoff)]
            return panel.y[panel.indptr[s] : panel.indptr[s] + n]

        def evaluate(forecast_col: str) -> tuple[pd.DataFrame, pd.DataFrame]:
            cols = [c for c in frame.columns if c.startswith("q")] if forecast_col == "forecast" else []
            table = frame[[*ids, "cutoff", "actual", forecast_col, *cols]].rename(
                columns={forecast_col: "forecast"}
            )
            return M.evaluate(table, id_cols=ids, insample=insample, season=task.season)

        per_series, model_sum = evaluate("forecast")
        _, base_sum = evaluate("seasonal_naive")
        summary = pd.concat(
            [
                model_sum.assign(model=name),
                base_sum.assign(model="seasonal_naive"),
            ],
            ignore_index=True,
        )
        return per_series, summary[["model", *[c for c in summary.columns if c != "model"]]]

    def _backtest_model(self):
        """The fitted model's configuration (the whole ensemble), unfitted; before fit, the
        first learner configured."""
        if hasattr(self, "model_"):
            return self.model_.clone()
        return WithFallback(self._learners()[0].clone(), self.short_series)

    # ------------------------------------------------------------------ the rest

    def get_params(self) -> dict:
        """Constructor arguments, as given."""
        import inspect

        return {p: getattr(self, p) for p in inspect.signature(type(self).__init__).parameters if p != "self"}

    def leaderboard(self) -> pd.DataFrame:
        """One row per learner tried: validation scores, fit/predict time, status, reason."""
        self._check_fitted()
        return self.leaderboard_.copy()

    @property
    def fallbacks_(self) -> pd.DataFrame:
        """Training series forecast by seasonal naive (or dropped) instead of the learner."""
        self._check_fitted()
        short = np.flatnonzero(self.history_.lengths < self.model_.min_length_)
        action = "dropped" if self.short_series == "drop" else "seasonal_naive"
        reason = f"{action}: shorter than {self.model_.min_length_} observations"
        return self.history_.keys.iloc[short].assign(reason=reason).reset_index(drop=True)

    def save(self, path: str | Path) -> Path:
        """Write the fitted forecaster to ``path`` (a versioned file)."""
        from tsauto.core.persistence import save

        self._check_fitted()
        return save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        """Read a forecaster written by :meth:`save`; refuses incompatible files with a reason."""
        from tsauto.core.persistence import load

        return load(path, cls)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this Forecaster is not fitted yet: call fit(data) first.")

    def __repr__(self) -> str:
        return (
            f"Forecaster(target={self.target!r}, time={self.time!r}, ids={self.ids!r}, "
            f"horizon={self.horizon!r}, learners={self.learners!r})"
        )


def _row(number: int, learner: str, params: dict, status: str = "ok", reason: str = "", **values) -> dict:
    return {"trial": number, "learner": learner, "params": repr(params), "status": status, "reason": reason, **values}
