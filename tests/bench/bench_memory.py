"""Peak memory of each function's handler on a 100-report batch, against the MemorySize template.yaml gives it.

Every function of template.yaml runs in a fresh interpreter of its own, as a Lambda execution
environment would: the child imports only the handler module (and what it imports), so import cost
counts, and invokes it with events the parent sends it. The emulator (a ThreadedMotoServer with the
template's resources, in this benchmark's process) and everything that builds events stay out of the
child: what the child holds is the function, its libraries and its data.

The figure is the child's peak resident set size (VmHWM from /proc/self/status: physical memory of the
whole process, interpreter included; Lambda's "Max Memory Used" is this kind of figure) after its
scenario, with its resident size right after init beside it. tracemalloc is not used: it would add its
own bookkeeping to the very figure measured. Goal: peak < MemorySize / 2.

Scenarios, in pipeline order, so that each function sees data the previous ones really produced:
- MetaFunction: GET /v1/health and GET /v1/openapi.json (the whole API document).
- ConsoleFunction: GET /console.
- AdminFunction: create a principal, list principals, GET /v1/stats.
- IngestFunction: one signed webhook of 100 reports (100 new targets) close to the 256 KiB body limit,
  cold (auth cache empty).
- DispatchFunction: the items stream in batches of 100 records (the template's BatchSize) - the 400
  records of that webhook, then the records of the review decisions below - in one warm environment.
- a function with a Schedule event (MonitorFunction): one scheduled run, with those 100 items waiting.
- ReviewFunction: claim + confirm, N times in one warm environment (N = 100; 10 with --quick).
- FeedFunction: GET /v1/feed?limit=100: one page with the N confirmed items.
- ForwardFunction: the forward queue in SQS batches of the template's BatchSize: N signed pushes to a
  platform endpoint on 127.0.0.1 (flagpost_local.receiver).
A function of the template without a scenario here is measured after init only, and says so.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import pickle
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
REPORTS = 100
# Descriptions long enough that the webhook is close to the 256 KiB limit: the largest batch ingest takes.
DESCRIPTION_PAD = 2200
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

# The child: a bare interpreter that loads the handler as Lambda does and answers events over a pipe.
CHILD = r"""
import importlib.util, os, pickle, sys, time, traceback

replies = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # whatever the handler prints (logs, metrics) goes to stderr, not into the protocol
requests = sys.stdin.buffer


def memory():
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])  # kB
    return found


class Context:
    def __init__(self, fields):
        self.__dict__.update(fields)
        self._deadline = time.monotonic() + fields["timeout_s"]

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


path, name, attribute = sys.argv[1:4]
spec = importlib.util.spec_from_file_location(name, path)
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)
handler = getattr(module, attribute)
pickle.dump(("ready", memory()), replies)
replies.flush()
while True:
    message = pickle.load(requests)
    if message is None:
        break
    event, fields = message
    try:
        reply = ("ok", handler(event, Context(fields)))
    except BaseException as exc:
        reply = ("error", type(exc).__name__, str(exc), traceback.format_exc())
    pickle.dump(reply, replies)
    replies.flush()
pickle.dump(("done", memory()), replies)
replies.flush()
"""


class ChildError(RuntimeError):
    pass


class Child:
    """One function's execution environment: a child interpreter with the handler loaded."""

    # Plain classes, no dataclasses: run.py loads this file without registering it in sys.modules.
    def __init__(self, process: subprocess.Popen[bytes], log: IO[bytes], init_kb: dict[str, int]) -> None:
        self.process = process
        self.log = log
        self.init_kb = init_kb
        self.invocations = 0

    def call(self, event: dict[str, Any], fields: dict[str, Any]) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        pickle.dump((event, fields), self.process.stdin)
        self.process.stdin.flush()
        reply = pickle.load(self.process.stdout)
        self.invocations += 1
        if reply[0] == "ok":
            return reply[1]
        raise ChildError(f"{reply[1]}: {reply[2]}\n{reply[3]}")

    def finish(self) -> dict[str, int]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        pickle.dump(None, self.process.stdin)
        self.process.stdin.flush()
        kind, memory = pickle.load(self.process.stdout)
        assert kind == "done", kind
        self.process.wait(timeout=30)
        self.log.close()
        return dict(memory)


