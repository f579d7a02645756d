"""Reading and writing tables: CSV or Parquet paths, or DataFrames as they are; the format of
a column of date strings.

A table read from a file keeps the file's path (``df.attrs["file"]``: :func:`table_name` names
it in errors); one read with ``lines=True`` (the command line's) has its rows labelled by their
lines in the file (``LINE``: the header line 1, the first row line 2, as a text editor and a
spreadsheet number them), which errors name (:func:`~tsauto.core.exceptions.describe_rows`:
"lines 12, 5402")."""

from __future__ import annotations

import gzip
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from tsauto.core.exceptions import LINE, DataValidationError, describe_rows
from tsauto.core.text_in_numbers import FORMATTED_NUMBER

log = logging.getLogger(__name__)


def read_table(
    data: pd.DataFrame | str | Path, codes: Sequence[str] = (), text: Sequence[str] = (), lines: bool = False,
    thousands: bool = True,
) -> pd.DataFrame:
    """A DataFrame from a DataFrame, or a CSV (``.tsv`` too) / Parquet file path. CSV files may
    be separated by commas, or by semicolons, tabs or bars (read as such when the header holds
    no comma). ``codes``: columns that name things (series ids): a CSV's integers written with
    leading zeros there (SKU ``00079``) are read as that text, not as 79; ``text``: those read
    as text whatever they hold (a later table of a fit whose codes were text: ``1002`` alone
    in a file is the code '1002' there).
    In a CSV file not separated by semicolons, a column of numbers written with thousands
    separators ('24,924.50') is read as numbers where every value reads so, as the tabular side
    reads it (:func:`_thousands`; not with ``thousands=False``: a classifier's table, whose
    featurizer reads them and says so in its guardrails); ``lines``: its rows labelled
    by their lines in the file (``LINE``), where each row is one line.
    A table with two columns of one name is refused (pandas would return a table for each)."""
    if isinstance(data, pd.DataFrame):
        return _unique_columns(data)
    if isinstance(data, (str, Path)):
        path = Path(data)
        kind = table_kind(path)
        try:
            df = pd.read_parquet(path) if kind == "Parquet" else _read_csv(path, codes, text, lines, thousands)
            df.attrs["file"] = str(path)
            return df
        except DataValidationError:  # a ValueError, said as it is
            raise
        except pd.errors.EmptyDataError:
            raise DataValidationError(
                f"file {str(path)!r} holds no table (no header row): give a table with a header "
                "row and data."
            ) from None
        except (UnicodeDecodeError, pd.errors.ParserError, OSError, EOFError, ValueError) as err:
            raise DataValidationError(
                f"file {str(path)!r} could not be read as {kind} "
                f"({type(err).__name__}: {str(err)[:200]}): check that it is a complete UTF-8 CSV "
                "or Parquet file, as its extension says."
            ) from None
    if type(data).__module__.split(".")[0] == "dask":
        raise DataValidationError(
            "a Dask DataFrame is read by Forecaster.fit and predict only (one global LightGBM "
            "trained on the cluster): compute() the rows needed here to pandas."
        )
    raise DataValidationError(
        f"expected a pandas DataFrame or a CSV/Parquet path, got {type(data).__name__}."
    )


def table_kind(path: Path) -> str:
    """``"CSV"`` or ``"Parquet"``: what the file at ``path`` is read as; refused, saying why,
    where it is missing, a folder, of another format or empty (checked before a slow step)."""
    if not path.exists():
        raise DataValidationError(f"file {str(path)!r} does not exist: check the path.")
    suffixes = "".join(path.suffixes).lower()
    kind = "Parquet" if ".parquet" in suffixes or ".pq" in suffixes else "CSV"
    if path.is_dir() or not (kind == "Parquet" or any(k in suffixes for k in (".csv", ".tsv", ".txt"))):
        raise DataValidationError(
            f"file {str(path)!r}: unknown format {suffixes!r}; give a .csv(.gz), .tsv or .parquet file."
        )
    if path.stat().st_size == 0:
        raise DataValidationError(
            f"file {str(path)!r} is empty (0 bytes): give a table with a header row and data."
        )
    return kind


def _unique_columns(df: pd.DataFrame, what: str = "the table") -> pd.DataFrame:
    repeated = sorted(set(df.columns[df.columns.duplicated()]), key=str)
    if repeated:
        raise DataValidationError(
            f"{what} has more than one column named {repeated}: rename or drop the copies."
        )
    return df


def table_name(df: pd.DataFrame, what: str) -> str:
    """``what`` ("the future table"), with the file ``df`` was read from where it was read
    from one (:func:`read_table`): "the future table 'future.csv'". The file is taken off
    ``df`` (pandas would carry it into every table made from it: a forecast, a future frame)."""
    file = df.attrs.pop("file", None)
    return f"{what} {file!r}" if isinstance(file, str) else what


