"""Review over HTTP against `flagpost local`, and the reviewer console in headless Debian Chromium."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import RunningStack

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
]
# What a flagger writes in a description is data: the console must show it as text, never run it.
HOSTILE = '<img src="https://evil.example/pixel.png" onerror="document.title=\'pwned\'"><script>alert(1)</script>'


def submit(stack: RunningStack, url: str, *, priority: str = "standard", flagger: int = 0, **extra: Any) -> str:
    creds = stack.credentials["flaggers"][flagger]
    body = json.dumps(
        {"reports": [{"url": url, "category": "incitement", "description": HOSTILE, "priority": priority, **extra}]}
    ).encode()
    headers = {"content-type": "application/json", **sign(body, creds["secret"], f"e2e_{uuid.uuid4().hex}")}
    reply = requests.post(f"{stack.api}/v1/flaggers/{creds['id']}/reports", data=body, headers=headers, timeout=HANG_S)
    assert reply.status_code == 202, reply.text
    item_id: str = reply.json()["results"][0]["item_id"]
    return item_id


def call(stack: RunningStack, method: str, path: str, body: Any = None, *, reviewer: int = 0) -> requests.Response:
    key = stack.credentials["reviewers"][reviewer]["api_key"]
    return requests.request(
        method, f"{stack.api}{path}", json=body, headers={"authorization": f"Bearer {key}"}, timeout=HANG_S
    )


def claim(stack: RunningStack, reviewer: int = 0, queue: str = "default") -> requests.Response:
    return call(stack, "POST", "/v1/review/claim", {"queue": queue}, reviewer=reviewer)


def decide(stack: RunningStack, item_id: str, lease_id: str, decision: str, reviewer: int = 0, **extra: Any) -> Any:
    body = {"lease_id": lease_id, "decision": decision, **extra}
    return call(stack, "POST", f"/v1/review/items/{item_id}/decision", body, reviewer=reviewer)


def drain(stack: RunningStack) -> None:
    """Reject whatever earlier tests left claimable, so that a test's own items come first."""
    for queue in ("default", "escalated"):
        for reviewer in (0, 1):
            while (reply := claim(stack, reviewer, queue)).status_code == 200:
                body = reply.json()
                decide(
                    stack, body["item"]["item_id"], body["lease"]["lease_id"], "reject", reviewer, reason="out_of_scope"
                )


@pytest.fixture
def stack(review_stack: RunningStack) -> RunningStack:
    drain(review_stack)
    return review_stack


# ------------------------------------------------------------------ over HTTP


def test_roles_over_http(stack: RunningStack) -> None:
    assert requests.post(f"{stack.api}/v1/review/claim", json={}, timeout=HANG_S).status_code == 401
    for who in (stack.credentials["flaggers"][0], stack.credentials["platforms"][0], stack.credentials["admin"]):
        reply = requests.get(
            f"{stack.api}/v1/review/items", headers={"authorization": f"Bearer {who['api_key']}"}, timeout=HANG_S
        )
        assert reply.status_code == 403
        assert reply.headers["content-type"] == "application/problem+json"


