"""Reading the raw columns of a table alike at fit and at predict.

:class:`ColumnReader` learns once, on every training row (not per fold: a fold must not decide
the order of day and month of a date column), how each column is read, and reads new rows the
same way: date strings in the format that read every training value (or as ISO 8601 stamps,
year first, nothing guessed), as timestamps; numbers written with a decimal comma ('0,455') or
thousands separators ('1,234.5': :func:`~tsauto.tabular.featurizer.comma_numbers`) as numbers;
'True' and 'False' written as text in a numeric column as flags, as the forecaster reads them
(:func:`~tsauto.core.text_in_numbers.read_flags`); the few text values of a column of numbers
("unknown": the rule of :mod:`tsauto.core.text_in_numbers`, which forecasting shares) as
missing, those seen at fit only (other text is an error); infinite numbers (``np.inf``, 'inf')
as missing, at fit (a data check: :func:`~tsauto.tabular.checks.infinite_values`) and at predict
alike: scikit-learn's learners refuse a table holding one ("Input X contains infinity") where
LightGBM takes it as its largest value, so whether a prediction failed depended on the learners
blended. At predict it warns of them, of categories never seen at fit, naming their count (a
column whose values are mostly such categories: one the model can hardly use there), and of
dates that do not read (read as missing, as LightGBM and the encoders read them). A date column
to predict mostly written in another format than at fit (most of its known values, as
:func:`mostly` counts them: '31/08/2012', day first, for a fit on '2012-08-31') is read in the
one format that reads all its dates, with a warning naming it
(:func:`~tsauto.tabular.featurizer.reading_format`, the fit's rule: day and month in the order
the training dates were written where both orders read them, else an error); where the fit's
format reads most of them, it reads the column, and the few values it does not read are read
as missing with a warning, so that a row is read alike whatever rows it is predicted with (one
'13/01/2012' among month-first dates does not turn them all day first). A date column mostly
unreadable in any format is refused, as a numeric column mostly of text is (:func:`mostly_text`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from functools import partial

import numpy as np
import pandas as pd

from tsauto.core.exceptions import DataValidationError, describe_rows, shortlist
from tsauto.core.text_in_numbers import read_flags, text_values
from tsauto.tabular.featurizer import (
    DATE_PATTERN,
    ISO,
    Kind,
    as_numbers,
    category_levels,
    category_strings,
    comma_numbers,
    date_format,
    decimal_points,
    is_flags,
    read_dates,
    reading_format,
    thousands_removed,
)

log = logging.getLogger(__name__)

# Share of a column's known values at predict from which levels never seen at fit, or dates that
# do not read (both warned of from one), are said to leave the column unused: new levels of a
# live column are a few percent; beyond a fifth, the column says little of what the model learnt
# from it.
UNUSABLE_SHARE = 0.2
# Share of a column's known values to predict beyond which, from MOSTLY_TEXT_ROWS values on, its
# values that do not read (text in a numeric column, dates in no format) are refused rather than
# read as missing: a few '?' are unknown values, a column mostly of text is likely another column
# or another file (a row or two to predict say too little to tell).
MOSTLY_TEXT = 0.5
MOSTLY_TEXT_ROWS = 5
SHOWN_LEVELS = 5  # training levels a warning lists


class ColumnReader:
    """How the columns of ``kinds`` are read (see the module docstring). Fitted attributes:
    ``date_formats_`` (date column → format; None: datetime values, strings read as ISO 8601),
    ``decimal_commas_`` (numeric columns written with a decimal comma), ``thousands_`` (with
    thousands separators), ``flags_`` (of flags: booleans or 'True'/'False'), ``missing_text_``
    (numeric column → its text values read as missing), ``levels_`` (categorical column → its
    training levels, most frequent first)."""

    def __init__(self, kinds: Mapping[str, Kind]):
        self.kinds = dict(kinds)

    def _of(self, kind: str) -> list[str]:
        return [c for c, k in self.kinds.items() if k == kind]

    def fit(self, X: pd.DataFrame) -> "ColumnReader":
        self.date_formats_ = {c: date_format(X[c], c) for c in self._of("datetime")}
        commas = {c: comma_numbers(X[c]) for c in self._of("numeric")}
        self.decimal_commas_ = [c for c, read in commas.items() if read == "decimal"]
        self.thousands_ = [c for c, read in commas.items() if read == "thousands"]
        self.flags_ = [c for c in self._of("numeric") if is_flags(X[c])]
        X = self.plain_numbers(X)
        self.missing_text_ = {c: t for c in self._of("numeric") if (t := text_values(X[c]))}
        self.levels_ = {c: category_levels(X[c]) for c in self._of("categorical")}
        return self

    def _kept(self, name: str) -> list[str]:
        """The columns of fitted attribute ``name``; none in a reader saved before it was kept."""
        return getattr(self, name, [])

    def plain_numbers(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with the numbers of its numeric columns written as pandas reads them: decimal
        commas of the columns read so at fit as points ('0,455' as '0.455'), thousands
        separators of those read so removed ('1,234' as '1234'; '2,5' is left as text, to be
        named), 'True' and 'False' as flags (in a column of flags at fit, among other values
        too: those are left as text, to be named)."""
        readers = {c: decimal_points for c in self._kept("decimal_commas_")}
        readers |= {c: thousands_removed for c in self._kept("thousands_")}
        flags = self._kept("flags_")
        readers |= {c: partial(read_flags, among_others=c in flags)
                    for c in self._of("numeric") if c not in readers}
        out = X
        for c, read in readers.items():
            if c in X.columns and (X[c].dtype == object or pd.api.types.is_string_dtype(X[c])):
                out = X.copy() if out is X else out
                out[c] = read(X[c])
        return out

    def transform(self, X: pd.DataFrame, check: Collection[str] = ()) -> pd.DataFrame:
        """``X`` (its numbers as :meth:`plain_numbers` writes them) with its date columns as
        timestamps (:func:`dates_to_predict`), its numbers with a decimal comma or thousands
        separators and those with text values as numbers (those values missing), its infinite
        numbers missing. For each column of ``check``: a warning of its infinite numbers, its
        categories not seen at fit, its dates that do not read (from one) or read in another
        format than at fit; an error where its dates mostly read in no format, or in another
        format with day and month undecided (:func:`_written_format`)."""
        out = X.copy()
        for c, fmt in self.date_formats_.items():  # None: datetime values at fit
            if c in X.columns:
                out[c] = dates_to_predict(X[c], c, fmt, c in check)
        for c in dict.fromkeys([*self.missing_text_, *self._kept("decimal_commas_"), *self._kept("thousands_")]):
            if c in X.columns:
                values = X[c].where(~X[c].astype(str).isin(self.missing_text_.get(c, ())))
                out[c] = as_numbers(values, c)  # other text is an error, naming it
        for c, cells in infinite_cells(out, self._of("numeric")).items():
            if c in check:
                _warn_infinite(out[c], cells, c)
            out[c] = out[c].where(~cells)
        for c, levels in self.levels_.items():
            if c in check and c in X.columns:
                unseen = ~category_strings(X[c]).isin(levels)
                _warn(X[c], unseen, c, "are levels not seen at fit (those seen, most frequent "
                      f"first: {shortlist(map(repr, levels), SHOWN_LEVELS)})")
        return out


