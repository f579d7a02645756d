"""One engine for every task: search, select the ensemble, refit its members.

A task (forecasting, classification, regression) hands the engine a :class:`TaskStrategy`:
the evaluator that scores one trial on the task's splitter, and how to read, compare, score
and refit trials. The loop itself never changes with the task (as FLAML's task strategies).
"""

from __future__ import annotations

import logging
import pickle
import time
from concurrent.futures import CancelledError
from dataclasses import dataclass, replace
from typing import Any, Callable, Collection, Protocol, Sequence

import numpy as np

from tsauto.core.exceptions import SearchFailedError, TsautoError
from tsauto.core.executor import Call, Executor, sigterm_exits
from tsauto.core.search import Candidate, Evaluator, Search, SearchSettings, Trial
from tsauto.core.selection import (
    affordable,
    best_trial,
    describe,
    ensemble_pool,
    ensemble_weights,
    learners_best,
    refittable,
)

log = logging.getLogger(__name__)

# What one more thread adds to a fit's speed: the global LightGBM (features, then training) on
# 2 threads takes 1/1.57 (M4 Hourly) and 1/1.74 (Weekly) of its 1-thread time (2026-12-02);
# counting 2x dropped the heaviest member of a 60 s fit, its refit past the deadline.
THREAD_GAIN = 0.6
# What a refit call costs besides the fit, in a worker process: the task's data sent and the
# model returned. Measured on credit-g (1,000 rows, 2 cores): 0.10 s, against fits of 0.04-0.07
# s; without it (and before the search kept a worker up for the refits: the first then waited
# 0.75 s for a new one), a time_budget=8 search left 1.2 s for the ensemble and seven refits,
# and four of five members missed the deadline.
REFIT_CALL = 0.1


class TaskStrategy(Protocol):
    """What a task tells the engine. ``evaluator`` must be picklable (it runs in workers)."""

    evaluator: Evaluator
    metric: str

    def oof(self, trial: Trial) -> np.ndarray:
        """The trial's out-of-fold predictions, as the ensemble blends them."""

    def comparable(self, trial: Trial, best: Trial) -> bool:
        """Whether ``trial`` predicted the same cells as ``best`` (so they can be blended)."""

    def loss(self, best: Trial, prediction: np.ndarray) -> float:
        """Validation loss of a blend of out-of-fold predictions (lower is better)."""

    def metric_value(self, loss: float) -> float:
        """The validation metric as it reads (an AUC, not its loss) from a ``loss``."""

    def refit_seconds(self, trial: Trial) -> float:
        """Estimated seconds to refit ``trial``'s learner on all data, on the threads its trial had."""

    def thread_gain(self, trial: Trial) -> float:
        """What one more thread adds to the speed of ``trial``'s refit (``THREAD_GAIN`` when
        its learner says nothing)."""

    def fit_member(self, trial: Trial, deadline: float | None, threads: int | None = None) -> Any:
        """``trial``'s learner fitted on all data (run in an isolated worker: picklable);
        ``threads``: the threads and worker processes it may use (``None``: a refit's, alone
        on the machine)."""

    def kept_member(self, trial: Trial) -> bytes | None:
        """The model ``trial`` kept from its latest validation fold, pickled, which forecasts
        without a refit (a learner that reads the newest history as it is); None: none kept.
        Under a deadline such a member is not refit (:func:`search_and_refit`)."""

    def fallback_member(self, best: Trial) -> Any:
        """A model fitted on all data when no member could be refit in time (something cheap
        and bounded, or ``best`` refit without a deadline)."""

    def assemble(self, members: Sequence[tuple[float, Any]], trials: Sequence[Trial]) -> Any:
        """The final model from fitted members and their weights; ``trials``: each member's
        trial (its out-of-fold predictions), in the same order."""


@dataclass
class EngineResult:
    """The refit model, every trial, the ensemble weights by trial number (of the members
    refit), the blended out-of-fold predictions with their validation loss, why trials in play
    have weight 0 (by trial number: a refit that failed, or would not fit in the time left),
    whether Ctrl-C ended the search, and notes for the user (whether the blend's weights were
    shrunk; a member of the blend chosen that was dropped at refit, and what the blend became)."""

    model: Any
    trials: list[Trial]
    weights: dict[int, float]
    oof: np.ndarray
    loss: float
    dropped: dict[int, str]
    interrupted: bool = False
    notes: tuple[str, ...] = ()  # for the plan's notes: whether the blend was shrunk, members dropped at refit


