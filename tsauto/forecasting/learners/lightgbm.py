"""One global LightGBM model across all series on lag / window / calendar features.

Recursive strategy (default): one model of the next step; the horizon is forecast step by step,
each step one ``predict`` for all series together, its output feeding the next step's lags.
Direct strategy: one model per horizon step, each from the lags known at the forecast origin.
A large training table (recursive strategy) is never built whole: LightGBM bins it from chunks
of whole series, each built when read (:mod:`~tsauto.forecasting.features.sequence_rows`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError
from tsauto.core.resources import CpuMeter, free_cores, n_workers
from tsauto.core.stopping import LightGBMDeadline, equal_share
from tsauto.forecasting.features.auto import auto_lags, auto_windows
from tsauto.forecasting.features.builder import FeatureBuilder, FeatureSpec
from tsauto.forecasting.features.calendar import calendar_names
from tsauto.forecasting.features.lags import LagSpec, lag_step, positions, tail_buffer
from tsauto.forecasting.features.target_transforms import (
    backward,
    forward,
    make_transforms,
    mostly_nonstationary,
)
from tsauto.forecasting.learners.base import Forecast, Learner, LearnerTags, Task
from tsauto.forecasting.panel import Panel

# The training matrix is stored in single precision: half the memory of the largest array of a
# fit (LightGBM bins the features into at most 255 values per feature anyway); the features are
# computed in double precision first. Chosen on the hold-out of the training parts
# (benchmarks/README.md).
TRAIN_DTYPE = np.float32

# A training matrix above this size (all rows of the panel × features, single precision) is not
# built whole (recursive strategy): LightGBM bins it from chunks of whole series of about
# CHUNK_BYTES each, built when read, one at a time (exact: features are per series), with the
# same rows and the same sample of rows for the bins, so the same model. Each chunk is built
# three times (its labels, LightGBM's sample of rows for the bins, the binning pass), a few
# seconds of a fit of that size; below the threshold the whole matrix costs little next to the
# rest of the fit and is built once. At 100,000 series of 150 steps (24 features) the whole
# matrix was 1.3 GiB, held with LightGBM's binned rows: the fit peaked at 4,164 MiB, 3,132-3,335
# MiB in chunks (benchmarks/RESULTS.md, scale-lightgbm); at 10,000 series it is 0.13 GiB.
WHOLE_MATRIX_BYTES = 256 * 2**20
CHUNK_BYTES = 64 * 2**20

# Rows per series the recent LightGBM keeps (see recent_rows): chosen on validation windows
# of the training parts (benchmarks/README.md).
RECENT_MIN_ROWS = 24

log = logging.getLogger(__name__)


class NoTrainingRows(DataValidationError):
    """No series is long enough for one training row (the message says what a row needs)."""


DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "l2",
    "learning_rate": 0.05,
    "num_leaves": 63,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 0.1,
    "num_boost_round": 500,
}

# Leaves from this many rows (LightGBMLearner._data_size): more data affords deeper trees.
# Chosen on the last two windows of h of the training parts (LightGBM alone, 2026-12-02): 127
# leaves against 63, OWA M4 Hourly 0.572 -> 0.529 and 0.594 -> 0.563, M4 Weekly 0.779 -> 0.756
# and 0.850 -> 0.840 (the two sets above 100,000 rows, 1.3-1.5x the fit time); below, M1 yearly / quarterly /
# monthly, Australian retail and Walmart (3k-63k rows) OWA moved -2.4..+4.1 % (mean +0.4 %).
# 255 leaves: M4 Weekly 0.788 / 0.834, Hourly 0.508 / 0.525, at twice the time of 127.
LARGE_DATA_ROWS = 100_000
LARGE_DATA_LEAVES = 127
# Leaves where the whole training panel holds fewer observations (every LightGBM of it, recent
# rows or all). Chosen on the validation windows of the 12 development sets under 100,000
# observations (the default portfolio, 2026-12-05): OWA better or equal on 11, Australian retail
# by year 0.690 -> 0.692; the default's fit 13 % shorter. On M4 Hourly the recent LightGBM
# (20k rows of a 373k panel) needs its 63 (benchmarks/README.md, the LightGBM leaves row).
SMALL_PANEL_OBSERVATIONS = 100_000
SMALL_PANEL_LEAVES = 31


class LightGBMLearner(Learner):
    """Global LightGBM forecaster.

    Parameters
    ----------
    lags, windows:
        Target lags and rolling-window lengths, or ``"auto"`` (from the seasonality, the horizon
        and the series lengths; see :mod:`tsauto.forecasting.features.auto`).
    target_transform:
        ``"auto"``, or a sequence of ``"log1p"``, ``"diff"``/``"diff<d>"``, ``"scale"``.
    strategy:
        ``"recursive"`` or ``"direct"``.
    params:
        LightGBM parameters overriding :data:`DEFAULT_PARAMS` (``num_boost_round`` included).
    use_id:
        Whether the series id is a categorical feature.
    max_samples_per_series:
        Train on the most recent rows of each series only (their lags and windows still read
        the whole history), as Darts' ``max_samples_per_ts``; ``"auto"``: :func:`recent_rows`;
        ``None``: every row. Cheaper on long series, and more accurate where old behaviour no
        longer holds (on the M4 Hourly training parts, 48 rows per series gave validation MASE
        1.07 against 1.28 for all).
    """

    name = "lightgbm"
    tags = LearnerTags(kind="global", known_future=True)

    def __init__(
        self,
        lags: Sequence[int] | Literal["auto"] = "auto",
        windows: Sequence[int] | Literal["auto"] = "auto",
        target_transform: Sequence[str] | str = "auto",
        strategy: Literal["recursive", "direct"] = "recursive",
        params: dict[str, Any] | None = None,
        use_id: bool = True,
        max_samples_per_series: int | Literal["auto"] | None = None,
    ):
        self.lags = lags
        self.windows = windows
        self.target_transform = target_transform
        self.strategy = strategy
        self.params = params
        self.use_id = use_id
        self.max_samples_per_series = max_samples_per_series

    @staticmethod
    def search_space(trial, non_negative: bool = True) -> dict[str, Any]:
        """Feature and model choices the search explores (Optuna trial → parameters); a log
        transform only for a target never negative."""
        params = {
            "objective": trial.suggest_categorical("objective", ["l2", "l1", "huber"]),
            "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 15, 255, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 5, 200, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
            "num_boost_round": trial.suggest_int("num_boost_round", 100, 1000, log=True),
        }
        transforms = ["auto", "diff1+scale", "scale"] + (["log1p+diff1+scale"] if non_negative else [])
        transform = trial.suggest_categorical("target_transform", transforms)
        return {
            "params": params,
            "target_transform": transform if transform == "auto" else transform.split("+"),
            "windows": "auto" if trial.suggest_categorical("rolling_windows", [True, False]) else (),
            "max_samples_per_series": trial.suggest_categorical(
                "max_samples_per_series", [None, 50, 100, 200, 400]
            ),
        }

    def min_length(self, task: Task) -> int:
        names = self.transform_names_ if hasattr(self, "transform_names_") else self._transform_names(None)
        return 2 + _max_diff(names)

    def lag_reach(self) -> dict[str, tuple[int, ...]]:
        """The target lags and rolling windows: a series shorter than one has it missing in
        every row, read by LightGBM as an unknown value."""
        lags = self.spec_.lags
        return {kind: v for kind, v in (("lag", lags.lags), ("window", lags.windows)) if v}

    # ------------------------------------------------------------------ fit

    def _fit(self, panel: Panel, task: Task) -> None:
        import lightgbm as lgb

        from tsauto.forecasting.features.sequence_rows import free_after_binning, sequence_params

        meter = CpuMeter()  # the load of other processes, read across the features' building
        self.prepare(panel, task)
        cat_idx = self.spec_.categorical_index
        matrix_bytes = len(panel.y) * len(self.spec_.names) * np.dtype(TRAIN_DTYPE).itemsize
        if self.strategy == "recursive" and matrix_bytes > WHOLE_MATRIX_BYTES:
            data, n_rows = self._chunked_dataset(panel, matrix_bytes, cat_idx)
            params, rounds = self.train_params(task, n_rows, meter)
            booster, self.cut_ = _boost(sequence_params(params), data, rounds, task, [free_after_binning])
            self.boosters_ = [booster]
            self.n_train_rows_ = data.num_data()
            return
        steps = range(1, task.horizon + 1) if self.strategy == "direct" else (1,)
        X, yt = self._features(panel)
        self.boosters_, cuts = [], []
        for h in steps:  # one model (recursive): its rows are kept in X's own memory
            Xh, yh = self._rows(panel, X, yt, h, in_place=len(steps) == 1)
            if h == 1:
                params, rounds = self.train_params(task, len(yh), meter)
            data = lgb.Dataset(
                Xh,
                label=yh,
                feature_name=self.spec_.model_names,
                categorical_feature=cat_idx,
                free_raw_data=True,
                params={"verbosity": -1},
            )
            step_task = replace(task, deadline=equal_share(task.deadline, len(steps) - h + 1))
            booster, cut = _boost(params, data, rounds, step_task)
            self.boosters_.append(booster)
            cuts += [cut] if cut else []
        self.cut_ = min(cuts, default=None)
        self.n_train_rows_ = len(yh)

    def params_used(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with the boosting rounds and learning rate the fit was cut to, where its
        deadline cut them (:class:`~tsauto.core.stopping.LightGBMDeadline`): the fewest rounds
        of its models."""
        if self.cut_ is None:
            return params
        rounds, rate = self.cut_
        return {**params, "params": {**(params.get("params") or {}), "num_boost_round": rounds,
                                      "learning_rate": rate}}

    def _chunked_dataset(self, panel: Panel, matrix_bytes: int, cat_idx: list[int]):
        """The training rows of ``panel`` (step 1) as a LightGBM Dataset of chunks of whole
        series, each chunk's features built when read (the labels are learnt first), and the
        number of rows."""
        from tsauto.forecasting.features.sequence_rows import counted, rebuilt_dataset

        chunk_rows = max(1, len(panel.y) * CHUNK_BYTES // matrix_bytes)
        chunks = _series_chunks(panel.indptr, chunk_rows)
        build = functools.partial(self._chunk_rows, panel)
        parts, labels = counted(chunks, build)
        if not parts:
            raise NoTrainingRows(self.no_rows_message(panel, 1))
        n_rows = sum(map(len, labels))
        log.info("LightGBM bins %d training rows from %d chunks of series (the whole matrix: %d MiB)",
                 n_rows, len(parts), matrix_bytes >> 20)
        return rebuilt_dataset(parts, build, labels, self.spec_.model_names, cat_idx), n_rows

    def _chunk_rows(self, panel: Panel, chunk: tuple[int, int]) -> np.ndarray | None:
        """The training rows of series ``chunk[0]..chunk[1]-1`` (features and label in one
        column-major array), None when none of them is long enough for one."""
        try:
            rows, _ = self.training_rows(panel.take(np.arange(*chunk)), label=True)
        except NoTrainingRows:  # other errors of the data are the whole panel's
            return None
        return rows

    def prepare(
        self,
        panel: Panel,
        task: Task,
        lengths: np.ndarray | None = None,
        keys: pd.DataFrame | None = None,
    ) -> None:
        """Decide the target transforms and the feature columns from ``panel``: the training
        panel, or a sample of its series when the rows live elsewhere (on Dask workers), with
        ``lengths`` and ``keys`` those of every training series."""
        if self.strategy not in ("recursive", "direct"):
            raise DataValidationError(
                f"strategy={self.strategy!r}: use 'recursive' or 'direct'."
            )
        self.task_ = task
        self.transform_names_ = self._transform_names(panel, task)
        lengths = panel.lengths if lengths is None else lengths
        self.spec_ = self._feature_spec(panel, task, lengths)
        keys = panel.keys if keys is None else keys
        self.builder_ = FeatureBuilder(self.spec_, panel.schema.freq, id_keys=keys.copy())

    def train_params(
        self, task: Task, n_rows: int, meter: CpuMeter | None = None
    ) -> tuple[dict[str, Any], int]:
        """LightGBM's parameters (without the rounds) and the number of boosting rounds for
        ``n_rows`` training rows: :data:`DEFAULT_PARAMS` with the leaves of :meth:`_leaves`,
        under ``params``; the threads from the cores free now, or free while ``meter`` ran
        (:class:`CpuMeter`)."""
        params = {**DEFAULT_PARAMS, "num_leaves": self._leaves(task, n_rows), **(self.params or {})}
        rounds = int(params.pop("num_boost_round"))
        params.update(
            verbosity=-1,
            seed=task.random_state,
            deterministic=True,
            num_threads=_threads(task.n_jobs, n_rows, meter),
        )
        return params, rounds

    def training_rows(
        self, panel: Panel, step: int = 1, label: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Of a prepared learner: the feature rows and transformed targets it trains on for
        horizon ``step`` (every row whose target and first feature exist, within
        ``max_samples_per_series`` of its series' end); with ``label`` the rows end with the
        target column (features and label in one column-major array). Features are per
        series: the rows of a set of whole series are the same in any panel holding them."""
        X, yt = self._features(panel, label)
        return self._rows(panel, X, yt, step, in_place=True)

    def _features(self, panel: Panel, label: bool = False) -> tuple[np.ndarray, np.ndarray]:
        yt = forward(make_transforms(self.transform_names_), panel)
        return self.builder_.train_matrix(panel, yt, TRAIN_DTYPE, label), yt

    def _rows(
        self, panel: Panel, X: np.ndarray, yt: np.ndarray, step: int, in_place: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The training rows of ``step``; ``in_place`` (step 1): written over ``X``."""
        n_lag = len(self.spec_.lags.names)
        Xh = X if step == 1 else _shift_lag_block(X, panel.indptr, n_lag, step - 1)
        rows = np.isfinite(yt) & np.isfinite(Xh[:, 0]) if n_lag else np.isfinite(yt)
        rows &= _recent_rows(panel.indptr, self._recent())
        if not rows.any():
            raise NoTrainingRows(self.no_rows_message(panel, step))
        kept = keep_rows_in_place(Xh, rows) if in_place and step == 1 else Xh[rows]
        return kept, yt[rows]

    def _leaves(self, task: Task, n_rows: int) -> int:
        """:data:`SMALL_PANEL_LEAVES` where the training panel holds fewer than
        :data:`SMALL_PANEL_OBSERVATIONS` observations, :data:`LARGE_DATA_LEAVES` from
        :data:`LARGE_DATA_ROWS` rows (:meth:`_data_size`), else :data:`DEFAULT_PARAMS`'."""
        if (n_rows if task.observations is None else task.observations) < SMALL_PANEL_OBSERVATIONS:
            return SMALL_PANEL_LEAVES
        if self._data_size(task, n_rows) >= LARGE_DATA_ROWS:
            return LARGE_DATA_LEAVES
        return DEFAULT_PARAMS["num_leaves"]

    def _data_size(self, task: Task, n_rows: int) -> int:
        """The rows the leaves are sized from: on every row, the observations of the whole
        training panel (``task.observations``), so that the validation folds' models (parts
        of it) and the refit get the same leaves; on recent rows, the rows themselves (the same
        in folds and refit: a fixed count per series)."""
        if task.observations is None or self._recent() is not None:
            return n_rows
        return task.observations

    def _recent(self) -> int | None:
        """Rows kept per series: ``max_samples_per_series``, ``"auto"`` resolved from the task."""
        if self.max_samples_per_series == "auto":
            return recent_rows(self.task_)
        return self.max_samples_per_series

    def no_rows_message(self, panel: Panel, step: int) -> str:
        """Why no training row has its first feature (the shortest lag, else the shortest
        window): every series is too short for it."""
        lags = self.spec_.lags
        kind, k = ("lag", lags.lags[0]) if lags.lags else ("window", lags.windows[0])
        d = _max_diff(self.transform_names_)
        parts = [f"shortest {kind} {k}"] + [f"{d} lost to differencing"] * bool(d)
        parts += [f"{step - 1} steps ahead (strategy='direct')"] * (step > 1)
        return (
            f"learner {self.name!r} has no row to train on: every series is shorter than the "
            f"{k + d + step} observations a row needs ({' + '.join(parts)} + the row itself); "
            f"the longest has {panel.lengths.max()}. Give longer series, or shorter {kind}s= "
            "(lags='auto' and windows='auto' fit them to the data)."
        )

    def _transform_names(self, panel: Panel | None, task: Task | None = None) -> tuple[str, ...]:
        """The transforms asked for; ``"auto"`` decides from the data: first differences when
        most series are non-stationary, as ``task.nonstationary`` says (decided once on the
        whole training panel), else as :func:`mostly_nonstationary` finds on ``panel``. Decided per
        fit, the vote of M4 Hourly (52 % of its series non-stationary) flipped on the validation
        folds (47-48 %): their models were not differenced, the refit was, and the ensemble
        weighed a LightGBM it did not refit (validation MASE 1.29 against 0.94 differenced)."""
        if self.target_transform == "auto":
            if panel is None:  # before fit: the most the auto choice may need
                return ("diff1", "scale")
            told = task is not None and task.nonstationary is not None
            nonstationary = task.nonstationary if told else mostly_nonstationary(panel.y, panel.indptr)
            return ("diff1", "scale") if nonstationary else ("scale",)
        if isinstance(self.target_transform, str):
            return (self.target_transform,)
        return tuple(self.target_transform)

    def _feature_spec(self, panel: Panel, task: Task, lengths: np.ndarray) -> FeatureSpec:
        schema = panel.schema
        median_len = int(np.median(lengths))
        seasons = list(task.seasons) or ([task.season] if task.season > 1 else [])
        lags = auto_lags(seasons, task.horizon, median_len) if self.lags == "auto" else self.lags
        windows = auto_windows(seasons, median_len) if self.windows == "auto" else self.windows
        lags, windows = tuple(sorted(int(k) for k in lags)), tuple(sorted(int(w) for w in windows))
        if any(k < 1 for k in (*lags, *windows)):
            raise DataValidationError("lags and windows must be positive integers.")
        past_lags = tuple(k for k in (task.horizon, task.horizon + 1, 2 * task.horizon))
        return FeatureSpec(
            lags=LagSpec(lags=lags, windows=windows),
            calendar=calendar_names(schema.freq),
            holiday_countries=task.holidays if schema.freq else (),
            holiday_column=task.holiday_column if schema.freq else None,
            known_future=schema.known_future,
            past=schema.past,
            past_lags=past_lags if schema.past else (),
            static=tuple(c for c in schema.static if c != task.holiday_column),
            categorical=tuple(schema.categories),
            use_id=self.use_id and bool(schema.ids),
            covariate_diffs=tuple(dict.fromkeys(_diff_orders(self.transform_names_))) if schema.known_future else (),
        )

    # ------------------------------------------------------------------ predict

    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast:
        transforms = make_transforms(self.transform_names_)
        yt = forward(transforms, history)
        return Forecast(backward(transforms, self._steps(history, yt, future)))

    def feature_rows(
        self, history: Panel, future: dict[str, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The feature rows the forecast of ``history`` is computed from, shape
        (n_series, horizon, n_features) in ``spec_.names`` order, and the boosters' raw outputs
        for them, shape (n_series, horizon): the transformed target (``transform_names_``)."""
        yt = forward(make_transforms(self.transform_names_), history)
        rows = np.empty((history.n_series, self.task_.horizon, len(self.spec_.names)))
        return rows, self._steps(history, yt, future or {}, rows)

    def _steps(
        self,
        history: Panel,
        yt: np.ndarray,
        future: dict[str, np.ndarray],
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Raw outputs of every series and step from the transformed history ``yt``; the
        feature rows are written to ``rows`` when given."""
        horizon = self.task_.horizon
        lagspec = self.spec_.lags
        buffer = tail_buffer(yt, history.indptr, lagspec.depth)
        exog = self.builder_.future_exog(history, horizon, future)
        out = np.empty((history.n_series, horizon))
        recursive = self.strategy == "recursive"
        lagged = lag_step(buffer, lagspec)
        for s in range(horizon):
            if recursive and s:  # the previous step's output becomes lag 1
                buffer = np.concatenate([buffer[:, 1:], out[:, s - 1 : s]], axis=1)
                lagged = lag_step(buffer, lagspec)
            X = np.hstack([lagged, exog[:, s]])
            out[:, s] = self.boosters_[0 if recursive else s].predict(X)
            if rows is not None:
                rows[:, s] = X
        return out

    def feature_importance(self) -> dict[str, float]:
        """Total gain of every feature over the models (one per step with ``"direct"``), by the
        names shown to the user (``spec_.names``: LightGBM was given ``spec_.model_names``)."""
        gains = sum(b.feature_importance(importance_type="gain") for b in self.boosters_)
        return dict(zip(self.spec_.names, map(float, gains), strict=True))

    def made_splits(self) -> bool:
        """Whether any tree of its models split. One that never split predicts one value (of its
        transformed target) whatever the features, and every feature's gain is 0: the recent
        LightGBM on one daily series, 24 rows, fewer than two leaves of ``min_data_in_leaf``
        (user test 48)."""
        return any(b.feature_importance(importance_type="split").sum() > 0 for b in self.boosters_)


def _series_chunks(indptr: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """Consecutive runs of whole series (first, stop) of at most ``rows`` rows each (a longer
    series alone), covering every series."""
    n, cuts = len(indptr) - 1, [0]
    while cuts[-1] < n:
        stop = int(np.searchsorted(indptr, indptr[cuts[-1]] + rows, side="right")) - 1
        cuts.append(min(n, max(stop, cuts[-1] + 1)))
    return list(zip(cuts[:-1], cuts[1:]))


class RecentLightGBMLearner(LightGBMLearner):
    """The global LightGBM trained on the most recent rows of each series only (their lags and
    windows still read the whole history): ``max_samples_per_series="auto"`` keeps
    :func:`recent_rows` of them. A second LightGBM of the default portfolio where series are long
    (:mod:`~tsauto.forecasting.planner`): where old behaviour no longer holds it forecasts
    better, elsewhere worse, and the ensemble weighs the two by validation. It has no search
    space of its own: a search tunes ``max_samples_per_series`` of ``"lightgbm"``.
    """

    name = "lightgbm_recent"
    search_space = None

    def __init__(
        self,
        lags: Sequence[int] | Literal["auto"] = "auto",
        windows: Sequence[int] | Literal["auto"] = "auto",
        target_transform: Sequence[str] | str = "auto",
        strategy: Literal["recursive", "direct"] = "recursive",
        params: dict[str, Any] | None = None,
        use_id: bool = True,
        max_samples_per_series: int | Literal["auto"] | None = "auto",
    ):
        super().__init__(lags, windows, target_transform, strategy, params, use_id, max_samples_per_series)


def recent_rows(task: Task) -> int:
    """Training rows per series of :class:`RecentLightGBMLearner`: a horizon or a season,
    whichever is longer, and at least ``RECENT_MIN_ROWS``."""
    return max(RECENT_MIN_ROWS, task.horizon, task.season)


def _shift_lag_block(X: np.ndarray, indptr: np.ndarray, n_lag: int, by: int) -> np.ndarray:
    """Replace the lag block of every row by that of the row ``by`` steps earlier in its series."""
    out = X.copy()
    shifted = np.full((len(X), n_lag), np.nan, X.dtype)
    shifted[by:] = X[: len(X) - by, :n_lag]
    shifted[positions(indptr) < by] = np.nan
    out[:, :n_lag] = shifted
    return out


def keep_rows_in_place(X: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``X[rows]`` written over ``X``'s own memory, so that the training matrix is never held
    twice (``X`` is overwritten). ``X`` is column-major, as
    :meth:`~tsauto.forecasting.features.builder.FeatureBuilder.train_matrix` builds it (else a
    copy is made); so is the result, which LightGBM reads without copying."""
    block = X.T
    if rows.all() or not block.flags.c_contiguous:
        return X if rows.all() else X[rows]
    kept = np.flatnonzero(rows)
    n_features, k = block.shape[0], kept.size
    flat = block.reshape(-1)
    for f in range(n_features):  # feature f's kept values land before its own, unread, row
        flat[f * k : (f + 1) * k] = block[f, kept]
    return flat[: n_features * k].reshape(n_features, k).T


def _recent_rows(indptr: np.ndarray, keep: int | None) -> np.ndarray | bool:
    """Rows among the last ``keep`` of their series (``True`` for all when ``keep`` is None)."""
    if keep is None:
        return True
    if not isinstance(keep, (int, np.integer)) or keep < 1:
        raise DataValidationError(
            f"max_samples_per_series={keep!r}: give a positive number of rows, 'auto' or None."
        )
    lengths = np.diff(indptr)
    return positions(indptr) >= np.repeat(lengths - int(keep), lengths)


def _max_diff(names: Sequence[str]) -> int:
    return sum(_diff_orders(names))


def _diff_orders(names: Sequence[str]) -> tuple[int, ...]:
    """The orders of the differences among the target transforms ``names`` (``diff1``: 1)."""
    return tuple(int(n[4:] or 1) for n in names if n.startswith("diff"))


def _threads(n_jobs: int, n_rows: int, meter: CpuMeter | None = None) -> int:
    """LightGBM threads: one for small data (threads cost more than they give there), else the
    cores asked for that are free (a multi-threaded job beside another busy process slows
    down many times: threads are sized to the load, not to the core count). LightGBM's OpenMP
    threads cannot be given back once training started (an idle one spins on), so the load
    is read before it, across this process's own work where ``meter`` ran."""
    if n_rows < 50_000:
        return 1
    free = free_cores() if meter is None else meter.free_cores()
    return max(1, min(n_workers(n_jobs), free))


def _boost(params: dict, data, rounds: int, task: Task | None, callbacks: Sequence = ()):
    """``lightgbm.train`` within ``task.deadline`` (``task`` None: no deadline), cut to the
    rounds its time affords at a raised rate where needed, failing short of ``task.min_share``
    of its work (:class:`~tsauto.core.stopping.LightGBMDeadline`): the booster, and the rounds
    and mean learning rate of a cut fit (``None``: as planned)."""
    import lightgbm as lgb

    deadline = None if task is None else task.deadline
    if deadline is None or not np.isfinite(deadline):
        return lgb.train(params, data, num_boost_round=rounds, callbacks=list(callbacks)), None
    stop = LightGBMDeadline(deadline, rounds, float(params["learning_rate"]), min_share=task.min_share)
    booster = lgb.train(params, data, num_boost_round=rounds, callbacks=[*callbacks, stop])
    return booster, None if stop.rounds_ is None else (stop.rounds_, stop.rate_)

