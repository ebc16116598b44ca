"""GET /v1/stats: the counters arranged for people, plus overdue items counted from the queue index."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from flagpost.domain import sketch
from flagpost.domain.steps import order_key


class Durations(BaseModel):
    count: int
    median_s: float | None
    p90_s: float | None


class FlaggerStats(BaseModel):
    name: str | None = Field(default=None, description="the flagger's name (an organisation)")
    reports: int
    decided: int
    confirmed: int
    precision: float | None


class PlatformStats(BaseModel):
    name: str | None = Field(default=None, description="the platform principal's name")
    items: int
    outcomes: int
    removed: int
    removal_rate: float | None
    outcomes_by_type: dict[str, int]
    decisions: dict[str, int] = Field(default_factory=dict, description="DSA decision keys of standing outcomes")
    deliveries_failed: int
    time_to_action: Durations = Field(
        default_factory=lambda: Durations(count=0, median_s=None, p90_s=None),
        description="from the item's confirmation to the platform's acted_at",
    )
    steps: dict[str, Durations] = Field(
        default_factory=dict, description="from the item's first report to each step of its notice"
    )


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
    steps: dict[str, Durations] = Field(
        default_factory=dict, description="every platform's notices: from first report to each step"
    )
    overdue: int
    deliveries_failed: int


def group(counters: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix) and v}


def durations(counters: Mapping[str, int], name: str) -> Durations:
    return summary(sketch.buckets(counters, name))


def summary(buckets: Mapping[str, int]) -> Durations:
    """Count, median and p90 of one sketch (or of several merged: their buckets added)."""
    return Durations(
        count=sum(buckets.values()),
        median_s=_rounded(sketch.quantile(buckets, 0.5)),
        p90_s=_rounded(sketch.quantile(buckets, 0.9)),
    )


def _rounded(seconds: float | None) -> float | None:
    """Four significant digits: the sketch is accurate to 1%, and rounding to three would add up to
    another 0.5% (a true 1,284 s read as 1,271 s would print as 1,270 s)."""
    if seconds is None or seconds == 0:
        return seconds
    return float(f"{seconds:.4g}")


def merged(sketches: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for buckets in sketches:
        for name, n in buckets.items():
            total[name] = total.get(name, 0) + n
    return total


_TOTALS = ("platform_items", "platform_outcomes", "deliveries_failed")
_GROUPS = ("outcome", "dsa", "platform_category")


@dataclass
class PlatformCounters:
    """One platform's counters, found in one pass over all of them (reports have many platforms)."""

    totals: dict[str, int] = field(default_factory=dict)  # platform_items, platform_outcomes, deliveries_failed
    groups: dict[str, dict[str, int]] = field(default_factory=dict)  # outcome, dsa, platform_category
    action: dict[str, int] = field(default_factory=dict)  # the time-to-action sketch's buckets
    steps: dict[str, dict[str, int]] = field(default_factory=dict)  # step -> its sketch's buckets


def per_platform(counters: Mapping[str, int]) -> dict[str, PlatformCounters]:
    """Every platform the counters know of (sent items, outcomes, deliveries, timings) and its counters."""
    found: dict[str, PlatformCounters] = {}
    for key, n in counters.items():
        if not n:
            continue
        family, _, rest = key.partition("#")
        if family == "sketch":
            family, _, rest = rest.partition("#")
            if family not in ("action", "step") or n < 0:
                continue
            family = f"sketch#{family}"
        elif family not in _TOTALS and family not in _GROUPS:
            continue
        platform, _, rest = rest.partition("#")
        mine = found.setdefault(platform, PlatformCounters())
        if family in _TOTALS:
            mine.totals[family] = n
        elif family == "sketch#action":
            mine.action[rest] = n
        elif family == "sketch#step":
            step, _, bucket = rest.partition("#")
            mine.steps.setdefault(step, {})[bucket] = n
        else:
            mine.groups.setdefault(family, {})[rest] = n
    return found


def steps_summary(per_step: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, Durations]:
    """Durations per step, the steps of several platforms merged, in the order of an item's life."""
    by_step: dict[str, list[Mapping[str, int]]] = {}
    for steps in per_step:
        for step, buckets in steps.items():
            by_step.setdefault(step, []).append(buckets)
    return {step: summary(merged(by_step[step])) for step in sorted(by_step, key=order_key)}


def build(
    counters: dict[str, int], overdue: int, now: datetime | None = None, names: Mapping[str, str] | None = None
) -> Stats:
    flagger_ids = {k.split("#", 1)[1] for k in counters if k.startswith(("flagger_reports#", "flagger_decided#"))}
    flaggers = {}
    for fid in sorted(flagger_ids):
        decided = counters.get(f"flagger_decided#{fid}", 0)
        confirmed = counters.get(f"flagger_confirmed#{fid}", 0)
        flaggers[fid] = FlaggerStats(
            name=(names or {}).get(fid),
            reports=counters.get(f"flagger_reports#{fid}", 0),
            decided=decided,
            confirmed=confirmed,
            precision=round(confirmed / decided, 4) if decided else None,
        )
    known = per_platform(counters)
    platforms = {}
    for pid, mine in sorted(known.items()):
        by_type = mine.groups.get("outcome", {})
        outcomes = mine.totals.get("platform_outcomes", 0)
        removed = by_type.get("removed", 0)
        platforms[pid] = PlatformStats(
            name=(names or {}).get(pid),
            items=mine.totals.get("platform_items", 0),
            outcomes=outcomes,
            removed=removed,
            removal_rate=round(removed / outcomes, 4) if outcomes else None,
            outcomes_by_type=by_type,
            decisions=mine.groups.get("dsa", {}),
            deliveries_failed=mine.totals.get("deliveries_failed", 0),
            time_to_action=summary(mine.action),
            steps=steps_summary([mine.steps]),
        )
    return Stats(
        at=now or datetime.now(UTC),
        items=counters.get("items", 0),
        reports=counters.get("reports", 0),
        by_status=group(counters, "status#"),
        by_category=group(counters, "category#"),
        by_priority=group(counters, "priority#"),
        flaggers=flaggers,
        platforms=platforms,
        time_to_decision=durations(counters, "decision"),
        time_to_outcome=durations(counters, "outcome"),
        steps=steps_summary(mine.steps for mine in known.values()),
        overdue=overdue,
        deliveries_failed=sum(p.deliveries_failed for p in platforms.values()),
    )
