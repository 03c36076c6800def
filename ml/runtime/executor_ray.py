"""``RayExecutor``: a run's per-row work on a Ray cluster with Ray Data (``--executor ray``).

The only module that imports ``ray`` (lazily, in ``start``); without it ``start`` raises a one-line
``InputError`` naming ``pip install '.[ray]'``. What runs where (docs/scale.md):

- encoding: the driver looks every text up in the embedding cache and sends only the distinct
  misses, longest first (the local order), as blocks of whole embedder batches through
  ``map_batches`` to an actor pool (``_EncodeActor``: loads the encoder once per actor; one GPU each
  when the cluster has GPUs, else ``num_cpus`` threads each). Each block's vectors are written to
  the cache on the driver as they come back, so a stopped run keeps every finished block.
- behavioural features: the row-local style columns (``style_features`` of each message's text) are
  computed per block by Ray tasks; the author, thread and reply columns aggregate over the whole
  message frame and are computed on the driver (``BehavioralFeatures.transform(..., style=...)``).
- placement of new rows: the texts are encoded as above; the nearest-centroid placement itself (an
  n × personas distance) and the features it may need run on the driver (``PersonaModel.predict_many``
  with ``encode=``), so each result equals ``PersonaModel.predict`` on the whole frame.

Connects to ``RAY_ADDRESS`` when set (or ``address=``), otherwise starts a local Ray
(``ray.init(num_cpus=..., include_dashboard=False)``) and shuts it down on ``close``; a Ray already
initialised in this process (tests, notebooks) is used and left running.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any, Self

import numpy as np
import pandas as pd

from ml.runtime.errors import InputError

RAY_MISSING = "--executor ray: Ray is not installed; pip install '.[ray]' (or run with --executor local)"
BLOCK_BATCHES = 8  # embedder batches per Ray block: per-block cache writes, few enough tasks
STYLE_BLOCK_ROWS = 20_000


def check_address(address: str | None = None, timeout: float = 5.0) -> None:
    """A one-line ``InputError`` naming the address when a cluster named by ``address`` (else ``RAY_ADDRESS``) as
    ``host:port`` or ``ray://host:port`` does not answer within ``timeout`` seconds; run before any work (a review:
    an unreachable ``RAY_ADDRESS=127.0.0.1:6399`` was tried only after the filters and hung with no limit)."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    if not address or address in ("auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        named = "RAY_ADDRESS" if address == os.environ.get("RAY_ADDRESS") else "address"
        raise InputError(f"{named} {address}: no Ray cluster answers there ({exc.strerror or exc}); start one "
                         "(ray start --head) or unset RAY_ADDRESS for a local Ray") from None


class _OwnSignals:
    """Ray installs its own SIGTERM handler in ``ray.init`` and resets it in ``ray.shutdown``; the run's handler
    (``ml.runtime.errors``: a stop leaves the previous run directory and store as they were, and says so) is put
    back after each (a review: a SIGTERM'd Ray run exited 15 without a word)."""

    def __enter__(self):
        self.main = threading.current_thread() is threading.main_thread()
        self.saved = signal.getsignal(signal.SIGTERM) if self.main else None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.main and self.saved is not None:
            signal.signal(signal.SIGTERM, self.saved)


def _ray():
    try:
        import ray
        import ray.data  # Ray Data: what this executor uses
    except ImportError as exc:
        raise InputError(RAY_MISSING) from exc
    return ray


