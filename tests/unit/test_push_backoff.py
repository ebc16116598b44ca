"""The forwarder's backoff honours an endpoint's Retry-After, and only a well-formed one."""

from __future__ import annotations

import pytest

from flagpost.domain.models.feed import Attempt
from flagpost.services.forward import MAX_VISIBILITY_S, RetryLaterError, backoff_s


@pytest.mark.parametrize("header", ["3", " 3 ", "003"])
def test_delta_seconds_are_honoured(header: str) -> None:
    assert backoff_s(1, 2.0, retry_after=header) == 3


@pytest.mark.parametrize(
    "header", ["\u00b2", "3\u00b2", "\u0663", "-1", "1.5", "Wed, 21 Oct 2026 07:28:00 GMT", "", "9" * 40]
)
def test_anything_else_falls_back_to_the_backoff(header: str) -> None:
    assert 1 <= backoff_s(3, 2.0, retry_after=header) <= 8


def test_a_huge_retry_after_is_capped() -> None:
    assert backoff_s(1, 2.0, retry_after="999999999") == MAX_VISIBILITY_S


@pytest.mark.parametrize("header", ["1", "0"])
def test_a_short_retry_after_is_a_lower_bound_not_a_replacement(header: str) -> None:
    """Each delay is at least this attempt's backoff (half its jittered ceiling), however short the
    endpoint's Retry-After; a long one still wins."""
    for attempt in range(1, 31):
        ceiling = min(900, 2.0 * 2 ** (attempt - 1))
        assert backoff_s(attempt, 2.0, 900, retry_after=header) >= max(1, int(ceiling / 2))
    assert backoff_s(1, 2.0, 900, retry_after="600") == 600


def test_a_platform_answering_retry_after_1_keeps_its_entry_for_hours() -> None:
    """The attack: 503 + Retry-After: 1 on every attempt. Driven on an injected clock, the entry is
    failed only after all 30 attempts, and those span the backoff (hours), not ~75 s."""
    from forward_fakes import CREATED, FakeFeed, FakeJobs, ScriptedChannel, forwarder_for  # type: ignore[import-not-found]

    feed, jobs = FakeFeed(), FakeJobs()
    channel = ScriptedChannel(lambda: Attempt("retry", {"status": 503}, "1"))
    now = [CREATED.timestamp()]
    forwarder = forwarder_for(feed, jobs, channel, clock=lambda: now[0])
    state = ""
    for receive in range(1, 31):
        try:
            state = forwarder.deliver(feed.job(receive))
        except RetryLaterError as exc:
            now[0] += exc.delay_s
    assert state == "failed"
    assert channel.calls == 30
    assert now[0] - CREATED.timestamp() > 2 * 3600, "30 attempts take hours of backoff"
