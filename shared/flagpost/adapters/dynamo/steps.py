"""The steps of notices (`flagpost.domain.steps`) beside their items, and how far each platform has
acknowledged its feed.

In the items table: ``ITEM#<item_id>`` / ``STEP#<platform>#<step>``, one record per step, created once
(the stream counts it then). In the feed table: ``FEED#<platform>`` / ``ACKED``, ``seq``: the platform
read its feed past every entry up to `seq` (it sorts after the entries' 20-digit keys, so feed reads
never see it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from flagpost.adapters.dynamo.client import Table, jitter, to_item
from flagpost.adapters.dynamo.item_records import CREATE_ONLY
from flagpost.domain.errors import UnavailableError, WriteConflictError

_BATCH = 25  # BatchWriteItem's limit
_ATTEMPTS = 8


class DynamoStepLog:
    def __init__(self, table: Table, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self._sleep = sleep

    def record(self, step: dict[str, Any]) -> None:
        """Create the step's record; one that exists stands (its first time is the step's time)."""
        with contextlib.suppress(WriteConflictError):
            self.table.call("put_item", TableName=self.table.name, Item=to_item(step), ConditionExpression=CREATE_ONLY)

    def record_all(self, steps: Sequence[dict[str, Any]]) -> None:
        """Write many step records in batches. One written again (a replayed acknowledgement) takes the
        later time but is not counted again: a step counts when its record is created."""
        for start in range(0, len(steps), _BATCH):
            request = {self.table.name: [{"PutRequest": {"Item": to_item(s)}} for s in steps[start : start + _BATCH]]}
            for attempt in range(_ATTEMPTS):
                got = self.table.call("batch_write_item", RequestItems=request)
                request = got.get("UnprocessedItems") or {}
                if not request:
                    break
                self._sleep(jitter(attempt))
            else:
                raise UnavailableError("Storage is busy; retry shortly.")


class FeedAcks:
    def __init__(self, table: Table) -> None:
        self.table = table

    def acknowledged(self, platform_id: str) -> int:
        """The highest seq the platform has read its feed past (0: none)."""
        found = self.table.get({"pk": f"FEED#{platform_id}", "sk": "ACKED"})
        return int(found["seq"]) if found else 0

    def advance(self, platform_id: str, seen: int, to: int) -> None:
        """Move the mark from `seen` to `to`; a reader that moved it first wins (nothing to do then)."""
        with contextlib.suppress(WriteConflictError):
            self.table.call(
                "put_item",
                TableName=self.table.name,
                Item=to_item({"pk": f"FEED#{platform_id}", "sk": "ACKED", "seq": to}),
                ConditionExpression="attribute_not_exists(pk) OR seq = :seen",
                ExpressionAttributeValues=to_item({":seen": seen}),
            )