def _runtime_class() -> Any:
    from flagpost_local.runtime import BaseRuntime, LambdaContext
    from flagpost_local.template import FunctionSpec, Template

    class ChildRuntime(BaseRuntime):
        """The local stack's runtime interface, each function in a measured child (started on demand)."""

        def __init__(self, template: Template, region: str, env: dict[str, dict[str, str]], logs: Path) -> None:
            super().__init__(template, region, log_stream=io.StringIO())
            self.env = env
            self.logs = logs
            self.children: dict[str, Child] = {}

        def start(self, logical_id: str) -> Child:
            spec = self.template.function(logical_id)
            log = (self.logs / f"{logical_id}.log").open("wb")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str((self.template.root / spec.handler_file).resolve()),
                    f"flagpost_function_{logical_id}",
                    spec.handler_function,
                ],
                cwd=self.template.root / spec.code_uri,
                env=self.env[logical_id],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
            assert process.stdout is not None
            try:
                kind, memory = pickle.load(process.stdout)
            except EOFError:
                process.wait()
                raise ChildError(f"{logical_id} did not start; see {log.name}") from None
            assert kind == "ready", kind
            child = Child(process, log, memory)
            self.children[logical_id] = child
            return child

        def _call(self, spec: FunctionSpec, event: dict[str, Any], context: LambdaContext) -> Any:
            fields = {k: v for k, v in asdict(context).items() if not k.startswith("_")}
            return self.children[spec.logical_id].call(event, fields)

        def finish(self, logical_id: str) -> tuple[Child, dict[str, int]]:
            child = self.children.pop(logical_id)
            return child, child.finish()

        def close(self) -> None:
            for child in self.children.values():
                child.process.kill()
                child.process.wait()
                child.log.close()
            self.children.clear()

    return ChildRuntime


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Scene:
    """What the parent holds while the children run: the emulator's resources, principals, a gateway."""

    def __init__(
        self, stack: Any, gateway: Any, runtime: Any, session: Any, keys: dict[str, str], flagger: Any, receiver: Any
    ) -> None:
        self.stack = stack
        self.gateway = gateway
        self.runtime = runtime
        self.session = session
        self.keys = keys
        self.flagger = flagger
        self.receiver = receiver
        self.results: dict[str, dict[str, Any]] = {}

    def http(self, method: str, path: str, key: str | None = None, body: Any = None) -> Any:
        headers = [("content-type", "application/json")]
        if key:
            headers.append(("authorization", f"Bearer {key}"))
        data = json.dumps(body).encode() if body is not None else b""
        reply = self.gateway.handle(method, path, headers, data, "127.0.0.1")
        assert reply.status < 300, (method, path, reply.status, reply.body[:500])
        return json.loads(reply.body) if reply.body else None

    def record(self, logical_id: str, what: str) -> None:
        child, peak = self.runtime.finish(logical_id)
        self.results[logical_id] = {
            "what": what,
            "invocations": child.invocations,
            "init_rss_mb": child.init_kb["VmRSS"] / 1024,
            "peak_rss_mb": peak["VmHWM"] / 1024,
        }


def _drain(poller: Any) -> int:
    batches = 0
    while poller.poll_once():
        batches += 1
    return batches


def _pollers(scene: Scene, logical_id: str) -> list[Any]:
    from botocore.config import Config

    from flagpost_local.event_sources import QueuePoller, StreamPoller

    spec = scene.runtime.template.function(logical_id)
    stop = threading.Event()
    pollers: list[Any] = []
    for source in spec.streams:
        arn = scene.stack.event_source_arns[(logical_id, source.name)]
        client = scene.session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        pollers.append(StreamPoller(scene.runtime, logical_id, source, arn, client, stop))
    for source in spec.queues:
        arn = scene.stack.event_source_arns[(logical_id, source.name)]
        pollers.append(QueuePoller(scene.runtime, logical_id, source, arn, scene.session.client("sqs"), stop, 0))
    return pollers


