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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from flagpost.adapters import aws
from flagpost.adapters.dynamo.client import StoreUnavailableError, cancellation_reasons, error_code, from_item, to_item

Op = Literal["upsert", "retract"]
# A transaction holds at most 100 actions: the counter, then an entry, a marker and a route per change.
APPEND_CHUNK = 30
APPEND_BUDGET_S = 20.0
APPEND_BACKOFF_BASE_S = 0.005
APPEND_BACKOFF_CAP_S = 0.25
_CREATE_ONLY = {"ConditionExpression": "attribute_not_exists(pk)"}
THROTTLED = ("ThrottlingException", "ProvisionedThroughputExceededException")
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
    # Redelivery: each requeue of a failed entry starts a new round, with a fresh attempt budget and
    # age limit; attempts are numbered on across rounds (`attempt_offset`) so the log keeps them all.
    round: int = 0
    round_started_at: str | None = None
    attempt_offset: int = 0

    def public(self) -> dict[str, Any]:
        return {"seq": self.seq, "op": self.op, "item": self.item}

    def webhook_id(self) -> str:
        """Stable for this entry across every retry of its push."""
        return f"fpe_{self.platform_id}_{self.seq}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        round=int(record.get("delivery_round", 0)),
        round_started_at=record.get("round_started_at"),
        attempt_offset=int(record.get("attempt_offset", 0)),
    )


