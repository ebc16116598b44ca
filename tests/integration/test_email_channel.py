"""The e-mail channel on moto's SES: a platform with only `email` gets each entry as one complete notice
e-mail; SES failures are retried with the forwarder's backoff, parked, and redelivered as the same notice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from unittest import mock

import pytest
from delivery_support import pump_until  # type: ignore[import-not-found]
from moto.core.exceptions import JsonRESTError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import SESBackend, ses_backends

from flagpost import lazy
from flagpost.config import settings
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.webhooks import sign
from flagpost.wiring import feed_store, stats_store
from flagpost_local.harness import InProcessStack
from flagpost_local.stack import DEFAULT_REGION, LOCAL_PARAMETERS

OPERATOR_EMAIL = LOCAL_PARAMETERS["OperatorEmail"]
HOSTILE = 'Recruitment video <script>alert("x")</script> <a href="https://evil.example/">click</a> \u202egnp.exe'
URL_FORMS = ["https://example.org/channel/propaganda", "hxxps://example[.]org/channel/propaganda?utm_source=tw"]


class ThrottledError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Maximum sending rate exceeded.")


class RejectedError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("MessageRejected", "Email address is not verified.")


class FlakySes:
    """Stands in for SES's sending: records every raw message it is asked to send, fails the first
    `fail` of them (or all with `fail=None`) with `error`, and hands the others to moto's SES."""

    def __init__(self, fail: int | None, error: Callable[[], JsonRESTError] = ThrottledError) -> None:
        self.fail, self.error = fail, error
        self.tried: list[str] = []
        self.real = SESBackend.send_raw_email

    def __call__(self, backend: SESBackend, source: str, destinations: list[str], raw_data: str) -> Any:
        self.tried.append(raw_data)
        if self.fail is None or len(self.tried) <= self.fail:
            raise self.error()
        return self.real(backend, source, destinations, raw_data)


