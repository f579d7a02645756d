"""Forecast accuracy metrics: pure functions over arrays and series ids.

Point metrics take 1-D arrays of actuals ``y`` and forecasts ``f`` of equal length. Percentage
metrics (``mape``, ``smape``) are in percent, as in the M4 competition. Scaled metrics
(``mase``, ``rmsse``) divide by the in-sample error of the seasonal naive forecast.
:func:`evaluate` scores a long table of forecasts per series (and per cutoff) at once.
Nothing here fits a model, except the fixed M4 ``naive2`` benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "coverage",
    "evaluate",
    "lower_is_better",
    "mae",
    "mape",
    "mase",
    "naive2",
    "owa",
    "pinball",
    "rmse",
    "rmsse",
    "seasonality_test",
    "smape",
    "wape",
]

ArrayLike = Any
InsampleSource = (
    Mapping[Hashable, ArrayLike] | Callable[[Hashable, Any], ArrayLike] | None
)


# --------------------------------------------------------------------------- helpers


def _vector(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}; pass one series at a time")
    return arr


def _pair(y: ArrayLike, f: ArrayLike, f_name: str = "f") -> tuple[np.ndarray, np.ndarray]:
    y_arr, f_arr = _vector(y, "y"), _vector(f, f_name)
    if y_arr.shape != f_arr.shape:
        raise ValueError(
            f"y and {f_name} must have the same length, got {y_arr.size} and {f_arr.size}"
        )
    return y_arr, f_arr


def _mean(x: np.ndarray) -> float:
    """Mean that returns nan (without a warning) for an empty array."""
    return float(x.mean()) if x.size else float("nan")


def _naive_scale(insample: ArrayLike, season: int, power: int) -> float:
    """Mean of |x[t] - x[t-season]|**power over the in-sample series, with M4 fallbacks.

    A series not longer than ``season`` uses ``season=1``; a zero scale falls back to
    ``season=1``; if that is zero too (or the series has fewer than 2 points), returns nan.
    """
    x = _vector(insample, "insample")
    if season < 1:
        raise ValueError(f"season must be >= 1, got {season}")
    if x.size <= season:
        season = 1
    for m in dict.fromkeys((season, 1)):
        diffs = np.abs(x[m:] - x[:-m]) ** power
        scale = _mean(diffs)
        if scale > 0:
            return scale
    return float("nan")


# --------------------------------------------------------------------------- point metrics


def mae(y: ArrayLike, f: ArrayLike) -> float:
    """Mean absolute error."""
    y, f = _pair(y, f)
    return _mean(np.abs(y - f))


def rmse(y: ArrayLike, f: ArrayLike) -> float:
    """Root mean squared error."""
    y, f = _pair(y, f)
    return float(np.sqrt(_mean((y - f) ** 2)))


def mape(y: ArrayLike, f: ArrayLike) -> float:
    """Mean absolute percentage error in percent; entries with ``y == 0`` are ignored.

    Returns nan when every actual is zero.
    """
    y, f = _pair(y, f)
    keep = y != 0
    return _mean(100.0 * np.abs(y[keep] - f[keep]) / np.abs(y[keep]))


def smape(y: ArrayLike, f: ArrayLike) -> float:
    """Symmetric MAPE in percent (M4): mean of ``200 |y-f| / (|y|+|f|)``; 0/0 terms count 0."""
    y, f = _pair(y, f)
    return _mean(_smape_terms(y, f))


def _smape_terms(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    den = np.abs(y) + np.abs(f)
    num = 200.0 * np.abs(y - f)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def wape(y: ArrayLike, f: ArrayLike) -> float:
    """Weighted absolute percentage error ``sum|y-f| / sum|y|`` (a ratio, not percent).

    Returns nan when every actual is zero.
    """
    y, f = _pair(y, f)
    den = np.abs(y).sum()
    return float(np.abs(y - f).sum() / den) if den > 0 else float("nan")


def pinball(y: ArrayLike, q_pred: ArrayLike, q: float) -> float:
    """Mean pinball (quantile) loss of the forecast ``q_pred`` of quantile level ``q``."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"quantile level q must lie strictly between 0 and 1, got {q}")
    y, q_pred = _pair(y, q_pred, "q_pred")
    diff = y - q_pred
    return _mean(np.maximum(q * diff, (q - 1.0) * diff))


