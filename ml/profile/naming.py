"""Persona names a person would write: a short phrase from the persona's own words.

``PersonaNamer.fit(texts, labels, embeddings, words, grams, highlights)`` names every persona:

1. candidates: the persona's top c-TF-IDF n-grams and single terms (``ClassTfidf`` in ``ml.profile.terms``:
   sign-offs, profanity and sensitive words are already out of their vocabularies);
2. each candidate is scored KeyBERT-style against the persona's embedding centroid: the cosine of the
   candidate's own vector (``encoder``, the model of the member embeddings; left out without one) with the
   persona's centroid, times the cosine of the centroid of the persona's members that contain the candidate
   with the persona's centroid, times the square root of the share of members that contain it (a phrase that
   describes the bulk of the persona, not a side thread), of the part of its use that is above its use in
   the other personas (``excess_share``: "flight" in every airline persona says nothing about one of them)
   and of its relative c-TF-IDF weight; an n-gram
   takes the place of a single word it contains when it scores at least half as much ("card pin", not
   "pin"), and a longer n-gram the place of one it contains when more than half as many members write it
   ("order virtual card", not "order virtual"; ``prefer_phrases``); phrases of filler words ("tried using",
   "long does": ``FILLER_WORDS``) keep half their score;
3. a candidate is refused when it repeats a stem ("flight flights"), holds profanity, a person's name
   (a census first name that the persona's texts write capitalised: "Trevor", not "bill") or a sign-off, or,
   for an n-gram, when no two of the persona's texts write it as one phrase (the vocabulary's n-grams run
   across sentences: "flights nashville" from "no flights. #Nashville"; ``written_as_phrase``);
4. the name is the best candidate (written as the members write it, with the stop words the vocabulary dropped
   put back when two members or more wrote it so: "Card isn't working", not "Card working"; ``as_phrased``),
   joined by " & " with the next one that adds new stems, is not filler (and holds no word of
   the first in another spelling: "wifi" / "wi fi", "destinationdragons" / "imagine dragons") when the first
   has a single content word; at most ``max_words`` content words, no stem twice; two parts that most members
   who use both write as one phrase are that phrase ("Contactless not working", not "Contactless & working";
   ``ml.profile.spelling.as_one_phrase``);
5. a behaviour word ("Late-night", "Brief", ...; ``ml.profile.behavior_words``) leads the name, followed by a colon
   ("Polite: freeze my card"), only when the persona's highlighted effect is large:
   ``|std_diff| >= behavior_min_effect`` (1.0 by default; the measurement behind it is in docs/profiles.md),
   and does not repeat a stem of the phrase;
6. names are unique across the run, compared without their behaviour word ("Frequent: customer service" clashes
   with "Customer service"): a clash gets the next unused candidate, else the persona id.

An optional ``proposer`` (``ml.profile.llm_names.LLMNamer``) may propose a name per persona first; a
proposal is used only when it passes the same rules (and is unique), otherwise the phrase above is.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ml.profile.behavior_words import BEHAVIOR_MIN_EFFECT, behavior_word, split_behavior, with_behavior
from ml.profile.first_names import first_names
from ml.profile.name_clash import WORD_RE, content_stems, unique_names
from ml.profile.name_gate import verb_base
from ml.profile.spelling import as_one_phrase, as_phrased, written_as_phrase
from ml.profile.stems import stem
from ml.profile.terms import SENSITIVE_TERMS, STOP_WORDS, is_profane

# words that carry no topic on their own ("tried using", "oh", "did"): a phrase made only of them, or an
# n-gram that starts or ends with one ("long does", "need verify"), keeps half its score, so it names a
# persona only when nothing better is there
FILLER_WORDS = frozenset([
    "oh", "ah", "yes", "yeah", "did", "does", "done", "doing", "tried", "try", "trying", "using", "use",
    "used", "want", "wanted", "need", "needed", "know", "think", "let", "make", "sure", "going", "said",
    "say", "tell", "told", "ask", "asked", "thing", "things", "way", "today", "ago",
    # a word's prefix written apart ("pre order", "re install", "non stop"): the word is the other candidate
    "pre", "re", "un", "non", "anti", "multi",
])
FILLER_STEMS = frozenset(stem(w) for w in FILLER_WORDS)  # their inflections too: "makes", "asks", "thinking"
BLOCK_ROWS = 16384  # members whose embeddings score_candidates converts to float64 at a time
# a phrase one author alone wrote (a traveller's thread, a news bot's posts, one customer's two tweets about a
# restaurant opening) names neither a persona nor a sub-persona, nor is quoted as a typical phrase, where authors
# are known
NAME_MIN_AUTHORS = 2
# the name of a group below the privacy floor none of whose candidates several authors wrote: one author's words
# would quote them (an airline review read "Stewardess about serving drunks drinks", one customer's two tweets, on a
# sub-persona whose quotes were withheld)
FEW_AUTHORS = "Too few authors to name"
# the phrase of a group no candidate of which names it: "General" said nothing of why, and an airline review read
# "All-caps: General" on 15 shouted tweets about 15 things ("All-caps: no shared topic" says the persona is a
# way of writing)
NO_TOPIC = "no shared topic"
SPELLING_TEXTS = 50_000  # a group's first texts that its name's spelling (``as_written``) and name check read
_SIGNOFF_WORD_RE = re.compile(r"^[\^*][a-z]+$")


def written_as_name(word: str, text: str, min_share: float = 0.5) -> bool:
    """True when ``word`` is a census first name and ``text`` writes it capitalised at least
    ``min_share`` of the time ("Trevor" is a name; "bill" in "my bill" is not)."""
    if word.lower() not in first_names():
        return False
    hits = re.findall(rf"(?<![\w@#]){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE)
    return bool(hits) and sum(h[0].isupper() for h in hits) / len(hits) >= min_share


def phrase_ok(phrase: str, persona_text: str = "") -> bool:
    """The naming rules for one phrase: no repeated stem (nor one word in two spellings, ``one_word_twice``), no
    profanity, no sensitive word, no sign-off, no person's name (as ``persona_text`` writes it)."""
    words = phrase.split()
    plain = [w.lower().strip(".,!?&") for w in words]
    if not any(w not in STOP_WORDS for w in plain if w):
        return False
    if any(_SIGNOFF_WORD_RE.match(w) for w in plain) or is_profane(phrase):
        return False
    if any(w in SENSITIVE_TERMS for w in plain):
        return False
    stems = content_stems(phrase, unique=False)
    if len(stems) != len(set(stems)):
        return False
    if any(one_word_twice(a, b) for i, a in enumerate(plain) for b in plain[i + 1:] if a and b):
        return False  # "flightled flight": one word in two spellings
    return not any(written_as_name(w, persona_text) for w in plain if w.isalpha())


