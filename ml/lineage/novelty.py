"""Fresh data placed by a run's persona model: novelty, shares and PSI against the run, refit or not.

In: a conversation run's ``PersonaModel`` and member table (``RunSnapshot``), the run's manifest config,
and canonical message rows of fresh data. ``FreshDataScorer(config).fit(model, snapshot, run_config)``
takes the model's sample of its run's member embeddings (``model.novelty``, ``reference_`` =
``member-sample``; ``ml.lineage.neighbourhood``): a fresh text is novel when the fresh texts around it lie
farther from the run's members than the ``novelty_quantile`` of the run's own members do. Models saved
before the sample fall back to each persona's ``novelty_quantile`` distance of the run's own members in
the model's space (``reference_``: from the run's assignments when they were measured in that space,
else by placing the run's own texts again with the model; novel = beyond every persona's quantile),
which finds only 0.24–0.44 of the texts of unseen Banking77 intents (docs/drift.md).
``assign(messages, members)`` places the members built from the rows (``ml.assign``: the run's own unit; default
one per message) with the model's ``predict_units`` (``predict_many``, the code the API's /assign runs, builds one
per message; with the member sample it also decides ``novel``, as the API does for each posted batch) and returns
the assignments with ``novel``; ``summary`` an ``AssignSummary``: novelty share, persona shares
then/now with Wilson intervals, PSI over persona shares, and ``refit`` when novelty reaches
``novelty_alert`` or PSI reaches ``psi_major``. "Then" is the run's members as the model places them
(``placed_counts_`` of its reassigner, ``run_shares`` "placed"), so that the run's own texts read no shift; models
saved before it have the fit's shares ("fitted"), which the model's nearest-centroid placement does not repeat.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.lineage.config import LineageConfig
from ml.lineage.shift import psi, share_ci
from ml.lineage.snapshot import RunSnapshot
from ml.runtime.contracts.assign import AssignShare, AssignSummary
from ml.runtime.contracts.compare import RunRef
from ml.runtime.errors import InputError
from ml.units import build_units


class _RecordingEmbedder:
    """Wraps the model's embedder and keeps what it returned, so novelty needs no second encoding."""

    def __init__(self, inner):
        self.inner, self.outputs, self.long = inner, [], 0

    def transform(self, texts):
        vectors = self.inner.transform(texts)
        self.outputs.append(np.asarray(vectors))
        self.long += int(getattr(self.inner, "n_long_", 0))  # longer than the model reads (ml.features.long_text)
        return vectors

    def __getattr__(self, name):
        return getattr(self.inner, name)


def distances(model, vectors: np.ndarray) -> np.ndarray:
    """Distance of every vector to every persona centroid of ``model`` (its metric), members × personas."""
    r = model.reassigner
    V, C = np.asarray(vectors, dtype=np.float64), np.asarray(r.centroids_, dtype=np.float64)
    if r.metric == "cosine":
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        return 1.0 - (V / np.where(norms > 0, norms, 1.0)) @ C.T
    sq = (V**2).sum(1)[:, None] - 2 * V @ C.T + (C**2).sum(1)[None, :]
    return np.sqrt(np.maximum(sq, 0.0))


def _same_space(run_config: dict, model) -> bool:
    """Whether the run's assignment distances were measured where the model places new members."""
    r = (run_config or {}).get("reassign") or {}
    metric = r.get("metric", "auto")
    expected = "cosine" if model.space == "embedding" else "euclidean"
    return r.get("space") == model.space and metric in {"auto", expected}


