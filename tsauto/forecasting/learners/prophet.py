"""Prophet per series: piecewise-linear trend, Fourier seasonalities, holidays, regressors.

Prophet reads calendar dates, so this learner needs timestamped series (integer time steps raise
a :class:`~tsauto.core.exceptions.DataValidationError`). Per series:

* seasonalities follow the frequency: daily for sub-daily data, weekly for daily or finer data,
  yearly (Fourier order 10, fewer for monthly/quarterly data) once two years are observed;
* holidays of the same countries as the holiday features (``task.holidays`` codes such as
  ``"AU"`` or ``"AU-VIC"``, plus the series' own country from ``task.holiday_column``): for
  daily or finer data, one Prophet holiday effect per named holiday; for weekly and coarser
  data, where a holiday rarely falls on the period's time stamp, a regressor counting the
  holidays inside each period;
* known-future covariates as extra regressors (those constant over the series are left out;
  missing values read as 0);
* MAP fit (``mcmc_samples=0``); quantiles from ``uncertainty_samples`` posterior predictive
  draws (seeded by ``task.random_state``), the mean is Prophet's ``yhat``; forecasts and
  quantiles are clipped at zero when the history is non-negative.

Forecasting from a newer history does not refit, but it uses the new observations: Prophet has
no filter, so the trend is re-anchored on them. With every fitted parameter kept (growth rate,
changepoints, seasonalities, holiday and regressor effects), the trend's offset ``m`` is moved by
the weighted least-squares shift that best fits the observations newer than the fit (weights
halving every ``max(season, 3)`` observations back from the newest; in multiplicative mode the
shift is weighted by each date's seasonal factor), and the model forecasts the ``horizon``
dates after the end of that history. From the training history (nothing newer) the forecast
is the fitted model's own. Cost: none to speak of, no optimisation; the new dates are
evaluated in the same Prophet call as the forecast dates (measured 2026-11-30, Victorian retail,
a loaded 2-core machine: 90 ms per series from the training history or from 12 newer months,
135 ms with quantile draws; a refit on 440 months took 190 ms cold and 250 ms warm-started from
the fitted parameters, and would change every parameter, not only the level).
"""

from __future__ import annotations

import copy
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator, Literal

import numpy as np
import pandas as pd

from tsauto.forecasting.panel import Panel
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.calendar_time import wall_clock
from tsauto.forecasting.features.holiday import holiday_dates, holiday_features
from tsauto.forecasting import offsets
from tsauto.forecasting.frequency import freq_kind
from tsauto.forecasting.learners.base import LearnerTags, Task
from tsauto.forecasting.learners.local import LocalLearner, SeriesData

# Prophet's Stan backend logs every fit; a level does not hold, disabling does (DEPENDENCIES.md).
# "prophet.models" warns each time L-BFGS stops short and Prophet retries with Newton (7 times
# in one 20 s search), which it does by itself: a failure that remains is raised, and recorded.
# At import, so that joblib workers unpickling this learner are silenced too.
for _logger in ("cmdstanpy", "prophet.plot", "prophet.models"):
    logging.getLogger(_logger).disabled = True

MIN_OBS = 3
_FINE = ("minute", "hour", "day")  # frequencies where holidays are dated events
_PER_YEAR = {"minute": 365, "hour": 365, "day": 365, "week": 52, "month": 12, "quarter": 4}
_HOLIDAY_YEARS_AHEAD = 10  # named holidays are known this many years after the fit


@dataclass
class ProphetState:
    """A fitted Prophet of one series and how to build its regressors."""

    model: Any  # prophet.Prophet
    exog_used: np.ndarray | None  # bool mask over the known-future covariates
    holiday_counts: tuple[str, ...]  # countries whose per-period holiday count is a regressor
    fit_end: np.datetime64 | None = None  # last date seen at fit (None: read the model's history)


