"""The ways an entry reaches a platform, behind one port (`DeliveryChannel`) that the forwarder drives.

- push: the entry signed with Standard Webhooks headers (every live secret of the platform) and POSTed
  to its endpoint; 2xx delivered, 408/429/5xx retried (honouring Retry-After), anything else failed.
- email: the entry as one e-mail (`flagpost.domain.notice_mail`) to the platform's addresses, from the
  operator's address; accepted by the mail service is delivered, throttled or unavailable retried,
  rejected failed.
The forwarder adds what every channel shares: attempts, backoff, the age limit, parking and the log.
"""

from __future__ import annotations

import json
import time
from email.errors import MessageError

from flagpost.domain import webhooks
from flagpost.domain.errors import PushRefusedError, UnsafeEndpointError
from flagpost.domain.models.feed import Attempt, FeedEntry
from flagpost.domain.models.notice import Notifier
from flagpost.domain.models.principal import Principal
from flagpost.domain.notice_mail import compose, message_id
from flagpost.services.ports import Mailer, PrincipalDirectory, Pusher


class PushChannel:
    def __init__(self, principals: PrincipalDirectory, pusher: Pusher) -> None:
        self.principals = principals
        self.pusher = pusher

    def send(self, platform: Principal, entry: FeedEntry) -> Attempt:
        if not platform.endpoint:
            raise UnsafeEndpointError("the platform has no endpoint any more")
        self.pusher.check(platform.endpoint)
        secrets = self.principals.signing_secrets(entry.platform_id)
        if not secrets:
            raise UnsafeEndpointError("the platform has no live signing secret")
        body = json.dumps(entry.public(), separators=(",", ":")).encode()
        # Signed with every live secret: a receiver still on the old one verifies during a rotation.
        headers = {"content-type": "application/json", **webhooks.sign(body, secrets, entry.webhook_id())}
        status, latency_ms, retry_after = self.pusher.post(platform.endpoint, body, headers)
        log = {"status": status, "latency_ms": latency_ms}
        if 200 <= status < 300:
            return Attempt("delivered", log)
        if status in (408, 429) or status >= 500:
            return Attempt("retry", log, retry_after)
        return Attempt("failed", log)  # 3xx (never followed) and other 4xx


class EmailChannel:
    def __init__(self, mailer: Mailer, notifier: Notifier) -> None:
        self.mailer = mailer
        self.notifier = notifier

    def send(self, platform: Principal, entry: FeedEntry) -> Attempt:
        if not platform.email:
            raise UnsafeEndpointError("the platform has no e-mail address any more")
        try:
            raw = compose(
                entry, notifier=self.notifier, recipients=platform.email, platform_name=platform.name
            ).as_bytes()
        except (MessageError, ValueError) as exc:
            # The same entry composes the same way on every retry: fail it now (parked, redeliverable after
            # the platform's record is fixed) instead of crashing the batch until the queue gives up.
            raise PushRefusedError(f"the notice cannot be written as an e-mail: {type(exc).__name__}") from None
        started = time.perf_counter()
        sent_id = self.mailer.send(self.notifier.email, platform.email, raw)
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return Attempt(
            "delivered",
            {
                "message_id": message_id(entry, self.notifier.email),
                "provider_message_id": sent_id,
                "latency_ms": latency_ms,
            },
        )
