"""GET /v1/stats: the counters arranged for people, plus overdue items counted from the queue index."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from flagpost.domain import sketch


class Durations(BaseModel):
    count: int
    median_s: float | None
    p90_s: float | None


class FlaggerStats(BaseModel):
    reports: int
    decided: int
    confirmed: int
    precision: float | None


class PlatformStats(BaseModel):
    items: int
    outcomes: int
    removed: int
    removal_rate: float | None
    outcomes_by_type: dict[str, int]
    deliveries_failed: int


class Stats(BaseModel):
    at: datetime
    items: int
    reports: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    flaggers: dict[str, FlaggerStats]
    platforms: dict[str, PlatformStats]
    time_to_decision: Durations
    time_to_outcome: Durations
    overdue: int
    deliveries_failed: int


def _group(counters: dict[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix) and v}


def _durations(counters: dict[str, int], name: str) -> Durations:
    buckets = sketch.buckets(counters, name)
    return Durations(
        count=sum(buckets.values()),
        median_s=_rounded(sketch.quantile(buckets, 0.5)),
        p90_s=_rounded(sketch.quantile(buckets, 0.9)),
    )


def _rounded(seconds: float | None) -> float | None:
    """Three significant digits: the sketch is accurate to 1%, more digits would only be noise."""
    if seconds is None or seconds == 0:
        return seconds
    return float(f"{seconds:.3g}")


def build(counters: dict[str, int], overdue: int, now: datetime | None = None) -> Stats:
    flagger_ids = {k.split("#", 1)[1] for k in counters if k.startswith(("flagger_reports#", "flagger_decided#"))}
    flaggers = {}
    for fid in sorted(flagger_ids):
        decided = counters.get(f"flagger_decided#{fid}", 0)
        confirmed = counters.get(f"flagger_confirmed#{fid}", 0)
        flaggers[fid] = FlaggerStats(
            reports=counters.get(f"flagger_reports#{fid}", 0),
            decided=decided,
            confirmed=confirmed,
            precision=round(confirmed / decided, 4) if decided else None,
        )
    platform_ids = {
        k.split("#")[1]
        for k in counters
        if k.startswith(("platform_items#", "platform_outcomes#", "deliveries_failed#"))
    }
    platforms = {}
    for pid in sorted(platform_ids):
        by_type = _group(counters, f"outcome#{pid}#")
        outcomes = counters.get(f"platform_outcomes#{pid}", 0)
        removed = by_type.get("removed", 0)
        platforms[pid] = PlatformStats(
            items=counters.get(f"platform_items#{pid}", 0),
            outcomes=outcomes,
            removed=removed,
            removal_rate=round(removed / outcomes, 4) if outcomes else None,
            outcomes_by_type=by_type,
            deliveries_failed=counters.get(f"deliveries_failed#{pid}", 0),
        )
    return Stats(
        at=now or datetime.now(UTC),
        items=counters.get("items", 0),
        reports=counters.get("reports", 0),
        by_status=_group(counters, "status#"),
        by_category=_group(counters, "category#"),
        by_priority=_group(counters, "priority#"),
        flaggers=flaggers,
        platforms=platforms,
        time_to_decision=_durations(counters, "decision"),
        time_to_outcome=_durations(counters, "outcome"),
        overdue=overdue,
        deliveries_failed=sum(p.deliveries_failed for p in platforms.values()),
    )


class YearReport(BaseModel):
    """A trusted flagger's yearly figures in the spirit of DSA Art. 22(3): no personal data."""

    year: int
    notices: int = Field(description="reports submitted (notices)")
    notices_by_category: dict[str, int]
    items: int = Field(description="distinct targets reported")
    items_by_category: dict[str, int]
    decisions: dict[str, int]
    actions_by_platform: dict[str, dict[str, int]]
    time_to_decision: Durations
    time_to_action: Durations
    statement_of_reasons_defaults: dict[str, object]


# The fields of a statement of reasons (EU DSA Transparency Database) that follow from Flagpost's
# scope, for a platform acting on a confirmed item; platform-specific fields (visibility restriction,
# territorial scope, application date, content type) remain the platform's to fill.
STATEMENT_OF_REASONS_DEFAULTS: dict[str, object] = {
    "source_type": "SOURCE_TRUSTED_FLAGGER",
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "Regulation (EU) 2021/784 (terrorist content online), Art. 2(7)",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "category_specification": ["KEYWORD_TERRORIST_CONTENT"],
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
}


def year_report(counters: dict[str, int], year: int) -> YearReport:
    prefix = f"y{year}#"
    scoped = {k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix)}
    platforms = {k.split("#")[1] for k in scoped if k.startswith("outcome#")}
    return YearReport(
        year=year,
        notices=scoped.get("reports", 0),
        notices_by_category=_group(scoped, "report_category#"),
        items=scoped.get("items", 0),
        items_by_category=_group(scoped, "category#"),
        decisions=_group(scoped, "decided#"),
        actions_by_platform={p: _group(scoped, f"outcome#{p}#") for p in sorted(platforms)},
        time_to_decision=_durations(scoped, "decision"),
        time_to_action=_durations(scoped, "outcome"),
        statement_of_reasons_defaults=STATEMENT_OF_REASONS_DEFAULTS,
    )
