"""Sending one signed entry to a platform's endpoint over HTTP, safely (`flagpost.adapters.ssrf`).

Bounded in total time, not only per socket read: an endpoint that drips its answer a byte at a time
is abandoned after `total_timeout_s`, and its connection is shut down then
(`flagpost.adapters.cutoff`), so neither the worker thread nor the socket outlives the push. The
answer's body is never read: its status and headers are all a push needs, so a huge body costs
nothing. Redirects are never followed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError

import requests

from flagpost.adapters.cutoff import Cutoff
from flagpost.adapters.ssrf import guarded_session, validate_endpoint
from flagpost.domain.errors import PushRefusedError, PushTransportError


class HttpPusher:
    def __init__(
        self,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        total_timeout_s: float,
        allow_loopback: bool = False,
    ) -> None:
        self.timeouts = (connect_timeout_s, read_timeout_s)
        self.total_timeout_s = total_timeout_s
        self.allow_loopback = allow_loopback
        self.session = guarded_session(allow_loopback=allow_loopback)

    def check(self, endpoint: str) -> None:
        """UnsafeEndpointError unless the endpoint may receive pushes (its addresses are checked when
        the connection is made, so that a DNS answer changed meanwhile cannot redirect it)."""
        validate_endpoint(endpoint, allow_loopback=self.allow_loopback, resolve=False)

    def post(self, endpoint: str, body: bytes, headers: dict[str, str]) -> tuple[int, float, str | None]:
        """(HTTP status, latency in ms, Retry-After); PushTransportError without an answer."""
        started = time.perf_counter()
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="push")
        cutoff = Cutoff()
        try:
            status, retry_after = worker.submit(self._send, endpoint, body, headers, cutoff).result(
                timeout=self.total_timeout_s
            )
        except FutureTimeoutError:
            # Shutting down the request's own sockets ends the stuck read: the worker thread returns
            # and urllib3 discards the connection (closing the pool would not reach a busy one).
            cutoff.cut()
            raise PushTransportError("Timeout") from None
        except requests.TooManyRedirects:
            raise PushRefusedError("TooManyRedirects") from None
        except requests.RequestException as exc:
            raise PushTransportError(type(exc).__name__) from None
        finally:
            worker.shutdown(wait=False)
        return status, round((time.perf_counter() - started) * 1000, 1), retry_after

    def _send(self, endpoint: str, body: bytes, headers: dict[str, str], cutoff: Cutoff) -> tuple[int, str | None]:
        with (
            cutoff.active(),
            self.session.post(
                endpoint, data=body, headers=headers, timeout=self.timeouts, allow_redirects=False, stream=True
            ) as reply,
        ):
            return reply.status_code, reply.headers.get("retry-after")
