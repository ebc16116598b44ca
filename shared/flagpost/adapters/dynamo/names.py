"""Display names of principals for the reviewer's reads (names, not ids)."""

from __future__ import annotations

from flagpost.adapters.dynamo.principals import DynamoPrincipalStore, PrincipalNotFoundError


class PrincipalNames:
    """Display names by principal id, kept for the life of the execution environment (names rarely
    change; a stale one only shows an old name). Unknown ids have none."""

    def __init__(self, store: DynamoPrincipalStore) -> None:
        self.store = store
        self._names: dict[str, str | None] = {}

    def name_of(self, principal_id: str) -> str | None:
        if principal_id not in self._names:
            try:
                self._names[principal_id] = self.store.get(principal_id).name
            except PrincipalNotFoundError:
                self._names[principal_id] = None
        return self._names[principal_id]
