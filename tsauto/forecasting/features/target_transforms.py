"""Per-series target transforms, applied before featurising and inverted on the way out.

A transform is fitted on whatever history it is given (training data, or newer data passed
as ``history=``), so the same fitted model forecasts from any history without refitting.
Order: ``log1p`` → ``diff`` (lag ``d``) → ``scale`` (per-series standardisation); ``log1p``,
which needs the target itself, must come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError, shortlist
from tsauto.forecasting.features.lags import positions, tail_buffer
from tsauto.forecasting.panel import Panel, output_times

# Series the differencing vote tests, evenly spaced among those long enough: every series of
# most panels (414 M4 Hourly series of 700-960 points: 35 ms in all). With 60, the vote of M4
# Hourly's validation windows was 47-48 % (every series: 53-54 %) and M1 monthly's 50 % (57 %):
# noise deciding the model.
KPSS_SAMPLE = 2000
KPSS_MIN_LENGTH = 16

SHOWN = 3  # series, and time stamps of each, named in a message


class TargetTransform:
    """One invertible per-series transform of the flat target array."""

    def fit_transform(self, y: np.ndarray, panel: Panel) -> np.ndarray:
        """Transform ``y`` (the panel's target, or it transformed), cut into series by
        ``panel.indptr``, fitting the transform on it."""
        raise NotImplementedError

    def inverse(self, forecasts: np.ndarray) -> np.ndarray:
        """Invert a (n_series, horizon) block of forecasts that follows the fitted history."""
        raise NotImplementedError


class Log1p(TargetTransform):
    """``log(1 + y)``; needs a non-negative target."""

    def fit_transform(self, y: np.ndarray, panel: Panel) -> np.ndarray:
        negative = y < 0
        if negative.any():
            target = panel.schema.target
            raise DataValidationError(
                f"target_transform 'log1p' needs a non-negative target, but {target!r} is "
                f"negative in {_where(negative, panel)}. Drop 'log1p' from target_transform "
                "(e.g. target_transform=['diff1', 'scale']) or shift the target to be "
                "non-negative (add a constant to it, and subtract it from the forecasts)."
            )
        return np.log1p(y)

    def inverse(self, forecasts: np.ndarray) -> np.ndarray:
        return np.expm1(forecasts)


@dataclass
class Difference(TargetTransform):
    """``y[t] - y[t - lag]`` within each series (the first ``lag`` values become NaN)."""

    lag: int = 1
    tail_: np.ndarray = field(init=False, repr=False)

    def fit_transform(self, y: np.ndarray, panel: Panel) -> np.ndarray:
        indptr = panel.indptr
        out = np.full(len(y), np.nan)
        out[self.lag :] = y[self.lag :] - y[: -self.lag] if len(y) > self.lag else out[self.lag :]
        out[positions(indptr) < self.lag] = np.nan
        self.tail_ = tail_buffer(y, indptr, self.lag)
        return out

    def inverse(self, forecasts: np.ndarray) -> np.ndarray:
        n, horizon = forecasts.shape
        ext = np.concatenate([self.tail_, np.zeros((n, horizon))], axis=1)
        for s in range(horizon):
            ext[:, self.lag + s] = forecasts[:, s] + ext[:, s]
        return ext[:, self.lag :]


@dataclass
class Scale(TargetTransform):
    """Per-series standardisation ``(y - mean) / std`` (std 0 → 1), over the whole history.

    Tried and not taken (2026-12-06, LightGBM alone, the last 2 windows of the training parts,
    OWA per window, whole history → median and IQR / 1.349 → the last ``max(3 m, 2 h)`` points):
    M1 quarterly 0.882 / 0.789 → 0.949 / 0.847 → 0.881 / 0.792, monthly 0.926 / 1.184 →
    0.987 / 1.231 → 0.932 / 1.190, Australian retail 0.612 / 0.596 → 0.614 / 0.617 → 0.637 /
    0.616, Walmart (300 series) 0.591 / 0.680 → 0.587 / 0.685 → the same, Wikipedia 1.877 /
    2.038 → 2.273 / 2.283 → 2.895 / 1.928, M4 Weekly 0.756 / 0.840 → 32.3 / 13.7 (differenced
    series of IQR near 0) → 0.913 / 0.931, Hourly 0.481 / 0.464 → 0.621 / 0.625 → 0.503 /
    0.497: a scale robust to a viral spike (a Wikipedia page forecast 28x its last value) or
    following the recent level is worse almost everywhere."""

    loc_: np.ndarray = field(init=False, repr=False)
    scale_: np.ndarray = field(init=False, repr=False)

    def fit_transform(self, y: np.ndarray, panel: Panel) -> np.ndarray:
        indptr = panel.indptr
        finite = np.isfinite(y)
        v = np.where(finite, y, 0.0)
        starts = indptr[:-1]
        count = np.add.reduceat(finite.astype(np.float64), starts) if len(y) else np.zeros(0)
        total = np.add.reduceat(v, starts) if len(y) else np.zeros(0)
        loc = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        codes = np.repeat(np.arange(len(starts)), np.diff(indptr))
        dev = np.where(finite, y - loc[codes], 0.0)
        var = np.divide(
            np.add.reduceat(dev * dev, starts) if len(y) else np.zeros(0),
            count,
            out=np.zeros_like(total),
            where=count > 0,
        )
        scale = np.sqrt(var)
        scale[~(scale > 1e-12 * np.maximum(np.abs(loc), 1.0))] = 1.0
        self.loc_, self.scale_ = loc, scale
        return (y - loc[codes]) / scale[codes]

    def inverse(self, forecasts: np.ndarray) -> np.ndarray:
        return forecasts * self.scale_[:, None] + self.loc_[:, None]


def make_transforms(spec: tuple[str, ...]) -> list[TargetTransform]:
    """Transforms from names: ``"log1p"``, ``"diff"``/``"diff<d>"``, ``"scale"``."""
    out: list[TargetTransform] = []
    for name in spec:
        if name == "log1p":
            if out:
                raise DataValidationError(
                    f"target_transform {list(spec)!r}: 'log1p' takes the logarithm of the "
                    "target itself and must come first, e.g. ['log1p', 'diff1', 'scale']."
                )
            out.append(Log1p())
        elif name.startswith("diff"):
            lag = int(name[4:] or 1)
            out.append(Difference(lag))
        elif name == "scale":
            out.append(Scale())
        else:
            raise DataValidationError(
                f"target_transform {name!r} is unknown; use 'scale', 'log1p', 'diff' or "
                "'diff<lag>' (e.g. 'diff24'), or a list of these."
            )
    return out


def forward(transforms: list[TargetTransform], panel: Panel) -> np.ndarray:
    """The panel's target through the transforms in order, fitting each on it."""
    y = panel.y
    for t in transforms:
        y = t.fit_transform(y, panel)
    return y


def backward(transforms: list[TargetTransform], forecasts: np.ndarray) -> np.ndarray:
    """Invert forecasts through the transforms in reverse order."""
    for t in reversed(transforms):
        forecasts = t.inverse(forecasts)
    return forecasts


def _where(rows: np.ndarray, panel: Panel) -> str:
    """Where the flagged ``rows`` of the panel lie: how many, and by series (its ids) how
    many and at which times."""
    codes = panel.series_codes()[rows]
    series, counts = np.unique(codes, return_counts=True)
    times = pd.Index(output_times(panel.times[rows], panel.schema)).astype(str)
    parts = []
    for i, n in zip(series[:SHOWN], counts[:SHOWN]):
        stamps = times[codes == i]
        shown = shortlist(stamps, SHOWN)
        parts.append(f"{_rows(n)} ({panel.schema.time} {shown})")
    if not len(panel.keys.columns):
        return parts[0]
    keys = [f"{panel.keys.iloc[i].to_dict()} at {p}" for i, p in zip(series, parts)]
    more = f"; and {len(series) - SHOWN} more series" if len(series) > SHOWN else ""
    return f"{_rows(len(codes))} of {len(series)} series: " + "; ".join(keys) + more


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def mostly_nonstationary(y: np.ndarray, indptr: np.ndarray, max_series: int = KPSS_SAMPLE) -> bool:
    """Whether most series are non-stationary in level.

    Tree models cannot extrapolate beyond the levels seen in training, so trending or
    wandering series are modelled in first differences. The KPSS test (5 %) decides, on an
    evenly spaced sample of the series with at least 16 observations.
    """
    import warnings

    from statsmodels.tsa.stattools import kpss

    lengths = np.diff(indptr)
    eligible = np.flatnonzero(lengths >= KPSS_MIN_LENGTH)
    if eligible.size == 0:
        return False
    sample = eligible[np.linspace(0, eligible.size - 1, min(max_series, eligible.size)).astype(int)]
    votes = []
    for i in np.unique(sample):
        x = y[indptr[i] : indptr[i + 1]]
        if np.ptp(x) == 0:
            votes.append(False)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                p_value = kpss(x, regression="c", nlags="auto")[1]
            except (OverflowError, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
                # statsmodels' automatic lag overflows on a series of zeros but for a blip
                # (Walmart's Store 9 / Dept 78 carried with zeros in a hierarchy): stationary
                p_value = 1.0
        votes.append(p_value < 0.05)
    return bool(np.mean(votes) > 0.5)
