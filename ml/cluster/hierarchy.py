"""Persona families: personas that sit close together in the text-embedding space, merged upwards.

``PersonaFamilies(n_families="auto", linkage="ward").fit(embeddings, labels)``

- in: ``embeddings`` (n, d) L2-normalised text embeddings of the members; ``labels`` (n,) persona id
  per member (no -1: reassign noise first);
- learned: ``persona_ids_`` (sorted persona ids), ``centroids_`` (one L2-normalised mean embedding per
  persona), ``linkage_`` (scipy linkage matrix over the centroids),
  ``n_families_``, ``family_of_`` ({persona id: family id}), ``families_`` (persona ids per family,
  family ids ordered by size, largest first) and ``rule_`` (how many families, and the linkage).

``n_families="auto"`` cuts the tree into ``round(sqrt(n_personas))`` families (at least one, at most
``max_families``): a reading aid, not a quality claim. 120 personas read as 11 families of about
eleven, 20 personas as 4. The cut is made on the same tree for any count, so an integer asks for
exactly that many (capped at the number of personas).

``linkage="ward"`` (default) merges the pair of groups whose union adds the least spread around its mean
centroid (Euclidean on the L2-normalised centroids; each persona counts once, whatever its size).
Measured against the labels families should follow (docs/ablations.md "Families"): on a one-domain
dump average linkage chains nearly every persona into one family (78 % of the airline tweets: every
persona there is about flights), which reads no better than the personas themselves; Ward's families
follow the complaint reasons, the brands and the intents better, and keep three unrelated sources apart
as well. ``"average"`` (cosine, the rule until 2026-12-03) and ``"complete"`` remain.

``family_records(...)`` turns a fitted hierarchy into JSON-ready family records (id, name, size,
share, core/reassigned counts, persona ids, distinctive terms).
"""

from __future__ import annotations

import math
import re

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.exceptions import NotFittedError

from ml.cluster.reassign import class_means

LINKAGES = {"ward": "euclidean", "average": "cosine", "complete": "cosine"}  # method → metric on centroids


class PersonaFamilies:
    """Agglomerative merge of persona centroids into families; see the module docstring."""

    def __init__(self, n_families: int | str = "auto", max_families: int = 30, linkage: str = "ward"):
        self.n_families = n_families
        self.max_families = max_families
        self.linkage = linkage

    def _target(self, n_personas: int) -> tuple[int, str]:
        if self.n_families == "auto":
            k = max(1, min(self.max_families, round(math.sqrt(n_personas))))
            return k, f"round(sqrt({n_personas} personas)) = {k}, capped at {self.max_families}"
        if not isinstance(self.n_families, int) or self.n_families < 1:
            raise ValueError(f"n_families must be 'auto' or a positive integer, got {self.n_families!r}")
        k = min(self.n_families, n_personas)
        return k, f"fixed: {k}"

    def fit(self, embeddings, labels) -> PersonaFamilies:
        X = np.asarray(embeddings)  # float32 kept: class_means converts blocks of rows
        labels = np.asarray(labels)
        if X.ndim != 2 or len(X) != len(labels):
            raise ValueError(f"embeddings {X.shape} and labels ({len(labels)}) do not align")
        if (labels < 0).any():
            raise ValueError("labels contain -1 (noise): reassign noise before building families")
        if self.linkage not in LINKAGES:
            raise ValueError(f"linkage must be one of {sorted(LINKAGES)}, got {self.linkage!r}")
        self.persona_ids_ = np.unique(labels)
        cents = class_means(X, labels, self.persona_ids_) if len(X) else np.zeros((0, 0))
        norms = np.linalg.norm(cents, axis=1, keepdims=True) if len(cents) else np.zeros((0, 1))
        self.centroids_ = cents / np.maximum(norms, 1e-12)
        n_p = len(self.persona_ids_)
        k, self.rule_ = self._target(n_p)
        self.rule_ += f", {self.linkage} linkage"
        if n_p <= 1 or k <= 1:
            raw = np.ones(n_p, dtype=int)
            self.linkage_ = np.zeros((0, 4))
        else:
            self.linkage_ = linkage(self.centroids_, method=self.linkage, metric=LINKAGES[self.linkage])
            raw = fcluster(self.linkage_, t=k, criterion="maxclust")
        sizes = {p: int((labels == p).sum()) for p in self.persona_ids_}
        groups: dict[int, list[int]] = {}
        for p, f in zip(self.persona_ids_, raw):
            groups.setdefault(int(f), []).append(int(p))
        ordered = sorted(groups.values(), key=lambda ps: (-sum(sizes[p] for p in ps), min(ps)))
        self.families_ = [sorted(ps) for ps in ordered]
        self.family_of_ = {p: fid for fid, ps in enumerate(self.families_) for p in ps}
        self.n_families_ = len(self.families_)
        return self

    def _check(self) -> None:
        if not hasattr(self, "family_of_"):
            raise NotFittedError("PersonaFamilies is not fitted: call fit(embeddings, labels) first")

    def predict(self, labels) -> np.ndarray:
        """Family id of each member (from its persona id)."""
        self._check()
        return np.array([self.family_of_[int(p)] for p in np.asarray(labels)], dtype=np.int64)


