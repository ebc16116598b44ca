"""Statistics: counting the items table's changes once each, the figures of GET /v1/stats and the
yearly report, and the gauges MonitorFunction publishes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from flagpost.domain.aggregates import deltas
from flagpost.domain.models.records import StreamChange
from flagpost.domain.models.stats import Stats, build
from flagpost.domain.models.year_report import YearReport, year_report
from flagpost.observability import logger
from flagpost.services.ports import Counters, CountingStore, OverdueCount, StatsNotAppliedError

Gauge = Callable[[str, float], None]
AWAITING_STATUSES = ("pending", "escalated")


def count_changes(store: CountingStore, changes: Sequence[StreamChange]) -> str | None:
    """Count a batch of changes exactly once; the sequence number to resume from if counting stopped."""
    try:
        store.apply_batch([(change.event_id, deltas(change.old, change.new)) for change in changes])
    except StatsNotAppliedError as exc:
        resume = changes[exc.index].sequence_number
        logger.warning(
            "statistics not counted; the stream resumes here", extra={"sequence_number": resume, "why": str(exc)}
        )
        return resume
    return None


class StatsService:
    def __init__(
        self,
        counters: Counters,
        queue: OverdueCount,
        *,
        clock: Callable[[], datetime] | None = None,
        names: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.counters = counters
        self.queue = queue
        self.clock = clock or (lambda: datetime.now(UTC))
        # Platform principal id -> name: the report names hosting providers, never by id.
        self.names = names or dict

    def current(self) -> Stats:
        now = self.clock()
        return build(self.counters.counters(), self.queue.count_overdue(now), now, self.names())

    def year(self, year: int) -> YearReport:
        return year_report(self.counters.counters(), year, self.names())

    def gauges(self) -> dict[str, int]:
        """OverdueItems and ItemsAwaitingReview now."""
        stats = self.current()
        awaiting = sum(stats.by_status.get(status, 0) for status in AWAITING_STATUSES)
        return {"OverdueItems": stats.overdue, "ItemsAwaitingReview": awaiting}

    def publish(self, gauge: Gauge) -> dict[str, int]:
        """Sample and hand each gauge to `gauge` (the Metrics sink); zeros too, so that alarms see data."""
        figures = self.gauges()
        for name, value in figures.items():
            gauge(name, value)
        return figures
