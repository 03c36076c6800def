"""Saving and loading a run's pickled model, the same for every run kind.

A kind's model class (``ml.runtime.model.PersonaModel``, ``ml.events.model.EventRunModel``) derives
from ``SavedModel`` and names its file (``model_file``) and what it is called in errors (``what``);
``save`` writes ``RUN_DIR/model/<model_file>`` plus the kind's ``model.json``, ``load`` and
``from_bytes`` read it back (old module paths included, ``ml.runtime.legacy``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, ClassVar, Self

from ml.runtime.legacy import unpickle_model

META_FILE = "model.json"


class SavedModel:
    """``save``/``load``/``from_bytes`` for a model joblib-pickled into its run directory."""

    model_file: ClassVar[str]
    what: ClassVar[str]  # "persona model", as errors name it

    def _save(self, directory: str | Path, meta: dict[str, Any], default: Any = None) -> Path:
        """Write the model and its ``model.json`` (``meta``; ``default`` as for ``json.dumps``) into ``directory``."""
        import joblib

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, directory / self.model_file, compress=3)
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, default=default), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, run_dir: str | Path) -> Self:
        """Load from a run directory (``RUN_DIR/model/``) or the model directory itself."""
        path = Path(run_dir)
        candidates = [path / "model" / cls.model_file, path / cls.model_file]
        for candidate in candidates:
            if candidate.is_file():
                return cls._unpickled(candidate, str(candidate))
        raise FileNotFoundError(f"no {cls.what} under {path} (expected {candidates[0]})")

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "the stored model") -> Self:
        """Load from the bytes of the model file (as the results store keeps them).

        This unpickles: only bytes written by this pipeline may be given (docs/security.md)."""
        return cls._unpickled(io.BytesIO(data), source)

    @classmethod
    def _unpickled(cls, file: Any, source: str) -> Self:
        return unpickle_model(file, cls, source)
