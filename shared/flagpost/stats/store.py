"""Counters in DynamoDB: one item per counter, updated once per stream record (idempotently)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from flagpost import aws
from flagpost.store.dynamo import error_code, from_item, to_item

PK = "STATS"
MARKER_TTL_S = 7 * 24 * 3600


class StatsStore:
    def __init__(self, table: str, *, dynamodb: Any = None) -> None:
        self.table = table
        self._dynamodb = dynamodb

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws.client("dynamodb")

    def apply(self, event_id: str, increments: Counter[str]) -> bool:
        """Add the increments once per event id (a retried stream record adds nothing). True if applied."""
        changes = {k: v for k, v in increments.items() if v}
        if not changes:
            return False
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item({"pk": "EVENT", "sk": event_id, "expires_at": int(time.time()) + MARKER_TTL_S}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        for start in range(0, len(changes), 99):
            chunk = list(changes.items())[start : start + 99]
            batch = actions + [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": to_item({"pk": PK, "sk": key}),
                        "UpdateExpression": "ADD n :v",
                        "ExpressionAttributeValues": to_item({":v": value}),
                    }
                }
                for key, value in chunk
            ]
            if start:
                # A second chunk gets its own marker so that each chunk is applied exactly once.
                batch[0]["Put"]["Item"] = to_item(
                    {"pk": "EVENT", "sk": f"{event_id}#{start}", "expires_at": int(time.time()) + MARKER_TTL_S}
                )
            try:
                self.dynamodb.transact_write_items(TransactItems=batch)
            except ClientError as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                if error_code(exc) == "TransactionCanceledException" and reasons[:1] == ["ConditionalCheckFailed"]:
                    continue  # already applied by an earlier delivery of this record
                raise
        return True

    def add(self, counter: str, value: int = 1) -> None:
        """An increment that is not tied to a stream record (callers make it idempotent themselves)."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=to_item({"pk": PK, "sk": counter}),
            UpdateExpression="ADD n :v",
            ExpressionAttributeValues=to_item({":v": value}),
        )

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
