"""An idle local stack does not spin: queue pollers long-poll, stream pollers block until a stream write
(backing off when none comes), schedules sleep until due; and every poller stops between batches.

Nothing here reads the wall clock: the pollers' waits are counted, not timed.
"""

from __future__ import annotations

import threading
from typing import Any

from flagpost_local.event_sources import (
    IDLE_WAIT_MAX_S,
    IDLE_WAIT_MIN_S,
    LONG_POLL_S,
    QueuePoller,
    SchedulePoller,
    StreamPoller,
)
from flagpost_local.runtime import BaseRuntime
from flagpost_local.stack import LocalStack
from flagpost_local.template import QueueSource, ScheduleSource, StreamSource

STREAM = StreamSource(
    name="Changes",
    arn_expr={},
    batch_size=100,
    starting_position="TRIM_HORIZON",
    report_batch_item_failures=True,
    max_retry_attempts=3,
)
QUEUE = QueueSource(name="Work", arn_expr={}, batch_size=10, max_batching_window_s=0, report_batch_item_failures=True)


class Runtime(BaseRuntime):
    """Records invocations; `on_invoke` runs during each (say, to stop the poller)."""

    def __init__(self, on_invoke: Any = None) -> None:  # no template, no log stream: nothing else is used
        self.region = "eu-west-1"
        self.invocations: list[dict[str, Any]] = []
        self.on_invoke = on_invoke

    def invoke(self, function: str, event: dict[str, Any], correlation_id: str | None = None) -> Any:
        self.invocations.append(event)
        if self.on_invoke is not None:
            self.on_invoke()
        return {"batchItemFailures": []}

    def log_exception(self, function: str, exc: BaseException) -> None:
        raise AssertionError(f"logged: {exc!r}")


class Streams:
    def __init__(self, records: int = 0) -> None:
        self.records = [{"dynamodb": {"SequenceNumber": str(i)}} for i in range(records)]
        self.get_records_calls = 0

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        return {"StreamDescription": {"Shards": [{"ShardId": "s1"}]}}

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        return {"ShardIterator": "it"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        self.get_records_calls += 1
        out, self.records = self.records[:Limit], self.records[Limit:]
        return {"Records": out, "NextShardIterator": "it"}


def test_an_idle_stream_poller_blocks_with_back_off_between_reads() -> None:
    stop = threading.Event()
    streams = Streams()
    waits: list[float] = []

    def wait_for_write(since: int, timeout_s: float) -> bool:
        waits.append(timeout_s)
        if len(waits) == 10:
            stop.set()
        return False  # no write came: the wait ran out

    poller = StreamPoller(Runtime(), "F", STREAM, "arn", streams, stop, lambda: 0, wait_for_write)
    poller.run()
    assert streams.get_records_calls == len(waits) == 10, "one read per wait: never two reads without a wait"
    assert waits[0] == IDLE_WAIT_MIN_S
    assert waits == sorted(waits)
    assert waits[-1] == IDLE_WAIT_MAX_S


def test_a_stream_write_ends_the_wait_with_the_generation_it_was_read_at() -> None:
    stop = threading.Event()
    generation = [7]
    seen: list[int] = []

    def wait_for_write(since: int, timeout_s: float) -> bool:
        seen.append(since)
        generation[0] += 1
        if len(seen) == 3:
            stop.set()
        return True

    StreamPoller(Runtime(), "F", STREAM, "arn", Streams(), stop, lambda: generation[0], wait_for_write).run()
    assert seen == [7, 8, 9], "each wait is for a write after the read before it"


def test_a_stream_poller_stops_between_batches_of_a_backlog() -> None:
    stop = threading.Event()
    runtime = Runtime(on_invoke=stop.set)
    streams = Streams(records=1000)
    StreamPoller(runtime, "F", STREAM, "arn", streams, stop, lambda: 0, lambda since, timeout: False).run()
    assert len(runtime.invocations) == 1, "the other nine batches wait for the next start"


class Sqs:
    def __init__(self, stop: threading.Event, messages: int = 0, empty_polls: int = 3) -> None:
        self.stop = stop
        self.messages = [{"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": "{}"} for i in range(messages)]
        self.waits: list[int] = []
        self.empty_polls = empty_polls

    def get_queue_url(self, QueueName: str) -> dict[str, Any]:  # noqa: N803
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.waits.append(kwargs["WaitTimeSeconds"])
        if self.messages:
            out, self.messages = self.messages[: kwargs["MaxNumberOfMessages"]], self.messages[10:]
            return {"Messages": out}
        if len(self.waits) >= self.empty_polls:
            self.stop.set()
        return {}

    def delete_message_batch(self, **kwargs: Any) -> None:
        return None


def test_an_idle_queue_poller_long_polls() -> None:
    stop = threading.Event()
    sqs = Sqs(stop)
    QueuePoller(Runtime(), "F", QUEUE, "arn:aws:sqs:eu-west-1:1:work", sqs, stop).run()
    assert sqs.waits == [LONG_POLL_S] * 3, "every receive of an idle queue is a 20-second long poll"


def test_a_queue_poller_stops_between_batches_of_a_backlog() -> None:
    stop = threading.Event()
    runtime = Runtime(on_invoke=stop.set)
    sqs = Sqs(stop, messages=100)
    QueuePoller(runtime, "F", QUEUE, "arn:aws:sqs:eu-west-1:1:work", sqs, stop).run()
    assert len(runtime.invocations) == 1


def test_a_schedule_sleeps_until_it_is_due() -> None:
    stop = threading.Event()
    now = [100.0]
    poller = SchedulePoller(
        Runtime(), "F", ScheduleSource(name="S", expression="rate(1 minute)", every_s=60), stop, lambda: now[0]
    )
    waits: list[float | None] = []
    original = stop.wait

    def recording_wait(timeout: float | None = None) -> bool:
        waits.append(timeout)
        now[0] += 15
        if len(waits) == 6:
            stop.set()
        return original(0)

    stop.wait = recording_wait  # type: ignore[method-assign]
    poller.run()
    assert waits[:4] == [60.0, 45.0, 30.0, 15.0], "one wait for the time left, not a poll every 50 ms"
    assert len(poller.runtime.invocations) == 1  # type: ignore[attr-defined]


class Thread:
    def __init__(self, waiting: bool) -> None:
        self.waiting = waiting
        self.joined = False

    def join(self, timeout: float | None = None) -> None:
        self.joined = True


def test_stopping_joins_pollers_at_work_but_not_those_waiting_for_work() -> None:
    stack = LocalStack.__new__(LocalStack)
    stack._stop, stack._server, stack._moto = threading.Event(), None, None
    busy, idle = Thread(waiting=False), Thread(waiting=True)
    stack._threads = [busy, idle]  # type: ignore[list-item]
    stack.stop()
    assert stack._stop.is_set()
    assert busy.joined
    assert not idle.joined, "a 20-second long poll is not waited for"
