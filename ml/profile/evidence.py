"""Evidence snippets: real member texts that best represent a persona.

For a persona: take its core members (not reassigned from noise; all members when it has none), compute
the centre of their L2-normalised embeddings, rank by cosine similarity to it and keep the
``evidence_pool`` closest. Pick greedily by maximal marginal relevance
``λ·sim(centre) − (1−λ)·max sim(already picked)``, skipping near duplicates (cosine above
``near_duplicate_cosine`` or token Jaccard above ``near_duplicate_jaccard`` to a picked text) and texts
with fewer than ``min_evidence_words`` words, and texts with a profane word (``ml.profile.terms.is_profane``)
while enough of the pool is without one (a persona whose texts nearly all swear keeps them). Where authors are
known, one author's texts fill at most two places of the pool, and a second snippet of an author is picked
only when no other author's text is left (``PER_AUTHOR_POOL``). Each snippet is masked (``mask_texts``: one batch for all
personas, through the on-disk mask cache, so a re-run loads no name model when its texts were masked
before) and keeps its ``member_id``; ``similarity`` is its cosine to the centre.

Privacy floor (``privacy_floor``): where authors are known, a persona backed by fewer than
``min_evidence_authors`` distinct authors shows no snippets at all (``evidence_withheld: true`` and a
reason): with so few people behind it, a quote is close to identifying its author.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from ml.filtering.text import HANDLE_RE, URL_RE
from ml.profile.masking import mask_texts
from ml.profile.terms import is_profane

_WORD_RE = re.compile(r"\w+")
_HANDLE_OR_URL_RE = re.compile(rf"{URL_RE}|{HANDLE_RE}")


def _tokens(text: str) -> set[str]:
    """The words of ``text`` without its @handles and URLs (masked, "@abc https://t.co/x" shows nothing)."""
    return set(_WORD_RE.findall(_HANDLE_OR_URL_RE.sub(" ", text).lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


PER_AUTHOR_POOL = 2  # texts of one author in a persona's evidence pool


def _author_keys(authors, n: int) -> list | None:
    """Each member's author as a key, an unknown one (None, NaN) its own (never the same as another's); None
    when ``authors`` is None or no author is known."""
    if authors is None:
        return None
    values = list(authors)
    if len(values) != n:
        raise ValueError(f"authors has {len(values)} values for {n} members")
    known = [not pd.isna(v) for v in values]
    if not any(known):
        return None
    return [v if ok else ("?", i) for i, (v, ok) in enumerate(zip(values, known, strict=True))]


def _cut(text: str, max_chars: int) -> str:
    """A snippet of at most about ``max_chars``: spaces collapsed within each line, line breaks kept (a conversation's
    or an author's messages are one per line, ``ml.units``: joined by spaces, a help-desk review could not see where
    one message ended), cut at a word."""
    text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    at = max(cut.rfind(" "), cut.rfind("\n"))  # the last word break
    return (cut[:at] if at > 0 else cut).rstrip() + " …"


def privacy_floor(authors, min_authors: int, messages=None) -> dict:
    """Privacy fields of one persona's profile from its members' ``authors`` (None: authors unknown) and, where
    members hold several messages (``--unit author`` / ``conversation``), each member's ``messages`` count.

    Returns ``{distinct_authors, top_author_members, top_author_messages, message_count, evidence_withheld,
    evidence_withheld_reason}``; ``top_author_members``: how many members its most frequent author accounts for
    (one customer's long thread can be a persona's bulk: ``ml.profile.describe`` says so above
    ``ONE_VOICE_SHARE``); ``top_author_messages`` of ``message_count``: the messages of its most prolific author
    (under ``--unit author`` every member is one author, and one of them can still write half the messages).
    All None and nothing withheld when authors are unknown.
    """
    if authors is None:
        return {"distinct_authors": None, "top_author_members": None, "top_author_messages": None,
                "message_count": None, "evidence_withheld": False, "evidence_withheld_reason": None}
    who = pd.Series(authors, dtype=object)
    counts = who.dropna().value_counts()
    n = len(counts)
    weights = pd.Series(1 if messages is None else np.asarray(messages, dtype=float), index=who.index)
    per_author = weights[who.notna()].groupby(who.dropna()).sum()
    withheld = below_floor(authors, min_authors)
    reason = (f"only {n} distinct author{'s' if n != 1 else ''} behind this persona; evidence is shown from "
              f"{min_authors} (profile.min_evidence_authors)") if withheld else None
    return {"distinct_authors": n, "top_author_members": int(counts.iloc[0]) if n else None,
            "top_author_messages": int(per_author.max()) if n else None, "message_count": int(weights.sum()),
            "evidence_withheld": withheld, "evidence_withheld_reason": reason}


class _UnitRows:
    """L2-normalised float64 rows of ``embeddings`` (or of its rows ``rows``), built a block at a time."""

    BLOCK = 16384

    def __init__(self, embeddings, rows=None):
        self.embeddings = embeddings if hasattr(embeddings, "shape") else np.asarray(embeddings)
        self.rows = None if rows is None else np.asarray(rows)

    def __len__(self) -> int:
        return len(self.embeddings) if self.rows is None else self.rows.size

    def __getitem__(self, idx) -> np.ndarray:
        idx = np.asarray(idx)
        E = np.asarray(self.embeddings[idx if self.rows is None else self.rows[idx]], dtype=np.float64)
        norms = np.linalg.norm(E, axis=-1, keepdims=True)
        return E / np.where(norms > 0, norms, 1.0)

    def mean(self, idx: np.ndarray) -> np.ndarray:
        """Mean of the normalised rows ``idx``."""
        total = sum(self[idx[s:s + self.BLOCK]].sum(axis=0) for s in range(0, idx.size, self.BLOCK))
        return total / idx.size

    def dot(self, v: np.ndarray) -> np.ndarray:
        """Every normalised row's dot product with ``v``."""
        return np.concatenate([self[np.arange(s, min(s + self.BLOCK, len(self)))] @ v
                               for s in range(0, len(self), self.BLOCK)])


