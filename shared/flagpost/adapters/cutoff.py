"""Cutting off an HTTP request from another thread: the connections it uses are shut down, for real.

A socket timeout bounds one read, not a request: an endpoint that drips a byte within each read
timeout keeps a request alive for ever. The thread that waits for the request (with its own
deadline) calls `Cutoff.cut()`, which shuts down the sockets of every connection the request used:
the blocked read returns at once, urllib3 discards the connection, and the worker thread ends.
Closing the session's pool would not do it: a connection in use is not in the pool.

The worker announces its request with `with cutoff.active():`; the connection classes of
`flagpost.adapters.ssrf` (which mix in `CutoffMixin`) register themselves with the active cutoff.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

_current = threading.local()


class RequestCutOffError(OSError):
    """The request was cut off by its deadline before (or while) this connection was used."""


class Cutoff:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self.cut_off = False

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Connections used in this thread, inside the block, belong to this cutoff."""
        _current.cutoff = self
        try:
            yield
        finally:
            _current.cutoff = None

    def register(self, connection: Any) -> None:
        with self._lock:
            if self.cut_off:
                raise RequestCutOffError("the request's deadline passed")
            if connection not in self._connections:
                self._connections.append(connection)

    def cut(self) -> None:
        """Shut down every socket the request uses (a blocked read then returns at once)."""
        with self._lock:
            self.cut_off = True
            connections = list(self._connections)
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class CutoffMixin:
    """Registers the connection with the thread's active `Cutoff` before it sends and before it reads."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self) -> Any:
        _register(self)
        return super().getresponse()  # type: ignore[misc]


def _register(connection: Any) -> None:
    cutoff: Cutoff | None = getattr(_current, "cutoff", None)
    if cutoff is not None:
        cutoff.register(connection)
