"""What reviewers read: an item with its reports, history and outcomes; listings by status; queue counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flagpost.domain.errors import InvalidInputError, NotFoundError, UnavailableError
from flagpost.domain.ids import item_id_for
from flagpost.domain.models.item import ItemStatus
from flagpost.domain.models.outcome import OutcomeOut
from flagpost.domain.models.records import AWAITING, ItemRecord, note_text
from flagpost.domain.models.review import (
    HistoryEntry,
    ItemDetail,
    ItemList,
    LeaseView,
    QueueCount,
    QueueCounts,
    QueueName,
    ReportSummary,
    TrackRecord,
)
from flagpost.domain.normalize import NormalizeError, normalize_url
from flagpost.domain.review_rules import confirmations_required
from flagpost.services.ports import Names, OutcomeStore, OverdueCount, QueueTotals, ReviewStore

DETAIL_REPORTS = 200
QUEUES: tuple[QueueName, ...] = ("default", "escalated")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ReviewReads:
    def __init__(
        self,
        store: ReviewStore,
        outcomes: OutcomeStore,
        *,
        clock: Callable[[], datetime] = _utcnow,
        totals: QueueTotals | None = None,
        overdue: OverdueCount | None = None,
        people: Names | None = None,
    ) -> None:
        self.people = people
        self.store = store
        self.outcomes = outcomes
        self.clock = clock
        self.totals = totals
        self.overdue = overdue

    def _record(self, item_id: str) -> ItemRecord:
        record = self.store.get(item_id)
        if record is None:
            raise NotFoundError(f"No item {item_id!r}.")
        return record

    def detail(self, item_id: str) -> ItemDetail:
        now = self.clock()
        record = self._record(item_id)
        notes = self.store.notes(item_id)
        reports, truncated = self.store.reports(item_id, DETAIL_REPORTS)
        texts = self.store.descriptions([r.report_id for r in reports])
        lease = None
        if record.awaits_review and record.lease_active(now) and record.lease_holder and record.lease_expires_at:
            lease = LeaseView(holder=record.lease_holder, expires_at=datetime.fromisoformat(record.lease_expires_at))
        history = self.store.history(item_id)
        people = {r.flagger_id for r in reports} | {h.actor for h in history} | set(record.flaggers)
        people |= set(record.confirmations) | set(record.retraction_requests) | ({lease.holder} if lease else set())
        names = self._names(sorted(people))
        records = self._track_records(sorted({r.flagger_id for r in reports}))
        return ItemDetail(
            **record.to_item(now, notes).model_dump(),
            reports=[
                ReportSummary.model_validate(
                    r.model_dump(include=set(ReportSummary.model_fields))
                    | {
                        "description": texts.get(r.report_id),
                        "flagger_name": names.get(r.flagger_id),
                        "flagger_record": records.get(r.flagger_id),
                    }
                )
                for r in reports
            ],
            reports_truncated=truncated,
            history=[
                HistoryEntry.model_validate(
                    h.model_dump(include=set(HistoryEntry.model_fields))
                    | {"note": note_text(h.model_dump(), notes), "actor_name": names.get(h.actor)}
                )
                for h in history
            ],
            lease=lease,
            confirmations=sorted(record.confirmations),
            confirmations_required=confirmations_required(record.priority),
            platforms=sorted(record.platforms),
            retraction_requests=sorted(record.retraction_requests),
            outcomes=[OutcomeOut.of(o.model_dump()) for o in self.outcomes.outcomes(item_id)],
            names=names,
        )

    def _names(self, ids: list[str]) -> dict[str, str]:
        """Display names of the principals an item names (flaggers, reviewers), where known."""
        if self.people is None:
            return {}
        found = {pid: self.people.name_of(pid) for pid in ids if pid.startswith(("fla_", "rev_", "adm_", "pla_"))}
        return {pid: name for pid, name in found.items() if name}

    def _track_records(self, flaggers: list[str]) -> dict[str, TrackRecord]:
        """Each flagger's reports, decided and confirmed items (the statistics' counters) and precision."""
        if self.totals is None or not flaggers:
            return {}
        kinds = ("flagger_reports", "flagger_decided", "flagger_confirmed")
        got = self.totals.values([f"{kind}#{f}" for f in flaggers for kind in kinds])
        out = {}
        for f in flaggers:
            reports, decided, confirmed = (got[f"{kind}#{f}"] for kind in kinds)
            precision = round(confirmed / decided, 3) if decided else None
            out[f] = TrackRecord(reports=reports, decided=decided, confirmed=confirmed, precision=precision)
        return out

    def find_by_url(self, url: str) -> ItemList:
        """The item of a URL in any of its spellings: normalised as ingest normalises it, so every form
        that dedups to one item finds it (an empty list when none was reported; 422 when it names nothing)."""
        try:
            target = normalize_url(url)
        except NormalizeError as exc:
            raise InvalidInputError(
                f"Not a URL Flagpost can review: {exc}",
                errors=[{"loc": ["query", "url"], "msg": str(exc), "type": f"target.{exc.reason}"}],
            ) from None
        record = self.store.get(item_id_for(target.dedup_key))
        return ItemList(items=[record.to_item(self.clock())] if record else [], next_cursor=None)

    def list_items(self, status: ItemStatus, limit: int, cursor: str | None) -> ItemList:
        """One status, oldest due_at first; `in_review` is pending or escalated items under a live lease."""
        now = self.clock()
        if status is ItemStatus.IN_REVIEW:
            parts, lease = [s.value for s in AWAITING], "live"
        else:
            parts, lease = [status.value], ("free" if status.awaits_review else "any")
        records, next_cursor = self.store.list_by_status(parts, lease, now, limit, cursor, status.value)  # type: ignore[arg-type]
        return ItemList(items=[r.to_item(now) for r in records], next_cursor=next_cursor)

    def counts(self) -> QueueCounts:
        """How many items wait, are leased and are overdue per queue, from counters and markers: the
        `queue#<name>` counters the statistics keep (every change counted once), the reviewers' live
        lease markers (as many as reviewers), and the overdue keys of the index; never the queue itself."""
        if self.totals is None or self.overdue is None:
            raise UnavailableError("Queue counts are not wired here.")
        now = self.clock()
        totals = self.totals.queue_totals(QUEUES)
        out: list[QueueCount] = []
        for queue in QUEUES:
            leased = sum(1 for hold in self.store.holds(queue) if hold.live(now))
            overdue = self.overdue.count_overdue(now, (queue,))
            out.append(QueueCount(queue=queue, waiting=max(0, totals[queue] - leased), leased=leased, overdue=overdue))
        return QueueCounts(queues=out, at=now)
