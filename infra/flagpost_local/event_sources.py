"""Event sources for the local stack: SQS queues and DynamoDB streams polled as Lambda would, and schedules.

SQS: batches up to BatchSize (gathering several receives within the batching window), deletes what
succeeded, and leaves failures to reappear after the visibility timeout; the queue's own redrive
policy then moves a message to its DLQ after maxReceiveCount receives - moto implements that part.
DynamoDB streams: records in shard order; a failed batch is retried from the first failed record
(with ReportBatchItemFailures) or whole, which blocks the shard as on AWS, until MaximumRetryAttempts.
Schedules: rate(...) expressions invoke their function with EventBridge's "Scheduled Event", the first
time one period after start, as a new rule does; a failed run is logged and the next one comes anyway.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config

from flagpost_local import emulator
from flagpost_local.provision import Stack
from flagpost_local.runtime import ACCOUNT_ID, BaseRuntime
from flagpost_local.template import QueueSource, ScheduleSource, StreamSource, Template

log = logging.getLogger(__name__)


def _lambda_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for name, attr in attributes.items():
        converted[name] = {
            "stringValue": attr.get("StringValue"),
            "binaryValue": attr.get("BinaryValue"),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": attr.get("BinaryListValues", []),
            "dataType": attr["DataType"],
        }
    return converted


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": _lambda_message_attributes(m.get("MessageAttributes", {})),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def failed_ids(result: Any, report_batch_item_failures: bool, all_ids: list[str]) -> set[str]:
    """Which records the invocation failed, by the rules Lambda applies to the response."""
    if not report_batch_item_failures:
        return set()
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return set()
    failures = result["batchItemFailures"] or []
    ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in all_ids:
            # Lambda treats a malformed or unknown identifier as a failure of the whole batch.
            return set(all_ids)
        ids.add(identifier)
    return ids


# An idle poller waits between polls, from IDLE_WAIT_MIN_S doubling up to IDLE_WAIT_MAX_S (a stream
# poller is woken early by a write to the emulator's streams); a queue poller long-polls instead.
IDLE_WAIT_MIN_S = 0.05
IDLE_WAIT_MAX_S = 2.0
# SQS's longest long poll: an idle queue costs one receive per poller every 20 seconds.
LONG_POLL_S = 20


class _Poller(threading.Thread):
    def __init__(self, name: str, stop: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self._stop_event = stop
        # True while waiting for work (a long poll, an idle wait): stopping need not wait for it.
        self.waiting = False

    def run(self) -> None:
        backoff = IDLE_WAIT_MIN_S
        while not self._stop_event.is_set():
            try:
                worked = self.poll_once()
            except Exception:  # keep the mapping alive, as AWS's pollers do; the error is logged
                if self._stop_event.is_set():
                    return  # the emulator or a worker went away because the stack is stopping
                log.exception("%s: poll failed", self.name)
                self._wait(self._stop_event.wait, backoff)
                backoff = min(backoff * 2, IDLE_WAIT_MAX_S)
                continue
            if worked:
                backoff = IDLE_WAIT_MIN_S
            else:
                self._wait(self.idle, backoff)
                backoff = min(backoff * 2, IDLE_WAIT_MAX_S)

    def _wait(self, how: Callable[[float], object], seconds: float) -> None:
        self.waiting = True
        try:
            how(seconds)
        finally:
            self.waiting = False

    def idle(self, seconds: float) -> None:
        """Nothing to do: wait before the next poll (or until stopped)."""
        self._stop_event.wait(seconds)

    def poll_once(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


class QueuePoller(_Poller):
    def __init__(
        self,
        runtime: BaseRuntime,
        function: str,
        source: QueueSource,
        queue_arn: str,
        sqs: Any,
        stop: threading.Event,
        wait_time_s: int = LONG_POLL_S,
    ) -> None:
        super().__init__(f"sqs:{function}.{source.name}", stop)
        self.runtime, self.function, self.source, self.queue_arn, self.sqs = (
            runtime,
            function,
            source,
            queue_arn,
            sqs,
        )
        self.queue_url: str = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        self.wait_time_s = wait_time_s

    def receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.source.max_batching_window_s
        while len(batch) < self.source.batch_size and not self._stop_event.is_set():
            self.waiting = not batch  # the first receive is a long poll: waiting for work
            try:
                got = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.source.batch_size - len(batch)),
                    WaitTimeSeconds=0 if batch else self.wait_time_s,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            finally:
                self.waiting = False
            batch.extend(got)
            if not got and (not batch or time.monotonic() >= deadline):
                break
        return batch

    def poll_once(self) -> bool:
        batch = self.receive_batch()
        if not batch or self._stop_event.is_set():
            return False  # messages received while stopping reappear after their visibility timeout
        self.process(batch)
        return True

    def idle(self, seconds: float) -> None:
        if self.wait_time_s == 0:  # no long poll (tests drive the pollers by hand): wait instead
            self._stop_event.wait(seconds)

    def process(self, batch: list[dict[str, Any]]) -> None:
        event = sqs_event(batch, self.queue_arn, self.runtime.region)
        ids = [m["MessageId"] for m in batch]
        try:
            result = self.runtime.invoke(self.function, event, correlation_id=ids[0])
        except Exception as exc:
            # The whole batch failed: every message becomes visible again after the timeout.
            if not self._stop_event.is_set():  # else the stack is stopping and ended the invocation
                self.runtime.log_exception(self.function, exc)
            return
        failed = failed_ids(result, self.source.report_batch_item_failures, ids)
        done = [m for m in batch if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )


class StreamPoller(_Poller):
    def __init__(
        self,
        runtime: BaseRuntime,
        function: str,
        source: StreamSource,
        stream_arn: str,
        streams: Any,
        stop: threading.Event,
        generation: Callable[[], int] = emulator.stream_generation,
        wait_for_write: Callable[[int, float], object] = emulator.wait_for_stream_write,
    ) -> None:
        super().__init__(f"stream:{function}.{source.name}", stop)
        self.generation, self.wait_for_write = generation, wait_for_write
        self.seen = generation()
        self.runtime, self.function, self.source, self.stream_arn, self.streams = (
            runtime,
            function,
            source,
            stream_arn,
            streams,
        )
        iterator_type = "TRIM_HORIZON" if source.starting_position == "TRIM_HORIZON" else "LATEST"
        shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        self.iterators: dict[str, str] = {
            shard["ShardId"]: streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type
            )["ShardIterator"]
            for shard in shards
        }
        self.pending: dict[str, list[dict[str, Any]]] = {shard: [] for shard in self.iterators}
        self.attempts: dict[str, int] = dict.fromkeys(self.iterators, 0)

    def idle(self, seconds: float) -> None:
        """Block until the emulator's streams get a record (or `seconds` pass): DynamoDB streams have no long poll."""
        self.wait_for_write(self.seen, seconds)

    def poll_once(self) -> bool:
        worked = False
        self.seen = self.generation()  # a write from now on ends the next idle wait at once
        for shard, iterator in list(self.iterators.items()):
            if self._stop_event.is_set():
                break
            if not self.pending[shard]:
                got = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                self.iterators[shard] = got.get("NextShardIterator") or iterator
                self.pending[shard] = [dict(r, eventSourceARN=self.stream_arn) for r in got.get("Records", [])]
            if self.pending[shard]:
                self._deliver(shard)
                worked = True
        return worked

    def _deliver(self, shard: str) -> None:
        batch = self.pending[shard][: self.source.batch_size]
        ids = [r["dynamodb"]["SequenceNumber"] for r in batch]
        try:
            result = self.runtime.invoke(self.function, {"Records": batch}, correlation_id=ids[0])
            failed = failed_ids(result, self.source.report_batch_item_failures, ids)
        except Exception as exc:
            if self._stop_event.is_set():
                return  # the stack is stopping and ended the invocation
            self.runtime.log_exception(self.function, exc)
            failed = set(ids)
        if not failed:
            self.pending[shard] = self.pending[shard][len(batch) :]
            self.attempts[shard] = 0
            return
        # Checkpoint before the first failed record: everything after it is delivered again.
        first = min(ids.index(i) for i in failed)
        self.pending[shard] = self.pending[shard][first:]
        self.attempts[shard] += 1
        if 0 <= self.source.max_retry_attempts < self.attempts[shard]:
            log.error("%s: dropping record %s after %d attempts", self.name, ids[first], self.attempts[shard])
            self.pending[shard] = self.pending[shard][1:]
            self.attempts[shard] = 0


