"""E2E tier: `flagpost local` in its own process on a free loopback port, driven over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flagpost_local.process import RunningStack, start_local

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_local(tmp_path_factory.mktemp("local"), cwd=REPO)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def review_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own for the review tests (they drain its queue); stopped after the module, not kept idle."""
    stack = start_local(tmp_path_factory.mktemp("review"), cwd=REPO)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def short_lease_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack whose review leases last 3 seconds, to watch one expire."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FLAGPOST_LEASE_SECONDS", "3")  # start_local passes this process's environment on
        stack = start_local(tmp_path_factory.mktemp("short-lease"), cwd=REPO)
    yield stack
    stack.stop()
