"""Versioned save / load of fitted models.

A file holds a header (format name, format version, tsauto version, class) and the pickled
object. Loading refuses, with the reason, a file of another format, of another format version,
or of another class, rather than returning a model that might forecast differently.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TypeVar

import joblib

from tsauto.core.version import VERSION as __version__
from tsauto.core.exceptions import IncompatibleModelError

FORMAT = "tsauto-model"
FORMAT_VERSION = 1

T = TypeVar("T")


def save(obj: object, path: str | Path) -> Path:
    """Write ``obj`` with a versioned header; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tsauto_version": __version__,
        "class": type(obj).__qualname__,
        "object": obj,
    }
    joblib.dump(payload, path, compress=3)
    return path


def load(path: str | Path, cls: type[T]) -> T:
    """Read an object of class ``cls`` written by :func:`save`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no saved model at {str(path)!r}")
    try:
        payload = joblib.load(path)
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, AttributeError,
            ModuleNotFoundError, ImportError) as err:
        raise IncompatibleModelError(
            f"{str(path)!r} is not a tsauto model file this version can read "
            f"({type(err).__name__}: {err}); refit and save it again."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise IncompatibleModelError(f"{str(path)!r} is not a tsauto model file.")
    if payload.get("format_version") != FORMAT_VERSION:
        raise IncompatibleModelError(
            f"{str(path)!r} was written by tsauto {payload.get('tsauto_version')} in model "
            f"format {payload.get('format_version')}; this tsauto ({__version__}) reads format "
            f"{FORMAT_VERSION}. Refit the model with this version, or load it with tsauto "
            f"{payload.get('tsauto_version')}."
        )
    if payload.get("class") != cls.__qualname__:
        raise IncompatibleModelError(
            f"{str(path)!r} holds a {payload.get('class')}, not a {cls.__qualname__}: load it "
            f"with {payload.get('class')}.load."
        )
    return payload["object"]
