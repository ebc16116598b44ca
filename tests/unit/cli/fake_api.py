"""A stand-in for Flagpost's ingest route, enough to test `flagpost submit` without a socket.

It checks each request's Standard Webhooks signature, answers a repeated webhook-id with the answer
it gave the first time (as ingest's idempotency does), validates reports roughly as ingest does
(category, description, exactly one of url or target) and deduplicates by url or target.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flagpost.domain.webhooks import verify

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CATEGORIES = {"incitement", "solicitation", "recruitment", "instruction", "threat"}


@dataclass
class Reply:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return self.body

    @property
    def text(self) -> str:
        return json.dumps(self.body)


@dataclass
class FakeApi:
    """Use as `requests.Session()`; `before_post(n)` may raise (say, KeyboardInterrupt) on the n-th POST."""

    before_post: Callable[[int], None] | None = None
    posts: list[list[dict[str, Any]]] = field(default_factory=list)
    targets: dict[str, str] = field(default_factory=dict)
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __call__(self) -> FakeApi:
        return self

    def post(self, url: str, data: bytes, headers: dict[str, str], timeout: Any) -> Reply:
        del url, timeout
        if self.before_post is not None:
            self.before_post(len(self.posts) + 1)
        msg_id = verify(data, headers, [SECRET])
        reports = json.loads(data)["reports"]
        self.posts.append(reports)
        if msg_id in self.answered:
            return Reply(202, self.answered[msg_id])
        results = [self._one(index, report) for index, report in enumerate(reports)]
        self.answered[msg_id] = {"results": results}
        return Reply(202, {"results": results})

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [report for batch in self.posts for report in batch]

    def _one(self, index: int, report: dict[str, Any]) -> dict[str, Any]:
        errors = []
        if report.get("category") not in CATEGORIES:
            errors.append({"loc": ["category"], "msg": "Input should be one of the categories"})
        if not report.get("description"):
            errors.append({"loc": ["description"], "msg": "Field required"})
        if ("url" in report) == ("target" in report):
            errors.append({"loc": [], "msg": "give exactly one of `url` or `target`"})
        if errors:
            return {"index": index, "status": "invalid", "errors": errors}
        target = report.get("url") or json.dumps(report["target"], sort_keys=True)
        if target in self.targets:
            return {"index": index, "status": "duplicate", "item_id": self.targets[target]}
        self.targets[target] = f"itm_{len(self.targets)}"
        return {"index": index, "status": "new", "item_id": self.targets[target]}
