"""The rarely set options of :class:`~tsauto.Forecaster`, grouped by what they are about.

Each group is a small frozen dataclass; a plain ``dict`` with the same keys is accepted
wherever a group is (``Forecaster(..., data={"fill": "zero"})``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from numbers import Integral, Real
from typing import Any, Literal, TypeVar

from tsauto.core.exceptions import DataValidationError, close_match
from tsauto.core.resources import check_n_jobs
from tsauto.core.search import check_seed
from tsauto.forecasting.learners.fallback import ShortSeries
from tsauto.forecasting.registry import FORECASTERS
from tsauto.forecasting.validation import Aggregate, Fill

YES_NO = {"yes": True, "no": False}  # the command line's words for a flag


def _count(value: object, name: str, other: str) -> None:
    """``value`` is None or a positive integer."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, Integral) or value < 1):
        raise DataValidationError(f"{name}={value!r}: give a positive integer, {other}.")


def _periods(value: object) -> Literal["auto"] | tuple[int, ...]:
    """``seasons=``: ``"auto"``, or its periods as a tuple of integers of at least 2."""
    if isinstance(value, str) and value == "auto":
        return "auto"
    periods = list(value) if isinstance(value, Iterable) and not isinstance(value, (str, bytes)) else None
    if periods is None or any(isinstance(m, bool) or not isinstance(m, Integral) or m < 2 for m in periods):
        raise DataValidationError(
            f"seasons={value!r}: give 'auto' or a list of periods in steps, each an integer of at "
            "least 2 (e.g. [7] for a week of days; [] for none)."
        )
    return tuple(int(m) for m in periods)


