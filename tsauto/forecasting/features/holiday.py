"""Holiday features from the ``holidays`` package, for all rows at once.

For a country code (``"US"``), a list of codes, or a per-series column of codes, three features
per country: the number of holidays inside the row's period (a day, or the week/month the time
stamp labels; for sub-daily data the calendar day of the stamp), the days until the next holiday
and the days since the last one (both capped at 366).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError, shortlist
from tsauto.forecasting.frequency import freq_kind

_CAP = 366.0
_PERIOD = {"week": None, "month": "M", "quarter": "Q", "year": "Y"}


@lru_cache(maxsize=64)
def holiday_dates(country: str, first_year: int, last_year: int) -> np.ndarray:
    """Sorted ``datetime64[D]`` holiday dates of a country (``"US"`` or ``"AU-NSW"``)."""
    import holidays as hol

    code, _, subdiv = country.partition("-")
    try:
        cal = hol.country_holidays(
            code, subdiv=subdiv or None, years=range(first_year, last_year + 1)
        )
    except (NotImplementedError, KeyError) as err:
        raise DataValidationError(
            f"holidays={country!r}: "
            + (_known_instead(country) or f"the holidays package does not know this country or region ({err}); "
               "use an ISO code such as 'US', 'GB', 'DE' or 'AU-NSW'.")
        ) from None
    return np.array(sorted(cal.keys()), dtype="datetime64[D]")


def _known_instead(country: str) -> str:
    """What the holidays package knows in place of ``country``, which it does not, and the fix:
    the code as it spells it (``'au-vic'``: 'AU-VIC'; ``'US-CA '``: 'US-CA'), or a few regions of
    the country it knows (``'AU-XX'``), or the country alone where it has no regions (``'AL-XX'``);
    '' where it knows neither, or where ``country`` is spelled as it knows it (then the package's
    own error tells what is wrong)."""
    import holidays as hol

    known = hol.list_supported_countries()
    code, _, region = (part.strip() for part in country.partition("-"))
    found = next((c for c in known if c.casefold() == code.casefold()), None)
    if found is None:
        return ""
    spelled = next((r for r in known[found] if r.casefold() == region.casefold()), None) if region else ""
    if spelled is not None:
        spelled = "-".join(filter(None, (found, spelled)))
        if spelled == country:
            return ""
        bare = "-".join(filter(None, (code, region)))
        how = " and ".join(filter(None, (
            "are case-sensitive" if bare != spelled else "",
            "have no spaces" if "".join(country.split()) != country else "",
        )))
        return (f"the holidays package knows it as {spelled!r}" + (f" (its codes {how})" if how else "")
                + f": give holidays={spelled!r}.")
    regions = known[found]
    if not regions:
        return (f"the holidays package knows {found!r}, which has no regions: "
                f"give holidays={found!r} for its national holidays.")
    return (f"the holidays package knows {found!r} but not its region {region!r}; its regions are "
            f"{shortlist(map(repr, regions), 10)} (holidays.list_supported_countries()[{found!r}] lists them): "
            f"give e.g. holidays='{found}-{regions[0]}', or {found!r} alone for its national holidays.")


def holiday_features(times: np.ndarray, country: str, freq: str | None) -> np.ndarray:
    """(count in period, days to next, days since last) for flat ``datetime64`` times."""
    idx = pd.DatetimeIndex(times)
    days = idx.normalize().to_numpy().astype("datetime64[D]")
    kind = freq_kind(freq)
    if kind in _PERIOD:
        period = idx.to_period(freq if kind == "week" else _PERIOD[kind])
        start = period.start_time.normalize().to_numpy().astype("datetime64[D]")
        end = period.end_time.normalize().to_numpy().astype("datetime64[D]")
    else:
        start = end = days
    years = idx.year
    dates = holiday_dates(country, int(years.min()) - 1, int(years.max()) + 1)
    count = np.searchsorted(dates, end, "right") - np.searchsorted(dates, start, "left")
    nxt = np.searchsorted(dates, days, "left")
    prv = np.searchsorted(dates, days, "right") - 1
    to_next = np.full(len(days), _CAP)
    ok = nxt < len(dates)
    to_next[ok] = (dates[nxt[ok]] - days[ok]).astype(np.float64)
    since = np.full(len(days), _CAP)
    ok = prv >= 0
    since[ok] = (days[ok] - dates[prv[ok]]).astype(np.float64)
    return np.column_stack(
        [count.astype(np.float64), np.minimum(to_next, _CAP), np.minimum(since, _CAP)]
    )


def holiday_features_by_series(
    times: np.ndarray, country_of_row: np.ndarray, freq: str | None
) -> np.ndarray:
    """Holiday features where each row has its own country code (one pass per country)."""
    out = np.full((len(times), 3), np.nan)
    for country in pd.unique(country_of_row):
        if pd.isna(country):
            continue
        rows = country_of_row == country
        out[rows] = holiday_features(times[rows], str(country), freq)
    return out
