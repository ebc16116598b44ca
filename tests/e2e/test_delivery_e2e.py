"""Delivery over HTTP against `flagpost local`: confirm -> signed push + pull feed -> outcome -> retract."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import RunningStack, start_local
from flagpost_local.receiver import Receiver

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_local(tmp_path_factory.mktemp("delivery"), cwd=REPO)
    yield running
    running.stop()


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_confirmed_item_is_pushed_pulled_and_retracted(stack: RunningStack) -> None:
    creds = stack.credentials
    admin = creds["admin"]["api_key"]
    platform = requests.post(
        f"{stack.api}/v1/admin/principals",
        headers=bearer(admin),
        timeout=HANG_S,
        json={
            "role": "platform",
            "name": "E2E platform",
            "domains": ["e2e-platform.example"],
        },
    ).json()
    hook = Receiver(secret=platform["secret"]).start()
    try:
        # Registering the receiver: only `flagpost local` accepts loopback endpoints.
        pushed = requests.post(
            f"{stack.api}/v1/admin/principals",
            headers=bearer(admin),
            timeout=HANG_S,
            json={
                "role": "platform",
                "name": "E2E pushed",
                "domains": ["e2e-platform.example"],
                "endpoint": hook.url,
            },
        )
        assert pushed.status_code == 201, pushed.text
        pushed_platform = pushed.json()
        hook.secret = pushed_platform["secret"]

        flagger = creds["flaggers"][0]
        body = json.dumps(
            {
                "reports": [
                    {"url": "https://e2e-platform.example/propaganda/1", "category": "recruitment", "description": "d"}
                ]
            }
        ).encode()
        submitted = requests.post(
            f"{stack.api}/v1/flaggers/{flagger['id']}/reports",
            data=body,
            timeout=HANG_S,
            headers={"content-type": "application/json", **sign(body, flagger["secret"], f"e2e_{uuid.uuid4().hex}")},
        )
        item_id = submitted.json()["results"][0]["item_id"]

        reviewer = creds["reviewers"][0]["api_key"]
        claimed = requests.post(f"{stack.api}/v1/review/claim", headers=bearer(reviewer), json={}, timeout=HANG_S)
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["item"]["item_id"] == item_id
        lease_id = claimed.json()["lease"]["lease_id"]
        decided = requests.post(
            f"{stack.api}/v1/review/items/{item_id}/decision",
            headers=bearer(reviewer),
            json={"lease_id": lease_id, "decision": "confirm"},
            timeout=HANG_S,
        )
        assert decided.status_code == 200, decided.text

        # Push: signed with the platform's secret (the receiver verifies it), one webhook-id per entry.
        wait_until(lambda: hook.received, interval_s=0.2, what="the push")
        assert hook.bad_signatures == 0
        assert hook.received[0]["op"] == "upsert"
        assert hook.received[0]["item"]["item_id"] == item_id

        # Pull: both platforms own the domain; each sees its own feed from its own seq 1 (the other
        # platform's entry may be appended just after the pushed one was delivered: waited for).
        for key in (platform["api_key"], pushed_platform["api_key"]):

            def pulled(key: str = key) -> Any:
                page = requests.get(f"{stack.api}/v1/feed", headers=bearer(key), timeout=HANG_S).json()
                return page if page["entries"] else None

            page = wait_until(pulled, interval_s=0.2, what="the feed entry")
            assert [(e["seq"], e["op"], e["item"]["item_id"]) for e in page["entries"]] == [(1, "upsert", item_id)]
        cursor = page["next_cursor"]

        outcome = requests.post(
            f"{stack.api}/v1/feed/items/{item_id}/outcome",
            headers=bearer(platform["api_key"]),
            json={"outcome": "removed"},
            timeout=HANG_S,
        )
        assert outcome.status_code == 200
        # A platform the item was not sent to cannot tell it from an unknown one.
        stranger = creds["platforms"][1]["api_key"]
        assert (
            requests.post(
                f"{stack.api}/v1/feed/items/{item_id}/outcome",
                headers=bearer(stranger),
                json={"outcome": "removed"},
                timeout=HANG_S,
            ).status_code
            == 404
        )

        retracted = requests.post(
            f"{stack.api}/v1/review/items/{item_id}/retract",
            headers=bearer(reviewer),
            json={"reason": "confirmed in error"},
            timeout=HANG_S,
        )
        assert retracted.status_code == 200, retracted.text
        wait_until(lambda: len(hook.received) >= 2, interval_s=0.2, what="the retraction's push")
        assert hook.received[1]["op"] == "retract"
        later = requests.get(
            f"{stack.api}/v1/feed",
            params={"cursor": cursor},
            headers=bearer(pushed_platform["api_key"]),
            timeout=HANG_S,
        ).json()
        assert [(e["seq"], e["op"]) for e in later["entries"]] == [(2, "retract")]
        assert len(hook.ids) == 2
    finally:
        hook.stop()


def test_unsafe_endpoints_are_refused_at_registration(stack: RunningStack) -> None:
    admin = stack.credentials["admin"]["api_key"]
    for endpoint in ("http://example.org/hook", "https://169.254.169.254/latest/meta-data", "https://10.0.0.8/x"):
        reply = requests.post(
            f"{stack.api}/v1/admin/principals",
            headers=bearer(admin),
            timeout=HANG_S,
            json={"role": "platform", "name": "bad", "endpoint": endpoint},
        )
        assert reply.status_code == 422, endpoint
        assert reply.headers["content-type"] == "application/problem+json"