def scheduled_event(rule_arn: str, region: str, account: str, at: datetime | None = None) -> dict[str, Any]:
    """What EventBridge sends a function on a schedule."""
    at = at or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class SchedulePoller(_Poller):
    """Invokes a function every `source.every_s` seconds, starting one period after it was built."""

    def __init__(
        self,
        runtime: BaseRuntime,
        function: str,
        source: ScheduleSource,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
        account: str = ACCOUNT_ID,
    ) -> None:
        super().__init__(f"{function}.{source.name}", stop)
        self.runtime, self.function, self.source, self.account = runtime, function, source, account
        self.clock = clock
        self.next_at = clock() + source.every_s
        self.rule_arn = f"arn:aws:events:{runtime.region}:{account}:rule/{function}-{source.name}"

    def idle(self, seconds: float) -> None:
        """Sleep until the next run is due (woken by stop), however short the back-off."""
        del seconds
        self._stop_event.wait(min(max(self.next_at - self.clock(), IDLE_WAIT_MIN_S), self.source.every_s))

    def poll_once(self) -> bool:
        if self.clock() < self.next_at:
            return False
        # Runs missed while the machine slept are not caught up, as EventBridge does not either.
        while self.next_at <= self.clock():
            self.next_at += self.source.every_s
        self.fire()
        return True

    def fire(self) -> Any:
        event = scheduled_event(self.rule_arn, self.runtime.region, self.account)
        try:
            return self.runtime.invoke(self.function, event, correlation_id=event["id"])
        except Exception as exc:
            if not self._stop_event.is_set():
                self.runtime.log_exception(self.function, exc)
            return None


