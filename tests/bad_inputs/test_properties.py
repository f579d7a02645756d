"""Properties over random valid inputs (hypothesis): every series gets a forecast for every
horizon step, quantiles never cross, and the metrics match their textbook definitions.

(No fold of the splitter trains at or after its cutoff: ``tests/forecasting/test_splitters.py``;
here, end to end, the backtest.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bad_inputs.helpers import forecaster
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pandas.tseries.frequencies import to_offset

from tsauto.forecasting import metrics as M
from tsauto.forecasting.validation import validate

FREQS = ["h", "30min", "D", "B", "W-SUN", "MS", "QS", None]  # None: integer steps
SUNDAY = pd.Timestamp("2021-01-03")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def long_tables(draw, min_length: int = 2, max_length: int = 25):
    """A valid long table: random ids, lengths, starts, gaps and frequency.

    Gaps drop interior rows only, and fewer steps are gaps than not, so the frequency (the most
    common step) is the one the table was drawn at.
    """
    freq = draw(st.sampled_from(FREQS))
    names = draw(
        st.lists(st.text("abxyz019 _-", min_size=1, max_size=5), min_size=1, max_size=5, unique=True)
    )
    step = draw(st.integers(1, 3))
    parts, unit_steps, other_steps = [], 0, 0
    for name in names:
        start = draw(st.integers(0, 10))
        length = draw(st.integers(min_length, max_length))
        keep = np.ones(length, dtype=bool)
        if length > 2:
            drop = draw(st.lists(st.integers(1, length - 2), max_size=length // 4, unique=True))
            keep[drop] = False
        positions = np.arange(start, start + length)[keep]
        if freq is None:
            times = positions * step
        else:
            times = pd.date_range(SUNDAY, periods=start + length, freq=freq)[positions]
        gaps = np.diff(positions)
        unit_steps += int((gaps == 1).sum())
        other_steps += int((gaps > 1).sum())
        values = draw(
            st.lists(
                st.integers(-(10**8), 10**8).map(lambda v: v / 100),  # cents, zeros included
                min_size=len(positions),
                max_size=len(positions),
            )
        )
        parts.append(pd.DataFrame({"id": name, "t": times, "y": values}))
    assume(unit_steps > other_steps)
    return pd.concat(parts, ignore_index=True), freq, step


def _last_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values("t").groupby("id", sort=True).tail(1).set_index("id").sort_index()


@SETTINGS
@given(
    drawn=long_tables(),
    horizon=st.integers(1, 6),
    learner=st.sampled_from(["naive", "seasonal_naive"]),
    shuffle=st.booleans(),
)
def test_every_series_gets_every_horizon_step(drawn, horizon, learner, shuffle) -> None:
    table, freq, step = drawn
    if shuffle:
        table = table.sample(frac=1.0, random_state=0)
    model = forecaster(target="y", time="t", ids="id", horizon=horizon, learners=[learner]).fit(table)
    out = model.predict()
    last = _last_rows(table)
    assert len(out) == len(last) * horizon
    assert out.groupby("id").size().eq(horizon).all() and set(out["id"]) == set(last.index)
    assert np.isfinite(out["forecast"]).all()
    first = out.groupby("id", sort=True)["t"].first()
    if freq is None:
        assert (first == last["t"] + step).all() or (first > last["t"]).all()
        assert out.groupby("id")["t"].diff().dropna().gt(0).all()
    else:
        inferred = model.history_.schema.freq
        # business days that never span a weekend are daily data as far as anyone can tell
        assert to_offset(inferred) == to_offset(freq) or (freq, inferred) == ("B", "D")
        expected = [pd.date_range(t, periods=2, freq=inferred)[1] for t in last["t"]]
        assert list(first) == expected
    if learner == "naive":
        np.testing.assert_allclose(out.groupby("id", sort=True)["forecast"].first(), last["y"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drawn=long_tables(min_length=14, max_length=30),
    quantiles=st.lists(st.floats(0.01, 0.99), min_size=2, max_size=5, unique=True),
)
def test_quantiles_never_cross(drawn, quantiles) -> None:
    table, _, _ = drawn
    # MASE is undefined for a series constant over a fold's history; one defined series suffices
    # (every series constant: test_all_series_constant_in_a_search in test_forecasting_inputs)
    assume(table.sort_values("t").groupby("id")["y"].apply(lambda y: y.head(6).nunique() > 1).any())
    out = (
        forecaster(target="y", time="t", ids="id", horizon=2, learners=["naive", "seasonal_naive"], quantiles=quantiles)
        .fit(table)
        .predict()
    )
    cols = [c for c in out.columns if c.startswith("q")]
    levels = [float(c[1:]) for c in cols]
    assert levels == sorted(levels) and len(cols) == len({f"{q:g}" for q in quantiles})
    values = out[cols].to_numpy()
    assert np.isfinite(values).all()
    assert (np.diff(values, axis=1) >= -1e-9 * np.maximum(1.0, np.abs(values[:, 1:]))).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=long_tables(min_length=4, max_length=25), horizon=st.integers(1, 3), folds=st.integers(1, 3))
def test_backtest_forecasts_see_only_their_past(drawn, horizon, folds) -> None:
    """End to end: every backtest row lies after its cutoff, and naive forecasts the last value
    observed at or before the cutoff (a missing step there is not filled from later values)."""
    table, _, _ = drawn
    panel = validate(table, target="y", time="t", ids="id")
    # two observations before the oldest cutoff: a fold's refit infers the frequency again
    assume(panel.lengths.max() >= horizon * folds + 2)
    # no cutoff on a missing step (test_backtest_cutoff_on_a_missing_step, an xfail, has that)
    regular = panel.to_frame().merge(table, on=["id", "t"], how="left", suffixes=("", "_raw"))
    tail = regular.groupby("id").tail(horizon * folds + 1)
    assume(tail["y_raw"].notna().all())
    rows = forecaster(target="y", time="t", ids="id", horizon=horizon).backtest(table, folds=folds).forecasts
    assert len(rows) and (rows["t"] > rows["cutoff"]).all() and rows["step"].between(1, horizon).all()
    observed = table.sort_values("t")
    for (name, cutoff), group in rows.groupby(["id", "cutoff"]):
        past = observed[(observed["id"] == name) & (observed["t"] <= cutoff)]
        np.testing.assert_allclose(group["forecast"], past["y"].iloc[-1])
    actual = rows.merge(table, on=["id", "t"])
    np.testing.assert_allclose(actual["actual"], actual["y"])


# ---------------------------------------------------------------- metrics = their definitions

finite = st.integers(-(10**6), 10**6).map(lambda v: v / 100)  # cents: zeros and ties included


@st.composite
def pairs(draw):
    n = draw(st.integers(1, 30))
    y = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    f = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    return y, f


def _scale(x: np.ndarray, season: int, power: int) -> float:
    """mean |x[t] - x[t-m]|**power, m = season when the series is longer, else 1; a zero
    scale falls back to m = 1, then to nan (metrics.mase_scale)."""
    for m in ([season, 1] if len(x) > season else [1]):
        terms = [abs(x[t] - x[t - m]) ** power for t in range(m, len(x))]
        value = sum(terms) / len(terms) if terms else 0.0
        if value > 0:
            return value
    return float("nan")


@settings(max_examples=200, deadline=None)
@given(pair=pairs(), q=st.floats(0.01, 0.99))
def test_point_metrics_match_their_definitions(pair, q) -> None:
    y, f = pair
    n = len(y)
    assert M.mae(y, f) == pytest.approx(sum(abs(a - b) for a, b in zip(y, f)) / n)
    assert M.rmse(y, f) == pytest.approx((sum((a - b) ** 2 for a, b in zip(y, f)) / n) ** 0.5)
    nonzero = [(a, b) for a, b in zip(y, f) if a != 0]
    if nonzero:
        expected = sum(100 * abs(a - b) / abs(a) for a, b in nonzero) / len(nonzero)
        assert M.mape(y, f) == pytest.approx(expected)
    else:
        assert np.isnan(M.mape(y, f))
    terms = [200 * abs(a - b) / (abs(a) + abs(b)) if abs(a) + abs(b) > 0 else 0.0 for a, b in zip(y, f)]
    assert M.smape(y, f) == pytest.approx(sum(terms) / n)
    total = sum(abs(a) for a in y)
    if total > 0:
        assert M.wape(y, f) == pytest.approx(sum(abs(a - b) for a, b in zip(y, f)) / total)
    loss = [max(q * (a - b), (q - 1) * (a - b)) for a, b in zip(y, f)]
    assert M.pinball(y, f, q) == pytest.approx(sum(loss) / n)
    lo, hi = np.minimum(f, f + 1.0), f + 1.0
    assert M.coverage(y, lo, hi) == pytest.approx(sum(lo[i] <= y[i] <= hi[i] for i in range(n)) / n)


@settings(max_examples=200, deadline=None)
@given(
    pair=pairs(),
    insample=st.lists(finite, min_size=1, max_size=40),
    season=st.integers(1, 12),
)
def test_scaled_metrics_match_their_definitions(pair, insample, season) -> None:
    y, f = pair
    x = np.array(insample)
    mae_scale, mse_scale = _scale(x, season, 1), _scale(x, season, 2)
    mae = sum(abs(a - b) for a, b in zip(y, f)) / len(y)
    mse = sum((a - b) ** 2 for a, b in zip(y, f)) / len(y)
    if np.isnan(mae_scale):
        assert np.isnan(M.mase(y, f, x, season)) and np.isnan(M.rmsse(y, f, x, season))
        return
    assert M.mase(y, f, x, season) == pytest.approx(mae / mae_scale, rel=1e-9, abs=1e-12)
    assert M.rmsse(y, f, x, season) == pytest.approx((mse / mse_scale) ** 0.5, rel=1e-9, abs=1e-12)
