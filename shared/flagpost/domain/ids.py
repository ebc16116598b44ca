"""Identifiers: items (from their dedup key), reports (from their submission), leases and notes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b

from flagpost.domain.models.times import iso

NOTE_PREFIX = "NOTE#"


def item_id_for(dedup_key: str) -> str:
    """Derived from the dedup key, so that 'one item per target' is one conditional write, not a lookup."""
    return "itm_" + blake2b(dedup_key.encode(), digest_size=12).hexdigest()


def new_report_id() -> str:
    return "rep_" + secrets.token_hex(10)


def new_lease_id() -> str:
    return "lse_" + secrets.token_hex(12)


def new_note_id(at: datetime) -> str:
    """A note's id, sortable by time: decisions and history entries keep it as `note_id` (the store
    uses it as the note record's sort key)."""
    return f"{NOTE_PREFIX}{iso(at)}#{secrets.token_hex(4)}"


def report_id_for(flagger_id: str, webhook_id: str, index: int, body_sha256: str) -> str:
    """Stable across retries of one submission, distinct across flaggers and submissions.

    The body's digest is part of it: a webhook-id reused with another body once the idempotency
    window has passed is another submission, whose reports land, rather than being mistaken for
    the first one's (and answered for without being stored).
    """
    text = f"{flagger_id}\x00{webhook_id}\x00{body_sha256}\x00{index}"
    return f"rep_{blake2b(text.encode(), digest_size=10).hexdigest()}"


@dataclass(frozen=True)
class Submission:
    """Who sent a batch of reports, under which webhook-id, with which body (SHA-256, hex)."""

    flagger_id: str
    webhook_id: str
    body_sha256: str

    def report_id(self, index: int) -> str:
        return report_id_for(self.flagger_id, self.webhook_id, index, self.body_sha256)
