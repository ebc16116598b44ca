"""The delivery log of a feed: attempts, settled states, the failed-entry listing, redelivery rounds.

In the feed table (pk, sk): ``DELIVERY#<platform>#<seq>`` / ``<attempt, 6 digits>`` one push attempt
(time, status or error, latency); ``FAILED#<platform>`` / ``<seq>`` lists a failed entry (written with
the entry's failed state, deleted when it is delivered or requeued), which is what redelivery reads.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.domain.errors import WriteConflictError
from flagpost.domain.models.feed import FeedEntry
from flagpost.domain.models.times import iso


def seq_key(seq: int) -> str:
    return f"{seq:020d}"


def entry_of(record: dict[str, Any]) -> FeedEntry:
    return FeedEntry(
        platform_id=record["pk"].removeprefix("FEED#"),
        seq=int(record["sk"]),
        op=record["op"],
        item=record["item"],
        created_at=record["created_at"],
        delivery=record.get("delivery", "pull"),
        round=int(record.get("delivery_round", 0)),
        round_started_at=record.get("round_started_at"),
        attempt_offset=int(record.get("attempt_offset", 0)),
    )


def now_iso() -> str:
    return iso(datetime.now(UTC))


class DeliveryLog:
    """The push side of the feed table (FeedStore adds the entries themselves)."""

    table: Table

    def entry(self, platform_id: str, seq: int) -> FeedEntry | None:
        record = self.table.get({"pk": f"FEED#{platform_id}", "sk": seq_key(seq)})
        return entry_of(record) if record else None

    def record_attempt(self, entry: FeedEntry, attempt: int, result: dict[str, Any], delivery: str | None) -> None:
        """Log one push attempt and, when it settles the entry, its delivery state (and its listing)."""
        log = {"pk": f"DELIVERY#{entry.platform_id}#{entry.seq}", "sk": f"{attempt:06d}", "at": now_iso(), **result}
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table.name, "Item": to_item(log)}}]
        if delivery is not None:
            key = to_item({"pk": f"FEED#{entry.platform_id}", "sk": seq_key(entry.seq)})
            values = to_item({":d": delivery, ":a": attempt})
            actions.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": key,
                        "UpdateExpression": "SET delivery = :d, delivery_attempts = :a",
                        "ExpressionAttributeValues": values,
                    }
                }
            )
            listing = {"pk": f"FAILED#{entry.platform_id}", "sk": seq_key(entry.seq)}
            if delivery == "failed":
                actions.append({"Put": {"TableName": self.table.name, "Item": to_item({**listing, "at": now_iso()})}})
            else:
                actions.append({"Delete": {"TableName": self.table.name, "Key": to_item(listing)}})
        self.table.transact(actions)

    def attempts(self, platform_id: str, seq: int) -> list[dict[str, Any]]:
        return list(
            self.table.query_all(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item({":pk": f"DELIVERY#{platform_id}#{seq}"}),
                ConsistentRead=True,
            )
        )

    def failed(self, platform_id: str) -> list[int]:
        """The seqs of the platform's entries whose delivery failed, oldest first."""
        listed = self.table.query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"FAILED#{platform_id}"}),
            ConsistentRead=True,
        )
        return [int(r["sk"]) for r in listed]

    def requeue(self, platform_id: str, seq: int) -> FeedEntry | None:
        """Turn a failed entry back into a pending one in a new delivery round; None if it is not failed.

        The entry keeps its seq, its item and so its webhook-id; the round starts now, with a full
        attempt budget, and its attempts are logged after those of earlier rounds.
        """
        key = to_item({"pk": f"FEED#{platform_id}", "sk": seq_key(seq)})
        listing = {
            "Delete": {
                "TableName": self.table.name,
                "Key": to_item({"pk": f"FAILED#{platform_id}", "sk": seq_key(seq)}),
            }
        }
        flip = {
            "Update": {
                "TableName": self.table.name,
                "Key": key,
                "UpdateExpression": "SET delivery = :pending, round_started_at = :now, "
                "delivery_round = if_not_exists(delivery_round, :zero) + :one, "
                "attempt_offset = if_not_exists(delivery_attempts, :zero)",
                "ConditionExpression": "delivery = :failed",
                "ExpressionAttributeValues": to_item(
                    {":pending": "pending", ":failed": "failed", ":now": now_iso(), ":zero": 0, ":one": 1}
                ),
            }
        }
        try:
            self.table.transact([flip, listing])
        except WriteConflictError:
            # Delivered or requeued meanwhile, or never failed: only a stale listing may be left to drop.
            self._drop_stale_listing(key, listing)
            return None
        return self.entry(platform_id, seq)

    def _drop_stale_listing(self, key: dict[str, Any], listing: dict[str, Any]) -> None:
        still_not_failed = {
            "ConditionCheck": {
                "TableName": self.table.name,
                "Key": key,
                "ConditionExpression": "delivery <> :failed",
                "ExpressionAttributeValues": to_item({":failed": "failed"}),
            }
        }
        with contextlib.suppress(WriteConflictError):  # failed again meanwhile: the listing stands
            self.table.transact([still_not_failed, listing])
