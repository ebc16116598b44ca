"""Integration tier: the real handlers, routed by template.yaml, against moto resources built from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clocks import Clock, idempotency_on  # type: ignore[import-not-found]

from flagpost_local.harness import InProcessStack, in_process_stack
from flagpost_local.receiver import Receiver
from flagpost_local.template import Template


@pytest.fixture
def local_aws(template: Template) -> Iterator[InProcessStack]:
    with in_process_stack(template) as stack:
        yield stack


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """Makes platform endpoints on 127.0.0.1 (`receiver(secret=..., fail_ratio=...)`), stopped afterwards."""
    made: list[Receiver] = []

    def make(**kw: Any) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def idempotency_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock the test moves by hand, which powertools idempotency reads instead of the wall clock.

    Pass it to `run_function_as(..., clock=...)` too, so that invocations' deadlines run on it."""
    clock = Clock()
    idempotency_on(clock, monkeypatch)
    return clock
