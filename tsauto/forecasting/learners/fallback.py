"""A learner with the seasonal-naive fallback, so that every series asked for gets a forecast.

``short_series`` decides what happens to series shorter than the learner needs:
``"auto"`` forecasts them with seasonal naive (naive when shorter than a season) and records
it; ``"pad"`` left-pads them with zeros to the needed length; ``"drop"`` leaves them out of
training and forecasts (with a warning naming them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from tsauto.forecasting.panel import Panel, min_length_split, pad_front
from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.base import Forecast, Learner, Task
from tsauto.forecasting.learners.baselines import SeasonalNaive
from tsauto.forecasting.guards import Guards

log = logging.getLogger(__name__)

ShortSeries = Literal["auto", "pad", "drop"]
SHORT_SERIES = ("auto", "pad", "drop")
FALLBACK = "seasonal_naive"


@dataclass
class Routed:
    """Forecasts and, per series, why the main learner did not forecast it ('' when it did)."""

    forecast: Forecast
    reason: np.ndarray  # object array of str
    dropped: np.ndarray  # bool


class WithFallback:
    """Wraps a learner; routes too-short series to seasonal naive (or pads/drops them)."""

    def __init__(
        self, learner: Learner, short_series: ShortSeries = "auto", guards: Guards | None = None
    ):
        if short_series not in SHORT_SERIES:
            raise DataValidationError(
                f"short_series={short_series!r}: use one of {SHORT_SERIES}."
            )
        self.learner = learner
        self.short_series = short_series
        self.guards = guards

    def clone(self) -> "WithFallback":
        """The same configuration, unfitted."""
        return WithFallback(self.learner.clone(), self.short_series, self.guards)

    def describe(self) -> str:
        return self.learner.name

    def fit(self, panel: Panel, task: Task) -> "WithFallback":
        self.learner.fit(self._training_panel(panel, task), task)
        self._fit_fallback(panel, task)
        return self

    def fits_together(self) -> bool:
        """Whether the learner fits several panels in one pass (:func:`fit_folds`)."""
        return bool(getattr(self.learner, "fits_together", lambda: False)())

    def _training_panel(self, panel: Panel, task: Task) -> Panel:
        self.min_length_ = self.learner.min_length(task)
        train = self.trainable(panel)
        if train.n_series == 0:
            longest = int(panel.lengths.max()) if panel.n_series else 0
            raise DataValidationError(  # the longest said: a 9-point series read "shorter than 5" (user test 51)
                f"every series is shorter than the {self.min_length_} observations learner "
                f"{self.learner.name!r} needs (the longest here holds {longest}; a validation fold trains on the "
                "part of each series before its cutoff): give longer series or use short_series='pad'."
            )
        return train

    def _fit_fallback(self, panel: Panel, task: Task) -> None:
        # instant, and needed whatever time the learner took: never refused for time
        self.fallback_ = SeasonalNaive().fit(panel, replace(task, deadline=None))

    def trainable(self, panel: Panel) -> Panel:
        """The series of ``panel`` the learner trains on (padded with ``short_series="pad"``;
        without those shorter than ``min_length_`` otherwise); may hold none."""
        if self.short_series == "pad":
            panel = pad_front(panel, self.min_length_)
        long, short = min_length_split(panel, self.min_length_)
        return panel.take(long) if short.size else panel

    def predict(self, history: Panel, future: dict[str, np.ndarray]) -> Routed:
        routed = self._route(history, future)
        if self.guards is None:
            return routed
        task = self.learner.task_
        fc = routed.forecast
        mean, quantiles, changed = self.guards.apply(history, fc.mean, fc.quantiles, task.season, task.horizon)
        reason = np.where((routed.reason == "") & (changed != ""), changed, routed.reason)
        return Routed(Forecast(mean, quantiles), reason, routed.dropped)

    def _route(self, history: Panel, future: dict[str, np.ndarray]) -> Routed:
        if self.short_series == "pad":
            history = pad_front(history, self.min_length_)
        long, short = min_length_split(history, self.min_length_)
        horizon = self.learner.task_.horizon
        n = history.n_series
        reason = np.full(n, "", dtype=object)
        dropped = np.zeros(n, dtype=bool)
        if not short.size:
            return Routed(self.learner.predict(history, future), reason, dropped)
        main = self.learner.predict(history.take(long), {k: v[long] for k, v in future.items()}) if long.size else None
        base = self.fallback_.predict(history.take(short))
        mean = np.full((n, horizon), np.nan)
        quantiles = {q: np.full((n, horizon), np.nan) for q in (main.quantiles if main else base.quantiles)}
        if main is not None:
            mean[long] = main.mean
            for q, v in main.quantiles.items():
                quantiles[q][long] = v
        if self.short_series == "drop":
            dropped[short] = True
            reason[short] = f"dropped: shorter than {self.min_length_}"
            keys = history.keys.iloc[short[:5]].to_dict("records")
            log.warning(
                "%d series shorter than %d observations are dropped (short_series='drop'), "
                "e.g. %s",
                short.size,
                self.min_length_,
                keys,
            )
        else:
            mean[short] = base.mean
            for q in quantiles:
                if q in base.quantiles:
                    quantiles[q][short] = base.quantiles[q]
            reason[short] = f"{FALLBACK}: shorter than {self.min_length_} observations"
        return Routed(Forecast(mean, quantiles), reason, dropped)


def fit_folds(models: list[WithFallback], panels: list[Panel], task: Task) -> None:
    """Fit ``models[k]`` (alike and unfitted) on ``panels[k]`` as :meth:`WithFallback.fit`
    would, their learners in one pass (``fit_folds`` of a learner that
    :meth:`~WithFallback.fits_together`)."""
    trains = [m._training_panel(p, task) for m, p in zip(models, panels)]
    models[0].learner.fit_folds([m.learner for m in models], trains, task)
    for m, p in zip(models, panels):
        m._fit_fallback(p, task)
