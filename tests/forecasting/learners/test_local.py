"""The per-series machinery of local learners: chunk sizes, a series time limit that holds
off the main thread too (a Dask worker's thread, where SIGALRM cannot reach), and fits on the
last ``max_length`` points of each series."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from tsauto.forecasting.learners import local
from tsauto.forecasting.learners.arima import AutoARIMALearner
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.combination import StatCombo
from tsauto.forecasting.learners.ets import ETSLearner
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

    def _fit_many(self, chunk, task):
        return None  # series by series, each delayed


class SlowTogether(ThetaLearner):
    """Theta fitting all series of a chunk at once, taking ``delay`` seconds more per chunk."""

    name = "slow_together"

    def __init__(self, delay: float = 0.0, series_time_limit: float | None = 60.0):
        super().__init__(series_time_limit=series_time_limit)
        self.delay = delay
        self.together = 0

    def _fit_many(self, chunk, task):
        self.together += 1
        time.sleep(self.delay)
        return super()._fit_many(chunk, task)


def test_chunks_keep_the_order_and_their_sizes() -> None:
    items = list(range(10_000))
    chunks = local._chunks(items, workers=2, min_size=local.MIN_DASK_CHUNK)
    assert [i for c in chunks for i in c] == items
    assert len(chunks) == 10 and max(map(len, chunks)) <= local.MAX_CHUNK  # capped in size
    assert len(local._chunks(items[:100], 2, local.MIN_DASK_CHUNK)) == 3  # 32+ series each
    assert len(local._chunks(items[:20], 2, local.MIN_DASK_CHUNK)) == 1
    assert len(local._chunks(items[:20], 2, 1)) == 8  # local processes: 4 per worker
    assert len(local._chunks(items[:300], 2, 1, per_worker=1)) == 2  # series fitted together


class WrappingTheta(ThetaLearner):
    """Theta inside a library that turns any error into its own, the time limit's alarm too (as
    numpy's polynomial code does: "ValueError: Coefficient arrays have no common type")."""

    name = "wrapping_theta"

    def _fit_one(self, series, task):
        try:
            time.sleep(1.0)
        except Exception as err:
            raise ValueError("Coefficient arrays have no common type") from err
        return super()._fit_one(series, task)

    def _fit_many(self, chunk, task):
        return None


def test_a_time_limit_a_library_re_raised_as_its_own_error_is_still_a_timeout(aus_small: pd.DataFrame) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    sub = panel.take(np.arange(2))  # two series: two alarms, 0.1 s
    learner = WrappingTheta(series_time_limit=0.05).fit(sub, Task(horizon=6, season=12, n_jobs=1))
    assert learner.failures_["reason"].str.startswith("timeout: exceeded").all()
    assert len(learner.failures_) == sub.n_series
    assert np.isfinite(learner.predict(sub).mean).all()


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


def test_a_chunk_fitted_together_past_its_time_is_refitted_series_by_series(aus_small: pd.DataFrame) -> None:
    """In the main thread the chunk's time (the series' limits summed) stops a batched fit;
    its series are then fitted one by one, each within its own limit."""
    two = aus_small[aus_small["Industry"].isin(aus_small["Industry"].unique()[:1])]
    panel = validate(two, target="Turnover", time="Month", ids=["State", "Industry"])
    assert panel.n_series == 2
    task = Task(horizon=6, season=12, seasons=(12,), n_jobs=1)
    quick = SlowTogether().fit(panel, task)
    assert quick.together == 1 and quick.failures_.empty
    start = time.monotonic()
    slow = SlowTogether(delay=6.0, series_time_limit=1.0).fit(panel, task)  # chunk: 2 s
    assert time.monotonic() - start < 5.0  # stopped at 2 s, not after the 6 s delay
    assert slow.together == 1 and slow.failures_.empty
    reference = ThetaLearner().fit(panel, task)
    for a, b in zip(slow.states_, reference.states_):  # fitted one by one: the same models
        assert (a.model, a.alpha, a.theta, a.level0) == (b.model, b.alpha, b.theta, b.level0)


class BrokenTogether(ThetaLearner):
    """Theta whose batched fit fails."""

    name = "broken_together"

    def _fit_many(self, chunk, task):
        raise RuntimeError("a bug in the batched code")


