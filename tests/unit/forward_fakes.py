"""In-memory stand-ins for the forwarder's ports: one pending push entry, a scripted channel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flagpost.domain.models.feed import Attempt, ChannelState, FeedEntry
from flagpost.domain.models.principal import Principal, Role
from flagpost.services.forward import Forwarder, Job, Policy
from flagpost.services.ports import Admission

CREATED = datetime(2026, 11, 30, tzinfo=UTC)


class FakeFeed:
    def __init__(self, platform_id: str = "pla_1") -> None:
        self.state = ChannelState(delivery="pending")
        self.platform_id = platform_id
        self.log: list[tuple[int, dict[str, Any], str | None]] = []

    def entry(self, platform_id: str, seq: int, channel: str = "push") -> FeedEntry:
        return FeedEntry(platform_id, seq, "upsert", {"item_id": "itm_1"}, CREATED.isoformat(), {"push": self.state})

    def record_attempt(self, entry: FeedEntry, attempt: int, result: dict[str, Any], delivery: str | None) -> None:
        self.log.append((attempt, result, delivery))
        if delivery:
            self.state = ChannelState(delivery=delivery)

    def job(self, receive_count: int, attempts: int = 0) -> Job:
        return Job(self.platform_id, 1, "rh", receive_count, CREATED.timestamp(), attempts=attempts)


class FakeJobs:
    def __init__(self) -> None:
        self.parked: list[FeedEntry] = []
        self.deferred: list[tuple[FeedEntry, int, int]] = []

    def park(self, entry: FeedEntry) -> None:
        self.parked.append(entry)

    def defer(self, entry: FeedEntry, attempts: int, delay_s: int) -> None:
        self.deferred.append((entry, attempts, delay_s))


class FakePrincipals:
    def get(self, principal_id: str) -> Principal:
        return Principal(
            id=principal_id, role=Role.PLATFORM, name="P", created_at=datetime.now(UTC), endpoint="https://p.example/"
        )


class ScriptedChannel:
    def __init__(self, answer: Callable[[], Attempt]) -> None:
        self.answer = answer
        self.calls = 0

    def send(self, platform: Principal, entry: FeedEntry) -> Attempt:
        self.calls += 1
        return self.answer()


def forwarder_for(feed: FakeFeed, jobs: FakeJobs, channel: ScriptedChannel, **kw: Any) -> Forwarder:
    return Forwarder(feed, FakePrincipals(), {"push": channel}, jobs, Policy(), **kw)  # type: ignore[arg-type]


class FakeBreaker:
    """A circuit that is open for `wait_s` (0: closed); records what the forwarder told it."""

    def __init__(self, wait_s: float = 0.0, failing: bool = False) -> None:
        self.wait_s, self.failing = wait_s, failing
        self.failures = 0
        self.successes = 0

    def admit(self, platform_id: str, now: float) -> Admission:
        return Admission(wait_s=self.wait_s, failing=self.failing or self.wait_s > 0)

    def failed(self, platform_id: str, now: float) -> None:
        self.failures += 1

    def succeeded(self, platform_id: str) -> None:
        self.successes += 1
