"""Dedup precision end to end: a confirmed target never swallows a different one reported later.

The issue's demonstration, through the real routes on the in-process stack: a reviewer confirms
playlist A; another flagger reports playlist B. B must be a new, pending item that a reviewer gets to
see, and the platform must receive A's playlist URL, never `watch?v=videoseries`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.webhooks import sign
from flagpost_local.harness import InProcessStack, Reply

PLAYLIST_A = "PLAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
PLAYLIST_B = "PLBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"


class Desk:
    """Two flaggers, a reviewer and the YouTube platform, all talking HTTP to the stack."""

    def __init__(self, stack: InProcessStack) -> None:
        principals = stack.principals()
        self.stack = stack
        self.flaggers = [principals.create(Role.FLAGGER, f"Flagger {n}") for n in range(2)]
        self.reviewer = principals.create(Role.REVIEWER, "Reviewer")
        self.youtube = principals.create(Role.PLATFORM, "YouTube", platform_ids=["youtube"])

    def report(self, url: str, flagger: int) -> dict[str, Any]:
        creds = self.flaggers[flagger]
        raw = json.dumps(
            {"reports": [{"url": url, "category": "incitement", "description": "calls for attacks"}]}
        ).encode()
        headers = {"content-type": "application/json", **sign(raw, creds.secret or "", f"msg_{uuid.uuid4().hex}")}
        reply = self.stack.http("POST", f"/v1/flaggers/{creds.principal.id}/reports", body=raw, headers=headers)
        assert reply.status == 202, reply.body
        (result,) = reply.json()["results"]
        assert isinstance(result, dict)
        return result

    def review(self, method: str, path: str, body: Any = None) -> Reply:
        return self.stack.http(method, path, json_body=body, headers=_bearer(self.reviewer))

    def claim(self) -> Reply:
        return self.review("POST", "/v1/review/claim", {})

    def confirm(self, item_id: str) -> dict[str, Any]:
        claimed = self.claim()
        assert claimed.status == 200, claimed.body
        assert claimed.json()["item"]["item_id"] == item_id
        lease_id = claimed.json()["lease"]["lease_id"]
        reply = self.review(
            "POST", f"/v1/review/items/{item_id}/decision", {"lease_id": lease_id, "decision": "confirm"}
        )
        assert reply.status == 200, reply.body
        item: dict[str, Any] = reply.json()["item"]
        return item

    def feed(self) -> list[dict[str, Any]]:
        self.stack.pump()
        reply = self.stack.http("GET", "/v1/feed?limit=100", headers=_bearer(self.youtube))
        assert reply.status == 200, reply.body
        entries: list[dict[str, Any]] = reply.json()["entries"]
        return entries


def _bearer(creds: IssuedCredentials) -> dict[str, str]:
    return {"authorization": f"Bearer {creds.api_key}"}


@pytest.fixture
def desk(local_aws: InProcessStack) -> Desk:
    return Desk(local_aws)


def test_a_second_playlist_is_reviewed_after_the_first_was_confirmed(desk: Desk) -> None:
    first = desk.report(f"https://www.youtube.com/embed/videoseries?list={PLAYLIST_A}", flagger=0)
    assert first["status"] == "new"
    assert (first["target"]["platform"], first["target"]["type"], first["target"]["id"]) == (
        "youtube",
        "playlist",
        PLAYLIST_A,
    )
    confirmed = desk.confirm(first["item_id"])
    assert confirmed["status"] == "confirmed"

    second = desk.report(f"https://www.youtube.com/embed/videoseries?list={PLAYLIST_B}", flagger=1)
    assert second["status"] == "new", second
    assert second["item_id"] != first["item_id"]
    assert second["item_status"] == "pending"
    assert second["target"]["dedup_key"] != first["target"]["dedup_key"]
    assert second["target"]["id"] == PLAYLIST_B

    # B reaches a reviewer, who sees B's playlist, not A's.
    claimed = desk.claim()
    assert claimed.status == 200, claimed.body
    assert claimed.json()["item"]["item_id"] == second["item_id"]
    detail = desk.review("GET", f"/v1/review/items/{second['item_id']}").json()
    assert PLAYLIST_B in json.dumps(detail)
    assert PLAYLIST_A not in json.dumps(detail)

    # The platform receives the confirmed playlist's own URL.
    (entry,) = desk.feed()
    assert entry["item"]["item_id"] == first["item_id"]
    delivered = json.dumps(entry)
    assert f"https://www.youtube.com/playlist?list={PLAYLIST_A}" in delivered
    # The notice quotes every URL form reported (DSA Art. 16(2)(b)), the embed link included; what
    # must never appear is `videoseries` read as an id, or a watch URL made of it.
    assert '"videoseries"' not in delivered
    assert "watch?v=" not in delivered


def test_the_same_playlist_in_another_spelling_is_still_a_duplicate(desk: Desk) -> None:
    first = desk.report(f"https://www.youtube.com/embed/videoseries?list={PLAYLIST_A}", flagger=0)
    desk.confirm(first["item_id"])
    again = desk.report(f"https://m.youtube.com/playlist?list={PLAYLIST_A}&si=share", flagger=1)
    assert again["status"] == "duplicate"
    assert again["item_id"] == first["item_id"]
    assert again["item_status"] == "confirmed"


@pytest.mark.parametrize(
    ("one", "two"),
    [
        (
            "https://www.youtube.com/embed/live_stream?channel=UCAAAAAAAAAAAAAAAAAAAAAA",
            "https://www.youtube.com/embed/live_stream?channel=UCBBBBBBBBBBBBBBBBBBBBBB",
        ),
        ("https://www.youtube.com/clip/UgkxAAAAAAAAAAAA", "https://www.youtube.com/clip/UgkxBBBBBBBBBBBB"),
        ("https://www.instagram.com/reels/audio/1111111111/", "https://www.instagram.com/reels/audio/2222222222/"),
        ("https://news.example.org/story?ref=main", "https://news.example.org/story?ref=other"),
        ("http://010.8.8.8/a", "http://10.8.8.8/a"),
    ],
)
def test_other_targets_of_the_issue_stay_apart_after_a_confirmation(desk: Desk, one: str, two: str) -> None:
    first = desk.report(one, flagger=0)
    desk.confirm(first["item_id"])
    second = desk.report(two, flagger=1)
    assert (second["status"], second["item_status"]) == ("new", "pending")
    assert second["item_id"] != first["item_id"]
