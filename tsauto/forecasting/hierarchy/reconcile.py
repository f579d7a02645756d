"""Forecast reconciliation: base forecasts of every node in, coherent forecasts out.

Methods (``base``: ``n_nodes x h`` in the rows of ``S``; ``S = [C; I]``, aggregates first):

* ``bottom_up``: the bottom forecasts, summed (``P = [0 | I]``).
* ``top_down``: the total's forecast split by proportions; ``middle_out``: the forecasts of the
  nodes of ``level`` split down the same way, and summed above it. ``proportions``:
  ``"average_proportions"`` (Gross-Sohl method A: the mean over time of each series' share of
  its node, over the times where that node is positive), ``"proportion_averages"`` (method F:
  the series' mean over the node's mean) from ``history`` (actuals, absent = 0), or
  ``"forecast_proportions"`` (nested hierarchies: the product, down the levels, of each node's
  share of its parent's children's forecasts; an equal split where those sum to 0).
* ``ols``, ``wls_struct``, ``wls_var``, ``mint_shrink``: the trace minimisation (MinT) family,
  ``P = (S' W^-1 S)^-1 S' W^-1`` with ``W`` the identity, ``diag(S 1)`` (series per node), the
  residuals' mean squares, or their Schäfer-Strimmer shrunk covariance
  (:mod:`.covariance`); all with a ridge of ``2e-8`` on ``W``'s diagonal except ``ols``.
  Computed in the equivalent form of Wickramasuriya et al. (2019), ``P = J - J W U (U' W U)^-1
  U'`` with ``U' = [I | -C]``, which solves a system of the size of the aggregates only.

Quantiles (:meth:`Reconciler.sample_quantiles`): normal sample paths around the base forecasts,
correlated across nodes as the residuals are (their sample correlation, not the shrunk one
``W`` weighs with, which narrowed the bands of sums: :class:`~.covariance.ResidualNoise`) and
scaled per node (and step) by ``scale`` (default each node's root mean square residual), are
reconciled with the same method; the quantiles are the empirical quantiles of the reconciled
paths, so they never cross at any node and the paths are coherent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from tsauto.forecasting.hierarchy.covariance import ResidualCovariance
from tsauto.forecasting.hierarchy.spec import HierarchySpec

METHODS = ("bottom_up", "top_down", "middle_out", "ols", "wls_struct", "wls_var", "mint_shrink")
MINT = ("ols", "wls_struct", "wls_var", "mint_shrink")
PROPORTIONS = ("average_proportions", "proportion_averages", "forecast_proportions")
NEEDS_RESIDUALS = ("wls_var", "mint_shrink")

HierarchyLike = HierarchySpec | np.ndarray | sparse.spmatrix
Guard = Callable[[np.ndarray], np.ndarray]  # reconciled bottom series in, guarded out


class Reconciler:
    """Reconciliation of base forecasts; ``fit`` learns the map, ``transform`` applies it.

    Parameters
    ----------
    method:
        One of :data:`METHODS` (see the module docstring).
    level:
        ``middle_out`` only: the level whose base forecasts are split down (a name or its
        columns, as :meth:`HierarchySpec.level_index` takes).
    proportions:
        ``top_down`` and ``middle_out``: one of :data:`PROPORTIONS`.
    ridge:
        Added to the diagonal of ``W`` (weighted methods).
    """

    def __init__(
        self,
        method: str = "mint_shrink",
        level: str | Sequence[str] | None = None,
        proportions: str = "average_proportions",
        ridge: float = 2e-8,
    ):
        self.method = method
        self.level = level
        self.proportions = proportions
        self.ridge = ridge

    def fit(
        self,
        hierarchy: HierarchyLike,
        residuals: np.ndarray | None = None,
        history: np.ndarray | None = None,
    ) -> Reconciler:
        """Learn the map. ``hierarchy``: a :class:`HierarchySpec`, or a summing matrix ``S``
        with its bottom identity last (every method but ``middle_out`` and forecast
        proportions). ``residuals`` (``n_nodes x T``, NaN allowed): needed by ``wls_var`` and
        ``mint_shrink`` and by :meth:`sample_quantiles`. ``history`` (``n_nodes x T`` actuals
        aligned on time, NaN = absent): needed by the historical proportions."""
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r}: choose one of {METHODS}.")
        S, spec = _structure(hierarchy)
        n = S.shape[0]
        self.S_, self.n_aggregates_ = S, n - S.shape[1]
        if self.method in NEEDS_RESIDUALS and residuals is None:
            raise ValueError(f"method={self.method!r} needs residuals= (n_nodes x T).")
        est = None
        if residuals is not None:
            est = ResidualCovariance.from_residuals(_rows(residuals, n, "residuals"))
        self.noise_ = None if est is None else est.noise()
        if self.method in MINT:
            self.gain_ = _mint_gain(S, self.n_aggregates_, self._weights(S, est))
        elif self.method in ("top_down", "middle_out"):
            self._fit_split(S, spec, history)
        return self

    # ------------------------------------------------------------------ fitting

    def _weights(self, S: sparse.csr_matrix, est: ResidualCovariance | None) -> np.ndarray:
        """``W``: a vector (its diagonal) or a dense matrix."""
        if self.method == "ols":
            return np.ones(S.shape[0])
        if self.method == "wls_struct":
            return np.asarray(S.sum(axis=1), float).ravel() + self.ridge
        if self.method == "wls_var":
            return est.mean_square + self.ridge
        self.lambda_ = est.lam
        return est.shrunk(self.ridge)

    def _fit_split(self, S: sparse.csr_matrix, spec: HierarchySpec | None, history) -> None:
        if self.proportions not in PROPORTIONS:
            raise ValueError(f"proportions={self.proportions!r}: choose one of {PROPORTIONS}.")
        if self.method == "middle_out" and (spec is None or self.level is None):
            raise ValueError("middle_out needs a HierarchySpec and level= (the middle level).")
        if spec is None:
            totals = np.flatnonzero(np.asarray(S.sum(axis=1)).ravel() == S.shape[1])
            if not len(totals):
                raise ValueError("top_down needs a row of S summing every bottom series.")
            self.parent_ = np.full(S.shape[1], totals[0])
        else:
            top = 0 if self.method == "top_down" else spec.level_index(self.level)
            self.parent_ = spec.membership[top].copy()
        if self.proportions == "forecast_proportions":
            if spec is None or not spec.nested:
                raise ValueError(
                    "forecast_proportions needs a nested HierarchySpec (one chain of levels); "
                    "use average_proportions or proportion_averages."
                )
            self.chain_ = _chain(spec.membership[top:])
            return
        if history is None:
            raise ValueError(f"proportions={self.proportions!r} needs history= (n_nodes x T).")
        bottom = np.nan_to_num(_rows(history, S.shape[0], "history")[self.n_aggregates_:])
        tops, which = np.unique(self.parent_, return_inverse=True)
        node = np.asarray(S[tops] @ bottom)[which]  # each series' top node, over time
        if self.proportions == "average_proportions":
            shares = np.divide(bottom, node, out=np.full_like(bottom, np.nan), where=node > 0)
            seen = ~np.isnan(shares).all(axis=1)
            props = np.where(seen, np.nanmean(np.where(seen[:, None], shares, 0.0), axis=1), np.nan)
        else:
            total = node.sum(axis=1)
            props = np.full(len(total), np.nan)
            np.divide(bottom.sum(axis=1), total, out=props, where=total > 0)
        siblings = np.bincount(self.parent_, minlength=S.shape[0])[self.parent_]
        self.proportions_ = np.where(np.isnan(props), 1.0 / siblings, props)

    # ------------------------------------------------------------------ applying

    def transform(self, base: np.ndarray, guard: Guard | None = None) -> np.ndarray:
        """Coherent forecasts (``n_nodes x k``) from base forecasts (``n_nodes x k``);
        ``guard``: applied to the reconciled bottom series before they are summed to every node
        (:class:`~tsauto.forecasting.guards.Bounds`)."""
        bottom = self.bottom(base)
        return np.asarray(self.S_ @ (bottom if guard is None else guard(bottom)))

    def bottom(self, base: np.ndarray) -> np.ndarray:
        """The reconciled bottom series (``n_bottom x k``)."""
        if not hasattr(self, "S_"):
            raise AttributeError("this Reconciler is not fitted yet: call fit(hierarchy) first.")
        y = _rows(base, self.S_.shape[0], "base")
        missing = np.flatnonzero(np.isnan(y).any(axis=1))
        if len(missing):
            raise ValueError(
                f"base forecasts are missing for {len(missing)} node(s) (e.g. row "
                f"{missing[0]}): forecast every node."
            )
        na = self.n_aggregates_
        if self.method == "bottom_up":
            return y[na:]
        if self.method in MINT:
            gap = y[:na] - self.S_[:na] @ y[na:]  # U'y: aggregates minus the sums of the bottom
            return y[na:] - self.gain_ @ gap
        if self.proportions == "forecast_proportions":
            return _forecast_shares(self.chain_, y, len(self.parent_)) * y[self.parent_]
        return self.proportions_[:, None] * y[self.parent_]

    def projection(self) -> np.ndarray:
        """``P`` (``n_bottom x n_nodes``): reconciled bottom = ``P @ base`` (linear methods)."""
        if self.proportions == "forecast_proportions" and self.method in ("top_down", "middle_out"):
            raise ValueError("forecast proportions are not linear: there is no P.")
        return self.bottom(np.eye(self.S_.shape[0]))

    def sample_quantiles(
        self,
        base: np.ndarray,
        quantiles: Sequence[float],
        scale: np.ndarray | None = None,
        n_samples: int = 1000,
        seed: int = 0,
        guard: Guard | None = None,
    ) -> dict[float, np.ndarray]:
        """Quantiles (each ``n_nodes x h``) of reconciled normal sample paths.

        ``scale``: the noise standard deviation per node (``n_nodes``) or per node and step
        (``n_nodes x h``); default each node's root mean square residual. Noise is correlated
        as the residuals (unshrunk) when ``fit`` had residuals, independent otherwise.
        ``guard``: applied to every path as :meth:`transform` applies it.
        """
        base = np.asarray(base, float)
        n, h = base.shape
        if scale is None:
            if self.noise_ is None:
                raise ValueError("sample_quantiles needs residuals at fit or scale= (per node).")
            scale = self.noise_.rms
        scale = np.broadcast_to(np.asarray(scale, float).reshape(n, -1), (n, h))
        levels = np.asarray(sorted(quantiles), float)
        if ((levels <= 0) | (levels >= 1)).any():
            raise ValueError(f"quantiles={list(quantiles)}: each must lie in (0, 1).")
        rng = np.random.default_rng(seed)
        out = np.empty((len(levels), n, h))
        for step in range(h):  # one step of every node at a time keeps memory at n x n_samples
            if self.noise_ is None:
                noise = rng.standard_normal((n, n_samples))
            else:
                noise = self.noise_.draw(rng, n_samples)
            paths = self.transform(base[:, step, None] + scale[:, step, None] * noise, guard)
            out[:, :, step] = np.quantile(paths, levels, axis=1)
        return {float(q): out[i] for i, q in enumerate(levels)}


def reconcile(
    base: np.ndarray,
    hierarchy: HierarchyLike,
    method: str = "mint_shrink",
    residuals: np.ndarray | None = None,
    level: str | Sequence[str] | None = None,
    history: np.ndarray | None = None,
    proportions: str = "average_proportions",
) -> np.ndarray:
    """Coherent forecasts (``n_nodes x h``) from base forecasts of every node; see
    :class:`Reconciler` for the arguments."""
    reconciler = Reconciler(method, level, proportions).fit(hierarchy, residuals, history)
    return reconciler.transform(base)


def coherence_error(values: np.ndarray, hierarchy: HierarchyLike) -> float:
    """Largest ``|node - sum of its bottom series|``, relative to ``max(1, |node|)``."""
    S, _ = _structure(hierarchy)
    y = _rows(values, S.shape[0], "values")
    sums = S @ y[S.shape[0] - S.shape[1]:]
    return float(np.max(np.abs(y - sums) / np.maximum(1.0, np.abs(y)), initial=0.0))


# ---------------------------------------------------------------------- helpers


def _structure(hierarchy: HierarchyLike) -> tuple[sparse.csr_matrix, HierarchySpec | None]:
    if isinstance(hierarchy, HierarchySpec):
        return hierarchy.S.astype(float).tocsr(), hierarchy
    S = sparse.csr_matrix(hierarchy, dtype=float)
    n, nb = S.shape
    if n < nb or (S[n - nb:] != sparse.identity(nb, format="csr")).nnz:
        raise ValueError(f"S ({n} x {nb}) must end with the {nb} x {nb} identity (the bottom).")
    return S, None


def _rows(values: np.ndarray, n: int, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] != n:
        raise ValueError(f"{name} must have one row per node ({n} x k), got shape {values.shape}.")
    return values


def _mint_gain(S: sparse.csr_matrix, na: int, w: np.ndarray) -> np.ndarray:
    """``G = (W U)_bottom (U' W U)^-1`` so that reconciled bottom = ``y_b - G (y_a - C y_b)``."""
    if na == 0:
        return np.zeros((S.shape[1], 0))
    C = S[:na]
    if w.ndim == 1:  # diagonal W
        wu_bottom = -(C.multiply(w[na:][None, :])).T.toarray()
        utwu = np.diag(w[:na]) + (C.multiply(w[na:][None, :]) @ C.T).toarray()
    else:
        wu = w[:, :na] - np.asarray(C @ w[na:]).T  # W U, with U = [I; -C'] (W symmetric)
        wu_bottom = wu[na:]
        utwu = wu[:na] - np.asarray(C @ wu_bottom)
    return np.linalg.solve(utwu, wu_bottom.T).T


def _chain(membership: np.ndarray) -> list[tuple]:
    """Per level below the top: its nodes, each node's parent code, the matrix summing the
    nodes into their parents, and each bottom series' position among the nodes."""
    chain = []
    for upper, lower in itertools.pairwise(membership):
        children, first = np.unique(lower, return_index=True)
        codes = np.unique(upper[first], return_inverse=True)[1]
        n = len(children)
        to_parent = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(codes.max() + 1, n))
        chain.append((children, codes, to_parent, np.searchsorted(children, lower)))
    return chain


def _forecast_shares(chain, y: np.ndarray, n_bottom: int) -> np.ndarray:
    """Each bottom series' share of its top node: the product down the levels of each node's
    forecast over the sum of its siblings' (an equal split where that sum is 0)."""
    shares = np.ones((n_bottom, y.shape[1]))
    for children, codes, to_parent, position in chain:
        values = y[children]
        sums = np.asarray(to_parent @ values)[codes]
        count = np.bincount(codes)[codes][:, None]
        ratio = np.broadcast_to(1.0 / count, values.shape).copy()
        np.divide(values, sums, out=ratio, where=sums != 0)
        shares *= ratio[position]
    return shares
