"""The parameters a trial whose folds were cut to their time is refit with.

Under a time budget each fold of a trial is fitted within its own deadline, and LightGBM or a
forest is cut to the rounds (trees) that time affords (:mod:`tsauto.core.stopping`), so the
folds of one trial may be cut differently: a machine hiccup in one fold cuts it to a round.
The trial's score and its ensemble weight come from all folds' out-of-fold predictions; its
refit (on all rows, within its own deadline) should fit what they are typical of, not what
the last fold happened to be cut to.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

# Parameter names of the rounds (trees) and of the learning rate, at any depth of the
# parameters (a forecasting learner nests LightGBM's under "params").
ROUNDS = ("n_estimators", "num_boost_round")
RATE = "learning_rate"


def representative_params(
    used: Sequence[Mapping[str, Any] | None], proposed: Mapping[str, Any] | None = None
) -> Mapping[str, Any] | None:
    """Of the parameters each fold of a trial fitted with (in fold order; ``None``: as
    ``proposed``), those its refit takes: the fold whose learning (rounds × learning rate;
    trees for a forest) is the median over the folds, the upper of the two middle ones for an
    even count. A fold that ran as proposed (rounds and rate those of ``proposed``, or
    ``None``) counts as the plan, above any cut (a cut does less than planned). Among folds of
    the same learning, the last (rolling origin: the most training rows).

    The median, not the last fold nor the most or least learning: one fold cut far short by a
    hiccup (8, 4, 1 rounds: 4) or run whole while the others were cut (1 fold of 3: a cut)
    does not decide; a cut common to most folds does (the refit's time is sized from the
    folds' fit times, so about what it affords on all rows). Returns one element of ``used``,
    unchanged.
    """
    if not used:
        return None
    plan = _rounds_and_rate(proposed or {})
    learning = [_learning(p, plan) for p in used]
    middle = sorted(learning)[len(learning) // 2]
    return used[max(i for i, x in enumerate(learning) if x == middle)]


def _learning(params: Mapping[str, Any] | None, plan: tuple[Any, Any]) -> float:
    if params is None:
        return math.inf
    rounds, rate = _rounds_and_rate(params)
    if (rounds, rate) == plan or rounds is None:
        return math.inf
    return float(rounds) * float(1.0 if rate is None else rate)


def _rounds_and_rate(params: Mapping[str, Any]) -> tuple[Any, Any]:
    """The rounds and learning rate in ``params`` or in a dictionary within (``None``: absent)."""
    rounds = rate = None
    for key, value in params.items():
        if isinstance(value, Mapping):
            inner = _rounds_and_rate(value)
            rounds = inner[0] if rounds is None else rounds
            rate = inner[1] if rate is None else rate
        elif key in ROUNDS and rounds is None:
            rounds = value
        elif key == RATE and rate is None:
            rate = value
    return rounds, rate
