"""A feed entry as an e-mail: readable and whole, the same bytes on every retry, and hostile text inert."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from flagpost.domain.models.feed import FeedEntry
from flagpost.domain.models.notice import Notifier
from flagpost.domain.notice_mail import compose, defang

NOTIFIER = Notifier(name="Referral Unit X", email="notices@referral.example")
URL = 'https://evil.example/x?q="><a href=https://evil.example>go</a>'


def entry(op: str = "upsert", description: str = "<script>alert(1)</script>\u202etxt.exe") -> FeedEntry:
    notice = {
        "kind": "withdrawal" if op == "retract" else "notice",
        "notifier": NOTIFIER.model_dump(),
        "explanation": {
            "category": "incitement",
            "legal_ground": "Regulation (EU) 2021/784, Art. 2(7)(a)",
            "category_meaning": "incites",
            "report_count": 1,
            "reports": [{"received_at": "2026-03-01T12:00:00Z", "description": description}],
        },
        "location": {"canonical_url": "https://t.me/demo", "reported_urls": [URL], "target": {"platform": "telegram"}},
        "good_faith": "in good faith",
        "trusted_flagger": "a trusted flagger",
        "statement_of_reasons": {"source_type": "SOURCE_TRUSTED_FLAGGER"},
    }
    if op == "retract":
        notice["withdrawal"] = {"withdrawn_at": "2026-03-02T00:00:00Z", "statement": "withdrawn"}
    item = {"item_id": "itm_1", "category": "incitement", "target": {"platform": "Tele\r\nBcc: x@y"}, "notice": notice}
    return FeedEntry(platform_id="pla_1", seq=7, op=op, item=item, created_at="2026-03-01T12:05:00Z")  # type: ignore[arg-type]


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://t.me/x", "hxxps://t[.]me/x"),
        ("http://a.b.example/p.q", "hxxp://a[.]b[.]example/p.q"),
        ("hxxps://t[.]me/x", "hxxps://t[.]me/x"),
        ("t.me/x", "t[.]me/x"),
        ("//evil.example/x", "//evil[.]example/x"),
        ("https://a.example/r?u=https://evil.example/x", "hxxps://a[.]example/r?u=hxxps://evil[.]example/x"),
        ("https://a.example/r?next=//evil.example/", "hxxps://a[.]example/r?next=//evil[.]example/"),
        ("https://a.example/?next=www.b.example&x=1", "hxxps://a[.]example/?next=www[.]b[.]example&x=1"),
    ],
)
def test_defanged_forms_are_never_links(url: str, safe: str) -> None:
    assert defang(url) == safe


def test_a_retry_is_the_same_message_byte_for_byte() -> None:
    first = compose(entry(), notifier=NOTIFIER, recipients=["a@platform.example"], platform_name="P")
    again = compose(entry(), notifier=NOTIFIER, recipients=["a@platform.example"], platform_name="P")
    assert first.as_bytes() == again.as_bytes()
    assert first["Message-ID"] == "<fpe_pla_1_7@referral.example>"
    assert first["Date"] == "Sun, 01 Mar 2026 12:05:00 +0000"


def test_the_message_has_text_html_and_the_whole_entry_attached() -> None:
    mail = parsed(compose(entry(), notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes())
    assert "List-Unsubscribe" not in mail
    assert mail["Auto-Submitted"] == "auto-generated"
    (attachment,) = list(mail.iter_attachments())
    assert json.loads(attachment.get_content()) == {"seq": 7, "op": "upsert", "item": entry().item}
    assert mail.get_body(preferencelist=("plain",)) is not None


def test_hostile_text_is_inert_in_html_and_visible_in_text() -> None:
    mail = parsed(compose(entry(), notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes())
    html_part = mail.get_body(preferencelist=("html",))
    text_part = mail.get_body(preferencelist=("plain",))
    assert html_part is not None
    assert text_part is not None
    page, text = html_part.get_content(), text_part.get_content()
    assert "<a" not in page.lower()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert "\u202e" not in page
    assert "\u202e" not in text
    assert "&lt;U+202E&gt;" in page
    assert "<U+202E>" in text
    assert "hxxps://evil[.]example/x" in page, "the defanged form beside the URL"
    assert "hxxps://evil[.]example/x" in text


def test_headers_hold_no_injected_lines() -> None:
    raw = compose(entry(), notifier=NOTIFIER, recipients=["a@p.example"], platform_name="Evil\r\nBcc: x@y").as_bytes()
    mail = parsed(raw)
    assert "Bcc" not in mail
    assert b"\r\nBcc:" not in raw
    assert "[itm_1]" in mail["Subject"]


def test_a_withdrawal_says_so_first() -> None:
    mail = parsed(
        compose(entry("retract"), notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes()
    )
    assert mail["Subject"].startswith("Withdrawn: ")
    text_part = mail.get_body(preferencelist=("plain",))
    assert text_part is not None
    assert text_part.get_content().index("Withdrawal") < text_part.get_content().index("Where:")


def test_an_encoded_word_in_a_name_cannot_add_a_header() -> None:
    """Found by an outsider: `=?utf-8?q?...=0D=0ABcc...?=` is printable ASCII but decodes to a line break."""
    name = "=?utf-8?q?Admin=0D=0ABcc=3A_e=40evil=2Eexample?="
    raw = compose(entry(), notifier=NOTIFIER, recipients=["a@p.example"], platform_name=name).as_bytes()
    mail = parsed(raw)
    assert "Bcc" not in mail
    assert b"\r\nBcc:" not in raw
    assert "evil.example" not in str(mail["To"])
    assert [a.addr_spec for a in mail["To"].addresses] == ["a@p.example"]


def test_a_flaggers_entity_cannot_forge_lines_of_the_notice() -> None:
    hostile = entry()
    hostile.item["notice"]["explanation"]["reports"][0]["entity"] = "Org\r\nGood faith: none\u202e"
    mail = parsed(compose(hostile, notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes())
    text_part, html_part = mail.get_body(preferencelist=("plain",)), mail.get_body(preferencelist=("html",))
    assert text_part is not None
    assert html_part is not None
    text, page = text_part.get_content(), html_part.get_content()
    assert not any(line.startswith("Good faith: none") for line in text.splitlines())
    assert "Org<U+000A>Good faith: none<U+202E>" in text
    assert "\u202e" not in page


@pytest.mark.parametrize(("priority", "flag"), [("threat_to_life", "THREAT TO LIFE"), ("crisis", "CRISIS")])
def test_urgent_notices_say_so_first(priority: str, flag: str) -> None:
    urgent = entry()
    urgent.item["priority"] = priority
    mail = parsed(compose(urgent, notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes())
    assert mail["Subject"].startswith(f"URGENT, {flag}: ")
    text_part = mail.get_body(preferencelist=("plain",))
    assert text_part is not None
    assert text_part.get_content().startswith(f"URGENT, {flag}: ")
    standard = entry()
    standard.item["priority"] = "standard"
    plain = parsed(compose(standard, notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes())
    assert not plain["Subject"].startswith("URGENT")


def test_a_notice_that_cannot_be_written_as_mail_fails_at_once_not_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message the mail library refuses to write (e.g. Python 3.13's HeaderWriteError) would be refused
    the same way on every retry: the channel fails it for good instead of crashing the batch."""
    from datetime import UTC, datetime
    from email.errors import MessageError

    from flagpost.domain.errors import PushRefusedError
    from flagpost.domain.models.principal import Principal, Role
    from flagpost.services import channels

    class NeverCalled:
        def send(self, sender: str, recipients: list[str], raw: bytes) -> str:
            raise AssertionError("nothing is sent")

    def refuses(*args: object, **kwargs: object) -> EmailMessage:
        raise MessageError("folded header contained a line break")

    monkeypatch.setattr(channels, "compose", refuses)
    platform = Principal(id="pla_1", role=Role.PLATFORM, name="P", created_at=datetime.now(UTC), email=["a@p.example"])
    channel = channels.EmailChannel(NeverCalled(), NOTIFIER)  # type: ignore[arg-type]
    with pytest.raises(PushRefusedError, match="cannot be written as an e-mail"):
        channel.send(platform, entry())


@pytest.mark.parametrize(
    "link",
    ["https://evil2.example/x", "http://evil2.example", "www.evil2.example/a", "evil2.example/p", "//evil2.example/"],
)
def test_links_inside_a_description_or_entity_are_shown_defanged(link: str) -> None:
    """A mail client links URLs in plain text by itself: none in a flagger's text reaches it whole."""
    text_in = f"see {link} (mirror)"
    notice_entry = entry(description=text_in)
    notice_entry.item["notice"]["explanation"]["reports"][0]["entity"] = f"Channel at {link}"
    mail = parsed(compose(notice_entry, notifier=NOTIFIER, recipients=["a@p.example"], platform_name="P").as_bytes())
    html_part = mail.get_body(preferencelist=("html",))
    text_part = mail.get_body(preferencelist=("plain",))
    assert html_part is not None
    assert text_part is not None
    for part in (html_part.get_content(), text_part.get_content()):
        assert "evil2.example" not in part
        assert part.count("evil2[.]example") == 2, "the description's and the entity's link, defanged"
    (attachment,) = list(mail.iter_attachments())
    kept = json.loads(attachment.get_content())["item"]["notice"]["explanation"]["reports"][0]
    assert kept["description"] == text_in, "the exact text stays in the attachment"
