"""Distinctive terms per persona by class-based TF-IDF (c-TF-IDF, as in BERTopic).

All members of a persona form one document. For term t and persona c:
``w(t, c) = tf(t, c) / |c| × log(1 + A / f(t))`` where ``tf`` is the number of c's members whose text holds
t (a member counts a term once: one member repeating a word, or pasting a log, does not make it the persona's
word), ``|c|`` the sum of those counts over c's terms, ``A`` its mean over personas and ``f(t)`` the
number of members holding t over all personas. Texts are cleaned first (``clean_for_terms``): URLs, @handles, e-mails, HTML entities and
placeholders are removed, agent sign-offs at line ends ("*ErikS", "^JAY", "-Becky":
``ml.filtering.agents.strip_signoffs``) too, and the token pattern needs a letter, so numbers-only tokens
never become terms. Profanity (better-profanity's word list, ``is_profane``) is masked: a term containing
a profane word is dropped from the vocabulary, so it reaches neither terms nor names.
Stop words: scikit-learn's English list plus Twitter/support boiler-plate (``EXTRA_STOP_WORDS``).
Terms naming protected or sensitive attributes (``SENSITIVE_TERMS``) are dropped from the vocabulary, so
they never appear in terms, names or descriptions.
"""

from __future__ import annotations

import html
import math
import re
from functools import lru_cache, partial

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from ml.filtering.agents import strip_signoffs
from ml.profile.masking import EMAIL_RE, HANDLE_RE, URL_RE
from ml.profile.name_gate import base_forms
from ml.profile.stems import stem