def excess_share(rate_in: np.ndarray, rate_rest: np.ndarray) -> np.ndarray:
    """The part of a term's use in a persona that is above its use in the rest of the dump:
    ``1 − rate_rest / rate_in`` (0 when the persona uses it no more than the other members do; 1 for a word of
    this persona alone). Rates are shares of members that use it. "flight" in an airline persona (40 % of its
    tweets, 30 % in the other personas) keeps 0.25, "refund" (15 % against 3 %) keeps 0.8."""
    rate_in, rate_rest = np.asarray(rate_in, dtype=np.float64), np.asarray(rate_rest, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rate_in > 0, np.clip(1.0 - rate_rest / rate_in, 0.0, 1.0), 0.0)


def term_excess(model, cls, cols: list[int], own: int, n: int) -> np.ndarray:
    """``excess_share`` of the terms ``cols`` (columns of a fitted ``ml.profile.terms.ClassTfidf``) in class
    ``cls``: the share of ``cls``'s ``own`` members that use a term (``counts_`` counts members) against its
    share among the other ``n - own``.
    Persona names weigh candidates by it against the other personas, family names against the other
    families. With no other members every term keeps 1."""
    if n - own <= 0:
        return np.ones(len(cols))
    counts = model.counts_[:, cols]
    mine = counts[int(np.flatnonzero(model.classes_ == cls)[0])]
    return excess_share(mine / max(own, 1), (counts.sum(axis=0) - mine) / (n - own))


