"""A platform endpoint on 127.0.0.1 for developers and tests: verifies our signatures, can misbehave."""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

HOLD_LIMIT_S = 300  # a late answer waits for the pusher to hang up; this only bounds a pusher that never does


@dataclass
class Receiver:
    """A platform endpoint on 127.0.0.1 that verifies our signatures and can misbehave on purpose."""

    secret: str
    # A share of attempts fails: half are answered 503, half are dropped unanswered (the connection is
    # closed: the pusher cannot tell whether the entry arrived; it did not count). No clock decides either.
    fail_ratio: float = 0.0
    always: int | None = None
    retry_after: str | None = None
    location: str | None = None  # sent with 3xx answers, as a redirecting endpoint would
    # These attempts (1-based, in arrival order) are answered late: only once the pusher stopped waiting
    # and hung up (its read timeout), so the pusher times out however fast or slow the machine is.
    late: frozenset[int] = frozenset()
    seed: int = 7
    received: list[dict[str, Any]] = field(default_factory=list)
    ids: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    attempts: int = 0
    held: int = 0  # attempts answered late (after the pusher hung up)
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - failure injection, not security

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/flagpost"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.attempts += 1
                    attempt = receiver.attempts
                    roll = receiver._random.random()
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except WebhookVerificationError:
                    with receiver._lock:
                        receiver.bad_signatures += 1
                    self._reply(401)
                    return
                if receiver.always is not None:
                    self._reply(receiver.always)
                    return
                if attempt in receiver.late:
                    self._hold_until_hung_up()
                    return
                if roll < receiver.fail_ratio / 2:
                    self._reply(503)
                    return
                if roll < receiver.fail_ratio:
                    self.close_connection = True  # dropped: no answer at all
                    return
                with receiver._lock:
                    receiver.received.append(json.loads(body))
                    receiver.ids[self.headers["webhook-id"]] += 1
                self._reply(204)

            def _hold_until_hung_up(self) -> None:
                self.close_connection = True
                self.connection.settimeout(HOLD_LIMIT_S)
                with contextlib.suppress(OSError):
                    while self.connection.recv(1024):  # b"" once the pusher has closed the connection
                        pass
                with receiver._lock:
                    receiver.held += 1

            def _reply(self, status: int) -> None:
                self.send_response(status)
                if receiver.retry_after and status in (429, 503):
                    self.send_header("Retry-After", receiver.retry_after)
                if receiver.location and 300 <= status < 400:
                    self.send_header("Location", receiver.location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
