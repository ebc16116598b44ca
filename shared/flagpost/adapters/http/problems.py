"""RFC 9457 problem details: the domain's exceptions and the one mapping from them to HTTP responses."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.depends import DependencyResolutionError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from flagpost.adapters.aws import is_transient
from flagpost.domain.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    MalformedInputError,
    NotFoundError,
    RateLimitedError,
    TooLargeError,
    UnauthenticatedError,
    UnavailableError,
)
from flagpost.domain.models.issues import ValidationIssue, validation_issue

PROBLEM_CONTENT_TYPE = "application/problem+json"
# A problem with a `code` (a case a program branches on) is typed by it: urn:flagpost:problem:lease_taken.
PROBLEM_TYPE_PREFIX = "urn:flagpost:problem:"


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str | None = Field(
        default=None,
        description="which case of the status it is, for programs (e.g. a 409's lease_expired, lease_taken)",
    )
    errors: list[ValidationIssue] | None = Field(default=None, description="present on validation errors")


class UnsupportedMediaTypeError(DomainError):
    """A body in another media type than JSON (an HTTP matter: the domain never sees it)."""


# The one table from what went wrong to an HTTP status; subclasses take their parent's.
STATUS: dict[type[DomainError], int] = {
    MalformedInputError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    TooLargeError: 413,
    UnsupportedMediaTypeError: 415,
    InvalidInputError: 422,
    RateLimitedError: 429,
    UnavailableError: 503,
}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="flagpost"'}


def _status(exc: DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


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
    code: str | None = None,
) -> Response[str]:
    body = Problem(
        type=f"{PROBLEM_TYPE_PREFIX}{code}" if code else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        errors=[ValidationIssue(**e) for e in errors] if errors is not None else None,
    )
    return Response(
        status_code=status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body.model_dump(exclude_none=True)),
        headers=headers,
    )


def check_media_type(event: dict[str, Any]) -> None:
    """Refuse a request body that is not JSON (415), before anything parses it."""
    if not event.get("body"):
        return
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    # application/json only: the resolver parses nothing else (a +json type would get its own,
    # non-problem 415). No content type at all is read as JSON.
    if not media or media == "application/json":
        return
    raise UnsupportedMediaTypeError("Send the body as application/json.")


def _issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [validation_issue(err) for err in exc.errors()]


# Every exception type a request may end in that is not a fault of ours, mapped to its problem in one
# place: the resolver's exception handlers and the guards that run before the resolver both use it.
HANDLED: tuple[type[Exception], ...] = (
    DomainError,
    DependencyResolutionError,
    ClientError,
    BotoCoreError,
    RequestValidationError,
    UnicodeDecodeError,
)


def problem_for(exc: BaseException) -> Response[str] | None:
    """The problem response for `exc`, or None when it is a fault of ours (a 500, alarmed)."""
    if isinstance(exc, DependencyResolutionError) and exc.__cause__ is not None:
        return problem_for(exc.__cause__)  # a route's dependency refused (the caller, or a use case)
    if isinstance(exc, DomainError):
        status = _status(exc)
        headers = dict(_CHALLENGE) if isinstance(exc, UnauthenticatedError) else {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return problem_response(status, exc.detail, errors=exc.errors, headers=headers or None, code=exc.code)
    if isinstance(exc, ClientError | BotoCoreError):
        # Throttled, failing or unreachable after the SDK's retries (DynamoDB, KMS, SQS): the request
        # failed as a whole and may be retried. Any other AWS error is a fault of ours.
        if not is_transient(exc):
            return None
        return problem_response(503, "A service we depend on is busy; retry shortly.", headers={"Retry-After": "1"})
    if isinstance(exc, RequestValidationError):
        issues = _issues(exc)
        if any(i["type"] == "json_invalid" for i in issues):
            return problem_response(400, "The request body is not valid JSON.", errors=issues)
        return problem_response(422, "The request does not match the schema.", errors=issues)
    if isinstance(exc, UnicodeDecodeError):
        return problem_response(400, "The request body is not UTF-8 text; send JSON encoded as UTF-8.")
    return None


def as_payload_v2(response: Response[str]) -> dict[str, Any]:
    """A resolver Response as an API Gateway payload-v2 answer, for answers given before the resolver runs."""
    headers = {k: v if isinstance(v, str) else ",".join(v) for k, v in response.headers.items()}
    return {"statusCode": response.status_code, "headers": headers, "body": response.body, "isBase64Encoded": False}


def register_problem_handlers(app: ApiGatewayResolver) -> None:
    """Every error leaves the API as problem+json; status is chosen by exception type alone (`problem_for`)."""

    @app.exception_handler(list(HANDLED))  # type: ignore[untyped-decorator]
    def _problem(exc: Exception) -> Response[str]:
        response = problem_for(exc)
        if response is None:
            raise exc
        return response

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        del exc
        return problem_response(404, "No such resource.")
