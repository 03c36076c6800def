"""FirestoreStore: the production results store on Google Cloud Firestore.

Layout (all JSON payloads are compact JSON strings, so nested lists and odd keys never hit
Firestore's type rules, and one string field costs one encode instead of thousands of maps):

    runs/{run_id}                      status, created_key, started_at, summary_json,
                                       manifest_json | manifest_parts, strategies_json | ..._parts,
                                       map_chunks [n per chunk], series, comparison (header)
    runs/{run_id}/personas/{pid:08d}   id, n_members, member_chunks [n per chunk], profile_json | _parts
    runs/{run_id}/members/{pid}-{seq}  persona_id, seq, start, n, rows_json (members in page order)
    runs/{run_id}/map/{seq}            seq, n, rows_json (map points in stratified order)
    runs/{run_id}/blobs/{name}-{k}     one part of a JSON value too big to sit inline
    runs/{run_id}/model/{gen}-{k}      one part of the persona model file; header `model` on the run
                                       document (kind, size, sha256, parts, gen): ml.store.firestore_models
    runs/{run_id}/comparison/{gen}-{k} one part of the run's comparison JSON: ml.store.firestore_series
    meta/latest                        run_id, created_key

Production limits are enforced, not assumed from the emulator: every document's encoded size is
measured before writing (≤ 1 MiB; chunks target `chunk_bytes`, 256 KB: few documents, yet a
page read parses little JSON), and a batch holds at most 500
writes and `batch_bytes` of payload (3.5 MB: the emulator, like gRPC by default, refuses
messages over 4 MiB; production allows 10 MiB per request). Publishing writes the run document as `in_progress` first,
then everything else, then flips status, the `latest` pointer and the model header in one transaction. Reads live in
`ml.store.firestore_reads.FirestoreReads`.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from typing import Any

from ml.store import records as R
from ml.store.base import InjectedFailure, RunStore, StoreError, validate_run_id
from ml.store.bundle import RunBundle
from ml.store.firestore_limits import (  # noqa: F401 - re-exported
    MAX_BATCH_WRITES,
    MAX_DOC_BYTES,
    _Batcher,
    firestore_doc_size,
    firestore_value_size,
    pack_rows,
    split_utf8,
)
from ml.store.firestore_models import FirestoreModels
from ml.store.firestore_reads import DONE, FirestoreReads
from ml.store.firestore_series import FirestoreSeries
from ml.store.series import check_comparison, validate_series

INLINE_JSON_BYTES = 700_000  # a JSON value bigger than this goes to blob parts
#: Composite indexes the queries here need (mirrored in firestore.indexes.json, checked by a test):
#: `runs where status == 'complete' order by created_key desc` (list_runs, count_runs, delete).
COMPOSITE_INDEXES = [("runs", [("status", "ASCENDING"), ("created_key", "DESCENDING")])]
#: Bulky fields never queried: exempt from automatic single-field indexes (cheaper, faster writes).
UNINDEXED_FIELDS = [
    ("runs", "summary_json"), ("runs", "manifest_json"), ("runs", "strategies_json"), ("runs", "map_chunks"),
    ("personas", "profile_json"), ("personas", "member_chunks"), ("members", "rows_json"),
    ("map", "rows_json"), ("blobs", "json"), ("runs", "model"), ("model", "data"),
    ("runs", "comparison"), ("comparison", "json"),
]


# a project id: lower-case letters, digits and hyphens, from a letter (older ones "example.com:name")
PROJECT_ID_RE = re.compile(r"[a-z][a-z0-9.:-]*[a-z0-9]")


def parse_firestore_url(url: str) -> tuple[str, str]:
    """`firestore://project-id` or `firestore://project-id/database-id` → (project, database)."""
    rest = url[len("firestore://") :] if url.startswith("firestore://") else ""
    project, _, database = rest.strip("/").partition("/")
    if not project:
        raise ValueError(f"store URL {url!r} names no project: use firestore://PROJECT-ID")
    if not PROJECT_ID_RE.fullmatch(project):  # the client answered "Unknown: None" for one
        raise ValueError(f"store URL {url!r}: {project!r} is not a Google Cloud project id (lower-case letters, "
                         "digits and hyphens, starting with a letter; the id, not the project's display name)")
    return project, database or "(default)"



class FirestoreStore(FirestoreModels, FirestoreSeries, FirestoreReads, RunStore):
    """Results store in a Firestore database. With `FIRESTORE_EMULATOR_HOST` set the client
    talks to that emulator; otherwise it uses Application Default Credentials."""

    def __init__(self, project: str, database: str = "(default)", chunk_bytes: int = 256_000,
                 batch_writes: int = MAX_BATCH_WRITES, batch_bytes: int = 3_500_000, cache_ttl_s: float = 30.0,
                 client: Any = None, read_timeout_s: float = 20.0):
        if not 1 <= batch_writes <= MAX_BATCH_WRITES:
            raise ValueError(f"batch_writes must be 1..{MAX_BATCH_WRITES}, got {batch_writes}")
        if not 1_000 <= chunk_bytes <= 900_000:
            raise ValueError(f"chunk_bytes must be 1000..900000, got {chunk_bytes}")
        self.project, self.database = project, database
        self.chunk_bytes, self.batch_writes, self.batch_bytes = chunk_bytes, batch_writes, batch_bytes
        self.cache_ttl_s = cache_ttl_s
        self.read_timeout_s = read_timeout_s  # a read's retries end after this (FirestoreReads._opts)
        self.url = f"firestore://{project}" + ("" if database == "(default)" else f"/{database}")
        self.stats = {"commits": 0, "writes": 0, "max_batch_writes": 0, "max_batch_bytes": 0}
        self._cache: dict[tuple, tuple[float, Any]] = {}
        self._cache_lock = threading.Lock()
        if client is None:
            if os.environ.get("FIRESTORE_EMULATOR_HOST") == "":  # set but empty (compose's ${VAR}): no channel
                raise StoreError("FIRESTORE_EMULATOR_HOST is set but empty: set it to the emulator's HOST:PORT, or "
                                 "unset it to use Application Default Credentials")
            try:
                from google.cloud import firestore
            except ImportError as exc:  # pragma: no cover - dependency is pinned
                raise StoreError("google-cloud-firestore is not installed: pip install google-cloud-firestore") from exc
            try:
                client = firestore.Client(project=project, database=database)
            except Exception as exc:  # credentials / configuration
                hint = "" if os.environ.get("FIRESTORE_EMULATOR_HOST") else (
                    " (set FIRESTORE_EMULATOR_HOST for the emulator, or configure Application Default Credentials)")
                raise StoreError(f"cannot open Firestore project {project}: {exc}{hint}") from exc
        self.client = client

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close:
            close()

    def _json_fields(self, run_id: str, field: str, obj: Any, blob: str) -> tuple[dict, list[tuple[Any, dict]]]:
        """Inline `{field}_json`, or `{field}_parts` plus blob documents for big values."""
        text = R.dumps(obj)
        if len(text.encode("utf-8")) <= INLINE_JSON_BYTES:
            return {f"{field}_json": text}, []
        parts = split_utf8(text, self.chunk_bytes)
        blobs = self._run(run_id).collection("blobs")
        docs = [(blobs.document(f"{blob}-{k:04d}"), {"name": blob, "part": k, "json": p}) for k, p in enumerate(parts)]
        return {f"{field}_parts": len(parts)}, docs

    def preflight(self, timeout_s: float = 10.0) -> None:
        """Read `meta/latest`, then write and delete a probe document `meta/preflight-*`; every call
        has `timeout_s` and no retries, so an unreachable server fails fast instead of hanging."""
        probe = self.client.collection("meta").document(f"preflight-{uuid.uuid4().hex}")
        opts = {"timeout": timeout_s, "retry": None}
        self._call(self._latest_ref().get, **opts)
        try:
            self._call(probe.set, {"probe": True, "at": time.time()}, **opts)
        finally:
            try:
                self._call(probe.delete, **opts)
            except StoreError:
                pass  # the write failed too and says why; nothing was written

    # -- writing -----------------------------------------------------------------------------
    def publish(self, bundle: RunBundle, replace: bool = False) -> str:
        run_id = validate_run_id(bundle.run_id)
        R.check_bundle(bundle)
        comparison = check_comparison(run_id, bundle.comparison) if bundle.comparison is not None else None
        series = validate_series(bundle.manifest["series"]) if bundle.manifest.get("series") is not None else None
        self.cleanup_incomplete()
        snap = self._call(self._run(run_id).get, **self._opts())
        if snap.exists:
            if snap.get("status") == DONE and not replace:
                raise StoreError(f"run {run_id} is already published; delete it first or publish with replace")
            self.delete_run(run_id) if snap.get("status") == DONE else self._delete_all(run_id)
        self.stats = {"commits": 0, "writes": 0, "max_batch_writes": 0, "max_batch_bytes": 0}
        recs = R.member_records(bundle.members)
        manifest = R.to_jsonable(bundle.manifest)
        created = R.run_created_at(bundle)
        map_chunks = pack_rows((R.map_point(recs[i]) for i in R.map_order(recs)), self.chunk_bytes)
        run_doc = {"id": run_id, "status": "in_progress", "created_key": R.created_key(created),
                   "started_at": time.time(), "published_at": None,
                   "summary_json": R.dumps(R.run_summary(run_id, manifest)),
                   "map_chunks": [len(c) for c in map_chunks], "series": series}
        extra_m, blob_m = self._json_fields(run_id, "manifest", manifest, "manifest")
        extra_s, blob_s = self._json_fields(run_id, "strategies", R.to_jsonable(bundle.strategies or {}), "strategies")
        run_doc.update(extra_m | extra_s)
        run_ref = self._run(run_id)
        batcher = _Batcher(self)
        batcher.set(run_ref, run_doc)
        batcher.commit()  # the in-progress marker goes first, alone
        try:
            for ref, data in blob_m + blob_s:
                batcher.set(ref, data)
            self._write_members(run_id, bundle.personas, recs, batcher)
            for seq, chunk in enumerate(map_chunks):
                batcher.set(run_ref.collection("map").document(f"{seq:05d}"),
                            {"seq": seq, "n": len(chunk), "rows_json": "[" + ",".join(chunk) + "]"})
            model = self._write_model_parts(run_id, bundle.model, batcher) if bundle.model else None
            header = self._write_comparison_parts(run_id, comparison, batcher) if comparison else None
            batcher.commit()
            if not self._writes_allowed(self.stats["writes"], 1):
                raise InjectedFailure(f"injected failure after {self.stats['writes']} writes")
            self._flip_complete(run_id, run_doc["created_key"], model, header)
        except InjectedFailure:
            raise  # a simulated crash cleans nothing up: that is what it tests
        except BaseException:
            try:
                self._delete_all(run_id)
            except StoreError:
                pass  # stays in progress: invisible, and cleanup_incomplete removes it
            raise
        self._forget(run_id)
        return run_id

    def _write_members(self, run_id: str, personas: list[dict], recs: list[dict], batcher: _Batcher) -> None:
        by_persona: dict[int, list[dict]] = {}
        for rec in recs:
            by_persona.setdefault(rec["persona_id"], []).append(rec)
        run_ref = self._run(run_id)
        for persona in personas:
            pid = int(persona["id"])
            rows = by_persona.get(pid, [])
            chunks = pack_rows(rows, self.chunk_bytes)
            start = 0
            for seq, chunk in enumerate(chunks):
                batcher.set(run_ref.collection("members").document(f"{pid:08d}-{seq:05d}"),
                            {"persona_id": pid, "seq": seq, "start": start, "n": len(chunk),
                             "rows_json": "[" + ",".join(chunk) + "]"})
                start += len(chunk)
            doc = {"id": pid, "n_members": len(rows), "member_chunks": [len(c) for c in chunks]}
            fields, blobs = self._json_fields(run_id, "profile", R.persona_profile(persona), f"persona-{pid:08d}")
            for ref, data in blobs:
                batcher.set(ref, data)
            batcher.set(run_ref.collection("personas").document(f"{pid:08d}"), doc | fields)

    def _flip_complete(self, run_id: str, created_key: str, model: dict | None = None,
                       comparison: dict | None = None) -> None:
        from google.cloud import firestore

        run_ref, latest_ref = self._run(run_id), self._latest_ref()

        @firestore.transactional
        def flip(tx) -> None:
            latest = latest_ref.get(transaction=tx)
            cur = latest.to_dict() if latest.exists else None
            tx.update(run_ref, {"status": DONE, "published_at": R.utc_now_iso(), "model": model,
                                "comparison": comparison})
            if not cur or not cur.get("run_id") or (created_key, run_id) >= (cur.get("created_key", ""), cur["run_id"]):
                tx.set(latest_ref, {"run_id": run_id, "created_key": created_key})

        self._call(flip, self.client.transaction())
        self.stats["writes"] += 2

    def _delete_all(self, run_id: str) -> None:
        """Remove every document of a run (sub-collections first, the run document last)."""
        run_ref = self._run(run_id)
        batcher = _Batcher(self)
        hook, self._fail_after_writes = self._fail_after_writes, None
        try:
            for sub in ("members", "map", "blobs", "model", "comparison", "personas"):
                for ref in self._call(lambda sub=sub: list(run_ref.collection(sub).list_documents(page_size=500))):
                    batcher.delete(ref)
            batcher.delete(run_ref)
            batcher.commit()
        finally:
            self._fail_after_writes = hook
        self._forget(run_id)

    def delete_run(self, run_id: str) -> bool:
        from google.cloud import firestore

        run_id = self.resolve_run_id(run_id)
        run_ref, latest_ref = self._run(run_id), self._latest_ref()
        newest = (self.client.collection("runs").where(filter=firestore.FieldFilter("status", "==", DONE))
                  .order_by("created_key", direction=firestore.Query.DESCENDING).limit(2))

        @firestore.transactional
        def hide(tx) -> str | None:
            snap = run_ref.get(transaction=tx)
            if not snap.exists:
                return None
            status = snap.get("status")
            latest = latest_ref.get(transaction=tx)
            if latest.exists and latest.get("run_id") == run_id:
                nxt = [s for s in tx.get(newest) if s.id != run_id]
                tx.set(latest_ref, {"run_id": nxt[0].id if nxt else None,
                                    "created_key": nxt[0].get("created_key") if nxt else ""})
            tx.update(run_ref, {"status": "deleting"})
            return status

        status = self._call(hide, self.client.transaction())
        self._forget(run_id)
        if status is None:
            return False
        self._delete_all(run_id)
        return status == DONE

    def incomplete_run_ids(self) -> list[str]:
        from google.cloud import firestore

        query = self.client.collection("runs").where(
            filter=firestore.FieldFilter("status", "in", ["in_progress", "deleting"])).select(["started_at"])
        return sorted(s.id for s in self._call(lambda: list(query.stream(**self._opts(bulk=True)))))

    def cleanup_incomplete(self, older_than_s: float | None = None) -> list[str]:
        from google.cloud import firestore

        age = self.stale_after_s if older_than_s is None else older_than_s
        cutoff = time.time() - age
        query = self.client.collection("runs").where(
            filter=firestore.FieldFilter("status", "in", ["in_progress", "deleting"])).select(["started_at"])
        stale = [s.id for s in self._call(lambda: list(query.stream(**self._opts(bulk=True))))
                 if (s.get("started_at") or 0) <= cutoff]
        for run_id in stale:
            self._delete_all(run_id)
        return sorted(stale)
