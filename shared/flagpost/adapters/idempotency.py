"""Replays of a submission through powertools Idempotency, keyed on (flagger, webhook-id).

The same id and body answer with the stored first answer; another body is a 409. What powertools
raises is turned into the domain's errors here, so the ingest use case knows nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
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

from flagpost.adapters import aws
from flagpost.domain.errors import ConflictError, DomainError, UnavailableError
from flagpost.observability import logger

# A replayed webhook-id answers with the first response for this long.
IDEMPOTENCY_TTL_S = 24 * 3600
Land = Callable[[dict[str, Any]], dict[str, Any]]


class PowertoolsIdempotency:
    def __init__(self, table: str) -> None:
        self.persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=aws.client("dynamodb"))
        self.config = IdempotencyConfig(
            event_key_jmespath="[flagger_id, webhook_id]",
            payload_validation_jmespath="body_sha256",
            expires_after_seconds=IDEMPOTENCY_TTL_S,
            raise_on_no_idempotency_key=True,
            hash_function="sha256",
        )

        def land_submission(submission: dict[str, Any], land: Land, landed: list[dict[str, Any]]) -> dict[str, Any]:
            # The answer is kept as soon as it exists: it stands even if storing it for replays fails.
            answer = land(submission)
            landed.append(answer)
            return answer

        self._run: Callable[..., dict[str, Any]] = idempotent_function(
            data_keyword_argument="submission", persistence_store=self.persistence, config=self.config
        )(land_submission)

    def register_context(self, context: Any) -> None:
        """Lets an in-progress mark expire when this invocation times out."""
        if context is not None:
            self.config.register_lambda_context(context)

    def run(self, submission: dict[str, Any], land: Land) -> dict[str, Any]:
        landed: list[dict[str, Any]] = []
        try:
            return self._run(submission=submission, land=land, landed=landed)
        except IdempotencyValidationError:
            raise ConflictError("This webhook-id was already used with a different body.") from None
        except IdempotencyAlreadyInProgressError:
            raise ConflictError(
                "A submission with this webhook-id is still being processed; retry shortly.", retry_after=1
            ) from None
        except IdempotencyPersistenceLayerError as exc:
            if landed:
                # Every report landed; only storing the answer for replays failed. A replay gets 409 and
                # Retry-After until the in-progress mark expires, then this same answer again: report
                # ids derive from the submission, so nothing lands twice.
                logger.warning("answer not stored for replays", extra={"error": str(exc.__cause__)})
                return landed[0]
            answer = _answer_for(exc)
            if answer is exc:
                raise
            raise answer from exc


def _answer_for(exc: IdempotencyPersistenceLayerError) -> Exception:
    """What a submission answers when the idempotency table failed around it.

    Powertools raises this when it could not mark the submission in progress, or done, or could not
    clear the mark after the landing raised. A refusal of the landing's own (4xx) stands. A table that
    was throttled or unreachable fails the request as a whole (503): the flagger retries the same
    webhook, and what had landed is found again, never landed twice. Anything else is our fault.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, DomainError) and not isinstance(link, UnavailableError):
            return type(link)(link.detail, retry_after=link.retry_after, errors=link.errors)
        link = link.__cause__ or link.__context__
    if exc.__cause__ is not None and aws.is_transient(exc.__cause__):
        return UnavailableError("Submissions are briefly unavailable; retry with the same webhook-id.", retry_after=1)
    return exc
