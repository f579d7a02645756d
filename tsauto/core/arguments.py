"""Keyword arguments other libraries spell differently: a call that uses one is refused with
tsauto's name for it (``h=12`` -> ``horizon=12``), not Python's bare "unexpected keyword"."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TypeVar

from tsauto.core.exceptions import close_match

F = TypeVar("F", bound=Callable)


def known_arguments(aliases: Mapping[str, str]) -> Callable[[F], F]:
    """Wrap a function or method so that an unknown keyword argument raises a ``TypeError``
    naming what to write instead: ``aliases`` maps other libraries' names (statsforecast's
    ``h``, AutoGluon's ``time_limit``) to the advice, else the closest parameter is suggested.
    The signature is kept (``inspect.signature`` and scikit-learn's ``get_params`` read it)."""

    def wrap(func: F) -> F:
        params = inspect.signature(func).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            raise TypeError(f"{func.__qualname__} takes **kwargs: every name is known to it")
        names = [n for n in params if n != "self"]

        @functools.wraps(func)
        def checked(*args, **kwargs):
            unknown = [k for k in kwargs if k not in params]
            if unknown:
                # the class called (Classifier, not _TabularEstimator), where this is its method: a
                # subclass's own __init__ passing names on is not named with these parameters
                own = "self" in params and args and getattr(type(args[0]), func.__name__, None) is checked
                call = f"{type(args[0]).__name__}.{func.__name__}" if own else func.__qualname__
                call = call.removesuffix(".__init__") + "()"
                hints = [f"{k!r}: " + (aliases[k] if k in aliases else
                                       "not a parameter" + close_match(k, names)) for k in unknown]
                raise TypeError(f"{call} got unexpected keyword argument(s): " + "; ".join(hints)
                                + f". Its parameters: {', '.join(names)}.")
            return func(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return wrap