def _family_name(terms: list[str], text: str = "") -> str:
    """The family's three most distinctive terms that pass the persona naming rules (no repeated stem or
    one word in two spellings, profanity, sign-off or person's name as ``text``, the members' joined texts,
    writes it; no filler word, ``naming.FILLER_WORDS``, while other terms are there), each written as ``text``
    writes it (``as_phrased``: spelling, and a question word, negator or particle most of its uses carry), e.g.
    "Delivery, parcel & refund", "ATM & cash", "Transfer money & how long"."""
    from ml.profile.naming import content_stems, is_filler, one_word_twice, phrase_ok
    from ml.profile.spelling import as_phrased, capitalized

    words: list[str] = []
    seen: set[str] = set()
    # filler words ("trying", "need", "know") only when nothing else is there: "Customer, trying & come"
    for term in [t for t in terms if not is_filler(t)] or list(terms):
        stems = content_stems(term)
        twice = any(one_word_twice(term, w) for w in words)  # "dragons" after "destinationdragons"
        if stems and not stems & seen and not twice and phrase_ok(term, text):
            words.append(term)
            seen |= stems
        if len(words) == 3:
            break
    if not words:
        return "General"
    words = [as_phrased(w, text) for w in _joined_pairs(words, text)]  # "how long", "not working", "topping up"
    name = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " & " + words[-1]
    return capitalized(name)


PAIR_SHARE, PAIR_LINES = 0.5, 3  # a name's two words that most texts holding both write side by side are one name


def _joined_pairs(words: list[str], text: str) -> list[str]:
    """``words`` with two of them written as one where the texts write them side by side: "Apple Pay" for
    "apple" and "pay" when at least ``PAIR_SHARE`` of the lines (members' texts) holding both, and
    ``PAIR_LINES``, write "apple pay" ("Top-up, Apple & Pay" named a Banking77 family). One pair at most."""
    lines = [ln.lower() for ln in text.split("\n")]
    holding = {w: {k for k, ln in enumerate(lines) if re.search(rf"\b{re.escape(w)}\b", ln)} for w in words}
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            both = [lines[k] for k in sorted(holding[a] & holding[b])]
            for first, second in ((a, b), (b, a)):
                side_by_side = re.compile(rf"\b{re.escape(first)}\s+{re.escape(second)}\b")
                side = sum(bool(side_by_side.search(ln)) for ln in both)
                if side >= PAIR_LINES and side >= PAIR_SHARE * len(both):
                    return [f"{first} {second}" if w == a else w for w in words if w != b]
    return words


NAME_POOL = 30  # family terms (by c-TF-IDF) re-ranked for the name


