"""The rarely set options of :class:`~tsauto.Forecaster`, grouped by what they are about.

Each group is a small frozen dataclass; a plain ``dict`` with the same keys is accepted
wherever a group is (``Forecaster(..., data={"fill": "zero"})``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal, Sequence, TypeVar

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.learners.fallback import ShortSeries
from tsauto.forecasting.validation import Aggregate, Fill


@dataclass(frozen=True)
class DataOptions:
    """How the table is read and regularised, and what forecasts may be.

    ``freq``: pandas frequency alias (inferred when ``None``). ``aggregate``: roll duplicate
    rows up to ``freq`` (sum/mean/min/max). ``fill``: rule to impute missing targets.
    ``short_series``: series too short for a learner get seasonal naive (``"auto"``), are
    zero-padded (``"pad"``) or dropped (``"drop"``). ``non_negative``: ``"auto"`` clips the
    forecasts and quantiles of every series never negative in its history at zero; ``True``
    clips all, ``False`` none. ``discontinued``: series that have been exactly zero for at
    least a season (and longer than any earlier zero run) at the end are forecast as zero.
    """

    freq: str | None = None
    aggregate: Aggregate | None = None
    fill: Fill = "interpolate"
    short_series: ShortSeries = "auto"
    non_negative: bool | Literal["auto"] = "auto"
    discontinued: bool = True


@dataclass(frozen=True)
class SearchOptions:
    """How learners are compared and searched.

    ``max_trials``: stop the search after this many trials (with or without ``time_budget``).
    ``folds``: rolling-origin validation windows (``"auto"``: from the series lengths).
    ``ensemble``: blend the best trials by greedy ensemble selection. ``exclude``: learners
    never tried. ``patience``: stop after this many trials without improvement.
    ``target_score``: stop once a trial reaches it. ``random_state``: seed of the search and
    of the learners. ``run_dir``: a folder journaling every finished trial; a second fit with
    the same folder and data resumes without repeating them (and refuses other data).
    """

    max_trials: int | None = None
    folds: int | Literal["auto"] = "auto"
    ensemble: bool = True
    exclude: Sequence[str] = ()
    patience: int | None = None
    target_score: float | None = None
    random_state: int = 0
    run_dir: str | None = None


@dataclass(frozen=True)
class ComputeOptions:
    """Where the work runs. ``n_jobs``: worker processes (-1: all cores). ``backend``:
    ``"loky"`` (local processes), ``"sequential"`` or ``"dask"`` with ``client`` (a
    ``distributed.Client``). ``memory_limit``: the most memory one trial may use (bytes,
    ``"4GiB"``, ``"auto"``: a share of the machine's, or ``None``)."""

    n_jobs: int = -1
    backend: Literal["loky", "sequential", "dask"] = "loky"
    client: Any = None
    memory_limit: int | str | None = "auto"


O = TypeVar("O", DataOptions, SearchOptions, ComputeOptions)


def as_options(value: O | dict | None, cls: type[O], name: str) -> O:
    """``value`` as a ``cls``: ``None`` gives the defaults, a dict its keys."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise DataValidationError(
                f"{name}= has no option {unknown}; the options are {sorted(known)}."
            )
        return cls(**value)
    raise DataValidationError(f"{name}= takes a {cls.__name__} or a dict, got {type(value).__name__}.")
