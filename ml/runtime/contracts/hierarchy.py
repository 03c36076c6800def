"""Families of personas (``ml.cluster.hierarchy``): the manifest's ``hierarchy`` section and the
``GET /runs/{id}/families`` answer."""

from __future__ import annotations

from pydantic import Field

from ml.runtime.contracts.base import Contract, Term


class FamilyRecord(Contract):
    """A family: personas whose centroids are close in the text-embedding space (level 0)."""

    id: int
    name: str
    size: int
    share: float
    core_size: int
    reassigned_count: int
    persona_ids: list[int]
    top_terms: list[Term] = Field(default_factory=list)


class Hierarchy(Contract):
    levels: list[str] = Field(default_factory=lambda: ["family", "persona"],
                              description='["family", "persona", "sub-persona"] when personas were split.')
    rule: str | None = Field(None, description="How the families were made: their number and the linkage, e.g. "
                             "\"round(sqrt(24 personas)) = 5, capped at 30, ward linkage\".")
    families: list[FamilyRecord] = Field(default_factory=list, description="Largest first.")
    subpersona_rule: str | None = Field(None, description="How personas were split (level 2); None without.")
    n_subpersonas: int | None = Field(None, description="Sub-personas in the run; None without level 2.")


class FamilyTree(Contract):
    """``GET /runs/{id}/families``; runs made before families answer ``levels: ["persona"]``, no families."""

    run_id: str
    levels: list[str] = Field(description='["family", "persona", "sub-persona"]; ["family", "persona"] without '
                                          'sub-personas, ["persona"] for runs made before families.')
    rule: str | None = Field(None, description="How the families were made: their number and the linkage, e.g. "
                             "\"round(sqrt(24 personas)) = 5, capped at 30, ward linkage\".")
    families: list[FamilyRecord]
    subpersona_rule: str | None = Field(None, description="How personas were split (level 2); None without.")
    n_subpersonas: int | None = Field(None, description="Sub-personas in the run (GET .../personas/{pid}/"
                                                        "sub-personas); None without level 2.")

    @classmethod
    def of(cls, run_id: str, hierarchy: Hierarchy | None) -> FamilyTree:
        h = hierarchy or Hierarchy(levels=["persona"])
        levels = h.levels or (["family", "persona"] if h.families else ["persona"])
        return cls(run_id=run_id, levels=levels, rule=h.rule, families=h.families,
                   subpersona_rule=h.subpersona_rule, n_subpersonas=h.n_subpersonas)


def family_names(manifest: dict | None) -> dict[int, str]:
    """Family id → name from a stored manifest document's ``hierarchy`` (empty for event runs and runs made before
    families): what exports, ``ml.assign`` and lineage snapshots name a persona's family by."""
    families = ((manifest or {}).get("hierarchy") or {}).get("families") or []
    return {int(f["id"]): str(f.get("name") or f"Family {f['id']}") for f in families
            if isinstance(f, dict) and f.get("id") is not None}
