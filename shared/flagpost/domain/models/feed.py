"""A platform's feed: entries in gap-free sequence, the cursor a puller resumes from, and push jobs."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Op = Literal["upsert", "retract"]
CURSOR_PREFIX = "fc1."


class InvalidCursorError(ValueError):
    """Not a cursor this feed gave out."""


@dataclass(frozen=True)
class FeedEntry:
    platform_id: str
    seq: int
    op: Op
    item: dict[str, Any]
    created_at: str
    delivery: str  # pull | pending | delivered | failed
    # Redelivery: each requeue of a failed entry starts a new round, with a fresh attempt budget and
    # age limit; attempts are numbered on across rounds (`attempt_offset`) so the log keeps them all.
    round: int = 0
    round_started_at: str | None = None
    attempt_offset: int = 0

    def public(self) -> dict[str, Any]:
        return {"seq": self.seq, "op": self.op, "item": self.item}

    def webhook_id(self) -> str:
        """Stable for this entry across every retry and redelivery of its push."""
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
    """The body of a forward-queue message: which entry to push, in which delivery round.

    `parked` marks the copy the forwarder puts in the DLQ when it gives up: when an operator redrives
    the DLQ, that copy comes back and starts a new round.
    """

    model_config = ConfigDict(extra="ignore")

    platform_id: str = Field(min_length=1, max_length=100)
    seq: int = Field(ge=1)
    round: int = Field(default=0, ge=0)
    parked: bool = False

    @classmethod
    def of(cls, entry: FeedEntry, *, parked: bool = False) -> PushJob:
        return cls(platform_id=entry.platform_id, seq=entry.seq, round=entry.round, parked=parked)

    def body(self) -> str:
        return self.model_dump_json(exclude_defaults=True)  # round 0, not parked: {"platform_id", "seq"}
