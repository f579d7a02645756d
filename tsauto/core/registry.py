"""The learner registry shared by every task: name → entry, explicit, with lazy imports.

An entry is whatever a task needs to build its learner (a module path to import lazily, a
factory, a search space, a cost hint); the registry only keeps them by name, refuses duplicates
and unknown names with the list of known ones, and orders them cheapest first.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol, TypeVar

from tsauto.core.exceptions import DataValidationError


class HasCost(Protocol):
    cost: float


E = TypeVar("E", bound=HasCost)


@dataclass(frozen=True)
class LazyEntry:
    """A learner class named by module and attribute, imported on first use (heavy libraries
    such as torch or prophet load only when their learner is built). ``cost``: relative to the
    cheapest learners (the search tries cheap ones first)."""

    module: str
    cls: str
    cost: float = 1.0

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.cls)


class Registry(dict[str, E]):
    """Entries by name, for one kind of learner (``what`` names it in messages). A plain dict,
    except that an unknown name is a clear error listing the known ones."""

    def __init__(self, what: str, entries: dict[str, E] | None = None):
        super().__init__()
        self.what = what
        for name, entry in (entries or {}).items():
            self.add(name, entry)

    def add(self, name: str, entry: E) -> None:
        """Register ``entry`` as ``name``; a name registered twice is an error."""
        if name in self:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self[name] = entry

    def __missing__(self, name: str) -> E:
        raise DataValidationError(
            f"unknown {self.what} {name!r}; registered: {', '.join(self.names())}."
        )

    def names(self) -> list[str]:
        """Registered names, cheapest first."""
        return sorted(self, key=lambda n: (self[n].cost, n))
