"""What new reports do to their item: create it, or raise its priority, or reopen it after a rejection.

- **Priority** is the most urgent any report asked for; a raise also pulls `due_at` in to the nearer of
  the old deadline and the new priority's. Priority is never lowered, and decided items keep theirs.
- A **rejected** item returns to review only when a flagger who had not reported it before reports it
  now: repeats by the same flaggers cannot force a second look, corroboration by an independent
  flagger does.
- Every report counts (report_count, flaggers, last_seen_at), whatever the item's state.
The store applies an `ItemUpdate` with its guard (the status and priority it was computed from); a
conflict means another writer moved first and the rule is applied again to the item as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flagpost.domain.deadlines import Deadlines
from flagpost.domain.ids import item_id_for
from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.records import QUEUE_DEFAULT, ItemRecord, queue_sort
from flagpost.domain.models.report import Category, Priority, ReportIn
from flagpost.domain.models.times import iso
from flagpost.domain.normalize import Target


@dataclass(frozen=True)
class IncomingReport:
    """A valid report with its canonical target, ready to land."""

    index: int
    report: ReportIn
    target: Target

    @property
    def item_id(self) -> str:
        return item_id_for(self.target.dedup_key)


@dataclass(frozen=True)
class Landed:
    index: int
    report_id: str
    item_id: str
    status: Literal["new", "duplicate"]
    item_status: ItemStatus


@dataclass(frozen=True)
class ItemUpdate:
    """What a group of reports changes on an existing item, and what must still hold for it."""

    count: int
    flaggers: frozenset[str]
    last_seen_at: str
    reopened_from: ItemStatus | None = None  # a rejected item back in review
    priority: Priority | None = None  # raised (or, on reopening, set) to this
    due_at: str | None = None
    queue: str | None = None
    queue_sort: str | None = None
    clear_review: bool = False  # a reopened item starts with no lease and no confirmations
    expect_status: ItemStatus | None = None
    expect_priority: Priority | None = None

    @property
    def status(self) -> ItemStatus | None:
        return ItemStatus.PENDING if self.reopened_from is not None else None


def new_item(
    item_id: str,
    target: dict[str, Any],
    category: Category,
    priority: Priority,
    count: int,
    flagger_id: str,
    now: datetime,
    deadlines: Deadlines,
) -> ItemRecord:
    due = deadlines.due_at(priority, now)
    return ItemRecord(
        item_id=item_id,
        dedup_key=str(target["dedup_key"]),
        target=target,
        category=category,
        priority=priority,
        status=ItemStatus.PENDING,
        report_count=count,
        flaggers=[flagger_id],
        first_seen_at=iso(now),
        last_seen_at=iso(now),
        due_at=iso(due),
        queue=QUEUE_DEFAULT,
        queue_sort=queue_sort(priority, due, item_id),
    )


def plan_update(
    stored: ItemRecord, top: Priority, flagger_id: str, count: int, now: datetime, deadlines: Deadlines
) -> ItemUpdate:
    """The update `count` reports asking for priority `top`, from `flagger_id`, make to `stored`."""
    base = {"count": count, "flaggers": frozenset({flagger_id}), "last_seen_at": iso(now)}
    independent = flagger_id not in stored.flaggers
    if stored.status is ItemStatus.REJECTED and independent:
        priority = Priority.highest(top, stored.priority)
        due = deadlines.due_at(priority, now)
        return ItemUpdate(
            **base,  # type: ignore[arg-type]
            reopened_from=stored.status,
            priority=priority,
            due_at=iso(due),
            queue=QUEUE_DEFAULT,
            queue_sort=queue_sort(priority, due, stored.item_id),
            clear_review=True,
            expect_status=stored.status,
        )
    if top.rank < stored.priority.rank and stored.awaits_review:
        # Corroboration: the most urgent priority any report asked for, and the nearer deadline.
        due = min(datetime.fromisoformat(stored.due_at), deadlines.due_at(top, now))
        return ItemUpdate(
            **base,  # type: ignore[arg-type]
            priority=top,
            due_at=iso(due),
            queue_sort=queue_sort(top, due, stored.item_id) if stored.queue else None,
            expect_status=stored.status,
            expect_priority=stored.priority,
        )
    return ItemUpdate(**base)  # type: ignore[arg-type]
