"""Comparisons and series: a run's stored comparison with its baseline, its movers (paged), a series'
history. Written by ``python -m ml.run --series NAME --baseline ...`` (docs/drift.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from backend.deps import CacheDep, ReadCache, SettingsDep, StoreDep
from backend.errors import APIError
from backend.routes.common import PageLimit, RowOffset, RunIdPath, RunOffset, errors, page_limit, resolve_run
from backend.routes.personas import WITHHELD_ID, withheld_personas
from backend.schemas import MAX_ID, RUN_ID_PATTERN
from ml.runtime.contracts.base import STORED
from ml.runtime.contracts.compare import Comparison, MoversPage, SeriesHistory, upgrade_comparison
from ml.store.base import RunNotFound, RunStore

router = APIRouter(tags=["comparisons"])

SeriesPath = Annotated[str, Path(pattern=RUN_ID_PATTERN, max_length=64, examples=["weekly"],
                                 description="A series name (python -m ml.run --series NAME).")]
PersonaFilter = Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only movers from (to) this persona id.")]


def _no_comparison(store, run_id: str) -> APIError:
    """Why a run has no comparison: the first run of its series has no baseline (a re-runs review read "runs made
    with … --series have one" of a series' first run)."""
    try:
        series = (store.get_run(run_id) or {}).get("series")  # the manifest
        first = bool(series) and store.series_runs(series, limit=1)[0][0]["run_id"] == run_id
    except Exception:  # noqa: BLE001 - the reason is a courtesy; the 404 stands without it
        series, first = None, False
    if first:
        return APIError(404, "comparison_not_found",
                        f"run {run_id!r} is the first run of series {series!r}: there was no earlier run to compare "
                        "it with; the series' next run will have a comparison")
    if series:  # a later run whose comparison could not be made (ml.run said why: "no comparison with …")
        return APIError(404, "comparison_not_found",
                        f"run {run_id!r} of series {series!r} has no comparison: it could not be made when the run "
                        "was written (python -m ml.run printed why); python -m ml.compare BASE NEW compares two runs")
    return APIError(404, "comparison_not_found",
                    f"run {run_id!r} has no comparison; runs made with python -m ml.run --baseline, and a series' "
                    "later runs (--series), have one")


def _served(document: dict) -> Comparison:
    """The stored comparison without server paths (each run's `run_dir`), in the current contract (a comparison
    stored before the population shift is upgraded: ``upgrade_comparison``)."""
    document = upgrade_comparison(document)
    body = {**document, "base": {**document["base"], "run_dir": None}, "new": {**document["new"], "run_dir": None}}
    return Comparison.model_validate(body, extra=STORED)


def _withheld_moves(store: RunStore, cache: ReadCache, new_run: str, base_run: str | None, moves: list) -> list:
    """Moves whose member came from or went to a persona below the privacy floor carry no key (an author's handle,
    a member id that is one: a privacy review found all 41 movers of a withheld persona named)."""
    def floor(run_id: str | None) -> set[int]:
        try:
            return withheld_personas(store, run_id, cache) if run_id else set()
        except Exception:  # noqa: BLE001 - a deleted baseline: no personas to withhold
            return set()

    then, now = floor(base_run), floor(new_run)
    if not then and not now:
        return moves
    return [{**m, "key": WITHHELD_ID} if m["from_id"] in then or m["to_id"] in now else m for m in moves]


def stored_comparison(store: RunStore, cache: ReadCache, resolved: str) -> Comparison | None:
    """The run's served comparison (cached per run), None when it has none; ``resolved``: a run id."""

    def load() -> Comparison | None:
        document = store.get_comparison(resolved)
        if document is None:
            return None
        movers = document.get("movers") or {}
        if movers.get("moves"):
            base = (document.get("base") or {}).get("run_id")
            document = {**document, "movers": {**movers, "moves": _withheld_moves(store, cache, resolved, base,
                                                                                  movers["moves"])}}
        return _served(document)

    return cache.get_or_load(("comparison", resolved), load)


@router.get("/runs/{run_id}/comparison", response_model=Comparison, responses=errors(404),
            summary="The run compared with its baseline: lineage per persona, population shift (PSI), movers")
def get_comparison(run_id: RunIdPath, store: StoreDep, cache: CacheDep) -> Comparison:
    resolved = resolve_run(store, run_id)
    comparison = stored_comparison(store, cache, resolved)
    if comparison is None:
        raise _no_comparison(store, resolved)
    base = comparison.base.run_id
    if not _stored(store, base):  # read per request: the cached comparison outlives its baseline's deletion
        note = (f"its baseline run {base} is not in the store (deleted since, or a run directory never published): "
                "the comparison still reads, the baseline's personas do not open")
        comparison = comparison.model_copy(update={"notes": [*comparison.notes, note]})
    return comparison


def _stored(store: RunStore, run_id: str) -> bool:
    """Whether ``run_id`` is a complete run of the store (a re-runs review deleted a series' middle run: the next
    run's comparison and the series history went on naming it without a word)."""
    try:
        store.get_run(run_id)
    except RunNotFound:
        return False
    return True


@router.get("/runs/{run_id}/movers", response_model=MoversPage, responses=errors(404),
            summary="Members whose persona lineage changed since the baseline, paged, by persona")
def get_movers(
    run_id: RunIdPath,
    store: StoreDep,
    settings: SettingsDep,
    cache: CacheDep,
    from_persona: PersonaFilter = None,
    to_persona: PersonaFilter = None,
    offset: RowOffset = 0,
    limit: PageLimit = None,
) -> MoversPage:
    resolved = resolve_run(store, run_id)
    limit = page_limit(limit, settings)
    page = store.get_movers(resolved, from_persona=from_persona, to_persona=to_persona, offset=offset, limit=limit)
    if page is None:
        raise _no_comparison(store, resolved)
    page = {**page, "items": _withheld_moves(store, cache, resolved, page.get("base_run_id"), page["items"])}
    return MoversPage.model_validate(page, extra=STORED)


@router.get("/series/{name}", response_model=SeriesHistory, responses=errors(404),
            summary="A series' runs, oldest first, with the headline of each one's comparison")
def get_series(
    name: SeriesPath,
    store: StoreDep,
    settings: SettingsDep,
    offset: RunOffset = 0,
    limit: PageLimit = None,
) -> SeriesHistory:
    limit = page_limit(limit, settings)
    try:
        items, total = store.series_runs(name, limit=limit, offset=offset)
    except ValueError as exc:
        raise APIError(422, "invalid_id", f"name: {exc}") from exc
    if total == 0:
        raise APIError(404, "series_not_found", f"no run of series {name!r}; python -m ml.run --series {name} makes one")
    listed = {i["run_id"] for i in items}  # a baseline on this page is stored: no read (usually the run before)
    items = [{**i, "comparison": {**i["comparison"], "base_missing": i["comparison"]["base_run_id"] not in listed
                                  and not _stored(store, i["comparison"]["base_run_id"])}}
             if i.get("comparison") else i for i in items]
    return SeriesHistory.model_validate({"series": name, "items": items, "total": total, "offset": offset,
                                         "limit": limit}, extra=STORED)
