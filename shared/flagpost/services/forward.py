"""Pushes feed entries to platform endpoints: signed, bounded in time, retried with backoff via SQS.

One SQS message per (platform, seq). Outcomes of one attempt:
- 2xx: delivered.
- 4xx other than 408/429, a redirect, or an endpoint the SSRF guard refuses: permanent. The entry is
  marked failed and the message is parked in the DLQ at once (an alarm watches the DLQ).
- 408, 429, 5xx, timeouts, connection errors, and KMS or DynamoDB unavailable before the push:
  retryable. The message's visibility is set to an exponential backoff with jitter (or the endpoint's
  Retry-After) and the record is reported as a batch item failure, so SQS hands it back then. The
  last allowed attempt, or an entry older than the age limit, marks the entry failed and parks it
  in the DLQ.
The `webhook-id` is the entry's, so every retry of one entry carries the same id.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Json

from flagpost.adapters import aws
from flagpost.adapters.dynamo.client import StoreUnavailableError
from flagpost.adapters.dynamo.feed import FeedEntry, FeedStore
from flagpost.adapters.dynamo.principals import DynamoPrincipalStore, PrincipalNotFoundError
from flagpost.adapters.sqs import PushJob, job_body, queue_jobs
from flagpost.adapters.ssrf import UnsafeEndpointError, guarded_session, validate_endpoint
from flagpost.config import Settings
from flagpost.domain import webhooks
from flagpost.observability import logger, metrics

MAX_VISIBILITY_S = 12 * 3600
_DELTA_SECONDS = re.compile(r"[0-9]{1,9}")


class RetryLaterError(Exception):
    """The push may succeed later; the message comes back after `delay_s`."""

    def __init__(self, reason: str, delay_s: int) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


class PushRecord(SqsRecordModel):
    body: Json[PushJob]


@dataclass(frozen=True)
class Job:
    platform_id: str
    seq: int
    receipt_handle: str
    receive_count: int
    sent_at_s: float
    round: int = 0
    parked: bool = False


def backoff_s(attempt: int, base: float, cap: int = MAX_VISIBILITY_S, retry_after: str | None = None) -> int:
    """Full-jitter exponential backoff, or the endpoint's Retry-After (seconds) when it sent one."""
    # Delta-seconds only, in ASCII digits (str.isdigit would also take "²", which int() refuses);
    # an HTTP-date or anything else is ignored and the backoff applies.
    if retry_after and _DELTA_SECONDS.fullmatch(retry_after.strip()):
        return min(MAX_VISIBILITY_S, max(1, int(retry_after.strip())))
    ceiling = min(cap, MAX_VISIBILITY_S, base * 2 ** max(0, attempt - 1))
    return max(1, int(random.uniform(ceiling / 2, ceiling)))  # noqa: S311 - jitter, not security


