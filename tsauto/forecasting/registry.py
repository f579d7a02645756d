"""The forecasting learners by name, on the core registry; heavy libraries load lazily.

Adding a learner: write its module under :mod:`tsauto.forecasting.learners` and add one line
here; the contract suite (``tests/forecasting/contract``) picks it up from this registry.
"""

from __future__ import annotations

from typing import Any

from tsauto.core.registry import LazyEntry, Registry
from tsauto.forecasting.learners.base import Learner

_L = "tsauto.forecasting.learners."

FORECASTERS: Registry[LazyEntry] = Registry(
    "forecasting learner",
    {
        "lightgbm": LazyEntry(_L + "lightgbm", "LightGBMLearner", 3.0),
        "lightgbm_recent": LazyEntry(_L + "lightgbm", "RecentLightGBMLearner", 1.0),
        "naive": LazyEntry(_L + "baselines", "Naive", 0.1),
        "seasonal_naive": LazyEntry(_L + "baselines", "SeasonalNaive", 0.1),
        "drift": LazyEntry(_L + "baselines", "Drift", 0.1),
        "ets": LazyEntry(_L + "ets", "ETSLearner", 1.0),
        "theta": LazyEntry(_L + "theta", "ThetaLearner", 0.5),
        "stat_combo": LazyEntry(_L + "combination", "StatCombo", 6.0),
        "croston": LazyEntry(_L + "intermittent", "Croston", 0.2),
        "tsb": LazyEntry(_L + "intermittent", "TSB", 0.2),
        "auto_arima": LazyEntry(_L + "arima", "AutoARIMALearner", 5.0),
        "prophet": LazyEntry(_L + "prophet", "ProphetLearner", 1.5),
        "tcn": LazyEntry(_L + "tcn", "TCNLearner", 6.0),
    },
)


def names() -> list[str]:
    """Registered learner names, cheapest first."""
    return FORECASTERS.names()


def create(name: str, **params: Any) -> Learner:
    """A new learner of the registered ``name`` configured with ``params``."""
    return FORECASTERS[name].load()(**params)
