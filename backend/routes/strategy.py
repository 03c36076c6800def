"""Strategy: a persona's engagement strategy for a goal, from `ml.strategy.generate_strategy`.

The generator is deterministic by default, so the same request always returns the same JSON.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from backend.deps import StoreDep, StrategyDep
from backend.errors import APIError
from backend.routes.common import errors, resolve_run
from backend.schemas import CitedSnippet, StrategyRequest, StrategyResponse
from ml.events.outcomes import persona_outcome

router = APIRouter(tags=["strategy"])


def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so non-finite floats and odd types cannot break the response."""
    return json.loads(json.dumps(value, default=str, allow_nan=True),
                      parse_constant=lambda _: None)


@router.post("/strategy", response_model=StrategyResponse, responses=errors(400, 404, 413, 503),
             summary="Strategy JSON for one persona and goal (deterministic)")
def strategy(body: StrategyRequest, store: StoreDep, generate: StrategyDep) -> StrategyResponse:
    resolved = resolve_run(store, body.run_id)
    profile = dict(store.get_persona(resolved, body.persona_id))
    profile.pop("member_ids", None)
    if profile.get("kind") == "events":  # the run's outcome rates, which the strategy says where they differ
        outcome = persona_outcome(((store.get_run(resolved) or {}).get("metrics") or {}).get("outcomes"),
                                  body.persona_id)
        if outcome:
            profile["outcome"] = outcome
    channels = [c.strip() for c in body.channels] if body.channels is not None else None
    try:  # goal None: the generator uses the persona's suggested goal and says which in the document
        result = generate(profile, body.goal, channels)
    except ValueError as exc:  # ml.strategy.StrategyError: bad goal, channels or profile
        message = str(exc).splitlines()[0] if str(exc) else "invalid strategy request"
        raise APIError(422, "invalid_request", message) from exc
    if not isinstance(result, dict):
        raise APIError(500, "internal_error", "the strategy generator returned no JSON object")
    document = _json_safe(result)
    # the channels the document recommends, in its order (the request's list echoed [] or a repeat beside the three
    # the strategy used; an API review)
    used = list(dict.fromkeys(str(c.get("channel")) for c in document.get("channels") or []
                              if isinstance(c, dict) and c.get("channel")))
    evidence = cited_snippets(document, profile)
    _add_authors(store, resolved, body.persona_id, evidence)
    return StrategyResponse(run_id=resolved, persona_id=body.persona_id, goal=document.get("goal") or body.goal,
                            channels=used, strategy=document, evidence=evidence)


MEMBER_PAGES = 2  # of 200: evidence is drawn from the members nearest the persona's centre, which come first


def _add_authors(store: Any, run_id: str, persona_id: int, evidence: list[CitedSnippet]) -> None:
    """Each cited member's author and timestamp as the members endpoint has them (an API review found both None
    on every snippet: the stored evidence holds only the text), looked up in the persona's first
    ``MEMBER_PAGES`` pages, nearest first; a member not there keeps None. Below the privacy floor (no text
    shown) no author is added either."""
    wanted = {e.member_id: e for e in evidence if e.text is not None}
    for page in range(MEMBER_PAGES):
        if not wanted:
            return
        rows, total = store.get_members(run_id, persona_id, offset=200 * page, limit=200)
        for row in rows:
            snippet = wanted.pop(str(row.get("member_id")), None)
            if snippet is not None:
                snippet.author, snippet.timestamp = _text(row.get("author")), _text(row.get("timestamp"))
        if 200 * (page + 1) >= total:
            return


def _cited_ids(node: Any, found: dict[str, None]) -> None:
    if isinstance(node, dict):
        citations = node.get("citations")
        if isinstance(citations, dict):
            for member_id in citations.get("evidence") or []:
                found.setdefault(str(member_id), None)
        for value in node.values():
            _cited_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            _cited_ids(value, found)


def cited_snippets(document: dict[str, Any], profile: dict[str, Any]) -> list[CitedSnippet]:
    """The evidence snippets (masked, as stored in the profile) of every member id the strategy cites."""
    found: dict[str, None] = {}
    _cited_ids(document, found)
    by_id = {str(e.get("member_id")): e for e in profile.get("evidence") or [] if isinstance(e, dict)}
    out = []
    for member_id in found:
        snippet = by_id.get(member_id, {})
        out.append(CitedSnippet(member_id=member_id, text=snippet.get("text"), author=_text(snippet.get("author")),
                                timestamp=_text(snippet.get("timestamp"))))
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
