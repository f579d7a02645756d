"""The learner protocol every forecasting model meets.

A learner is configured in its constructor, learns in :meth:`Learner.fit` from a validated
:class:`~tsauto.forecasting.panel.Panel` and a :class:`Task`, and forecasts ``task.horizon`` steps after the
end of any history panel with :meth:`Learner.predict` (the training panel, or newer data with
the same schema: no refit). Subclasses write only ``_fit`` and ``_predict``; the base checks the
state and shapes. Fitted state lives in attributes ending in ``_``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from tsauto.core.exceptions import NotFittedError, TimeLimitExceeded
from tsauto.core.stopping import MIN_SHARE
from tsauto.forecasting.panel import Panel


@dataclass(frozen=True)
class Task:
    """What every learner is asked to do, shared by all learners of one forecaster."""

    horizon: int
    season: int = 1  # primary seasonal period (1: none)
    seasons: tuple[int, ...] = ()  # every seasonal period detected, strongest first
    quantiles: tuple[float, ...] = ()
    holidays: tuple[str, ...] = ()  # country codes used by calendar-aware learners
    holiday_column: str | None = None
    n_jobs: int = 1
    random_state: int = 0
    deadline: float | None = None  # time.monotonic() value after which fitting must stop
    backend: str = "loky"  # where per-series work fans out: "dask" sends it to the Dask workers
    # most series non-stationary in level (KPSS), decided once on the whole training panel so
    # that the validation folds' models and the refit difference alike; None: each fit decides
    nonstationary: bool | None = None
    # target values in the whole training panel: data-size rules read it, so that validation
    # folds (parts of the panel) and the refit decide alike; None: each fit counts its own
    observations: int | None = None
    # the least share of its planned work a fit cut to its deadline keeps, else it fails
    # (core.stopping): MIN_SHARE for a model that forecasts, TRIAL_MIN_SHARE for a validation fold's
    min_share: float = MIN_SHARE

    def time_left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()


@dataclass(frozen=True)
class LearnerTags:
    """Capabilities the core branches on (never on class names)."""

    kind: Literal["global", "local"]
    native_quantiles: bool = False
    needs_calendar: bool = False  # cannot run on integer time steps
    thread_gain: float | None = None  # what one more thread adds to a fit's speed (None: the engine's)
    known_future: bool = False  # reads known-future covariates (they must then come over the horizon)
    fit_seconds: float | None = None  # about the most one fit takes on one core, however large the data
    # under a time budget its latest validation fold's fit is kept rather than refit (the TCN: a
    # refit took about 30 s of a 120 s budget). The contract: a global learner whose predict
    # reads only ``history`` and ``future``, with no per-series state, set, order or end times
    # of its training panel (a fold's panel holds fewer series, shorter); honoured for
    # ``kind="global"`` only
    keeps_fold_fit: bool = False


@dataclass
class Forecast:
    """Forecasts of every series of a history panel: ``mean`` and quantiles, (n_series, H)."""

    mean: np.ndarray
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)


class Learner(ABC):
    """Base class of forecasting learners."""

    name: ClassVar[str]
    tags: ClassVar[LearnerTags]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments, as given (``deep``, scikit-learn's flag, changes nothing: no
        argument is an estimator; it lets ``sklearn.base.clone`` copy a learner)."""
        import inspect

        sig = inspect.signature(type(self).__init__)
        return {
            name: getattr(self, name)
            for name, p in sig.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def clone(self) -> Learner:
        """A new, unfitted learner with the same parameters."""
        return type(self)(**self.get_params())

    def params_used(self, params: dict[str, Any]) -> dict[str, Any]:
        """Of a fitted learner: the constructor arguments ``params`` as its fit used them; the
        same, unless the fit cut its work to meet its deadline (LightGBM: its boosting rounds)."""
        return params

    @classmethod
    def thread_gain_on(cls, observations: int) -> float | None:
        """What one more thread adds to the speed of a fit on ``observations`` target values
        (``None``: the engine's rule); the ``thread_gain`` tag unless the learner knows better."""
        return cls.tags.thread_gain

    def min_length(self, task: Task) -> int:
        """Fewest observations a series needs; shorter ones get the seasonal-naive fallback."""
        return 1

    def lag_reach(self) -> dict[str, tuple[int, ...]]:
        """Of a fitted learner: its features that read past values, by kind (``"lag"``,
        ``"window"``), each given by how many steps back it reaches. A series shorter than a
        reach is forecast without that feature. Empty for learners without such features."""
        return {}

    def fit(self, panel: Panel, task: Task) -> Learner:
        """Learn from every series of ``panel``; returns self."""
        if task.time_left() <= 0:
            raise TimeLimitExceeded(f"{self.name}: no time left to fit")
        self.task_ = task
        self._fit(panel, task)
        return self

    def predict(self, history: Panel, future: dict[str, np.ndarray] | None = None) -> Forecast:
        """Forecast ``task.horizon`` steps after the end of every series of ``history``.

        ``future`` maps each known-future covariate to its (n_series, horizon) values.
        """
        if not hasattr(self, "task_"):
            raise NotFittedError(f"learner {self.name!r} is not fitted: call fit first.")
        out = self._predict(history, future or {})
        expected = (history.n_series, self.task_.horizon)
        if out.mean.shape != expected:
            raise RuntimeError(
                f"learner {self.name!r} returned forecasts of shape {out.mean.shape}, "
                f"expected {expected}"
            )
        return out

    @abstractmethod
    def _fit(self, panel: Panel, task: Task) -> None: ...

    @abstractmethod
    def _predict(self, history: Panel, future: dict[str, np.ndarray]) -> Forecast: ...

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