def test_a_failing_batched_fit_falls_back_to_series_by_series(aus_small: pd.DataFrame, caplog) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=6, season=12, seasons=(12,), n_jobs=1)
    with caplog.at_level("WARNING"):
        broken = BrokenTogether().fit(panel, task)
    assert broken.failures_.empty
    assert "fitting them one by one" in caplog.text and "a bug in the batched code" in caplog.text
    reference = ThetaLearner().fit(panel, task)
    for a, b in zip(broken.states_, reference.states_):
        assert (a.model, a.alpha, a.theta, a.level0) == (b.model, b.alpha, b.theta, b.level0)


def _last(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """The last ``n`` rows of each Australian retail series."""
    rows = df.sort_values(["State", "Industry", "Month"])
    return rows.groupby(["State", "Industry"], sort=False).tail(n).reset_index(drop=True)


def test_max_length_fits_the_last_points_and_forecasts_from_the_same_first_time(aus_small: pd.DataFrame) -> None:
    """ETS with ``max_length=60`` on 20-year series is ETS on their last 60 months: the same
    states, and the same forecasts from the whole history (the filter starts where the fit did),
    also from a history with newer rows than the fit's."""
    spec = dict(target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=6, season=12, seasons=(12,), n_jobs=1)
    old = aus_small[aus_small["Month"] < "2017-01-01"]
    capped = ETSLearner(max_length=60).fit(validate(old, **spec), task)
    cut = ETSLearner(max_length=None).fit(validate(_last(old, 60), **spec), task)
    assert capped.failures_.empty and cut.failures_.empty
    for a, b in zip(capped.states_, cut.states_):
        assert a.spec == b.spec and np.allclose(a.par, b.par) and np.allclose(a.x0, b.x0)
    assert np.all(capped.starts_ == np.datetime64("2012-01-01"))
    whole = ETSLearner(max_length=None).fit(validate(old, **spec), task)
    assert any(a.spec != b.spec or not np.allclose(a.x0, b.x0) for a, b in zip(whole.states_, capped.states_))
    for history in (old, aus_small):  # the fit's rows, then two more years of them
        full = capped.predict(validate(history, **spec)).mean
        recent = history[history["Month"] >= "2012-01-01"]
        assert np.allclose(full, cut.predict(validate(recent, **spec)).mean)


def test_max_length_must_be_a_positive_number_of_points(aus_small: pd.DataFrame) -> None:
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=6, season=12, seasons=(12,), n_jobs=1)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"max_length={bad!r}: give a positive number of points"):
            ETSLearner(max_length=bad).fit(panel, task)


def test_a_history_older_than_the_fit_is_read_from_the_first_time_fitted_on(aus_small: pd.DataFrame) -> None:
    """Rows before the first time a series was fitted from are left out of the history: Theta
    fitted on 2005 on forecasts the same from the whole history as from 2005 on."""
    spec = dict(target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=6, season=12, seasons=(12,), n_jobs=1)
    later = aus_small[aus_small["Month"] >= "2005-01-01"]
    theta = ThetaLearner().fit(validate(later, **spec), task)
    assert np.all(theta.starts_ == np.datetime64("2005-01-01"))
    whole = theta.predict(validate(aus_small, **spec)).mean
    np.testing.assert_allclose(whole, theta.predict(validate(later, **spec)).mean)


class NoRestartETS(ETSLearner):
    """ETS that runs its fitted initial states over any history (the behaviour before restarts)."""

    name = "no_restart_ets"
    _restart = local.LocalLearner._restart


def test_a_history_that_starts_later_gets_its_level_estimated_on_it(aus_small: pd.DataFrame) -> None:
    """Only the last 4 years as the history of ETS fitted on 20: the fitted initial states
    belong to 1999-01, so the level and trend are estimated on the history and the fitted
    season taken at the phase that fits it; the forecasts stay near those from the whole
    history, whether the history starts in January or in June. Run from the 1999 states as
    they are, a history from June is out of phase (far off)."""
    spec = dict(target="Turnover", time="Month", ids=["State", "Industry"])
    task = Task(horizon=12, season=12, seasons=(12,), n_jobs=1)
    panel = validate(aus_small, **spec)
    fitted = {learner: learner.fit(panel, task) for learner in (ETSLearner(), NoRestartETS())}

    def gap(learner: ETSLearner, start: str) -> float:
        whole = fitted[learner].predict(panel).mean
        recent = fitted[learner].predict(validate(aus_small[aus_small["Month"] >= start], **spec)).mean
        return float(np.median(np.abs(recent - whole) / np.abs(whole)))

    gaps = {(learner.name, start): gap(learner, start) for learner in fitted for start in ("2015-01-01", "2015-06-01")}
    assert gaps["ets", "2015-01-01"] < 0.01 and gaps["ets", "2015-06-01"] < 0.01, gaps
    assert gaps["no_restart_ets", "2015-06-01"] > 0.05, gaps


