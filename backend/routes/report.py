"""A print-friendly persona report (`GET /runs/{id}/report.html`), rendered on the server with Jinja2
from `backend/templates/report.html.j2`: no scripts, no external assets, one page per persona when
printed (CSS `@media print`, page breaks between personas). A cover says what was read (files, dates and
their clock, what a member is, how many were kept) and lists the families with their personas, which follow
in that order, each with its family and sub-personas. See docs/exports.md."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backend.deps import StoreDep
from backend.routes.common import RunIdPath, personas_in_scope, resolve_run
from backend.routes.exports import json_errors, plain_differences
from backend.routes.report_outcome import persona_outcome_read, report_outcomes
from backend.schemas import MAX_ID
from ml.events.profile import busiest_stretch, event_label
from ml.profile.activity import date_bound_days
from ml.profile.name_share import FEW_NAME_SHARE
from ml.runtime.quality import tentative
from ml.strategy.risks import mostly_reassigned

router = APIRouter(prefix="/runs/{run_id}", tags=["exports"])

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: No scripts, no remote anything: styles inline, images only as data: URLs.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVIDENCE = 5


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["FEW_NAME_SHARE"] = FEW_NAME_SHARE  # one threshold for the contents' mark and the persona's line
    env.filters["percent"] = percent
    env.filters["rounded"] = rounded
    return env


def rounded(value: float, digits: int = 0) -> str:
    """``value`` rounded half up, as the explorer's ``toFixed`` writes it: 22.5 → "23" ("%.0f" rounds to even,
    "22": the report and the explorer disagreed on one name's share, a review of 2026-12-06)."""
    return f"{Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"


def percent(share: float, digits: int = 0) -> str:
    """A share (0.225) as a percentage's number ("23"), rounded as ``rounded``."""
    return rounded(float(Decimal(repr(share)) * 100), digits)


def _peaks(activity: dict[str, Any]) -> str | None:
    """Activity peaks in words, e.g. "20:00–22:59 UTC; Tuesday, Sunday"."""
    if not activity or not activity.get("has_timestamps"):
        return None
    hours = sorted(int(h) for h in activity.get("peak_hours") or [])
    busy = [int(d) for d in activity.get("peak_weekdays") or [] if 0 <= int(d) < 7]
    bound = set(date_bound_days(activity, busy))  # a weekday that is one or two dates is no habit (as the page says)
    days = [WEEKDAYS[d] for d in busy if d not in bound]
    parts = []
    if hours:
        runs, start = [], hours[0]
        for prev, cur in zip(hours, [*hours[1:], None]):
            if cur is None or cur != prev + 1:  # a run of consecutive hours ends at prev
                runs.append((start, prev))
                start = cur if cur is not None else start
        if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == 23:  # 22:00–00:59 runs past midnight
            runs = [(runs[-1][0], runs[0][1]), *runs[1:-1]]
        spans = [f"{a:02d}:00–{b:02d}:59" for a, b in runs]
        clock = activity.get("time_basis") or "(UTC or local, unknown)"  # as the explorer labels it
        parts.append(", ".join(spans) + f" {clock}")
    if days:
        parts.append(", ".join(days))
    return "; ".join(parts) or None


def _when(activity: dict[str, Any]) -> str | None:
    """The peaks in words, or an event run's busiest stretch of days when its data has dates or day offsets but no
    times of day ("Its busiest 7-day stretch starts on 25 May 2014."): the report said "No timestamps in this run"
    beside "The data has dates but no times of day"."""
    peaks = _peaks(activity)
    by_day = (activity or {}).get("by_day") or {}
    if peaks or by_day.get("peak_day") is None:
        return peaks
    return busiest_stretch(by_day, activity.get("resolution"))


def _quote(evidence: Any, limit: int = 160) -> str | None:
    """A sub-persona's first stored (masked) snippet, cut at a word before ``limit`` characters."""
    text = next((str(e["text"]) for e in evidence or [] if isinstance(e, dict) and e.get("text")), None)
    if text is None or len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _shown(term: dict[str, Any]) -> str:
    """A term as the explorer shows it (``shownTerm``): the members' wording when the run recorded one
    ("you'll" for ``youll``, "ATM"), else the term with event columns joined as "Assignment · Submission form
    viewed"."""
    return str(term["written"]) if term.get("written") else event_label(term["term"])


