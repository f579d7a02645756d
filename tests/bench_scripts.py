"""Test helper: a benchmark script loaded as a module under test (they are scripts, not a package)."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@contextlib.contextmanager
def bench_script(relative: str) -> Iterator[ModuleType]:
    """The script ``benchmarks/<relative>`` loaded as ``<stem>_under_test``, with
    ``benchmarks/`` on the path while it is in use (scripts import ``bench_suite`` and
    ``results_file`` beside them) and in ``sys.modules`` (a dataclass looks its module up)."""
    path = BENCH / relative
    name = f"{path.stem}_under_test"
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))
        sys.modules.pop(name, None)
