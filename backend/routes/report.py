"""A print-friendly persona report (`GET /runs/{id}/report.html`), rendered on the server with Jinja2
from `backend/templates/report.html.j2`: no scripts, no external assets, one page per persona when
printed (CSS `@media print`, page breaks between personas). See docs/exports.md."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backend.deps import StoreDep
from backend.errors import APIError
from backend.routes.common import RunIdPath, resolve_run
from backend.routes.exports import json_errors, plain_differences
from backend.schemas import MAX_ID

router = APIRouter(prefix="/runs/{run_id}", tags=["exports"])

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: No scripts, no remote anything: styles inline, images only as data: URLs.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVIDENCE = 5


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def _peaks(activity: dict[str, Any]) -> str | None:
    """Activity peaks in words, e.g. "20:00–22:59 UTC; Tuesday, Sunday"."""
    if not activity or not activity.get("has_timestamps"):
        return None
    hours = sorted(int(h) for h in activity.get("peak_hours") or [])
    days = [WEEKDAYS[int(d)] for d in activity.get("peak_weekdays") or [] if 0 <= int(d) < 7]
    parts = []
    if hours:
        spans, start = [], hours[0]
        for prev, cur in zip(hours, [*hours[1:], None]):
            if cur is None or cur != prev + 1:  # a run of consecutive hours ends at prev
                spans.append(f"{start:02d}:00–{prev:02d}:59")
                start = cur if cur is not None else start
        parts.append(", ".join(spans) + f" {activity.get('time_basis') or ''}".rstrip())
    if days:
        parts.append(", ".join(days))
    return "; ".join(parts) or None


def report_persona(profile: dict[str, Any]) -> dict[str, Any]:
    """What the report shows of one persona."""
    size = int(profile.get("size") or 0)
    core, reassigned = profile.get("core_size"), profile.get("reassigned_count")
    evidence = [e for e in profile.get("evidence") or [] if isinstance(e, dict) and e.get("text")][:EVIDENCE]
    return {
        "id": profile.get("id"), "name": str(profile.get("name") or f"Persona {profile.get('id')}"),
        "size": size, "share": float(profile.get("share") or 0.0), "core": core, "reassigned": reassigned,
        "core_pct": 100.0 * core / size if size and core is not None else None,
        "description": str(profile.get("description") or ""),
        "terms": [t["term"] for t in (profile.get("top_terms") or [])[:10]],
        "phrases": [t["term"] for t in (profile.get("top_ngrams") or [])[:5]],
        "peaks": _peaks(profile.get("activity") or {}),
        "differences": plain_differences(profile),
        "evidence": evidence, "evidence_withheld": bool(profile.get("evidence_withheld")),
        "withheld_reason": profile.get("evidence_withheld_reason"),
    }


@router.get("/report.html", response_class=HTMLResponse, responses=json_errors(404),
            summary="Print-friendly persona report (HTML; one page per persona in print)")
def report(
    run_id: RunIdPath,
    store: StoreDep,
    persona: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only this persona.")] = None,
) -> HTMLResponse:
    resolved = resolve_run(store, run_id)
    manifest = store.get_run(resolved)
    profiles = store.get_personas(resolved)
    if persona is not None:
        profiles = [p for p in profiles if int(p["id"]) == persona]
        if not profiles:
            raise APIError(404, "persona_not_found", f"persona {persona} not found in run {resolved!r}")
    counts = manifest.get("counts") or {}
    html = _environment().get_template("report.html.j2").render(
        run_id=resolved, created_at=manifest.get("created_at"), unit=manifest.get("unit") or "member",
        kept=counts.get("kept"), n_personas=counts.get("personas"), single=persona is not None,
        personas=[report_persona(p) for p in profiles])
    name = f"personas-{resolved}-report" + (f"-persona-{persona}" if persona is not None else "") + ".html"
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP,
                                       "Content-Disposition": f'inline; filename="{name}"'})
