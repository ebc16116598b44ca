"""The ingest use case: verify, deduplicate the delivery, validate each report, land the valid ones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from pydantic import ValidationError

from flagpost.adapters import aws
from flagpost.adapters.dynamo.items import DynamoItemStore, IncomingReport, Submission
from flagpost.adapters.dynamo.principals import DynamoPrincipalStore, PrincipalNotFoundError
from flagpost.adapters.dynamo.ratelimit import RateLimiter
from flagpost.adapters.http.problems import (
    BadRequestError,
    ConflictError,
    PayloadTooLargeError,
    ProblemError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableError,
    validation_issue,
)
from flagpost.config import settings
from flagpost.domain import jsonsafe, webhooks
from flagpost.domain.models.ingest import ReportResult, SubmissionResult
from flagpost.domain.models.principal import Role
from flagpost.domain.models.report import MAX_SUBMISSION_BYTES, ReportIn, SubmissionIn
from flagpost.domain.normalize import NormalizeError, normalize_target, normalize_url
from flagpost.lazy import lazy
from flagpost.observability import logger, metrics

# A replayed webhook-id answers with the first response for this long.
IDEMPOTENCY_TTL_S = 24 * 3600


def issues(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    return [validation_issue(err, prefix) for err in exc.errors(include_url=False, include_input=False)]


class IngestService:
    def __init__(
        self,
        principals: DynamoPrincipalStore,
        items: DynamoItemStore,
        limiter: RateLimiter,
        idempotency: PowertoolsIdempotency | None = None,
    ) -> None:
        self.principals = principals
        self.items = items
        self.limiter = limiter
        self.idempotency = idempotency
        self._run: Callable[..., dict[str, Any]] = (
            idempotency(self._land_and_keep) if idempotency else self._land_and_keep
        )

    def _land_and_keep(self, submission: dict[str, Any], landed: list[dict[str, Any]]) -> dict[str, Any]:
        """Land the submission and keep its answer: it stands even if storing it for replays fails."""
        answer = self._land(submission)
        landed.append(answer)
        return answer

    def register_context(self, context: Any) -> None:
        """Lets idempotency expire an in-progress record if this invocation times out."""
        if self.idempotency is not None and context is not None:
            self.idempotency.config.register_lambda_context(context)

    def submit(self, flagger_id: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if len(body) > MAX_SUBMISSION_BYTES:
            raise PayloadTooLargeError(f"A submission may be at most {MAX_SUBMISSION_BYTES} bytes.")
        try:
            principal = self.principals.get_active(flagger_id)
        except PrincipalNotFoundError:
            principal = None
        if principal is None or principal.role is not Role.FLAGGER:
            raise UnauthorizedError("Unknown flagger or bad signature.")
        try:
            webhook_id = self._verify(flagger_id, headers, body)
        except webhooks.SignatureError as exc:
            logger.info("signature refused", extra={"flagger_id": flagger_id, "why": str(exc)})
            raise UnauthorizedError("Unknown flagger or bad signature.") from None
        logger.append_keys(correlation_id=webhook_id, flagger_id=flagger_id)
        submission = {
            "flagger_id": flagger_id,
            "webhook_id": webhook_id,
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body": body.decode("utf-8"),
        }
        landed: list[dict[str, Any]] = []
        try:
            return self._run(submission=submission, landed=landed)
        except IdempotencyValidationError:
            raise ConflictError("This webhook-id was already used with a different body.") from None
        except IdempotencyAlreadyInProgressError:
            raise ConflictError(
                "A submission with this webhook-id is still being processed; retry shortly.",
                headers={"Retry-After": "1"},
            ) from None
        except IdempotencyPersistenceLayerError as exc:
            if landed:
                # Every report landed; only storing the answer for replays failed. A replay gets 409 and
                # Retry-After until the in-progress mark expires, then this same answer again: report
                # ids derive from the webhook, so nothing lands twice.
                logger.warning("answer not stored for replays", extra={"error": str(exc.__cause__)})
                return landed[0]
            answer = _answer_for(exc)
            if answer is exc:
                raise
            raise answer from exc

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
            raise BadRequestError(f"The body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
        try:
            envelope = SubmissionIn.model_validate(document)
        except ValidationError as exc:
            raise UnprocessableError(
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


def _answer_for(exc: IdempotencyPersistenceLayerError) -> Exception:
    """What a submission answers when the idempotency table failed around it.

    Powertools raises this when it could not mark the submission in progress, or done, or could not
    clear the mark after the landing raised. A refusal of the landing's own (4xx) stands. A table that
    was throttled or unreachable fails the request as a whole (503): the flagger retries the same
    webhook, and what had landed is found again, never landed twice (report ids derive from the
    webhook). Anything else is our fault and stays a 500.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, ProblemError) and link.status < 500:
            return type(link)(link.detail, headers=link.headers, errors=link.errors)
        link = link.__cause__ or link.__context__
    if exc.__cause__ is not None and aws.is_transient(exc.__cause__):
        return ServiceUnavailableError(
            "Submissions are briefly unavailable; retry with the same webhook-id.", headers={"Retry-After": "1"}
        )
    return exc


def _count(results: list[ReportResult]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    tally = {"new": 0, "duplicate": 0, "invalid": 0}
    for result in results:
        tally[result.status] += 1
    metrics.add_metric(name="ReportsReceived", unit=MetricUnit.Count, value=len(results))
    metrics.add_metric(name="ReportsNewItem", unit=MetricUnit.Count, value=tally["new"])
    metrics.add_metric(name="ReportsDuplicate", unit=MetricUnit.Count, value=tally["duplicate"])
    metrics.add_metric(name="ReportsInvalid", unit=MetricUnit.Count, value=tally["invalid"])


class PowertoolsIdempotency:
    """Wraps a submission handler in powertools Idempotency keyed on (flagger, webhook-id)."""

    def __init__(self, table: str) -> None:
        self.persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=aws.client("dynamodb"))
        self.config = IdempotencyConfig(
            event_key_jmespath="[flagger_id, webhook_id]",
            payload_validation_jmespath="body_sha256",
            expires_after_seconds=IDEMPOTENCY_TTL_S,
            raise_on_no_idempotency_key=True,
            hash_function="sha256",
        )

    def __call__(self, fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def land_submission(submission: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return fn(submission, **kwargs)

        decorated: Callable[..., dict[str, Any]] = idempotent_function(
            data_keyword_argument="submission", persistence_store=self.persistence, config=self.config
        )(land_submission)
        return decorated


@lazy
def ingest_service() -> IngestService:
    from flagpost.adapters.http.auth import principal_store

    config = settings()
    config.require("items_table", "idempotency_table", "principals_table")
    return IngestService(
        principals=principal_store(),
        items=DynamoItemStore(config.items_table, config=config),
        limiter=RateLimiter(config.principals_table, config.flagger_reports_per_minute),
        idempotency=PowertoolsIdempotency(config.idempotency_table),
    )
