"""The typed run contract (ml.runtime.contracts): documents written before it still load, unknown fields
are refused, run summaries say their kind, run ids are one shape, and the OpenAPI schema is stable."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from ml.runtime.contracts import (
    ConversationManifest,
    ConversationPersonaRecord,
    EventManifest,
    EventPersonaRecord,
    FamilyTree,
    new_run_id,
    parse_manifest,
    parse_persona,
    parse_run_summary,
    served_manifest,
)
from ml.runtime.runfiles import persona_records
from ml.store import records as R
from ml.store.base import RUN_ID_RE

FIXTURES = Path(__file__).parent / "fixtures" / "contracts"


def _keeps(new, old) -> bool:
    """Every field of ``old`` is in ``new`` with the same value (``new`` may add fields, at any depth)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and _keeps(new[k], v) for k, v in old.items())
    if isinstance(old, list):
        return isinstance(new, list) and len(new) == len(old) and all(map(_keeps, new, old))
    return new == old


def _previous(kind: str) -> dict:
    """Documents written by the version before the contract (tests/fixtures/contracts, trimmed real runs)."""
    return json.loads((FIXTURES / f"{kind}_previous.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind, manifest_cls, record_cls", [
    ("conversations", ConversationManifest, ConversationPersonaRecord),
    ("events", EventManifest, EventPersonaRecord),
])
def test_documents_of_the_previous_version_load(kind, manifest_cls, record_cls):
    doc = _previous(kind)
    assert "kind" not in doc["personas"][0]  # written before personas recorded their kind
    manifest = parse_manifest(doc["manifest"])
    assert type(manifest) is manifest_cls and manifest.kind == kind
    assert manifest.run_id == doc["manifest"]["run_id"] and manifest.counts.kept == doc["manifest"]["counts"]["kept"]
    personas = [parse_persona(p, "record") for p in doc["personas"]]
    assert all(type(p) is record_cls and p.kind == kind for p in personas)
    assert [p.member_ids for p in personas] == [p["member_ids"] for p in doc["personas"]]
    # every field the old documents had survives a round trip unchanged (new ones are only added)
    dumped = manifest.model_dump(mode="json")
    for key, value in doc["manifest"].items():
        assert _keeps(dumped[key], value), key
    for old, new in zip(doc["personas"], personas):
        assert _keeps(new.model_dump(mode="json"), old)


def test_a_conversation_manifest_without_recorded_kind_is_told_by_its_unit():
    doc = _previous("conversations")["manifest"]
    assert "kind" not in doc
    assert parse_manifest(doc).kind == "conversations"
    summary = parse_run_summary({"id": "old-events", "unit": "user", "counts": {"input": 9, "kept": 3, "personas": 2}})
    assert summary.kind == "events"  # a Firestore summary_json written before kind existed
    assert R.run_summary("r", doc)["kind"] == "conversations"
    assert R.run_summary("r", _previous("events")["manifest"])["kind"] == "events"


def test_runs_made_before_families_and_agents_still_load():
    doc = _previous("conversations")
    manifest = {k: v for k, v in doc["manifest"].items()
                if k not in ("hierarchy", "agents", "time", "fusion", "cluster", "embedding_cache")}
    personas = [{k: v for k, v in p.items() if k not in ("parent_id", "level", "brand_handles", "distinct_authors",
                                                          "evidence_withheld", "evidence_withheld_reason")}
                for p in doc["personas"]]
    model = parse_manifest(manifest)
    assert model.hierarchy is None and model.agents is None
    tree = FamilyTree.of("old", model.hierarchy)
    assert tree.levels == ["persona"] and tree.families == []
    profile = parse_persona(personas[0], "record")
    assert profile.parent_id is None and profile.evidence_withheld is False


@pytest.mark.parametrize("where", ["manifest", "counts", "persona", "term", "summary"])
def test_unknown_fields_are_refused(where):
    doc = copy.deepcopy(_previous("conversations"))
    manifest, persona = doc["manifest"], doc["personas"][0]
    target = {"manifest": manifest, "counts": manifest["counts"], "persona": persona,
              "term": persona["top_terms"][0], "summary": None}[where]
    if where == "summary":
        with pytest.raises(ValidationError, match="extra"):
            parse_run_summary({"id": "x", "kind": "conversations", "owner": "me"})
        return
    target["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        parse_manifest(manifest) if where in ("manifest", "counts") else parse_persona(persona, "record")


def test_a_term_has_one_shape():
    persona = copy.deepcopy(_previous("conversations")["personas"][0])
    persona["top_terms"] = [["refund", 0.5]]
    with pytest.raises(ValidationError):
        parse_persona(persona, "record")
    persona["top_terms"] = [{"term": "refund", "score": 0.5}]
    with pytest.raises(ValidationError, match="score"):
        parse_persona(persona, "record")


def test_the_store_refuses_a_bundle_outside_the_contract_with_one_line():
    from ml.store.bundle import RunBundle

    doc = _previous("conversations")
    members = pd.DataFrame({"member_id": ["a"], "persona_id": [doc["personas"][0]["id"]], "distance": [0.1]})
    bad = copy.deepcopy(doc["manifest"])
    bad["counts"]["kept"] = "many"
    with pytest.raises(ValueError) as err:
        R.check_bundle(RunBundle("r1", bad, doc["personas"], members))
    assert "\n" not in str(err.value) and "'counts.kept'" in str(err.value) and "docs/CONTRACTS.md" in str(err.value)
    R.check_bundle(RunBundle("r1", doc["manifest"], doc["personas"], members))  # the previous version's run passes


def test_served_manifest_never_holds_run_dir_and_says_if_the_model_is_here():
    doc = _previous("events")["manifest"]
    served = served_manifest(doc, doc["run_id"], True).model_dump(mode="json")
    assert "run_dir" not in served and served["id"] == doc["run_id"] and served["model_available"] is True
    assert served["kind"] == "events" and served["events"] == doc["events"]


def test_persona_records_carry_member_ids_from_the_assignments():
    doc = _previous("events")
    profiles = [parse_persona({k: v for k, v in p.items() if k != "member_ids"}) for p in doc["personas"]]
    members = pd.DataFrame({"member_id": ["u1", "u2", "u3"], "persona_id": [profiles[1].id, profiles[0].id,
                                                                            profiles[1].id]})
    records = persona_records(profiles, members)
    assert [type(r) for r in records] == [EventPersonaRecord, EventPersonaRecord]
    assert records[0].member_ids == ["u2"] and records[1].member_ids == ["u1", "u3"]


def test_new_run_id_sorts_by_time_and_fits_the_store():
    from datetime import UTC, datetime

    first = new_run_id({"seed": 1}, ["a.csv"], datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    later = new_run_id({"seed": 1}, ["a.csv"], datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert re.fullmatch(r"20260102T030405Z-[0-9a-f]{6}", first) and RUN_ID_RE.match(first)
    assert first < later and first != new_run_id({"seed": 2}, ["a.csv"], datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))


def test_openapi_schema_is_deterministic_and_closed():
    from backend.openapi import openapi_json

    text = openapi_json()
    assert text == openapi_json()
    schemas = json.loads(text)["components"]["schemas"]
    for name in ("ConversationRunManifest", "EventRunManifest", "ConversationPersonaDetail", "EventPersonaDetail",
                 "ConversationRunSummary", "FamilyTree", "AssignmentRow", "PersonaSummary", "MapPoint"):
        assert schemas[name]["additionalProperties"] is False, name
    assert "run_dir" not in schemas["ConversationRunManifest"]["properties"]
    assert schemas["ConversationRunSummary"]["properties"]["kind"]["const"] == "conversations"