EXTRA_STOP_WORDS = frozenset(
    ["rt", "amp", "dms", "pm", "via", "im", "ive", "id", "ill", "youre", "youve", "theyre", "dont", "doesnt", "didnt", "cant", "wont", "youll", "youd", "theyll", "theyd", "weve", "itll", "yall", "isnt", "arent", "wasnt", "werent", "shouldnt", "wouldnt", "couldnt", "thats", "whats", "theres", "hes", "shes", "lets", "u", "ur", "ya", "yo", "pls", "plz", "thx", "ty", "hi", "hey", "hello", "ok", "okay", "just", "like", "got", "get", "gets", "getting", "really", "hi", "guys", "lol", "omg", "gonna", "wanna", "gt", "lt", "quot", "http", "https", "www", "com", "co", "html", "tco"]
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | EXTRA_STOP_WORDS

# protected / sensitive attributes: never shown as distinctive terms (age, gender, ethnicity, religion,
# health, income, family).
SENSITIVE_TERMS = frozenset(
    ["age", "aged", "old", "older", "young", "younger", "elderly", "teen", "teenager", "senior", "seniors", "boomer", "millennial", "man", "men", "woman", "women", "male", "female", "boy", "boys", "girl", "girls", "guy", "lady", "ladies", "gentleman", "gay", "lesbian", "trans", "transgender", "husband", "wife", "wives", "boyfriend", "girlfriend", "fiance", "fiancee", "mom", "mum", "mother", "dad", "father", "son", "daughter", "kid", "kids", "child", "children", "baby", "babies", "pregnant", "pregnancy", "family", "families", "grandma", "grandpa", "grandmother", "grandfather", "sister", "brother", "parent", "parents", "black", "white", "asian", "hispanic", "latino", "latina", "african", "arab", "jewish", "jew", "muslim", "christian", "catholic", "hindu", "buddhist", "sikh", "religion", "religious", "church", "mosque", "temple", "synagogue", "god", "jesus", "allah", "bible", "pray", "prayer", "prayers", "immigrant", "ethnic", "race", "racist", "sick", "illness", "ill", "disease", "cancer", "diabetes", "diabetic", "disabled", "disability", "wheelchair", "pregnant", "hospital", "doctor", "medication", "meds", "medical", "health", "mental", "depression", "anxiety", "autism", "autistic", "blind", "deaf", "hiv", "therapy", "surgery", "income", "salary", "poor", "broke", "rich", "wealthy", "unemployed", "welfare", "debt"]
)

# a word starts with a letter; hyphenated compounds are one word ("top-up", "check-in", "wi-fi", "t-mobile"):
# split, their halves are often stop words ("top", "up", "in") or say less than the whole
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]*(?:-[^\W\d_][^\W_]*)*(?:'[^\W\d_]+)?\b"
_ENTITY_RE = re.compile(r"&\w+;|&#\d+;")
_PLACEHOLDER_RE = re.compile(
    r"\[(?:url|email|phone|card|order|@user|name|iban|account|address|booking|ssn|dob|ip)\]")
_HASH_RE = re.compile(r"#(?=\w)")
_APOS_RE = re.compile(r"[’‘`]")
# a pronoun's contraction is a stop word however it is written, but without its apostrophe it reads as another
# word: "we'd" → "wed" (a review found "Meet in DM & wed", and "wed" among six personas' terms), "she'll" →
# "shell", "he'll" → "hell", "we'll" → "well"; dropped whole before apostrophes go (a negation, "haven't", stays)
_PRONOUN_CONTRACTION_RE = re.compile(
    r"\b(?:i|you|we|they|he|she|it|there|here|who|what|where|when|why|how|that|this|let|y'all)'(?:d|ll|re|ve|s|m)\b",
    re.IGNORECASE)


def clean_for_terms(text: object) -> str:
    """Lower-cased text with URLs, e-mails, @handles, HTML entities and mask placeholders removed."""
    if not isinstance(text, str):
        return ""
    out = html.unescape(_ENTITY_RE.sub(lambda m: html.unescape(m.group()), strip_signoffs(text)))
    out = URL_RE.sub(" ", out)
    out = EMAIL_RE.sub(" ", out)
    out = HANDLE_RE.sub(" ", out)
    out = _PLACEHOLDER_RE.sub(" ", out)
    out = _HASH_RE.sub(" ", out)
    out = _PRONOUN_CONTRACTION_RE.sub(" ", _APOS_RE.sub("'", out)).replace("'", "")
    return out.lower()


_TOKEN_RE = re.compile(TOKEN_PATTERN)
COUNT_TEXTS = 50_000  # texts counted at a time above the vocabulary sample (ClassTfidf.fit)


WORDS_MEMO_SIZE = 1 << 17  # texts whose words are kept (about 25 MB at most; clear_term_memo frees them)
_WORDS_MEMO: dict[str, str] = {}


def _words(text: str) -> list[str]:
    """The text's words, stop words removed. Memoised (a run reads each text in several fits) as one
    space-joined string per text (a word has no space), for the first ``WORDS_MEMO_SIZE`` texts seen and
    never evicted. The LRU cache of word tuples it replaces hit nothing when a million distinct texts swept
    it and held 120 MB through the profile stage (measured at 1M rows, docs/benchmarks.md)."""
    joined = _WORDS_MEMO.get(text)
    if joined is None:
        joined = " ".join(w for w in _TOKEN_RE.findall(clean_for_terms(text)) if w not in STOP_WORDS)
        if len(_WORDS_MEMO) < WORDS_MEMO_SIZE:
            _WORDS_MEMO[text] = joined
    return joined.split()


def clear_term_memo() -> None:
    """Forget the memoised words (``_words``): the pipeline calls it once the run's terms are read."""
    _WORDS_MEMO.clear()


def term_tokens(text: object, ngram_range: tuple[int, int] = (1, 1)) -> list[str]:
    """Terms of one text: exactly what scikit-learn's word analyzer gives with ``clean_for_terms`` as
    preprocessor, ``TOKEN_PATTERN`` and ``STOP_WORDS`` (stop words dropped, then 1..n-grams of the rest)."""
    words = _words(text) if isinstance(text, str) else []
    lo, hi = ngram_range
    out = list(words) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(words)) + 1):
        out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


@lru_cache(maxsize=1)
def profane_words() -> frozenset[str]:
    """better-profanity's word list (its package data file; leetspeak variants are not needed here: the
    token pattern keeps letters only), as listed: its Snowball stems are not added, since a stem can be an
    ordinary word ("testes" → "test", "fingering" → "finger", "stoned" → "stone")."""
    from importlib.resources import files

    return frozenset(w.strip().lower() for w in files("better_profanity").joinpath("profanity_wordlist.txt")
                     .read_text(encoding="utf-8").splitlines() if w.strip() and " " not in w.strip())