def search_and_refit(
    strategy: TaskStrategy,
    candidates: dict[str, Candidate],
    settings: SearchSettings,
    executor: Executor,
    ensemble: bool = True,
    deadline: float | None = None,
    fingerprint: str | None = None,
    shrink: float = 0.0,
    toward: tuple[str, ...] = (),
) -> EngineResult:
    """Run the search (stopping in time to refit its blend, see :func:`_refit_reserve`),
    select the ensemble over the comparable trials whose refit fits before ``deadline`` (its
    weights shrunk by ``shrink``, :func:`~tsauto.core.selection.ensemble_weights`), keep
    the members whose refits fit together (the heaviest always; the weights chosen again among
    them where some are left out) and refit each in an isolated worker by ``deadline``, less the
    time kept for heavier members queued behind it (:func:`_refit`; under a ``deadline``, a member
    that kept its latest fold's model, :meth:`TaskStrategy.kept_member`, is not refit and costs no
    refit time); a member whose refit fails
    is dropped and the weights are chosen again among the members refit (renormalised, a blend
    of drift and LightGBM validated worse than the ETS it had lost), and the blend's out-of-fold
    predictions and loss are theirs."""
    start = time.monotonic()
    blend = _BlendRule(strategy, ensemble, shrink, toward)
    stop_by = None
    if deadline is not None and settings.time_budget is not None:
        stop_by = _refit_reserve(strategy, executor, deadline, start + settings.time_budget, blend)
    ahead = None
    if deadline is None and executor.backend == "loky" and executor.n_workers > 1:
        ahead = RefitAhead(strategy, candidates, executor.threads_per_trial(), blend)
    search = Search(candidates, strategy.evaluator, settings, executor, fingerprint=fingerprint,
                    stop_by=stop_by, side=ahead, metric=strategy.metric, to_value=strategy.metric_value)
    trials = search.run()
    if search.interrupted:
        log.info("search interrupted: finishing with the %d trials done", len(trials))
    try:
        best = best_trial(trials)
    except SearchFailedError:  # the worker kept up for the refits (core.search) has none to run: a
        executor.close()  # failed fit of Adult in a child process waited on it at exit
        raise
    pool = _comparable(strategy, trials, best)
    as_fitted = _fold_models(strategy, pool) if deadline is not None else {}
    cost = _refit_costs(strategy, executor, pool, free=as_fitted)
    left = None if deadline is None else max(0.0, deadline - time.monotonic())
    comparable, pool = pool, refittable(pool, cost, deadline)
    weights = blend(pool, best)
    by_number = {t.number: t for t in trials}
    chosen = weights
    options = [  # chosen again among those kept, as after a failed refit (renormalised, a near-constant
        kept if set(kept) == set(chosen) else blend([by_number[n] for n in kept], best)  # member rose to 0.58:
        for kept in affordable(chosen, cost, deadline)  # user test 44); the one validating best kept
    ]
    weights = min(options, key=lambda w: strategy.loss(best, sum(v * strategy.oof(by_number[n]) for n, v in w.items())))
    unaffordable = {  # the leaderboard's reason for their weight 0
        **{t.number: f"not blended: refit ~{cost[t.number]:.0f}s, {left:.0f}s left"
           for t in comparable if t not in pool},
        **{n: _unblended(n, chosen, weights, cost, left, by_number) for n in chosen if n not in weights},
    }
    blended = sum(w * strategy.oof(by_number[n]) for n, w in weights.items())
    loss = strategy.loss(best, blended)
    log.info(  # the best trial scored as the blend is, not by its folds' mean (the leaderboard's):
        "ensemble %s: %s %.4f (best single %.4f, both on the out-of-fold predictions)",  # it read worse than itself
        describe(weights, by_number), strategy.metric, strategy.metric_value(loss),
        strategy.metric_value(strategy.loss(best, strategy.oof(best))),
    )
    t0 = time.monotonic()
    early = set(weights) & set(ahead.fitted) if ahead is not None else set()
    unrefit = {n: _Dumped(as_fitted[n]) for n in weights if n in as_fitted}
    estimate = sum(cost[n] for n in weights if n not in early)  # of the refits still to run
    notes: list[str] = []
    with sigterm_exits():
        fitted, failures = _refit(strategy, executor, weights, by_number, deadline, cost,
                                  {**(ahead.fitted if ahead is not None else {}), **unrefit})
    if fitted:
        if failures:  # the blend of the members refit, chosen again: its score, not the first
            planned, planned_loss = weights, loss
            weights = blend([by_number[n] for n, _, _ in fitted], best)
            fitted = [(n, weights[n], m) for n, _, m in fitted if n in weights]
            blended = sum(w * strategy.oof(by_number[n]) for n, w in weights.items())
            loss = strategy.loss(best, blended)
            log.info("blend of the members refit %s: %s %.4f", describe(weights, by_number),
                     strategy.metric, strategy.metric_value(loss))
            notes.append(_dropped_note(strategy, planned, planned_loss, weights, loss, failures, by_number))
            log.warning("%s", notes[-1])
        total = sum(w for _, w, _ in fitted)
        model = strategy.assemble([(w / total, m) for _, w, m in fitted], [by_number[n] for n, _, _ in fitted])
        weights = {n: w / total for n, w, _ in fitted}
        unrefit = {n: m for n, m in unrefit.items() if n in weights}  # those shipped, not dropped
        if unrefit:
            notes.insert(0, _unrefit_note(unrefit, by_number))
    else:
        log.warning("no member could be refit (%s): the fallback model is used", failures)
        model = strategy.assemble([(1.0, strategy.fallback_member(best))], [best])
        weights = {}
    log.info(
        "refit %d member(s) in %.1fs (estimated %.1fs)%s%s; search and refit %.1fs",
        len(fitted), time.monotonic() - t0, estimate,
        f"; {len(early)} of them beside the search's last trials" if early else "",
        f"; {len(unrefit)} of them as fitted on their latest validation fold" if unrefit and fitted else "",
        time.monotonic() - start,
    )
    said = blend.said if weights else []  # whether the blend shipped was shrunk
    for line in said:
        log.info("%s", line)
    if search.resumed:  # user test 55: said at INFO only, a nightly job kept no trace of it
        notes.insert(0, f"resumed the search in {settings.run_dir}: {search.resumed} finished trial(s) taken "
                        "from it, not run again")
    return EngineResult(model, trials, weights, blended, loss, {**unaffordable, **failures}, search.interrupted,
                        (*said, *notes))


