"""Flagger routes: signed submissions, and reading back what became of a report."""

from __future__ import annotations

import base64
import json

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from flagpost.adapters.dynamo.items import DynamoItemStore, ItemNotFoundError, ReportNotFoundError
from flagpost.adapters.dynamo.review import DynamoReviewStore
from flagpost.adapters.http.auth import BEARER_SECURITY, require
from flagpost.adapters.http.params import FlaggerId, ReportId
from flagpost.adapters.http.problems import NotFoundError, problem_responses
from flagpost.domain.models.ingest import ReportView, SubmissionResult
from flagpost.domain.models.outcome import OutcomeOut
from flagpost.domain.models.principal import Role
from flagpost.services.ingest import ingest_service

router = Router()  # type: ignore[no-untyped-call]

# The route parses its own body: the signature covers the raw bytes, and a bad signature must be
# answered with 401 before anything about the body is revealed. docs/openapi.json still documents
# the body (see flagpost.adapters.http.app.openapi_json).
SUBMIT_PATH = "/v1/flaggers/{flagger_id}/reports"


@router.post(
    "/v1/flaggers/<flagger_id>/reports",
    summary="Submit up to 100 signed reports (Standard Webhooks v1)",
    tags=["flagger"],
    status_code=202,
    response_description="One result per report, in order; invalid reports do not stop the valid ones",
    responses={
        202: {"description": "Accepted", "content": {"application/json": {"model": SubmissionResult}}},
        **problem_responses(400, 401, 409, 413, 422, 429, 503),
    },
)
def submit_reports(flagger_id: FlaggerId) -> Response[str]:
    event = router.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    service = ingest_service()
    service.register_context(router.lambda_context)
    result = service.submit(flagger_id, event.headers, body)
    return Response(status_code=202, content_type="application/json", body=json.dumps(result))


@router.get(
    "/v1/reports/<report_id>",
    summary="What became of one of your reports",
    tags=["flagger"],
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404),
)
def get_report(report_id: ReportId) -> ReportView:
    flagger = require(router.current_event, Role.FLAGGER)
    items: DynamoItemStore = ingest_service().items
    try:
        record = items.get_report(report_id)
        if record["flagger_id"] != flagger.id:
            raise ReportNotFoundError(report_id)  # someone else's report: indistinguishable from none
        item = items.get_item(record["report_item"])
    except (ReportNotFoundError, ItemNotFoundError):
        raise NotFoundError("No such report among yours.") from None
    # What platforms did, by platform: no reviewer identities or notes leave to flaggers.
    outcomes = [
        OutcomeOut.of(o).model_dump(mode="json", exclude_none=True, exclude={"item_id"})
        for o in DynamoReviewStore(config=items.config).outcomes(item.item_id)
    ]
    decision = item.decisions[-1].model_dump(mode="json", exclude={"reviewer_id", "note"}) if item.decisions else None
    return ReportView(
        report_id=record["report_id"],
        item_id=item.item_id,
        status=record["landed_status"],
        item_status=item.status,
        received_at=record["received_at"],
        external_id=record.get("external_id"),
        decision=decision,
        outcomes=outcomes,
    )
