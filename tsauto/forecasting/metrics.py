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
from tsauto.core.percentage_error import mean_absolute_percentage_error

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "coverage",
    "evaluate",
    "lower_is_better",
    "mae",
    "mape",
    "mase",
    "msis",
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
    """:func:`mase_scale` of one series (nan where undefined)."""
    x = _vector(insample, "insample")
    if season < 1:
        raise ValueError(f"season must be >= 1, got {season}")
    return float(mase_scale(x, np.array([0, x.size]), season, power)[0])


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
    return 100.0 * mean_absolute_percentage_error(*_pair(y, f))


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
    return _mean(pinball_terms(y, q_pred, q))


def coverage(y: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Fraction of actuals inside the closed interval ``[lo, hi]``.

    Not lower-is-better: compare it to the nominal level of the interval.
    """
    y, lo = _pair(y, lo, "lo")
    _, hi = _pair(y, hi, "hi")
    return _mean(((y >= lo) & (y <= hi)).astype(float))


# --------------------------------------------------------------------------- scaled metrics


def msis(
    y: ArrayLike, lo: ArrayLike, hi: ArrayLike, insample: ArrayLike, season: int = 1, alpha: float = 0.05
) -> float:
    """Mean scaled interval score (M4) of the ``1 - alpha`` interval ``[lo, hi]``: its width,
    plus ``2 / alpha`` times how far each actual falls outside it, over the in-sample
    seasonal-naive MAE (the :func:`mase` scale and fallbacks)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    y, lo = _pair(y, lo, "lo")
    _, hi = _pair(y, hi, "hi")
    return _mean(interval_score_terms(y, lo, hi, alpha)) / _naive_scale(insample, season, power=1)


def interval_score_terms(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float) -> np.ndarray:
    """The interval score of every cell (Gneiting & Raftery 2007), unscaled."""
    return (hi - lo) + (2.0 / alpha) * (np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0))



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
    "msis": msis,
}
"""Metric name -> function. Signatures differ by kind: point ``(y, f)``, scaled
``(y, f, insample, season)``, ``pinball(y, q_pred, q)``, ``coverage(y, lo, hi)``,
``msis(y, lo, hi, insample, season, alpha)``."""

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


def interval_pair(levels: Sequence[float]) -> tuple[float, float] | None:
    """The outermost symmetric pair ``(q, 1-q)`` with ``q < 0.5`` among ``levels``."""
    return next(iter(interval_pairs(levels)), None)


def band_percent(lo: float, hi: float) -> str:
    """The nominal level of the band [``lo``, ``hi``] in words: '80 %', '99.8 %' (not '100%',
    user test 51)."""
    return f"{round((hi - lo) * 100, 6):g} %"  # 3 significant digits made 99.98 % '100 %' (review 51)


def interval_pairs(levels: Sequence[float]) -> list[tuple[float, float]]:
    """Every symmetric pair ``(q, 1-q)`` with ``q < 0.5`` among ``levels``, outermost first."""
    pairs = []
    for lo in sorted(levels):
        if lo >= 0.5:
            break
        hi = next((lv for lv in levels if np.isclose(lv, 1.0 - lo)), None)
        if hi is not None:
            pairs.append((lo, hi))
    return pairs


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
    columns, ``pinball`` (mean over levels), ``coverage`` (outermost symmetric pair, nominal
    level ``hi - lo``) and, with ``insample``, that pair's ``msis`` are added.
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
    groups = frame.groupby(keys, sort=True, dropna=False)
    window = groups.ngroup().to_numpy()
    index = groups.size().index
    n = len(index)
    scale_abs = scale_sq = np.full(n, np.nan)
    interval = interval_pair(list(qcols)) is not None and insample is not None
    if interval or any(m in _SCALED_METRICS for m in metrics):
        getter = _insample_getter(insample, has_cutoff)
        scale_abs, scale_sq = np.empty(n), np.empty(n)
        for i, group_key in enumerate(index):
            parts = group_key if isinstance(group_key, tuple) else (group_key,)
            series_parts, cutoff = (parts[:-1], parts[-1]) if has_cutoff else (parts, None)
            values = getter(series_parts[0] if len(ids) == 1 else tuple(series_parts), cutoff)
            scale_abs[i] = _naive_scale(values, season, power=1)
            scale_sq[i] = _naive_scale(values, season, power=2)
    y = frame["actual"].to_numpy(dtype=float)
    quants = {q: frame[c].to_numpy(dtype=float) for q, c in qcols.items()}
    out = window_table(
        y, frame["forecast"].to_numpy(dtype=float), window, scale_abs[window], scale_sq[window],
        quants, metrics,
    )
    per_series = pd.concat([index.to_frame(index=False), out], axis=1)
    aggregate = out.mean().to_frame().T
    if "wape" in out:
        aggregate["wape"] = overall_score("wape", y, frame["forecast"].to_numpy(dtype=float), window, None)
    return per_series, aggregate.reset_index(drop=True)


