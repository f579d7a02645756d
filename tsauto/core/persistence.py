"""Versioned, checked save / load of fitted models.

A model file is three parts::

    TSAUTO-MODEL                      magic line
    {"format_version": 3, ...}        header: one line of JSON, readable without unpickling
    <payload>                         the object, pickled by joblib (zlib level 3)

The header holds the format version, the class, the tsauto, Python and key library versions
(numpy, pandas, and lightgbm, scikit-learn, statsmodels, torch when imported), the creation
time, the payload's size and SHA-256, and the header's own SHA-256. :func:`load` checks all of
it *before* unpickling and refuses, with an :class:`IncompatibleModelError` naming what
differs, a file of another format or class, one written with an incompatible library, or a
damaged or truncated one. The checksums catch damage, not malice: anyone can write a file
with matching sums, so load only files you trust. Files are written atomically.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import importlib.metadata
import io
import json
import logging
import platform
import re
import shutil
import sys
from pathlib import Path
from typing import Any, TypeVar

import joblib

from tsauto.core.exceptions import IncompatibleModelError, TsautoError
from tsauto.core.files import atomic_path, side_path
from tsauto.core.version import VERSION as __version__

log = logging.getLogger(__name__)

FORMAT = "tsauto-model"
# 3: an ETS state with a multiplicative season is fitted on R's recursion (another model than
# format 2's), so a format-2 file is refused rather than forecast with states fitted for it.
# 4: a local learner records the first time each series was fitted from (``starts_``, for
# ``max_length``), which a format-3 learner lacks.
# A new format comes with a new tsauto version (tsauto/core/version.py, pyproject.toml), so that
# the version a file names reads it.
FORMAT_VERSION = 4
SEVERAL_FORMATS = {"0.1.0"}  # versions whose builds wrote formats 2 to 4: the number names no one build
MAGIC = b"TSAUTO-MODEL\n"
MAX_HEADER = 1 << 20  # bytes
PARQUET_MAGIC = b"PAR1"
TABLE_SNIFF = 4096  # bytes read after the magic's to tell a table given in place of a model
# import name → distribution name; recorded when imported at save time
LIBRARIES = {
    "numpy": "numpy",
    "pandas": "pandas",
    "lightgbm": "lightgbm",
    "sklearn": "scikit-learn",
    "statsmodels": "statsmodels",
    "torch": "torch",
}
STRICT_MINOR = {"sklearn"}  # libraries whose pickles need the same major.minor version
MODEL_CLASSES = ("Forecaster", "Classifier", "Regressor")  # tsauto's models: `tsauto.<name>.load` reads one
# what files of other classes hold, in words (a class not here is named as it is)
RECORDS = {"Trial": "a trial record of a search's run_dir (read when the search resumes), not a model"}

T = TypeVar("T")


class ModelFileNotFoundError(TsautoError, FileNotFoundError):
    """No model file at the path given to ``load`` (nothing there, or a folder)."""


class ModelPathTakenError(TsautoError, FileExistsError):
    """The path given to ``save`` holds a data table, not a model (:func:`check_model_path`)."""


def save(obj: object, path: str | Path) -> Path:
    """Write ``obj`` with a checked header, atomically; returns the path (``~`` expanded). A
    data table there is refused, not overwritten (:func:`check_model_path`)."""
    path = Path(path).expanduser()
    check_model_path(path)
    with atomic_path(path) as tmp:
        payload = side_path(tmp)
        try:
            joblib.dump(obj, payload, compress=3)
            digest, size = _sha256(payload)
            header = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "class": type(obj).__qualname__,
                "module": type(obj).__module__,
                "tsauto_version": __version__,
                "python": platform.python_version(),
                "libraries": _library_versions(),
                "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "compression": "joblib zlib-3",
                "payload_bytes": size,
                "payload_sha256": digest,
            }
            header["header_sha256"] = header_digest(header)
            with open(tmp, "wb") as out, open(payload, "rb") as src:
                out.write(MAGIC)
                out.write(json.dumps(header, sort_keys=True).encode() + b"\n")
                shutil.copyfileobj(src, out, 1 << 20)
        finally:
            payload.unlink(missing_ok=True)
    return path


def check_model_path(path: str | Path) -> None:
    """Refuse a path to save a model at that holds a data table (CSV or Parquet, by its
    extension or first bytes): a user test's ``save("train.csv")`` and ``--save-model
    train.csv`` replaced the training data. A model file of any format, or any other file, is
    replaced as before (load's advice for an old model is to save it again)."""
    path = Path(path).expanduser()
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + TABLE_SNIFF)
    except OSError:  # unreadable: writing it will say why
        return
    kind = "" if head.startswith(MAGIC) else _table_kind(path, head)
    if kind:
        raise ModelPathTakenError(
            f"{str(path)!r} holds a table ({kind}), not a model: saving the model would replace it. Give "
            "another path for the model (model.tsauto), or delete that file first."
        )


