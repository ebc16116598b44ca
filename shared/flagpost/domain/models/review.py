"""What reviewers send and receive: claims, leases, decisions, retractions, item listings and details."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flagpost.domain.models.item import Item
from flagpost.domain.models.outcome import OutcomeOut
from flagpost.domain.models.report import Category, Priority

QueueName = Literal["default", "escalated"]
PLATFORM_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"


class RejectReason(StrEnum):
    NOT_TERRORIST_CONTENT = "not_terrorist_content"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    CONTENT_UNAVAILABLE = "content_unavailable"
    OUT_OF_SCOPE = "out_of_scope"


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: QueueName = "default"


class Lease(BaseModel):
    lease_id: str
    expires_at: datetime


class Claimed(BaseModel):
    item: Item
    lease: Lease
    already_held: bool = Field(
        default=False,
        description="true when you already held this item in this queue: a reviewer holds at most one "
        "lease per queue, and claiming again answers with it",
    )


class Holdings(BaseModel):
    """The reviewer's live leases, at most one per queue (what a reopened console shows again)."""

    leases: list[Claimed]


class PlatformOption(BaseModel):
    """A registered, active platform a confirmation may name in `platforms` (by `id`)."""

    id: str
    name: str
    platform_ids: list[str] = Field(default_factory=list)


class PlatformList(BaseModel):
    platforms: list[PlatformOption]


class LeaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lease_id: str = Field(min_length=1, max_length=100)
    action: Literal["renew", "release"]


class LeaseOut(BaseModel):
    item_id: str
    action: Literal["renew", "release"]
    lease: Lease | None = Field(description="the renewed lease; null once released")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lease_id: str = Field(min_length=1, max_length=100)
    decision: Literal["confirm", "reject", "escalate"]
    category: Category | None = Field(default=None, description="confirm only: the category the reviewer sets")
    reason: RejectReason | None = Field(default=None, description="required for reject, refused otherwise")
    platforms: list[str] | None = Field(
        default=None,
        max_length=20,
        description="confirm only: platform principals to deliver to besides those owning the target",
    )
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("note")
    @classmethod
    def _readable_note(cls, note: str | None) -> str | None:
        return readable(note, "note") if note else None

    @model_validator(mode="after")
    def _fields_fit_the_decision(self) -> DecisionIn:
        if self.decision == "reject" and self.reason is None:
            raise ValueError("a rejection needs a `reason`")
        if self.decision != "reject" and self.reason is not None:
            raise ValueError("`reason` belongs to a rejection only")
        if self.decision != "confirm" and (self.category is not None or self.platforms):
            raise ValueError("`category` and `platforms` belong to a confirmation only")
        if self.platforms:
            bad = [p for p in self.platforms if not re.fullmatch(PLATFORM_ID_PATTERN, p)]
            if bad:
                raise ValueError(f"not platform ids: {bad!r}")
            self.platforms = sorted(set(self.platforms))
        return self


# Characters that draw nothing although they are letters or symbols (fillers, blank patterns).
_BLANKS = frozenset("\u2800\u3164\u115f\u1160\uffa0\u034f")


def readable(text: str, what: str) -> str:
    """Text people read (a reason, a note): no control characters but line breaks and tabs, no bidi or
    other format characters, and at least one character that draws something (not only spaces,
    combining marks, zero-width characters or blank fillers)."""
    hidden = [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c not in "\n\t"]
    if hidden:
        raise ValueError(f"the {what} holds invisible or control characters (U+{ord(hidden[0]):04X})")
    drawn = [c for c in text if unicodedata.category(c)[0] not in "MZC" and c not in _BLANKS and not c.isspace()]
    if not drawn:
        raise ValueError(f"the {what} needs visible text")
    return text


DecisionOutcome = Literal[
    "confirmed", "first_confirmation", "rejected", "escalated", "disputed", "retraction_requested", "retracted"
]
OUTCOME_MESSAGES: dict[str, str] = {
    "confirmed": "Confirmed: the item goes to the platforms.",
    "first_confirmation": "Confirmed once, waiting for a second reviewer (threat_to_life items need two).",
    "rejected": "Rejected.",
    "escalated": "Escalated: another reviewer decides it from the escalated queue.",
    "disputed": "Not rejected: a colleague confirmed this item, so your rejection sends it to a third reviewer "
    "(escalated queue), who decides with both views.",
    "retraction_requested": "Retraction asked: two reviewers confirmed this item, so a second reviewer must agree "
    "before it is withdrawn from the platforms.",
    "retracted": "Retracted: the platforms receive its withdrawal.",
}


