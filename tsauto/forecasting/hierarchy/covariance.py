"""Residual covariance for reconciliation: Schäfer-Strimmer shrinkage and a sampler.

``residuals`` is ``n_nodes x T`` (in-sample or cross-validation errors, one column per time or
origin and step, aligned across nodes); NaN marks a missing value. The covariance is then
pairwise (means and products over the columns where both nodes are observed, as
hierarchicalforecast's masked covariance), while lambda uses the residuals standardised per node
over all their own values (hierarchicalforecast's pairwise lambda differs by about 0.01 with 10%
missing); without missing values both equal hierarchicalforecast's to 1e-10.

Shrinkage (Schäfer & Strimmer 2005, target "D": the diagonal of the sample covariance), as used by
MinT-shrink (Wickramasuriya, Athanasopoulos & Hyndman 2019) and by hierarchicalforecast's
``MinTrace(method="mint_shrink")``: with residuals centred per node, ``s_ij`` the sample
covariance (divisor ``n - 1``), ``r_ij`` the correlation, ``x`` the residuals standardised per
node and ``w_kij = x_ki x_kj``::

    Var(r_ij) = n / (n - 1)^3 * sum_k (w_kij - mean_k w_kij)^2
    lambda    = clip(sum_{i != j} Var(r_ij) / sum_{i != j} r_ij^2, 0, 1)
    W         = lambda * diag(s) + (1 - lambda) * s      (+ ridge on the diagonal)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _Estimate:
    cov: np.ndarray  # pairwise sample covariance (pairwise means, divisor n - 1)
    lam: float  # shrinkage intensity
    x: np.ndarray  # residuals centred and standardised per node (mean square 1), NaN -> 0
    counts: np.ndarray  # observations per node


def _estimate(residuals: np.ndarray) -> _Estimate:
    r = np.asarray(residuals, dtype=float)
    if r.ndim != 2:
        raise ValueError(f"residuals must be n_nodes x T, got shape {r.shape}.")
    valid = ~np.isnan(r)
    counts = valid.sum(axis=1)
    if (counts < 2).any():
        raise ValueError(
            f"{int((counts < 2).sum())} node(s) have fewer than 2 residuals (e.g. row "
            f"{int(np.flatnonzero(counts < 2)[0])}): give at least two per node."
        )
    raw = np.where(valid, r, 0.0)
    mask = valid.astype(float)
    pairs = mask @ mask.T
    sums = raw @ mask.T  # [i, j]: sum of node i's residuals where both i and j are observed
    cov = (raw @ raw.T - sums * sums.T / np.maximum(pairs, 1)) / np.maximum(pairs - 1, 1)
    cov[pairs < 2] = 0.0
    centred = np.where(valid, r - (np.diag(sums) / counts)[:, None], 0.0)
    sd = np.sqrt(np.diag(cov))
    corr = np.divide(cov, np.outer(sd, sd), out=np.zeros_like(cov), where=np.outer(sd, sd) > 0)
    sd0 = np.sqrt((centred**2).sum(axis=1) / counts)
    x = np.divide(centred, sd0[:, None], out=np.zeros_like(centred), where=sd0[:, None] > 0)
    return _Estimate(cov, _intensity(x, corr, pairs), x, counts)


def _intensity(x: np.ndarray, corr: np.ndarray, pairs: np.ndarray) -> float:
    """Schäfer-Strimmer lambda. With ``x`` of mean square 1 (divisor n), ``w_kij = x_ki x_kj``
    and ``r_ij = n/(n-1) mean_k w_kij``, ``Var(r_ij) = (sum_k w_kij^2 - n mean_k w_kij^2) /
    (n (n - 1))``: two matrix products."""
    sq = x**2
    n = np.maximum(pairs, 2)
    var_r = (sq @ sq.T - (x @ x.T) ** 2 / n) / (n * (n - 1))
    off = ~np.eye(len(corr), dtype=bool) & (pairs >= 2)
    denom = float((corr[off] ** 2).sum())
    if denom == 0:
        return 1.0
    return float(np.clip(var_r[off].sum() / denom, 0.0, 1.0))


def shrunk_covariance(residuals: np.ndarray, ridge: float = 2e-8) -> tuple[np.ndarray, float]:
    """The shrunk residual covariance ``W`` (``n x n``) and the shrinkage intensity lambda."""
    est = _estimate(residuals)
    w = (1 - est.lam) * est.cov
    np.fill_diagonal(w, np.diag(est.cov) + ridge)
    return w, est.lam


@dataclass(frozen=True)
class ResidualNoise:
    """Draws standard normal noise whose correlation across nodes is the shrunk residual
    correlation ``lambda * I + (1 - lambda) * R``, without forming an ``n x n`` matrix:
    ``sqrt(1 - lambda) * F @ g + sqrt(lambda) * e`` with ``F`` the standardised residuals
    divided by the square root of each node's count (so ``F F' = R``; missing values count as
    0, an approximation of the pairwise ``R``), ``g`` and ``e`` independent standard normals.
    ``rms``: each node's root mean square residual, the default noise scale."""

    factor: np.ndarray
    lam: float
    rms: np.ndarray

    @classmethod
    def from_residuals(cls, residuals: np.ndarray) -> "ResidualNoise":
        est = _estimate(residuals)
        rms = np.sqrt(np.nanmean(np.asarray(residuals, float) ** 2, axis=1))
        return cls(est.x / np.sqrt(est.counts)[:, None], est.lam, rms)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``n_nodes x size`` correlated standard normal draws."""
        n, t = self.factor.shape
        common = self.factor @ rng.standard_normal((t, size))
        return np.sqrt(1 - self.lam) * common + np.sqrt(self.lam) * rng.standard_normal((n, size))
