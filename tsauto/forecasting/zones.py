"""Time zones of the time-zone database: the zones whose offsets a column's stamps carry, the
zone of a ``holidays=`` country or region, and the offsets of a zone at given instants (the
advice of the calendar's errors and data checks)."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

ZONES_TRIED = 400  # stamps of a column whose offsets the zones suggested must all match


def zones_of_offsets(col: pd.Series, offsets: pd.Series) -> list[str]:
    """The zones of the time-zone database (its ``zone.tab``; else every zone named
    Region/City) whose UTC offset is the one written at each stamp of ``col`` (``offsets``,
    as :func:`~tsauto.forecasting.calendar_time._offset_of` reads them), checked on up to ``ZONES_TRIED`` of them, the rows
    where the offset changes first; [] where none or the stamps cannot be read."""
    minutes = offsets.map(_offset_minutes).to_numpy(dtype=float)
    rows = np.flatnonzero(~np.isnan(minutes))
    if not len(rows):
        return []
    changes = rows[np.r_[True, minutes[rows][1:] != minutes[rows][:-1]]]
    even = rows[:: max(1, len(rows) // (ZONES_TRIED // 2))]
    picked = np.unique(np.r_[changes[: ZONES_TRIED // 2], even])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            instants = pd.to_datetime(col.iloc[picked], utc=True, errors="coerce", format="mixed")
        except (ValueError, TypeError):
            return []
    ok = instants.notna().to_numpy()
    if not ok.any():
        return []
    utc = pd.DatetimeIndex(instants[ok]).tz_localize(None)
    wanted = minutes[picked][ok]
    names = [z for _, z, _ in zone_table()] or sorted(
        z for z in _available_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    found = [z for z in dict.fromkeys(names) if np.array_equal(zone_offsets(utc, z), wanted)]
    return sorted(found, key=lambda z: z.startswith("Antarctica/"))  # research stations last


def _offset_minutes(offset: str) -> float:
    """Minutes east of UTC of an offset as :func:`_offset_of` writes it; NaN for none."""
    if offset == "Z":
        return 0.0
    found = re.fullmatch(r"([+-])(\d\d):?(\d\d)", offset)
    if not found:
        return np.nan
    sign = -1.0 if found.group(1) == "-" else 1.0
    return sign * (60 * int(found.group(2)) + int(found.group(3)))


def zone_offsets(utc: pd.DatetimeIndex, zone: str) -> np.ndarray | None:
    """The UTC offsets of ``zone`` in minutes at the naive UTC instants ``utc``; None where
    this machine's time-zone database lacks the zone."""
    try:
        local = utc.tz_localize("UTC").tz_convert(zone).tz_localize(None)
    except Exception:  # noqa: BLE001 - pytz, zoneinfo and dateutil raise their own kinds
        return None
    return ((local - utc) / pd.Timedelta(minutes=1)).to_numpy(dtype=float)


def _available_zones() -> set[str]:
    import zoneinfo

    try:
        return zoneinfo.available_timezones()
    except Exception:
        return set()


@lru_cache(maxsize=1)
def zone_table() -> tuple[tuple[str, str, str], ...]:
    """(country code, zone, comment) rows of the time-zone database's ``zone.tab`` (one row a
    zone, ``AU  Australia/Melbourne  Victoria``), from the system's database or the ``tzdata``
    package; () where neither has it."""
    import zoneinfo

    paths: list = [Path(p) / "zone.tab" for p in zoneinfo.TZPATH]
    try:
        from importlib.resources import files

        paths.append(files("tzdata").joinpath("zoneinfo", "zone.tab"))
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            continue
        rows = []
        for line in text.splitlines():
            parts = line.split("\t")
            if line.startswith("#") or len(parts) < 3:
                continue
            rows.append((parts[0].strip(), parts[2].strip(), parts[3].strip() if len(parts) > 3 else ""))
        if rows:
            return tuple(rows)
    return ()


def region_zones(code: str) -> tuple[str | None, list[str]]:
    """The time zone of a holidays country or region code (``"AU-VIC"``: Australia/Melbourne)
    and every zone of its country, from :func:`zone_table`: the country's only zone; else the
    zone whose comment names the subdivision (its name as the holidays package spells it,
    ``Victoria``, or its code as a word, ``MI``), the one of its most areas where several do
    (``Western Australia (most areas)``); else the country's zone of its most areas where one
    is (``most of Germany``: DE-BY, Europe/Berlin); else None (``US``, ``AU-ACT``: the zones
    only)."""
    country, _, subdiv = code.partition("-")
    rows = [(zone, comment) for cc, zone, comment in zone_table() if cc == country.upper()]
    rows.sort(key=lambda r: (" - " in r[1], r[0].startswith("Antarctica/")))  # a region's parts last
    zones = [zone for zone, _ in rows]
    if len(zones) <= 1:
        return (zones[0] if zones else None), zones
    hits = zones
    if subdiv:
        names = [n for n, c in _subdivision_names(country.upper()).items() if c.upper() == subdiv.upper()]
        hits = [zone for zone, comment in rows
                if any(re.search(rf"\b{re.escape(n)}\b", comment, re.IGNORECASE) for n in names)
                or re.search(rf"\b{re.escape(subdiv.upper())}\b", comment)] or zones
    if len(hits) > 1:
        hits = [zone for zone, comment in rows if zone in hits and "most" in comment.lower()]
    return (hits[0] if len(hits) == 1 else None), zones


@lru_cache(maxsize=64)
def _subdivision_names(country: str) -> dict[str, str]:
    """The holidays package's names of ``country``'s subdivisions, to their codes."""
    try:
        import holidays as hol

        return dict(getattr(hol.country_holidays(country), "subdivisions_aliases", {}) or {})
    except Exception:  # a country the package lacks: named by code only
        return {}


def utc_like(zone: str) -> bool:
    """Whether ``zone`` is UTC or a fixed offset (``UTC+10:00``): no region's local clock."""
    return zone.upper() in {"UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT", "ETC/UCT", "UCT", "ZULU", "ETC/ZULU"} or bool(
        re.fullmatch(r"(UTC|GMT|Etc/GMT)\s*[+-]\s*\d.*", zone, re.IGNORECASE))
