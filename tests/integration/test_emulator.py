"""moto's DynamoDB, as `flagpost local` runs it: atomic under threads, transactions rolled back precisely."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from flagpost_local import emulator


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    emulator.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        yield client


def stream_records(client: Any) -> list[dict[str, Any]]:
    arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    streams = boto3.client(
        "dynamodbstreams", region_name="eu-west-1", config=Config(account_id_endpoint_mode="disabled")
    )
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return list(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def test_a_cancelled_transaction_leaves_no_item_and_no_stream_record(dynamodb: Any) -> None:
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "exists"}})
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "other"}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "other"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "exists"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert "Item" not in dynamodb.get_item(TableName="t", Key={"pk": {"S": "new"}})
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "other"}})["Item"]["n"] == {"N": "1"}
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in stream_records(dynamodb)] == ["exists", "other"]


def python_calls(action: Callable[[], object]) -> int:
    """How many Python functions `action()` calls in this thread: its work, whatever the machine's speed."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def test_a_transaction_on_a_large_table_does_not_copy_the_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="small",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    for start in range(0, 2000, 25):
        dynamodb.batch_write_item(
            RequestItems={
                "t": [
                    {"PutRequest": {"Item": {"pk": {"S": f"x{i}"}, "v": {"S": "y" * 200}}}}
                    for i in range(start, start + 25)
                ]
            }
        )

    def hundred_puts(table: str) -> Callable[[], object]:
        actions = [{"Put": {"TableName": table, "Item": {"pk": {"S": f"tx{i}"}}}} for i in range(100)]
        return lambda: dynamodb.transact_write_items(TransactItems=actions)

    on_empty = python_calls(hundred_puts("small"))
    on_large = python_calls(hundred_puts("t"))
    # The same work whatever the table's size. Unpatched, each action deep-copies the 2,000-item table:
    # some 400 times the work on the empty table (counted in calls, not timed: a busy machine slows both).
    assert on_large < 2 * on_empty, (on_large, on_empty)
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "tx99"}})["Item"] == {"pk": {"S": "tx99"}}


def test_conditional_puts_from_many_threads_have_exactly_one_winner(dynamodb: Any) -> None:
    barrier = threading.Barrier(16)
    wins: list[int] = []

    def race(i: int) -> None:
        barrier.wait()
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": "t",
                            "Item": {"pk": {"S": "contested"}, "by": {"N": str(i)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": f"side-{i}"}}}},
                ]
            )
            wins.append(i)
        except ClientError:
            pass

    threads = [threading.Thread(target=race, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    winner = dynamodb.get_item(TableName="t", Key={"pk": {"S": "contested"}})["Item"]["by"]["N"]
    assert winner == str(wins[0])
    sides = dynamodb.scan(
        TableName="t", FilterExpression="begins_with(pk, :s)", ExpressionAttributeValues={":s": {"S": "side-"}}
    )["Items"]
    assert [s["pk"]["S"] for s in sides] == [f"side-{wins[0]}"]
