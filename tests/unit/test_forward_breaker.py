"""The forwarder and a platform's circuit breaker: an open circuit defers a push without an attempt,
and without spending the entry's budget; the age limit still holds (issue 13, F10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from forward_fakes import CREATED, FakeBreaker, FakeFeed, FakeJobs, ScriptedChannel, forwarder_for  # type: ignore[import-not-found]

from flagpost.domain.errors import PushTransportError
from flagpost.domain.models.feed import Attempt
from flagpost.services.forward import RetryLaterError


def _hang() -> Attempt:
    raise PushTransportError("Timeout")


def test_an_open_circuit_defers_the_job_without_an_attempt_or_spending_the_budget() -> None:
    feed, jobs, breaker = FakeFeed(), FakeJobs(), FakeBreaker(wait_s=30)
    channel = ScriptedChannel(lambda: Attempt("delivered", {"status": 200}))
    forwarder = forwarder_for(feed, jobs, channel, clock=lambda: CREATED.timestamp() + 60, breaker=breaker)
    # The message's 5th receive, after 7 attempts by earlier messages of the round
    assert forwarder.deliver(feed.job(5, attempts=7)) == "deferred"
    assert channel.calls == 0, "no HTTP attempt"
    assert feed.log == [], "nothing logged as an attempt"
    ((_entry, attempts, delay),) = jobs.deferred
    assert attempts == 7 + 4, "the receives that were attempts carry over; this one does not count"
    assert 30 <= delay <= 40
    # Deferred copies come back as first receives: the budget is 30 attempts however often it waits
    for _ in range(100):
        forwarder.deliver(feed.job(1, attempts=attempts))
    assert jobs.deferred[-1][1] == attempts
    assert not jobs.parked


def test_the_age_limit_still_fails_a_job_whose_platform_never_answers() -> None:
    feed, jobs, breaker = FakeFeed(), FakeJobs(), FakeBreaker(wait_s=900)
    channel = ScriptedChannel(lambda: Attempt("delivered", {"status": 200}))
    too_late = (CREATED + timedelta(hours=24, seconds=1)).timestamp()
    forwarder = forwarder_for(feed, jobs, channel, clock=lambda: too_late, breaker=breaker)
    assert forwarder.deliver(feed.job(1, attempts=3)) == "failed"
    assert channel.calls == 0
    assert len(jobs.parked) == 1
    assert feed.log[-1][1]["error"].endswith("(circuit open)")


def test_no_answer_trips_the_breaker_and_an_answer_resets_it() -> None:
    feed, jobs, breaker = FakeFeed(), FakeJobs(), FakeBreaker()
    channel = ScriptedChannel(_hang)
    forwarder = forwarder_for(feed, jobs, channel, clock=CREATED.timestamp, breaker=breaker)
    with pytest.raises(RetryLaterError):
        forwarder.deliver(feed.job(1))
    assert breaker.failures == 1
    breaker.failing = True
    channel.answer = lambda: Attempt("retry", {"status": 503}, None)
    with pytest.raises(RetryLaterError):  # a 503 is retried later
        forwarder.deliver(feed.job(2))
    assert breaker.successes == 1, "any answer shows the endpoint is there again"
    assert breaker.failures == 1