def test_claim_confirm_with_four_eyes_then_retract_over_http(stack: RunningStack) -> None:
    standard = submit(stack, f"https://example.org/e2e/{uuid.uuid4().hex}")
    ttl = submit(stack, f"https://example.org/e2e/{uuid.uuid4().hex}", priority="threat_to_life")
    first = claim(stack, 0).json()
    assert first["item"]["item_id"] == ttl, "threat to life first"
    assert decide(stack, ttl, first["lease"]["lease_id"], "confirm").json()["item"]["status"] == "pending"
    mine = claim(stack, 0).json()
    assert mine["item"]["item_id"] == standard, "the first confirmer is not handed the item again"
    second = claim(stack, 1).json()
    assert second["item"]["item_id"] == ttl
    confirmed = decide(stack, ttl, second["lease"]["lease_id"], "confirm", reviewer=1, category="threat")
    assert confirmed.json()["item"]["status"] == "confirmed"
    assert (
        decide(stack, ttl, second["lease"]["lease_id"], "reject", reviewer=1, reason="out_of_scope").status_code == 409
    )
    asked = call(stack, "POST", f"/v1/review/items/{ttl}/retract", {"reason": "appeal upheld"}).json()
    assert (asked["outcome"], asked["item"]["status"]) == ("retraction_requested", "confirmed"), "two confirmed it"
    retracted = call(stack, "POST", f"/v1/review/items/{ttl}/retract", {"reason": "agreed"}, reviewer=1)
    assert retracted.json()["item"]["status"] == "retracted"
    detail = call(stack, "GET", f"/v1/review/items/{ttl}").json()
    assert [h["event"] for h in detail["history"]] == [
        "created",
        "claimed",
        "first_confirmation",
        "claimed",
        "confirmed",
        "retraction_requested",
        "retracted",
    ]
    assert detail["reports"][0]["description"] == HOSTILE
    released = call(
        stack,
        "POST",
        f"/v1/review/items/{standard}/lease",
        {"lease_id": mine["lease"]["lease_id"], "action": "release"},
    )
    assert released.status_code == 200


def test_reject_escalate_and_list_over_http(stack: RunningStack) -> None:
    a = submit(stack, f"https://example.org/e2e/{uuid.uuid4().hex}", priority="crisis")
    b = submit(stack, f"https://example.org/e2e/{uuid.uuid4().hex}", priority="crisis")
    lease_a = claim(stack).json()["lease"]["lease_id"]
    assert decide(stack, a, lease_a, "reject").status_code == 422
    assert decide(stack, a, lease_a, "reject", reason="insufficient_evidence").json()["item"]["status"] == "rejected"
    lease_b = claim(stack).json()["lease"]["lease_id"]
    assert decide(stack, b, lease_b, "escalate").json()["item"]["queue"] == "escalated"
    assert claim(stack).status_code == 204
    senior = claim(stack, 1, "escalated").json()
    assert senior["item"]["item_id"] == b
    listed = call(stack, "GET", "/v1/review/items?status=in_review&limit=10").json()
    assert b in [i["item_id"] for i in listed["items"]]
    rejected = call(stack, "GET", "/v1/review/items?status=rejected&limit=100").json()
    assert a in [i["item_id"] for i in rejected["items"]]
    assert call(stack, "GET", "/v1/review/items?status=pending&cursor=forged").status_code == 400
    counts = call(stack, "GET", "/v1/review/queue").json()
    assert {"queue": "escalated", "waiting": 0, "leased": 1, "overdue": 0} in counts["queues"]
    assert decide(stack, b, senior["lease"]["lease_id"], "confirm", reviewer=1).status_code == 200