def test_forecasts_of_a_small_history_are_made_in_this_process(aus_small: pd.DataFrame, monkeypatch) -> None:
    """Six Walmart series' ETS forecasts (0.05 s) waited 6.8 s for worker processes to start:
    a history of up to ``FORECAST_IN_PROCESS`` observations is forecast here; a larger one
    still goes to the workers, with the same forecasts."""
    panel = validate(aus_small, target="Turnover", time="Month", ids=["State", "Industry"])
    learner = ThetaLearner().fit(panel, Task(horizon=6, season=12, seasons=(12,), n_jobs=1))
    learner.task_ = Task(horizon=6, season=12, seasons=(12,), n_jobs=2)  # as fitted with workers
    pools = []

    def pool(**kw):  # a worker pool that runs its jobs here, and says it was asked
        pools.append(kw)
        return lambda jobs: [f(*a, **k) for f, a, k in jobs]

    monkeypatch.setattr(local, "Parallel", pool)
    assert panel.lengths.sum() <= local.FORECAST_IN_PROCESS
    here = learner.predict(panel).mean
    assert not pools
    # Theta forecasts all series at once: a history over the others' limit stays here too (user
    # test 55: a first forecast after a budgeted fit waited 1.7 s for the workers, 0.04 s here)
    monkeypatch.setattr(local, "FORECAST_IN_PROCESS", int(panel.lengths.sum()) - 1)
    assert ThetaLearner.forecast_in_process > local.FORECAST_IN_PROCESS
    np.testing.assert_allclose(learner.predict(panel).mean, here)
    assert not pools
    monkeypatch.setattr(ThetaLearner, "forecast_in_process", int(panel.lengths.sum()) - 1)
    np.testing.assert_allclose(learner.predict(panel).mean, here)
    assert len(pools) == (local.n_workers(2, panel.n_series) > 1)  # none on a one-core machine


@pytest.mark.parametrize("make", [AutoARIMALearner, StatCombo], ids=["auto_arima", "stat_combo"])
def test_arima_forecasts_stay_in_this_process_above_the_others_limit(aus_small, monkeypatch, make) -> None:
    """ARIMA's forecasts (7 ms a series, 32 us a value) and the combination's, ARIMA's plus cheap
    ones, take less than the workers' start up to its own limit (user test 55: a first forecast
    after a budgeted fit started them), each series counted with its overhead (review 54: 50,000
    values of short series took about 8 s), beyond which they go to the workers."""
    df = aus_small[aus_small["Industry"] == aus_small["Industry"].iloc[0]]
    panel = validate(df, target="Turnover", time="Month", ids=["State", "Industry"])
    learner = make().fit(panel, Task(horizon=6, season=1, n_jobs=1))
    learner.task_ = Task(horizon=6, season=1, n_jobs=2)  # as fitted with workers
    pools = []

    def pool(**kw):
        pools.append(kw)
        return lambda jobs: [f(*a, **k) for f, a, k in jobs]

    monkeypatch.setattr(local, "Parallel", pool)
    here = learner.predict(panel).mean
    values = int(panel.lengths.sum())
    monkeypatch.setattr(local.LocalLearner, "forecast_in_process", values - 1)  # the others' limit
    np.testing.assert_allclose(learner.predict(panel).mean, here)
    assert not pools
    weight = values + make.forecast_series_values * panel.n_series
    assert make.forecast_series_values > 0
    monkeypatch.setattr(make, "forecast_in_process", weight - 1)  # its own, series counted
    np.testing.assert_allclose(learner.predict(panel).mean, here)
    assert len(pools) == (local.n_workers(2, panel.n_series) > 1)  # none on a one-core machine
