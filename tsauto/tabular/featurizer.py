"""Turn a raw table into the matrix a tabular learner takes.

Two steps. :func:`infer_kinds` decides, once per training table, what each column is: numeric,
categorical, datetime (expanded into its parts), free text, or dropped (constant, all missing,
ID-like; holding lists or dicts, whatever ``featurization=`` says but "drop": an alert and a
warning; a mostly numeric column with a few text values such as "unknown" is numeric, those
values missing; numbers written with a decimal comma ('0,455') or thousands separators
('1,234,567', '1,234.5', or '2,101' beside '709') are numbers, an alert and a warning where every
comma may be either ('1,234'); date strings keep the format read from all their values);
every decision is a data check. :class:`Featurizer` then learns its statistics from
the training rows only (one per fold in cross-validation) in one of three encodings:

- ``"native"`` (LightGBM): numbers with their missing values, categoricals as pandas
  categories (unseen levels become missing), date parts, text reduced by TF-IDF + SVD;
- ``"ordinal"`` (random forest, extra trees): median imputation with missing indicators,
  categoricals as frequency-rank codes (missing and unseen: -1), date parts, text as SVD;
- ``"linear"``: as ordinal but standardised, categoricals one-hot (up to ``ONE_HOT_MAX`` levels)
  or out-of-fold target encoded (above), text as sparse TF-IDF word and character n-grams.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from tsauto.core.exceptions import DataValidationError, describe_rows, shortlist
from tsauto.core.table_io import day_or_month_first, guess_date_format
from tsauto.core.text_in_numbers import (
    container_cells,
    containers_found,
    read_flags,
    text_among_numbers,
    text_cells,
    text_finding,
)
from tsauto.tabular.checks import Check, plain
from tsauto.tabular.metrics import TaskType

log = logging.getLogger(__name__)

Kind = Literal["numeric", "categorical", "datetime", "text", "drop"]
Encoding = Literal["native", "ordinal", "linear"]
Featurization = Literal["auto", "off"] | Mapping[str, Kind]

KINDS: tuple[str, ...] = ("numeric", "categorical", "datetime", "text", "drop")
ONE_HOT_MAX = 20  # levels one-hot encoded for linear models; more are target encoded
NATIVE_MAX_LEVELS = 1000  # most frequent levels kept as LightGBM categories
TEXT_MIN_WORDS = 3.0  # mean words per value from which a string column is free text
TEXT_COMPONENTS = 32  # SVD components of a text column for tree learners
TEXT_MAX_FEATURES = 10_000  # TF-IDF vocabulary per analyser (words, characters)
MISSING_LEVEL = "__missing__"  # a missing category, for the target encoder
SAMPLE = 1000  # values inspected to recognise dates and text
# A column of strings whose known values are numbers in this share at least, but holds more text
# than text_among_numbers reads as missing, is read as labels with an alert saying so.
MOSTLY_NUMBERS = 0.5
DATE_PARTS = ("year", "month", "day", "day_of_week", "day_of_year")
TIME_PARTS = ("hour", "minute")
DATE_ACTION = f"expanded into {', '.join(DATE_PARTS)} (and {', '.join(TIME_PARTS)} when times vary)"
ISO = "ISO8601"  # the format of ISO 8601 date strings, of any precision
# Date strings recognised without featurization=: ISO 8601, or day, month and a 4-digit year
# in either order of day and month, separated by - / or . (a time may follow), the order read
# from all the values (:func:`date_format`). Numbers alone (20150131) are never dates here.
DATE_PATTERN = re.compile(r"\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?![\d.])")
# A column of integers different in every row is an identifier, and dropped, when it has at
# least ID_MIN_ROWS rows (in fewer, a measurement often takes a different value in each row)
# and either its values fill at least ID_DENSITY of the range between its lowest and highest
# (row numbers of a sample of a table: a train/test split keeps 70-80 % of them; measurements
# different in every row spread thinly over their range) or its name ends in one of ID_WORDS
# (customer_id, account_no, OrderNumber). Others are kept as numbers, with a data check.
ID_MIN_ROWS = 100
ID_DENSITY = 0.5
ID_WORDS = ("id", "no", "nr", "num", "number", "key")
# A number with a decimal comma ('0,455', '-12,5'); one whose commas may separate thousands
# ('1,234', '12,500', '1,234,567.5'; not '0,455': thousands do not start with a 0); and an integer
# below a thousand, which thousands separators leave without a comma ('709').
DECIMAL_COMMA = re.compile(r"\s*[-+]?\d*,\d+\s*")
THOUSANDS = re.compile(r"\s*[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?\s*")
BELOW_THOUSAND = re.compile(r"\s*[-+]?\d{1,3}\s*")


def infer_kinds(
    X: pd.DataFrame, featurization: Featurization = "auto"
) -> tuple[dict[str, Kind], list[Check]]:
    """What each column of ``X`` is, and the checks that say so.

    ``featurization``: ``"auto"``, ``"off"`` (numbers, booleans and dates are used as numbers,
    everything else as a categorical; nothing dropped or expanded), or a dict of per-column
    kinds (``"numeric"``, ``"categorical"``, ``"datetime"``, ``"text"``, ``"drop"``) overriding
    the automatic choice for those columns.
    """
    if isinstance(featurization, str):
        if featurization not in ("auto", "off"):
            raise DataValidationError(
                f"featurization={featurization!r}: use 'auto', 'off' or a dict of column kinds."
            )
        overrides: Mapping[str, Kind] = {}
    else:
        overrides = featurization
        unknown = sorted(set(overrides) - set(X.columns))
        if unknown:
            raise DataValidationError(f"featurization names columns not in the data: {unknown}.")
        bad = {c: k for c, k in overrides.items() if k not in KINDS}
        if bad:
            raise DataValidationError(
                f"featurization kinds must be one of {list(KINDS)}; got {bad}."
            )
    kinds: dict[str, Kind] = {}
    checks: list[Check] = []
    for col in X.columns:
        nested = None if overrides.get(col) == "drop" else _nested(X[col])
        if nested is not None:
            kinds[col] = "drop"
            checks.append(Check("nested_values", col, *nested, "alert"))
        elif col in overrides:
            if overrides[col] == "numeric":
                as_numbers(X[col], col)  # fails now, naming the column, rather than in every trial
            if overrides[col] == "datetime":
                date_format(X[col], col)  # likewise
            kinds[col] = overrides[col]
            checks.append(Check("column_kind", col, "set by featurization=", overrides[col]))
        elif featurization == "off":
            kinds[col] = "numeric" if _numeric_like(X[col]) else "categorical"
        else:
            kinds[col], found = _infer(X[col])
            checks.extend(Check(name, col, *rest) for name, *rest in found)  # finding, action[, status]
    if featurization == "off":
        checks.append(
            Check("featurization", "", "off", "numbers as they are, other columns as categoricals")
        )
    if not any(k != "drop" for k in kinds.values()):
        raise DataValidationError(
            "no usable feature column is left (all were dropped: see guardrails()); "
            "give columns with information, or set featurization= per column."
        )
    return kinds, checks


def feature_width(kinds: Mapping[str, Kind]) -> int:
    """About how many columns the ordinal encoding makes of these kinds."""
    per_kind = {
        "numeric": 1,
        "categorical": 1,
        "datetime": len(DATE_PARTS),
        "text": TEXT_COMPONENTS,
        "drop": 0,
    }
    return sum(per_kind[k] for k in kinds.values())


def _numeric_like(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)


def _nested(s: pd.Series) -> tuple[str, str] | None:
    """Where cells of ``s`` hold lists or dicts (JSON-like tags), which no encoding reads: what
    they are, where, and that the column is dropped (with a warning); else None."""
    cells = container_cells(s)
    if not cells.any():
        return None
    finding = f"holds {containers_found(s, cells)}, not one value per cell"
    action = ("dropped: not usable as a feature; explode or encode it into columns of one value "
              f"each (df.explode({s.name!r}), pd.json_normalize)")
    log.warning("column %r %s: %s", s.name, finding, action)
    return finding, action


def _infer(s: pd.Series) -> tuple[Kind, list[tuple[str, ...]]]:
    known = s.dropna()
    n = len(s)
    if known.empty:
        return "drop", [("all_missing", "every value is missing", "dropped")]
    n_unique = known.nunique()
    if n_unique == 1 and len(known) == n:
        return "drop", [("constant", f"one value ({plain(known.iloc[0])!r}) in every row", "dropped")]
    if is_flags(known):
        return "numeric", []
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime", [("datetime", "dates", DATE_ACTION)]
    if pd.api.types.is_numeric_dtype(s):
        if pd.api.types.is_integer_dtype(s) and n_unique == n > 2:
            return _unique_integers(known, str(s.name))
        return "numeric", []
    sample = known.astype(str).iloc[:SAMPLE]
    if _date_strings(sample):
        fmt = date_format(known, s.name)  # from every value: one beyond the sample may decide
        shown = "ISO 8601" if fmt == ISO else fmt
        return "datetime", [("datetime", f"date strings ({shown})", DATE_ACTION)]
    commas = comma_numbers(known)
    if commas in ("decimal", "thousands"):
        return "numeric", [_comma_check(known, commas)]
    kind, found = _infer_strings(known, n_unique, n, sample)
    if commas == "ambiguous":
        found.append(_ambiguous_commas_check(known, kind))
    elif kind != "numeric":
        found += _numbers_with_text(known, kind, n_unique)
    return kind, found


def _numbers_with_text(known: pd.Series, kind: Kind, n_unique: int) -> list[tuple[str, ...]]:
    """The alert (and warning) of a column mostly of numbers (``MOSTLY_NUMBERS`` of its known
    values) read as ``kind`` because of too many text cells to read as missing (adult's age
    with 40 % '?': a categorical of 68 levels, its order and distances lost); none for others."""
    cells = text_cells(known)
    if not cells.any() or cells.mean() > 1 - MOSTLY_NUMBERS:
        return []
    text = sorted(set(known[cells].astype(str)))
    read = {"categorical": f"a categorical of {n_unique} levels (their order and distances lost)",
            "drop": "an identifier (dropped)", "text": "free text"}[kind]
    finding = (f"numbers in {1 - cells.mean():.0%} of its {len(known)} known values, but text in "
               f"{cells.mean():.0%} ({shortlist(map(repr, text), 3)}): too much to read as missing")
    action = (f"read as {read}: to use it as numbers, set the text cells missing, e.g. "
              f"df[{known.name!r}] = pd.to_numeric(df[{known.name!r}], errors='coerce')")
    log.warning("column %r: %s; %s.", known.name, finding, action)
    return [("numbers_with_text", finding, action, "alert")]


def _infer_strings(
    known: pd.Series, n_unique: int, n: int, sample: pd.Series
) -> tuple[Kind, list[tuple[str, ...]]]:
    """The kind of a column of strings (not dates, not numbers with a decimal comma) with
    ``n_unique`` distinct ``known`` values in ``n`` rows; ``sample``: its first values as text."""
    text = text_among_numbers(known)  # read as missing: a missing indicator keeps what they say
    if text is not None:
        shown = shortlist(map(repr, text))
        return "numeric", [
            (
                "text_in_numbers",
                f"{text_finding(known, text)} ({text_cells(known).mean():.0%})",
                f"read as numbers, {shown} as missing (a missing indicator keeps them apart): "
                "map them to numbers yourself where they mean one, or set "
                f"featurization={{{known.name!r}: 'categorical'}}",
            )
        ]
    words = float(sample.str.split().str.len().mean())
    if words >= TEXT_MIN_WORDS and n_unique >= max(20, 0.2 * len(known)):
        return "text", [
            (
                "text",
                f"free text ({words:.1f} words per value, {n_unique} distinct)",
                "TF-IDF word and character n-grams (sparse for linear models, SVD for trees)",
            )
        ]
    if n_unique == n > 2:
        return "drop", [("id_like", "a different value in every row", "dropped")]
    found = []
    if n_unique > ONE_HOT_MAX:
        found.append(
            (
                "high_cardinality",
                f"{n_unique} distinct values",
                "LightGBM: native categorical; linear models: out-of-fold target encoding; "
                "forests: frequency-rank codes",
            )
        )
    return "categorical", found


def _unique_integers(known: pd.Series, name: str) -> tuple[Kind, list[tuple[str, str, str]]]:
    """The kind of a column of integers different in every row (see ``ID_MIN_ROWS``)."""
    n = len(known)
    span = int(known.max()) - int(known.min()) + 1
    if span == n:
        return "drop", [
            ("id_like", "a different consecutive integer in every row (a row number)", "dropped")
        ]
    if n < ID_MIN_ROWS:
        return "numeric", []
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    if n / span >= ID_DENSITY:
        why = f"{n / span:.0%} of the integers from {known.min()} to {known.max()}: row numbers"
    elif words[-1] in ID_WORDS:
        why = f"its name ends in {words[-1]!r}: an identifier"
    else:
        return "numeric", [
            (
                "unique_values",
                f"a different integer in every one of {n} rows",
                f"kept as a number: if it is an identifier, set featurization={{{name!r}: 'drop'}}",
            )
        ]
    return "drop", [("id_like", f"a different integer in every one of {n} rows ({why})", "dropped")]


def is_flags(s: pd.Series) -> bool:
    """Whether the known values of ``s`` are flags: booleans, or 'True' and 'False' as text
    (:func:`~tsauto.core.text_in_numbers.read_flags`)."""
    return pd.api.types.is_bool_dtype(s) or pd.api.types.is_bool_dtype(read_flags(s.dropna()))


def comma_numbers(s: pd.Series) -> Literal["decimal", "thousands", "ambiguous"] | None:
    """How a column of numbers written with commas reads: "thousands" where every comma may
    separate thousands (``THOUSANDS``) and one at least must (two groups, '1,234,567', or a
    decimal point after, '1,234.5') or the values without a comma are integers below a thousand
    ('709', '2,101': as a spreadsheet writes them); "decimal" where a comma of one at least can
    only be decimal ('0,455'); "ambiguous" where every comma may be either ('1,234', '5000'). In
    each case the known values read as numbers once so read, but for a few placeholders
    (:func:`~tsauto.core.text_in_numbers.text_among_numbers`); None for other columns (no comma,
    other text, numbers, categories)."""
    if not pd.api.types.is_object_dtype(s) and not pd.api.types.is_string_dtype(s):
        return None
    values = pd.Series(pd.unique(s.dropna().to_numpy(dtype=object)), dtype=object)
    text = values[values.map(lambda v: isinstance(v, str))].astype(str)
    commas = text[text.str.contains(",", regex=False)]
    if commas.empty:
        return None
    decimal = commas[commas.str.fullmatch(DECIMAL_COMMA)]
    if commas.str.fullmatch(THOUSANDS).all() and _reads_as_numbers(thousands_removed(s)):
        written = values.astype(str)
        plain = written[~written.str.contains(",", regex=False)]
        plain = plain[~text_cells(plain)]  # numbers without a comma, placeholders aside
        if len(decimal) < len(commas) or (not plain.empty and plain.str.fullmatch(BELOW_THOUSAND).all()):
            return "thousands"
    if decimal.empty or not _reads_as_numbers(decimal_points(s)):
        return None
    return "ambiguous" if decimal.str.fullmatch(THOUSANDS).all() else "decimal"


def _reads_as_numbers(s: pd.Series) -> bool:
    """Whether the known values of ``s`` are numbers but for a few placeholders."""
    return not text_cells(s).any() or text_among_numbers(s) is not None


def decimal_points(s: pd.Series) -> pd.Series:
    """``s`` with the commas of its strings as points ('0,455' as '0.455'); other values kept."""
    return _commas_replaced(s, ".")


def thousands_removed(s: pd.Series) -> pd.Series:
    """``s`` without the commas of its strings written with thousands separators (``THOUSANDS``:
    '1,234.5' as '1234.5'); other values kept ('2,5', '12,3456': text, not 25 and 123456)."""
    return _commas_replaced(s, "", THOUSANDS)


def _commas_replaced(s: pd.Series, by: str, only: re.Pattern | None = None) -> pd.Series:
    """``s`` with the commas of its strings (those matching ``only``) replaced ``by``."""
    strings = s.map(lambda v: isinstance(v, str) and (only is None or only.fullmatch(v) is not None))
    strings = strings.to_numpy(dtype=bool)
    if not strings.any():
        return s
    return s.mask(strings, s[strings].str.replace(",", by, regex=False))


def _comma_examples(known: pd.Series) -> str:
    commas = known[known.astype(str).str.contains(",", regex=False)]
    return shortlist(map(repr, dict.fromkeys(commas.astype(str))), 3)


def _comma_check(known: pd.Series, commas: Literal["decimal", "thousands"]) -> tuple[str, str, str, str]:
    """The data check of a column of numbers written with a decimal comma or thousands
    separators (:func:`comma_numbers`)."""
    if commas == "decimal":
        name, points, written, read = ("decimal_comma", decimal_points(known), "a decimal comma",
                                       "the comma as the decimal point")
    else:
        name, points, written, read = ("thousands_separators", thousands_removed(known),
                                       "thousands separators", "without the separators")
    text = text_among_numbers(points) or []
    finding = f"numbers written with {written} ({_comma_examples(known)})"
    action = f"read as numbers, {read}, at fit and at predict"
    if text:
        finding += f"; {text_finding(points, text)}"
        action += f"; {shortlist(map(repr, text))} as missing (a missing indicator keeps them apart)"
    return name, finding, action, "fixed"


def _ambiguous_commas_check(known: pd.Series, kind: Kind) -> tuple[str, str, str, str]:
    """The alert (and warning) of a column of numbers whose every comma may be a decimal comma
    or separate thousands (:func:`comma_numbers`), left as ``kind``."""
    finding = (f"numbers written with commas that may separate thousands or be decimal commas "
               f"({_comma_examples(known)})")
    action = (f"not read as numbers (the column is {'dropped' if kind == 'drop' else kind}): give numbers, "
              f"e.g. df[{known.name!r}].str.replace(',', '') for thousands, .str.replace(',', '.') for "
              "decimal commas, or read the file with pd.read_csv(..., thousands=',') or (..., decimal=',')")
    log.warning("column %r: %s; %s.", known.name, finding, action)
    return "comma_numbers", finding, action, "alert"


def _date_strings(sample: pd.Series) -> bool:
    """Whether every string of ``sample`` is a date of ``DATE_PATTERN``, read in one format."""
    if not sample.str.match(DATE_PATTERN).all():
        return False
    try:
        return reading_format(sample, "sample") is not None
    except DataValidationError:  # day and month undecided in the sample: all the values decide
        return True


def date_format(s: pd.Series, col: object) -> str | None:
    """How column ``col`` of dates is read: None for datetime values, else the format that
    reads every one of its known strings: that of its first value
    (:func:`~tsauto.core.table_io.guess_date_format`), else ``ISO`` (ISO 8601 stamps of mixed
    precision); where the first value could be month or day first, whichever reads them all
    (:func:`~tsauto.core.table_io.day_or_month_first`: an error where both do, differently).
    A value that none reads is an error naming the column, the rows and the fix."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return None
    known = s.dropna()
    found = reading_format(known, col)
    if found is not None:
        return found
    text = known.astype(str).str.strip()
    fmt = guess_date_format(text.iloc[0])
    unread = read_dates(known, ISO if fmt is None else fmt).isna().to_numpy()
    bad = known.index[unread]  # the table's own row labels, repeated ones too: by position
    examples = ", ".join(repr(v) for v in text[unread].iloc[:3])
    raise DataValidationError(
        f"column {col!r} is read as dates, but {describe_rows(bad)} (values {examples}) do not "
        f"read as dates in the format of its first value {text.iloc[0]!r} "
        f"({'ISO 8601' if fmt is None else fmt}): give every date in one format, ISO for example "
        f"(2024-01-31), leave unknown dates empty, or set featurization={{{col!r}: 'categorical'}}."
    )


