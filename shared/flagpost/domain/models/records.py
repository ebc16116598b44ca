"""What the stores hold, typed: an item as stored (with its queue keys, lease and confirmations), an
entry of the review queue's index, and a history entry. Times stay in their stored text form
(`iso`), so that conditions compare exactly what was read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flagpost.domain.models.item import Decision, Item, ItemStatus
from flagpost.domain.models.report import Category, Priority
from flagpost.domain.models.times import iso

QUEUE_DEFAULT = "default"
QUEUE_ESCALATED = "escalated"
# Stored statuses that wait for a reviewer (`in_review` is never stored: it is a live lease on one).
AWAITING = (ItemStatus.PENDING, ItemStatus.ESCALATED)


def queue_sort(priority: Priority, due: datetime, item_id: str) -> str:
    """The review queue's sort key: most urgent priority first, then the nearest deadline."""
    return f"{priority.rank}#{iso(due)}#{item_id}"


def note_text(entry: dict[str, Any], notes: dict[str, str]) -> str | None:
    """The text of the note a decision or history entry refers to: None once it expired (or never was).

    Entries written before notes had records of their own carry the text inline.
    """
    found = notes.get(str(entry.get("note_id")), entry.get("note"))
    return None if found is None else str(found)


class LeaseHold(BaseModel):
    """A reviewer's lease as the index and the item carry it."""

    lease_id: str | None = None
    lease_holder: str | None = None
    lease_expires_at: str | None = None

    def lease_active(self, now: datetime) -> bool:
        """A lease holds until its expiry; an expired one is simply ignored (no clean-up job)."""
        return (self.lease_expires_at or "") > iso(now)


class Hold(BaseModel):
    """A reviewer's lease marker for one queue: the item they hold there, under which lease, until when.

    Written in the same transaction as every change of that lease, so a reviewer holds at most one
    lease per queue; an expired one is simply no longer live, as on the item.
    """

    model_config = ConfigDict(extra="ignore")

    queue: str
    reviewer_id: str
    item_id: str | None = None
    lease_id: str | None = None
    lease_expires_at: str | None = None

    def live(self, now: datetime) -> bool:
        return bool(self.lease_id and self.item_id) and (self.lease_expires_at or "") > iso(now)


class QueueEntry(LeaseHold):
    """One entry of the `review-queue` index: the keys, the lease and the confirmations it projects."""

    model_config = ConfigDict(extra="ignore")

    item_id: str
    queue: str
    queue_sort: str
    confirmations: list[str] = Field(default_factory=list)

    @property
    def due_at(self) -> str:
        return self.queue_sort.split("#")[1]  # <rank>#<due_at>#<item_id>


class ItemRecord(LeaseHold):
    """The item as stored. The API's `Item` is a view of it (`to_item`)."""

    model_config = ConfigDict(extra="ignore")

    item_id: str
    dedup_key: str = ""
    target: dict[str, Any]
    category: Category
    priority: Priority
    status: ItemStatus
    report_count: int
    flaggers: list[str] = Field(default_factory=list)
    first_seen_at: str
    last_seen_at: str
    due_at: str
    decisions: list[dict[str, Any]] = Field(default_factory=list)
    queue: str | None = None
    queue_sort: str | None = None
    confirmations: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    decided_at: str | None = None
    retracted_at: str | None = None
    claimed_at: str | None = None  # the first claim: a step of the item's life (flagpost.domain.steps)
    escalated_by: str | None = None  # the last to escalate or dispute
    escalators: list[str] = Field(default_factory=list)  # everyone who escalated or disputed, this round
    disputed_by: str | None = None  # who rejected against a standing confirmation, this round
    retraction_requests: list[str] = Field(default_factory=list)  # reviewers who asked to retract it
    retraction: dict[str, Any] | None = None  # who retracted it, when, and the note of the reason

    @property
    def awaits_review(self) -> bool:
        return self.status in AWAITING

    def held_by(self, reviewer_id: str, lease_id: str, now: datetime) -> bool:
        """Whether the reviewer holds this live lease on the item, which still awaits review."""
        return (
            self.awaits_review
            and self.lease_id == lease_id
            and self.lease_holder == reviewer_id
            and self.lease_active(now)
        )

    def decision_under(self, lease_id: str, reviewer_id: str) -> dict[str, Any] | None:
        """The decision this reviewer made under this lease, if any (a lease carries one decision)."""
        for decision in self.decisions:
            if decision.get("lease_id") == lease_id and decision.get("reviewer_id") == reviewer_id:
                return decision
        return None

    def last_confirmation_at(self) -> str | None:
        times = [str(d["at"]) for d in self.decisions if d.get("decision") == "confirm" and d.get("at")]
        return times[-1] if times else None

    def to_item(self, now: datetime, notes: dict[str, str] | None = None) -> Item:
        """The API's view: `in_review` is a pending or escalated item under a live lease.

        `notes` (note_id -> text) fills in the decisions' notes; without it, or once a note expired,
        they are null.
        """
        notes = notes or {}
        return Item(
            item_id=self.item_id,
            target=self.target,
            category=self.category,
            priority=self.priority,
            status=ItemStatus.IN_REVIEW if self.awaits_review and self.lease_active(now) else self.status,
            report_count=self.report_count,
            flaggers=sorted(self.flaggers),
            first_seen_at=datetime.fromisoformat(self.first_seen_at),
            last_seen_at=datetime.fromisoformat(self.last_seen_at),
            due_at=datetime.fromisoformat(self.due_at),
            decisions=[Decision.model_validate({**d, "note": note_text(d, notes)}) for d in self.decisions],
            queue=self.queue if self.queue in (QUEUE_DEFAULT, QUEUE_ESCALATED) else None,
            overdue=self.awaits_review and self.due_at < iso(now),
        )


class ReportRecord(BaseModel):
    """A report's provenance as stored (its free text lives apart and expires)."""

    model_config = ConfigDict(extra="ignore")

    report_id: str
    report_item: str
    flagger_id: str
    received_at: str
    landed_status: str
    category: Category
    priority: Priority
    index: int = 0
    webhook_id: str = ""
    url: str | None = None
    target_input: dict[str, Any] | None = None
    dedup_key: str = ""
    entity: str | None = None
    language: str | None = None
    observed_at: str | None = None
    external_id: str | None = None
    evidence: dict[str, Any] | None = None


class HistoryRecord(BaseModel):
    """One entry of an item's append-only history; its note, if any, is a separate expiring record."""

    model_config = ConfigDict(extra="ignore")

    at: str
    event: str
    actor: str
    lease_id: str | None = None
    note_id: str | None = None
    note: str | None = None  # entries written before notes had records of their own
    detail: dict[str, Any] = Field(default_factory=dict)


class StreamChange(BaseModel):
    """One change of the items table as its stream tells it: the images before and after (plain values)."""

    event_id: str
    sequence_number: str
    new: dict[str, Any] | None = None
    old: dict[str, Any] | None = None
