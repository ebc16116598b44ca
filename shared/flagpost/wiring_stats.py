"""The stats store and the one call that answers GET /v1/stats."""

from __future__ import annotations

from datetime import UTC, datetime

from flagpost.adapters import aws
from flagpost.adapters.dynamo.stats import StatsStore
from flagpost.config import settings
from flagpost.domain.models.stats import Stats, YearReport, build, count_overdue, year_report
from flagpost.lazy import lazy


@lazy
def stats_store() -> StatsStore:
    config = settings()
    config.require("stats_table")
    return StatsStore(config.stats_table)


def current_stats() -> Stats:
    now = datetime.now(UTC)
    overdue = count_overdue(aws.client("dynamodb"), settings().items_table, now)
    return build(stats_store().counters(), overdue, now)


def report_for(year: int) -> YearReport:
    return year_report(stats_store().counters(), year)
