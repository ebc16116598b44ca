"""A report as a flagger submits it, and the envelope that carries up to 100 of them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flagpost.domain.models.times import Instant

MAX_REPORTS_PER_SUBMISSION = 100
MAX_SUBMISSION_BYTES = 256 * 1024


class Category(StrEnum):
    """EU TCO Regulation 2021/784 Art. 2(7), points (a) to (e)."""

    INCITEMENT = "incitement"
    SOLICITATION = "solicitation"
    RECRUITMENT = "recruitment"
    INSTRUCTION = "instruction"
    THREAT = "threat"


class Priority(StrEnum):
    THREAT_TO_LIFE = "threat_to_life"
    CRISIS = "crisis"
    STANDARD = "standard"

    @property
    def rank(self) -> int:
        """0 is the most urgent; the review queue sorts on it."""
        return _RANKS[self]

    @classmethod
    def highest(cls, *priorities: Priority) -> Priority:
        return min(priorities, key=lambda p: p.rank)


_RANKS = {Priority.THREAT_TO_LIFE: 0, Priority.CRISIS: 1, Priority.STANDARD: 2}


class TargetInput(BaseModel):
    """A thing without a URL, e.g. a Wickr or Surespot account."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=50)
    id: str = Field(min_length=1, max_length=500)


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    archive_url: str | None = Field(default=None, max_length=2048)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")


class ReportIn(BaseModel):
    """One report. Unknown fields are refused so that a misspelt optional field is not silently lost."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str | None = Field(default=None, min_length=1, max_length=4096)
    target: TargetInput | None = None
    category: Category
    priority: Priority = Priority.STANDARD
    description: str = Field(min_length=1, max_length=4000, description="why it is terrorist content")
    entity: str | None = Field(default=None, max_length=200, description="attributed organisation")
    language: str | None = Field(
        default=None, max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", description="BCP 47"
    )
    observed_at: Instant | None = None
    external_id: str | None = Field(default=None, max_length=200, description="the flagger's own reference")
    evidence: Evidence | None = None

    @model_validator(mode="after")
    def _url_or_target(self) -> ReportIn:
        if (self.url is None) == (self.target is None):
            raise ValueError("give exactly one of `url` or `target`")
        return self


class SubmissionIn(BaseModel):
    """The envelope. Reports are validated one by one afterwards, so that one bad report fails alone."""

    model_config = ConfigDict(extra="forbid")

    reports: list[Any] = Field(min_length=1, max_length=MAX_REPORTS_PER_SUBMISSION)


class SubmissionSchema(BaseModel):
    """The envelope as documented in OpenAPI: what a valid submission looks like."""

    model_config = ConfigDict(extra="forbid")

    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_REPORTS_PER_SUBMISSION)
