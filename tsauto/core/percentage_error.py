"""The mean absolute percentage error's zero rule, shared by forecasting and tables."""

from __future__ import annotations

import numpy as np


def mean_absolute_percentage_error(y: np.ndarray, f: np.ndarray) -> float:
    """Mean of ``|y - f| / |y|`` (a fraction) over the entries where ``y != 0``; nan where every
    ``y`` is 0. Dividing by a tiny number instead makes one zero rule the score (wine quality
    - 3, 30 zeros in 6,497 rows, scored about 5e13)."""
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    known = y != 0
    if not known.any():
        return float("nan")
    return float(np.mean(np.abs(y[known] - f[known]) / np.abs(y[known])))
