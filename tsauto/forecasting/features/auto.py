"""Default lags and rolling windows from the seasonality, the horizon and the data length."""

from __future__ import annotations

from typing import Sequence


def auto_lags(seasons: Sequence[int], horizon: int, median_length: int) -> tuple[int, ...]:
    """Lags 1..max(season, 7) (at most 24), 3 multiples of the season (7 when the series hold
    20 seasons or more), and the other seasonal periods.

    Lags longer than half the median series length are dropped: most rows would lack them.
    """
    m = seasons[0] if seasons else 1
    short = max(min(m, 24), 7) if m > 1 else max(min(horizon, 14), 7)
    lags = set(range(1, short + 1))
    if m > 1:
        cycles = 7 if median_length >= 20 * m else 3  # long histories: a week of days, ...
        lags |= {k * m for k in range(1, cycles + 1)}
    for p in seasons[1:]:
        lags |= {p, 2 * p}
    cap = max(short, median_length // 2)
    return tuple(sorted(k for k in lags if k <= cap))


def auto_windows(seasons: Sequence[int], median_length: int) -> tuple[int, ...]:
    """Rolling windows: a short one, each seasonal period, and seven periods when the series
    hold twenty or more; none longer than half the data."""
    m = seasons[0] if seasons else 1
    if m <= 1:
        windows = {3, 7, 14}
    else:
        windows = {max(3, round(m / 4)), *seasons}
        if median_length >= 20 * m:  # as many cycles as the lags reach (see auto_lags)
            windows.add(7 * m)
    cap = max(3, median_length // 2)
    return tuple(sorted(w for w in windows if 2 <= w <= cap))
