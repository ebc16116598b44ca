"""The delivery log of a feed: attempts, settled states, the failed-entry listing, redelivery rounds.

Per channel (push, email). On the entry, the push channel's state is ``delivery``, ``delivery_round``,
``round_started_at``, ``attempt_offset``, ``delivery_attempts``, ``delivered_at``; the e-mail channel's
the same names prefixed ``email_``. In the feed table (pk, sk): ``DELIVERY#<platform>#<seq>`` (push) or
``DELIVERY#<platform>#<seq>#email`` / ``<attempt, 6 digits>`` one attempt: its time (``at``), its
``channel``, an HTTP status and latency or the e-mail's ids, or an error; ``FAILED#<platform>`` /
``<seq>`` (push) or ``<seq>#email`` lists a failed delivery (written with the failed state, deleted when
it is delivered or requeued), which is what redelivery reads.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.domain.errors import WriteConflictError
from flagpost.domain.models.feed import CHANNELS, Channel, ChannelState, FeedEntry
from flagpost.domain.models.times import iso


def seq_key(seq: int) -> str:
    return f"{seq:020d}"


def attr(channel: Channel, name: str) -> str:
    """The entry attribute holding `name` for `channel` (the push channel's keep their first names)."""
    return name if channel == "push" else f"{channel}_{name}"


def _suffix(channel: Channel) -> str:
    return "" if channel == "push" else f"#{channel}"


def entry_of(record: dict[str, Any], channel: Channel = "push") -> FeedEntry:
    channels = {
        c: ChannelState(
            delivery=record[attr(c, "delivery")],
            round=int(record.get(attr(c, "delivery_round"), 0)),
            round_started_at=record.get(attr(c, "round_started_at")),
            attempt_offset=int(record.get(attr(c, "attempt_offset"), 0)),
        )
        for c in CHANNELS
        if attr(c, "delivery") in record
    }
    return FeedEntry(
        platform_id=record["pk"].removeprefix("FEED#"),
        seq=int(record["sk"]),
        op=record["op"],
        item=record["item"],
        created_at=record["created_at"],
        channels=channels,
        channel=channel,
    )


def now_iso() -> str:
    return iso(datetime.now(UTC))


class DeliveryLog:
    """The push side of the feed table (FeedStore adds the entries themselves)."""

    table: Table

    def entry(self, platform_id: str, seq: int, channel: Channel = "push") -> FeedEntry | None:
        """The entry as `channel` sees it, its notice whole (`FeedStore` joins the notice's texts)."""
        found = self._stored_entry(platform_id, seq, channel)
        return self.with_notice_texts([found])[0] if found else None

    def _stored_entry(self, platform_id: str, seq: int, channel: Channel) -> FeedEntry | None:
        record = self.table.get({"pk": f"FEED#{platform_id}", "sk": seq_key(seq)})
        return entry_of(record, channel) if record else None

    def with_notice_texts(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        return entries

    def record_attempt(self, entry: FeedEntry, attempt: int, result: dict[str, Any], delivery: str | None) -> None:
        """Log one attempt on the entry's channel and, when it settles the entry there, its delivery
        state (and its listing). A delivered entry keeps the time (`delivered_at`, as the log's `at`)."""
        channel, at = entry.channel, now_iso()
        log = {
            "pk": f"DELIVERY#{entry.platform_id}#{entry.seq}{_suffix(channel)}",
            "sk": f"{attempt:06d}",
            "at": at,
            "channel": channel,
            **result,
        }
        actions: list[dict[str, Any]] = [{"Put": {"TableName": self.table.name, "Item": to_item(log)}}]
        if delivery is not None:
            key = to_item({"pk": f"FEED#{entry.platform_id}", "sk": seq_key(entry.seq)})
            sets = {attr(channel, "delivery"): delivery, attr(channel, "delivery_attempts"): attempt}
            if delivery == "delivered":
                sets[attr(channel, "delivered_at")] = at
            names = {f"#a{n}": name for n, name in enumerate(sets)}
            actions.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": key,
                        "UpdateExpression": "SET " + ", ".join(f"#a{n} = :v{n}" for n in range(len(sets))),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": to_item({f":v{n}": v for n, v in enumerate(sets.values())}),
                    }
                }
            )
            listing = {"pk": f"FAILED#{entry.platform_id}", "sk": seq_key(entry.seq) + _suffix(channel)}
            if delivery == "failed":
                actions.append({"Put": {"TableName": self.table.name, "Item": to_item({**listing, "at": now_iso()})}})
            else:
                actions.append({"Delete": {"TableName": self.table.name, "Key": to_item(listing)}})
        self.table.transact(actions)

    def attempts(self, platform_id: str, seq: int, channel: Channel = "push") -> list[dict[str, Any]]:
        return list(
            self.table.query_all(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item({":pk": f"DELIVERY#{platform_id}#{seq}{_suffix(channel)}"}),
                ConsistentRead=True,
            )
        )

    def failed(self, platform_id: str) -> list[tuple[int, Channel]]:
        """The platform's failed deliveries, (seq, channel), oldest entry first."""
        listed = self.table.query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"FAILED#{platform_id}"}),
            ConsistentRead=True,
        )
        failed: list[tuple[int, Channel]] = []
        for record in listed:
            seq, _, channel = record["sk"].partition("#")
            failed.append((int(seq), "email" if channel == "email" else "push"))
        return failed

    def requeue(self, platform_id: str, seq: int, channel: Channel = "push") -> FeedEntry | None:
        """Turn a failed delivery back into a pending one in a new round; None if it is not failed.

        The entry keeps its seq, its item and so its webhook-id (and Message-ID); the round starts now,
        with a full attempt budget, and its attempts are logged after those of earlier rounds.
        """
        key = to_item({"pk": f"FEED#{platform_id}", "sk": seq_key(seq)})
        listing = {
            "Delete": {
                "TableName": self.table.name,
                "Key": to_item({"pk": f"FAILED#{platform_id}", "sk": seq_key(seq) + _suffix(channel)}),
            }
        }
        names = {
            "#d": attr(channel, "delivery"),
            "#s": attr(channel, "round_started_at"),
            "#r": attr(channel, "delivery_round"),
            "#o": attr(channel, "attempt_offset"),
            "#a": attr(channel, "delivery_attempts"),
        }
        flip = {
            "Update": {
                "TableName": self.table.name,
                "Key": key,
                "UpdateExpression": "SET #d = :pending, #s = :now, #r = if_not_exists(#r, :zero) + :one, "
                "#o = if_not_exists(#a, :zero)",
                "ConditionExpression": "#d = :failed",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(
                    {":pending": "pending", ":failed": "failed", ":now": now_iso(), ":zero": 0, ":one": 1}
                ),
            }
        }
        try:
            self.table.transact([flip, listing])
        except WriteConflictError:
            # Delivered or requeued meanwhile, or never failed: only a stale listing may be left to drop.
            self._drop_stale_listing(key, listing, attr(channel, "delivery"))
            return None
        # Only its keys and round are queued: the forwarder reads the entry whole when it delivers it.
        return self._stored_entry(platform_id, seq, channel)

    def _drop_stale_listing(self, key: dict[str, Any], listing: dict[str, Any], delivery_attr: str) -> None:
        still_not_failed = {
            "ConditionCheck": {
                "TableName": self.table.name,
                "Key": key,
                "ConditionExpression": "#d <> :failed",
                "ExpressionAttributeNames": {"#d": delivery_attr},
                "ExpressionAttributeValues": to_item({":failed": "failed"}),
            }
        }
        with contextlib.suppress(WriteConflictError):  # failed again meanwhile: the listing stands
            self.table.transact([still_not_failed, listing])
