"""The local stack in-process and socket-free, on moto's `mock_aws`: for integration tests and benchmarks."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from flagpost import config, lazy
from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.principals import DynamoPrincipalStore
from flagpost_local import emulator, event_sources
from flagpost_local.gateway import Gateway, HttpResponse
from flagpost_local.provision import Stack, provision
from flagpost_local.runtime import FunctionRuntime, merged_environment
from flagpost_local.stack import DEFAULT_REGION, LOCAL_PARAMETERS, local_aws_environment
from flagpost_local.template import Template


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @classmethod
    def of(cls, response: HttpResponse) -> Reply:
        return cls(response.status, {k.lower(): v for k, v in response.headers}, response.body)


@dataclass
class InProcessStack:
    """The stack as `flagpost local` builds it, minus the sockets: requests go straight to the gateway."""

    template: Template
    stack: Stack
    session: boto3.session.Session
    runtime: FunctionRuntime
    gateway: Gateway
    logs: io.StringIO = field(default_factory=io.StringIO)
    _pollers: list[Any] | None = None

    def http(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("content-type", "application/json")
        return Reply.of(self.gateway.handle(method, path, list(hdrs.items()), body or b"", "127.0.0.1"))

    def pump(self, rounds: int = 50) -> int:
        """Run the template's event sources (SQS, streams) synchronously until they are idle.

        The same pollers `flagpost local` runs in threads, driven step by step so that tests are
        deterministic. Returns how many batches were delivered.
        """
        if self._pollers is None:
            self._pollers = event_sources.build_pollers(
                self.template,
                self.stack,
                self.runtime,
                self.session,
                threading.Event(),
                pollers_per_queue=1,
                wait_time_s=0,
            )
        delivered = 0
        for _ in range(rounds):
            worked = [poller.poll_once() for poller in self._pollers]
            delivered += sum(worked)
            if not any(worked):
                break
        return delivered

    def fire_schedules(self) -> dict[str, Any]:
        """Run every scheduled function once now, as EventBridge would; logical id -> what it returned."""
        stop = threading.Event()
        return {
            poller.function: poller.fire()
            for poller in event_sources.build_schedules(self.template, self.runtime, stop)
        }

    def client(self, service: str) -> Any:
        return self.session.client(service)  # type: ignore[call-overload]

    def principals(self) -> DynamoPrincipalStore:
        settings = config.settings()
        return DynamoPrincipalStore(Table(settings.principals_table), settings.kms_key_id)


@contextmanager
def _environment(values: dict[str, str], remove: tuple[str, ...]) -> Iterator[None]:
    saved = dict(os.environ)
    for key in remove:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def in_process_stack(template: Template, region: str = DEFAULT_REGION) -> Iterator[InProcessStack]:
    """Provision the template in `mock_aws` and route requests to its handlers; restores the environment."""
    from moto import mock_aws

    emulator.install()
    with _environment(local_aws_environment(region), remove=("AWS_ENDPOINT_URL", "AWS_PROFILE")), mock_aws():
        lazy.reset()
        session = boto3.session.Session(region_name=region)
        stack = provision(template, session, parameters=LOCAL_PARAMETERS)
        os.environ.update(merged_environment(stack.function_env))
        os.environ["FLAGPOST_ALLOW_LOOPBACK_ENDPOINTS"] = "true"
        lazy.reset()
        logs = io.StringIO()
        runtime = FunctionRuntime(template, region, log_stream=logs)
        try:
            yield InProcessStack(template, stack, session, runtime, Gateway(template, runtime), logs)
        finally:
            lazy.reset()
