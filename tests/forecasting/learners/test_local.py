"""The per-series machinery of local learners: chunk sizes, and a series time limit that holds
off the main thread too (a Dask worker's thread, where SIGALRM cannot reach)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd

from tsauto.forecasting.learners import local
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.theta import ThetaLearner
from tsauto.forecasting.validation import validate


class SlowTheta(ThetaLearner):
    """Theta that takes ``delay`` seconds more on every series, ignoring its deadline."""

    name = "slow_theta"

    def __init__(self, delay: float = 0.0, series_time_limit: float | None = 60.0):
        super().__init__(series_time_limit=series_time_limit)
        self.delay = delay

    def _fit_one(self, series, task):
        time.sleep(self.delay)
        return super()._fit_one(series, task)


def test_chunks_keep_the_order_and_their_sizes() -> None:
    items = list(range(10_000))
    chunks = local._chunks(items, workers=2, min_size=local.MIN_DASK_CHUNK)
    assert [i for c in chunks for i in c] == items
    assert len(chunks) == 10 and max(map(len, chunks)) <= local.MAX_CHUNK  # capped in size
    assert len(local._chunks(items[:100], 2, local.MIN_DASK_CHUNK)) == 3  # 32+ series each
    assert len(local._chunks(items[:20], 2, local.MIN_DASK_CHUNK)) == 1
    assert len(local._chunks(items[:20], 2, 1)) == 8  # local processes: 4 per worker


def test_series_time_limit_holds_off_the_main_thread(aus_small: pd.DataFrame) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=6, season=12, seasons=(12,), n_jobs=1)
    fitted = {}
    worker = threading.Thread(
        target=lambda: fitted.update(slow=SlowTheta(delay=0.05, series_time_limit=0.02).fit(panel, task))
    )
    worker.start()
    worker.join()
    slow = fitted["slow"]
    assert len(slow.failures_) == panel.n_series
    assert slow.failures_["reason"].str.startswith("timeout: took").all()
    assert SlowTheta(series_time_limit=None).fit(panel, task).failures_.empty  # the limit did it
    assert np.isfinite(slow.predict(panel).mean).all()
