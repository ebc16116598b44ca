"""GET /v1/stats: the counters arranged for people, plus overdue items counted from the queue index."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from flagpost.domain import sketch
from flagpost.domain.steps import order_key


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
    name: str | None = Field(default=None, description="the platform principal's name")
    items: int
    outcomes: int
    removed: int
    removal_rate: float | None
    outcomes_by_type: dict[str, int]
    decisions: dict[str, int] = Field(default_factory=dict, description="DSA decision keys of standing outcomes")
    deliveries_failed: int
    time_to_action: Durations = Field(description="from the item's confirmation to the platform's acted_at")
    steps: dict[str, Durations] = Field(description="from the item's first report to each step of its notice")


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
    steps: dict[str, Durations] = Field(description="every platform's notices: first report to each step")
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


def step_sketches(counters: Mapping[str, int]) -> dict[str, dict[str, dict[str, int]]]:
    """platform -> step -> buckets, out of the `sketch#step#<platform>#<step>#<bucket>` counters."""
    found: dict[str, dict[str, dict[str, int]]] = {}
    prefix = f"{sketch.PREFIX}step#"
    for key, n in counters.items():
        if not key.startswith(prefix) or n <= 0:
            continue
        platform, step, bucket = key[len(prefix) :].split("#", 2)
        found.setdefault(platform, {}).setdefault(step, {})[bucket] = n
    return found


def steps_summary(per_step: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, Durations]:
    """Durations per step, the steps of several platforms merged, in the order of an item's life."""
    by_step: dict[str, list[Mapping[str, int]]] = {}
    for steps in per_step:
        for step, buckets in steps.items():
            by_step.setdefault(step, []).append(buckets)
    return {step: summary(merged(by_step[step])) for step in sorted(by_step, key=order_key)}


def platform_ids(counters: Mapping[str, int]) -> set[str]:
    """Every platform the counters know of (sent items, outcomes, deliveries, timings)."""
    named = ("platform_items#", "platform_outcomes#", "deliveries_failed#", "outcome#", "dsa#")
    found = {k.split("#")[1] for k in counters if k.startswith(named)}
    return found | set(step_sketches(counters))


def build(
    counters: dict[str, int], overdue: int, now: datetime | None = None, names: Mapping[str, str] | None = None
) -> Stats:
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
    steps = step_sketches(counters)
    platforms = {}
    for pid in sorted(platform_ids(counters)):
        by_type = group(counters, f"outcome#{pid}#")
        outcomes = counters.get(f"platform_outcomes#{pid}", 0)
        removed = by_type.get("removed", 0)
        platforms[pid] = PlatformStats(
            name=(names or {}).get(pid),
            items=counters.get(f"platform_items#{pid}", 0),
            outcomes=outcomes,
            removed=removed,
            removal_rate=round(removed / outcomes, 4) if outcomes else None,
            outcomes_by_type=by_type,
            decisions=group(counters, f"dsa#{pid}#"),
            deliveries_failed=counters.get(f"deliveries_failed#{pid}", 0),
            time_to_action=durations(counters, f"action#{pid}"),
            steps=steps_summary([steps.get(pid, {})]),
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
        steps=steps_summary(steps.values()),
        overdue=overdue,
        deliveries_failed=sum(p.deliveries_failed for p in platforms.values()),
    )
