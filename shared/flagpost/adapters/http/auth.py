"""The bearer guard: the caller's key and role checked before the resolver parses or validates anything.

Routes also name their caller as a dependency (`flagpost.adapters.http.deps`), with the same check;
the guard runs first in functions that serve one role, so that nobody learns a route's schema
before being let in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from flagpost.adapters.http.deps import Authenticator, authenticate
from flagpost.domain.models.principal import Role

BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def bearer_guard(principals: Callable[[], Authenticator], *roles: Role) -> Callable[[dict[str, Any]], None]:
    """A guard for `lambda_handler_for`: 401/403 for a key that does not prove one of `roles`."""

    def guard(event: dict[str, Any]) -> None:
        authenticate(APIGatewayProxyEventV2(event).headers, principals(), *roles)

    return guard
