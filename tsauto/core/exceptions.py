"""Exceptions raised by tsauto. Every message names what is wrong and how to fix it."""

from __future__ import annotations

import difflib
import re


class TsautoError(Exception):
    """Base class of every tsauto error."""


class DataValidationError(TsautoError, ValueError):
    """The input table breaks the data contract (see :mod:`tsauto.forecasting.validation`)."""


class ConflictingOptionsError(DataValidationError):
    """Settings that cannot go together (a Dask client with a local backend): the call's options,
    not its data, are at fault. A ``ValueError``, and a :class:`DataValidationError` for code
    that caught that before it existed."""


class NotFittedError(TsautoError, AttributeError):
    """A model was used before ``fit``."""


class IncompatibleModelError(TsautoError):
    """A saved model cannot be loaded by this version of tsauto."""


class SearchFailedError(TsautoError, RuntimeError):
    """No trial of a search succeeded (each failed or ran out of time). ``out_of_time``: every
    trial ran out of time, or none ran (a larger budget is the fix, not other learners)."""

    def __init__(self, message: str, out_of_time: bool = False) -> None:
        super().__init__(message)
        self.out_of_time = out_of_time


class TimeLimitExceeded(TsautoError, TimeoutError):
    """A fit ran out of the time it was given."""


class DatasetNotFoundError(TsautoError, FileNotFoundError):
    """A real data set file is not where tsauto looked for it."""


def shortlist(items, limit: int = 5) -> str:
    """The first ``limit`` items and how many more: ``a, b, c and 10 more``."""
    items = [str(x) for x in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def close_match(name: object, columns) -> str:
    """``" (did you mean 'income'?)"`` where a column is spelled like ``name`` (its case
    aside first, else by difflib's ratio), else ''."""
    name, columns = str(name), [str(c) for c in columns]
    same = [c for c in columns if c.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


LINE = "line"
"""The name of the index of a table whose rows are labelled by their lines in its file
(:func:`~tsauto.core.table_io.read_table` with ``lines=True``: the command line's)."""


POSITION = "__position"
"""The name of the index of a table whose rows are labelled by their positions, from 0, as
its own labels could not name them (repeated, or not integers): errors say "position 24 (counted
from 0)", so that "row 1005" always means the label 1005 (user test 57), and a spreadsheet's
reader, who counts from 1, is told where position 0 is."""


def describe_rows(index, limit: int = 5, counted: bool = True) -> str:
    """Short human list of row labels: ``rows 3, 17, 42 (and 10 more)``; ``lines 12, 5402``
    where they are the lines of a file (an index named ``LINE``), ``positions 7, 24 (counted
    from 0)`` where they are positions (``POSITION``); ``counted=False``: without that, for
    rows named again in a message that said it."""
    labels = list(index)
    shown = ", ".join(str(x) for x in labels[:limit])
    more = f" (and {len(labels) - limit} more)" if len(labels) > limit else ""
    name = getattr(index, "name", None)
    word = {LINE: "line", POSITION: "position"}.get(name, "row")
    base = " (counted from 0)" if name == POSITION and counted else ""
    return f"{word}{'s' if len(labels) != 1 else ''} {shown}{more}{base}"


_GROUPED = re.compile(r"\s*-?\d{1,3}(,\d{3})+(\.\d*)?\s*")  # 1,234.5
_DECIMAL_COMMA = re.compile(r"\s*-?\d*,\d+\s*")  # 12,5
_POINT = re.compile(r"-?(\d{1,3}(,\d{3})+|\d*)(\.\d*)?")  # 24,924.50 or 1234.5 (a decimal point)
_CURRENCY = re.compile(r"\s*-?\s*[$€£¥]\s*(?P<a>\S+?)\s*|\s*(?P<b>\S+?)\s*[$€£¥]\s*")  # $24,924.50


def number_format_hint(values) -> str:
    """Where every one of ``values`` is a number written with thousands separators
    (``'1,234.5'``) or a decimal comma (``'12,5'``, as European CSV files write them): how to
    read such a file; else ''."""
    text = [str(v) for v in values]
    if not text:
        return ""
    grouped = all(_GROUPED.fullmatch(t) for t in text)
    decimal = all(_DECIMAL_COMMA.fullmatch(t) for t in text)
    if grouped and decimal:  # '1,234': either
        return (" (written with commas, as thousands separators or decimal commas: read the "
                "file with pd.read_csv(..., thousands=',') or pd.read_csv(..., decimal=','))")
    if grouped:
        return " (written with thousands separators: read the file with pd.read_csv(..., thousands=','))"
    if decimal:
        return " (written with decimal commas: read the file with pd.read_csv(..., decimal=','))"
    if all(_priced(t) for t in text):  # a user test's '$24,924.50'
        return (" (written with a currency sign: take it and the thousands separators out, e.g. "
                "pd.to_numeric(s.str.replace(r'[$€£¥,\\s]', '', regex=True)))")
    return ""


def _priced(text: str) -> bool:
    """``text`` is a number written with a decimal point if any (thousands separators or none,
    not a decimal comma) and a currency sign before or after it."""
    found = _CURRENCY.fullmatch(text)
    number = found and (found["a"] or found["b"])
    return bool(number) and _POINT.fullmatch(number) is not None and any(c.isdigit() for c in number)