class FreshDataScorer(BaseEstimator):
    """See the module docstring. ``fit`` → ``reference_``, ``neighbourhood_`` (the model's sample, or None) and
    ``quantiles_`` (per persona, model order; None with the sample)."""

    def __init__(self, config: LineageConfig | None = None):
        self.config = config

    def fit(self, model, snapshot: RunSnapshot, run_config: dict | None = None):
        cfg = self.config or LineageConfig()
        members = snapshot.members
        ids = np.asarray(model.reassigner.persona_ids_)
        placed = getattr(model.reassigner, "placed_counts_", None)  # the run's members as the model places them
        if placed is not None:
            self.run_counts_, self.run_basis_ = np.array([int(placed.get(int(p), 0)) for p in ids]), "placed"
        else:  # models saved before 2026-12-05: the fit's own shares, which the model's placement does not repeat
            pid = members["persona_id"].to_numpy()
            self.run_counts_, self.run_basis_ = np.array([int((pid == p).sum()) for p in ids]), "fitted"
        self.model_, self.snapshot_, self.config_ = model, snapshot, cfg
        self.neighbourhood_ = getattr(model, "novelty", None)
        if self.neighbourhood_ is not None:  # the run's member sample: no per-persona radii needed
            self.reference_, self.quantiles_ = "member-sample", None
            return self
        self.reference_, self.quantiles_ = self._radii(model, snapshot, run_config, cfg, ids)
        return self

    def _radii(self, model, snapshot: RunSnapshot, run_config, cfg: LineageConfig, ids: np.ndarray):
        """Models saved without the member sample: each persona's ``novelty_quantile`` member distance."""
        members = snapshot.members
        if _same_space(run_config, model) and "distance" in members:
            own = members["distance"].to_numpy(dtype=np.float64)
            reference = "assignments"
        elif model.space == "embedding":
            texts = members["text"].astype(str).tolist() if "text" in members else None
            if texts is None:
                raise InputError(f"{snapshot.run_dir}: assignments.parquet has no text column to place the run's "
                                 "members again; re-run python -m ml.run")
            D = distances(model, model._embed(texts))
            own = D[np.arange(len(members)), np.searchsorted(ids, members["persona_id"].to_numpy())]
            reference = "re-embedded"
        else:
            raise InputError(f"{snapshot.run_dir}: the run's distances were measured in another space than its "
                             "model's (fused); set reassign.space to 'fused' or model_space to 'embedding' and re-run")
        pid = members["persona_id"].to_numpy()
        quantiles = np.array([np.quantile(own[pid == p], cfg.novelty_quantile) if (pid == p).any()
                              else np.inf for p in ids])
        return reference, quantiles

    def assign(self, messages: pd.DataFrame, members: pd.DataFrame | None = None) -> pd.DataFrame:
        """The model's assignments of ``messages`` plus ``novel`` and the persona's name; ``members``: the units
        built from them (``ml.units.build_units``; default one per message)."""
        check_is_fitted(self, "reference_")
        model = self.model_
        members = build_units(messages, "message") if members is None else members
        recorder = _RecordingEmbedder(model.embedder)
        model.embedder = recorder
        sample = self.neighbourhood_ is not None  # novel from the model's prediction: the API's /assign code
        try:
            out = model.predict_units([members], [messages],
                                      novelty_quantile=self.config_.novelty_quantile if sample else None)[0]
        finally:
            model.embedder = recorder.inner
        self.long_members_ = recorder.long
        if len(out) == 0:
            return out.assign(novel=pd.Series(dtype=bool), persona_name=pd.Series(dtype=str))
        if not sample:
            emb = np.vstack(recorder.outputs)
            vectors = emb if model.space == "embedding" else self._fused(emb, members, messages)
            out["novel"] = (distances(model, vectors) > self.quantiles_[None, :]).all(axis=1)
        # the run's published names (personas.json: a series keeps its lineages' names), as the API's assign gives
        out["persona_name"] = [self.snapshot_.name(int(p)) for p in out["persona_id"]]
        return out

    def _fused(self, emb: np.ndarray, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray:
        return self.model_.fusion.transform(emb, self.model_.features.transform(members, messages))

    def summary(self, out: pd.DataFrame, inputs: list[str], n_rows: int, run: RunRef,
                timings: dict[str, float] | None = None) -> AssignSummary:
        """The ``AssignSummary`` of assignments ``out`` (from ``assign``)."""
        cfg, ids = self.config_, np.asarray(self.model_.reassigner.persona_ids_)
        n_run, n_new = int(self.run_counts_.sum()), len(out)
        new_counts = out["persona_id"].value_counts()
        shares, buckets = [], []
        for k, p in enumerate(ids):
            cnt = int(new_counts.get(int(p), 0))
            mine = out["persona_id"].to_numpy() == p
            shares.append(AssignShare(
                persona_id=int(p), name=self.snapshot_.name(int(p)),
                run=share_ci(int(self.run_counts_[k]), n_run, cfg.confidence), new=share_ci(cnt, n_new, cfg.confidence),
                novel_share=round(float(out["novel"].to_numpy()[mine].mean()), 4) if mine.any() else None))
            buckets.append((str(int(p)), self.run_counts_[k] / max(1, n_run), cnt / max(1, n_new)))
        shift = psi(buckets, cfg.psi_moderate, cfg.psi_major, cfg.psi_floor, basis="assigned")
        novelty = float(out["novel"].mean()) if n_new else 0.0
        reasons, notes = [], []
        # a few texts are no evidence (a 3-row file read novelty 100 %, PSI 7.2, "refit recommended"): novelty counts
        # when its interval's low end reaches the alert; a PSI when the batch holds at least (k - 1) / psi_moderate
        # members, under which k personas' sampling noise alone reads about (k - 1) / n (a chi-square's mean / n)
        low = share_ci(int(out["novel"].sum()) if n_new else 0, n_new, cfg.confidence).low
        enough = n_needed(len(ids), cfg.psi_moderate)
        if novelty >= cfg.novelty_alert and low < cfg.novelty_alert:
            notes.append(f"novelty {novelty:.1%} of {n_new} members: its {cfg.confidence:.0%} interval reaches down to "
                         f"{low:.1%}, under the alert {cfg.novelty_alert:.0%}; assign more texts to judge it")
        elif novelty >= cfg.novelty_alert:
            rule = ("whose fresh neighbourhood lies beyond" if self.reference_ == "member-sample" else
                    "beyond every persona's")
            reasons.append(f"novelty share {novelty:.3f} ≥ {cfg.novelty_alert} (members {rule} the "
                           f"{cfg.novelty_quantile:.0%} distance of the run's own)")
        if n_new < enough:
            notes.append(f"{n_new} members are too few for a shift over {len(ids)} personas (with no change at all "
                         f"they would read PSI about {(len(ids) - 1) / max(1, n_new):.2f}): assign at least {enough}")
        elif shift.psi >= cfg.psi_major:
            reasons.append(f"PSI {shift.psi:.3f} ≥ {cfg.psi_major} over persona shares")
        return AssignSummary(
            run=run, inputs=inputs, n_rows=int(n_rows), n_assigned=n_new, novelty_share=round(novelty, 4),
            novelty_reference=self.reference_,
            would_be_noise_share=round(float(out["would_be_noise"].mean()), 4) if n_new else 0.0,
            shares=shares, shift=shift, refit=bool(reasons), reasons=reasons, run_shares=self.run_basis_, notes=notes,
            config=cfg.model_dump(mode="json"), timings_s=timings or {},
            long_members=int(getattr(self, "long_members_", 0)))


def n_needed(k: int, moderate: float) -> int:
    """Members a batch needs for a PSI over ``k`` personas: with no change, sampling noise alone reads about
    (k − 1) / n, under ``moderate`` from this many on."""
    return int(np.ceil(max(k - 1, 1) / moderate))


def timed(fn, timings: dict[str, float], name: str):
    """``fn()``, adding its wall time in seconds to ``timings[name]``."""
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - t0, 3)
