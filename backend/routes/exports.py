"""Exports of a run (docs/exports.md): members as CSV or Parquet, personas as JSON or CSV.

Members are streamed persona by persona, one store page at a time, so an export of any size never
sits in memory whole; texts are masked as the run stored them. Exports are reads: with an API key
set they need it like every other read (backend/security.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from backend.deps import StoreDep
from backend.routes.common import RunIdPath, errors, personas_in_scope, resolve_run
from backend.routes.personas import WITHHELD_ID, ids_are_authors_in
from backend.schemas import MAX_ID
from ml.features.labels import feature_label
from ml.runtime.contracts import parse_persona
from ml.runtime.contracts.api import PersonasExport
from ml.runtime.contracts.base import STORED
from ml.runtime.contracts.hierarchy import family_names
from ml.store.base import RunStore

router = APIRouter(prefix="/runs/{run_id}/export", tags=["exports"])

PAGE = 1000
MEMBER_COLUMNS = ("member_id", "persona_id", "persona_name", "family_id", "family_name", "subpersona_id",
                  "subpersona_name", "membership", "confidence", "distance", "author", "timestamp", "text")
_MEMBER_SCHEMA = pa.schema([("member_id", pa.string()), ("persona_id", pa.int64()), ("persona_name", pa.string()),
                            ("family_id", pa.int64()), ("family_name", pa.string()),
                            ("subpersona_id", pa.int64()), ("subpersona_name", pa.string()),
                            ("membership", pa.string()), ("confidence", pa.float64()), ("distance", pa.float64()),
                            ("author", pa.string()), ("timestamp", pa.string()), ("text", pa.string())])
EVIDENCE_COLUMNS = 5
CSV_MEDIA, PARQUET_MEDIA, JSON_MEDIA = "text/csv; charset=utf-8", "application/vnd.apache.parquet", "application/json"


class CsvResponse(Response):
    """Documents `text/csv` as the answer's type in the OpenAPI schema."""

    media_type = "text/csv"


class ParquetResponse(Response):
    """Documents `application/vnd.apache.parquet` as the answer's type in the OpenAPI schema."""

    media_type = "application/vnd.apache.parquet"


