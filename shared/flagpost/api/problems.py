"""RFC 9457 problem details: the domain's exceptions and the one mapping from them to HTTP responses."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from flagpost.aws import is_transient
from flagpost.store.dynamo import StoreUnavailableError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ValidationIssue] | None = Field(default=None, description="present on validation errors")


class ProblemError(Exception):
    """A failure the client can act on. Subclasses fix the status; raise them from logic code."""

    status: int = 400
    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


class BadRequestError(ProblemError):
    status = 400


class UnauthorizedError(ProblemError):
    status = 401


class ForbiddenError(ProblemError):
    status = 403


class NotFoundError(ProblemError):
    status = 404


class ConflictError(ProblemError):
    status = 409


class UnprocessableError(ProblemError):
    status = 422


class PayloadTooLargeError(ProblemError):
    status = 413


class TooManyRequestsError(ProblemError):
    status = 429


class ServiceUnavailableError(ProblemError):
    """A dependency failed for the whole request; the client should retry after `Retry-After`."""

    status = 503


def problem_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI `responses` entries for the problems a route can answer with."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}},
        }
        for status in statuses
    }


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body = Problem(
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[ValidationIssue(**e) for e in errors] if errors is not None else None,
    )
    return Response(
        status_code=status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body.model_dump(exclude_none=True)),
        headers=headers,
    )


def unsupported_media_type(event: dict[str, Any]) -> dict[str, Any] | None:
    """A payload-v2 response refusing a request body that is not JSON, before any parsing (415)."""
    if not event.get("body"):
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return None
    return raw_problem(415, "Send the body as application/json.")


def raw_problem(status: int, detail: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A problem as a payload-v2 response, for answers given before the resolver runs."""
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail)
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE, **(headers or {})},
        "body": json.dumps(body.model_dump(exclude_none=True)),
        "isBase64Encoded": False,
    }


def _issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in err.get("loc", ())],
            "msg": str(err.get("msg") or err.get("type", "invalid")),
            "type": str(err.get("type", "value_error")),
        }
        for err in exc.errors()
    ]


def register_problem_handlers(app: ApiGatewayResolver) -> None:
    """Every error leaves the API as problem+json; status is chosen by exception type alone."""

    @app.exception_handler(ProblemError)  # type: ignore[untyped-decorator]
    def _domain(exc: ProblemError) -> Response[str]:
        return problem_response(exc.status, exc.detail, title=exc.title, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(StoreUnavailableError)  # type: ignore[untyped-decorator]
    def _unavailable(exc: StoreUnavailableError) -> Response[str]:
        del exc  # DynamoDB's own message names tables and limits; the client only needs to retry
        return problem_response(503, "Storage is busy; retry shortly.", headers={"Retry-After": "1"})

    @app.exception_handler([ClientError, BotoCoreError])  # type: ignore[untyped-decorator]
    def _aws_unavailable(exc: ClientError | BotoCoreError) -> Response[str]:
        # Throttled, failing or unreachable after the SDK's retries (DynamoDB, KMS, SQS): the request
        # failed as a whole and may be retried. Any other AWS error is a fault of ours: a 500, alarmed.
        if not is_transient(exc):
            raise exc
        return problem_response(503, "A service we depend on is busy; retry shortly.", headers={"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _validation(exc: RequestValidationError) -> Response[str]:
        issues = _issues(exc)
        if any(i["type"] == "json_invalid" for i in issues):
            return problem_response(400, "The request body is not valid JSON.", errors=issues)
        return problem_response(422, "The request does not match the schema.", errors=issues)

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def _not_utf8(exc: UnicodeDecodeError) -> Response[str]:
        del exc
        return problem_response(400, "The request body is not UTF-8 text; send JSON encoded as UTF-8.")

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        del exc
        return problem_response(404, "No such resource.")
