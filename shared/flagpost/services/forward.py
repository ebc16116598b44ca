"""Delivers feed entries on their channels (signed push, e-mail), retried with backoff via SQS.

One job per (platform, seq, channel, round); the channel (`flagpost.services.channels`) makes one
attempt and says what it came to:
- delivered (a 2xx; a message the mail service accepted).
- failed for good (a 4xx other than 408/429, a redirect, an endpoint the SSRF guard refuses, a
  message the mail service rejects): the entry is marked failed on that channel and parked in the DLQ
  at once (an alarm watches the DLQ).
- retry (408, 429, 5xx, no answer, a throttled or unavailable mail service, or a dependency
  unavailable before sending): the job comes back after an exponential backoff with jitter, or the
  endpoint's Retry-After when that is longer. The last allowed attempt, or a round older than the
  age limit, marks it failed.
A platform whose endpoint gives no answer (a timeout, a refused connection) trips its circuit breaker
(`CircuitBreaker`, shared by every forwarder): while the circuit is open its push jobs are deferred
at once, without an HTTP attempt and without spending their attempt budget, so it holds no forwarder
that another platform's pushes need; after a cool-down one probe goes through. The age limit still
applies: a job older than it is failed when its platform's circuit is open.
The `webhook-id` (and the e-mail's Message-ID) is the entry's, so every retry and redelivery of one
entry carries the same id. A failed entry is delivered again in a new round by `redeliver` or by
redriving its parked job; each channel is retried and redelivered on its own.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flagpost.domain.errors import (
    NotFoundError,
    PushRefusedError,
    PushTransportError,
    UnavailableError,
    UnsafeEndpointError,
)
from flagpost.domain.models.feed import Attempt, Channel, FeedEntry
from flagpost.observability import logger, metrics
from flagpost.services.ports import Admission, CircuitBreaker, DeliveryChannel, Feed, JobQueue, PrincipalDirectory

MAX_VISIBILITY_S = 12 * 3600
_DELTA_SECONDS = re.compile(r"[0-9]{1,9}")


class RetryLaterError(Exception):
    """The push may succeed later; the job comes back after `delay_s`."""

    def __init__(self, reason: str, delay_s: int) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


@dataclass(frozen=True)
class Job:
    platform_id: str
    seq: int
    receipt_handle: str
    receive_count: int
    sent_at_s: float
    round: int = 0
    parked: bool = False
    channel: Channel = "push"
    attempts: int = 0  # made in this round by earlier messages (a deferred job is a new message)


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 30
    max_age_s: int = 24 * 3600
    backoff_base_s: float = 2.0
    backoff_max_s: int = 900


def backoff_s(attempt: int, base: float, cap: int = MAX_VISIBILITY_S, retry_after: str | None = None) -> int:
    """Full-jitter exponential backoff for this attempt; the endpoint's Retry-After (seconds) is a lower bound.

    A short Retry-After (1 s, 0) therefore never spends the attempt budget faster than the backoff
    would; a longer one is honoured up to SQS's longest visibility (12 h).
    """
    ceiling = min(cap, MAX_VISIBILITY_S, base * 2 ** max(0, attempt - 1))
    delay = max(1, int(random.uniform(ceiling / 2, ceiling)))  # noqa: S311 - jitter, not security
    # Delta-seconds only, in ASCII digits (str.isdigit would also take "²", which int() refuses);
    # an HTTP-date or anything else is ignored and the backoff applies.
    if retry_after and _DELTA_SECONDS.fullmatch(retry_after.strip()):
        delay = max(delay, int(retry_after.strip()))
    return min(MAX_VISIBILITY_S, delay)


class Forwarder:
    def __init__(
        self,
        feed: Feed,
        principals: PrincipalDirectory,
        channels: dict[Channel, DeliveryChannel],
        jobs: JobQueue,
        policy: Policy,
        *,
        on_failed: Callable[[str], None] | None = None,
        on_delivered: Callable[[FeedEntry], None] | None = None,
        clock: Callable[[], float] = time.time,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.feed = feed
        self.principals = principals
        self.channels = channels
        self.jobs = jobs
        self.policy = policy
        self.on_failed = on_failed
        self.on_delivered = on_delivered  # records the step (flagpost.services.steps), once
        self.clock = clock
        self.breaker = breaker

    def deliver(self, job: Job) -> str:
        """Deliver one entry on one channel. Returns the settled state; raises RetryLaterError for SQS to retry."""
        entry = self.feed.entry(job.platform_id, job.seq, job.channel)
        if entry is None:
            return "missing"
        if job.parked:
            return self._redrive(entry)
        if entry.delivery in ("delivered", "failed"):
            if entry.delivery == "delivered" and self.on_delivered is not None:
                self.on_delivered(entry)  # in case the step was not recorded when it settled (a crash)
            return entry.delivery  # a redelivered message for a settled entry
        if job.round < entry.round:
            return "stale"  # a message of an earlier round, superseded by a redelivery
        logger.append_keys(correlation_id=entry.webhook_id(), item_id=entry.item.get("item_id"), channel=entry.channel)
        # Attempts count per round (a redelivery gets a fresh budget) and are logged on across rounds;
        # a deferred job is a new message, which carries the attempts made before it.
        made = job.attempts + job.receive_count
        attempt = entry.attempt_offset + made
        started = datetime.fromisoformat(entry.round_started_at or entry.created_at).timestamp()
        too_old = self.clock() - started > self.policy.max_age_s
        last_attempt = made >= self.policy.max_attempts or too_old
        admission = self._admit(entry)
        if admission.wait_s > 0:
            if too_old:
                return self._settle(entry, attempt, {"error": "the endpoint has not answered (circuit open)"}, "failed")
            # No HTTP attempt, and none of the budget spent: this receive is not an attempt.
            spread = random.uniform(0, min(10.0, admission.wait_s))  # noqa: S311 - spreads the returns
            delay = math.ceil(admission.wait_s + spread)
            self.jobs.defer(entry, made - 1, delay)
            metrics.add_metric(name="DeliveriesDeferred", unit="Count", value=1)
            return "deferred"
        try:
            sent = self._send(entry)
        except (UnsafeEndpointError, NotFoundError, PushRefusedError) as exc:
            return self._settle(entry, attempt, {"error": str(exc)}, "failed")
        except UnavailableError as exc:
            # KMS (the signing secret) or DynamoDB (the platform) failed before anything was sent.
            logger.warning("delivery postponed: a dependency is unavailable", extra={"error": type(exc).__name__})
            if last_attempt:
                return self._settle(entry, attempt, {"error": "dependency unavailable"}, "failed")
            raise RetryLaterError(type(exc).__name__, self._backoff(attempt)) from None
        except PushTransportError as exc:
            failure: dict[str, Any] = {"error": str(exc)}
            if self.breaker is not None and entry.channel == "push":
                self.breaker.failed(entry.platform_id, self.clock())
            if last_attempt:
                return self._settle(entry, attempt, failure, "failed")
            self.feed.record_attempt(entry, attempt, failure, None)
            raise RetryLaterError(str(exc), self._backoff(attempt)) from None
        if admission.failing and self.breaker is not None:
            self.breaker.succeeded(entry.platform_id)  # it answered: closed again
        if sent.outcome == "delivered":
            metrics.add_metric(name="DeliveriesOk", unit="Count", value=1)
            self.feed.record_attempt(entry, attempt, sent.log, "delivered")
            if self.on_delivered is not None:
                self.on_delivered(entry)
            return "delivered"
        if sent.outcome == "retry":
            if last_attempt:
                return self._settle(entry, attempt, sent.log, "failed")
            self.feed.record_attempt(entry, attempt, sent.log, None)
            raise RetryLaterError(f"{entry.channel}: {sent.log}", self._backoff(attempt, sent.retry_after))
        return self._settle(entry, attempt, sent.log, "failed")

    def _admit(self, entry: FeedEntry) -> Admission:
        """Pushes ask the platform's circuit breaker first (e-mail goes through one shared service)."""
        if self.breaker is None or entry.channel != "push":
            return Admission(wait_s=0.0, failing=False)
        return self.breaker.admit(entry.platform_id, self.clock())

    def _send(self, entry: FeedEntry) -> Attempt:
        channel = self.channels.get(entry.channel)
        if channel is None:
            raise UnsafeEndpointError(f"this forwarder does not deliver by {entry.channel}")
        platform = self.principals.get(entry.platform_id)
        if not platform.active:
            raise UnsafeEndpointError("the platform was revoked")
        return channel.send(platform, entry)

    def _backoff(self, attempt: int, retry_after: str | None = None) -> int:
        return backoff_s(attempt, self.policy.backoff_base_s, self.policy.backoff_max_s, retry_after)

    def _settle(self, entry: FeedEntry, attempt: int, result: dict[str, Any], state: str) -> str:
        self.feed.record_attempt(entry, attempt, result, state)
        metrics.add_metric(name="DeliveriesFailed", unit="Count", value=1)
        if self.on_failed is not None:
            self.on_failed(entry.platform_id)
        logger.warning(
            "delivery failed",
            extra={"platform_id": entry.platform_id, "seq": entry.seq, "channel": entry.channel, **result},
        )
        self.jobs.park(entry)
        return state

    def _redrive(self, entry: FeedEntry) -> str:
        """A parked job an operator redrove from the DLQ: deliver its entry again, in a new round."""
        requeued = self.feed.requeue(entry.platform_id, entry.seq, entry.channel)
        if requeued is None:
            return entry.delivery  # delivered meanwhile, or already requeued
        self.jobs.queue([requeued])
        return "requeued"

    def postpone(self, receipt_handle: str, delay_s: int) -> None:
        self.jobs.postpone(receipt_handle, delay_s)


def redeliver(feed: Feed, jobs: JobQueue, platform_id: str) -> int:
    """Queue every failed delivery of the platform again, on its channel: a new round each, the same
    seq, webhook-id and Message-ID.

    Returns how many were requeued. An entry delivered or requeued meanwhile is skipped, so two
    redeliveries at once requeue each entry once.
    """
    failed = feed.failed(platform_id)
    requeued = [entry for entry in (feed.requeue(platform_id, seq, channel) for seq, channel in failed) if entry]
    jobs.queue(requeued)
    logger.info("failed deliveries requeued", extra={"platform_id": platform_id, "requeued": len(requeued)})
    return len(requeued)
