"""Applies one items-table stream record to the counters."""

from __future__ import annotations

from typing import Any

from flagpost.stats.aggregates import deltas
from flagpost.stats.store import StatsStore
from flagpost.store.dynamo import from_item


def record_change(store: StatsStore, record: dict[str, Any]) -> bool:
    change = record.get("dynamodb", {})
    old = from_item(change["OldImage"]) if "OldImage" in change else None
    new = from_item(change["NewImage"]) if "NewImage" in change else None
    event_id = str(record.get("eventID") or change.get("SequenceNumber"))
    return store.apply(event_id, deltas(old, new))
