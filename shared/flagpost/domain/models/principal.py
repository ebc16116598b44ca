"""The principal model and the credentials shown once at creation or rotation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Role(StrEnum):
    FLAGGER = "flagger"
    REVIEWER = "reviewer"
    PLATFORM = "platform"
    ADMIN = "admin"

    @property
    def signs_webhooks(self) -> bool:
        """Flaggers sign what they send us; platforms verify what we push to them."""
        return self in (Role.FLAGGER, Role.PLATFORM)


class Principal(BaseModel):
    id: str
    role: Role
    name: str = Field(min_length=1, max_length=200)
    domains: list[str] = Field(default_factory=list)
    platform_ids: list[str] = Field(default_factory=list)
    endpoint: str | None = None
    email: list[str] = Field(
        default_factory=list, description="platforms: addresses that receive each entry as an e-mail"
    )
    status: Literal["active", "revoked"] = "active"
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"


class IssuedCredentials(BaseModel):
    """Shown exactly once; only a hash of the key and a KMS ciphertext of the secret are stored."""

    principal: Principal
    api_key: str
    secret: str | None = None
    previous_valid_until: datetime | None = None  # after a rotation: when the old key and secret stop working
