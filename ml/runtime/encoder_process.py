"""The child side of the API's encoder process (`backend.encoder_worker.EncoderWorker` starts it).

`serve(conn, threads, nice, preload)` bounds torch's threads, loads the `preload` embedder's model,
lowers its priority (`os.nice`; after the load, which callers wait for), answers ("ready", pid),
then serves requests from the pipe until the pipe closes or "stop" arrives: ("encode", embedder,
texts) -> ("ok", vectors) with the embedder's own `transform` (its on-disk cache included), ("warm",
embedder) -> ("ok", pid), ("pid",) -> ("ok", pid); a failure -> ("error", exception). It lives in
`ml` (not in `backend`) so the spawned process imports only numpy and the embedder, not the web
framework.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

log = logging.getLogger("backend")


def warm(embedder: Any) -> None:
    """Load the embedder's model now (fp32: sentence-transformers; int8: the ONNX encoder)."""
    embed = sys.modules.get("ml.features.embed")  # imported when a SentenceEmbedder was unpickled
    if embed is None or not isinstance(embedder, embed.SentenceEmbedder):
        return  # a stand-in (tests) has nothing to load
    if getattr(embedder, "encoder", "fp32") == "fp32":
        embed.load_sentence_model(embedder.model_name, embedder.device)
    else:
        if not hasattr(embedder, "model_id_"):
            embedder.fit()
        embedder._encode_fn()  # loads (first time: exports) the int8 encoder


def encode(embedder: Any, texts: list[str]) -> np.ndarray:
    if hasattr(embedder, "show_progress"):
        embedder.show_progress = False
    return np.asarray(embedder.transform(texts), dtype=np.float32)


def limit_torch_threads(threads: int) -> None:
    """torch's intra-op threads = `threads`, once torch is loaded (a stand-in embedder never loads it)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any unpicklable exception is sent as text
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def serve(conn: Connection, threads: int, nice: int, preload: Any) -> None:
    """Child main loop: ("encode", embedder, texts) → ("ok", vectors); ("pid",) → ("ok", pid)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server stops us
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["OMP_NUM_THREADS"] = str(threads)  # torch's default, read when it is first imported
    if preload is not None:  # at the server's priority: start-up is paid once, callers wait for it
        try:
            warm(preload)
        except Exception as exc:  # noqa: BLE001 - the first encode reports it
            log.error("encoder process: the model did not load: %s", exc)
    limit_torch_threads(threads)
    if nice:
        try:
            os.nice(nice)
        except OSError:  # pragma: no cover - not permitted here: run at the server's priority
            pass
    try:
        conn.send(("ready", os.getpid()))
    except OSError:
        return  # the API process went away while this one started
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the API process is gone
        op, args = message[0], message[1:]
        if op == "stop":
            return
        try:
            if op == "encode":
                result: Any = encode(*args)
            elif op == "warm":
                warm(*args)
                result = os.getpid()
            else:  # "pid"
                result = os.getpid()
            limit_torch_threads(threads)
            conn.send(("ok", result))
        except Exception as exc:  # noqa: BLE001 - the caller re-raises it (a 422 or the JSON 500)
            conn.send(("error", portable(exc)))
