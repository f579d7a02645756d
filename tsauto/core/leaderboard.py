"""The leaderboard: one row per trial, as a DataFrame."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from tsauto.core.search import Trial


def leaderboard(
    trials: Sequence[Trial],
    weights: dict[int, float],
    metric: str,
    to_value: Callable[[float], float] = float,
    extra: dict[int, dict[str, float]] | None = None,
    dropped: dict[int, str] | None = None,
) -> pd.DataFrame:
    """Learner, params, status, reason, fold and mean scores (``to_value`` turns a loss into the
    metric's usual orientation), the ``extra`` scores of some trials (by trial number; missing
    ones nan), fit and predict time (summed over folds), ensemble weight. A trial chosen for
    the blend that has weight 0 (``dropped``: trial number to why: its refit failed, or would not
    fit in the time left) has that reason, after its own where it has one (adjusted to its time or data)."""
    n_folds = max((len(t.fold_scores) for t in trials), default=0)
    folds = [f"{metric}_fold{i}" for i in range(n_folds)]
    extra = extra or {}
    dropped = dropped or {}
    more = list(dict.fromkeys(k for scores in extra.values() for k in scores))
    columns = ["trial", "learner", "params", "status", "reason", *folds, metric, *more,
               "fit_time", "predict_time", "weight"]
    rows = [
        {
            "trial": t.number,
            "learner": t.learner,
            "params": repr(t.params),
            "status": t.status,
            "reason": "; ".join(r for r in (t.reason, dropped.get(t.number, "")) if r),
            **{f: to_value(v) for f, v in zip(folds, t.fold_scores)},
            metric: to_value(t.score) if t.status == "ok" else np.nan,
            **{k: extra.get(t.number, {}).get(k, np.nan) for k in more},
            "fit_time": t.fit_time,
            "predict_time": t.predict_time,
            "weight": weights.get(t.number, 0.0),
        }
        for t in trials
    ]
    return pd.DataFrame(rows, columns=columns)