def mostly(n: int, known: int) -> bool:
    """Whether ``n`` values are most of a column's ``known`` values to predict (``MOSTLY_TEXT``)."""
    return n > MOSTLY_TEXT * known


def mostly_text(n: int, known: int) -> bool:
    """Whether ``n`` values that do not read, of a column's ``known`` values to predict, are
    too many to read as missing (:func:`mostly`, from ``MOSTLY_TEXT_ROWS`` values on): refused."""
    return mostly(n, known) and n >= MOSTLY_TEXT_ROWS


def _shown(fmt: str | None) -> str:
    """A date format as messages name it: '%d/%m/%Y', or 'ISO 8601' (None: datetime values)."""
    return "ISO 8601" if fmt in (None, ISO) else fmt


def _example(fmt: str | None) -> str:
    """31 January 2012 written as the training dates were (``fmt``; None: ISO 8601)."""
    return f"{pd.Timestamp('2012-01-31'):{'%Y-%m-%d' if fmt in (None, ISO) else fmt}}"


def dates_to_predict(raw: pd.Series, col: str, fmt: str | None, check: bool = True) -> pd.Series:
    """Column ``col`` of dates to predict (``raw``) as timestamps: read in ``fmt``, the format
    of the training dates (:func:`~tsauto.tabular.featurizer.date_format`), or as ISO 8601
    stamps (year first, nothing guessed). Where most of its known values do not read so
    (:func:`mostly`), the column is read in the one format that reads every value written as a
    date (:func:`_written_format`: '31/08/2012' day first, for a fit on ISO dates), with a
    warning naming it; else each value is read as at fit, whatever the other rows, those that
    do not read being missing, with a warning (``check``; mostly such values: refused,
    :func:`mostly_text`)."""
    dates = read_dates(raw, fmt)
    if fmt not in (None, ISO):
        dates = dates.fillna(read_dates(raw, ISO))
    known = raw.notna()
    lost = known & dates.isna()
    what = f"do not read as dates ({_shown(fmt)}, as at fit)"
    n_known = int(known.sum())
    written = _written_format(raw, lost, col, fmt) if mostly(int(lost.sum()), n_known) else None
    if written is not None:
        again = read_dates(raw, written).fillna(dates)  # values it does not read: as at fit
        if (known & again.isna()).sum() < lost.sum():
            _warn_written(raw, dates, again, lost, col, fmt, written)
            dates, lost = again, known & again.isna()
            what = f"do not read as dates ({written}, as the others, nor {_shown(fmt)}, as at fit)"
    if check:
        n = int(lost.sum())
        if mostly_text(n, n_known):
            examples = shortlist(map(repr, dict.fromkeys(raw[lost].astype(str))), 3)
            example = _example(fmt)
            iso = "" if example == "2012-01-31" else ", or ISO 8601: 2012-01-31"
            raise DataValidationError(
                f"column {col!r} holds dates for the model ({_shown(fmt)} at fit, e.g. {example}) but "
                f"{n} of its {n_known} known values to predict do not read as dates, in that "
                f"format or in one other, such as {examples} at {describe_rows(raw.index[lost])}: is it "
                f"the column (and the file) the model was fitted on? Give the dates as at fit ({example}"
                f"{iso}), or leave unknown dates empty."
            )
        _warn(raw, lost, col, what)
    return dates


