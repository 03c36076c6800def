"""Persona profiles: language, activity, behavioral fingerprint, evidence, name, description, separators.

``build_profiles(members, features, labels, reassigned, embeddings, config)`` is in ``ml.profile.build``
(its docstring gives the inputs and the output, CONTRACTS §4). The names below load on first use, so a
process that only masks texts (``ml.runtime.mask_prefetch``'s children, ``ml.profile.masking``) does not
import pandas, scikit-learn and SciPy with this package: about 200 MB per masking child.
"""

from __future__ import annotations

__all__ = ["ProfileConfig", "build_profiles", "detect_brand_handles", "mask_pii"]

_HOMES = {"build_profiles": "ml.profile.build", "ProfileConfig": "ml.profile.config",
          "detect_brand_handles": "ml.profile.masking", "mask_pii": "ml.profile.masking"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'ml.profile' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_HOMES[name]), name)
