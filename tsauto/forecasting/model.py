"""The fitted forecasting model: weighted members, each a learner with its fallback.

Built by the engine's refit (:mod:`tsauto.forecasting.search`) or directly for a single
learner; a backtest clones it and refits the whole ensemble per fold.
"""

from __future__ import annotations

import numpy as np

from tsauto.forecasting.intervals import blend
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.fallback import Routed, WithFallback
from tsauto.forecasting.panel import Panel
from tsauto.forecasting.routing import LengthRoutes

# the leaderboard's reason for a model of one learner fitted on all data without validation
NOT_VALIDATED = "not validated (one learner, no search): backtest() scores it"


class EnsembleModel:
    """Weighted members (each a learner with its fallback); predicts their weighted mean, with
    the weights of the series' length group where ``routes`` are given
    (:mod:`~tsauto.forecasting.routing`).

    Behaves like :class:`WithFallback`, so a backtest refits the whole ensemble per fold.
    """

    routes: LengthRoutes | None = None  # models saved before routing existed have none

    def __init__(self, members: list[tuple[float, WithFallback]], routes: LengthRoutes | None = None):
        self.members = members
        self.routes = routes

    @property
    def learner(self):
        """The member with the largest weight."""
        return max(self.members, key=lambda m: m[0])[1].learner

    @property
    def min_length_(self) -> int:
        return min(m.min_length_ for _, m in self.members)

    @property
    def reads_known_future(self) -> bool:
        """Whether a member reads known-future covariates (else none is needed to predict)."""
        return any(m.learner.tags.known_future for _, m in self.members)

    def clone(self) -> EnsembleModel:
        """The same members and weights, unfitted."""
        return EnsembleModel([(w, m.clone()) for w, m in self.members], self.routes)

    def fit(self, panel: Panel, task: Task) -> EnsembleModel:
        for _, member in self.members:
            member.fit(panel, task)
        return self

    def predict(self, history: Panel, future: dict[str, np.ndarray]) -> Routed:
        """The weighted mean of the members' forecasts and their weighted quantiles
        (:func:`~tsauto.forecasting.intervals.blend`: never crossing, around the mean)."""
        weights = [w for w, _ in self.members]
        if self.routes is not None:
            weights = list(self.routes.weights(history.lengths))
        routed = [(w, m.predict(history, future)) for w, (_, m) in zip(weights, self.members)]
        dropped = np.any([r.dropped for _, r in routed], axis=0)
        reason = next((r.reason for _, r in routed if (r.reason != "").any()), routed[0][1].reason)
        return Routed(blend([(w, r.forecast) for w, r in routed]), reason, dropped)

    def describe(self) -> str:
        """The learner's name, or ``weight×learner`` of every member."""
        if len(self.members) == 1:
            return self.members[0][1].learner.name
        text = " + ".join(f"{w:.2f}×{m.learner.name}" for w, m in self.members)
        if self.routes is not None:
            text += "; by length: " + self.routes.describe([m.learner.name for _, m in self.members])
        return text

