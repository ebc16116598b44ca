"""Lazily built boto3 clients: nothing touches AWS at import time, and `lazy.reset()` forgets them."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from flagpost.lazy import lazy

# Lambda's own network is fast; a stuck call should fail fast enough to be retried within the
# function's timeout. Standard retry mode backs off with jitter on throttling.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 4})


@lazy
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@lazy
def client(service: str) -> Any:
    """The process-wide client for `service` (boto3 clients are thread-safe; sessions are not)."""
    return _session().client(service, config=_CONFIG)  # type: ignore[call-overload]
