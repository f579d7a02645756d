"""tsauto: automated machine learning for time series forecasting, classification and regression.

``core`` is the engine (search, executor, ensemble, persistence), ``forecasting`` and ``tabular``
are the two tasks built on it. The public names load on first use, so that ``import tsauto``
(and every worker process) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from tsauto.core.version import VERSION as __version__

__all__ = ["Forecaster", "BacktestResult", "Classifier", "Regressor", "datasets", "__version__"]

_WHERE = {
    "Forecaster": "tsauto.forecasting.forecaster",
    "BacktestResult": "tsauto.forecasting.forecaster",
    "Classifier": "tsauto.tabular.estimators",
    "Regressor": "tsauto.tabular.estimators",
}

if TYPE_CHECKING:
    from tsauto import datasets
    from tsauto.forecasting.forecaster import BacktestResult, Forecaster
    from tsauto.tabular.estimators import Classifier, Regressor


def __getattr__(name: str):
    if name == "datasets":
        return import_module("tsauto.datasets")
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tsauto' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
