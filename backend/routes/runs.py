"""Runs: list (newest first, paged), one run's manifest, delete (write access only)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends

from backend.deps import CacheDep, ModelsDep, SettingsDep, StoreDep
from backend.redact import public_document
from backend.routes.common import PageLimit, RunIdPath, RunOffset, errors, page_limit, resolve_run
from backend.routes.compare import stored_comparison
from backend.security import require_admin
from ml.runtime.contracts import DeleteResult, RunManifest, RunPage, parse_run_summary, served_manifest
from ml.runtime.contracts.base import STORED
from ml.store.base import RunNotFound
from ml.store.series import iter_series_runs

router = APIRouter(prefix="/runs", tags=["runs"])
log = logging.getLogger("backend")


def public_manifest(run_id: str, manifest: dict[str, Any], model_available: bool,
                    has_comparison: bool = False) -> RunManifest:
    """The manifest as clients see it (`RunManifest`): no `run_dir`, input and cache paths cut to their names."""
    return served_manifest(public_document(manifest), run_id, model_available, has_comparison)


@router.get("", response_model=RunPage, responses=errors(), summary="Complete runs, newest first")
def list_runs(
    store: StoreDep,
    settings: SettingsDep,
    offset: RunOffset = 0,
    limit: PageLimit = None,
) -> RunPage:
    limit = page_limit(limit, settings)
    items = [parse_run_summary(_summary(run), extra=STORED) for run in store.list_runs(limit=limit, offset=offset)]
    return RunPage(items=items, total=store.count_runs(), offset=offset, limit=limit)


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    run = public_document(run)
    run.setdefault("id", run.get("run_id"))
    return run


@router.get("/{run_id}", response_model=RunManifest, responses=errors(404),
            summary="One run's manifest (`latest` = newest run)")
def get_run(run_id: RunIdPath, store: StoreDep, models: ModelsDep, cache: CacheDep) -> RunManifest:
    resolved = resolve_run(store, run_id)
    manifest = store.get_run(resolved)
    try:
        has = stored_comparison(store, cache, resolved) is not None
    except Exception:  # a comparison that cannot be served must not take the manifest with it
        log.warning("run %r: its stored comparison could not be read", resolved, exc_info=True)
        has = True  # the comparison endpoint answers with the error, and the page says it could not load it
    return public_manifest(resolved, manifest, models.available(resolved, manifest, store), has)


@router.delete("/{run_id}", response_model=DeleteResult, responses=errors(401, 403, 404),
               dependencies=[Depends(require_admin)],
               summary="Delete a run (writes on: PERSONAS_ADMIN_KEY set; needs Authorization: Bearer <admin key>)")
def delete_run(run_id: RunIdPath, store: StoreDep, models: ModelsDep, cache: CacheDep) -> DeleteResult:
    resolved = resolve_run(store, run_id)
    followers = _compared_with(store, resolved)  # read before the run goes
    if not store.delete_run(resolved):
        raise RunNotFound(resolved)  # the handler says which run and where the runs are listed
    models.evict(resolved)
    cache.forget_run(resolved)
    return DeleteResult(id=resolved, deleted=True, baseline_of=followers)


def _compared_with(store, run_id: str) -> list[str]:
    """The runs of ``run_id``'s series whose stored comparison has it as baseline (a platform review: a run deleted
    from the middle of a series left the next one's comparison pointing at it, without a word)."""
    series = (store.get_run(run_id) or {}).get("series")
    if not series:
        return []
    return [i["run_id"] for i in iter_series_runs(store, series)
            if (i.get("comparison") or {}).get("base_run_id") == run_id]
