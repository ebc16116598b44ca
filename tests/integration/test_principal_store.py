"""Principals in DynamoDB: keys stored hashed, secrets encrypted, rotation overlaps, revocation bites."""

from __future__ import annotations

import json

import pytest

from flagpost.adapters.dynamo.principals import DynamoPrincipalStore, InvalidApiKeyError
from flagpost.domain import credentials
from flagpost.domain.models.principal import Role
from flagpost_local.harness import InProcessStack


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(local_aws: InProcessStack, clock: Clock) -> DynamoPrincipalStore:
    base = local_aws.principals()
    return DynamoPrincipalStore(base.table, base.kms_key_id, rotation_overlap_s=3600, cache_s=4.0, clock=clock)


def table_dump(local_aws: InProcessStack, store: DynamoPrincipalStore) -> str:
    items = local_aws.client("dynamodb").scan(TableName=store.table.name)["Items"]
    return json.dumps(items, default=str)


def test_created_key_authenticates_and_neither_key_nor_secret_is_stored_in_clear(
    local_aws: InProcessStack, store: DynamoPrincipalStore
) -> None:
    issued = store.create(Role.FLAGGER, "Referral unit", domains=["T.me."])
    assert issued.secret is not None
    assert issued.secret.startswith("whsec_")
    assert store.authenticate(issued.api_key).id == issued.principal.id
    assert issued.principal.domains == ["t.me"]
    dump = table_dump(local_aws, store)
    parsed = credentials.parse_api_key(issued.api_key)
    assert parsed is not None
    secret_part = parsed.secret
    assert secret_part not in dump
    assert issued.secret not in dump
    assert issued.secret.removeprefix("whsec_") not in dump
    assert store.signing_secrets(issued.principal.id) == [issued.secret]


def test_reviewers_and_admins_get_no_signing_secret(store: DynamoPrincipalStore) -> None:
    assert store.create(Role.REVIEWER, "R").secret is None
    assert store.create(Role.ADMIN, "A").secret is None
    assert store.create(Role.PLATFORM, "P", platform_ids=["Telegram"]).principal.platform_ids == ["telegram"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret part
        lambda k: "fpk_0000000000000000_" + k[-43:],  # unknown key id, valid-looking secret
        lambda k: k.upper(),
        lambda k: "",
        lambda k: "Bearer " + k,
    ],
)
def test_altered_keys_are_refused(store: DynamoPrincipalStore, mangle: object) -> None:
    issued = store.create(Role.REVIEWER, "R")
    with pytest.raises(InvalidApiKeyError):
        store.authenticate(mangle(issued.api_key))  # type: ignore[operator]


def test_rotation_keeps_both_credentials_valid_for_the_overlap_then_only_the_new(
    store: DynamoPrincipalStore, clock: Clock
) -> None:
    first = store.create(Role.FLAGGER, "F")
    second = store.rotate(first.principal.id)
    assert second.api_key != first.api_key
    assert second.secret not in (None, first.secret)
    assert store.authenticate(first.api_key).id == first.principal.id
    assert store.authenticate(second.api_key).id == first.principal.id
    assert store.signing_secrets(first.principal.id) == [second.secret, first.secret]

    clock.now += 3601
    with pytest.raises(InvalidApiKeyError):
        store.authenticate(first.api_key)
    assert store.authenticate(second.api_key).id == first.principal.id
    store._cache.clear()
    assert store.signing_secrets(first.principal.id) == [second.secret]


def test_revocation_bites_within_the_cache_window(store: DynamoPrincipalStore, clock: Clock) -> None:
    issued = store.create(Role.PLATFORM, "P")
    assert store.authenticate(issued.api_key).active
    other_instance = DynamoPrincipalStore(store.table, store.kms_key_id, clock=clock)
    other_instance.revoke(issued.principal.id)
    # This instance may still trust its memory for at most cache_s (< 5 s) ...
    clock.now += 4.01
    with pytest.raises(InvalidApiKeyError):
        store.authenticate(issued.api_key)
    assert store.get(issued.principal.id).status == "revoked"
    assert store.signing_secrets(issued.principal.id) == []


def test_listing_shows_profiles_only(store: DynamoPrincipalStore) -> None:
    created = [store.create(Role.FLAGGER, f"F{i}") for i in range(3)]
    listed = store.all()
    assert {p.id for p in listed} == {c.principal.id for c in created}
    assert all("api_key" not in p.model_dump() for p in listed)


def test_a_fresh_look_at_secrets_is_rate_limited_to_once_a_second(store: DynamoPrincipalStore, clock: Clock) -> None:
    issued = store.create(Role.FLAGGER, "F")
    assert store.signing_secrets(issued.principal.id) == [issued.secret]
    rotated = DynamoPrincipalStore(store.table, store.kms_key_id, clock=clock).rotate(issued.principal.id)
    assert store.signing_secrets(issued.principal.id) == [issued.secret], "cached"
    assert store.signing_secrets(issued.principal.id, fresh=True) == [rotated.secret, issued.secret]
    assert store.signing_secrets(issued.principal.id, fresh=True) == [], "a second refresh within 1 s is refused"
    clock.now += 1.0
    assert store.signing_secrets(issued.principal.id, fresh=True) == [rotated.secret, issued.secret]


def test_at_most_two_keys_and_secrets_are_live_however_often_one_rotates(
    store: DynamoPrincipalStore, clock: Clock
) -> None:
    """The contract allows two during a rotation; a second rotation retires the first key at once
    (what to do when a key leaked)."""
    issued = [store.create(Role.PLATFORM, "P")]
    for _ in range(3):
        clock.now += 60
        issued.append(store.rotate(issued[0].principal.id))
        clock.now += 5  # past the cache
    live = []
    for creds in issued:
        try:
            store.authenticate(creds.api_key)
            live.append(creds.api_key)
        except InvalidApiKeyError:
            pass
    assert live == [issued[-2].api_key, issued[-1].api_key]
    secrets = store.signing_secrets(issued[0].principal.id, fresh=True)
    assert secrets == [issued[-1].secret, issued[-2].secret]


def test_a_rotation_says_until_when_the_old_key_works(store: DynamoPrincipalStore, clock: Clock) -> None:
    issued = store.create(Role.FLAGGER, "F")
    assert issued.previous_valid_until is None
    rotated = store.rotate(issued.principal.id)
    assert rotated.previous_valid_until is not None
    assert rotated.previous_valid_until.timestamp() == clock.now + 3600
