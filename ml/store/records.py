"""Backend-neutral conversions shared by every store: bundle → plain JSON-able records.

In: a `RunBundle` (CONTRACTS §3), checked against the run contract (`ml.runtime.contracts`) before
anything is written. Out: run summaries (`RunSummary`, with `kind`), persona profiles without member
lists (`PersonaProfile` dumps),
member records sorted the way every store pages them (persona, distance, member id) with each
member's `confidence` (`ml.cluster.reassign.core_confidence`, computed here for runs written without it), and a
deterministic persona-stratified map order. Keeping these here means SQLite and Firestore
return byte-for-byte the same dicts, which the shared contract tests check.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from pydantic.config import ExtraValues

from ml.cluster.reassign import core_confidence
from ml.runtime.contracts import RUN_KINDS, kind_of, parse_manifest, parse_persona, parse_run_summary
from ml.store.bundle import RunBundle

#: Member columns every store keeps as first-class fields (the rest travel as extras).
CORE_MEMBER_COLUMNS = ("member_id", "persona_id", "distance", "reassigned", "x", "y", "text")
#: Columns a members frame must have to be published.
REQUIRED_MEMBER_COLUMNS = ("member_id", "persona_id", "distance")
#: Persona fields that are not stored with the profile (members are paged instead).
PERSONA_DROP_FIELDS = ("member_ids",)
#: Map points carry at most this many characters of text (a tooltip, not the evidence).
MAP_TEXT_CHARS = 200
#: A member's display text is capped here so one member always fits a Firestore document.
MAX_MEMBER_TEXT_CHARS = 100_000


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def to_jsonable(value: Any) -> Any:
    """Numpy/pandas scalars, arrays and timestamps → plain Python; NaN/NaT/NA → None."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (pd.Timestamp, datetime)):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def dumps(obj: Any) -> str:
    """Compact JSON used for every stored blob (NaN rejected: callers pass `to_jsonable` output)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def run_created_at(bundle: RunBundle) -> str:
    return str(bundle.manifest.get("created_at") or utc_now_iso())


def run_summary(run_id: str, manifest: dict[str, Any], extra: ExtraValues | None = None) -> dict[str, Any]:
    """The `list_runs` item of a run (`RunSummary` as JSON): its kind is the manifest's, or inferred
    for manifests written before conversation runs recorded it (``extra``: ``STORED`` when reading a stored run,
    whose manifest a newer pipeline may have written)."""
    kind = kind_of(manifest)
    time = {"time": manifest.get("time")} if kind == "conversations" and manifest.get("time") else {}
    return summary_record({"id": run_id, "kind": kind, "created_at": manifest.get("created_at"),
                           "source": manifest.get("source"), "counts": manifest.get("counts"),
                           "unit": manifest.get("unit"), "series": manifest.get("series"), **time}, extra)


def summary_record(summary: dict[str, Any], extra: ExtraValues | None = None) -> dict[str, Any]:
    """A stored run summary (any version, e.g. a Firestore `summary_json` written before `kind`) as the
    contract's JSON (``extra`` as in ``run_summary``)."""
    return parse_run_summary(summary, extra=extra).model_dump(mode="json")


