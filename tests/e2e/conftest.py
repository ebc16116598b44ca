"""E2E tier: `flagpost local` in its own process on a free loopback port, driven over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flagpost.local.process import RunningStack, start_local

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_local(tmp_path_factory.mktemp("local"), cwd=REPO)
    yield stack
    stack.stop()