def report_persona(profile: dict[str, Any]) -> dict[str, Any]:
    """What the report shows of one persona."""
    size = int(profile.get("size") or 0)
    core, reassigned = profile.get("core_size"), profile.get("reassigned_count")
    evidence = [e for e in profile.get("evidence") or [] if isinstance(e, dict) and e.get("text")][:EVIDENCE]
    return {
        "id": profile.get("id"), "name": str(profile.get("name") or f"Persona {profile.get('id')}"),
        "name_note": profile.get("name_note"),
        "name_share": profile.get("name_share"),
        "name_parts": [p for p in profile.get("name_parts") or [] if isinstance(p, dict)],
        "size": size, "share": float(profile.get("share") or 0.0), "core": core, "reassigned": reassigned,
        "core_pct": 100.0 * core / size if size and core is not None else None,
        # more than half placed by nearness (events: mixed): the caution the persona page gives (mostlyForced)
        "loose": mostly_reassigned(profile),
        "description": str(profile.get("description") or ""),
        "terms": [_shown(t) for t in (profile.get("top_terms") or [])[:10]],
        "phrases": [_shown(t) for t in (profile.get("top_ngrams") or [])[:5]],
        "peaks": _when(profile.get("activity") or {}),
        "activity_note": (profile.get("activity") or {}).get("note"),
        "differences": plain_differences(profile),
        "fingerprinted": bool(profile.get("fingerprint")),
        "evidence": evidence, "evidence_withheld": bool(profile.get("evidence_withheld")),
        "withheld_reason": profile.get("evidence_withheld_reason"),
        "subs": [{"name": str(s.get("name") or ""), "pct": 100.0 * float(s.get("share_of_parent") or 0),
                  "name_share": s.get("name_share"),
                  "quote": None if profile.get("evidence_withheld") or s.get("evidence_withheld")
                  else _quote(s.get("evidence"))}
                 for s in sorted(profile.get("sub_personas") or [], key=lambda s: -float(s.get("share_of_parent") or 0))],
    }


def _sources(manifest: dict[str, Any]) -> str | None:
    """The input files by name: "a.csv", "a.csv and b.csv", "a.csv, b.csv and 3 more files"; chats and mailboxes,
    whose files are often named after a person ("WhatsApp Chat with NAME.txt"), by their count only."""
    load = (manifest.get("source") or {}).get("load") or {}
    files = [f for f in load.get("files") or [] if isinstance(f, dict)]
    if files and all(f.get("layout") in ("whatsapp", "mailbox") for f in files):
        kinds, n = {f["layout"] for f in files}, len(files)
        if kinds == {"mailbox"}:
            return "a mailbox" if n == 1 else f"{n} mailboxes"
        return f"{n} WhatsApp chat{'s' if n > 1 else ''}" if kinds == {"whatsapp"} else f"{n} chats and mailboxes"
    names = [Path(str(i)).name for i in ((manifest.get("source") or {}).get("inputs") or [])]
    if len(names) <= 2:
        return " and ".join(names) or None
    rest = len(names) - 2
    return f"{names[0]}, {names[1]} and {rest} more file{'s' if rest > 1 else ''}"


def _day(stamp: Any):
    """The date of an ISO 8601 timestamp; None for none or anything else."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).date() if isinstance(stamp, str) else None
    except ValueError:
        return None


def _span(a, b) -> str:
    def day(d) -> str:
        return f"{d.day} {d.strftime('%b %Y')}"
    return day(a) if a == b else f"{day(a)} – {day(b)}"


def _date_range(manifest: dict[str, Any]) -> str | None:
    """ "29 Aug 2011 – 3 Dec 2017 (dates in UTC); 90% within 30 Oct 2017 – 26 Nov 2017" from the manifest's time
    section (the middle 90 % only where it is narrower), on the clock of the run's charts (``period_clock``: the
    airline tweets' "16 Feb 2015 – 24 Feb 2015 (dates in UTC-08:00)", as the overview; the report said UTC beside
    hours in the run's own zone); None without timestamps."""
    from ml.ingest.timebasis import period_clock

    time = manifest.get("time") or {}
    clock = period_clock(time.get("basis"))
    first, last, p05, p95 = (_day_on(time.get(k), clock) for k in ("first", "last", "p05", "p95"))
    if first is None or last is None:
        return None
    out = f"{_span(first, last)} (dates in {clock})"
    if p05 and p95 and (p05, p95) != (first, last):
        out += f"; 90% within {_span(p05, p95)}"
    return out


def _also(agents: dict[str, Any], detected: int) -> str:
    """" (the data marks 2,203 of them as the company's too)": the side column's agreement, as the explorer says it."""
    also = min(detected, int(agents.get("detected_marked_by_data") or 0))
    if also <= 0:
        return ""
    return " (the data marks all of them as the company's too)" if also == detected else \
        f" (the data marks {also:,} of them as the company's too)"


