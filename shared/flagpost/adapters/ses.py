"""Sending a notice e-mail through Amazon SES (API v2 `SendEmail` with raw MIME content).

The sending identity is declared in template.yaml (`NoticeSenderIdentity`) and the forwarder's role may
send from it alone. Throttling, sending paused, an account or service problem is worth another try
later; a message SES rejects (an unverified identity, a bad address) is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from flagpost.adapters import aws
from flagpost.domain.errors import PushRefusedError, PushTransportError

# SES v2 errors that pass by themselves, or once an operator acts (a paused or suspended account):
# the forwarder retries them with backoff, then parks the entry for redelivery.
RETRYABLE = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "SendingPausedException",
        "AccountSuspendedException",
        "InternalFailure",
        "ServiceUnavailable",
        "ThrottlingException",
    }
)


class SesMailer:
    def __init__(self, *, sesv2: Any = None) -> None:
        self._sesv2 = sesv2

    @property
    def sesv2(self) -> Any:
        # One call, one attempt: the forwarder retries with its own backoff and logs every attempt.
        return self._sesv2 or aws.single_attempt_client("sesv2")

    def send(self, sender: str, recipients: Sequence[str], raw: bytes) -> str:
        """Send `raw` (a whole MIME message) from `sender`; SES's message id."""
        request: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": list(recipients)},
            "Content": {"Raw": {"Data": raw}},
        }
        try:
            sent = self.sesv2.send_email(**request)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in RETRYABLE or aws.is_transient(exc):
                raise PushTransportError(f"SES {code}") from None
            raise PushRefusedError(f"SES {code}: {exc.response.get('Error', {}).get('Message', '')}"[:300]) from None
        except BotoCoreError as exc:
            raise PushTransportError(f"SES {type(exc).__name__}") from None
        return str(sent["MessageId"])
