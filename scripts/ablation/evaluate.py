"""Evaluate one setting of the pipeline's stages over several seeds on a prepared data set.

A ``Setting`` names the overrides of one row: ``fusion`` / ``reduce`` / ``cluster`` parameters
(applied with ``set_params`` to clones of the estimators the pipeline itself builds,
``ml.runtime.stages.build_stages(config)``), a ``noise`` mode and an ``algo``. A row that sets
``text_weight`` gets exactly that weight (the fusion's text-only-without-metadata rule is off for it);
otherwise the weight is the one the pipeline would use on these data. ``Experiment.evaluate(setting)`` fits the setting once per seed and returns a row:
persona count, noise share, NMI/ARI/ACC per label column with noise kept (−1 is one more cluster)
and after the noise step, silhouette and DBCV of the clustering in the reduced space (non-noise
points), stability (mean pairwise ARI of the final labels across seeds) and wall time per seed.

UMAP layouts are cached on disk by (input matrix digest, reducer parameters, seed) together with
the seconds they took, so a re-run, or rows that share a layout, fit nothing again and still report
the fitting time.

Noise modes: ``config`` (the pipeline's reassignment as configured), ``keep`` (noise stays its own
group), ``reduced`` (nearest centroid in the UMAP space, Euclidean), ``embedding`` (nearest centroid
of the text embeddings, cosine), ``threshold`` (as ``config``, but a noise point farther from its
centroid than the persona's ``noise_quantile`` radius stays noise), ``knn`` (the distance-weighted vote of the
15 nearest clustered points in the UMAP space, instead of the nearest centroid).

Algorithms other than ``hdbscan`` run on the same reduced space: ``kmeans-silhouette``,
``kmeans-db`` (Davies–Bouldin), ``gmm-bic`` (diagonal Gaussian mixture), ``agglo-silhouette``
(Ward on a 15-NN connectivity graph) choose k from a grid of candidates by the named criterion;
``refine-reduced`` / ``refine-embedding`` run k-means seeded from the HDBSCAN centroids (count
kept) after the noise step. Baselines: ``kmeans-true-k`` (k-means told the number of classes of
the first label column, on the text embeddings) and ``bertopic`` (BERTopic with its defaults, fed
the same embeddings; its outliers are reassigned with ``reduce_outliers(strategy="embeddings")``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import clone

from ml.cluster.density import PersonaClusterer
from ml.metrics import dbcv, label_scores, silhouette, stability_ari
from ml.reduce import UMAPReducer, fitted_rows
from ml.runtime.config import PipelineConfig
from ml.runtime.layout import layout_neighbors
from ml.runtime.stages import build_stages, reassign_metric

from .data import Prepared

NOISE_MODES = ("config", "keep", "reduced", "embedding", "threshold", "knn")
K_SELECT = ("kmeans-silhouette", "kmeans-db", "gmm-bic", "agglo-silhouette")
ALGOS = ("hdbscan", *K_SELECT, "refine-reduced", "refine-embedding", "kmeans-true-k", "bertopic")


@dataclass
class Setting:
    """One row of an ablation: what differs from the defaults."""

    group: str
    label: str
    fusion: dict = field(default_factory=dict)
    reduce: dict = field(default_factory=dict)
    cluster: dict = field(default_factory=dict)
    noise: str = "config"
    algo: str = "hdbscan"

    def describe(self) -> dict:
        return {"fusion": self.fusion, "reduce": self.reduce, "cluster": self.cluster, "noise": self.noise,
                "algo": self.algo}


def k_grid(n: int) -> list[int]:
    """Candidate k for the k-choosing baselines: a geometric grid from 5 to min(200, n/20)."""
    top = int(max(6, min(200, n // 20)))
    grid = np.unique(np.round(np.geomspace(5, top, 10)).astype(int))
    return [int(k) for k in grid]


class Experiment:
    """Runs settings on one prepared data set (see the module docstring)."""

    def __init__(self, data: Prepared, config: PipelineConfig | None = None, seeds=(0, 1, 2),
                 cache_dir: str | Path | None = None, log=print):
        self.data = data
        self.config = config or PipelineConfig()
        self.stages = build_stages(self.config)
        self.seeds = [int(s) for s in seeds]
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.log = log
        self._fused: dict[str, np.ndarray] = {}
        mc = self.config.metrics
        self.silhouette_sample, self.dbcv_sample = mc.silhouette_sample, mc.dbcv_sample

    # -- stages ------------------------------------------------------------------------------------
    def fused(self, fusion: dict) -> np.ndarray:
        key = json.dumps(fusion, sort_keys=True)
        if key not in self._fused:
            explicit = {"require_metadata": False} if "text_weight" in fusion else {}
            stage = clone(self.stages.fusion).set_params(**{**explicit, **fusion})
            self._fused[key] = stage.fit_transform(self.data.embeddings, self.data.features).astype(np.float32)
        return self._fused[key]

    def effective_text_weight(self) -> float:
        """The configured text weight as the pipeline applies it (1.0 when the data lack metadata)."""
        fusion = clone(self.stages.fusion).fit(self.data.embeddings, self.data.features)
        return float(fusion.effective_text_weight_)

    def reducer(self, reduce: dict, seed: int, cluster: dict | None = None, rows: int | None = None) -> UMAPReducer:
        """The pipeline's reducer with ``reduce``'s settings; its neighbours as the pipeline chooses them for ``rows``
        rows (default: the data's; a subsample's own) and the setting's clusterer (``cluster``: a fixed
        min_cluster_size moves them, as in ``ml.run``; ``layout_neighbors``) unless ``reduce`` names them."""
        cfg = self.config.reduce
        n = fitted_rows(rows or len(self.data.embeddings), cfg.fit_sample_size)
        neighbors = layout_neighbors(cfg.n_neighbors, self.clusterer(cluster or {}), n)
        return clone(self.stages.reducer).set_params(**{"n_neighbors": neighbors, **reduce}, random_state=seed,
                                                     map_2d=False)

    def reduced(self, X: np.ndarray, reduce: dict, seed: int, cluster: dict | None = None) -> tuple[np.ndarray, float]:
        """UMAP coordinates of X and the seconds the fit took (from the disk cache when present)."""
        reducer = self.reducer(reduce, seed, cluster, rows=X.shape[0])
        params = {k: v for k, v in reducer.get_params().items()}
        digest = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()
        key = hashlib.sha1((digest + json.dumps(params, sort_keys=True, default=str)).encode()).hexdigest()[:20]
        path = self.cache_dir / f"umap-{key}.npz" if self.cache_dir else None
        if path is not None and path.exists():
            with np.load(path) as z:
                return z["Z"], float(z["seconds"])
        start = time.perf_counter()
        Z = reducer.fit(X).embedding_.astype(np.float32)
        seconds = time.perf_counter() - start
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, Z=Z, seconds=seconds)
            tmp.replace(path)
        return Z, seconds

    def clusterer(self, cluster: dict) -> PersonaClusterer:
        # random_state 0 (not the pipeline's seed) as the published rows were made; it only seeds the
        # member sample that granularity "silhouette" scores
        return clone(self.stages.clusterer).set_params(random_state=0, **cluster)

    def _reassign(self, mode: str, raw: np.ndarray, Z: np.ndarray, X: np.ndarray) -> np.ndarray:
        if mode == "keep" or not (raw < 0).any():
            return raw
        if mode == "knn":
            return knn_vote(Z, raw)
        where = mode if mode in ("reduced", "embedding") else self.config.reassign.space
        space = {"embedding": self.data.embeddings, "fused": X, "reduced": Z}[where]
        stage = clone(self.stages.reassigner)
        if mode in ("reduced", "embedding"):
            stage.set_params(metric=reassign_metric(mode))
        stage = stage.fit(space, raw)
        labels, noise, _ = stage.reassign(space, raw)
        if mode == "threshold":
            _, _, beyond = stage.predict(space)
            labels = np.where(noise & beyond, -1, labels)
        return labels

    # -- one seed ----------------------------------------------------------------------------------
    def _one(self, s: Setting, seed: int) -> dict:
        X = self.fused(s.fusion)
        if s.algo == "kmeans-true-k":
            return self._true_k(seed)
        if s.algo == "bertopic":
            return self._bertopic(seed)
        Z, t_reduce = self.reduced(X, s.reduce, seed, s.cluster)
        start = time.perf_counter()
        if s.algo in K_SELECT:
            raw, extra = choose_k(Z, s.algo, seed, self.silhouette_sample)
            final = raw
        else:
            clusterer = self.clusterer(s.cluster).fit(Z, embeddings=self.data.embeddings)
            raw, extra = clusterer.labels_, {"min_cluster_size": clusterer.min_cluster_size_}
            if clusterer.n_clusters_ == 0:
                return {"raw": raw, "final": raw, "Z": Z, "seconds": t_reduce, "empty": True}
            final = self._reassign(s.noise, raw, Z, X)
            if s.algo.startswith("refine-"):
                final = refine(Z if s.algo == "refine-reduced" else self.data.embeddings, final, seed)
        seconds = t_reduce + time.perf_counter() - start
        return {"raw": raw, "final": final, "Z": Z, "seconds": seconds, **extra}

    def _true_k(self, seed: int) -> dict:
        from sklearn.cluster import KMeans

        y = next(iter(self.data.labels.values()))
        k = len({v for v in y if v is not None})
        start = time.perf_counter()
        labels = KMeans(k, n_init=1, random_state=seed).fit_predict(self.data.embeddings)
        return {"raw": labels, "final": labels, "Z": self.data.embeddings, "seconds": time.perf_counter() - start}

    def _bertopic(self, seed: int) -> dict:
        from bertopic import BERTopic

        docs = self.data.members["text"].tolist()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = BERTopic()  # its defaults: UMAP 5-d (n_neighbors 15, cosine), HDBSCAN min_cluster_size 10
            topics, _ = model.fit_transform(docs, embeddings=self.data.embeddings)
            topics = np.asarray(topics)
            try:
                final = np.asarray(model.reduce_outliers(docs, topics, strategy="embeddings",
                                                         embeddings=self.data.embeddings))
            except Exception as exc:  # noqa: BLE001 - report the baseline without reassignment
                self.log(f"bertopic reduce_outliers failed ({exc.__class__.__name__}: {exc}); noise kept")
                final = topics
        Z = model.umap_model.embedding_ if hasattr(model.umap_model, "embedding_") else None
        return {"raw": topics, "final": final, "Z": Z, "seconds": time.perf_counter() - start}

    # -- a row -------------------------------------------------------------------------------------
    def evaluate(self, s: Setting) -> dict:
        runs = [self._one(s, seed) for seed in self.seeds]
        row: dict = {"group": s.group, "setting": s.label, **s.describe(), "n": self.data.n,
                     "seeds": self.seeds}
        finals = [r["final"] for r in runs]
        row["personas"] = _mean([len(np.unique(f[f >= 0])) for f in finals])
        row["noise_share"] = _mean([float((r["raw"] < 0).mean()) for r in runs])
        for col, y in self.data.labels.items():
            has = np.array([v is not None for v in y])
            per_seed = [(label_scores(y[has], r["raw"][has]), label_scores(y[has], r["final"][has])) for r in runs]
            for which, idx in (("with_noise", 0), ("reassigned", 1)):
                for m in ("nmi", "ari", "acc"):
                    vals = [p[idx][m] for p in per_seed]
                    row[f"{col}.{which}.{m}"] = _mean(vals)
                    if which == "reassigned":
                        row[f"{col}.{which}.{m}_sd"] = round(float(np.std(vals)), 4)
                        row[f"{col}.{which}.{m}_per_seed"] = [round(float(v), 4) for v in vals]
        row["personas_per_seed"] = [len(np.unique(f[f >= 0])) for f in finals]
        if self.data.labels:
            row.update(persona_shape(next(iter(self.data.labels.values())), finals))
        sils, dbcvs = [], []
        for r in runs:
            if r.get("Z") is not None and r["Z"].shape[1] <= 64:
                sils.append(silhouette(r["Z"], r["raw"], self.silhouette_sample, 0))
                dbcvs.append(dbcv(r["Z"], r["raw"], self.dbcv_sample, 0))
        row["silhouette"] = _mean([v for v in sils if v is not None])
        row["dbcv"] = _mean([v for v in dbcvs if v is not None])
        pairs = list(itertools.combinations(finals, 2))
        row["stability_ari"] = _mean([stability_ari(a, b) for a, b in pairs]) if pairs else None
        row["seconds_per_seed"] = _mean([r["seconds"] for r in runs])
        for key in ("k_chosen", "min_cluster_size"):
            if key in runs[0]:
                row[key] = _mean([r[key] for r in runs])
        return row


def knn_vote(Z: np.ndarray, raw: np.ndarray, k: int = 15) -> np.ndarray:
    """Each noise point takes the label with the largest 1/distance weight among its ``k`` nearest
    clustered points (Euclidean, in ``Z``)."""
    from sklearn.neighbors import NearestNeighbors

    clustered = raw >= 0
    if not clustered.any():
        return raw
    dist, idx = NearestNeighbors(n_neighbors=min(k, int(clustered.sum()))).fit(Z[clustered]).kneighbors(Z[~clustered])
    votes, weights = raw[clustered][idx], 1.0 / (dist + 1e-9)
    ids = np.unique(votes)
    score = np.zeros((votes.shape[0], ids.size))
    np.add.at(score, (np.arange(votes.shape[0])[:, None], np.searchsorted(ids, votes)), weights)
    out = raw.copy()
    out[~clustered] = ids[score.argmax(1)]
    return out


def target_count(y: np.ndarray) -> int:
    """Classes holding at least 0.2 % of the labelled members and at least 10 of them (issue 12)."""
    _, counts = np.unique(np.asarray([v for v in y if v is not None], dtype=object).astype(str),
                               return_counts=True)
    return int(((counts >= 10) & (counts >= 0.002 * counts.sum())).sum())


def persona_shape(y: np.ndarray, finals: list[np.ndarray]) -> dict:
    """Largest persona's share and purity (its commonest label's share of its labelled members), the
    number of personas above 5 % whose commonest label is under half of them (worst seed), and the
    class counts to compare the persona count with."""
    has = np.array([v is not None for v in y])
    labels = np.asarray(y, dtype=object)
    shares, purities, impure = [], [], []
    for f in finals:
        ids, counts = np.unique(f, return_counts=True)
        pur = {}
        for i in ids:
            _, c = np.unique(labels[(f == i) & has].astype(str), return_counts=True)
            pur[i] = c.max() / c.sum() if c.size else 0.0
        big = ids[counts.argmax()]
        shares.append(counts.max() / f.size)
        purities.append(pur[big])
        impure.append(int(sum(1 for i, c in zip(ids, counts) if c > 0.05 * f.size and pur[i] < 0.5)))
    return {"largest_share": _mean(shares), "largest_purity": _mean(purities), "impure_large": max(impure),
            "classes": len({v for v in y if v is not None}), "target_count": target_count(y)}


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def refine(V: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """k-means on V seeded from the current clusters' centroids (count kept)."""
    from sklearn.cluster import KMeans

    ids = np.unique(labels[labels >= 0])
    cents = np.vstack([V[labels == c].mean(axis=0) for c in ids])
    return KMeans(len(ids), init=cents, n_init=1, max_iter=100, random_state=seed).fit_predict(V)


