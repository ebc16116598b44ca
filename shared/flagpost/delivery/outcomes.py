"""What platforms did with confirmed items: recorded on the item, in its history, visible to flaggers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from flagpost.api.problems import ForbiddenError, NotFoundError
from flagpost.delivery.feed import FeedStore
from flagpost.items.store import iso
from flagpost.review.store import DynamoReviewStore, ItemWrite


class OutcomeIn(BaseModel):
    outcome: Literal["removed", "restricted", "no_action", "not_found"]
    acted_at: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=2000)


class OutcomeOut(BaseModel):
    item_id: str
    platform_id: str
    outcome: str
    acted_at: str
    recorded_at: str


def record_outcome(
    items: DynamoReviewStore, feed: FeedStore, platform_id: str, item_id: str, body: OutcomeIn
) -> OutcomeOut:
    """Only a platform the item was routed to may report on it (404 unknown item, 403 not routed)."""
    if items.get(item_id) is None:
        raise NotFoundError("No such item.")
    if platform_id not in feed.routed_platforms(item_id):
        raise ForbiddenError("This item was not sent to your platform.")
    now = datetime.now(UTC)
    acted = body.acted_at or now
    outcome: dict[str, Any] = {
        "platform_id": platform_id,
        "outcome": body.outcome,
        "acted_at": iso(acted),
        "recorded_at": iso(now),
    }
    items.write(
        ItemWrite(
            item_id=item_id,
            update="SET outcomes = list_append(if_not_exists(outcomes, :none), :o)",
            condition="attribute_exists(pk)",
            values={":none": [], ":o": [outcome]},
            event="outcome",
            actor=platform_id,
            at=now,
            note=body.note,
            detail={"outcome": body.outcome, "acted_at": iso(acted)},
        )
    )
    return OutcomeOut(item_id=item_id, **outcome)
