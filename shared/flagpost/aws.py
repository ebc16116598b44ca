"""Lazily built, cached boto3 clients: nothing touches AWS at import time, and tests can reset them."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()

# Lambda's own network is fast; a stuck call should fail fast enough to be retried within the
# function's timeout. Standard retry mode backs off with jitter on throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 4})


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def _client(service: str) -> Any:
    return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def client(service: str) -> Any:
    """The process-wide client for `service` (boto3 clients are thread-safe; sessions are not)."""
    with _lock:
        return _client(service)


def reset_clients() -> None:
    """Forget every client, so that the next call builds one against the current environment."""
    with _lock:
        _client.cache_clear()
        _session.cache_clear()
