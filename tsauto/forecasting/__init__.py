"""Forecasting on the shared engine.

The pipeline, one box per module: the data contract (:mod:`.validation`) builds the all-series
array (:mod:`.panel`); :mod:`.frequency` finds periods; :mod:`.planner` turns panel and settings
into a plan; :mod:`.features` pivot the history into regression features; :mod:`.learners` fit
and forecast; :mod:`.splitters` and :mod:`.backtest` do rolling-origin evaluation;
:mod:`.search` scores trials for the core search; :mod:`.intervals` calibrates quantiles;
:mod:`.metrics` scores; :mod:`.forecaster` is the facade.
"""
