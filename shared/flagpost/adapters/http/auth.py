"""Bearer-key authentication and role checks, called first by every protected route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from flagpost.adapters.dynamo.principals import DynamoPrincipalStore, InvalidApiKeyError
from flagpost.adapters.http.problems import ForbiddenError, UnauthorizedError
from flagpost.config import settings
from flagpost.domain.models.principal import Principal, Role
from flagpost.lazy import lazy

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="flagpost"'}


@lazy
def principal_store() -> DynamoPrincipalStore:
    config = settings()
    config.require("principals_table", "kms_key_id")
    return DynamoPrincipalStore(
        config.principals_table,
        config.kms_key_id,
        rotation_overlap_s=config.rotation_overlap_seconds,
        cache_s=config.auth_cache_seconds,
    )


def bearer_guard(*roles: Role) -> Callable[[dict[str, Any]], None]:
    """A guard for `lambda_handler_for`: 401/403 before the resolver parses or validates the request."""

    def guard(event: dict[str, Any]) -> None:
        require(APIGatewayProxyEventV2(event), *roles)

    return guard


def require(event: BaseProxyEvent, *roles: Role) -> Principal:
    """The authenticated principal, if its role is one of `roles`; 401 or 403 otherwise."""
    header = event.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Send `Authorization: Bearer <api_key>`.", headers=_CHALLENGE)
    try:
        principal = principal_store().authenticate(token.strip())
    except InvalidApiKeyError:
        raise UnauthorizedError("The API key is not valid.", headers=_CHALLENGE) from None
    if principal.role not in roles:
        raise ForbiddenError(f"This route is not open to the {principal.role.value} role.")
    return principal
