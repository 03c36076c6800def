"""Label-free choice of the persona granularity: HDBSCAN's min_cluster_size chosen from the data.

In: reduced coordinates (n, d), the single-linkage tree HDBSCAN built on them, and the vectors
in which personas should read as coherent (the L2-normalised text embeddings, or the reduced
coordinates when none are given). Out: the chosen ``min_cluster_size`` with the labels it gives,
and one record per candidate (clusters, noise share, score) saying why.

How: HDBSCAN's tree depends on ``min_samples`` only, so it is built once; every candidate
``min_cluster_size`` (a geometric grid from ``smallest`` up to ``largest_share`` of n, steps of √2)
only re-condenses that tree and re-selects clusters (cheap). Each candidate's noise is given to
the nearest cluster centroid in the reduced space (as the pipeline's noise step does), and the
result is scored by its silhouette in the embedding space (cosine), on one fixed sample of members
shared by all candidates: do the members of a persona mean the same thing, and
something different from the nearest other persona? The best mean silhouette wins unless a larger
``min_cluster_size`` is within one standard error of it (the paired difference over the same
members): then the larger one wins, as in the one-standard-error rule of model selection (fewer,
larger personas unless the data show the finer split is better). The persona size cap (``max_cluster_share``) is decided per size by
``PersonaClusterer._cap_labels``. Measured on five labelled sets of very different cluster sizes in
docs/ablations.md ("Granularity").

``rescue_from_noise`` is the default's second step (``PersonaClusterer.rescue_ratio``): the same
tree read at half the chosen size, its clusters that lie in the noise added as personas.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Candidate:
    """One min_cluster_size tried (with or without the size cap) and what it gave: clusters, noise
    share, mean silhouette (None: fewer than two clusters), the standard error of its difference
    to the best candidate's silhouette (paired over the same members) and the size cap its labels were
    selected under (None: none; less than half the members where it was halved)."""

    min_cluster_size: int
    capped: bool
    clusters: int
    noise_share: float
    score: float | None
    se: float | None = None
    cap: int | None = None

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def candidate_sizes(n: int, smallest: int = 5, largest_share: float = 0.02, ratio: float = 2**0.5) -> list[int]:
    """Geometric grid of min_cluster_size values: ``smallest``, ×√2, … up to ``largest_share``·n."""
    top = max(smallest, round(n * largest_share))
    out, size = [], float(smallest)
    while round(size) <= top:
        if not out or round(size) > out[-1]:
            out.append(round(size))
        size *= ratio
    return [s for s in out if s < n] or [max(2, min(smallest, n - 1))]


def labels_from_tree(tree: np.ndarray, min_cluster_size: int, method: str = "eom", epsilon: float = 0.0,
                     max_cluster_size: int = 0) -> np.ndarray:
    """HDBSCAN labels for ``min_cluster_size`` from an already built single-linkage tree.

    The same computation ``hdbscan.HDBSCAN.fit`` ends with (``hdbscan==0.8.44``, pinned; a test
    checks the two agree), without rebuilding the tree.
    """
    from hdbscan.hdbscan_ import _tree_to_labels

    return _tree_to_labels(None, tree, min_cluster_size=int(min_cluster_size), cluster_selection_method=method,
                           cluster_selection_epsilon=float(epsilon), max_cluster_size=int(max_cluster_size))[0]


def rescue_from_noise(tree: np.ndarray, labels: np.ndarray, min_cluster_size: int, ratio: float = 0.5,
                      method: str = "eom", epsilon: float = 0.0, smallest: int = 2) -> tuple[np.ndarray, int, int]:
    """``labels`` plus the clusters of the same tree read at ``ratio``·``min_cluster_size`` (at least
    ``smallest``; nothing when that is not below ``min_cluster_size``) that lie mostly (over half their members)
    in the noise of ``labels``: each becomes one more cluster made
    of its noise members. Returns the labels, how many clusters were added and the size used.

    A fine cluster is either inside a cluster of ``labels`` (a piece of a persona: left alone) or
    outside all of them (a dense topic too small for ``min_cluster_size``, which the noise step
    would otherwise spread over its neighbours). Both readings come from the one single-linkage tree.
    """
    labels = np.asarray(labels, dtype=np.int64)
    size = int(max(smallest, round(min_cluster_size * ratio)))
    if ratio <= 0 or size >= min_cluster_size or not (labels < 0).any():
        return labels, 0, size
    fine = labels_from_tree(tree, size, method, epsilon)
    noise = labels < 0
    ids = np.unique(fine[fine >= 0])
    share = np.bincount(fine[fine >= 0], weights=noise[fine >= 0], minlength=ids.max() + 1 if ids.size else 0)
    counts = np.bincount(fine[fine >= 0], minlength=share.size)
    out, nxt, added = labels.copy(), int(labels.max()) + 1, 0
    for c in ids:
        if share[c] > 0.5 * counts[c]:
            out[(fine == c) & noise] = nxt
            nxt, added = nxt + 1, added + 1
    return out, added, size


def coherence(distances: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """Each member's silhouette under ``labels`` given the pairwise ``distances`` (None: fewer than two
    clusters); their mean is the silhouette score."""
    from sklearn.metrics import silhouette_samples

    if labels.size < 3 or not 2 <= np.unique(labels).size < labels.size:
        return None
    return silhouette_samples(distances, labels, metric="precomputed")


def with_noise_assigned(X: np.ndarray, labels: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Labels of ``rows`` (default: all) with noise given the nearest cluster centroid in ``X`` (the
    pipeline's default noise step; centroids from all clustered points)."""
    rows = np.arange(len(labels)) if rows is None else rows
    out = labels[rows].copy()
    noise = out < 0
    ids = np.unique(labels[labels >= 0])
    if not noise.any() or ids.size == 0:
        return out
    core = labels >= 0
    sums = np.zeros((ids.size, X.shape[1]))
    np.add.at(sums, np.searchsorted(ids, labels[core]), X[core])
    cents = sums / np.bincount(np.searchsorted(ids, labels[core]))[:, None]
    d = ((X[rows[noise], None, :] - cents[None]) ** 2).sum(-1)
    out[noise] = ids[d.argmin(1)]
    return out


