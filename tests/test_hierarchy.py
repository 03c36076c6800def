"""Persona families (ml.cluster.hierarchy): personas close in embedding space share a family."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from ml.cluster.hierarchy import PersonaFamilies, family_records


def _nested_blobs(seed: int = 0):
    """Three well-separated directions (families), each with three nearby personas of 40 members."""
    rng = np.random.default_rng(seed)
    d = 32
    family_axes = np.eye(d)[:3] * 10.0
    X, labels, truth = [], [], {}
    pid = 0
    for f, axis in enumerate(family_axes):
        for _ in range(3):
            centre = axis + rng.normal(0, 1.0, d)
            X.append(centre + rng.normal(0, 0.3, (40, d)))
            labels += [pid] * 40
            truth[pid] = f
            pid += 1
    X = np.vstack(X)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.array(labels), truth


def test_nearby_personas_share_a_family_and_far_ones_do_not():
    X, labels, truth = _nested_blobs()
    fams = PersonaFamilies(n_families=3).fit(X, labels)
    assert fams.n_families_ == 3
    for a in truth:
        for b in truth:
            same_truth = truth[a] == truth[b]
            assert (fams.family_of_[a] == fams.family_of_[b]) == same_truth, (a, b)


def test_auto_count_is_sqrt_of_personas_and_every_persona_has_one_family():
    X, labels, _ = _nested_blobs()
    fams = PersonaFamilies().fit(X, labels)
    assert fams.n_families_ == 3  # round(sqrt(9))
    assert sorted(p for ps in fams.families_ for p in ps) == list(range(9))
    assert "sqrt" in fams.rule_
    sizes = [sum((labels == p).sum() for p in ps) for ps in fams.families_]
    assert sizes == sorted(sizes, reverse=True)  # family 0 is the largest


def test_single_persona_is_one_family_and_refit_forgets():
    X, labels, _ = _nested_blobs()
    one = PersonaFamilies().fit(X[:40], labels[:40])
    assert one.n_families_ == 1 and one.families_ == [[0]]
    fams = PersonaFamilies(n_families=2).fit(X, labels)
    fams.fit(X[:80], labels[:80])
    assert sorted(fams.family_of_) == [0, 1]


def test_rejects_noise_and_unfitted_use():
    X, labels, _ = _nested_blobs()
    bad = labels.copy()
    bad[0] = -1
    with pytest.raises(ValueError, match="noise"):
        PersonaFamilies().fit(X, bad)
    with pytest.raises(NotFittedError):
        PersonaFamilies().predict(labels)
    with pytest.raises(ValueError, match="n_families"):
        PersonaFamilies(n_families=0).fit(X, labels)


def test_family_records_sum_to_the_population_and_name_from_terms():
    X, labels, truth = _nested_blobs()
    topics = ["refund money back refund", "delivery parcel late delivery", "password login reset password"]
    texts = [f"{topics[truth[p]]} item {i}" for i, p in enumerate(labels)]
    reassigned = np.zeros(len(labels), dtype=bool)
    reassigned[::10] = True
    fams = PersonaFamilies(n_families=3).fit(X, labels)
    records = family_records(fams, texts, labels, reassigned)
    assert sum(r["size"] for r in records) == len(labels)
    assert sum(r["reassigned_count"] for r in records) == int(reassigned.sum())
    assert abs(sum(r["share"] for r in records) - 1.0) < 1e-9
    names = [r["name"] for r in records]
    assert len(set(names)) == 3
    for r in records:
        topic = topics[truth[r["persona_ids"][0]]]
        assert r["top_terms"][0]["term"] in topic.split()
        assert r["top_terms"][0]["term"] in r["name"].lower()


def test_two_words_the_members_write_side_by_side_are_one_name():
    """A Banking77 review: "Top-up, Apple & Pay" split Apple Pay in two. Two of a family name's words that most
    texts holding both write side by side ("Apple Pay") are written as one; words that only meet sometimes are
    not joined."""
    from ml.cluster.hierarchy import _family_name

    text = "\n".join(["Can I top up with Apple Pay?", "Apple Pay is not working", "my top-up failed",
                      "Apple Pay top-up declined", "top-up pending", "How do I add my card to Apple Pay",
                      "pay my bill", "I pay with an apple watch"])
    assert _family_name(["top-up", "apple", "pay"], text) == "Top-up & Apple Pay"
    loose = "\n".join(["pay for an apple", "apple juice, then pay", "pay the apple bill", "top-up"] * 2)
    assert _family_name(["top-up", "apple", "pay"], loose) == "Top-up, apple & pay"


def test_family_names_skip_repeated_stems_and_profanity():
    from ml.cluster.hierarchy import _family_name

    assert _family_name(["flight", "flights", "gate", "delayed"]) == "Flight, gate & delayed"
    assert _family_name(["shit", "refund", "money"]) == "Refund & money"
    assert _family_name([]) == "General"
    # spelt as the members write it, and a census first name written capitalised is refused
    text = "The ATM kept my card, Lauren said the ATM was broken\nLauren told me to wait"
    assert _family_name(["atm", "lauren", "card", "broken"], text) == "ATM, card & broken"
    # filler words only when nothing else is there (TWCS sub-personas: "Customer, trying & come")
    assert _family_name(["customer", "trying", "come", "need", "service"]) == "Customer, come & service"
    assert _family_name(["trying", "need"]) == "Trying & need"


def test_family_names_leave_out_a_word_every_family_uses_as_much():
    """"flight" in every family of an airline dump says nothing about one of them (excess share 0)."""
    X, labels, truth = _nested_blobs()
    topics = [("refund", "money"), ("luggage", "bags"), ("seat", "upgrade")]
    texts = [f"flight {topics[truth[p]][0]} flight {topics[truth[p]][1]}" for p in labels]
    fams = PersonaFamilies(n_families=3).fit(X, labels)
    records = family_records(fams, texts, labels, np.zeros(len(labels), dtype=bool))
    for r in records:
        assert any(t["term"] == "flight" for t in r["top_terms"])  # still among its c-TF-IDF terms
        a, b = topics[truth[r["persona_ids"][0]]]
        assert "flight" not in r["name"].lower()
        assert set(r["name"].lower().replace("&", " ").split()) == {a, b}


def test_family_names_take_one_spelling_of_a_word():
    from ml.cluster.hierarchy import _family_name

    name = _family_name(["destinationdragons", "tickets", "dragons", "vegas"])
    assert name == "Destinationdragons, tickets & vegas"


def test_linkage_comes_from_the_config_and_is_named_in_the_rule():
    from ml.runtime.config import PipelineConfig
    from ml.runtime.stages import build_stages

    X, labels, truth = _nested_blobs()
    assert build_stages(PipelineConfig(), show_progress=False).families.linkage == "ward"
    cfg = PipelineConfig().updated({"hierarchy": {"linkage": "average"}})
    fams = build_stages(cfg, show_progress=False).families.fit(X, labels)
    assert fams.rule_.endswith("average linkage")
    for method in ("ward", "average", "complete"):  # three clear families: every linkage finds them
        fit = PersonaFamilies(n_families=3, linkage=method).fit(X, labels)
        first = {f: min(q for q in truth if truth[q] == f) for f in set(truth.values())}
        assert all(fit.family_of_[p] == fit.family_of_[first[truth[p]]] for p in truth)
    with pytest.raises(ValueError, match="linkage must be one of"):
        PersonaFamilies(linkage="single").fit(X, labels)


def test_families_whose_words_every_family_uses_as_much_still_get_names():
    X, labels, _ = _nested_blobs()
    # no word is any family's more than another's; "flight" is in every text, the others in half
    texts = ["flight delay gate" if i % 2 else "flight seat wifi" for i in range(len(labels))]
    records = family_records(PersonaFamilies(n_families=3).fit(X, labels), texts, labels,
                             np.zeros(len(labels), dtype=bool))
    assert all(r["name"].lower().startswith("flight") for r in records)
    assert len({r["name"] for r in records}) == 3  # unique: a clash takes the next term, then the id


def test_two_personas_make_one_family_by_default_and_two_when_asked():
    X, labels, _ = _nested_blobs()
    two = labels < 2
    assert PersonaFamilies().fit(X[two], labels[two]).n_families_ == 1  # round(sqrt(2))
    assert PersonaFamilies(n_families=2).fit(X[two], labels[two]).families_ == [[0], [1]]


def test_a_family_below_the_privacy_floor_is_not_named_from_one_authors_words():
    """A review found a one-persona family "Assult & drunks drinks" named and termed from one customer's tweets,
    under a persona whose quotes were withheld. Below the floor a family names and lists only words two authors
    wrote; with none, "Too few authors to name"."""
    from ml.profile.naming import FEW_AUTHORS

    rng = np.random.default_rng(0)
    texts, labels, E, authors = [], [], [], []
    centres = [np.eye(8)[0], np.eye(8)[0] * 0.9 + np.eye(8)[1] * 0.1, np.eye(8)[5]]
    for pid, n in ((0, 30), (1, 30), (2, 10)):
        for i in range(n):
            if pid == 2:
                texts.append(f"stewardess serving drunks drinks police assult {i}")
                authors.append("solo")
            else:
                texts.append(str(rng.choice(["my bag was lost", "flight delayed again", "thanks for the help"])))
                authors.append(f"a{len(authors)}")
            labels.append(pid)
            v = centres[pid] + rng.normal(scale=0.01, size=8)
            E.append(v / np.linalg.norm(v))
    labels, E, authors = np.array(labels), np.array(E), np.array(authors, dtype=object)
    fams = PersonaFamilies(n_families=2).fit(E, labels)
    plain = {tuple(r["persona_ids"]): r for r in family_records(fams, texts, labels, np.zeros(len(labels), bool))}
    held = {tuple(r["persona_ids"]): r for r in family_records(fams, texts, labels, np.zeros(len(labels), bool),
                                                               authors=authors, min_authors=5)}
    assert "drunks" in plain[(2,)]["name"].lower() or "assult" in plain[(2,)]["name"].lower()  # the case arises
    assert held[(2,)]["name"] == FEW_AUTHORS and held[(2,)]["top_terms"] == []
    assert held[(0, 1)]["name"] == plain[(0, 1)]["name"]  # a family of many authors is named as before
