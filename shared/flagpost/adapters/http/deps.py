"""What routes depend on, as powertools `Depends`: the caller (authenticated, in a role) and the use cases.

The providers here are placeholders: `flagpost.wiring.http_function` installs the real ones in the
resolver's `dependency_overrides` (tests may install fakes the same way). So the HTTP adapter never
builds a store or a client itself, and a route says in its signature what it needs.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn, Protocol

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from flagpost.domain.errors import ForbiddenError, InvalidApiKeyError, UnauthenticatedError
from flagpost.domain.models.principal import Principal, Role


class Authenticator(Protocol):
    def authenticate(self, api_key: str) -> Principal: ...


def _not_wired(what: str) -> NoReturn:
    raise RuntimeError(f"no {what} provider: build the resolver with flagpost.wiring.http_function")


def principals() -> Authenticator:
    _not_wired("principals")


def review() -> Any:
    _not_wired("review")


def review_reads() -> Any:
    _not_wired("review reads")


def outcomes() -> Any:
    _not_wired("outcomes")


def feed() -> Any:
    _not_wired("feed")


def feed_acks() -> Any:
    _not_wired("feed acknowledgements")


def ingest() -> Any:
    _not_wired("ingest")


def flagger_reports() -> Any:
    _not_wired("flagger reports")


def admin() -> Any:
    _not_wired("admin")


def stats() -> Any:
    _not_wired("stats")


def authenticate(headers: Any, directory: Authenticator, *roles: Role) -> Principal:
    """The principal the bearer key proves, if its role is one of `roles`; 401 or 403 otherwise."""
    header = headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("Send `Authorization: Bearer <api_key>`.")
    try:
        principal = directory.authenticate(token.strip())
    except InvalidApiKeyError:
        raise UnauthenticatedError("The API key is not valid.") from None
    if principal.role not in roles:
        raise ForbiddenError(f"This route is not open to the {principal.role.value} role.")
    return principal


def _in_role(role: Role) -> Any:
    def caller(request: Request, directory: Annotated[Authenticator, Depends(principals)]) -> Principal:
        return authenticate(request.headers, directory, role)

    caller.__name__ = f"{role.value}_caller"
    return caller


# The caller of a route, authenticated by its bearer key and refused unless in this role.
as_reviewer = _in_role(Role.REVIEWER)
as_admin = _in_role(Role.ADMIN)
as_platform = _in_role(Role.PLATFORM)
as_flagger = _in_role(Role.FLAGGER)
Reviewer = Annotated[Principal, Depends(as_reviewer)]
Admin = Annotated[Principal, Depends(as_admin)]
Platform = Annotated[Principal, Depends(as_platform)]
Flagger = Annotated[Principal, Depends(as_flagger)]
