"""The pipeline's sub-persona step (level 2 of families → personas → sub-personas), after the noise step.

``split_personas(stage, clusterer, placement, labels, reduced)`` → sub-persona id per member (−1 where the
persona does not split): ``stage`` (an unfitted ``ml.cluster.subpersonas.SubPersonas``) is fitted on the tree
HDBSCAN built (``clusterer.hdbscan_``) over the rows it was fitted on; members placed after a sampled fit
(``placement``) take the nearest sub-persona of their own persona (``SubPersonas.predict``).

``subpersona_documents(stage, sub_ids, members, labels, reassigned, embeddings, keep_handles, min_authors)``
→ ``{persona id: [SubPersona dicts]}``: ``ml.cluster.subpersonas.subpersona_records`` plus at most one
evidence snippet each (``ml.profile.evidence.EvidenceSelector``, masked), withheld under the persona
privacy floor (fewer than ``min_authors`` distinct authors in the sub-persona), and its ``name_share`` (read as
a persona's: an explorer review found "CEO & travel" on 9 of 148 members, unmarked).

``add_subpersonas(config, stage, clusterer, placement, prep, (labels, reassigned, reduced), personas,
hierarchy)`` is the step as ``ml.runtime.pipeline`` calls it: with ``hierarchy.subpersonas.enabled`` it returns
the personas with their ``sub_personas`` and each member's sub-persona id (a nullable Int64 array for
``assignments.parquet``), and records the level in ``hierarchy`` (levels, ``subpersona_rule``,
``n_subpersonas``); without, the personas unchanged and no ids.

Event runs have no sub-personas (their personas come from NMF, not from a density tree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.cluster.density import PersonaClusterer
from ml.cluster.subpersonas import SubPersonas, subpersona_records
from ml.profile.describe import one_voice_sentence
from ml.profile.evidence import EvidenceSelector, privacy_floor
from ml.profile.name_share import name_share
from ml.runtime.contracts import ConversationPersona, Hierarchy, SubPersona


def split_personas(stage: SubPersonas, clusterer: PersonaClusterer, placement, labels: np.ndarray,
                   reduced: np.ndarray) -> np.ndarray:
    """Fit ``stage`` on the persona tree and return every member's sub-persona id (see the module docstring)."""
    fit = placement.fit_index if placement is not None else np.arange(len(labels))
    tree = clusterer.hdbscan_.single_linkage_tree_.to_numpy()
    stage.fit(tree, labels[fit], reduced[fit], clusterer.min_cluster_size_, clusterer.max_cluster_size_)
    if placement is None:
        return stage.sub_labels_.copy()
    return stage.predict(reduced, labels)


def subpersona_rule(stage: SubPersonas, min_cluster_size: int) -> str:
    """One line for the manifest's ``hierarchy.subpersona_rule``."""
    return (f"persona tree read again at min_cluster_size {stage.size_} (ratio {stage.ratio} of {min_cluster_size}, "
            f"at least {stage.smallest}, {stage.method}); a persona splits where two or more of these clusters "
            f"lie mostly inside it: {len(stage.subs_of_)} personas into {stage.n_subpersonas_} sub-personas")


def subpersona_documents(stage: SubPersonas, sub_ids: np.ndarray, members: pd.DataFrame, labels: np.ndarray,
                         reassigned: np.ndarray, embeddings: np.ndarray, keep_handles=(),
                         min_authors: int = 1, term_texts=None, known_names=(), encode=None,
                         parent_names: dict[int, str] | None = None) -> dict[int, list[dict]]:
    """``{persona id: [sub-persona records with evidence]}`` (see the module docstring); ``term_texts``: the
    texts the terms are read from (the masked texts; None: the members' texts); ``encode``: phrases → vectors
    for the names' phrase cosine (None: member statistics only)."""
    texts = members["text"].fillna("").astype(str).tolist()
    known = "author" in members and members["author"].notna().any()
    authors = members["author"].to_numpy(dtype=object) if known else None
    records = subpersona_records(stage, texts if term_texts is None else list(term_texts), labels,
                                 exclude=tuple(keep_handles), sub_labels=sub_ids, embeddings=embeddings,
                                 encode=encode, parent_names=parent_names, authors=authors,
                                 min_evidence_authors=min_authors)
    member_ids = members["member_id"].astype(str).to_numpy()
    selector = EvidenceSelector(n=1)
    out: dict[int, list[dict]] = {}
    for rec in records:
        rows = np.flatnonzero(sub_ids == rec["id"])
        floor = privacy_floor(None if authors is None else authors[rows], min_authors)
        withheld = floor["evidence_withheld"]
        own = [texts[i] for i in rows]
        evidence = [] if withheld else selector.select(member_ids[rows], own, embeddings, ~reassigned[rows],
                                                       keep_handles, rows, known_names)
        voice = one_voice_sentence({**floor, "size": len(rows)})  # one customer's thread is no segment, here too
        share = name_share(rec["name"], own)  # as a persona's, to mark a name (it reads the first MAX_TEXTS)
        out.setdefault(rec["parent_id"], []).append({**rec, "evidence": evidence, "evidence_withheld": withheld,
                                                     "one_voice": voice, "name_share": share})
    return out


def add_subpersonas(config, stage: SubPersonas, clusterer: PersonaClusterer, placement, prep,
                    fitted: tuple[np.ndarray, np.ndarray, np.ndarray], personas: list[ConversationPersona],
                    hierarchy: Hierarchy, term_texts=None,
                    encode=None) -> tuple[list[ConversationPersona], pd.arrays.IntegerArray]:
    """The pipeline's step (see the module docstring); ``config`` a ``PipelineConfig``, ``prep`` the
    pipeline's ``Prepared`` (members, embeddings), ``fitted`` the final labels, reassigned flags, reduced rows,
    ``term_texts`` the masked member texts the sub-personas' terms are read from, ``encode`` the run's phrase
    encoder (used for the names with ``profile.name_phrase_vectors``, as persona names use it)."""
    labels, reassigned, reduced = fitted
    if not config.hierarchy.subpersonas.enabled:
        return personas, pd.array([None] * len(labels), dtype="Int64")
    sub_ids = split_personas(stage, clusterer, placement, labels, reduced)
    brands = next((p.brand_handles for p in personas if p.brand_handles), [])
    docs = subpersona_documents(stage, sub_ids, prep.members, labels, np.asarray(reassigned, dtype=bool),
                                prep.embeddings, brands, config.profile.min_evidence_authors, term_texts,
                                prep.known_names, encode if config.profile.name_phrase_vectors else None,
                                {p.id: p.name for p in personas})
    hierarchy.levels = ["family", "persona", "sub-persona"]
    hierarchy.subpersona_rule = subpersona_rule(stage, clusterer.min_cluster_size_)
    hierarchy.n_subpersonas = int(stage.n_subpersonas_)
    personas = [p.model_copy(update={"sub_personas": [SubPersona(**d) for d in docs.get(p.id, [])]})
                for p in personas]
    return personas, pd.array([int(s) if s >= 0 else None for s in sub_ids], dtype="Int64")
