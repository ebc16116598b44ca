"""Lambda SnapStart: prepare before the snapshot, and undo what must not be shared after a restore.

With SnapStart every new execution environment resumes from one snapshot of an initialised one. So:
- before the snapshot, each function builds what its handler uses (`prepare`): the modules it imports
  are then in the snapshot instead of being imported on the first request after a restore;
- after a restore, randomness is re-seeded (environments resumed from one snapshot would otherwise
  draw the same backoff jitter) and every lazily built object is forgotten (clients made before the
  snapshot hold connections and credentials of the environment that took it).
Identifiers never depend on `random`: they come from `secrets` (the OS's entropy), which a restore
does not copy.

Outside a SnapStart runtime (tests, the local stack) `snapshot_restore_py` is absent and nothing is
registered; the hooks are plain functions that tests call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from flagpost import lazy


def after_restore() -> None:
    random.seed()  # from os.urandom: each restored environment draws its own jitter
    lazy.reset()


def before_snapshot(*builders: Callable[[], Any]) -> None:
    for build in builders:
        build()
    # Nothing built here survives: the restored environment builds it again with its own clients.
    lazy.reset()


def prepare(*builders: Callable[[], Any]) -> bool:
    """Register the hooks if this runtime snapshots (whether it does)."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_before_snapshot(before_snapshot, *builders)
    register_after_restore(after_restore)
    return True
