"""Data checks ("guardrails") of a forecasting fit: what the data held and what was done to it.

One :class:`~tsauto.core.checks.Check` per finding, with status ``passed``, ``fixed`` (the data
were changed, and how) or ``alert`` (look at it), and the series involved:

- the role given to every column of the table, and why; a target of True/False (forecast as
  shares of True, likely the wrong column);
- the frequency, the calendar (time zone, dates read at a coarser resolution), series lengths,
  the seasonal periods and where they come from; sub-daily stamps whose time zone's clock is
  not that of the ``holidays=`` region (UTC for ``"AU-VIC"``: features read on UTC dates);
- missing time steps inserted (named at their first times), missing targets imputed (and long
  runs of them, by series), leading and trailing steps without a target dropped, duplicate rows
  rolled up by ``aggregate=`` (a sum's partial first and last periods dropped);
- series too short for the learners (padded, dropped or forecast by the fallback), series
  forecast without some lags or rolling windows of a learner, being shorter than them, and
  series ending before the table's last time step (forecast for dates already past; a
  hierarchy's bottom series carried to it with zeros, ``carried``);
- intermittent series (discontinued ones left out), non-negative series clipped at zero,
  discontinued series; one-step spikes far outside a series' range (left in: an alert); series
  whose last values drop far below the level of their last two seasons (zeros of an outage,
  returns booked as negative sales: an alert), or jump far above it for up to a season (a unit
  change: an alert);
- covariates suspected of leaking the target (a copy of it, or of it shifted by 1..k steps
  within series) or not known over the horizon; covariates of numbers with a few text cells
  ("--", "unknown"), read as numbers, those cells missing (``text_in_numbers``, as the tabular
  check of that name); covariates with missing values in the rows that stay history, text read
  so included (filled: a static one with its series' value);
  string covariates holding dates, and categorical covariates with many levels.

Computed from the raw table, the validated panel (its schema and ``fills``,
see :class:`~tsauto.forecasting.validation.FillReport`), the task, the options and the fitted
model. With ``hierarchy=`` the checks are those of the bottom series, the table the user gave
(:func:`~tsauto.forecasting.hierarchy.fitting.fit_hierarchy` builds their panel from the
nodes' and adds what the hierarchy does to the table).

``predict(history=)`` runs those about the newest rows (:func:`history_checks`) and logs their
alerts: series ending before their training rows, or before the history's last time, spikes in
the rows the fit did not see, series ending in a drop (not with a hierarchy, whose nodes carry
a bottom series ended early with zeros, nor on Dask).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from tsauto.core.checks import Check, Status, frame
from tsauto.core.exceptions import describe_rows, shortlist
from tsauto.core.text_in_numbers import (
    container_cells,
    containers_found,
    text_cells,
    text_finding,
    text_values,
)
from tsauto.forecasting.backtest import row_positions
from tsauto.forecasting.calendar_time import WALL_NIGHT
from tsauto.forecasting.frequency import freq_kind, seasonal_periods
from tsauto.forecasting.guards import Guards, trailing_zeros
from tsauto.forecasting.learners.base import Task
from tsauto.forecasting.learners.intermittent import ADI_THRESHOLD, intermittent_share, is_intermittent
from tsauto.forecasting.zones import region_zones, utc_like, zone_offsets
from tsauto.forecasting.model import EnsembleModel
from tsauto.forecasting.offsets import to_offset
from tsauto.forecasting.options import DataOptions
from tsauto.forecasting.panel import (
    Panel, Schema, fitted_positions, output_times, series_labels, step_times, time_text,
)
from tsauto.forecasting.validation import ENDS_EARLY_FIX, is_flag, row_labels, table_history

log = logging.getLogger(__name__)

COLUMNS = ("check", "status", "column", "message", "series", "count")
LEAK_CORR = 0.999  # |correlation| with the target (or it shifted) that marks a leakage suspect
MAX_SHIFT = 24  # shifts tried: 1..min(horizon, MAX_SHIFT) steps, both ways
LEAK_ROWS = 200_000  # rows the leakage check reads at most (whole series)
MIN_LONG_GAP = 5  # a run of imputed targets of half a season, and at least this, is an alert
# share of the history rows a known-future or past covariate may miss before its fill is an
# alert: Walmart's markdowns, missing in 69 % of the weeks, were filled back from the first one
# seen (21 months of made-up promotions), a "fixed" line below the alerts (user test)
MISSING_ALERT = 0.2
HIGH_CARDINALITY = 100  # levels of a categorical covariate from which it is an alert
DATE_SHARE = 0.9  # share of a string column's values read as dates that makes it date-like
SHOWN = 5  # series named in a message
RUNS_SHOWN = 3  # runs of missing steps named in a series
# a spike: a step up and straight back down (or down and up), each over SPIKE_STEPS times the
# series' median step and beyond its 5-95 % range widened twice that range on either side, and
# not repeated a season apart (Christmas): 0 of M1's 1,001 and Australian retail's 152 series,
# 2 of M4 Hourly's 414, 6 of Weekly's 359, 45 of Walmart's 3,331 (interpolated gaps), 4 of 10
# Wikipedia pages; a first or last value by the one step there alone (6 more Walmart series: a
# department's first week at 3-40 times its usual sales, a last one negative; none elsewhere),
# a last value against the range of its last two seasons (drop_window; since 2026-12-07: one
# more, M1 quarterly QNC23's last quarter at 3,584 after 13,000-14,800)
SPIKE_STEPS = 20
SPIKE_RANGE = 2
# a drop at a series' end: its last DROP_RUN or more values each below every one of the values
# of its last two seasons before them (at least DROP_BEFORE: drop_window) by more than those
# values' spread below their median (median - lowest; at least DROP_FLOOR of the median's
# size), with at least DROP_BEFORE values before them and no fewer than the run's own. A
# Walmart department never below 16,529 set to 0 for its last 10 weeks (an outage?), and one
# of ~60k a week set to -3,000 for its last 4 (returns booked as sales),
# passed every check (user test 47). Half the whole range (max - min) as the spread missed
# the first: a Christmas peak of 150k widens it past the zeros. Series flagged (training
# parts): 0 of M1's 1,001 (without the floor 2, a flat yearly series stepping 5 % down, YAD12,
# and one declining faster, YAM5; with half the spread, 13), 0 of M4 Hourly's 414 and
# Weekly's 359, 0 of Australian retail's 152, 4 of Walmart's 3,331 (sparse departments,
# interpolated between few weeks: 31/77 at -19.88, 9.94, 9.94 after 159 to 795; 36/23 and
# 41/51 ending in returns; 2/78 at 7 and 6 after 10 to 25.76). Measured against all earlier
# values, an outage's zeros in a series that grew were missed (user test 49: the last 2 months
# of Australian retail's 148 full series set to 0, 2 named); against the last two seasons, all
# 148 (none with 1 month: the spikes check's), and 3 more of the series above: M1 quarterly
# QNB10 (1,000-2,200 for 7 years, then 310-730 for 5 quarters), M4 Weekly W257 (5,500-5,860,
# then 3,950-4,020 for 41 weeks) and W285 (2,160-3,660, then 670-710 for 18).
DROP_RUN = 2
DROP_BEFORE = 8
DROP_FLOOR = 0.25
# fixes logged as warnings: forecasts set to zero, where the zeros may be a gap in the data
WARNED = frozenset({"discontinued", "leakage"})
CARRIED = (  # what a hierarchy does with a bottom series that ends before the table's last time
    "counted 0 after their last row, as the sums above them count them; if their values there are "
    "not known yet rather than zero, cut the table at the last time every series has"
)
FILL_RULES = {
    "interpolate": "linear interpolation between neighbours",
    "zero": "zero (a missing step means nothing happened)",
    "ffill": "the last value carried forward",
}


def data_checks(
    raw: pd.DataFrame, panel: Panel, task: Task, opts: DataOptions, model: EnsembleModel,
    carried: np.ndarray | None = None,
) -> list[Check]:
    """Every check of a fit, in the order of the module docstring.

    ``raw``: the table as given; ``panel``: it validated (with ``fills``); ``model``: the
    fitted model (its learners' needs: fewest observations, lags); ``carried``: the steps of
    each series of ``panel`` after its last row of ``raw``, zeros up to the table's last time
    step (a hierarchy's bottom series; see :func:`ends_early`).
    """
    labels = series_labels(panel)
    stopped = Guards(opts.non_negative, opts.discontinued).stopped(panel, task.season, task.horizon)
    ended = stopped if carried is None else stopped | (carried > 0)  # not judged by how they end
    drops = _end_runs(panel, ended, task.season)
    return [
        *column_roles(raw, panel),
        *boolean_target(raw, panel.schema.target),
        *calendar(panel, opts),
        *holiday_clock(panel, task),
        seasons(panel, task, opts),
        *fills(raw, panel, task, opts, labels),
        short_series(panel, model, opts, labels),
        short_for_lags(panel, model, labels, opts.short_series == "drop"),
        *ends_early(panel, labels, carried),
        intermittent(panel, labels, stopped),
        *guards(panel, opts, labels, stopped),
        spikes(panel, task, labels, dropped=drops > 0),
        ends_in_a_drop(panel, labels, ended, task.season, drops),
        ends_in_a_jump(panel, labels, ended, task.season),
        *leakage(panel, task),
        *text_in_numbers(raw, panel, labels),
        *missing_covariates(raw, panel, labels),
        *string_covariates(raw, panel),
    ]


def history_checks(panel: Panel, fitted: Panel, task: Task, opts: DataOptions) -> list[Check]:
    """The alerts of the checks of a fit on what ``predict(history=)`` brings (``panel``, each
    series continuing its rows of the training panel ``fitted``): a history ending before the
    training data (a stale extract), series ending before the others (their newest values
    missing), spikes among the rows the fit did not see, and series ending in a drop (an
    outage's zeros). User test 49: each was forecast without a word, for dates already past or
    from a unit change's values 1,000 times too large, where ``fit`` on the same rows alerts."""
    labels, codes = series_labels(panel), panel.series_codes()
    pos = fitted_positions(panel, fitted)
    fit_end = fitted.last_times[np.maximum(pos, 0)].astype(panel.times.dtype)
    new = (pos < 0)[codes] | (panel.times > fit_end[codes])
    renewed = np.bincount(codes[new], minlength=panel.n_series) > 0  # with rows the fit did not see
    # a drop in rows the fit saw is not said at every predict (Walmart's stopped departments,
    # nightly); a series that ended early is, as it is forecast for past dates at every predict
    # (user test 59: a series stopped in 2013 forecast for 2013-14 among the 2018 forecasts)
    stale = (pos >= 0) & (panel.last_times < fit_end)  # named by _stale, not again as ending early
    checks = [_stale(panel, fitted, pos, stale, labels), trailing_missing(panel, labels, later=True),
              *ends_early(panel, labels, known=stale)]
    if renewed.any():  # else nothing new to judge (the training rows again: 1.3 s on 4M rows)
        stopped = Guards(opts.non_negative, opts.discontinued).stopped(panel, task.season, task.horizon)
        ended = stopped | ~renewed
        drops = _end_runs(panel, ended, task.season)
        checks += [spikes(panel, task, labels, new, drops > 0), ends_in_a_drop(panel, labels, ended, task.season, drops),
                   ends_in_a_jump(panel, labels, ended, task.season)]
    return [c for c in checks if c.status == "alert"]


def training_end_checks(fitted: Panel) -> list[Check]:
    """The alerts of the checks of a fit that hold at every ``predict()`` from the training
    data: series that end early (:func:`ends_early`), each forecast for past dates (user test
    59: said at fit only, a series stopped in 2013 got 2013-14 forecasts among 2018's at every
    predict without a word)."""
    return [c for c in ends_early(fitted, series_labels(fitted)) if c.status == "alert"]


def _stale(panel: Panel, fitted: Panel, pos: np.ndarray, stale: np.ndarray, labels: np.ndarray) -> Check:
    """The ``stale`` series of a history, ending before their own training rows end (``pos``:
    each one's position in ``fitted``): each is forecast from that older end. Against its own
    end, not the training data's last time: a history of some series only, or of series
    counting their own steps (M4's), is not stale for ending earlier (review 50)."""
    if not stale.any():
        return Check("stale_history", panel.schema.target, "every series of history= reaches its training data's end", "")
    first = int(np.argmax(stale))
    return _about_series(
        "stale_history", stale, "", labels,
        f"{stale.sum()} of {panel.n_series} series of history= end before their training data does (the "
        f"first at {_time_text(panel, panel.indptr[first + 1] - 1)}, its training rows at "
        f"{_time_text(fitted, fitted.indptr[pos[first] + 1] - 1)})",
        "forecast from those ends, for times the training data already holds: give the newest rows (a stale "
        "extract?), or predict() without history= to forecast from the training data's end",
        passed="", status="alert", column=panel.schema.target,
    )


def checks_frame(checks: list[Check]) -> pd.DataFrame:
    """The data checks table: ``check``, ``status``, ``column``, ``message``, ``series``,
    ``count``."""
    return frame(checks, COLUMNS)


CHECK_MESSAGE = "data check%s %s%s (%s): %s"


def log_checks(checks: list[Check], source: str = "") -> None:
    """Log every check: alerts, and the ``WARNED`` fixes, as warnings; the rest as info.
    ``source``: what was checked, where not the training data (``"history="``)."""
    for c in checks:
        warned = c.status == "alert" or (c.status == "fixed" and c.check in WARNED)
        level = logging.WARNING if warned else logging.INFO
        column = f" {c.column!r}" if c.column else ""
        of = f" of {source}" if source else ""
        log.log(level, CHECK_MESSAGE, of, c.check, column, c.status, c.message)


def _named(
    labels: np.ndarray, idx: np.ndarray, counts: np.ndarray, unit: str, at: Callable[[int], str] | None = None
) -> str:
    """' (series A: 3 steps, B: 2 steps and 3 more)' for the series at ``idx``; with ``at``
    (where in series ``i`` they lie, in words): ' (series A: 3 steps at 2021-03-14; B: 2 steps
    at ...; and 3 more series)', or ' (at 2021-03-14)' for a table of one series."""
    where = {i: at(i) for i in idx[:SHOWN]} if at is not None else {}
    if not len(idx) or (labels[idx[0]] == "" and not where.get(idx[0])):
        return ""
    if labels[idx[0]] == "":
        return f" (at {where[idx[0]]})"
    shown = [str(labels[i]) + (f": {counts[i]} {unit}" if unit else "") + (f" at {where[i]}" if where.get(i) else "")
             for i in idx[:SHOWN]]
    if not any(where.values()):
        more = f" and {len(idx) - SHOWN} more" if len(idx) > SHOWN else ""
        return f" (series {', '.join(shown)}{more})"
    more = f"; and {len(idx) - SHOWN} more series" if len(idx) > SHOWN else ""
    return f" (series {'; '.join(shown)}{more})"


def _about_series(
    name: str,
    counts: np.ndarray,
    unit: str,
    labels: np.ndarray,
    finding: str,
    action: str,
    *,
    passed: str,
    status: Status = "fixed",
    column: str = "",
    at: Callable[[int], str] | None = None,
) -> Check:
    """A check about the series with ``counts > 0`` (rows, steps; or a boolean mask): ``status``
    naming them (with their counts in ``unit``, and where in series ``i`` they are, ``at(i)``),
    or ``passed`` when there are none."""
    idx = np.flatnonzero(counts)
    if not len(idx):
        return Check(name, column, passed, "")
    total = int(np.sum(counts)) if unit else len(idx)
    series = tuple(str(s) for s in labels[idx]) if labels[0] != "" else ()
    return Check(
        name, column, finding + _named(labels, idx, counts, unit, at), action, status, series, total
    )


# -------------------------------------------------------------------------------- columns


def column_roles(raw: pd.DataFrame, panel: Panel) -> list[Check]:
    """One check per column of the table: its role and why."""
    s = panel.schema
    out = []
    for col in raw.columns:
        role, why = _role(str(col), raw[col], s)
        if col in s.categories:
            n = len(s.categories[col])
            why += f"; categorical with {n} level{'s' * (n != 1)}"
        if role.endswith("covariate") and _one_value(panel, col):
            why += "; the same value in every series: constant, it adds nothing (drop it)"
        out.append(Check("column_role", str(col), role, why, "passed"))
    return out


def boolean_target(raw: pd.DataFrame, target: str) -> list[Check]:
    """A target of True/False (a bool column, or one with gaps): an alert, as it is forecast as
    1/0, shares of True, and is more often the wrong column than meant; none otherwise."""
    if target not in raw.columns or not is_flag(raw[target]):
        return []
    return [Check(
        "boolean_target", target,
        "holds True/False, read as 1/0: the forecasts are shares of True (probabilities between "
        "0 and 1), not flags",
        "kept (nothing changed): if it is not the column meant, give the column of numbers to "
        "forecast as target=",
        "alert",
    )]


def _one_value(panel: Panel, col: str) -> bool:
    """Whether covariate ``col`` holds at most one value in the whole panel."""
    values = panel.static[col] if col in panel.schema.static else panel.covariates[col]
    return values.nunique() <= 1


def _role(col: str, values: pd.Series, s: Schema) -> tuple[str, str]:
    if col == s.target:
        return "target", "the values forecast (target=)"
    if col == s.time:
        return "time", "the time stamps (time=)" if s.freq else "integer time steps (time=)"
    if col in s.ids:
        return "id", "names a series (ids=)"
    leak = next((x for x in s.leaks if x.column == col and x.acted), None)
    if leak is not None and leak.left_out:
        return "ignored", "equal to the target or to it ahead: left out (see the leakage check)"
    if leak is not None and col in s.past:
        return "past covariate", (
            "named in known_future=, but equal to the target a few steps earlier: only its past "
            "values (lags) are used (see the leakage check)"
        )
    if col in s.known_future:
        return (
            "known-future covariate",
            "named in known_future=: its values over the horizon are given to predict(future=)",
        )
    if col in s.past:
        return "past covariate", (
            "changes within series and is not in known_future=, so only its past values (lags) "
            "are used; name it in known_future= if its future values are known"
        )
    if col in s.static:
        return "static covariate", "constant within every series (a missing cell takes its series' value)"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "ignored", "holds dates that change within series; dates are not covariates"
    cells = container_cells(values)
    if cells.any():
        return "ignored", (f"holds {containers_found(values, cells)}, not one value per cell: not usable "
                           "as a covariate; explode or encode it into columns of one value each")
    return "ignored", "not used"


# -------------------------------------------------------------------------------- calendar


def calendar(panel: Panel, opts: DataOptions) -> list[Check]:
    """Frequency, time zone, time resolution and series lengths."""
    s = panel.schema
    if s.freq is None:
        freq = Check("frequency", s.time, f"integer time steps of {s.step}", "no calendar features")
    else:
        how = "given as freq=" if opts.freq else "inferred from the time stamps"
        if opts.aggregate:
            how = (f"rows rolled up to it by aggregate={opts.aggregate!r} (covariates: numeric "
                   "ones by their mean, others by their most frequent value)")
        if s.tz and utc_like(s.tz.removeprefix("wall:")):  # no local clock: UTC's (user test 46)
            zone = s.tz.removeprefix("wall:")
            how += (f"; time zone {zone}: calendar and holiday features read on {zone} dates and hours "
                    f"(no local clock), forecasts given in {zone}")
        elif s.tz and s.tz.startswith("wall:"):
            how += (f"; time zone {s.tz.removeprefix('wall:')} read on the wall clock, calendar and "
                    "holiday features too; forecasts given in it")
        elif s.tz:
            how += (f"; time zone {s.tz}: stored as UTC, calendar and holiday features read on its "
                    "local clock, forecasts given in it")
        freq = Check("frequency", s.time, f"frequency {s.freq!r}", how)
    if s.calendar_note:
        cal = Check("calendar", s.time, s.calendar_note, "read at a coarser resolution", "fixed")
    else:
        unit = "integer steps" if s.freq is None else "datetime64[ns]"
        cal = Check("calendar", s.time, f"times read as {unit}", "")
    n = panel.lengths
    lengths = Check(
        "series_lengths",
        "",
        f"{panel.n_series} series of {n.min()} to {n.max()} steps (median {np.median(n):g})",
        "",
        count=panel.n_series,
    )
    return [freq, cal, lengths]


def holiday_clock(panel: Panel, task: Task) -> list[Check]:
    """Where ``holidays=`` names a country or region and sub-daily stamps carry a time zone
    whose clock is not that region's over the data (UTC, a fixed offset, another country's
    zone): an alert per code, saying that calendar and holiday features are read on the
    stamps' clock, how many hours off the region's, and the fix (the time column converted to
    the region's zone: :func:`~tsauto.forecasting.zones.region_zones`; the user's
    choice where the country has several). Melbourne's demand stamped in UTC with
    ``holidays="AU-VIC"`` had Christmas flagged from 11:00 local time on the 25th to 11:00 on
    the 26th, and hours of the day 10 to 11 hours off, unsaid (user test 46). Where
    ``holidays=`` names a column of each series' region, one alert for the column, each
    distinct code off the stamps' clock with its zone and hours (:func:`_off_column`). Nothing
    is changed: converting the stamps is the user's call (it changes the features, the
    forecasts' zone). Daily or coarser stamps are dates as labelled; naive ones are read as
    local. The clocks are compared over the data and the forecast horizon (user test 47: UTC
    stamps ending before daylight saving ended were '11 hours behind' Melbourne's, the
    forecasts past it 10). A fixed offset (UTC, ``UTC+11:00``: a file of summer stamps all
    ``+1100``) that is the region's clock over them, where the region's zone observes daylight
    saving, is an alert too (:func:`_fixed_clock`): past a change, features and forecast
    stamps are an hour off the local clock (user test 47: forecasts to ``23:30+11:00``, 22:30
    in Melbourne)."""
    s = panel.schema
    zone = (s.tz or "").removeprefix("wall:")
    column = None if task.holidays else task.holiday_column
    codes = task.holidays or _column_codes(panel, column)
    if not codes or not zone or freq_kind(s.freq) not in ("minute", "hour"):
        return []
    data, instants = _instants(panel.times, s.tz), _instants(_with_horizon(panel, task.horizon), s.tz)
    if data is None or instants is None:
        return []
    off, fixed = [], []
    for code in codes:
        best, zones = region_zones(code)
        region = [best] if best else zones
        if region:
            same = [z for z in region if _same_clock(data, zone, z)]
            if same and column is None and utc_like(zone) and all(_summer_time(z, data) for z in same):
                fixed.append(Check("holiday_clock", s.time, *_fixed_clock(code, zone, best, same, instants, s.time),
                                   "alert"))
                continue
            if any(_same_clock(instants, zone, z) for z in region):
                continue
        elif not utc_like(zone):  # a country the zone table lacks: only UTC is surely not its clock
            continue
        off.append((code, best, zones))
    if column is not None:
        return [Check("holiday_clock", s.time, *_off_column(column, codes, off, zone, instants, s.time), "alert")
                ] if off else []
    return [Check("holiday_clock", s.time, *_off_clock(code, zone, best, zones, instants, s.time), "alert")
            for code, best, zones in off] + fixed


def _with_horizon(panel: Panel, horizon: int) -> np.ndarray:
    """The panel's times and its forecasts' (``horizon`` steps after each series' end)."""
    try:
        return np.concatenate([panel.times, panel.future_times(horizon).ravel()])
    except ValueError:  # times out of pandas' range (a DataValidationError): the data's alone
        return panel.times


def _summer_time(zone: str, instants: pd.DatetimeIndex) -> bool:
    """Whether ``zone``'s offset changes over the year from the first of ``instants`` (daylight
    saving; False where the zone is unknown here)."""
    year = pd.date_range(instants[0], periods=25, freq="15D")
    hours = _offsets(year, zone)
    return hours is not None and np.unique(hours).size > 1


def _fixed_clock(
    code: str, zone: str, best: str | None, same: list[str], instants: pd.DatetimeIndex, time: str
) -> tuple[str, str]:
    """The finding and the fix of :func:`holiday_clock` where ``zone`` is a fixed offset that
    is the clock of ``code``'s zone (``same``: those of its zones it is) over the data, a zone
    that observes daylight saving; ``instants``: the data's and the horizon's (where they
    cross a change, said)."""
    local = best or same[0]
    crossed = "" if _same_clock(instants, zone, local) else " (as the forecasts' horizon here does)"
    if best is not None:
        year = _offsets(pd.date_range(instants[0], periods=25, freq="15D"), best)
        apart = float(np.max(np.abs(year - _offsets(instants[:1], zone)[0])))
        observes = f"{best!r} observes daylight saving (UTC{year.min():+g} to UTC{year.max():+g} over the year)"
        by = f"{apart:g} hour{'s' * (apart != 1)}"
    else:
        observes, by = f"its zones ({shortlist(map(repr, same), 3)}) observe daylight saving", "up to an hour"
    finding = (
        f"holidays={code!r} with time stamps at a fixed offset, {zone}: it is {code}'s clock over the data, but "
        f"{observes} and a fixed offset does not: past a daylight-saving change{crossed}, hour-of-day, weekday and "
        f"holiday features and the forecasts' time stamps are {by} off {code}'s local clock"
    )
    target, which = (repr(best), "") if best else ("ZONE", _which_zone(code, same))
    fix = (
        f"kept (nothing changed); to follow the local clock, convert the time column to the region's zone before "
        f"fitting: df[{time!r}] = df[{time!r}].dt.tz_convert({target}){which} {_converted(target)}"
    )
    return finding, fix


def _column_codes(panel: Panel, column: str | None) -> list[str]:
    """The distinct codes of the static column naming each series' region (``holidays=column``)."""
    if column is None or column not in panel.static:
        return []
    raw = panel.static[column].to_numpy()
    names = panel.schema.categories.get(column)
    if names is not None:  # categorical: float codes of its levels
        raw = np.array([names[int(c)] for c in raw[~pd.isna(raw)]], dtype=object)
    return sorted({str(c) for c in raw[~pd.isna(raw)]})


def _instants(times: np.ndarray, tz: str) -> pd.DatetimeIndex | None:
    """The distinct hours of the panel's stamps as naive UTC instants (those kept on a wall
    clock localised to it first); None where the zone is unknown here."""
    hours = pd.DatetimeIndex(np.unique(np.asarray(times).astype("datetime64[h]")))
    if not tz.startswith("wall:"):
        return hours
    try:
        local = hours.tz_localize(tz[5:], ambiguous="NaT", nonexistent="NaT")
    except Exception:  # a zone this machine's database lacks
        return None
    return local[local.notna()].tz_convert("UTC").tz_localize(None)


def _offsets(instants: pd.DatetimeIndex, zone: str) -> np.ndarray | None:
    """Hours east of UTC of ``zone`` at ``instants`` (None where the zone is unknown here)."""
    minutes = zone_offsets(instants, zone)
    return None if minutes is None else minutes / 60.0


def _same_clock(instants: pd.DatetimeIndex, zone: str, other: str) -> bool:
    a, b = _offsets(instants, zone), _offsets(instants, other)
    return a is None or b is None or bool(np.array_equal(a, b))


def _off_clock(
    code: str, zone: str, best: str | None, zones: list[str], instants: pd.DatetimeIndex, time: str
) -> tuple[str, str]:
    """The finding and the fix of :func:`holiday_clock`."""
    off, when = _hours_off(code, zone, best, instants)
    if best is not None:
        target, which = repr(best), ""
    else:
        target, which = "ZONE", _which_zone(code, zones)
    finding = (
        f"holidays={code!r} with time stamps in {zone}: hour-of-day, weekday and holiday features are read "
        f"on {zone}'s clock{off and ', ' + off}, not on {code}'s local one: each holiday is flagged over its "
        f"date in {zone} ({when})"
    )
    fix = (
        f"kept (nothing changed); to read them on the local clock, convert the time column to its zone "
        f"before fitting: df[{time!r}] = df[{time!r}].dt.tz_convert({target}){which} {_converted(target)}"
    )
    return finding, fix


def _converted(zone: str) -> str:
    """The end of the conversion's advice: what it does, and its command-line form."""
    return (f"(daylight saving is handled; forecasts are then given in that zone; on the command line: "
            f"--tz {zone.strip(chr(39))})")


def _hours_off(code: str, zone: str, best: str | None, instants: pd.DatetimeIndex) -> tuple[str, str]:
    """How far ``zone``'s clock is from ``code``'s (``'11 hours behind AU-VIC's
    (Australia/Melbourne)'``; '' where its zone is not known) and when its holidays are
    flagged, in the region's local time."""
    if best is None:
        return "", "not its local day"
    ahead = np.unique(_offsets(instants, best) - _offsets(instants, zone))
    apart = np.unique(np.abs(ahead[[0, -1]]))
    hours = " to ".join(f"{h:g}" for h in apart) + (" hour" if apart.tolist() == [1] else " hours")
    if ahead[0] >= 0:
        return (f"{hours} behind {code}'s ({best})",
                f"from {' or '.join(map(_clock, ahead))} local time on it to the same time the next day")
    if ahead[-1] <= 0:
        return (f"{hours} ahead of {code}'s ({best})",
                f"from {' or '.join(_clock(24 + h) for h in ahead)} local time the day before it to the same "
                "time on it")
    return f"{hours} off {code}'s ({best})", "not its local day"


def _which_zone(code: str, zones: list[str]) -> str:
    """What ZONE stands for where ``code``'s country has several zones."""
    return (f" (ZONE: the zone of {code}, one of {shortlist([repr(z) for z in zones], 4)})" if zones
            else f" (ZONE: the zone of {code}, e.g. 'Europe/Berlin')")


def _off_column(
    column: str, codes: list[str], off: list[tuple[str, str | None, list[str]]], zone: str,
    instants: pd.DatetimeIndex, time: str,
) -> tuple[str, str]:
    """The finding and the fix of :func:`holiday_clock` where ``holidays=`` names ``column``,
    each series' region: the codes ``off`` the stamps' clock, each with its zone and hours off.
    Where every code of the column has a zone and they share one clock, the time column
    converted to it; else (a time column holds one zone) each region fitted apart, converted
    to its own."""
    parts = [_hours_off(code, zone, best, instants)[0] or f"not {code}'s"
             + (f" (its zone one of {shortlist(zones, 3)})" if zones else "") for code, best, zones in off]
    finding = (
        f"holidays={column!r} (each series' region: {shortlist(map(repr, codes), 6)}) with time stamps in {zone}: "
        f"hour-of-day, weekday and holiday features are read on {zone}'s clock, {', '.join(parts)}: each holiday "
        f"is flagged over its date in {zone}, not the region's"
    )
    bests = [region_zones(c)[0] for c in codes]
    if all(bests) and all(_same_clock(instants, bests[0], b) for b in bests[1:]):
        return finding, (f"kept (nothing changed); to read them on the local clock, convert the time column to "
                         f"their zone before fitting: df[{time!r}] = df[{time!r}].dt.tz_convert({bests[0]!r}) "
                         f"{_converted(bests[0])}")
    code, best, zones = next((o for o in off if o[1]), off[0])
    target, which = (repr(best), "") if best else ("ZONE", _which_zone(code, zones))
    named = "; ".join(f"{c!r}: {b!r}" for c, b, _ in off if b)
    return finding, (
        f"kept (nothing changed); a time column holds one zone: to read each series on its region's clock, fit "
        f"each region apart, its time column converted to the region's zone{f' ({named})' if named else ''}, e.g. "
        f"part = df[df[{column!r}] == {code!r}].copy(); part[{time!r}] = part[{time!r}].dt.tz_convert({target})"
        f"{which} {_converted(target)}"
    )


def _clock(hours: float) -> str:
    """A time of day ``hours`` after midnight: ``'11:00'``, ``'05:30'``."""
    minutes = int(round(hours * 60)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def seasons(panel: Panel, task: Task, opts: DataOptions) -> Check:
    """The seasonal periods the learners share and where they come from."""
    s, found = panel.schema, list(task.seasons)
    what = f"seasonal periods {found}" if found else "no seasonal period"
    median = int(np.median(panel.lengths))
    if opts.seasons != "auto":
        long = [m for m in found if 2 * m > median]
        if long:
            return Check(
                "seasons", s.time, what,
                f"given as seasons=; {long} longer than half the median series ({median} steps): "
                "fewer than two periods a series are too few for the seasonal learners to estimate "
                "it; check the period or give longer histories",
                "alert",
            )
        return Check("seasons", s.time, what, "given as seasons=")
    if s.freq is not None:
        own = seasonal_periods(s.freq)
        if not own:
            how = f"the frequency {s.freq!r} implies none"
        elif found and median > 2 * own[0]:
            how = f"from the frequency {s.freq!r}"
        elif found:
            how = (f"from the frequency {s.freq!r}: the median series ({median} steps) spans less than "
                   f"two periods, but a period and the horizon ({task.horizon}), or a third or more of "
                   "the series show it in their changes")
        else:
            how = (f"the median series ({median} steps) is too short for two of the frequency's period, "
                   f"{own[0]}, or for one and the horizon ({task.horizon}), and too few series show it in "
                   f"their changes; if the data have it, pass data={{'seasons': [{own[0]}]}}")
        return Check("seasons", s.time, what, how)
    if found:
        return Check("seasons", s.time, what, "found by an autocorrelation scan of the integer steps")
    return Check(
        "seasons", s.time, what,
        f"none found by an autocorrelation scan of the integer steps (series of a median {median} steps "
        f"show periods up to about {median // 3}); if the data have one, pass data={{'seasons': [m]}}",
    )


# -------------------------------------------------------------------------------- fills


def fills(
    raw: pd.DataFrame, panel: Panel, task: Task, opts: DataOptions, labels: np.ndarray
) -> list[Check]:
    """Duplicates rolled up (partial end periods of a sum dropped first), missing steps
    inserted (where, in the series named), targets imputed (and long runs of them), leading and trailing steps without a
    target dropped."""
    f, target = panel.fills, panel.schema.target
    rule = FILL_RULES[opts.fill]
    limit = max(task.season // 2, MIN_LONG_GAP)  # long enough to blur a season
    partial = np.zeros_like(f.leading) if f.partial is None else f.partial
    return [
        _duplicates(raw, panel, opts, labels, partial),
        _about_series(
            "partial_periods",
            partial,
            "rows",
            labels,
            f"{partial.sum()} rows in a first or last {panel.schema.freq!r} period their series covers "
            "in part",
            f"dropped before aggregate={opts.aggregate!r}: a part of a period summed is not the "
            "period's value (the forecast covers that period whole)",
            passed=_no_partial_period(panel.schema.freq, opts.aggregate),
            column=target,
        ),
        _about_series(
            "missing_steps",
            f.inserted,
            "steps",
            labels,
            f"{f.inserted.sum()} missing time steps",
            f"inserted; target imputed by {rule}, covariates carried forward then backward"
            f"{_dst_gap(panel)}{_holiday_gap(panel, task)}",
            passed="no missing time step",
            at=_inserted_at(raw, panel, opts.aggregate is not None),
        ),
        _about_series(
            "missing_target",
            f.imputed,
            "values",
            labels,
            f"{f.imputed.sum()} missing target values ({f.inserted.sum()} at inserted steps)",
            f"imputed by {rule} (fill={opts.fill!r})",
            passed="no missing target value",
            column=target,
        ),
        _about_series(
            "long_gaps",
            np.where(f.longest_gap >= limit, f.longest_gap, 0),
            "steps",
            labels,
            f"runs of {limit} or more consecutive missing targets",
            f"imputed by {rule}: check the source data, or set data={{'fill': ...}} (--fill)",
            status="alert",
            passed=f"no run of {limit} or more missing targets",
            column=target,
        ),
        _about_series(
            "leading_missing",
            f.leading,
            "steps",
            labels,
            f"{f.leading.sum()} leading steps without a target",
            "dropped: every series starts at its first observation",
            passed="every series starts with a target",
            column=target,
        ),
        trailing_missing(panel, labels),
    ]


def trailing_missing(panel: Panel, labels: np.ndarray, later: bool = False) -> Check:
    """The steps after each series' last target (rows without one: dropped), where they start.
    ``later``: of a ``history=`` table, an alert: its forecasts start at those rows, not after
    the table's last ones (user test 59: the newest month's rows of every series with an empty
    target, not loaded yet, forecast from the month before without a word)."""
    fills = getattr(panel, "fills", None)
    trailing = (np.zeros(panel.n_series, dtype=np.int64) if fills is None or fills.trailing is None
                else fills.trailing)  # an older model's
    def at(i: int) -> str:  # the steps dropped: those after the series' last target
        ends = step_times(panel.last_times[i : i + 1], np.array([1, trailing[i]]), panel.schema)[0]
        first, last = (time_text(t) for t in output_times(ends.astype(panel.times.dtype), panel.schema))
        return first if trailing[i] == 1 else f"{first} to {last}"

    action = ("dropped: every series ends at its last observation and is forecast from there (rows of "
              "known-future covariates among them: pass the table as predict(future=...) too)")
    if later and trailing.any():
        first = int(np.flatnonzero(trailing)[np.argmin(panel.last_times[trailing > 0])])
        action = (f"dropped: the last rows of {np.count_nonzero(trailing)} of {panel.n_series} series hold no "
                  f"target (from {at(first).split(' to ')[0]} on), so their forecasts start there, not after the "
                  "table's last rows: fill in the values, or drop those rows (rows of known-future covariates "
                  "belong in future=)")
    return _about_series(
        "trailing_missing",
        trailing,
        "steps",
        labels,
        f"{trailing.sum()} trailing steps without a target",
        action,
        passed="every series ends with a target",
        status="alert" if later else "fixed",
        column=panel.schema.target,
        at=at,
    )


def _inserted_at(raw: pd.DataFrame, panel: Panel, aggregated: bool) -> Callable[[int], str] | None:
    """Where the time steps inserted into series ``i`` of ``panel`` lie (:func:`_time_runs`):
    its rows of imputed targets, less those the table ``raw`` gave with a missing target (in
    the series that hold both); None for the fill report of an older model, which kept no rows."""
    f, s = panel.fills, panel.schema
    if f.imputed_rows is None:
        return None
    inserted = f.imputed_rows
    mixed = (f.inserted > 0) & (f.imputed > f.inserted)
    if mixed.any():
        blank = raw[pd.to_numeric(raw[s.target], errors="coerce").isna().to_numpy()]
        series, times = row_positions(blank, panel, aggregated)
        rows = np.flatnonzero(inserted & np.repeat(mixed, panel.lengths))
        have = pd.DataFrame({"s": panel.series_codes()[rows], "t": panel.times[rows], "row": rows})
        given = have.merge(pd.DataFrame({"s": series, "t": times}).drop_duplicates(), on=["s", "t"])["row"]
        inserted = inserted.copy()
        inserted[given.to_numpy(np.int64)] = False
    ptr = panel.indptr
    return lambda i: _time_runs(panel, ptr[i] + np.flatnonzero(inserted[ptr[i]:ptr[i + 1]]))


def _time_runs(panel: Panel, rows: np.ndarray) -> str:
    """'2021-03-14 to 2021-03-20 (7 steps), 2021-05-01 and 2 more': the times of ``rows`` (of
    one series, ascending) as the table writes them, consecutive ones as ranges (their steps
    counted where there are several), the first ``RUNS_SHOWN``."""
    runs = _runs(rows)
    text = [
        _time_text(panel, r[0]) if len(r) == 1 else
        f"{_time_text(panel, r[0])} to {_time_text(panel, r[-1])}" + (f" ({len(r)} steps)" if len(runs) > 1 else "")
        for r in runs[:RUNS_SHOWN]
    ]
    return shortlist(text + [""] * (len(runs) - len(text)), RUNS_SHOWN)  # the others counted, not written


def _holiday_gap(panel: Panel, task: Task) -> str:
    """Where daily stamps fitted without ``holidays=`` lack both New Year's Day and Christmas
    Day in most of the years they span (a user test's business days without Victoria's 27
    public holidays were imputed, Christmas forecast), a hint: if the series are closed on a
    country's public holidays, ``holidays=`` reads them as closed days; else ''."""
    s, f = panel.schema, panel.fills
    if task.holidays or s.freq is None or s.tz is not None or f.imputed_rows is None or not f.imputed_rows.any():
        return ""  # zoned stamps are kept in UTC: their dates are not the local ones
    monday = pd.Timestamp("2001-01-01")
    try:
        offset = to_offset(s.freq)
        if monday + offset - monday != pd.Timedelta(days=1):  # days, working days; not hours or weeks
            return ""
    except (ValueError, TypeError):  # a calendar of opening hours
        return ""
    missing = pd.DatetimeIndex(np.unique(panel.times[f.imputed_rows])).normalize()
    first, last = pd.Timestamp(panel.times.min()), pd.Timestamp(panel.times.max())
    for month, day in ((1, 1), (12, 25)):
        days = pd.DatetimeIndex([pd.Timestamp(y, month, day) for y in range(first.year, last.year + 1)])
        days = days[(days > first) & (days < last)]
        days = days[[offset.is_on_offset(d) for d in days]]  # those of the grid (a working day)
        if not len(days) or days.isin(missing).mean() < 0.5:
            return ""
    return ("; among them New Year's Day and Christmas Day of most years: if the series are closed on "
            "a country's public holidays, pass holidays= with its code (e.g. 'US', 'DE', 'AU-VIC'; "
            "--holidays), and they are read as closed days, not imputed")


def _dst_gap(panel: Panel) -> str:
    """Where the only missing steps of naive sub-daily stamps are whole hours of Sunday nights
    (``WALL_NIGHT``), at most one a day: the hours local clocks skip when daylight saving
    starts (2014-10-05 02:00 in Melbourne), made up as missing steps; a hint saying so and the
    fix (as :func:`~tsauto.forecasting.validation.check_duplicates` gives where daylight saving
    ends); else ''."""
    s, f = panel.schema, panel.fills
    if s.tz is not None or s.freq is None or f.imputed_rows is None or f.imputed.sum() != f.inserted.sum():
        return ""  # zoned or integer times, an older model's report, missing targets besides
    try:
        per_hour = pd.Timedelta(hours=1) / pd.Timedelta(to_offset(s.freq))
    except (ValueError, TypeError):  # a calendar offset, opening hours
        return ""
    missing = pd.DatetimeIndex(np.unique(panel.times[f.imputed_rows]))
    hours = missing.floor("h").unique()
    if (not len(missing) or per_hour % 1 or len(missing) != per_hour * len(hours)
            or not (missing.day_of_week == 6).all() or not missing.hour.isin(WALL_NIGHT).all()
            or hours.normalize().has_duplicates):
        return ""
    when = shortlist((f"{h:%Y-%m-%d %H:%M}" for h in hours), 3)
    hour, day = ("hours", "Sundays") if len(hours) > 1 else ("hour", "a Sunday")
    return (f"; they are the {hour} from {when} ({day}), which local clocks skip when daylight saving "
            "starts: if the times are local, give them time-zone aware (or in UTC), so that no hour "
            "is made up")


def _no_partial_period(freq: str | None, aggregate: str | None) -> str:
    """The ``partial_periods`` message where no row was dropped, as ``aggregate=`` was given."""
    if aggregate is None:
        return "no rows rolled up (no aggregate=)"
    if aggregate == "sum":
        return f"no series summed from within a {freq!r} period"
    return f"no rows summed (aggregate={aggregate!r})"


def _duplicates(
    raw: pd.DataFrame, panel: Panel, opts: DataOptions, labels: np.ndarray, partial: np.ndarray
) -> Check:
    ids = list(panel.schema.ids)
    given = raw.groupby(ids, sort=True, observed=True).size().to_numpy() if ids else len(raw)
    merged = np.asarray(given - partial - panel.fills.rows, dtype=np.int64)
    return _about_series(
        "duplicates",
        merged,
        "rows",
        labels,
        f"{merged.sum()} rows share a time step with another",
        f"rolled up by aggregate={opts.aggregate!r} to frequency {panel.schema.freq!r}",
        passed="one row per series and time step",
    )


# -------------------------------------------------------------------------------- series


def short_series(panel: Panel, model: EnsembleModel, opts: DataOptions, labels: np.ndarray) -> Check:
    """Series shorter than a learner of the model needs, and what happened to them. Judged by
    the learner that needs the most: naive, which takes one point, would hide the series that
    the blend's other learners forecast by their fallback (user test: 1- and 2-point series
    forecast flat at their last value, unnamed)."""
    needs: dict[str, int] = {}
    for _, m in model.members:
        needs[m.learner.name] = max(needs.get(m.learner.name, 0), m.min_length_)
    need = max(needs.values())
    n = panel.lengths
    short = n < need
    # a series too short for one learner of a blend is dropped, else forecast by the others too
    blended = opts.short_series != "drop" and bool(np.any(n[short] >= min(needs.values())))
    if blended:
        lacking = ", ".join(f"{name} {k}" for name, k in needs.items() if k > n[short].min())
        finding = f"{short.sum()} series shorter than some learners of the model need ({lacking} observations)"
    else:
        finding = f"{short.sum()} series shorter than the {need} observations the learners need"
    action = {
        "auto": "forecast by seasonal naive (the fallback)"
        + (" in place of each learner they are too short for, blended with the others' forecasts" if blended else ""),
        "pad": f"left-padded with zeros to {'the length each learner needs' if blended else 'that length'} "
               "(short_series='pad')",
        "drop": "dropped: not forecast (short_series='drop')",
    }[opts.short_series]
    return _about_series(
        "short_series",
        short,
        "",
        labels,
        finding,
        action,
        passed=f"no series is shorter than the {need} observation{'s' * (need != 1)} the learners need",
    )


def short_for_lags(panel: Panel, model: EnsembleModel, labels: np.ndarray, dropping: bool = False) -> Check:
    """Series the learners forecast (long enough for them) but shorter than some of their lags
    or rolling windows: forecast without those, named by series. ``dropping``
    (``short_series="drop"``): a series too short for any member is dropped, not forecast."""
    members = [m for _, m in model.members if m.learner.lag_reach()]
    if not members:
        return Check("short_for_lags", "", "no learner of the model reads lags", "")
    reach: dict[str, set[int]] = {}
    for m in members:
        for kind, steps in m.learner.lag_reach().items():
            reach.setdefault(kind, set()).update(steps)
    names = " and ".join(dict.fromkeys(m.learner.name for m in members))
    longest = max(max(steps) for steps in reach.values())
    n = panel.lengths
    # forecast by them: long enough for one of them, or, where short series are dropped, for all
    needed = max(m.min_length_ for _, m in model.members) if dropping else min(m.min_length_ for m in members)
    short = np.flatnonzero((n < longest) & (n >= needed))
    if not short.size:
        return Check(
            "short_for_lags", "", f"every series reaches the longest lag or window of {names} "
            f"({longest} steps)", "",
        )
    shown = []
    for i in short[:SHOWN]:
        lacking = {kind: sorted(k for k in steps if k > n[i]) for kind, steps in reach.items()}
        text = " and ".join(
            f"{kind}{'s' * (len(v) > 1)} {_spans(v)}" for kind, v in lacking.items() if v
        )
        shown.append(f"{f'series {labels[i]}' if labels[i] else 'the series'}: {n[i]} steps, without {text}")
    more = f"; and {short.size - SHOWN} more" if short.size > SHOWN else ""
    return Check(
        "short_for_lags",
        "",
        f"{short.size} series shorter than the longest lag or window of {names} ({longest} "
        f"steps) ({'; '.join(shown)}{more})",
        f"still forecast by {names}, without the lags and windows longer than the series (read "
        "as missing values); give longer histories, or shorter lags= and windows=",
        "alert",
        tuple(str(s) for s in labels[short]) if labels[0] != "" else (),
        int(short.size),
    )


def _spans(values: list[int]) -> str:
    """'10-24, 52' for [10, 11, ..., 24, 52]: runs of consecutive numbers as spans."""
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in _runs(values))


def _runs(values: Sequence[int] | np.ndarray) -> list[np.ndarray]:
    """``values`` (ascending) cut into runs of consecutive numbers."""
    return np.split(np.asarray(values), np.flatnonzero(np.diff(values) != 1) + 1)


def ends_early(
    panel: Panel, labels: np.ndarray, carried: np.ndarray | None = None, known: np.ndarray | None = None
) -> list[Check]:
    """Series whose last target comes before the table's last one, by how many steps (of those
    some series holds): each is forecast from its own end, for dates already past (on integer
    steps, for steps the others already hold: they need not be the same times). An alert
    where they are a minority; where most end early the series span different periods (M4's
    do), each forecast from its own end, as it should be. Series ``carried`` (steps after their
    last row, zeros in ``panel``) are an alert of their own: they end early in the table, and
    are forecast from its end, as the sums of a hierarchy count them. Integer steps that read
    as each series' own count (:func:`_own_counts`: M4's 1..n; 13 of 30 M4 Hourly series were
    told to be dropped or given rows, user test 46) pass, saying why; steps every series starts
    at but that read as a clock they share (a week number of one shop, departments that stopped)
    stay an alert, saying why and what to do were they counts."""
    own = _own_ends(panel, labels, known)
    counted = _own_counts(panel) if own.status == "alert" and panel.schema.freq is None else None
    first = panel.times[panel.indptr[0]]
    if counted is not None and counted[0]:
        own = own._replace(
            finding=f"{own.finding.split(' (series')[0]}, but every series starts at step {first}, "
                    f"{counted[1]}: the steps read as each series' own count (M4's), not one clock, each series "
                    "forecast from its own end",
            action="nothing to do (if the steps are instead one clock the series share and these stopped, give "
                   "them rows up to the table's last step: target 0, or empty with data={'fill': 'zero'}, --fill zero)",
            status="passed", series=(), count=0,
        )
    elif counted is not None:
        own = own._replace(action=f"{own.action} (every series starts at step {first}, but {counted[1]}: read as "
                                  "one clock the series share; if the steps are instead each series' own count, "
                                  "as M4's, nothing to do)")
    if carried is None or not carried.any():
        return [own]
    zeros = _about_series(
        "ends_early", carried, "steps", labels,
        f"{np.count_nonzero(carried)} of {panel.n_series} series end before the table's last time step",
        CARRIED, status="alert", passed="", column=panel.schema.target,
    )
    return [zeros] if own.status == "passed" else [zeros, own]


def _own_counts(panel: Panel) -> tuple[bool, str] | None:
    """Whether integer steps that every series starts at (None where they do not) read as each
    series' own count (M4's 1..n), where ending early says nothing, or as a clock the series
    share, where it says they stopped; and the evidence, in words. A count has every step up to
    the series' end, and its ends are lengths, which a collection repeats (M4 Hourly's are 700
    or 960 hours: 169 series end at 700); on a clock, series miss steps (Walmart's departments
    on a week number: 293 of the 2,955 that start in its first week), and those that stopped
    end each at a step of its own (1 to 4 in each store). So: counts where no series
    misses a step and each series ending early ends at a step another series ends at too."""
    firsts, last = panel.times[panel.indptr[:-1]], panel.last_times
    if panel.n_series < 2 or np.any(firsts != firsts[0]):
        return None
    fills = getattr(panel, "fills", None)
    gaps = 0 if fills is None else int(np.count_nonzero(fills.inserted))
    if gaps:
        return False, f"{gaps} series miss steps, which counts do not"
    ends, at, count = np.unique(last, return_inverse=True, return_counts=True)
    early = last < last.max()
    alone = early & (count[at] == 1)
    if alone.any():
        who = ("the series ending early ends" if early.sum() == 1
               else f"{alone.sum()} of the {early.sum()} series ending early end")
        return False, f"{who} where no other series ends, as stopped series do"
    shared = ends[ends < last.max()].tolist()
    return True, (f"none misses a step, and each of those ending early ends where others do too (step"
                  f"{'s' * (len(shared) > 1)} {shortlist(shared, 3)}: lengths the series share)")


def _own_ends(panel: Panel, labels: np.ndarray, known: np.ndarray | None = None) -> Check:
    """:func:`ends_early` of the series' own ends in ``panel``; the ``known`` ones not named
    (said before: at fit)."""
    last = panel.last_times
    early = last < last.max()
    if 2 * early.sum() > panel.n_series:
        return Check("ends_early", panel.schema.target, f"the series end at different times ({early.sum()} of "
                     f"{panel.n_series} before the table's last time step): each is forecast from its own end", "")
    behind = np.zeros(panel.n_series, dtype=np.int64)
    if early.any():
        grid = np.unique(panel.times[panel.times >= last[early].min()])
        behind = len(grid) - 1 - np.searchsorted(grid, last)
    if known is not None:
        behind[known], early = 0, early & ~known
    return _about_series(
        "ends_early",
        behind,
        "steps early, last",  # not its length ("32 steps", short_for_lags'): user test 49
        labels,
        f"{early.sum()} of {panel.n_series} series end before the table's last time step",
        f"forecast from their own end, for {'dates already past' if panel.schema.freq else 'steps other series already hold'}: "
        f"{ENDS_EARLY_FIX}",
        status="alert",
        passed="every series reaches the table's last time step",
        column=panel.schema.target,
        at=lambda i: _time_text(panel, panel.indptr[i + 1] - 1),  # its last time (user test 59)
    )


def intermittent(panel: Panel, labels: np.ndarray, stopped: np.ndarray) -> Check:
    """Series with many zeros (Syntetos-Boylan: average demand interval above 1.32), but the
    ``stopped`` (discontinued) ones, whose trailing zeros are no intermittent demand."""
    flags = ~stopped & np.array(
        [is_intermittent(panel.y[a:b]) for a, b in zip(panel.indptr[:-1], panel.indptr[1:])]
    )
    action = (
        "Croston and TSB join the portfolio (over half the series)"
        if intermittent_share(panel, stopped) > 0.5
        else "forecast by the general learners; name 'croston' or 'tsb' in learners= to compare"
    )
    left_out = f"; {stopped.sum()} discontinued left out" if stopped.any() else ""
    return _about_series(
        "intermittent",
        flags,
        "",
        labels,
        f"{flags.sum()} of {panel.n_series} series intermittent (average demand interval above "
        f"{ADI_THRESHOLD}{left_out})",
        action,
        status="alert",
        passed="no intermittent series",
    )


def guards(panel: Panel, opts: DataOptions, labels: np.ndarray, stopped: np.ndarray) -> list[Check]:
    """Series whose forecasts are clipped at zero, or set to zero as discontinued (``stopped``)."""
    g = Guards(opts.non_negative, opts.discontinued)
    target = panel.schema.target
    clipped = g.clipped(panel)
    why = "non_negative=True" if opts.non_negative is True else "never negative in their history"
    negative = _about_series(
        "non_negative",
        clipped,
        "",
        labels,
        f"{clipped.sum()} of {panel.n_series} series {why}",
        "forecasts and quantiles clipped at zero",
        column=target,
        passed="not clipped (non_negative=False)"
        if opts.non_negative is False
        else "every series has negative values: not clipped",
    )
    discontinued = _about_series(
        "discontinued",
        stopped,
        "",
        labels,
        f"{stopped.sum()} series zero at the end for a full season or more",
        "forecast as zero (discontinued=True); where they have not stopped, turn the rule off: "
        f"data={{'discontinued': False}} (--no-discontinued){_outage(panel, labels, stopped)}",
        column=target,
        passed="no discontinued series"
        if opts.discontinued
        else "not checked (discontinued=False)",
    )
    return [negative, discontinued]


def _outage(panel: Panel, labels: np.ndarray, stopped: np.ndarray) -> str:
    """Of the ``stopped`` (discontinued) series, those never zero before the zeros at their
    end, named with the run's steps: an abrupt stop, as often a gap in the data (a tracking
    outage) as a product discontinued; else ''."""
    trailing = trailing_zeros(panel)
    zeros = np.add.reduceat((panel.y == 0).astype(np.int64), panel.indptr[:-1])
    never = np.flatnonzero(stopped & (zeros == trailing))
    if not never.size:
        return ""
    if labels[0] == "":
        return f"; the series was never zero before its last {trailing[0]} steps: an outage in the data?"
    return (f"; {never.size} of them never zero before those last steps"
            f"{_named(labels, never, trailing, 'steps')}: an outage in the data?")


def spikes(
    panel: Panel, task: Task, labels: np.ndarray, named: np.ndarray | None = None, dropped: np.ndarray | None = None,
) -> Check:
    """Values that stand out of their series as one-step spikes (see ``SPIKE_STEPS``): kept,
    as a data error or a one-off event; they pull the learners and widen the intervals.
    ``named``: the rows whose spikes are named (by default all; not those the fit saw);
    ``dropped``: the series whose last values :func:`ends_in_a_drop` names: their last value
    is not named twice (review 52: a last value alone at zero got two alerts)."""
    y, codes, first, last = panel.y, panel.series_codes(), panel.indptr[:-1], panel.indptr[1:] - 1
    rise = np.empty_like(y)  # y[t] - y[t-1]
    rise[1:] = np.diff(y)
    rise[first] = np.nan
    fall = np.empty_like(y)  # y[t] - y[t+1]
    fall[:-1] = -np.diff(y)
    fall[last] = np.nan
    by_series = pd.Series(y).groupby(codes)
    scale = (1.4826 * pd.Series(np.abs(rise)).groupby(codes).median()).to_numpy()[codes]
    low, high = by_series.quantile(0.05).to_numpy()[codes], by_series.quantile(0.95).to_numpy()[codes]
    # a last value against the range of the values just before it (drop_window): in a series
    # that grew, a newest value of 0 lay inside the whole history's (user test 50: an outage's
    # one zero, or a partial month, at the end of Australian retail series: forecasts 43-56 %)
    ahead = last[codes] - np.arange(y.size)
    recent = (ahead >= 1) & (ahead <= drop_window(task.season))
    tail = pd.Series(y[recent]).groupby(codes[recent])
    for edge, q in ((low, 0.05), (high, 0.95)):
        near = tail.quantile(q).reindex(range(panel.n_series)).to_numpy()
        edge[last] = np.where(np.isnan(near), edge[last], near)
    wide = SPIKE_RANGE * (high - low)
    with np.errstate(invalid="ignore"):
        sign = _spike_sign(rise, fall, SPIKE_STEPS * scale)
        ends = np.concatenate([first, last])  # one step to judge there: a first or last value far out
        sign[ends] = _edge_sign(rise[ends], fall[ends], SPIKE_STEPS * scale[ends])
        sign[(scale <= 0) | ((y <= high + wide) & (y >= low - wide))] = 0
        if task.season > 1:  # a spike the season repeats (Christmas, Easter a week off) is none
            half = _spike_sign(rise, fall, SPIKE_STEPS / 2 * scale)
            for k in (task.season - 1, task.season, task.season + 1):
                for j, i in ((np.arange(k, y.size), np.arange(y.size - k)), (np.arange(y.size - k), np.arange(k, y.size))):
                    again = (codes[j] == codes[i]) & (half[j] == sign[i]) & (sign[i] != 0)
                    sign[i[again]] = 0
    if dropped is not None:
        sign[last[dropped]] = 0
    at = np.flatnonzero(sign)
    if named is not None:
        at = at[named[at]]
    shown = ", ".join(
        (f"{labels[codes[i]]} at " if labels[0] != "" else "at ") + _time_text(panel, i) for i in at[:3]
    )
    edge = np.isin(at, ends)
    fix = (  # a missing value under the zero rule is a zero: a spike the other way
        "correct them (a missing value is read as 0 here, data={'fill': 'zero'})"
        if panel.schema.fill == "zero" else
        f"set them missing (NaN: filled by the fill rule, {panel.schema.fill!r}) or correct them"
    )
    return _about_series(
        "spikes", np.bincount(codes[at], minlength=panel.n_series) > 0, "", labels,
        f"{at.size} value(s) stand out of their series ({shown}{' and more' if at.size > 3 else ''}: "
        f"{_spike_kinds(int(np.count_nonzero(~edge)), int(np.count_nonzero(edge)))})",
        f"kept: they pull the learners and widen the intervals; where they are errors, {fix}",
        status="alert", column=panel.schema.target, passed="no one-step spikes",
    )


def _spike_kinds(inner: int, edge: int) -> str:
    """What :func:`spikes` found, in words: ``inner`` one-step spikes (a step there and
    straight back) and ``edge`` first or last values, which have one step only (a unit change
    at the end read as "a step there and straight back", user test 50)."""
    kinds = []
    if inner:
        kinds.append(f"{inner} one-step spike{'s' * (inner > 1)}, a step there and straight back, each over "
                     f"{SPIKE_STEPS} times the series' median step and far outside its usual range")
    if edge:
        kinds.append(f"{edge} first or last value{'s' * (edge > 1)} a step of over {SPIKE_STEPS} times the "
                     "series' median step away from the values next to it, far outside their range (a last "
                     "value: of its last two seasons)")
    return "; ".join(kinds)


def ends_in_a_drop(
    panel: Panel, labels: np.ndarray, stopped: np.ndarray, season: int, run: np.ndarray | None = None
) -> Check:
    """Series whose last values lie far below the level they had (see ``DROP_RUN``,
    :func:`drop_window`): an outage's zeros, returns booked as negative sales, where every
    forecast starts. Kept (an alert): an error or a real stop, the user knows. The ``stopped``
    series are left out: the discontinued, forecast as zero (the discontinued check's), and a
    hierarchy's bottom series carried to the table's end with zeros not in the user's rows
    (``ends_early``'s). ``run``: :func:`_end_runs` of these, where computed already."""
    return _ends_apart(panel, labels, stopped, season, up=False, run=run)


def ends_in_a_jump(panel: Panel, labels: np.ndarray, stopped: np.ndarray, season: int) -> Check:
    """:func:`ends_in_a_drop` upward: series whose last values lie far above every value of
    their last two seasons (a unit change, thousands read as units: user test 53, an Australian
    retail series' last 3 or 4 months x1000 forecast at 14,262 against a level of 40, no alert;
    a last value alone is the spikes check's; the fewest values are ``drop_run``'s). Kept (an
    alert). The ``stopped`` series are left out."""
    return _ends_apart(panel, labels, stopped, season, up=True)


def _ends_apart(
    panel: Panel, labels: np.ndarray, stopped: np.ndarray, season: int, up: bool, run: np.ndarray | None = None
) -> Check:
    name, shift, side = ("ends_in_a_jump", "jump", "above") if up else ("ends_in_a_drop", "drop", "below")
    run = _end_runs(panel, stopped, season, up) if run is None else run
    idx = np.flatnonzero(run)
    if not idx.size:
        return Check(name, panel.schema.target, f"no series ends in a {shift}", "")
    window = drop_window(season)
    named = [f"{labels[i]}: " if labels[0] != "" else "" for i in idx[:SHOWN]]
    shown = "; ".join(
        who + _drop_text(panel.y[panel.indptr[i] : panel.indptr[i + 1]], run[i], window, up)
        for who, i in zip(named, idx)
    )
    more = f"; and {idx.size - SHOWN} more" if idx.size > SHOWN else ""
    finding = (
        f"{idx.size} of {panel.n_series} series end in a {shift}: their last {drop_run(window)} or more values "
        f"{'' if up else '(or a last one at zero or below, where those before were all above it) '}each "
        f"lie {side} every one of the {window} values before them, by more than those values' spread {side} their "
        f"median ({shown}{more})"
    )
    fix = ("correct those rows, or set them missing (NaN: trailing steps without a target are dropped, the series "
           "then ends early)")
    action = (
        f"kept (forecasts unchanged), but every forecast starts from them: check the data (a unit change, "
        f"thousands read as units? a one-off order?) and {fix}" if up else
        f"kept (forecasts unchanged), but every forecast starts from them: check the data (an outage? returns "
        f"booked as negative sales?) and {fix}; if a series really stopped, the discontinued rule forecasts it as "
        "zero once it has been zero for a full season (data={'discontinued': True}, the default)"
    )
    series = tuple(str(s) for s in labels[idx]) if labels[0] != "" else ()
    return Check(name, panel.schema.target, finding, action, "alert", series, int(run[idx].sum()))


def _end_runs(panel: Panel, stopped: np.ndarray, season: int, up: bool = False) -> np.ndarray:
    """Per series, the last values :func:`ends_in_a_drop` (``up``: :func:`ends_in_a_jump`)
    names: 0 for none and for the ``stopped`` series."""
    # a jump held for more than a season is the series' new level (a shop opened, a product taking
    # off: Walmart's departments, M1 yearly's growth), not a unit change
    run = _trailing_drops(-panel.y, panel.indptr, season, drop_window(season) // 2) if up else \
        _trailing_drops(panel.y, panel.indptr, season, zero_alone=True)
    run[stopped] = 0
    return run


def _trailing_drops(
    y: np.ndarray, indptr: np.ndarray, season: int = 1, longest: int | None = None, zero_alone: bool = False
) -> np.ndarray:
    """Per series, the length of its trailing drop (0 for none), all series at once. The
    last values from a row on, no more of them than ``drop_window(season)`` (longer, they are
    the series' level now: M4 Weekly's W277 fell by half 791 weeks before its end), are a run
    below where the highest of them is below the lowest of the ``drop_window(season)`` values
    before it, with at least ``DROP_BEFORE`` values (and the run's length) before it; a drop
    where they are below that lowest by more than ``max(median - lowest, DROP_FLOOR *
    |median|)`` of those values before the longest run below (computed on candidates only).
    With ``zero_alone``, a last value at zero or below is a run of its own where those before
    were all above zero: an outage's one zero at the end (user test 55: a Walmart department of
    22-30k a week, its newest week 0, no alert: forecast 31 % lower)."""
    n = len(indptr) - 1
    codes = np.repeat(np.arange(n), np.diff(indptr))
    pos = np.arange(y.size) - indptr[:-1][codes]  # values before each row, in its series
    left = np.diff(indptr)[codes] - pos  # the run from each row to its series' end
    window = drop_window(season)
    longest = window if longest is None else longest  # runs longer: the series' level now
    low = _lowest_before(y, codes, window)
    high = pd.Series(y[::-1]).groupby(codes[::-1]).cummax().to_numpy()[::-1]  # highest from each row on
    with np.errstate(invalid="ignore"):
        alone = zero_alone & (left == 1) & (y <= 0) & (low > 0)  # far enough below: every value before is above 0
        below = (pos >= DROP_BEFORE) & ((left >= drop_run(window)) | alone) & (left <= np.minimum(pos, longest)) \
            & (high < low)
    start = np.full(n, y.size)
    np.minimum.at(start, codes[below], np.flatnonzero(below))
    ahead = (start - indptr[:-1])[codes] - pos  # rows from each row to its series' run
    before = (ahead >= 1) & (ahead <= window) & (start < y.size)[codes]
    median = pd.Series(y[before]).groupby(codes[before]).median().reindex(range(n)).to_numpy()[codes]
    spread = np.maximum(median - low, DROP_FLOOR * np.abs(median))
    with np.errstate(invalid="ignore"):
        far = below & ((high < low - spread) | alone)
    first = np.full(n, y.size)
    np.minimum.at(first, codes[far], np.flatnonzero(far))
    return np.where(first < y.size, indptr[1:] - first, 0)


def drop_window(season: int) -> int:
    """The values a drop is measured against: the last two seasons before it (at least
    ``DROP_BEFORE``), the level the series has now. All its earlier values hid an outage's
    zeros in a series that grew: Australian retail's monthly turnover, 3 of its 148 series
    named with their last 6 months set to 0 (user test 49), its lowest values 40 years old."""
    return max(DROP_BEFORE, 2 * season)


def drop_run(window: int) -> int:
    """The fewest last values a drop spans: ``DROP_RUN``, one more against a window under two
    ``DROP_BEFORE`` (8 years, a fortnight of days), where two low draws of a noisy series
    pass: 10,000 i.i.d. series of 60 values named 30-34 (Poisson(3) counts) and 12-16 (gamma(5))
    against 8 values with 2 (review 50), 6 and 0 with 3; against 14 values (days), 0 and 0."""
    return DROP_RUN if window >= 2 * DROP_BEFORE else DROP_RUN + 1


def _lowest_before(y: np.ndarray, codes: np.ndarray, window: int) -> np.ndarray:
    """The lowest of the ``window`` values before each row in its series (NaN at a first
    row): one rolling minimum over the series laid end to end ``window`` NaNs apart."""
    at = np.arange(y.size) + codes * window
    spaced = np.full(y.size + (int(codes[-1]) + 1) * window if y.size else 0, np.nan)
    spaced[at] = y
    lowest = pd.Series(spaced).rolling(window, min_periods=1).min().to_numpy()
    return np.where(at >= 1, lowest[np.maximum(at - 1, 0)], np.nan)


def _drop_text(y: np.ndarray, run: int, window: int, up: bool = False) -> str:
    """'last 10 steps at 0, never below 16,528.6 in the 104 before (median 26,047.4)': a
    series' values ``y`` ending in a drop (``up``: a jump) of ``run`` steps, against the
    ``window`` values before it, in words."""
    last, earlier = y[-run:], y[:-run][-window:]
    at = _number(last.min()) if last.min() == last.max() else f"{_number(last.min())} to {_number(last.max())}"
    bound = f"never above {_number(earlier.max())}" if up else f"never below {_number(earlier.min())}"
    steps = "last step" if run == 1 else f"last {run} steps"
    return f"{steps} at {at}, {bound} in the {earlier.size} before (median {_number(np.median(earlier))})"


def _number(v: float) -> str:
    """A value in a message: six significant digits, thousands separated ('16,528.6')."""
    return f"{v:,.6g}"


def _edge_sign(rise: np.ndarray, fall: np.ndarray, size: np.ndarray) -> np.ndarray:
    """:func:`_spike_sign` at a series' first or last value, where one of ``rise`` and ``fall``
    is NaN: the other alone, +1 up, -1 down (a last value 100 times the others is where every
    forecast starts)."""
    step = np.where(np.isnan(rise), fall, rise)
    return (step > size).astype(np.int64) - (step < -size).astype(np.int64)


def _spike_sign(rise: np.ndarray, fall: np.ndarray, size: np.ndarray) -> np.ndarray:
    """+1 where a step up of over ``size`` is followed by one down of over ``size``, -1 for
    down then up, else 0."""
    up = (rise > size) & (fall > size)
    down = (rise < -size) & (fall < -size)
    return up.astype(np.int64) - down.astype(np.int64)


def _time_text(panel: Panel, i: int) -> str:
    """Row ``i``'s time as the user wrote it (its time zone, integer dates, periods)."""
    return time_text(output_times(panel.times[i : i + 1], panel.schema)[0])


# -------------------------------------------------------------------------------- covariates


def without_leaks(
    panel: Panel, horizon: int, leave_out: bool = True, found: Sequence[Leak] = ()
) -> Panel:
    """``panel`` without the numeric covariates equal (|correlation| ≥ 0.999 within series) to
    the target or to it 1..k steps ahead (k = ``horizon``, at most ``MAX_SHIFT``), and with a
    known-future one equal to the target fewer than ``horizon`` steps earlier read as a past
    covariate: their values over a validation fold are the fold's answers, so every score
    chose on them (a user test: the target 8 weeks ahead, flagged, took 0.92 of the blend, and
    the forecasts were 68 % worse than without it). ``leave_out=False``: found, nothing changed
    (a hierarchy's nodes: their means of a covariate beside sums of the target are checked on
    the user's series). What was found and done is the schema's ``leaks`` (:func:`leakage`
    reports it). ``panel``: as :func:`validate` returns it (with its ``fills``). Large panels
    are checked on their first series, up to ``LEAK_ROWS`` rows. ``found``: the findings on
    the whole table of which ``panel`` is a part (a nested backtest's fold), acted on here too
    where the part's rows alone fall under the threshold (the fold would read the answers)."""
    s = panel.schema
    leaks = _find_leaks(panel, horizon, leave_out)
    here = {x.column for x in leaks}
    leaks += [replace(x, acted=leave_out) for x in found if x.column in s.covariates and x.column not in here]
    drop = [x.column for x in leaks if x.left_out]
    past = [x.column for x in leaks if x.read_as_past(horizon)]
    schema = replace(
        s, leaks=tuple(leaks), known_future=tuple(c for c in s.known_future if c not in drop and c not in past),
        past=tuple(c for c in s.past if c not in drop) + tuple(past),
    )
    out = replace(panel, schema=schema, covariates=panel.covariates.drop(columns=drop))
    out.fills = getattr(panel, "fills", None)  # what validation filled, for the data checks
    return out


def _find_leaks(panel: Panel, horizon: int, acted: bool) -> list[Leak]:
    """:func:`without_leaks`' findings on ``panel`` (its first series up to ``LEAK_ROWS`` rows)."""
    s = panel.schema
    whole = max(1, int(np.searchsorted(panel.indptr, LEAK_ROWS, side="right")) - 1)
    end = int(panel.indptr[whole])
    codes = panel.series_codes()[:end]
    k = int(np.clip(horizon, 1, MAX_SHIFT))
    leaks = []
    for col in s.covariates:
        if col not in s.categories:
            hit = _shifted_copy(panel.covariates[col].to_numpy(np.float64)[:end], panel.y[:end], codes, k)
            if hit is not None:
                leaks.append(Leak(col, *hit, col in s.known_future, acted))
    return leaks


@dataclass(frozen=True)
class Leak:
    """A covariate found equal to the target ``shift`` steps ahead (< 0: earlier), with that
    ``corr``; whether it was ``known`` future, and whether :func:`without_leaks` acted on it."""

    column: str
    shift: int
    corr: float
    known: bool
    acted: bool

    @property
    def left_out(self) -> bool:
        return self.acted and self.shift >= 0

    def read_as_past(self, horizon: int) -> bool:
        return self.acted and self.known and 0 < -self.shift < horizon


def leakage(panel: Panel, task: Task) -> list[Check]:
    """The covariates :func:`without_leaks` found equal to the target, or to it shifted by
    1..k steps within series: what was done (left out, read as a past covariate: ``fixed``,
    warned of) or what it means for the covariate's role (an alert)."""
    out = []
    for leak in panel.schema.leaks:
        changed = leak.left_out or leak.read_as_past(task.horizon)
        finding, action = _leak_text(leak, task.horizon)
        out.append(Check("leakage", leak.column, finding, action, "fixed" if changed else "alert"))
    if not out:
        k = int(np.clip(task.horizon, 1, MAX_SHIFT))
        out.append(Check("leakage", "", f"no covariate equals the target or it shifted by 1..{k} steps", ""))
    return out


def _shifted_copy(
    v: np.ndarray, y: np.ndarray, codes: np.ndarray, k: int
) -> tuple[int, float] | None:
    """The smallest shift ``s`` (in 0, ±1..±k) with |corr(v[t], y[t + s])| ≥ LEAK_CORR within
    series (each series' values less their mean: pooled levels of series far apart correlate
    alone, and a known-future forecast of the target with 3 % errors scored 0.9994 on 152
    Australian retail series, 0.998 within them), and that correlation; None if there is none."""
    for shift in [0, *(x for s in range(1, k + 1) for x in (s, -s))]:
        n = len(v) - abs(shift)
        if n < 3:
            continue
        a, b = (v[:n], y[shift:]) if shift >= 0 else (v[-shift:], y[:n])
        same = codes[:n] == codes[abs(shift) :]
        ok = same & np.isfinite(a) & np.isfinite(b)
        if ok.sum() < 3:
            continue
        a, b = _within_series(a[ok], codes[:n][ok]), _within_series(b[ok], codes[:n][ok])
        if not (a.any() and b.any()):
            continue
        corr = float(np.corrcoef(a, b)[0, 1])
        if abs(corr) >= LEAK_CORR:
            return shift, corr
    return None


def _within_series(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``x`` less the mean of its series (``codes``: the series of each value)."""
    _, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    return x - (np.bincount(inverse, weights=x) / counts)[inverse]


def _leak_text(leak: Leak, horizon: int) -> tuple[str, str]:
    """What a covariate equal to the target shifted by ``leak.shift`` steps is, and what was
    done (:func:`without_leaks`) or is advised."""
    how = f"(correlation {leak.corr:.4f})"
    if leak.shift == 0:
        what = "its future values would be the forecast itself" if leak.known else "it adds nothing beyond the target's own lags"
        return f"a copy of the target {how}", f"left out: {what}" if leak.acted else f"{what}: drop it"
    if leak.shift > 0:
        return (
            f"the target {leak.shift} step(s) ahead {how}",
            ("left out: it leaks the future (its values in a validation fold are the fold's answers); if it is "
             "known that early, shift it so each row holds only what was known then") if leak.acted else
            "it leaks the future: drop it, or shift it so each row holds only what was known then",
        )
    lag = -leak.shift
    if leak.known and lag < horizon:
        ahead = f"its values {lag + 1}..{horizon} steps ahead would be forecasts, not known"
        return (
            f"the target {lag} step(s) earlier {how}",
            f"read as a past covariate: {ahead} (leave it out of known_future=)" if leak.acted else
            f"{ahead}: leave it out of known_future=",
        )
    return (
        f"the target {lag} step(s) earlier {how}",
        "a copy of the target's history: adds nothing beyond its lags; drop it",
    )


def text_in_numbers(raw: pd.DataFrame, panel: Panel, labels: np.ndarray) -> list[Check]:
    """Covariates of numbers with a few text cells ("--", "unknown"), which validation read as
    numbers, those cells missing (:mod:`tsauto.core.text_in_numbers`, the rule of the tabular
    check of that name): fixed, naming the text, the rows (as errors name them) and the series.
    Their cells are then filled as the covariate's missing values are (``missing_covariates``
    counts them). None without such a covariate."""
    s = panel.schema
    found = _text_cells(raw, s)
    if not found:
        return []
    rows = row_labels(raw).index
    counts = _per_series(raw, s.ids, pd.DataFrame(found, index=raw.index))
    out = []
    for c, cells in found.items():
        text = text_values(raw[c])
        then = ("filled with their series' value, as a static covariate's missing cells are (missing_covariates)"
                if c in s.static else
                "filled within each series as missing covariate values are (missing_covariates)")
        out.append(_about_series(
            "text_in_numbers", counts[c], "rows", labels,
            f"{text_finding(raw[c], text)} ({describe_rows(rows[cells])})",
            f"read as numbers, {shortlist(map(repr, text))} as missing values, then {then}: map "
            "them to numbers yourself where they mean one",
            passed="", column=c,
        ))
    return out


def _text_cells(raw: pd.DataFrame, schema: Schema) -> dict[str, np.ndarray]:
    """The text cells of each covariate of ``raw`` read as numbers (not categorical): those
    validation read as missing values."""
    cols = [c for c in (*schema.known_future, *schema.past, *schema.static)
            if c in raw.columns and c not in schema.categories]
    return {c: cells for c in cols if (cells := text_cells(raw[c])).any()}


def _per_series(raw: pd.DataFrame, ids: tuple[str, ...], cells: pd.DataFrame) -> dict[str, np.ndarray]:
    """How many of the ``cells`` (a flag per row of ``raw`` and column) each series holds, in
    the panel's order of series (as ``_duplicates`` counts rows)."""
    if not ids:
        return {c: np.array([cells[c].sum()], dtype=np.int64) for c in cells.columns}
    per_series = cells.groupby([raw[i] for i in ids], sort=True, observed=True).sum()
    return {c: per_series[c].to_numpy(np.int64) for c in cells.columns}


def missing_covariates(raw: pd.DataFrame, panel: Panel, labels: np.ndarray) -> list[Check]:
    """Covariates with missing values in the rows of the table that stay history (text cells
    of a column of numbers included: :func:`text_in_numbers`; not the rows after each series'
    last target, dropped): validation fills those of known-future and past covariates within
    each series with the last value before (the first after, at a series' start), which a user
    should know where a missing value means something else (Walmart's markdowns, missing in two
    thirds of the weeks: no markdown run, not the next one's amount), and those of a static
    covariate with its series' value (a series without one keeps it missing: not counted)."""
    s = panel.schema
    names = [c for c in (*s.known_future, *s.past, *s.static) if c in raw.columns]
    if not names:
        return []
    history = table_history(raw, s)
    missing = raw[names].isna()
    for c, cells in _text_cells(raw, s).items():
        if c in missing.columns:
            missing[c] |= cells
    missing.loc[~history] = False
    for c in s.static:
        if c in missing.columns:
            missing[c] &= _series_any(raw, s.ids, ~missing[c] & history)
    per_series = _per_series(raw, s.ids, missing)
    out = []
    for c in names:
        fill = (
            "filled with the value of their series, which its other rows hold (a static covariate)"
            if c in s.static else
            "filled within each series with the last value before (the first one after, at its "
            "start); fill them yourself where a missing value means something else (0, say)"
        )
        share = missing[c].sum() / max(history.sum(), 1)
        many = c not in s.static and share >= MISSING_ALERT  # most of its values would be made up
        out.append(_about_series(
            "missing_covariates", per_series[c], "rows", labels,
            f"{int(missing[c].sum())} of {int(history.sum())} rows ({share:.1%}) miss covariate {c!r}",
            fill, passed=f"covariate {c!r} has no missing value", column=c,
            status="alert" if many else "fixed",
        ))
    return out


def _series_any(raw: pd.DataFrame, ids: tuple[str, ...], flags: pd.Series) -> np.ndarray:
    """For every row of ``raw``, whether any row of its series has ``flags``."""
    if not ids:
        return np.full(len(raw), bool(flags.any()))
    return flags.groupby([raw[i] for i in ids], observed=True).transform("any").to_numpy(dtype=bool)


def string_covariates(raw: pd.DataFrame, panel: Panel) -> list[Check]:
    """Categorical covariates whose strings are dates, or with many levels: alerts."""
    out = []
    for col, levels in panel.schema.categories.items():
        n = len(levels)
        if _date_like(raw[col]):
            out.append(
                Check(
                    "date_as_category",
                    col,
                    f"holds date strings, used as a categorical covariate with {n} levels",
                    "drop it, or give it as time= (or as datetimes, which are not covariates)",
                    "alert",
                    (),
                    n,
                )
            )
        elif n >= HIGH_CARDINALITY:
            out.append(
                Check(
                    "high_cardinality",
                    col,
                    f"a categorical covariate with {n} levels",
                    "most levels have few rows to learn from: drop it or group its levels",
                    "alert",
                    (),
                    n,
                )
            )
    if not out:
        finding = f"no categorical covariate holds dates or has {HIGH_CARDINALITY} levels or more"
        out.append(Check("categorical_covariates", "", finding, ""))
    return out


def _date_like(values: pd.Series) -> bool:
    """Most distinct values are strings read as dates (numbers excluded)."""
    sample = pd.Series(values.dropna().astype(str).unique()[:200])
    if sample.empty:
        return False
    text = sample[pd.to_numeric(sample, errors="coerce").isna()]
    dates = pd.to_datetime(text, errors="coerce", format="mixed")
    return bool(dates.notna().sum() >= DATE_SHARE * len(sample))
