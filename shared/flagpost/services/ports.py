"""The small interfaces the use cases need from storage, keys and senders (implemented in adapters/).

Each is what one use case calls, no more; tests pass fakes, `flagpost.wiring` the real adapters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from flagpost.domain.ids import Submission
from flagpost.domain.item_changes import ItemChange
from flagpost.domain.models.feed import Attempt, Channel, FeedEntry, Op
from flagpost.domain.models.outcome import OutcomeRecord
from flagpost.domain.models.principal import IssuedCredentials, Principal, Role
from flagpost.domain.models.records import HistoryRecord, Hold, ItemRecord, QueueEntry, ReportRecord

# ------------------------------------------------------------------ principals


class PrincipalDirectory(Protocol):
    """Who is who: what ingest, dispatch and forward read about principals (cached briefly)."""

    def get(self, principal_id: str) -> Principal: ...

    def get_active(self, principal_id: str) -> Principal | None: ...

    def active_platforms(self) -> list[Principal]: ...

    def signing_secrets(self, principal_id: str, *, fresh: bool = False) -> list[str]: ...


class PrincipalRegistry(PrincipalDirectory, Protocol):
    """What admins do to principals."""

    def create(
        self,
        role: Role,
        name: str,
        *,
        domains: list[str] | None = None,
        platform_ids: list[str] | None = None,
        endpoint: str | None = None,
        email: list[str] | None = None,
    ) -> IssuedCredentials: ...

    def all(self) -> list[Principal]: ...

    def rotate(self, principal_id: str) -> IssuedCredentials: ...

    def revoke(self, principal_id: str) -> Principal: ...


# ------------------------------------------------------------------------ ingest


class ReportLanding(Protocol):
    def record_reports(
        self, submission: Submission, reports: Sequence[Any], received_at: datetime | None = None
    ) -> list[Any]: ...


class RateLimiter(Protocol):
    def take(self, principal_id: str, count: int, charge_id: str | None = None) -> None: ...


class Idempotency(Protocol):
    """Runs a submission once per (flagger, webhook-id): a replay gets the first answer, another body
    under the same id a ConflictError."""

    def run(self, submission: dict[str, Any], land: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]: ...

    def register_context(self, context: Any) -> None: ...


# ------------------------------------------------------------------------ review


class ReviewStore(Protocol):
    def apply(self, change: ItemChange) -> None: ...

    def get(self, item_id: str) -> ItemRecord | None: ...

    def hold(self, queue: str, reviewer_id: str) -> Hold | None: ...

    def holds(self, queue: str) -> list[Hold]: ...

    def queue_page(
        self, queue: str, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[QueueEntry], dict[str, Any] | None]: ...

    def queue_entries(self, queue: str) -> Iterator[QueueEntry]: ...

    def list_by_status(
        self,
        parts: Sequence[str],
        lease: Literal["live", "free", "any"],
        now: datetime,
        limit: int,
        cursor: str | None,
        listing: str,
    ) -> tuple[list[ItemRecord], str | None]: ...

    def history(self, item_id: str) -> list[HistoryRecord]: ...

    def notes(self, item_id: str) -> dict[str, str]: ...

    def reports(self, item_id: str, limit: int) -> tuple[list[ReportRecord], bool]: ...

    def descriptions(self, report_ids: Sequence[str]) -> dict[str, str]: ...


class OutcomeStore(Protocol):
    def item(self, item_id: str) -> ItemRecord | None: ...

    def outcome(self, item_id: str, platform_id: str) -> OutcomeRecord | None: ...

    def outcomes(self, item_id: str) -> list[OutcomeRecord]: ...

    def put(
        self, outcome: OutcomeRecord, *, at: datetime, note: str | None, detail: dict[str, Any]
    ) -> OutcomeRecord: ...


# ---------------------------------------------------------------------- delivery


class Feed(Protocol):
    def append_batch(
        self, platform_id: str, changes: Sequence[tuple[Op, dict[str, Any]]], *, channels: Sequence[Channel] = ()
    ) -> list[tuple[FeedEntry, bool]]: ...

    def keep_notice_texts(self, item_id: str, notice: dict[str, Any], texts: Sequence[str | None]) -> None: ...

    def routed_platforms(self, item_id: str) -> Mapping[str, int]: ...

    def read(self, platform_id: str, after: int, limit: int) -> list[FeedEntry]: ...

    def entry(self, platform_id: str, seq: int, channel: Channel = "push") -> FeedEntry | None: ...

    def record_attempt(self, entry: FeedEntry, attempt: int, result: dict[str, Any], delivery: str | None) -> None: ...

    def failed(self, platform_id: str) -> list[tuple[int, Channel]]: ...

    def requeue(self, platform_id: str, seq: int, channel: Channel = "push") -> FeedEntry | None: ...


class ReportReader(Protocol):
    """An item's reports and the texts still kept: what a notice quotes (never fetched content)."""

    def reports(self, item_id: str, limit: int) -> tuple[list[ReportRecord], bool]: ...

    def descriptions(self, report_ids: Sequence[str]) -> dict[str, str]: ...