def reading_format(
    known: pd.Series, col: object, day_first: bool | None = None, what: str = "column"
) -> str | None:
    """The format of :func:`date_format` for date strings ``known`` (none missing); None where
    none reads them all. ``day_first``: the order of day and month to read where both read
    every value, differently (a later table's, as the training dates were written); without
    it, an error naming the ``what`` ``col``."""
    if known.empty:
        return ISO
    fmt = guess_date_format(str(known.iloc[0]).strip())
    if fmt is not None and fmt.startswith("%m"):
        read = day_or_month_first(known, fmt, str(col), what, day_first)
        if read is not None:
            return read[1]
    for candidate in (fmt, ISO) if fmt is not None else (ISO,):
        if read_dates(known, candidate).notna().all():
            return candidate
    return None


def read_dates(s: pd.Series, fmt: str | None = ISO) -> pd.Series:
    """Naive timestamps of a date column: datetime values (their wall clock), or strings read
    in ``fmt`` (:func:`date_format`; None: ISO 8601); NaT where missing or unreadable."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
    out = pd.to_datetime(s, format=fmt or ISO, errors="coerce", utc=True)
    return out.dt.tz_localize(None)


def as_numbers(s: pd.Series, col: str) -> np.ndarray:
    """A column as float64; dates become seconds since 1970; unparseable values are an error."""
    if pd.api.types.is_bool_dtype(s) or (pd.api.types.is_numeric_dtype(s)):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(s):
        d = read_dates(s)
        return ((d - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        examples = list(dict.fromkeys(s[bad].astype(str)))[:3]
        raise DataValidationError(
            f"column {col!r} is numeric for the model but holds values such as {examples}; "
            "give numbers (or declare it categorical with featurization=)."
        )
    return out.to_numpy(dtype=np.float64, na_value=np.nan)


def category_strings(s: pd.Series) -> pd.Series:
    """Category values as strings (object), missing as None. A whole number written as a float
    reads as the integer (20.0 as "20"): a column of integer codes is read as floats where a
    cell is empty, and must still meet the levels it was fitted on."""
    out = s.astype(object)
    known = s.notna()
    values = s[known]
    if pd.api.types.is_float_dtype(values) or values.dtype == object:
        out[known] = values.map(_level_text)
    else:
        out[known] = values.astype(str)
    out[~known] = None
    return out


def _level_text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and value.is_integer():
        return str(int(value))
    return str(value)


class Featurizer:
    """Learns, from training rows only, how to turn a raw table into a learner's matrix.

    ``kinds`` come from :func:`infer_kinds`; ``encoding`` is the learner's (see the module
    docstring); ``task`` selects the target encoding of high-cardinality columns.
    """

    def __init__(
        self, kinds: Mapping[str, Kind], encoding: Encoding, task: TaskType, random_state: int = 0
    ):
        self.kinds = dict(kinds)
        self.encoding = encoding
        self.task = task
        self.random_state = random_state

    def _of(self, kind: str) -> list[str]:
        return [c for c, k in self.kinds.items() if k == kind]

    def fit_transform(self, X: pd.DataFrame, y: np.ndarray) -> Any:
        """Learn the statistics on ``X`` (training rows) and return its matrix."""
        dense = self._dense(X, fit=True)
        self.medians_ = _medians(dense)
        self.with_indicator_ = np.flatnonzero(np.isnan(dense).any(axis=0))
        self.levels_ = {c: category_levels(X[c]) for c in self._of("categorical")}
        self.text_ = {
            c: _TextEncoder(self.encoding != "linear", self.random_state).fit(X[c])
            for c in self._of("text")
        }
        if self.encoding == "linear":
            wide = [c for c in self._of("categorical") if len(self.levels_[c]) > ONE_HOT_MAX]
            self.target_encoded_ = wide
            self.target_encoder_ = self._fit_target_encoder(X, y, wide)
        return self._assemble(X, dense, fit_y=y)

    def transform(self, X: pd.DataFrame) -> Any:
        """The matrix of new rows, with the statistics learned at fit."""
        return self._assemble(X, self._dense(X, fit=False), fit_y=None)

    # ------------------------------------------------------------------ numbers and dates

    def _dense(self, X: pd.DataFrame, fit: bool) -> np.ndarray:
        """Numeric columns and date parts as float64, missing values kept."""
        blocks = [as_numbers(X[c], c) for c in self._of("numeric")]
        if fit:
            self.has_time_ = {}
            self.date_formats_ = {c: date_format(X[c], c) for c in self._of("datetime")}
        for c in self._of("datetime"):
            d = read_dates(X[c], getattr(self, "date_formats_", {}).get(c))
            if fit:
                self.has_time_[c] = bool(((d.dt.hour != 0) | (d.dt.minute != 0)).any())
            blocks.extend(
                getattr(d.dt, p).to_numpy(dtype=np.float64, na_value=np.nan) for p in self._parts(c)
            )
        if not blocks:
            return np.zeros((len(X), 0))
        return np.column_stack(blocks)

    def _parts(self, col: str) -> tuple[str, ...]:
        """The date parts a fitted datetime column is expanded into."""
        return DATE_PARTS + (TIME_PARTS if self.has_time_[col] else ())

    def sources(self) -> list[str]:
        """Of a fitted featurizer: the input column each column of its matrix comes from, in
        the matrix's order (a date's parts, a missing indicator, one-hot levels, target
        encodings and text components name their column)."""
        dense = self._of("numeric") + [c for c in self._of("datetime") for _ in self._parts(c)]
        text = [c for c, enc in self.text_.items() for _ in range(enc.width())]
        if self.encoding == "native":
            return dense + text + self._of("categorical")
        imputed = dense + [dense[j] for j in self.with_indicator_]
        if self.encoding == "ordinal":
            return imputed + self._of("categorical") + text
        te = self.target_encoder_
        per_column = len(te.classes_) if te is not None and te.target_type_ == "multiclass" else 1
        encoded = [c for c in self.target_encoded_ for _ in range(per_column)]
        one_hot = [c for c in self._of("categorical") if c not in self.target_encoded_
                   for _ in range(len(self.levels_[c]) + 1)]
        return imputed + encoded + one_hot + text

    def _imputed(self, dense: np.ndarray) -> np.ndarray:
        missing = np.isnan(dense)
        filled = np.where(missing, self.medians_, dense)
        return np.hstack([filled, missing[:, self.with_indicator_].astype(np.float64)])

    # ------------------------------------------------------------------ assembly per encoding

    def _assemble(self, X: pd.DataFrame, dense: np.ndarray, fit_y: np.ndarray | None) -> Any:
        text = [enc.transform(X[c]) for c, enc in self.text_.items()]
        if self.encoding == "native":
            cols: dict[str, Any] = {}
            for j in range(dense.shape[1]):
                cols[f"f{len(cols)}"] = dense[:, j]
            for block in text:
                for j in range(block.shape[1]):
                    cols[f"f{len(cols)}"] = block[:, j]
            for c in self._of("categorical"):
                levels = self.levels_[c][:NATIVE_MAX_LEVELS]
                cols[f"f{len(cols)}"] = pd.Categorical.from_codes(
                    _codes(X[c], levels), categories=levels
                )
            return pd.DataFrame(cols, index=pd.RangeIndex(len(X)))
        parts = [self._imputed(dense)]
        if self.encoding == "ordinal":
            parts += [
                _codes(X[c], self.levels_[c]).astype(np.float64)[:, None]
                for c in self._of("categorical")
            ]
            parts += text
            return np.hstack(parts).astype(np.float32)
        if self.target_encoded_:
            values = X[self.target_encoded_].apply(_filled_strings)
            te = self.target_encoder_
            parts.append(
                te.fit_transform(values, fit_y) if fit_y is not None else te.transform(values)
            )
        numeric = np.hstack(parts)
        if fit_y is not None:
            self.mean_ = numeric.mean(axis=0)
            scale = numeric.std(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0)
        numeric = (numeric - self.mean_) / self.scale_
        one_hot = [
            _one_hot(X[c], self.levels_[c])
            for c in self._of("categorical")
            if c not in self.target_encoded_
        ]
        if text:
            out = sparse.hstack(
                [sparse.csr_matrix(numeric), *map(sparse.csr_matrix, one_hot), *text], format="csr"
            )
        else:
            out = np.hstack([numeric, *one_hot])
        if fit_y is not None:  # a coefficient times it: what the column moves (tsauto.tabular.explain)
            self.spread_ = _spread(out)
        return out

    def _fit_target_encoder(self, X: pd.DataFrame, y: np.ndarray, cols: list[str]):
        if not cols:
            return None
        from sklearn.model_selection import KFold, StratifiedKFold
        from sklearn.preprocessing import TargetEncoder

        if self.task == "regression":
            target_type, cv = "continuous", KFold(5, shuffle=True, random_state=self.random_state)
        else:
            target_type = "binary" if len(np.unique(y)) == 2 else "multiclass"
            folds = int(min(5, max(2, np.bincount(y).min())))
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        return TargetEncoder(target_type=target_type, cv=cv)


def _spread(matrix: Any) -> np.ndarray:
    """The standard deviation of each column of a dense or sparse matrix."""
    if sparse.issparse(matrix):
        mean = np.asarray(matrix.mean(axis=0)).ravel()
        square = np.asarray(matrix.multiply(matrix).mean(axis=0)).ravel()
        return np.sqrt(np.maximum(square - mean**2, 0.0))
    return matrix.std(axis=0)


def _filled_strings(s: pd.Series) -> pd.Series:
    return category_strings(s).fillna(MISSING_LEVEL)


def _medians(dense: np.ndarray) -> np.ndarray:
    """Column medians ignoring missing values; 0 for a column with none known."""
    out = np.zeros(dense.shape[1])
    for j in range(dense.shape[1]):
        known = dense[~np.isnan(dense[:, j]), j]
        if known.size:
            out[j] = np.median(known)
    return out


def category_levels(s: pd.Series) -> list[str]:
    """Training levels of a categorical column, most frequent first (ties by value)."""
    counts = category_strings(s).value_counts()
    return sorted(counts.index, key=lambda v: (-counts[v], v))


def _codes(s: pd.Series, levels: list[str]) -> np.ndarray:
    """Frequency-rank code of each value; -1 for missing and unseen values."""
    return pd.Index(levels, dtype=object).get_indexer(category_strings(s)).astype(np.int64)


def _one_hot(s: pd.Series, levels: list[str]) -> np.ndarray:
    """One column per training level, plus one for missing values; unseen values are all 0."""
    codes = _codes(s, levels)
    out = np.zeros((len(s), len(levels) + 1))
    rows = np.flatnonzero(codes >= 0)
    out[rows, codes[rows]] = 1.0
    out[:, -1] = s.isna().to_numpy()
    return out


class _TextEncoder:
    """TF-IDF of word (1-2) and character (2-4) n-grams; reduced by SVD when ``reduce``."""

    def __init__(self, reduce: bool, random_state: int):
        self.reduce = reduce
        self.random_state = random_state

    def fit(self, s: pd.Series) -> "_TextEncoder":
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = _docs(s)
        min_df = 2 if len(docs) >= 50 else 1
        self.vectorizers_ = []
        for kwargs in (
            {"analyzer": "word", "ngram_range": (1, 2)},
            {"analyzer": "char_wb", "ngram_range": (2, 4)},
        ):
            vec = TfidfVectorizer(
                min_df=min_df,
                max_features=TEXT_MAX_FEATURES,
                sublinear_tf=True,
                dtype=np.float32,
                **kwargs,
            )
            try:
                vec.fit(docs)
            except ValueError:  # empty vocabulary: no word occurs min_df times
                continue
            self.vectorizers_.append(vec)
        self.svd_ = None
        if self.reduce and self.vectorizers_:
            from sklearn.decomposition import TruncatedSVD

            tfidf = self._tfidf(docs)
            k = min(TEXT_COMPONENTS, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
            if k >= 1:
                self.svd_ = TruncatedSVD(k, n_iter=2, random_state=self.random_state).fit(tfidf)
        return self

    def _tfidf(self, docs: list[str]) -> sparse.csr_matrix:
        if not self.vectorizers_:
            return sparse.csr_matrix((len(docs), 0), dtype=np.float32)
        return sparse.hstack([v.transform(docs) for v in self.vectorizers_], format="csr")

    def width(self) -> int:
        """How many columns :meth:`transform` gives."""
        if self.reduce:
            return 0 if self.svd_ is None else self.svd_.components_.shape[0]
        return sum(len(v.vocabulary_) for v in self.vectorizers_)

    def transform(self, s: pd.Series) -> Any:
        tfidf = self._tfidf(_docs(s))
        if not self.reduce:
            return tfidf
        if self.svd_ is None:
            return np.zeros((tfidf.shape[0], 0))
        return self.svd_.transform(tfidf)


def _docs(s: pd.Series) -> list[str]:
    return ["" if v is None else v for v in category_strings(s)]
