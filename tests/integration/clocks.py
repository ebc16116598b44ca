"""A clock tests move by hand, a Lambda context that runs on it, and the libraries that read the time put on it.

Powertools idempotency keeps an interrupted submission "in progress" until the deadline of the
invocation that began it: the time that invocation's context had left, counted from when it marked
the submission, on the wall clock (`datetime.now()` inside powertools). A test that must see a
submission still in progress, and then see it expire, would otherwise race that deadline (or sleep
it out). On a `Clock`, the deadline passes exactly when the test moves the clock past it. Likewise the
Standard Webhooks library checks a signature's timestamp against its own `datetime.now()`: a test of
the 5-minute window's edge puts that check on a `Clock` instead of racing the wall clock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import base as idempotency_base
from aws_lambda_powertools.utilities.idempotency.persistence import base as persistence_base
from aws_lambda_powertools.utilities.idempotency.persistence import datarecord, dynamodb
from standardwebhooks import webhooks as webhooks_library

# Every powertools idempotency module that reads the time: each reads it as `dt.datetime.now()`.
POWERTOOLS_IDEMPOTENCY_MODULES = (idempotency_base, persistence_base, dynamodb, datarecord)


class Clock:
    """Unix time in seconds that stands still until `advance()` moves it (starts at the real time)."""

    def __init__(self, at: float | None = None) -> None:
        self.now = time.time() if at is None else at
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class ClockedContext:
    """A Lambda context whose remaining time runs on `clock`: the function's whole timeout from when
    the invocation began, less what the clock has moved since."""

    def __init__(self, context: Any, clock: Clock) -> None:
        self._context = context
        self._clock = clock
        self._deadline = clock() + context.timeout_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))


def _datetime_on(clock: Clock) -> type[dt.datetime]:
    class ClockedDatetime(dt.datetime):
        """`datetime`, except that `now()` reads `clock`."""

        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> ClockedDatetime:
            return cls.fromtimestamp(clock(), tz)

    return ClockedDatetime


def _datetime_module_on(clock: Clock) -> Any:
    class DatetimeOnClock(ModuleType):
        """The datetime module, except that `datetime.now()` reads `clock`."""

        datetime = _datetime_on(clock)

        def __getattr__(self, name: str) -> Any:
            return getattr(dt, name)

    return DatetimeOnClock("datetime")


def idempotency_on(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make powertools idempotency read `clock` wherever it reads the time (for this test only)."""
    shim = _datetime_module_on(clock)
    for module in POWERTOOLS_IDEMPOTENCY_MODULES:
        # If powertools ever reads the time another way, fail here rather than race the wall clock.
        assert getattr(module, "dt", None) is dt, f"{module.__name__} no longer reads the time as dt.datetime"
        monkeypatch.setattr(module, "dt", shim)


def signature_window_on(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the Standard Webhooks library check a signature's timestamp against `clock` (for this test)."""
    read_as = getattr(webhooks_library, "datetime", None)
    assert read_as is dt.datetime, "standardwebhooks no longer reads the time as datetime.now()"
    monkeypatch.setattr(webhooks_library, "datetime", _datetime_on(clock))


def datetimes_on(clock: Clock, monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> None:
    """Make `datetime.now()` in these modules (each imports the `datetime` class) read `clock`."""
    shim = _datetime_on(clock)
    for module in modules:
        assert getattr(module, "datetime", None) is dt.datetime, f"{module.__name__} no longer reads datetime.now()"
        monkeypatch.setattr(module, "datetime", shim)
