"""Turns item status changes (from the items table's stream) into feed entries and delivery jobs.

confirmed -> an `upsert` entry for every platform the item is routed to, carrying the DSA Art. 16(2)
notice built now from the item and its reports (`flagpost.domain.models.notice`);
retracted -> a `retract` entry, carrying the withdrawal, for every platform that received the upsert.
The notice's explanations (the flaggers' free text) are kept apart with the text retention.
A stream batch is planned record by record (`plan`), then appended platform by platform (`flush`):
one conditional transaction per platform and chunk, so shards appending to one feed contend once
per batch. Appends are idempotent, so a batch retried after a partial failure adds nothing twice;
the push job is sent again in that case, and the platform sees the same `webhook-id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flagpost.domain.errors import UnavailableError
from flagpost.domain.models.feed import Channel, Op
from flagpost.domain.models.notice import MAX_EXPLANATIONS, Notifier, build_notice
from flagpost.domain.models.platform_item import platform_view
from flagpost.domain.models.principal import Principal
from flagpost.domain.models.records import StreamChange
from flagpost.domain.routing import route
from flagpost.domain.steps import earlier_steps
from flagpost.observability import logger
from flagpost.services.ports import Feed, JobQueue, PrincipalDirectory, ReportReader
from flagpost.services.steps import StepRecorder

# Reports read to build a notice: its explanations are the first few, its URL forms all of these.
NOTICE_REPORTS = 200


@dataclass(frozen=True)
class Append:
    """One feed entry a stream record calls for. A retraction names no platform until `flush`
    resolves it to every platform the item went to, upserts earlier in the same batch included."""

    platform: Principal | None
    op: Op
    item: dict[str, Any]
    sequence_number: str  # of the stream record that called for it: where the stream resumes if it fails
    earlier: dict[str, str] = field(default_factory=dict)  # the item's steps before it became a notice


class Dispatcher:
    def __init__(
        self,
        feed: Feed,
        principals: PrincipalDirectory,
        jobs: JobQueue,
        reports: ReportReader,
        notifier: Notifier,
        *,
        steps: StepRecorder | None = None,
    ) -> None:
        self.feed = feed
        self.principals = principals
        self.jobs = jobs
        self.reports = reports
        self.notifier = notifier
        self.steps = steps

    def platforms(self) -> list[Principal]:
        # Read at most every few seconds: a batch of confirmations must not scan principals per record.
        return self.principals.active_platforms()

    def plan(self, change: StreamChange) -> list[Append]:
        """The feed entries one change calls for (none for anything but a status change that counts)."""
        new, old = change.new, change.old
        if new is None or new.get("sk") != "ITEM":
            return []
        status, before = new.get("status"), (old or {}).get("status")
        if status == before or status not in ("confirmed", "retracted"):
            return []
        sequence_number = change.sequence_number
        if status == "confirmed":
            # The extra platforms this round's confirmations named: the item's `platforms` set, which a
            # final rejection and a reopen clear (the decisions list keeps every round's, overruled too).
            named = sorted(new.get("platforms") or [])
            earlier = earlier_steps(new)
            platforms = route(new["target"], named, self.platforms())
            if not platforms:
                return []
            item = platform_view(new, self._notice(new))
            return [Append(p, "upsert", item, sequence_number, earlier) for p in platforms]
        return [Append(None, "retract", platform_view(new, self._notice(new)), sequence_number)]

    def _notice(self, record: dict[str, Any]) -> dict[str, Any]:
        """The item's notice as of now; its explanations' texts are kept apart (as long as the reports'
        own texts) before any entry names them."""
        item_id = record["item_id"]
        reports, more = self.reports.reports(item_id, NOTICE_REPORTS)
        notice, texts = build_notice(
            record,
            reports,
            self.reports.descriptions([r.report_id for r in reports[:MAX_EXPLANATIONS]]),
            self.notifier,
            more_reports=more,
        )
        if texts:
            self.feed.keep_notice_texts(item_id, notice, texts)
        return notice

    def _resolve(self, appends: Sequence[Append]) -> list[Append]:
        """Retractions to every platform the item went to: earlier batches' (the feed's ROUTE records)
        and this batch's upserts, which are not appended yet."""
        resolved: list[Append] = []
        upserted: dict[str, set[str]] = {}
        by_id = {p.id: p for p in self.platforms()}
        for append in appends:
            item_id = append.item["item_id"]
            if append.platform is not None:
                upserted.setdefault(item_id, set()).add(append.platform.id)
                resolved.append(append)
                continue
            routed = set(self.feed.routed_platforms(item_id)) | upserted.get(item_id, set())
            resolved.extend(
                Append(by_id[pid], "retract", append.item, append.sequence_number)
                for pid in sorted(routed)
                if pid in by_id
            )
        return resolved

    def flush(self, appends: Sequence[Append]) -> str | None:
        """Append everything planned, per platform in one go, and queue the pushes.

        Returns None when all landed, else the sequence number of the earliest record whose entries
        did not: the stream resumes there (everything after it is appended idempotently again).
        """
        by_platform: dict[str, list[Append]] = {}
        for append in self._resolve(appends):
            assert append.platform is not None
            by_platform.setdefault(append.platform.id, []).append(append)
        failed: list[str] = []
        for platform_id, group in sorted(by_platform.items()):
            platform = group[0].platform
            assert platform is not None
            logger.append_keys(platform_id=platform_id)
            channels: list[Channel] = []
            if platform.endpoint:
                channels.append("push")
            if platform.email:
                channels.append("email")
            try:
                entries = self.feed.append_batch(platform_id, [(a.op, a.item) for a in group], channels=channels)
                self.jobs.queue([pending for e, _ in entries for pending in e.pending()])
                if self.steps is not None:
                    # Found or created: a redelivered record writes its step again, which counts nothing.
                    for append, (entry, _) in zip(group, entries, strict=True):
                        self.steps.dispatched(entry, append.earlier)
            except UnavailableError as exc:
                # Appended entries stay; the redelivered records find them and queue their pushes again.
                logger.warning("feed append postponed; the stream resumes", extra={"error": str(exc)})
                failed.append(min((a.sequence_number for a in group), key=_sequence_order))
        return min(failed, key=_sequence_order) if failed else None


def _sequence_order(sequence_number: str) -> tuple[int, str]:
    # Stream sequence numbers are decimal strings of varying length: compare them as numbers.
    return (int(sequence_number), sequence_number) if sequence_number.isdigit() else (0, sequence_number)
