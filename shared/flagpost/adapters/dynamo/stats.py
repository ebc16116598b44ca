"""Counters in DynamoDB: one item per counter, each stream change counted exactly once; overdue items.

A stream batch is counted in as few transactions as fit: each holds a marker Put per change
(conditional: the change was not counted before) and one ADD per distinct counter, the changes'
increments summed. A marker that exists means an earlier delivery counted that change: it is dropped
from the transaction, which is tried again without it. Markers expire after a week, far beyond the
stream's 24-hour retention, so no redelivery can outlive its marker.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.domain.errors import UnavailableError, WriteConflictError
from flagpost.domain.models.times import iso
from flagpost.services.ports import StatsNotAppliedError

PK = "STATS"
MARKER_TTL_S = 7 * 24 * 3600
MAX_ACTIONS = 100  # DynamoDB's limit per transaction


class StatsStore:
    def __init__(self, table: Table, *, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self._clock = clock

    def _mark(self, marker: str) -> dict[str, Any]:
        """The action that records a change as counted; it fails if an earlier delivery did."""
        item = {"pk": "EVENT", "sk": marker, "expires_at": int(self._clock()) + MARKER_TTL_S}
        return {
            "Put": {
                "TableName": self.table.name,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _add(self, counter: str, value: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table.name,
                "Key": to_item({"pk": PK, "sk": counter}),
                "UpdateExpression": "ADD n :v",
                "ExpressionAttributeValues": to_item({":v": value}),
            }
        }

    def apply_batch(self, changes: Sequence[tuple[str, Counter[str]]]) -> int:
        """Count each (event id, increments) exactly once, in order; how many were newly counted.

        Raises StatsNotAppliedError naming the first change that may not be counted (a throttle, a
        transaction conflict): the changes before it are counted, so the stream can resume there.
        """
        applied = 0
        for first, chunk in self._chunks(changes):
            try:
                applied += self._apply_chunk(chunk)
            except (UnavailableError, WriteConflictError) as exc:
                raise StatsNotAppliedError(first, str(exc)) from exc
        return applied

    def _chunks(self, changes: Sequence[tuple[str, Counter[str]]]) -> list[tuple[int, list[tuple[str, Counter[str]]]]]:
        """Consecutive changes whose markers and distinct counters fit one transaction, with the first's index."""
        chunks: list[tuple[int, list[tuple[str, Counter[str]]]]] = []
        chunk: list[tuple[str, Counter[str]]] = []
        keys: set[str] = set()
        start = 0
        for index, (event_id, increments) in enumerate(changes):
            nonzero = Counter({k: v for k, v in increments.items() if v})
            if not nonzero:
                continue
            if chunk and len(chunk) + 1 + len(keys | set(nonzero)) > MAX_ACTIONS:
                chunks.append((start, chunk))
                chunk, keys = [], set()
            if not chunk:
                start = index
            chunk.append((event_id, nonzero))
            keys |= set(nonzero)
        if chunk:
            chunks.append((start, chunk))
        return chunks

    def _apply_chunk(self, chunk: list[tuple[str, Counter[str]]]) -> int:
        if len(chunk) == 1 and len(chunk[0][1]) + 1 > MAX_ACTIONS:
            return self._apply_large(*chunk[0])  # one change too large for a transaction
        while chunk:
            total: Counter[str] = Counter()
            for _, increments in chunk:
                total.update(increments)
            actions = [self._mark(event_id) for event_id, _ in chunk]
            actions += [self._add(key, value) for key, value in sorted(total.items()) if value]
            try:
                self.table.transact(actions)
                return len(chunk)
            except WriteConflictError as exc:
                counted = {i for i, code in enumerate(exc.reasons[: len(chunk)]) if code == "ConditionalCheckFailed"}
                if not counted:
                    raise
                # Those changes were counted by an earlier delivery: count the others.
                chunk = [change for i, change in enumerate(chunk) if i not in counted]
        return 0

    def _apply_large(self, event_id: str, increments: Counter[str]) -> int:
        """One change's increments over several transactions, each with a marker of its own."""
        items = list(increments.items())
        per_marker = MAX_ACTIONS - 1
        for start in range(0, len(items), per_marker):
            marker = f"{event_id}#{start}" if start else event_id
            batch = [self._mark(marker)] + [self._add(key, value) for key, value in items[start : start + per_marker]]
            try:
                self.table.transact(batch)
            except WriteConflictError as exc:
                if exc.reasons[:1] != ["ConditionalCheckFailed"]:
                    raise  # otherwise: already applied by an earlier delivery of this change
        return 1

    def add(self, counter: str, value: int = 1) -> None:
        """An increment that is not tied to a stream change (callers make it idempotent themselves)."""
        self.table.call("update_item", **self._add(counter, value)["Update"])

    def values(self, counters: Sequence[str]) -> dict[str, int]:
        """The named counters (0 for one never counted), in one batch read."""
        found = self.table.batch_get([{"pk": PK, "sk": c} for c in dict.fromkeys(counters)]) if counters else []
        got = {str(r["sk"]): int(r.get("n", 0)) for r in found}
        return {c: got.get(c, 0) for c in counters}

    def queue_totals(self, queues: Sequence[str]) -> dict[str, int]:
        """Items in each review queue, from the `queue#<name>` counters (two reads whatever the backlog)."""
        totals = self.values([f"queue#{q}" for q in queues])
        return {q: max(0, totals[f"queue#{q}"]) for q in queues}

    def counters(self) -> dict[str, int]:
        """Every counter: one query over a partition whose size depends on flaggers and platforms, not items."""
        found = self.table.query_all(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues=to_item({":pk": PK}), ConsistentRead=True
        )
        return {record["sk"]: int(record.get("n", 0)) for record in found}


class QueueIndex:
    """The review queue's index, read for counting only."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def count_overdue(self, now: datetime, queues: Sequence[str] = ("default", "escalated")) -> int:
        """Items waiting past due_at, counted from the review-queue index's keys (<rank>#<due_at>#<id>):
        it reads the overdue keys only (COUNT), never the items due later."""
        total = 0
        for queue in queues:
            for rank in (0, 1, 2):
                request: dict[str, Any] = {
                    "IndexName": "review-queue",
                    "KeyConditionExpression": "#q = :q AND queue_sort BETWEEN :lo AND :hi",
                    "ExpressionAttributeNames": {"#q": "queue"},
                    "ExpressionAttributeValues": to_item({":q": queue, ":lo": f"{rank}#", ":hi": f"{rank}#{iso(now)}"}),
                    "Select": "COUNT",
                }
                while True:
                    got = self.table.call("query", TableName=self.table.name, **request)
                    total += int(got.get("Count", 0))
                    if "LastEvaluatedKey" not in got:
                        break
                    request["ExclusiveStartKey"] = got["LastEvaluatedKey"]
        return total
