"""Failed deliveries can be delivered again: the admin route, and the documented DLQ redrive."""

from __future__ import annotations

from typing import Any

import pytest
from delivery_support import deliveries, land_items, pump_until, push_platform, set_status  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.wiring import feed_store
from flagpost_local.harness import InProcessStack, Reply


@pytest.fixture
def failing(local_aws: InProcessStack, receiver: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[IssuedCredentials, Any]:
    """A platform whose endpoint answered 503 until its 2 entries failed for good (2 attempts each)."""
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_BASE_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_MAX_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_MAX_ATTEMPTS", "2")
    lazy.reset()
    creds, hook = push_platform(local_aws, receiver, always=503)
    for item_id in land_items(["https://example.org/redeliver/1", "https://example.org/redeliver/2"]):
        set_status(local_aws, item_id, "confirmed")
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["failed", "failed"], 60)
    hook.always = None  # the platform fixed its endpoint
    return creds, hook


def redeliver(stack: InProcessStack, key: str, platform_id: str) -> Reply:
    return stack.http(
        "POST", f"/v1/admin/platforms/{platform_id}/redeliver", headers={"authorization": f"Bearer {key}"}
    )


def test_redeliver_pushes_every_failed_entry_again_with_its_webhook_id(
    local_aws: InProcessStack, failing: tuple[IssuedCredentials, Any]
) -> None:
    creds, hook = failing
    admin = local_aws.principals().create(Role.ADMIN, "Admin")
    first_ids = {f"fpe_{creds.principal.id}_1", f"fpe_{creds.principal.id}_2"}
    reply = redeliver(local_aws, admin.api_key, creds.principal.id)
    assert reply.status == 202, reply.body
    assert reply.json() == {"requeued": 2}
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered", "delivered"], 60)
    assert set(hook.ids) == first_ids, "each entry kept its webhook-id"
    assert set(hook.ids.values()) == {1}
    log = feed_store().attempts(creds.principal.id, 1)
    assert [a.get("status") for a in log] == [503, 503, 204], "the new round's attempt follows the old ones"
    assert redeliver(local_aws, admin.api_key, creds.principal.id).json() == {"requeued": 0}


def test_redeliver_refuses_what_is_not_a_platform(
    local_aws: InProcessStack, failing: tuple[IssuedCredentials, Any]
) -> None:
    creds, _ = failing
    admin = local_aws.principals().create(Role.ADMIN, "Admin")
    reviewer = local_aws.principals().create(Role.REVIEWER, "R")
    assert redeliver(local_aws, admin.api_key, "pla_doesnotexist").status == 404
    assert redeliver(local_aws, admin.api_key, reviewer.principal.id).status == 404
    assert redeliver(local_aws, admin.api_key, "x" * 3000).status == 422
    assert redeliver(local_aws, reviewer.api_key, creds.principal.id).status == 403
    assert redeliver(local_aws, creds.api_key, creds.principal.id).status == 403
    assert deliveries(creds.principal.id) == ["failed", "failed"], "nothing was requeued"


def test_a_dlq_redrive_delivers_the_parked_entries(
    local_aws: InProcessStack, failing: tuple[IssuedCredentials, Any]
) -> None:
    """What `aws sqs start-message-move-task` does (docs/deploy.md): the DLQ's messages, moved back as they are."""
    creds, hook = failing
    sqs = local_aws.client("sqs")
    dlq, queue = local_aws.stack.physical("ForwardDeadLetterQueue"), local_aws.stack.physical("ForwardQueue")
    moved = 0
    while messages := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    assert moved == 2
    pump_until(local_aws, lambda: deliveries(creds.principal.id) == ["delivered", "delivered"], 60)
    assert set(hook.ids.values()) == {1}, "each parked entry delivered once"
    assert sorted(hook.ids) == sorted(f"fpe_{creds.principal.id}_{seq}" for seq in (1, 2))