class ProphetLearner(LocalLearner):
    """Prophet per series (needs timestamps).

    Parameters
    ----------
    changepoint_prior_scale:
        Flexibility of the trend (larger: more changepoints used).
    seasonality_prior_scale, holidays_prior_scale:
        Strength of the seasonality / holiday and regressor priors.
    seasonality_mode:
        ``"additive"`` or ``"multiplicative"``.
    n_changepoints, changepoint_range:
        Potential trend changepoints and the share of the history they lie in.
    uncertainty_samples:
        Posterior predictive draws for the quantiles (0: none, quantiles equal the mean).
    series_time_limit:
        Seconds per series (``None``: no limit).
    """

    name = "prophet"
    tags = LearnerTags(kind="local", native_quantiles=True, needs_calendar=True, known_future=True)

    def __init__(
        self,
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        holidays_prior_scale: float = 10.0,
        seasonality_mode: Literal["additive", "multiplicative"] = "additive",
        n_changepoints: int = 25,
        changepoint_range: float = 0.8,
        uncertainty_samples: int = 200,
        series_time_limit: float | None = 60.0,
    ):
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_prior_scale = seasonality_prior_scale
        self.holidays_prior_scale = holidays_prior_scale
        self.seasonality_mode = seasonality_mode
        self.n_changepoints = n_changepoints
        self.changepoint_range = changepoint_range
        self.uncertainty_samples = uncertainty_samples
        self.series_time_limit = series_time_limit

    @staticmethod
    def search_space(trial) -> dict[str, Any]:
        """Prior scales and mode the tuner may explore (Optuna trial → parameters)."""
        return {
            "changepoint_prior_scale": trial.suggest_float(
                "changepoint_prior_scale", 0.001, 0.5, log=True
            ),
            "seasonality_prior_scale": trial.suggest_float(
                "seasonality_prior_scale", 0.01, 10.0, log=True
            ),
            "seasonality_mode": trial.suggest_categorical(
                "seasonality_mode", ["additive", "multiplicative"]
            ),
        }

    def min_length(self, task: Task) -> int:
        return MIN_OBS

    # -- fit: per group of series sharing holiday countries --------------------------------

    def _fit(self, panel: Panel, task: Task) -> None:
        if panel.schema.freq is None:
            raise DataValidationError(
                f"Prophet needs calendar time stamps, but column {panel.schema.time!r} holds "
                "integer time steps: give dates (with freq=) or leave prophet out of the learners."
            )
        self.freq_, self.tz_ = panel.schema.freq, panel.schema.tz
        countries = _series_countries(panel, task)
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, codes in enumerate(countries):
            groups.setdefault(codes, []).append(i)
        for code in {c for codes in groups for c in codes}:
            holiday_dates(code, 2000, 2000)  # an unknown code is an error here, not per series
        if len(groups) == 1:
            super()._fit(panel, replace(task, holidays=next(iter(groups))))
            return
        states: list[Any] = [None] * panel.n_series
        failures = []
        for codes, rows in groups.items():
            super()._fit(panel.take(np.asarray(rows)), replace(task, holidays=codes))
            for i, state in zip(rows, self.states_):
                states[i] = state
            failures.append(self.failures_)
        self.keys_ = panel.keys.copy()
        self.states_ = states
        self.starts_ = self._starts(panel)
        self.failures_ = pd.concat(failures, ignore_index=True)

    def _fit_one(self, series: SeriesData, task: Task) -> ProphetState:
        from prophet import Prophet

        logging.getLogger("prophet").setLevel(logging.WARNING)  # its INFO notes, every fit
        y = series.y
        if len(y) < MIN_OBS:
            raise ValueError(f"{len(y)} observations: Prophet needs at least {MIN_OBS}")
        ds = self._local(series.times)
        kind = freq_kind(self.freq_)
        frame = pd.DataFrame({"ds": ds, "y": y})
        exog_used = None
        if series.exog is not None and series.exog.shape[1]:
            values = np.nan_to_num(series.exog)
            varying = np.ptp(values, axis=0) > 0
            if varying.any():
                exog_used = varying
                for j in np.flatnonzero(varying):
                    frame[f"known_future_{j}"] = values[:, j]
        holiday_counts: tuple[str, ...] = ()
        holidays = None
        if task.holidays and kind in _FINE:
            holidays = _holiday_frame(task.holidays, ds.year.min() - 1, ds.year.max())
        elif task.holidays:
            for country in task.holidays:
                count = holiday_features(ds.to_numpy(), country, self.freq_)[:, 0]
                if np.ptp(count) > 0:
                    frame[f"holidays_{country}"] = count
                    holiday_counts += (country,)
        model = Prophet(
            n_changepoints=self.n_changepoints,
            changepoint_range=self.changepoint_range,
            changepoint_prior_scale=self.changepoint_prior_scale,
            seasonality_prior_scale=self.seasonality_prior_scale,
            holidays_prior_scale=self.holidays_prior_scale,
            seasonality_mode=self.seasonality_mode,
            holidays=holidays,
            mcmc_samples=0,
            uncertainty_samples=self.uncertainty_samples,
            **_seasonalities(kind, ds[-1] - ds[0]),
        )
        for column in frame.columns[2:]:
            model.add_regressor(column)
        with _quiet():
            model.fit(frame)
        model.stan_fit = None  # the optimiser's output files: not needed to forecast
        return ProphetState(model, exog_used, holiday_counts, ds[-1].to_datetime64())

    # -- predict -----------------------------------------------------------------------------

    def _forecast_one(
        self, state: ProphetState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        last, step = np.asarray(series.times[-1:]), offsets.to_offset(self.freq_)
        dates = self._local(offsets.shift(last, step, np.arange(1, task.horizon + 1))[0])
        if state.exog_used is not None and series.future_exog is None:
            raise ValueError("the model uses known-future covariates: pass their values")
        frame = self._frame(state, dates, series.future_exog)
        newer = self._newer(state, series)  # observations after the fit: re-anchor on them
        both = pd.concat([newer, frame], ignore_index=True) if len(newer) else frame
        with _quiet():
            trend, factor, additive = _components(state.model, both)
            k = len(newer)
            shift = _trend_shift(
                series.y[len(series.y) - k :], trend[:k], factor[:k], additive[:k], task.season
            )
            mean = (trend[k:] + shift) * factor[k:] + additive[k:]
            draws = None
            if task.quantiles and state.model.uncertainty_samples:
                draws = _draws(_shifted(state.model, shift), frame, task.random_state)
        quantiles = {
            q: mean.copy() if draws is None else np.quantile(draws, q, axis=1)
            for q in task.quantiles
        }
        if series.y.min() >= 0:
            mean = np.maximum(mean, 0.0)
            quantiles = {q: np.maximum(v, 0.0) for q, v in quantiles.items()}
        return mean, quantiles

    def _local(self, times: np.ndarray) -> pd.DatetimeIndex:
        """Prophet's ``ds``: the wall clock of stamps kept in UTC (zoned sub-daily data), on
        which its holidays and daily seasonality fall."""
        return pd.DatetimeIndex(wall_clock(np.asarray(times), getattr(self, "tz_", None)))

    def _frame(
        self, state: ProphetState, dates: pd.DatetimeIndex, exog: np.ndarray | None
    ) -> pd.DataFrame:
        """Prophet's input for ``dates``: the regressors used at fit (covariates ``exog``,
        rows aligned with ``dates``, and holiday counts)."""
        frame = pd.DataFrame({"ds": dates})
        if state.exog_used is not None:
            values = np.nan_to_num(exog)
            for j in np.flatnonzero(state.exog_used):
                frame[f"known_future_{j}"] = values[:, j]
        for country in state.holiday_counts:
            frame[f"holidays_{country}"] = holiday_features(
                dates.to_numpy(), country, self.freq_
            )[:, 0]
        return frame

    def _newer(self, state: ProphetState, series: SeriesData) -> pd.DataFrame:
        """Prophet's input at the observations of ``series`` after the last date of the fit
        (the last rows of the series; none when it ends where the fit did, or earlier)."""
        fit_end = state.fit_end
        if fit_end is None:  # a state pickled before fit_end was kept
            fit_end = state.model.history_dates.iloc[-1].to_datetime64()
        times = self._local(series.times)
        k = int(np.sum(times > pd.Timestamp(fit_end)))
        if k == 0:
            return pd.DataFrame()
        exog = series.exog[len(times) - k :] if state.exog_used is not None else None
        return self._frame(state, times[len(times) - k :], exog)


def _trend_shift(
    y: np.ndarray, trend: np.ndarray, factor: np.ndarray, additive: np.ndarray, season: int
) -> float:
    """The shift of Prophet's trend that best fits the observations ``y`` (weighted least
    squares with every other parameter fixed: ``y ≈ (trend + shift) * factor + additive``);
    weights halve every ``max(season, 3)`` observations back from the newest. 0 for no ``y``."""
    if len(y) == 0:
        return 0.0
    residual = y - (trend * factor + additive)
    weight = 0.5 ** ((len(y) - 1 - np.arange(len(y))) / max(season, 3))
    shift = np.sum(weight * factor * residual) / np.sum(weight * factor**2)
    return float(shift) if np.isfinite(shift) else 0.0


def _shifted(model: Any, shift: float) -> Any:
    """``model`` with its trend moved by ``shift`` (target units): a shallow copy whose offset
    parameter ``m`` (in Prophet's scaled units) is moved; ``model`` itself is unchanged."""
    if shift == 0:
        return model
    moved = copy.copy(model)
    moved.params = {**model.params, "m": model.params["m"] + shift / model.y_scale}
    return moved


@contextmanager
def _quiet() -> Iterator[None]:
    """A block where warnings raised inside Prophet (pandas deprecations) are not shown."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"prophet\.")
        yield


def _seasonalities(kind: str, span: pd.Timedelta) -> dict[str, int]:
    """Fourier orders of Prophet's daily/weekly/yearly seasonalities (0: off) for a frequency."""
    per_year = _PER_YEAR.get(kind, 1)
    sub_daily = kind in ("minute", "hour")
    return {
        "daily_seasonality": 4 if sub_daily and span >= pd.Timedelta(days=2) else 0,
        "weekly_seasonality": 3 if kind in _FINE and span >= pd.Timedelta(weeks=2) else 0,
        "yearly_seasonality": min(10, (per_year - 1) // 2) if span >= pd.Timedelta(days=730) else 0,
    }


def _holiday_frame(countries: tuple[str, ...], first_year: int, last_year: int) -> pd.DataFrame:
    """Prophet's holidays table: every named holiday of the countries (``"AU"``, ``"AU-VIC"``)."""
    import holidays as hol

    last_year += _HOLIDAY_YEARS_AHEAD
    rows = []
    for country in countries:
        holiday_dates(country, first_year, last_year)  # a clear error for an unknown code
        code, _, subdiv = country.partition("-")
        calendar = hol.country_holidays(
            code, subdiv=subdiv or None, years=range(first_year, last_year + 1)
        )
        rows += [(f"{country}: {name}", pd.Timestamp(day)) for day, name in calendar.items()]
    return pd.DataFrame(rows, columns=["holiday", "ds"])


def _components(model: Any, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prophet's trend, multiplicative factor (1 + multiplicative terms) and additive terms at
    the dates of ``frame``: ``yhat = trend * factor + additive`` (its point forecast, without
    the interval sampling)."""
    df = model.setup_dataframe(frame.copy())
    trend = np.asarray(model.predict_trend(df), dtype=np.float64)
    parts = model.predict_seasonal_components(df)
    factor = 1.0 + parts["multiplicative_terms"].to_numpy(np.float64)
    return trend, factor, parts["additive_terms"].to_numpy(np.float64)


def _draws(model: Any, frame: pd.DataFrame, seed: int) -> np.ndarray:
    """Posterior predictive draws (horizon, samples), seeded; numpy's global state restored."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        return model.predictive_samples(frame)["yhat"]
    finally:
        np.random.set_state(saved)


def _series_countries(panel: Panel, task: Task) -> list[tuple[str, ...]]:
    """Holiday country codes of every series: the task's, plus the series' own column."""
    base = tuple(task.holidays)
    column = task.holiday_column
    if not column:
        return [base] * panel.n_series
    if column not in panel.static.columns:
        raise DataValidationError(
            f"holiday_column={column!r} is not a static column of the data (one country code "
            "per series): add it or drop holiday_column."
        )
    raw = panel.static[column].to_numpy()
    names = panel.schema.categories.get(column)
    out = []
    for value in raw:
        if pd.isna(value):
            out.append(base)
            continue
        code = str(names[int(value)]) if names is not None else str(value)
        out.append(base if code in base else base + (code,))
    return out
