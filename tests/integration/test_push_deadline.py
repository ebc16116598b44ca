"""A push that outlives its deadline is cut off for real: its socket is closed and its thread ends.

The endpoint drips its answer one header line at a time, each released by the test (never by a
timer), so every read would succeed within the read timeout: only the total deadline can end it.
"""

from __future__ import annotations

import queue
import socket
import threading

import pytest
from waiting import wait_until  # type: ignore[import-not-found]

from flagpost.adapters.push import HttpPusher
from flagpost.domain.errors import PushTransportError


class DrippingEndpoint:
    """Answers `200 OK` and then one header line per `release()`, never ending its headers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.releases: queue.Queue[bytes | None] = queue.Queue()
        self.accepted = threading.Event()
        self.peer_closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def release(self) -> bool:
        # One byte of one endless header value: the client sees neither the end of a line (at most
        # 100 header lines would end it) nor the end of the headers.
        self.releases.put(b"a")
        return False  # wait_until sleeps its interval between checks

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        self.accepted.set()
        with conn:
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            conn.setblocking(False)
            while (byte := self.releases.get()) is not None:
                try:
                    conn.sendall(byte)
                    if self._client_gone(conn):
                        break
                except OSError:  # reset: the client closed the socket
                    break
            self.peer_closed.set()

    @staticmethod
    def _client_gone(conn: socket.socket) -> bool:
        """Drain what the client sent (its request); True at end of stream (it shut its side)."""
        while True:
            try:
                if conn.recv(65536) == b"":
                    return True
            except BlockingIOError:
                return False

    def stop(self) -> None:
        self.releases.put(None)
        self.server.close()


def push_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("push") and t.is_alive()]


@pytest.mark.timeout(300)
def test_a_dripping_endpoint_is_cut_off_at_the_deadline_socket_and_thread_included() -> None:
    endpoint = DrippingEndpoint()
    # The read timeout is far longer than any wait here: only the total deadline may end the push.
    pusher = HttpPusher(connect_timeout_s=30, read_timeout_s=600, total_timeout_s=0.5, allow_loopback=True)
    before = set(push_threads())
    try:
        with pytest.raises(PushTransportError, match="Timeout"):
            pusher.post(endpoint.url, b"{}", {"content-type": "application/json"})
        assert endpoint.accepted.is_set()
        # Bytes keep coming (one per check): a worker still reading would keep the connection open.
        wait_until(endpoint.peer_closed.is_set, step=endpoint.release, what="the push's socket to be closed")
        wait_until(lambda: not (set(push_threads()) - before), step=endpoint.release, what="the push thread to end")
    finally:
        endpoint.stop()
