"""Hostile strings through every text field a flagger controls: never a 5xx, stored and served as data.

Control characters, bidi overrides, astral and combining Unicode at the length limits, markup and
script, SQL- and template-injection bait: each report is either accepted and then given back by the
review API byte for byte (as JSON data, never interpreted), or refused alone with a clear reason.
The console's inert rendering of such text is checked in a real browser (tests/e2e/test_review_e2e.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.webhooks import sign
from flagpost_local.harness import InProcessStack, Reply

HOSTILE_TEXT = {
    "nul and controls": "a\x00b\x01c\x07d\x1b[31mred\x1b[0m\x7f",
    "bidi override": "\u202egnp.exe\u202c and \u2066isolate\u2069",
    "zero width": "t\u200be\u200cr\u200dr\ufeffor",
    "html and script": '<img src=x onerror="alert(1)"><script>fetch("//evil")</script>',
    "template bait": "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
    "sql bait": "'; DROP TABLE items; --",
    "astral at the limit": "\U0001f4a3" * 4000,
    "combining at the limit": "e" + "\u0301" * 3999,
    "lone surrogate escaped": "\\ud800",
    "newlines and tabs": "line1\r\nline2\n\tindented",
}

HOSTILE_URLS = [
    "https://exa\u0000mple.org/x",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://example.org/\u202eexe.mp4",
    "https://xn--80ak6aa92e.com/путь",
    "https://" + "a" * 5000 + ".org/",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "https://example.org/%00%0d%0aSet-Cookie:x",
]


@pytest.fixture
def people(local_aws: InProcessStack) -> tuple[IssuedCredentials, IssuedCredentials]:
    store = local_aws.principals()
    return store.create(Role.FLAGGER, "Flagger"), store.create(Role.REVIEWER, "Reviewer")


def submit(stack: InProcessStack, flagger: IssuedCredentials, reports: list[dict[str, Any]]) -> Reply:
    raw = json.dumps({"reports": reports}).encode()
    headers = {"content-type": "application/json", **sign(raw, flagger.secret or "", f"msg_{uuid.uuid4().hex}")}
    return stack.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=raw, headers=headers)


def detail(stack: InProcessStack, reviewer: IssuedCredentials, item_id: str) -> dict[str, Any]:
    reply = stack.http("GET", f"/v1/review/items/{item_id}", headers={"authorization": f"Bearer {reviewer.api_key}"})
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


def test_hostile_descriptions_are_stored_and_served_verbatim(
    local_aws: InProcessStack, people: tuple[IssuedCredentials, IssuedCredentials]
) -> None:
    flagger, reviewer = people
    reports = [
        {"url": f"https://example.org/hostile/{n}", "category": "threat", "description": text, "entity": text[:200]}
        for n, text in enumerate(HOSTILE_TEXT.values())
    ]
    reply = submit(local_aws, flagger, reports)
    assert reply.status == 202, reply.body
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["new"] * len(reports)
    for text, result in zip(HOSTILE_TEXT.values(), results, strict=True):
        (report,) = detail(local_aws, reviewer, result["item_id"])["reports"]
        assert report["description"] == text
        assert report["entity"] == text[:200]


def test_over_the_limit_is_refused_alone(
    local_aws: InProcessStack, people: tuple[IssuedCredentials, IssuedCredentials]
) -> None:
    flagger, _ = people
    reports = [
        {"url": "https://example.org/ok", "category": "threat", "description": "fine"},
        {"url": "https://example.org/long", "category": "threat", "description": "\U0001f4a3" * 4001},
    ]
    reply = submit(local_aws, flagger, reports)
    assert reply.status == 202, reply.body
    first, second = reply.json()["results"]
    assert first["status"] == "new"
    assert second["status"] == "invalid"
    assert "description" in json.dumps(second["errors"])


@pytest.mark.parametrize("url", HOSTILE_URLS, ids=range(len(HOSTILE_URLS)))
def test_hostile_urls_are_refused_or_kept_as_data_never_a_5xx(
    local_aws: InProcessStack, people: tuple[IssuedCredentials, IssuedCredentials], url: str
) -> None:
    flagger, reviewer = people
    reply = submit(local_aws, flagger, [{"url": url, "category": "threat", "description": "d"}])
    assert reply.status == 202, reply.body
    (result,) = reply.json()["results"]
    if result["status"] == "invalid":
        assert result["errors"], result
        assert all(e["msg"] for e in result["errors"])
        return
    # Accepted: the link as written is data, given back exactly; the target is the canonical form.
    item = detail(local_aws, reviewer, result["item_id"])
    assert item["reports"][0]["url"] == url
    canonical = json.dumps(item["target"])
    for dangerous in ("\x00", "\u202e", "\r", "\n", "javascript:", "file:"):
        assert dangerous not in canonical, (dangerous, item["target"])


@pytest.mark.parametrize(
    "webhook_id", ["msg_\x00nul", "msg_" + "x" * 5000, "msg_\u202ertl", "", "msg_ok\r\nX-Injected: 1"]
)
def test_hostile_webhook_ids_are_refused_even_when_correctly_signed(
    local_aws: InProcessStack, people: tuple[IssuedCredentials, IssuedCredentials], webhook_id: str
) -> None:
    """Standard Webhooks ids are short printable ASCII: anything else never reaches idempotency keys or logs."""
    flagger, _ = people
    raw = json.dumps({"reports": [{"url": "https://example.org/w", "category": "threat", "description": "d"}]}).encode()
    headers = {"content-type": "application/json", **sign(raw, flagger.secret or "", webhook_id)}
    reply = local_aws.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=raw, headers=headers)
    assert reply.status == 401, (reply.status, reply.body)
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert not webhook_id.strip() or webhook_id not in reply.body.decode(), "hostile input is not echoed"
