"""Flagger routes: signed submissions, and reading back what became of a report."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from flagpost.adapters.http import deps
from flagpost.adapters.http.auth import BEARER_SECURITY
from flagpost.adapters.http.params import FlaggerId, ReportId
from flagpost.adapters.http.problems import problem_responses
from flagpost.domain.models.ingest import ReportView, SubmissionResult
from flagpost.services.ingest import IngestService
from flagpost.services.reports import FlaggerReports

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
def submit_reports(flagger_id: FlaggerId, service: Annotated[IngestService, Depends(deps.ingest)]) -> Response[str]:
    event = router.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
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
def get_report(
    report_id: ReportId, flagger: deps.Flagger, reports: Annotated[FlaggerReports, Depends(deps.flagger_reports)]
) -> ReportView:
    return reports.view(flagger.id, report_id)