#: words better-profanity lists that are ordinary in support and social texts: a magnetic strip, a cruise's
#: rum, "omg", a rice paddy, a guitar's fingering, a flange, Jackson Pollock, the Vietnamese dong, first names and
#: surnames ("Len", "Yury", "Guido", "Willy", "Wang"); not profanity in what a persona's members write (slurs and
#: sexual slang stay listed, even where a word has an ordinary sense too)
ORDINARY_LISTED = frozenset({
    "omg", "lmao", "lmfao", "xx", "strip", "organ", "rum", "pot", "revue", "slope", "woody", "nappy",
    "paddy", "fingering", "flange", "pollock", "dong", "len", "yury", "guido", "willy", "willies", "asanchez",
    "arian", "sandbar", "seaman", "seamen", "stroke", "thrust", "facial", "maxi", "hooters",
    "hooter", "playboy", "cowgirl", "cowgirls", "vixen", "punky", "homey", "dummy", "dopey", "doofus", "ninny",
    "nimrod", "prude", "prig", "weirdo", "tramp", "trashy", "tawdry", "undies", "pantie", "panties", "panty",
    "potty", "pee", "peepee", "poop", "tinkle", "toots", "wedgie", "whiz", "wad", "loin", "loins", "rump",
    "tush", "jerk", "jerked", "fat", "ugly", "stupid",
    "pasty", "pastie", "lube", "mams", "racy", "steamy", "foobar", "sleaze", "sleazy", "scum", "weiner", "wang",
    "pawn", "hoar",
})
#: words better-profanity lists that name a topic people write about rather than swear: a crime or a weapon in
#: the news, a drug or a drink, the body and health in plain words, sex and identity as subjects, a faith. An
#: analyst review of GoogleNews-TS found "It swears more than the other personas" on a persona of news about a
#: rape case ("rape" and "slave" were its "profanity"), and a news quote about a murder trial would have been
#: kept out of the evidence; swearing words, sexual slang and slurs stay listed
TOPICAL_LISTED = frozenset({
    "kill", "murder", "rape", "raped", "raping", "rapist", "molest", "napalm", "sniper", "uzi", "snuff",
    "slave", "thug", "incest", "pedophile", "pedophilia", "pedophiliac", "nazi", "nazism", "hitler", "kkk",
    "klan", "reich", "howtokill", "howtomurdep",
    "drunk", "stoned", "weed", "hemp", "heroin", "meth", "opiate", "opium", "pcp", "peyote", "valium", "viagra",
    "vodka", "ganja", "hooch", "hootch", "hookah", "reefer", "souse", "soused", "extacy",
    "extasy",
    "hiv", "herpes", "anus", "areole", "breasts", "nipple", "nipples", "penis", "penile", "vagina", "vulva",
    "labia", "clitoris", "uterus", "womb", "ovary", "ovum", "ovums", "testes", "testis", "testicle", "scrotum",
    "semen", "sperm", "pubic", "pubis", "rectal", "rectum", "rectus", "hymen", "foreskin", "glans", "gonad",
    "gonads", "menses", "menstruate", "menstruation", "tampon", "pms", "urine", "urinal", "vomit", "leper",
    "erection", "erect", "enlargement", "crotch",
    "gay", "gays", "lesbians", "homoerotic", "transsexual", "queer", "sex", "sexual", "bdsm", "bondage",
    "erotic", "erotism", "sadism", "sadist", "masochist", "voyeur", "virgin", "unwed", "prostitute", "pimp",
    "porn", "porno", "pornography", "pornos", "nude", "nudes", "naked", "xxx", "threesome", "orgy", "orgies",
    "seduce", "lust", "lusting", "lusty", "perversion", "smut", "smutty", "stripclub", "aryan", "god",
})


@lru_cache(maxsize=1)
def _counted_profane() -> frozenset[str]:
    return profane_words() - ORDINARY_LISTED - TOPICAL_LISTED


@lru_cache(maxsize=200_000)
def _profane_word(word: str) -> bool:
    """``word`` is listed (less ``ORDINARY_LISTED`` and ``TOPICAL_LISTED``), or every dictionary word it may be a
    plural or verb form of is ("sucks", "assholes", "screwed"; not "stripes", which may be "stripe": ``name_gate.base_forms``), or its
    Snowball stem is listed ("fucks")."""
    bad = _counted_profane()  # the set difference once, not per new word
    bases = base_forms(word)
    return word in bad or (bool(bases) and bases <= bad) or stem(word) in bad


