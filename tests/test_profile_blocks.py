"""Profiles read a large persona's embeddings a block at a time (issue 17: a 1M-row run within 4 GB): the
evidence, the name scores and the separator give what the whole-persona copies gave."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ml.profile import evidence as evidence_mod
from ml.profile import naming as naming_mod
from ml.profile.evidence import EvidenceSelector
from ml.profile.naming import score_candidates
from ml.profile.separators import SurrogateSeparator


def _unit(n: int, seed: int = 0) -> np.ndarray:
    E = np.random.default_rng(seed).normal(size=(n, 16)).astype(np.float32)
    return E / np.linalg.norm(E, axis=1, keepdims=True)


def test_evidence_from_rows_of_all_embeddings_equals_evidence_from_the_persona_copy(monkeypatch):
    monkeypatch.setattr(evidence_mod._UnitRows, "BLOCK", 37)  # many blocks, a ragged last one
    E = _unit(900)
    rows = np.flatnonzero(np.random.default_rng(2).random(900) < 0.4)
    texts = [f"member {i} writes about topic {i % 13} and item {i % 7}" for i in rows]
    ids = [f"m{i}" for i in rows]
    core = np.random.default_rng(3).random(rows.size) < 0.8
    sel = EvidenceSelector(n=6, pool=40)
    by_rows = sel.pick(ids, texts, E, core, rows=rows)
    by_copy = sel.pick(ids, texts, E[rows], core)
    assert [p["member_id"] for p in by_rows] == [p["member_id"] for p in by_copy] and len(by_rows) == 6
    assert [p["similarity"] for p in by_rows] == [p["similarity"] for p in by_copy]


def test_evidence_skips_swearing_while_enough_texts_are_without():
    E = _unit(60, seed=3)
    ids = [f"m{i}" for i in range(60)]
    # real complaint tweets (airline data), half of them with a profane word
    clean = ["my flight was delayed again today", "still waiting on my refund for the flight"]
    rude = ["this shit airline delayed my flight", "fucking delayed again, worst flight"]
    texts = [(rude if i % 2 else clean)[i % 4 // 2] + f" {i}" for i in range(60)]
    sel = EvidenceSelector(n=6, pool=60, dup_jaccard=1.01)  # the texts repeat: no near-duplicate test here
    picked = sel.pick(ids, texts, E)
    assert len(picked) == 6 and all(int(p["member_id"][1:]) % 2 == 0 for p in picked)
    # a persona whose pool all swears still shows evidence
    swearing = sel.pick(ids, [rude[i % 2] + f" {i}" for i in range(60)], E)
    assert len(swearing) == 6


def _reference_scores(indicator, embeddings, distinctiveness):
    """The per-candidate formula on a float64 copy of the persona."""
    E = np.asarray(embeddings, dtype=np.float64)
    centroid = E.mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    out = np.zeros(indicator.shape[1])
    for j in range(indicator.shape[1]):
        if indicator[:, j].any():
            c = E[indicator[:, j]].mean(axis=0)
            out[j] = c @ centroid / np.linalg.norm(c) * np.sqrt(indicator[:, j].mean())
    return out * np.sqrt(np.clip(distinctiveness, 0, 1))


def test_name_scores_in_blocks_equal_the_whole_persona_formula(monkeypatch):
    monkeypatch.setattr(naming_mod, "BLOCK_ROWS", 23)
    E = _unit(500, seed=4)
    rows = np.arange(3, 500, 2)
    ind = np.random.default_rng(5).random((rows.size, 6)) < 0.3
    ind[:, 4] = False  # a candidate no member contains scores 0
    weight = np.array([1.0, 0.8, 0.5, 0.3, 0.9, 1.2])
    got = score_candidates(list("abcdef"), ind, E, weight, rows=rows)
    want = _reference_scores(ind, E[rows], weight)
    assert np.allclose(got, want, rtol=0, atol=1e-12) and got[4] == 0.0 and (got[[0, 1, 2, 3, 5]] > 0).all()
    assert np.allclose(score_candidates(list("abcdef"), ind, E[rows], weight), want, rtol=0, atol=1e-12)


def test_separator_fitted_on_the_sampled_term_rows_equals_the_full_matrix():
    rng = np.random.default_rng(6)
    n = 3000
    labels = rng.integers(0, 4, n)
    T = sp.csr_matrix((rng.random((n, 10)) < 0.1 + 0.2 * (labels[:, None] == np.arange(10)[None, :] % 4)).astype(float))
    X = rng.normal(size=(n, 5)) + labels[:, None]
    sep = SurrogateSeparator(max_rows=1000, random_state=0)
    full = SurrogateSeparator(max_rows=1000, random_state=0).fit(T, list("abcdefghij"), X, list("vwxyz"), labels)
    sampled = sep.fit(T[sep.sample_rows(n)], list("abcdefghij"), X, list("vwxyz"), labels)
    assert sep.sample_rows(n).size == 1000
    assert np.array_equal(sampled.coef_, full.coef_) and sampled.overall_accuracy_ == full.overall_accuracy_
    assert full.overall_accuracy_ > 0.5


def test_a_correlated_feature_is_not_listed_against_the_persona():
    """Persona 0 replies less (is_reply lower) and sits shallower in threads (depth lower), but deeper than
    its replies alone predict: the model gives depth a positive weight. Listed, that would read "Depth in
    the thread (higher)" for a persona that is lower on it; it is left out, is_reply stays "lower"."""
    from ml.profile.separators import SurrogateSeparator

    rng = np.random.default_rng(0)
    n = 400
    y = np.repeat([0, 1], n // 2)
    is_reply = np.where(y == 0, rng.random(n) < 0.2, rng.random(n) < 0.9).astype(float)
    depth = 2.0 * is_reply + np.where(y == 0, 0.6, 0.0) + rng.normal(0, 0.3, n)
    X = np.column_stack([is_reply, depth])
    sep = SurrogateSeparator(random_state=0).fit(np.zeros((n, 0)), [], X, ["is_reply", "thread_depth_log"], y)
    j = sep.signal_names_.index("thread_depth_log")
    assert sep.coef_[0, j] > 0 and sep.mean_diff_[0, j] < 0  # the case: weight up, members down
    signals = {s["signal"]: s["direction"] for s in sep.signals(0)["signals"]}
    assert signals == {"is_reply": "lower"}


def test_phrase_vectors_multiply_by_their_cosine_with_the_centroid():
    """``phrase_vectors``: a candidate whose own vector is the persona centroid keeps its score, one at right
    angles or opposite to it scores 0, one in between is scaled by the cosine."""
    E = _unit(200, seed=7)
    ind = np.random.default_rng(8).random((200, 4)) < 0.4
    weight = np.ones(4)
    base = score_candidates(list("abcd"), ind, E, weight)
    c = E.mean(axis=0) / np.linalg.norm(E.mean(axis=0))
    ortho = np.random.default_rng(9).normal(size=c.size)
    ortho -= (ortho @ c) * c
    ortho /= np.linalg.norm(ortho)
    half = 0.5 * c + np.sqrt(0.75) * ortho
    got = score_candidates(list("abcd"), ind, E, weight, phrase_vectors=np.stack([c, ortho, -c, half]))
    assert np.allclose(got, base * np.array([1.0, 0.0, 0.0, 0.5]), rtol=0, atol=1e-6) and (base > 0).all()

