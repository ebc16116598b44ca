"""The gauges alarms watch, sampled once a minute by MonitorFunction (an EventBridge schedule).

Counters say what happened; these say how things stand now: items waiting for review past their
deadline (counted from the review queue's keys, not by scanning items) and items awaiting review.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flagpost.adapters import aws
from flagpost.config import settings
from flagpost.domain.models.stats import build, count_overdue
from flagpost.wiring_stats import stats_store

Gauge = Callable[[str, float], None]

AWAITING_STATUSES = ("pending", "escalated")


def sample(now: datetime | None = None) -> dict[str, int]:
    """OverdueItems and ItemsAwaitingReview as of `now`."""
    now = now or datetime.now(UTC)
    overdue = count_overdue(aws.client("dynamodb"), settings().items_table, now)
    stats = build(stats_store().counters(), overdue, now)
    awaiting = sum(stats.by_status.get(status, 0) for status in AWAITING_STATUSES)
    return {"OverdueItems": overdue, "ItemsAwaitingReview": awaiting}


def publish(gauge: Gauge, now: datetime | None = None) -> dict[str, int]:
    """Sample and hand each gauge to `gauge` (the Metrics sink); zeros too, so that alarms see data."""
    figures = sample(now)
    for name, value in figures.items():
        gauge(name, value)
    return figures
