"""Waiting in tests: for a condition, never for a duration (every tier imports this as `waiting`).

A busy machine (CI may share a developer's two cores with other work) makes everything slower, so a
test waits until what it expects has happened; the timeout only turns a hang into a failure, and is
never what decides a verdict. Where the product reads a clock (a lease, a cache, a deadline), tests
inject one and move it instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Bounds a hang. Generous on purpose: a slow machine must never reach it, a stuck test must.
HANG_S = 120.0


def wait_until(
    condition: Callable[[], T],
    *,
    timeout_s: float = HANG_S,
    step: Callable[[], object] | None = None,
    interval_s: float = 0.05,
    what: str = "the condition",
) -> T:
    """Check `condition()` until it returns something truthy, and return that.

    Between two checks `step()` runs (say, the event sources of an in-process stack); when there is no
    step, or it reports that it did nothing (a falsy result), the wait sleeps `interval_s` first.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout_s:.0f} s: a hang, not a slow machine")
        if step is None or not step():
            time.sleep(interval_s)
