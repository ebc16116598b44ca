"""Which records a batch response fails, by Lambda's rules; when a schedule fires."""

from __future__ import annotations

import threading
from typing import Any

from flagpost_local.event_sources import SchedulePoller, failed_ids, sqs_event
from flagpost_local.template import ScheduleSource

IDS = ["m1", "m2", "m3"]


def test_without_report_batch_item_failures_a_returned_list_is_ignored() -> None:
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "m1"}]}, False, IDS) == set()


def test_listed_identifiers_fail() -> None:
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "m2"}]}, True, IDS) == {"m2"}


def test_empty_or_missing_list_means_all_succeeded() -> None:
    assert failed_ids({"batchItemFailures": []}, True, IDS) == set()
    assert failed_ids(None, True, IDS) == set()


def test_malformed_or_unknown_identifier_fails_the_whole_batch() -> None:
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "nope"}]}, True, IDS) == set(IDS)
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, True, IDS) == set(IDS)
    assert failed_ids({"batchItemFailures": ["m1"]}, True, IDS) == set(IDS)


def test_sqs_event_records_carry_lambda_field_names() -> None:
    event = sqs_event(
        [
            {
                "MessageId": "m1",
                "ReceiptHandle": "r",
                "Body": "b",
                "Attributes": {"ApproximateReceiveCount": "1"},
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            }
        ],
        "arn:aws:sqs:eu-west-1:1:q",
        "eu-west-1",
    )
    (record,) = event["Records"]
    assert record["messageId"] == "m1"
    assert record["eventSource"] == "aws:sqs"
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


class _Runtime:
    region = "eu-west-1"

    def __init__(self, fail: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail
        self.logged: list[BaseException] = []

    def invoke(self, function: str, event: dict[str, Any], correlation_id: str | None = None) -> Any:
        self.events.append(event)
        if self.fail:
            raise RuntimeError("boom")
        return "ok"

    def log_exception(self, function: str, exc: BaseException) -> None:
        self.logged.append(exc)


def test_a_schedule_fires_one_period_after_start_then_every_period_without_catching_up() -> None:
    now = [1000.0]
    runtime = _Runtime()
    source = ScheduleSource(name="EveryMinute", expression="rate(1 minute)", every_s=60)
    poller = SchedulePoller(runtime, "Fn", source, threading.Event(), clock=lambda: now[0])  # type: ignore[arg-type]
    assert poller.poll_once() is False
    now[0] = 1059.9
    assert poller.poll_once() is False
    now[0] = 1060.0
    assert poller.poll_once() is True
    assert poller.poll_once() is False, "once per period"
    now[0] = 1300.0  # asleep for four periods: one run now, none to catch up
    assert poller.poll_once() is True
    assert poller.poll_once() is False
    assert len(runtime.events) == 2
    event = runtime.events[0]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/Fn-EveryMinute"]


def test_a_failing_scheduled_run_is_logged_and_the_next_one_still_comes() -> None:
    now = [0.0]
    runtime = _Runtime(fail=True)
    source = ScheduleSource(name="E", expression="rate(1 minute)", every_s=60)
    poller = SchedulePoller(runtime, "Fn", source, threading.Event(), clock=lambda: now[0])  # type: ignore[arg-type]
    now[0] = 60
    assert poller.poll_once() is True
    now[0] = 120
    assert poller.poll_once() is True
    assert len(runtime.logged) == 2
