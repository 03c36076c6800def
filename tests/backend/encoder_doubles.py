"""Stand-ins for the sentence embedder and the persona model, for the assign-worker-process tests.

They are pickled into the assign worker process and run there, so this module imports nothing of the
web framework or the tests. `PidEmbedder.transform` writes the pid of the process that encoded into
every vector, dies on the text "CRASH" (a native crash or the OOM killer, as the server sees it) and,
with `gate` set to a file path, waits until that file exists (a slow encode the test controls across
processes). `EncodingModel` answers with that pid as each conversation's distance, so a test sees
which process did the work. `FileGatedModel` wraps a real model: it writes its pid to `<gate>.entered`
when a call starts and waits for the file `gate` before predicting.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CRASH = "CRASH"


def wait_for_file(path: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)


class PidEmbedder:
    def __init__(self, gate: str | None = None) -> None:
        self.gate = gate

    def transform(self, texts: list[str]) -> np.ndarray:
        if CRASH in texts:
            os._exit(3)
        if self.gate is not None:
            wait_for_file(self.gate)
        return np.full((len(texts), 2), os.getpid(), dtype=np.float32)


class EncodingModel:
    """A model with `predict_many(frames)`: persona = text length mod 3, distance = the pid that
    encoded the text, noise = more than 50 characters."""

    def __init__(self, gate: str | None = None) -> None:
        self.embedder = PidEmbedder(gate)

    def predict_many(self, frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
        vectors = self.embedder.transform([t for f in frames for t in f["text"].tolist()])
        out, start = [], 0
        for f in frames:
            n = f["text"].str.len()
            out.append(pd.DataFrame({"member_id": f["message_id"], "persona_id": n % 3,
                                     "distance": vectors[start : start + len(f), 0].astype(np.float64),
                                     "would_be_noise": n > 50}))
            start += len(f)
        return out

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.predict_many([frame])[0]


class FileGatedModel:
    """`inner`'s predictions, each call held until the file `gate` exists (`<gate>.entered` marks
    that a call started): holds the assign worker process while a test queues requests."""

    def __init__(self, inner: Any, gate: str) -> None:
        self.inner, self.gate, self.embedder = inner, gate, inner.embedder

    def predict_many(self, frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
        Path(f"{self.gate}.entered").write_text(str(os.getpid()))
        wait_for_file(self.gate)
        return self.inner.predict_many(frames)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.predict_many([frame])[0]
