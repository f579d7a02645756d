"""Warnings that name series, said once for a forecast made in parts.

A forecast of a Dask DataFrame is made partition by partition on the workers, where a warning
would land in each worker's log, once per partition; the partitions send their
:class:`SeriesAlert` back instead, and the client says each kind once (:func:`say`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger("tsauto.forecasting.forecaster")  # where these warnings were always logged
EXAMPLES = 3  # series a warning describes


@dataclass(frozen=True)
class SeriesAlert:
    """A warning naming series: its ``template`` (``%d`` the count, ``%s`` the examples), how
    many series and the first few described. A forecast made in parts (the partitions of a
    Dask DataFrame, on the workers) sends its parts' alerts back to be said once (:func:`say`)."""

    template: str
    count: int
    examples: tuple[str, ...]


def say(alerts: Sequence[SeriesAlert | None]) -> None:
    """Log ``alerts``, those of one template once: their counts added, the first examples."""
    merged: dict[str, SeriesAlert] = {}
    for a in filter(None, alerts):
        b = merged.get(a.template)
        merged[a.template] = a if b is None else SeriesAlert(
            a.template, a.count + b.count, (b.examples + a.examples)[:EXAMPLES])
    for a in merged.values():
        log.warning(a.template, a.count, ", ".join(a.examples))
