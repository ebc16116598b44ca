"""An item: one per target, carrying its reports' provenance, its review state and its decisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from flagpost.domain.models.report import Category, Priority


class ItemStatus(StrEnum):
    PENDING = "pending"
    IN_REVIEW = "in_review"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    ESCALATED = "escalated"
    RETRACTED = "retracted"

    @property
    def awaits_review(self) -> bool:
        return self in (ItemStatus.PENDING, ItemStatus.ESCALATED)


class Decision(BaseModel):
    decision: Literal["confirm", "reject", "escalate"]
    reviewer_id: str
    at: datetime
    category: Category | None = None
    reason: str | None = None
    platforms: list[str] = Field(default_factory=list)
    note: str | None = Field(
        default=None,
        description="the reviewer's note: in decision answers and item details, not in listings; "
        "null once the retention period deleted it",
    )


class Item(BaseModel):
    item_id: str
    target: dict[str, Any]
    category: Category
    priority: Priority
    status: ItemStatus
    report_count: int
    flaggers: list[str]
    first_seen_at: datetime
    last_seen_at: datetime
    due_at: datetime
    decisions: list[Decision] = Field(default_factory=list)
    queue: Literal["default", "escalated"] | None = Field(
        default=None, description="the review queue the item waits in; absent once decided"
    )
    overdue: bool = Field(default=False, description="awaiting review past its due_at")
