"""Counts items-table stream records: one record (`record_change`) or a whole batch (`record_changes`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from flagpost.adapters.dynamo.client import from_item
from flagpost.adapters.dynamo.stats import StatsNotAppliedError, StatsStore
from flagpost.domain.aggregates import deltas
from flagpost.observability import logger


def _increments(record: dict[str, Any]) -> tuple[str, Counter[str]]:
    change = record.get("dynamodb", {})
    old = from_item(change["OldImage"]) if "OldImage" in change else None
    new = from_item(change["NewImage"]) if "NewImage" in change else None
    event_id = str(record.get("eventID") or change.get("SequenceNumber"))
    return event_id, deltas(old, new)


def record_change(store: StatsStore, record: dict[str, Any]) -> bool:
    return store.apply(*_increments(record))


def record_changes(store: StatsStore, records: Iterable[dict[str, Any]]) -> str | None:
    """Count a batch's records exactly once; the sequence number to resume from if counting stopped, else None."""
    todo = list(records)
    try:
        store.apply_batch([_increments(record) for record in todo])
    except StatsNotAppliedError as exc:
        resume = str(todo[exc.index]["dynamodb"]["SequenceNumber"])
        logger.warning(
            "statistics not counted; the stream resumes here", extra={"sequence_number": resume, "why": str(exc)}
        )
        return resume
    return None
