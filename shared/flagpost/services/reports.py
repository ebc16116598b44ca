"""What a flagger reads back about one of its reports: where it landed, the decision, platforms' outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from flagpost.domain.errors import NotFoundError
from flagpost.domain.models.ingest import ReportView
from flagpost.domain.models.item import Decision, ItemStatus
from flagpost.domain.models.outcome import OutcomeOut, OutcomeRecord
from flagpost.domain.models.records import ItemRecord, ReportRecord


class ReportReads(Protocol):
    def report(self, report_id: str) -> ReportRecord | None: ...

    def item(self, item_id: str) -> ItemRecord | None: ...


class OutcomeReads(Protocol):
    def outcomes(self, item_id: str) -> list[OutcomeRecord]: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FlaggerReports:
    def __init__(self, reads: ReportReads, outcomes: OutcomeReads, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.reads = reads
        self.outcomes = outcomes
        self.clock = clock

    def view(self, flagger_id: str, report_id: str) -> ReportView:
        """One of the flagger's reports; someone else's is indistinguishable from none (404)."""
        report = self.reads.report(report_id)
        item = self.reads.item(report.report_item) if report is not None and report.flagger_id == flagger_id else None
        if report is None or item is None:
            raise NotFoundError("No such report among yours.")
        # No reviewer identity or note leaves to flaggers: the decision and what each platform did. Only a
        # final decision is one: a first of two confirmations, or a rejection that went to a third
        # reviewer, is a step of a review still under way (`item_status` says so).
        view = item.to_item(self.clock())
        final = view.status in (ItemStatus.CONFIRMED, ItemStatus.REJECTED, ItemStatus.RETRACTED)
        decision = _final_decision(view.decisions, view.status) if final else None
        outcomes = [
            OutcomeOut.of(o.model_dump()).model_dump(mode="json", exclude_none=True, exclude={"item_id"})
            for o in self.outcomes.outcomes(item.item_id)
        ]
        return ReportView(
            report_id=report.report_id,
            item_id=item.item_id,
            status=report.landed_status,
            item_status=view.status,
            received_at=report.received_at,
            external_id=report.external_id,
            decision=decision.model_dump(mode="json", exclude={"reviewer_id", "note"}) if decision else None,
            outcomes=outcomes,
        )


def _final_decision(decisions: list[Decision], status: ItemStatus) -> Decision | None:
    """The decision that made the item what it is: the last confirmation of a confirmed (or retracted)
    item, the last rejection of a rejected one."""
    wanted = "reject" if status is ItemStatus.REJECTED else "confirm"
    found = [d for d in decisions if d.decision == wanted]
    return found[-1] if found else None