def build_schedules(template: Template, runtime: BaseRuntime, stop: threading.Event) -> list[SchedulePoller]:
    """One timer per Schedule event of the template."""
    return [
        SchedulePoller(runtime, spec.logical_id, source, stop)
        for spec in template.functions
        for source in spec.schedules
    ]


def build_pollers(
    template: Template,
    stack: Stack,
    runtime: BaseRuntime,
    session: Any,
    stop: threading.Event,
    pollers_per_queue: int = 2,
    endpoint_url: str | None = None,
    wait_time_s: int = LONG_POLL_S,
) -> list[_Poller]:
    """One poller per SQS source (several, like Lambda's scaling) and one per stream source."""
    pollers: list[_Poller] = []
    for spec in template.functions:
        for queue_source in spec.queues:
            arn = stack.event_source_arns[(spec.logical_id, queue_source.name)]
            for _ in range(pollers_per_queue):
                sqs = session.client("sqs", endpoint_url=endpoint_url)
                pollers.append(QueuePoller(runtime, spec.logical_id, queue_source, arn, sqs, stop, wait_time_s))
        for stream_source in spec.streams:
            arn = stack.event_source_arns[(spec.logical_id, stream_source.name)]
            # The emulator does not serve account-based stream endpoints (<account>.streams-ddb...).
            streams = session.client(
                "dynamodbstreams", endpoint_url=endpoint_url, config=Config(account_id_endpoint_mode="disabled")
            )
            pollers.append(StreamPoller(runtime, spec.logical_id, stream_source, arn, streams, stop))
    return pollers


def start_event_sources(
    template: Template,
    stack: Stack,
    runtime: BaseRuntime,
    session: Any,
    stop: threading.Event,
    pollers_per_queue: int = 2,
    endpoint_url: str | None = None,
) -> list[_Poller]:
    """Build the pollers and schedules and run each in its own thread until `stop` is set."""
    pollers = build_pollers(template, stack, runtime, session, stop, pollers_per_queue, endpoint_url)
    pollers += build_schedules(template, runtime, stop)
    for poller in pollers:
        poller.start()
    return pollers
