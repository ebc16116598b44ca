"""A platform's outcome for an item: Flagpost's four words and the DSA statement-of-reasons keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flagpost.domain.models.dsa import (
    PUID_PATTERN,
    REMOVING,
    DecisionAccount,
    DecisionGround,
    DecisionMonetary,
    DecisionProvision,
    DecisionVisibility,
)
from flagpost.domain.models.times import Instant

OutcomeName = Literal["removed", "restricted", "no_action", "not_found"]
DSA_FIELDS = (
    "decision_visibility",
    "decision_account",
    "decision_provision",
    "decision_monetary",
    "decision_ground",
    "puid",
)
# Fields that say what the platform did; decision_ground and puid only qualify it.
_MEASURES = ("decision_visibility", "decision_account", "decision_provision", "decision_monetary")


class OutcomeIn(BaseModel):
    """An outcome, as Flagpost's four words, as DSA statement-of-reasons keys, or both (they must agree)."""

    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeName | None = Field(default=None, description="required unless DSA decision keys say what was done")
    acted_at: Instant | None = Field(
        default=None, description="when the platform acted; default now; not before the item was first reported"
    )
    note: str | None = Field(default=None, max_length=2000)
    decision_visibility: list[DecisionVisibility] | None = Field(default=None, min_length=1, max_length=7)
    decision_account: DecisionAccount | None = None
    decision_provision: DecisionProvision | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_ground: DecisionGround | None = None
    puid: str | None = Field(
        default=None, pattern=PUID_PATTERN, description="the platform's id of the statement of reasons it filed"
    )

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeIn:
        implied = implied_outcome(self.model_dump(mode="json"))
        if self.outcome is None and implied is None:
            raise ValueError("give `outcome`, or DSA decision keys that say what was done")
        if self.outcome is not None and implied is not None and self.outcome != implied:
            raise ValueError(f"`outcome` {self.outcome!r} contradicts the DSA decision keys, which mean {implied!r}")
        if self.decision_visibility is not None:
            self.decision_visibility = sorted(set(self.decision_visibility))
        return self


def implied_outcome(fields: dict[str, Any]) -> OutcomeName | None:
    """The outcome DSA decision keys amount to: `removed`, `restricted`, or None when none is given."""
    values: list[str] = []
    for name in _MEASURES:
        value = fields.get(name)
        if isinstance(value, list):
            values.extend(value)
        elif value:
            values.append(value)
    if not values:
        return None
    return "removed" if any(v in REMOVING for v in values) else "restricted"


class OutcomeOut(BaseModel):
    """A platform's standing outcome for an item, as flaggers, reviewers and the platform see it."""

    item_id: str
    platform_id: str
    outcome: OutcomeName
    acted_at: str
    recorded_at: str
    decision_visibility: list[str] | None = None
    decision_account: str | None = None
    decision_provision: str | None = None
    decision_monetary: str | None = None
    decision_ground: str | None = None
    puid: str | None = None

    @classmethod
    def of(cls, record: dict[str, Any]) -> OutcomeOut:
        return cls.model_validate({k: v for k, v in record.items() if k in cls.model_fields})


class OutcomeRecord(OutcomeOut):
    """A platform's standing outcome as stored: one per (item, platform), replaced on change."""

    model_config = ConfigDict(extra="ignore")

    confirmed_at: str | None = Field(default=None, description="the item's confirmation: time to action starts there")
    received_at: str | None = Field(default=None, description="the item's first report: its life's steps start there")
    note_digest: str | None = None
    revision: int = 0
