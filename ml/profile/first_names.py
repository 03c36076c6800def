"""US census first names, for the namer (``ml.profile.naming``) and the masker (``ml.profile.pii``).

A module of its own so that the masker reads them without importing the namer's scikit-learn.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["first_names"]


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """US census first names (the ``names`` package's data files), lower-cased."""
    from importlib.resources import files

    out: set[str] = set()
    for fname in ("dist.male.first", "dist.female.first"):
        for line in files("names").joinpath(fname).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.add(line.split()[0].lower())
    return frozenset(out)
