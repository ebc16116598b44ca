"""API keys and webhook signing secrets: generation, parsing and constant-time verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

API_KEY_PREFIX = "fpk"
_API_KEY = re.compile(rf"^{API_KEY_PREFIX}_(?P<key_id>[0-9a-f]{{16}})_(?P<secret>[A-Za-z0-9_-]{{43}})$")


@dataclass(frozen=True)
class ParsedApiKey:
    key_id: str
    secret: str


def new_principal_id(role: str) -> str:
    return f"{role[:3]}_{secrets.token_hex(6)}"


def new_api_key() -> tuple[str, ParsedApiKey]:
    """A key with 256 bits of entropy; its id part lets us find the stored hash without scanning."""
    parsed = ParsedApiKey(key_id=secrets.token_hex(8), secret=secrets.token_urlsafe(32))
    return f"{API_KEY_PREFIX}_{parsed.key_id}_{parsed.secret}", parsed


def parse_api_key(raw: str) -> ParsedApiKey | None:
    match = _API_KEY.match(raw.strip())
    return ParsedApiKey(match["key_id"], match["secret"]) if match else None


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def hash_secret(salt: bytes, secret: str) -> bytes:
    # The secret is 256 random bits, so a salted SHA-256 is as strong as a slow KDF here and keeps
    # every authenticated request cheap.
    return hashlib.sha256(salt + secret.encode("ascii")).digest()


def verify_secret(salt: bytes, secret: str, expected: bytes) -> bool:
    return hmac.compare_digest(hash_secret(salt, secret), expected)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
