"""The review rules as changes to an item: exclusive leases, decide once, four eyes, escalation, retraction.

Each rule reads an item as stored and returns an `ItemChange`: what to set, and the `Guard` of what
must still hold when the change lands (the lease, the priority, the confirmations so far). A store
applies the change atomically with its history entry, or raises `WriteConflictError` when the guard
no longer holds; the rule is then applied again to the item as it is now. Nothing here knows how a
store expresses this (docs/review.md explains the choice of leases over locks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from flagpost.domain.errors import ConflictError
from flagpost.domain.models.item import Decision, ItemStatus
from flagpost.domain.models.records import QUEUE_ESCALATED, ItemRecord, QueueEntry
from flagpost.domain.models.report import Category, Priority
from flagpost.domain.models.review import DecisionIn
from flagpost.domain.models.times import iso


def confirmations_required(priority: Priority) -> int:
    """Threat-to-life items need two reviewers to confirm (four eyes); others one."""
    return 2 if priority is Priority.THREAT_TO_LIFE else 1


@dataclass(frozen=True)
class Guard:
    """What must still hold of the stored item when a change lands."""

    status: ItemStatus | None = None
    # A live lease held by this reviewer under this id, still unexpired when the change lands.
    lease_id: str | None = None
    holder: str | None = None
    lease_live_at: str | None = None  # the lease must be live at this time (the change's own time if unset)
    priority: Priority | None = None
    # Exactly this many confirmations so far (0: none), and none of them by `not_confirmed_by`.
    confirmation_count: int | None = None
    not_confirmed_by: str | None = None
    # Claims: the item is still at this place in this queue, under no lease or the expired one seen.
    queue: str | None = None
    queue_sort: str | None = None
    expired_lease_seen: str | None = None
    no_lease: bool = False


@dataclass(frozen=True)
class LeaseChange:
    grant_to: str | None = None  # a new lease: holder
    lease_id: str | None = None
    expires_at: str | None = None  # granted or renewed until
    release: bool = False


@dataclass(frozen=True)
class ItemChange:
    """One change of an item and the history entry that records it."""

    item_id: str
    event: str
    actor: str
    at: datetime
    guard: Guard
    detail: dict[str, Any] = field(default_factory=dict)
    lease_id: str | None = None  # of the history entry
    note: str | None = None  # free text: its own expiring record, referred to by note_id
    note_id: str | None = None
    status: ItemStatus | None = None
    queue: str | None = None  # moves to this queue
    leave_queue: bool = False
    category: Category | None = None
    decision: dict[str, Any] | None = None  # appended to the decisions
    add_confirmation: str | None = None
    clear_confirmations: bool = False
    add_platforms: frozenset[str] = frozenset()
    decided_at: str | None = None
    retraction: dict[str, Any] | None = None
    lease: LeaseChange | None = None
    claimed_at: str | None = None  # kept only if the item was never claimed before


# ------------------------------------------------------------------------- leases


def plan_claim(
    entry: QueueEntry, reviewer_id: str, lease_id: str, now: datetime, length: timedelta
) -> ItemChange | None:
    """Lease a queue entry to the reviewer, or None when it is not theirs to take (leased, or they
    confirmed it already: four eyes). Pinned to what the index showed; a stale entry only costs a
    failed guard, never a double lease."""
    if entry.lease_active(now) or reviewer_id in entry.confirmations:
        return None
    expires = iso(now + length)
    detail: dict[str, Any] = {"queue": entry.queue, "expires_at": expires}
    if entry.lease_holder:
        detail["after_expired_lease_of"] = entry.lease_holder
    return ItemChange(
        item_id=entry.item_id,
        event="claimed",
        actor=reviewer_id,
        at=now,
        lease_id=lease_id,
        detail=detail,
        guard=Guard(
            queue=entry.queue,
            queue_sort=entry.queue_sort,
            expired_lease_seen=entry.lease_expires_at,
            no_lease=entry.lease_expires_at is None,
            not_confirmed_by=reviewer_id,
        ),
        lease=LeaseChange(grant_to=reviewer_id, lease_id=lease_id, expires_at=expires),
        claimed_at=iso(now),
    )


def require_lease(record: ItemRecord, reviewer_id: str, lease_id: str, now: datetime) -> None:
    """409 unless the reviewer holds this live lease on an item that still awaits review, saying why."""
    if not record.awaits_review:
        raise ConflictError(f"The item was already decided: it is {record.status.value}.")
    if record.lease_id != lease_id or record.lease_holder != reviewer_id:
        raise ConflictError("You do not hold this lease: it was released, expired or is someone else's.")
    if not record.lease_active(now):
        raise ConflictError("Your lease on this item has expired; claim it again.")


def _lease_guard(record: ItemRecord, reviewer_id: str, lease_id: str, **more: Any) -> Guard:
    return Guard(status=record.status, lease_id=lease_id, holder=reviewer_id, **more)


def plan_lease(
    record: ItemRecord,
    reviewer_id: str,
    lease_id: str,
    action: Literal["renew", "release"],
    now: datetime,
    length: timedelta,
) -> ItemChange:
    require_lease(record, reviewer_id, lease_id, now)
    renew = action == "renew"
    expires = iso(now + length)
    return ItemChange(
        item_id=record.item_id,
        event="lease_renewed" if renew else "lease_released",
        actor=reviewer_id,
        at=now,
        lease_id=lease_id,
        detail={"expires_at": expires} if renew else {},
        guard=_lease_guard(record, reviewer_id, lease_id),
        lease=LeaseChange(expires_at=expires) if renew else LeaseChange(release=True),
    )


# ---------------------------------------------------------------------- decisions


def plan_decision(
    record: ItemRecord, reviewer_id: str, decision: DecisionIn, now: datetime, note_id: str | None
) -> ItemChange:
    """Confirm, reject or escalate the item the reviewer holds the lease on, by the rule for the item
    as stored: its priority and the confirmations so far are part of the guard."""
    require_lease(record, reviewer_id, decision.lease_id, now)
    prior = set(record.confirmations)
    entry = Decision(
        decision=decision.decision,
        reviewer_id=reviewer_id,
        at=now,
        category=decision.category,
        reason=decision.reason.value if decision.reason else None,
        platforms=decision.platforms or [],
    )
    # The decision keeps a reference to its note; the text lives in a record that expires.
    stored = entry.model_dump(mode="json", exclude_none=True) | ({"note_id": note_id} if note_id else {})
    base: dict[str, Any] = {
        "item_id": record.item_id,
        "actor": reviewer_id,
        "at": now,
        "lease_id": decision.lease_id,
        "note": decision.note,
        "note_id": note_id,
        "decision": stored,
        "lease": LeaseChange(release=True),
        "guard": _lease_guard(
            record,
            reviewer_id,
            decision.lease_id,
            priority=record.priority,
            confirmation_count=len(prior),
            not_confirmed_by=reviewer_id if prior else None,
        ),
    }
    detail: dict[str, Any] = {"from": record.status.value}
    if decision.decision == "confirm":
        return _confirm(record, reviewer_id, decision, prior, base, detail, now)
    if decision.decision == "reject":
        detail["reason"] = decision.reason.value if decision.reason else None
        return ItemChange(
            **base,
            event="rejected",
            detail=detail,
            status=ItemStatus.REJECTED,
            decided_at=iso(now),
            leave_queue=True,
            clear_confirmations=True,
        )
    if record.queue == QUEUE_ESCALATED:
        raise ConflictError("The item is already in the escalated queue; confirm or reject it.")
    return ItemChange(**base, event="escalated", detail=detail, status=ItemStatus.ESCALATED, queue=QUEUE_ESCALATED)


def _confirm(
    record: ItemRecord,
    reviewer_id: str,
    decision: DecisionIn,
    prior: set[str],
    base: dict[str, Any],
    detail: dict[str, Any],
    now: datetime,
) -> ItemChange:
    if reviewer_id in prior:
        raise ConflictError("You already confirmed this item; a second reviewer must confirm it.")
    required = confirmations_required(record.priority)
    if decision.category is not None:
        detail["category"] = {"from": record.category.value, "to": decision.category.value}
    if decision.platforms:
        detail["platforms"] = decision.platforms
    detail |= {"confirmations": len(prior) + 1, "required": required}
    final = len(prior) + 1 >= required
    return ItemChange(
        **base,
        # Four eyes: short of the required confirmations the item stays in its queue, where claims
        # skip this reviewer.
        event="confirmed" if final else "first_confirmation",
        detail=detail,
        add_confirmation=reviewer_id,
        category=decision.category,
        add_platforms=frozenset(decision.platforms or ()),
        status=ItemStatus.CONFIRMED if final else None,
        decided_at=iso(now) if final else None,
        leave_queue=final,
    )


def plan_retract(record: ItemRecord, reviewer_id: str, reason: str, now: datetime, note_id: str) -> ItemChange:
    """A confirmed item becomes retracted; platforms then receive a tombstone. The reason is free text:
    it expires with the notes."""
    if record.status is not ItemStatus.CONFIRMED:
        raise ConflictError(f"Only a confirmed item can be retracted; this one is {record.status.value}.")
    return ItemChange(
        item_id=record.item_id,
        event="retracted",
        actor=reviewer_id,
        at=now,
        note=reason,
        note_id=note_id,
        guard=Guard(status=ItemStatus.CONFIRMED),
        status=ItemStatus.RETRACTED,
        retraction={"reviewer_id": reviewer_id, "at": iso(now), "note_id": note_id},
    )
