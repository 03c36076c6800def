"""Loading persona models pickled before the modules moved into packages (stage layout of 2026-11).

A saved model names its classes by module path (``ml.fusion.FeatureFusion``). The old paths no
longer exist as modules, so while a model file is read they are aliased to the new ones; nothing
else sees the aliases.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: old module path -> new module path
MOVED = {
    "ml.ingest": "ml.ingest.load", "ml.ingest_read": "ml.ingest.read", "ml.timeparse": "ml.ingest.timeparse",
    "ml.timebasis": "ml.ingest.timebasis", "ml.textclean": "ml.ingest.textclean",
    "ml.features": "ml.features.behavioral", "ml.feature_labels": "ml.features.labels",
    "ml.embed": "ml.features.embed", "ml.embed_onnx": "ml.features.embed_onnx", "ml.fusion": "ml.features.fusion",
    "ml.cluster": "ml.cluster.density", "ml.granularity": "ml.cluster.granularity",
    "ml.reassign": "ml.cluster.reassign", "ml.hierarchy": "ml.cluster.hierarchy",
    "ml.pipeline": "ml.runtime.pipeline", "ml.config": "ml.runtime.config", "ml.configfile": "ml.runtime.configfile",
    "ml.errors": "ml.runtime.errors", "ml.atomic": "ml.runtime.atomic", "ml.rundir": "ml.runtime.rundir",
    "ml.runfiles": "ml.runtime.runfiles", "ml.output": "ml.runtime.output", "ml.timing": "ml.runtime.timing",
    "ml.model": "ml.runtime.model",
}


@contextmanager
def old_module_paths() -> Iterator[None]:
    """Within the block, ``sys.modules`` also answers to the old module paths of moved classes.

    A path that is now a package (``ml.features``) is already in ``sys.modules`` as the package;
    its old classes are found by patching the package's attributes for the duration instead.
    """
    added: list[str] = []
    patched: list[tuple[object, str, object]] = []
    try:
        for old, new in MOVED.items():
            target = importlib.import_module(new)
            current = sys.modules.get(old)
            if current is None:
                sys.modules[old] = target
                added.append(old)
                continue
            for name, value in vars(target).items():
                if not name.startswith("__") and not hasattr(current, name):
                    patched.append((current, name, value))
                    setattr(current, name, value)
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)
        for module, name, _ in patched:
            delattr(module, name)


def unpickle_model(file: Any, cls: type, source: str) -> Any:
    """A joblib-pickled model of class ``cls`` from a path or file object, old module paths included.

    This unpickles: only files written by this pipeline may be given (docs/security.md)."""
    import joblib

    with old_module_paths():
        model = joblib.load(file)
    if not isinstance(model, cls):
        raise TypeError(f"{source} does not hold a{'n' if cls.__name__[0] in 'AEIOU' else ''} {cls.__name__}")
    return model