def _warn_written(
    raw: pd.Series, dates: pd.Series, again: pd.Series, lost: pd.Series, col: str, fmt: str | None,
    written: str,
) -> None:
    """Warn that date column ``col`` to predict (``raw``) is read in format ``written`` (as
    ``again``), most of its values (``lost``) not reading in ``fmt``, that at fit (as
    ``dates``): an example of each reading, and those values that read in both, differently."""
    first = int(np.flatnonzero((lost & again.notna()).to_numpy())[0])
    changed = np.flatnonzero((dates.notna() & (again != dates)).to_numpy())
    also = ""
    if changed.size:
        at = int(changed[0])
        also = (f"; {changed.size} other dates read both ways and are read as {written} too: "
                f"{str(raw.iloc[at]).strip()!r} as {again.iloc[at]:%Y-%m-%d}, not "
                f"{dates.iloc[at]:%Y-%m-%d} as at fit")
    log.warning(
        "column %r: %d of the %d known dates to predict do not read as at fit (%s) but are written "
        "%s (%r is %s): the column is read so%s.",
        col, int(lost.sum()), int(raw.notna().sum()), _shown(fmt), written,
        str(raw.iloc[first]).strip(), f"{again.iloc[first]:%Y-%m-%d}", also,
    )


def _written_format(raw: pd.Series, lost: pd.Series, col: str, fmt: str | None) -> str | None:
    """The one format in which every value of date column ``col`` (``raw``) written as a date
    (``DATE_PATTERN``) reads, where some such, ``lost``, do not read in ``fmt`` (that at fit);
    day and month in the order of ``fmt`` where both orders read them all (an error where
    ``fmt`` has no such order and the two readings differ). None where no value written as a
    date is ``lost`` or no one format reads them all."""
    dated = raw.notna() & raw.astype(str).str.match(DATE_PATTERN)
    if not (dated & lost).any():
        return None
    values = raw[dated]
    order = {"%d": True, "%m": False}.get((fmt or "")[:2])  # 31/01/2012 or 01/31/2012 at fit
    if order is not None:
        return reading_format(values, col, order)
    day, month = (reading_format(values, col, first) for first in (True, False))
    if day is None or month is None or day == month:  # one order reads them all, or none
        return month or day
    day_read, month_read = read_dates(values, day), read_dates(values, month)
    differ = np.flatnonzero((day_read != month_read).to_numpy())
    if differ.size:
        at = int(differ[0])
        d, m = day_read.iloc[at], month_read.iloc[at]
        text = str(values.iloc[at]).strip()
        write = "%Y-%m-%d" if fmt in (None, ISO) else fmt
        raise DataValidationError(
            f"Column {col!r} to predict, written otherwise than at fit ({_shown(fmt)}), reads as dates "
            f"both month-first and day-first ({text!r} at {describe_rows(values.index[at:at + 1])} is "
            f"{m:%Y-%m-%d} or {d:%Y-%m-%d}): day and month cannot be told apart. Write the dates as "
            f"at fit: {d:{write}} if {text!r} is {d.day} {d:%B %Y}, {m:{write}} if it is {m.day} {m:%B %Y}."
        )
    return month


