"""Review deadlines by priority: the one rule ingest and review share (TCO Regulation: one hour)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flagpost.domain.models.report import Priority


@dataclass(frozen=True)
class Deadlines:
    threat_to_life_s: int = 3600
    crisis_s: int = 4 * 3600
    standard_s: int = 24 * 3600

    def window(self, priority: Priority) -> timedelta:
        seconds = {
            Priority.THREAT_TO_LIFE: self.threat_to_life_s,
            Priority.CRISIS: self.crisis_s,
            Priority.STANDARD: self.standard_s,
        }[priority]
        return timedelta(seconds=seconds)

    def due_at(self, priority: Priority, reported_at: datetime) -> datetime:
        return reported_at + self.window(priority)
