"""Calendar features chosen by the frequency of the series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsauto.forecasting.frequency import freq_kind

_BY_KIND: dict[str, tuple[str, ...]] = {
    "minute": ("minute", "hour", "dayofweek"),
    "hour": ("hour", "dayofweek", "dayofyear"),
    "day": ("dayofweek", "day", "month", "weekofyear", "dayofyear"),
    "week": ("weekofyear", "month", "day"),
    "month": ("month",),
    "quarter": ("quarter",),
    "year": (),
    "integer": (),
}

_ATTRIBUTE = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}


def calendar_names(freq: str | None) -> tuple[str, ...]:
    """Names of the calendar features used for a frequency (none without a calendar)."""
    return _BY_KIND[freq_kind(freq)]


def calendar_features(times: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Calendar features of flat ``datetime64`` times; shape (len(times), len(names))."""
    if not names:
        return np.zeros((len(times), 0))
    idx = pd.DatetimeIndex(times)
    cols = []
    for name in names:
        if name == "weekofyear":
            cols.append(idx.isocalendar().week.to_numpy(dtype=np.float64))
        else:
            cols.append(np.asarray(getattr(idx, _ATTRIBUTE.get(name, name)), dtype=np.float64))
    return np.column_stack(cols)
