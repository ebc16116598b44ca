"""Schemathesis hooks that sign every generated submission as a real flagger would (Standard Webhooks v1).

Loaded by the schemathesis CLI through SCHEMATHESIS_HOOKS (see test_fuzz.py) and configured by the
environment:
- FLAGPOST_FUZZ_FLAGGER_ID, FLAGPOST_FUZZ_FLAGGER_SECRET: the flagger whose path and secret are used;
- FLAGPOST_FUZZ_STATUS_LOG: a file that gets one line per request to the route: "<status> <method> <webhook-id>"
  (the coverage phase also sends other methods there).

The signature is computed in a `requests` auth step, that is over the exact bytes `requests` is about
to send (whatever schemathesis generated and however it serialised it), so that generated bodies get
past verification and reach validation and landing. Every fifth submission reuses the previous
webhook-id, so that replays (same body: the first answer again; another body: 409) are fuzzed too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
import uuid
from typing import Any

import requests
import schemathesis

SUBMIT_PATH = "/v1/flaggers/{flagger_id}/reports"
REPLAY_EVERY = 5

_lock = threading.Lock()
_state: dict[str, Any] = {"count": 0, "last_id": None}


def sign_bytes(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, over raw bytes (even non-UTF-8 ones)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class StandardWebhooksAuth(requests.auth.AuthBase):
    """Sets webhook-id, webhook-timestamp and webhook-signature over the prepared request's body."""

    def __init__(self, secret: str, msg_id: str) -> None:
        self.secret = secret
        self.msg_id = msg_id

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if not isinstance(body, bytes):  # a streamed body: nothing this fuzzing generates
            raise TypeError(f"cannot sign a {type(body).__name__} body")
        timestamp = str(int(time.time()))
        request.headers["webhook-id"] = self.msg_id
        request.headers["webhook-timestamp"] = timestamp
        request.headers["webhook-signature"] = sign_bytes(self.secret, self.msg_id, timestamp, body)
        return request


def _is_submission(case: Any) -> bool:
    return bool(case.operation.method.upper() == "POST" and case.operation.path == SUBMIT_PATH)


def _next_webhook_id() -> str:
    with _lock:
        _state["count"] += 1
        if _state["last_id"] is not None and _state["count"] % REPLAY_EVERY == 0:
            return str(_state["last_id"])
        _state["last_id"] = f"fuzz_{uuid.uuid4().hex}"
        return str(_state["last_id"])


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    del context
    if not _is_submission(case):
        return
    case.path_parameters = {**(case.path_parameters or {}), "flagger_id": os.environ["FLAGPOST_FUZZ_FLAGGER_ID"]}
    # Transport keyword arguments reach `requests.Session.request`: its auth step sees the final body.
    kwargs["auth"] = StandardWebhooksAuth(os.environ["FLAGPOST_FUZZ_FLAGGER_SECRET"], _next_webhook_id())


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    del context
    log = os.environ.get("FLAGPOST_FUZZ_STATUS_LOG")
    if not log or not _is_submission(case):
        return
    sent = response.request.headers.get("webhook-id", "-")
    with _lock, open(log, "a", encoding="utf-8") as out:
        out.write(f"{response.status_code} {response.request.method} {sent}\n")
