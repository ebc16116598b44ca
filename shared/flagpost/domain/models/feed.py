"""A platform's feed: entries in gap-free sequence, the cursor a puller resumes from, and delivery jobs.

An entry is delivered on each channel the platform has (a signed push to its `endpoint`, an e-mail to its
`email` addresses); each channel has a delivery state, rounds and attempts of its own, so that a push
that went through is never sent again because the e-mail failed, nor the other way round.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Op = Literal["upsert", "retract"]
Channel = Literal["push", "email"]
CHANNELS: tuple[Channel, ...] = ("push", "email")
CURSOR_PREFIX = "fc1."


class InvalidCursorError(ValueError):
    """Not a cursor this feed gave out."""


@dataclass(frozen=True)
class ChannelState:
    """An entry's delivery on one channel."""

    delivery: str = "pull"  # pull (not on this channel) | pending | delivered | failed
    # Redelivery: each requeue of a failed entry starts a new round, with a fresh attempt budget and
    # age limit; attempts are numbered on across rounds (`attempt_offset`) so the log keeps them all.
    round: int = 0
    round_started_at: str | None = None
    attempt_offset: int = 0


@dataclass(frozen=True)
class FeedEntry:
    """One entry, seen from one channel (`channel`): `delivery`, `round`... are that channel's."""

    platform_id: str
    seq: int
    op: Op
    item: dict[str, Any]
    created_at: str
    channels: Mapping[Channel, ChannelState] = field(default_factory=dict)
    channel: Channel = "push"

    @property
    def state(self) -> ChannelState:
        return self.channels.get(self.channel) or ChannelState()

    @property
    def delivery(self) -> str:
        return self.state.delivery

    @property
    def round(self) -> int:
        return self.state.round

    @property
    def round_started_at(self) -> str | None:
        return self.state.round_started_at

    @property
    def attempt_offset(self) -> int:
        return self.state.attempt_offset

    def via(self, channel: Channel) -> FeedEntry:
        return replace(self, channel=channel)

    def pending(self) -> list[FeedEntry]:
        """This entry on each channel it still has to be delivered on."""
        return [self.via(c) for c in CHANNELS if c in self.channels and self.channels[c].delivery == "pending"]

    def public(self) -> dict[str, Any]:
        return {"seq": self.seq, "op": self.op, "item": self.item}

    def webhook_id(self) -> str:
        """Stable for this entry across every retry and redelivery, on every channel (the e-mail's
        Message-ID and X-Flagpost-Notice-Id carry it too)."""
        return f"fpe_{self.platform_id}_{self.seq}"


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


class PushJob(BaseModel):
    """The body of a forward-queue message: which entry to deliver, on which channel, in which round.

    `parked` marks the copy the forwarder puts in the DLQ when it gives up: when an operator redrives
    the DLQ, that copy comes back and starts a new round.
    """

    model_config = ConfigDict(extra="ignore")

    platform_id: str = Field(min_length=1, max_length=100)
    seq: int = Field(ge=1)
    round: int = Field(default=0, ge=0)
    parked: bool = False
    channel: Channel = "push"
    # Attempts this round made before this message: a job deferred while its platform's circuit was
    # open comes back as a new message (SQS counts receives per message), and carries them on.
    attempts: int = Field(default=0, ge=0, le=10_000)

    @classmethod
    def of(cls, entry: FeedEntry, *, parked: bool = False, attempts: int = 0) -> PushJob:
        return cls(
            platform_id=entry.platform_id,
            seq=entry.seq,
            round=entry.round,
            parked=parked,
            channel=entry.channel,
            attempts=attempts,
        )

    def body(self) -> str:
        # A push in round 0, not parked: {"platform_id", "seq"}, as before there were channels.
        return self.model_dump_json(exclude_defaults=True)


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt on a channel came to: `delivered`, `retry` later, or `failed` for good.

    `log` is what the delivery log keeps of it (an HTTP status and latency, or the e-mail's ids).
    """

    outcome: Literal["delivered", "retry", "failed"]
    log: dict[str, Any]
    retry_after: str | None = None
