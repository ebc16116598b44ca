"""The yearly report's timings: how far the sketch's medians and p90s lie from the exact ones, and how
long building the report takes.

A year of notices to 40 providers, each step's duration drawn from a log-normal spread (seconds to
weeks), is counted the way the stream counts step records (`flagpost.domain.aggregates.deltas`); the
report's median and p90 of every provider and step are compared with the exact nearest-rank ones.
Pure and in memory: no stack.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from flagpost.domain.aggregates import deltas
from flagpost.domain.models.times import iso
from flagpost.domain.models.year_report import year_report
from flagpost.domain.steps import step_record

# The sketch's bound (1%, reached only at a bucket's edge) and four significant digits (0.05%).
GOAL = 0.0105
START = datetime(2026, 1, 1, tzinfo=UTC)


def _nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def measure(quick: bool) -> dict[str, Any]:
    rng = random.Random(22)
    providers, notices = (10, 2_000) if quick else (40, 40_000)
    counters: Counter[str] = Counter()
    exact: dict[tuple[str, str], list[float]] = {}
    for n in range(notices):
        platform = f"pla_{n % providers}"
        received = START + timedelta(seconds=rng.uniform(0, 300 * 86400))
        item = {"item_id": f"itm_{n}", "first_seen_at": iso(received), "category": "incitement"}
        took = {"claimed": rng.lognormvariate(7, 1.2)}
        took["dispatched"] = took["claimed"] + rng.lognormvariate(6, 1.0)
        took["acknowledged"] = took["dispatched"] + rng.lognormvariate(8, 2.0)
        for step, seconds in took.items():
            exact.setdefault((platform, step), []).append(seconds)
        at = {step: iso(received + timedelta(seconds=s)) for step, s in took.items()}
        counters.update(
            deltas(
                None, step_record(item, platform, "dispatched", at["dispatched"], earlier={"claimed": at["claimed"]})
            )
        )
        counters.update(deltas(None, step_record(item, platform, "acknowledged", at["acknowledged"])))
    names = {f"pla_{p}": f"Provider {p}" for p in range(providers)}
    started = time.perf_counter()
    report = year_report(dict(counters), 2026, names)
    build_ms = (time.perf_counter() - started) * 1000
    worst = 0.0
    for (platform, step), values in exact.items():
        got = report.providers[names[platform]].steps[step]
        for fraction, value in ((0.5, got.median_s), (0.9, got.p90_s)):
            true = _nearest_rank(values, fraction)
            worst = max(worst, abs((value or 0) - true) / true)
    return {"notices": notices, "providers": providers, "worst": worst, "build_ms": build_ms}


def run(quick: bool = False) -> list[dict[str, Any]]:
    r = measure(quick)
    return [
        {
            "benchmark": "report",
            "figure": f"worst error of a step's median or p90 ({r['notices']} notices, {r['providers']} providers)",
            "value": round(r["worst"] * 100, 3),
            "unit": "%",
            "goal": f"<= {GOAL * 100:g} %",
            "met": r["worst"] <= GOAL,
        },
        {
            "benchmark": "report",
            "figure": "building the yearly report from the counters",
            "value": r["build_ms"],
            "unit": "ms",
            "goal": "",
            "met": None,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