def score_candidates(candidates: list[str], indicator: np.ndarray, embeddings: np.ndarray,
                     distinctiveness: np.ndarray | None = None, rows: np.ndarray | None = None,
                     excess: np.ndarray | None = None, phrase_vectors: np.ndarray | None = None) -> np.ndarray:
    """KeyBERT-style relevance of each candidate to the persona centroid.

    ``indicator``: (n_members × n_candidates) bool, member contains candidate; ``embeddings``: the
    persona's (n_members × d) L2-normalised embeddings, or with ``rows`` every member's, of which the
    persona's are ``rows``; ``distinctiveness``: the candidate's c-TF-IDF weight over the best weight of
    its kind in the persona (1 when omitted); ``excess``: ``excess_share`` of each candidate (1 when
    omitted); ``phrase_vectors``: (n_candidates × d) L2-normalised vectors of the candidates themselves, from the
    model that made ``embeddings`` (omitted: no such factor). Score = cos(centroid of members containing the
    candidate, persona centroid) × sqrt(share of members containing it × excess) × sqrt(distinctiveness)
    × max(0, cos(phrase vector, persona centroid)); 0 when no member contains it. Sums run in
    float64 over blocks of ``BLOCK_ROWS`` members (no copy of a large persona).
    """
    indicator = np.asarray(indicator, dtype=bool)
    n, d = indicator.shape[0], embeddings.shape[1]
    total, sums = np.zeros(d), np.zeros((indicator.shape[1], d))
    for s in range(0, n, BLOCK_ROWS):
        block = slice(s, s + BLOCK_ROWS)
        E = np.asarray(embeddings[block] if rows is None else embeddings[rows[block]], dtype=np.float64)
        total += E.sum(axis=0)
        sums += indicator[block].T.astype(np.float64) @ E
    centroid = total / max(n, 1)
    centroid /= max(np.linalg.norm(centroid), 1e-12)
    counts = indicator.sum(axis=0)
    scores = np.zeros(len(candidates))
    for j in np.flatnonzero(counts):
        c = sums[j] / counts[j]
        scores[j] = float(c @ centroid / max(np.linalg.norm(c), 1e-12)) * np.sqrt(counts[j] / n)
    if distinctiveness is not None:
        scores *= np.sqrt(np.clip(distinctiveness, 0.0, 1.0))
    if excess is not None:
        scores *= np.sqrt(np.clip(excess, 0.0, 1.0))
    if phrase_vectors is not None and len(candidates):
        scores *= np.clip(np.asarray(phrase_vectors, dtype=np.float64) @ centroid, 0.0, None)
    return scores


WORD_PHRASE_RATIO = 0.5  # of a single word's score that an n-gram holding it needs to take its place


def prefer_phrases(ranked: list[str], scores: dict[str, float], min_ratio: float | None = None,
                   min_ratio_gram: float = 0.5 ** 0.5) -> list[str]:
    """Put an n-gram in place of a single word it contains when it scores at least ``min_ratio`` of it
    ("customer service" rather than "customer"), and a longer n-gram in place of an n-gram it contains when it
    scores at least ``min_ratio_gram`` of it: more than half as many members write it, since a score grows
    with the square root of the share ("order virtual card" rather than "order virtual")."""
    out: list[str] = []
    min_ratio = WORD_PHRASE_RATIO if min_ratio is None else min_ratio
    for cand in ranked:
        stems, size = content_stems(cand), len(cand.split())
        ratio = min_ratio if size == 1 else min_ratio_gram
        longer = [g for g in ranked if len(g.split()) > size and stems <= content_stems(g)
                  and scores[g] >= ratio * scores[cand] and g not in out]
        cand = longer[0] if longer else cand
        if cand not in out:
            out.append(cand)
    return out


