"""DynamoDB access for review: the queue and status indexes, conditional item writes with history, reads.

Every state change is one TransactWriteItems: the item's conditional Update and a history Put that
may only create (``attribute_not_exists``). Nothing here updates or deletes a history entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from flagpost.adapters import aws
from flagpost.adapters.dynamo.client import (
    StoreUnavailableError,
    error_code,
    from_item,
    raise_unavailable_if_transient,
    to_item,
)
from flagpost.adapters.dynamo.items import NOTE_PREFIX, history_put, new_note_id, note_put
from flagpost.config import Settings, settings

OUTCOME_PREFIX = "OUTCOME#"
QUEUE_INDEX = "review-queue"
STATUS_INDEX = "items-by-status"
REPORTS_INDEX = "reports-by-item"
# Cancellation reasons that mean "the item changed under us": the caller re-reads and decides again.
LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class LostRaceError(Exception):
    """The item's condition no longer held when the write arrived (someone else changed it first)."""


class BadStartKeyError(ValueError):
    """DynamoDB refused a pagination key (a forged or foreign cursor)."""


@dataclass
class ItemWrite:
    """One conditional update of an item and the history entry that records it."""

    item_id: str
    update: str
    condition: str
    values: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    event: str = ""
    actor: str = ""
    at: datetime | None = None
    lease_id: str | None = None
    note: str | None = None  # free text: stored as its own expiring record, referred to by note_id
    note_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    records: list[dict[str, Any]]
    last_key: dict[str, Any] | None


