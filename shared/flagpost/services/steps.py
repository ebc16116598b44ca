"""Recording the steps of each notice's life with their times (`flagpost.domain.steps`).

Every step is a record written once; it is counted when it is created, so a retried delivery, a
replayed stream batch or two feed reads at once record and count each step once. A step is written
after what it records has happened (the entry appended, the delivery settled): a crash in between
leaves the step to the retry, which writes it then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flagpost.domain.models.feed import FeedEntry
from flagpost.domain.models.times import iso
from flagpost.domain.steps import ACKNOWLEDGED, DISPATCHED, delivery_step, step_record
from flagpost.services.ports import AckMarks, Feed, StepLog

# A platform acknowledges at most this many entries per feed read (a page holds at most 500): a
# cursor far ahead of the last one read acknowledges the rest on the following reads.
MAX_ACKNOWLEDGED_PER_READ = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StepRecorder:
    def __init__(self, log: StepLog, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.log = log
        self.clock = clock

    def dispatched(self, entry: FeedEntry, earlier: dict[str, str]) -> None:
        """The notice's feed entry exists (since its `created_at`); with the steps before it."""
        if entry.op == "upsert":
            self.log.record(step_record(entry.item, entry.platform_id, DISPATCHED, entry.created_at, earlier=earlier))

    def delivered(self, entry: FeedEntry) -> None:
        """The entry reached the platform on its channel: `delivered` by push, `mailed` by e-mail."""
        if entry.op == "upsert":
            # Entries know their channel once there is more than one (push is the first and default).
            step = delivery_step(str(getattr(entry, "channel", "push")))
            self.log.record(step_record(entry.item, entry.platform_id, step, iso(self.clock())))


class FeedAcknowledger:
    """A platform that reads its feed from a cursor has taken in every entry before it: those are
    acknowledged, once, when the cursor first passes them."""

    def __init__(self, feed: Feed, marks: AckMarks, log: StepLog, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.feed = feed
        self.marks = marks
        self.log = log
        self.clock = clock

    def acknowledge(self, platform_id: str, after: int) -> None:
        """Record the platform's entries up to `after` (its cursor) as acknowledged, if not yet."""
        if after <= 0:
            return
        seen = self.marks.acknowledged(platform_id)
        if after <= seen:
            return
        read = self.feed.read(platform_id, seen, min(after - seen, MAX_ACKNOWLEDGED_PER_READ))
        entries = [e for e in read if e.seq <= after]
        if not entries:
            return
        at = iso(self.clock())
        self.log.record_all([step_record(e.item, platform_id, ACKNOWLEDGED, at) for e in entries if e.op == "upsert"])
        # Only entries that exist move the mark: a cursor beyond the feed's end acknowledges nothing
        # that is appended later.
        self.marks.advance(platform_id, seen, entries[-1].seq)
