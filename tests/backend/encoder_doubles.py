"""Stand-ins for the sentence embedder and the persona model, for the encoder-process tests.

`PidEmbedder.transform` runs in the encoder process (it is pickled there), so it must be importable
without the test module: it writes the pid of the process that encoded into every vector, dies on
the text "CRASH" (a native crash or the OOM killer, as the server sees it) and, with `gate` set to
a file path, waits until that file exists (a slow encode the test controls across processes).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

CRASH = "CRASH"


class PidEmbedder:
    def __init__(self, gate: str | None = None) -> None:
        self.gate = gate

    def transform(self, texts: list[str]) -> np.ndarray:
        if CRASH in texts:
            os._exit(3)
        if self.gate is not None:
            deadline = time.monotonic() + 60
            while not Path(self.gate).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return np.full((len(texts), 2), os.getpid(), dtype=np.float32)


class EncodingModel:
    """A model with the `PersonaModel.predict_many(frames, encode=None)` hook: persona = text length
    mod 3; `encoded_by` collects the pids written into the vectors it received."""

    def __init__(self, gate: str | None = None) -> None:
        self.embedder = PidEmbedder(gate)
        self.encoded_by: list[int] = []

    def predict_many(self, frames: list[pd.DataFrame], encode=None) -> list[pd.DataFrame]:
        texts = [t for f in frames for t in f["text"].tolist()]
        vectors = (encode or self.embedder.transform)(texts)
        self.encoded_by += sorted({int(v) for v in vectors[:, 0]})
        out = []
        for f in frames:
            n = f["text"].str.len()
            out.append(pd.DataFrame({"member_id": f["message_id"], "persona_id": n % 3,
                                     "distance": n / 100.0, "would_be_noise": n > 50}))
        return out

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.predict_many([frame])[0]