def _unblended(n: int, chosen: dict[int, float], weights: dict[int, float], cost: dict[int, float], left: float,
               by_number: dict[int, Trial]) -> str:
    """The leaderboard's reason why member ``n`` of the ``chosen`` blend is not in the blend
    refit (``weights``): its refit alone past the ``left`` seconds, after the heavier ones kept,
    or too long beside the lighter ones, whose blend validated better."""
    if cost[n] > left:
        return f"not blended: refit ~{cost[n]:.0f}s, {left:.0f}s left"
    heavier = [m for m in weights if chosen[m] >= chosen[n]]
    if not heavier:
        return (f"not blended: refit ~{cost[n]:.0f}s of the {left:.0f}s left, too long beside the lighter members, "
                "whose blend without it validated better")
    names = ", ".join(f"{by_number[m].learner}#{m} ~{cost[m]:.0f}s" for m in heavier)
    return f"not blended: refit ~{cost[n]:.0f}s after heavier members ({names}), {left:.0f}s left"


def _dropped_note(strategy, chosen: dict[int, float], chosen_loss: float, weights: dict[int, float],
                  loss: float, failures: dict[int, str], by_number: dict[int, Trial]) -> str:
    """What the refit did to the blend: the members of the ``chosen`` blend it dropped (the
    heaviest named so), and the blend chosen again among those refit (``weights``), with both
    blends' validation scores."""
    heaviest = max(chosen, key=chosen.get)
    lost = sorted((n for n in chosen if n in failures), key=lambda n: -chosen[n])
    names = ", ".join(f"{by_number[n].learner}#{n} ({chosen[n]:.2f} of the blend"
                      f"{', its heaviest member' if n == heaviest else ''})" for n in lost)
    return (f"refit dropped {names}, not refit in time or failed (the leaderboard says why); "
            f"the blend became {describe(weights, by_number)}, validation "
            f"{strategy.metric} {strategy.metric_value(loss):.4f} against {strategy.metric_value(chosen_loss):.4f} "
            "for the blend chosen")


Blend = Callable[[list[Trial], Trial], dict[int, float]]


class _BlendRule:
    """The engine's weights for a pool of comparable trials and their ``best``, by trial
    number; ``said``: whether the last blend's weights were shrunk (for the plan's notes)."""

    def __init__(self, strategy: TaskStrategy, ensemble: bool, shrink: float, toward: tuple[str, ...] = ()):
        self.strategy, self.ensemble, self.shrink, self.toward = strategy, ensemble, shrink, toward
        self.said: list[str] = []

    def __call__(self, pool: list[Trial], best: Trial) -> dict[int, float]:
        self.said.clear()
        return ensemble_weights(pool, self.strategy.oof, lambda p: self.strategy.loss(best, p), self.ensemble,
                                self.shrink, self.said, self.toward)


