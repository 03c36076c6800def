"""The child side of the API's assign worker process (`backend.encoder_worker.EncoderWorker` starts it).

It runs the whole assign of a batch (`ml.runtime.assign_batch.assign_conversations`: posted records →
canonical frame → behavioral features → fusion → text encoding → placement → one `Placement` per
conversation), so the API process only validates, queues, forwards the posted records and returns
the rows: its event loop does not share the GIL with any of that work.

`serve(conn, threads, nice, preload)` bounds torch's threads, loads the `preload` model (a `(key,
model)` pair, or None) and its sentence model, lowers its priority (`os.nice`; after the load, which
callers wait for), answers ("ready", pid), then serves requests from the pipe until the pipe closes or
"stop" arrives:

- ("load", key, model) -> ("ok", pid): keep `model` under `key` (each run's model is sent once per
  process, by the API side) and load its sentence model now;
- ("assign", key, requests) -> ("ok", outcomes): `assign_conversations` with the model kept under `key`;
- ("drop", key) -> ("ok", None): forget that model; ("pid",) -> ("ok", pid);
- a failure -> ("error", exception).

It lives in `ml` (not in `backend`) so the spawned process imports only the pipeline's own code
(numpy, pandas, the embedder), not the web framework.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from ml.runtime.assign_batch import assign_conversations

log = logging.getLogger("backend")


def warm(embedder: Any) -> None:
    """Load the embedder's model now (fp32: sentence-transformers; int8: the ONNX encoder)."""
    embed = sys.modules.get("ml.features.embed")  # imported when a SentenceEmbedder was unpickled
    if embed is None or not isinstance(embedder, embed.SentenceEmbedder):
        return  # a stand-in (tests) has nothing to load
    embedder.show_progress = False
    if getattr(embedder, "encoder", "fp32") == "fp32":
        embed.load_sentence_model(embedder.model_name, embedder.device)
    else:
        if not hasattr(embedder, "model_id_"):
            embedder.fit()
        embedder._encode_fn()  # loads (first time: exports) the int8 encoder


def limit_torch_threads(threads: int) -> None:
    """torch's intra-op threads = `threads`, once torch is loaded (a stand-in model never loads it)."""
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


class _Models:
    """The models this process keeps, by the key the API side chose (one per run's model)."""

    def __init__(self) -> None:
        self.by_key: dict[str, Any] = {}

    def load(self, key: str, model: Any) -> int:
        self.by_key[key] = model
        warm(getattr(model, "embedder", None))
        gc.collect()  # the model and torch are long-lived: keep them out of later full collections
        gc.freeze()
        return os.getpid()

    def assign(self, key: str, requests: list[list[dict]]) -> list[tuple[str, Any]]:
        model = self.by_key.get(key)
        if model is None:
            raise KeyError(f"assign worker: no model loaded under {key!r}")
        return [(status, portable(value) if status == "error" else value)
                for status, value in assign_conversations(model, requests)]

    def drop(self, key: str) -> None:
        self.by_key.pop(key, None)


def serve(conn: Connection, threads: int, nice: int, preload: tuple[str, Any] | None) -> None:
    """Child main loop (see the module doc)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server stops us
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["OMP_NUM_THREADS"] = str(threads)  # torch's default, read when it is first imported
    models = _Models()
    if preload is not None:  # at the server's priority: start-up is paid once, callers wait for it
        try:
            models.load(*preload)
        except Exception as exc:  # noqa: BLE001 - the first assign reports it
            log.error("assign worker process: the model did not load: %s", exc)
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
    ops = {"load": models.load, "assign": models.assign, "drop": models.drop, "pid": os.getpid}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the API process is gone
        except Exception as exc:  # noqa: BLE001 - a message that does not unpickle here (a model's class)
            conn.send(("error", portable(exc)))
            continue
        if message[0] == "stop":
            return
        try:
            result = ops[message[0]](*message[1:])
            limit_torch_threads(threads)
            conn.send(("ok", result))
        except Exception as exc:  # noqa: BLE001 - the caller re-raises it (the JSON 500)
            conn.send(("error", portable(exc)))
