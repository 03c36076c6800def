"""Sub-personas (level 2 of families → personas → sub-personas): the clusters that HDBSCAN's own
tree holds inside each persona when it is read at a finer ``min_cluster_size``.

``SubPersonas(ratio=0.25).fit(tree, labels, X, min_cluster_size, max_cluster_size=0)``

- in: ``tree``, the single-linkage tree the persona clustering was read from
  (``PersonaClusterer.hdbscan_.single_linkage_tree_.to_numpy()``); ``labels`` (n,) persona id per
  member after the noise step (no -1); ``X`` (n, d) the reduced coordinates the tree was built on;
  ``min_cluster_size`` and ``max_cluster_size`` the persona level used
  (``PersonaClusterer.min_cluster_size_`` / ``max_cluster_size_``).
- learned: ``size_`` (the finer min_cluster_size: ``ratio``·min_cluster_size, at least ``smallest``),
  ``sub_labels_`` (n,) sub-persona id per member, −1 for members of personas that do not split;
  ``parent_of_`` ({sub-persona id: persona id}); ``subs_of_`` ({persona id: [sub-persona ids]}, only
  personas that split); ``n_subpersonas_``; ``centroids_`` (n_subpersonas_, d) each sub-persona's mean in ``X``.

``predict(X, labels)`` gives the sub-persona of other rows of the same space (members placed after a
sampled fit): the nearest centroid among their own persona's sub-personas, −1 where it did not split.

How: the tree is read once more at ``size_`` (same excess-of-mass selection and size cap). A
persona splits when two or more of these finer clusters lie mostly (over half their members) inside
it; its members outside them go to the nearest one (centroid in ``X``). No new distance is
computed and the split is nested by construction: a sub-persona never crosses its persona's
border. Sub-persona ids run 0.. by persona id, then by decreasing size. Measured (docs/ablations.md,
"Sub-personas"): at ratio 0.25 on GoogleNews-TS seed 0, 42 of 93 personas split into 100
sub-personas and the label purity of the level-2 grouping rises from .86 to .94.

``subpersona_records(...)`` turns a fit into JSON-ready level-2 records (``id``, ``parent_id``,
``level`` 2, ``name``, ``size``, ``share``, ``share_of_parent``, ``top_terms``: c-TF-IDF among the
sub-personas of the same persona, so the terms say what sets a sub-persona apart from its siblings;
names by the persona namer among the siblings when the embeddings are given, unique among siblings;
listed largest first, counted over ``sub_labels``). Pass ``sub_labels`` (from ``predict``) to count members
the fit did not see.
"""

from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError

from ml.cluster.granularity import labels_from_tree