def _scenarios(scene: Scene, decisions: int) -> None:
    from flagpost.domain.models.report import MAX_SUBMISSION_BYTES
    from flagpost.domain.webhooks import sign
    from flagpost_local.event_sources import scheduled_event
    from flagpost_local.runtime import ACCOUNT_ID

    keys = scene.keys
    known = {spec.logical_id for spec in scene.runtime.template.functions}

    if "MetaFunction" in known:
        scene.runtime.start("MetaFunction")
        scene.http("GET", "/v1/health")
        scene.http("GET", "/v1/openapi.json")
        scene.record("MetaFunction", "GET /v1/health, GET /v1/openapi.json")

    if "ConsoleFunction" in known:
        scene.runtime.start("ConsoleFunction")
        reply = scene.gateway.handle("GET", "/console", [], b"", "127.0.0.1")
        assert reply.status == 200, reply.status
        scene.record("ConsoleFunction", "GET /console")

    if "AdminFunction" in known:
        scene.runtime.start("AdminFunction")
        scene.http("POST", "/v1/admin/principals", keys["admin"], {"role": "reviewer", "name": "Bench reviewer 2"})
        scene.http("GET", "/v1/admin/principals", keys["admin"])
        scene.http("GET", "/v1/stats", keys["admin"])
        scene.record("AdminFunction", "create + list principals, GET /v1/stats")

    reports = [
        {
            "url": f"https://t.me/benchmem/{i + 1}",
            "category": "recruitment",
            "description": "recruitment video with a call to join; benchmark report " + "x" * DESCRIPTION_PAD,
            "external_id": f"mem-{i}",
            "language": "en",
            "evidence": {"archive_url": f"https://archive.example/mem/{i}", "sha256": "a" * 64},
        }
        for i in range(REPORTS)
    ]
    body = json.dumps({"reports": reports}).encode()
    assert 0.9 * MAX_SUBMISSION_BYTES < len(body) <= MAX_SUBMISSION_BYTES, len(body)
    scene.runtime.start("IngestFunction")
    reply = scene.gateway.handle(
        "POST",
        f"/v1/flaggers/{scene.flagger.principal.id}/reports",
        [("content-type", "application/json"), *sign(body, scene.flagger.secret, f"mem_{uuid.uuid4().hex}").items()],
        body,
        "127.0.0.1",
    )
    assert reply.status == 202, reply.body[:500]
    assert [r["status"] for r in json.loads(reply.body)["results"]] == ["new"] * REPORTS
    scene.record("IngestFunction", f"one signed webhook of 100 new reports, {len(body) // 1024} KiB, cold")

    # Scheduled functions (the monitor): one run, with the webhook's 100 items waiting for review.
    for spec in scene.runtime.template.functions:
        schedules = getattr(spec, "schedules", ())
        if spec.logical_id in scene.results or not schedules:
            continue
        scene.runtime.start(spec.logical_id)
        rule = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{spec.logical_id}-{schedules[0].name}"
        scene.runtime.invoke(spec.logical_id, scheduled_event(rule, REGION, ACCOUNT_ID))
        scene.record(spec.logical_id, f"one scheduled run, {REPORTS} items waiting")

    dispatch = _pollers(scene, "DispatchFunction") if "DispatchFunction" in known else []
    if dispatch:
        scene.runtime.start("DispatchFunction")
        for poller in dispatch:
            _drain(poller)

    scene.runtime.start("ReviewFunction")
    for _ in range(decisions):
        claimed = scene.http("POST", "/v1/review/claim", keys["reviewer"], {})
        item_id = claimed["item"]["item_id"]
        decision = {"lease_id": claimed["lease"]["lease_id"], "decision": "confirm", "note": "benchmark"}
        scene.http("POST", f"/v1/review/items/{item_id}/decision", keys["reviewer"], decision)
    scene.record("ReviewFunction", f"{decisions} x (claim + confirm)")

    if dispatch:
        for poller in dispatch:
            _drain(poller)
        invocations = scene.runtime.children["DispatchFunction"].invocations
        scene.record("DispatchFunction", f"items stream, {invocations} batches of <= 100 records")

    if "FeedFunction" in known:
        scene.runtime.start("FeedFunction")
        page = scene.http("GET", "/v1/feed?limit=100", keys["platform"])
        assert len(page["entries"]) == min(decisions, 100), len(page["entries"])
        scene.record("FeedFunction", f"GET /v1/feed?limit=100 ({len(page['entries'])} entries)")

    if "ForwardFunction" in known:
        scene.runtime.start("ForwardFunction")
        for poller in _pollers(scene, "ForwardFunction"):
            _drain(poller)
        assert len(scene.receiver.received) == decisions, len(scene.receiver.received)
        scene.record("ForwardFunction", f"forward queue: {decisions} pushes in SQS batches")

    for logical_id in sorted(known - set(scene.results)):
        scene.runtime.start(logical_id)
        scene.record(logical_id, "init only: no scenario in this benchmark")


