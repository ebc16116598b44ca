"""The review side of the items table: applying review changes, the queue and status indexes, reads.

Every state change is one TransactWriteItems: the item's conditional Update, built here from the
domain's `ItemChange` and its `Guard`, plus a history Put that may only create (and a note's record
when the change carries free text). Nothing here updates or deletes a history entry.
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
from flagpost.domain.errors import MalformedInputError
from flagpost.domain.models.records import HistoryRecord, ItemRecord, QueueEntry, ReportRecord
from flagpost.domain.models.times import iso
from flagpost.domain.review_rules import ItemChange

QUEUE_INDEX = "review-queue"
STATUS_INDEX = "items-by-status"
REPORTS_INDEX = "reports-by-item"
LEASE_ATTRS = ("lease_id", "lease_holder", "lease_expires_at")
_ITEM_ID = re.compile(r"^itm_[0-9a-f]{1,64}$")


class _Update:
    """An UpdateExpression and its ConditionExpression, built clause by clause with named values."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.removes: list[str] = []
        self.conditions: list[str] = []
        self.values: dict[str, Any] = {}
        self.names = {"#s": "status", "#q": "queue"}

    def value(self, value: Any) -> str:
        name = f":v{len(self.values)}"
        self.values[name] = value
        return name

    def request(self, table: str, item_id: str) -> dict[str, Any]:
        clauses = [f"SET {', '.join(self.sets)}" if self.sets else ""]
        clauses += [
            f"ADD {', '.join(self.adds)}" if self.adds else "",
            f"REMOVE {', '.join(self.removes)}" if self.removes else "",
        ]
        expression = " ".join(c for c in clauses if c)
        text = f"{expression} {' '.join(self.conditions)}"
        request: dict[str, Any] = {
            "TableName": table,
            "Key": to_item(item_key(item_id)),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(self.conditions) or "attribute_exists(pk)",
            "ExpressionAttributeValues": to_item(self.values),
        }
        names = {k: v for k, v in self.names.items() if k in text}
        if names:
            request["ExpressionAttributeNames"] = names
        return request


def _guarded(change: ItemChange, update: _Update) -> None:
    guard, c = change.guard, update.conditions
    if guard.status is not None:
        c.append(f"#s = {update.value(guard.status.value)}")
    if guard.lease_id is not None:
        # The lease must still be live when the write arrives: one that ran out while the request was
        # on its way no longer counts, whatever the earlier read saw.
        c.append(f"lease_id = {update.value(guard.lease_id)} AND lease_holder = {update.value(guard.holder)}")
        c.append(f"lease_expires_at > {update.value(guard.lease_live_at or iso(change.at))}")
    if guard.priority is not None:
        c.append(f"priority = {update.value(guard.priority.value)}")
    if guard.confirmation_count == 0:
        c.append("attribute_not_exists(confirmations)")
    elif guard.confirmation_count is not None:
        c.append(f"size(confirmations) = {update.value(guard.confirmation_count)}")
    if guard.not_confirmed_by is not None:
        c.append(f"NOT contains(confirmations, {update.value(guard.not_confirmed_by)})")
    if guard.queue is not None:
        c.append(f"#q = {update.value(guard.queue)} AND queue_sort = {update.value(guard.queue_sort)}")
    if guard.no_lease:
        c.append("attribute_not_exists(lease_expires_at)")
    elif guard.expired_lease_seen is not None:
        c.append(f"lease_expires_at = {update.value(guard.expired_lease_seen)}")


def _effects(change: ItemChange, update: _Update) -> None:
    s, a, r = update.sets, update.adds, update.removes
    if change.decision is not None:
        s.append(
            f"decisions = list_append(if_not_exists(decisions, {update.value([])}), {update.value([change.decision])})"
        )
    if change.status is not None:
        s.append(f"#s = {update.value(change.status.value)}")
    if change.queue is not None:
        s.append(f"#q = {update.value(change.queue)}")
    if change.leave_queue:
        r.extend(["#q", "queue_sort"])
    if change.category is not None:
        s.append(f"category = {update.value(change.category.value)}")
    if change.decided_at is not None:
        s.append(f"decided_at = {update.value(change.decided_at)}")
    if change.claimed_at is not None:
        s.append(f"claimed_at = if_not_exists(claimed_at, {update.value(change.claimed_at)})")
    if change.add_confirmation is not None:
        a.append(f"confirmations {update.value({change.add_confirmation})}")
    if change.clear_confirmations:
        r.append("confirmations")
    if change.add_platforms:
        a.append(f"platforms {update.value(set(change.add_platforms))}")
    if change.retraction is not None:
        s.append(
            f"retracted_at = {update.value(change.retraction['at'])}, retraction = {update.value(change.retraction)}"
        )
    lease = change.lease
    if lease is not None and lease.release:
        r.extend(LEASE_ATTRS)
    elif lease is not None and lease.grant_to is not None:
        s.append(
            f"lease_id = {update.value(lease.lease_id)}, lease_holder = {update.value(lease.grant_to)}, "
            f"lease_expires_at = {update.value(lease.expires_at)}"
        )
    elif lease is not None and lease.expires_at is not None:
        s.append(f"lease_expires_at = {update.value(lease.expires_at)}")


class DynamoReviewStore:
    def __init__(self, table: Table, *, text_retention_days: int) -> None:
        self.table = table
        self.text_retention_days = text_retention_days

    # ----------------------------------------------------------------- writes
    def apply(self, change: ItemChange) -> None:
        """Apply the change and append its history entry (and note), all or nothing; WriteConflictError
        when the change's guard no longer holds."""
        update = _Update()
        _guarded(change, update)
        _effects(change, update)
        actions: list[dict[str, Any]] = [{"Update": update.request(self.table.name, change.item_id)}]
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
