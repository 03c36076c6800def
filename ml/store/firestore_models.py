"""Persona models in the Firestore store (a mixin of ``ml.store.firestore.FirestoreStore``).

Layout: the joblib file's bytes in parts of at most ``chunk_bytes`` (256 KB by default, each document
far under Firestore's 1 MiB), written through the store's batcher (500 writes / ``batch_bytes`` per
commit), then a header on the run document:

    runs/{run_id}/model/{gen}-{k:05d}   gen, part, data (bytes)
    runs/{run_id}.model                 kind, size, sha256, parts, gen

The header is written last: by the transaction that makes a published run visible, or, for
``put_model`` on a run published before models were stored, by a transaction of its own after every
part is committed. A reader goes by the header only, so a partial write is never read as a model (its
parts carry another ``gen`` and are removed with the run), and every read checks size and sha256.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from ml.store.base import InjectedFailure, RunNotFound, StoreError
from ml.store.bundle import StoredModel
from ml.store.firestore_limits import _Batcher, split_bytes
from ml.store.firestore_reads import DONE

MODEL_COLLECTION = "model"


class FirestoreModels:
    """Needs the ``FirestoreReads`` helpers (``_call``, ``_run``, ``_run_doc``, ``_forget``), ``chunk_bytes``,
    ``client``, ``stats`` and ``_writes_allowed`` (``RunStore``)."""

    def _write_model_parts(self, run_id: str, model: StoredModel, batcher: _Batcher) -> dict[str, Any]:
        """Queue the parts of `model` on `batcher`; returns the header to write once they are committed."""
        parts = split_bytes(model.data, self.chunk_bytes)
        gen = write_parts(self, run_id, MODEL_COLLECTION, "data", parts, batcher)
        return {**model.info(), "parts": len(parts), "gen": gen}

    def put_model(self, run_id: str, model: StoredModel) -> None:
        run_id = self.resolve_run_id(run_id)
        self._run_doc(run_id)  # RunNotFound for an unknown or incomplete run
        self.stats = {"commits": 0, "writes": 0, "max_batch_writes": 0, "max_batch_bytes": 0}
        batcher = _Batcher(self)
        header = self._write_model_parts(run_id, model, batcher)
        batcher.commit()
        if not self._writes_allowed(self.stats["writes"], 1):  # test hook: a crash before the header
            raise InjectedFailure(f"injected failure after {self.stats['writes']} writes")
        swap_in_header(self, run_id, "model", header, MODEL_COLLECTION)

    def get_model_info(self, run_id: str) -> dict[str, Any] | None:
        header = self._run_doc(run_id).get("model")
        return {k: header[k] for k in ("kind", "size", "sha256")} if header else None

    def get_model(self, run_id: str) -> StoredModel | None:
        run_id = self.resolve_run_id(run_id)
        snap = self._call(self._run(run_id).get, **self._opts())  # not from the cache: the parts it names must exist now
        if not snap.exists or snap.get("status") != DONE:
            raise RunNotFound(run_id)
        header = (snap.to_dict() or {}).get("model")
        if not header:
            return None
        data = b"".join(read_parts(self, run_id, MODEL_COLLECTION, "data", header, "model; publish the run again"))
        if len(data) != header["size"] or hashlib.sha256(data).hexdigest() != header["sha256"]:
            raise StoreError(f"Firestore {self.url}: the stored model of run {run_id} does not match its "
                             "checksum; publish the run again")
        return StoredModel(header["kind"], data)


def write_parts(store: Any, run_id: str, collection: str, field: str, parts: list, batcher: _Batcher) -> str:
    """Queue ``parts`` on ``batcher`` as the run's ``collection/{gen}-{k:05d}`` documents (``gen``, ``part``
    and the part under ``field``) of a new generation; returns that ``gen`` for the header."""
    gen = uuid.uuid4().hex[:12]
    col = store._run(run_id).collection(collection)
    for k, part in enumerate(parts):
        batcher.set(col.document(f"{gen}-{k:05d}"), {"gen": gen, "part": k, field: part})
    return gen


def read_parts(store: Any, run_id: str, collection: str, field: str, header: dict[str, Any], what: str) -> list:
    """The parts a header names (``header["gen"]``, ``header["parts"]``), in order; StoreError naming
    ``what`` (and what to do) when one is missing."""
    col = store._run(run_id).collection(collection)
    refs = [col.document(f"{header['gen']}-{k:05d}") for k in range(int(header["parts"]))]
    parts = {s.id: (s.to_dict() or {}).get(field)
             for s in store._call(lambda: list(store.client.get_all(refs, **store._opts(bulk=True))))}
    if any(parts.get(ref.id) is None for ref in refs):
        store._unless_gone(run_id)  # deleted between reading its header and its parts: not found
        raise StoreError(f"Firestore {store.url}: run {run_id} lacks a part of its {what}")
    return [parts[ref.id] for ref in refs]


def swap_in_header(store: Any, run_id: str, field: str, header: dict[str, Any], collection: str) -> None:
    """Point the run document's ``field`` at the parts of ``header["gen"]`` (committed before), in a
    transaction that refuses a run that is gone or incomplete; then delete the parts of other generations.

    Used for every "parts, then a header written last" record of a published run (models, comparisons)."""
    from google.cloud import firestore

    run_ref = store._run(run_id)

    @firestore.transactional
    def point(tx) -> None:
        snap = run_ref.get(transaction=tx)
        if not snap.exists or snap.get("status") != DONE:
            raise RunNotFound(run_id)
        tx.update(run_ref, {field: header})

    store._call(point, store.client.transaction())
    store._forget(run_id)
    col = run_ref.collection(collection)
    old = [ref for ref in store._call(lambda: list(col.list_documents(page_size=500)))
           if not ref.id.startswith(header["gen"] + "-")]
    cleanup = _Batcher(store)
    for ref in old:
        cleanup.delete(ref)
    cleanup.commit()
