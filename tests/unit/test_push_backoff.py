"""The forwarder's backoff honours an endpoint's Retry-After, and only a well-formed one."""

from __future__ import annotations

import pytest

from flagpost.services.forward import MAX_VISIBILITY_S, backoff_s


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
