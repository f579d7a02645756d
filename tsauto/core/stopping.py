"""Deadlines inside long native fits: a LightGBM callback that stops a fit past its time."""

from __future__ import annotations

import time

from tsauto.core.exceptions import TimeLimitExceeded


class LightGBMDeadline:
    """LightGBM callback: raise :class:`TimeLimitExceeded` once ``time.monotonic()`` passes
    ``deadline`` (checked every ``every`` iterations)."""

    order = 0

    def __init__(self, deadline: float, every: int = 1):
        self.deadline = deadline
        self.every = every

    def __call__(self, env) -> None:
        if env.iteration % self.every == 0 and time.monotonic() > self.deadline:
            raise TimeLimitExceeded(f"LightGBM stopped at iteration {env.iteration}: time is up")