def _read_csv(
    path: Path, codes: Sequence[str] = (), text: Sequence[str] = (), lines: bool = False, thousands: bool = True
) -> pd.DataFrame:
    sep = ","
    header = pd.read_csv(path, nrows=0).columns
    if len(header) == 1:
        sep = next((s for s in (";", "\t", "|") if s in str(header[0])), ",")
        header = pd.read_csv(path, nrows=0, sep=sep).columns if sep != "," else header
    # the header as written: pandas renames a repeated name ('x', 'x.1'), which went unnoticed;
    # blank cells (a spreadsheet's empty columns) are pandas' 'Unnamed: 3', not a name repeated
    written = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str).iloc[0].fillna("").str.strip()
    _unique_columns(pd.DataFrame(columns=written[written != ""]), f"file {str(path)!r}")
    named = [c for c in dict.fromkeys([*codes, *text]) if c in header]
    df = pd.read_csv(path, sep=sep, dtype={c: str for c in named} or None)
    df = _unnamed_columns(df, np.flatnonzero(written.to_numpy() == ""), path)
    df = _zero_padded_codes(df, [c for c in named if c not in text])
    if sep == ";":
        df = _decimal_commas(path, df, skip=named)
    elif thousands:
        df = _thousands(path, df, skip=named)
    return _line_labels(path, df) if lines else df