def name_terms(words, fid: int, index: dict[str, int], own: int, n: int, pool: int) -> list[str]:
    """Family ``fid``'s ``pool`` best c-TF-IDF terms (``words`` fitted on the families; ``index``: term →
    column; ``own`` of ``n`` members in the family) re-ranked by weight × sqrt(``term_excess``) against the
    other families, as persona names weigh it: "flight" in every family of an airline dump is not what sets
    one apart, so terms with no excess are left out. A family with no term in excess, or alone, keeps the
    c-TF-IDF order (a name, not "General"). (Sub-personas keep the plain order: docs/ablations.md
    "Families".)"""
    from ml.profile.naming import term_excess

    top = words.top_terms(fid, pool)
    if not top:
        return []
    score = np.array([w for _, w in top]) * np.sqrt(term_excess(words, fid, [index[t] for t, _ in top], own, n))
    kept = [top[j][0] for j in np.argsort(-score, kind="stable") if score[j] > 0]
    return kept or [t for t, _ in top]


def family_records(hierarchy: PersonaFamilies, texts: list[str], labels, reassigned, n_terms: int = 10,
                   exclude: tuple[str, ...] = (), authors=None, min_authors: int = 1) -> list[dict]:
    """One JSON-ready record per family: ``id``, ``name`` (from its three most distinctive terms),
    ``size``, ``share``, ``core_size``, ``reassigned_count``, ``persona_ids``, ``top_terms``
    (``[{term, weight}]``, c-TF-IDF over the families). ``authors`` (n,; None: unknown) and ``min_authors`` (the
    privacy floor): a family of fewer distinct authors names and lists only terms two of them wrote, as a persona
    below the floor does (a review found a one-persona family "Assult & drunks drinks", one customer's words)."""
    from ml.profile.evidence import below_floor, terms_of_several, written_by_several
    from ml.profile.name_clash import unique_names
    from ml.profile.naming import FEW_AUTHORS, NAME_MIN_AUTHORS, SPELLING_TEXTS
    from ml.profile.terms import ClassTfidf

    hierarchy._check()
    labels = np.asarray(labels)
    reassigned = np.asarray(reassigned, dtype=bool)
    fam = hierarchy.predict(labels)
    words = ClassTfidf((1, 1), 2, 30000, exclude).fit(texts, fam)
    n = max(len(labels), 1)
    records, ranked = [], {}
    index = {t: j for j, t in enumerate(words.vocabulary_)}
    authors = None if authors is None else np.asarray(authors, dtype=object)
    for fid, persona_ids in enumerate(hierarchy.families_):
        mask = fam == fid
        terms = [{"term": t, "weight": round(w, 6)} for t, w in words.shown_terms(fid, n_terms)]
        named = name_terms(words, fid, index, int(mask.sum()), len(fam), NAME_POOL)
        rows = np.flatnonzero(mask)
        held = below_floor(None if authors is None else authors[rows], min_authors)
        if held:  # below the privacy floor: words two of its authors wrote, as they are (no member's spelling)
            terms = terms_of_several(terms, texts, rows, authors, NAME_MIN_AUTHORS)
            named = [t for t in named if written_by_several(t, texts, rows, authors, NAME_MIN_AUTHORS)]
        ranked[fid] = named + [t["term"] for t in terms if t["term"] not in named]  # for a clash
        spelled = "" if held else "\n".join(texts[i] for i in rows[:SPELLING_TEXTS])
        records.append({
            "id": fid,
            "name": (FEW_AUTHORS if held and not named else _family_name(named, spelled)),
            "size": int(mask.sum()),
            "share": float(mask.sum() / n),
            "core_size": int((mask & ~reassigned).sum()),
            "reassigned_count": int((mask & reassigned).sum()),
            "persona_ids": list(persona_ids),
            "top_terms": terms,
        })
    names = unique_names({r["id"]: r["name"] for r in records}, ranked)  # a clash: the next re-ranked term
    for r in records:
        r["name"] = names[r["id"]]
    return records
