"""A filter on every logger of tsauto for the length of a block.

A filter set on the ``tsauto`` logger alone does not see its children's records (logging calls
a logger's filters only for the records logged to it), so it is set on each of them. It applies
to the records logged (or handed on from a worker) in the thread that set it: loggers are
shared by every thread, and two forecasters fitted or predicting in threads would otherwise
hide or rename each other's records.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager


@contextlib.contextmanager
def tsauto_filter(keep: Callable[[logging.LogRecord], bool]) -> Iterator[None]:
    """``keep`` filters (and may amend) every record a tsauto logger makes in the block, in
    this thread."""
    here = threading.get_ident()

    def keep_here(record: logging.LogRecord) -> bool:
        return threading.get_ident() != here or keep(record)

    loggers = [
        logger for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.split(".")[0] == "tsauto" and isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        logger.addFilter(keep_here)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(keep_here)


def unsaid(*messages: str) -> AbstractContextManager:
    """A block in which tsauto logs none of the message templates ``messages`` (said once
    elsewhere: by the caller, or for the whole of what the block does in parts)."""
    return tsauto_filter(lambda record: record.msg not in messages)


def warnings_once(seen: dict) -> AbstractContextManager:
    """tsauto's warnings in the block logged unless ``seen`` (counts by key, kept across
    blocks) holds them: each fold of a backtest fits anew, and its data checks' alerts and
    the plan's warnings would repeat at every cutoff; a classifier's ``predict`` and
    ``predict_proba`` of the same rows would say the same of them twice. A warning's key is its logger, its
    message template and first argument unless a number (a data check's name, not a count),
    so that one whose counts change from fold to fold is shown once."""

    def once(record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        first = record.args[:1] if isinstance(record.args, tuple) else ()
        if first and isinstance(first[0], numbers.Number):
            first = ()
        key = (record.name, str(record.msg), repr(first))
        seen[key] = seen.get(key, 0) + 1
        return seen[key] == 1

    return tsauto_filter(once)
