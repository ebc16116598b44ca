"""What admins do: principals (create, list, rotate, revoke) and the redelivery of a platform's pushes."""

from __future__ import annotations

from collections.abc import Callable

from flagpost.domain.errors import InvalidInputError, NotFoundError, UnsafeEndpointError
from flagpost.domain.models.principal import IssuedCredentials, Principal, Role
from flagpost.services.forward import redeliver
from flagpost.services.ports import Feed, JobQueue, PrincipalRegistry


class PrincipalAdmin:
    def __init__(
        self,
        registry: PrincipalRegistry,
        check_endpoint: Callable[[str], str],
        feed: Callable[[], Feed],
        jobs: Callable[[], JobQueue],
    ) -> None:
        self.registry = registry
        self.check_endpoint = check_endpoint
        # Built on first use: only redelivery needs the feed and the queue.
        self.feed = feed
        self.jobs = jobs

    def create(
        self,
        role: Role,
        name: str,
        *,
        domains: list[str],
        platform_ids: list[str],
        endpoint: str | None,
        email: list[str] | None = None,
    ) -> IssuedCredentials:
        if endpoint:
            try:
                endpoint = self.check_endpoint(endpoint)
            except UnsafeEndpointError as exc:
                raise InvalidInputError(
                    "The endpoint cannot receive pushes.",
                    errors=[{"loc": ["body", "endpoint"], "msg": str(exc), "type": "unsafe_endpoint"}],
                ) from None
        return self.registry.create(
            role, name, domains=domains, platform_ids=platform_ids, endpoint=endpoint, email=email or []
        )

    def all(self) -> list[Principal]:
        return self.registry.all()

    def rotate(self, principal_id: str) -> IssuedCredentials:
        try:
            return self.registry.rotate(principal_id)
        except NotFoundError:
            raise NotFoundError("No such active principal.") from None

    def revoke(self, admin_id: str, principal_id: str) -> Principal:
        if admin_id == principal_id:
            raise InvalidInputError(
                "An admin cannot revoke itself; ask another admin.",
                errors=[{"loc": ["path", "principal_id"], "msg": "is the caller", "type": "self_revocation"}],
            )
        try:
            return self.registry.revoke(principal_id)
        except NotFoundError:
            raise NotFoundError("No such principal.") from None

    def redeliver(self, platform_id: str) -> int:
        """Every failed delivery of the platform queued again; 404 for anything but a platform."""
        try:
            platform = self.registry.get(platform_id)
        except NotFoundError:
            platform = None
        if platform is None or platform.role is not Role.PLATFORM:
            raise NotFoundError("No such platform.")
        return redeliver(self.feed(), self.jobs(), platform_id)