class FeedStore:
    def __init__(
        self,
        table: str,
        *,
        dynamodb: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget_s: float = APPEND_BUDGET_S,
    ) -> None:
        self.table = table
        self._dynamodb = dynamodb
        self._sleep = sleep
        self._clock = clock
        self.budget_s = budget_s

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws.client("dynamodb")

    def append(self, platform_id: str, op: Op, item: dict[str, Any], *, push: bool) -> tuple[FeedEntry, bool]:
        """Append (platform, item, op) once. Returns the entry and whether this call created it."""
        ((entry, created),) = self.append_batch(platform_id, [(op, item)], push=push)
        return entry, created

    def append_batch(
        self, platform_id: str, changes: Sequence[tuple[Op, dict[str, Any]]], *, push: bool
    ) -> list[tuple[FeedEntry, bool]]:
        """Append each (op, item) to the platform's feed once, in order; per change, its entry and
        whether this call created it.

        The new entries of one call take consecutive seqs in one transaction per chunk: the counter
        moves once per chunk (n -> n+k, only if it still reads n), so concurrent appenders to one feed
        contend once per batch, not once per entry. A conflict is retried with jittered backoff until
        `budget_s` is spent; a marker that exists means the change was appended already.
        """
        started = self._clock()
        items = {(op, item["item_id"]): item for op, item in changes}
        found = self._appended(platform_id, list(items))
        created: set[tuple[str, str]] = set()
        attempt = 0
        while todo := [key for key in items if key not in found]:
            chunk = todo[:APPEND_CHUNK]
            counter = self._get({"pk": f"FEED#{platform_id}", "sk": "COUNTER"})
            last = int(counter["last_seq"]) if counter else 0
            entries = [
                self._new_entry(platform_id, last + 1 + n, op, items[(op, iid)], push)
                for n, (op, iid) in enumerate(chunk)
            ]
            try:
                self.dynamodb.transact_write_items(
                    TransactItems=self._append_actions(platform_id, last, counter is not None, entries)
                )
            except ClientError as exc:
                if error_code(exc) not in ("TransactionCanceledException", *THROTTLED):
                    raise
                if cancellation_reasons(exc)[1:].count("ConditionalCheckFailed"):
                    # Another appender added one of these very changes meanwhile: take its entry.
                    found.update(self._appended(platform_id, chunk))
                # Otherwise another appender moved the counter first: read it again, after a pause.
                attempt += 1
                if self._clock() - started > self.budget_s:
                    raise StoreUnavailableError(f"could not append to the feed of {platform_id}") from None
                pause = min(APPEND_BACKOFF_CAP_S, APPEND_BACKOFF_BASE_S * 2**attempt)
                self._sleep(random.uniform(0, pause))  # noqa: S311 - jitter, not security
                continue
            for key, record in zip(chunk, entries, strict=True):
                found[key] = _entry(record)
                created.add(key)
        return [(found[(op, item["item_id"])], (op, item["item_id"]) in created) for op, item in changes]

    def _new_entry(self, platform_id: str, seq: int, op: Op, item: dict[str, Any], push: bool) -> dict[str, Any]:
        return {
            "pk": f"FEED#{platform_id}",
            "sk": _seq_key(seq),
            "op": op,
            "item": item,
            "item_id": item["item_id"],
            "created_at": _now(),
            "delivery": "pending" if push else "pull",
        }

    def _append_actions(
        self, platform_id: str, last: int, counter_exists: bool, entries: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        values: dict[str, Any] = {":next": last + len(entries)}
        if counter_exists:
            values[":last"] = last
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item({"pk": f"FEED#{platform_id}", "sk": "COUNTER"}),
                    "UpdateExpression": "SET last_seq = :next",
                    "ExpressionAttributeValues": to_item(values),
                    "ConditionExpression": "last_seq = :last" if counter_exists else "attribute_not_exists(pk)",
                }
            }
        ]
        for entry in entries:
            seq, item_id, op = int(entry["sk"]), entry["item_id"], entry["op"]
            marker = {"pk": f"ENTRY#{platform_id}#{item_id}#{op}", "sk": "KEY", "seq": seq}
            for record in (entry, marker):
                actions.append({"Put": {"TableName": self.table, "Item": to_item(record), **_CREATE_ONLY}})
            if op == "upsert":
                route = {"pk": f"ROUTE#{item_id}", "sk": platform_id, "seq": seq}
                actions.append({"Put": {"TableName": self.table, "Item": to_item(route)}})
        return actions

    def _appended(self, platform_id: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], FeedEntry]:
        """The entries already appended for these (op, item_id) changes, found through their markers."""
        if not keys:
            return {}
        markers = self._batch_get([{"pk": f"ENTRY#{platform_id}#{iid}#{op}", "sk": "KEY"} for op, iid in keys])
        seqs: dict[tuple[str, str], int] = {}
        for marker in markers:
            _, _, item_id, op = marker["pk"].split("#", 3)  # ENTRY#<platform>#<item_id>#<op>: no part holds "#"
            seqs[(op, item_id)] = int(marker["seq"])
        if not seqs:
            return {}
        entries = self._batch_get([{"pk": f"FEED#{platform_id}", "sk": _seq_key(seq)} for seq in seqs.values()])
        by_seq = {int(e["sk"]): _entry(e) for e in entries}
        return {key: by_seq[seq] for key, seq in seqs.items() if seq in by_seq}

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.table: {"Keys": [to_item(k) for k in keys[start : start + 100]], "ConsistentRead": True}
            }
            while request:
                got = self.dynamodb.batch_get_item(RequestItems=request)
                found.extend(from_item(i) for i in got.get("Responses", {}).get(self.table, []))
                request = got.get("UnprocessedKeys") or {}
        return found

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
        """Log one push attempt and, when it settles the entry, its delivery state.

        A failed entry is also listed under ``FAILED#<platform>`` (same transaction), which is what
        redelivery reads; delivering it takes it off that list.
        """
        log = {"pk": f"DELIVERY#{entry.platform_id}#{entry.seq}", "sk": f"{attempt:06d}", "at": _now(), **result}
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
            failed_key = to_item({"pk": f"FAILED#{entry.platform_id}", "sk": _seq_key(entry.seq)})
            if delivery == "failed":
                marker = {"pk": f"FAILED#{entry.platform_id}", "sk": _seq_key(entry.seq), "at": _now()}
                actions.append({"Put": {"TableName": self.table, "Item": to_item(marker)}})
            else:
                actions.append({"Delete": {"TableName": self.table, "Key": failed_key}})
        self.dynamodb.transact_write_items(TransactItems=actions)

    def failed(self, platform_id: str) -> list[int]:
        """The seqs of the platform's entries whose delivery failed, oldest first."""
        seqs: list[int] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": f"FAILED#{platform_id}"}),
            "ConsistentRead": True,
        }
        while True:
            got = self.dynamodb.query(**request)
            seqs.extend(int(from_item(i)["sk"]) for i in got.get("Items", []))
            if "LastEvaluatedKey" not in got:
                return seqs
            request["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def requeue(self, platform_id: str, seq: int) -> FeedEntry | None:
        """Turn a failed entry back into a pending one in a new delivery round; None if it is not failed.

        The entry keeps its seq, its item and so its webhook-id; the round starts now, with a full
        attempt budget, and its attempts are logged after those of earlier rounds.
        """
        key = to_item({"pk": f"FEED#{platform_id}", "sk": _seq_key(seq)})
        listing = {
            "Delete": {"TableName": self.table, "Key": to_item({"pk": f"FAILED#{platform_id}", "sk": _seq_key(seq)})}
        }
        flip = {
            "Update": {
                "TableName": self.table,
                "Key": key,
                "UpdateExpression": "SET delivery = :pending, round_started_at = :now, "
                "delivery_round = if_not_exists(delivery_round, :zero) + :one, "
                "attempt_offset = if_not_exists(delivery_attempts, :zero)",
                "ConditionExpression": "delivery = :failed",
                "ExpressionAttributeValues": to_item(
                    {":pending": "pending", ":failed": "failed", ":now": _now(), ":zero": 0, ":one": 1}
                ),
            }
        }
        try:
            self.dynamodb.transact_write_items(TransactItems=[flip, listing])
        except ClientError as exc:
            if cancellation_reasons(exc)[:1] != ["ConditionalCheckFailed"]:
                raise
            # Delivered or requeued meanwhile, or never failed: only a stale listing may be left to drop.
            self._drop_stale_listing(key, listing)
            return None
        return self.entry(platform_id, seq)

    def _drop_stale_listing(self, key: dict[str, Any], listing: dict[str, Any]) -> None:
        still_not_failed = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": key,
                "ConditionExpression": "delivery <> :failed",
                "ExpressionAttributeValues": to_item({":failed": "failed"}),
            }
        }
        try:
            self.dynamodb.transact_write_items(TransactItems=[still_not_failed, listing])
        except ClientError as exc:
            if cancellation_reasons(exc)[:1] != ["ConditionalCheckFailed"]:
                raise

    def attempts(self, platform_id: str, seq: int) -> list[dict[str, Any]]:
        got = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"DELIVERY#{platform_id}#{seq}"}),
            ConsistentRead=True,
        )
        return [from_item(i) for i in got.get("Items", [])]
