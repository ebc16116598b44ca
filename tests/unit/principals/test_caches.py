"""The principal store's caches are bounded in size and age, whatever callers send."""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.principals import CACHE_ENTRIES, DynamoPrincipalStore, InvalidApiKeyError


class NoItems:
    """A DynamoDB client that knows no item at all, and counts the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def get_item(self, **_: Any) -> dict[str, Any]:
        self.reads += 1
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def made_up_key() -> str:
    return f"fpk_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


def test_made_up_keys_and_ids_never_grow_the_cache_past_its_bound() -> None:
    clock = Clock()
    dynamodb = NoItems()
    store = DynamoPrincipalStore(Table("t", client=dynamodb), "k", cache_s=4.0, clock=clock)
    for n in range(3 * CACHE_ENTRIES):
        with contextlib.suppress(InvalidApiKeyError):
            store.authenticate(made_up_key())
        assert store.get_active(f"fla_{n:012x}") is None
    assert len(store._cache) <= CACHE_ENTRIES


def test_cached_verdicts_age_out() -> None:
    clock = Clock()
    dynamodb = NoItems()
    store = DynamoPrincipalStore(Table("t", client=dynamodb), "k", cache_s=4.0, clock=clock)
    assert store.get_active("fla_000000000001") is None
    assert store.get_active("fla_000000000001") is None
    assert dynamodb.reads == 1, "answered from the cache within cache_s"
    clock.now += 4.5
    assert store.get_active("fla_000000000001") is None
    assert dynamodb.reads == 2, "looked up again once cache_s passed"
    clock.now += 3600
    assert len(store._cache.expire()) >= 0
    assert len(store._cache) == 0, "nothing outlives its age"


def test_keys_are_not_kept_as_cache_keys() -> None:
    store = DynamoPrincipalStore(Table("t", client=NoItems()), "k", cache_s=4.0, clock=Clock())
    key = made_up_key()
    with contextlib.suppress(InvalidApiKeyError):
        store.authenticate(key)
    assert all(key not in cached for cached in store._cache)
