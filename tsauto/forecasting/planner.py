"""The plan of a fit: from the validated panel and the user's settings to what the engine runs.

Everything a fit decides before learning is decided here, once, and written down in a
:class:`Plan`: the seasonal periods and holidays (the :class:`Task` every learner shares), the
portfolio of learners and the candidates the search may try, the validation folds, and how the
time budget is split. ``Plan.notes`` says why each choice was made.

The default portfolio (``learners="auto"``) follows the literature on what wins on unseen data:
combinations of ETS, Theta and ARIMA lead on short yearly, quarterly and monthly series (M3, M4),
a global LightGBM leads on long and many series (M4 Hourly, M5); neither is known in advance,
so both enter, are compared by rolling-origin validation and blended by the ensemble. Where
series are long, a second LightGBM trained on their recent rows only enters beside the first:
whether old behaviour still holds is not known in advance either.
ARIMA, Prophet and the TCN enter only where their estimated cost is affordable.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from numbers import Real
from typing import Literal

import numpy as np

from tsauto.core.exceptions import DataValidationError
from tsauto.core.resources import cores, n_workers
from tsauto.core.search import Candidate, SearchSettings, budget_to_finish
from tsauto.core.selection import SHRINK_TOP
from tsauto.forecasting import registry
from tsauto.forecasting.features.target_transforms import mostly_nonstationary
from tsauto.forecasting.frequency import detect_seasonality, seasonal_periods
from tsauto.forecasting.learners.base import Learner, Task
from tsauto.forecasting.learners.ets import MAX_SEASON as ETS_MAX_SEASON
from tsauto.forecasting.learners.fallback import FALLBACK
from tsauto.forecasting.learners.intermittent import intermittent_share
from tsauto.forecasting.learners.lightgbm import DEFAULT_PARAMS, LARGE_DATA_ROWS, recent_rows
from tsauto.forecasting.options import ComputeOptions, SearchOptions
from tsauto.forecasting.panel import Panel

log = logging.getLogger(__name__)

# The default portfolio, cheapest first; each only where affordable (see COST),
# "lightgbm_recent" only where series are long (see _recent_is_distinct). Drift (instant) joined
# on validation (2026-12-04, the last 3 windows of the M1 training parts, 2 of M4 Weekly and
# Walmart): OWA better in 5 of 13 windows (M1 yearly 0.821 -> 0.798), worse in 2 (Walmart +0.15 %)
# and the same in 6; mean over M1 0.841 -> 0.838 (benchmarks/README.md).
PORTFOLIO = ("seasonal_naive", "naive", "drift", "theta", "ets", "lightgbm", "lightgbm_recent")
# What a budgeted search may add on top, where affordable. ARIMA left the unbudgeted default on
# validation (2026-12-04, the last 3 windows of the M1 yearly training parts, the only suite set
# where it was affordable): OWA 0.805 with it, 0.792 without (one window better with it, one the
# same, one worse), for 3.5x the fit time (30.7 -> 8.8 s for the three).
SEARCH_EXTRA = ("auto_arima", "stat_combo", "prophet", "tcn")
INTERMITTENT = ("tsb", "croston")
# Left out together when a budget cannot afford LightGBM (size_lightgbm): the recent one trains
# on fewer rows but builds the features of every row. Only "lightgbm" gets sized parameters: the
# recent one's boosting rounds cost little.
LIGHTGBMS = ("lightgbm", "lightgbm_recent")
# The local learners an unbudgeted default on short series keeps by cutting folds, and what
# "short" is: on M1 (median 15-66 points) they lead; on M4 Weekly / Hourly (about 900) LightGBM
# and three folds do (planner._folds_for_local_learners).
LOCAL_CORE = ("ets", "theta")
# The median series' length, in the recent LightGBM's rows, from which it joins the default.
# Validation on the training parts: it gains where series are 15-20 times its rows (M4 Hourly,
# Weekly; OWA -4 to -8 %), is neutral at 18 (Australian retail) and adds nothing at 2.75 (two
# windows, 2026-12-04: M1 monthly never in the blend, the same forecasts without it; Walmart
# OWA 0.582 both), where it cost 8 CPU s of the M1 monthly default's 100 (benchmarks/README.md).
RECENT_SPAN = 4
# Training rows (its recent rows of every series, together) under which the recent LightGBM is
# left out: fewer than its trees need to grow 4 leaves of min_data_in_leaf (20) rows from a bag
# of 0.8 of them (100). Measured on vic_elec's daily demand (one series, temperature known, its
# recent rows set by max_samples_per_series, MASE of 4 origins of 14 days): at the default's
# 24 rows no tree split at all (a constant, MASE 1.56; user test 48: weight 0.04, every gain 0);
# 48 and 50 rows: stumps, boosting stopped after 183 and 306 of 500 rounds (MASE 1.25, 1.34);
# 60: stumps (1.06); 100: up to 4 leaves (0.94); 800: 25 leaves (0.65). Where it is in the
# default now, rows abound: M4 Hourly 414 x 48 = 19,872, Weekly 359 x 52 = 18,668 (x 24 without
# its season: 8,616), Australian retail 152 x 24 = 3,648.
RECENT_MIN_LEAVES = 4
RECENT_MIN_TRAIN_ROWS = round(
    RECENT_MIN_LEAVES * DEFAULT_PARAMS["min_data_in_leaf"] / DEFAULT_PARAMS["bagging_fraction"]
)
# How far the greedy ensemble weights of the default portfolio move toward equal weights on the
# best trials of its 3 best learners (selection.ensemble_weights). Chosen on validation
# (benchmarks/bench_blend_rules.py, the training parts only): without a budget (2026-12-04, the
# last 3 windows of the 12 suite sets of more than 10 series) mean OWA 0.7863 greedy, 0.7834
# halfway (9 sets better, 3 worse by at most 0.003), 0.7854 equal weights alone; with
# time_budget=120 (2026-12-05, the last 2 windows of M1 x3, M4 Hourly and Weekly) 0.7297 greedy,
# 0.7276 halfway toward the 3 best learners (7 windows better, 2 worse), 0.7299 toward the 3
# best trials (often variants of one learner: 3 better, 7 worse). Learners the user names keep
# greedy weights: without the portfolio's baselines, their 3rd best may be far worse.
BLEND_SHRINK = 0.5
SHORT_SERIES = 300
# CPU seconds to fit one series of up to 100 points, without and with a seasonal period
# (measured on M1, one core: ARIMA 0.21 / 0.81 / 1.75 on all 181 yearly, 40 quarterly and 30
# monthly series; Theta per 100 points 0.0028 M1 yearly, 0.0015 / 0.0018 M1 quarterly / monthly,
# 0.0015 M4 Weekly, 0.0006 Hourly, 0.0013 Walmart, 2026-12-02; ETS, one fit of all series of a
# training part, 2026-12-02: seasonal 0.053 M4 Hourly, 0.052 Australian retail, 0.044 M1
# monthly, 0.031 M1 quarterly; plain or with a long season taken out first (``SEASONAL_UP_TO``)
# 0.021 M4 Weekly, 0.020 Walmart); longer series cost proportionally more. Learners not listed
# fit all series at once, cheaply. Since its long season is taken out by non-robust STL
# (2026-12-06), ETS with m=52 costs less than this prices it (M4 Weekly: about 108 s on 3 folds,
# left out). Tried and not taken: ETS priced at a fifth, in M4 Weekly's default blend (0.19-0.47)
# on both validation windows, MASE 2.095 / 2.165 -> 2.198 / 2.269 (sMAPE 6.649 / 7.063 ->
# 6.618 / 7.430): worse, so the price that leaves it out stays. ETS re-measured 2026-12-07, when
# its multiplicative-season criterion became compiled (user test 46 T2; CPU s per series of 100
# points, one fit, old -> new code at the same moment, one core): whole training parts as before
# or cheaper (M4 Hourly 0.034 -> 0.033, M1 monthly 0.031 -> 0.031, quarterly 0.025 -> 0.024,
# Australian retail 0.040 -> 0.026), while a few long seasonal series, which cost 2-3x the price
# before (10 Wikipedia series, m=7, 0.157; 30 M4 Hourly 0.128; 4 M4 Daily 0.134), now cost less
# than it (0.046, 0.032, 0.035): the price stays, and holds on small panels too.
COST = {
    "auto_arima": (0.21, 1.5),
    "prophet": (0.4, 0.4),
    "ets": (0.022, 0.055),
    "theta": (0.003, 0.002),
    "tcn": (0.02, 0.02),
}
COST["stat_combo"] = tuple(map(sum, zip(*(COST[n] for n in ("auto_arima", "ets", "theta")))))
# Seasons above which a learner takes the season out before fitting: it costs as without one.
SEASONAL_UP_TO = {"ets": ETS_MAX_SEASON}
# LightGBM's trial: seconds per training row and boosting round, and per row for features and
# forecasts, one thread (M4 Weekly training part, 362k rows, 36 features, one fit alone,
# 2026-12-03: 0.071 s a round with 63 leaves, 0.101 with 127, 2.9 s besides; M4 Hourly, 334k
# rows, 43 features: 0.118 with 127; M1 monthly, 34k rows: 0.012 with 63). The constant of
# 2026-12-02 (0.86e-7) was 2.3x too low here: sized trials overran their aim (M4 Weekly at 120 s:
# 367 rounds aimed at 19 s took 34 s) and searched ones timed out.
LGB_ROUND_SECONDS = 2.2e-7
# A round's cost on few rows, where the histograms of every feature's bins, not the rows, take
# the time (2026-12-07, M4 Hourly's first 1 / 2 / 5 / 15 / 50 series alone, one thread: 0.92 /
# 1.63 / 1.88 / 2.49 / 4.64 s for 700 to 35,000 rows; vic_elec's 1,004 days 1.6 ms a round).
# Without it, 10 folds on one series were estimated at 1.2 s against 8.8 s measured, so its
# folds were not shared with the idle worker (search.Search._parts). 1.5 ms overpriced M1
# quarterly (fewer features: 1.7-1.9 s a fit measured, 2.7 s estimated; review 50); with 1.2 ms
# 1.6 s, M1 yearly 0.34 s against 0.3 s a fit, vic_elec 0.71 s against 0.88 s.
LGB_ROUND_FLOOR_SECONDS = 1.2e-3
# a round of LARGE_DATA_LEAVES leaves from LARGE_DATA_ROWS rows (1.42x on M4 Weekly, above)
LGB_LARGE_ROUND_COST = 1.4
LGB_ROW_SECONDS = 1.1e-5
LGB_ROUNDS, LGB_RATE = DEFAULT_PARAMS["num_boost_round"], DEFAULT_PARAMS["learning_rate"]
LGB_MIN_ROUNDS = 50  # fewer: LightGBM is left out of the budget
LGB_KEEP_FOLDS_ROUNDS = 200  # folds are dropped before rounds are cut below this
# Of the time budget, what LightGBM's default trial (all its folds, on one worker beside the
# cheaper defaults on the others) may take: default trials run to the search's end, not to a
# searched trial's share (``DEFAULT_TRIAL_SHARE``), so that a budget that affords about the
# default comparison runs it nearly as without a budget, and one that does not keeps as many
# folds as it can (M4 Weekly at 300 s: 3 folds and 285 rounds when a fifth of the budget was the
# aim, now 412 rounds; at 120 s 1 fold, now 2. Validation OWA, two windows, M4 Hourly and Weekly:
# 0.646 -> 0.630 at 120 s, 0.630 -> 0.621 at 300 s; benchmarks/README.md).
LGB_DEFAULT_SHARE = 0.5
DEFAULT_TRIAL_SHARE = 1.0  # of the search's budget, what a default trial may take: to its end
# With fewer series than ANCHOR_SERIES, the median of SHORT_SERIES points or fewer, the blend's
# shrunk share goes to equal weights on ANCHOR[seasonal] (Theta with ETS, or with drift where
# there is no season), whatever the validation windows say: they are too few to rank learners
# by, and greedy weights on them picked one member alone for 28-55 % of single M1 series.
# Validation, the last horizon of the training parts (2026-12-07; benchmarks/README.md): single
# series, 80 random M1 series a period fitted one at a time, OWA 0.761 / 0.941 / 0.917 -> 0.726
# / 0.918 / 0.907 (yearly / quarterly / monthly; statsforecast's mean of AutoETS, AutoTheta and
# AutoARIMA 0.751 / 0.911 / 0.925); panels of 5 and 12 series (bench_suite.py --series, 2
# windows) of M1 and Australian retail by quarter and year better in 9 of 10 (mean 0.919 ->
# 0.870, 0.855 -> 0.841; M1 quarterly's 12 series 0.776 -> 0.812). Tried: the median of ETS,
# Theta and ARIMA (stat_combo) as the anchor, as good (0.917 / 0.911 single quarterly) but
# 4-8x the fit time. Not on long series (M4 Daily's 4, Wikipedia's 10: mixed, LightGBM's) and
# never where the user names the learners. Between 13 and 29 series (panels of 20 and 25, 2
# windows, the same sets): mean OWA 0.804 with it, 0.809 with the 3 best learners' rule.
ANCHOR = {False: ("theta", "drift"), True: ("ets", "theta")}
ANCHOR_SERIES = 30
NO_BUDGET_SECONDS = 60.0  # what an unbudgeted default fit may spend on one costly learner
# Workers a learner's estimated seconds are shared by at most: a default trial's series stay in
# its own worker (n_jobs=1), so more workers do not shorten it. The limits above were chosen
# with 2 workers, which the portfolio keeps busy; counting all 16 workers of a 16-core machine
# (2026-12-04) admitted ETS on M4 Hourly (about 580 CPU s on its one worker) and the default
# fit ran past 520 s (about 90 s on 2 cores). The portfolio and folds are the same from 2 cores up.
PLAN_WORKERS = 2
# The learner a default fits alone where no series is longer than the horizon (no window to
# validate on; e.g. 12 months of history and 18 to forecast): Theta, the M3 competition's winner
# on short yearly, quarterly and monthly series, with native intervals; tsauto's Theta matches
# statsforecast's AutoTheta on the M1 test parts to 3 decimals (benchmarks/RESULTS.md).
UNVALIDATED_DEFAULT = "theta"
SEARCH_SHARE = 0.8  # of the budget for the search at most; the rest for the ensemble and the
# refit, more where the blend's refit needs it (engine._refit_reserve)
TRIAL_SHARE = 0.3  # of the search's share: the most one trial of a learner may be estimated at
# The default comparison a budgeted search runs whole, whatever TRIAL_SHARE says, where its
# trials are estimated within this share of the search's time together (_affords_default).
DEFAULT_SHARE = 0.5
MAX_FOLDS = 3
# Panels of few series get more folds, up to FEW_SERIES_FOLDS, for SERIES_WINDOWS validation
# windows (series x folds) at least: the ensemble's weights and the quantiles' calibration read
# the errors of every window at each horizon step, and 3 windows of one series are 3 days of an
# hourly series. Validation on single long series (2026-12-06; ETTh1 OT and HUFL inside its first
# 16 months, vic_elec's demand in its first 2 years, hourly bike rentals in their first year; 8
# weekly origins, then 6 others 3 days later), the default with quantiles [0.05, 0.1, 0.9, 0.95],
# 3 folds -> 10: scaled pinball 1.176 -> 0.880, 0.217 -> 0.232, 0.994 -> 0.801, 0.149 -> 0.138;
# 0.499 -> 0.524, 0.360 -> 0.224, 0.998 -> 0.961, 0.140 -> 0.126 (geometric mean of the ratios
# 0.873, better in 6 of 8); 90 % band coverage 0.57 / 0.85 / 0.58 / 0.86 -> 0.80 / 0.92 / 0.81 /
# 0.89 and 0.82 / 0.77 / 0.83 / 0.87 -> 0.85 / 0.94 / 0.92 / 0.91; point MAE (second origins)
# +14 % / -30 % / -7 % / 0 %; fits 2-3.6x longer (ETTh1 OT 9 -> 33 s). 6 folds: 0.409, 0.263,
# 1.183, 0.137 on the second origins, better and worse than both.
SERIES_WINDOWS, FEW_SERIES_FOLDS = 10, 10


@dataclass(frozen=True)
class Plan:
    """What the engine runs for one fit, and why (``notes``)."""

    task: Task
    candidates: dict[str, Candidate]
    classes: dict[str, type]  # learners given as instances, by name
    folds: int
    searching: bool
    validate: bool  # compare candidates (or calibrate intervals) by rolling-origin validation
    search_budget: float | None
    max_trials: int | None
    notes: tuple[str, ...] = field(default=())
    shrink: float = 0.0  # share of the ensemble's weights moved to equal weights on its best
    toward: tuple[str, ...] = ()  # or onto equal weights on these learners' best trials (few series: anchor())


def make_task(
    panel: Panel,
    horizon: int,
    holidays: str | Sequence[str] | None,
    quantiles: float | Sequence[float] | None,
    n_jobs: int,
    random_state: int,
    seasons: Literal["auto"] | Sequence[int] = "auto",
) -> Task:
    """The task all learners share: horizon, seasonal periods (``seasons``: given, or
    ``"auto"``: from the frequency and the data), quantiles, holidays, and whether most series
    are non-stationary in level, and how many observations it has."""
    schema = panel.schema
    if seasons != "auto":
        seasons = list(seasons)
    elif schema.freq is None:
        seasons = detect_seasonality(panel.y, panel.indptr, None)
    else:
        candidates = seasonal_periods(schema.freq)
        seasons = detect_seasonality(panel.y, panel.indptr, candidates, horizon=horizon) if candidates else []
    levels = quantile_levels(quantiles)
    countries, column = holiday_settings(panel, holidays)
    log.info("seasonal periods: %s", seasons or "none")
    return Task(
        horizon=horizon,
        season=seasons[0] if seasons else 1,
        seasons=tuple(seasons),
        quantiles=levels,
        holidays=countries,
        holiday_column=column,
        n_jobs=n_jobs,
        random_state=random_state,
        nonstationary=mostly_nonstationary(panel.y, panel.indptr),
        observations=len(panel.y),
    )


def quantile_levels(quantiles: float | Sequence[float] | None) -> tuple[float, ...]:
    """``quantiles=`` as sorted distinct levels: a single number is a list of one (``0.9``:
    ``[0.9]``); a level given twice counts once (it weighed twice in the held-out loss that
    chooses how intervals are made: ``[0.9, 0.1, 0.9]`` chose other bands than ``[0.1, 0.9]``)."""
    if quantiles is None:
        return ()
    values = [quantiles] if isinstance(quantiles, Real) else quantiles
    fix = "give numbers strictly between 0 and 1, such as [0.1, 0.9]"
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise DataValidationError(f"quantiles={quantiles!r}: {fix}.")
    values = list(values)
    if any(isinstance(q, bool) or not isinstance(q, Real) for q in values):
        raise DataValidationError(f"quantiles={quantiles!r}: each must be a number; {fix}.")
    levels = tuple(sorted({float(q) for q in values}))
    if any(not 0 < q < 1 for q in levels):
        if all(1 <= q < 100 for q in levels):  # percentages: quantiles=95 for a 95 % band (user test 51)
            fix += f" (levels, not percentages: quantiles=[{', '.join(f'{q / 100:g}' for q in levels)}]"
            if len(levels) == 1 and levels[0] >= 50:
                p = levels[0] / 100
                fix += f"; the {levels[0]:g} % band is quantiles=[{(1 - p) / 2:.4g}, {(1 + p) / 2:.4g}]"
            fix += ")"
        raise DataValidationError(f"quantiles={quantiles!r}: each must lie in (0, 1); {fix}.")
    return levels


def holiday_settings(
    panel: Panel, holidays: str | Sequence[str] | None
) -> tuple[tuple[str, ...], str | None]:
    """Country codes for everyone, or the static column holding each series' country."""
    if holidays is None:
        return (), None
    schema = panel.schema
    if schema.freq is None:
        raise DataValidationError(
            f"holidays={holidays!r} needs timestamps, but column {schema.time!r} holds integer "
            "steps: give dates or drop holidays=."
        )
    if isinstance(holidays, str) and holidays in schema.static:
        return (), holidays
    if isinstance(holidays, str) and holidays in schema.covariates:
        raise DataValidationError(
            f"holidays={holidays!r} names a column that changes within a series; it must hold "
            "one country code per series."
        )
    codes = (holidays,) if isinstance(holidays, str) else tuple(holidays)
    from tsauto.forecasting.features.holiday import holiday_dates

    for c in codes:
        holiday_dates(c, 2000, 2001)  # fails early on an unknown country
    return codes, None


