"""The forward queue: one push job per feed entry and delivery round, parked in the DLQ when it fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from flagpost.adapters import aws
from flagpost.domain.errors import UnavailableError
from flagpost.domain.models.feed import FeedEntry, PushJob

SQS_BATCH = 10  # SendMessageBatch's limit
MAX_DELAY_S = 900  # SendMessage's DelaySeconds limit


class SqsJobQueue:
    def __init__(self, queue_url: str, dlq_url: str = "", *, sqs: Any = None) -> None:
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self._sqs = sqs

    @property
    def sqs(self) -> Any:
        return self._sqs or aws.client("sqs")

    def queue(self, entries: Sequence[FeedEntry]) -> None:
        """One job per (pending) entry, in batches; UnavailableError if any was not queued."""
        for start in range(0, len(entries), SQS_BATCH):
            chunk = entries[start : start + SQS_BATCH]
            jobs = [{"Id": str(n), "MessageBody": PushJob.of(e).body()} for n, e in enumerate(chunk)]
            got = self._call("send_message_batch", QueueUrl=self.queue_url, Entries=jobs)
            if got.get("Failed"):
                raise UnavailableError(f"{len(got['Failed'])} push job(s) not queued")

    def park(self, entry: FeedEntry) -> None:
        """Parked for an operator: the DLQ alarm fires, and a redrive starts a new delivery round."""
        if self.dlq_url:
            self._call("send_message", QueueUrl=self.dlq_url, MessageBody=PushJob.of(entry, parked=True).body())

    def defer(self, entry: FeedEntry, attempts: int, delay_s: int) -> None:
        """A new message for the entry's job, due in `delay_s` (SQS delays a message by 15 min at most)."""
        self._call(
            "send_message",
            QueueUrl=self.queue_url,
            MessageBody=PushJob.of(entry, attempts=attempts).body(),
            DelaySeconds=max(0, min(MAX_DELAY_S, delay_s)),
        )

    def postpone(self, receipt_handle: str, delay_s: int) -> None:
        """SQS hands the job back after `delay_s` (the backoff, or the endpoint's Retry-After)."""
        self._call(
            "change_message_visibility",
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=delay_s,
        )

    def _call(self, operation: str, **request: Any) -> Any:
        try:
            return getattr(self.sqs, operation)(**request)
        except (ClientError, BotoCoreError) as exc:
            if aws.is_transient(exc):
                raise UnavailableError("The queue is busy; retry shortly.") from exc
            raise