SEARCH_METRICS = ("mase", "smape", "wape", "rmsse", "mae", "rmse", "mape")


def window_scores(
    metric: str, actual: np.ndarray, forecast: np.ndarray, window: np.ndarray, scale: np.ndarray | None
) -> np.ndarray:
    """``metric`` per forecast window (a series at a cutoff), vectorised over all windows.

    ``window`` numbers the windows 0..n-1 for every cell; ``scale`` is the :func:`mase_scale`
    (``power=2`` for rmsse) of each cell's series at its cutoff. Undefined values are nan.
    """
    err = actual - forecast
    count = np.bincount(window).astype(np.float64)

    def mean(v: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        if where is None:
            return np.bincount(window, weights=v, minlength=count.size) / count
        c = np.bincount(window[where], minlength=count.size).astype(np.float64)
        total = np.bincount(window[where], weights=v[where], minlength=count.size)
        return np.divide(total, c, out=np.full(count.size, np.nan), where=c > 0)

    if metric in ("mae", "mase"):
        value = mean(np.abs(err))
    elif metric in ("rmse", "rmsse"):
        value = mean(err * err)
    elif metric == "smape":
        return mean(_smape_terms(actual, forecast))
    elif metric == "mape":
        nonzero = actual != 0
        ape = np.divide(100 * np.abs(err), np.abs(actual), out=np.zeros_like(err), where=nonzero)
        return mean(ape, nonzero)
    elif metric == "wape":
        total = np.bincount(window, weights=np.abs(actual), minlength=count.size)
        sae = np.bincount(window, weights=np.abs(err), minlength=count.size)
        return np.divide(sae, total, out=np.full(count.size, np.nan), where=total > 0)
    else:
        raise ValueError(f"metric {metric!r} is not one of {SEARCH_METRICS}")
    if metric in ("mase", "rmsse"):
        value = value / mean(scale)
    return np.sqrt(value) if metric in ("rmse", "rmsse") else value


def overall_score(
    metric: str, actual: np.ndarray, forecast: np.ndarray, window: np.ndarray, scale: np.ndarray | None
) -> float:
    """One number for a set of windows: the mean over windows (nan skipped), except ``wape``,
    which sums errors and actuals over all cells."""
    if metric == "wape":
        total = float(np.abs(actual).sum())
        return float(np.abs(actual - forecast).sum() / total) if total > 0 else float("nan")
    scores = window_scores(metric, actual, forecast, window, scale)
    return float(np.nanmean(scores)) if np.isfinite(scores).any() else float("nan")


def window_table(
    actual: np.ndarray,
    forecast: np.ndarray,
    window: np.ndarray,
    scale: np.ndarray,
    scale_sq: np.ndarray,
    quantiles: dict[float, np.ndarray] | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> pd.DataFrame:
    """Every metric per window (rows 0..n-1): the point metrics, and with quantile forecasts
    ``pinball`` (mean over levels, in the target's units), ``scaled_pinball`` (each cell's over
    its ``scale``, as MASE: comparable across series and data sets, as the leaderboard's; user
    test 51: 319.3 on Walmart, 580.3 on M1 quarterly), ``coverage`` and ``msis`` of the outermost
    symmetric pair (the scaled ones left out where no ``scale`` is finite, nan where it is not)."""
    out = {}
    for name in metrics:
        out[name] = window_scores(name, actual, forecast, window, scale_sq if name == "rmsse" else scale)
    if quantiles:
        count = np.bincount(window).astype(np.float64)
        levels = sorted(quantiles)
        loss = np.mean([pinball_terms(actual, quantiles[q], q) for q in levels], axis=0)
        out["pinball"] = np.bincount(window, weights=loss, minlength=count.size) / count
        if np.isfinite(scale).any():
            out["scaled_pinball"] = np.bincount(window, weights=loss / scale, minlength=count.size) / count
        pair = interval_pair(levels)
        if pair is not None:
            lo, hi = quantiles[pair[0]], quantiles[pair[1]]
            inside = (actual >= lo) & (actual <= hi)
            out["coverage"] = np.bincount(window, weights=inside, minlength=count.size) / count
            if np.isfinite(scale).any():
                score = interval_score_terms(actual, lo, hi, 1.0 - (pair[1] - pair[0])) / scale
                out["msis"] = np.bincount(window, weights=score, minlength=count.size) / count
    return pd.DataFrame(out)


def pinball_terms(y: np.ndarray, q_pred: np.ndarray, q: float) -> np.ndarray:
    """Pinball loss of every cell at quantile level ``q``."""
    return np.maximum(q * (y - q_pred), (q - 1.0) * (y - q_pred))


def lagged_difference_mean(
    y: np.ndarray, indptr: np.ndarray, lag: np.ndarray, power: int = 1,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """Per series, the mean of ``|y[t] - y[t - lag]| ** power`` (0 for a series too short).

    ``y`` holds all series concatenated, series ``i`` being ``y[indptr[i]:indptr[i+1]]``;
    ``lag`` gives each series its own lag. The MASE scale is ``power=1``; the variance of
    seasonal-naive errors is ``power=2``. ``observed``: where given, only the differences of
    two observed values (not imputed ones) count.
    """
    lengths = np.diff(indptr)
    codes = np.repeat(np.arange(len(lengths)), lengths)
    lag_rows = np.asarray(lag)[codes]
    rows = np.flatnonzero(np.arange(len(y)) - np.repeat(indptr[:-1], lengths) >= lag_rows)
    if observed is not None:
        rows = rows[observed[rows] & observed[rows - lag_rows[rows]]]
    diff = np.abs(y[rows] - y[rows - lag_rows[rows]]) ** power
    count = np.bincount(codes[rows], minlength=len(lengths)).astype(np.float64)
    total = np.bincount(codes[rows], weights=diff, minlength=len(lengths)).astype(np.float64)
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def comparable_scale(scale: np.ndarray) -> np.ndarray:
    """``scale`` (per cell), or ones where no series has one (every series constant): scaled
    errors are then undefined, so learners are compared by their unscaled errors."""
    return scale if np.isfinite(scale).any() else np.ones_like(scale)


def mase_scale(
    y: np.ndarray, indptr: np.ndarray, season: int, power: int = 1, observed: np.ndarray | None = None
) -> np.ndarray:
    """The scale of MASE (``power=1``) and RMSSE (``power=2``) per series: one rule, used by
    every metric, the search, the backtest and the intervals.

    The mean of ``|y[t] - y[t - m]| ** power`` over the series' history, with ``m = season``
    when the series is longer than the season, else ``m = 1``; where that mean is zero (a
    series that repeats its season exactly), ``m = 1``; where that is zero too, or the series
    has fewer than two points, ``nan``: the scaled error is undefined for that series and left
    out of averages. ``observed`` (a mask of ``y``): the differences of imputed values are left
    out (an interpolated stretch is a straight line, and would shrink the scale).
    """
    lengths = np.diff(indptr)
    lag = np.where(lengths > season, season, 1)
    scale = lagged_difference_mean(y, indptr, lag, power, observed)
    if season > 1:
        redo = ~(scale > 0)
        if redo.any():
            ones = np.ones_like(lag)
            scale = np.where(redo, lagged_difference_mean(y, indptr, ones, power, observed), scale)
    return np.where(scale > 0, scale, np.nan)


def normalising_scale(panel, season: int) -> np.ndarray:
    """A positive unit per series of a panel for scale-free errors (conformal intervals,
    network inputs): :func:`mase_scale`, else the series' mean absolute value, else 1."""
    scale = mase_scale(panel.y, panel.indptr, season)
    level = np.add.reduceat(np.abs(panel.y), panel.indptr[:-1]) / np.maximum(panel.lengths, 1)
    return np.where(np.isfinite(scale), scale, np.where(level > 0, level, 1.0))
