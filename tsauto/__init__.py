"""tsauto: automated machine learning for time series forecasting, classification and regression.

``core`` is the engine (search, executor, ensemble, persistence), ``forecasting`` and ``tabular``
are the two tasks built on it.
"""

from tsauto import datasets
from tsauto.core.version import VERSION as __version__
from tsauto.forecasting.forecaster import BacktestResult, Forecaster
from tsauto.tabular import Classifier, Regressor

__all__ = ["Forecaster", "BacktestResult", "Classifier", "Regressor", "datasets", "__version__"]
