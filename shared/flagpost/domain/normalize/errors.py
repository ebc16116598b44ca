"""The one exception normalization raises: a refusal with a machine-readable reason."""

from __future__ import annotations

# Every reason code normalization can give. Ingest maps them to validation errors, so they are part
# of what flaggers see and must stay stable; docs/normalization.md explains each one.
REASONS: frozenset[str] = frozenset(
    {
        "empty",
        "too_long",
        "control_characters",
        "invalid_characters",
        "unsupported_scheme",
        "missing_host",
        "illegal_host",
        "illegal_port",
        "truncated",
        "no_target",
        "unknown_platform",
        "unknown_type",
        "illegal_id",
    }
)


class NormalizeError(ValueError):
    """A reported URL or target that names nothing Flagpost can review.

    `reason` is a short code from `REASONS`; `str(error)` is a sentence for humans.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
