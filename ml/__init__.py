"""Personas: behavioral personas from customer conversations.

Pipeline stages live one per module (ingest, filtering, embed, features, fusion, reduce, cluster,
reassign, profile); `ml.runtime.pipeline` composes them from one typed config (`ml.runtime.config.PipelineConfig`)
and `ml.run` is the command line. Stages never import the store, the web framework or a
distributed engine.
"""

import os as _os
from pathlib import Path as _Path

__version__ = "0.1.0"

# Compiled numba kernels (UMAP, pynndescent) are cached on disk so that only the first process
# ever pays the 30–90 s compile; must be set before numba is imported.
_os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    str(_Path(_os.environ.get("PERSONAS_CACHE_DIR") or _Path.home() / ".cache" / "personas") / "numba"),
)
