"""Seasonal ARIMA per series, orders chosen by pmdarima's ``auto_arima``.

Fit (per series, see :class:`~tsauto.forecasting.learners.local.LocalLearner`):

* seasonal period ``task.season``; non-seasonal when it is 1 or the series holds fewer than two
  seasons;
* seasonal differencing ``D`` by the seasonal-strength rule of R's ``auto.arima`` and
  statsforecast (``seasonal_test="seas"``: STL strength > 0.64 → D=1), or pmdarima's tests;
* a stepwise search over bounded orders, each candidate fitted by L-BFGS on the differenced
  series (``simple_differencing``, the likelihood R's ``arima`` maximises) with the variance
  concentrated out: the differencing states leave the Kalman filter, which makes seasonal
  candidates several times faster (ARIMA(2,1,2)(0,1,1)[24]: 52 → 27 states, ~5x);
* known-future covariates (``series.exog``) enter as regressors with ARIMA errors; covariates
  constant over a series are left out for it;
* a constant only while ``d + D < 2`` (R's rule; pmdarima's stepwise toggle may add one to a
  twice-differenced model, which is then refitted without it);
* the search ends early, with the best model so far, after half the series' time budget.

The fitted state is small: the orders, the trend and the parameter vector. Forecasting rebuilds
the SARIMAX model on the history it is given (the training series or a newer one), runs the
Kalman filter over it with the fitted parameters (no re-estimation; the innovation variance is
the one these parameters imply on that history), and returns the exact Gaussian forecast
distribution: quantile ``q`` is ``mean + Φ⁻¹(q)·se`` (the same bounds as
``conf_int(alpha=1 - (q_hi - q_lo))`` for a symmetric pair).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import norm

from tsauto.forecasting.panel import Panel
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.base import Forecast, LearnerTags, Task
from tsauto.forecasting.learners.local import LocalLearner, SeriesData

SeasonalTest = Literal["seas", "ocsb", "ch"]
SEASONAL_TESTS = ("seas", "ocsb", "ch")
MIN_OBS = 8  # shortest series an ARIMA is fitted to; shorter ones fall back to seasonal naive
_SEAS_STRENGTH = 0.64  # threshold of the seasonal-strength rule (Wang, Smith & Hyndman 2006)
_SARIMAX_KWARGS = {"simple_differencing": True, "concentrate_scale": True}


@dataclass(frozen=True)
class ArimaState:
    """A fitted ARIMA of one series: specification and parameters, no data."""

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    trend: str | None
    params: np.ndarray
    exog_used: np.ndarray | None  # bool mask over the known-future covariates (None: none used)


class AutoARIMALearner(LocalLearner):
    """Automatic seasonal ARIMA per series (pmdarima stepwise search, statsmodels filter).

    Parameters
    ----------
    max_p, max_q, max_P, max_Q:
        Largest AR / MA orders, non-seasonal and seasonal. 2/2/1/1 by default: on M4 Hourly
        (m=24) the same models as 3/3/1/1 in half the time; on monthly retail series 3/3 is
        ~2% more accurate for 1.5x the time (the search space offers 1 to 3).
    max_d, max_D:
        Largest orders of differencing (``d`` by the KPSS test, ``D`` by ``seasonal_test``).
    stepwise:
        Stepwise search (Hyndman-Khandakar); ``False`` fits every order up to the bounds.
    maxiter:
        L-BFGS iterations per candidate model.
    information_criterion:
        ``"aicc"``, ``"aic"``, ``"bic"`` or ``"hqic"``.
    seasonal_test:
        How ``D`` is chosen: ``"seas"`` (seasonal strength), ``"ocsb"`` or ``"ch"``.
    series_time_limit:
        Seconds per series (``None``: no limit); the search stops early at half of it.
    """

    name = "auto_arima"
    tags = LearnerTags(kind="local", native_quantiles=True)

    def __init__(
        self,
        max_p: int = 2,
        max_q: int = 2,
        max_P: int = 1,
        max_Q: int = 1,
        max_d: int = 2,
        max_D: int = 1,
        stepwise: bool = True,
        maxiter: int = 20,
        information_criterion: Literal["aicc", "aic", "bic", "hqic"] = "aicc",
        seasonal_test: SeasonalTest = "seas",
        series_time_limit: float | None = 60.0,
    ):
        self.max_p = max_p
        self.max_q = max_q
        self.max_P = max_P
        self.max_Q = max_Q
        self.max_d = max_d
        self.max_D = max_D
        self.stepwise = stepwise
        self.maxiter = maxiter
        self.information_criterion = information_criterion
        self.seasonal_test = seasonal_test
        self.series_time_limit = series_time_limit

    @staticmethod
    def search_space(trial) -> dict[str, Any]:
        """Search bounds the tuner may explore (Optuna trial → parameters)."""
        return {
            "max_p": trial.suggest_int("max_p", 1, 3),
            "max_q": trial.suggest_int("max_q", 1, 3),
            "max_P": trial.suggest_int("max_P", 0, 1),
            "max_Q": trial.suggest_int("max_Q", 0, 1),
            "information_criterion": trial.suggest_categorical(
                "information_criterion", ["aicc", "bic"]
            ),
        }

    def min_length(self, task: Task) -> int:
        return MIN_OBS

    def _fit(self, panel: Panel, task: Task) -> None:
        if self.seasonal_test not in SEASONAL_TESTS:
            raise DataValidationError(
                f"seasonal_test={self.seasonal_test!r} is not a test; use one of {SEASONAL_TESTS}."
            )
        super()._fit(panel, task)

    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast:
        _check_future(history, future, self.task_.horizon)
        return super()._predict(history, future)

    def _fit_one(self, series: SeriesData, task: Task) -> ArimaState:
        import pmdarima
        from pmdarima.arima import StepwiseContext

        y = series.y
        if len(y) < MIN_OBS:
            raise ValueError(f"{len(y)} observations: ARIMA needs at least {MIN_OBS}")
        m = task.season if task.season > 1 and len(y) >= 2 * task.season else 1
        exog, used = _usable_exog(series.exog)
        budget = min(self.series_time_limit or np.inf, task.time_left())
        max_dur = budget / 2 if np.isfinite(budget) else None
        with warnings.catch_warnings(), StepwiseContext(max_dur=max_dur):
            warnings.simplefilter("ignore")
            model = pmdarima.auto_arima(
                y,
                X=exog,
                m=m,
                seasonal=m > 1,
                D=self._seasonal_diffs(y, m),
                max_p=self.max_p,
                max_q=self.max_q,
                max_P=self.max_P,
                max_Q=self.max_Q,
                max_d=self.max_d,
                max_D=self.max_D,
                start_p=min(2, self.max_p),
                start_q=min(2, self.max_q),
                start_P=min(1, self.max_P),
                start_Q=min(1, self.max_Q),
                seasonal_test="ocsb" if self.seasonal_test == "seas" else self.seasonal_test,
                stepwise=self.stepwise,
                maxiter=self.maxiter,
                information_criterion=self.information_criterion,
                method="lbfgs",
                suppress_warnings=True,
                error_action="ignore",
                sarimax_kwargs=dict(_SARIMAX_KWARGS),
            )
            if _drifts_twice(model):  # R's rule: no constant once d + D >= 2
                model = pmdarima.ARIMA(
                    model.order,
                    model.seasonal_order,
                    with_intercept=False,
                    method="lbfgs",
                    maxiter=self.maxiter,
                    suppress_warnings=True,
                    **_SARIMAX_KWARGS,
                ).fit(y, X=exog)
        res = model.arima_res_
        return ArimaState(
            order=tuple(int(v) for v in model.order),
            seasonal_order=tuple(int(v) for v in model.seasonal_order),
            trend=res.model.trend,
            params=np.asarray(res.params, dtype=np.float64).copy(),
            exog_used=used,
        )

    def _seasonal_diffs(self, y: np.ndarray, m: int) -> int | None:
        """``D`` by the seasonal-strength rule, or None to let pmdarima's test decide."""
        if m <= 1 or self.max_D < 1:
            return 0
        if self.seasonal_test != "seas":
            return None
        return int(seasonal_strength(y, m) > _SEAS_STRENGTH)

    def _forecast_one(
        self, state: ArimaState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        exog = future = None
        if state.exog_used is not None:
            if series.exog is None or series.future_exog is None:
                raise ValueError("the model uses known-future covariates: pass their values")
            exog = np.nan_to_num(series.exog[:, state.exog_used])
            future = np.nan_to_num(series.future_exog[:, state.exog_used])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(
                series.y,
                exog=exog,
                order=state.order,
                seasonal_order=state.seasonal_order,
                trend=state.trend,
                concentrate_scale=True,
            )
            fc = model.filter(state.params).get_forecast(task.horizon, exog=future)
            mean = np.asarray(fc.predicted_mean, dtype=np.float64)
            se = np.asarray(fc.se_mean, dtype=np.float64)
        return mean, {q: mean + norm.ppf(q) * se for q in task.quantiles}


def seasonal_strength(y: np.ndarray, m: int) -> float:
    """Strength of the period-``m`` seasonality, 1 - var(remainder) / var(season + remainder)."""
    from statsmodels.tsa.seasonal import STL

    fit = STL(y, period=m).fit()
    detrended = fit.seasonal + fit.resid
    var = float(np.var(detrended))
    return 0.0 if var == 0 else max(0.0, 1.0 - float(np.var(fit.resid)) / var)


def _drifts_twice(model: Any) -> bool:
    """Whether pmdarima's stepwise toggle left a constant on a twice-differenced series."""
    return bool(model.with_intercept) and model.order[1] + model.seasonal_order[1] >= 2


def _usable_exog(exog: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Covariates that vary within the series (missing read as 0), and which ones they are."""
    if exog is None or exog.shape[1] == 0:
        return None, None
    values = np.nan_to_num(exog)
    used = np.ptp(values, axis=0) > 0
    return (values[:, used], used) if used.any() else (None, None)


def _check_future(history: Panel, future: dict[str, np.ndarray], horizon: int) -> None:
    """Known-future covariates must come with their next ``horizon`` values."""
    missing = [c for c in history.schema.known_future if c not in future]
    if missing:
        raise DataValidationError(
            f"known-future covariates {missing} were used at fit: pass their values for the "
            f"next {horizon} steps of every series (future={{column: (n_series, horizon)}})."
        )