def _line_labels(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its rows labelled by their lines in the file at ``path`` (the header line 1),
    where each row is one line (no blank line, no value over several lines: the file's lines
    counted); else as it is (labelled by position from 0)."""
    opener = gzip.open if "".join(path.suffixes).lower().endswith(".gz") else open
    count, last = 0, b"\n"
    try:
        with opener(path, "rb") as f:
            while chunk := f.read(1 << 20):
                count, last = count + chunk.count(b"\n"), chunk[-1:]
    except OSError:
        return df
    count += last != b"\n"  # a last line without its newline
    if count - 1 != len(df):
        return df
    return df.set_axis(pd.RangeIndex(2, len(df) + 2, name=LINE))


def _thousands(path: Path, df: pd.DataFrame, skip: Sequence[str] = ()) -> pd.DataFrame:
    """A file separated by commas whose numbers are written with thousands separators
    ('24,924.50', quoted): the text columns (not the ``skip`` ones, codes kept as text) that
    read as numbers so (the tabular side's rule, :func:`~tsauto.tabular.featurizer.comma_numbers`),
    their separators removed: numbers, or, with a few placeholders ('--'), text the columns'
    own rules read as numbers with missing cells (:mod:`tsauto.core.text_in_numbers`). Values
    such as '1,374' alone, which the tabular rule calls ambiguous (a decimal comma?), are read
    as thousands here: a file separated by commas does not write decimal commas, and a later
    table of a fit whose values told (some under 1,000) reads as the fit did."""
    candidates = []
    for c in df.columns:
        if c in skip or not (pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object):
            continue
        values = pd.Series(pd.unique(df[c].dropna().to_numpy(dtype=object)), dtype=object).astype(str)
        commas = values[values.str.contains(",", regex=False)]
        if len(commas) and commas.str.strip().str.fullmatch(FORMATTED_NUMBER).all():
            candidates.append(c)
    if not candidates:
        return df
    from tsauto.tabular.featurizer import comma_numbers, thousands_removed  # one rule for both sides

    read = []
    for c in candidates:
        if comma_numbers(df[c]) not in ("thousands", "ambiguous"):
            continue
        plain = thousands_removed(df[c])
        numbers = pd.to_numeric(plain, errors="coerce")
        df[c] = numbers.astype("float64") if numbers.notna().sum() == df[c].notna().sum() else plain
        read.append(c)
    if read:
        log.info("file %r: read the thousands separators in %s", str(path), ", ".join(map(repr, read)))
    return df


def _unnamed_columns(df: pd.DataFrame, blank: np.ndarray, path: Path) -> pd.DataFrame:
    """``df`` without its columns of a blank header cell and no value (a spreadsheet's empty
    columns: they became features 'Unnamed: 21' that a test file then lacked); such a column
    holding values is kept as pandas names it, with a warning."""
    blank = df.columns[blank[blank < df.shape[1]]]
    if not len(blank):
        return df
    empty = [c for c in blank if df[c].isna().all()]
    if empty:
        log.info("file %r: %d empty column(s) without a name dropped", str(path), len(empty))
    if kept := [c for c in blank if c not in empty]:
        log.warning("file %r: %d column(s) hold values under a blank header cell, read as %s: name them",
                    str(path), len(kept), ", ".join(map(repr, kept)))
    return df.drop(columns=empty)


def _zero_padded_codes(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` (read as text) as pandas would read them, numbers where all are, but
    those written with leading zeros (SKU ``00079``, store ``0012``), kept as the text the file
    holds: read as numbers, ``00079`` came back as ``79`` and matched no code of the user's.
    Judged on the distinct values (a 3M-row id column of 100k codes: its codes, not its rows)."""
    for c in columns:
        codes, uniques = pd.factorize(df[c])
        if not len(uniques):  # every cell empty: missing, as pandas reads it
            df[c] = np.nan
            continue
        if pd.Series(uniques).astype(str).str.match(r"[+-]?0\d").any():
            log.info("read %r as text: its values are written with leading zeros (00079)", c)
            continue
        try:
            numbers = pd.to_numeric(pd.Series(uniques))
        except (ValueError, TypeError):  # labels: text, as pandas reads them
            continue
        values = numbers.to_numpy()[codes]
        df[c] = values if (codes >= 0).all() else np.where(codes >= 0, values, np.nan)
    return df


def _decimal_commas(path: Path, df: pd.DataFrame, skip: Sequence[str] = ()) -> pd.DataFrame:
    """A semicolon file of a comma-decimal locale (as Excel writes one in Germany or France):
    the text columns whose every value is a number with a decimal comma (``'20,2'``), as
    numbers; not the ``skip`` ones (codes kept as text)."""
    text = [c for c in df.columns if c not in skip and (pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object)]
    if not text:
        return df
    commas = pd.read_csv(path, sep=";", decimal=",", usecols=text)
    read = [c for c in text if pd.api.types.is_float_dtype(commas[c]) and df[c].notna().any()]
    if read:
        log.info("read decimal commas in %s (a semicolon file)", ", ".join(map(repr, read)))
        df = df.assign(**{c: commas[c] for c in read})
    return df


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``), atomically.

    The table goes to a temporary file in the same folder, renamed over ``path`` once complete,
    so a crash or a full disk never leaves a half-written file. Other extensions are refused.
    """
    from tsauto.core.files import atomic_path

    path = Path(path)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if not suffixes.endswith((".csv", ".csv.gz", ".parquet", ".pq")):
        raise DataValidationError(
            f"cannot write {str(path)!r}: tsauto writes .csv, .csv.gz or .parquet files; "
            "change the extension."
        )
    with atomic_path(path) as tmp:
        if suffixes.endswith((".parquet", ".pq")):
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, compression="gzip" if suffixes.endswith(".gz") else None)
    return path


def guess_date_format(first: str, dayfirst: bool = False) -> str | None:
    """The strftime format pandas guesses from one date string, month first (or ``dayfirst``)
    where the day and month could be either; None when it guesses none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas' "could not infer format"
        return guess_datetime_format(first, dayfirst=dayfirst)


def day_or_month_first(
    col: pd.Series, fmt: str, name: str, what: str = "column", day_first: bool | None = None
) -> tuple[pd.Series, str, bool] | None:
    """Dates of ``col`` (none missing) written with the month or the day first, ``fmt`` being
    the month-first format guessed from the first value: read month-first or day-first,
    whichever reads every value, the format that did, and whether the values told the order
    (one reading does not read them all); None where neither does. Both reading every value,
    differently, is an error naming the ``what`` ``name`` (day and month cannot be told apart
    without guessing), unless ``day_first`` gives the order (that of the training table's dates,
    for a later table's)."""
    text = col.astype(str).str.strip()
    day_fmt = guess_date_format(text.iloc[0], dayfirst=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        month_first = pd.to_datetime(col, format=fmt, errors="coerce")
        day_first_read = pd.to_datetime(col, format=day_fmt, errors="coerce")
    both = month_first.notna().all() and day_first_read.notna().all()
    differ = month_first != day_first_read
    if both and day_first is not None:
        return (day_first_read, day_fmt, False) if day_first else (month_first, fmt, False)
    if both and differ.any():
        at = int(np.argmax(differ.to_numpy()))
        raise DataValidationError(
            f"{what} {name!r} reads as dates both month-first and day-first "
            f"({text.iloc[at]!r} at {describe_rows(col.index[at:at + 1])} is "
            f"{month_first.iloc[at]:%Y-%m-%d} or {day_first_read.iloc[at]:%Y-%m-%d}): give ISO dates "
            f"(2024-01-31), or convert the column first with pd.to_datetime(df[{name!r}], "
            f"format={day_fmt!r}) (day first) or format={fmt!r} (month first)."
        )
    for parsed, used in ((month_first, fmt), (day_first_read, day_fmt)):
        if parsed.notna().all():
            return parsed, used, not both
    return None