def _fold_models(strategy, trials: Sequence[Trial]) -> dict[int, bytes]:
    """The pickled models of the ``trials`` that kept their latest fold's model
    (:meth:`TaskStrategy.kept_member`), by trial number."""
    return {t.number: m for t in trials if (m := strategy.kept_member(t)) is not None}


def _unrefit_note(unrefit: dict[int, Any], by_number: dict[int, Trial]) -> str:
    """The plan's note on the members shipped as fitted on their latest fold, not refit."""
    names = ", ".join(f"{by_number[n].learner}#{n}" for n in unrefit)
    return (f"{names} not refit under the time budget: the model fitted on its latest validation fold "
            "forecasts from the newest history (the time a refit would take goes to the search and "
            "the other members)")


def _comparable(strategy, trials: Sequence[Trial], best: Trial) -> list[Trial]:
    """The finished trials whose out-of-fold predictions can be blended with ``best``'s."""
    return [t for t in trials if t.status == "ok" and strategy.comparable(t, best)]


class RefitAhead:
    """Refits run beside a search without a budget, on the workers its last trials leave idle.

    A search of a few learners waits on its slowest trial (ETS on M1 monthly: one worker busy
    for 44 s, the other idle for 25 s), and only then refits its blend's members one after
    another. Here each worker without a trial to run refits a learner of the trials running or
    finished, the costliest first, so that the longest refit does not start last (the blend is
    not known yet; of a learner tried several times, its best trial so far, else one still
    running), with a trial's threads; once every trial is done, only the blend's members
    (:func:`~tsauto.core.selection.ensemble_weights` as the engine computes it, without a
    deadline). The cost is measured: a finished trial's refit estimate, and for one still
    running the same from the time it has run so far, or from its candidate's estimated
    ``seconds`` while it has run less (a trial just started: ETS on M1 monthly, about 28 s,
    against a finished LightGBM of 8 s). Once the blend is known, a refit still running of a
    trial not in it is no longer :meth:`wanted` (M1 yearly: LightGBM's, 1.4 s of a 5 s fit, not
    blended). ``fitted``: the members fitted so, by trial number; a refit ahead that fails is
    done again after the search."""

    def __init__(self, strategy: TaskStrategy, candidates: dict[str, Candidate], threads: int,
                 blend: Blend):
        self.strategy = strategy
        self.candidates = candidates
        self.threads = threads
        self.blend = blend
        self.fitted: dict[int, Any] = {}
        self._started: set[int] = set()
        self._members: set[int] | None = None

    def next_call(self, finished: list[Trial], running: list[tuple[Trial, float]]) -> tuple[Any, Call] | None:
        ran = {t.number: max(seconds, self._estimate(t.learner)) for t, seconds in running}
        if running:
            leaders = learners_best(finished)
            tried = {t.learner for t in leaders}
            pool = [*leaders, *(t for t, _ in running if t.learner not in tried)]
        else:
            if self._members is None:
                self._members = self._blend(finished)
            pool = [t for t in finished if t.number in self._members]
        pool = [t for t in pool if t.number not in self._started]
        if not pool:
            return None
        trial = max(pool, key=lambda t: (self._cost(t, ran.get(t.number)), -t.number))
        self._started.add(trial.number)
        call = Call(self.strategy.fit_member, (trial, None, self.threads), f"refit of {trial.learner}")
        return ("refit", trial.number), call

    def done(self, key: Any, result: Any) -> None:
        number = key[1]
        if isinstance(result, CancelledError):  # not a member of the blend: not wanted
            return
        if isinstance(result, BaseException):
            log.info("refit ahead of trial %d failed (%s: %s): it is refit after the search",
                     number, type(result).__name__, result)
            return
        self.fitted[number] = result

    def wanted(self, key: Any) -> bool:
        """Whether the refit ``key`` is still needed: while the blend is unknown, or a member's."""
        return self._members is None or key[1] in self._members

    def _estimate(self, learner: str) -> float:
        candidate = self.candidates.get(learner)
        return 0.0 if candidate is None else candidate.seconds

    def _cost(self, trial: Trial, ran: float | None) -> float:
        """The estimated refit of ``trial``; of one still running, the refit a fit time of
        ``ran`` seconds implies."""
        return self.strategy.refit_seconds(trial if ran is None else replace(trial, fit_time=ran))

    def _blend(self, trials: list[Trial]) -> set[int]:
        """The members of the blend the engine will choose from ``trials`` (no deadline)."""
        try:
            best = best_trial(trials)
        except TsautoError:
            return set()
        pool = _comparable(self.strategy, trials, best)
        return set(self.blend(pool, best))


