"""The orchestrator: composes the stages from one ``PipelineConfig``.

ingest → filter → units → features → embed → fuse → reduce → cluster → reassign → metrics →
profile → persona model. Each stage is timed and its peak memory recorded. Nothing here writes
files or talks to a store: ``ml.runtime.rundir`` writes the run directory and ``ml.run`` publishes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.cluster.hierarchy import family_records
from ml.cluster.reassign import placed_counts
from ml.features.behavioral import BehavioralFeatures
from ml.features.embed import SentenceEmbedder, clean_for_embedding, default_cache_dir, phrase_encoder
from ml.features.long_text import long_members_line
from ml.ingest.load import ColumnMapping, load_messages
from ml.ingest.timebasis import TimeBasis
from ml.metrics import dbcv, label_scores, silhouette, stability_ari
from ml.profile.masking import keep_handles_for, mask_texts, uncached_texts
from ml.profile.pii import PiiMasker
from ml.profile.terms import clear_term_memo
from ml.reduce import fitted_rows
from ml.runtime.config import PipelineConfig
from ml.runtime.contracts import ConversationManifest, ConversationPersona, Hierarchy, new_run_id
from ml.runtime.errors import TooFewRowsError
from ml.runtime.executor import open_executor
from ml.runtime.layout import Reduced, Segmentation, cluster_fitted, fit_reduce, layout_neighbors
from ml.runtime.manifest import FittedParts, conversation_manifest
from ml.runtime.mask_prefetch import MaskPrefetch, mask_ahead
from ml.runtime.members import member_texts, members_out
from ml.runtime.model import PersonaModel
from ml.runtime.selection import Selection, check_lines, ingest, select_members, too_few_hints
from ml.runtime.stages import Stages, build_stages
from ml.runtime.subpersona_step import add_subpersonas
from ml.runtime.timing import StageTimer


@dataclass
class Prepared:
    """What ``PersonaPipeline.prepare`` produced: the stages up to the embeddings.

    ``n_messages`` (rows read), ``n_candidates`` (rows the filter saw: inbound only with
    ``input.inbound_only``), ``members`` (one row per unit), ``features`` (n, 36) raw behavioral
    features, ``embeddings`` (n, 384) L2-normalised, the ingest and filter reports, and the fitted
    ``featurizer`` and ``embedder`` (the persona model reuses them). The message frames themselves are
    not kept: every later stage reads the members, and at 1M rows the frames held 3 GB through the run.
    """

    n_messages: int
    n_candidates: int
    members: pd.DataFrame
    features: np.ndarray = field(repr=False)
    embeddings: np.ndarray = field(repr=False)
    load_report: Any
    filter_report: Any
    featurizer: BehavioralFeatures
    embedder: SentenceEmbedder
    agent_report: dict | None = None
    time: dict | None = None  # the manifest's ``time`` section (ml.ingest.timebasis)
    # people's names masked in every text: agents' sign-offs (ml.filtering.agents) and authors' (LoadReport.author_names)
    known_names: tuple[str, ...] = ()
    brand_accounts: tuple[str, ...] = ()  # agent accounts with a name: their @handles stay readable (ml.filtering.agents)


@dataclass
class PipelineResult:
    """Everything a run produced, in memory: the contract models and the arrays behind them."""

    run_id: str
    manifest: ConversationManifest
    members: pd.DataFrame          # member frame (text masked) + persona_id, reassigned, placed, distance, x, y
    personas: list[ConversationPersona]
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
        self.mask_prefetch_: MaskPrefetch | None = None

    # -- stages ----------------------------------------------------------------------------------
    def load(self, paths: Sequence[str | Path]):
        c = self.config.input
        mapping = ColumnMapping(text=c.text_col, id=c.id_col, author=c.author_col, timestamp=c.time_col,
                                reply_to=c.reply_to_col, label=c.label_col, inbound=c.inbound_col,
                                thread=c.thread_col, outbound=c.outbound_col)
        return load_messages(paths, mapping=mapping, inbound_only=False, encoding=c.encoding, sep=c.sep,
                             where=c.where)

    def prepare(self, paths: Sequence[str | Path],
                loaded: tuple[pd.DataFrame, Any] | None = None, prefetch_masks: bool = False) -> Prepared:
        """ingest → filter → units → features → embed on ``paths``; see ``Prepared``.

        ``loaded``: a ``(messages, load_report)`` pair already read by ``load(paths)`` (for example
        with evaluation labels added) to use instead of reading ``paths`` again. Raises
        ``TooFewRowsError`` when fewer than ``input.min_members`` units survive the filters.
        ``prefetch_masks``: start masking the members' texts in the background (``mask_prefetch_``,
        ``ml.runtime.mask_prefetch``; ``run`` stops it) for the run writer.
        """
        cfg = self.config
        sel = self.select(paths, loaded)
        messages, candidates, kept, members = sel.messages, sel.candidates, sel.kept, sel.members
        load_report, clock, agent_report, known_names = sel.load_report, sel.clock, sel.agent_report, sel.known_names
        brand_accounts = sel.brand_accounts
        filter_report = sel.filter_report
        if len(members) < cfg.input.min_members:
            most = too_few_hints(sel)
            read = int(sel.agent_report.get("input") or len(candidates))  # before the brand/agent step
            head = (f"{', '.join(str(p) for p in paths)}: only {len(members)} {cfg.input.unit}s left after "
                    f"filtering ({read} read); at least {cfg.input.min_members} are needed to find personas")
            # a text column that holds no messages is the cause to say first (a help-desk review read "supply more
            # rows or relax the filters" for --text-col sender_type)
            said = f"{head}: {most}" if "the text column" in most else \
                f"{head}: supply more rows or relax the filters in --config" + (f"; {most}" if most else "")
            raise TooFewRowsError(said, n_rows=len(members), min_rows=cfg.input.min_members)
        if prefetch_masks:
            self._start_prefetch(members, sel.brand_accounts)
        # per-row work on the configured executor (ml.runtime.executor); fitting stays in this process
        with open_executor(cfg.executor, log=self.log, progress=self.progress) as executor:
            with self.timer_.stage("features"):
                featurizer = BehavioralFeatures().fit(members, messages)
                features = executor.features(featurizer, members, messages)
                n_messages, n_candidates = len(messages), len(candidates)
                del messages, candidates, kept, sel  # the members carry on: free the message frames now
            with self.timer_.stage("embed"):
                embedder = self.stages.embedder.fit()
                texts = members["text"].tolist()
                embeddings = executor.encode(embedder, clean_for_embedding(texts) if cfg.embed.strip_handles_urls
                                             else texts)
                if embedder.n_long_:
                    self.log(long_members_line(embedder.n_long_, embedder.n_pieces_, len(texts)))
        return Prepared(n_messages, n_candidates, members, features, embeddings, load_report, filter_report,
                        featurizer, embedder, agent_report, clock.record(), known_names, brand_accounts)

    def select(self, paths: Sequence[str | Path], loaded: tuple[pd.DataFrame, Any] | None = None) -> Selection:
        """ingest → agents → filters → units (``ml.runtime.selection``), timed as the run's stages."""
        return select_members(self.config, paths, loaded, self.load, self.log, self.timer_)

    def check(self, paths: Sequence[str | Path]) -> tuple[list[str], bool]:
        """``python -m ml.run --check``: what the selection found (``ml.runtime.selection.check_lines``)."""
        return check_lines(self.select(paths), self.config)

    def _ingest(self, paths, loaded) -> tuple[pd.DataFrame, pd.DataFrame, Any, TimeBasis]:
        """The messages on their time basis, the candidates, the load report and the ``TimeBasis``."""
        return ingest(self.config, paths, loaded, self.load, self.log)

    def run(self, paths: Sequence[str | Path]) -> PipelineResult:
        t0 = time.perf_counter()
        try:
            return self.run_prepared(self.prepare(paths, prefetch_masks=True), paths, t0)
        finally:
            self._stop_prefetch()

    def _start_prefetch(self, members: pd.DataFrame, brand_accounts: Sequence[str] = ()) -> None:
        """Start the background masker on the members' texts (``ml.runtime.mask_prefetch``), unless one runs,
        masking is not wanted in the background, or the texts are too few to be worth a process."""
        if self.mask_prefetch_ is None and self.config.profile.mask_in_background:
            texts = member_texts(members)  # what the mask stage masks, with the same handles
            self.mask_prefetch_ = MaskPrefetch.start(texts, keep_handles_for(texts, self.config.profile, brand_accounts))

    def _stop_prefetch(self) -> None:
        """End the background masker (``prepare(prefetch_masks=True)``): the mask stage masks what it left."""
        if self.mask_prefetch_ is not None:
            self.mask_prefetch_.stop()
            self.mask_prefetch_ = None

    def _mask(self, prep: Prepared, settle: Callable[[], Any]) -> tuple[list[str], Any]:
        """The members' texts masked (``ml.profile.masking.mask_texts``) and the profile config with the
        run's brand handles. When many are not in the mask cache yet (the background masker did not reach
        them), child processes mask those first (``mask_ahead``), so that this process only reads the cache.
        ``settle``: waits for the side threads; called first when this process will mask so many texts that
        the name finder forks workers (``PiiMasker.parallel_from``): a fork must not find a thread holding a lock."""
        self._stop_prefetch()
        texts = member_texts(prep.members)
        handles = keep_handles_for(texts, self.config.profile, prep.brand_accounts)
        profile_cfg = self.config.profile.model_copy(update={"brand_handles": handles})
        todo = uncached_texts(texts, profile_cfg.brand_handles)  # what the background masker has not reached
        if self.config.profile.mask_in_background and mask_ahead(todo, profile_cfg.brand_handles):
            self.log(f"mask: {len(todo):,} texts the background masker had not reached, masked in child processes")
        elif len(todo) >= PiiMasker.parallel_from:
            settle()
        return mask_texts(texts, profile_cfg.brand_handles, known_names=prep.known_names), profile_cfg

    def run_prepared(self, prep: Prepared, paths: Sequence[str | Path], t0: float | None = None) -> PipelineResult:
        """Every stage after the embeddings (fuse → … → persona model) on ``prep`` from ``prepare(paths)``;
        ``t0`` (a ``time.perf_counter()`` value) starts the manifest's total (default: now).

        The background masker (``prepare(prefetch_masks=True)``, else started here, at the lowest priority)
        masks the texts with what the cores have left while the seeded, single-threaded layout and the
        clustering run; the mask stage stops it. On an error the side threads' work not yet started is
        dropped, and the masker stopped at once."""
        self._start_prefetch(prep.members, prep.brand_accounts)
        side = ThreadPoolExecutor(max_workers=2, thread_name_prefix="personas-side")
        try:
            result = self._run_prepared(prep, paths, t0, side)
        except BaseException:
            side.shutdown(wait=False, cancel_futures=True)  # a running fit ends on its own; nothing waits for it
            raise
        finally:
            self._stop_prefetch()
        side.shutdown()
        return result

    def _run_prepared(self, prep: Prepared, paths: Sequence[str | Path], t0: float | None,
                      side: Executor) -> PipelineResult:
        """``run_prepared``'s stages. ``side``: threads for the work no later stage reads, the 2-D map and
        the stability refits; they run beside the stages that follow (umap's serial kernels release the GIL)
        and are awaited in the "side work" stage before the members are written."""
        cfg = self.config
        t0 = time.perf_counter() if t0 is None else t0
        members = prep.members
        features, embeddings, embedder = prep.features, prep.embeddings, prep.embedder
        embed_stats = {"cached": embedder.n_cached_, "encoded": embedder.n_encoded_, "long": embedder.n_long_,
                       "pieces": embedder.n_pieces_, "capped": embedder.n_capped_}
        with self.timer_.stage("fuse"):
            fusion = self.stages.fusion.fit(embeddings, features)  # text only without metadata (weight_reason_)
            fusion_note = fusion.weight_reason_
            fused = fusion.rows(embeddings, features)  # a view: rows built as read, never the whole (n, 420)
        with self.timer_.stage("reduce"):
            reduced, coords, placement = self.reduce(fused, cfg.seed, background=side)
        with self.timer_.stage("cluster"):
            clusterer, raw_labels = self._cluster(reduced, embeddings, placement)
            if clusterer.n_clusters_ == 0:
                raise TooFewRowsError(
                    f"no dense group found among {len(members)} members: lower cluster.min_cluster_size "
                    "or supply more rows", n_rows=len(members))
        with self.timer_.stage("reassign"):
            space = self._space(embeddings, fused, reduced)
            reassigner = self.stages.reassigner.fit(space, raw_labels)
            labels, reassigned, distance = reassigner.reassign(space, raw_labels)
            model_reassigner = self._model_reassigner(embeddings, fused, labels, reassigned)  # for new data
        with self.timer_.stage("metrics"):
            stability = side.submit(self._stability, *self._stability_sample(fused, embeddings))
            metrics = self._metrics(members, raw_labels, labels, reduced)
        del fused, space  # later stages read the embeddings (the fused view holds a (n, 36) block)
        with self.timer_.stage("mask"):  # every text shown or written, masked once (ml.profile.masking)
            masked, profile_cfg = self._mask(prep, lambda: wait([coords, stability]))
        with self.timer_.stage("profile"):
            from ml.profile import build_profiles

            encode = phrase_encoder(prep.embedder)  # persona and sub-persona names' phrase vectors
            profiles = build_profiles(members, features, labels, reassigned, embeddings, profile_cfg,
                                      time_basis=prep.time["basis"], term_texts=masked, known_names=prep.known_names,
                                      encode=encode)
        with self.timer_.stage("hierarchy"):
            family_of, hierarchy = self._families(masked, profiles, labels, reassigned, embeddings, members)
        personas = [ConversationPersona(**p, parent_id=family_of[int(p["id"])], level=1) for p in profiles]
        with self.timer_.stage("subpersonas"):  # level 2; hierarchy gains the level (ml.runtime.subpersona_step)
            personas, sub_ids = add_subpersonas(self.config, self.stages.subpersonas, clusterer, placement, prep,
                                                (labels, reassigned, reduced), personas, hierarchy, masked, encode)
            clear_term_memo()  # every term of the run is read: the memoised words go
        with self.timer_.stage("model"):  # the saved persona model (its novelty sample: ml.lineage.neighbourhood)
            model = self._persona_model(prep, fusion, model_reassigner, embeddings, labels, personas)
        with self.timer_.stage("side work"):  # what the side threads have left: the map, the stability refits
            coords = coords.result()
            metrics.update(stability.result() or {})
        out = members_out(members, masked, labels, reassigned, placement, distance, sub_ids, coords)
        run_id = new_run_id(cfg.model_dump(), paths)
        model.run_id = run_id
        fitted = FittedParts(labels, raw_labels, clusterer, fusion, fusion_note, metrics, hierarchy, embed_stats,
                             placement.n_placed if placement is not None else 0, self._neighbors(len(members)))
        manifest = conversation_manifest(self.config, self.timer_.summary(t0), run_id, paths, prep, fitted)
        return PipelineResult(run_id, manifest, out, personas, model, embeddings, features, reduced)

    def _neighbors(self, n: int) -> int:
        """UMAP's neighbours for a run of ``n`` members (what ``reduce`` sets, the stability refits on a sample of
        the run too, and the manifest records): ``layout_neighbors`` for its rows; for a run fitted on a sample
        (``ml.reduce.fitted_rows`` fewer than ``n``: the run has a placement) ``reduce.sample_n_neighbors``."""
        rc = self.config.reduce
        fitted = fitted_rows(n, rc.fit_sample_size)
        if fitted < n and rc.sample_n_neighbors:
            return int(rc.sample_n_neighbors)
        return layout_neighbors(rc.n_neighbors, self.stages.clusterer, fitted)

    def _model_reassigner(self, embeddings, fused, labels, reassigned):
        """The persona model's placement of new conversations: the final personas' centroids in
        ``reassign.model_space``. New points can't be UMAP-placed cheaply (the UMAP graph was built from an
        exact kNN with no search index); measured agreement in docs/benchmarks.md."""
        model_vectors = embeddings if self.config.reassign.model_space == "embedding" else np.asarray(fused)
        fitted = self.stages.model_reassigner.fit(model_vectors, labels, reassigned)
        fitted.placed_counts_ = placed_counts(fitted, model_vectors)  # the run as the model places it (ml.assign)
        return fitted

    def _persona_model(self, prep, fusion, reassigner, embeddings, labels, personas) -> PersonaModel:
        """The saved model that assigns new conversations to the final personas."""
        cfg = self.config
        model = PersonaModel(prep.embedder, prep.featurizer, fusion, reassigner, cfg.reassign.model_space,
                             cfg.embed.strip_handles_urls, {p.id: p.name or f"Persona {p.id}" for p in personas})
        return model.fit_novelty(embeddings, labels, cfg.seed)

    # -- helpers ---------------------------------------------------------------------------------
    def _families(self, texts, profiles, labels, reassigned, embeddings,
                  members: pd.DataFrame) -> tuple[dict[int, int], Hierarchy]:
        """Group the personas into families (``ml.cluster.hierarchy``): each persona id's family id and the
        manifest's ``hierarchy`` section with the family records (terms from ``texts``, the masked texts)."""
        fams = self.stages.families.fit(embeddings, labels)
        brands = tuple(next((p.get("brand_handles") for p in profiles if p.get("brand_handles")), []) or ())
        known = "author" in members and members["author"].notna().any()
        authors = members["author"].to_numpy(dtype=object) if known else None  # the privacy floor's, for names
        records = family_records(fams, texts, labels, reassigned, exclude=brands, authors=authors,
                                 min_authors=self.config.profile.min_evidence_authors)
        family_of = {int(p["id"]): int(fams.family_of_[int(p["id"])]) for p in profiles}
        return family_of, Hierarchy(levels=["family", "persona"], rule=fams.rule_, families=records)

    @property
    def stages(self) -> Stages:
        """The configured, unfitted estimators (``ml.runtime.stages.build_stages``), built afresh."""
        return build_stages(self.config, show_progress=self.progress)

    def reduce(self, fused: np.ndarray, seed: int, map_2d: bool = True, n_epochs: int | None = None,
               background: Executor | None = None, n_total: int | None = None) -> Reduced:
        """The layout step (``ml.runtime.layout.fit_reduce``), cached next to the embedding cache (none with
        cache_dir ""): (reduced, 2-D map or None, placement or None); with ``background`` the map is a ``Future``.
        UMAP's neighbours: ``layout_neighbors`` for the rows (``n_total``: the run's, when ``fused`` samples them)."""
        # the stability refits on a sample of the run use the run's neighbours (n_total: the run's members)
        neighbors = self._neighbors(n_total or fused.shape[0])
        reducer = self.stages.reducer.set_params(random_state=seed, map_2d=map_2d, n_neighbors=neighbors)
        params = (reducer.set_params(n_epochs=n_epochs) if n_epochs else reducer).get_params()
        cache = self.config.embed.cache_dir
        root = None if cache == "" else Path(cache) if cache else default_cache_dir()
        return fit_reduce(params, fused, root, background)

    def _cluster(self, reduced: np.ndarray, embeddings: np.ndarray, placement, n_total: int | None = None):
        """``ml.runtime.layout.cluster_fitted`` with the configured clusterer: (clusterer, labels of all rows)."""
        return cluster_fitted(self.stages.clusterer, reduced, embeddings, placement, n_total)

    def _space(self, embeddings, fused, reduced):
        space = self.config.reassign.space
        return np.asarray(fused) if space == "fused" else {"embedding": embeddings, "reduced": reduced}[space]

    def _metrics(self, members, raw_labels, labels, reduced) -> dict[str, Any]:
        """The manifest's metrics; ``stability_ari`` None here, filled in by ``_stability``'s result."""
        mc, seed = self.config.metrics, self.config.seed
        out: dict[str, Any] = {
            "noise_share": round(float((raw_labels < 0).mean()), 4),
            "n_personas": int(np.unique(labels).size),
            "silhouette": silhouette(reduced, raw_labels, mc.silhouette_sample, seed),
            "dbcv": dbcv(reduced, raw_labels, mc.dbcv_sample, seed),
            "stability_ari": None,
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

    def _stability_sample(self, fused, embeddings) -> tuple[np.ndarray, np.ndarray, int] | tuple[()]:
        """The stability check's seeded sample of rows (fused rows, embeddings, total rows); () when the
        check is off."""
        if not self.config.metrics.stability:
            return ()
        n = fused.shape[0]
        size = min(n, self.config.metrics.stability_sample)
        idx = np.sort(np.random.default_rng(self.config.seed).choice(n, size=size, replace=False))
        return np.asarray(fused[idx]), embeddings[idx], n

    def _stability(self, fused: np.ndarray | None = None, embeddings: np.ndarray | None = None,
                   n: int = 0) -> dict[str, Any] | None:
        """ARI between full reduce → cluster → reassign runs under two seeds, on the sample of
        ``_stability_sample`` (``n``: the run's rows), with the personas each refit found and the rows refitted
        (``stability_ari``, ``stability_personas``, ``stability_rows``: the manifest's metrics); None when the
        check is off or cannot run. Where the refits cover every member, their counts say how settled the run's
        own count is: a help-desk export whose count went from 33 to 38 when 7 timestamps turned unreadable found
        32–50 personas over ten seeds of the same data.

        The refits run as many UMAP epochs as the run's own fit did (200 above 10,000 fitted rows), not
        the 500 UMAP gives a small sample: they measure the run's procedure, at less than half the cost."""
        if fused is None:
            return None
        rc, size = self.config.reduce, fused.shape[0]
        if size <= self._neighbors(n or size) + 1:
            return None
        epochs = rc.n_epochs or (200 if fitted_rows(n, rc.fit_sample_size) > 10000 else None)
        runs = []
        for seed in (self.config.seed + 1, self.config.seed + 2):
            runs.append(self.segment(fused, embeddings, seed=seed, n_total=n, n_epochs=epochs).labels)
            if runs[-1] is None:  # no group found: nothing to compare
                return None
        return {"stability_ari": stability_ari(*runs), "stability_personas": [int(np.unique(r).size) for r in runs],
                "stability_rows": int(size)}

    def segment(self, fused, embeddings: np.ndarray, layout: Reduced | None = None, seed: int | None = None,
                n_total: int | None = None, n_epochs: int | None = None) -> Segmentation:
        """reduce → cluster → noise step as ``run`` fits them, without the 2-D map, on ``fused`` (rows of
        the fitted ``FeatureFusion``) and the members' ``embeddings``: for the stability check and the
        evaluation scripts. ``layout``: a ``Segmentation.layout`` of an earlier call, to cluster again
        under other cluster settings without a new layout; ``seed`` (default: the config's) seeds UMAP;
        ``n_total``: the run's rows when ``fused`` is a sample of them (the size rule reads it)."""
        seed = self.config.seed if seed is None else seed
        layout = layout or self.reduce(fused, seed, map_2d=False, n_epochs=n_epochs, n_total=n_total)
        reduced, _, placement = layout
        clusterer, raw = self._cluster(reduced, embeddings, placement, n_total=n_total)
        if not (raw >= 0).any():
            return Segmentation(layout, clusterer, raw, None, None)
        space = self._space(embeddings, fused, reduced)
        labels, reassigned, _ = self.stages.reassigner.fit(space, raw).reassign(space, raw)
        return Segmentation(layout, clusterer, raw, labels, reassigned)