def _set_aside(removed: int, agents: dict[str, Any] | None) -> str:
    """The rows set aside before the filters, each reason with its count (as the explorer's funnel says it):
    not marked as the customer's (--inbound-only), messages of brand/agent accounts found from how they write,
    rows the data marks as the company's replies. Runs without the agents section: the total only."""
    head = f"{removed:,} set aside before the filters as the company's side"
    if not agents:
        return head
    marked, signed = int(agents.get("removed_outbound_flag") or 0), int(agents.get("removed_staff_signed") or 0)
    links, link_accounts = int(agents.get("removed_broadcast") or 0), int(agents.get("broadcast_accounts") or 0)
    detected = max(0, int(agents["removed"]) - marked - signed - links)
    not_inbound = max(0, removed - int(agents["removed"]))
    n = int(agents.get("accounts") or 0)
    accounts = f" of {n:,} brand or agent account{'' if n == 1 else 's'}" if n else ""
    parts = [f"{not_inbound:,} not marked as a customer's message (--inbound-only)" if not_inbound else "",
             f"{detected:,} messages{accounts} found from how they write{_also(agents, detected)}" if detected else "",
             f"{marked:,}{' more' if detected else ''} the data marks as the company's replies" if marked else "",
             f"{signed:,} signed as only staff sign (“^AB”, “*Name”)" if signed else "",
             f"{links:,} messages of {link_accounts:,} account{'' if link_accounts == 1 else 's'} that post links "
             "only (news feeds, bots, promotions)" if links else ""]
    parts = [p for p in parts if p]
    head = head.removesuffix(" as the company's side") if links else head  # news feeds are nobody's side
    return f"{head}: {'; '.join(parts)}" if parts else head


def _read_kept(manifest: dict[str, Any]) -> list[str]:
    """What became of the rows read, in words, e.g. "3,000 rows read", "1,365 set aside before the filters as the
    company's side: …" (``_set_aside``), "153 removed by the quality filters", "1,482 kept"."""
    counts, load = manifest.get("counts") or {}, (manifest.get("source") or {}).get("load") or {}
    read, kept = counts.get("input"), counts.get("kept")
    if read is None or kept is None:
        return []
    if manifest.get("kind") == "events":
        users = counts.get("input_users")
        # a matrix layout (KDD Cup 2015: a row per user and day, a count column per event type) reads rows, not
        # events, as the overview says (RunCounts); an events review read "123,090 event rows" of 297,069 events
        rows = ("rows read, each a count per event type" if (manifest.get("source") or {}).get("layout") == "matrix"
                else "event rows read")
        if load.get("where"):
            matched = load.get("kept_where", read - int(load.get("dropped_where") or 0))
            return [f"{read:,} {rows}", f"{matched:,} of them where {load['where']} (--where)"
                    + (f", from {users:,} users" if users is not None else ""), f"{kept:,} users kept"]
        return [f"{read:,} {rows}" + (f" ({users:,} users)" if users is not None else ""), f"{kept:,} users kept"]
    total = load["rows_read"] if isinstance(load.get("rows_read"), int) else read  # counts.input: after reading
    outside = int(load.get("dropped_where") or 0) if load.get("where") else 0
    out = [f"{total:,} rows read"]
    if load.get("where"):
        out.append(f"{load.get('kept_where', total - outside):,} of them where {load['where']} (--where)")
    if total - outside > read:  # before the filter (chat-tool notices) or after it (empty texts)
        out.append(f"{total - outside - read:,} left out while reading (empty texts, chat-tool notices, …)")
    candidates, messages = counts.get("candidates"), counts.get("kept_messages")
    if candidates is not None and candidates < read:
        out.append(_set_aside(read - candidates, manifest.get("agents")))
    if candidates is not None and messages is not None and messages < candidates:
        out.append(f"{candidates - messages:,} removed by the quality filters (duplicates, too short, not English, …)")
    unit = manifest.get("unit") or "message"
    if unit == "author" and messages is not None:
        out.append(f"{messages:,} messages kept, read as {kept:,} authors (a message without an author is in none)")
    elif unit != "message" and messages is not None:
        out.append(f"{messages:,} messages kept, grouped into {kept:,} {unit}s")
    else:
        out.append(f"{kept:,} kept")
    return out


