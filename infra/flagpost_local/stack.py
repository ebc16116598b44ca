"""The whole Flagpost stack on this machine: moto, the template's resources, the HTTP API and event sources."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3

from flagpost import config, lazy
from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.principals import DynamoPrincipalStore
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost_local import emulator
from flagpost_local.event_sources import start_event_sources
from flagpost_local.gateway import Gateway, GatewayServer
from flagpost_local.outbox import Outbox
from flagpost_local.provision import Stack, provision
from flagpost_local.runtime import ProcessRuntime, merged_environment
from flagpost_local.template import Template

DEFAULT_REGION = "eu-west-1"
# The operator named as the notifier in every notice, and the (emulated) SES identity notices come from.
LOCAL_PARAMETERS = {"Stage": "local", "OperatorName": "Flagpost (local)", "OperatorEmail": "notices@flagpost.example"}

# The demo cast `flagpost local` creates: enough to walk through every role.
DEMO_PRINCIPALS: list[dict[str, Any]] = [
    {"role": Role.ADMIN, "name": "Local admin"},
    {"role": Role.FLAGGER, "name": "Demo referral unit"},
    {"role": Role.FLAGGER, "name": "Demo NGO"},
    {"role": Role.REVIEWER, "name": "Reviewer A"},
    {"role": Role.REVIEWER, "name": "Reviewer B"},
    {
        "role": Role.PLATFORM,
        "name": "Demo Telegram",
        "domains": ["t.me", "telegram.me", "telegram.dog", "telegram.org"],
        "platform_ids": ["telegram"],
    },
    {
        "role": Role.PLATFORM,
        "name": "Demo YouTube",
        "domains": ["youtube.com", "youtu.be", "youtube-nocookie.com"],
        "platform_ids": ["youtube"],
        # Its notices arrive by e-mail too: `flagpost local` writes each to the outbox folder.
        "email": ["abuse@youtube.example"],
    },
]


def default_template_path() -> Path:
    """./template.yaml when run from a checkout, else the one beside the installed package's source."""
    here = Path.cwd() / "template.yaml"
    if here.exists():
        return here
    return Path(__file__).resolve().parents[3] / "template.yaml"


def local_aws_environment(region: str, endpoint_url: str | None = None) -> dict[str, str]:
    """What every process needs to talk to the emulator instead of AWS; no real credential is ever used."""
    endpoint = {"AWS_ENDPOINT_URL": endpoint_url} if endpoint_url else {}
    return {
        **endpoint,
        "AWS_ACCESS_KEY_ID": "flagpost-local",
        "AWS_SECRET_ACCESS_KEY": "flagpost-local",
        "AWS_SESSION_TOKEN": "flagpost-local",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


@dataclass
class LocalStack:
    template_path: Path = field(default_factory=default_template_path)
    host: str = "127.0.0.1"
    port: int = 8787
    region: str = DEFAULT_REGION
    log_stream: TextIO | None = None
    demo: bool = True
    # Where every e-mail the emulator's SES sends is also written as an .eml file (None: nowhere).
    outbox: Path | None = None

    template: Template = field(init=False)
    stack: Stack = field(init=False)
    runtime: ProcessRuntime = field(init=False)
    credentials: dict[str, Any] = field(init=False, default_factory=dict)
    _moto: Any = field(init=False, default=None)
    _server: GatewayServer | None = field(init=False, default=None)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _threads: list[threading.Thread] = field(init=False, default_factory=list)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return self._server.url

    def start(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        emulator.install()
        # The emulator's access log would bury the one line per invocation the runtime writes.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ.update(local_aws_environment(self.region, endpoint))

        self.template = Template.load(self.template_path)
        session = boto3.session.Session(region_name=self.region)
        self.stack = provision(self.template, session, parameters=LOCAL_PARAMETERS)
        # Only the local stack may push to http://127.0.0.1 endpoints.
        local_only = {"FLAGPOST_ALLOW_LOOPBACK_ENDPOINTS": "true"}
        function_env = {name: {**env, **local_only} for name, env in self.stack.function_env.items()}
        # This process itself only needs the settings every function shares (to seed principals).
        shared = merged_environment(
            {n: {k: v for k, v in e.items() if k.startswith("FLAGPOST_")} for n, e in function_env.items()}
        )
        os.environ.update(shared)
        lazy.reset()

        self.runtime = ProcessRuntime(self.template, self.region, function_env, log_stream=self.log_stream)
        self.runtime.warm()
        self._server = GatewayServer(Gateway(self.template, self.runtime), self.host, self.port)
        if self.demo:
            self.credentials = self.create_demo_principals()
        self.credentials["api"] = self.url
        self._threads.extend(start_event_sources(self.template, self.stack, self.runtime, session, self._stop))
        if self.outbox is not None:
            outbox = Outbox(self.outbox, self.region)
            writer = threading.Thread(target=outbox.run, args=(self._stop,), name="outbox", daemon=True)
            writer.start()
            self._threads.append(writer)
        serve = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        serve.start()
        self._threads.append(serve)
        return self

    def create_demo_principals(self) -> dict[str, Any]:
        settings = config.settings()
        store = DynamoPrincipalStore(Table(settings.principals_table), settings.kms_key_id)
        out: dict[str, Any] = {"admin": None, "flaggers": [], "reviewers": [], "platforms": []}
        for demo in DEMO_PRINCIPALS:
            issued = store.create(
                demo["role"],
                demo["name"],
                domains=demo.get("domains"),
                platform_ids=demo.get("platform_ids"),
                email=demo.get("email"),
            )
            entry = _credential_entry(issued)
            if demo["role"] is Role.ADMIN:
                out["admin"] = entry
            else:
                out[f"{demo['role'].value}s"].append(entry)
        return out

    def stop(self, grace_s: float = 1.0) -> None:
        """Stop promptly however long the backlog: every poller checks the stop event between batches;
        invocations already running get `grace_s` (for all of them together) before their workers are
        killed, and pollers waiting for work are not waited for at all. Nothing is lost that would
        survive: the emulator keeps its state in memory only."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        deadline = time.monotonic() + grace_s
        for thread in self._threads:
            if getattr(thread, "waiting", False):
                continue
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if hasattr(self, "runtime"):
            self.runtime.close()  # ends any invocation still running
        if self._moto is not None:
            self._moto.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _credential_entry(issued: IssuedCredentials) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": issued.principal.id, "name": issued.principal.name, "api_key": issued.api_key}
    if issued.secret:
        entry["secret"] = issued.secret
    if issued.principal.domains:
        entry["domains"] = issued.principal.domains
    if issued.principal.email:
        entry["email"] = issued.principal.email
    return entry
