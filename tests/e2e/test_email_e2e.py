"""`flagpost local` delivers notice e-mails through the emulator's SES and writes each to the outbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
from waiting import HANG_S, wait_until  # type: ignore[import-not-found]

from flagpost.domain.webhooks import sign
from flagpost_local.process import RunningStack, start_local

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_local(tmp_path_factory.mktemp("mail"), cwd=REPO)
    yield running
    running.stop()


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def cli(stack: RunningStack, *args: str) -> str:
    env = {**os.environ, "FLAGPOST_API": stack.api, "FLAGPOST_KEY": stack.credentials["admin"]["api_key"]}
    done = subprocess.run(
        [sys.executable, "-m", "flagpost_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_confirmed_item_lands_in_the_outbox_as_an_eml(stack: RunningStack) -> None:
    # Given a platform created on the command line with only an e-mail address
    created = json.loads(
        cli(
            stack, "principals", "create", "--role", "platform", "--name", "Mail desk",
            "--domain", "mail-e2e.example", "--email", "abuse@mail-e2e.example", "--json",
        )
    )  # fmt: skip
    assert created["email"] == ["abuse@mail-e2e.example"]
    assert "abuse@mail-e2e.example" in cli(stack, "principals", "list")

    # When a flagger reports a page of its domain and a reviewer confirms it
    flagger = stack.credentials["flaggers"][0]
    url = "https://mail-e2e.example/propaganda/1"
    body = json.dumps({"reports": [{"url": url, "category": "threat", "description": "threat video"}]}).encode()
    submitted = requests.post(
        f"{stack.api}/v1/flaggers/{flagger['id']}/reports",
        data=body,
        timeout=HANG_S,
        headers={"content-type": "application/json", **sign(body, flagger["secret"], f"e2e_{uuid.uuid4().hex}")},
    )
    item_id = submitted.json()["results"][0]["item_id"]
    reviewer = stack.credentials["reviewers"][0]["api_key"]
    lease = requests.post(f"{stack.api}/v1/review/claim", headers=bearer(reviewer), json={}, timeout=HANG_S).json()
    assert lease["item"]["item_id"] == item_id
    decided = requests.post(
        f"{stack.api}/v1/review/items/{item_id}/decision",
        headers=bearer(reviewer),
        json={"lease_id": lease["lease"]["lease_id"], "decision": "confirm"},
        timeout=HANG_S,
    )
    assert decided.status_code == 200, decided.text

    # Then its notice is written to the outbox beside the credentials, as one .eml per feed entry
    outbox = stack.credentials_file.parent / "outbox"
    eml = outbox / f"fpe_{created['id']}_1.eml"
    wait_until(eml.exists, interval_s=0.2, what="the notice e-mail in the outbox")
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Message-ID"] == f"<fpe_{created['id']}_1@flagpost.example>"
    assert [a.addr_spec for a in mail["To"].addresses] == ["abuse@mail-e2e.example"]
    assert mail["From"].addresses[0].addr_spec == "notices@flagpost.example"
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    assert "hxxps://mail-e2e[.]example/propaganda/1" in text.get_content()
    assert mail.get_body(preferencelist=("html",)) is not None
    (attachment,) = list(mail.iter_attachments())
    notice = json.loads(attachment.get_content())["item"]["notice"]
    assert notice["location"]["reported_urls"] == [url]
    assert notice["explanation"]["reports"][0]["description"] == "threat video"
    assert notice["statement_of_reasons"]["category_specification"] == ["KEYWORD_TERRORIST_CONTENT"]