def is_profane(text: str) -> bool:
    """True when a word of ``text`` is profane (``_profane_word``)."""
    return any(_profane_word(w) for w in re.findall(r"[a-z]+", text.lower()))


def _ok_term(term: str) -> bool:
    """A term the profiles may show: no sensitive or profane word (a compound's halves included), no digits
    or one-letter words, and no n-gram that holds a word twice ("ms ms ms", ping times; "ha ha"): that is a
    repetition, not a phrase."""
    words = term.split()
    if len(set(words)) < len(words):
        return False
    parts = [p for w in words for p in w.split("-")]  # a compound's halves too: "ex-wife", "bull-…"
    if any(w in SENSITIVE_TERMS for w in words + parts) or any(_profane_word(w) for w in words + parts):
        return False
    return all(len(w) > 1 and not w.isdigit() for w in words)


def vocabulary_rows(labels: np.ndarray, limit: int | None, floor: int = 500, seed: int = 0) -> np.ndarray | None:
    """Rows to learn a vocabulary from: None (all) when there are at most ``limit``; else about ``limit``
    rows, the same share of each persona but at least ``floor`` (or all) of every persona, so that a
    small persona's own words are in the sample. Sorted; fixed by ``seed``."""
    labels = np.asarray(labels)
    n = len(labels)
    if limit is None or n <= limit:
        return None
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rng = np.random.default_rng(seed)
    picks = []
    for start, size in zip(starts, sizes):
        take = min(int(size), max(round(size * limit / n), floor))
        picks.append(rng.choice(order[start : start + size], take, replace=False))
    return np.sort(np.concatenate(picks))


# a term shown as what a persona writes is used by at least this many of its members (a tenth of a smaller
# persona, at least 2): the privacy floor's number of authors (profile.min_evidence_authors), a convention. At 2,
# a third of the 7th–10th terms of a Banking77 run's personas were two or three members' words (places,
# "jacket", "gym"), which the overview showed as the persona's defining words.
TERM_MIN_MEMBERS = 5


SHOWN_AT_LEAST = 3  # terms shown whatever the floor, where the persona has them (used by 2 members or more)


def shown_min_count(size: int) -> int:
    """Members that must use a term before it is shown for a group of ``size`` members."""
    return max(2, min(TERM_MIN_MEMBERS, math.ceil(size / 10)))


