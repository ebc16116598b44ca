"""SnapStart hooks: what is prepared before the snapshot, and what a restored environment must not share."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from flagpost import lazy, snapstart
from flagpost.domain.ids import new_lease_id, new_note_id


class FakeRuntime:
    """Stands in for the snapshot_restore_py library the Python managed runtimes include."""

    def __init__(self) -> None:
        self.before: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self.after: list[Callable[..., Any]] = []

    def module(self) -> types.ModuleType:
        module = types.ModuleType("snapshot_restore_py")
        module.register_before_snapshot = lambda fn, *args: self.before.append((fn, args))  # type: ignore[attr-defined]
        module.register_after_restore = lambda fn, *args: self.after.append(fn)  # type: ignore[attr-defined]
        return module


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    fake = FakeRuntime()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake.module())
    return fake


def test_without_a_snapstart_runtime_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as outside Lambda
    assert snapstart.prepare(lambda: None) is False


def test_before_the_snapshot_the_builders_run_and_nothing_built_is_kept(runtime: FakeRuntime) -> None:
    built: list[object] = []

    @lazy.lazy
    def thing() -> object:
        built.append(object())
        return built[-1]

    assert snapstart.prepare(thing) is True
    ((hook, args),) = runtime.before
    hook(*args)
    assert len(built) == 1
    assert thing() is not built[0], "what was built before the snapshot is built again after it"


def test_restored_environments_draw_their_own_randomness(runtime: FakeRuntime) -> None:
    snapstart.prepare()
    (restore,) = runtime.after
    random.seed(7)
    snapshot = random.getstate()  # what every environment resumed from one snapshot starts with
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        restore()
        draws.append([random.random() for _ in range(4)])
    assert draws[0] != draws[1]


def test_restore_forgets_clients_built_before_the_snapshot(runtime: FakeRuntime) -> None:
    snapstart.prepare()
    (restore,) = runtime.after

    @lazy.lazy
    def client() -> object:
        return object()

    before = client()
    restore()
    assert client() is not before


def test_identifiers_do_not_come_from_the_shared_random_state() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    for _ in range(2):
        random.seed(7)  # two environments resumed from one snapshot, before any re-seeding
        ids.append((new_note_id(at), new_lease_id()))
    assert ids[0][0] != ids[1][0]
    assert ids[0][1] != ids[1][1]
