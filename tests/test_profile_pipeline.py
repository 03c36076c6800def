"""Profiles and strategies as the real pipeline writes them (personas.json of the bundled TWCS run)."""

from __future__ import annotations

import json
import re

import pytest

from ml.profile.masking import URL_RE
from ml.strategy import GOALS, generate_strategy, iter_citations, resolve_citation, validate_strategy

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}")


@pytest.fixture(scope="module")
def personas(pipeline_run_dir):
    return json.loads((pipeline_run_dir / "personas.json").read_text(encoding="utf-8"))


def test_pipeline_profiles(personas):
    names = [p["name"] for p in personas]
    assert len(personas) >= 2 and len({n.lower() for n in names}) == len(names)
    for p in personas:
        members = set(p["member_ids"])
        assert p["size"] == len(members) == p["core_size"] + p["reassigned_count"]
        for t in p["top_terms"] + p["top_ngrams"]:
            assert not URL_RE.search(t["term"]) and "@" not in t["term"]
            assert not any(w.isdigit() for w in t["term"].split())
        act = p["activity"]
        if act["has_timestamps"]:
            assert sum(act["hourly"]) == act["timestamped_members"] <= p["size"]
        # a persona under the privacy floor (too few distinct authors) shows none, and says so
        assert (not p["evidence"]) if p.get("evidence_withheld") else 1 <= len(p["evidence"]) <= 10
        for e in p["evidence"]:
            assert e["member_id"] in members
            assert not EMAIL.search(e["text"]) and not PHONE.search(e["text"])
            assert not re.search(r"@\d+", e["text"])


def test_pipeline_strategies(personas):
    for p in personas:
        for goal in GOALS:
            doc = generate_strategy(p, goal, rewriter=None)
            validate_strategy(doc)
            ids = {e["member_id"] for e in p["evidence"]}
            for c in iter_citations(doc):
                assert all(resolve_citation(p, r) for r in c["signals"]) and set(c["evidence"]) <= ids
