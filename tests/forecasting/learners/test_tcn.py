"""TCNLearner on 20 real Australian retail series: shapes, quantiles, seeds, time, pickle."""

from __future__ import annotations

import itertools
import pickle
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from tsauto.forecasting import registry  # noqa: E402
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.validation import validate  # noqa: E402
from tsauto.forecasting.learners.base import Task  # noqa: E402
from tsauto.forecasting.learners import tcn  # noqa: E402
from tsauto.forecasting.learners.tcn import TCNLearner, receptive_field  # noqa: E402

H = 12
TASK = Task(horizon=H, season=12, seasons=(12,), quantiles=(0.1, 0.5, 0.9), n_jobs=1)
TINY = dict(channels=8, max_epochs=3, windows_per_epoch=512, batch_size=64, max_time=20.0)


@pytest.fixture(scope="module")
def panels(aus_retail: pd.DataFrame) -> tuple[Panel, Panel]:
    """Twenty monthly series: a training panel and the full one (H more points each)."""
    keys = aus_retail[["State", "Industry"]].drop_duplicates().iloc[:20]
    df = aus_retail.merge(keys, on=["State", "Industry"]).drop(columns="Series ID")
    full = validate(df, target="Turnover", time="Month", ids=["State", "Industry"])
    return full.head(full.lengths - H), full


@pytest.fixture(scope="module")
def fitted(panels: tuple[Panel, Panel]) -> TCNLearner:
    return TCNLearner(**TINY).fit(panels[0], TASK)


def test_registry_builds_tcn() -> None:
    learner = registry.create("tcn", channels=8)
    assert isinstance(learner, TCNLearner) and learner.get_params()["channels"] == 8
    assert TCNLearner.tags.kind == "global" and TCNLearner.tags.native_quantiles


def test_forecast_shape_values_and_quantiles(fitted: TCNLearner, panels) -> None:
    train, full = panels
    out = fitted.predict(train)
    assert out.mean.shape == (train.n_series, H) and np.isfinite(out.mean).all()
    assert sorted(out.quantiles) == [0.1, 0.5, 0.9]
    lo, mid, hi = (out.quantiles[q] for q in (0.1, 0.5, 0.9))
    assert np.isfinite(lo).all() and (lo <= mid).all() and (mid <= hi).all()
    truth = full.y[full.indptr[1:, None] - np.arange(H, 0, -1)]
    level = np.abs(truth).mean(axis=1, keepdims=True)
    assert (np.abs(out.mean - truth) < level).all()


def test_auto_context_and_levels_cover_the_seasons(fitted: TCNLearner) -> None:
    cfg = fitted.config_
    assert cfg.context == max(7 * TASK.season, 3 * H)
    assert receptive_field(cfg.kernel_size, cfg.levels) >= cfg.context
    assert receptive_field(cfg.kernel_size, cfg.levels - 1) < cfg.context


def test_deterministic_with_a_seed(fitted: TCNLearner, panels) -> None:
    again = TCNLearner(**TINY).fit(panels[0], TASK)
    np.testing.assert_array_equal(again.predict(panels[0]).mean, fitted.predict(panels[0]).mean)
    other = TCNLearner(**TINY).fit(panels[0], Task(**{**TASK.__dict__, "random_state": 1}))
    assert not np.array_equal(other.predict(panels[0]).mean, fitted.predict(panels[0]).mean)


def test_by_default_training_does_not_depend_on_the_clock(panels, monkeypatch) -> None:
    quick = dict(channels=8, windows_per_epoch=256, patience=2)
    calm = TCNLearner(**quick).fit(panels[0], TASK)
    ticks = itertools.count(step=100.0)  # a machine so loaded that every step takes 100 s
    monkeypatch.setattr(tcn, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    loaded = TCNLearner(**quick).fit(panels[0], TASK)
    assert loaded.epochs_ == calm.epochs_ > 1
    np.testing.assert_array_equal(loaded.predict(panels[0]).mean, calm.predict(panels[0]).mean)


def test_auto_epochs_shrink_with_the_work_of_an_epoch(fitted: TCNLearner) -> None:
    learner = TCNLearner()
    small = replace(fitted.config_, context=48, levels=4, channels=32)
    learner.config_ = small
    assert learner._max_epochs() == 49  # 60 s at an estimated 1.22 s an epoch
    learner.config_ = replace(small, context=168, levels=6)
    assert learner._max_epochs() == 22
    learner.config_ = replace(small, context=512, levels=7, channels=64)
    assert learner._max_epochs() == tcn.MIN_EPOCHS
    learner.config_, learner.windows_per_epoch = small, 512
    assert learner._max_epochs() == tcn.MAX_EPOCHS
    assert TCNLearner(max_epochs=7)._max_epochs() == 7


def test_leaves_torch_settings_as_found(panels) -> None:
    import torch

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    state = torch.get_rng_state()
    TCNLearner(**{**TINY, "max_epochs": 1}).fit(panels[0], Task(**{**TASK.__dict__, "n_jobs": -1}))
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    assert torch.equal(torch.get_rng_state(), state)


def test_honours_max_time_and_deadline(panels) -> None:
    slow = {**TINY, "max_epochs": 10_000, "patience": 10_000}
    start = time.monotonic()
    learner = TCNLearner(**{**slow, "max_time": 0.3}).fit(panels[0], TASK)
    assert time.monotonic() - start < 5.0 and learner.epochs_ < 10_000
    assert np.isfinite(learner.predict(panels[0]).mean).all()
    task = Task(**{**TASK.__dict__, "deadline": time.monotonic() + 0.3})
    start = time.monotonic()
    TCNLearner(**{**slow, "max_time": None}).fit(panels[0], task)
    assert time.monotonic() - start < 5.0


def test_forecasts_newer_history_without_refit(fitted: TCNLearner, panels, monkeypatch) -> None:
    train, full = panels
    monkeypatch.setattr(TCNLearner, "_fit", lambda *a, **k: pytest.fail("refit"))
    before = dict(fitted.__dict__)
    out = fitted.predict(full)
    assert out.mean.shape == (full.n_series, H) and np.isfinite(out.mean).all()
    assert not np.array_equal(out.mean, fitted.predict(train).mean)
    assert fitted.__dict__.keys() == before.keys()


def test_series_shorter_than_the_context(fitted: TCNLearner, panels) -> None:
    lengths = panels[0].lengths.copy()
    lengths[:3] = (5, 20, H + 3)  # context is 48: left-padded with the first value
    out = fitted.predict(panels[0].head(lengths))
    assert np.isfinite(out.mean).all()
    learner = TCNLearner(**{**TINY, "max_epochs": 1}).fit(panels[0].head(lengths), TASK)
    assert np.isfinite(learner.predict(panels[0].head(lengths)).mean).all()


def test_pickle_round_trip_is_identical(fitted: TCNLearner, panels) -> None:
    loaded = pickle.loads(pickle.dumps(fitted))
    a, b = loaded.predict(panels[0]), fitted.predict(panels[0])
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.quantiles[0.9], b.quantiles[0.9])
    assert all(t.device.type == "cpu" for t in loaded.state_.values())
