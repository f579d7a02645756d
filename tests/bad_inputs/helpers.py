"""Cheap model settings shared by the bad-input catalogue."""

from __future__ import annotations

from tsauto import Forecaster

RETAIL = {"target": "Turnover", "time": "Month", "ids": ["State", "Industry"]}
CHEAP = {"learners": ["naive"], "compute": {"n_jobs": 1, "backend": "sequential"}}


def forecaster(**kw) -> Forecaster:
    """A Forecaster of the retail table: naive, horizon 3, in-process (override any key)."""
    return Forecaster(**{**RETAIL, "horizon": 3, **CHEAP, **kw})
