"""Review deadlines by priority: the one rule ingest and review share."""

from __future__ import annotations

from datetime import datetime, timedelta

from flagpost.config import Settings, settings
from flagpost.domain.models.report import Priority


def review_window(priority: Priority, config: Settings | None = None) -> timedelta:
    config = config or settings()
    seconds = {
        Priority.THREAT_TO_LIFE: config.deadline_threat_to_life_s,
        Priority.CRISIS: config.deadline_crisis_s,
        Priority.STANDARD: config.deadline_standard_s,
    }[priority]
    return timedelta(seconds=seconds)


def due_at(priority: Priority, reported_at: datetime, config: Settings | None = None) -> datetime:
    return reported_at + review_window(priority, config)
