"""Makes moto's DynamoDB keep DynamoDB's promises under concurrency, and fast enough for the local stack.

moto's DynamoDB backend is not thread-safe, while its threaded server (and our threads around
`mock_aws`) call it from many threads: a conditional put can interleave with another between its
check and its write, which real DynamoDB never allows. And `transact_write_items` backs up the whole
table once per action (a 100-action transaction on a 3,000-item table took 3 s here), which makes
transactions unusable beyond a few hundred items.

`install()` (idempotent, used by `flagpost local` and the test harness) changes exactly three things
(and lets stream pollers wait for a stream write, `wait_for_stream_write`):
1. every DynamoDB backend operation runs under one lock, so each call is atomic and isolated;
2. a transaction snapshots only the items it touches (and the stream position) instead of whole
   tables, and restores them if it is cancelled;
3. a Query reads only its partition from the start key on (`flagpost_local.emulator_index`), instead of
   sorting the whole table, so that its cost follows DynamoDB's.
moto's own logic (expression parsing, conditions, streams, GSIs) is used unchanged.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from typing import Any

from flagpost_local import emulator_index

_lock = threading.RLock()
_state = {"installed": False}
# Bumped whenever a table's stream gets a record, so that stream pollers in this process block
# until there is something to read instead of asking the emulator many times a second.
_stream_written = threading.Condition()
_stream_generation = [0]

_SERIALISED = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_write_item",
    "batch_get_item",
    "transact_get_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)


class _CopyWithoutTableBackups:
    """Stands in for the `copy` module inside moto's DynamoDB models: tables are not deep-copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value  # the transaction wrapper below keeps a precise backup instead
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _serialised(method: Any) -> Any:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return wrapper


def _key_of(backend: Any, op: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    table_name = op.get("TableName")
    if not table_name or table_name not in backend.tables:
        return None
    if "Key" in op:
        return table_name, op["Key"]
    table = backend.tables[table_name]
    attrs = op.get("Item", {})
    if table.hash_key_attr not in attrs:
        return None
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None and table.range_key_attr in attrs:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return table_name, key


def _transactional(original: Any) -> Any:
    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _lock:
            before: list[tuple[str, dict[str, Any], Any]] = []
            streams: dict[str, int] = {}
            for entry in transact_items:
                op = next(iter(entry.values())) if entry else {}
                found = _key_of(self, op) if isinstance(op, dict) else None
                if found is None:
                    continue
                table_name, key = found
                try:
                    current = self.get_item(table_name, key)
                except Exception:  # moto validates keys itself when the transaction runs
                    current = None
                before.append((table_name, key, copy.deepcopy(current)))
                shard = self.tables[table_name].stream_shard
                streams.setdefault(table_name, len(shard.items) if shard is not None else 0)
            try:
                return original(self, transact_items)
            except Exception:
                for table_name, key, item in reversed(before):
                    if item is None:
                        with contextlib.suppress(Exception):  # the key may never have been written
                            self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, item.to_json()["Attributes"])
                for table_name, length in streams.items():
                    shard = self.tables[table_name].stream_shard
                    if shard is not None:
                        del shard.items[length:]  # a cancelled transaction leaves no stream records
                raise

    return transact_write_items


def stream_generation() -> int:
    """A number that changes whenever any stream of the emulator gets a record."""
    with _stream_written:
        return _stream_generation[0]


def wait_for_stream_write(since: int, timeout_s: float) -> bool:
    """Block until a stream gets a record after `stream_generation()` returned `since` (True), or the timeout."""
    with _stream_written:
        return _stream_written.wait_for(lambda: _stream_generation[0] != since, timeout_s)


def _notifying(add: Any) -> Any:
    @functools.wraps(add)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return add(*args, **kwargs)
        finally:
            with _stream_written:
                _stream_generation[0] += 1
                _stream_written.notify_all()

    return wrapper


def install() -> None:
    """Apply both fixes to moto's DynamoDB backend (safe to call more than once)."""
    with _lock:
        if _state["installed"]:
            return
        from moto.dynamodb import models
        from moto.dynamodb.models.table import StreamShard, Table

        backend = models.DynamoDBBackend
        models.copy = _CopyWithoutTableBackups(Table)  # type: ignore[attr-defined,assignment]
        backend.transact_write_items = _transactional(backend.transact_write_items)  # type: ignore[method-assign]
        # Sorted partitions first, so that their upkeep runs inside the lock taken below.
        emulator_index.install()
        for name in _SERIALISED:
            if hasattr(backend, name):
                setattr(backend, name, _serialised(getattr(backend, name)))
        StreamShard.add = _notifying(StreamShard.add)  # type: ignore[method-assign]
        # A stream is read under the same lock, so a reader never sees half of a transaction that is
        # then cancelled (its records are removed again).
        from moto.dynamodbstreams.models import DynamoDBStreamsBackend

        streams = DynamoDBStreamsBackend
        streams.get_records = _serialised(streams.get_records)  # type: ignore[method-assign]
        _state["installed"] = True