@pytest.fixture
def fast_retries(local_aws: InProcessStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the stack set the template's environment: a 3-attempt budget and 1 s backoff."""
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_BASE_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_BACKOFF_MAX_SECONDS", "1")
    monkeypatch.setenv("FLAGPOST_FORWARD_MAX_ATTEMPTS", "3")
    lazy.reset()


@contextmanager
def flaky_ses(fail: int | None, error: Callable[[], JsonRESTError] = ThrottledError) -> Iterator[FlakySes]:
    flaky = FlakySes(fail, error)
    with mock.patch.object(SESBackend, "send_raw_email", autospec=True, side_effect=flaky):
        yield flaky


def sent() -> list[EmailMessage]:
    """What moto's SES accepted, parsed as a mail client would."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][DEFAULT_REGION]
    return [parse(m.raw_data) for m in backend.sent_messages]


def parse(raw: str) -> EmailMessage:
    message = message_from_bytes(raw.encode(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def bearer(creds: IssuedCredentials) -> dict[str, str]:
    return {"authorization": f"Bearer {creds.api_key}"}


def email_platform(stack: InProcessStack, **extra: Any) -> tuple[IssuedCredentials, dict[str, Any]]:
    """A platform owning example.org, registered through the admin API with addresses and nothing else."""
    admin = stack.principals().create(Role.ADMIN, "Admin")
    body = {
        "role": "platform",
        "name": "Mail-only platform",
        "domains": ["example.org"],
        "email": ["abuse@Example.ORG", "legal@example.org", "legal@example.org"],
        **extra,
    }
    reply = stack.http("POST", "/v1/admin/principals", json_body=body, headers=bearer(admin))
    assert reply.status == 201, reply.body
    created = reply.json()
    assert created["email"] == ["abuse@example.org", "legal@example.org"], "normalised, each once"
    issued = IssuedCredentials(principal=stack.principals().get(created["id"]), api_key=created["api_key"])
    lazy.reset()
    return issued, created


def confirm_reported_item(stack: InProcessStack) -> tuple[str, IssuedCredentials, IssuedCredentials]:
    """Two flaggers' reports of one page in two URL forms, confirmed by a reviewer with a staff note."""
    flagger = stack.principals().create(Role.FLAGGER, "Referral unit")
    reviewer = stack.principals().create(Role.REVIEWER, "Reviewer")
    item_ids = set()
    for n, url in enumerate(URL_FORMS):
        report = {"url": url, "category": "recruitment", "description": HOSTILE if n == 0 else "same channel"}
        body = json.dumps({"reports": [report]}).encode()
        signed = sign(body, flagger.secret or "", f"m{n}")
        reply = stack.http("POST", f"/v1/flaggers/{flagger.principal.id}/reports", body=body, headers=signed)
        item_ids.add(reply.json()["results"][0]["item_id"])
    (item_id,) = item_ids
    lease = stack.http("POST", "/v1/review/claim", json_body={}, headers=bearer(reviewer)).json()["lease"]
    decided = stack.http(
        "POST",
        f"/v1/review/items/{item_id}/decision",
        json_body={"lease_id": lease["lease_id"], "decision": "confirm", "note": "staff-only remark"},
        headers=bearer(reviewer),
    )
    assert decided.status == 200, decided.body
    return item_id, flagger, reviewer


def mail_state(platform_id: str) -> list[str]:
    return [e.channels["email"].delivery for e in feed_store().read(platform_id, 0, 1000)]


def test_a_platform_with_only_email_receives_a_complete_notice(local_aws: InProcessStack) -> None:
    # Given a platform with addresses only, and a confirmed item reported in two URL forms
    platform, created = email_platform(local_aws)
    assert "endpoint" not in created or created["endpoint"] is None
    item_id, flagger, reviewer = confirm_reported_item(local_aws)

    # When the stream dispatches it and the forwarder delivers it
    pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["delivered"], 60)

    # Then one e-mail went to both addresses, from the operator, with a stable Message-ID
    (mail,) = sent()
    entry_id = f"fpe_{platform.principal.id}_1"
    assert mail["Message-ID"] == f"<{entry_id}@flagpost.example>"
    assert mail["X-Flagpost-Notice-Id"] == entry_id
    assert mail["From"].addresses[0].addr_spec == OPERATOR_EMAIL
    assert mail["From"].addresses[0].display_name == LOCAL_PARAMETERS["OperatorName"]
    assert [a.addr_spec for a in mail["To"].addresses] == ["abuse@example.org", "legal@example.org"]
    assert "DSA Art. 16 notice" in mail["Subject"]
    assert "List-Unsubscribe" not in mail
    # And it has a plain-text and an HTML part and the JSON notice attached
    assert mail.get_content_type() == "multipart/mixed"
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/json"
    assert attachment.get_filename() == f"{entry_id}.json"
    document = json.loads(attachment.get_content())
    # The attachment is the feed entry: the same notice whatever the channel
    (pulled,) = local_aws.http("GET", "/v1/feed", headers=bearer(platform)).json()["entries"]
    assert document == pulled
    notice = document["item"]["notice"]
    assert notice["kind"] == "notice"
    assert notice["explanation"]["category"] == "recruitment"
    assert notice["explanation"]["legal_ground"].endswith("Art. 2(7)(c)")
    assert [r["description"] for r in notice["explanation"]["reports"]] == [HOSTILE, "same channel"]
    assert notice["location"]["canonical_url"] == document["item"]["target"]["canonical_url"]
    assert notice["location"]["reported_urls"] == URL_FORMS
    assert notice["notifier"] == {"name": LOCAL_PARAMETERS["OperatorName"], "email": OPERATOR_EMAIL}
    assert "good faith" in notice["good_faith"]
    assert "trusted flagger" in notice["trusted_flagger"]
    assert notice["statement_of_reasons"]["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    # And the readable parts say all of it; every URL has its defanged form beside it
    plain, page = text.get_content(), html.get_content()
    for part in (plain, page):
        assert "Art. 2(7)(c)" in part
        assert "hxxps://example[.]org/channel/propaganda" in part
        assert "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY" in part
        assert "KEYWORD_TERRORIST_CONTENT" in part
        assert "U+202E" in part, "a bidi override is shown, never applied"
        assert "\u202e" not in part
    assert "<a " not in page.lower(), "nothing clickable in the HTML"
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    # And nobody's identity or internal note is in it, anywhere
    raw = mail.as_string()
    for secret in (reviewer.principal.id, flagger.principal.id, "staff-only remark", "rev_", "fla_"):
        assert secret not in raw
        assert secret not in plain
        assert secret not in page
    # And the delivery log keeps the Message-ID and SES's id
    (attempt,) = feed_store().attempts(platform.principal.id, 1, "email")
    assert attempt["message_id"] == mail["Message-ID"]
    assert attempt["provider_message_id"]
    assert item_id == document["item"]["item_id"]
    # And the notice's step on this channel is `mailed` (a push's would be `delivered`)
    steps = local_aws.client("dynamodb").query(
        TableName=local_aws.stack.physical("ItemsTable"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
        ExpressionAttributeValues={":pk": {"S": f"ITEM#{item_id}"}, ":s": {"S": f"STEP#{platform.principal.id}#"}},
    )["Items"]
    assert {s["step"]["S"] for s in steps} >= {"dispatched", "mailed"}
    assert "delivered" not in {s["step"]["S"] for s in steps}


@pytest.mark.usefixtures("fast_retries")
def test_a_throttled_send_is_retried_as_the_same_message(local_aws: InProcessStack) -> None:
    platform, _ = email_platform(local_aws)
    confirm_reported_item(local_aws)
    with flaky_ses(fail=1) as flaky:
        pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["delivered"], 60)
    assert len(flaky.tried) == 2
    first, retried = (parse(raw) for raw in flaky.tried)
    assert first["Message-ID"] == retried["Message-ID"] == f"<fpe_{platform.principal.id}_1@flagpost.example>"
    assert flaky.tried[0] == flaky.tried[1], "a retry is the same message, byte for byte"
    log = feed_store().attempts(platform.principal.id, 1, "email")
    assert [("error" in a) for a in log] == [True, False]


@pytest.mark.usefixtures("fast_retries")
def test_a_failing_send_retries_then_parks_and_is_redelivered(local_aws: InProcessStack) -> None:
    # Given SES throttles every send
    platform, _ = email_platform(local_aws)
    admin = local_aws.principals().create(Role.ADMIN, "Ops")
    confirm_reported_item(local_aws)
    with flaky_ses(fail=None) as flaky:
        # Then the forwarder tries its budget (3 attempts), marks the e-mail failed and parks it
        pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["failed"], 60)
    assert len(flaky.tried) == settings().forward_max_attempts == 3
    assert sent() == []
    dlq = local_aws.client("sqs").receive_message(QueueUrl=local_aws.stack.physical("ForwardDeadLetterQueue"))
    parked = json.loads(dlq["Messages"][0]["Body"])
    assert parked == {"platform_id": platform.principal.id, "seq": 1, "parked": True, "channel": "email"}
    assert stats_store().counters()[f"deliveries_failed#{platform.principal.id}"] == 1

    # When SES recovers and an admin redelivers the platform's failed entries
    reply = local_aws.http("POST", f"/v1/admin/platforms/{platform.principal.id}/redeliver", headers=bearer(admin))
    assert reply.status == 202
    assert reply.json() == {"requeued": 1}
    pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["delivered"], 60)

    # Then the notice arrives once, with the Message-ID of the attempts that failed
    (mail,) = sent()
    assert {parse(raw)["Message-ID"] for raw in flaky.tried} == {mail["Message-ID"]}
    log = feed_store().attempts(platform.principal.id, 1, "email")
    assert len(log) == 4
    assert "message_id" in log[-1]


