"""The review rules as changes to an item: decide once, four eyes, escalation, retraction (and, from
`lease_rules`, exclusive leases, one per reviewer and queue).

Each rule reads an item as stored and returns an `ItemChange`: what to set, and the `Guard` of what
must still hold when the change lands (the lease, the priority, the confirmations so far). A store
applies the change atomically with its history entry, or raises `WriteConflictError` when the guard
no longer holds; the rule is then applied again to the item as it is now. Nothing here knows how a
store expresses this (docs/review.md explains the choice of leases over locks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flagpost.domain.errors import ConflictError
from flagpost.domain.item_changes import Guard, HoldChange, ItemChange, LeaseChange
from flagpost.domain.lease_rules import hold_for, lease_guard, plan_claim, plan_lease, require_lease
from flagpost.domain.models.item import Decision, ItemStatus
from flagpost.domain.models.records import QUEUE_ESCALATED, ItemRecord
from flagpost.domain.models.report import Priority
from flagpost.domain.models.review import DecisionIn
from flagpost.domain.models.times import iso

__all__ = [
    "Guard",
    "HoldChange",
    "ItemChange",
    "LeaseChange",
    "confirmations_required",
    "plan_claim",
    "plan_decision",
    "plan_lease",
    "plan_retract",
    "require_lease",
    "same_decision",
]


def confirmations_required(priority: Priority) -> int:
    """Threat-to-life items need two reviewers to confirm (four eyes); others one."""
    return 2 if priority is Priority.THREAT_TO_LIFE else 1


# ---------------------------------------------------------------------- decisions


def plan_decision(
    record: ItemRecord, reviewer_id: str, decision: DecisionIn, now: datetime, note_id: str | None
) -> ItemChange:
    """Confirm, reject or escalate the item the reviewer holds the lease on, by the rule for the item
    as stored: its priority and the confirmations so far are part of the guard."""
    require_lease(record, reviewer_id, decision.lease_id, now)
    if record.queue == QUEUE_ESCALATED and reviewer_id in {record.escalated_by, *record.escalators}:
        raise ConflictError("You escalated this item: another reviewer decides it.", code="escalated_by_you")
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
    stored = entry.model_dump(mode="json", exclude_none=True) | {"lease_id": decision.lease_id}
    if note_id:
        stored["note_id"] = note_id
    base: dict[str, Any] = {
        "item_id": record.item_id,
        "actor": reviewer_id,
        "at": now,
        "lease_id": decision.lease_id,
        "note": decision.note,
        "note_id": note_id,
        "decision": stored,
        "lease": LeaseChange(release=True),
        "hold": hold_for(record, reviewer_id, decision.lease_id, "clear"),
        "guard": lease_guard(
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
        disputed = sorted(prior - {reviewer_id})
        if disputed and record.disputed_by is None:
            # Four eyes cut both ways: a colleague confirmed this item, so one reviewer's rejection does
            # not overturn it, in whichever queue. The disagreement goes to another reviewer (the
            # escalated queue), who decides with the confirmation still counted; neither of the two may
            # decide it again. A rejection after a dispute is the second voice against it: final.
            detail["disputes"] = disputed
            return ItemChange(
                **base,
                event="disputed",
                detail=detail,
                status=ItemStatus.ESCALATED,
                queue=QUEUE_ESCALATED,
                escalated_by=reviewer_id,
                disputed_by=reviewer_id,
            )
        return ItemChange(
            **base,
            event="rejected",
            detail=detail,
            status=ItemStatus.REJECTED,
            decided_at=iso(now),
            leave_queue=True,
            clear_confirmations=True,
            clear_platforms=True,
        )
    if record.queue == QUEUE_ESCALATED:
        raise ConflictError("The item is already in the escalated queue; confirm or reject it.", code="escalated")
    return ItemChange(
        **base,
        event="escalated",
        detail=detail,
        status=ItemStatus.ESCALATED,
        queue=QUEUE_ESCALATED,
        escalated_by=reviewer_id,
    )


def same_decision(stored: dict[str, Any], decision: DecisionIn) -> bool:
    """Whether a decision request repeats the stored one (a retry): same verdict, category, reason and
    platforms. The note is free text and does not make it another decision."""
    asked = {
        "decision": decision.decision,
        "category": decision.category.value if decision.category else None,
        "reason": decision.reason.value if decision.reason else None,
        "platforms": sorted(decision.platforms or []),
    }
    landed = {key: stored.get(key) for key in ("decision", "category", "reason")}
    landed["platforms"] = sorted(stored.get("platforms") or [])
    return asked == landed


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
        raise ConflictError(
            "You already confirmed this item; a second reviewer must confirm it.", code="already_confirmed"
        )
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
    """A confirmed item becomes retracted; platforms then receive a tombstone. What two reviewers
    confirmed (threat_to_life) two reviewers retract: the first asks (event `retraction_requested`, the
    item stays confirmed), a second, different reviewer agreeing retracts it. The reason is free text:
    it expires with the notes."""
    if record.status is not ItemStatus.CONFIRMED:
        raise ConflictError(
            f"Only a confirmed item can be retracted; this one is {record.status.value}.", code="not_confirmed"
        )
    asked = set(record.retraction_requests)
    if reviewer_id in asked:
        raise ConflictError(
            "You already asked to retract this item; another reviewer must agree.", code="retraction_requested_by_you"
        )
    required = confirmations_required(record.priority)
    base: dict[str, Any] = {
        "item_id": record.item_id,
        "actor": reviewer_id,
        "at": now,
        "note": reason,
        "note_id": note_id,
        "guard": Guard(
            status=ItemStatus.CONFIRMED,
            retraction_request_count=len(asked),
            not_requested_by=reviewer_id if asked else None,
        ),
    }
    if len(asked) + 1 < required:
        return ItemChange(
            **base,
            event="retraction_requested",
            detail={"requests": len(asked) + 1, "required": required},
            add_retraction_request=reviewer_id,
        )
    detail = {"agreed_with": sorted(asked)} if asked else {}
    return ItemChange(
        **base,
        event="retracted",
        detail=detail,
        add_retraction_request=reviewer_id if asked else None,
        status=ItemStatus.RETRACTED,
        retraction={"reviewer_id": reviewer_id, "at": iso(now), "note_id": note_id},
    )