def measure(quick: bool = False) -> dict[str, dict[str, Any]]:
    import tempfile

    import boto3
    from moto.server import ThreadedMotoServer

    from flagpost import config, lazy
    from flagpost.adapters.dynamo.client import Table
    from flagpost.adapters.dynamo.principals import DynamoPrincipalStore
    from flagpost.domain.models.principal import Role
    from flagpost_local import emulator
    from flagpost_local.gateway import Gateway
    from flagpost_local.provision import provision
    from flagpost_local.receiver import Receiver
    from flagpost_local.runtime import merged_environment
    from flagpost_local.stack import LOCAL_PARAMETERS, local_aws_environment
    from flagpost_local.template import Template

    decisions = 10 if quick else REPORTS
    emulator.install()
    # The emulator's access log would bury the table (as `flagpost local` does, keep its errors only).
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    receiver = Receiver(secret="whsec_" + "A" * 32).start()
    runtime = None
    try:
        host, port = moto.get_host_and_port()
        aws_env = local_aws_environment(REGION, f"http://{host}:{port}")
        with _environment(aws_env), tempfile.TemporaryDirectory(prefix="flagpost-mem-") as logs:
            template = Template.load(REPO / "template.yaml")
            session = boto3.session.Session(region_name=REGION)
            stack = provision(template, session, parameters=LOCAL_PARAMETERS)
            local_only = {"FLAGPOST_ALLOW_LOOPBACK_ENDPOINTS": "true"}
            function_env = {name: {**env, **local_only} for name, env in stack.function_env.items()}
            shared = merged_environment(
                {n: {k: v for k, v in e.items() if k.startswith("FLAGPOST_")} for n, e in function_env.items()}
            )
            os.environ.update(shared)
            lazy.reset()
            settings = config.settings()
            principals = DynamoPrincipalStore(Table(settings.principals_table), settings.kms_key_id)
            admin = principals.create(Role.ADMIN, "Bench admin")
            flagger = principals.create(Role.FLAGGER, "Bench flagger")
            reviewer = principals.create(Role.REVIEWER, "Bench reviewer")
            platform = principals.create(
                Role.PLATFORM, "Bench Telegram", domains=["t.me"], platform_ids=["telegram"], endpoint=receiver.url
            )
            assert platform.secret is not None
            receiver.secret = platform.secret
            # The child's environment: the template's variables, the emulator's endpoint, and tracing and
            # metrics on as deployed. The Lambda variables make the tracer load and patch as it does in
            # Lambda (outside Lambda it runs X-Ray's sampling pollers instead); its segments would go to
            # a daemon on 127.0.0.1:2000 over UDP, where nothing listens.
            base = {k: v for k, v in os.environ.items() if not k.startswith(("FLAGPOST_", "AWS_", "POWERTOOLS_"))}
            off = ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_METRICS_DISABLED")
            deployed = {k: v for k, v in aws_env.items() if k not in off}
            child_env = {
                spec.logical_id: {
                    **base,
                    **deployed,
                    **function_env[spec.logical_id],
                    "LAMBDA_TASK_ROOT": str((template.root / spec.code_uri).resolve()),
                    "_X_AMZN_TRACE_ID": TRACE_HEADER,
                    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
                    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                }
                for spec in template.functions
            }
            runtime = _runtime_class()(template, REGION, child_env, Path(logs))
            scene = Scene(
                stack=stack,
                gateway=Gateway(template, runtime),
                runtime=runtime,
                session=session,
                keys={"admin": admin.api_key, "reviewer": reviewer.api_key, "platform": platform.api_key},
                flagger=flagger,
                receiver=receiver,
            )
            _scenarios(scene, decisions)
            results = scene.results
            memory_mb = {spec.logical_id: spec.memory_mb for spec in template.functions}
    finally:
        if runtime is not None:
            runtime.close()
        receiver.stop()
        moto.stop()
        lazy.reset()
        access_log.setLevel(level)
    for logical_id, result in results.items():
        result["memory_size_mb"] = memory_mb[logical_id]
    return results


def run(quick: bool = False) -> list[dict[str, Any]]:
    results = measure(quick)
    rows = []
    for logical_id, result in sorted(results.items()):
        limit = result["memory_size_mb"] / 2
        rows.append(
            {
                "benchmark": "memory",
                "figure": f"{logical_id} peak RSS ({result['what']}; after init {result['init_rss_mb']:.0f} MB)",
                "value": result["peak_rss_mb"],
                "unit": "MB",
                "goal": f"< {limit:.0f} (MemorySize {result['memory_size_mb']} / 2)",
                "met": result["peak_rss_mb"] < limit,
                "detail": result,
            }
        )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