def _refit_threads(executor) -> float:
    """How many times its trial's threads a refit gets: trials ran beside each other on a share
    of the cores; a refit runs alone on all of them (less those other processes keep busy)."""
    return executor.call_threads() / executor.threads_per_trial()


def _refit_costs(
    strategy, executor, trials, ratio: float | None = None, free: Collection[int] = ()
) -> dict[int, float]:
    """Estimated seconds to refit each trial's learner on all data by a call to ``executor``,
    by trial number, on ``ratio`` times its trial's threads (default: as the executor gives a
    refit now); none for the trials in ``free`` (not refit: :func:`_fold_models`)."""
    ratio = _refit_threads(executor) if ratio is None else ratio
    call = 0.0 if executor.backend == "sequential" else REFIT_CALL
    return {t.number: 0.0 if t.number in free else
            call + strategy.refit_seconds(t) / refit_speedup(ratio, strategy.thread_gain(t))
            for t in trials}


def _refit_reserve(strategy, executor, deadline: float, end: float, blend: Blend):
    """The search's ``stop_by``: the ``deadline`` less the estimated refit of the blend the
    trials finished so far make (selected as at the end of the search), so that a search whose
    blend grows heavy stops early enough to refit all of it, rather than search on and then
    leave its best members out (M4 Hourly at 120 s, two validation windows: OWA 0.477 / 0.457
    without, 0.469 / 0.447 with; ``benchmarks/README.md``). Blends that cost no more than the
    time after the search's ``end`` leave it unchanged; they are not computed when even every
    trial of the ensemble pool would refit in that time."""
    known: dict[int, float] = {}
    ratio = _refit_threads(executor)  # now, while the search's own workers are idle

    def stop_by(trials: list[Trial]) -> float:
        ok = [t for t in trials if t.status == "ok"]
        if not ok:
            return end
        if len(ok) not in known:
            best = best_trial(ok)
            pool = [t for t in ok if strategy.comparable(t, best)]
            cost = _refit_costs(strategy, executor, pool, ratio, free=_fold_models(strategy, pool))
            pool = refittable(pool, cost, deadline, quiet=True)
            most = sum(cost[t.number] for t in ensemble_pool(pool))
            if deadline - most >= end:
                known[len(ok)] = deadline - most
            else:
                weights = blend(pool, best)
                known[len(ok)] = deadline - sum(cost[n] for n in weights)
        return known[len(ok)]

    return stop_by


def refit_speedup(ratio: float, gain: float = THREAD_GAIN) -> float:
    """How much faster a refit on ``ratio`` times its trial's threads runs: each extra thread
    adds ``gain`` of one (not all of a fit is parallel)."""
    return 1.0 + gain * (max(ratio, 1.0) - 1.0)


def _refit(strategy, executor, weights, by_number, deadline, cost, ready: dict[int, Any] | None = None):
    """Refit the members one after another, cheapest first (estimated ``cost``; heavier weight
    first among equals): on a loaded machine a costly refit that overruns then takes only
    itself out, not every cheaper member queued behind it (M1 monthly at a 120 s budget: a TCN
    refit past the deadline left ETS no time, and seasonal naive replaced the ensemble). Each
    refit has its own deadline (:func:`_member_deadline`): ``deadline`` less the estimated
    refits queued behind it of members that weigh as much or more, so that a cheap refit that
    runs past its estimate does not take out a heavier member either (user test 48: a TCN of
    weight 0.17, estimated 2.1 s, trained up to the deadline, and LightGBM, 0.56 of the blend,
    found it passed). A member not started for the time of heavier ones is refit after them
    where none of them was (else the fallback model would replace a blend that had one).
    Members in ``ready`` (by trial number) need no refit: refit beside the search already, or
    as fitted on their latest validation fold."""
    fitted, failures, standby = [], {}, []
    fit = _Pickled(strategy.fit_member) if getattr(executor, "backend", None) == "loky" else strategy.fit_member
    order = sorted(weights, key=lambda n: (cost.get(n, 0.0), -weights[n]))
    queued = [n for n in order if not (ready and n in ready)]
    try:
        for n in order:
            if ready and n in ready:
                fitted.append((n, weights[n], ready[n]))
                continue
            queued.remove(n)
            own, kept = _member_deadline(deadline, n, weights, cost, queued)
            heavier = ", ".join(f"{by_number[m].learner}#{m} (~{cost.get(m, 0.0):.1f}s)" for m in kept)
            if kept and own <= time.monotonic():
                failures[n] = f"not refit: the time left was kept for the refit of {heavier}"
                log.warning("member %s#%d dropped: %s", by_number[n].learner, n, failures[n])
                standby.append(n)
                continue
            why = f" (its deadline kept the time of the refit of {heavier})" if kept else ""
            _refit_one(executor, fit, by_number[n], weights[n], own, cost, fitted, failures, why)
        for n in standby if not fitted else ():
            del failures[n]
            _refit_one(executor, fit, by_number[n], weights[n], deadline, cost, fitted, failures)
    finally:
        executor.close()
    return _read_models(fitted, failures, by_number), failures


