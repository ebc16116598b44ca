"""Push jobs: the forward queue's messages, one per feed entry and delivery round."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flagpost.adapters.dynamo.client import StoreUnavailableError
from flagpost.adapters.dynamo.feed import FeedEntry, FeedStore

SQS_BATCH = 10  # SendMessageBatch's limit


class PushJob(BaseModel):
    """The body of a forward-queue message: which entry to push, in which delivery round.

    `parked` marks the copy the forwarder puts in the DLQ when it gives up: when an operator redrives
    the DLQ, that copy comes back here and starts a new round (see `Forwarder.deliver`).
    """

    model_config = ConfigDict(extra="ignore")

    platform_id: str = Field(min_length=1, max_length=100)
    seq: int = Field(ge=1)
    round: int = Field(default=0, ge=0)
    parked: bool = False


def job_body(entry: FeedEntry, *, parked: bool = False) -> str:
    """The message body for pushing `entry` in its current round (`parked`: the DLQ's copy)."""
    job = PushJob(platform_id=entry.platform_id, seq=entry.seq, round=entry.round, parked=parked)
    return job.model_dump_json(exclude_defaults=True)  # round 0, not parked: {"platform_id", "seq"}


def queue_jobs(sqs: Any, queue_url: str, entries: Sequence[FeedEntry]) -> None:
    """Send one push job per (pending) entry, in batches; StoreUnavailableError if any was not queued."""
    for start in range(0, len(entries), SQS_BATCH):
        chunk = entries[start : start + SQS_BATCH]
        got = sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(n), "MessageBody": job_body(e)} for n, e in enumerate(chunk)]
        )
        if got.get("Failed"):
            raise StoreUnavailableError(f"{len(got['Failed'])} push job(s) not queued")


def redeliver(feed: FeedStore, sqs: Any, queue_url: str, platform_id: str) -> int:
    """Queue every failed entry of the platform again: a new round each, the same seq and webhook-id.

    Returns how many were requeued. An entry delivered or requeued meanwhile is skipped, so two
    redeliveries at once requeue each entry once.
    """
    requeued = [entry for entry in (feed.requeue(platform_id, seq) for seq in feed.failed(platform_id)) if entry]
    queue_jobs(sqs, queue_url, requeued)
    return len(requeued)
