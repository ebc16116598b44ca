"""The ingest use case: verify, deduplicate the delivery, validate each report, land the valid ones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from flagpost.domain import jsonsafe, webhooks
from flagpost.domain.errors import InvalidInputError, MalformedInputError, TooLargeError, UnauthenticatedError
from flagpost.domain.ids import Submission
from flagpost.domain.intake import IncomingReport
from flagpost.domain.models.ingest import ReportResult, SubmissionResult
from flagpost.domain.models.issues import validation_issue
from flagpost.domain.models.principal import Role
from flagpost.domain.models.report import MAX_SUBMISSION_BYTES, ReportIn, SubmissionIn
from flagpost.domain.normalize import NormalizeError, normalize_target, normalize_url
from flagpost.observability import logger, metrics
from flagpost.services.ports import Idempotency, PrincipalDirectory, RateLimiter, ReportLanding


def issues(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    return [validation_issue(err, prefix) for err in exc.errors(include_url=False, include_input=False)]


class IngestService:
    def __init__(
        self,
        principals: PrincipalDirectory,
        items: ReportLanding,
        limiter: RateLimiter,
        idempotency: Idempotency | None = None,
    ) -> None:
        self.principals = principals
        self.items = items
        self.limiter = limiter
        self.idempotency = idempotency

    def register_context(self, context: Any) -> None:
        """Lets idempotency expire an in-progress record if this invocation times out."""
        if self.idempotency is not None:
            self.idempotency.register_context(context)

    def submit(self, flagger_id: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Verify, then land once: a replay of the same webhook answers as the first time did."""
        if len(body) > MAX_SUBMISSION_BYTES:
            raise TooLargeError(f"A submission may be at most {MAX_SUBMISSION_BYTES} bytes.")
        principal = self.principals.get_active(flagger_id)
        if principal is None or principal.role is not Role.FLAGGER:
            raise UnauthenticatedError("Unknown flagger or bad signature.")
        try:
            webhook_id = self._verify(flagger_id, headers, body)
        except webhooks.SignatureError as exc:
            logger.info("signature refused", extra={"flagger_id": flagger_id, "why": str(exc)})
            raise UnauthenticatedError("Unknown flagger or bad signature.") from None
        logger.append_keys(correlation_id=webhook_id, flagger_id=flagger_id)
        submission = {
            "flagger_id": flagger_id,
            "webhook_id": webhook_id,
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body": body.decode("utf-8"),
        }
        if self.idempotency is None:
            return self._land(submission)
        return self.idempotency.run(submission, self._land)

    def _verify(self, flagger_id: str, headers: Mapping[str, str], body: bytes) -> str:
        try:
            return webhooks.verify(body, headers, self.principals.signing_secrets(flagger_id))
        except webhooks.SignatureError:
            # Perhaps signed with a secret issued after we cached ours (a rotation): look once more.
            fresh = self.principals.signing_secrets(flagger_id, fresh=True)
            if not fresh:
                raise
            return webhooks.verify(body, headers, fresh)

    def _land(self, submission: dict[str, Any]) -> dict[str, Any]:
        flagger_id, webhook_id = submission["flagger_id"], submission["webhook_id"]
        try:
            document = jsonsafe.loads(submission["body"])
        except json.JSONDecodeError as exc:
            raise MalformedInputError(f"The body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
        try:
            envelope = SubmissionIn.model_validate(document)
        except ValidationError as exc:
            raise InvalidInputError(
                'The body must be {"reports": [...]} with 1 to 100 reports.', errors=issues(exc)
            ) from None

        results: dict[int, ReportResult] = {}
        incoming: list[IncomingReport] = []
        for index, raw in enumerate(envelope.reports):
            try:
                report = ReportIn.model_validate(raw)
            except ValidationError as exc:
                results[index] = ReportResult.model_validate(
                    {"index": index, "status": "invalid", "errors": issues(exc)}
                )
                continue
            try:
                target = (
                    normalize_url(report.url)
                    if report.url is not None
                    else normalize_target(report.target.platform, report.target.type, report.target.id)  # type: ignore[union-attr]
                )
            except NormalizeError as exc:
                where = "url" if report.url is not None else "target"
                error = {"loc": [where], "msg": str(exc), "type": f"target.{exc.reason}"}
                results[index] = ReportResult.model_validate({"index": index, "status": "invalid", "errors": [error]})
                continue
            incoming.append(IncomingReport(index=index, report=report, target=target))

        self.limiter.take(flagger_id, len(incoming), charge_id=webhook_id)
        submitted = Submission(flagger_id, webhook_id, submission["body_sha256"])
        landed = self.items.record_reports(submitted, incoming) if incoming else []
        for entry, source in zip(landed, incoming, strict=True):
            results[entry.index] = ReportResult(
                index=entry.index,
                status=entry.status,
                report_id=entry.report_id,
                item_id=entry.item_id,
                item_status=entry.item_status,
                target=source.target.as_dict(),
            )
        ordered = [results[i] for i in range(len(envelope.reports))]
        _count(ordered)
        return SubmissionResult(results=ordered).model_dump(mode="json", exclude_none=True)


def _count(results: list[ReportResult]) -> None:
    tally = {"new": 0, "duplicate": 0, "invalid": 0}
    for result in results:
        tally[result.status] += 1
    metrics.add_metric(name="ReportsReceived", unit=MetricUnit.Count, value=len(results))
    metrics.add_metric(name="ReportsNewItem", unit=MetricUnit.Count, value=tally["new"])
    metrics.add_metric(name="ReportsDuplicate", unit=MetricUnit.Count, value=tally["duplicate"])
    metrics.add_metric(name="ReportsInvalid", unit=MetricUnit.Count, value=tally["invalid"])