class ClassTfidf:
    """c-TF-IDF over persona documents.

    ``fit(texts, labels)``: texts (n,) raw member texts, labels (n,) persona ids. Learns
    ``classes_`` (sorted ids), ``vocabulary_`` (array of terms), ``weights_`` (n_classes × n_terms,
    dense float) and ``counts_`` (n_classes × n_terms: members of the class whose text holds the term). ``top_terms(cls, n)`` returns
    ``[(term, weight), ...]``; ``transform(texts)`` gives the binary member × term indicator matrix.
    ``exclude``: words never used as terms (brand account names, so "#usairways" cannot come back as one).
    ``vocab_sample``: above this many texts the vocabulary (``min_df``, ``max_features``) is learned from a
    per-persona sample of that size (``vocabulary_rows``) and the counts from every text. Building it from
    every text held each distinct n-gram of the run in memory at once (+590 MB for the 2–3-grams of 300k
    texts); below the size nothing changes. None: always every text.
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 1), min_df: int = 2, max_features: int = 30000,
                 exclude: tuple[str, ...] = (), vocab_sample: int | None = 100_000):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.exclude = exclude
        self.vocab_sample = vocab_sample

    def _vectorizer(self, min_df: int) -> CountVectorizer:
        return CountVectorizer(
            analyzer=partial(term_tokens, ngram_range=tuple(self.ngram_range)),
            min_df=min_df,
            max_features=self.max_features,
            binary=True,  # a member counts a term once: one pasted traceroute's "ms" × 30 is one member's word
            dtype=np.float64,
        )

    def fit(self, texts, labels) -> ClassTfidf:
        labels = np.asarray(labels)
        texts = list(texts)
        if len(texts) != len(labels):
            raise ValueError(f"texts ({len(texts)}) and labels ({len(labels)}) differ in length")
        self.classes_ = np.unique(labels)
        vec = self._vectorizer(min(self.min_df, max(1, len(texts))))
        rows = vocabulary_rows(labels, self.vocab_sample)
        try:
            X = vec.fit_transform(texts) if rows is None else vec.fit([texts[i] for i in rows])
        except ValueError:  # empty vocabulary (no usable words at all)
            self.vectorizer_ = None
            self.vocabulary_ = np.array([], dtype=object)
            self.counts_ = np.zeros((len(self.classes_), 0))
            self.weights_ = np.zeros((len(self.classes_), 0))
            return self
        terms = vec.get_feature_names_out()
        banned = {e.lower().lstrip("@") for e in self.exclude}
        keep = np.array([_ok_term(t) and not banned & set(t.split()) for t in terms], dtype=bool)
        self.vectorizer_ = vec
        self.keep_ = keep
        self.vocabulary_ = terms[keep]
        index = {c: i for i, c in enumerate(self.classes_)}
        class_row = [index[c] for c in labels]  # each text's class
        onehot = sp.csr_matrix((np.ones(len(labels)), (class_row, np.arange(len(labels)))),
                               shape=(len(self.classes_), len(labels)))
        if rows is None:
            counts = np.asarray((onehot @ X[:, keep]).todense())
        else:  # counted COUNT_TEXTS texts at a time (whole-number sums: the same counts, no (n × terms) matrix)
            counts = np.zeros((len(self.classes_), int(keep.sum())))
            for s in range(0, len(texts), COUNT_TEXTS):
                chunk = vec.transform(texts[s:s + COUNT_TEXTS])[:, keep]
                counts += (onehot[:, s:s + COUNT_TEXTS] @ chunk).toarray()
        self.counts_ = counts
        self.sizes_ = np.bincount(class_row, minlength=len(self.classes_))
        f_t = counts.sum(axis=0)
        class_tokens = counts.sum(axis=1, keepdims=True)
        avg_tokens = class_tokens.mean() if counts.size else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            tf = np.where(class_tokens > 0, counts / np.maximum(class_tokens, 1e-12), 0.0)
            idf = np.log1p(avg_tokens / np.maximum(f_t, 1e-12))
        self.weights_ = tf * idf
        return self

    def _check(self) -> None:
        if not hasattr(self, "weights_"):
            raise NotFittedError("ClassTfidf is not fitted: call fit(texts, labels) first")

    def top_terms(self, cls, n: int = 10, min_count: int = 2) -> list[tuple[str, float]]:
        """The ``n`` highest-weighted terms of persona ``cls`` (used by at least ``min_count`` of its members)."""
        self._check()
        hits = np.flatnonzero(self.classes_ == cls)
        if not len(hits) or not self.weights_.shape[1]:
            return []
        i = hits[0]
        w = np.where(self.counts_[i] >= min_count, self.weights_[i], 0.0)
        order = np.argsort(-w, kind="stable")[:n]
        return [(str(self.vocabulary_[j]), float(w[j])) for j in order if w[j] > 0]

    def shown_terms(self, cls, n: int = 10, at_least: int = SHOWN_AT_LEAST) -> list[tuple[str, float]]:
        """``top_terms`` for showing as what a persona (family, sub-persona) writes: each used by at least
        ``shown_min_count`` of its members, not the words of two or three of them ("Notting Hill" for 3 of 45);
        where fewer than ``at_least`` pass, the best of the others (2 members or more) make up that many (phrases
        pass 0: a phrase two members wrote is no typical phrase)."""
        hits = np.flatnonzero(self.classes_ == cls) if hasattr(self, "sizes_") else []
        size = int(self.sizes_[hits[0]]) if len(hits) else 0
        shown = self.top_terms(cls, n, min_count=shown_min_count(size))
        if len(shown) < min(at_least, n):  # a persona of scattered words still shows its best few
            have = {t for t, _ in shown}
            shown += [tw for tw in self.top_terms(cls, n) if tw[0] not in have][: min(at_least, n) - len(shown)]
        return shown

    def transform(self, texts) -> sp.csr_matrix:
        """Binary (n_texts × n_terms) indicator of which vocabulary terms each text contains."""
        self._check()
        if self.vectorizer_ is None:
            return sp.csr_matrix((len(list(texts)), 0))
        X = self.vectorizer_.transform(list(texts))[:, self.keep_]
        X = X.tocsr()
        X.data[:] = 1.0
        return X
