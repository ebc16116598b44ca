"""The reviewer desk in headless Debian Chromium (issue 15): the held item stays on screen, one request
at a time under a slow server, four eyes across two reviewers, the 390 px width. Screenshots go to
$FLAGPOST_SHOTS (default /work/desk-shots) for a person to look at."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_review_e2e import Console, call, chromium, drain, submit  # type: ignore[import-not-found]
from waiting import wait_until  # type: ignore[import-not-found]

from flagpost_local.process import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SHOTS = Path(os.environ.get("FLAGPOST_SHOTS", "/work/desk-shots"))
__all__ = ["chromium"]  # the browser fixture, shared with the review tests

# A slow server, seen from the page: every API call waits 400 ms, and the page counts how many of the
# actions' calls are in flight at once (the most it ever saw) and every call it sent.
SLOW_FETCH = """
(() => {
  const real = window.fetch.bind(window);
  window.__flight = { now: 0, max: 0, sent: [] };
  window.fetch = async (path, init) => {
    const f = window.__flight;
    const call = (init && init.method || "GET") + " " + path;
    // The queue counts' refresh is a read beside the actions; every other call belongs to one.
    const counted = call !== "GET /v1/review/queue";
    if (counted) { f.now += 1; f.max = Math.max(f.max, f.now); }
    f.sent.push(call);
    try {
      // While a test holds the server (window.__hold), calls wait: what the page shows meanwhile is checked.
      while (window.__hold) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 400));
      return await real(path, init);
    }
    finally { if (counted) f.now -= 1; }
  };
})();
"""


def shot(console: Console, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    console.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_claim_while_holding_keeps_the_held_item_and_the_note(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    first = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}", priority="threat_to_life")
    following = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        assert console.claim_next() == first
        page.fill("#note", "half-typed note")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("n")
        page.wait_for_selector("#message:has-text('You still hold')")
        assert page.text_content("#f-item") == first
        assert page.input_value("#note") == "half-typed note"
        assert sum("/v1/review/claim" in url for url in console.requests) == 1, "no second claim was sent"
        shot(console, "claim-while-holding")
        # A second tab of the same reviewer shows the held item too, instead of leasing another.
        other = Console(chromium, review_stack)
        try:
            other.page.wait_for_selector("#message:has-text('You hold')")
            assert other.page.text_content("#f-item") == first
            # Decided in the first tab, the item is no longer held in the second: `n` there claims the next.
            page.keyboard.press("r")
            page.select_option("#reason", "out_of_scope")
            page.keyboard.press("Control+Enter")
            page.wait_for_selector("#message:has-text('is rejected')")
            other.page.keyboard.press("n")
            other.page.wait_for_selector(f"#f-item:has-text('{following}')")
            assert "You still hold" not in str(other.page.text_content("#message"))
        finally:
            other.close()
    finally:
        console.close()


def test_a_slow_server_gets_one_request_at_a_time(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    item_id = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}")
    following = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        page.add_init_script(SLOW_FETCH)
        page.reload()
        page.wait_for_selector("#claim:not([disabled])")
        for _ in range(4):
            page.keyboard.press("n")  # impatient presses while the claim is in flight
        page.wait_for_selector("#history li")
        assert page.text_content("#f-item") == item_id
        page.keyboard.press("r")
        assert page.evaluate("document.activeElement.id") == "reason", "r focuses the reason list"
        page.select_option("#reason", "out_of_scope")
        page.evaluate("document.activeElement.blur()")
        for _ in range(4):
            page.keyboard.press("Control+Enter")
        page.wait_for_selector("#message:has-text('is rejected')")
        flight = page.evaluate("window.__flight")
        assert flight["max"] == 1, flight
        sent = flight["sent"]
        assert sum(s.startswith("POST /v1/review/claim") for s in sent) == 1, sent
        assert sum(s.endswith("/decision") for s in sent) == 1, sent
        detail = call(review_stack, "GET", f"/v1/review/items/{item_id}").json()
        assert [h["event"] for h in detail["history"]] == ["created", "claimed", "rejected"]
        shot(console, "slow-server-rejected")
        # The next claim, held in flight: the decided item is off the screen and the banner says why.
        page.evaluate("window.__hold = true")
        page.keyboard.press("n")
        page.wait_for_selector("#message:has-text('Claiming the next item')")
        assert page.is_hidden("#item"), "a decided item does not stay up while the next claim runs"
        page.evaluate("window.__hold = false")
        page.wait_for_selector(f"#f-item:has-text('{following}')")
    finally:
        console.close()


def test_four_eyes_across_two_reviewers(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    item_id = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}", priority="threat_to_life")
    first = Console(chromium, review_stack, reviewer=0)
    try:
        page = first.page
        assert first.claim_next() == item_id
        page.keyboard.press("c")
        page.select_option("#category", "threat")
        page.fill("#note", "first look: a threat")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#message:has-text('Confirmed once, waiting for a second reviewer')")
        assert "is pending" not in str(page.text_content("#message"))
        shot(first, "four-eyes-first")
    finally:
        first.close()
    second = Console(chromium, review_stack, reviewer=1)
    try:
        page = second.page
        assert second.claim_next() == item_id
        history = str(page.text_content("#history"))
        assert "first confirmation - Reviewer A" in history
        assert "category: incitement \u2192 threat" in history, "the second reviewer sees the first's change"
        assert "first look: a threat" in history
        assert page.text_content("#f-category") == "threat"
        assert str(page.text_content("#f-confirmations")).startswith("1 of 2")
        page.keyboard.press("c")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#message:has-text('is confirmed')")
        shot(second, "four-eyes-second")
    finally:
        second.close()


def test_mobile_width_keeps_the_held_item_on_screen(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    item_id = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}", priority="threat_to_life")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        page.set_viewport_size({"width": 390, "height": 844})
        assert console.claim_next() == item_id
        page.keyboard.press("n")
        page.wait_for_selector("#message:has-text('You still hold')")
        assert page.is_visible("#item")
        assert page.text_content("#f-item") == item_id
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{overflow} px of horizontal overflow at 390 px"
        shot(console, "mobile-390")
    finally:
        console.close()


def test_search_by_any_url_form_then_retract(chromium: Any, review_stack: RunningStack) -> None:
    drain(review_stack)
    token = uuid.uuid4().hex
    item_id = submit(review_stack, f"https://example.org/find/{token}")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        assert console.claim_next() == item_id
        page.keyboard.press("c")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#message:has-text('is confirmed')")
        page.fill("#search-url", "not a link at all")
        page.click("#search-form button[type=submit]")
        page.wait_for_selector("#results li.warn")
        assert "searching" not in str(page.text_content("#results")), "a refused search does not stay 'searching'"
        for spelling in (
            f"HTTP://WWW.Example.org/find/{token}#",
            f"hxxps://example[.]org/find/{token}?utm_source=x",
        ):
            page.fill("#search-url", spelling)
            page.click("#search-form button[type=submit]")
            page.wait_for_selector(f"#results button:has-text('{item_id}')")
        page.click(f"#results button:has-text('{item_id}')")
        page.wait_for_selector("#viewer:not(.hidden)")
        assert page.text_content("#v-status") == "confirmed"
        page.fill("#retract-reason", "appeal upheld")
        page.click("#retract")
        page.wait_for_selector("#message:has-text('Press Retract again to confirm')")
        assert call(review_stack, "GET", f"/v1/review/items/{item_id}").json()["status"] == "confirmed", (
            "one press of Retract withdraws nothing"
        )
        page.click("#retract")
        page.wait_for_selector("#message:has-text('Retracted')")
        page.wait_for_selector("#v-status:has-text('retracted')")
        assert "retracted" in str(page.text_content("#v-history"))
        assert call(review_stack, "GET", f"/v1/review/items/{item_id}").json()["status"] == "retracted"
        shot(console, "search-and-retract")
        console.assert_stayed_on_loopback()
    finally:
        console.close()


def test_a_rejection_after_a_first_confirmation_goes_to_a_third_reviewer(
    chromium: Any, review_stack: RunningStack
) -> None:
    """Four eyes cut both ways: the second reviewer's rejection is not final, the console says so, and
    the escalated item says why; neither reviewer can claim it again, and "Claim next" says why."""
    drain(review_stack)
    item_id = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}", priority="threat_to_life")
    first = Console(chromium, review_stack, reviewer=0)
    try:
        assert first.claim_next() == item_id
        first.page.keyboard.press("c")
        first.page.keyboard.press("Control+Enter")
        first.page.wait_for_selector("#message:has-text('Confirmed once')")
    finally:
        first.close()
    second = Console(chromium, review_stack, reviewer=1)
    try:
        page = second.page
        assert second.claim_next() == item_id
        page.keyboard.press("r")
        page.select_option("#reason", "not_terrorist_content")
        page.fill("#note", "news footage, not propaganda")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#message:has-text('third reviewer')")
        assert page.text_content("#f-status") == "escalated"
        assert str(page.text_content("#f-confirmations")).startswith("1 of 2"), "the confirmation is not hidden"
        why = str(page.text_content("#f-why"))
        for said in ("disputed by Reviewer B", "not terrorist content", "after Reviewer A confirmed once"):
            assert said in why, why
        assert "news footage, not propaganda" in why
        shot(second, "disputed-item")
        wait_until(
            lambda: any(
                q["queue"] == "escalated" and q["waiting"] >= 1
                for q in call(review_stack, "GET", "/v1/review/queue").json()["queues"]
            ),
            interval_s=0.2,
            what="the escalated queue's count",
        )
        page.select_option("#queue", "escalated")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("n")
        page.wait_for_selector("#message:has-text('Nothing you can claim in the escalated queue')")
        assert "its 1 waiting item needs another reviewer" in str(page.text_content("#message"))
        shot(second, "disputed")
    finally:
        second.close()


def test_the_owning_platform_is_marked_and_the_lease_warns_two_minutes_ahead(
    chromium: Any, review_stack: RunningStack
) -> None:
    drain(review_stack)
    item_id = submit(review_stack, f"https://www.youtube.com/watch?v={uuid.uuid4().hex[:11]}")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        page.clock.install()  # the page's clock, moved below; time flows as usual until then
        assert console.claim_next() == item_id
        page.keyboard.press("c")
        owner = page.locator("#platforms label", has_text="Demo YouTube")
        owner.locator(".routed").wait_for()
        assert owner.locator("input").is_disabled(), "the platform that owns the target receives it anyway"
        assert "receives it already" in str(owner.text_content())
        other = page.locator("#platforms label", has_text="Demo Telegram")
        assert other.locator("input").is_enabled()
        assert other.locator(".routed").count() == 0
        assert "press w to renew" not in str(page.text_content("#message"))
        lease = call(review_stack, "GET", "/v1/review/leases").json()["leases"][0]["lease"]
        page.clock.set_system_time(datetime.fromisoformat(lease["expires_at"]) - timedelta(seconds=90))
        page.wait_for_selector("#message:has-text('press w to renew')")
        assert "warn" in str(page.get_attribute("#f-lease-left", "class"))
        shot(console, "lease-warning")
    finally:
        console.close()


def test_keys_never_act_on_a_held_item_out_of_sight(chromium: Any, review_stack: RunningStack) -> None:
    """At 390 px the read-only view of another item fills the screen: the first key press brings the held
    item back into view instead of deciding it unseen."""
    drain(review_stack)
    held = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}", priority="threat_to_life")
    other = submit(review_stack, f"https://example.org/desk/{uuid.uuid4().hex}")
    console = Console(chromium, review_stack)
    try:
        page = console.page
        page.set_viewport_size({"width": 390, "height": 844})
        assert console.claim_next() == held
        page.select_option("#browse-status", "pending")
        page.click("#browse-go")
        page.click(f"#results button:has-text('{other}')")
        page.wait_for_selector(f"#v-item:has-text('{other}')")
        page.wait_for_function("document.getElementById('item').getBoundingClientRect().bottom <= 0")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("c")
        page.wait_for_selector("#message:has-text('is back in view')")
        assert page.evaluate("document.querySelector('input[name=decision]:checked')") is None, "nothing chosen"
        page.keyboard.press("Control+Enter")
        assert sum(url.endswith("/decision") for url in console.requests) == 0, "nothing decided unseen"
        page.keyboard.press("c")
        assert page.evaluate("document.querySelector('input[name=decision]:checked').value") == "confirm"
        assert page.inner_text("#v-item") == other, "the id is shown as it is (no upper case)"
        shot(console, "held-back-in-view")
    finally:
        console.close()
