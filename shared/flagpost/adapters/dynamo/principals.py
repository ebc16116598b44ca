"""Stores principals in DynamoDB: API keys as salted hashes, signing secrets as KMS ciphertexts.

Layout of the principals table (pk, sk):
- ``P#<id>``, ``PROFILE``: the Principal.
- ``P#<id>``, ``SECRET#<created_at>``: one signing secret, KMS-encrypted, with ``not_after`` once rotated out.
- ``P#<id>``, ``KEY#<key_id>``: which keys the principal has, so rotation need not scan.
- ``K#<key_id>``, ``KEY``: one API key: salt, SHA-256 digest, principal id, ``not_after`` once rotated out.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flagpost.adapters.cache import CACHE_ENTRIES, LookupCache
from flagpost.adapters.dynamo.client import Table, to_item
from flagpost.adapters.kms import SecretBox
from flagpost.domain import credentials
from flagpost.domain.errors import InvalidApiKeyError, NotFoundError
from flagpost.domain.models.principal import IssuedCredentials, Principal, Role


class PrincipalNotFoundError(NotFoundError):
    """No such principal (or no active one, where that is what was asked)."""

    def __init__(self, principal_id: str) -> None:
        super().__init__(f"No principal {principal_id!r}.")


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    principal_id: str
    salt: bytes
    digest: bytes
    not_after: float | None


def _now() -> datetime:
    return datetime.now(UTC)


class DynamoPrincipalStore:
    def __init__(
        self,
        table: Table,
        kms_key_id: str,
        *,
        rotation_overlap_s: int = 24 * 3600,
        cache_s: float = 4.0,
        kms: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.kms_key_id = kms_key_id
        self.rotation_overlap_s = rotation_overlap_s
        self.cache_s = cache_s
        self._secrets = SecretBox(kms_key_id, kms=kms)
        self._clock = clock
        self._cache = LookupCache(cache_s, clock=lambda: self._clock())  # noqa: PLW0108 - follows a replaced clock

    # ------------------------------------------------------------- creation
    def create(
        self,
        role: Role,
        name: str,
        *,
        domains: list[str] | None = None,
        platform_ids: list[str] | None = None,
        endpoint: str | None = None,
        email: list[str] | None = None,
    ) -> IssuedCredentials:
        principal = Principal(
            id=credentials.new_principal_id(role.value),
            role=role,
            name=name,
            domains=sorted({d.lower().strip(".") for d in domains or []}),
            platform_ids=sorted({p.lower() for p in platform_ids or []}),
            endpoint=endpoint,
            email=list(dict.fromkeys(email or [])),
            created_at=_now(),
        )
        api_key, key_items = self._new_key_items(principal.id)
        writes = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item({"pk": f"P#{principal.id}", "sk": "PROFILE", **self._profile(principal)}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *({"Put": {"TableName": self.table.name, "Item": item}} for item in key_items),
        ]
        secret = None
        if role.signs_webhooks:
            secret, secret_item = self._new_secret_item(principal.id)
            writes.append({"Put": {"TableName": self.table.name, "Item": secret_item}})
        self.table.transact(writes)
        return IssuedCredentials(principal=principal, api_key=api_key, secret=secret)

    @staticmethod
    def _profile(principal: Principal) -> dict[str, Any]:
        return principal.model_dump(mode="json", exclude_none=True)

    def _new_key_items(self, principal_id: str) -> tuple[str, list[dict[str, Any]]]:
        api_key, parsed = credentials.new_api_key()
        salt = credentials.new_salt()
        created = _now().isoformat()
        lookup = to_item(
            {
                "pk": f"K#{parsed.key_id}",
                "sk": "KEY",
                "principal_id": principal_id,
                "salt": salt,
                "digest": credentials.hash_secret(salt, parsed.secret),
                "created_at": created,
            }
        )
        ref = to_item({"pk": f"P#{principal_id}", "sk": f"KEY#{parsed.key_id}", "created_at": created})
        return api_key, [lookup, ref]

    def _new_secret_item(self, principal_id: str) -> tuple[str, dict[str, Any]]:
        secret = credentials.new_signing_secret()
        ciphertext = self._secrets.seal(principal_id, secret)
        created = _now().isoformat()
        item = to_item(
            {
                "pk": f"P#{principal_id}",
                "sk": f"SECRET#{created}",
                "ciphertext": ciphertext,
                "created_at": created,
            }
        )
        return secret, item

    # --------------------------------------------------------------- reads
    def get(self, principal_id: str) -> Principal:
        found = self.table.get({"pk": f"P#{principal_id}", "sk": "PROFILE"})
        if found is None:
            raise PrincipalNotFoundError(principal_id)
        return Principal.model_validate(found)

    def get_active(self, principal_id: str) -> Principal | None:
        """The principal if it exists and is active; cached for at most cache_s (revocation bites < 5 s)."""

        def load() -> Principal | None:
            try:
                principal = self.get(principal_id)
            except PrincipalNotFoundError:
                return None
            return principal if principal.active else None

        found: Principal | None = self._cache.get(f"principal:{principal_id}", load)
        return found

    def all(self) -> list[Principal]:
        # The table holds a few hundred principals at most; admins list them rarely.
        found = self.table.scan_all(FilterExpression="sk = :p", ExpressionAttributeValues=to_item({":p": "PROFILE"}))
        principals = [Principal.model_validate(record) for record in found]
        return sorted(principals, key=lambda p: (p.role.value, p.created_at))

    def active_platforms(self) -> list[Principal]:
        """The active platform principals, read at most every cache_s (a scan of a few hundred items)."""
        found: list[Principal] = self._cache.get(
            "platforms", lambda: [p for p in self.all() if p.role is Role.PLATFORM and p.active]
        )
        return found

    def authenticate(self, api_key: str) -> Principal:
        parsed = credentials.parse_api_key(api_key)
        if parsed is None:
            raise InvalidApiKeyError("malformed key")
        # The cache key is a digest: the key itself is never kept in memory longer than the request.
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        principal: Principal | None = self._cache.get(f"auth:{digest}", lambda: self._authenticate(parsed))
        if principal is None:
            raise InvalidApiKeyError("invalid key")
        return principal

    def _authenticate(self, parsed: credentials.ParsedApiKey) -> Principal | None:
        stored = self.table.get({"pk": f"K#{parsed.key_id}", "sk": "KEY"})
        if stored is None:
            return None
        if not credentials.verify_secret(stored["salt"], parsed.secret, stored["digest"]):
            return None
        not_after = stored.get("not_after")
        if not_after is not None and not_after <= self._clock():
            return None
        try:
            principal = self.get(stored["principal_id"])
        except PrincipalNotFoundError:
            return None
        return principal if principal.active else None

    def signing_secrets(self, principal_id: str, *, fresh: bool = False) -> list[str]:
        """The live secrets, newest first (two while a rotation overlaps).

        `fresh=True` (after a signature did not match the cached secrets) reloads them, at most once a
        second per principal, so that a just-rotated secret works at once without letting forged
        requests turn every call into a KMS decrypt.
        """
        key = f"secrets:{principal_id}"
        if fresh and not self._cache.refresh(key, principal_id):
            return []
        secrets_: list[str] = self._cache.get(key, lambda: self._load_secrets(principal_id))
        return secrets_

    def _load_secrets(self, principal_id: str) -> list[str]:
        now = self._clock()
        live = [
            i for i in self._children(principal_id, "SECRET#") if i.get("not_after") is None or i["not_after"] > now
        ]
        return [self._secrets.open(principal_id, item["ciphertext"]) for item in live]

    def _children(self, principal_id: str, prefix: str = "") -> list[dict[str, Any]]:
        """The principal's items whose sort key starts with `prefix`, newest first."""
        condition, values = "pk = :pk", {":pk": f"P#{principal_id}"}
        if prefix:
            condition, values = f"{condition} AND begins_with(sk, :s)", {**values, ":s": prefix}
        return list(
            self.table.query_all(
                KeyConditionExpression=condition,
                ExpressionAttributeValues=to_item(values),
                ConsistentRead=True,
                ScanIndexForward=False,
            )
        )

    # ------------------------------------------------------------ lifecycle
    def rotate(self, principal_id: str) -> IssuedCredentials:
        """A new key (and secret); the old ones keep working for the rotation overlap, then expire."""
        principal = self.get(principal_id)
        if not principal.active:
            raise PrincipalNotFoundError(principal_id)
        not_after = int(self._clock()) + self.rotation_overlap_s
        writes = self._expire_writes(principal_id, not_after)
        api_key, key_items = self._new_key_items(principal_id)
        writes.extend({"Put": {"TableName": self.table.name, "Item": item}} for item in key_items)
        secret = None
        if principal.role.signs_webhooks:
            secret, secret_item = self._new_secret_item(principal_id)
            writes.append({"Put": {"TableName": self.table.name, "Item": secret_item}})
        self.table.transact(writes)
        self._forget(principal_id)
        overlap_ends = datetime.fromtimestamp(not_after, UTC)
        return IssuedCredentials(principal=principal, api_key=api_key, secret=secret, previous_valid_until=overlap_ends)

    def revoke(self, principal_id: str) -> Principal:
        principal = self.get(principal_id)
        now = _now()
        writes = self._expire_writes(principal_id, int(self._clock()))
        writes.append(
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": to_item({"pk": f"P#{principal_id}", "sk": "PROFILE"}),
                    "UpdateExpression": "SET #s = :r, revoked_at = :t",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_item({":r": "revoked", ":t": now.isoformat()}),
                }
            }
        )
        self.table.transact(writes)
        self._forget(principal_id)
        return principal.model_copy(update={"status": "revoked", "revoked_at": now})

    def _expire_writes(self, principal_id: str, not_after: int) -> list[dict[str, Any]]:
        """Updates that end the principal's keys and secrets: the current ones at `not_after`, and any
        still in an earlier rotation's overlap now, so that at most two of each are ever live (the
        one just issued and the one it replaces). Rotating twice retires a compromised key at once."""
        now = int(self._clock())
        writes: list[dict[str, Any]] = []
        targets: list[tuple[str, str, int]] = []
        for child in self._children(principal_id):
            if child["sk"] == "PROFILE":
                continue
            current_end = child.get("not_after")
            if current_end is None:
                end = not_after
            elif current_end > now:
                end = min(int(current_end), now)
            else:
                continue  # already over
            targets.append((child["pk"], child["sk"], end))
            if child["sk"].startswith("KEY#"):
                targets.append((f"K#{child['sk'].removeprefix('KEY#')}", "KEY", end))
        for pk, sk, end in targets:
            writes.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": to_item({"pk": pk, "sk": sk}),
                        "UpdateExpression": "SET not_after = :n, expires_at = :e",
                        "ExpressionAttributeValues": to_item({":n": end, ":e": end + 86400}),
                    }
                }
            )
        return writes

    def _forget(self, principal_id: str) -> None:
        self._cache.forget(f"secrets:{principal_id}", f"principal:{principal_id}")
        # Cached API-key verdicts for this principal age out within cache_s (<= 5 s).


__all__ = ["CACHE_ENTRIES", "DynamoPrincipalStore", "InvalidApiKeyError", "PrincipalNotFoundError"]
