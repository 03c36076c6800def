"""Series and comparisons in the Firestore store (a mixin of ``ml.store.firestore.FirestoreStore``).

Layout: a run's series is the field ``series`` of its run document (an equality query on it needs only
Firestore's automatic single-field index; status and order are applied here, a series holding at most
a few thousand runs). A comparison is its JSON text in parts of at most ``chunk_bytes`` (256 KB, far
under the 1 MiB document limit, so a comparison of any size fits: 200 personas with 1,000 listed movers
is about 0.6 MB), with a header on the run document:

    runs/{run_id}/comparison/{gen}-{k:05d}   gen, part, json
    runs/{run_id}.comparison                 gen, parts, bytes, headline (base run, PSI, level, counts)

The header is written last, by the transaction that makes a published run visible or, for
``put_comparison``, by a transaction of its own once every part is committed; readers go by the header,
so a partial write is never read.
"""

from __future__ import annotations

import json
from typing import Any

from ml.runtime.contracts.base import STORED
from ml.store import records as R
from ml.store.firestore_limits import _Batcher, split_utf8
from ml.store.firestore_models import read_parts, swap_in_header, write_parts
from ml.store.firestore_reads import DONE
from ml.store.series import check_comparison, headline_of, series_entry, validate_series

COMPARISON_COLLECTION = "comparison"


class FirestoreSeries:
    """Needs the ``FirestoreReads`` helpers (``_call``, ``_run``, ``_run_doc``, ``_cached``, ``_forget``),
    ``chunk_bytes``, ``client`` and ``stats``."""

    def _write_comparison_parts(self, run_id: str, doc: dict[str, Any], batcher: _Batcher) -> dict[str, Any]:
        """Queue the parts of comparison `doc` on `batcher`; returns the header to write once committed."""
        text = R.dumps(doc)
        parts = split_utf8(text, self.chunk_bytes)
        gen = write_parts(self, run_id, COMPARISON_COLLECTION, "json", parts, batcher)
        return {"gen": gen, "parts": len(parts), "bytes": len(text.encode("utf-8")), "headline": headline_of(doc)}

    def put_comparison(self, run_id: str, comparison: Any) -> None:
        run_id = self.resolve_run_id(run_id)
        self._run_doc(run_id)  # RunNotFound for an unknown or incomplete run
        doc = check_comparison(run_id, comparison)
        self.stats = {"commits": 0, "writes": 0, "max_batch_writes": 0, "max_batch_bytes": 0}
        batcher = _Batcher(self)
        header = self._write_comparison_parts(run_id, doc, batcher)
        batcher.commit()
        swap_in_header(self, run_id, "comparison", header, COMPARISON_COLLECTION)

    def get_comparison(self, run_id: str) -> dict[str, Any] | None:
        run_id = self.resolve_run_id(run_id)
        header = self._run_doc(run_id).get("comparison")
        if not header:
            return None

        def load() -> dict[str, Any]:
            parts = read_parts(self, run_id, COMPARISON_COLLECTION, "json", header, "comparison; store it again")
            return json.loads("".join(parts))

        return self._cached(("comparison", run_id, header["gen"]), load)

    def _series_docs(self, series: str) -> list[dict[str, Any]]:
        from google.cloud import firestore

        validate_series(series)
        query = (self.client.collection("runs").where(filter=firestore.FieldFilter("series", "==", series))
                 .select(["status", "created_key", "summary_json", "comparison"]))
        docs = [(s.id, s.to_dict() or {}) for s in self._call(lambda: list(query.stream(**self._opts(bulk=True))))]
        done = [(rid, d) for rid, d in docs if d.get("status") == DONE]
        return [d | {"id": rid} for rid, d in sorted(done, key=lambda x: (x[1].get("created_key") or "", x[0]))]

    def series_runs(self, series: str, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        R.check_page(offset, limit)
        docs = self._series_docs(series)
        items = [series_entry(R.summary_record(json.loads(d["summary_json"]), STORED),
                              (d.get("comparison") or {}).get("headline"))
                 for d in docs[offset : offset + limit]]
        return items, len(docs)

    def latest_in_series(self, series: str) -> str | None:
        docs = self._series_docs(series)
        return docs[-1]["id"] if docs else None
