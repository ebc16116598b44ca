"""Each function registers SnapStart hooks that prepare what its handler uses (imports the real handlers,
whose tracer opens a socket at import: hence the integration tier)."""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("function", "builders"),
    [
        ("ingest", {"ingest_service", "flagger_reports", "principal_store"}),
        ("review", {"review_service", "review_reads", "principal_store"}),
        ("feed", {"feed_store", "outcome_service", "principal_store"}),
        ("admin", {"principal_admin", "stats_service", "principal_store"}),
        ("dispatch", {"dispatcher", "stats_store"}),
        ("forward", {"forwarder"}),
        ("monitor", {"stats_service"}),
    ],
)
def test_each_function_prepares_what_its_handler_uses(
    monkeypatch: pytest.MonkeyPatch, function: str, builders: set[str]
) -> None:
    before: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    after: list[Callable[..., Any]] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda fn, *args: before.append((fn, args))  # type: ignore[attr-defined]
    runtime.register_after_restore = lambda fn, *args: after.append(fn)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    path = REPO / "functions" / function / "handler.py"
    spec = importlib.util.spec_from_file_location(f"snapstart_{function}_handler", path)
    assert spec is not None
    assert spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    ((_, args),) = before
    assert {builder.__name__ for builder in args} == builders
    assert len(after) == 1
