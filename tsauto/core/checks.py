"""Data checks ("guardrails"): one record per thing found in a training table and what was done.

Shared by tabular learning (:mod:`tsauto.tabular.checks`) and forecasting
(:mod:`tsauto.forecasting.data_checks`). A check has a status, as Azure AutoML reports them:
``passed`` (nothing to do), ``fixed`` (the data were changed, and how is said) or ``alert``
(something the user should look at; nothing was changed).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import pandas as pd

Status = Literal["passed", "fixed", "alert"]
STATUSES: tuple[Status, ...] = ("passed", "fixed", "alert")


class Check(NamedTuple):
    """One row of a data checks table: what was found (``finding``) and done (``action``).

    ``series``: labels of the series involved (forecasting); ``count``: how many rows, values or
    series the finding is about.
    """

    check: str
    column: str
    finding: str
    action: str
    status: Status = "passed"
    series: tuple[str, ...] = ()
    count: int = 0

    @property
    def message(self) -> str:
        """The finding and the action in one sentence."""
        return f"{self.finding}: {self.action}" if self.action else self.finding


def frame(checks: list[Check], columns: tuple[str, ...] = Check._fields) -> pd.DataFrame:
    """The checks as a table with the given columns (``message`` joins finding and action)."""
    rows = [{**c._asdict(), "message": c.message} for c in checks]
    return pd.DataFrame(rows, columns=list(columns))