def read_header(path: str | Path) -> dict[str, Any]:
    """The header of a model file, without unpickling anything (checksums not verified)."""
    header, _ = _read(Path(path).expanduser(), payload=False)
    return header


def load(path: str | Path, cls: type[T]) -> T:
    """Read an object of class ``cls`` written by :func:`save`, after checking its header,
    library versions, size and checksum."""
    path = Path(path).expanduser()
    header, payload = _read(path, payload=True)
    where = repr(str(path))
    written, got = header.get("tsauto_version"), header["format_version"]
    if got != FORMAT_VERSION:
        raise IncompatibleModelError(
            f"{where} was written by tsauto {written} in model format {got}; this tsauto "
            f"({__version__}) reads format {FORMAT_VERSION}. {_format_advice(written, got)}"
        )
    found = header.get("class")
    if found != cls.__qualname__:
        advice = (f"load it with {found}.load" if found in MODEL_CLASSES else
                  f"give the file a {cls.__qualname__} was saved to")
        raise IncompatibleModelError(f"{where} holds {holding(found)}, not a {cls.__qualname__}: {advice}.")
    problems = incompatibilities(header)
    if problems:
        raise IncompatibleModelError(
            f"{where} cannot be loaded safely here: {'; '.join(problems)}. Install those versions "
            "or refit the model in this environment."
        )
    extra = len(payload) - header["payload_bytes"]
    if extra < 0:
        raise IncompatibleModelError(
            f"{where} is truncated: {len(payload)} of its {header['payload_bytes']} payload bytes "
            "are there (an interrupted copy or a full disk?); save the model again."
        )
    if extra > 0:
        raise IncompatibleModelError(
            f"{where} is damaged: it has {extra} extra bytes after its {header['payload_bytes']} "
            "payload bytes (something was appended to it); save the model again."
        )
    digest = hashlib.sha256(payload).hexdigest()
    if digest != header["payload_sha256"]:
        raise IncompatibleModelError(
            f"{where} is damaged or was altered: its payload's SHA-256 is {digest[:16]}…, the "
            f"header says {header['payload_sha256'][:16]}…; save the model again."
        )
    if header.get("tsauto_version") != __version__:
        log.info("%s was saved by tsauto %s (this is %s)", path, header.get("tsauto_version"),
                 __version__)
    try:
        obj = joblib.load(io.BytesIO(payload))
    except Exception as err:  # noqa: BLE001 - any unpickling failure is reported as one error
        raise IncompatibleModelError(
            f"{where} passed its checks but could not be unpickled ({type(err).__name__}: {err}); "
            "refit and save it again."
        ) from None
    if not isinstance(obj, cls):  # a payload replaced with its checksums recomputed (user test 54)
        raise IncompatibleModelError(
            f"{where} says it holds a {cls.__qualname__}, but its payload is a {type(obj).__name__}: "
            "it was not written by tsauto's save (replaced or forged?); do not use it, and save the "
            "model again from its fit."
        )
    return obj


def holding(name: object) -> str:
    """What a file whose header names class ``name`` holds, in words: "a Forecaster", "a trial
    record of a search's run_dir ..." (:data:`RECORDS`)."""
    return RECORDS.get(str(name), f"a {name}")


def _format_advice(written: object, got: object) -> str:
    """What to do with a file of model format ``got`` written by tsauto ``written``: load it
    with that version, unless its builds wrote other formats too (this version's did, as it
    reads another), where only a refit helps."""
    if written != __version__ and written not in SEVERAL_FORMATS:
        return f"Refit the model with this version, or load it with tsauto {written}."
    return (
        f"Builds of tsauto {written} wrote more than one model format, so that version may not read "
        f"format {got}: refit the model with this tsauto and save it again."
    )


def incompatibilities(header: dict[str, Any]) -> list[str]:
    """What in this environment differs from the one ``header`` was written in, in ways that
    can change or break the model: a missing library, another major version (another minor
    one for scikit-learn)."""
    out = []
    py = platform.python_version_tuple()[:2]
    saved_py = str(header.get("python", "")).split(".")[:2]
    if saved_py and saved_py != list(py):
        log.warning(
            "model saved with Python %s, this is Python %s",
            header.get("python"),
            platform.python_version(),
        )
    for name, saved in (header.get("libraries") or {}).items():
        dist = LIBRARIES.get(name, name)
        try:
            now = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out.append(f"it was saved with {name} {saved}, which is not installed here")
            continue
        depth = 2 if name in STRICT_MINOR else 1
        if _release(saved)[:depth] != _release(now)[:depth]:
            out.append(f"it was saved with {name} {saved}, this environment has {name} {now}")
    return out


