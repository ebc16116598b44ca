"""The review side of the items table: applying review changes, the queue and status indexes, reads.

Every state change is one TransactWriteItems: the item's conditional Update (built in `review_writes`
from the domain's `ItemChange` and its `Guard`), the reviewer's lease marker when the lease moves,
plus a history Put that may only create (and a note's record when the change carries free text).
Nothing here updates or deletes a history entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from flagpost.adapters.dynamo.client import Table, error_code, to_item
from flagpost.adapters.dynamo.item_records import HISTORY_PREFIX, NOTE_PREFIX, history_put, item_key, note_put
from flagpost.adapters.dynamo.list_cursor import BAD_CURSOR, ListCursor, decode_cursor, encode_cursor, status_key
from flagpost.adapters.dynamo.review_writes import HOLD_PREFIX, hold_key, hold_update, item_update
from flagpost.domain.errors import MalformedInputError
from flagpost.domain.item_changes import ItemChange
from flagpost.domain.models.records import HistoryRecord, Hold, ItemRecord, QueueEntry, ReportRecord
from flagpost.domain.models.times import iso

QUEUE_INDEX = "review-queue"
STATUS_INDEX = "items-by-status"
REPORTS_INDEX = "reports-by-item"
_ITEM_ID = re.compile(r"^itm_[0-9a-f]{1,64}$")


class DynamoReviewStore:
    def __init__(self, table: Table, *, text_retention_days: int) -> None:
        self.table = table
        self.text_retention_days = text_retention_days

    # ----------------------------------------------------------------- writes
    def apply(self, change: ItemChange) -> None:
        """Apply the change and append its history entry (and note), all or nothing; WriteConflictError
        when the change's guard no longer holds."""
        actions: list[dict[str, Any]] = [{"Update": item_update(self.table.name, change)}]
        if change.hold is not None and change.hold.queue:
            actions.append({"Update": hold_update(self.table.name, change.hold, iso(change.at))})
        if change.note and change.note_id:
            note = note_put(
                self.table.name, change.item_id, change.note_id, change.note, change.at, self.text_retention_days
            )
            actions.append({"Put": note})
        history = history_put(
            self.table.name, change.item_id, change.at, change.event, change.actor, change.detail,
            lease_id=change.lease_id, note_id=change.note_id if change.note else None,
        )  # fmt: skip
        actions.append({"Put": history})
        self.table.transact(actions)

    # ------------------------------------------------------------------ reads
    def get(self, item_id: str) -> ItemRecord | None:
        if not _ITEM_ID.fullmatch(item_id):
            return None
        found = self.table.get(item_key(item_id))
        return ItemRecord.model_validate(found) if found else None

    def hold(self, queue: str, reviewer_id: str) -> Hold | None:
        """The reviewer's lease marker for the queue (consistent read), if one was ever written."""
        found = self.table.get(hold_key(queue, reviewer_id))
        return Hold.model_validate({**found, "queue": queue, "reviewer_id": reviewer_id}) if found else None

    def holds(self, queue: str) -> list[Hold]:
        """Every reviewer's marker for the queue: as many as there are reviewers, whatever the backlog."""
        found = self.table.query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"{HOLD_PREFIX}{queue}"}),
            ConsistentRead=True,
        )
        return [Hold.model_validate({**r, "queue": queue, "reviewer_id": r["sk"]}) for r in found]

    def queue_page(
        self, queue: str, limit: int, start: dict[str, Any] | None = None
    ) -> tuple[list[QueueEntry], dict[str, Any] | None]:
        """The most urgent entries of one queue: keys plus the lease and confirmations the index projects."""
        page = self.table.query(
            start,
            IndexName=QUEUE_INDEX,
            KeyConditionExpression="#q = :q",
            ExpressionAttributeNames={"#q": "queue"},
            ExpressionAttributeValues=to_item({":q": queue}),
            Limit=limit,
        )
        entries = [QueueEntry.model_validate({**r, "item_id": r["pk"].removeprefix("ITEM#")}) for r in page.records]
        return entries, page.last_key

    def queue_entries(self, queue: str) -> Iterator[QueueEntry]:
        """Every entry of one queue, for counting (not on the claim path)."""
        start: dict[str, Any] | None = None
        while True:
            entries, start = self.queue_page(queue, 1000, start)
            yield from entries
            if start is None:
                return

    def list_by_status(
        self,
        parts: Sequence[str],
        lease: Literal["live", "free", "any"],
        now: datetime,
        limit: int,
        cursor: str | None,
        listing: str,
    ) -> tuple[list[ItemRecord], str | None]:
        """Items of the given stored statuses (one after the other), oldest due_at first, those under a
        live lease, those not, or any; an opaque cursor resumes where the page ended."""
        part, start = 0, None
        if cursor:
            decoded = decode_cursor(cursor, listing)
            part, start = decoded.part, (decoded.key.model_dump() if decoded.key else None)
            if part >= len(parts) or (decoded.key is not None and decoded.key.status != parts[part]):
                raise MalformedInputError(BAD_CURSOR)
        request: dict[str, Any] = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        values: dict[str, Any] = {":now": iso(now)} if lease != "any" else {}
        if lease == "live":
            request["FilterExpression"] = "lease_expires_at > :now"
        elif lease == "free":
            request["FilterExpression"] = "attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now"
        records: list[ItemRecord] = []
        while part < len(parts):
            try:
                page = self.table.query(
                    start,
                    **request,
                    ExpressionAttributeValues=to_item({":s": parts[part], **values}),
                    Limit=limit - len(records),
                )
            except ClientError as exc:  # a start key DynamoDB refuses: a forged cursor
                if start is not None and error_code(exc) == "ValidationException":
                    raise MalformedInputError(BAD_CURSOR) from None
                raise
            records.extend(ItemRecord.model_validate(r) for r in page.records)
            start = page.last_key
            if start is None:
                part += 1
            if len(records) >= limit:
                break
        next_cursor = None
        if part < len(parts):
            next_cursor = encode_cursor(ListCursor(v=1, status=listing, part=part, key=status_key(start)))
        return records, next_cursor

    def history(self, item_id: str) -> list[HistoryRecord]:
        return [HistoryRecord.model_validate(r) for r in self._children(item_id, HISTORY_PREFIX)]

    def notes(self, item_id: str) -> dict[str, str]:
        """note_id -> text of the item's notes that still exist (the retention TTL deletes them)."""
        return {str(r["sk"]): str(r.get("text", "")) for r in self._children(item_id, NOTE_PREFIX)}

    def _children(self, item_id: str, prefix: str) -> Iterator[dict[str, Any]]:
        return self.table.query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues=to_item({":pk": f"ITEM#{item_id}", ":p": prefix}),
            ConsistentRead=True,
        )

    def reports(self, item_id: str, limit: int) -> tuple[list[ReportRecord], bool]:
        """The item's first `limit` reports in arrival order, and whether there are more."""
        page = self.table.query(
            IndexName=REPORTS_INDEX,
            KeyConditionExpression="report_item = :i",
            ExpressionAttributeValues=to_item({":i": item_id}),
            Limit=limit,
        )
        return [ReportRecord.model_validate(r) for r in page.records], page.last_key is not None

    def descriptions(self, report_ids: Sequence[str]) -> dict[str, str]:
        """Report texts that still exist (the retention TTL deletes them)."""
        found = self.table.batch_get([{"pk": f"REPORT#{rid}", "sk": "TEXT"} for rid in report_ids])
        return {r["pk"].removeprefix("REPORT#"): str(r.get("description", "")) for r in found}
