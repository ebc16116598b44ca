"""A 100-report webhook costs a handful of AWS calls, whether its targets are new or duplicates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_round_trips_per_100_report_webhook_stay_at_or_under_ten() -> None:
    spec = importlib.util.spec_from_file_location("bench_ingest", REPO / "tests" / "bench" / "bench_ingest.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    trips = bench.round_trips()
    assert len(trips["new"]) <= 10, trips["new"]
    assert len(trips["duplicate"]) <= 10, trips["duplicate"]
    # Reports land in transactions of up to 100 actions, never one call per report (4 for 100 new
    # targets), plus the rate window's charge (its counter and the webhook's marker).
    assert trips["new"].count("dynamodb.TransactWriteItems") <= 5
    assert "dynamodb.PutItem" not in trips["new"][2:], "no per-report writes after the idempotency record"
