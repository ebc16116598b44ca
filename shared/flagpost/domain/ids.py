"""Identifiers of items and reports."""

from __future__ import annotations

import secrets
from hashlib import blake2b


def item_id_for(dedup_key: str) -> str:
    """Derived from the dedup key, so that 'one item per target' is one conditional write, not a lookup."""
    return "itm_" + blake2b(dedup_key.encode(), digest_size=12).hexdigest()


def new_report_id() -> str:
    return "rep_" + secrets.token_hex(10)
