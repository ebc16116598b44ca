"""Process-wide singletons built on first use (clients, settings, persistence layers) and reset together.

Nothing may reach AWS or read required configuration at import time; tests and the local stack call
`reset()` whenever the environment those singletons were built from changes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T", bound=Callable[..., Any])

_registry: list[Any] = []
_lock = threading.RLock()  # lazy values may be built from other lazy values


def lazy(fn: T) -> T:
    """Cache `fn`'s result per arguments until `reset()`; safe to call from several threads."""
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return cached(*args, **kwargs)

    _registry.append(cached)
    return wrapper  # type: ignore[return-value]


def reset() -> None:
    with _lock:
        for cached in _registry:
            cached.cache_clear()
