"""Per-platform feeds in DynamoDB: gap-free sequence numbers, idempotent appends, reads, routes.

Layout of the feed table (pk, sk — both strings):
- ``FEED#<platform>``, ``COUNTER``: ``last_seq``, the platform's highest sequence number.
- ``FEED#<platform>``, ``<seq, 20 digits>``: one entry: ``op`` (upsert|retract), the item snapshot
  with its notice (no free text), and per channel its delivery (pull|pending|delivered|failed).
- ``NOTICE#<item_id>``, ``TEXT``: the notice's explanations (flaggers' free text), written at dispatch
  and deleted by TTL (``expires_at``) after the text retention: reads join it into the entries' notices.
- ``ENTRY#<platform>#<item_id>#<op>``, ``KEY``: makes appending the same change twice a no-op.
- ``ROUTE#<item_id>``, ``<platform>``: the item was sent to this platform (outcomes check it).
- the delivery log and the failed-entry listing: `flagpost.adapters.dynamo.deliveries`.

An append is one transaction per chunk: the counter moves from n to n+k only if it still reads n,
and entries n+1..n+k are written with it. Entries therefore become visible strictly in sequence
order, so a reader that resumes after seq n can never skip an entry that commits later with a
smaller number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flagpost.adapters.dynamo.client import Table, jitter, to_item
from flagpost.adapters.dynamo.deliveries import DeliveryLog, attr, entry_of, now_iso, seq_key
from flagpost.domain.errors import UnavailableError, WriteConflictError
from flagpost.domain.models.feed import Channel, FeedEntry, Op
from flagpost.domain.models.notice import received_at, with_texts

# A transaction holds at most 100 actions: the counter, then an entry, a marker and a route per change.
APPEND_CHUNK = 30
APPEND_BUDGET_S = 20.0
APPEND_BACKOFF_BASE_S = 0.005
APPEND_BACKOFF_CAP_S = 0.25
_CREATE_ONLY = {"ConditionExpression": "attribute_not_exists(pk)"}


class FeedStore(DeliveryLog):
    def __init__(
        self,
        table: Table,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget_s: float = APPEND_BUDGET_S,
        text_retention_days: int = 400,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.table = table
        self._sleep = sleep
        self._clock = clock
        self.budget_s = budget_s
        self.text_retention_days = text_retention_days
        self._now = wall_clock

    def append(
        self, platform_id: str, op: Op, item: dict[str, Any], *, channels: Sequence[Channel] = ()
    ) -> tuple[FeedEntry, bool]:
        """Append (platform, item, op) once. Returns the entry and whether this call created it."""
        ((entry, created),) = self.append_batch(platform_id, [(op, item)], channels=channels)
        return entry, created

    def keep_notice_texts(self, item_id: str, notice: dict[str, Any], texts: Sequence[str | None]) -> None:
        """The explanations quoted by an item's notice, kept as long as the reports' own texts: until
        the text retention has passed since the last quoted report was received."""
        quoted = notice.get("explanation", {}).get("reports") or []
        if not quoted:
            return
        last = max(received_at(r) for r in quoted)
        expires = int((last + timedelta(days=self.text_retention_days)).timestamp())
        record = {"pk": f"NOTICE#{item_id}", "sk": "TEXT", "texts": list(texts), "expires_at": expires}
        self.table.call("put_item", TableName=self.table.name, Item=to_item(record))

    def with_notice_texts(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        """The entries with their notices' explanations (null once a text's retention passed)."""
        wanted = sorted({e.item["item_id"] for e in entries if _quotes(e.item)})
        if not wanted:
            return entries
        now = self._now()
        found = self.table.batch_get([{"pk": f"NOTICE#{item_id}", "sk": "TEXT"} for item_id in wanted])
        texts = {r["pk"].removeprefix("NOTICE#"): r.get("texts") for r in found}
        # DynamoDB's TTL deletes expired records within days, not at once: what expired is never shown.
        kept_since = now - timedelta(days=self.text_retention_days)
        return [
            replace(
                e, item={**e.item, "notice": with_texts(e.item["notice"], texts.get(e.item["item_id"]), kept_since)}
            )
            if _quotes(e.item)
            else e
            for e in entries
        ]

    def append_batch(
        self, platform_id: str, changes: Sequence[tuple[Op, dict[str, Any]]], *, channels: Sequence[Channel] = ()
    ) -> list[tuple[FeedEntry, bool]]:
        """Append each (op, item) to the platform's feed once, in order; per change, its entry and
        whether this call created it.

        The new entries of one call take consecutive seqs in one transaction per chunk: the counter
        moves once per chunk, so concurrent appenders to one feed contend once per batch, not once per
        entry. A conflict is retried with jittered backoff until `budget_s` is spent; a marker that
        exists means the change was appended already.
        """
        started = self._clock()
        items = {(op, item["item_id"]): item for op, item in changes}
        found = self._appended(platform_id, list(items))
        created: set[tuple[str, str]] = set()
        attempt = 0
        while todo := [key for key in items if key not in found]:
            chunk = todo[:APPEND_CHUNK]
            counter = self.table.get({"pk": f"FEED#{platform_id}", "sk": "COUNTER"})
            last = int(counter["last_seq"]) if counter else 0
            entries = [
                self._new_entry(platform_id, last + 1 + n, op, items[(op, iid)], channels)
                for n, (op, iid) in enumerate(chunk)
            ]
            try:
                self.table.transact(self._append_actions(platform_id, last, counter is not None, entries))
            except (WriteConflictError, UnavailableError) as exc:
                if isinstance(exc, WriteConflictError) and exc.reasons[1:].count("ConditionalCheckFailed"):
                    # Another appender added one of these very changes meanwhile: take its entry.
                    found.update(self._appended(platform_id, chunk))
                # Otherwise another appender moved the counter first: read it again, after a pause.
                attempt += 1
                if self._clock() - started > self.budget_s:
                    raise UnavailableError(f"could not append to the feed of {platform_id}") from None
                self._sleep(jitter(attempt, APPEND_BACKOFF_BASE_S, APPEND_BACKOFF_CAP_S))
                continue
            for key, record in zip(chunk, entries, strict=True):
                found[key] = entry_of(record)
                created.add(key)
        return [(found[(op, item["item_id"])], (op, item["item_id"]) in created) for op, item in changes]

    def _new_entry(
        self, platform_id: str, seq: int, op: Op, item: dict[str, Any], channels: Sequence[Channel]
    ) -> dict[str, Any]:
        # The push channel's state is always there ("pull" without an endpoint), as before channels.
        return {
            "pk": f"FEED#{platform_id}",
            "sk": seq_key(seq),
            "op": op,
            "item": item,
            "item_id": item["item_id"],
            "created_at": now_iso(),
            "delivery": "pending" if "push" in channels else "pull",
            **{attr(c, "delivery"): "pending" for c in channels if c != "push"},
        }

    def _append_actions(
        self, platform_id: str, last: int, counter_exists: bool, entries: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        values: dict[str, Any] = {":next": last + len(entries)}
        if counter_exists:
            values[":last"] = last
        counter = {
            "TableName": self.table.name,
            "Key": to_item({"pk": f"FEED#{platform_id}", "sk": "COUNTER"}),
            "UpdateExpression": "SET last_seq = :next",
            "ExpressionAttributeValues": to_item(values),
            "ConditionExpression": "last_seq = :last" if counter_exists else "attribute_not_exists(pk)",
        }
        actions: list[dict[str, Any]] = [{"Update": counter}]
        for entry in entries:
            seq, item_id, op = int(entry["sk"]), entry["item_id"], entry["op"]
            marker = {"pk": f"ENTRY#{platform_id}#{item_id}#{op}", "sk": "KEY", "seq": seq}
            for record in (entry, marker):
                actions.append({"Put": {"TableName": self.table.name, "Item": to_item(record), **_CREATE_ONLY}})
            if op == "upsert":
                route = {"pk": f"ROUTE#{item_id}", "sk": platform_id, "seq": seq}
                actions.append({"Put": {"TableName": self.table.name, "Item": to_item(route)}})
        return actions

    def _appended(self, platform_id: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], FeedEntry]:
        """The entries already appended for these (op, item_id) changes, found through their markers."""
        if not keys:
            return {}
        markers = self.table.batch_get([{"pk": f"ENTRY#{platform_id}#{iid}#{op}", "sk": "KEY"} for op, iid in keys])
        seqs: dict[tuple[str, str], int] = {}
        for marker in markers:
            _, _, item_id, op = marker["pk"].split("#", 3)  # ENTRY#<platform>#<item_id>#<op>: no part holds "#"
            seqs[(op, item_id)] = int(marker["seq"])
        if not seqs:
            return {}
        entries = self.table.batch_get([{"pk": f"FEED#{platform_id}", "sk": seq_key(seq)} for seq in seqs.values()])
        by_seq = {int(e["sk"]): entry_of(e) for e in entries}
        return {key: by_seq[seq] for key, seq in seqs.items() if seq in by_seq}

    def read(self, platform_id: str, after: int, limit: int) -> list[FeedEntry]:
        """Entries with seq > `after`, in order."""
        page = self.table.query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=to_item(
                {":pk": f"FEED#{platform_id}", ":lo": seq_key(after + 1), ":hi": "9" * 20}
            ),
            ConsistentRead=True,
            Limit=limit,
        )
        return self.with_notice_texts([entry_of(r) for r in page.records])

    def routed_platforms(self, item_id: str) -> dict[str, int]:
        """Platforms the item was sent to (as upsert), with the entry's seq."""
        routes = self.table.query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"ROUTE#{item_id}"}),
            ConsistentRead=True,
        )
        return {r["sk"]: int(r["seq"]) for r in routes}


def _quotes(item: dict[str, Any]) -> bool:
    """Whether the item's notice quotes explanations kept apart."""
    return bool((item.get("notice") or {}).get("explanation", {}).get("reports"))
