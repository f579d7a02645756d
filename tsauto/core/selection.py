"""From finished trials to the members to refit: the best trial, the greedy ensemble over the
trials' out-of-fold predictions, and the members whose refit fits in the time left."""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

import numpy as np

from tsauto.core.ensemble import greedy_ensemble
from tsauto.core.exceptions import SearchFailedError
from tsauto.core.search import Trial

log = logging.getLogger(__name__)

ENSEMBLE_POOL = 20  # trials the greedy selection chooses from: each learner's best, then the best
REFIT_MARGIN = 1.2  # safety factor on a refit time predicted from the folds' fit times
SHRINK_TOP = 3  # learners whose best trials shrunken weights move toward equal weights on


def refit_estimate(fit_time: float, train_rows: Sequence[float], rows: float) -> float:
    """Seconds a refit on ``rows`` rows takes, from a trial's ``fit_time`` over folds that
    trained on ``train_rows`` rows each: the mean time per fold, grown with the rows (a fit's
    time grows about linearly with them), times ``REFIT_MARGIN``."""
    mean = float(np.mean(train_rows)) if len(train_rows) else 0.0
    growth = rows / mean if mean > 0 else 1.0
    return fit_time / max(len(train_rows), 1) * growth * REFIT_MARGIN


def best_trial(trials: Sequence[Trial]) -> Trial:
    """The finished trial with the lowest score; a :class:`SearchFailedError` naming the
    reasons when none finished."""
    ok = [t for t in trials if t.status == "ok"]
    if not ok:
        reasons = "; ".join(f"{t.learner}: {t.reason}" for t in trials[:5]) or "no trial ran"
        raise SearchFailedError(
            f"every trial failed ({reasons}); give a larger time_budget, other learners, or "
            "check the reasons.",
            out_of_time=all(t.status == "timeout" for t in trials),
        )
    return min(ok, key=lambda t: t.score)


def ensemble_weights(
    trials: Sequence[Trial],
    oof: Callable[[Trial], np.ndarray],
    score: Callable[[np.ndarray], float],
    ensemble: bool = True,
    shrink: float = 0.0,
    said: list[str] | None = None,
    toward: Sequence[str] = (),
) -> dict[int, float]:
    """Weights by trial number: greedy ensemble selection (Caruana et al. 2004) over
    :func:`ensemble_pool`, or the best trial alone. ``shrink`` moves that share of the weight
    to equal weights on the best trials of the pool's ``SHRINK_TOP`` best learners: greedy
    weights chosen on a few validation windows overfit them, and a plain mean of the best
    different models is the combination that is hard to beat out of sample (the
    forecast-combination puzzle); variants of one learner would add little to it. The greedy
    weights stay as they are where the shrunk ones validate worse than the best trial alone (a
    third best learner far behind the others, naive at 13× the best's MASE, would carry a sixth
    of the weight); ``said`` gets which it was (for the plan's notes). With ``toward`` (learner
    names: few short series, :func:`~tsauto.forecasting.planner.anchor`) the shrunk share goes
    to equal weights on those learners' best trials instead, always. Only trials whose
    out-of-fold predictions are comparable with the best's should be passed."""
    if not 0.0 <= shrink <= 1.0:
        raise ValueError(f"shrink={shrink!r}: a share between 0 and 1.")
    best = best_trial(trials)
    ok = [t for t in trials if t.status == "ok"]
    if not ensemble or len(ok) < 2:
        return {best.number: 1.0}
    top = ensemble_pool(ok)
    predictions = [np.asarray(oof(t), dtype=float) for t in top]
    greedy, _ = greedy_ensemble(predictions, score)
    w = np.asarray(greedy, dtype=float)
    position = {t.number: k for k, t in enumerate(top)}
    best_of = {t.learner: position[t.number] for t in learners_best(top)}
    anchors = [best_of[name] for name in toward if name in best_of]  # in toward's order, as the plan names them
    if shrink and anchors:
        w = (1.0 - shrink) * w
        w[anchors] += shrink / len(anchors)
        if said is not None:
            names = " and ".join(top[k].learner for k in anchors)
            said.append(f"ensemble weights shrunk: moved {100 * shrink:.0f}% toward equal weights on {names}")
    elif shrink:
        w, outcome = _shrunk(top, predictions, score, w, shrink)
        if said is not None:
            said.append(outcome)
    return {t.number: float(x) for t, x in zip(top, w) if x > 0}


