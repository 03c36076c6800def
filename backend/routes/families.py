"""The persona hierarchy of a run: families of personas (`ml.cluster.hierarchy`), for the nested treemap.

Runs made before families existed answer with an empty `families` list and `levels: ["persona"]`.
"""

from __future__ import annotations

from fastapi import APIRouter

from backend.deps import CacheDep, StoreDep
from backend.routes.common import RunIdPath, errors, resolve_run
from ml.runtime.contracts import FamilyTree, parse_manifest
from ml.runtime.contracts.base import STORED

router = APIRouter(prefix="/runs/{run_id}", tags=["personas"])


def family_tree(run_id: str, manifest: dict) -> FamilyTree:
    """The families of a stored manifest (any version; none before families existed)."""
    return FamilyTree.of(run_id, getattr(parse_manifest(manifest, extra=STORED), "hierarchy", None))


@router.get("/families", response_model=FamilyTree, responses=errors(404),
            summary="Families of personas (the level above personas), largest first")
def list_families(run_id: RunIdPath, store: StoreDep, cache: CacheDep) -> FamilyTree:
    resolved = resolve_run(store, run_id)
    return cache.get_or_load(("families", resolved), lambda: family_tree(resolved, store.get_run(resolved)))
