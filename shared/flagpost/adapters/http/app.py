"""Builds the powertools resolvers: one per function from its routers, and the whole API for OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost import __version__
from flagpost.adapters.http.auth import bearer_guard
from flagpost.adapters.http.deps import Authenticator
from flagpost.adapters.http.problems import (
    HANDLED,
    as_payload_v2,
    check_media_type,
    problem_for,
    register_problem_handlers,
)
from flagpost.domain import jsonsafe
from flagpost.domain.models.principal import Role
from flagpost.observability import LambdaHandler, lambda_entry

API_TITLE = "Flagpost API"
API_DESCRIPTION = (
    "Signed reports of terrorist propaganda from trusted flaggers, deduplicated into items, "
    "reviewed by people, and delivered to platforms."
)


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    # Bodies are parsed with bounded depth and number size: a hostile document is a 400, never a 500.
    app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=jsonsafe.loads)
    register_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


def lambda_handler_for(
    app: APIGatewayHttpResolver, role: Role | None = None, principals: Callable[[], Authenticator] | None = None
) -> LambdaHandler:
    """The Lambda entry point of an HTTP function, with logs, traces and metrics around `app`.

    Guards see the raw event before the resolver parses or validates anything, so nobody learns about
    a route's schema before being let in: the bearer key's role (when the function has one role), then
    the JSON media type. A guard refuses by raising; its exception is mapped to a problem by the same
    `problem_for` the resolver's exception handlers use.
    """
    guards: list[Callable[[dict[str, Any]], None]] = []
    if role is not None and principals is not None:
        guards.append(bearer_guard(principals, role))
    guards.append(check_media_type)

    def resolve(event: dict[str, Any], context: LambdaContext) -> Any:
        try:
            for guard in guards:
                guard(event)
        except HANDLED as exc:
            response = problem_for(exc)
            if response is None:
                raise
            return as_payload_v2(response)
        return app.resolve(event, context)

    return lambda_entry(resolve, correlation_paths.API_GATEWAY_HTTP)


def all_routers() -> list[Router]:
    """Every router of the HTTP API, whichever function serves it."""
    from flagpost.adapters.http import admin, console, feed, ingest, meta, review

    return [meta.router, ingest.router, admin.router, feed.router, review.router, console.router]


@cache
def openapi_json() -> str:
    """The OpenAPI 3.1 document of the whole HTTP API (committed as docs/openapi.json)."""
    document = json.loads(
        build_resolver(*all_routers()).get_openapi_json_schema(
            title=API_TITLE,
            version=__version__,
            description=API_DESCRIPTION,
            security_schemes={
                "bearerAuth": HTTPBearer(description="An API key: fpk_..."),
                "standardWebhooks": APIKey(
                    **{"in": APIKeyIn.header},
                    name="webhook-signature",
                    description="Standard Webhooks v1: webhook-id, webhook-timestamp and webhook-signature "
                    "(HMAC-SHA256 with the flagger's whsec_ secret over id.timestamp.body).",
                ),
            },
        )
    )
    _document_signed_submission(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            # powertools gives every response the route's return type; a 204 has no body at all.
            operation.get("responses", {}).get("204", {}).pop("content", None)
    return json.dumps(document)


def _document_signed_submission(document: dict[str, Any]) -> None:
    """The submit route reads its raw body itself (to verify the signature first); describe it here."""
    from flagpost.adapters.http.ingest import SUBMIT_PATH
    from flagpost.domain.models.report import SubmissionSchema

    schema = SubmissionSchema.model_json_schema(ref_template="#/components/schemas/{model}")
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["SubmissionSchema"] = schema
    operation = document["paths"][SUBMIT_PATH]["post"]
    operation["security"] = [{"standardWebhooks": []}]
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubmissionSchema"}}},
    }
    operation["parameters"] = [
        *operation.get("parameters", []),
        *(
            {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
            for name, text in (
                ("webhook-id", "Unique per submission; a repeat with the same body returns the first answer"),
                ("webhook-timestamp", "Unix seconds; at most 5 minutes from our clock"),
                ("webhook-signature", "v1,<base64 HMAC-SHA256>; several space-separated allowed"),
            )
        ),
    ]
