"""Explanations of a fitted forecasting model: its members' weights, what they are, what they read.

:func:`explain` returns an :class:`Explanation` of four DataFrames:

- ``weights``: one row per ensemble member (``member``, ``learner``, ``weight``; with
  ensemble weights by series length, :mod:`~tsauto.forecasting.routing`, also ``weight_short``
  and ``weight_long``: the blends of the series under and from ``threshold`` steps; only where
  each half holds at least ``routing.MIN_GROUP``, 30, series scored in validation).
- ``importance``: per LightGBM member, its total split gain summed per feature family, the raw
  column a feature comes from (``target lags``, ``target windows``, ``calendar``, ``holidays``,
  each covariate by its name, ``series id``): ``member``, ``learner``, ``family``, ``gain``,
  ``share`` (of the member's total gain; sums to 1 per member). A member whose trees never split
  (a constant model: one value of its transformed target, whatever the features) has one row
  instead, family :data:`NO_SPLIT`, gain and share 0.
- ``models``: per series, the model each statistical member (ETS, Theta, ARIMA, their
  combination) fitted to it (ids, ``member``, ``learner``, ``model``, e.g. ``ETS(MAdM)``, and
  ``fitted_from`` for a member that reads at most ``max_length`` points of a series, as ETS its
  last 1,000: the first time it fitted each series on, the series' own first time where it
  read the series whole (no longer than that), a later one where it read only the last
  points; absent for a member that reads every series whole, as Theta); series too short for
  a member are not listed (seasonal naive forecasts them).
- ``contributions`` (only when series or steps are asked for): per forecast row (series, step)
  of each LightGBM member, its SHAP values (TreeSHAP, LightGBM's ``pred_contrib``) summed per
  family: ids, time, ``step``, ``member``, ``learner``, ``units``, ``base`` (the expected
  value), one column per family, ``prediction`` (``base`` + the families: the member's own
  output, before the ensemble's weighting and the guards). In the target's units
  (``units="target"``) when the member's target transform is per-series scaling alone or none
  (undone exactly: contributions times the series' scale, base plus its mean); otherwise in the
  transformed scale the model predicts, named in ``units`` (``"transformed: diff1 → scale"``:
  scaled first differences, whose contributions have no exact counterpart in the target's units).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.features.target_transforms import Scale
from tsauto.forecasting.learners.arima import ArimaState
from tsauto.forecasting.learners.combination import MEMBERS, ComboState
from tsauto.forecasting.learners.ets import ETSState
from tsauto.forecasting.learners.fallback import WithFallback
from tsauto.forecasting.learners.lightgbm import LightGBMLearner
from tsauto.forecasting.learners.local import LocalLearner
from tsauto.forecasting.learners.theta import ThetaState
from tsauto.forecasting.panel import Panel, min_length_split, output_times, pad_front
from tsauto.forecasting.routing import LengthRoutes

log = logging.getLogger(__name__)

_META = ["step", "member", "learner", "units", "base"]
# The importance family of a LightGBM member that made no split (every feature's gain 0).
NO_SPLIT = "none: no split (one value of its transformed target: a constant, a drift or each series' mean)"


@dataclass
class Explanation:
    """What :meth:`Forecaster.explain` returns; see :mod:`tsauto.forecasting.explain`."""

    weights: pd.DataFrame
    importance: pd.DataFrame
    models: pd.DataFrame
    contributions: pd.DataFrame | None = None


def explain(
    members: list[tuple[float, WithFallback]],
    history: Panel,
    future: dict[str, np.ndarray],
    series: Any = None,
    steps: int | Sequence[int] | None = None,
    routes: LengthRoutes | None = None,
) -> Explanation:
    """Explain the ensemble ``members``. With ``series`` (keys, see :func:`series_positions`;
    None: all) or ``steps`` (1-based horizon steps; None: all), also the contributions to the
    forecast of ``history`` (``future``: known-future covariates, (n_series, horizon) each)."""
    weights = pd.DataFrame(
        {
            "member": np.arange(len(members), dtype=np.int64),
            "learner": [m.learner.name for _, m in members],
            "weight": [float(w) for w, _ in members],
        }
    )
    if routes is not None:
        weights = weights.assign(
            weight_short=routes.short, weight_long=routes.long, threshold=routes.threshold
        )
    boosted = [(i, m) for i, (_, m) in enumerate(members) if isinstance(m.learner, LightGBMLearner)]
    local = [(i, m.learner) for i, (_, m) in enumerate(members) if isinstance(m.learner, LocalLearner)]
    importance = _stack(
        [_importance(i, m.learner) for i, m in boosted], ["member", "learner", "family", "gain", "share"]
    )
    models = _stack(
        [_models(i, learner) for i, learner in local], [*history.keys.columns, "member", "learner", "model"]
    )
    contributions = None
    if series is not None or steps is not None:
        pos = series_positions(history.keys, series)
        horizon = members[0][1].learner.task_.horizon
        chosen = _step_indices(steps, horizon)
        panel, fut = history.take(pos), {k: v[pos] for k, v in future.items()}
        parts = [_contributions(i, m, panel, fut, chosen) for i, m in boosted]
        lead = [*history.keys.columns, history.schema.time, *_META]
        contributions = _contribution_frame([p for p in parts if p is not None], lead)
    return Explanation(weights, importance, models, contributions)


def series_positions(keys: pd.DataFrame, series: Any) -> np.ndarray:
    """Positions in ``keys`` of ``series``: None (all), one key (an id value, or a tuple of
    values in id-column order) or a list of keys. Without id columns (one series) only None."""
    if series is None:
        return np.arange(len(keys))
    if not len(keys.columns):
        raise DataValidationError(
            f"series={series!r}: this forecaster was fitted without ids=, on one series, which has "
            "no key to name: call explain() without series= (steps=[1, 2, ...] gives that series' "
            "contributions at those steps)."
        )
    wanted = [k if isinstance(k, tuple) else (k,) for k in (series if isinstance(series, list) else [series])]
    if any(len(k) != len(keys.columns) for k in wanted):
        raise DataValidationError(
            f"series={series!r}: give keys of the id columns {list(keys.columns)} (a value, or a "
            "tuple of values in that order), or a list of them."
        )
    ref = keys.assign(_position=np.arange(len(keys)))
    asked = pd.DataFrame(wanted, columns=keys.columns)
    try:
        found = asked.merge(ref, how="left")["_position"]
    except (ValueError, TypeError):  # "1" asked of integer ids, or 1 of text ones: as text
        found = asked.astype(str).merge(ref.astype(dict.fromkeys(keys.columns, str)), how="left")["_position"]
    if found.isna().any():
        missing = [k for k, f in zip(wanted, found) if pd.isna(f)]
        raise DataValidationError(f"series {missing[:5]} are not in the data.")
    return found.to_numpy(np.int64)


def describe_state(state: Any) -> str:
    """A short name of the model one statistical learner fitted to one series."""
    if state is None:
        return "failed (seasonal naive)"
    if isinstance(state, ETSState):
        return f"ETS({state.spec.short_name})" + _deseasonalised(state.season)
    if isinstance(state, ThetaState):
        name = f"Theta {state.model} (alpha {state.alpha:.2f}, theta {state.theta:.2f})"
        return name + _deseasonalised(state.season)
    if isinstance(state, ArimaState):
        (p, d, q), (P, D, Q, m) = state.order, state.seasonal_order
        name = f"ARIMA({p},{d},{q})" + (f"({P},{D},{Q})[{m}]" if m > 1 else "")
        name += " with constant" if state.trend else ""
        name += f" + Fourier({state.fourier[0]}, {state.fourier[1]})" if state.fourier else ""
        used = 0 if state.exog_used is None else int(np.sum(state.exog_used))
        return name + (f" + {used} covariates" if used else "")
    if isinstance(state, ComboState):
        return "mean of " + ", ".join(
            describe_state(s) if s is not None else f"{n} failed" for n, s in zip(MEMBERS, state.states)
        )
    return type(state).__name__


def _deseasonalised(season: Any) -> str:
    return "" if season is None else f", deseasonalised ({season.method}, period {len(season.factors)})"


def _importance(member: int, learner: LightGBMLearner) -> pd.DataFrame:
    if not learner.made_splits():  # user test 48: its 15 "top features" listed, all at 0
        return pd.DataFrame({"member": [member], "learner": learner.name, "family": NO_SPLIT,
                             "gain": 0.0, "share": 0.0})
    gains = pd.Series(
        list(learner.feature_importance().values()),  # in the booster's order: spec_.names
        index=learner.spec_.families,
    )
    by_family = gains.groupby(level=0, sort=False).sum().sort_values(ascending=False)
    total = by_family.sum()
    return pd.DataFrame(
        {
            "member": member,
            "learner": learner.name,
            "family": by_family.index,
            "gain": by_family.to_numpy(),
            "share": by_family.to_numpy() / total if total > 0 else 0.0,
        }
    )


def _models(member: int, learner: LocalLearner) -> pd.DataFrame:
    models = learner.keys_.assign(
        member=member, learner=learner.name, model=[describe_state(s) for s in learner.states_]
    )
    capped = learner.max_length is not None and learner.starts_ is not None
    return models.assign(fitted_from=learner.starts_) if capped else models


def _step_indices(steps: int | Sequence[int] | None, horizon: int) -> np.ndarray:
    chosen = np.arange(1, horizon + 1) if steps is None else np.atleast_1d(np.asarray(steps))
    if chosen.dtype.kind not in "iu" or chosen.min() < 1 or chosen.max() > horizon:
        raise DataValidationError(f"steps={steps!r}: give horizon steps from 1 to {horizon}.")
    return np.unique(chosen).astype(np.int64) - 1  # each step once, in order


def _contributions(
    member: int, model: WithFallback, panel: Panel, future: dict[str, np.ndarray], steps: np.ndarray
) -> pd.DataFrame | None:
    """Contributions of one LightGBM member to the forecasts of ``panel`` at the ``steps``
    (0-based), routed as :class:`WithFallback` routes them."""
    learner: LightGBMLearner = model.learner
    if model.short_series == "pad":
        panel = pad_front(panel, model.min_length_)
    long, short = min_length_split(panel, model.min_length_)
    if short.size:
        log.info(
            "%d series are shorter than the %d observations %s needs: seasonal naive forecasts "
            "them, no contributions",
            short.size,
            model.min_length_,
            learner.name,
        )
    if not long.size:
        return None
    panel, future = panel.take(long), {k: v[long] for k, v in future.items()}
    rows, _ = learner.feature_rows(panel, future)
    families = learner.spec_.families
    recursive = learner.strategy == "recursive"
    shap = np.stack(
        [learner.boosters_[0 if recursive else s].predict(rows[:, s], pred_contrib=True) for s in steps],
        axis=1,
    )  # (n_series, n_steps, n_features + 1): the last column is the expected value
    names = learner.transform_names_
    if set(names) <= {"scale"}:
        units = "target"
        if names:
            scale = Scale()
            scale.fit_transform(panel.y, panel)
            shap = shap * scale.scale_[:, None, None]
            shap[:, :, -1] += scale.loc_[:, None]
    else:
        units = "transformed: " + " → ".join(names)
    flat = shap.reshape(-1, shap.shape[-1])
    family = np.array(families)
    grouped = pd.DataFrame({f: flat[:, :-1][:, family == f].sum(axis=1) for f in dict.fromkeys(families)})
    n_steps = len(steps)
    out = panel.keys.iloc[np.repeat(np.arange(panel.n_series), n_steps)].reset_index(drop=True)
    times = panel.future_times(learner.task_.horizon)[:, steps].ravel()
    out[panel.schema.time] = output_times(times, panel.schema)
    meta = pd.DataFrame(
        {
            "step": np.tile(steps + 1, panel.n_series),
            "member": member,
            "learner": learner.name,
            "units": units,
            "base": flat[:, -1],
        }
    )
    return pd.concat([out, meta, grouped], axis=1).assign(prediction=flat.sum(axis=1))


def _contribution_frame(parts: list[pd.DataFrame], lead: list[str]) -> pd.DataFrame | None:
    """The members' contributions in one table (``lead`` columns first), a family a member
    does not have as 0."""
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    families = [c for c in out.columns if c not in lead and c != "prediction"]
    out[families] = out[families].fillna(0.0)
    return out[[*lead, *families, "prediction"]]


def _stack(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
