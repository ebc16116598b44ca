"""Recording steps: acknowledgements bounded by the cursor and the feed's end, delivery steps once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flagpost.domain.models.feed import Channel, ChannelState, FeedEntry
from flagpost.services.forward import Forwarder, Job, Policy
from flagpost.services.steps import FeedAcknowledger, StepRecorder

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def entry(seq: int, op: str = "upsert", delivery: str = "pull", channel: Channel = "push") -> FeedEntry:
    item = {"item_id": f"itm_{seq}", "first_seen_at": "2026-05-01T11:00:00Z", "category": "threat"}
    channels = {channel: ChannelState(delivery=delivery)}
    return FeedEntry("pla_t", seq, op, item, "2026-05-01T11:30:00.000Z", channels, channel)  # type: ignore[arg-type]


class Steps:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def record(self, step: dict[str, Any]) -> None:
        self.writes += 1
        self.records.setdefault(f"{step['pk']}|{step['sk']}", step)

    def record_all(self, steps: Sequence[dict[str, Any]]) -> None:
        for step in steps:
            self.writes += 1
            self.records[f"{step['pk']}|{step['sk']}"] = step


class Marks:
    def __init__(self) -> None:
        self.seq = 0

    def acknowledged(self, platform_id: str) -> int:
        return self.seq

    def advance(self, platform_id: str, seen: int, to: int) -> None:
        if self.seq == seen:
            self.seq = to


class Feed:
    def __init__(self, entries: list[FeedEntry]) -> None:
        self.entries = entries

    def read(self, platform_id: str, after: int, limit: int) -> list[FeedEntry]:
        return [e for e in self.entries if e.seq > after][:limit]

    def entry(self, platform_id: str, seq: int, channel: Channel = "push") -> FeedEntry | None:
        return next((e for e in self.entries if e.seq == seq), None)


def test_a_cursor_acknowledges_the_upserts_before_it_once_and_never_beyond_the_feed() -> None:
    steps, marks = Steps(), Marks()
    acks = FeedAcknowledger(Feed([entry(1), entry(2, "retract"), entry(3)]), marks, steps, clock=lambda: NOW)  # type: ignore[arg-type]
    acks.acknowledge("pla_t", 0)
    assert steps.writes == 0, "the first read acknowledges nothing"
    acks.acknowledge("pla_t", 2)
    assert [r["step"] for r in steps.records.values()] == ["acknowledged"]
    assert marks.seq == 2
    acks.acknowledge("pla_t", 2)
    assert steps.writes == 1, "reading from the same cursor again writes nothing"
    acks.acknowledge("pla_t", 10**12)
    assert marks.seq == 3, "a cursor past the end moves the mark only to the last entry"
    assert sorted(r["item_id"] for r in steps.records.values()) == ["itm_1", "itm_3"]


class Settled:
    """A feed whose entry was delivered before the step was recorded (the process died in between)."""

    def __init__(self, channel: Channel = "push") -> None:
        self.one = entry(7, delivery="delivered", channel=channel)

    def entry(self, platform_id: str, seq: int, channel: Channel = "push") -> FeedEntry:
        return self.one


def test_a_redelivered_job_of_a_delivered_entry_records_the_step_it_may_have_missed() -> None:
    steps = Steps()
    recorder = StepRecorder(steps, clock=lambda: NOW)
    forwarder = Forwarder(
        Settled(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        Policy(),
        on_delivered=recorder.delivered,
    )
    job = Job(platform_id="pla_t", seq=7, receipt_handle="r", receive_count=2, sent_at_s=0.0)
    assert forwarder.deliver(job) == "delivered"
    assert forwarder.deliver(job) == "delivered"
    (record,) = steps.records.values()
    assert (record["sk"], record["at"]) == ("STEP#pla_t#delivered", "2026-05-01T12:00:00.000Z")


def test_a_delivered_e_mail_is_the_mailed_step() -> None:
    steps = Steps()
    recorder = StepRecorder(steps, clock=lambda: NOW)
    forwarder = Forwarder(Settled("email"), None, {}, None, Policy(), on_delivered=recorder.delivered)  # type: ignore[arg-type]
    job = Job(platform_id="pla_t", seq=7, receipt_handle="r", receive_count=2, sent_at_s=0.0, channel="email")
    assert forwarder.deliver(job) == "delivered"
    (record,) = steps.records.values()
    assert record["sk"] == "STEP#pla_t#mailed"
