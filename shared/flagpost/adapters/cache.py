"""A warm function's look-up cache: bounded in size and age, keyed by what callers send.

Callers send API keys and principal ids in URLs; whatever they send, the cache holds at most
CACHE_ENTRIES entries, each for at most its age, so that a flood of made-up keys or ids cannot grow a
warm function's memory without end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

# Cached look-ups per warm function: principals, key verdicts and secrets of this many callers at most.
CACHE_ENTRIES = 1024
# A look-up that turned out stale (a signature that matched no cached secret) is redone at most this
# often per caller, so that forged requests cannot turn every call into a KMS decrypt.
REFRESH_INTERVAL_S = 1.0


class LookupCache:
    def __init__(self, age_s: float, *, clock: Callable[[], float] = time.time) -> None:
        self.age_s = age_s
        self._entries: TTLCache[str, Any] = TTLCache(maxsize=CACHE_ENTRIES, ttl=max(age_s, 1e-6), timer=clock)
        self._refreshed: TTLCache[str, float] = TTLCache(maxsize=CACHE_ENTRIES, ttl=REFRESH_INTERVAL_S, timer=clock)
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Any]) -> Any:
        """The cached value, or `load()`'s (kept unless the cache's age is 0)."""
        with self._lock:
            if key in self._entries:
                return self._entries[key]
        value = load()
        if self.age_s > 0:
            with self._lock:
                self._entries[key] = value
        return value

    def refresh(self, key: str, caller: str) -> bool:
        """Drop `key` so that the next get loads it again, unless `caller` did so within the refresh
        interval; whether it was dropped."""
        with self._lock:
            if caller in self._refreshed:
                return False
            self._refreshed[caller] = self._clock()
            self._entries.pop(key, None)
            return True

    def forget(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Any:
        return iter(list(self._entries))

    def expire(self) -> list[Any]:
        with self._lock:
            return list(self._entries.expire())
