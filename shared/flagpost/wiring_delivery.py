"""The delivery components, built once per execution environment from settings."""

from __future__ import annotations

from flagpost.adapters.dynamo.feed import FeedStore
from flagpost.config import settings
from flagpost.lazy import lazy
from flagpost.services.dispatch import Dispatcher
from flagpost.services.forward import Forwarder
from flagpost.wiring_stats import stats_store


@lazy
def feed_store() -> FeedStore:
    config = settings()
    config.require("feed_table")
    return FeedStore(config.feed_table)


@lazy
def dispatcher() -> Dispatcher:
    from flagpost.adapters.http.auth import principal_store

    config = settings()
    config.require("forward_queue_url")
    stats = stats_store()
    return Dispatcher(
        feed_store(),
        principal_store(),
        config.forward_queue_url,
        on_routed=lambda platform_id: stats.add(f"platform_items#{platform_id}"),
    )


@lazy
def forwarder() -> Forwarder:
    from flagpost.adapters.http.auth import principal_store

    stats = stats_store()
    return Forwarder(
        feed_store(),
        principal_store(),
        settings(),
        on_failed=lambda platform_id: stats.add(f"deliveries_failed#{platform_id}"),
    )