def persona_profile(persona: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a persona: its contract profile (`PersonaProfile`) without the member list."""
    doc = {k: to_jsonable(v) for k, v in persona.items() if k not in PERSONA_DROP_FIELDS}
    return parse_persona(doc).model_dump(mode="json")


def first_error(exc: ValidationError) -> tuple[str, str]:
    """Where (``"a.b.0"``, without a run kind's union tag) and what the first error of ``exc`` is."""
    err = exc.errors()[0]
    loc = err["loc"][1:] if err["loc"] and err["loc"][0] in RUN_KINDS else err["loc"]  # the kind's tag
    return ".".join(str(x) for x in loc), err["msg"]


def _contract_error(run_id: str, what: str, exc: ValidationError) -> ValueError:
    where, msg = first_error(exc)
    return ValueError(f"run {run_id}: {what} does not match the run contract at '{where}': {msg} "
                      "(docs/CONTRACTS.md); re-run ml.run")


def check_bundle(bundle: RunBundle) -> None:
    """One-line errors for bundles a store cannot hold (the manifest and every persona are checked
    against the contract: documents written by earlier versions pass)."""
    missing = [c for c in REQUIRED_MEMBER_COLUMNS if c not in bundle.members.columns]
    if missing:
        raise ValueError(f"run {bundle.run_id}: assignments lack column(s) {missing}; re-run ml.run")
    ids = [p.get("id") for p in bundle.personas]
    if any(not isinstance(i, (int, np.integer)) or isinstance(i, bool) for i in ids):
        raise ValueError(f"run {bundle.run_id}: every persona needs an integer 'id'")
    if len(set(ids)) != len(ids):
        raise ValueError(f"run {bundle.run_id}: persona ids are not unique")
    if bundle.members["member_id"].astype(str).duplicated().any():
        raise ValueError(f"run {bundle.run_id}: member ids are not unique")
    try:
        parse_manifest(to_jsonable(bundle.manifest))
    except ValidationError as exc:
        raise _contract_error(bundle.run_id, "manifest.json", exc) from None
    for p in bundle.personas:
        try:
            parse_persona(to_jsonable(p), "record")
        except ValidationError as exc:
            raise _contract_error(bundle.run_id, f"persona {p.get('id')}", exc) from None


def member_records(members: pd.DataFrame) -> list[dict[str, Any]]:
    """Members as JSON-able dicts, sorted by (persona_id, distance, member_id).

    Every record has the core columns (missing ones become None, `reassigned` False) plus any
    other column of the frame; `member_id` is a str and `persona_id` an int.
    """
    frame = members.copy()
    frame["member_id"] = frame["member_id"].astype(str)
    frame["persona_id"] = frame["persona_id"].astype("int64")
    frame["distance"] = frame["distance"].astype("float64")
    if "reassigned" not in frame:
        frame["reassigned"] = False
    if "confidence" not in frame:  # runs written before the column: the same rule, from the same columns
        frame["confidence"] = core_confidence(frame["persona_id"], frame["distance"], frame["reassigned"])
    for col in ("x", "y", "text"):
        if col not in frame:
            frame[col] = None
    frame = frame.sort_values(["persona_id", "distance", "member_id"], kind="mergesort")
    cols = list(CORE_MEMBER_COLUMNS) + [c for c in frame.columns if c not in CORE_MEMBER_COLUMNS]
    records = []
    for row in frame[cols].itertuples(index=False, name=None):
        rec = {c: to_jsonable(v) for c, v in zip(cols, row)}
        rec["reassigned"] = bool(rec["reassigned"])
        if isinstance(rec["text"], str) and len(rec["text"]) > MAX_MEMBER_TEXT_CHARS:
            rec["text"] = rec["text"][:MAX_MEMBER_TEXT_CHARS]
        records.append(rec)
    return records


def _stable_fraction(member_id: str) -> float:
    digest = hashlib.blake2b(member_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def map_order(records: list[dict[str, Any]]) -> list[int]:
    """Indices of `records` in map order: every prefix is a persona-stratified sample.

    Within a persona members are shuffled by a hash of their id (deterministic); member of
    rank r in a persona of size n gets key r/n, so a prefix of length L holds about L·n/N of
    each persona, and every persona's first member comes before anyone's second.
    """
    by_persona: dict[int, list[int]] = {}
    for i, rec in enumerate(records):
        by_persona.setdefault(rec["persona_id"], []).append(i)
    keys: list[tuple[float, int, int]] = []
    for pid, idx in by_persona.items():
        idx.sort(key=lambda i: (_stable_fraction(records[i]["member_id"]), records[i]["member_id"]))
        n = len(idx)
        for rank, i in enumerate(idx):
            keys.append((rank / n, pid, i))
    keys.sort()
    return [k[2] for k in keys]


def map_point(rec: dict[str, Any]) -> dict[str, Any]:
    text = rec.get("text")
    return {
        "member_id": rec["member_id"],
        "persona_id": rec["persona_id"],
        "x": rec.get("x"),
        "y": rec.get("y"),
        "reassigned": rec["reassigned"],
        "text": text[:MAP_TEXT_CHARS] if isinstance(text, str) else text,
        "confidence": rec.get("confidence"),
    }


def fold(text: Any) -> str:
    """Case-folded text for substring search (same rule in every store)."""
    return text.casefold() if isinstance(text, str) else ""


def check_page(offset: int, limit: int) -> None:
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be an integer >= 0, got {offset!r}")
    if not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be an integer >= 0, got {limit!r}")


def created_key(created_at: Any) -> str:
    """Sortable UTC form of an ISO timestamp (`...Z` and `+00:00` spellings sort together)."""
    text = str(created_at or "")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return text
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
