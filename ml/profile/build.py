"""Persona profiles (``ml.profile.build_profiles``): language, activity, behavioral fingerprint, evidence,
name, description, separators.

``build_profiles(members, features, labels, reassigned, embeddings, config)`` (CONTRACTS §4):

- ``members``: member frame (``member_id``, ``text`` raw, optional ``local_hour``, ``local_weekday``);
- ``features``: raw (n, 36) matrix in ``ml.features.behavioral.FEATURE_NAMES`` order (NaN = missing);
- ``labels``: persona id per member (no -1); ``reassigned``: bool per member (True = was noise);
- ``embeddings``: (n, d) L2-normalised text embeddings;

returns one JSON-ready dict per persona, sorted by id, with ``id``, ``size``, ``share``, ``core_size``,
``reassigned_count``, ``name``, ``description``, ``top_terms``/``top_ngrams`` (``[{term, weight}]``),
``activity``, ``fingerprint``, ``highlights``, ``evidence`` (``[{member_id, text, similarity}]``,
masked; empty with ``evidence_withheld: true`` and ``evidence_withheld_reason`` when fewer than
``min_evidence_authors`` distinct authors back the persona, ``distinct_authors`` None where unknown),
``separators``, ``tone`` (negative share beside everyone's, ``ml.profile.tone``) and ``brand_handles``
(accounts left unmasked). Nothing about protected
attributes is inferred; sensitive words are kept out of terms and names (``terms.SENSITIVE_TERMS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.ingest.timebasis import CLOCK_FEATURES, clock_words_allowed
from ml.profile.activity import ActivityProfiler, date_bound
from ml.profile.behavior_words import name_note
from ml.profile.config import ProfileConfig
from ml.profile.describe import date_reason, describe, one_voice_sentence
from ml.profile.evidence import EvidenceSelector, privacy_floor, terms_of_several, written_by_several
from ml.profile.fingerprint import BehavioralFingerprint, feature_specs, highlights
from ml.profile.llm_names import name_proposer_from_env
from ml.profile.masking import keep_handles_for
from ml.profile.name_share import MAX_TEXTS, name_figures
from ml.profile.naming import NAME_MIN_AUTHORS, PersonaNamer
from ml.profile.separators import SurrogateSeparator
from ml.profile.terms import SHOWN_AT_LEAST, ClassTfidf
from ml.profile.tone import ToneProfiler
from ml.runtime.errors import InputError

__all__ = ["build_profiles"]


def _check_inputs(members, features, labels, reassigned, embeddings) -> None:
    if not isinstance(members, pd.DataFrame):
        raise InputError("build_profiles: members must be a pandas DataFrame (the member frame)")
    for col in ("member_id", "text"):
        if col not in members.columns:
            raise InputError(f"build_profiles: members has no '{col}' column; build it with ml.units.build_units")
    n = len(members)
    for name, arr in (("features", features), ("labels", labels), ("reassigned", reassigned),
                      ("embeddings", embeddings)):
        if len(arr) != n:
            raise InputError(f"build_profiles: {name} has {len(arr)} rows but members has {n}; pass aligned arrays")
    if n and (np.asarray(labels) < 0).any():
        raise InputError("build_profiles: labels contain -1 (noise); reassign noise before profiling")


def _nameable(highlighted: list[dict], time_basis: str | None, few_weekends: bool = False) -> list[dict]:
    """Highlights a name may draw a behaviour word from: no clock words ("Late-night", "Weekend") unless
    the hours are the customers' own (``ml.ingest.timebasis.clock_words_allowed``), and no "Weekend" /
    "Weekday" when the data covers a weekend day on too few dates (``ActivityProfiler.few_weekends_``)."""
    return [f for f in highlighted if (clock_words_allowed(time_basis) or f["feature"] not in CLOCK_FEATURES)
            and not (few_weekends and f["feature"] == "weekend_share")]


def _weekend_caveat(highlighted: list[dict], activity: ActivityProfiler) -> list[dict]:
    """The weekend highlight of a dump whose Saturdays or Sundays are their dates (``few_weekends_``) says so:
    "posts 54% of messages on Saturday or Sunday (population 32%; the data's Saturdays and Sundays are only 1
    date each)" (``ml.profile.describe.date_reason``)."""
    if not activity.few_weekends_:
        return highlighted
    act = {"population_weekday": activity.population_weekday_.tolist(),
           "population_weekday_dates": activity.weekday_dates_}
    reason = date_reason(act, [d for d in (5, 6) if date_bound(activity.weekday_dates_[d])], in_all=False)
    return [{**f, "sentence": f"{f['sentence'][:-1]}; {reason})"} if reason and f["feature"] == "weekend_share"
            and f["sentence"].endswith(")") else f for f in highlighted]


@dataclass
class _Fitted:
    """The estimators fitted on all members that every persona's profile reads."""

    words: ClassTfidf
    grams: ClassTfidf
    activity: ActivityProfiler
    fingerprint: BehavioralFingerprint
    selector: EvidenceSelector
    tone: ToneProfiler
    X: np.ndarray
    specs: list