def test_parallel_claims_over_http_never_share_an_item(stack: RunningStack) -> None:
    items = {submit(stack, f"https://example.org/e2e/{uuid.uuid4().hex}") for _ in range(6)}
    barrier = threading.Barrier(10)
    got: list[str] = []
    leases: list[tuple[int, str, str]] = []

    def go(n: int) -> None:
        barrier.wait()
        reply = claim(stack, n % 2)
        if reply.status_code == 200:
            got.append(reply.json()["item"]["item_id"])
            leases.append((n % 2, got[-1], reply.json()["lease"]["lease_id"]))
        else:
            assert reply.status_code == 204

    threads = [threading.Thread(target=go, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A reviewer holds at most one lease per queue: five claims at once by one reviewer all answer the
    # one item they hold, and the two reviewers never share an item.
    held = {reviewer: {item_id for r, item_id, _ in leases if r == reviewer} for reviewer in (0, 1)}
    assert all(len(mine) == 1 for mine in held.values()), held
    assert held[0].isdisjoint(held[1])
    assert held[0] | held[1] <= items
    for reviewer in (0, 1):
        (item_id,) = held[reviewer]
        lease_id = next(lease for r, i, lease in leases if r == reviewer and i == item_id)
        assert decide(stack, item_id, lease_id, "reject", reviewer, reason="out_of_scope").status_code == 200


def test_lease_expiry_over_http(short_lease_stack: RunningStack) -> None:
    stack = short_lease_stack
    drain(stack)
    item_id = submit(stack, f"https://example.org/e2e/{uuid.uuid4().hex}")
    held = claim(stack, 0).json()
    assert held["item"]["item_id"] == item_id
    expires = datetime.fromisoformat(held["lease"]["expires_at"]).timestamp()
    other = claim(stack, 1)
    if time.time() < expires:
        # Answered while the lease held (the stack reads this machine's clock): nobody else gets the
        # item. A busy machine may only get the answer once the lease lapsed: then either is right.
        assert other.status_code == 204, "the item was handed out while its lease held"
    # Waiting for the lease to lapse, by the clock the stack reads, not for a guess at how long.
    wait_until(lambda: time.time() > expires + 0.001, what="the lease lapsing")
    late = decide(stack, item_id, held["lease"]["lease_id"], "confirm")
    assert late.status_code == 409
    assert late.headers["content-type"] == "application/problem+json"
    taken = other if other.status_code == 200 else claim(stack, 1)
    assert taken.json()["item"]["item_id"] == item_id


# ------------------------------------------------------------------ in a browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """One console tab, recording every request the page (and any tab it opens) makes."""

    def __init__(self, browser: Any, stack: RunningStack, reviewer: int = 0) -> None:
        self.stack = stack
        self.context = browser.new_context()
        self.context.set_default_timeout(HANG_S * 1000)  # waits for the page bound a hang, not its speed
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        response = self.page.goto(f"{stack.api}/console")
        assert response is not None
        assert response.status == 200
        self.headers = response.headers
        self.page.fill("#key", stack.credentials["reviewers"][reviewer]["api_key"])
        self.page.click("#key-form button[type=submit]")
        self.page.wait_for_selector("#claim:not([disabled])")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)  # a script in a description would open one: none must
        dialog.dismiss()

    def claim_next(self) -> str:
        self.page.keyboard.press("n")
        self.page.wait_for_selector("#item:not(.hidden)")
        self.page.wait_for_selector("#history li")
        return str(self.page.text_content("#f-item"))

    def close(self) -> None:
        self.context.close()

    def assert_stayed_on_loopback(self) -> None:
        origin = urlsplit(self.stack.api)
        assert self.requests, "the page made requests"
        for url in self.requests:
            parts = urlsplit(url)
            assert parts.scheme == "data" or (parts.hostname == "127.0.0.1" and parts.port == origin.port), url


@pytest.mark.browser
def test_console_claim_then_confirm(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    item_id = submit(review_stack, "https://propaganda.example/watch/abc.def", priority="crisis")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        csp = console.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "http" not in csp.replace("'self'", ""), "no external host is allowed"
        assert page.evaluate("sessionStorage.length") == 1
        assert page.evaluate("localStorage.length") == 0
        assert console.context.cookies() == []

        assert console.claim_next() == item_id
        assert page.text_content("#f-url") == "hxxps://propaganda[.]example/watch/abc[.]def"
        link = page.locator("#f-open")
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.get_attribute("target") == "_blank"
        assert link.text_content() == "open in new tab"
        assert page.text_content("#f-priority") == "crisis"
        assert page.text_content("#reports .description") == HOSTILE
        assert page.locator("#reports img, #reports script, iframe, img").count() == 0
        assert "left" in str(page.text_content("#f-lease-left"))
        assert "(in " in str(page.text_content("#f-due-left"))
        assert "claimed" in str(page.text_content("#history"))
        page.wait_for_selector("#counts:has-text('default: 0 waiting, 1 leased')")

        page.keyboard.press("c")
        page.select_option("#category", "recruitment")
        page.fill("#note", "recruitment video, clear")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#message:has-text('is confirmed')")
        assert "confirmed" in str(page.text_content("#history"))
        assert page.title() == "Flagpost reviewer console"
        assert console.dialogs == []
        item = call(review_stack, "GET", f"/v1/review/items/{item_id}").json()
        assert (item["status"], item["category"]) == ("confirmed", "recruitment")
        assert item["history"][-1]["note"] == "recruitment video, clear"
        console.assert_stayed_on_loopback()
    finally:
        console.close()


@pytest.mark.browser
def test_console_reject_with_reason(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    item_id = submit(review_stack, f"https://example.org/e2e/{uuid.uuid4().hex}")
    console = Console(chromium, review_stack, reviewer=1)
    try:
        page = console.page
        page.click("#claim")
        page.wait_for_selector("#history li")
        assert page.text_content("#f-item") == item_id
        page.check("input[name=decision][value=reject]")
        page.click("#submit-decision")
        page.wait_for_selector("#message:has-text('needs a reason')")
        page.select_option("#reason", "not_terrorist_content")
        page.click("#submit-decision")
        page.wait_for_selector("#message:has-text('is rejected')")
        item = call(review_stack, "GET", f"/v1/review/items/{item_id}").json()
        assert item["status"] == "rejected"
        assert item["decisions"][-1]["reason"] == "not_terrorist_content"
        page.keyboard.press("n")
        page.wait_for_selector("#message:has-text('Nothing awaits review')")
        console.assert_stayed_on_loopback()
    finally:
        console.close()


@pytest.mark.browser
def test_console_shows_lease_expiry(chromium: Any, short_lease_stack: RunningStack) -> None:
    drain(short_lease_stack)
    item_id = submit(short_lease_stack, f"https://example.org/e2e/{uuid.uuid4().hex}")
    console = Console(chromium, short_lease_stack)
    try:
        page = console.page
        assert console.claim_next() == item_id
        page.wait_for_selector("#lease-expired:not(.hidden)", timeout=HANG_S * 1000)
        assert page.text_content("#f-lease-left") == "expired"
        assert page.is_disabled("#submit-decision")
        assert claim(short_lease_stack, 1).json()["item"]["item_id"] == item_id, "back in the queue"
        console.assert_stayed_on_loopback()
    finally:
        console.close()


@pytest.mark.browser
def test_console_makes_invisible_format_characters_visible(chromium: Any, review_stack: RunningStack) -> None:
    """U+202E turns 'exe.txt' into 'txt.exe' on screen; the console shows the code point instead."""
    drain(review_stack)
    spoof = "invoice\u202etxt.exe \u200bzero\u2066width\u2069"
    creds = review_stack.credentials["flaggers"][0]
    body = json.dumps(
        {
            "reports": [
                {
                    "url": f"https://example.org/bidi/{uuid.uuid4().hex}",
                    "category": "incitement",
                    "description": spoof,
                    "entity": "Org\u202eevil",
                }
            ]
        }
    ).encode()
    headers = {"content-type": "application/json", **sign(body, creds["secret"], f"e2e_{uuid.uuid4().hex}")}
    reply = requests.post(
        f"{review_stack.api}/v1/flaggers/{creds['id']}/reports", data=body, headers=headers, timeout=30
    )
    assert reply.status_code == 202, reply.text
    console = Console(chromium, review_stack)
    try:
        page = console.page
        console.claim_next()
        shown = str(page.text_content("#reports .description"))
        assert "\u202e" not in shown
        assert "\u200b" not in shown
        assert "\u27e6U+202E\u27e7" in shown
        assert "\u27e6U+200B\u27e7" in shown
        assert "\u27e6U+2066\u27e7" in shown
        assert "\u202e" not in str(page.text_content("#reports"))
    finally:
        console.close()