def _read(path: Path, payload: bool) -> tuple[dict[str, Any], bytes]:
    where = repr(str(path))
    if not path.exists():
        raise ModelFileNotFoundError(
            f"no saved model at {where}: check the path (model.save(path) writes one; on the command "
            "line --save-model PATH)."
        )
    if path.is_dir():
        raise ModelFileNotFoundError(
            f"{where} is a folder, not a saved model file: give the path of the file that "
            "model.save(path) (or --save-model FILE) wrote."
        )
    with open(path, "rb") as f:
        magic = f.read(len(MAGIC))
        if magic != MAGIC:
            raise IncompatibleModelError(_not_a_model(where, path, magic + f.read(TABLE_SNIFF)))
        line = f.readline(MAX_HEADER)
        try:
            header = json.loads(line)
            ok = isinstance(header, dict) and header.get("format") == FORMAT
        except (ValueError, RecursionError):  # not JSON, or nested too deep to read (a forged file)
            ok = False
        if not ok or not line.endswith(b"\n"):
            raise IncompatibleModelError(
                f"{where} has a damaged or truncated tsauto header; save the model again."
            )
        if "format_version" not in header:
            raise IncompatibleModelError(f"{where} has no model format version in its header.")
        if header["format_version"] == FORMAT_VERSION:
            missing = {"class", "payload_bytes", "payload_sha256", "header_sha256"} - set(header)
            if missing:
                raise IncompatibleModelError(
                    f"{where}: its header lacks {sorted(missing)}; save the model again."
                )
            if header["header_sha256"] != header_digest(header):
                raise IncompatibleModelError(
                    f"{where} is damaged or was altered: its header's checksum does not match; "
                    "save the model again."
                )
        data = f.read() if payload else b""
    return header, data


def _not_a_model(where: str, path: Path, head: bytes) -> str:
    """Why the file at ``path`` (``where``: its name quoted), starting with ``head``, which lacks
    the magic line, is not read: empty (a failed copy or save), a table, a pickle (the older
    format 1, which cannot be checked before unpickling), or anything else."""
    if not head:
        return (f"{where} is empty (0 bytes), not a saved model (an interrupted copy or save?): save the "
                "model again, or give the file that model.save(path) (--save-model FILE) wrote.")
    kind = _table_kind(path, head)
    if kind:
        return (f"{where} is not a tsauto model file: it looks like a table ({kind}); give the file "
                "that --save-model FILE (model.save(path)) wrote.")
    if _pickled(head):
        return (f"{where} is not a tsauto model file of format {FORMAT_VERSION} or later (it has "
                "no tsauto header; files of the older format 1 are not read because they cannot "
                "be checked before unpickling). Refit the model and save it again.")
    return (f"{where} is not a tsauto model file (it has no tsauto header): give the file that "
            "model.save(path) (--save-model FILE) wrote.")


def _pickled(head: bytes) -> bool:
    """Whether ``head`` starts a pickle (protocol 2 or later) or joblib's zlib-compressed one, as
    files of the older format 1 were."""
    zlib = len(head) > 1 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0
    return head.startswith(b"\x80") or zlib


def _table_kind(path: Path, head: bytes) -> str:
    """'CSV' or 'Parquet' where a file that is no model looks like a table, by its extension or
    its first bytes (a table given in place of the model: the older-format advice would
    mislead); '' otherwise, as for a pickle of the old format 1 (binary, no separators)."""
    suffixes = "".join(path.suffixes).lower()
    if head.startswith(PARQUET_MAGIC) or suffixes.endswith((".parquet", ".pq")):
        return "Parquet"
    if any(k in suffixes for k in (".csv", ".tsv", ".txt")):
        return "CSV"
    try:  # the first line; a character cut at the end of what was read is left out
        first = codecs.getincrementaldecoder("utf-8")().decode(head.split(b"\n", 1)[0])
    except UnicodeDecodeError:
        return ""
    first = first.lstrip("\ufeff").rstrip("\r")
    plain = all(c >= " " or c == "\t" for c in first)
    return "CSV" if plain and any(sep in first for sep in ",;\t|") else ""


def header_digest(header: dict[str, Any]) -> str:
    """SHA-256 of ``header`` without its own ``header_sha256`` field."""
    body = {k: v for k, v in header.items() if k != "header_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _sha256(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _library_versions() -> dict[str, str]:
    out = {}
    for name, dist in LIBRARIES.items():
        if name not in sys.modules and name not in ("numpy", "pandas"):
            continue
        version = getattr(sys.modules.get(name), "__version__", None)
        if version is None:
            try:
                version = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        out[name] = str(version)
    return out


def _release(version: str) -> tuple[int, ...]:
    """``(2, 4, 0)`` from ``"2.4.0rc1"`` or ``"2.13.0+cpu"``."""
    m = re.match(r"\d+(?:\.\d+)*", str(version).strip())
    return tuple(int(x) for x in m.group(0).split(".")) if m else ()
