"""The persona model saved with a run: assigns new conversations to the run's personas.

In: canonical message rows (``text`` and, when known, ``author``, ``timestamp``, ``reply_to``).
Out: one row per input with ``persona_id``, ``distance`` (to the persona centroid) and
``would_be_noise``: the run would not have kept the text as a member of that persona, because it is
too short for the run's length filter (fewer than ``min_words`` words or ``min_chars`` characters
once handles and URLs are removed, as ``filter.length``: "hi") or lies beyond the persona's radius
calibrated on the run's own noise (``NoiseReassigner``; shares flagged in docs/api.md).

New rows are embedded and featurized by the same fitted stage objects as the pipeline, then placed
by the same nearest-centroid rule that reassigned noise during the run (``NoiseReassigner``), so
assignment needs neither UMAP nor HDBSCAN at serving time and is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.cluster.reassign import NoiseReassigner
from ml.features.behavioral import BehavioralFeatures
from ml.features.embed import SentenceEmbedder, clean_for_embedding
from ml.features.fusion import FeatureFusion
from ml.filtering.config import LengthConfig
from ml.filtering.text import strip_handles_urls, word_count
from ml.runtime.modelfile import SavedModel
from ml.units import build_units

MODEL_FILE = "persona_model.joblib"


class PersonaModel(SavedModel):
    """Fitted stages + centroids; ``predict`` places new conversations."""

    def __init__(
        self,
        embedder: SentenceEmbedder,
        features: BehavioralFeatures,
        fusion: FeatureFusion,
        reassigner: NoiseReassigner,
        space: str,
        strip_handles_urls: bool = True,
        persona_names: dict[int, str] | None = None,
        run_id: str | None = None,
        min_words: int = LengthConfig().min_words,
        min_chars: int = LengthConfig().min_chars,
    ):
        if space not in {"embedding", "fused"}:
            raise ValueError(f"persona model supports the 'embedding' or 'fused' space, not {space!r}")
        self.embedder = embedder
        self.features = features
        self.fusion = fusion
        self.reassigner = reassigner
        self.space = space
        self.strip_handles_urls = strip_handles_urls
        self.persona_names = persona_names or {}
        self.run_id = run_id
        self.min_words, self.min_chars = min_words, min_chars
        self.novelty = None  # ml.lineage.neighbourhood.NeighbourhoodNovelty, set by fit_novelty

    def fit_novelty(self, embeddings: np.ndarray, labels: np.ndarray | None = None, seed: int = 0) -> PersonaModel:
        """Keep a bounded sample of the run's member text embeddings (and persona ids) for novelty of fresh
        data (``ml.assign``) and of another run's personas (``ml.lineage.compare``); see
        ``ml.lineage.neighbourhood``. Models saved before this have ``novelty`` None."""
        from ml.lineage.neighbourhood import NeighbourhoodNovelty

        self.novelty = NeighbourhoodNovelty(random_state=seed).fit(embeddings, labels)
        return self

    # -- assignment ------------------------------------------------------------------------------
    def _embed(self, texts: list[str], encode: Callable[[list[str]], np.ndarray] | None = None) -> np.ndarray:
        texts = clean_for_embedding(texts) if self.strip_handles_urls else texts
        return (encode or self.embedder.transform)(texts)

    def _place(self, emb: np.ndarray, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray:
        if self.space == "embedding":
            return emb
        return self.fusion.transform(emb, self.features.transform(members, messages))

    def vectors(self, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray:
        """The vectors of the assignment space for members built from ``messages``."""
        return self._place(self._embed(members["text"].tolist()), members, messages)

    def predict(self, messages: pd.DataFrame) -> pd.DataFrame:
        """Assign every message row (one member each) to a persona."""
        return self.predict_many([messages])[0]

    def predict_many(self, frames: list[pd.DataFrame], encode: Callable[[list[str]], np.ndarray] | None = None,
                     novelty_quantile: float | None = None) -> list[pd.DataFrame]:
        """``predict`` of each frame, with one embedding pass over the texts of all of them.

        A text's embedding does not depend on the other texts, so all are encoded together (the
        costly part); the behavioral features aggregate over authors and threads, so they are
        computed per frame: each result equals ``predict(frame)`` on that frame alone.
        ``encode`` replaces ``self.embedder.transform`` (same texts in, same vectors out), e.g. to
        encode in another process (the API's ``backend.encoder_worker``). ``novelty_quantile``: add ``novel``
        (``ml.lineage.neighbourhood``: the frame's texts judged as one fresh batch against the run's member
        sample at this quantile; None for models saved without the sample), per frame as well.
        """
        return self.predict_units([build_units(messages, "message") for messages in frames], frames, encode,
                                  novelty_quantile)

    def predict_units(self, members: list[pd.DataFrame], frames: list[pd.DataFrame],
                      encode: Callable[[list[str]], np.ndarray] | None = None,
                      novelty_quantile: float | None = None) -> list[pd.DataFrame]:
        """``predict_many`` of members already built (``ml.units.build_units`` of any unit, e.g. the run's
        authors: ``python -m ml.assign``) from the messages of ``frames``, one list entry per frame."""
        texts = [t for m in members for t in m["text"].tolist()]
        emb = self._embed(texts, encode) if texts else np.zeros((0, 0), dtype=np.float32)
        out, start = [], 0
        for m, messages in zip(members, frames, strict=True):
            if m.empty:
                out.append(pd.DataFrame({"member_id": [], "persona_id": [], "distance": [], "would_be_noise": []}))
                continue
            vectors = emb[start : start + len(m)]
            pid, dist, noise = self.reassigner.predict(self._place(vectors, m, messages))
            noise = noise | self.too_short(m["text"])
            start += len(m)
            frame = pd.DataFrame({
                "member_id": m["member_id"].astype(str).to_numpy(),
                "persona_id": pid.astype(np.int64),
                "distance": dist.astype(np.float64),
                "would_be_noise": noise.astype(bool),
            })
            if novelty_quantile is not None and getattr(self, "novelty", None) is not None:
                frame["novel"] = self.novelty.novel(vectors, novelty_quantile)
            out.append(frame)
        return out

    def too_short(self, texts: pd.Series) -> np.ndarray:
        """Texts the run's length filter would have dropped (models saved before this rule: defaults)."""
        body = strip_handles_urls(texts)
        min_words = getattr(self, "min_words", LengthConfig().min_words)
        min_chars = getattr(self, "min_chars", LengthConfig().min_chars)
        return ((word_count(body) < min_words) | (body.str.len() < min_chars)).to_numpy()

    # -- persistence ----------------------------------------------------------------------------
    model_file = MODEL_FILE
    what = "persona model"

    def save(self, directory: str | Path) -> Path:
        meta: dict[str, Any] = {
            "run_id": self.run_id,
            "space": self.space,
            "metric": self.reassigner.metric,
            "n_personas": len(self.reassigner.persona_ids_),
            "embedding_model": self.embedder.model_name,
            "text_weight": getattr(self.fusion, "effective_text_weight_", self.fusion.text_weight),
        }
        return self._save(directory, meta)

    @classmethod
    def _unpickled(cls, file, source: str) -> PersonaModel:
        model = super()._unpickled(file, source)
        model.embedder.show_progress = False
        return model