class EvidenceSelector:
    """Choose representative, diverse, masked snippets.

    ``select(member_ids, texts, embeddings, core_mask, keep_handles)``: arrays for ONE persona's members;
    returns ``[{member_id, text, similarity}]`` (at most ``n``). For many personas, ``pick`` each (raw
    texts, never shown) and ``mask`` them all in one batch.
    """

    def __init__(self, n: int = 8, pool: int = 60, mmr_lambda: float = 0.7, dup_cosine: float = 0.9,
                 dup_jaccard: float = 0.7, min_words: int = 3, max_chars: int = 400):
        self.n = n
        self.pool = pool
        self.mmr_lambda = mmr_lambda
        self.dup_cosine = dup_cosine
        self.dup_jaccard = dup_jaccard
        self.min_words = min_words
        self.max_chars = max_chars

    def select(self, member_ids, texts, embeddings, core_mask=None, keep_handles=(), rows=None,
               known_names=()) -> list[dict]:
        return self.mask([self.pick(member_ids, texts, embeddings, core_mask, rows)], keep_handles, known_names)[0]

    def mask(self, picked: list[list[dict]], keep_handles=(), known_names=()) -> list[list[dict]]:
        """``pick`` results (one list per persona), every text masked and cut, in one ``mask_texts`` call
        (``known_names``: people's given names known from the data, ``mask_texts``)."""
        texts = [s["text"] for group in picked for s in group]
        masked = iter(mask_texts(texts, keep_handles, known_names=known_names))
        return [[{**s, "text": _cut(next(masked), self.max_chars)} for s in group] for group in picked]

    def pick(self, member_ids, texts, embeddings, core_mask=None, rows=None, authors=None) -> list[dict]:
        """Like ``select``, texts *unmasked* and uncut: pass the result to ``mask`` before showing it.

        ``rows``: the persona's row positions in ``embeddings`` (then all members' embeddings, read a block
        at a time: a persona of 200,000 members is never copied whole); None: ``embeddings`` are the persona's.
        ``authors``: each member's author where known (None, or NaN for one, = unknown): the pool keeps at most
        ``PER_AUTHOR_POOL`` texts of one author, and a snippet of an author already quoted is taken only when no
        other author's text is left (one customer's thread of eight tweets is one voice, and quoting it
        eight times comes close to identifying them)."""
        unit = _UnitRows(embeddings, rows)
        n = len(unit)
        if n == 0:
            return []
        core = np.ones(n, bool) if core_mask is None else np.asarray(core_mask, bool)
        if not core.any():
            core = np.ones(n, bool)
        centre = unit.mean(np.flatnonzero(core))
        centre /= max(np.linalg.norm(centre), 1e-12)
        sim = unit.dot(centre)
        who = _author_keys(authors, n)
        usable, words = self._pool(np.flatnonzero(core), sim, texts, who)
        picked = self._diverse(unit, sim, usable, words, who)
        return [
            {
                "member_id": str(member_ids[i]),
                "text": str(texts[i]),
                "similarity": round(float(sim[i]), 4),
            }
            for i in picked
        ]

    def _pool(self, core_rows: np.ndarray, sim: np.ndarray, texts, who) -> tuple[list[int], dict]:
        """The candidates, most central first: the ``pool * 3`` core members nearest the centre with at least
        ``min_words`` words (all of them when too few have), at most ``PER_AUTHOR_POOL`` of one author, cut to
        ``pool``, profane ones left out unless the persona's texts all swear. Also each candidate's word set."""
        cand = core_rows[np.argsort(-sim[core_rows], kind="stable")][: self.pool * 3]
        words = {int(i): _tokens(str(texts[i])) for i in cand}
        usable = [int(i) for i in cand if len(words[int(i)]) >= self.min_words]
        if len(usable) < self.n:  # short texts only: accept them rather than show nothing
            usable = [int(i) for i in cand]
        if who is not None:  # at most PER_AUTHOR_POOL texts of one author in the pool
            seen: Counter = Counter()
            kept = []
            for i in usable:
                seen[who[i]] += 1
                if seen[who[i]] <= PER_AUTHOR_POOL:
                    kept.append(i)
            usable = kept
        usable = usable[: self.pool]
        clean = [i for i in usable if not is_profane(str(texts[i]))]
        if len(clean) >= min(self.n, len(usable)):  # swearing only where the persona's texts all swear
            usable = clean
        return usable, words

    def _diverse(self, unit, sim: np.ndarray, usable: list[int], words: dict, who) -> list[int]:
        """Up to ``n`` of ``usable`` by maximal marginal relevance: none closer than ``dup_cosine`` /
        ``dup_jaccard`` to one already taken, and an author not yet quoted before the best when there is one."""
        picked: list[int] = []
        while usable and len(picked) < self.n:
            red = (unit[usable] @ unit[picked].T).max(axis=1) if picked else np.zeros(len(usable))
            score = self.mmr_lambda * sim[usable] - (1 - self.mmr_lambda) * red
            chosen = None
            quoted = set() if who is None else {who[j] for j in picked}
            for k in np.argsort(-score, kind="stable"):
                i = usable[k]
                if picked and (red[k] > self.dup_cosine
                               or max(_jaccard(words.get(i, set()), words.get(j, set())) for j in picked)
                               > self.dup_jaccard):
                    continue
                if chosen is None:
                    chosen = i  # the best; an author not yet quoted goes before it
                if who is None or who[i] not in quoted:
                    chosen = i
                    break
            if chosen is None:
                break
            picked.append(chosen)
            usable.remove(chosen)
        return picked


