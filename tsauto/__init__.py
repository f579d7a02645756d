"""tsauto: automated machine learning for time series forecasting."""

__version__ = "0.1.0"

from .forecaster import BacktestResult, Forecaster  # noqa: E402
from .tabular import Classifier, Regressor  # noqa: E402

__all__ = ["Forecaster", "BacktestResult", "Classifier", "Regressor", "__version__"]
