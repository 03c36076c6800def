"""Is a text English? Script check + py3langid (a naive-Bayes byte n-gram model shipped inside the PyPI wheel).

In: a pandas Series of raw texts. Out: a boolean array, True where the text is judged *not* English.

Why py3langid: measured against lingua-language-detector (all languages and a subset, high and low accuracy
mode) and the old function-word test on the hand-labelled set `data/eval/language_eval.csv`; it has the best
precision/recall on English there, is the fastest and the smallest in memory (docs/language.md,
`python scripts/eval_language.py`). Its model is inside the wheel: nothing is downloaded at run time.

The rule, in order (every step is vectorised except the per-text model call):
1. The text the detector sees has @handles, URLs, #hashtags, agent sign-offs ("^KN"), HTML entities and emoji
   removed (they carry no language and pull short tweets towards random languages).
2. Texts with fewer than `min_letters` letters left ("ok", emoji-only, URL-only, "iOS 11.1") are undetermined
   and kept: removing them would remove English far more often than anything else.
3. Texts whose letters are mostly outside the Latin script (Japanese, Devanagari, Arabic...) are not English.
4. Otherwise py3langid, restricted to `languages`, scores the text; it is removed only when English is not the
   top language *and* its probability is below `max_english_probability` (a confidence margin: short, slangy
   English such as "Okee doke" or "DM sent" often has another top language but keeps P(English) >= 0.07).

Step 4's scores are kept per text in an on-disk cache (``score_cache``, in ``PERSONAS_CACHE_DIR``): a re-run
over the same texts reads them instead of running the model (50k texts: about 6 s of CPU saved).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from ml.filtering.config import NonEnglishConfig
from ml.filtering.langid_batch import TABLES_FORMAT, BatchScorer
from ml.filtering.text import HASHTAG_RE, LATIN_LETTER_RE, LETTER_RE, URL_RE, as_text, collapse_spaces
from ml.runtime.errors import InputError
from ml.text_cache import TextCache, default_cache_dir

# Handles as in ml.filtering.text, plus ".@x" and "@ x" forms; agent sign-offs such as "^KN" or "*HCK".
_HANDLE_RE = r"@(?<!\w@)\w+"  # "(?<!\w)@\w+", the literal first (see ml.filtering.text.HANDLE_RE)
_SIGNOFF_RE = r"(?:\^|(?<=\s)\*)[A-Za-z]{1,4}\b"
_ENTITY_RE = r"&(?:[a-zA-Z]+|#\d+);"
# Pictographs, dingbats, symbols, flags, variation selectors and joiners (emoji and emoji sequences).
_EMOJI_RE = (
    "[\U0001f000-\U0001faff\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\ufe00-\ufe0f\u200d\u20e3\U000e0000-\U000e007f]"
)
_STRIP_RE = f"{URL_RE}|{_HANDLE_RE}|{HASHTAG_RE}|{_SIGNOFF_RE}|{_ENTITY_RE}|{_EMOJI_RE}"


def detector_text(texts: pd.Series) -> pd.Series:
    """What the detector sees: handles, URLs, hashtags, sign-offs, HTML entities and emoji removed."""
    return collapse_spaces(as_text(texts).str.replace(_STRIP_RE, " ", regex=True))


@lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...]):
    """py3langid's identifier with normalised probabilities, restricted to `languages` (loaded once)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    try:
        identifier.set_languages(list(languages))
    except ValueError as exc:
        raise InputError(f"non_english.languages: {exc}; use ISO 639-1 codes py3langid knows") from exc
    return identifier


def _read_tables(path: Path) -> BatchScorer | None:
    """The scorer kept at `path`, or None when it is not there yet, truncated, unreadable or of another
    layout."""
    try:
        return BatchScorer.load(path)
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache file, the tables are rebuilt
        return None


def _model_key(languages: tuple[str, ...]) -> str:
    """py3langid's version and a short hash of the language set: what names the scores and the tables."""
    return f"{version('py3langid')}-{hashlib.sha1(','.join(languages).encode()).hexdigest()[:8]}"


def scorer_path(languages: tuple[str, ...]) -> Path:
    """Where the scorer's tables for `languages` are kept: the cache folder (``ml.text_cache``), named by
    py3langid's version and the language set."""
    return default_cache_dir() / f"langid-tables-{TABLES_FORMAT}-{_model_key(languages)}.npz"


@lru_cache(maxsize=4)
def _batch_scorer(languages: tuple[str, ...]) -> BatchScorer:
    """The identifier's model prepared for scoring many texts at once (``ml.filtering.langid_batch``), read
    from the cache folder when an earlier run kept its tables there (about 1 s saved per process)."""
    path = scorer_path(languages)
    kept = _read_tables(path)
    if kept is not None:
        return kept
    scorer = BatchScorer(_identifier(languages))
    try:
        scorer.save(path)
    except OSError:  # a read-only or full cache folder must not fail a run
        pass
    return scorer


def score_cache(languages: tuple[str, ...], folder: str | None = None) -> TextCache:
    """Where (top language, P(English)) of each detector text is kept: named by py3langid's version and
    the language set (``ml.text_cache``; ``folder`` None: ``PERSONAS_CACHE_DIR``, "": no cache)."""
    return TextCache(folder, "langid", _model_key(languages))


def english_scores(bodies: pd.Series, languages: tuple[str, ...],
                   cache_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(top language, P(English)) for each detector text, from py3langid's model restricted to `languages`
    (scored in bulk, ``ml.filtering.langid_batch``); texts scored by an earlier run come from the on-disk
    cache (exact: the float is stored as its repr)."""
    texts = bodies.tolist()
    cache = score_cache(tuple(languages), cache_dir)
    stored = cache.get(texts)
    todo = [t for t, v in zip(texts, stored, strict=True) if v is None]
    fresh = {}
    if todo:
        unique = list(dict.fromkeys(todo))
        top, p_en = _batch_scorer(tuple(languages)).scores(unique)
        fresh = {body: f"{lang}\t{p!r}" for body, lang, p in zip(unique, top.tolist(), p_en.tolist(), strict=True)}
    cache.put(list(fresh), list(fresh.values()))
    pairs = [(v if v is not None else fresh[t]).split("\t") for t, v in zip(texts, stored, strict=True)]
    top = np.array([lang for lang, _ in pairs], dtype=object)
    p_en = np.array([float(p) for _, p in pairs], dtype=float)
    return top, p_en


def non_english_mask(texts: pd.Series, cfg: NonEnglishConfig, scorer=english_scores) -> np.ndarray:
    """Boolean array: True where the text is judged not English (see the module docstring for the rule).

    `scorer(bodies, languages) -> (top language codes, P(English))` is the model behind step 4; the default
    is py3langid (`english_scores`); `scripts/eval_language.py` passes others to compare them under one rule.
    """
    body = detector_text(texts.reset_index(drop=True))
    letters = body.str.count(LETTER_RE).to_numpy()
    latin = body.str.count(LATIN_LETTER_RE).to_numpy()
    judged = letters >= cfg.min_letters
    other_script = judged & (latin < cfg.min_latin_share * letters)
    ask = np.flatnonzero(judged & ~other_script)
    removed = other_script.copy()
    if len(ask):
        top, p_en = scorer(body.iloc[ask], tuple(cfg.languages))
        removed[ask] = (top != "en") & (p_en < cfg.max_english_probability)
    return removed
