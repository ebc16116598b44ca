"""The delivery components, built once per execution environment from settings."""

from __future__ import annotations

from flagpost.config import settings
from flagpost.delivery.dispatch import Dispatcher
from flagpost.delivery.feed import FeedStore
from flagpost.delivery.forward import Forwarder
from flagpost.lazy import lazy
from flagpost.stats.services import stats_store


@lazy
def feed_store() -> FeedStore:
    config = settings()
    config.require("feed_table")
    return FeedStore(config.feed_table)


@lazy
def dispatcher() -> Dispatcher:
    from flagpost.api.auth import principal_store

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
    from flagpost.api.auth import principal_store

    stats = stats_store()
    return Forwarder(
        feed_store(),
        principal_store(),
        settings(),
        on_failed=lambda platform_id: stats.add(f"deliveries_failed#{platform_id}"),
    )
