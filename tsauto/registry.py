"""Explicit registry of forecasting learners: name → factory, with lazy imports.

Heavy libraries (torch, prophet, pmdarima) load only when their learner is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from .exceptions import DataValidationError
from .learners.base import Learner


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
