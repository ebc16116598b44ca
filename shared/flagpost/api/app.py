"""Builds the powertools resolvers: one per function from its routers, and the whole API for OpenAPI."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router

from flagpost import __version__
from flagpost.api.problems import register_problem_handlers

API_TITLE = "Flagpost API"
API_DESCRIPTION = (
    "Signed reports of terrorist propaganda from trusted flaggers, deduplicated into items, "
    "reviewed by people, and delivered to platforms."
)


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    register_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    return app


def all_routers() -> list[Router]:
    """Every router of the HTTP API, whichever function serves it."""
    from flagpost.api import meta

    return [meta.router]


@cache
def openapi_json() -> str:
    """The OpenAPI 3.1 document of the whole HTTP API (committed as docs/openapi.json)."""
    return build_resolver(*all_routers()).get_openapi_json_schema(
        title=API_TITLE,
        version=__version__,
        description=API_DESCRIPTION,
    )