def _filler_word(word: str) -> bool:
    return word in FILLER_WORDS or stem(word) in FILLER_STEMS


def is_filler(phrase: str) -> bool:
    """A phrase of filler words only, or an n-gram that starts or ends with one (inflections count:
    "makes", "thinking")."""
    words = phrase.split()
    edges = len(words) > 1 and (_filler_word(words[0]) or _filler_word(words[-1]))
    return all(_filler_word(w) for w in words) or edges


def _compound_parts(phrase: str) -> set[str]:
    """Stems of the content parts of the hyphenated words of ``phrase`` ("Top-up" → {"top"})."""
    return {stem(part) for w in WORD_RE.findall(phrase.lower()) if "-" in w for part in w.split("-")
            if len(part) > 2}  # "top" is a stop word of the vocabulary, but a word of "top-up"; not "e-", "re-"


def _verb_begins(a: str, b: str) -> bool:
    """A verb of ``a`` whose stem has three letters ("fly", "flying" → "fli"; "pay", "use", "set") begins a longer
    word of ``b`` ("flight", "payment", "user", "settings"): one word in two forms. Four letters and more are
    ``one_word_twice``'s own prefix rule."""
    roots = {stem(base) for w in WORD_RE.findall(a.lower()) if w not in STOP_WORDS
             and (base := verb_base(w)) and len(stem(base)) == 3}
    return any(w.startswith(r) and len(w) > len(r) + 1 for r in roots for w in WORD_RE.findall(b.lower()))


def one_word_twice(a: str, b: str) -> bool:
    """Two phrases that hold one word in two spellings: a stem that begins another ("flight" / "flightled"),
    one of five letters or more that ends another after at least four letters (a hashtag, "dragons" /
    "destinationdragons"; not "change" / "exchange", "order" / "border"), or a phrase
    that is another's word split, also once stemmed or with its hyphen ("wi fi" / "wifi" / "wi-fi",
    "pre orders" / "preorder"), or a part of one's hyphenated word that the other holds ("top-up" / "topped up")."""
    sa, sb = ({s.replace("-", "") for s in content_stems(p)} for p in (a, b))  # "wi-fi" / "wifi"
    if _compound_parts(a) & content_stems(b) or _compound_parts(b) & content_stems(a):
        return True  # "top-up" / "topped up": a compound's part in the other phrase
    for x in sa:
        for y in sb:
            short, long_ = sorted((x, y), key=len)
            ends = len(short) >= 5 and long_.endswith(short) and len(long_) - len(short) >= 4  # not "ex|change"
            if (len(short) >= 4 and long_.startswith(short)) or ends:
                return True
    if _verb_begins(a, b) or _verb_begins(b, a):
        return True  # "flight" / "flying": a verb of three letters once stemmed ("fli") that begins the other's word
    wa, wb = ([w.replace("-", "") for w in WORD_RE.findall(p.lower())] for p in (a, b))
    la, lb = ([s.replace("-", "") for s in content_stems(p, unique=False)] for p in (a, b))  # "pre orders"

    def split(x: list[str], y: list[str]) -> bool:
        return len(x) > 1 and "".join(x) in y
    return split(wa, wb) or split(wb, wa) or split(la, lb) or split(lb, la)