def _refit_one(executor, fit, trial: Trial, weight: float, deadline, cost, fitted: list, failures: dict,
               why: str = "") -> None:
    """Refit one member by ``deadline``: appended to ``fitted``, or its reason (and ``why``) to
    ``failures``."""
    label, t0 = f"{trial.learner}#{trial.number}", time.monotonic()
    try:
        member = executor.call(fit, trial, deadline, deadline=deadline, label=f"refit of {label}")
    except (TsautoError, MemoryError, TimeoutError) as err:
        failures[trial.number] = f"refit failed: {type(err).__name__}: {err}{why}"
        log.warning("member %s dropped: %s", label, failures[trial.number])
        return
    log.debug("refit of %s in %.1fs (estimated %.1fs)", label, time.monotonic() - t0, cost.get(trial.number, 0.0))
    fitted.append((trial.number, weight, member))


def _read_models(fitted: list, failures: dict, by_number: dict[int, Trial]) -> list:
    """``fitted`` with the models that came back pickled (:class:`_Dumped`) read, each freed as
    it is; a model that cannot be read drops its member (a reason in ``failures``)."""
    read = []
    while fitted:
        n, w, member = fitted.pop(0)
        try:
            read.append((n, w, member.load() if isinstance(member, _Dumped) else member))
        except Exception as err:  # as a model that could not be read back from its worker
            failures[n] = f"refit failed: its model could not be read: {type(err).__name__}: {err}"
            log.warning("member %s#%d dropped: %s", by_number[n].learner, n, failures[n])
    return read


class _Dumped(bytes):
    """A model pickled in the worker that fitted it, read here once every refit is done."""

    def load(self) -> Any:
        return pickle.loads(self)


@dataclass(frozen=True)
class _Pickled:
    """``fn`` returning its result pickled (:class:`_Dumped`). Reading a model can import
    modules this process has not: the first TCN refit's tensors import torch, 1.1 s on a loaded
    machine, after the learner stopped at its deadline, and the refit was killed as it came back
    (user test 48: "0.6s past its deadline", each time). Read after the refits, it counts in
    no refit's time, and keeps no refit behind it waiting. A model that cannot be pickled is a
    failed refit (:class:`~tsauto.core.exceptions.TsautoError`): its member is dropped."""

    fn: Callable

    def __call__(self, *args, **kwargs) -> _Dumped:
        return _Dumped(dump_model(self.fn(*args, **kwargs)))


def dump_model(model: Any) -> bytes:
    """``model`` pickled as loky sends results (classes of the user's script by value); a
    :class:`~tsauto.core.exceptions.TsautoError` where it cannot be (a lock, a file, a thread)."""
    import cloudpickle

    try:
        return cloudpickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:
        raise TsautoError(f"its model could not be pickled: {type(err).__name__}: {err}") from None


def _member_deadline(deadline: float | None, n: int, weights: dict[int, float], cost: dict[int, float],
                     queued: Sequence[int]) -> tuple[float | None, list[int]]:
    """The deadline of member ``n``'s refit, and the members whose time it keeps: ``deadline``
    less the estimated ``cost`` of the refits ``queued`` behind it of members that weigh as
    much as ``n`` or more. A lighter member behind it keeps no time from it: a heavier member
    that overruns may take that one out, as it would have without a deadline of its own."""
    if deadline is None:
        return None, []
    kept = [m for m in queued if weights[m] >= weights[n]]
    return deadline - sum(cost.get(m, 0.0) for m in kept), kept