def coverage(y: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Fraction of actuals inside the closed interval ``[lo, hi]``.

    Not lower-is-better: compare it to the nominal level of the interval.
    """
    y, lo = _pair(y, lo, "lo")
    _, hi = _pair(y, hi, "hi")
    return _mean(((y >= lo) & (y <= hi)).astype(float))


# --------------------------------------------------------------------------- scaled metrics


def mase(y: ArrayLike, f: ArrayLike, insample: ArrayLike, season: int = 1) -> float:
    """Mean absolute scaled error (M4): MAE over the in-sample seasonal-naive MAE.

    The scale is ``mean|x[t] - x[t-season]|`` over ``insample``; a series not longer than
    ``season`` uses ``season=1``; a zero scale falls back to ``season=1`` and then to nan.
    """
    return mae(y, f) / _naive_scale(insample, season, power=1)


def rmsse(y: ArrayLike, f: ArrayLike, insample: ArrayLike, season: int = 1) -> float:
    """Root mean squared scaled error (M5 uses ``season=1``), same fallbacks as :func:`mase`."""
    y, f = _pair(y, f)
    return float(np.sqrt(_mean((y - f) ** 2) / _naive_scale(insample, season, power=2)))


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall weighted average (M4): mean of sMAPE and MASE relative to Naive2."""
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


# --------------------------------------------------------------------------- Naive2 benchmark


def seasonality_test(x: ArrayLike, season: int) -> bool:
    """90% autocorrelation test for seasonality at lag ``season`` (M4 benchmark code).

    Seasonal if ``|acf_m| > 1.645 * sqrt((1 + 2 * sum_{k<m} acf_k**2) / n)``. Series shorter
    than ``3 * season``, ``season <= 1`` and constant series are not seasonal. Unlike R's
    ``acf`` default ``lag.max = 10 log10(n)``, lag ``season`` is always computed.
    """
    x = _vector(x, "x")
    n = x.size
    if season <= 1 or n < 3 * season:
        return False
    d = x - x.mean()
    denom = float(d @ d)
    if denom <= 0:
        return False
    acf = np.array([float(d[k:] @ d[: n - k]) / denom for k in range(1, season + 1)])
    limit = 1.645 * np.sqrt((1.0 + 2.0 * np.sum(acf[: season - 1] ** 2)) / n)
    return bool(abs(acf[season - 1]) > limit)


def _seasonal_indices(x: np.ndarray, season: int) -> np.ndarray:
    """Multiplicative classical decomposition (R ``decompose``): index per position mod season."""
    if season % 2 == 0:
        weights = np.r_[0.5, np.ones(season - 1), 0.5] / season
    else:
        weights = np.ones(season) / season
    half = weights.size // 2
    trend = np.convolve(x, weights, mode="valid")
    positions = np.arange(half, half + trend.size)
    ratios = x[positions] / trend
    cycle = positions % season
    figure = np.bincount(cycle, ratios, season) / np.bincount(cycle, minlength=season)
    return figure / figure.mean()


def naive2(insample: ArrayLike, horizon: int, season: int = 1) -> np.ndarray:
    """M4 Naive2 benchmark: naive forecast of the seasonally adjusted series, reseasonalised.

    Seasonal indices come from a multiplicative classical decomposition (centred moving
    average), used only when :func:`seasonality_test` passes; ``season <= 1``, series shorter
    than ``3 * season`` and series with non-positive values get the plain naive forecast.
    """
    x = _vector(insample, "insample")
    if x.size == 0:
        raise ValueError("insample is empty; naive2 needs at least one observation")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if season > 1 and np.all(x > 0) and seasonality_test(x, season):
        index = _seasonal_indices(x, season)
        if np.all(np.isfinite(index)) and np.all(index > 0):
            n = x.size
            level = x[-1] / index[(n - 1) % season]
            return level * index[np.arange(n, n + horizon) % season]
    return np.full(horizon, x[-1])


# --------------------------------------------------------------------------- registry

METRICS: dict[str, Callable[..., float]] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
    "mase": mase,
    "rmsse": rmsse,
    "wape": wape,
    "pinball": pinball,
    "coverage": coverage,
}
"""Metric name -> function. Signatures differ by kind: point ``(y, f)``, scaled
``(y, f, insample, season)``, ``pinball(y, q_pred, q)``, ``coverage(y, lo, hi)``."""

DEFAULT_METRICS: tuple[str, ...] = ("mae", "rmse", "mape", "smape", "mase", "rmsse", "wape")

