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
blended. At predict it warns of them, of categories never seen at fit, naming their count, and of
a column the model can hardly use there: one whose values are mostly such categories, or dates
that do not read in the training format (both read as missing, as LightGBM and the encoders read
them).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from functools import partial

import numpy as np
import pandas as pd

from tsauto.core.exceptions import describe_rows, shortlist
from tsauto.core.text_in_numbers import read_flags, text_values
from tsauto.tabular.featurizer import (
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
    thousands_removed,
)

log = logging.getLogger(__name__)

# Share of a column's known values at predict, from which dates that do not read are warned
# about, and levels never seen at fit (warned of from one) said to leave the column unused: new
# levels of a live column are a few percent; beyond a fifth, the column says little of what the
# model learnt from it.
UNUSABLE_SHARE = 0.2
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
        timestamps, its numbers with a decimal comma or thousands separators and those with text
        values as numbers (those values missing), its infinite numbers missing; a warning for
        each column of ``check`` with infinite numbers, categories not seen at fit, or mostly
        of dates that do not read."""
        out = X.copy()
        for c, fmt in self.date_formats_.items():  # None: datetime values at fit
            if c in X.columns:
                out[c] = read_dates(X[c], fmt)
                if fmt not in (None, ISO):  # ISO stamps too: year first, nothing guessed
                    out[c] = out[c].fillna(read_dates(X[c], ISO))
                if c in check:
                    shown = "ISO 8601" if fmt in (None, ISO) else fmt
                    _warn(X[c], out[c].isna(), c, f"do not read as dates ({shown}, as at fit)")
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
                      f"first: {shortlist(map(repr, levels), SHOWN_LEVELS)})", least=0.0)
        return out


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


def _warn(raw: pd.Series, lost: pd.Series, col: str, what: str, least: float = UNUSABLE_SHARE) -> None:
    """Warn when the known values of ``raw`` read as missing (``lost``) are ``least`` of its
    known values or more (one at least); from ``UNUSABLE_SHARE`` on, that the predictions
    hardly use the column."""
    known = raw.notna().to_numpy()
    bad = known & np.asarray(lost, dtype=bool)
    share = bad.sum() / max(known.sum(), 1)
    if not bad.any() or share < least:
        return
    examples = shortlist(map(repr, dict.fromkeys(raw[bad].astype(str))), 3)
    log.warning(
        "column %r: %d of the %d known values to predict (%.3g%%) %s, e.g. %s at %s: they are "
        "read as missing%s.",
        col, bad.sum(), known.sum(), 100 * share, what, examples, describe_rows(raw.index[bad]),
        ", so the predictions hardly use the column there; give the column as it was at fit"
        if share >= UNUSABLE_SHARE else "",
    )