def json_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`errors()` for routes whose success is not JSON: the error bodies are still JSON."""
    schema = {"$ref": "#/components/schemas/ErrorResponse"}
    return {status: {"description": "Error", "content": {"application/json": {"schema": schema}}}
            for status in errors(*statuses)}


def attachment(run_id: str, name: str) -> dict[str, str]:
    """`Content-Disposition` naming the download after the run, e.g. `personas-<run>-members.csv`."""
    return {"Content-Disposition": f'attachment; filename="personas-{run_id}-{name}"'}


def member_rows(store: RunStore, run_id: str, only: set[int] | None = None,
                profiles: list[dict[str, Any]] | None = None,
                manifest: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
    """Every member of the run (of the personas in ``only``, when given) as export rows, one list per store
    page (persona order, nearest first), each with its persona's family and its own sub-persona where the run
    has them. Members of a persona below the privacy floor (``evidence_withheld``) carry no text and no author (nor a
    member id that is the author's handle, with ``--unit author``):
    an export travels further than the explorer, and with so few people behind such a persona a text is close to
    naming its author. ``profiles`` and ``manifest`` as the caller read them, else from the store. An event run's
    users are ``clear`` or ``mixed`` between personas (``membership``), as the explorer says, not ``core`` or
    ``reassigned``."""
    manifest = store.get_run(run_id) if manifest is None else manifest
    families = family_names(manifest)
    # users clear or flagged mixed in an event run, as the explorer says
    words = ("clear", "mixed") if (manifest or {}).get("kind") == "events" else ("core", "reassigned")
    hide_ids = ids_are_authors_in(manifest)
    for persona in store.get_personas(run_id) if profiles is None else profiles:
        pid, name = int(persona["id"]), str(persona.get("name") or f"Persona {persona['id']}")
        if only is not None and pid not in only:
            continue
        family = persona.get("parent_id")
        group = {"persona_id": pid, "persona_name": name, "family_id": family,
                 "family_name": families.get(int(family)) if family is not None else None,
                 "withheld": bool(persona.get("evidence_withheld"))}  # below the privacy floor: no text, no author
        subs = {int(sp["id"]): str(sp.get("name") or "") for sp in persona.get("sub_personas") or []}
        offset = 0
        while True:
            page, total = store.get_members(run_id, pid, offset=offset, limit=PAGE)
            if page:
                yield [_member_row(m, group, subs, words, hide_ids) for m in page]
            offset += len(page)
            if not page or offset >= total:
                break


def _member_row(member: dict[str, Any], group: dict[str, Any], subs: dict[int, str],
                words: tuple[str, str] = ("core", "reassigned"), hide_ids: bool = False) -> dict[str, Any]:
    """One export row; ``hide_ids``: member ids are authors (``--unit author``), withheld below the floor too."""
    def text(key: str) -> str | None:
        value = member.get(key)
        return None if value is None else str(value)

    confidence, distance, sub = member.get("confidence"), member.get("distance"), member.get("subpersona_id")
    sub = None if sub is None else int(sub)
    withheld = group["withheld"]
    core, placed = words
    member_id = WITHHELD_ID if withheld and hide_ids else str(member["member_id"])
    return {"member_id": member_id, **{k: v for k, v in group.items() if k != "withheld"},
            "subpersona_id": sub,
            "subpersona_name": subs.get(sub) if sub is not None else None,
            "membership": placed if member.get("reassigned") else core,
            "confidence": None if confidence is None else float(confidence),
            "distance": None if distance is None else float(distance),
            "author": None if withheld else text("author"), "timestamp": text("timestamp"),
            "text": None if withheld else text("text")}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")  # and "'", so stripping one "'" always gives the cell


def spreadsheet_safe(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row a spreadsheet opens as text: a string cell (a text, a name, an id alike) that starts with
    ``= + - @``, a tab, a carriage return or ``'`` itself gets a leading ``'`` (OWASP's advice against CSV injection: a customer's "=HYPERLINK(…)" would run in
    the analyst's Excel, and a tweet's "@united …" showed as #NAME?). Numbers are left alone; the Parquet and
    JSON exports keep every text as written."""
    return {k: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for k, v in row.items()}


def _csv_chunks(header: tuple[str, ...], pages: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for rows in pages:
        writer.writerows(spreadsheet_safe(r) for r in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _parquet_chunks(pages: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    """Parquet written one row group per page; the bytes go out as soon as each group is written."""
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, _MEMBER_SCHEMA, compression="zstd") as writer:
        for rows in pages:
            writer.write_table(pa.Table.from_pylist(rows, schema=_MEMBER_SCHEMA))
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
    yield sink.getvalue()  # the footer written on close


PersonaQuery = Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only this persona's members.")]
FamilyQuery = Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only the members of this family's personas.")]


def _members(run_id: str, store: RunStore, persona: int | None, family: int | None,
             fmt: str) -> tuple[Iterator[list[dict[str, Any]]], dict[str, str]]:
    """The member pages of a members export and its headers; the run, its personas and families read once, so
    an unknown run, persona or family is a 404 before the stream starts."""
    resolved = resolve_run(store, run_id)
    manifest, profiles = store.get_run(resolved), store.get_personas(resolved)
    only, suffix = personas_in_scope(manifest, profiles, resolved, persona, family)
    pages = member_rows(store, resolved, only, profiles, manifest)
    return pages, attachment(resolved, f"members{suffix}.{fmt}")


@router.get("/members.csv", responses=json_errors(404, 422), response_class=CsvResponse,
            summary="Members: persona, family, sub-persona, core/reassigned (events: clear/mixed), confidence, masked text (CSV, streamed)")
def export_members_csv(run_id: RunIdPath, store: StoreDep, persona: PersonaQuery = None,
                       family: FamilyQuery = None) -> StreamingResponse:
    pages, headers = _members(run_id, store, persona, family, "csv")
    return StreamingResponse(_csv_chunks(MEMBER_COLUMNS, pages), media_type=CSV_MEDIA, headers=headers)


@router.get("/members.parquet", responses=json_errors(404, 422), response_class=ParquetResponse,
            summary="Members: persona, family, sub-persona, core/reassigned (events: clear/mixed), confidence, masked text (Parquet)")
def export_members_parquet(run_id: RunIdPath, store: StoreDep, persona: PersonaQuery = None,
                           family: FamilyQuery = None) -> StreamingResponse:
    pages, headers = _members(run_id, store, persona, family, "parquet")
    return StreamingResponse(_parquet_chunks(pages), media_type=PARQUET_MEDIA, headers=headers)


def export_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """A stored profile as exported: the contract's profile (`PersonaProfile`), no member list."""
    return parse_persona({k: v for k, v in profile.items() if k != "member_ids"}, extra=STORED).model_dump(mode="json")


@router.get("/personas.json", responses={200: {"model": PersonasExport}, **errors(404)}, response_class=JSONResponse,
            summary="Every persona's profile: terms, fingerprint, activity, evidence (JSON)")
def export_personas_json(run_id: RunIdPath, store: StoreDep) -> Response:
    resolved = resolve_run(store, run_id)
    body = {"run_id": resolved, "personas": [export_profile(p) for p in store.get_personas(resolved)]}
    return Response(json.dumps(body, ensure_ascii=False, indent=1), media_type=JSON_MEDIA,
                    headers=attachment(resolved, "personas.json"))


def persona_csv_row(profile: dict[str, Any], families: dict[int, str] | None = None) -> dict[str, Any]:
    """One persona as a flat CSV row: family (id and name, from ``families``), sizes, words, sub-personas,
    activity peaks, evidence and one `z:<feature>` column per fingerprint feature (standardised difference to
    the population)."""
    activity = profile.get("activity") or {}
    evidence = [e.get("text") for e in profile.get("evidence") or [] if isinstance(e, dict)]
    family = profile.get("parent_id")
    subs = sorted(profile.get("sub_personas") or [], key=lambda sp: -float(sp.get("share_of_parent") or 0))
    row: dict[str, Any] = {
        "persona_id": profile.get("id"), "name": profile.get("name"), "family_id": family,
        "family_name": (families or {}).get(int(family)) if family is not None else None,
        "size": profile.get("size"),
        "share": profile.get("share"), "core_size": profile.get("core_size"),
        "reassigned_count": profile.get("reassigned_count"), "description": profile.get("description"),
        "top_terms": "; ".join(t["term"] for t in profile.get("top_terms") or []),
        "top_ngrams": "; ".join(t["term"] for t in profile.get("top_ngrams") or []),
        "sub_personas": "; ".join(f"{sp.get('name')} ({100 * float(sp.get('share_of_parent') or 0):.0f}%)"
                                  for sp in subs),
        "highlights": "; ".join(str(h) for h in profile.get("highlights") or []),
        "peak_hours": " ".join(str(h) for h in activity.get("peak_hours") or []),
        "peak_weekdays": " ".join(str(d) for d in activity.get("peak_weekdays") or []),
        "time_basis": activity.get("time_basis"),
        "separability": (profile.get("separators") or {}).get("accuracy"),
        "negative_share": (profile.get("tone") or {}).get("negative_share"),
        "tone": (profile.get("tone") or {}).get("reading"),
        "evidence_withheld": profile.get("evidence_withheld"),
    }
    for k in range(EVIDENCE_COLUMNS):
        row[f"evidence_{k + 1}"] = evidence[k] if k < len(evidence) else None
    for f in profile.get("fingerprint") or []:
        if isinstance(f, dict) and "feature" in f:
            row[f"z:{f['feature']}"] = f.get("std_diff")
    return row


@router.get("/personas.csv", responses=json_errors(404), response_class=CsvResponse,
            summary="One row per persona: sizes, words, peaks, evidence, fingerprint (CSV)")
def export_personas_csv(run_id: RunIdPath, store: StoreDep) -> Response:
    resolved = resolve_run(store, run_id)
    families = family_names(store.get_run(resolved))
    rows = [persona_csv_row(p, families) for p in store.get_personas(resolved)]
    header = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(spreadsheet_safe(r) for r in rows)
    return Response(buffer.getvalue(), media_type=CSV_MEDIA, headers=attachment(resolved, "personas.csv"))


def plain_differences(profile: dict[str, Any], n: int = 4) -> list[dict[str, str]]:
    """The `n` features where the persona differs most from everyone, in plain words: among its highlights
    (`highlight_features`, the differences its profile says: a clear effect, told the way its bar points) where the
    profile lists them, so a persona no feature sets apart lists none (an events review read "about as many
    “event_navigate” as average (10.7 vs 10.7 per user)" under "How they differ from everyone")."""
    said = profile.get("highlight_features")
    rows = [f for f in profile.get("fingerprint") or [] if isinstance(f, dict) and f.get("std_diff") is not None
            and (said is None or f.get("feature") in said)]
    rows.sort(key=lambda f: -abs(float(f["std_diff"])))
    return [{"label": feature_label(str(f["feature"])), "sentence": str(f.get("sentence") or ""),
             "direction": "more" if float(f["std_diff"]) > 0 else "less"} for f in rows[:n]]
