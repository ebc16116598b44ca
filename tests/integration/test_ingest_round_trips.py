"""A 100-report webhook costs a handful of AWS calls, whether its targets are new or duplicates."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType


def test_round_trips_per_100_report_webhook_stay_at_or_under_ten(load_script: Callable[[str], ModuleType]) -> None:
    bench = load_script("tests/bench/bench_ingest.py")
    trips = bench.round_trips()
    assert len(trips["new"]) <= 10, trips["new"]
    assert len(trips["duplicate"]) <= 10, trips["duplicate"]
    # Reports land in transactions of up to 100 actions, never one call per report (4 for 100 new
    # targets), plus the rate window's charge (its counter and the webhook's marker).
    assert trips["new"].count("dynamodb.TransactWriteItems") <= 5
    assert "dynamodb.PutItem" not in trips["new"][2:], "no per-report writes after the idempotency record"
