"""What ingest answers: one result per submitted report, in order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from flagpost.domain.models.issues import ValidationIssue
from flagpost.domain.models.item import ItemStatus


class ReportResult(BaseModel):
    index: int
    status: Literal["new", "duplicate", "invalid"]
    report_id: str | None = None
    item_id: str | None = None
    item_status: ItemStatus | None = None
    target: dict[str, Any] | None = None
    errors: list[ValidationIssue] | None = None


class SubmissionResult(BaseModel):
    results: list[ReportResult]


class ReportView(BaseModel):
    """GET /v1/reports/{report_id}: what became of one of the flagger's reports."""

    report_id: str
    item_id: str
    status: Literal["new", "duplicate"]
    item_status: ItemStatus
    received_at: str
    external_id: str | None = None
    decision: dict[str, Any] | None = None
    outcomes: list[dict[str, Any]] | None = None