def select_min_cluster_size(candidates: list[Candidate], values: list[np.ndarray | None],
                            n_se: float = 1.0) -> tuple[Candidate, list[Candidate], str]:
    """The chosen candidate, all candidates with their standard errors, and why, in words.

    ``values[i]``: the members' silhouettes under candidate i (same members for all). The best mean
    wins, except that a larger min_cluster_size whose mean is within ``n_se`` standard errors of
    the best (the paired difference over the same members) is preferred: the one-standard-error
    rule of model selection, so the data must show that the finer split is better.
    """
    scored = [i for i, v in enumerate(values) if v is not None]
    if not scored:
        best = max(candidates, key=lambda c: (c.clusters, -c.min_cluster_size))
        return best, candidates, (f"no candidate min_cluster_size gave two or more personas; "
                                  f"{best.min_cluster_size} gave {best.clusters}")
    top = max(scored, key=lambda i: values[i].mean())
    out = list(candidates)
    for i in scored:
        diff = values[top] - values[i]
        out[i] = replace(candidates[i], se=float(diff.std(ddof=1) / np.sqrt(diff.size)) if i != top else 0.0)
    ok = [i for i in scored if values[i].mean() >= values[top].mean() - n_se * out[i].se]
    pick = max(ok, key=lambda i: (out[i].min_cluster_size, out[i].score))
    best = out[pick]
    sizes = sorted({c.min_cluster_size for c in candidates})
    why = (f"min_cluster_size {best.min_cluster_size} of {sizes}{' with the size cap' if best.capped else ''}: "
           f"silhouette {best.score:.3f}, best {out[top].score:.3f} at {out[top].min_cluster_size}; the largest size "
           f"within {n_se:g} standard error ({best.se:.4f}) of the best wins; {best.clusters} clusters, "
           f"{best.noise_share:.0%} noise before reassignment")
    return best, out, why
