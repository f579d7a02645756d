"""Cheap model settings shared by the bad-input catalogue."""

from __future__ import annotations

from tsauto import Classifier, Forecaster, Regressor

RETAIL = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"]}
TABULAR = {"time_budget": None, "max_trials": 1, "folds": 2, "n_jobs": 1, "backend": "sequential"}
CHEAP = {"learners": ["naive"], "compute": {"n_jobs": 1, "backend": "sequential"}}


def forecaster(**kw) -> Forecaster:
    """A Forecaster of the retail table: naive, horizon 3, in-process (override any key)."""
    return Forecaster(**{**RETAIL, "horizon": 3, **CHEAP, **kw})


def classifier(target: str, **kw) -> Classifier:
    """A Classifier with one cheap trial, two folds, in-process (override any key)."""
    return Classifier(target=target, **{**TABULAR, "learners": ["linear"], **kw})


def regressor(target: str, **kw) -> Regressor:
    """A Regressor with one cheap trial, two folds, in-process (override any key)."""
    return Regressor(target=target, **{**TABULAR, "learners": ["linear"], **kw})
