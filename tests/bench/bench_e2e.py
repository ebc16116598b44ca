"""End-to-end ingest throughput through `flagpost local`, with moto's own floor measured in the same run.

E2E: `flagpost local` runs in its own process (as `make run` starts it: the emulator, the gateway, a
worker process per busy function, the event sources). A few client threads, each a flagger of its own
created through the admin API, POST pre-signed 100-report webhooks (Standard Webhooks) over keep-alive
connections. Every reply must be 202 with 100 new results. The clock runs from the first request to the
last 202, and on until the reviewers' queue count (`GET /v1/review/queue`, which reads the index claims
read) shows every new item claimable: a count started after the last 202 that shows them all means
they were claimable then (every write had been acknowledged), so the count's own time is not charged.

Floor: the DynamoDB requests that carry a webhook's reports into the items table - the BatchGetItem
and the TransactWriteItems that `DynamoItemStore.record_reports` issues for 100 new targets, built by
that very code with a recording client - sent straight to the same emulator (the stack's
ThreadedMotoServer, whose endpoint `flagpost local` prints) from as many client threads, into a table
created with the items table's keys, indexes and stream. No gateway, no Lambda worker, no signature,
no idempotency record: what moto alone needs to store the same reports. The floor runs first, on the
idle stack; its table has no event source, so nothing else reacts to its writes.

The figure is e2e reports/s divided by floor reports/s: how much of the emulator's own rate survives
Flagpost's path. Absolute rates on a shared 2-core machine are noise; the ratio is measured side by side.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 4
REPORTS_PER_WEBHOOK = 100
GOAL = 0.5
REGION = "eu-west-1"
QUEUE_TIMEOUT_S = 120


def _reports(tag: str) -> list[dict[str, Any]]:
    return [
        {
            "url": f"https://example.org/bench/{tag}/{i}",
            "category": "incitement",
            "description": "benchmark report: propaganda video with a call to violence",
            "external_id": f"{tag}-{i}",
        }
        for i in range(REPORTS_PER_WEBHOOK)
    ]


class Client:
    """One keep-alive HTTP/1.1 connection to the gateway."""

    def __init__(self, api: str) -> None:
        parts = urlsplit(api)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)

    def close(self) -> None:
        self.connection.close()


def _emulator_endpoint(output: list[str]) -> str:
    for line in output:
        if line.startswith("{") and '"flagpost local is up"' in line:
            endpoint = json.loads(line).get("emulator")
            if endpoint:
                return str(endpoint)
    raise RuntimeError("flagpost local did not print its emulator endpoint")


def _session() -> Any:
    import boto3

    # The emulator accepts any credentials; these are never real ones.
    return boto3.session.Session(
        aws_access_key_id="flagpost-local",
        aws_secret_access_key="flagpost-local",
        aws_session_token="flagpost-local",
        region_name=REGION,
    )


# ------------------------------------------------------------------------------------------------- floor
class _RecordingDynamo:
    """Stands in for the DynamoDB client: records the requests, answers as if no item existed yet."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("batch_get_item", kwargs))
        return {"Responses": {}, "UnprocessedKeys": {}}

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("transact_write_items", kwargs))
        return {}


def _landing_requests(table: str, tag: str) -> list[tuple[str, dict[str, Any]]]:
    """The DynamoDB requests `record_reports` makes to land one 100-report webhook of new targets."""
    from flagpost.adapters.dynamo.client import Table
    from flagpost.adapters.dynamo.items import DynamoItemStore
    from flagpost.domain.deadlines import Deadlines
    from flagpost.domain.ids import Submission
    from flagpost.domain.intake import IncomingReport
    from flagpost.domain.models.report import ReportIn
    from flagpost.domain.normalize import normalize_url

    incoming = []
    for index, raw in enumerate(_reports(tag)):
        report = ReportIn.model_validate(raw)
        assert report.url is not None
        incoming.append(IncomingReport(index=index, report=report, target=normalize_url(report.url)))
    recorder = _RecordingDynamo()
    store = DynamoItemStore(Table(table, client=recorder), deadlines=Deadlines(), text_retention_days=400)
    store.record_reports(Submission("fla_benchfloor", f"floor_{tag}", "0" * 64), incoming)
    return recorder.calls


