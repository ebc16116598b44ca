"""Lease rules: claiming an entry of the queue, renewing and releasing a lease, and why one is not held.

A reviewer holds at most one lease per queue: every lease change moves the reviewer's marker for that
queue (`Hold`) in the same transaction, and a claim lands only while the marker holds no live lease.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from flagpost.domain.errors import ConflictError
from flagpost.domain.item_changes import Guard, HoldChange, ItemChange, LeaseChange
from flagpost.domain.models.records import QUEUE_ESCALATED, ItemRecord, QueueEntry
from flagpost.domain.models.times import iso


def plan_claim(
    entry: QueueEntry,
    reviewer_id: str,
    lease_id: str,
    now: datetime,
    length: timedelta,
    stale_hold: str | None = None,
) -> ItemChange | None:
    """Lease a queue entry to the reviewer, or None when it is not theirs to take (leased, or they
    confirmed it already: four eyes). Pinned to what the index showed; a stale entry only costs a
    failed guard, never a double lease. The reviewer's marker for the queue is taken in the same
    change: it must hold no live lease (but `stale_hold`, a marker whose item no longer agrees)."""
    if entry.lease_active(now) or reviewer_id in entry.confirmations:
        return None
    expires = iso(now + length)
    detail: dict[str, Any] = {"queue": entry.queue, "expires_at": expires}
    if entry.lease_holder:
        detail["after_expired_lease_of"] = entry.lease_holder
        if entry.lease_expires_at:
            detail["expired_at"] = entry.lease_expires_at
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
            not_escalated_by=reviewer_id if entry.queue == QUEUE_ESCALATED else None,
        ),
        lease=LeaseChange(grant_to=reviewer_id, lease_id=lease_id, expires_at=expires),
        claimed_at=iso(now),
        hold=HoldChange(
            queue=entry.queue,
            reviewer_id=reviewer_id,
            action="take",
            lease_id=lease_id,
            item_id=entry.item_id,
            expires_at=expires,
            stale_lease_seen=stale_hold,
        ),
    )


def require_lease(record: ItemRecord, reviewer_id: str, lease_id: str, now: datetime) -> None:
    """409 unless the reviewer holds this live lease on an item that still awaits review, saying which
    case it is: decided, taken by another reviewer, expired, or released."""
    if not record.awaits_review:
        raise ConflictError(f"The item was already decided: it is {record.status.value}.", code="already_decided")
    if record.held_by(reviewer_id, lease_id, now):
        return
    if record.lease_id == lease_id and record.lease_holder == reviewer_id:
        raise ConflictError(
            "Your lease on this item expired and it went back to the queue; claim again to review it.",
            code="lease_expired",
        )
    if record.lease_holder and record.lease_holder != reviewer_id and record.lease_active(now):
        raise ConflictError(
            "Another reviewer holds this item now: your lease ended and they claimed it.", code="lease_taken"
        )
    if record.lease_id is None:
        raise ConflictError(
            "You no longer hold this item: the lease was released (or ended with a decision) and the item "
            "is back in the queue.",
            code="lease_released",
        )
    raise ConflictError("Your lease on this item ended: it expired and was claimed again since.", code="lease_expired")


def lease_guard(record: ItemRecord, reviewer_id: str, lease_id: str, **more: Any) -> Guard:
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
        guard=lease_guard(record, reviewer_id, lease_id),
        lease=LeaseChange(expires_at=expires) if renew else LeaseChange(release=True),
        hold=hold_for(record, reviewer_id, lease_id, "renew" if renew else "clear", expires if renew else None),
    )


def hold_for(
    record: ItemRecord, reviewer_id: str, lease_id: str, action: Literal["renew", "clear"], expires: str | None = None
) -> HoldChange:
    """The marker of the queue the item waits in, where the lease was granted (only decisions, which
    end the lease, move an item between queues)."""
    return HoldChange(
        queue=record.queue or "",
        reviewer_id=reviewer_id,
        action=action,
        lease_id=lease_id,
        item_id=record.item_id,
        expires_at=expires,
    )
