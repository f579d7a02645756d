"""Residual covariance for reconciliation: Schäfer-Strimmer shrinkage and a sampler.

``residuals`` is ``n_nodes x T`` (in-sample or cross-validation errors, one column per time or
origin and step, aligned across nodes); NaN marks a missing value. The covariance is then
pairwise (means and products over the columns where both nodes are observed, as
hierarchicalforecast's masked covariance), while lambda uses the residuals standardised per node
over all their own values (hierarchicalforecast's pairwise lambda differs by about 0.01 with 10%
missing); without missing values both equal hierarchicalforecast's to 1e-10. A node with fewer
than two residuals (a series that ended, or too short to validate) gets variance 0 and no
correlation: the weighted methods keep it at its base forecast (up to the ridge), and sampled
paths do not vary it.

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

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


def _observed(residuals: np.ndarray) -> np.ndarray:
    """The residuals as floats, rows with fewer than two values blanked (see the module doc)."""
    r = np.asarray(residuals, dtype=float)
    if r.ndim != 2:
        raise ValueError(f"residuals must be n_nodes x T, got shape {r.shape}.")
    few = (~np.isnan(r)).sum(axis=1) < 2
    if few.any():
        log.debug("%d node(s) with fewer than 2 residuals: variance 0, kept at base", few.sum())
        r = np.where(few[:, None], np.nan, r)
    return r


@dataclass(frozen=True)
class ResidualCovariance:
    """What the residuals say: pairwise covariance ``cov``, shrinkage intensity ``lam``,
    residuals centred and standardised per node (mean square 1, missing = 0) ``x``,
    observations per node ``counts`` (at least 1) and mean squared residual ``mean_square``."""

    cov: np.ndarray
    lam: float
    x: np.ndarray
    counts: np.ndarray
    mean_square: np.ndarray

    @classmethod
    def from_residuals(cls, residuals: np.ndarray) -> ResidualCovariance:
        r = _observed(residuals)
        valid = ~np.isnan(r)
        counts = np.maximum(valid.sum(axis=1), 1)
        raw = np.where(valid, r, 0.0)
        centred = np.where(valid, r - (raw.sum(axis=1) / counts)[:, None], 0.0)
        if valid.all():  # one sample size for every pair
            pairs = np.asarray(float(r.shape[1]))
            cov = centred @ centred.T
            cov /= pairs - 1
        else:  # pairwise: means and products over the columns where both are observed
            mask = valid.astype(float)
            pairs = mask @ mask.T
            sums = raw @ mask.T  # [i, j]: sum of node i's residuals where j is observed too
            cov = raw @ raw.T
            cov -= sums * sums.T / np.maximum(pairs, 1)
            cov /= np.maximum(pairs - 1, 1)
            cov[pairs < 2] = 0.0
        sd = np.sqrt(np.diag(cov))
        scale = np.outer(sd, sd)
        corr = np.divide(cov, scale, out=np.zeros_like(cov), where=scale > 0)
        sd0 = np.sqrt((centred**2).sum(axis=1) / counts)
        x = np.divide(centred, sd0[:, None], out=np.zeros_like(centred), where=sd0[:, None] > 0)
        return cls(cov, _intensity(x, corr, pairs), x, counts, (raw**2).sum(axis=1) / counts)

    def shrunk(self, ridge: float = 2e-8) -> np.ndarray:
        """``W = lam * diag(cov) + (1 - lam) * cov``, plus ``ridge`` on the diagonal."""
        w = (1 - self.lam) * self.cov
        np.fill_diagonal(w, np.diag(self.cov) + ridge)
        return w

    def noise(self) -> ResidualNoise:
        """The sampler of noise correlated as the shrunk correlation."""
        factor = self.x / np.sqrt(self.counts)[:, None]
        return ResidualNoise(factor, self.lam, np.sqrt(self.mean_square))


def _intensity(x: np.ndarray, corr: np.ndarray, pairs: np.ndarray) -> float:
    """Schäfer-Strimmer lambda. With ``x`` of mean square 1 (divisor n), ``w_kij = x_ki x_kj``
    and ``r_ij = n/(n-1) mean_k w_kij``, ``Var(r_ij) = (sum_k w_kij^2 - n mean_k w_kij^2) /
    (n (n - 1))``: two matrix products."""
    sq = x**2
    n = np.maximum(pairs, 2)
    var_r = x @ x.T
    var_r **= 2
    var_r /= n
    np.subtract(sq @ sq.T, var_r, out=var_r)
    var_r /= n * (n - 1)
    keep = np.broadcast_to(pairs >= 2, var_r.shape).copy()
    np.fill_diagonal(keep, False)
    denom = float(np.square(corr, where=keep, out=np.zeros_like(corr)).sum())
    if denom == 0:
        return 1.0
    return float(np.clip(var_r.sum(where=keep) / denom, 0.0, 1.0))


def shrunk_covariance(residuals: np.ndarray, ridge: float = 2e-8) -> tuple[np.ndarray, float]:
    """The shrunk residual covariance ``W`` (``n x n``) and the shrinkage intensity lambda."""
    est = ResidualCovariance.from_residuals(residuals)
    return est.shrunk(ridge), est.lam


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

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``n_nodes x size`` correlated standard normal draws."""
        n, t = self.factor.shape
        common = self.factor @ rng.standard_normal((t, size))
        return np.sqrt(1 - self.lam) * common + np.sqrt(self.lam) * rng.standard_normal((n, size))
