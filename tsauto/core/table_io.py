"""Reading and writing tables: CSV or Parquet paths, or DataFrames as they are."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tsauto.core.exceptions import DataValidationError


def read_table(data: pd.DataFrame | str | Path) -> pd.DataFrame:
    """A DataFrame from a DataFrame, or a CSV / Parquet file path."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise DataValidationError(f"file {str(path)!r} does not exist: check the path.")
        suffixes = "".join(path.suffixes).lower()
        if ".parquet" in suffixes or ".pq" in suffixes:
            return pd.read_parquet(path)
        if ".csv" in suffixes or ".txt" in suffixes:
            return pd.read_csv(path)
        raise DataValidationError(
            f"file {str(path)!r}: unknown format {suffixes!r}; give a .csv(.gz) or .parquet file."
        )
    raise DataValidationError(
        f"expected a pandas DataFrame or a CSV/Parquet path, got {type(data).__name__}."
    )




WRITERS = {".csv": "csv", ".gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``), atomically.

    The table goes to a temporary file in the same folder, renamed over ``path`` once complete,
    so a crash or a full disk never leaves a half-written file. Other extensions are refused.
    """
    from tsauto.core.files import atomic_path

    path = Path(path)
    kind = WRITERS.get(path.suffix.lower())
    if kind is None:
        raise DataValidationError(
            f"cannot write {str(path)!r}: tsauto writes .csv, .csv.gz or .parquet files; "
            "change the extension."
        )
    with atomic_path(path) as tmp:
        if kind == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, compression="gzip" if path.suffix.lower() == ".gz" else None)
    return path
