"""Per-platform feeds in DynamoDB: gap-free sequence numbers, idempotent appends, cursors, delivery log.

Layout of the feed table (pk, sk — both strings):
- ``FEED#<platform>``, ``COUNTER``: ``last_seq``, the platform's highest sequence number.
- ``FEED#<platform>``, ``<seq, 20 digits>``: one entry: ``op`` (upsert|retract), the item snapshot,
  ``delivery`` (pull|pending|delivered|failed).
- ``ENTRY#<platform>#<item_id>#<op>``, ``KEY``: makes appending the same change twice a no-op.
- ``ROUTE#<item_id>``, ``<platform>``: the item was sent to this platform (outcomes check it).
- ``DELIVERY#<platform>#<seq>``, ``<attempt, 6 digits>``: one push attempt: time, status, latency.

An append is one transaction: the counter moves from n to n+1 only if it still reads n, and entry
n+1 is written with it. Entries therefore become visible strictly in sequence order, so a reader
that resumes after seq n can never skip an entry that commits later with a smaller number.
"""

from __future__ import annotations

import base64
import binascii
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from flagpost import aws
from flagpost.store.dynamo import StoreUnavailableError, error_code, from_item, to_item

Op = Literal["upsert", "retract"]
MAX_APPEND_ATTEMPTS = 12
CURSOR_PREFIX = "fc1."


class InvalidCursorError(ValueError):
    pass


@dataclass(frozen=True)
class FeedEntry:
    platform_id: str
    seq: int
    op: Op
    item: dict[str, Any]
    created_at: str
    delivery: str

    def public(self) -> dict[str, Any]:
        return {"seq": self.seq, "op": self.op, "item": self.item}

    def webhook_id(self) -> str:
        """Stable for this entry across every retry of its push."""
        return f"fpe_{self.platform_id}_{self.seq}"


def _seq_key(seq: int) -> str:
    return f"{seq:020d}"


def encode_cursor(seq: int) -> str:
    return CURSOR_PREFIX + base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.startswith(CURSOR_PREFIX) or len(cursor) > 64:
        raise InvalidCursorError("not a feed cursor")
    raw = cursor[len(CURSOR_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError("not a feed cursor") from None
    if not text.isdigit() or len(text) > 19:
        raise InvalidCursorError("not a feed cursor")
    return int(text)


def _entry(record: dict[str, Any]) -> FeedEntry:
    return FeedEntry(
        platform_id=record["pk"].removeprefix("FEED#"),
        seq=int(record["sk"]),
        op=record["op"],
        item=record["item"],
        created_at=record["created_at"],
        delivery=record.get("delivery", "pull"),
    )


class FeedStore:
    def __init__(self, table: str, *, dynamodb: Any = None, sleep: Any = time.sleep) -> None:
        self.table = table
        self._dynamodb = dynamodb
        self._sleep = sleep

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws.client("dynamodb")

    def append(self, platform_id: str, op: Op, item: dict[str, Any], *, push: bool) -> tuple[FeedEntry, bool]:
        """Append (platform, item, op) once. Returns the entry and whether this call created it."""
        item_id = item["item_id"]
        marker_key = {"pk": f"ENTRY#{platform_id}#{item_id}#{op}", "sk": "KEY"}
        for attempt in range(MAX_APPEND_ATTEMPTS):
            existing = self._get(marker_key)
            if existing is not None:
                found = self.entry(platform_id, int(existing["seq"]))
                if found is not None:
                    return found, False
            counter = self._get({"pk": f"FEED#{platform_id}", "sk": "COUNTER"})
            last = int(counter["last_seq"]) if counter else 0
            seq = last + 1
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            entry = {
                "pk": f"FEED#{platform_id}",
                "sk": _seq_key(seq),
                "op": op,
                "item": item,
                "item_id": item_id,
                "created_at": now,
                "delivery": "pending" if push else "pull",
            }
            counter_update: dict[str, Any] = {
                "TableName": self.table,
                "Key": to_item({"pk": f"FEED#{platform_id}", "sk": "COUNTER"}),
                "UpdateExpression": "SET last_seq = :next",
                "ExpressionAttributeValues": to_item({":next": seq, **({":last": last} if counter else {})}),
                "ConditionExpression": "last_seq = :last" if counter else "attribute_not_exists(pk)",
            }
            actions = [
                {"Update": counter_update},
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(entry),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item({**marker_key, "seq": seq}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
            if op == "upsert":
                actions.append(
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item({"pk": f"ROUTE#{item_id}", "sk": platform_id, "seq": seq}),
                        }
                    }
                )
            try:
                self.dynamodb.transact_write_items(TransactItems=actions)
            except ClientError as exc:
                if error_code(exc) not in ("TransactionCanceledException", "ThrottlingException"):
                    raise
                # Another append took seq first (or the same change landed meanwhile): look again.
                self._sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter
                continue
            return _entry(entry), True
        raise StoreUnavailableError(f"could not append to the feed of {platform_id}")

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        got = self.dynamodb.get_item(TableName=self.table, Key=to_item(key), ConsistentRead=True)
        return from_item(got["Item"]) if "Item" in got else None

    def entry(self, platform_id: str, seq: int) -> FeedEntry | None:
        record = self._get({"pk": f"FEED#{platform_id}", "sk": _seq_key(seq)})
        return _entry(record) if record else None

    def read(self, platform_id: str, after: int, limit: int) -> list[FeedEntry]:
        """Entries with seq > `after`, in order."""
        got = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=to_item(
                {":pk": f"FEED#{platform_id}", ":lo": _seq_key(after + 1), ":hi": "9" * 20}
            ),
            ConsistentRead=True,
            Limit=limit,
        )
        return [_entry(from_item(i)) for i in got.get("Items", [])]

    def routed_platforms(self, item_id: str) -> dict[str, int]:
        """Platforms the item was sent to (as upsert), with the entry's seq."""
        got = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"ROUTE#{item_id}"}),
            ConsistentRead=True,
        )
        return {from_item(i)["sk"]: int(from_item(i)["seq"]) for i in got.get("Items", [])}

    def record_attempt(self, entry: FeedEntry, attempt: int, result: dict[str, Any], delivery: str | None) -> None:
        """Log one push attempt and, when it settles the entry, its delivery state."""
        log = {
            "pk": f"DELIVERY#{entry.platform_id}#{entry.seq}",
            "sk": f"{attempt:06d}",
            "at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            **result,
        }
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table, "Item": to_item(log)}}]
        if delivery is not None:
            actions.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": to_item({"pk": f"FEED#{entry.platform_id}", "sk": _seq_key(entry.seq)}),
                        "UpdateExpression": "SET delivery = :d, delivery_attempts = :a",
                        "ExpressionAttributeValues": to_item({":d": delivery, ":a": attempt}),
                    }
                }
            )
        self.dynamodb.transact_write_items(TransactItems=actions)

    def attempts(self, platform_id: str, seq: int) -> list[dict[str, Any]]:
        got = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"DELIVERY#{platform_id}#{seq}"}),
            ConsistentRead=True,
        )
        return [from_item(i) for i in got.get("Items", [])]