def test_a_rejected_message_fails_at_once(local_aws: InProcessStack) -> None:
    platform, _ = email_platform(local_aws)
    confirm_reported_item(local_aws)
    with flaky_ses(fail=None, error=RejectedError) as flaky:
        pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["failed"], 60)
    assert len(flaky.tried) == 1
    (attempt,) = feed_store().attempts(platform.principal.id, 1, "email")
    assert "MessageRejected" in attempt["error"]


def test_push_and_email_are_delivered_each_on_their_own(local_aws: InProcessStack, receiver: Any) -> None:
    """A platform with an endpoint and addresses: the e-mail fails while the push goes through; the
    pushed body is the e-mail's attachment; redelivery sends the e-mail alone, never the push again."""
    platform, created = email_platform(local_aws, endpoint="http://127.0.0.1:1/placeholder")
    admin = local_aws.principals().create(Role.ADMIN, "Ops")
    hook = receiver(secret=created["secret"]).start()
    local_aws.client("dynamodb").update_item(
        TableName=local_aws.stack.physical("PrincipalsTable"),
        Key={"pk": {"S": f"P#{platform.principal.id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET endpoint = :e",
        ExpressionAttributeValues={":e": {"S": hook.url}},
    )
    lazy.reset()
    confirm_reported_item(local_aws)
    with flaky_ses(fail=None, error=RejectedError) as flaky:
        pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["failed"], 60)
        pump_until(local_aws, lambda: len(hook.received) == 1)
    (tried,) = flaky.tried
    (attachment,) = list(parse(tried).iter_attachments())
    assert json.loads(attachment.get_content()) == hook.received[0], "one notice, whatever the channel"
    assert [e.delivery for e in feed_store().read(platform.principal.id, 0, 10)] == ["delivered"]

    reply = local_aws.http("POST", f"/v1/admin/platforms/{platform.principal.id}/redeliver", headers=bearer(admin))
    assert reply.json() == {"requeued": 1}
    pump_until(local_aws, lambda: mail_state(platform.principal.id) == ["delivered"], 60)
    assert len(sent()) == 1
    assert hook.attempts == 1, "the push that went through is never sent again"


def test_addresses_are_validated_and_belong_to_platforms(local_aws: InProcessStack) -> None:
    admin = local_aws.principals().create(Role.ADMIN, "Admin")
    bad = local_aws.http(
        "POST",
        "/v1/admin/principals",
        json_body={"role": "platform", "name": "P", "email": ["not-an-address"]},
        headers=bearer(admin),
    )
    assert bad.status == 422
    assert bad.json()["errors"][0]["loc"][:2] == ["body", "email"]
    flagger = local_aws.http(
        "POST",
        "/v1/admin/principals",
        json_body={"role": "flagger", "name": "F", "email": "a@example.org"},
        headers=bearer(admin),
    )
    assert flagger.status == 422
    one = local_aws.http(
        "POST",
        "/v1/admin/principals",
        json_body={"role": "platform", "name": "One", "email": "notices@example.org"},
        headers=bearer(admin),
    )
    assert one.status == 201
    assert one.json()["email"] == ["notices@example.org"], "one address or several"