class SubPersonas:
    """Nested split of each persona from the finer reading of HDBSCAN's tree; see the module docstring."""

    def __init__(self, ratio: float = 0.25, smallest: int = 5, method: str = "eom"):
        self.ratio = ratio
        self.smallest = smallest
        self.method = method

    def fit(self, tree: np.ndarray, labels, X, min_cluster_size: int, max_cluster_size: int = 0) -> SubPersonas:
        labels = np.asarray(labels, dtype=np.int64)
        X = np.asarray(X, dtype=np.float64)
        if len(X) != len(labels) or int(np.asarray(tree).shape[0]) != len(labels) - 1:
            raise ValueError(f"tree ({np.asarray(tree).shape[0] + 1} points), labels ({len(labels)}) and X "
                             f"({len(X)}) must describe the same members")
        if (labels < 0).any():
            raise ValueError("labels contain -1 (noise): reassign noise before splitting personas")
        if not 0 < self.ratio < 1:
            raise ValueError(f"ratio must be between 0 and 1, got {self.ratio!r}")
        self.size_ = int(max(self.smallest, round(min_cluster_size * self.ratio)))
        fine = labels_from_tree(tree, self.size_, self.method, 0.0, int(max_cluster_size))
        self.sub_labels_ = np.full(len(labels), -1, dtype=np.int64)
        self.parent_of_, self.subs_of_ = {}, {}
        if self.size_ >= min_cluster_size or not (fine >= 0).any():
            self.n_subpersonas_ = 0
            self.centroids_ = np.zeros((0, X.shape[1]))
            return self
        totals = np.bincount(fine[fine >= 0])
        next_id = 0
        for persona in np.unique(labels):
            rows = np.where(labels == persona)[0]
            inside = fine[rows]
            ids, counts = np.unique(inside[inside >= 0], return_counts=True)
            ids = ids[counts > 0.5 * totals[ids]]
            if ids.size < 2:
                continue
            cents = np.vstack([X[rows[inside == i]].mean(axis=0) for i in ids])
            nearest = ((X[rows, None, :] - cents[None]) ** 2).sum(-1).argmin(1)
            local, member = nearest, np.isin(inside, ids)
            local[member] = np.searchsorted(ids, inside[member])
            order = np.argsort(-np.bincount(local, minlength=ids.size), kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            self.sub_labels_[rows] = next_id + rank[local]
            subs = list(range(next_id, next_id + ids.size))
            self.subs_of_[int(persona)] = subs
            self.parent_of_.update({s: int(persona) for s in subs})
            next_id += ids.size
        self.n_subpersonas_ = next_id
        self.centroids_ = self._centroids(X, X.shape[1])
        return self

    def _centroids(self, X: np.ndarray, d: int) -> np.ndarray:
        cents = np.zeros((self.n_subpersonas_, d))
        for s in range(self.n_subpersonas_):
            cents[s] = X[self.sub_labels_ == s].mean(axis=0)
        return cents

    def predict(self, X, labels) -> np.ndarray:
        """Sub-persona id per row of ``X`` (the fitted space) whose persona is ``labels``; −1 where the
        persona did not split."""
        self._check()
        X, labels = np.asarray(X, dtype=np.float64), np.asarray(labels, dtype=np.int64)
        if len(X) != len(labels) or X.ndim != 2 or X.shape[1] != self.centroids_.shape[1]:
            raise ValueError(f"X {X.shape} and labels ({len(labels)}) must align with the fitted space "
                             f"({self.centroids_.shape[1]} dimensions)")
        out = np.full(len(labels), -1, dtype=np.int64)
        for persona, subs in self.subs_of_.items():
            rows = np.where(labels == persona)[0]
            if rows.size:
                d = ((X[rows, None, :] - self.centroids_[subs][None]) ** 2).sum(-1)
                out[rows] = np.asarray(subs)[d.argmin(1)]
        return out

    def _check(self) -> None:
        if not hasattr(self, "sub_labels_"):
            raise NotFittedError("SubPersonas is not fitted: call fit(tree, labels, X, min_cluster_size) first")


def _sibling_names(texts: list[str], local: np.ndarray, words, exclude: tuple[str, ...], embeddings,
                   rows: np.ndarray, encode=None, authors=None,
                   withheld: frozenset[int] = frozenset()) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Names of one persona's sub-personas by the persona namer (``ml.profile.naming.PersonaNamer``): phrases
    from their n-grams and terms, scored against each sub-persona's centroid in ``embeddings`` (its members
    are rows ``rows`` there) and, with ``encode``, by the cosine of their own vectors. The siblings are the
    other classes (c-TF-IDF and excess share among them), so a name says what sets a sub-persona apart; the
    best phrase is joined with the next one that adds new words (``join_phrases``: "Top-up is still pending &
    hour"). No behaviour word. ``authors`` (the persona's members' authors, where known): a phrase fewer than
    ``NAME_MIN_AUTHORS`` of them wrote names no sub-persona, as for personas (the bundled sample's "Location
    vancouver open" was one customer's two tweets in a sub-persona of 35 authors); a ``withheld`` sub-persona (below
    the privacy floor) is never named from one author's words. Returns (names, ranked candidates for a clash)."""
    from ml.profile.naming import NAME_MIN_AUTHORS, PersonaNamer
    from ml.profile.terms import ClassTfidf

    grams = ClassTfidf((2, 3), 2, 30000, exclude).fit(texts, local)
    namer = PersonaNamer(encoder=encode, join_phrases=True, min_authors=NAME_MIN_AUTHORS).fit(
        texts, local, embeddings, words, grams, {}, embedding_rows=rows, authors=authors, withheld=withheld)
    return namer.names_, namer.candidates_


def _below_floor(writers, local: np.ndarray, subs, min_authors: int) -> frozenset[int]:
    """The sub-personas of one persona with fewer distinct known authors than ``min_authors`` (none where authors
    are unknown), as ``ml.profile.evidence.privacy_floor`` counts them."""
    from ml.profile.evidence import below_floor

    if writers is None or min_authors <= 1:
        return frozenset()
    return frozenset(s for s in subs if below_floor(writers[local == s], min_authors))


def _named_subs(own: list[str], local: np.ndarray, words, exclude, vectors: tuple, writers, withheld: frozenset[int],
                terms: dict[int, list[dict]]) -> tuple[dict[int, str], dict[int, list[str]]]:
    """One persona's sub-personas' names and the candidates left for a clash: by the persona namer where
    ``vectors`` (embeddings, their rows, the phrase encoder) has embeddings (``_sibling_names``), else from each one's
    three most distinctive ``terms`` ("Too few authors to name" for one below the privacy floor that has none)."""
    from ml.cluster.hierarchy import _family_name
    from ml.profile.naming import FEW_AUTHORS, SPELLING_TEXTS

    embeddings, rows, encode = vectors
    if embeddings is not None:
        return _sibling_names(own, local, words, exclude, embeddings, rows, encode, writers, withheld)
    joined = "\n".join(own[:SPELLING_TEXTS])  # the parent's: how its members spell a word
    named = {s: FEW_AUTHORS if s in withheld and not terms[s] else _family_name([t["term"] for t in terms[s]], joined)
             for s in terms}
    return named, {s: [t["term"] for t in terms[s][3:]] for s in terms}


def subpersona_records(sub: SubPersonas, texts: list[str], labels, n_terms: int = 10,
                       exclude: tuple[str, ...] = (), sub_labels=None, embeddings=None, encode=None,
                       parent_names: dict[int, str] | None = None, authors=None, min_evidence_authors: int = 1
                       ) -> list[dict]:
    """One JSON-ready record per sub-persona (see the module docstring), ids as in ``sub``;
    ``sub_labels`` (n,) default ``sub.sub_labels_`` (the rows the fit saw). With ``embeddings`` (n, d)
    L2-normalised text vectors, names come from the persona namer among siblings (``_sibling_names``;
    ``encode`` its phrase encoder); without, from the three most distinctive terms
    (``ml.cluster.hierarchy._family_name``). ``parent_names`` (persona id → its name, behaviour word and all): a
    sub-persona whose name says what its persona's says takes its next candidate (``not_the_parents``), and one
    whose name is another persona's gets a qualifier (``unique_names``). ``authors`` (n,): each member's author
    where known (None: unknown), for the names' author floor (``_sibling_names``); a sub-persona of fewer distinct
    authors than ``min_evidence_authors`` (the privacy floor: its quotes are withheld) is not named from one author's
    words, and its terms are those at least ``NAME_MIN_AUTHORS`` of its authors wrote
    (``ml.profile.evidence.terms_of_several``)."""
    from ml.profile.behavior_words import split_behavior
    from ml.profile.evidence import terms_of_several
    from ml.profile.name_clash import not_the_parents, unique_names
    from ml.profile.naming import NO_TOPIC
    from ml.profile.spelling import as_phrased, capitalized
    from ml.profile.terms import ClassTfidf

    sub._check()
    labels = np.asarray(labels)
    sub_labels = sub.sub_labels_ if sub_labels is None else np.asarray(sub_labels)
    if len(sub_labels) != len(labels) or len(texts) != len(labels):
        raise ValueError(f"texts ({len(texts)}), labels ({len(labels)}) and sub_labels ({len(sub_labels)}) "
                         "must describe the same members")
    n = max(len(labels), 1)
    records = []
    # sub-persona names are unique among siblings and against every persona's name: the airline tweets had a
    # sub-persona "Cancelled flightled" under another persona than "Cancelled Flightled"'s
    personas = {-1 - i: split_behavior(name)[1] for i, name in enumerate((parent_names or {}).values())}
    for persona, subs in sub.subs_of_.items():
        rows = np.where(labels == persona)[0]
        local = sub_labels[rows]
        own = [texts[i] for i in rows]
        words = ClassTfidf((1, 1), 2, 30000, exclude).fit(own, local)
        terms = {s: [{"term": t, "weight": round(w, 6)} for t, w in words.shown_terms(s, n_terms)] for s in subs}
        writers = None if authors is None else np.asarray(authors, dtype=object)[rows]
        withheld = _below_floor(writers, local, subs, min_evidence_authors)
        terms |= {s: terms_of_several(terms[s], own, np.flatnonzero(local == s), writers) for s in withheld}
        named, rest = _named_subs(own, local, words, exclude, (embeddings, rows, encode), writers, withheld, terms)
        # a fallback name (its parent's words, a clash) is spelt as written: a review saw "Updated ios" ("updated to iOS")
        written = {s: "\n".join(t for t, k in zip(own, local, strict=True) if k == s) for s in subs}
        siblings = []
        parent = split_behavior((parent_names or {}).get(int(persona), ""))[1]
        for s in subs:
            size = int((local == s).sum())
            name = named.get(s, capitalized(NO_TOPIC))
            name = not_the_parents(name, parent, rest.get(s, []), lambda c, w=written[s]: as_phrased(c, w)) \
                if parent else name
            siblings.append({"id": s, "parent_id": int(persona), "level": 2, "name": name,
                             "size": size, "share": size / n, "share_of_parent": size / max(rows.size, 1),
                             "top_terms": terms[s]})
        siblings.sort(key=lambda r: (-r["size"], r["id"]))  # largest first, also after sample-fit placement
        names = unique_names({**personas, **{r["id"]: r["name"] for r in siblings}}, rest,
                             lambda pid, c, w=written: as_phrased(c, w.get(pid, "")))
        records += [{**r, "name": names[r["id"]]} for r in siblings]
    return records
