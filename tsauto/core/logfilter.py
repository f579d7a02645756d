"""A filter on every logger of tsauto for the length of a block.

A filter set on the ``tsauto`` logger alone does not see its children's records (logging calls
a logger's filters only for the records logged to it), so it is set on each of them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def tsauto_filter(keep: Callable[[logging.LogRecord], bool]) -> Iterator[None]:
    """``keep`` filters (and may amend) every record a tsauto logger makes in the block."""
    loggers = [
        logger for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.split(".")[0] == "tsauto" and isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        logger.addFilter(keep)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(keep)
