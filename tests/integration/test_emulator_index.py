"""The emulator's sorted partitions answer queries exactly as a full sort of the table would, after any write."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError

from flagpost.adapters.dynamo.client import from_item, to_item
from flagpost_local.harness import InProcessStack


def _all_pages(dynamodb: Any, **request: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    start = None
    while True:
        page = dynamodb.query(**request, **({"ExclusiveStartKey": start} if start else {}))
        items.extend(from_item(i) for i in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def _expected(dynamodb: Any, table: str, queue: str, forward: bool) -> list[str]:
    scanned = [from_item(i) for i in dynamodb.scan(TableName=table)["Items"]]
    entries = sorted((i["queue_sort"], i["pk"]) for i in scanned if i.get("queue") == queue and "queue_sort" in i)
    return [pk for _, pk in (entries if forward else reversed(entries))]


@pytest.mark.parametrize("forward", [True, False])
def test_index_queries_match_a_full_sort_after_puts_updates_deletes_and_rollbacks(
    local_aws: InProcessStack, forward: bool
) -> None:
    dynamodb = local_aws.client("dynamodb")
    table = local_aws.stack.physical("ItemsTable")
    rng = random.Random(7)

    def put(n: int) -> None:
        queue = rng.choice(["default", "escalated", None])
        record = {"pk": f"ITEM#itm_{n:04x}", "sk": "ITEM", "status": "pending", "due_at": f"2026-01-{n % 28 + 1:02d}"}
        if queue:
            record |= {"queue": queue, "queue_sort": f"{rng.randint(0, 2)}#{rng.randint(0, 50):03d}#{n}"}
        dynamodb.put_item(TableName=table, Item=to_item(record))

    for n in range(120):
        put(n)
    for n in rng.sample(range(120), 30):  # re-sort, move between queues, leave the index
        dynamodb.update_item(
            TableName=table,
            Key=to_item({"pk": f"ITEM#itm_{n:04x}", "sk": "ITEM"}),
            UpdateExpression="SET #q = :q, queue_sort = :s",
            ExpressionAttributeNames={"#q": "queue"},
            ExpressionAttributeValues=to_item({":q": rng.choice(["default", "escalated"]), ":s": f"9#{n}"}),
        )
    for n in rng.sample(range(120), 10):
        dynamodb.update_item(
            TableName=table,
            Key=to_item({"pk": f"ITEM#itm_{n:04x}", "sk": "ITEM"}),
            UpdateExpression="REMOVE #q, queue_sort",
            ExpressionAttributeNames={"#q": "queue"},
        )
    for n in rng.sample(range(120), 10):
        dynamodb.delete_item(TableName=table, Key=to_item({"pk": f"ITEM#itm_{n:04x}", "sk": "ITEM"}))
    # A cancelled transaction must leave the index as it was.
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": to_item({"pk": "ITEM#itm_0001", "sk": "ITEM"}),
                        "UpdateExpression": "SET #q = :q, queue_sort = :s",
                        "ExpressionAttributeNames": {"#q": "queue"},
                        "ExpressionAttributeValues": to_item({":q": "default", ":s": "0#000#first"}),
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": to_item({"pk": "ITEM#nope", "sk": "ITEM"}),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    for queue in ("default", "escalated"):
        for limit in (1, 3, 7, 1000):
            got = _all_pages(
                dynamodb,
                TableName=table,
                IndexName="review-queue",
                KeyConditionExpression="#q = :q",
                ExpressionAttributeNames={"#q": "queue"},
                ExpressionAttributeValues=to_item({":q": queue}),
                Limit=limit,
                ScanIndexForward=forward,
            )
            assert [i["pk"] for i in got] == _expected(dynamodb, table, queue, forward), (queue, limit)


def test_base_table_queries_read_only_their_partition(local_aws: InProcessStack) -> None:
    dynamodb = local_aws.client("dynamodb")
    table = local_aws.stack.physical("ItemsTable")
    for item in ("a", "b"):
        for n in range(5):
            dynamodb.put_item(TableName=table, Item=to_item({"pk": f"ITEM#{item}", "sk": f"HIST#{n}"}))
    got = _all_pages(
        dynamodb,
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        ExpressionAttributeValues=to_item({":pk": "ITEM#a", ":h": "HIST#"}),
        Limit=2,
    )
    assert [i["sk"] for i in got] == [f"HIST#{n}" for n in range(5)]
    assert all(i["pk"] == "ITEM#a" for i in got)