class Forwarder:
    def __init__(
        self,
        feed: FeedStore,
        principals: DynamoPrincipalStore,
        config: Settings,
        *,
        sqs: Any = None,
        session: requests.Session | None = None,
        on_failed: Callable[[str], None] | None = None,
    ) -> None:
        self.feed = feed
        self.principals = principals
        self.config = config
        self._sqs = sqs
        self.session = session or guarded_session(allow_loopback=config.allow_loopback_endpoints)
        self.on_failed = on_failed

    @property
    def sqs(self) -> Any:
        return self._sqs or aws.client("sqs")

    def deliver(self, job: Job) -> str:
        """Push one entry. Returns the settled state; raises RetryLaterError for SQS to retry."""
        entry = self.feed.entry(job.platform_id, job.seq)
        if entry is None:
            return "missing"
        if job.parked:
            return self._redrive(entry)
        if entry.delivery in ("delivered", "failed"):
            return entry.delivery  # a redelivered message for a settled entry
        if job.round < entry.round:
            return "stale"  # a message of an earlier round, superseded by a redelivery
        logger.append_keys(correlation_id=entry.webhook_id(), item_id=entry.item.get("item_id"))
        # Attempts count per round (a redelivery gets a fresh budget) and are logged on across rounds.
        attempt = entry.attempt_offset + job.receive_count
        started = _epoch(entry.round_started_at) if entry.round_started_at else job.sent_at_s
        too_old = time.time() - started > self.config.forward_max_age_seconds
        last_attempt = job.receive_count >= self.config.forward_max_attempts or too_old
        try:
            platform = self.principals.get(job.platform_id)
            if not platform.active or not platform.endpoint:
                raise UnsafeEndpointError("the platform was revoked or has no endpoint any more")
            validate_endpoint(platform.endpoint, allow_loopback=self.config.allow_loopback_endpoints, resolve=False)
            secrets = self.principals.signing_secrets(job.platform_id)
            if not secrets:
                raise UnsafeEndpointError("the platform has no live signing secret")
            status, latency_ms, retry_after = self._post(platform.endpoint, entry, secrets)
        except (UnsafeEndpointError, PrincipalNotFoundError) as exc:
            return self._settle(entry, attempt, {"error": str(exc)}, "failed", park=job)
        except (ClientError, BotoCoreError, StoreUnavailableError) as exc:
            # KMS (the signing secret) or DynamoDB (the platform) failed before anything was sent.
            if not isinstance(exc, StoreUnavailableError) and not aws.is_transient(exc):
                raise
            logger.warning("push postponed: a dependency is unavailable", extra={"error": type(exc).__name__})
            if last_attempt:
                return self._settle(entry, attempt, {"error": "dependency unavailable"}, "failed", park=job)
            raise RetryLaterError(type(exc).__name__, self._backoff(attempt)) from None
        except requests.TooManyRedirects as exc:
            # Never followed, never retried: a redirect is the endpoint's final answer for this entry.
            return self._settle(entry, attempt, {"error": type(exc).__name__}, "failed", park=job)
        except requests.RequestException as exc:
            failure: dict[str, Any] = {"error": type(exc).__name__}
            if last_attempt:
                return self._settle(entry, attempt, failure, "failed", park=job)
            self.feed.record_attempt(entry, attempt, failure, None)
            raise RetryLaterError(type(exc).__name__, self._backoff(attempt)) from None

        result: dict[str, Any] = {"status": status, "latency_ms": latency_ms}
        if 200 <= status < 300:
            metrics.add_metric(name="DeliveriesOk", unit="Count", value=1)
            self.feed.record_attempt(entry, attempt, result, "delivered")
            return "delivered"
        if status in (408, 429) or status >= 500:
            if last_attempt:
                return self._settle(entry, attempt, result, "failed", park=job)
            self.feed.record_attempt(entry, attempt, result, None)
            raise RetryLaterError(f"HTTP {status}", self._backoff(attempt, retry_after))
        return self._settle(entry, attempt, result, "failed", park=job)  # 3xx (not followed) and other 4xx

    def _backoff(self, attempt: int, retry_after: str | None = None) -> int:
        config = self.config
        return backoff_s(attempt, config.forward_backoff_base_seconds, config.forward_backoff_max_seconds, retry_after)

    def _post(self, endpoint: str, entry: FeedEntry, secrets: list[str]) -> tuple[int, float, str | None]:
        """POST the entry, signed with every live secret; (status, latency in ms, Retry-After).

        Bounded in total time, not only per socket read: an endpoint that drips its answer a byte at a
        time is abandoned after `push_total_timeout_seconds` (a timeout, retried like any other). The
        answer's body is never read: its status and headers are all a push needs, so a huge body costs
        nothing.
        """
        body = json.dumps(entry.public(), separators=(",", ":")).encode()
        headers = {"content-type": "application/json", **webhooks.sign(body, secrets, entry.webhook_id())}
        started = time.perf_counter()
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="push")
        try:
            status, retry_after = worker.submit(self._send, endpoint, body, headers).result(
                timeout=self.config.push_total_timeout_seconds
            )
        except FutureTimeoutError:
            # Closing the session's sockets ends the stuck read in the worker; later pushes get a new one.
            self.session.close()
            self.session = guarded_session(allow_loopback=self.config.allow_loopback_endpoints)
            raise requests.Timeout(f"no answer within {self.config.push_total_timeout_seconds} s in all") from None
        finally:
            worker.shutdown(wait=False)
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return status, latency_ms, retry_after

    def _send(self, endpoint: str, body: bytes, headers: dict[str, str]) -> tuple[int, str | None]:
        with self.session.post(
            endpoint,
            data=body,
            headers=headers,
            timeout=(self.config.push_connect_timeout_seconds, self.config.push_read_timeout_seconds),
            allow_redirects=False,
            stream=True,  # headers only: the body is closed unread
        ) as reply:
            return reply.status_code, reply.headers.get("retry-after")

    def _settle(self, entry: FeedEntry, attempt: int, result: dict[str, Any], state: str, park: Job) -> str:
        self.feed.record_attempt(entry, attempt, result, state)
        metrics.add_metric(name="DeliveriesFailed", unit="Count", value=1)
        if self.on_failed is not None:
            self.on_failed(entry.platform_id)
        logger.warning("delivery failed", extra={"platform_id": entry.platform_id, "seq": entry.seq, **result})
        if self.config.forward_dlq_url:
            # Parked for an operator: the DLQ alarm fires, and a redrive retries it after a fix.
            self.sqs.send_message(
                QueueUrl=self.config.forward_dlq_url,
                MessageBody=job_body(entry, parked=True),
            )
        return state

    def _redrive(self, entry: FeedEntry) -> str:
        """A parked message an operator redrove from the DLQ: deliver its entry again, in a new round."""
        requeued = self.feed.requeue(entry.platform_id, entry.seq)
        if requeued is None:
            return entry.delivery  # delivered meanwhile, or already requeued
        queue_jobs(self.sqs, self.config.forward_queue_url, [requeued])
        return "requeued"

    def postpone(self, receipt_handle: str, delay_s: int) -> None:
        self.sqs.change_message_visibility(
            QueueUrl=self.config.forward_queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay_s
        )


def _epoch(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def job_from_sqs(record: PushRecord) -> Job:
    """A push job from a forward-queue record parsed by powertools' parser."""
    attributes = record.attributes
    sent = attributes.SentTimestamp.timestamp() if attributes.SentTimestamp else time.time()
    return Job(
        platform_id=record.body.platform_id,
        seq=record.body.seq,
        receipt_handle=record.receiptHandle,
        receive_count=int(attributes.ApproximateReceiveCount or 1),
        sent_at_s=sent,
        round=record.body.round,
        parked=record.body.parked,
    )


def handle_record(forwarder: Forwarder, record: PushRecord) -> str:
    """Deliver one SQS record; a retryable failure postpones the message and fails the record."""
    job = job_from_sqs(record)
    try:
        return forwarder.deliver(job)
    except RetryLaterError as exc:
        forwarder.postpone(job.receipt_handle, exc.delay_s)
        raise