def choose_k(Z: np.ndarray, algo: str, seed: int, sample: int = 5000) -> tuple[np.ndarray, dict]:
    """Fit the algorithm for every k of ``k_grid`` and keep the k its criterion prefers."""
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.metrics import davies_bouldin_score, silhouette_score
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import kneighbors_graph

    rng = np.random.default_rng(seed)
    idx = rng.choice(Z.shape[0], size=min(sample, Z.shape[0]), replace=False)
    best = None
    conn = kneighbors_graph(Z, 15, include_self=False) if algo == "agglo-silhouette" else None
    tmp = tempfile.TemporaryDirectory() if conn is not None else None
    memory = joblib.Memory(tmp.name, verbose=0) if tmp else None  # the Ward tree is built once for all k
    for k in k_grid(Z.shape[0]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if algo.startswith("kmeans"):
                labels = KMeans(k, n_init=1, random_state=seed).fit_predict(Z)
            elif algo == "gmm-bic":
                gmm = GaussianMixture(k, covariance_type="diag", random_state=seed, reg_covar=1e-4, max_iter=100).fit(Z)
                labels = gmm.predict(Z)
            else:
                labels = AgglomerativeClustering(k, linkage="ward", connectivity=conn, memory=memory,
                                                 compute_full_tree=True).fit_predict(Z)
        if len(np.unique(labels[idx])) < 2:
            continue
        if algo == "gmm-bic":
            score = -gmm.bic(Z)
        elif algo == "kmeans-db":
            score = -davies_bouldin_score(Z, labels)
        else:
            score = silhouette_score(Z[idx], labels[idx])
        if best is None or score > best[0]:
            best = (score, k, labels)
    if tmp is not None:
        tmp.cleanup()
    return best[2], {"k_chosen": best[1]}
