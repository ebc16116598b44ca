"""Refusals: what names no target, and the reason code that says why."""

from __future__ import annotations

import pytest

from flagpost.domain.normalize import REASONS, NormalizeError, normalize_target, normalize_url


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("<>", "empty"),
        ("https://", "missing_host"),
        ("https://?q=1", "missing_host"),
        ("https://user@:8080/", "missing_host"),
        ("https://exa mple.com/", "illegal_host"),
        ("https://-bad-.com/", "illegal_host"),
        ("https://localhost/x", "illegal_host"),
        ("hello", "illegal_host"),
        ("https://999.1.1.1/", "illegal_host"),
        ("https://[not-v6]/", "illegal_host"),
        ("https://i\u2764.ws/", "illegal_host"),
        ("https://xn--zz.com/", "illegal_host"),
        ("https://example.com:http/", "illegal_port"),
        ("https://example.com:99999/", "illegal_port"),
        ("https://exam\x00ple.com/", "control_characters"),
        ("https://t.me/x\nhttps://t.me/y", "control_characters"),
        ("https://t.me/\x7f", "control_characters"),
        ("https://t.me/\ud800", "invalid_characters"),
        ("javascript:alert(1)", "unsupported_scheme"),
        ("data:text/html,<b>x</b>", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("mailto:someone@example.com", "unsupported_scheme"),
        ("ftp://example.com/file", "unsupported_scheme"),
        ("JAVASCRIPT:alert(1)", "unsupported_scheme"),
        ("https://t.me/", "no_target"),
        ("t.me", "no_target"),
        ("https://t.me/s/", "no_target"),
        ("https://www.youtube.com/", "no_target"),
        ("https://youtu.be/", "no_target"),
        ("https://x.com/", "no_target"),
        ("https://www.facebook.com", "no_target"),
        ("https://www.instagram.com/", "no_target"),
        ("https://www.tiktok.com/", "no_target"),
        ("https://chat.whatsapp.com/", "no_target"),
        ("https://bit.ly/", "no_target"),
        ("https://vm.tiktok.com/", "no_target"),
        ("tg://resolve", "no_target"),
        ("tg://settings", "no_target"),
        ("https://kik.me/", "no_target"),
        ("https://justpaste.it/", "no_target"),
        ("https://archive.ph/", "no_target"),
        ("https://x" + "/a" * 5000, "too_long"),
    ],
)
def test_refusals_carry_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(NormalizeError) as caught:
        normalize_url(raw)
    assert caught.value.reason == reason
    assert caught.value.reason in REASONS
    assert str(caught.value)  # a human message, not just a code


def test_normalize_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        normalize_url("")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (("telegram", "channel", ""), "empty"),
        (("telegram", "channel", "not a name"), "illegal_id"),
        (("telegram", "sticker", "x"), "unknown_type"),
        (("telegram", "post", "x"), "illegal_id"),
        (("youtube", "video", "tooshort"), "illegal_id"),
        (("x", "post", "abc"), "illegal_id"),
        (("psn", "account", "a"), "illegal_id"),
        (("psn", "video", "abc"), "unknown_type"),
        (("", "account", "x"), "unknown_platform"),
        (("web", "page", "https://example.com"), "unknown_platform"),
        (("some app!", "account", "x"), "unknown_platform"),
        (("threema", "account", "a\x00b"), "illegal_id"),
    ],
)
def test_target_refusals(target: tuple[str, str, str], reason: str) -> None:
    with pytest.raises(NormalizeError) as caught:
        normalize_target(*target)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "url",
    [
        # Platform pages that name no account, post or video fall back to the generic page rules.
        "https://www.youtube.com/results?search_query=x",
        "https://x.com/search?q=x",
        "https://www.facebook.com/hashtag/x",
        "https://www.instagram.com/explore/tags/x/",
        "https://t.me/share/url?url=https://example.com",
        "https://developers.facebook.com/docs",
        "https://archive.ph/newest/https://t.me/x",
        "https://web.archive.org/web/*/t.me/x",
    ],
)
def test_platform_pages_without_a_target_are_pages(url: str) -> None:
    target = normalize_url(url)
    assert target.type == "page"
    assert target.platform != "web"