def compose(ranked: list[str], max_words: int = 4, join: bool = False) -> tuple[str, list[str]]:
    """Name phrase from candidates ranked best first, and the candidates left unused (for clashes; filler ones
    last, in their order). The phrase opens with the best candidate that is not filler ("Tried & problem" said
    nothing first), or the best one when all are; the next candidate that adds new stems and is not filler joins it when the first
    has one content word, or with ``join`` whatever its length (sub-personas: "Top-up is still pending &
    hour"); at most ``max_words`` content words."""
    if not ranked:
        return NO_TOPIC, []
    head = next((c for c in ranked if not is_filler(c)), ranked[0])
    ranked = [head] + [c for c in ranked if c != head]
    parts, stems = [head], content_stems(head)
    rest = []
    for cand in ranked[1:]:
        cs = content_stems(cand)
        if any(one_word_twice(cand, part) for part in parts):
            continue  # "flight" / "flightled", "wifi" / "wi fi": one word in two spellings
        fits = cs and not cs & stems and len(stems | cs) <= max_words
        if (len(parts) == 1 and (join or len(stems) == 1) and fits
                and not is_filler(cand)):  # "Nope & did": a filler word adds nothing to the name
            parts.append(cand)
            stems |= cs
        elif not cs & stems:
            rest.append(cand)
    return " & ".join(parts), sorted(rest, key=is_filler)  # a clash's qualifier: "(top-up using)" says nothing