def _fit_parts(members, texts, features, labels, cfg: ProfileConfig, brands: tuple, time_basis,
               tone_texts) -> _Fitted:
    """``texts``: what terms are read from (masked); ``tone_texts``: the members' own texts, for the tone."""
    specs = feature_specs()
    X = np.asarray(features, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(specs):
        raise InputError(f"build_profiles: features has shape {X.shape}; expected ({len(members)}, {len(specs)}) "
                         "raw values in ml.features.behavioral.FEATURE_NAMES order")
    return _Fitted(
        ClassTfidf((1, 1), cfg.min_df, cfg.max_features, brands).fit(texts, labels),
        ClassTfidf((2, 3), cfg.min_df, cfg.max_features, brands).fit(texts, labels),
        ActivityProfiler(cfg.n_peak_hours, time_basis).fit(members, labels),
        BehavioralFingerprint(time_basis=time_basis).fit(X, labels),
        EvidenceSelector(cfg.n_evidence, cfg.evidence_pool, cfg.mmr_lambda, cfg.near_duplicate_cosine,
                         cfg.near_duplicate_jaccard, cfg.min_evidence_words, cfg.evidence_max_chars),
        ToneProfiler(cfg.tone_sample_per_persona, cfg.min_effect, random_state=cfg.random_state).fit(
            tone_texts, labels),
        X, specs)


def _terms(tfidf: ClassTfidf, pid, n: int, at_least: int = SHOWN_AT_LEAST) -> list[dict]:
    return [{"term": t, "weight": round(w, 6)} for t, w in tfidf.shown_terms(pid, n, at_least)]


def build_profiles(members: pd.DataFrame, features, labels, reassigned, embeddings,
                   config: ProfileConfig | None = None, time_basis: str | None = None,
                   term_texts=None, known_names=(), encode=None) -> list[dict]:
    """Profile every persona; see the module docstring for inputs and output. ``time_basis``: the clock
    of ``local_hour``/``local_weekday`` ("UTC", "local", an IANA zone; None = unknown; ``ml.ingest.timebasis``).
    ``term_texts``: the texts terms, n-grams, names and separators are read from, aligned with ``members``
    (the pipeline passes the masked texts, so no person's name, number or handle can become a term; None:
    the members' texts). Evidence is picked from the members' texts and masked (``known_names``: people's
    given names known from the data, e.g. staff sign-offs, masked too: ``ml.profile.pii``). ``encode``: the
    run's encoder (list of phrases → L2-normalised vectors like ``embeddings``); with
    ``config.name_phrase_vectors`` name candidates are scored by their own vectors too (``PersonaNamer``)."""
    cfg = config or ProfileConfig()
    _check_inputs(members, features, labels, reassigned, embeddings)
    labels, reassigned, embeddings = np.asarray(labels), np.asarray(reassigned, dtype=bool), np.asarray(embeddings)
    members = members.reset_index(drop=True)
    texts = members["text"].fillna("").astype(str)  # a string column: Python strings per persona, as read
    member_ids = members["member_id"].astype(str).to_numpy()
    n = len(members)
    if n == 0:
        return []
    keep_handles = keep_handles_for(texts, cfg)
    known = "author" in members and members["author"].notna().any()
    authors = members["author"].to_numpy(dtype=object) if known else None  # privacy floor: None = unknown
    words = texts.tolist() if term_texts is None else [t if isinstance(t, str) else "" for t in term_texts]
    if len(words) != n:
        raise InputError(f"build_profiles: term_texts has {len(words)} texts but members has {n} rows")
    fit = _fit_parts(members, words, features, labels, cfg, tuple(keep_handles), time_basis, texts)

    n_messages = members["n_messages"].to_numpy() if "n_messages" in members else None  # per member
    profiles, highlighted = [], {}
    for pid in np.unique(labels):
        mask = labels == pid
        fingerprint = fit.fingerprint.profile(pid)
        hl = highlighted[int(pid)] = _weekend_caveat(highlights(fingerprint, cfg.n_highlights, cfg.min_highlight_effect,
                                                                cfg.min_feature_coverage), fit.activity)
        privacy = privacy_floor(None if authors is None else authors[mask], cfg.min_evidence_authors,
                                None if n_messages is None else n_messages[mask])
        profiles.append({
            "id": int(pid), "size": int(mask.sum()), "share": float(mask.sum() / n),
            "core_size": int((mask & ~reassigned).sum()), "reassigned_count": int((mask & reassigned).sum()),
            "top_terms": _terms(fit.words, pid, cfg.n_terms), "top_ngrams": _terms(fit.grams, pid, cfg.n_ngrams, 0),
            "activity": fit.activity.profile(pid),
            "tone": fit.tone.profile(pid),
            "fingerprint": fingerprint,
            "highlights": [f["sentence"] for f in hl],
            "highlight_features": [f["feature"] for f in hl],
            "evidence": [] if privacy["evidence_withheld"] else fit.selector.pick(  # masked below
                member_ids[mask], texts[mask].tolist(), embeddings, ~reassigned[mask],
                rows=np.flatnonzero(mask), authors=None if authors is None else authors[mask]),
            **privacy,
            "brand_handles": list(keep_handles),
        })
    _floor_terms(profiles, words, labels, authors)
    masked = fit.selector.mask([p["evidence"] for p in profiles], keep_handles, known_names)
    for p, evidence in zip(profiles, masked, strict=True):
        p["evidence"] = evidence
    encoder = encode if cfg.name_phrase_vectors else None
    _name_and_describe(profiles, highlighted, fit, words, labels, embeddings, cfg, time_basis, encoder, authors)
    return profiles


def _floor_terms(profiles: list[dict], texts: list[str], labels: np.ndarray, authors) -> None:
    """Below the privacy floor no term or phrase that one author alone wrote is shown (``terms_of_several``)."""
    if authors is None:
        return
    for p in profiles:
        if p["evidence_withheld"]:
            rows = np.flatnonzero(labels == p["id"])
            p["top_terms"] = terms_of_several(p["top_terms"], texts, rows, authors, NAME_MIN_AUTHORS)
            p["top_ngrams"] = terms_of_several(p["top_ngrams"], texts, rows, authors, NAME_MIN_AUTHORS)


def _separators(sep, p: dict, cfg, texts, own_rows, authors) -> dict:
    """The persona's separator signals; below the privacy floor a term signal only where two of its authors or more
    wrote the term (a review found "airways", one author's word, among a withheld persona's signals)."""
    out = sep.signals(p["id"], cfg.n_separator_signals)
    if p.get("evidence_withheld") and authors is not None:
        out = {**out, "signals": [s for s in out["signals"] if s["kind"] != "term"
                                  or written_by_several(s["signal"], texts, own_rows, authors, NAME_MIN_AUTHORS)]}
    return out


def _shown(profile: dict) -> list[str]:
    """The terms and n-grams a persona's page shows and its description quotes (spelt by the namer from its texts)."""
    return list(dict.fromkeys(t["term"] for t in profile["top_terms"] + profile["top_ngrams"]))


def _name_and_describe(profiles, highlighted, fit: _Fitted, texts, labels, embeddings, cfg, time_basis,
                       encoder=None, authors=None) -> None:
    """Separators (term indicators of every persona's top terms + standardized features), names and
    descriptions, set on ``profiles`` in place."""
    words = fit.words
    index = {t: j for j, t in enumerate(words.vocabulary_)}
    # a persona below the privacy floor brings only the terms two of its authors wrote (its filtered top_terms)
    vocab = list(dict.fromkeys(t for p in profiles for t in (
        [x["term"] for x in p["top_terms"] if x["term"] in index] if p.get("evidence_withheld")
        else [t for t, _ in words.top_terms(p["id"], cfg.surrogate_terms_per_persona)])))
    sep = SurrogateSeparator(cfg.surrogate_test_size, cfg.surrogate_max_rows, cfg.random_state)
    sample = [texts[i] for i in sep.sample_rows(len(texts))]  # the separator reads a sample: count its texts only
    T = words.transform(sample)[:, [index[t] for t in vocab]] if vocab else np.zeros((len(sample), 0))
    sep.fit(T, vocab, fit.X, [name for name, _ in fit.specs], labels)
    nameable = {pid: _nameable(hl, time_basis, fit.activity.few_weekends_) for pid, hl in highlighted.items()}
    namer = PersonaNamer(proposer=name_proposer_from_env(), encoder=encoder, min_authors=NAME_MIN_AUTHORS).fit(
        texts, labels, embeddings, words, fit.grams, nameable, spell_terms={p["id"]: _shown(p) for p in profiles},
        authors=authors,  # also spells what descriptions quote; a phrase of too few authors is neither
        withheld=frozenset(p["id"] for p in profiles if p.get("evidence_withheld")))
    labels_arr = np.asarray(labels)
    for p in profiles:
        p["name"] = namer.names_[p["id"]]
        note = name_note(p["name"], nameable.get(p["id"], []), namer.behavior_min_effect)
        if note:
            p["name_note"] = note
        rows = np.flatnonzero(labels_arr == p["id"])
        own = rows[:MAX_TEXTS]
        p["name_share"], parts = name_figures(p["name"], [texts[i] for i in own])
        if parts:
            p["name_parts"] = parts
        p["separators"] = _separators(sep, p, cfg, texts, own_rows=rows, authors=authors)
        spelled = namer.spelled_.get(p["id"], {})
        for t in p["top_terms"] + p["top_ngrams"]:  # the chips show the members' wording ("card isn't working")
            if spelled.get(t["term"], t["term"]) != t["term"]:
                t["written"] = spelled[t["term"]]
        p["one_voice"] = one_voice_sentence(p)
        p["description"] = describe(p, spell=lambda t, s=spelled: s.get(t, t),  # "ATM", as the name spells it
                                    ranked=namer.candidates_.get(p["id"]),
                                    skip=namer.narrow_.get(p["id"], set()) | namer.fragments_.get(p["id"], set()))