def _shrunk(top: list[Trial], predictions: list[np.ndarray], score: Callable[[np.ndarray], float],
            greedy: np.ndarray, shrink: float) -> tuple[np.ndarray, str]:
    """``greedy`` moved ``shrink`` toward equal weights on the best trials of ``top``'s
    ``SHRINK_TOP`` best learners, or kept where so moved they validate worse than the best
    trial alone; and which it was, in words."""
    position = {t.number: k for k, t in enumerate(top)}
    leaders = [position[t.number] for t in learners_best(top)[:SHRINK_TOP]]
    names = ", ".join(top[k].learner for k in leaders)
    w = (1.0 - shrink) * greedy
    w[leaders] += shrink / len(leaders)
    if score(sum(x * p for x, p in zip(w, predictions))) > score(predictions[0]):
        return greedy, (f"ensemble weights not shrunk: toward equal weights on {names} they validate worse "
                        f"than {top[0].learner} alone")
    return w, f"ensemble weights shrunk: moved {100 * shrink:.0f}% toward equal weights on {names}"


def ensemble_pool(trials: Sequence[Trial], size: int = ENSEMBLE_POOL) -> list[Trial]:
    """The finished trials the ensemble chooses from, best first: every learner's best trial,
    then the best of the others up to ``size`` in all. A search spends most trials on its
    best learner; without the others' best, its variants fill the pool and the ensemble
    loses what a different model adds (M1 yearly at 300 s, validation: 0.92×LightGBM +
    0.08×LightGBM from the 20 best; LightGBM, ARIMA and drift from this pool, OWA 0.749 ->
    0.694; ``benchmarks/bench_ensemble_pool.py``)."""
    ranked = sorted((t for t in trials if t.status == "ok"), key=lambda t: t.score)
    chosen = {t.number for t in learners_best(ranked)}
    rest = [t for t in ranked if t.number not in chosen][: max(0, size - len(chosen))]
    chosen |= {t.number for t in rest}
    return [t for t in ranked if t.number in chosen]


def learners_best(trials: Sequence[Trial]) -> list[Trial]:
    """Each learner's best finished trial, best first."""
    best: dict[str, Trial] = {}
    for t in sorted((t for t in trials if t.status == "ok"), key=lambda t: t.score):
        best.setdefault(t.learner, t)
    return list(best.values())


def refittable(
    trials: Sequence[Trial], cost: dict[int, float], deadline: float | None, quiet: bool = False
) -> list[Trial]:
    """The trials whose estimated refit ``cost`` (seconds, by trial number) alone fits before
    ``deadline``, so that the ensemble is chosen among models that can be had; the cheapest
    trial when none does. Those left out are logged unless ``quiet``."""
    if deadline is None or not trials:
        return list(trials)
    left = deadline - time.monotonic()
    fits = [t for t in trials if cost[t.number] <= left]
    if len(fits) < len(trials) and not quiet:
        dropped = sorted((t for t in trials if cost[t.number] > left), key=lambda t: t.score)[:3]
        log.info(
            "left out of the ensemble, their refit would not fit in the %.0fs left: %s",
            left, ", ".join(f"{t.learner}#{t.number} (~{cost[t.number]:.0f}s)" for t in dropped),
        )
    return fits or [min(trials, key=lambda t: cost[t.number])]


def affordable(weights: dict[int, float], cost: dict[int, float], deadline: float | None) -> list[dict[int, float]]:
    """The blends a refit by ``deadline`` can have, as member weights (renormalised), by their
    estimated refit ``cost`` (seconds): the heaviest member kept whatever its cost and the others,
    heaviest first, while their refits fit beside it; and, where that leaves members out, also
    the members, heaviest first, whose refits fit without the heaviest (user test 58: a random
    forest of weight 0.6, whose refit took most of the 1 s left, was kept alone, and a linear
    model that validated better and refit at once was left out). The engine keeps the one
    whose blend validates best. Without a deadline: ``[weights]``."""
    if deadline is None:
        return [weights]
    left = deadline - time.monotonic()
    order = sorted(weights, key=lambda n: -weights[n])
    options = [_within(order, cost, left, forced=order[0])]
    others = _within(order[1:], cost, left)
    if len(options[0]) < len(order) and set(others) - set(options[0]):
        options.append(others)
    return [{n: weights[n] / sum(weights[m] for m in kept) for n in kept} for kept in options]


def _within(order: list[int], cost: dict[int, float], left: float, forced: int | None = None) -> list[int]:
    """The members of ``order`` taken in turn while their refits' ``cost`` fits in ``left``
    seconds together (``forced`` whatever its cost)."""
    kept, spent = [], 0.0
    for n in order:
        if n == forced or spent + cost[n] <= left:
            kept.append(n)
            spent += cost[n]
    return kept


def describe(weights: dict[int, float], trials: dict[int, Trial]) -> str:
    """``learner#trial×weight`` of every member, heaviest first."""
    return ", ".join(
        f"{trials[n].learner}#{n}×{w:.2f}" for n, w in sorted(weights.items(), key=lambda x: -x[1])
    )
