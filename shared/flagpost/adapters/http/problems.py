"""RFC 9457 problem details: the domain's exceptions and the one mapping from them to HTTP responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from flagpost.adapters.aws import is_transient
from flagpost.adapters.dynamo.client import StoreUnavailableError

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


class UnsupportedMediaTypeError(ProblemError):
    status = 415


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


def validation_issue(err: Mapping[str, Any], prefix: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """One pydantic or powertools validation error as the contract's `{loc, msg, type}`.

    An unknown field is named in the message, not only in `loc`: a misspelt optional field must be
    impossible to overlook.
    """
    loc = [*prefix, *(p if isinstance(p, int) else str(p) for p in err.get("loc", ()))]
    kind = str(err.get("type", "value_error"))
    msg = str(err.get("msg") or kind)
    if kind == "extra_forbidden" and loc:
        msg = f"unknown field {loc[-1]!r}: not part of this request's schema"
    return {"loc": loc, "msg": msg, "type": kind}


def _issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [validation_issue(err) for err in exc.errors()]


# Every exception type a request may end in that is not a fault of ours, mapped to its problem in one
# place: the resolver's exception handlers and the guards that run before the resolver both use it.
HANDLED: tuple[type[Exception], ...] = (
    ProblemError,
    StoreUnavailableError,
    ClientError,
    BotoCoreError,
    RequestValidationError,
    UnicodeDecodeError,
)


def problem_for(exc: BaseException) -> Response[str] | None:
    """The problem response for `exc`, or None when it is a fault of ours (a 500, alarmed)."""
    if isinstance(exc, ProblemError):
        return problem_response(exc.status, exc.detail, title=exc.title, errors=exc.errors, headers=exc.headers)
    if isinstance(exc, StoreUnavailableError):
        # DynamoDB's own message names tables and limits; the client only needs to retry.
        return problem_response(503, "Storage is busy; retry shortly.", headers={"Retry-After": "1"})
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