class PersonaNamer(BaseEstimator):
    """Names every persona (see the module docstring). Learned: ``names_`` (persona id → name),
    ``candidates_`` (persona id → ranked candidate phrases that passed the rules), ``narrow_`` and ``fragments_``
    (persona id → terms left out for too few authors / n-grams no two texts write as a phrase).

    ``encoder``: optional callable, list of phrases → (n, d) L2-normalised vectors from the model that made
    the member embeddings; when given, each candidate's score is also multiplied by the cosine of its own
    vector with the persona centroid (KeyBERT's relevance: a phrase that says what the persona is about).
    ``join_phrases``: join the best phrase with the next one whatever its length (``compose``), as
    sub-persona names do: siblings often share the best phrase's words, and the second part tells them apart.
    """

    def __init__(self, n_candidates: int = 10, behavior_min_effect: float = BEHAVIOR_MIN_EFFECT,
                 max_words: int = 4, proposer=None, encoder=None, join_phrases: bool = False, min_authors: int = 1):
        self.n_candidates = n_candidates
        self.behavior_min_effect = behavior_min_effect
        self.max_words = max_words
        self.join_phrases = join_phrases
        self.proposer = proposer
        self.encoder = encoder
        self.min_authors = min_authors

    def fit(self, texts: list[str], labels, embeddings, words, grams, highlighted: dict,
            spell_terms: dict | None = None, embedding_rows=None, authors=None,
            withheld: frozenset[int] = frozenset()) -> PersonaNamer:
        """``texts`` raw member texts, ``labels`` persona ids, ``embeddings`` (n, d) L2-normalised,
        ``words``/``grams`` fitted ``ClassTfidf`` (single terms / n-grams), ``highlighted`` persona id →
        highlighted fingerprint entries (``{feature, std_diff, ...}``); ``spell_terms`` persona id → terms
        to spell as its members write them (``spelled_``: id → {term: spelling}, read from the persona's
        first ``SPELLING_TEXTS`` texts while they are at hand, for its description). ``embedding_rows``
        (n,): the row of ``embeddings`` that holds text i's vector, when ``embeddings`` is a larger matrix
        (the sub-personas of one persona are named against the run's embeddings, no copy); None: row i.
        ``authors`` (n,): each member's author, where known: a candidate fewer than ``min_authors`` distinct authors
        wrote is left out (one account's thread or a bot's posts do not name a persona: "assaulted on your flights"
        was one traveller's thread), unless no candidate of the persona has enough and it is not ``withheld`` (below
        the privacy floor: its quotes are withheld, and one author's words as its name would quote them; it is
        named ``FEW_AUTHORS`` instead); ``narrow_`` (id → such terms) lets
        the description leave them out of its quotes too. An n-gram that no two of the persona's texts write as one
        phrase (``written_as_phrase``: the vocabulary's n-grams run across sentences and dropped words) is not a
        candidate either; ``fragments_`` (id → such n-grams) keeps it out of the quotes too."""
        labels = np.asarray(labels)
        self._authors, self._withheld = None, frozenset(int(w) for w in withheld)
        if authors is not None and self.min_authors > 1:  # an unknown author counts as one, not one per member
            known = ~pd.isna(np.asarray(authors, dtype=object))
            self._authors = np.where(known, np.asarray(authors, dtype=object), "")
        embeddings = np.asarray(embeddings)  # read a block of each persona's rows at a time (score_candidates)
        at = np.arange(len(labels)) if embedding_rows is None else np.asarray(embedding_rows, dtype=np.int64)
        self.names_, self.candidates_, self.spelled_, self.narrow_, self.fragments_ = {}, {}, {}, {}, {}
        # (model, term index) pairs; each persona's texts are counted when it is named (no (n × terms) matrix)
        mats = [(m, {t: j for j, t in enumerate(m.vocabulary_)}) for m in (grams, words) if m.weights_.shape[1]]
        pools = {int(pid): self._pool(texts, labels, pid, mats, spell_terms) for pid in np.unique(labels)}
        if self._authors is not None:  # a persona no candidate of which several authors wrote (one news bot's
            floor, self._authors = self._authors, None  # posts) is named from its own words, not "General"
            bare = [pid for pid, pool in pools.items()
                    if not pool[1] and self.narrow_.get(pid) and pid not in self._withheld]
            pools |= {pid: self._pool(texts, labels, pid, mats, None) for pid in bare}
            self.narrow_ = {pid: terms for pid, terms in self.narrow_.items() if pid not in bare}  # named from them
            self._authors = floor
        vectors = self._phrase_vectors(pools)
        rest = {}
        for pid, (rows, cands, ind, weight, excess) in pools.items():
            phrase_vecs = np.array([vectors[c] for c in cands]) if vectors is not None and cands else None
            scores = score_candidates(cands, ind, embeddings, weight, rows=at[rows], excess=excess,
                                      phrase_vectors=phrase_vecs)
            scores *= [0.5 if is_filler(c) else 1.0 for c in cands]
            ranked = [cands[j] for j in np.argsort(-scores, kind="stable") if scores[j] > 0]
            ranked = prefer_phrases(ranked, dict(zip(cands, scores, strict=True)))
            self.candidates_[pid] = ranked
            phrase, rest[pid] = compose(ranked, self.max_words, self.join_phrases)
            if not ranked and pid in self._withheld:
                self.names_[pid] = FEW_AUTHORS
                continue
            if phrase != NO_TOPIC and pid not in self._withheld:  # below the floor the bare words: no member's wording
                # joined again, not kept from _pool: every persona's joined texts at once would copy the whole dump
                joined = "\n".join(texts[i] for i in rows)  # "Card isn't working", "ATM": as the members write it
                phrase = self._as_written(phrase, [texts[i] for i in rows[:SPELLING_TEXTS]], joined)
            self.names_[pid] = with_behavior(behavior_word(highlighted.get(pid, []), self.behavior_min_effect),
                                             phrase)
        self._propose(texts, labels)
        self.names_ = unique_names(self.names_, rest, lambda pid, cand: as_phrased(  # a qualifier as written: "(DFW)"
            cand, "\n".join(texts[i] for i in pools[pid][0])), topic=lambda name: split_behavior(name)[1])
        return self

    def _propose(self, texts, labels) -> None:
        """The proposer's names where they pass the rules (``ml.profile.llm_names``). A group below the privacy floor
        keeps its name (no texts go to a model for it), and so does one with no candidate (a guess from nothing)."""
        if self.proposer is None:
            return
        from ml.profile.llm_names import apply_proposals

        open_names = {pid: n for pid, n in self.names_.items()
                      if pid not in self._withheld and split_behavior(n)[1].lower() != NO_TOPIC}
        self.names_ = {**self.names_, **apply_proposals(self.proposer, open_names, self.candidates_, texts, labels,
                                                       self.max_words)}

    @staticmethod
    def _as_written(phrase: str, persona_texts: list[str], joined: str) -> str:
        """The composed phrase as the members write it: two parts that most members who use both write together
        become that phrase ("Transfer failed", not "Transfer & failed"; ``as_one_phrase``), else each part
        ``as_phrased``."""
        parts = phrase.split(" & ")
        together = as_one_phrase(*parts, persona_texts) if len(parts) == 2 else None
        return together or " & ".join(as_phrased(part, joined) for part in parts)

    def _pool(self, texts, labels, pid, mats, spell_terms) -> tuple:
        """Persona ``pid``'s candidates that pass the rules, best c-TF-IDF first (n-grams, then single terms):
        ``(its rows, candidates, indicator (members × candidates), relative weight, excess share)``; spells the terms
        ``spell_terms`` asks for (``spelled_``) from the same texts."""
        rows = np.flatnonzero(labels == pid)
        persona_texts = [texts[i] for i in rows]  # joined for the phrase check, counted for the candidates
        persona_text = "\n".join(persona_texts)
        own = persona_text if len(rows) <= SPELLING_TEXTS else "\n".join(persona_texts[:SPELLING_TEXTS])
        held = int(pid) in self._withheld  # below the privacy floor: no wording restored from the members' texts
        if (wanted := (spell_terms or {}).get(int(pid))) and not held:
            self.spelled_[int(pid)] = {t: as_phrased(t, own) for t in wanted}  # "app doesn't work", "ATM"
        cands, cols, weight, excess = [], [], [], []
        for model, index in mats:
            top = model.top_terms(pid, self.n_candidates)
            picked = [(term, w) for term, w in top if term not in cands and phrase_ok(term, persona_text)]
            if any(len(term.split()) > 1 for term, _ in picked):  # "flights nashville" from "flights. #Nashville"
                unwritten = {term for term, _ in picked if not written_as_phrase(term, own)}
                self.fragments_.setdefault(int(pid), set()).update(unwritten)
                picked = [(term, w) for term, w in picked if term not in unwritten]
            if picked:
                counted = model.transform(persona_texts)
                hits = counted[:, [index[term] for term, _ in picked]].toarray() > 0
                if self._authors is not None:  # a term of fewer distinct authors than the floor is left out
                    writers = self._authors[rows]
                    # below the privacy floor an unknown author counts as none, as the floor counts them
                    wide = [len(set(writers[hits[:, j]]) - ({""} if held else set())) >= self.min_authors
                            for j in range(hits.shape[1])]
                    self.narrow_.setdefault(int(pid), set()).update(t for (t, _), ok in zip(picked, wide) if not ok)
                    picked, hits = [t for t, ok in zip(picked, wide) if ok], hits[:, np.asarray(wide, dtype=bool)]
            if picked:
                cands += [term for term, _ in picked]
                cols += list(hits.T)
                weight += [w / top[0][1] for _, w in picked]
                excess += list(term_excess(model, pid, [index[t] for t, _ in picked], len(rows), labels.size))
        ind = np.column_stack(cols) if cols else np.zeros((len(rows), 0), dtype=bool)
        return rows, cands, ind, np.asarray(weight), np.asarray(excess)

    def _phrase_vectors(self, pools: dict) -> dict[str, np.ndarray] | None:
        """Every candidate's vector from ``encoder`` (one call for the run), or None without an encoder."""
        if self.encoder is None:
            return None
        phrases = sorted({c for _, cands, *_ in pools.values() for c in cands})
        if not phrases:
            return {}
        V = np.asarray(self.encoder(phrases), dtype=np.float64)
        return dict(zip(phrases, V, strict=True))
