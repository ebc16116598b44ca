"""Platform-aware target identity: every reported link or handle becomes one Target and one dedup key.

Public API (ingest calls exactly this):

- `normalize_url(raw) -> Target` for links as flaggers paste them: defanged (`hxxps://t[.]me/x`),
  scheme-less, mobile, share, embed, mirror and deep-link (`tg://`) forms.
- `normalize_target(platform, type, id) -> Target` for things without a link (Surespot, Wickr, PSN
  and Kik accounts, Telegram @handles), giving the same key as the URL form of the same thing.
- `NormalizeError(reason, message)`: the only exception either raises; `reason` is a short code.
- `Target(platform, type, id, canonical_url, dedup_key, parent)` and `ParentRef(type, id, dedup_key)`.

Nothing in this package ever makes a network request: short links stay `short_link` targets.

Precision first: merging two different targets is far worse than keeping two spellings of one apart.
Adapters claim only the path shapes they declare (`platforms.base.Router`); anything else on a platform
host is a `page` of that platform keeping its whole path and content-bearing query.

dedup_key scheme (v1): `"v1:" + blake2b("{platform}|{type}|{id}", digest_size=15).hexdigest()`,
33 characters. The version prefix names the rule set that produced `(platform, type, id)`; when a rule
change would make a tuple name another target, the version is bumped and stored items are re-keyed by
re-normalizing their canonical_url. See docs/normalization.md for every rule.
"""

from __future__ import annotations

from flagpost.domain.normalize.api import normalize_target, normalize_url
from flagpost.domain.normalize.errors import REASONS, NormalizeError
from flagpost.domain.normalize.target import KEY_VERSION, ParentRef, Target, dedup_key

__all__ = [
    "KEY_VERSION",
    "REASONS",
    "NormalizeError",
    "ParentRef",
    "Target",
    "dedup_key",
    "normalize_target",
    "normalize_url",
]
