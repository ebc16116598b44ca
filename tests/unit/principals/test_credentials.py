"""API keys and signing secrets: format, parsing and verification."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from flagpost.domain import credentials


def test_new_keys_parse_back_and_verify() -> None:
    key, parsed = credentials.new_api_key()
    assert credentials.parse_api_key(key) == parsed
    salt = credentials.new_salt()
    digest = credentials.hash_secret(salt, parsed.secret)
    assert credentials.verify_secret(salt, parsed.secret, digest)
    altered = parsed.secret[:-1] + ("A" if parsed.secret[-1] != "A" else "B")
    assert not credentials.verify_secret(salt, altered, digest)
    assert not credentials.verify_secret(credentials.new_salt(), parsed.secret, digest)


def test_keys_are_unique() -> None:
    assert len({credentials.new_api_key()[0] for _ in range(200)}) == 200


@given(st.text(max_size=120))
def test_arbitrary_text_never_parses_unless_well_formed(raw: str) -> None:
    parsed = credentials.parse_api_key(raw)
    if parsed is not None:
        assert raw.strip() == f"fpk_{parsed.key_id}_{parsed.secret}"


def test_signing_secret_is_a_standard_webhooks_secret() -> None:
    secret = credentials.new_signing_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
