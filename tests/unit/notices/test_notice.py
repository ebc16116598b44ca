"""The DSA Art. 16(2) notice built from a stored item and its reports: every element, and nothing internal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flagpost.domain.models.notice import MAX_EXPLANATIONS, Notifier, build_notice, with_texts
from flagpost.domain.models.platform_item import platform_view
from flagpost.domain.models.records import ReportRecord

NOTIFIER = Notifier(name="Referral Unit X", email="notices@referral.example")
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def record(**changes: Any) -> dict[str, Any]:
    """An item as the items table stores it, with what only staff may see."""
    return {
        "item_id": "itm_1",
        "status": "confirmed",
        "category": "instruction",
        "priority": "crisis",
        "report_count": 3,
        "first_seen_at": T0.isoformat(),
        "last_seen_at": T0.isoformat(),
        "target": {
            "platform": "telegram",
            "type": "channel",
            "id": "demo",
            "canonical_url": "https://t.me/demo",
            "dedup_key": "v1:abc",
        },
        "decisions": [{"decision": "confirm", "reviewer_id": "rev_secret", "note_id": "n1", "at": T0.isoformat()}],
        "flaggers": ["fla_secret"],
        "lease_holder": "rev_secret",
        **changes,
    }


def report(n: int, url: str, **kw: Any) -> ReportRecord:
    return ReportRecord(
        report_id=f"rep_{n}",
        report_item="itm_1",
        flagger_id="fla_secret",
        received_at=(T0 + timedelta(minutes=n)).isoformat(),
        landed_status="new",
        category="instruction",
        priority="crisis",
        url=url,
        **kw,
    )


REPORTS = [
    report(1, "https://t.me/demo", language="ar", entity="Group A"),
    report(2, "hxxps://t[.]me/s/Demo?utm_source=tw"),
    report(3, "https://t.me/demo"),
]


def test_a_notice_carries_every_article_16_2_element() -> None:
    notice, texts = build_notice(record(), REPORTS, {"rep_1": "bomb-making manual", "rep_2": "same"}, NOTIFIER)
    # (a) the explanation: the TCO category with its legal ground, and the flaggers' explanations
    explanation = notice["explanation"]
    assert explanation["category"] == "instruction"
    assert explanation["legal_ground"].endswith("Art. 2(7)(d)")
    assert "explosives" in explanation["category_meaning"]
    assert explanation["report_count"] == 3
    assert [r.get("language") for r in explanation["reports"]] == ["ar", None, None]
    assert texts == ["bomb-making manual", "same", None]
    # (b) the exact location: canonical URL and each reported form once, as written
    assert notice["location"]["canonical_url"] == "https://t.me/demo"
    assert notice["location"]["reported_urls"] == ["https://t.me/demo", "hxxps://t[.]me/s/Demo?utm_source=tw"]
    # (c) the notifier; (d) good faith and the trusted-flagger source
    assert notice["notifier"] == {"name": "Referral Unit X", "email": "notices@referral.example"}
    assert "Referral Unit X submits this notice in good faith" in notice["good_faith"]
    assert "trusted flagger" in notice["trusted_flagger"]
    assert notice["statement_of_reasons"]["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert notice["kind"] == "notice"
    assert "withdrawal" not in notice


def test_no_reviewer_flagger_or_internal_note_is_in_the_platforms_view() -> None:
    stored = record()
    notice, _ = build_notice(stored, REPORTS, {"rep_1": "text"}, NOTIFIER)
    view = json.dumps(platform_view(stored, with_texts(notice, ["text"], T0)))
    for internal in ("rev_secret", "fla_secret", "note_id", "lease_holder", "decisions", "rep_1"):
        assert internal not in view
    assert "text" in view


def test_the_notice_is_bounded_whatever_was_reported() -> None:
    many = [report(n, f"https://t.me/demo?v={n}") for n in range(200)]
    notice, texts = build_notice(record(report_count=200), many, {}, NOTIFIER, more_reports=True)
    assert len(notice["explanation"]["reports"]) == len(texts) == MAX_EXPLANATIONS
    assert len(notice["location"]["reported_urls"]) == 50
    assert notice["location"]["more_reported_urls"] is True


def test_a_retraction_carries_a_withdrawal_and_quotes_no_text() -> None:
    retracted = record(status="retracted", retracted_at=(T0 + timedelta(hours=1)).isoformat())
    notice, texts = build_notice(retracted, REPORTS, {"rep_1": "text"}, NOTIFIER)
    assert notice["kind"] == "withdrawal"
    assert "withdraws its notice" in notice["withdrawal"]["statement"]
    assert notice["explanation"]["reports"] == []
    assert texts == []


def test_explanations_are_shown_only_while_their_reports_texts_are_kept() -> None:
    notice, texts = build_notice(record(), REPORTS, {"rep_1": "a", "rep_2": "b", "rep_3": "c"}, NOTIFIER)
    # Kept since just after report 1 was received: its text is past retention, the others are not.
    shown = with_texts(notice, texts, T0 + timedelta(minutes=1, seconds=30))
    assert [r["description"] for r in shown["explanation"]["reports"]] == [None, "b", "c"]
    assert [r["description"] for r in with_texts(notice, None, T0)["explanation"]["reports"]] == [None] * 3


def test_a_notice_without_optional_facts_is_still_a_valid_platform_view() -> None:
    """A retraction without its time and a target without a canonical URL: the stored (null-free)
    notice validates as the platform's view, as the dispatcher builds it."""
    target = {"platform": "web", "type": "page", "id": "example.org/x"}
    stored = record(status="retracted", target=target)
    notice, _ = build_notice(stored, REPORTS, {}, NOTIFIER)
    view = platform_view(stored, notice)
    assert view["notice"]["withdrawal"]["statement"]
    assert "canonical_url" not in view["notice"]["location"]