def report_cover(manifest: dict[str, Any], profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """The cover: what was read, and the families (largest first) with their personas (largest first);
    personas of no family (runs made before families, or one family) in one group without a name."""
    counts = manifest.get("counts") or {}
    kept = counts.get("kept")
    noise = counts.get("noise_before_reassign")
    by_id = {int(p["id"]): p for p in profiles if p.get("id") is not None}
    families = [f for f in ((manifest.get("hierarchy") or {}).get("families") or []) if f.get("persona_ids")]
    groups = []
    if len(families) >= 2:
        for f in families:
            members = [by_id[int(i)] for i in f["persona_ids"] if int(i) in by_id]
            groups.append({"name": str(f.get("name") or f"Family {f.get('id')}"), "share": float(f.get("share") or 0),
                           "personas": sorted(members, key=lambda p: -int(p.get("size") or 0))})
    listed = {int(p["id"]) for g in groups for p in g["personas"]}
    rest = [p for p in profiles if int(p["id"]) not in listed]
    if rest:
        groups.append({"name": None, "share": None, "personas": sorted(rest, key=lambda p: -int(p.get("size") or 0))})
    return {
        "sources": _sources(manifest), "dates": _date_range(manifest), "read_kept": _read_kept(manifest),
        "noise_pct": 100.0 * noise / kept if kept and noise is not None and manifest.get("kind") != "events" else None,
        "families": len(families) if len(families) >= 2 else 0,
        "groups": [{**g, "personas": [{"id": p["id"], "name": str(p.get("name") or f"Persona {p['id']}"),
                                       "size": int(p.get("size") or 0), "share": float(p.get("share") or 0),
                                       "name_share": p.get("name_share")}
                                      for p in g["personas"]]} for g in groups],
    }


def _untimed(pages: list[dict[str, Any]]) -> str | None:
    """When no persona has a time to show: what to say once on the cover ("No timestamps in this run." and the
    personas' common note), in place of the same two sentences on every persona's page; else None."""
    if not pages or any(p["peaks"] for p in pages):
        return None
    notes = {p["activity_note"] for p in pages}
    note = notes.pop() if len(notes) == 1 else None
    return "No timestamps in this run." + (f" {note}" if note else "")


def _base_dates(base: dict[str, Any]) -> str | None:
    """The baseline's data period on its charts' clock (an airline review read "20 Feb 2015 – 23 Feb 2015" in a report
    that said "dates in UTC-08:00", where the explorer said 20–22 Feb: the days were UTC's)."""
    from ml.ingest.timebasis import period_clock

    clock = period_clock(base.get("basis"))
    first, last = (_day_on(base.get(k), clock) for k in ("first", "last"))
    return _span(first, last) if first and last else None


def _day_on(stamp: Any, clock: str):
    """The date of an ISO 8601 instant on ``clock`` (``period_clock``'s answer); None for none or anything else."""
    from ml.ingest.timebasis import day_on_clock

    try:
        return _day(day_on_clock(stamp, clock)) if isinstance(stamp, str) else None
    except ValueError:
        return None


def _psi_text(shift: dict[str, Any]) -> str | None:
    """The PSI as the explorer and the CLI write it (``ml.lineage.shift.psi_figure``)."""
    from ml.lineage.shift import psi_figure

    if not isinstance(shift.get("psi"), (int, float)):
        return None
    return psi_figure(float(shift["psi"]), float(shift.get("moderate") or 0.1), float(shift.get("major") or 0.25))


def _split_parents(news: list[dict[str, Any]], bases: list[dict[str, Any]]) -> set[Any]:
    """The baseline personas this run's split pieces come from: for each piece, the first of its ``base_ids`` (the one
    its reason names) that lists it among its pieces, one that split before one that merged into it (an airline review
    counted 7 split personas in the report where the run split 6: "Hold for an hour" merged into a piece of "Phone &
    hold"); the explorer's ``splitParent`` reads it the same way."""
    by_id = {b.get("id"): b for b in bases}
    out = set()
    for p in news:
        if p.get("status") != "split":
            continue
        named = [by_id[i] for i in p.get("base_ids") or [] if i in by_id]
        linked = [b for b in named if p.get("id") in (b.get("new_ids") or [])] or named  # comparisons carry new_ids
        parent = next((b for b in linked if b.get("status") == "split"), linked[0] if linked else None)
        if parent is not None:
            out.add(parent.get("id"))
    return out


def report_changes(comparison: dict[str, Any] | None, moves: int = 3) -> dict[str, Any] | None:
    """What changed since the base run, from the run's stored comparison (``ml.compare``'s contract): the
    base run, the population shift, the personas born and gone (largest first), how many split or merged, and the
    ``moves`` largest share changes of the personas that carried on. None without a comparison."""
    if not isinstance(comparison, dict) or not isinstance(comparison.get("new_personas"), list):
        return None
    base = comparison.get("base") or {}
    news, bases = comparison.get("new_personas") or [], comparison.get("base_personas") or []

    def share(ci: Any) -> float:
        return float((ci or {}).get("share") or 0.0)

    born = sorted((p for p in news if p.get("status") == "born"), key=lambda p: -share(p.get("now")))
    died = sorted((p for p in bases if p.get("status") == "died"), key=lambda p: -share(p.get("then")))
    # a persona whose own share moved while its placed share did not (share_recut) is left out of the largest moves
    kept = [p for p in news if p.get("status") in ("continued", "grown", "shrunk") and p.get("then")
            and not p.get("share_recut")]
    kept.sort(key=lambda p: -abs(share(p.get("now")) - share(p.get("then"))))
    shift = comparison.get("shift") or {}
    return {
        "base_id": base.get("run_id"), "base_dates": _base_dates(base), "psi": shift.get("psi"),
        "psi_text": _psi_text(shift),
        # either run's own stability poor: the changes are as much the fits' (as the explorer and ml.compare say)
        "tentative": tentative([("the earlier run", base.get("stability_ari")),
                                ("this run", (comparison.get("new") or {}).get("stability_ari"))]),
        "level": shift.get("level"),
        "born": [{"name": p.get("name"), "pct": 100 * share(p.get("now"))} for p in born],
        "died": [{"name": p.get("name"), "pct": 100 * share(p.get("then"))} for p in died],
        # the baseline personas that split (pieces' parents: a parent is itself "merged" when its largest part went
        # into a merger), the pieces, and this run's personas that each hold several earlier ones
        "split": len(_split_parents(news, bases)),
        "pieces": sum(p.get("status") == "split" for p in news),
        "merged": sum(p.get("status") == "merged" for p in news),
        "moved": [{"name": p.get("name"), "then": 100 * share(p.get("then")), "now": 100 * share(p.get("now")),
                   "status": p.get("status")} for p in kept[:moves]],
        "redrawn": sum(bool(p.get("share_recut")) for p in news),
        # two fits of the same members (ml.lineage.compare's note): every change is the fit's, not the data's
        "same_members": any(str(n).startswith("both runs hold the same members") for n in comparison.get("notes") or []),
    }


@router.get("/report.html", response_class=HTMLResponse, responses=json_errors(404, 422),
            summary="Print-friendly persona report (HTML; one page per persona in print)")
def report(
    run_id: RunIdPath,
    store: StoreDep,
    persona: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only this persona.")] = None,
    family: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only this family's personas.")] = None,
) -> HTMLResponse:
    resolved = resolve_run(store, run_id)
    manifest = store.get_run(resolved)
    every = store.get_personas(resolved)
    only, scope = personas_in_scope(manifest, every, resolved, persona, family)
    counts = manifest.get("counts") or {}
    cover = report_cover(manifest, every)
    # the persona pages in the cover's order (family by family), each with its family's name
    rank = {p["id"]: k for k, p in enumerate(p for g in cover["groups"] for p in g["personas"])}
    family_of = {p["id"]: g["name"] for g in cover["groups"] for p in g["personas"]}
    profiles = sorted((p for p in every if only is None or int(p["id"]) in only),
                      key=lambda p: rank.get(p["id"], len(rank)))
    if family is not None:  # the contents list that family only
        cover["groups"] = [g for g in cover["groups"] if g["personas"] and g["personas"][0]["id"] in only]
    pages = [{**report_persona(p), "family": family_of.get(p["id"]),
              "outcome": persona_outcome_read(manifest, int(p["id"]))} for p in profiles]
    cover["outcomes"] = report_outcomes(manifest, {int(p["id"]): str(p.get("name") or "") for p in every})
    cover["untimed"] = _untimed(pages)
    html = _environment().get_template("report.html.j2").render(
        run_id=resolved, created_at=manifest.get("created_at"), unit=manifest.get("unit") or "member",
        kept=counts.get("kept"), n_personas=counts.get("personas"), single=persona is not None, cover=cover,
        events=manifest.get("kind") == "events", family=family_of.get(profiles[0]["id"]) if family is not None else None,
        changes=None if scope else report_changes(store.get_comparison(resolved)), personas=pages)
    name = f"personas-{resolved}-report{scope}.html"
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP,
                                       "Content-Disposition": f'inline; filename="{name}"'})