class DynamoReviewStore:
    def __init__(self, table: str | None = None, *, config: Settings | None = None, dynamodb: Any = None) -> None:
        self.config = config or settings()
        self.table = table or self.config.items_table
        self._dynamodb = dynamodb

    @property
    def dynamodb(self) -> Any:
        return self._dynamodb or aws.client("dynamodb")

    # ----------------------------------------------------------------- writes
    def write(self, change: ItemWrite) -> None:
        """Apply the update and append its history entry, both or neither; LostRaceError if the condition failed."""
        # DynamoDB refuses placeholders the expressions do not use; rules may offer more than they use.
        used = set(re.findall(r"[:#][A-Za-z0-9_]+", f"{change.update} {change.condition}"))
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_item({"pk": f"ITEM#{change.item_id}", "sk": "ITEM"}),
            "UpdateExpression": change.update,
            "ConditionExpression": change.condition,
        }
        values = {k: v for k, v in change.values.items() if k in used}
        names = {k: v for k, v in change.names.items() if k in used}
        if values:
            update["ExpressionAttributeValues"] = to_item(values)
        if names:
            update["ExpressionAttributeNames"] = names
        assert change.at is not None, "a history entry needs its time"
        actions: list[dict[str, Any]] = [{"Update": update}]
        note_id = None
        if change.note:
            note_id = change.note_id or new_note_id(change.at)
            put = note_put(self.table, change.item_id, note_id, change.note, change.at, self.config.text_retention_days)
            actions.append({"Put": put})
        history = history_put(
            self.table,
            change.item_id,
            change.at,
            change.event,
            change.actor,
            change.detail,
            lease_id=change.lease_id,
            note_id=note_id,
        )
        actions.append({"Put": history})
        self._transact(actions, change.item_id)

    def put_outcome(
        self,
        outcome: dict[str, Any],
        *,
        revision: int | None,
        at: datetime,
        note: str | None,
        detail: dict[str, Any],
    ) -> None:
        """Replace the (item, platform) outcome record if it is still at `revision` (None: absent),
        with its history entry (and note); LostRaceError if another write came first."""
        item_id, platform_id = outcome["item_id"], outcome["platform_id"]
        record = {"pk": f"ITEM#{item_id}", "sk": f"{OUTCOME_PREFIX}{platform_id}", **outcome}
        record["revision"] = (revision or 0) + 1
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if revision is not None:
            condition = {
                "ConditionExpression": "revision = :rev",
                "ExpressionAttributeValues": to_item({":rev": revision}),
            }
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table, "Item": to_item(record), **condition}}]
        note_id = None
        if note:
            note_id = new_note_id(at)
            actions.append({"Put": note_put(self.table, item_id, note_id, note, at, self.config.text_retention_days)})
        history = history_put(self.table, item_id, at, "outcome", platform_id, detail, note_id=note_id)
        actions.append({"Put": history})
        self._transact(actions, item_id)

    def _transact(self, actions: list[dict[str, Any]], item_id: str) -> None:
        try:
            self.dynamodb.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons") or []]
                if any(code in LOST_RACE for code in codes):
                    raise LostRaceError(item_id) from None
            raise_unavailable_if_transient(exc)
            raise

    # ------------------------------------------------------------------ reads
    def outcome(self, item_id: str, platform_id: str) -> dict[str, Any] | None:
        """The platform's standing outcome for the item, or None."""
        return self._get_key(f"ITEM#{item_id}", f"{OUTCOME_PREFIX}{platform_id}")

    def outcomes(self, item_id: str) -> list[dict[str, Any]]:
        """Every platform's standing outcome for the item, by platform id."""
        records: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page = self._query(
                {
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :o)",
                    "ExpressionAttributeValues": to_item({":pk": f"ITEM#{item_id}", ":o": OUTCOME_PREFIX}),
                    "ConsistentRead": True,
                },
                start,
            )
            records.extend(page.records)
            if page.last_key is None:
                return records
            start = page.last_key

    def _get_key(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            got = self.dynamodb.get_item(TableName=self.table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True)
        except ClientError as exc:
            raise_unavailable_if_transient(exc)
            raise
        return from_item(got["Item"]) if "Item" in got else None

    def get(self, item_id: str) -> dict[str, Any] | None:
        try:
            got = self.dynamodb.get_item(
                TableName=self.table, Key=to_item({"pk": f"ITEM#{item_id}", "sk": "ITEM"}), ConsistentRead=True
            )
        except ClientError as exc:
            raise_unavailable_if_transient(exc)
            raise
        return from_item(got["Item"]) if "Item" in got else None

    def queue_page(self, queue: str, limit: int, start_key: dict[str, Any] | None = None) -> Page:
        """The most urgent entries of one queue: keys plus the lease and confirmations the index projects."""
        return self._query(
            {
                "IndexName": QUEUE_INDEX,
                "KeyConditionExpression": "#q = :q",
                "ExpressionAttributeNames": {"#q": "queue"},
                "ExpressionAttributeValues": to_item({":q": queue}),
                "Limit": limit,
            },
            start_key,
        )

    def queue_entries(self, queue: str) -> Iterator[dict[str, Any]]:
        """Every entry of one queue, for counting (not on the claim path)."""
        start: dict[str, Any] | None = None
        while True:
            page = self.queue_page(queue, 1000, start)
            yield from page.records
            if page.last_key is None:
                return
            start = page.last_key

    def by_status(
        self,
        status: str,
        limit: int,
        start_key: dict[str, Any] | None,
        *,
        filter_expression: str | None = None,
        filter_values: dict[str, Any] | None = None,
    ) -> Page:
        """Items of one status, oldest due_at first."""
        request: dict[str, Any] = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": to_item({":s": status, **(filter_values or {})}),
            "Limit": limit,
        }
        if filter_expression:
            request["FilterExpression"] = filter_expression
        return self._query(request, start_key)

    def history(self, item_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page = self._query(
                {
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :h)",
                    "ExpressionAttributeValues": to_item({":pk": f"ITEM#{item_id}", ":h": "HIST#"}),
                    "ConsistentRead": True,
                },
                start,
            )
            records.extend(page.records)
            if page.last_key is None:
                return records
            start = page.last_key

    def notes(self, item_id: str) -> dict[str, str]:
        """note_id -> text of the item's notes that still exist (the retention TTL deletes them)."""
        found: dict[str, str] = {}
        start: dict[str, Any] | None = None
        while True:
            page = self._query(
                {
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :n)",
                    "ExpressionAttributeValues": to_item({":pk": f"ITEM#{item_id}", ":n": NOTE_PREFIX}),
                    "ConsistentRead": True,
                },
                start,
            )
            found |= {str(r["sk"]): str(r.get("text", "")) for r in page.records}
            if page.last_key is None:
                return found
            start = page.last_key

    def reports(self, item_id: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """The item's first `limit` reports in arrival order, and whether there are more."""
        page = self._query(
            {
                "IndexName": REPORTS_INDEX,
                "KeyConditionExpression": "report_item = :i",
                "ExpressionAttributeValues": to_item({":i": item_id}),
                "Limit": limit,
            },
            None,
        )
        return page.records, page.last_key is not None

    def descriptions(self, report_ids: Sequence[str]) -> dict[str, str]:
        """Report texts that still exist (the retention TTL deletes them)."""
        found: dict[str, str] = {}
        for start in range(0, len(report_ids), 100):
            keys = [to_item({"pk": f"REPORT#{rid}", "sk": "TEXT"}) for rid in report_ids[start : start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys}}
            for _ in range(8):
                try:
                    got = self.dynamodb.batch_get_item(RequestItems=request)
                except ClientError as exc:
                    raise_unavailable_if_transient(exc)
                    raise
                for raw in got.get("Responses", {}).get(self.table, []):
                    record = from_item(raw)
                    found[record["pk"].removeprefix("REPORT#")] = record.get("description", "")
                request = got.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise StoreUnavailableError("report texts still unprocessed after retries")
        return found

    def _query(self, request: dict[str, Any], start_key: dict[str, Any] | None) -> Page:
        if start_key:
            request = {**request, "ExclusiveStartKey": to_item(start_key)}
        try:
            got = self.dynamodb.query(TableName=self.table, **request)
        except ClientError as exc:
            if start_key and error_code(exc) == "ValidationException":
                raise BadStartKeyError(str(exc)) from None
            raise_unavailable_if_transient(exc)
            raise
        last = got.get("LastEvaluatedKey")
        return Page([from_item(i) for i in got.get("Items", [])], from_item(last) if last else None)