def _learner_names(value: object) -> tuple[str, ...]:
    """``exclude=``: registered learner names as a tuple (a single name is a list of one)."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, Iterable) or not all(isinstance(n, str) for n in names):
        raise DataValidationError(f"exclude={value!r}: give a list of learner names, e.g. ['tcn'].")
    names = tuple(names)
    unknown = [n for n in names if n not in FORECASTERS]
    if unknown:
        raise DataValidationError(
            f"exclude={value!r}: no learner is named {', '.join(map(repr, unknown))}; "
            f"the learners are {', '.join(FORECASTERS.names())}."
        )
    return names


@dataclass(frozen=True)
class DataOptions:
    """How the table is read and regularised, and what forecasts may be.

    ``freq``: pandas frequency alias (inferred when ``None``; ``"C(Mon Tue Wed Thu Fri Sat)"``
    for the days of a shop closed on Sundays, ``"C(Mon Tue Wed Thu Fri; US holidays)"`` for
    weekdays that are not public holidays, ``"CBH(09:00-18:00 Mon Tue Wed Thu Fri)"`` for
    its opening hours). ``aggregate``: roll duplicate
    rows up to ``freq`` (sum/mean/min/max). ``fill``: rule to impute missing targets within a
    series (those before its first observed target are dropped, and those after its last one
    but with ``"zero"``, where they are sales that did not happen).
    ``short_series``: series too short for a learner get seasonal naive (``"auto"``), are
    zero-padded (``"pad"``) or dropped (``"drop"``). ``non_negative``: ``"auto"`` clips the
    forecasts and quantiles of every series never negative in its history at zero; ``True``
    clips all, ``False`` none (``"yes"`` and ``"no"`` as ``--non-negative`` takes them).
    ``discontinued``: series that have been exactly zero for at least a season (and longer
    than any earlier zero run) at the end are forecast as zero.
    ``seasons``: the seasonal periods in steps, strongest first (``"auto"``: the calendar's
    and those the autocorrelation shows, see :func:`~tsauto.forecasting.frequency.detect_seasonality`;
    ``()``: none), as Azure AutoML's ``seasonality``: for integer steps and series too short
    to show their period.
    """

    freq: str | None = None
    aggregate: Aggregate | None = None
    fill: Fill = "interpolate"
    short_series: ShortSeries = "auto"
    non_negative: bool | Literal["auto"] = "auto"
    discontinued: bool = True
    seasons: Literal["auto"] | Sequence[int] = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "seasons", _periods(self.seasons))
        if isinstance(self.non_negative, str) and self.non_negative in YES_NO:  # as --non-negative
            object.__setattr__(self, "non_negative", YES_NO[self.non_negative])
        if not (isinstance(self.non_negative, bool) or self.non_negative == "auto"):
            raise DataValidationError(
                f"non_negative={self.non_negative!r}: use True, False or 'auto' ('yes' and 'no' "
                "as on the command line)."
            )
        if not isinstance(self.discontinued, bool):
            raise DataValidationError(f"discontinued={self.discontinued!r}: use True or False.")


@dataclass(frozen=True)
class SearchOptions:
    """How learners are compared and searched.

    ``max_trials``: stop the search after this many trials (with or without ``time_budget``).
    ``folds``: rolling-origin validation windows (``"auto"``: from the series lengths).
    ``ensemble``: blend the best trials by greedy ensemble selection. ``exclude``: learners
    never tried (registry names; one name alone is a list of one). ``patience``: stop after
    this many trials without improvement.
    ``target_score``: stop once a trial reaches it (a number). ``random_state``: seed of the
    search and of the learners (an integer). ``run_dir``: a folder journaling every finished
    trial; a second fit with the same folder and data resumes without repeating them (and
    refuses other data, horizon or metric).
    """

    max_trials: int | None = None
    folds: int | Literal["auto"] = "auto"
    ensemble: bool = True
    exclude: Sequence[str] = ()
    patience: int | None = None
    target_score: float | None = None
    random_state: int = 0
    run_dir: str | None = None

    def __post_init__(self) -> None:
        _count(self.max_trials, "max_trials", "or None (no limit)")
        _count(self.patience, "patience", "or None (no early stop)")
        object.__setattr__(self, "exclude", _learner_names(self.exclude))
        score = self.target_score
        if score is not None and (isinstance(score, bool) or not isinstance(score, Real)):
            raise DataValidationError(
                f"target_score={score!r}: give a number, the metric's value at which the "
                "search stops (e.g. 0.8 for MASE), or None."
            )
        check_seed(self.random_state)
        if self.folds != "auto":
            _count(self.folds, "folds", "or 'auto'")
        if not isinstance(self.ensemble, bool):
            raise DataValidationError(f"ensemble={self.ensemble!r}: use True or False.")


@dataclass(frozen=True)
class ComputeOptions:
    """Where the work runs. ``n_jobs``: worker processes (-1: all cores). ``backend``:
    ``"loky"`` (local processes), ``"sequential"`` or ``"dask"`` on ``client`` (a
    ``distributed.Client``; without one, the current client); left out, ``"dask"`` where a
    client is given, else ``"loky"`` (a client with another backend is refused).
    ``memory_limit``: the most memory one trial may use (bytes, ``"4GiB"``, ``"auto"``: a
    share of the machine's, or ``None``), counted with what a worker
    holds at start (~0.27 GiB: tsauto's learners imported): on Linux a cap leaving it under
    256 MiB more is refused."""

    n_jobs: int = -1
    backend: Literal["loky", "sequential", "dask"] | None = None  # a name once made
    client: Any = None
    memory_limit: int | str | None = "auto"

    def __post_init__(self) -> None:
        from tsauto.core.executor import parse_memory, resolve_backend

        check_n_jobs(self.n_jobs)
        object.__setattr__(self, "backend", resolve_backend(self.backend, self.client))
        try:
            parse_memory(self.memory_limit)
        except (ValueError, TypeError) as err:
            raise DataValidationError(str(err)) from None


O = TypeVar("O", DataOptions, SearchOptions, ComputeOptions)


# Other libraries' names for the options (Optuna's n_trials, pandas' frequency ...): suggested
# as the option's own (user test 50: "has no option ['n_trials']" named no max_trials)
OPTION_ALIASES = {"n_trials": "max_trials", "frequency": "freq", "seed": "random_state", "n_windows": "folds",
                  "num_val_windows": "folds", "cv": "folds", "season_length": "seasons", "jobs": "n_jobs"}


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
            hints = "".join(close_match(OPTION_ALIASES.get(k, k), known) for k in unknown)
            raise DataValidationError(
                f"{name}= has no option {unknown}{hints}; the options are {sorted(known)}."
            )
        return cls(**value)
    raise DataValidationError(f"{name}= takes a {cls.__name__} or a dict, got {type(value).__name__}.")
