"""Reading side of ``FirestoreStore`` (layout in ``ml.store.firestore``): a mixin with the Firestore
calls, a short-lived read cache and every read of the store interface.

Published runs never change, so reads are cached for ``cache_ttl_s``; ``_forget`` drops a run from the
cache when this process deletes or republishes it.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ml.runtime.contracts.base import STORED
from ml.store import records as R
from ml.store.base import PersonaNotFound, RunNotFound, StoreError

DONE = "complete"
PING_TIMEOUT_S = 5.0
BULK_ATTEMPT_S = 300.0  # one attempt of a streamed read (get_all, stream): the client's own default  # a readiness probe answers within this (orchestrators' probes time out in seconds)


class FirestoreReads:
    """Needs ``self.client``, ``self.url``, ``self._cache``, ``self._cache_lock``, ``self.cache_ttl_s``
    and ``resolve_run_id`` (from ``RunStore``)."""

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (StoreError, RunNotFound, PersonaNotFound):
            raise
        except Exception as exc:
            if type(exc).__module__.startswith(("google.", "grpc")):
                host = os.environ.get("FIRESTORE_EMULATOR_HOST")
                down = host and "failed to connect" in str(exc)
                hint = f" (FIRESTORE_EMULATOR_HOST={host}: is the emulator running there?)" if down else ""
                raise StoreError(f"Firestore {self.url}: {type(exc).__name__}: {exc}{hint}") from exc
            raise

    def _opts(self, bulk: bool = False) -> dict:
        """Retry and timeout of a read: the errors Firestore's own read policy retries (deadline exceeded,
        internal, resource exhausted, unavailable), for at most ``read_timeout_s`` in all, so an unreachable server
        fails within it (the client's default retries for 300 s, which held an API request and a ``/ready`` probe
        for five minutes; a review, 2026-12-05). Each attempt of a single-document read has the same limit; a
        ``bulk`` read (``get_all``, ``stream``: a persona's member chunks of a large run) keeps the client's 300 s
        per attempt, so a long transfer is not cut off."""
        from google.api_core import exceptions as gexc
        from google.api_core.retry import Retry, if_exception_type

        limit = getattr(self, "read_timeout_s", 20.0)
        retry = Retry(predicate=if_exception_type(gexc.DeadlineExceeded, gexc.InternalServerError,
                                                  gexc.ResourceExhausted, gexc.ServiceUnavailable), timeout=limit)
        return {"retry": retry, "timeout": BULK_ATTEMPT_S if bulk else limit}

    def ping(self) -> bool:
        """Readiness: one read of ``meta/latest`` within ``PING_TIMEOUT_S``, no retry; StoreError otherwise."""
        self._call(self._latest_ref().get, timeout=PING_TIMEOUT_S, retry=None)
        return True

    def _run(self, run_id: str):
        return self.client.collection("runs").document(run_id)

    def _latest_ref(self):
        return self.client.collection("meta").document("latest")

    def _cache_get(self, key: tuple) -> Any:
        with self._cache_lock:
            hit = self._cache.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def _cache_put(self, key: tuple, value: Any) -> Any:
        with self._cache_lock:
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + self.cache_ttl_s, value)
        return value

    def _cached(self, key: tuple, load):
        """Published runs never change, so reads are cached for `cache_ttl_s` (a run deleted by
        another process may be served that long; this process forgets it at once)."""
        value = self._cache_get(key)
        return value if value is not None else self._cache_put(key, load())

    def _forget(self, run_id: str) -> None:
        with self._cache_lock:
            for key in [k for k in self._cache if k[1] == run_id]:
                del self._cache[key]
    def _read_json(self, run_id: str, data: dict, field: str, blob: str) -> Any:
        if f"{field}_json" in data:
            return json.loads(data[f"{field}_json"])
        n = data.get(f"{field}_parts")
        if n is None:
            return None
        blobs = self._run(run_id).collection("blobs")
        refs = [blobs.document(f"{blob}-{k:04d}") for k in range(n)]
        snaps = {s.id: s.to_dict() for s in self._call(lambda: list(self.client.get_all(refs, **self._opts(bulk=True))))}
        try:
            return json.loads("".join(snaps[r.id]["json"] for r in refs))
        except (KeyError, TypeError) as exc:
            self._unless_gone(run_id)
            raise StoreError(f"Firestore {self.url}: run {run_id} has a missing part of {field}") from exc

    def _unless_gone(self, run_id: str) -> None:
        """A part of a cached run is missing: RunNotFound (and the run forgotten) when the run itself is gone,
        deleted by another process (another API replica) since this one cached it; else return, and the caller
        reports the missing part. A review saw 503s, an empty map and aborted exports for 30-40 s instead."""
        snap = self._call(self._run(run_id).get, **self._opts())
        if not snap.exists or snap.get("status") != DONE:
            self._forget(run_id)
            raise RunNotFound(run_id)


    # -- reading -----------------------------------------------------------------------------
    def _run_doc(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(run_id)

        def load() -> dict[str, Any]:
            snap = self._call(self._run(run_id).get, **self._opts())
            if not snap.exists or snap.get("status") != DONE:
                raise RunNotFound(run_id)
            return snap.to_dict()

        return self._cached(("run", run_id), load)

    def _complete_query(self, select: list[str]):
        from google.cloud import firestore

        return (self.client.collection("runs").where(filter=firestore.FieldFilter("status", "==", DONE))
                .order_by("created_key", direction=firestore.Query.DESCENDING).select(select))

    def list_runs(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        R.check_page(offset, limit)
        if limit == 0:
            return []
        query = self._complete_query(["summary_json", "created_key"]).offset(offset).limit(limit)
        snaps = self._call(lambda: list(query.stream(**self._opts(bulk=True))))
        # summaries written before `kind` existed get it here (R.summary_record), as SQLite's do
        return [R.summary_record(json.loads(s.get("summary_json")), STORED) for s in snaps]

    def count_runs(self) -> int:
        query = self._complete_query(["created_key"]).count()
        result = self._call(query.get, **self._opts(bulk=True))
        return int(result[0][0].value)

    def get_run(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(run_id)
        data = self._run_doc(run_id)
        return self._cached(("manifest", run_id), lambda: self._read_json(run_id, data, "manifest", "manifest"))

    def latest_run_id(self) -> str | None:
        snap = self._call(self._latest_ref().get, **self._opts())
        return snap.get("run_id") if snap.exists else None

    def _persona_docs(self, run_id: str) -> dict[int, dict[str, Any]]:
        run_id = self.resolve_run_id(run_id)
        self._run_doc(run_id)

        def load() -> dict[int, dict[str, Any]]:
            col = self._run(run_id).collection("personas").order_by("id")
            return {s.get("id"): s.to_dict() for s in self._call(lambda: list(col.stream(**self._opts(bulk=True))))}

        return self._cached(("personas", run_id), load)

    def _profile(self, run_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        pid = doc["id"]
        return self._cached(("profile", run_id, pid),
                            lambda: self._read_json(run_id, doc, "profile", f"persona-{pid:08d}"))

    def get_personas(self, run_id: str) -> list[dict[str, Any]]:
        run_id = self.resolve_run_id(run_id)
        docs = self._persona_docs(run_id)
        return [self._profile(run_id, docs[pid]) for pid in sorted(docs)]

    def get_persona(self, run_id: str, persona_id: int) -> dict[str, Any]:
        run_id = self.resolve_run_id(run_id)
        doc = self._persona_docs(run_id).get(int(persona_id))
        if doc is None:
            raise PersonaNotFound(persona_id)
        return self._profile(run_id, doc)

    def _member_chunks(self, run_id: str, pid: int, seqs: list[int]) -> list[list[dict[str, Any]]]:
        col = self._run(run_id).collection("members")
        found = {s: self._cache_get(("members", run_id, pid, s)) for s in seqs}
        missing = [s for s, rows in found.items() if rows is None]
        if missing:
            refs = [col.document(f"{pid:08d}-{s:05d}") for s in missing]
            for snap in self._call(lambda: list(self.client.get_all(refs, **self._opts(bulk=True)))):
                data = snap.to_dict() or {}
                if "seq" in data:
                    found[data["seq"]] = self._cache_put(("members", run_id, pid, data["seq"]),
                                                         json.loads(data["rows_json"]))
        if any(found[s] is None for s in seqs):
            self._unless_gone(run_id)
            raise StoreError(f"Firestore {self.url}: run {run_id} persona {pid} lacks a member chunk")
        return [found[s] for s in seqs]

    def get_members(
        self, run_id: str, persona_id: int, offset: int = 0, limit: int = 50, query: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        R.check_page(offset, limit)
        run_id = self.resolve_run_id(run_id)
        pid = int(persona_id)
        doc = self._persona_docs(run_id).get(pid)
        if doc is None:
            raise PersonaNotFound(persona_id)
        sizes = doc["member_chunks"]
        if query:
            needle = R.fold(query)
            rows = [r for chunk in self._member_chunks(run_id, pid, list(range(len(sizes))))
                    for r in chunk if needle in R.fold(r.get("text"))]
            return rows[offset : offset + limit], len(rows)
        seqs, start, first = [], 0, None
        for seq, n in enumerate(sizes):
            if start + n > offset and start < offset + limit:
                seqs.append(seq)
                first = start if first is None else first
            start += n
        rows = [r for chunk in self._member_chunks(run_id, pid, seqs) for r in chunk] if seqs else []
        skip = offset - (first or 0)
        return rows[skip : skip + limit], doc["n_members"]

    def get_map(self, run_id: str, limit: int = 5000) -> list[dict[str, Any]]:
        R.check_page(0, limit)
        run_id = self.resolve_run_id(run_id)
        sizes = self._run_doc(run_id)["map_chunks"]
        need, total = [], 0
        for seq, n in enumerate(sizes):
            if total >= limit:
                break
            need.append(seq)
            total += n
        col = self._run(run_id).collection("map")

        def load(seq: int) -> list[dict[str, Any]]:
            snap = self._call(col.document(f"{seq:05d}").get, **self._opts())
            if not snap.exists:  # a map chunk the run document names: the run was deleted meanwhile, or damaged
                self._unless_gone(run_id)
                raise StoreError(f"Firestore {self.url}: run {run_id} lacks map chunk {seq}")
            return json.loads(snap.get("rows_json"))

        points = [p for seq in need for p in self._cached(("map", run_id, seq), lambda seq=seq: load(seq))]
        return points[:limit]

    def get_strategies(self, run_id: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(run_id)
        data = self._run_doc(run_id)
        return self._cached(("strategies", run_id),
                            lambda: self._read_json(run_id, data, "strategies", "strategies") or {})
