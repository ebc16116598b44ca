"""The reviewer desk against the backlog's depth: p95 of every call the console makes (claim, decision,
queue counts, item detail, item list) with 10,000 pending items divided by p95 with 10, on moto
in-process, through the HTTP routes.

One stack, one run: seed 10 pending items, time rounds of the console's flow (claim, detail, counts,
list, decision), grow the queue to 10,000 through batch writes (with its `queue#default` counter, as
the statistics stream would count them), time again. Each round's decision removes an item; an
untimed batch write adds one back, so the queue keeps its length.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GOAL = 1.5
SMALL, LARGE = 10, 10_000
CALLS = ("claim", "decision", "queue counts", "item detail", "item list")


def _bench_review() -> Any:
    path = Path(__file__).with_name("bench_review.py")
    spec = importlib.util.spec_from_file_location("flagpost_bench_review_seed", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def _rounds(stack: Any, headers: dict[str, str], rounds: int, refill: Callable[[int], None]) -> dict[str, float]:
    samples: dict[str, list[float]] = {call: [] for call in CALLS}

    def timed(call: str, method: str, path: str, body: Any = None) -> Any:
        started = time.perf_counter()
        reply = stack.http(method, path, json_body=body, headers=headers)
        samples[call].append(time.perf_counter() - started)
        assert reply.status == 200, (call, reply.status, reply.body)
        return reply.json()

    for n in range(rounds):
        claimed = timed("claim", "POST", "/v1/review/claim", {})
        item_id, lease_id = claimed["item"]["item_id"], claimed["lease"]["lease_id"]
        timed("item detail", "GET", f"/v1/review/items/{item_id}")
        timed("queue counts", "GET", "/v1/review/queue")
        # A page of SMALL items: both phases then answer full pages of the same size (with 10 pending,
        # a page of 50 would hold 10 items, and the cost measured would be the answer's size).
        timed("item list", "GET", f"/v1/review/items?status=pending&limit={SMALL}")
        decision = {"lease_id": lease_id, "decision": "reject", "reason": "out_of_scope"}
        timed("decision", "POST", f"/v1/review/items/{item_id}/decision", decision)
        refill(n)
    return {call: _p95(values) for call, values in samples.items()}


def measure(quick: bool = False) -> dict[str, Any]:
    from flagpost.domain.models.principal import Role
    from flagpost.wiring import stats_store
    from flagpost_local.harness import in_process_stack
    from flagpost_local.template import Template

    seed = _bench_review()._seed
    large = 1_000 if quick else LARGE
    rounds = 12 if quick else 60
    next_n = [10 * LARGE]

    with contextlib.redirect_stdout(io.StringIO()), in_process_stack(Template.load(REPO / "template.yaml")) as stack:
        reviewer = stack.principals().create(Role.REVIEWER, "Bench reviewer")
        headers = {"authorization": f"Bearer {reviewer.api_key}"}
        counters = stats_store()

        def grow(count: int, start: int) -> None:
            seed(stack, start, count)
            counters.add("queue#default", count)

        def refill(_: int) -> None:
            next_n[0] += 1
            grow(1, next_n[0])

        grow(SMALL, 0)
        _rounds(stack, headers, 3, refill)  # warm the handlers and the key cache
        # The emulator keeps the whole table as Python objects in this process: a full garbage
        # collection walks all of them, and its pauses (which a p95 catches) grow with the table, not
        # with anything DynamoDB does. Both phases freeze what exists before they are timed.
        gc.collect()
        gc.freeze()
        small = _rounds(stack, headers, rounds, refill)
        started = time.perf_counter()
        grow(large - SMALL, SMALL)
        seed_s = time.perf_counter() - started
        gc.collect()
        gc.freeze()
        big = _rounds(stack, headers, rounds, refill)
        gc.unfreeze()
        counts = stack.http("GET", "/v1/review/queue", headers=headers).json()
    return {"small": small, "large": big, "n_large": large, "rounds": rounds, "seed_s": seed_s, "counts": counts}


def run(quick: bool = False) -> list[dict[str, Any]]:
    result = measure(quick)
    rows: list[dict[str, Any]] = []
    for call in CALLS:
        small, large = result["small"][call], result["large"][call]
        ratio = large / small
        rows.append(
            {
                "benchmark": "desk",
                "figure": f"{call} p95: {large:.1f} ms at {result['n_large']:,} pending / {small:.1f} ms at {SMALL}",
                "value": ratio,
                "unit": "x",
                "goal": f"<= {GOAL}",
                "met": ratio <= GOAL,
            }
        )
    return rows


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
