"""US census first names and common surnames, for the namer (``ml.profile.naming``) and the masker
(``ml.profile.pii``, ``ml.profile.name_gate``).

A module of its own so that the masker reads them without importing the namer's scikit-learn.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["common_surnames", "first_names"]


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


@lru_cache(maxsize=1)
def common_surnames(min_percent: float = 0.002) -> frozenset[str]:
    """US census surnames held by at least ``min_percent`` % of people (0.002: 1 in 50,000; 7,500 names,
    "smith" to about "hofmann"), lower-cased."""
    from importlib.resources import files

    out: set[str] = set()
    for line in files("names").joinpath("dist.all.last").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and float(parts[1]) >= min_percent:
            out.add(parts[0].lower())
    return frozenset(out)
