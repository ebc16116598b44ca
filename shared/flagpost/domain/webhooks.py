"""Standard Webhooks v1 signing and verification, with the `standardwebhooks` library doing the crypto.

The library compares signatures in constant time and enforces the 5-minute timestamp tolerance.
Around it we add what a public endpoint needs: several live secrets (rotation), malformed header
entries ignored instead of crashing, and a single exception type for every refusal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

# One well-formed entry of the signature header; anything else in the header is ignored.
_SIGNATURE_ENTRY = re.compile(r"^v1,[A-Za-z0-9+/]+={0,2}$")
_WEBHOOK_ID = re.compile(r"^[\x21-\x7e]{1,256}$")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    """The submission is not proven to come from the principal: missing, malformed, stale or wrong."""


def verify(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> str:
    """Check the webhook-* headers against `body` with each live secret; return the webhook-id."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    entries = [e for e in lowered.get("webhook-signature", "").split(" ") if _SIGNATURE_ENTRY.match(e)]
    if not (msg_id and timestamp and entries):
        raise SignatureError("missing or malformed webhook-id, webhook-timestamp or webhook-signature")
    if not _WEBHOOK_ID.match(msg_id):
        raise SignatureError("webhook-id must be 1-256 printable ASCII characters")
    if not _TIMESTAMP.fullmatch(timestamp):
        # The signature covers the header as sent: only the plain integer form is accepted, never
        # "+1796008138" or "1796008138.9", which a lenient parser would read as the same second.
        raise SignatureError("webhook-timestamp must be whole unix seconds in ASCII digits")
    if not secrets:
        raise SignatureError("no live signing secret")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the body is not UTF-8") from exc
    clean = {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": " ".join(entries)}
    last: Exception | None = None
    for secret in secrets:
        try:
            Webhook(secret).verify(text, clean, json_parse=False)
        except (WebhookVerificationError, ValueError) as exc:
            last = exc
            continue
        return msg_id
    raise SignatureError(str(last) if last else "no matching signature")


def sign(body: bytes, secret: str | Sequence[str], msg_id: str, at: float | None = None) -> dict[str, str]:
    """The three headers a Standard Webhooks receiver checks.

    Given several secrets (a rotation's two live ones), the body is signed with each, space-separated
    as the scheme allows: a receiver that still holds only the old secret verifies as well as one that
    already has the new one.
    """
    when = datetime.fromtimestamp(int(at if at is not None else time.time()), tz=UTC)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    text = body.decode("utf-8")
    signature = " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=when, data=text) for s in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())), "webhook-signature": signature}
