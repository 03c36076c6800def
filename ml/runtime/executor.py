"""Executors: where a run's per-row work happens (``executor: local|ray``, ``--executor``).

An executor runs three kinds of per-row work for the pipeline and the persona model, each with the
stage's own fitted object and the same result as the stage alone:

- ``encode(embedder, texts)`` → (n, 384) float32, the ``SentenceEmbedder``'s vectors; the embedding
  cache is read and written where the executor runs its driver.
- ``features(featurizer, members, messages)`` → (n_members, 36), ``BehavioralFeatures.transform``.
- ``predict(model, messages)`` → the ``PersonaModel.predict`` frame for new rows.

``LocalExecutor`` (the default) calls the stages in this process: today's behaviour. ``RayExecutor``
(``ml.runtime.executor_ray``, the optional extra ``pip install '.[ray]'``) runs the row-local parts on
a Ray cluster with Ray Data; fitting (UMAP, HDBSCAN, profiles) always stays in this process. Stages
never import an engine: only ``ml.runtime.executor_ray`` imports ``ray``, when a Ray executor starts.

Use an executor as a context manager: ``with open_executor(config.executor) as ex: ex.encode(...)``;
leaving the block stops what the executor started (a Ray cluster it started itself, not one it joined).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, Self

import numpy as np
import pandas as pd

from ml.runtime.errors import InputError

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    """What the pipeline needs from an executor (see the module docstring)."""

    name: str

    def encode(self, embedder: Any, texts: list[str]) -> np.ndarray: ...

    def features(self, featurizer: Any, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray: ...

    def predict(self, model: Any, messages: pd.DataFrame) -> pd.DataFrame: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class LocalExecutor:
    """Everything in this process, with the stages' own methods (the default executor)."""

    name = "local"

    def encode(self, embedder: Any, texts: list[str]) -> np.ndarray:
        return embedder.transform(texts)

    def features(self, featurizer: Any, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray:
        return featurizer.transform(members, messages)

    def predict(self, model: Any, messages: pd.DataFrame) -> pd.DataFrame:
        return model.predict(messages)

    def close(self) -> None:
        """Nothing to stop."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_executor(name: str = "local", log: Callable[[str], None] | None = None,
                  progress: bool = False, **options: Any) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``); ``options`` go to ``RayExecutor``
    (``address``, ``num_cpus``, ``concurrency``, ``object_store_memory``)."""
    if name == "local":
        return LocalExecutor()
    if name == "ray":
        from ml.runtime.executor_ray import RayExecutor

        return RayExecutor(log=log, progress=progress, **options).start()
    raise InputError(f"executor: {name!r} is not one of {', '.join(EXECUTORS)}; pass --executor local or ray")
