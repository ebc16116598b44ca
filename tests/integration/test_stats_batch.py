"""Counting a stream batch in a few transactions, still exactly once under any redelivery Lambda can make."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.stats import MAX_ACTIONS, StatsStore
from flagpost.domain.models.principal import Role
from flagpost.domain.webhooks import sign
from flagpost.services.ports import StatsNotAppliedError
from flagpost.wiring import stats_store
from flagpost_local.harness import InProcessStack

Record = tuple[str, Counter[str]]


def records(n: int, seed: int = 3) -> list[Record]:
    """Stream-like increments: every report touches the same few counters plus its flagger's."""
    rng = random.Random(seed)
    out: list[Record] = []
    for i in range(n):
        flagger = f"fla_{rng.randrange(20)}"
        category = rng.choice(["incitement", "recruitment", "threat"])
        changes = Counter({"reports": 1, "y2026#reports": 1, f"report_category#{category}": 1, f"flagger#{flagger}": 1})
        if i % 5 == 0:  # an item insert
            changes.update({"items": 1, "status#pending": 1, f"category#{category}": 1})
        if i % 7 == 0:  # a record that changes nothing (a history entry): no marker, no write
            changes = Counter()
        out.append((f"evt-{i:05d}", changes))
    return out


def expected(batch: list[Record]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for _, changes in batch:
        total.update(changes)
    return dict(total)


class Calls:
    """Counts TransactWriteItems calls on one client and can refuse the n-th with an error code."""

    def __init__(self, client: Any) -> None:
        self.client, self.count, self.fail_on, self.code = client, 0, -1, "ThrottlingException"
        client.meta.events.register("before-call.dynamodb.TransactWriteItems", self)

    def __call__(self, **_: Any) -> None:
        self.count += 1
        if self.count == self.fail_on:
            raise ClientError({"Error": {"Code": self.code, "Message": "injected"}}, "TransactWriteItems")


@pytest.fixture
def store(local_aws: InProcessStack) -> tuple[StatsStore, Calls]:
    client = local_aws.client("dynamodb")
    return StatsStore(Table(local_aws.stack.physical("StatsTable"), client=client)), Calls(client)


def test_a_batch_is_counted_exactly_in_a_few_transactions(store: tuple[StatsStore, Calls]) -> None:
    stats, calls = store
    batch = records(250)
    counted = stats.apply_batch(batch)
    assert stats.counters() == expected(batch)
    assert counted == sum(1 for _, c in batch if c)
    per_transaction = MAX_ACTIONS - len(expected(batch))
    assert calls.count <= -(-counted // per_transaction) + 1, calls.count  # not one per record
    assert calls.count < counted / 50


def test_redelivered_and_overlapping_batches_count_nothing_twice(store: tuple[StatsStore, Calls]) -> None:
    stats, _ = store
    batch = records(300)
    stats.apply_batch(batch[:120])
    stats.apply_batch(batch[60:200])  # resumed from an earlier record: 60..119 were counted already
    stats.apply_batch(batch[:150])  # the whole first batch again, grown by the batching window
    stats.apply_batch(batch[200:250])  # BisectBatchOnFunctionError: halves of a failed batch
    stats.apply_batch(batch[250:])
    stats.apply_batch(batch[200:])
    assert stats.counters() == expected(batch)


def test_a_failed_transaction_names_where_to_resume_and_the_rest_is_not_lost(store: tuple[StatsStore, Calls]) -> None:
    stats, calls = store
    batch = records(300)
    calls.fail_on = 2
    with pytest.raises(StatsNotAppliedError) as failed:
        stats.apply_batch(batch)
    resume = failed.value.index
    assert 0 < resume < len(batch)
    assert stats.counters() == expected(batch[:resume]), "exactly the records before the resume point"
    stats.apply_batch(batch[resume:])
    assert stats.counters() == expected(batch)


def test_a_transaction_conflict_is_a_resume_point_too(store: tuple[StatsStore, Calls]) -> None:
    stats, calls = store
    batch = records(40)
    calls.fail_on, calls.code = 1, "TransactionConflictException"
    with pytest.raises(StatsNotAppliedError) as failed:
        stats.apply_batch(batch)
    assert all(not changes for _, changes in batch[: failed.value.index]), "nothing countable is skipped"
    assert stats.counters() == {}
    stats.apply_batch(batch)
    assert stats.counters() == expected(batch)


def test_a_record_too_large_for_one_transaction_is_split_and_still_counted_once(
    store: tuple[StatsStore, Calls],
) -> None:
    stats, _ = store
    huge = Counter({f"c{i:03d}": 1 for i in range(150)})
    batch = [*records(10), ("evt-huge", huge), *records(10, seed=4)]
    batch = [(f"{eid}-{n}", c) for n, (eid, c) in enumerate(batch)]
    stats.apply_batch(batch)
    stats.apply_batch(batch)
    assert stats.counters() == expected(batch)


def test_the_dispatcher_resumes_the_stream_where_counting_stopped(local_aws: InProcessStack) -> None:
    """Handler level: a throttled counter write becomes a batch item failure at the right record."""
    flagger = local_aws.principals().create(Role.FLAGGER, "F")
    reports = [{"url": f"https://example.org/s/{i}", "category": "threat", "description": "d"} for i in range(100)]
    raw = json.dumps({"reports": reports}).encode()
    headers = {"content-type": "application/json", **sign(raw, flagger.secret or "", f"msg_{uuid.uuid4().hex}")}
    assert (
        local_aws.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=raw, headers=headers).status == 202
    )
    local_aws.pump()
    truth = stats_store().counters()

    # The same records again, as a fresh stats table would see them: replayed into an empty copy.
    table = local_aws.stack.physical("StatsTable")
    client = local_aws.client("dynamodb")
    for item in client.scan(TableName=table)["Items"]:
        client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    streams = local_aws.session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    arn = client.describe_table(TableName=local_aws.stack.physical("ItemsTable"))["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    # Lambda adds the stream's ARN to each record it hands a function; the Streams API does not.
    stream_records = [
        {**record, "eventSourceARN": arn}
        for record in streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    ]
    assert len(stream_records) > 100

    shared = stats_store().table.client
    calls = 0

    def throttle_second(**_: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "TransactWriteItems")

    shared.meta.events.register("before-call.dynamodb.TransactWriteItems", throttle_second, unique_id="throttle2")
    try:
        response = local_aws.runtime.invoke("DispatchFunction", {"Records": stream_records})
    finally:
        shared.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="throttle2")
    (failure,) = response["batchItemFailures"]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in stream_records]
    resume = sequence.index(failure["itemIdentifier"])
    assert 0 < resume < len(stream_records)
    # Lambda resumes the shard at the failed record: the rest arrives again and is counted once.
    local_aws.runtime.invoke("DispatchFunction", {"Records": stream_records[resume:]})
    assert stats_store().counters() == truth
