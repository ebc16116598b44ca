"""What can go wrong, in the domain's words. No HTTP here: `flagpost.adapters.http.problems` maps each
type to a status in one table, the same for the bearer guard and every route."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the caller can act on: `detail` says what, `errors` which fields, `retry_after` when,
    `code` which case it is in a word a program can branch on (the console's banners)."""

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.retry_after = retry_after
        self.code = code


class MalformedInputError(DomainError):
    """The input cannot be read at all (not JSON, a forged cursor)."""


class InvalidInputError(DomainError):
    """The input reads but breaks a rule; `errors` names the fields."""


class UnauthenticatedError(DomainError):
    """No proof of who is calling, or a proof that does not hold."""


class ForbiddenError(DomainError):
    """The caller is known but may not do this."""


class NotFoundError(DomainError):
    """No such thing, or none the caller may know of."""


class ConflictError(DomainError):
    """The state does not allow it (already decided, lease not held, id reused with another body)."""


class TooLargeError(DomainError):
    """More than a request may carry."""


class RateLimitedError(DomainError):
    """Too much in too short a time; `retry_after` says when to come back."""


class UnavailableError(DomainError):
    """A dependency failed for the whole request (throttled, down, unreachable): retry later."""

    def __init__(self, detail: str = "A service we depend on is busy; retry shortly.", **kwargs: Any) -> None:
        kwargs.setdefault("retry_after", 1)
        super().__init__(detail, **kwargs)


class WriteConflictError(Exception):
    """A conditional write found the state changed since it was read: re-read and decide again.

    Not an answer to anyone: the use cases retry or turn it into a `ConflictError` that says why.
    `reasons` are the store's per-action codes, when it has them (which write of several conflicted).
    """

    def __init__(self, reasons: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(", ".join(reasons) or "the state changed")
        self.reasons = list(reasons)


class UnsafeEndpointError(ValueError):
    """A push endpoint that is not a public HTTPS URL, or resolves to an address never sent to."""


class PushTransportError(Exception):
    """A push got no HTTP answer: timed out, refused, reset. Retried later like a 5xx."""


class PushRefusedError(Exception):
    """A push that must not be retried: the endpoint redirected it (never followed)."""


class InvalidApiKeyError(Exception):
    """An API key that proves nothing: unknown, malformed, rotated out or revoked (indistinguishably)."""
