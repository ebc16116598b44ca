"""Counting the statistics: a stream batch summed into a few transactions against one transaction per record.

One in-process stack on moto: webhooks of 100 new reports land through the real route, the items
table's stream records are read back, and the same records are counted twice into an emptied stats
table, alternating: `record_changes` (the code: markers per record plus one ADD per distinct counter,
in as few transactions as fit) and `record_change` per record (the former code: a transaction per
record). Both must give the same counters; the row is the speed ratio and the transaction counts.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GOAL = 2.0


def _stream_records(stack: Any) -> list[dict[str, Any]]:
    from botocore.config import Config

    streams = stack.session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    arn = stack.client("dynamodb").describe_table(TableName=stack.stack.physical("ItemsTable"))["Table"][
        "LatestStreamArn"
    ]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        position = iterator["ShardIterator"]
        while position:
            page = streams.get_records(ShardIterator=position, Limit=1000)
            records += page["Records"]
            position = page.get("NextShardIterator") if page["Records"] else None
    return records


def _empty(stack: Any, table: str) -> None:
    client = stack.client("dynamodb")
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


def measure(quick: bool) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel

    from flagpost.adapters.dynamo.client import Table
    from flagpost.adapters.dynamo.stats import StatsStore
    from flagpost.adapters.events.dispatch import change_of
    from flagpost.domain.models.principal import Role
    from flagpost.domain.webhooks import sign
    from flagpost.services.stats import count_changes
    from flagpost_local.harness import in_process_stack
    from flagpost_local.template import Template

    webhooks = 2 if quick else 5
    with contextlib.redirect_stdout(io.StringIO()), in_process_stack(Template.load(REPO / "template.yaml")) as stack:
        flagger = stack.principals().create(Role.FLAGGER, "Bench")
        for w in range(webhooks):
            reports = [
                {"url": f"https://t.me/bench_{w}_{i}", "category": "recruitment", "description": "d"}
                for i in range(100)
            ]
            raw = json.dumps({"reports": reports}).encode()
            headers = {"content-type": "application/json", **sign(raw, flagger.secret or "", f"msg_{uuid.uuid4().hex}")}
            reply = stack.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=raw, headers=headers)
            assert reply.status == 202, reply.body
        # Read as the dispatcher reads what Lambda hands it (Lambda adds the stream's ARN).
        records = [
            change_of(DynamoDBStreamRecordModel.model_validate({**raw, "eventSourceARN": "arn:bench"}))
            for raw in _stream_records(stack)
        ]
        table = stack.stack.physical("StatsTable")
        client = stack.client("dynamodb")
        calls = [0]
        client.meta.events.register(
            "before-call.dynamodb.TransactWriteItems", lambda **_: calls.__setitem__(0, calls[0] + 1)
        )
        store = StatsStore(Table(table, client=client))
        timings: dict[str, list[float]] = {"batch": [], "record": []}
        transactions: dict[str, int] = {}
        counters: dict[str, dict[str, int]] = {}
        for _ in range(1 if quick else 3):
            for mode in ("batch", "record"):
                _empty(stack, table)
                calls[0] = 0
                started = time.perf_counter()
                if mode == "batch":
                    for start in range(0, len(records), 100):  # as Lambda hands them over: BatchSize 100
                        assert count_changes(store, records[start : start + 100]) is None
                else:
                    for record in records:
                        assert count_changes(store, [record]) is None
                timings[mode].append(time.perf_counter() - started)
                transactions[mode] = calls[0]
                counters[mode] = store.counters()
        assert counters["batch"] == counters["record"], "both ways must count the same"
    batch_s, record_s = min(timings["batch"]), min(timings["record"])
    return {
        "records": len(records),
        "batch_rps": len(records) / batch_s,
        "record_rps": len(records) / record_s,
        "ratio": record_s / batch_s,
        "batch_tx": transactions["batch"],
        "record_tx": transactions["record"],
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    r = measure(quick)
    return [
        {
            "benchmark": "stats",
            "figure": f"records counted/s, summed per batch ({r['records']} records, {r['batch_tx']} transactions)",
            "value": r["batch_rps"],
            "unit": "records/s",
            "goal": "",
            "met": None,
        },
        {
            "benchmark": "stats",
            "figure": f"records counted/s, one transaction per record ({r['record_tx']} transactions)",
            "value": r["record_rps"],
            "unit": "records/s",
            "goal": "",
            "met": None,
        },
        {
            "benchmark": "stats",
            "figure": "counting speed, per batch / per record",
            "value": r["ratio"],
            "unit": "x",
            "goal": f">= {GOAL}",
            "met": r["ratio"] >= GOAL,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
