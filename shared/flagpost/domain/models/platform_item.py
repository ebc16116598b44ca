"""What a platform receives about an item: the target, what was decided and the DSA Art. 16(2) notice
(`flagpost.domain.models.notice`), never who decided it.

Reviewers are staff and flaggers are named only in aggregate: no reviewer id, flagger id, decision
history or internal note ever leaves for a platform, whatever the channel (pull feed, push or e-mail).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flagpost.domain.models.notice import Notice
from flagpost.domain.models.report import Category, Priority


class PlatformItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: str
    target: dict[str, Any] = Field(description="the canonical target: platform, type, id, canonical_url, dedup_key")
    category: Category = Field(description="EU TCO Regulation 2021/784 Art. 2(7) category, as the reviewers decided")
    priority: Priority
    status: Literal["confirmed", "retracted"]
    report_count: int = Field(description="how many reports named this target")
    first_seen_at: datetime
    last_seen_at: datetime
    confirmed_at: datetime | None = None
    retracted_at: datetime | None = None
    notice: Notice | None = Field(
        default=None, description="the DSA Art. 16(2) notice (a withdrawal for a retraction); see docs/contract.md"
    )


def platform_view(record: dict[str, Any], notice: dict[str, Any] | None = None) -> dict[str, Any]:
    """The platform's view of a stored item record (JSON-ready), with its notice when given."""
    confirmations = [d.get("at") for d in record.get("decisions") or [] if d.get("decision") == "confirm"]
    return PlatformItem.model_validate(
        {
            **record,
            "report_count": int(record.get("report_count", 0)),
            "confirmed_at": record.get("decided_at") or (confirmations[-1] if confirmations else None),
            "notice": notice,
        }
    ).model_dump(mode="json", exclude_none=True)