def infinite_cells(X: pd.DataFrame, columns: Collection[str]) -> dict[str, np.ndarray]:
    """Of each of ``columns`` in ``X`` that holds infinite numbers (``np.inf``, ``-np.inf``, or
    text pandas reads so: 'inf', '1e999'), which cells do."""
    out = {}
    for c in columns:
        if c not in X.columns:
            continue
        s = X[c]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            s = pd.to_numeric(s, errors="coerce")
        elif not pd.api.types.is_float_dtype(s):  # integers, flags, dates: never infinite
            continue
        cells = np.isinf(s.to_numpy(dtype=np.float64, na_value=np.nan))
        if cells.any():
            out[c] = cells
    return out


def _warn_infinite(values: pd.Series, cells: np.ndarray, col: str) -> None:
    """Warn of the infinite numbers (``cells``) of column ``col`` to predict: their count,
    values and rows."""
    shown = shortlist(map(repr, dict.fromkeys(values[cells].astype(str))), 3)
    log.warning(
        "column %r: %d of the %d values to predict are infinite (%s) at %s: read as missing, as "
        "infinite numbers are at fit.",
        col, cells.sum(), len(values), shown, describe_rows(values.index[cells]),
    )


def _warn(raw: pd.Series, lost: pd.Series, col: str, what: str) -> None:
    """Warn of the known values of ``raw`` read as missing (``lost``), if any: their count,
    share, examples and rows; from ``UNUSABLE_SHARE`` on, that the predictions hardly use the
    column."""
    known = raw.notna().to_numpy()
    bad = known & np.asarray(lost, dtype=bool)
    share = bad.sum() / max(known.sum(), 1)
    if not bad.any():
        return
    examples = shortlist(map(repr, dict.fromkeys(raw[bad].astype(str))), 3)
    log.warning(
        "column %r: %d of the %d known values to predict (%.3g%%) %s, e.g. %s at %s: they are "
        "read as missing%s.",
        col, bad.sum(), known.sum(), 100 * share, what, examples, describe_rows(raw.index[bad]),
        ", so the predictions hardly use the column there; give the column as it was at fit"
        if share >= UNUSABLE_SHARE else "",
    )