def _scratch_table(dynamodb: Any, template_table: str) -> str:
    """A new table with the items table's keys, indexes and stream (and nothing reading the stream)."""
    described = dynamodb.describe_table(TableName=template_table)["Table"]
    name = f"bench-floor-{uuid.uuid4().hex[:8]}"
    spec: dict[str, Any] = {
        "TableName": name,
        "KeySchema": described["KeySchema"],
        "AttributeDefinitions": described["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if described.get("GlobalSecondaryIndexes"):
        spec["GlobalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in described["GlobalSecondaryIndexes"]
        ]
    if described.get("StreamSpecification"):
        spec["StreamSpecification"] = described["StreamSpecification"]
    dynamodb.create_table(**spec)
    return name


def _in_threads(jobs: list[Any], work: Any) -> float:
    """Run `work(job)` for every job on CLIENTS threads (job i on thread i % CLIENTS); seconds it took."""
    errors: list[BaseException] = []
    start = threading.Barrier(CLIENTS + 1)

    def worker(mine: list[Any]) -> None:
        start.wait()
        try:
            for job in mine:
                work(job)
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(jobs[n::CLIENTS],)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


def measure_floor(endpoint: str, webhooks: int) -> dict[str, Any]:
    from flagpost_local.provision import DEFAULT_STACK_NAME

    session = _session()
    cfn = session.client("cloudformation", endpoint_url=endpoint)
    items_table = cfn.describe_stack_resource(StackName=DEFAULT_STACK_NAME, LogicalResourceId="ItemsTable")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    setup = session.client("dynamodb", endpoint_url=endpoint)
    table = _scratch_table(setup, items_table)
    batches = [_landing_requests(table, f"floor{n}") for n in range(webhooks)]
    shape = [name for name, _ in batches[0]]
    local = threading.local()

    def land(batch: list[tuple[str, dict[str, Any]]]) -> None:
        if not hasattr(local, "client"):
            local.client = session.client("dynamodb", endpoint_url=endpoint)
        for name, kwargs in batch:
            getattr(local.client, name)(**kwargs)

    # One untimed webhook per thread: connections open, emulator code paths warm.
    _in_threads([_landing_requests(table, f"floorwarm{n}") for n in range(CLIENTS)], land)
    elapsed = _in_threads(batches, land)
    count = setup.describe_table(TableName=table)["Table"].get("ItemCount")
    return {
        "reports": webhooks * REPORTS_PER_WEBHOOK,
        "seconds": elapsed,
        "rate": webhooks * REPORTS_PER_WEBHOOK / elapsed,
        "calls_per_webhook": shape,
        "items_in_table": count,
    }


# --------------------------------------------------------------------------------------------------- e2e
def _create_flaggers(api: str, admin_key: str, count: int) -> list[dict[str, Any]]:
    client = Client(api)
    flaggers = []
    try:
        for n in range(count):
            status, body = client.request(
                "POST",
                "/v1/admin/principals",
                json.dumps({"role": "flagger", "name": f"Bench flagger {n}"}).encode(),
                {"authorization": f"Bearer {admin_key}", "content-type": "application/json"},
            )
            assert status == 201, (status, body)
            flaggers.append(body)
    finally:
        client.close()
    return flaggers


def _signed(flagger: dict[str, Any], tag: str) -> tuple[str, bytes, dict[str, str]]:
    from flagpost.domain.webhooks import sign

    body = json.dumps({"reports": _reports(tag)}).encode()
    headers = {"content-type": "application/json", **sign(body, flagger["secret"], f"bench_{uuid.uuid4().hex}")}
    return f"/v1/flaggers/{flagger['id']}/reports", body, headers


# Moved here from the e2e tests: a wall-clock bound is a benchmark's goal, not a test's assertion.
START_GOAL_S = 30


def _waiting(client: Client, reviewer_key: str) -> int:
    """Items waiting; on a busy machine the stack may answer 503 + Retry-After, which we honour."""
    while True:
        status, body = client.request("GET", "/v1/review/queue", headers={"authorization": f"Bearer {reviewer_key}"})
        if status != 503:
            break
        time.sleep(1.0)  # the stack's Retry-After is 1
    assert status == 200, (status, body)
    return sum(int(q["waiting"]) for q in body["queues"])


def measure_e2e(api: str, credentials: dict[str, Any], webhooks: int) -> dict[str, Any]:
    flaggers = _create_flaggers(api, credentials["admin"]["api_key"], CLIENTS)
    reviewer_key = credentials["reviewers"][0]["api_key"]
    local = threading.local()
    replies: list[int] = []

    def submit(request: tuple[str, bytes, dict[str, str]]) -> None:
        if not hasattr(local, "client"):
            local.client = Client(api)
        path, body, headers = request
        status, reply = local.client.request("POST", path, body, headers)
        assert status == 202, (status, reply)
        assert [r["status"] for r in reply["results"]] == ["new"] * REPORTS_PER_WEBHOOK, reply
        replies.append(status)

    # Warm-up, untimed: one webhook per client at once, so that the stack starts as many ingest
    # environments as there are clients and every flagger's secret is cached, as in a warm Lambda.
    _in_threads([_signed(flaggers[n], f"warm{n}") for n in range(CLIENTS)], submit)
    probe = Client(api)
    try:
        # Queue counts are counters the items stream keeps: wait until the warm-up is counted (the same
        # count three reads in a row) so that it is not mistaken for items of the measured run.
        seen = [-1, -2, -3]
        while len(set(seen[-3:])) > 1:
            time.sleep(1.0)
            seen.append(_waiting(probe, reviewer_key))
        before = seen[-1]
        # Signed up front (the tolerance is 5 minutes), each webhook by the flagger of its thread.
        requests = [_signed(flaggers[n % CLIENTS], f"e2e{n}") for n in range(webhooks)]
        expected = before + webhooks * REPORTS_PER_WEBHOOK
        submitted = _in_threads(requests, submit)
        # Every write was acknowledged before this count starts, so what it sees was already there when
        # the last 202 arrived: if it shows every item claimable, the clock stops at the last 202.
        # Otherwise the clock runs on until the start of a count that does.
        elapsed = submitted
        checked = time.perf_counter()
        deadline = time.monotonic() + QUEUE_TIMEOUT_S
        counts = 0
        while (waiting := _waiting(probe, reviewer_key)) < expected:
            assert time.monotonic() < deadline, f"{waiting} of {expected} items claimable"
            time.sleep(0.05)
            elapsed = submitted + (time.perf_counter() - checked)
            counts += 1
        count_s = time.perf_counter() - checked
    finally:
        probe.close()
    assert len(replies) == webhooks + CLIENTS
    return {
        "reports": webhooks * REPORTS_PER_WEBHOOK,
        "seconds": elapsed,
        "submit_seconds": submitted,
        "rate": webhooks * REPORTS_PER_WEBHOOK / elapsed,
        "claimable": waiting - before,
        "recounts": counts,
        "queue_count_seconds": count_s,
    }


def _stop(stack: Any) -> None:
    """Ctrl-C, as a developer would; the dispatch backlog this run leaves can make that slow, so kill after 30 s."""
    try:
        stack.stop()
    except subprocess.TimeoutExpired:
        stack.process.kill()  # its Lambda workers exit when their pipe to it closes
        stack.process.wait(timeout=30)


def measure(quick: bool = False) -> dict[str, Any]:
    from flagpost_local.process import start_local

    webhooks = 4 if quick else 40
    with tempfile.TemporaryDirectory(prefix="flagpost-bench-") as tmp:
        stack = start_local(Path(tmp), cwd=REPO)
        try:
            endpoint = _emulator_endpoint(stack.output)
            floor = measure_floor(endpoint, webhooks)
            e2e = measure_e2e(stack.api, stack.credentials, webhooks)
        finally:
            _stop(stack)
    return {
        "webhooks": webhooks,
        "clients": CLIENTS,
        "floor": floor,
        "e2e": e2e,
        "ratio": e2e["rate"] / floor["rate"],
        "started_in_s": stack.started_in_s,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    result = measure(quick)
    size = f"{result['webhooks']} x 100 reports, {result['clients']} clients"
    return [
        {
            "benchmark": "e2e",
            "figure": f"flagpost local reports/s, submit -> claimable ({size})",
            "value": result["e2e"]["rate"],
            "unit": "reports/s",
            "goal": "",
            "met": None,
            "detail": result["e2e"],
        },
        {
            "benchmark": "e2e",
            "figure": "moto floor reports/s (BatchGetItem + TransactWriteItems only)",
            "value": result["floor"]["rate"],
            "unit": "reports/s",
            "goal": "",
            "met": None,
            "detail": result["floor"],
        },
        {
            "benchmark": "e2e",
            "figure": "e2e reports/s / moto floor reports/s",
            "value": result["ratio"],
            "unit": "x",
            "goal": f">= {GOAL}",
            "met": result["ratio"] >= GOAL,
        },
        {
            "benchmark": "e2e",
            "figure": "flagpost local: start until it answers (wall time)",
            "value": result["started_in_s"],
            "unit": "s",
            "goal": f"<= {START_GOAL_S}",
            "met": result["started_in_s"] <= START_GOAL_S,
        },
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
