"""Firestore production limits, enforced before writing (the emulator is more lenient).

`firestore_doc_size` follows https://cloud.google.com/firestore/docs/storage-size; `_Batcher`
commits at 500 writes or `batch_bytes`, and refuses any document over 1 MiB.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ml.store import records as R
from ml.store.base import InjectedFailure, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from ml.store.firestore import FirestoreStore

MAX_DOC_BYTES = 1_048_576  # Firestore's maximum document size
MAX_BATCH_WRITES = 500  # Firestore's maximum writes per commit


def firestore_value_size(value: Any) -> int:
    """Storage size of a value by Firestore's documented rules (strings: UTF-8 bytes + 1)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, str):
        return len(value.encode("utf-8")) + 1
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(k).encode("utf-8")) + 1 + firestore_value_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(firestore_value_size(v) for v in value)
    return 8  # timestamps, sentinels


def firestore_doc_size(path: str, data: dict[str, Any]) -> int:
    """Encoded size of document `path` (e.g. 'runs/r1/members/x') holding `data`."""
    name = sum(len(seg.encode("utf-8")) + 1 for seg in path.split("/")) + 16
    return name + firestore_value_size(data) + 32


def split_utf8(text: str, max_bytes: int) -> list[str]:
    """`text` in consecutive pieces of at most `max_bytes` UTF-8 bytes each."""
    parts, i = [], 0
    while i < len(text):
        n = max_bytes
        while len(text[i : i + n].encode("utf-8")) > max_bytes:
            n = max(1, n * 3 // 4)
        parts.append(text[i : i + n])
        i += n
    return parts or [""]


def split_bytes(data: bytes, max_bytes: int) -> list[bytes]:
    """`data` in consecutive pieces of at most `max_bytes` bytes each (one empty piece for no data)."""
    return [data[i : i + max_bytes] for i in range(0, len(data), max_bytes)] or [b""]


def pack_rows(rows: Iterable[dict[str, Any]], max_bytes: int) -> list[list[str]]:
    """Group rows (as JSON strings) into chunks whose JSON array stays under `max_bytes`."""
    chunks: list[list[str]] = []
    cur: list[str] = []
    size = 2
    for row in rows:
        enc = R.dumps(row)
        n = len(enc.encode("utf-8")) + 1
        if cur and size + n > max_bytes:
            chunks.append(cur)
            cur, size = [], 2
        cur.append(enc)
        size += n
    if cur:
        chunks.append(cur)
    return chunks


class _Batcher:
    """Collects writes; commits at 500 writes or `max_bytes`; applies the crash test hook."""

    def __init__(self, store: FirestoreStore):
        self.store, self.ops, self.bytes = store, [], 0

    def set(self, ref, data: dict[str, Any]) -> None:
        size = firestore_doc_size(ref.path, data)
        if size > MAX_DOC_BYTES:
            raise StoreError(f"document {ref.path} would be {size} bytes, over Firestore's 1 MiB limit")
        if len(self.ops) >= self.store.batch_writes or (self.ops and self.bytes + size > self.store.batch_bytes):
            self.commit()
        self.ops.append(("set", ref, data))
        self.bytes += size

    def delete(self, ref) -> None:
        if len(self.ops) >= self.store.batch_writes:
            self.commit()
        self.ops.append(("delete", ref, None))

    def commit(self) -> None:
        if not self.ops:
            return
        st = self.store
        allowed = st._writes_allowed(st.stats["writes"], len(self.ops))
        ops = self.ops[:allowed]
        if ops:
            batch = st.client.batch()
            for kind, ref, data in ops:
                batch.set(ref, data) if kind == "set" else batch.delete(ref)
            st._call(batch.commit)
            st.stats["commits"] += 1
            st.stats["writes"] += len(ops)
            st.stats["max_batch_writes"] = max(st.stats["max_batch_writes"], len(ops))
            st.stats["max_batch_bytes"] = max(st.stats["max_batch_bytes"], self.bytes)
        if allowed < len(self.ops):
            raise InjectedFailure(f"injected failure after {st.stats['writes']} writes")
        self.ops, self.bytes = [], 0
