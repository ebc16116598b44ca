"""The canonical identity of a reported thing (`Target`) and its versioned `dedup_key`."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from flagpost.domain.normalize.parsing import protect

# Bump when a rule change would give an existing target a different (platform, type, id): keys of
# different versions never collide, so stored items can be re-keyed by a migration that re-normalizes
# their canonical_url (or target) and maps old key -> new key.
KEY_VERSION = "v1"
_KEY_PREFIX = KEY_VERSION + ":"
_PROTECT_END = frozenset(".,;:!)")


def dedup_key(platform: str, type: str, id: str) -> str:
    """`v1:` + 30 lower-case hex digits of BLAKE2b-120 over `platform|type|id` (UTF-8).

    `platform` and `type` come from closed vocabularies without `|`, so the joined text is unambiguous
    even when `id` contains `|`. 120 bits keep collisions out of reach for any realistic item count
    while the key stays short enough to be a DynamoDB partition key and to read in a log line.
    """
    # Hex rather than base32: hexdigest runs in C, base64.b32encode in Python at several times the cost.
    return _KEY_PREFIX + blake2b(f"{platform}|{type}|{id}".encode(), digest_size=15).hexdigest()


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The container a target lives in and is identified within (a Telegram channel for a post)."""

    type: str
    id: str
    dedup_key: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "dedup_key": self.dedup_key}


@dataclass(frozen=True, slots=True)
class Target:
    """What a report is about, in the shape of the contract's `Target`.

    `canonical_url` is None for targets that have no web address (a Wickr or Surespot account).
    `parent` is set only when the container is part of the identity (a Telegram post number means
    nothing without its channel), so every spelling of one thing yields an equal Target, parent included.
    """

    platform: str
    type: str
    id: str
    canonical_url: str | None
    dedup_key: str
    parent: ParentRef | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "platform": self.platform,
            "type": self.type,
            "id": self.id,
            "canonical_url": self.canonical_url,
            "dedup_key": self.dedup_key,
        }
        if self.parent is not None:
            out["parent"] = self.parent.as_dict()
        return out


def make_target(
    platform: str,
    type: str,
    id: str,
    canonical_url: str | None,
    parent: tuple[str, str] | None = None,
) -> Target:
    """Build a Target, computing its key and, given `(parent_type, parent_id)`, its parent's key."""
    if canonical_url is not None and (canonical_url[-1] in _PROTECT_END or "(" in canonical_url):
        canonical_url = protect(canonical_url)
    parent_ref = ParentRef(parent[0], parent[1], dedup_key(platform, parent[0], parent[1])) if parent else None
    # The key is computed inline (same formula as dedup_key): this runs once per reported link.
    key = _KEY_PREFIX + blake2b(f"{platform}|{type}|{id}".encode(), digest_size=15).hexdigest()
    return Target(platform, type, id, canonical_url, key, parent_ref)
