"""A change of an item as the review rules plan it: what to set, and the guard of what must still hold.

A store applies an `ItemChange` atomically with its history entry (and the reviewer's lease marker,
`HoldChange`), or raises `WriteConflictError` when the guard no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.report import Category, Priority


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
    # Escalated items are decided by someone other than the reviewer who escalated them.
    not_escalated_by: str | None = None
    # Retractions: exactly this many reviewers asked so far, none of them `not_requested_by`.
    retraction_request_count: int | None = None
    not_requested_by: str | None = None


@dataclass(frozen=True)
class LeaseChange:
    grant_to: str | None = None  # a new lease: holder
    lease_id: str | None = None
    expires_at: str | None = None  # granted or renewed until
    release: bool = False


@dataclass(frozen=True)
class HoldChange:
    """What a change does to the reviewer's lease marker for the item's queue (`Hold`).

    `take` (a claim) lands only while the reviewer holds no live lease in that queue (or holds the stale
    one the claim saw), so two claims at once by one reviewer lease one item; `renew` and `clear` follow
    the lease they belong to.
    """

    queue: str
    reviewer_id: str
    action: Literal["take", "renew", "clear"]
    lease_id: str
    item_id: str | None = None
    expires_at: str | None = None
    stale_lease_seen: str | None = None


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
    hold: HoldChange | None = None
    escalated_by: str | None = None
    disputed_by: str | None = None
    clear_platforms: bool = False  # a final rejection drops the platforms its round's confirmations named
    add_retraction_request: str | None = None
    claimed_at: str | None = None  # kept only if the item was never claimed before
