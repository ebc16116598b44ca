"""Reviewer routes: claim, renew or release a lease, decide, retract, list and read items, queue counts.

Reviewers only: admins read statistics through /v1/stats, not the queue (docs/review.md).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from flagpost.adapters.http import deps
from flagpost.adapters.http.auth import BEARER_SECURITY
from flagpost.adapters.http.params import ItemId
from flagpost.adapters.http.problems import problem_responses
from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.review import (
    Claimed,
    ClaimIn,
    DecisionIn,
    DecisionOut,
    Holdings,
    ItemDetail,
    ItemList,
    LeaseIn,
    LeaseOut,
    PlatformList,
    QueueCounts,
    RetractIn,
)
from flagpost.services.review import ReviewService
from flagpost.services.review_reads import ReviewReads

router = Router()  # type: ignore[no-untyped-call]

TAGS = ["reviewer"]
Desk = Annotated[ReviewService, Depends(deps.review)]
Reads = Annotated[ReviewReads, Depends(deps.review_reads)]


@router.post(
    "/v1/review/claim",
    summary="Lease the most urgent item awaiting review (priority, then due_at)",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses={
        200: {"description": "The item and your lease", "content": {"application/json": {"model": Claimed}}},
        204: {"description": "Nothing awaits review in this queue"},
        **problem_responses(400, 401, 403, 422, 503),
    },
)
def claim(reviewer: deps.Reviewer, desk: Desk, body: Annotated[ClaimIn | None, Body()] = None) -> Response[str]:
    claimed = desk.claim(reviewer.id, (body or ClaimIn()).queue)
    if claimed is None:
        return Response(status_code=204, body="")
    return Response(status_code=200, content_type="application/json", body=claimed.model_dump_json())


@router.get(
    "/v1/review/leases",
    summary="The leases you hold now (at most one per queue), each with its item",
    description="What a reopened console shows again: claiming in a queue where you hold a lease answers "
    "with that item (`already_held` true) instead of leasing another.",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 503),
)
def leases(reviewer: deps.Reviewer, desk: Desk) -> Holdings:
    return Holdings(leases=desk.holdings(reviewer.id))


@router.get(
    "/v1/review/platforms",
    summary="The active platforms a confirmation may name in `platforms`",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 503),
)
def platforms(reviewer: deps.Reviewer, desk: Desk) -> PlatformList:
    del reviewer
    return desk.platform_options()


@router.post(
    "/v1/review/items/<item_id>/lease",
    summary="Renew or release your lease on an item",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def lease(item_id: ItemId, body: LeaseIn, reviewer: deps.Reviewer, desk: Desk) -> LeaseOut:
    return desk.lease(reviewer.id, item_id, body.lease_id, body.action)


@router.post(
    "/v1/review/items/<item_id>/decision",
    summary="Confirm, reject (with a reason) or escalate the item you hold the lease on",
    description="409 when the lease is not held (the problem's `code` says which: lease_expired, "
    "lease_taken, lease_released, already_decided, escalated_by_you) or the item is decided. threat_to_life "
    "items need confirmations from two different reviewers (`outcome` first_confirmation after the first); "
    "rejecting an item a colleague confirmed once sends it to the escalated queue for a third reviewer "
    "(`outcome` disputed). "
    "Sending the same decision again under the same lease (a retry) answers what landed, `repeated` true.",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def decide(item_id: ItemId, body: DecisionIn, reviewer: deps.Reviewer, desk: Desk) -> DecisionOut:
    return desk.decide_out(reviewer.id, item_id, body)


@router.post(
    "/v1/review/items/<item_id>/retract",
    summary="Retract a confirmed item (platforms then receive a tombstone)",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
)
def retract(item_id: ItemId, body: RetractIn, reviewer: deps.Reviewer, desk: Desk) -> DecisionOut:
    return desk.retract_out(reviewer.id, item_id, body.reason)


@router.get(
    "/v1/review/items",
    summary="Items of one status, oldest due_at first (overdue items carry overdue=true)",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 422, 503),
)
def list_items(
    reviewer: deps.Reviewer,
    reads: Reads,
    status: Annotated[ItemStatus, Query()] = ItemStatus.PENDING,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    url: Annotated[
        str | None,
        Query(
            max_length=4096,
            description="find the item of this URL, in any spelling (normalised as ingest normalises it); "
            "status, limit and cursor are then ignored",
        ),
    ] = None,
) -> ItemList:
    del reviewer
    if url is not None:
        return reads.find_by_url(url)
    return reads.list_items(status, limit, cursor)


@router.get(
    "/v1/review/items/<item_id>",
    summary="One item with its reports and its full, append-only history",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 422, 503),
)
def get_item(item_id: ItemId, reviewer: deps.Reviewer, reads: Reads) -> ItemDetail:
    del reviewer
    return reads.detail(item_id)


@router.get(
    "/v1/review/queue",
    summary="How many items wait, are leased and are overdue in each queue",
    tags=TAGS,
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 503),
)
def queue_counts(reviewer: deps.Reviewer, reads: Reads) -> QueueCounts:
    del reviewer
    return reads.counts()