def auto_folds(panel: Panel, task: Task) -> int:
    """Validation windows the series can afford: up to ``MAX_FOLDS`` of ``horizon`` steps
    (more for few series: ``SERIES_WINDOWS``), leaving the median series at least two seasons
    (or eight points) to train on."""
    keep = max(2 * task.season, 8)
    median = float(np.median(panel.lengths))
    wanted = max(MAX_FOLDS, min(FEW_SERIES_FOLDS, -(-SERIES_WINDOWS // panel.n_series)))
    return int(max(1, min(wanted, (median - keep) // task.horizon)))


def _folds_held(panel: Panel, task: Task, folds: int, notes: list[str]) -> int:
    """The ``folds`` asked for, or as many as the longest series holds (windows of ``horizon``
    steps after at least one training point) where it holds fewer, with a note."""
    longest = int(panel.lengths.max())
    held = max(1, (longest - task.horizon - 1) // task.horizon + 1)
    if folds <= held:
        return int(folds)
    notes.append(f"folds={folds} asked for, but the longest series ({longest} steps) holds {held} "
                 f"validation folds of {task.horizon} steps: {held} used")
    return held


def make_plan(
    panel: Panel,
    task: Task,
    learners: str | Sequence[str | Learner],
    time_budget: float | None,
    search: SearchOptions,
    compute: ComputeOptions,
    stopped: np.ndarray | None = None,
) -> Plan:
    """The candidates, folds and budget of a fit (see the module docstring); ``stopped``: the
    series forecast as zero, discontinued (their trailing zeros make no demand pattern)."""
    if learners == "auto" and not _has_window(panel, task):
        return _unvalidated_default(panel, task, set(search.exclude or ()))
    notes: list[str] = []
    searching = time_budget is not None or search.max_trials is not None
    folds = auto_folds(panel, task) if search.folds == "auto" else _folds_held(panel, task, search.folds, notes)
    workers = n_workers(compute.n_jobs)
    sized = None
    if time_budget is not None and _lightgbm_by_default(learners):
        folds, sized = size_lightgbm(panel, folds, search.folds == "auto", time_budget, workers, notes)
    exclude = set(search.exclude or ())
    share = intermittent_share(panel, stopped)
    intermittent = share > 0.5
    default_folds, usual = 0, []  # the comparison without a budget, what a budget is measured against
    if learners == "auto" and time_budget is not None:
        default_folds, usual = _default_comparison(panel, task, workers, search, intermittent)
    if learners == "auto" and search.folds == "auto":
        if time_budget is not None:
            folds = _folds_for_portfolio(panel, task, folds, workers, time_budget, usual, sized, notes)
        else:
            folds = _folds_for_local_learners(panel, task, folds, workers, exclude, notes)
    folds_note = f"{folds} validation fold(s) of {task.horizon} steps"
    notes.append(folds_note)
    classes: dict[str, type] = {}
    if learners == "auto":
        chosen = _portfolio(panel, task, folds, workers, time_budget, searching, exclude, notes, intermittent, usual,
                            sized)
        if sized == {}:
            chosen = [n for n in chosen if n not in LIGHTGBMS]
        over = _over_trial_limit(panel, task, folds, workers, time_budget, chosen)
        candidates = {
            n: Candidate(n, space=None if n in over else _space(registry.FORECASTERS[n].load(), searching, panel),
                         defaults=_default_params(registry.create(n), sized),
                         cost=registry.FORECASTERS[n].cost, seconds=trial_seconds(n, panel, task, folds),
                         rank=int(n in SEARCH_EXTRA))
            for n in chosen
        }
    else:
        items = [learners] if isinstance(learners, (str, Learner)) else list(learners)
        if not items:
            raise DataValidationError("learners= is empty: name at least one learner.")
        candidates = {}
        for item in items:
            lrn = item if isinstance(item, Learner) else registry.create(item)
            if lrn.name in exclude:
                continue
            if isinstance(item, Learner):
                classes[lrn.name] = type(lrn)
            defaults = _default_params(lrn, None if isinstance(item, Learner) else sized)
            entry_cost = registry.FORECASTERS[lrn.name].cost if lrn.name in registry.FORECASTERS else 1.0
            candidates[lrn.name] = Candidate(
                lrn.name, space=_space(type(lrn), searching, panel), defaults=defaults, cost=entry_cost,
                seconds=trial_seconds(lrn.name, panel, task, folds),
            )
        if not candidates:
            raise DataValidationError("every learner of learners= is excluded: check exclude=.")
        named = [n for n in INTERMITTENT if n in candidates]
        if named and not intermittent:
            message = (f"{', '.join(named)} forecast intermittent demand (mostly zeros), but "
                       f"{1 - share:.0%} of the series are not intermittent: "
                       "their flat mean-like forecasts trail naive there (M1 yearly: median MASE 9.1 "
                       "against 3.8)")
            log.warning(message)
            notes.append(message)
    if time_budget is not None and learners == "auto":
        _note_cuts(panel, task, folds, sized, list(candidates), workers, time_budget, default_folds, usual, notes)
    native = all(
        (classes.get(n) or registry.FORECASTERS[n].load()).tags.native_quantiles for n in candidates
    )
    # a learner's own quantiles are calibrated on the folds too (ETS's 80 % band held 68 % of
    # Walmart's next 8 weeks raw); without a window to validate they are kept as they are
    calibrate = bool(task.quantiles) and (not native or _has_window(panel, task))
    validate = searching or len(candidates) > 1 or calibrate
    if not validate:  # the folds are not run: the leaderboard says "not validated" too
        notes[notes.index(folds_note)] = (
            f"not validated: one learner and no search ({_no_window(panel, task)}: its own "
            "quantiles, not calibrated; backtest() scores it)" if task.quantiles else
            "not validated: one learner, no search and no quantiles= (backtest() scores it)"
        )
    if validate and not _has_window(panel, task):
        raise DataValidationError(
            f"{_no_window(panel, task)}: the learners cannot be compared, searched or their intervals "
            "calibrated; give one learner with native quantiles (or none), a shorter horizon, or "
            "longer series."
        )
    search_budget = None if time_budget is None else SEARCH_SHARE * float(time_budget)
    max_trials = search.max_trials if searching else len(candidates)
    shrink = BLEND_SHRINK if learners == "auto" else 0.0
    toward = anchor(panel, task, candidates) if shrink and not searching else ()  # measured without a search
    if shrink and len(candidates) > 1 and search.ensemble:
        notes.append(_shrink_rule(shrink, toward))
    return Plan(task, candidates, classes, folds, searching, validate, search_budget, max_trials,
                tuple(notes), shrink, toward)


def anchor(panel: Panel, task: Task, candidates: Sequence[str]) -> tuple[str, ...]:
    """The learners a blend of few short series moves its shrunk share onto, equally: Theta with
    ETS where there is a season, with drift where there is none (``ANCHOR``); none with
    ``ANCHOR_SERIES`` series or more, a median series longer than ``SHORT_SERIES``, or neither
    learner among the ``candidates``. Each partition's or hierarchy node's fit decides for
    itself; a search (``time_budget=``, ``max_trials``) keeps the 3 best learners' rule, measured
    with it."""
    if panel.n_series >= ANCHOR_SERIES or float(np.median(panel.lengths)) > SHORT_SERIES:
        return ()
    return tuple(n for n in ANCHOR[task.season > 1] if n in candidates)


def _shrink_rule(shrink: float, toward: tuple[str, ...] = ()) -> str:
    """The plan's note of the blend rule: written before the ensemble is chosen, so the rule and
    its exception; the fit adds the outcome (user test 48: "moved 50%" noted, while the weights stayed
    greedy, lightgbm 0.80 and ets 0.00, as the shrunk ones validated worse than lightgbm alone)."""
    if toward:
        return (f"ensemble: greedy weights to move {shrink:.0%} toward equal weights on {' and '.join(toward)}: "
                f"with fewer than {ANCHOR_SERIES} short series the validation windows are too few to weigh "
                "the learners by")
    return (f"ensemble: greedy weights to move {shrink:.0%} toward equal weights on the {SHRINK_TOP} "
            "best learners, unless so moved they validate worse than the best trial alone (then "
            "greedy; the fitted plan's notes say which, leaderboard() has the weights)")


def _default_params(learner: Learner, sized: dict | None) -> dict:
    """A candidate's default trial: ``learner``'s parameters written out (LightGBM's rounds
    ``sized`` to the budget), so that the search knows a proposal of the same values for a
    repeat (``{}`` then ``{'model': 'auto'}`` ran Theta's default twice, a tenth of a 30 s
    budget)."""
    params = learner.get_params()
    if learner.name == "lightgbm" and sized:
        params.update(sized)
    return params


def _has_window(panel: Panel, task: Task) -> bool:
    """Whether some series is longer than the horizon: a window can be held out to validate."""
    return int(panel.lengths.max()) > task.horizon


def _no_window(panel: Panel, task: Task) -> str:
    return (f"no series has more observations than horizon={task.horizon} (the longest has "
            f"{int(panel.lengths.max())}), so no window can be validated")


def _unvalidated_default(panel: Panel, task: Task, exclude: set[str]) -> Plan:
    """The default where no window can be validated: ``UNVALIDATED_DEFAULT`` alone, fitted
    without comparison (a budget has nothing to search on); seasonal naive, what too short a
    series gets from any learner, where every series is too short for it."""
    if UNVALIDATED_DEFAULT in exclude:
        raise DataValidationError(
            f"{_no_window(panel, task)}, and {UNVALIDATED_DEFAULT!r}, the default then, is excluded: "
            "give learners=[one learner], a shorter horizon, or longer series."
        )
    name = UNVALIDATED_DEFAULT
    if int(panel.lengths.max()) < registry.create(name).min_length(task):
        name = FALLBACK
    note = f"{_no_window(panel, task)}: {name} fitted alone, without comparison"
    log.warning(note)
    candidates = {name: Candidate(name, cost=registry.FORECASTERS[name].cost)}
    return Plan(task, candidates, {}, 1, False, False, None, 1, (note,))


def _portfolio(
    panel: Panel,
    task: Task,
    folds: int,
    workers: int,
    time_budget: float | None,
    searching: bool,
    exclude: set[str],
    notes: list[str],
    intermittent: bool = False,
    usual: Sequence[str] = (),
    sized: dict | None = None,
) -> list[str]:
    """The learners a fit compares: the portfolio's (with ``searching``, the search's extras)
    that are estimated within the cap without a budget, or within their share of one (every
    learner of the default comparison ``usual`` where the budget affords it whole:
    :func:`_affords_default`, LightGBM as ``sized``)."""
    names = list(PORTFOLIO) + (list(SEARCH_EXTRA) if searching else [])
    if intermittent:
        names += list(INTERMITTENT)
        notes.append("mostly intermittent series: Croston and TSB added")
    if task.season <= 1:
        names.remove("seasonal_naive")  # the same forecasts as naive
    if not _recent_is_distinct(panel, task):
        names.remove("lightgbm_recent")  # it would train on (nearly) every row, as lightgbm does
    elif (rows := _recent_train_rows(panel, task)) < RECENT_MIN_TRAIN_ROWS:
        names.remove("lightgbm_recent")
        if "lightgbm_recent" not in exclude:  # one the user left out needs no reason
            notes.append(f"lightgbm_recent left out: {rows} training rows (the last {recent_rows(task)} of "
                         f"each series) are too few for its trees to split (fewer than {RECENT_MIN_TRAIN_ROWS})")
    limit = NO_BUDGET_SECONDS if time_budget is None else TRIAL_SHARE * SEARCH_SHARE * time_budget
    whole = time_budget is not None and _affords_default(panel, task, folds, workers, time_budget, usual, sized)
    chosen = []
    for name in names:
        if name in exclude:
            continue
        cls = registry.FORECASTERS[name].load()
        if panel.schema.freq is None and cls.tags.needs_calendar:
            notes.append(f"{name} left out: it needs timestamps")
            continue
        seconds = estimated_seconds(name, panel, task, folds, workers)
        if seconds > limit and not (whole and name in usual):
            notes.append(f"{name} left out: about {seconds:.0f}s for one trial (limit {limit:.0f}s)")
            continue
        chosen.append(name)
    if not chosen:
        raise DataValidationError("no learner is left to try: check learners= and exclude=.")
    notes.append("portfolio: " + ", ".join(chosen))
    return chosen


def _default_comparison(
    panel: Panel, task: Task, workers: int, search: SearchOptions, intermittent: bool
) -> tuple[int, list[str]]:
    """The folds and the learners of the fit without a budget (the default comparison a
    budget is measured against)."""
    exclude = set(search.exclude or ())
    folds = int(search.folds) if search.folds != "auto" else _folds_for_local_learners(
        panel, task, auto_folds(panel, task), workers, exclude, [])
    try:
        return folds, _portfolio(panel, task, folds, workers, None, False, exclude, [], intermittent)
    except DataValidationError:  # nothing the default would run is left
        return folds, []


def _over_trial_limit(
    panel: Panel, task: Task, folds: int, workers: int, time_budget: float | None, chosen: Sequence[str]
) -> set[str]:
    """The learners of ``chosen`` (the default comparison kept whole) estimated above the
    time a searched trial gets (``SearchSettings.trial_share`` of the search's share): their
    default trial runs, their space is not searched (its trials would time out, review 53)."""
    if time_budget is None:
        return set()
    span = SearchSettings.trial_share * SEARCH_SHARE * time_budget
    return {n for n in chosen if estimated_seconds(n, panel, task, folds, workers) > span}


def _affords_default(
    panel: Panel, task: Task, folds: int, workers: int, time_budget: float, usual: Sequence[str],
    sized: dict | None = None,
) -> bool:
    """Whether a budgeted search runs the default comparison ``usual`` whole, whatever one
    trial's limit (``TRIAL_SHARE``): where their trials on ``folds`` folds, LightGBM's as the
    budget runs it (``sized``: :func:`size_lightgbm`), are estimated within ``DEFAULT_SHARE`` of
    the search's share of ``time_budget`` together (user test 55: M1 monthly at 60 s left ETS
    out, about 17 s for one trial against a 14 s limit, where the default was estimated at 20 s)."""
    return _together(panel, task, folds, workers, usual, sized) <= DEFAULT_SHARE * SEARCH_SHARE * time_budget


def _together(
    panel: Panel, task: Task, folds: int, workers: int, names: Sequence[str], sized: dict | None = None
) -> float:
    """Rough wall seconds of the default trials of ``names`` on ``folds`` folds, together;
    LightGBM's at the rounds ``sized`` gives it (:func:`size_lightgbm`; ``{}``: left out, none;
    review 53: priced at its default rounds, a budget that sized it never ran the rest whole)."""
    if sized == {}:
        names = [n for n in names if n not in LIGHTGBMS]
    rounds = sized["params"]["num_boost_round"] if sized else LGB_ROUNDS
    return sum(_wall_seconds(n, panel, task, folds, workers, rounds) for n in names)


def _note_cuts(
    panel: Panel, task: Task, folds: int, sized: dict | None, chosen: list[str], workers: int,
    time_budget: float, default: int, usual: Sequence[str], notes: list[str],
) -> None:
    """A warning (and a note) when the budget affords less than the default without one:
    fewer folds, a LightGBM whose rate no longer makes up for its fewer rounds, or default
    learners left out. Such a budget may forecast worse than no budget (M4 Weekly at 60 s: 1
    fold instead of 3, validation OWA 0.804 against the default's 0.779). ``default`` and
    ``usual``: the folds and learners of the default comparison (:func:`_default_comparison`)."""
    without = _together(panel, task, default, workers, usual)
    cuts = [f"{folds} validation fold(s) instead of {default}"] if folds < default else []
    if sized:  # fewer rounds at a raised rate are as good while the rate makes up for them
        rounds, rate = sized["params"]["num_boost_round"], sized["params"]["learning_rate"]
        if rounds * rate < 0.99 * LGB_ROUNDS * LGB_RATE:
            cuts.append(f"LightGBM with {rounds} boosting rounds at rate {rate:g} instead of "
                        f"{LGB_ROUNDS} at {LGB_RATE:g}")
    if missing := [n for n in usual if n not in chosen]:
        cuts.append("without " + ", ".join(missing))
    if cuts:
        whole = without / (DEFAULT_SHARE * SEARCH_SHARE)  # the budget that runs the comparison whole
        advice = (  # user test 49 read "30s affords less ... estimated at about 18s" as a contradiction
            f"that fit is within this budget, but a budgeted search runs it whole from about {_rounded(whole)}s "
            "(twice its estimate within the search's share): give that, or leave time_budget out"
            if without <= time_budget else "give more time or leave it out")
        message = (
            f"time_budget={time_budget:g}s affords less than the default comparison ("
            + "; ".join(cuts) + "): it may forecast worse than no time_budget, whose fit is estimated "
            f"at about {_rounded(without)}s here; {advice}"
        )
        log.warning(message)
        notes.append(message)


def budget_hint(plan: Plan, panel: Panel, workers: int, spent: float, budget: float) -> str:
    """Where a budgeted search of ``plan`` finished no trial: about the budget in which the
    cheapest default trial finishes and refits (``spent`` seconds went before the search,
    which gets ``SEARCH_SHARE`` of the budget, and the workers take ``WORKER_START_SECONDS``
    to start), as a sentence; '' when ``budget`` is no less."""
    costs = {n: _wall_seconds(n, panel, plan.task, plan.folds, workers) * (1 + 1 / plan.folds)
             for n in plan.candidates}
    name = min(costs, key=costs.get)
    needed = budget_to_finish(spent, costs[name], SEARCH_SHARE)
    if needed <= budget:
        return ""
    took = f"about {costs[name]:.1f}s" if costs[name] >= 0.1 else "under 0.1s"
    return (f" Here {name}'s default trial ({plan.folds} fold(s)) and its refit take {took} after the "
            f"workers' start: a time_budget of about {needed}s lets it finish.")


def _wall_seconds(
    name: str, panel: Panel, task: Task, folds: int, workers: int, rounds: int = LGB_ROUNDS
) -> float:
    """Rough wall seconds of a default trial of ``name`` (``folds`` fits, LightGBM's of
    ``rounds`` rounds) on ``workers`` workers: their sum over the unbudgeted portfolio was within a third of the measured fits
    (2026-12-06, quiet machine: M1 yearly 2.5 s estimated / 4.5 s measured, a 316-series M1
    monthly sample 21 / 25 s, M4 Hourly 108 / 80 s, Weekly 110 / 83 s)."""
    return trial_seconds(name, panel, task, folds, rounds) / max(1, min(workers, PLAN_WORKERS))


def _rounded(seconds: float) -> str:
    """``seconds`` to two significant figures, at least 1: an estimate, not a measurement."""
    return f"{max(1.0, float(f'{seconds:.2g}')):g}"


def _recent_is_distinct(panel: Panel, task: Task) -> bool:
    """Whether the recent LightGBM trains on at most ``1 / RECENT_SPAN`` of the rows of the
    median series."""
    return float(np.median(panel.lengths)) >= RECENT_SPAN * recent_rows(task)


def _recent_train_rows(panel: Panel, task: Task) -> int:
    """The rows the recent LightGBM trains on: the last :func:`recent_rows` of every series."""
    return int(np.minimum(panel.lengths, recent_rows(task)).sum())


def _folds_for_portfolio(
    panel: Panel, task: Task, folds: int, workers: int, time_budget: float, usual: Sequence[str],
    sized: dict | None, notes: list[str],
) -> int:
    """Auto folds cut (down to one) until every learner of the default comparison ``usual``
    (:func:`_default_comparison`) that fits a budgeted trial's share on one fold also fits it, so that a
    budget never leaves out a learner the default would compare (M1 monthly at 120 s: ETS,
    about 43 s on two folds against a 29 s share, was left out while the default without a
    budget kept it); on folds where the budget affords the default comparison whole
    (:func:`_affords_default`, LightGBM as ``sized``), every one of them is in. The default's folds are then kept:
    tried alone before and not taken (2026-12-06, the last three windows of the training parts,
    OWA with the folds cut / kept: M1 quarterly at 60 s 0.810 / 0.808; Australian retail by
    quarter 0.796 / 0.792 and 0.890 / 0.909 on the two windows whose plans differ; by year at
    20 s 0.683 / 0.683: no gain, the folds cost the search its time); taken with the whole
    default comparison, which gained (benchmarks/README.md, 14 windows: mean OWA 0.787 -> 0.782)."""
    limit = TRIAL_SHARE * SEARCH_SHARE * time_budget

    def kept(f: int) -> set[str]:
        if _affords_default(panel, task, f, workers, time_budget, usual, sized):
            return set(usual)
        return {n for n in usual if estimated_seconds(n, panel, task, f, workers) <= limit}

    most = kept(1)  # one that never fits is no reason to cut
    return _cut_folds(folds, lambda f: most <= kept(f), "the budget", notes)


def _folds_for_local_learners(
    panel: Panel, task: Task, folds: int, workers: int, exclude: set[str], notes: list[str]
) -> int:
    """Without a budget, on short series (median at most ``SHORT_SERIES`` points), auto folds
    cut (down to one) until ETS and Theta fit ``NO_BUDGET_SECONDS``, rather than leave them
    out: on many short series ETS is priced over the cap on three folds (M1 quarterly tiled
    four times, 812 series, about as many as M3's: 67 s). Validation, the last 3 windows of
    the M1 training parts: quarterly with ETS on one fold OWA 0.836, without it on three 0.851
    (members fitted alone, blended by the default's weights); monthly 0.886 / 0.915. Long
    series keep their folds (M4 Weekly, ETS out: one fold 0.838 against three 0.783)."""
    if float(np.median(panel.lengths)) > SHORT_SERIES:
        return folds
    kept = [
        n for n in LOCAL_CORE
        if n not in exclude and estimated_seconds(n, panel, task, 1, workers) <= NO_BUDGET_SECONDS
    ]
    return _cut_folds(folds, lambda f: all(estimated_seconds(n, panel, task, f, workers) <= NO_BUDGET_SECONDS
                                           for n in kept), f"the {NO_BUDGET_SECONDS:g} s cap", notes)


def _cut_folds(folds: int, fits: Callable[[int], bool], why: str, notes: list[str]) -> int:
    """``folds`` less one at a time (down to one) until ``fits(folds)`` holds, with a note
    naming ``why``."""
    given = folds
    while folds > 1 and not fits(folds):
        folds -= 1
    if folds < given:
        notes.append(f"folds cut to {folds} for the default learners to fit {why}")
    return folds


def estimated_seconds(name: str, panel: Panel, task: Task, folds: int, workers: int) -> float:
    """Rough seconds one default trial (``folds`` fits) of a learner in ``COST`` adds to a fit
    on ``workers`` workers (at most ``PLAN_WORKERS``): a learner estimated above
    ``NO_BUDGET_SECONDS`` (or 24 % of a budget, unless the default comparison fits the budget
    whole: :func:`_affords_default`) is left out, with a note. A learner whose fits
    take at most ``tags.fit_seconds`` (the TCN) costs at most that per fit, one that fits the
    last ``max_length`` points of a series costs as on a series of that length."""
    if name not in COST:
        return 0.0
    plain, seasonal = COST[name]
    per_series = seasonal if 1 < task.season <= SEASONAL_UP_TO.get(name, task.season) else plain
    cls = registry.FORECASTERS[name].load()
    params = inspect.signature(cls).parameters
    median = float(np.median(panel.lengths))
    max_length = params.get("max_length")
    if max_length is not None and max_length.default is not None:
        median = min(median, float(max_length.default))
    per_fit = panel.n_series * per_series * max(1.0, median / 100)
    if cls.tags.fit_seconds is not None:
        per_fit = min(per_fit, cls.tags.fit_seconds)
    return folds * per_fit / max(1, min(workers, PLAN_WORKERS))


def trial_seconds(name: str, panel: Panel, task: Task, folds: int, rounds: int = LGB_ROUNDS) -> float:
    """Rough CPU seconds of a default trial (``folds`` fits, one core) of a learner in ``COST``
    or a LightGBM (``rounds`` boosting rounds for the full one; the recent one builds every
    row's features but boosts its default rounds on its recent rows only: M4 Hourly 14 s
    against the full one's 89 s); 0 for the others (cheap, or not
    estimated). It orders and splits work (:class:`~tsauto.core.search.Candidate`), never
    admits a learner."""
    if name == "lightgbm_recent":
        return lightgbm_seconds(panel, folds, trained=_recent_train_rows(panel, task))
    if name in LIGHTGBMS:
        return lightgbm_seconds(panel, folds, rounds)
    return estimated_seconds(name, panel, task, folds, 1)


def _lightgbm_by_default(learners: str | Sequence[str | Learner]) -> bool:
    """Whether LightGBM runs with its default parameters (by name or in the portfolio)."""
    if isinstance(learners, str):
        return learners in ("auto", "lightgbm")
    return "lightgbm" in [item for item in learners if isinstance(item, str)]


def lightgbm_seconds(panel: Panel, folds: int, rounds: int = LGB_ROUNDS, trained: int | None = None) -> float:
    """Rough seconds of a LightGBM trial of ``folds`` fits on one thread: features of every
    row, boosting on ``trained`` of them (default: every row)."""
    trained = len(panel.y) if trained is None else trained
    per_row = LGB_ROUND_SECONDS * (LGB_LARGE_ROUND_COST if trained >= LARGE_DATA_ROWS else 1.0)
    per_round = LGB_ROUND_FLOOR_SECONDS + trained * per_row
    return folds * (len(panel.y) * LGB_ROW_SECONDS + rounds * per_round)


def size_lightgbm(
    panel: Panel, folds: int, auto: bool, time_budget: float, workers: int, notes: list[str]
) -> tuple[int, dict | None]:
    """Validation folds and LightGBM defaults a budget affords: when LightGBM's default trial
    would take more than ``LGB_DEFAULT_SHARE`` of the budget, first fewer folds (``auto`` folds
    only, while that keeps ``LGB_KEEP_FOLDS_ROUNDS`` rounds out of reach), then fewer boosting
    rounds at a learning rate raised in proportion (at most 0.2). Returns the folds and the
    sized parameters: ``None`` when the defaults fit, ``{}`` when even ``LGB_MIN_ROUNDS``
    rounds on one fold do not (LightGBM is then left out, the folds as given)."""
    threads = max(1, cores() // max(1, workers))
    target = LGB_DEFAULT_SHARE * time_budget * threads

    def rounds(f: int) -> int:
        base = lightgbm_seconds(panel, f, 0)
        return int((target - base) / (lightgbm_seconds(panel, f, 1) - base))

    if rounds(folds) >= LGB_ROUNDS:
        return folds, None
    given = folds
    while auto and folds > 1 and rounds(folds) < LGB_KEEP_FOLDS_ROUNDS:
        folds -= 1
    fit = min(LGB_ROUNDS, rounds(folds))
    if fit < LGB_MIN_ROUNDS:
        notes.append(
            f"lightgbm left out: about {lightgbm_seconds(panel, folds, LGB_MIN_ROUNDS) / threads:.0f}s "
            f"for {LGB_MIN_ROUNDS} rounds on {len(panel.y)} rows (aim {target / threads:.0f}s)"
        )
        return given, {}  # the other learners keep their folds
    if fit == LGB_ROUNDS:
        notes.append(f"folds cut to {folds} for LightGBM's default trial to fit the budget")
        return folds, None
    rate = min(0.2, LGB_RATE * LGB_ROUNDS / fit)
    notes.append(
        f"lightgbm sized to the budget: {fit} rounds at learning rate {rate:.3g} "
        f"(default {LGB_ROUNDS} at {LGB_RATE}) on {folds} fold(s)"
    )
    return folds, {"params": {"num_boost_round": fit, "learning_rate": rate}}


def _space(cls: type, searching: bool, panel: Panel):
    """``cls``'s search space, told whether the target is ever negative where it asks (a log
    transform is then no choice: such trials failed, on Walmart's returns at 60 s)."""
    space = getattr(cls, "search_space", None) if searching else None
    if space is not None and "non_negative" in inspect.signature(space).parameters:
        return partial(space, non_negative=bool(np.nanmin(panel.y) >= 0))
    return space


def search_settings_budget(plan: Plan, elapsed: float) -> float | None:
    """Seconds left for the search once ``elapsed`` seconds are spent."""
    if plan.search_budget is None:
        return None
    return max(1.0, plan.search_budget - elapsed)


def describe(plan: Plan) -> str:
    """One line per note, for the log and the report."""
    return "; ".join(plan.notes) if plan.notes else "-"
