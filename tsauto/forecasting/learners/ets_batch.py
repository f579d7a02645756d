"""Automatic ETS for many series at once: :func:`select` of :mod:`.ets` vectorised across series.

The per-series estimation spends its time in Python overhead: thousands of small criterion
evaluations per series, each a few microseconds of arithmetic. Here every model form is
estimated for all the series that have it as a candidate together: one Nelder-Mead per series,
run in lock step, whose criterion evaluates the points of all the running series in one
vectorised call. The forms' lock steps advance together
(:func:`~tsauto.forecasting.learners.optim.nelder_mead_groups`), so that the multiplicative-season
forms share one recursion per step: a loop over time steps whose cost is numpy's per-call
overhead, not the rows (CPU seconds for all M1 training parts, best of two: quarterly 10.8 ->
8.2, monthly 36.3 -> 33.6; the linear forms' arithmetic also stops at the longest series of each
call). Where the rows are few for their length (most asks on long series, the last steps of
every search) they are evaluated one by one in statsmodels' compiled loop instead
(:class:`~tsauto.forecasting.learners.ets.MulSeasonLoop`, :func:`_compiled_pays`): with the
work arrays kept (:class:`_Space`), the three validation folds of 30 M4 Hourly series took 36
-> 22 CPU seconds, of 10 Wikipedia series 8.7 -> 4.1 (2026-12-07). Each series takes the same
steps as it would alone, so the chosen forms and parameters are those of
:func:`~tsauto.forecasting.learners.ets.select` up to floating-point rounding (the one-step
predictions are summed in another order), and the forecasts match to rounding.

Series are padded to the longest of their batch; padded steps are masked out of every sum. The
series up to ``MAX_LENGTH`` points share one batch, longer ones are batched with series of
similar length (:func:`length_batches`). A series whose smoothing parameters end up inadmissible
(rare), and a batch of fewer than ``MIN_BATCH`` series (``LONG_MIN_BATCH`` for long ones), is
estimated by the per-series code.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from tsauto.forecasting.learners.ets import (
    HUGE,
    PHI_UPPER,
    SHRINK,
    TOL,
    UPPER,
    ETSSpec,
    ETSState,
    MulSeasonLoop,
    compiled_loops,
    _initial_states,
    _smoothing_box,
    _state_map,
    _unpack_smoothing,
    admissible,
    candidate_specs,
    fit_spec,
    fitted_state,
    long_season_adjusted,
    mul_season_points,
    mul_season_start,
    select,
    smooth_mul_season,
    start_cycle,
    with_adjustment,
)
from tsauto.forecasting.learners.optim import nelder_mead_groups

log = logging.getLogger(__name__)
MAX_LENGTH = 400  # series up to this long share one batch; longer ones, batches of similar length
LONG_RATIO = 1.25  # a batch of long series spans lengths within this ratio
MAX_CELLS = 400_000  # series x steps in a batch of long series (memory: p states per cell)
# Smaller batches are estimated series by series: a lock step lasts as long as its slowest
# series and pays numpy's per-call overhead at every step. CPU seconds, series by series vs
# batched, in batches of K (2026-12-07, since the multiplicative-season criterion runs compiled,
# :class:`.ets.MulSeasonLoop`): M1 monthly (40 series) K=6 7.5 vs 7.2, K=8 7.0 vs 5.7, K=10
# 7.1 vs 5.0; M1 quarterly (48) K=4 6.3 vs 9.0, K=8 6.4 vs 5.8, K=16 6.5 vs 4.0; Australian
# retail (24 of up to 429 months) K=4 6.6 vs 7.2, K=6 6.5 vs 5.6, K=8 6.5 vs 5.0; Wikipedia
# (10 of 520 days, m=7) K=5 2.6 vs 2.8, K=10 2.7 vs 2.0; M4 Hourly (24 of 700-960 hours) K=6
# 9.5 vs 8.6, K=8 9.9 vs 7.9. Before, with the criterion in Python floats, batches paid from
# 20 short and 30 long series on.
MIN_BATCH = 8
LONG_MIN_BATCH = 8  # the same for a batch of series longer than MAX_LENGTH


class _Space:
    """Work arrays reused from call to call (the forms of a batch share one): the linear forms'
    ``K x n x p`` arrays, allocated afresh at every call, took half of their criterion's time (M4
    Hourly, 30 series of 700 steps, a call 7.0 -> 3.2 ms for ETS(A,Ad,A), whose weighted copy is
    now made in place, 6.3 -> 3.2 ms for ETS(M,Ad,A), 2026-12-07)."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape``, on the memory of ``name``."""
        size = int(np.prod(shape))
        flat = self._arrays.get(name)
        if flat is None or flat.size < size:
            flat = self._arrays[name] = np.empty(size)
        return flat[:size].reshape(shape)