_POINT_METRICS = ("mae", "rmse", "mape", "smape", "mase", "rmsse", "wape")
_SCALED_METRICS = ("mase", "rmsse")


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of metric ``name`` is better.

    True for every metric except ``coverage``, which is best when closest to the nominal
    level of its interval (so it returns False).
    """
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; choose one of {sorted(METRICS)}")
    return name != "coverage"


# --------------------------------------------------------------------------- evaluate

_QUANTILE_COLUMN = re.compile(r"^q(0?\.\d+)$")


def _quantile_columns(
    columns: Sequence[Hashable], quantiles: Sequence[float] | None
) -> dict[float, Hashable]:
    """Map quantile level -> column for columns named like ``q0.1`` (sorted by level)."""
    found: dict[float, Hashable] = {}
    for col in columns:
        match = _QUANTILE_COLUMN.match(col) if isinstance(col, str) else None
        if match:
            found[float(match.group(1))] = col
    if quantiles is None:
        return dict(sorted(found.items()))
    chosen: dict[float, Hashable] = {}
    for level in quantiles:
        col = next((c for lv, c in found.items() if np.isclose(lv, level)), None)
        if col is None:
            raise DataValidationError(
                f"no column for quantile {level}; add a column named 'q{level}' or drop it "
                f"from quantiles (found quantile columns: {list(found.values())})"
            )
        chosen[float(level)] = col
    return dict(sorted(chosen.items()))


def _interval_pair(levels: Sequence[float]) -> tuple[float, float] | None:
    """The outermost symmetric pair ``(q, 1-q)`` with ``q < 0.5`` among ``levels``."""
    for lo in sorted(levels):
        if lo >= 0.5:
            break
        hi = next((lv for lv in levels if np.isclose(lv, 1.0 - lo)), None)
        if hi is not None:
            return lo, hi
    return None


def _insample_getter(
    insample: InsampleSource, has_cutoff: bool
) -> Callable[[Hashable, Any], ArrayLike]:
    if callable(insample) and not isinstance(insample, Mapping):
        return insample
    if isinstance(insample, Mapping):
        mapping = insample

        def lookup(key: Hashable, cutoff: Any) -> ArrayLike:
            full_key = (key, cutoff) if has_cutoff else key
            try:
                return mapping[full_key]
            except KeyError:
                raise DataValidationError(
                    f"insample has no entry for {full_key!r}; add the training values of that "
                    "series" + (" at that cutoff" if has_cutoff else "")
                ) from None

        return lookup
    raise TypeError(
        f"insample must be a mapping or a callable(key, cutoff), got {type(insample).__name__}"
    )


def evaluate(
    frame: pd.DataFrame,
    *,
    id_cols: str | Sequence[str],
    insample: InsampleSource,
    season: int,
    metrics: Sequence[str] = DEFAULT_METRICS,
    quantiles: Sequence[float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score forecasts per series (and per cutoff), then aggregate.

    ``frame`` is long: the ``id_cols``, ``actual``, ``forecast``, optionally a ``cutoff``
    column (one evaluation window per value, e.g. rolling-origin folds) and optionally
    quantile forecasts in columns named like ``q0.1``, ``q0.9`` (``quantiles`` picks levels;
    by default every such column is used).

    ``insample`` gives the training values that scale ``mase``/``rmsse`` (both use
    ``season``). The series key is the id value when there is one id column, else the tuple
    of id values. Pass either a callable ``insample(key, cutoff) -> array`` (``cutoff`` is
    None without a cutoff column) or a mapping keyed by ``key`` -- by ``(key, cutoff)`` when
    ``frame`` has a cutoff column. ``None`` is allowed when no scaled metric is requested.

    Returns ``(per_series, aggregate)``: ``per_series`` has the id (and cutoff) columns and
    one column per metric; ``aggregate`` has one row holding the mean over its rows
    (NaNs skipped), except ``wape``, which is computed over all rows at once. With quantile
    columns, ``pinball`` (mean over levels) and ``coverage`` (outermost symmetric pair,
    nominal level ``hi - lo``) are added.
    """
    ids = [id_cols] if isinstance(id_cols, str) else list(id_cols)
    metrics = list(dict.fromkeys(metrics))
    if not ids:
        raise ValueError("id_cols is empty; name at least one column that identifies a series")
    unknown = [m for m in metrics if m not in _POINT_METRICS]
    if unknown:
        raise ValueError(
            f"unknown metrics {unknown}; choose from {list(_POINT_METRICS)} (pinball and "
            "coverage are added automatically when quantile columns exist)"
        )
    if insample is None and any(m in _SCALED_METRICS for m in metrics):
        raise ValueError(
            "mase/rmsse need insample values; pass insample, or metrics without mase and rmsse"
        )
    if season < 1:
        raise ValueError(f"season must be >= 1, got {season}")
    missing = [c for c in [*ids, "actual", "forecast"] if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"frame lacks columns {missing}; it needs the id columns, 'actual' and 'forecast'"
        )
    has_cutoff = "cutoff" in frame.columns
    qcols = _quantile_columns(list(frame.columns), quantiles)
    for col in ["actual", "forecast", *qcols.values()]:
        n_bad = int(frame[col].isna().sum())
        if n_bad:
            raise DataValidationError(
                f"column {col!r} has {n_bad} missing values; drop those rows or fill them "
                "before scoring"
            )

    keys = [*ids, "cutoff"] if has_cutoff else ids
    y = frame["actual"].to_numpy(dtype=float)
    f = frame["forecast"].to_numpy(dtype=float)
    err = y - f
    nonzero = y != 0
    rows = frame[keys].copy()
    rows["_ae"] = np.abs(err)
    rows["_se"] = err**2
    safe_y = np.where(nonzero, np.abs(y), 1.0)
    rows["_ape"] = np.where(nonzero, 100.0 * np.abs(err) / safe_y, np.nan)
    rows["_sape"] = _smape_terms(y, f)
    rows["_absy"] = np.abs(y)
    metric_cols: list[str] = []
    if qcols:
        losses = [
            np.maximum(q * (y - qp), (q - 1.0) * (y - qp))
            for q, qp in ((q, frame[c].to_numpy(dtype=float)) for q, c in qcols.items())
        ]
        rows["_pinball"] = np.mean(losses, axis=0)
        pair = _interval_pair(list(qcols))
        if pair is not None:
            lo = frame[qcols[pair[0]]].to_numpy(dtype=float)
            hi = frame[qcols[pair[1]]].to_numpy(dtype=float)
            rows["_cover"] = ((y >= lo) & (y <= hi)).astype(float)

    grouped = rows.groupby(keys, sort=True, dropna=False)
    sums = grouped[["_ae", "_se", "_absy"]].sum()
    means = grouped.mean()  # NaN-skipping: mape ignores y == 0 rows
    out = pd.DataFrame(index=sums.index)
    if any(m in _SCALED_METRICS for m in metrics):
        getter = _insample_getter(insample, has_cutoff)
        scale_abs = np.empty(len(out))
        scale_sq = np.empty(len(out))
        for i, group_key in enumerate(out.index):
            parts = group_key if isinstance(group_key, tuple) else (group_key,)
            series_parts, cutoff = (parts[:-1], parts[-1]) if has_cutoff else (parts, None)
            key = series_parts[0] if len(ids) == 1 else tuple(series_parts)
            values = getter(key, cutoff)
            scale_abs[i] = _naive_scale(values, season, power=1)
            scale_sq[i] = _naive_scale(values, season, power=2)
    for name in metrics:
        if name == "mae":
            out[name] = means["_ae"]
        elif name == "rmse":
            out[name] = np.sqrt(means["_se"])
        elif name == "mape":
            out[name] = means["_ape"]
        elif name == "smape":
            out[name] = means["_sape"]
        elif name == "wape":
            out[name] = sums["_ae"] / sums["_absy"].where(sums["_absy"] > 0)
        elif name == "mase":
            out[name] = means["_ae"] / scale_abs
        elif name == "rmsse":
            out[name] = np.sqrt(means["_se"] / scale_sq)
        metric_cols.append(name)
    if "_pinball" in rows:
        out["pinball"] = means["_pinball"]
        metric_cols.append("pinball")
    if "_cover" in rows:
        out["coverage"] = means["_cover"]
        metric_cols.append("coverage")

    per_series = out.reset_index()
    aggregate = out[metric_cols].mean().to_frame().T
    if "wape" in metric_cols:
        total = rows["_absy"].sum()
        aggregate["wape"] = rows["_ae"].sum() / total if total > 0 else np.nan
    return per_series, aggregate.reset_index(drop=True)


def lagged_difference_mean(
    y: np.ndarray, indptr: np.ndarray, lag: np.ndarray, power: int = 1
) -> np.ndarray:
    """Per series, the mean of ``|y[t] - y[t - lag]| ** power`` (0 for a series too short).

    ``y`` holds all series concatenated, series ``i`` being ``y[indptr[i]:indptr[i+1]]``;
    ``lag`` gives each series its own lag. The MASE scale is ``power=1``; the variance of
    seasonal-naive errors is ``power=2``.
    """
    lengths = np.diff(indptr)
    codes = np.repeat(np.arange(len(lengths)), lengths)
    lag_rows = np.asarray(lag)[codes]
    rows = np.flatnonzero(np.arange(len(y)) - np.repeat(indptr[:-1], lengths) >= lag_rows)
    diff = np.abs(y[rows] - y[rows - lag_rows[rows]]) ** power
    count = np.bincount(codes[rows], minlength=len(lengths)).astype(np.float64)
    total = np.bincount(codes[rows], weights=diff, minlength=len(lengths))
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