class DecisionOut(BaseModel):
    item: Item
    outcome: DecisionOutcome | None = Field(
        default=None,
        description="what your decision did: confirmed (final), first_confirmation (four eyes: confirmed "
        "once, waiting for a second reviewer), rejected, escalated, or disputed (a rejection of an item a "
        "colleague confirmed once: it went to the escalated queue for a third reviewer); on a retraction "
        "retracted, or retraction_requested (an item two reviewers confirmed needs a second reviewer to agree)",
    )
    message: str | None = Field(default=None, description="the outcome in words, for a banner")
    repeated: bool = Field(
        default=False,
        description="true when this decision had already landed under this lease (a retry): nothing was "
        "counted or recorded twice, and the item is answered as it is",
    )

    @classmethod
    def of(cls, item: Item, outcome: DecisionOutcome, *, repeated: bool = False) -> DecisionOut:
        return cls(item=item, outcome=outcome, message=OUTCOME_MESSAGES[outcome], repeated=repeated)


class RetractIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _readable(cls, reason: str) -> str:
        return readable(reason, "reason")


class ItemList(BaseModel):
    items: list[Item]
    next_cursor: str | None = None


class TrackRecord(BaseModel):
    """A flagger's record so far: reports sent, items decided, confirmed, and precision (confirmed
    / decided; null before any decision)."""

    reports: int = 0
    decided: int = 0
    confirmed: int = 0
    precision: float | None = None


class ReportSummary(BaseModel):
    """One report as a reviewer sees it. Every string is data to show as text, never markup or a link."""

    report_id: str
    flagger_id: str
    flagger_name: str | None = Field(default=None, description="the flagger's display name")
    flagger_record: TrackRecord | None = Field(default=None, description="the flagger's track record")
    received_at: datetime
    category: Category
    priority: Priority
    description: str | None = Field(default=None, description="null once the retention period deleted it")
    url: str | None = Field(default=None, description="the link as the flagger wrote it")
    target_input: dict[str, Any] | None = None
    entity: str | None = None
    language: str | None = None
    observed_at: datetime | None = None
    external_id: str | None = None
    evidence: dict[str, Any] | None = None


class HistoryEntry(BaseModel):
    at: datetime
    event: str
    actor: str
    actor_name: str | None = Field(default=None, description="the actor's display name")
    lease_id: str | None = None
    note: str | None = Field(default=None, description="null once the retention period deleted it")
    detail: dict[str, Any] = Field(default_factory=dict)


class LeaseView(BaseModel):
    holder: str
    expires_at: datetime


class ItemDetail(Item):
    reports: list[ReportSummary]
    reports_truncated: bool = Field(default=False, description="true when only the first reports are listed")
    history: list[HistoryEntry]
    lease: LeaseView | None = Field(default=None, description="the live lease, if any")
    confirmations: list[str] = Field(
        default_factory=list, description="reviewers who confirmed in this round (four eyes for threat_to_life)"
    )
    confirmations_required: int = 1
    platforms: list[str] = Field(
        default_factory=list,
        description="extra platforms this round's confirmations named (besides the target's own platform)",
    )
    retraction_requests: list[str] = Field(
        default_factory=list,
        description="reviewers who asked to retract this confirmed item (two reviewers retract a threat_to_life item)",
    )
    names: dict[str, str] = Field(
        default_factory=dict, description="display names of the flaggers and reviewers this item names, by id"
    )
    outcomes: list[OutcomeOut] = Field(
        default_factory=list, description="what each platform the item was sent to reported doing (the latest)"
    )


class QueueCount(BaseModel):
    queue: QueueName
    waiting: int = Field(description="claimable now (no live lease)")
    leased: int
    overdue: int = Field(description="waiting or leased past due_at")


class QueueCounts(BaseModel):
    queues: list[QueueCount]
    at: datetime
