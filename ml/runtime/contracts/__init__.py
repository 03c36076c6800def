"""The typed run contract: what a run produces, from the pipeline to the browser.

The pipelines build these models (``ml.runtime.pipeline``, ``ml.events.pipeline``), the run writers dump
them (``model_dump(mode="json")``), the store checks and serves them (``ml.store.records``) and the API's
response models are these models, so the OpenAPI schema (``python -m backend.openapi``) is the contract the
generated TypeScript client follows. Unknown fields are refused everywhere; fields added since earlier
versions are optional, so runs already in a store still load. Field-by-field: docs/CONTRACTS.md.

- ``base``: ``Contract`` (extra fields forbidden), ``Term``, ``RunKind``, ``kind_of``, ``new_run_id``;
- ``manifest``: ``ConversationManifest`` | ``EventManifest`` (``Manifest``, ``parse_manifest``);
- ``persona``: ``ConversationPersona`` | ``EventPersona`` (``PersonaProfile``), with ``member_ids``
  (``PersonaRecord``, ``personas.json``) or ``run_id`` (``PersonaDetail``, the API), ``parse_persona``;
- ``hierarchy``: ``FamilyRecord``, ``Hierarchy`` (the manifest section), ``FamilyTree`` (the API);
- ``api``: ``RunSummary`` (with ``kind``), ``RunManifest`` as served, ``PersonaSummary``, ``AssignmentRow``,
  ``MapPoint``, ``FeatureTable`` and the page wrappers.
"""

from ml.runtime.contracts.api import *  # noqa: F403
from ml.runtime.contracts.api import __all__ as _api
from ml.runtime.contracts.base import RUN_KINDS, Contract, RunKind, Term, kind_of, new_run_id, utc_now
from ml.runtime.contracts.hierarchy import FamilyRecord, FamilyTree, Hierarchy
from ml.runtime.contracts.manifest import *  # noqa: F403
from ml.runtime.contracts.manifest import __all__ as _manifest
from ml.runtime.contracts.persona import *  # noqa: F403
from ml.runtime.contracts.persona import __all__ as _persona

__all__ = sorted({*_api, *_manifest, *_persona, "Contract", "FamilyRecord", "FamilyTree", "Hierarchy", "RUN_KINDS",
                  "RunKind", "Term", "kind_of", "new_run_id", "utc_now"})