class StepLog(Protocol):
    """The steps of notices (`flagpost.domain.steps`), one record each, counted when created."""

    def record(self, step: dict[str, Any]) -> None: ...

    def record_all(self, steps: Sequence[dict[str, Any]]) -> None: ...


class AckMarks(Protocol):
    """How far each platform has read its feed: the entries up to the mark are acknowledged."""

    def acknowledged(self, platform_id: str) -> int: ...

    def advance(self, platform_id: str, seen: int, to: int) -> None: ...


class JobQueue(Protocol):
    """The forward queue: a job per entry, channel and round; failed ones parked, retries postponed."""

    def queue(self, entries: Sequence[FeedEntry]) -> None: ...

    def park(self, entry: FeedEntry) -> None: ...

    def postpone(self, receipt_handle: str, delay_s: int) -> None: ...

    def defer(self, entry: FeedEntry, attempts: int, delay_s: int) -> None:
        """Queue the entry's job again, due in `delay_s`, as a new message that carries the attempts
        its round has made (its receives so far, less the one being deferred)."""


@dataclass(frozen=True)
class Admission:
    """May a platform's endpoint be tried now? `wait_s` > 0: no, not for that long (its circuit is
    open); `failing`: its last pushes went unanswered; `probe`: this push is the one probe after a cool-down."""

    wait_s: float
    failing: bool
    probe: bool = False


class CircuitBreaker(Protocol):
    """Per-platform state every forwarder shares: a platform whose endpoint does not answer is left
    alone for a cool-down instead of holding forwarders for each of its jobs."""

    def admit(self, platform_id: str, now: float) -> Admission: ...

    def failed(self, platform_id: str, now: float) -> None: ...

    def succeeded(self, platform_id: str) -> None: ...


class DeliveryChannel(Protocol):
    """One way an entry reaches a platform (push, e-mail): one attempt, classified.

    Raises UnsafeEndpointError, NotFoundError or PushRefusedError when the attempt must not be
    retried, UnavailableError when a dependency failed before anything was sent, PushTransportError
    when the receiver gave no answer (both retried later).
    """

    def send(self, platform: Principal, entry: FeedEntry) -> Attempt: ...


class Pusher(Protocol):
    """Sends one signed entry to an endpoint: (HTTP status, latency in ms, Retry-After header)."""

    def check(self, endpoint: str) -> None: ...

    def post(self, endpoint: str, body: bytes, headers: dict[str, str]) -> tuple[int, float, str | None]: ...


class Mailer(Protocol):
    """Sends one raw MIME message; returns the provider's message id. PushTransportError when it may
    be tried again (throttled, unavailable), PushRefusedError when it never will (rejected)."""

    def send(self, sender: str, recipients: Sequence[str], raw: bytes) -> str: ...


# ----------------------------------------------------------------------- stats


class StatsNotAppliedError(Exception):
    """Counting stopped at `index` (of the changes given): it and those after it may not be counted."""

    def __init__(self, index: int, cause: str) -> None:
        super().__init__(f"statistics not applied from change {index}: {cause}")
        self.index = index


class CountingStore(Protocol):
    def apply_batch(self, changes: Sequence[tuple[str, Counter[str]]]) -> int: ...


class Counters(Protocol):
    def counters(self) -> dict[str, int]: ...

    def add(self, counter: str, value: int = 1) -> None: ...


class OverdueCount(Protocol):
    def count_overdue(self, now: datetime, queues: Sequence[str] = ("default", "escalated")) -> int: ...


class QueueTotals(Protocol):
    def queue_totals(self, queues: Sequence[str]) -> dict[str, int]: ...

    def values(self, counters: Sequence[str]) -> dict[str, int]: ...


class Names(Protocol):
    def name_of(self, principal_id: str) -> str | None: ...
