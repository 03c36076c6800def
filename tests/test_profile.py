"""Persona profiles on real data: airline tweets, the TWCS slice and BANKING77 (no timestamps)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ml.profile.fingerprint import SAID_EFFECT
from ml.profile.masking import URL_RE
from ml.profile.terms import STOP_WORDS

pytestmark = pytest.mark.shared

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}")
RUNS = ["airline_run", "twcs_run"]


@pytest.fixture(params=RUNS)
def run(request):
    return request.getfixturevalue(request.param)


def test_profile_fields_and_json(run):
    profiles = run["profiles"]
    assert sorted(p["id"] for p in profiles) == sorted(set(run["labels"].tolist()))
    assert sum(p["size"] for p in profiles) == len(run["members"])
    assert sum(p["share"] for p in profiles) == pytest.approx(1.0)
    for p in profiles:
        assert p["core_size"] + p["reassigned_count"] == p["size"]
        assert len(p["fingerprint"]) == 36
        assert {"accuracy", "signals"} <= set(p["separators"])
        json.dumps(p)  # JSON-ready


def test_names_unique_and_readable(run):
    names = [p["name"] for p in run["profiles"]]
    assert len({n.lower() for n in names}) == len(names)
    assert all(1 <= len(n.split()) <= 9 for n in names)  # short phrases (rules: tests/test_naming.py)


def test_terms_have_no_urls_handles_numbers_or_stop_words(run):
    for p in run["profiles"]:
        assert len(p["top_terms"]) >= 5
        for t in p["top_terms"] + p["top_ngrams"]:
            term = t["term"]
            assert not URL_RE.search(term) and "@" not in term and "http" not in term
            assert not any(w.isdigit() for w in term.split())
        assert not {t["term"] for t in p["top_terms"]} & STOP_WORDS


def test_brand_handles_never_terms(airline_run):
    handles = {"americanair", "usairways", "southwestair", "jetblue", "virginamerica"}
    for p in airline_run["profiles"]:
        assert not handles & {t["term"] for t in p["top_terms"]}
    assert "united" in airline_run["profiles"][0]["brand_handles"]


def test_hourly_sums_to_timestamped_members(run):
    members, labels = run["members"], run["labels"]
    for p in run["profiles"]:
        act = p["activity"]
        n_ts = int(members["local_hour"][labels == p["id"]].notna().sum())
        assert act["has_timestamps"] and sum(act["hourly"]) == n_ts == act["timestamped_members"]
        assert len(act["hourly"]) == 24 and len(act["weekday"]) == 7 and sum(act["weekday"]) == n_ts
        assert sum(act["population_hourly"]) == int(members["local_hour"].notna().sum())
        assert act["peak_hours"] and all(act["hourly"][h] >= np.median(act["hourly"]) for h in act["peak_hours"])


def test_no_timestamps_no_curve(banking_run):
    for p in banking_run["profiles"]:
        assert p["activity"]["has_timestamps"] is False and p["activity"]["hourly"] is None
        assert "no timestamps" in p["description"]
        assert not any(f["feature"].startswith(("hour_", "night", "weekend")) for f in p["fingerprint"]
                       if f["std_diff"] is not None)


def test_evidence_is_real_masked_diverse_and_traceable(run):
    members, labels = run["members"], run["labels"]
    ids = members["member_id"].to_numpy()
    core = ~run["reassigned"]
    for p in run["profiles"]:
        ev = p["evidence"]
        assert 5 <= len(ev) <= 10
        own_core = set(ids[(labels == p["id"]) & core])
        assert all(e["member_id"] in own_core for e in ev)
        assert len({e["member_id"] for e in ev}) == len(ev)
        for e in ev:
            assert not EMAIL.search(e["text"]) and not PHONE.search(e["text"]), e["text"]
            assert not re.search(r"@\d+", e["text"])  # TWCS customer handles
        words = [set(re.findall(r"\w+", e["text"].lower())) for e in ev]
        for i in range(len(words)):
            for j in range(i):
                assert len(words[i] & words[j]) / len(words[i] | words[j]) <= 0.7


def test_planted_pii_reached_evidence_and_was_masked(airline_run):
    texts = [e["text"] for p in airline_run["profiles"] for e in p["evidence"]]
    assert sum("[email]" in t for t in texts) >= 3 and sum("[phone]" in t for t in texts) >= 3
    assert not any(EMAIL.search(t) or PHONE.search(t) for t in texts)


def test_fingerprint_and_highlights(run):
    for p in run["profiles"]:
        fp = {f["feature"]: f for f in p["fingerprint"]}
        assert fp["author_span_days_log"]["std_diff"] is None  # all-NaN in these inputs
        assert fp["author_span_days_log"]["sentence"] == "not available"
        assert fp["chars_log"]["std_diff"] is not None
        assert all(s and s != "not available" for s in p["highlights"])
        # a highlight is a behaviour large enough to say in words (Cohen's medium effect), the largest first
        # and beyond its own noise (|t| ≥ 2)
        said = [fp[f] for f in p["highlight_features"]]
        assert all(abs(f["std_diff"]) >= SAID_EFFECT and abs(f["t_stat"]) >= 2 for f in said), p["name"]
        assert [abs(f["std_diff"]) for f in said] == sorted((abs(f["std_diff"]) for f in said), reverse=True)
        if not said:  # nothing said only when nothing passes the rule (size, coverage, noise, ratio)
            from ml.profile.fingerprint import said as is_said

            assert not any(is_said(f) for f in fp.values()), p["name"]
    # some personas have something to say (a third: since the count-ratio rule of 2026-12-05, personas of these
    # small test runs whose only differences were 1.2-1.4× lengths say nothing, as the rule intends)
    assert sum(bool(p["highlights"]) for p in run["profiles"]) >= len(run["profiles"]) / 3


def test_separators_beat_chance(run):
    k = len(run["profiles"])
    for p in run["profiles"]:
        sep = p["separators"]
        assert sep["accuracy"] is not None and sep["accuracy"] > 0.6
        assert sep["signals"] and {s["kind"] for s in sep["signals"]} <= {"term", "feature"}
    assert run["profiles"][0]["separators"]["overall_accuracy"] > 1 / k


def test_separators_point_the_way_the_members_differ(run):
    """Beside the fingerprint, "(higher)" must not stand next to a feature on which the persona is lower:
    on the bundled sample 16 of 165 listed features did (a correlated signal's correction)."""
    for p in run["profiles"]:
        fp = {f["feature"]: f["std_diff"] for f in p["fingerprint"]}
        for s in p["separators"]["signals"]:
            if s["kind"] == "feature" and fp.get(s["signal"]) is not None:
                assert (fp[s["signal"]] > 0) == (s["direction"] == "higher"), (p["name"], s, fp[s["signal"]])


def test_description_uses_measured_facts_only(run):
    for p in run["profiles"]:
        d = p["description"]
        assert f"{p['size']:,} members" in d and p["top_terms"][0]["term"] in d.lower()  # spelt as written
        for n in re.findall(r"(\d+(?:\.\d+)?)%", d):
            assert 0 <= float(n) <= 100
