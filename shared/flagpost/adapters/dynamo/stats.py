"""Counters in DynamoDB: one item per counter, each stream record counted exactly once.

A stream batch is counted in as few transactions as fit: each holds a marker Put per record
(conditional: the record was not counted before) and one ADD per distinct counter, the records'
increments summed. A marker that exists means an earlier delivery counted that record: it is dropped
from the transaction, which is tried again without it. Markers expire after a week, far beyond the
stream's 24-hour retention, so no redelivery can outlive its marker.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from flagpost.adapters import aws
from flagpost.adapters.dynamo.client import error_code, from_item, to_item

PK = "STATS"
MARKER_TTL_S = 7 * 24 * 3600
MAX_ACTIONS = 100  # DynamoDB's limit per transaction


class StatsNotAppliedError(Exception):
    """Counting stopped at `index` (of the records given): it and those after it may not be counted."""

    def __init__(self, index: int, cause: str) -> None:
        super().__init__(f"statistics not applied from record {index}: {cause}")
        self.index = index


class StatsStore:
    def __init__(self, table: str, *, dynamodb: Any = None) -> None:
        self.table = table
        self._dynamodb = dynamodb

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws.client("dynamodb")

    def _mark(self, marker: str) -> dict[str, Any]:
        """The action that records a stream record as counted; it fails if an earlier delivery did."""
        item = {"pk": "EVENT", "sk": marker, "expires_at": int(time.time()) + MARKER_TTL_S}
        return {
            "Put": {"TableName": self.table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def _add(self, counter: str, value: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"pk": PK, "sk": counter}),
                "UpdateExpression": "ADD n :v",
                "ExpressionAttributeValues": to_item({":v": value}),
            }
        }

    def apply(self, event_id: str, increments: Counter[str]) -> bool:
        """Add the increments once per event id (a retried stream record adds nothing). True if applied."""
        changes = {k: v for k, v in increments.items() if v}
        if not changes:
            return False
        per_marker = MAX_ACTIONS - 1
        for start in range(0, len(changes), per_marker):
            # A second chunk gets its own marker so that each chunk is applied exactly once.
            marker = f"{event_id}#{start}" if start else event_id
            chunk = list(changes.items())[start : start + per_marker]
            batch = [self._mark(marker)] + [self._add(key, value) for key, value in chunk]
            try:
                self.dynamodb.transact_write_items(TransactItems=batch)
            except ClientError as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                if error_code(exc) == "TransactionCanceledException" and reasons[:1] == ["ConditionalCheckFailed"]:
                    continue  # already applied by an earlier delivery of this record
                raise
        return True

    def apply_batch(self, records: Sequence[tuple[str, Counter[str]]]) -> int:
        """Count each (event id, increments) exactly once, in order; how many records were newly counted.

        Raises StatsNotAppliedError naming the first record that may not be counted (a throttle, a
        transaction conflict): the records before it are counted, so the stream can resume there.
        """
        applied = 0
        for first, chunk in self._chunks(records):
            try:
                applied += self._apply_chunk(chunk)
            except ClientError as exc:
                raise StatsNotAppliedError(first, error_code(exc)) from exc
        return applied

    def _chunks(self, records: Sequence[tuple[str, Counter[str]]]) -> list[tuple[int, list[tuple[str, Counter[str]]]]]:
        """Consecutive records whose markers and distinct counters fit one transaction, with the first's index."""
        chunks: list[tuple[int, list[tuple[str, Counter[str]]]]] = []
        chunk: list[tuple[str, Counter[str]]] = []
        keys: set[str] = set()
        start = 0
        for index, (event_id, increments) in enumerate(records):
            changes = Counter({k: v for k, v in increments.items() if v})
            if not changes:
                continue
            if chunk and len(chunk) + 1 + len(keys | set(changes)) > MAX_ACTIONS:
                chunks.append((start, chunk))
                chunk, keys = [], set()
            if not chunk:
                start = index
            chunk.append((event_id, changes))
            keys |= set(changes)
        if chunk:
            chunks.append((start, chunk))
        return chunks

    def _apply_chunk(self, chunk: list[tuple[str, Counter[str]]]) -> int:
        if len(chunk) == 1 and len(chunk[0][1]) + 1 > MAX_ACTIONS:
            return int(self.apply(*chunk[0]))  # one record too large for a transaction: split per record
        while chunk:
            total: Counter[str] = Counter()
            for _, changes in chunk:
                total.update(changes)
            actions = [self._mark(event_id) for event_id, _ in chunk]
            actions += [self._add(key, value) for key, value in sorted(total.items()) if value]
            try:
                self.dynamodb.transact_write_items(TransactItems=actions)
                return len(chunk)
            except ClientError as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                counted = {i for i, code in enumerate(reasons[: len(chunk)]) if code == "ConditionalCheckFailed"}
                if error_code(exc) != "TransactionCanceledException" or not counted:
                    raise
                # Those records were counted by an earlier delivery: count the others.
                chunk = [record for i, record in enumerate(chunk) if i not in counted]
        return 0

    def add(self, counter: str, value: int = 1) -> None:
        """An increment that is not tied to a stream record (callers make it idempotent themselves)."""
        self.dynamodb.update_item(**self._add(counter, value)["Update"])

    def counters(self) -> dict[str, int]:
        """Every counter: one query over a partition whose size depends on flaggers and platforms, not items."""
        out: dict[str, int] = {}
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": PK}),
            "ConsistentRead": True,
        }
        while True:
            got = self.dynamodb.query(**request)
            for record in got.get("Items", []):
                item = from_item(record)
                out[item["sk"]] = int(item.get("n", 0))
            if "LastEvaluatedKey" not in got:
                return out
            request["ExclusiveStartKey"] = got["LastEvaluatedKey"]