def below_floor(authors, min_authors: int) -> bool:
    """Whether a group's ``authors`` (None: unknown, nothing withheld) hold fewer distinct known authors than
    ``min_authors``: the privacy floor, for its evidence (``privacy_floor``) and its names and terms."""
    if authors is None:
        return False
    return pd.Series(authors, dtype=object).dropna().nunique() < min_authors


def written_by_several(term: str, texts: list[str], rows, authors, min_authors: int = 2) -> bool:
    """Whether at least ``min_authors`` distinct known authors of ``rows`` (positions in ``texts`` and ``authors``)
    wrote ``term`` as whole words. Unknown authors count as none."""
    pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
    who = set()
    for i in rows:
        if not pd.isna(authors[i]) and pattern.search(texts[i]):
            who.add(authors[i])
            if len(who) >= min_authors:
                return True
    return False


def terms_of_several(terms: list[dict], texts: list[str], rows, authors, min_authors: int = 2) -> list[dict]:
    """``terms`` (``[{term, weight}]``) that ``written_by_several`` says several authors wrote: the terms of a group
    below the privacy floor, whose quotes are withheld (an airline review read one customer's "sexual, assult,
    police, stewardess" as a withheld sub-persona's terms)."""
    return [t for t in terms if written_by_several(t["term"], texts, rows, authors, min_authors)]
