"""Explicit registry of forecasting learners: name → factory, with lazy imports.

Heavy libraries (torch, prophet, pmdarima) load only when their learner is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.base import Learner


@dataclass(frozen=True)
class Entry:
    """Where a learner lives and how costly it is (1 = cheapest; the search tries cheap first)."""

    module: str
    cls: str
    cost: float

    def load(self) -> type[Learner]:
        return getattr(importlib.import_module(self.module, __package__), self.cls)


FORECASTERS: dict[str, Entry] = {
    "lightgbm": Entry(".learners.lightgbm", "LightGBMLearner", 3.0),
    "naive": Entry(".learners.baselines", "Naive", 0.1),
    "seasonal_naive": Entry(".learners.baselines", "SeasonalNaive", 0.1),
    "drift": Entry(".learners.baselines", "Drift", 0.1),
    "ets": Entry(".learners.ets", "ETSLearner", 1.0),
    "theta": Entry(".learners.theta", "ThetaLearner", 0.5),
    "croston": Entry(".learners.intermittent", "Croston", 0.2),
    "tsb": Entry(".learners.intermittent", "TSB", 0.2),
    "auto_arima": Entry(".learners.arima", "AutoARIMALearner", 5.0),
    "prophet": Entry(".learners.prophet", "ProphetLearner", 1.5),
    "tcn": Entry(".learners.tcn", "TCNLearner", 6.0),
}

AUTO_LEARNERS: tuple[str, ...] = ("lightgbm",)


def names() -> list[str]:
    """Registered learner names, cheapest first."""
    return sorted(FORECASTERS, key=lambda n: (FORECASTERS[n].cost, n))


def create(name: str, **params: Any) -> Learner:
    """A new learner of the registered ``name`` configured with ``params``."""
    if name not in FORECASTERS:
        raise DataValidationError(
            f"unknown learner {name!r}; registered learners are {names()}."
        )
    return FORECASTERS[name].load()(**params)