class _EncodeActor:
    """One pool actor: loads the embedder's encoder once, then encodes blocks of texts.

    A block holds rows ``i`` (position among the misses), ``b`` (the embedder batch the row belongs
    to) and ``text``; each batch ``b`` is encoded in one call, as the local embedder does."""

    def __init__(self, embedder: Any, threads: int):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import torch

            torch.set_num_threads(max(1, threads))
        except ImportError:  # pragma: no cover - torch comes with sentence-transformers
            pass
        self.encode = embedder.fit()._encode_fn()  # the embedder's own per-batch encoder

    def __call__(self, block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts, batch_of = block["text"], block["b"]
        vecs = []
        for b in pd.unique(batch_of):
            vecs.append(np.asarray(self.encode([str(t) for t in texts[batch_of == b]]), dtype=np.float32))
        return {"i": block["i"], "vec": np.concatenate(vecs) if vecs else np.zeros((0, 384), np.float32)}


def _style_block(block: pd.DataFrame) -> pd.DataFrame:
    """Ray task: the style columns of one block of messages (row-local)."""
    from ml.features.behavioral import style_features

    out = style_features(block["text"].reset_index(drop=True))
    out.insert(0, "i", block["i"].to_numpy())
    return out


class RayExecutor:
    """Per-row work on Ray (see the module docstring).

    Parameters
    ----------
    address: cluster to join; None → ``RAY_ADDRESS``, else a local Ray is started.
    num_cpus: CPUs of a local Ray (None: all of this machine's).
    concurrency: encoder actors (None: ``PERSONAS_RAY_ACTORS``, else one per GPU when the cluster has GPUs,
        else one per CPU), at most one per embedder batch. Each CPU actor runs torch on its share of the
        CPUs; torch's vectors depend on its thread count in the last float bits (docs/scale.md).
    object_store_memory: bytes of a local Ray's object store (None: Ray's default).
    log, progress: messages for the run log; a progress bar over encoded blocks.

    Attributes (after ``start``): ``cpus_``, ``gpus_`` (the cluster's), ``started_`` (this executor
    started the Ray it uses, and shuts it down on ``close``).
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, concurrency: int | None = None,
                 object_store_memory: int | None = None, log: Callable[[str], None] | None = None,
                 progress: bool = False):
        self.address = address
        self.num_cpus = num_cpus
        self.concurrency = concurrency
        self.object_store_memory = object_store_memory
        self.log = log or (lambda msg: None)
        self.progress = progress

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> RayExecutor:
        ray = _ray()
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        self.started_ = not ray.is_initialized()
        if self.started_ and address:
            check_address(address)
            with _OwnSignals():
                try:
                    ray.init(address=address, log_to_driver=False)
                except ConnectionError as exc:
                    raise InputError(f"address {address}: cannot join the Ray cluster there ({exc}); check "
                                     "RAY_ADDRESS, or unset it for a local Ray") from None
        elif self.started_:
            with _OwnSignals():
                ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                         object_store_memory=self.object_store_memory)
        resources = ray.cluster_resources()
        self.cpus_, self.gpus_ = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.enable_auto_log_stats = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        where = address or ("this process's Ray" if not self.started_ else "a local Ray")
        self.log(f"executor ray: {where}, {self.cpus_} CPUs, {self.gpus_} GPUs")
        return self

    def close(self) -> None:
        if getattr(self, "started_", False):
            with _OwnSignals():
                _ray().shutdown()
            self.started_ = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pool(self) -> dict[str, Any]:
        """The encoder pool: ``actors``, each one's ``num_cpus`` / ``num_gpus`` and torch ``threads``."""
        env = os.environ.get("PERSONAS_RAY_ACTORS", "").strip()
        if env and not (env.isdigit() and int(env) > 0):
            raise InputError(f"PERSONAS_RAY_ACTORS={env!r}: expected a positive number of encoder actors; "
                             "unset it for one per CPU (or GPU)")
        concurrency = self.concurrency or (int(env) if env else None)
        if self.gpus_:
            n = concurrency or self.gpus_
            return {"actors": n, "num_gpus": 1, "num_cpus": 1, "threads": max(1, self.cpus_ // n)}
        n = concurrency or self.cpus_
        per = max(1, self.cpus_ // n)
        return {"actors": n, "num_cpus": per, "threads": per}

    # -- per-row work ----------------------------------------------------------------------------
    def encode(self, embedder: Any, texts: list[str]) -> np.ndarray:
        """``embedder.transform(texts)`` with the misses encoded on the cluster (see the module docstring);
        sets ``embedder.n_cached_`` / ``n_encoded_`` as ``transform`` does."""
        from ml.features.embed import EMBEDDING_DIM

        if not hasattr(embedder, "model_id_"):
            embedder.fit()
        pieces = embedder.split([str(t) for t in texts])  # long texts as pieces (ml.features.long_text)
        texts = pieces.texts
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        cache = embedder._cache()  # the embedder's own cache, read and written here
        keys, missing = embedder._lookup(cache, texts, out)
        order: dict[str, list[int]] = {}
        for i in missing:
            order.setdefault(texts[i], []).append(i)
        uniq = sorted(order, key=len, reverse=True)  # the local embedder's order, so the same batches
        embedder.n_cached_, embedder.n_encoded_ = len(texts) - len(missing), 0
        for idx, vecs in self._encoded_blocks(embedder, uniq):
            batch = [uniq[j] for j in idx]
            for text, vec in zip(batch, vecs):
                out[order[text]] = vec
            if cache is not None:  # per block, as it arrives: a stopped run keeps the finished blocks
                cache.put_many([keys[order[t][0]] for t in batch], vecs)
            embedder.n_encoded_ += len(batch)
        if getattr(embedder, "show_progress", False) and texts:
            print(f"embed ({embedder.encoder}, ray): {embedder.n_cached_} vectors from the cache, "
                  f"{embedder.n_encoded_} encoded", file=sys.stderr)
        return pieces.pool(out)

    def _encoded_blocks(self, embedder: Any, uniq: list[str]):
        """(positions in ``uniq``, vectors) per block, as the actors finish them."""
        if not uniq:
            return
        from sklearn.base import clone
        from tqdm import tqdm

        ray = _ray()
        pool, size = self._pool(), embedder.batch_size
        n_batches = -(-len(uniq) // size)
        actors = min(pool.pop("actors"), n_batches)
        step = size * max(1, min(BLOCK_BATCHES, -(-n_batches // actors)))  # whole batches; every actor busy
        blocks = [pd.DataFrame({"i": np.arange(s, min(s + step, len(uniq))), "text": uniq[s:s + step]})
                  for s in range(0, len(uniq), step)]
        for block in blocks:
            block["b"] = block["i"] // size
        worker = clone(embedder).set_params(show_progress=False, **({"device": "cuda"} if self.gpus_ else {}))
        ds = ray.data.from_pandas(blocks).map_batches(
            _EncodeActor, batch_size=None, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors),
            fn_constructor_kwargs={"embedder": worker, "threads": pool.pop("threads")}, **pool)
        show = self.progress and getattr(embedder, "show_progress", False)
        with tqdm(total=len(uniq), unit="text", desc=f"embed ({embedder.encoder}, ray)", disable=not show,
                  file=sys.stderr, smoothing=0.1) as bar:
            for got in ds.iter_batches(batch_size=None, batch_format="numpy"):
                idx = np.asarray(got["i"], dtype=np.int64)
                yield idx, np.asarray(got["vec"], dtype=np.float32).reshape(len(idx), -1)
                bar.update(len(idx))

    def features(self, featurizer: Any, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray:
        """``featurizer.transform(members, messages)`` with the row-local style columns computed by Ray tasks."""
        style = self.style(messages)
        return featurizer.transform(members, messages, style=style)

    def style(self, messages: pd.DataFrame) -> pd.DataFrame | None:
        """``style_features(messages['text'])`` in frame order, computed per block on the cluster."""
        if "text" not in messages or messages.empty:
            return None
        ray = _ray()
        text = messages["text"].astype(object).where(messages["text"].notna(), "").astype(str).to_numpy()
        blocks = [pd.DataFrame({"i": np.arange(s, min(s + STYLE_BLOCK_ROWS, len(text))),
                                "text": text[s:s + STYLE_BLOCK_ROWS]})
                  for s in range(0, len(text), STYLE_BLOCK_ROWS)]
        ds = ray.data.from_pandas(blocks).map_batches(_style_block, batch_size=None, batch_format="pandas")
        parts = list(ds.iter_batches(batch_size=None, batch_format="pandas"))
        out = pd.concat(parts).sort_values("i", kind="stable")
        return out.drop(columns="i").reset_index(drop=True)

    def predict(self, model: Any, messages: pd.DataFrame) -> pd.DataFrame:
        """``model.predict(messages)`` with the texts encoded on the cluster (cache misses only)."""
        return model.predict_many([messages], encode=lambda texts: self.encode(model.embedder, texts))[0]
