"""Ingest benchmark: AWS round trips per 100-report webhook, and the ingest handler's cold start.

Round trips are counted with a botocore `before-call` hook (one per API call; the SDK's retries are
not counted) on every client the handler builds, in the in-process stack on moto
(`flagpost_local.harness`), going through the real route and template. The first submission warms the
auth cache (whose clock stands still meanwhile); the figures are for the submissions after it, as a warm
Lambda sees them, and for the cold first one.

Cold start: a fresh interpreter importing and initialising functions/ingest/handler.py, against a
fresh interpreter running `import boto3`, alternated in the same run; the ratio of the medians of
their CPU times is the figure.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class Counter:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model: Any, **kwargs: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}.{model.name}")


def _submit(stack: Any, flagger: Any, reports: list[dict[str, Any]]) -> dict[str, Any]:
    from flagpost.domain.webhooks import sign

    body = json.dumps({"reports": reports}).encode()
    reply = stack.http(
        "POST",
        f"/v1/flaggers/{flagger.principal.id}/reports",
        body=body,
        headers={"content-type": "application/json", **sign(body, flagger.secret, f"bench_{uuid.uuid4().hex}")},
    )
    assert reply.status == 202, reply.body
    return dict(reply.json())


def round_trips() -> dict[str, Any]:
    from flagpost import lazy
    from flagpost.adapters import aws
    from flagpost.domain.models.principal import Role
    from flagpost_local.harness import in_process_stack
    from flagpost_local.template import Template

    with in_process_stack(Template.load(REPO / "template.yaml")) as stack:
        flagger = stack.principals().create(Role.FLAGGER, "bench")
        counter = Counter()
        # Clients copy the session's handlers when built: count from fresh ones, as a new process would.
        lazy.reset()
        aws._session().events.register("before-call", counter)
        # As a warm Lambda within the auth cache's window sees it: the cache's clock stands still here,
        # since a busy machine may take longer than the window between two submissions.
        from flagpost.wiring import principal_store

        warm_at = time.time()
        principal_store()._clock = lambda: warm_at

        def reports(tag: str) -> list[dict[str, Any]]:
            return [
                {"url": f"https://example.org/{tag}/{i}", "category": "incitement", "description": "bench"}
                for i in range(100)
            ]

        counter.calls.clear()
        _submit(stack, flagger, reports("cold"))
        cold = list(counter.calls)
        counter.calls.clear()
        new = _submit(stack, flagger, reports("new"))
        warm_new = list(counter.calls)
        counter.calls.clear()
        dup = _submit(stack, flagger, reports("new"))
        warm_dup = list(counter.calls)
    assert {r["status"] for r in new["results"]} == {"new"}
    assert {r["status"] for r in dup["results"]} == {"duplicate"}
    return {"cold": cold, "new": warm_new, "duplicate": warm_dup}


COLD_HANDLER = """
import importlib.util
spec = importlib.util.spec_from_file_location("handler", "functions/ingest/handler.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def _time_process(code: str, env: dict[str, str]) -> float:
    """The CPU time (user + system) a fresh interpreter spends running `code`.

    CPU time, not wall time: on a busy machine (CI, two cores shared with other jobs) wall time
    measures the queue for a core; the CPU an initialisation needs is what Lambda bills and what
    does not change with the neighbours.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cold_start(runs: int) -> tuple[float, float]:
    # As deployed: the template's environment, outside Lambda (so the tracer patches but never sends).
    env = {**os.environ, "POWERTOOLS_SERVICE_NAME": "flagpost", "FLAGPOST_ITEMS_TABLE": "t"}
    boto3_times: list[float] = []
    handler_times: list[float] = []
    for _ in range(runs):
        boto3_times.append(_time_process("import boto3", env))
        handler_times.append(_time_process(COLD_HANDLER, env))
    return statistics.median(boto3_times), statistics.median(handler_times)


def run(quick: bool = False) -> list[dict[str, Any]]:
    trips = round_trips()
    rows: list[dict[str, Any]] = []
    for name in ("new", "duplicate"):
        count = len(trips[name])
        rows.append(
            {
                "benchmark": "ingest",
                "figure": f"AWS round trips per 100-report webhook ({name})",
                "value": count,
                "unit": "calls",
                "goal": "<= 10",
                "met": count <= 10,
                "detail": trips[name],
            }
        )
    rows.append(
        {
            "benchmark": "ingest",
            "figure": "AWS round trips, first webhook of a cold process (new)",
            "value": len(trips["cold"]),
            "unit": "calls",
            "goal": "",
            "met": None,
            "detail": trips["cold"],
        }
    )
    boto3_s, handler_s = cold_start(3 if quick else 9)
    ratio = handler_s / boto3_s
    rows.append({"benchmark": "ingest", "figure": "cold start: import boto3 (median)", "value": boto3_s * 1000,
                 "unit": "ms", "goal": "", "met": None})  # fmt: skip
    rows.append({"benchmark": "ingest", "figure": "cold start: ingest handler init (median)",
                 "value": handler_s * 1000, "unit": "ms", "goal": "", "met": None})  # fmt: skip
    rows.append({"benchmark": "ingest", "figure": "cold start: handler / import boto3", "value": ratio, "unit": "x",
                 "goal": "<= 1.5", "met": ratio <= 1.5})  # fmt: skip
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
