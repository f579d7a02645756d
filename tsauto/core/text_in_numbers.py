"""Columns of numbers with a few text cells ("--", "unknown", "n/a"), read as numbers.

An experienced analyst reads ages with a few "unknown" as ages, not as 70 labels, and half-hourly
temperatures with two "--" as temperatures, not as a label of 243 levels. The rule
(:func:`text_among_numbers`): a column whose known values are numbers but for at least one and at
most ``MIXED_TEXT_LEVELS`` distinct text values, making up at most ``MIXED_TEXT_SHARE`` of them,
is a column of numbers; its text cells are missing values (:func:`read_as_numbers`), handled as
the column's other missing values are. A column of numbers, booleans or dates holds no text; one
of number strings without any text ("01", "02") is not read by the rule.

Shared by tabular learning (:mod:`tsauto.tabular.featurizer` decides a column's kind by it,
:mod:`tsauto.tabular.reading` reads it so at fit and at predict) and forecasting
(:mod:`tsauto.forecasting.validation` reads the covariates of the training table by it, and
those of later tables as they were read at fit; :mod:`tsauto.forecasting.data_checks` reports
it), so that a column of numbers reads alike in a table to classify and in a series to forecast.

Cells that hold several values (lists, dicts: JSON-like tags, as ``pd.read_json`` or
``read_parquet`` give) are none of these: :func:`container_cells` finds them, so that both
sides refuse or drop such a column, naming it, rather than fail inside pandas.

'True' and 'False' written as text are flags on both sides (:func:`read_flags`), as pandas reads
a CSV column of them.
"""

from __future__ import annotations

import re
import reprlib

import numpy as np
import pandas as pd

from tsauto.core.exceptions import describe_rows, shortlist

# At most this many distinct text values ("unknown", "n/a") and this share of the known values:
# a few placeholders of a column of numbers, not a column of labels that holds some numbers.
MIXED_TEXT_LEVELS = 3
MIXED_TEXT_SHARE = 0.1
# a number written in a format: thousands separators or a decimal comma, a sign, a currency or
# percent sign ("1,024", "-3,5", "$30", "5 %", "1 024"): a number, not a placeholder
FORMATTED_NUMBER = re.compile(r"[-+(]?\s*[$€£¥]?\s*[-+]?\d[\d,. \u00a0']*\s*[%$€£¥]?\)?")


CONTAINERS = {list: "lists", tuple: "tuples", dict: "dicts", set: "sets", np.ndarray: "arrays"}


def container_cells(s: pd.Series) -> np.ndarray:
    """Which cells of ``s`` hold several values: a list, tuple, dict, set or array."""
    if s.dtype != object or pd.api.types.infer_dtype(s, skipna=True) not in ("mixed", "mixed-integer"):
        return np.zeros(len(s), dtype=bool)
    kinds = tuple(CONTAINERS)
    return np.fromiter((isinstance(v, kinds) for v in s.to_numpy()), dtype=bool, count=len(s))


def containers_found(s: pd.Series, cells: np.ndarray) -> str:
    """What the ``cells`` of ``s`` found by :func:`container_cells` hold, and where: "lists
    such as ['sale', 'new'] (rows 0, 1, 2, 3, 4 (and 995 more))"."""
    found = s[cells]
    held = dict.fromkeys(next(n for k, n in CONTAINERS.items() if isinstance(v, k)) for v in found)
    return f"{' and '.join(held)} such as {reprlib.repr(found.iloc[0])} ({describe_rows(found.index)})"


def text_cells(s: pd.Series) -> np.ndarray:
    """Which cells of ``s`` hold a value that does not read as a number (never a missing one;
    none in a column of numbers, booleans or dates)."""
    known = s.notna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or not known.any():
        return np.zeros(len(s), dtype=bool)
    # each distinct value read once: a column of a few labels in millions of rows reads fast
    values = pd.Series(pd.unique(s.to_numpy(dtype=object)[known]), dtype=object)
    text = values[pd.to_numeric(values, errors="coerce").isna()]
    return known & s.isin(text).to_numpy(dtype=bool)


