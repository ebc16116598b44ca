"""The records beside an item in the items table that several stores write: history entries and notes.

Layout (pk, sk): ``ITEM#<item_id>`` / ``ITEM`` the item; ``HIST#<at>#<n>`` its append-only history;
``NOTE#<at>#<n>`` a note's, retraction reason's or platform note's text, deleted by TTL;
``OUTCOME#<platform>`` a platform's standing outcome; ``REPORT#<report_id>`` / ``REPORT`` and ``TEXT``
a report's provenance and its free text.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flagpost.adapters.dynamo.client import to_item
from flagpost.domain.ids import NOTE_PREFIX
from flagpost.domain.models.times import iso

__all__ = ["NOTE_PREFIX", "history_put", "item_key", "note_put"]

HISTORY_PREFIX = "HIST#"
OUTCOME_PREFIX = "OUTCOME#"
CREATE_ONLY = "attribute_not_exists(pk)"


def item_key(item_id: str) -> dict[str, str]:
    return {"pk": f"ITEM#{item_id}", "sk": "ITEM"}


def history_put(
    table: str,
    item_id: str,
    at: datetime,
    event: str,
    actor: str,
    detail: dict[str, Any],
    *,
    lease_id: str | None = None,
    note_id: str | None = None,
) -> dict[str, Any]:
    """The Put of one append-only history entry, for every writer of an item's history.

    Free text never goes into the entry: it refers to a note record (`note_put`) that expires.
    """
    entry = {
        "pk": f"ITEM#{item_id}",
        # The random suffix keeps two changes within one millisecond apart; both sort by time.
        "sk": f"{HISTORY_PREFIX}{iso(at)}#{secrets.token_hex(4)}",
        "event": event,
        "actor": actor,
        "at": iso(at),
        "lease_id": lease_id,
        "note_id": note_id,
        "detail": detail,
    }
    return {"TableName": table, "Item": to_item(entry), "ConditionExpression": CREATE_ONLY}


def note_put(table: str, item_id: str, note_id: str, text: str, at: datetime, retention_days: int) -> dict[str, Any]:
    """The Put of one free-text note; DynamoDB's TTL deletes it `retention_days` after it was written."""
    note = {
        "pk": f"ITEM#{item_id}",
        "sk": note_id,
        "text": text,
        "expires_at": int((at + timedelta(days=retention_days)).timestamp()),
    }
    return {"TableName": table, "Item": to_item(note), "ConditionExpression": CREATE_ONLY}
