"""Turns item status changes (from the items table's stream) into feed entries and push jobs.

confirmed -> an `upsert` entry for every platform the item is routed to;
retracted -> a `retract` entry for every platform that received the upsert.
Appends are idempotent, so a stream batch retried after a partial failure adds nothing twice; the
push job is sent again in that case, and the platform sees the same `webhook-id`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from flagpost import aws
from flagpost.delivery.feed import FeedEntry, FeedStore
from flagpost.delivery.routing import route
from flagpost.items.store import item_from_record
from flagpost.observability import logger
from flagpost.principals.models import Principal, Role
from flagpost.principals.store import DynamoPrincipalStore
from flagpost.store.dynamo import from_item


class Dispatcher:
    def __init__(
        self,
        feed: FeedStore,
        principals: DynamoPrincipalStore,
        forward_queue_url: str,
        *,
        sqs: Any = None,
        on_routed: Callable[[str], None] | None = None,
    ) -> None:
        self.feed = feed
        self.principals = principals
        self.forward_queue_url = forward_queue_url
        self._sqs = sqs
        self.on_routed = on_routed
        self._platforms: tuple[float, list[Principal]] | None = None

    @property
    def sqs(self) -> Any:
        return self._sqs or aws.client("sqs")

    def platforms(self) -> list[Principal]:
        # Read at most every few seconds: a batch of confirmations must not scan principals per record.
        now = time.monotonic()
        if self._platforms is None or now - self._platforms[0] > self.principals.cache_s:
            active = [p for p in self.principals.all() if p.role is Role.PLATFORM and p.active]
            self._platforms = (now, active)
        return self._platforms[1]

    def handle(self, record: dict[str, Any]) -> list[FeedEntry]:
        """Process one stream record; returns the entries it appended (or found appended)."""
        change = record.get("dynamodb", {})
        new = from_item(change["NewImage"]) if "NewImage" in change else None
        old = from_item(change["OldImage"]) if "OldImage" in change else None
        if new is None or new.get("sk") != "ITEM":
            return []
        status, before = new.get("status"), (old or {}).get("status")
        if status == before or status not in ("confirmed", "retracted"):
            return []
        item = item_from_record(new).model_dump(mode="json")
        logger.append_keys(correlation_id=item["item_id"])
        if status == "confirmed":
            decisions = new.get("decisions") or []
            named = [p for d in decisions if d.get("decision") == "confirm" for p in d.get("platforms") or []]
            targets = route(new["target"], named, self.platforms())
            return [self._append(p, "upsert", item) for p in targets]
        routed = self.feed.routed_platforms(item["item_id"])
        by_id = {p.id: p for p in self.platforms()}
        return [self._append(by_id[pid], "retract", item) for pid in sorted(routed) if pid in by_id]

    def _append(self, platform: Principal, op: str, item: dict[str, Any]) -> FeedEntry:
        entry, created = self.feed.append(platform.id, op, item, push=bool(platform.endpoint))  # type: ignore[arg-type]
        if created and op == "upsert" and self.on_routed is not None:
            self.on_routed(platform.id)
        if platform.endpoint and entry.delivery == "pending":
            self.sqs.send_message(
                QueueUrl=self.forward_queue_url,
                MessageBody=json.dumps({"platform_id": platform.id, "seq": entry.seq}),
            )
        return entry