def types_found(s: pd.Series, limit: int = 3) -> str:
    """Each Python type of the known values of ``s``, in order of first appearance, with its
    first value and its rows: "1 (int, rows 0, 1, 2 (and 97 more)) and '1' (str, rows 100, 101,
    102 (and 97 more))", for a column that mixes them (no sort orders 1 and 'a'; 1 and '1' differ)."""
    known = s.dropna()
    types = known.map(type)
    first = {t: known[types == t].iloc[0] for t in types.unique()}
    return " and ".join(
        f"{v!r} ({t.__name__}, {describe_rows(known.index[types == t], limit, counted=not i)})"
        for i, (t, v) in enumerate(first.items())
    )


def text_values(s: pd.Series) -> list[str]:
    """The distinct known values of ``s`` that do not read as numbers, as strings, sorted."""
    return sorted(set(s[text_cells(s)].astype(str)))


def text_among_numbers(
    s: pd.Series, share: float = MIXED_TEXT_SHARE, most: int | None = MIXED_TEXT_LEVELS
) -> list[str] | None:
    """The text values of ``s`` where it is a column of numbers but for them (see the module
    docstring; ``share``: of its known values they may make up at most; ``most``: distinct
    values at most, None: any number); None for any other
    column (one without text too), for a ``category`` column (its owner said it holds labels:
    store codes "1".."12" and "X" are not numbers with an "X" missing), and where a text value
    is a number written in a format (``'1,024'``, ``'5%'``, ``'$30'``: reading it as missing
    would drop the very values so written, the largest)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return None
    cells = text_cells(s)
    if not cells.any() or cells.sum() > share * s.notna().sum():
        return None
    levels = sorted(set(s[cells].astype(str)))
    if any(FORMATTED_NUMBER.fullmatch(v.strip()) for v in levels):
        return None
    return levels if most is None or len(levels) <= most else None


def read_as_numbers(s: pd.Series) -> pd.Series:
    """``s`` as float64 numbers, its text cells (and booleans' missing values) missing."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    return pd.to_numeric(s, errors="coerce").astype("float64")


def text_finding(s: pd.Series, text: list[str]) -> str:
    """What a data check finds in ``s``, numbers but for its ``text`` values: "numbers, but for
    the text value(s) '--' in 2 of 2880 rows" (rows with a known value)."""
    cells = int(text_cells(s).sum())
    shown = shortlist(map(repr, text))
    return f"numbers, but for the text value(s) {shown} in {cells} of {int(s.notna().sum())} rows"


FLAG_TEXT = {"true": True, "false": False, "1": True, "0": False}  # flags as text, lower case


def read_flags(s: pd.Series, among_others: bool = False) -> pd.Series:
    """``s`` as flags where its values are 'True' and 'False' written as text (any case,
    spaces around; with '1', '0' or booleans beside them), as pandas reads a CSV column of
    ``True``/``False``: a bool column, or one of ``True``/``False`` with gaps (object dtype).
    Else ``s``: one without such text or, unless ``among_others`` (a column of flags at fit:
    its other values are left as they are, to be named), holding other values."""
    if s.dtype != object and not isinstance(s.dtype, pd.StringDtype):
        return s
    given = pd.Series(pd.unique(s.dropna().to_numpy(dtype=object)), dtype=object)
    lowered = given.astype(str).str.strip().str.lower()
    if not lowered.isin(("true", "false")).any():  # vectorised: a column of a million numbers as text
        return s
    words = dict(zip(given, lowered))
    lookup = {v: FLAG_TEXT[w] for v, w in words.items() if w in FLAG_TEXT}
    written = any(isinstance(v, str) and w in ("true", "false") for v, w in words.items())
    others = len(lookup) < len(words)
    if not written or (others and not among_others):
        return s
    flags = s.map(lookup)
    if others:
        return flags.where(flags.notna(), s).astype(object)
    return flags.astype(bool) if flags.notna().all() else flags.astype(object)
