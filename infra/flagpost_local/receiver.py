"""A platform endpoint on 127.0.0.1 for developers and tests: verifies our signatures, can misbehave."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    """A platform endpoint on 127.0.0.1 that verifies our signatures and can misbehave on purpose."""

    secret: str
    fail_ratio: float = 0.0
    always: int | None = None
    retry_after: str | None = None
    location: str | None = None  # sent with 3xx answers, as a redirecting endpoint would
    delay_s: float = 0.0
    seed: int = 7
    received: list[dict[str, Any]] = field(default_factory=list)
    ids: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    attempts: int = 0
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
                if roll < receiver.fail_ratio / 2:
                    self._reply(503)
                    return
                if roll < receiver.fail_ratio:
                    time.sleep(receiver.delay_s)  # longer than the pusher's read timeout
                    self._reply(200)
                    return
                with receiver._lock:
                    receiver.received.append(json.loads(body))
                    receiver.ids[self.headers["webhook-id"]] += 1
                self._reply(204)

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
