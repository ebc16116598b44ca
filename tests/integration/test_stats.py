"""GET /v1/stats from counters maintained by the stream, exact under redelivery, admins only."""

from __future__ import annotations

import json
from typing import Any

from botocore.config import Config
from delivery_support import set_status  # type: ignore[import-not-found]

from flagpost.domain.models.principal import Role
from flagpost.domain.webhooks import sign
from flagpost_local.harness import InProcessStack


def submit(stack: InProcessStack, flagger: Any, urls: list[str], msg: str) -> list[dict[str, Any]]:
    body = json.dumps({"reports": [{"url": u, "category": "incitement", "description": "d"} for u in urls]}).encode()
    reply = stack.http(
        "POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=body, headers=sign(body, flagger.secret, msg)
    )
    return list(reply.json()["results"])


def test_stats_follow_reports_decisions_and_outcomes(local_aws: InProcessStack) -> None:
    principals = local_aws.principals()
    admin = principals.create(Role.ADMIN, "A")
    a, b = principals.create(Role.FLAGGER, "A"), principals.create(Role.FLAGGER, "B")
    telegram = principals.create(Role.PLATFORM, "Telegram", platform_ids=["telegram"])
    first = submit(local_aws, a, ["https://t.me/s1", "https://t.me/s2", "https://t.me/s3"], "m1")
    submit(local_aws, b, ["https://t.me/s1"], "m2")
    items = [r["item_id"] for r in first]
    set_status(local_aws, items[0], "confirmed")
    set_status(local_aws, items[1], "rejected")
    local_aws.pump()
    local_aws.http(
        "POST",
        f"/v1/feed/items/{items[0]}/outcome",
        json_body={"outcome": "removed"},
        headers={"authorization": f"Bearer {telegram.api_key}"},
    )
    local_aws.pump()

    reply = local_aws.http("GET", "/v1/stats", headers={"authorization": f"Bearer {admin.api_key}"})
    assert reply.status == 200
    stats = reply.json()
    assert (stats["items"], stats["reports"]) == (3, 4)
    assert stats["by_status"] == {"confirmed": 1, "rejected": 1, "pending": 1}
    assert stats["flaggers"][a.principal.id] == {
        "name": "A",  # organisations by name where a person reads figures
        "reports": 3,
        "decided": 2,
        "confirmed": 1,
        "precision": 0.5,
    }
    assert stats["flaggers"][b.principal.id]["precision"] == 1.0
    assert stats["flaggers"][b.principal.id]["name"] == "B"
    assert stats["platforms"][telegram.principal.id]["name"] == "Telegram"
    platform = stats["platforms"][telegram.principal.id]
    assert (platform["items"], platform["outcomes"], platform["removed"], platform["removal_rate"]) == (1, 1, 1, 1.0)
    assert stats["time_to_decision"]["count"] == 2
    assert stats["time_to_outcome"]["count"] == 1
    assert stats["overdue"] == 0

    year = int(stats["at"][:4])
    report = local_aws.http(
        "GET", f"/v1/stats?year={year}", headers={"authorization": f"Bearer {admin.api_key}"}
    ).json()
    assert (report["year"], report["notices"], report["items"]) == (year, 4, 3)
    assert report["notices_by_category"] == {"incitement": 4}
    assert report["decisions"] == {"confirmed": 1, "rejected": 1}
    assert report["actions_by_platform"] == {telegram.principal.id: {"removed": 1}}
    assert report["statement_of_reasons_defaults"]["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    text = json.dumps(report)
    assert a.principal.id not in text, "no flagger identities in the public report"
    empty = local_aws.http(
        "GET", f"/v1/stats?year={year - 1}", headers={"authorization": f"Bearer {admin.api_key}"}
    ).json()
    assert (empty["notices"], empty["items"]) == (0, 0)

    # The same stream records delivered again change nothing.
    streams = local_aws.session.client(
        "dynamodbstreams",
        config=Config(account_id_endpoint_mode="disabled"),  # moto: no account endpoints
    )
    table = local_aws.client("dynamodb").describe_table(TableName=local_aws.stack.physical("ItemsTable"))["Table"]
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    local_aws.runtime.invoke("DispatchFunction", {"Records": records})
    again = local_aws.http("GET", "/v1/stats", headers={"authorization": f"Bearer {admin.api_key}"}).json()
    assert {k: v for k, v in again.items() if k != "at"} == {k: v for k, v in stats.items() if k != "at"}


def test_stats_are_for_admins_only(local_aws: InProcessStack) -> None:
    for role in (Role.FLAGGER, Role.REVIEWER, Role.PLATFORM):
        key = local_aws.principals().create(role, "x").api_key
        assert local_aws.http("GET", "/v1/stats", headers={"authorization": f"Bearer {key}"}).status == 403
    assert local_aws.http("GET", "/v1/stats").status == 401
