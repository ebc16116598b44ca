"""Platform routes: the pull feed of confirmed and retracted items, and outcomes."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from flagpost.adapters.http import deps
from flagpost.adapters.http.auth import BEARER_SECURITY
from flagpost.adapters.http.params import ItemId
from flagpost.adapters.http.problems import problem_responses
from flagpost.domain.errors import MalformedInputError, UnavailableError
from flagpost.domain.models.feed import FeedEntry, InvalidCursorError, decode_cursor, encode_cursor
from flagpost.domain.models.outcome import OutcomeIn, OutcomeOut
from flagpost.observability import logger
from flagpost.services.outcomes import OutcomeService
from flagpost.services.ports import Feed
from flagpost.services.steps import FeedAcknowledger

router = Router()  # type: ignore[no-untyped-call]
# A Lambda answers with at most 6 MB: a page stops short of this many bytes of entries (notices with
# long explanations are large), and the cursor resumes after the last entry it holds.
FEED_PAGE_BYTES = 4 * 1024 * 1024


class Entry(BaseModel):
    seq: int
    op: str
    # The stored view verbatim, byte for byte what the push and the e-mail's attachment carry.
    item: dict[str, object] = Field(
        description="the platform's view of the item with its DSA Art. 16(2) notice (docs/contract.md)"
    )


class FeedPage(BaseModel):
    entries: list[Entry]
    next_cursor: str


@router.get(
    "/v1/feed",
    summary="Your feed: upserts and retractions in seq order; resume from next_cursor",
    tags=["platform"],
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403),
)
def read_feed(
    platform: deps.Platform,
    feed: Annotated[Feed, Depends(deps.feed)],
    acks: Annotated[FeedAcknowledger, Depends(deps.feed_acks)],
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FeedPage:
    try:
        after = decode_cursor(cursor)
    except InvalidCursorError:
        raise MalformedInputError("The cursor is not one this feed gave out.") from None
    try:
        acks.acknowledge(platform.id, after)  # reading on from a cursor acknowledges what came before it
    except UnavailableError:
        # The mark has not moved: the next read acknowledges these entries; this one is still served.
        logger.warning("feed acknowledgement postponed", extra={"platform_id": platform.id})
    entries: list[FeedEntry] = []
    size = 0
    for entry in feed.read(platform.id, after, limit):
        size += len(json.dumps(entry.public(), separators=(",", ":")))
        if entries and size > FEED_PAGE_BYTES:
            break
        entries.append(entry)
    last = entries[-1].seq if entries else after
    return FeedPage(entries=[Entry(**e.public()) for e in entries], next_cursor=encode_cursor(last))


@router.post(
    "/v1/feed/items/<item_id>/outcome",
    summary="Report what you did with an item sent to you",
    tags=["platform"],
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404, 422),
)
def post_outcome(
    item_id: ItemId,
    outcome: OutcomeIn,
    platform: deps.Platform,
    outcomes: Annotated[OutcomeService, Depends(deps.outcomes)],
) -> OutcomeOut:
    return outcomes.record(platform.id, item_id, outcome)
