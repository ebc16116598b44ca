"""What a platform receives about an item: the target and what was decided, never who decided it.

Reviewers are staff and flaggers are named only in aggregate: no reviewer id, flagger id, decision
history or internal note ever leaves for a platform, whatever the channel (pull feed or push).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


def platform_view(record: dict[str, Any]) -> dict[str, Any]:
    """The platform's view of a stored item record (JSON-ready)."""
    confirmations = [d.get("at") for d in record.get("decisions") or [] if d.get("decision") == "confirm"]
    return PlatformItem.model_validate(
        {
            **record,
            "report_count": int(record.get("report_count", 0)),
            "confirmed_at": record.get("decided_at") or (confirmations[-1] if confirmations else None),
        }
    ).model_dump(mode="json", exclude_none=True)
