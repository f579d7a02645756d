"""A statistical combination per series: the median of the ETS, Theta and ARIMA forecasts.

Combining ETS, Theta and ARIMA is among the most accurate methods on the M3 and M4 yearly,
quarterly and monthly series, more accurate than any of the three alone (Makridakis et al.
2018, "The M4 competition"; Petropoulos & Svetunkov 2020). Each series gets the three
automatic models of :mod:`~tsauto.forecasting.learners.ets`,
:mod:`~tsauto.forecasting.learners.theta` and :mod:`~tsauto.forecasting.learners.arima`,
fitted once, with their default settings (ETS on the last ``ets.MAX_LENGTH`` points of a long
series, as alone); the forecast is their ``combine`` (``"mean"`` or ``"median"``) at each step,
and each quantile the same combination of the members' quantiles.
A member that fails on a series is left out of that series' combination; a series no member
fits falls back to seasonal naive.

``"median"`` is the default, chosen on the last horizon of the training parts (test parts never
read; the three members' forecasts combined both ways): MASE with the mean / the median, M1
yearly 2.722 / 2.637, quarterly 1.680 / 1.679, monthly 1.298 / 1.293, M4 Weekly 2.469 / 2.425
(sMAPE 16.24 / 16.11, 14.43 / 14.65, 18.18 / 17.86, 8.25 / 8.01; there a member that failed on a
series was replaced by seasonal naive, while the learner leaves it out: quarterly 1.662 in
``bench_learners.py --holdout``): the middle forecast of three is not pulled by the one member
that misses. The mean (the M4 competition's Comb, statsforecast's ensemble) is a
search choice. ``benchmarks/bench_learners.py`` compares the combination with the mean of
statsforecast's AutoETS, AutoTheta and AutoARIMA on the same series.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.arima import AutoARIMALearner
from tsauto.forecasting.learners.base import LearnerTags, Task
from tsauto.forecasting.learners.ets import ETSLearner, restarted
from tsauto.forecasting.learners.local import LocalLearner, SeriesData, timed_out
from tsauto.forecasting.learners.theta import ThetaLearner

log = logging.getLogger(__name__)

Combine = Literal["mean", "median"]
MEMBERS = ("ets", "theta", "auto_arima")


@dataclass(frozen=True)
class ComboState:
    """The fitted state of each member (None where it failed), in :data:`MEMBERS` order, and
    the first time ETS was fitted from (None: the series' first; files of format 4 lack it)."""

    states: tuple[Any, Any, Any]
    ets_from: Any = None


class StatCombo(LocalLearner):
    """Per-series combination of automatic ETS, Theta and ARIMA.

    Parameters
    ----------
    combine:
        ``"mean"`` or ``"median"`` of the members' forecasts at each step.
    series_time_limit:
        Seconds per series for the three fits together (ARIMA's search stops early at half of
        what is left to it).
    """

    name = "stat_combo"
    tags = LearnerTags(kind="local", native_quantiles=True)
    # ARIMA's forecast is the costly part (M1 quarterly, 2026-12-07: 1.2-1.4 s in process, 1.4-1.6
    # s on 2 warm workers, as ARIMA alone)
    forecast_in_process = AutoARIMALearner.forecast_in_process
    forecast_series_values = AutoARIMALearner.forecast_series_values

    @staticmethod
    def search_space(trial) -> dict:
        """How the members are combined."""
        return {"combine": trial.suggest_categorical("combine", ["mean", "median"])}

    def __init__(self, combine: Combine = "median", series_time_limit: float | None = 60.0):
        self.combine = combine
        self.series_time_limit = series_time_limit

    def min_length(self, task: Task) -> int:
        return ThetaLearner().min_length(task)

    def _members(self) -> tuple[LocalLearner, LocalLearner, LocalLearner]:
        return (
            ETSLearner(series_time_limit=self.series_time_limit),
            ThetaLearner(series_time_limit=self.series_time_limit),
            AutoARIMALearner(series_time_limit=self.series_time_limit),
        )

    def _check_params(self) -> None:
        if self.combine not in ("mean", "median"):
            raise DataValidationError(f"combine={self.combine!r}: use 'mean' or 'median'.")

    def _fit_one(self, series: SeriesData, task: Task) -> ComboState:
        plain = SeriesData(series.y, series.times, None, None)  # the members are univariate
        window = self._members()[0].max_length
        ets_from = series.times[-window] if window is not None and len(series.y) > window else None
        states = []
        for learner in self._members():
            try:
                states.append(learner._fit_one(_seen_by(learner, plain, ets_from), task))
            except Exception as err:  # a failing member leaves the others
                if timed_out(err):
                    raise
                log.debug("%s failed on a series: %s", learner.name, err)
                states.append(None)
        if all(s is None for s in states):
            raise ValueError("no member of the combination could be fitted")
        return ComboState(tuple(states), ets_from)

    def _restart(self, state: ComboState, series: SeriesData, task: Task) -> ComboState:
        """The ETS member's initial states estimated on a history that starts after the
        first time it was fitted from (Theta and ARIMA as fitted, as alone)."""
        ets = state.states[0]
        if ets is None or (state.ets_from is not None and series.times[0] <= state.ets_from):
            return state
        return ComboState((restarted(ets, series.y, series.times), *state.states[1:]), state.ets_from)

    def _forecast_one(
        self, state: ComboState, series: SeriesData, task: Task
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        plain = SeriesData(series.y, series.times, None, None)
        means, quantiles = [], []
        for learner, member in zip(self._members(), state.states):
            if member is None:
                continue
            try:
                mean, qs = learner._forecast_one(member, _seen_by(learner, plain, state.ets_from), task)
            except Exception as err:
                log.debug("%s could not forecast a series: %s", learner.name, err)
                continue
            if np.all(np.isfinite(mean)):
                means.append(mean)
                quantiles.append(qs)
        if not means:
            raise ValueError("no member of the combination could forecast")
        reduce = np.mean if self.combine == "mean" else np.median
        out = reduce(np.stack(means), axis=0)
        return out, {q: reduce(np.stack([qs[q] for qs in quantiles]), axis=0) for q in task.quantiles}


def _seen_by(learner: LocalLearner, series: SeriesData, ets_from: Any) -> SeriesData:
    """``series`` as the member ``learner`` sees it: ETS from its time ``ets_from`` on (all of
    it for None), the others whole."""
    if learner.name != "ets" or ets_from is None:
        return series
    a = int(np.searchsorted(series.times, ets_from))
    return SeriesData(series.y[a:], series.times[a:], None, None)