class _Batch:
    """The series that share one model form, padded into arrays, and the criterion over them."""

    def __init__(self, ys: list[np.ndarray], spec: ETSSpec, cycles: list[np.ndarray | None],
                 space: _Space | None = None):
        self.spec = spec
        self.space = _Space() if space is None else space
        self.lengths = np.array([len(y) for y in ys])
        n = int(self.lengths.max())
        self.mask = np.arange(n)[None, :] < self.lengths[:, None]
        self.y = np.zeros((len(ys), n))
        for k, y in enumerate(ys):
            self.y[k, : len(y)] = y
        self.linear = spec.seasonal != "mul"
        if self.linear:
            self._prepare_linear(ys, cycles)
        self._loops: dict[int, MulSeasonLoop] = {}

    def loop(self, row: int) -> MulSeasonLoop:
        """Series ``row``'s compiled multiplicative-season criterion (made on first use)."""
        if row not in self._loops:
            spec = self.spec
            self._loops[row] = MulSeasonLoop(self.y[row, : self.lengths[row]], spec.m, spec.trend is not None)
        return self._loops[row]

    def _prepare_linear(self, ys: list[np.ndarray], cycles: list[np.ndarray | None]) -> None:
        spec = self.spec
        self.starts = np.stack([_initial_states(y, spec, c) for y, c in zip(ys, cycles)])  # R's start
        self.fft_len = next_fast_len(2 * self.y.shape[1])
        self.y_fft = rfft(self.y, self.fft_len)  # the data's spectrum, for its response
        self.p = 2 + spec.m if spec.seasonal else 2
        T = _state_map(spec)
        self.T = T[: self.p]
        self.prior = np.stack([np.linalg.lstsq(T, s, rcond=None)[0] for s in self.starts])
        mul = spec.error == "mul"
        # least-squares weights: 1/y for a multiplicative error, 1 else; 0 past each series' end
        self.weights = np.where(self.mask, 1.0 / np.where(self.mask, self.y, 1.0), 0.0) if mul else self.mask * 1.0
        lead = 1 + (spec.trend is not None)
        shrunk = np.r_[np.zeros(lead), np.full(T.shape[1] - lead, SHRINK)] if spec.seasonal else np.zeros(T.shape[1])
        scale = np.array([float(np.mean(y)) ** 2 for y in ys]) if mul else np.ones(len(ys))
        self.ridge = shrunk[None, :] / scale[:, None]

    # -- the criterion -------------------------------------------------------------------

    def criterion(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``-2 log L`` of each point of series ``rows``: the searched smoothing parameters, and
        for a multiplicative season the free initial states after them."""
        if not self.linear:
            return _mul_season_together([(self, points, rows)])[0]
        out = np.full(len(rows), np.inf)
        par = _unpack_smoothing(self.spec, points)
        ok = ~((par[:, 1] > par[:, 0]) | (par[:, 2] > 1 - par[:, 0]))
        if ok.any():
            out[ok] = self.evaluate(par[ok], rows[ok])[0]
        return out

    def evaluate(self, par: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A linear form's ``-2 log L`` and full initial states of smoothing parameters ``par``."""
        with np.errstate(all="ignore"):
            return self._linear(par, rows)

    def _linear(self, par: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Initial states by (ridge) least squares, as :class:`.ets._Linear` does per series."""
        alpha, beta, gamma, phi = par.T
        lengths = self.lengths[rows]
        K, p, n = len(rows), self.p, int(lengths.max())  # the padding past the longest: left out
        D = np.zeros((K, p, p))
        w = np.zeros((K, p))
        g = np.zeros((K, p))
        D[:, 0, 0], D[:, 0, 1] = 1 - alpha, phi * (1 - alpha)
        D[:, 1, 0], D[:, 1, 1] = -beta, phi * (1 - beta)
        w[:, 0], w[:, 1] = 1.0, phi
        g[:, 0], g[:, 1] = alpha, beta
        if p > 2:
            D[:, np.arange(3, p), np.arange(2, p - 1)] = 1.0  # the seasonal states shift
            D[:, 0, -1], D[:, 1, -1] = -alpha, -beta
            D[:, 2, 0], D[:, 2, 1], D[:, 2, -1] = -gamma, -gamma * phi, 1 - gamma
            w[:, -1] = 1.0
            g[:, 2] = gamma
        V = _powers(w, D, n, self.space.array("V", (K, n, p)))
        mask = self.mask[rows, :n]
        finite = np.isfinite(V[np.arange(K), lengths - 1].sum(axis=1))
        y = self.y[rows, :n]
        c = (V[:, : n - 1] @ g[:, :, None])[:, :, 0]  # the data's impulse response
        c[~mask[:, : n - 1]] = 0.0
        base = np.zeros((K, n))  # base_t = sum_j c_j y_{t-1-j}: the response to the data
        base[:, 1:] = irfft(rfft(c, self.fft_len) * self.y_fft[rows], self.fft_len)[:, : n - 1]
        wt = self.weights[rows, :n]  # 0 past each series' end
        r = (y - base) * wt
        # an additive error's weights are 0 or 1: V itself weighted, in place (the rows it then
        # zeroes, past each series' end, only reach its masked steps)
        Vw = np.multiply(V, wt[:, :, None], out=V if self.spec.error == "add" else self.space.array("Vw", V.shape))
        Vwt = Vw.transpose(0, 2, 1)
        ridge = self.ridge[rows]
        A = self.T.T @ (Vwt @ Vw) @ self.T  # the normal equations of X = V T
        A[:, np.arange(A.shape[1]), np.arange(A.shape[1])] += ridge
        b = ((Vwt @ r[:, :, None])[:, :, 0]) @ self.T + ridge * self.prior[rows]
        finite &= np.isfinite(A).all(axis=(1, 2)) & np.isfinite(b).all(axis=1)
        free = np.zeros_like(b)
        free[finite] = _solve(A[finite], b[finite])
        finite &= np.isfinite(free).all(axis=1)
        x0 = np.zeros((K, 2 + (self.spec.m if self.spec.seasonal else 1)))
        x0[:, :p] = free @ self.T.T
        yhat = base + (V @ x0[:, :p, None])[:, :, 0]
        lik = _likelihood(y, yhat, lengths, self.spec.error)
        lik[~finite] = HUGE
        return lik, x0


def _likelihood(y: np.ndarray, yhat: np.ndarray, lengths: np.ndarray, error: str) -> np.ndarray:
    """:func:`.ets._likelihood` per row, over each series' own first ``lengths`` steps (past
    them both are read as 1: no error, a zero log)."""
    mask = np.arange(y.shape[1])[None, :] < lengths[:, None]
    fit = np.where(mask, yhat, 1.0)
    e = np.where(mask, y, 1.0)
    e -= fit
    if error == "add":
        total = np.einsum("ij,ij->i", e, e)
        lik = lengths * np.log(np.where(total > 0, total, 1.0))
    else:
        e /= fit
        total = np.einsum("ij,ij->i", e, e)
        np.abs(fit, out=fit)
        logs = np.log(fit, out=fit).sum(axis=1)
        lik = lengths * np.log(np.where(total > 0, total, 1.0)) + 2 * logs
    lik = np.where(total > 0, lik, np.where(total == 0, -HUGE, HUGE))  # NaN: the worst
    return np.where(np.isfinite(lik), lik, HUGE)


def _powers(w: np.ndarray, D: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """``V_t = w' D^t`` for ``t < n``, per row, by repeated squaring (into ``out``, K x n x p,
    where given)."""
    V = np.empty((len(w), n, len(w[0]))) if out is None else out
    V[:, 0] = w
    k = 1
    while k < n:
        step = min(k, n - k)
        np.matmul(V[:, :step], D, out=V[:, k : k + step])
        k += step
        if k < n:
            D = D @ D
    return V


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``solve``; a singular system gives NaN for its row instead of failing all."""
    try:
        return np.linalg.solve(A, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.full_like(b, np.nan)
        for k in range(len(A)):
            try:
                out[k] = np.linalg.solve(A[k], b[k])
            except np.linalg.LinAlgError:
                pass
        return out


def _fit_forms(
    ys: list[np.ndarray], forms: dict[ETSSpec, list[tuple[int, np.ndarray]]]
) -> dict[tuple[int, ETSSpec], ETSState | None]:
    """Every model form on the series that have it as a candidate (``forms``: form -> each
    series' position in ``ys`` and its search box before the form), by one Nelder-Mead per
    series and form. The forms' lock steps advance together, so that the multiplicative-season
    forms share one recursion per step (:func:`_criteria`): its cost is numpy's per-call
    overhead at each time step, not the rows."""
    batches, groups = [], []
    cache: dict[tuple[int, str], np.ndarray] = {}  # each series' seasonal start, per season type
    space = _Space()
    for spec, members in forms.items():
        member_ys = [ys[i] for i, _ in members]
        cycles = [_cycle(cache, i, ys[i], spec) for i, _ in members]
        batches.append(_Batch(member_ys, spec, cycles, space))
        if spec.seasonal == "mul":  # smoothing parameters and initial states searched together
            boxes = [mul_season_start(y, spec, u.copy(), c)
                     for y, (_, u), c in zip(member_ys, members, cycles)]
        else:
            boxes = [_smoothing_box(spec, u.copy()) for _, u in members]
        groups.append(tuple(np.array([box[i] for box in boxes], dtype=float) for i in range(3)))
    found = nelder_mead_groups(lambda asks: _criteria(batches, asks), groups, tol=TOL)
    fitted: dict[tuple[int, ETSSpec], ETSState | None] = {}
    for batch, (spec, members), (x, _) in zip(batches, forms.items(), found):
        states = _form_states(batch, [ys[i] for i, _ in members], x, [u for _, u in members])
        fitted.update({(i, spec): state for (i, _), state in zip(members, states)})
    return fitted


def _criteria(batches: list[_Batch], asks: list[tuple[int, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """The criterion of each ask ``(form, points, rows)``; the multiplicative-season forms'
    points in one recursion over all their rows."""
    out: list[np.ndarray] = [np.empty(0)] * len(asks)
    joint = []
    for k, (g, points, rows) in enumerate(asks):
        if batches[g].linear:
            out[k] = batches[g].criterion(points, rows)
        else:
            joint.append(k)
    if joint:
        values = _mul_season_together([(batches[asks[k][0]], asks[k][1], asks[k][2]) for k in joint])
        for k, value in zip(joint, values):
            out[k] = value
    return out


def _mul_season_together(asks: list[tuple[_Batch, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """:meth:`_Batch.criterion` of several multiplicative-season asks ``(batch, points,
    rows)``: by one :func:`.ets.smooth_mul_season` over all their rows (each row's steps are
    computed as alone: the recursion is elementwise; a form without a trend has a zero one), or
    row by row in the compiled loop (:class:`.ets.MulSeasonLoop`) where that costs less
    (:func:`_compiled_pays`)."""
    parts = []
    for batch, points, rows in asks:
        par, x0, ok = mul_season_points(batch.spec, points)
        parts.append((batch, rows[ok], par[ok], x0[ok], ok))
    out = [np.full(len(rows), np.inf) for _, _, rows in asks]
    taken = [part for part in parts if part[1].size]
    if not taken:
        return out
    lengths = np.concatenate([batch.lengths[rows] for batch, rows, *_ in taken])
    if compiled_loops() and _compiled_pays(lengths) and all(np.all(part[2][:, 0] > 0) for part in taken):
        for (batch, rows, par, x0, ok), values in zip(parts, out):
            if rows.size:
                params = MulSeasonLoop.params(par, x0)
                values[ok] = [batch.loop(r)(params[k]) for k, r in enumerate(rows.tolist())]
        return out
    y = np.ones((len(lengths), int(lengths.max())))
    start = 0
    for batch, rows, *_ in taken:
        cols = min(y.shape[1], batch.y.shape[1])
        y[start : start + len(rows), :cols] = batch.y[rows, :cols]
        start += len(rows)
    with np.errstate(all="ignore"):
        par, x0 = (np.concatenate([part[i] for part in taken]) for i in (2, 3))
        lik = _likelihood(y, smooth_mul_season(y, par, x0)[0], lengths, "mul")
    start = 0
    for k, (_, rows, _, _, ok) in enumerate(parts):
        out[k][ok] = lik[start : start + len(rows)]
        start += len(rows)
    return out


def _compiled_pays(lengths: np.ndarray) -> bool:
    """Whether evaluating rows of these lengths one by one in the compiled loop costs less than
    numpy's recursion over all of them at once, which pays its per-call overhead at each step
    (:func:`.ets.smooth_mul_season`). Microseconds measured 2026-12-07 (one core, m=24, 130 to
    1,000 steps, 10 to 1,000 rows): the compiled loop 6 + 0.011 a step per row, numpy 5 + 0.015
    a row per step (equal at about 110 rows of 130 steps; the compiled loop 1.2-30x faster on
    fewer rows or longer series)."""
    steps = float(lengths.max())
    return float(np.sum(6.0 + 0.011 * lengths)) < steps * (5.0 + 0.015 * len(lengths))


def _form_states(
    batch: _Batch, ys: list[np.ndarray], x: np.ndarray, uppers: list[np.ndarray]
) -> list[ETSState | None]:
    """The fitted states of one form from its searched points ``x`` (``uppers``: each series'
    search box before the form, for the constrained re-search of an inadmissible result)."""
    spec, rows = batch.spec, np.arange(len(ys))
    if spec.seasonal == "mul":
        par, x0, _ = mul_season_points(spec, x)
        lik = batch.criterion(x, rows)
    else:
        par = _unpack_smoothing(spec, x)
        lik, x0 = batch.evaluate(par, rows)
    out: list[ETSState | None] = []
    for k, y in enumerate(ys):
        if not admissible(par[k], spec.m):  # the constrained re-search: per series, rare
            try:
                out.append(fit_spec(y, spec, uppers[k].copy()))
            except (ValueError, np.linalg.LinAlgError, FloatingPointError):
                out.append(None)
            continue
        out.append(_state(y, spec, par[k], x0[k], float(lik[k])))
    return out


def _state(y: np.ndarray, spec: ETSSpec, par: np.ndarray, x0: np.ndarray, lik: float) -> ETSState | None:
    """As :func:`.ets.fit_spec` ends; ``None`` where the likelihood (a linear model's states, a
    multiplicative season's search) was not finite."""
    if lik >= HUGE:
        return None
    return fitted_state(y, spec, par, x0, lik)


def select_many(ys: list[np.ndarray], season: int, damped: bool = True) -> list[ETSState | Exception]:
    """:func:`.ets.select` on each series of ``ys``; a series no form fits gets its error.
    Series are estimated in batches of similar length (:func:`length_batches`)."""
    out: list[ETSState | Exception | None] = [None] * len(ys)
    varying: list[int] = []
    for i, y in enumerate(ys):
        if np.ptp(y) == 0:
            out[i] = _select_one(y, season, damped)
        else:
            varying.append(i)
    for batch in length_batches(np.array([len(ys[i]) for i in varying], dtype=int)):
        rows = [varying[k] for k in batch]
        long = len(ys[rows[0]]) > MAX_LENGTH
        states = None
        if len(rows) >= (LONG_MIN_BATCH if long else MIN_BATCH):
            try:
                states = _select_batch([ys[i] for i in rows], season, damped)
            except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
                log.debug("ETS batch of %d series failed (%s); one by one", len(rows), err)
        for k, i in enumerate(rows):
            out[i] = _select_one(ys[i], season, damped) if states is None else states[k]
    return out  # type: ignore[return-value]


def length_batches(lengths: np.ndarray) -> list[np.ndarray]:
    """Positions of ``lengths`` in batches: every length up to ``MAX_LENGTH`` in one, longer ones
    sorted and cut into runs within ``LONG_RATIO`` of their shortest and ``MAX_CELLS`` steps in
    all (each series' steps cost as many as the longest of its batch's, and the linear forms
    hold ``p`` states per step and series)."""
    short, long = np.flatnonzero(lengths <= MAX_LENGTH), np.flatnonzero(lengths > MAX_LENGTH)
    batches = [short] if short.size else []
    run: list[int] = []
    for i in long[np.argsort(lengths[long], kind="stable")]:
        if run and (lengths[i] > LONG_RATIO * lengths[run[0]] or (len(run) + 1) * lengths[i] > MAX_CELLS):
            batches.append(np.array(run))
            run = []
        run.append(int(i))
    if run:
        batches.append(np.array(run))
    return batches


def _select_batch(ys: list[np.ndarray], season: int, damped: bool) -> list[ETSState | Exception]:
    """:func:`select_many`'s work on one batch of non-constant series."""
    candidates: dict[int, list[ETSSpec]] = {}
    forms: dict[ETSSpec, list[tuple[int, np.ndarray]]] = {}
    for i, y in enumerate(ys):
        candidates[i] = candidate_specs(y, season, damped)
        upper = np.array([UPPER, UPPER, UPPER, PHI_UPPER])
        for spec in candidates[i]:
            forms.setdefault(spec, []).append((i, upper.copy()))
            _smoothing_box(spec, upper)  # carries the box from form to form, as select does
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fitted = _fit_forms(ys, forms)
    out: list[ETSState | Exception] = []
    for i, specs in candidates.items():
        best: ETSState | None = None
        for spec in specs:  # candidate order, so that ties resolve as in select
            state = fitted[(i, spec)]
            if state is not None and (best is None or state.aicc < best.aicc):
                best = state
        ok = best is not None and np.isfinite(best.aicc)
        why = "no candidate form converged" if specs else "no candidate model fits this series length"
        out.append(best if ok else ValueError(f"no ETS model could be fitted ({why})"))
    return out


def fit_many(
    ys: list[np.ndarray], times: list[np.ndarray], season: int, damped: bool = True
) -> list[ETSState | Exception]:
    """:func:`.ets.fit_ets` on each series (long seasons adjusted out first, series by series)."""
    prepared = [long_season_adjusted(y, t, season) for y, t in zip(ys, times)]
    out: list[ETSState | Exception] = [ValueError("not fitted")] * len(ys)
    for period in {p for _, p, _ in prepared}:
        idx = [i for i, (_, p, _) in enumerate(prepared) if p == period]
        fitted = select_many([prepared[i][0] for i in idx], period, damped)
        for i, state in zip(idx, fitted):
            out[i] = state if isinstance(state, Exception) else with_adjustment(state, prepared[i][2])
    return out


def _cycle(cache: dict, i: int, y: np.ndarray, spec: ETSSpec) -> np.ndarray | None:
    """Series ``i``'s :func:`.ets.start_cycle` for ``spec``'s season type, computed once."""
    if not spec.seasonal:
        return None
    key = (i, spec.seasonal)
    if key not in cache:
        cache[key] = start_cycle(y, spec.m, spec.seasonal)
    return cache[key]


def _select_one(y: np.ndarray, season: int, damped: bool) -> ETSState | Exception:
    try:
        return select(y, season, damped)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
        return err

