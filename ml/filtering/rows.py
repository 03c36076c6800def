"""Per-row signals of the filter stages, computed once per text, over forked workers when the texts are many.

In: the candidates' texts (a pandas Series of str) and the `FilterConfig`. Out: `RowSignals`, one entry per
text in the same order: the duplicate key, the template skeleton and its fillers, the skeleton's plain-word
count, the LSH band hashes of the key (near duplicates), and the per-row verdicts of the stages that judge a
text alone: forward / retweet, too short or too long, not English.

Each signal depends on its own text and the config only, so computing it for every candidate at once, in any
chunking, gives what each stage computes on the rows still alive when it runs; `QualityFilter` selects from
them in its cascade. The one difference is work: the stages after the duplicates also judge the duplicates
(about 4 % more texts on real dumps), in exchange for running on all cores: from ``ml.forked.PARALLEL_FROM``
texts the rows are cut into one contiguous chunk per usable core and computed in forked worker processes
(``ml.forked``), which return only these arrays. On the 2-core benchmark machine that halves the
filter stage (`docs/benchmarks.md`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ml.filtering.config import FilterConfig
from ml.filtering.language import non_english_mask
from ml.filtering.near_duplicates import band_hashes, lsh_shape
from ml.filtering.text import as_text, fillers, normalize, skeleton, strip_handles_urls, word_count
from ml.forked import map_rows

_RT = re.compile(r"^(?P<own>.*?)\b(?:RT|MT)\s*@\w+", re.DOTALL | re.IGNORECASE)
_QUOTE = re.compile(r"^\s*[\"“]\s*@\w+\s*:(?:.*?[\"”](?P<own>.*)|[^\"”]*)$", re.DOTALL)
_FWD_PREFIX = re.compile(r"^\s*(?:fwd?|fw)\s*:", re.IGNORECASE)
_FWD_MARKER = re.compile(
    r"^(?P<own>.*?)(?:-{2,}\s*forwarded message|begin forwarded message)", re.DOTALL | re.IGNORECASE
)

@dataclass
class RowSignals:
    """Per-text signals, aligned with the texts given to `row_signals` (index 0..n-1). The strings stay
    pandas str Series (Arrow: about a third of the memory of Python str objects at 1M rows)."""

    keys: pd.Series  # normalised text (exact and near duplicates)
    skeletons: pd.Series  # template skeleton ("" when the templates stage is off)
    fills: pd.Series  # what the skeleton masked, joined (templates vs copies); "" unless learning
    plain_words: np.ndarray  # words of the skeleton outside its <tags>; 0 unless learning
    bands: np.ndarray  # (n, bands) uint64 LSH band hashes of the key (zeros where not `has_bands`; no columns
    #                    when the stage is off)
    forward: np.ndarray  # bool: retweets_forwards would remove it
    bad_length: np.ndarray  # bool: length would remove it
    non_english: np.ndarray  # bool: non_english would remove it

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def has_bands(self) -> np.ndarray:
        """bool per text: it has band hashes (near duplicates on, key not empty: an empty key has nothing
        to compare)."""
        return (self.keys.str.len() > 0).to_numpy() & (self.bands.shape[1] > 0)


def _compute(texts: pd.Series, cfg: FilterConfig, learn: bool = True) -> RowSignals:
    """All signals of `texts` in this process (`learn` False: no fillers and plain-word counts, which only
    learning the templates reads)."""
    n = len(texts)
    keys = normalize(texts)
    sk = fills = pd.Series([""] * n, dtype=keys.dtype)
    plain = np.zeros(n, dtype=np.int64)
    if cfg.templates.enabled:
        sk = skeleton(texts)
        if learn:
            fills = fillers(texts)
            plain = word_count(sk.str.replace(r"<\w+>", " ", regex=True)).to_numpy(dtype=np.int64)
    n_bands = lsh_shape(cfg.near_duplicates)[0] if cfg.near_duplicates.enabled else 0
    bands = np.zeros((n, n_bands), dtype=np.uint64)
    if n_bands and n:
        positions, hashes = band_hashes(keys.tolist(), cfg.near_duplicates)  # the non-empty keys
        bands[positions] = hashes
    off = np.zeros(n, dtype=bool)
    rf = cfg.retweets_forwards
    forward = forward_mask(texts, rf.min_own_words) if rf.enabled else off
    bad_length = _bad_length(texts, cfg) if cfg.length.enabled else off
    non_english = non_english_mask(texts, cfg.non_english) if cfg.non_english.enabled and n else off
    return RowSignals(keys, sk, fills, plain, bands, forward, bad_length, non_english)


def forward_mask(texts: pd.Series, min_own_words: int) -> np.ndarray:
    """True for retweets (RT/MT @x), quoted tweets ("@x: ...") and forwards (Fwd:/FW:, forwarded-message
    markers) whose author added fewer than `min_own_words` words of their own."""
    texts = as_text(texts)
    own = pd.Series(np.nan, index=texts.index, dtype=object)
    for pattern in (_FWD_MARKER, _RT):
        hit = texts.str.extract(pattern)["own"]
        own = own.where(own.notna(), hit)
    quote = texts.str.match(_QUOTE)
    quoted_own = texts.str.extract(_QUOTE)["own"].fillna("")
    own = own.where(own.notna() | ~quote, quoted_own)
    own = own.where(~texts.str.contains(_FWD_PREFIX) | own.notna(), "")
    is_forward = own.notna().to_numpy()
    own_words = word_count(strip_handles_urls(own.fillna(""))).to_numpy()
    return is_forward & (own_words < min_own_words)


def _bad_length(texts: pd.Series, cfg: FilterConfig) -> np.ndarray:
    """Fewer than min_words words or min_chars characters once handles and URLs are removed, or more than
    max_chars characters."""
    lc = cfg.length
    body = strip_handles_urls(texts)
    short = (word_count(body) < lc.min_words) | (body.str.len() < lc.min_chars)
    return (short | (texts.str.len() > lc.max_chars)).to_numpy()


def row_signals(texts: pd.Series, cfg: FilterConfig, learn: bool = True, workers: int | None = None,
                parallel_from: int | None = None) -> RowSignals:
    """`RowSignals` of `texts` (see the module docstring); `learn` False leaves out what only fitting reads.
    `workers` and `parallel_from` as in ``ml.forked.map_rows`` (None: its defaults)."""
    parts = map_rows(_compute, texts.reset_index(drop=True), cfg, learn, workers=workers,
                     parallel_from=parallel_from)
    if len(parts) == 1:
        return parts[0]
    return RowSignals(*(_concat([getattr(p, f.name) for p in parts]) for f in fields(RowSignals)))


def _concat(parts: list) -> pd.Series | np.ndarray:
    """The workers' pieces of one signal, in order."""
    if isinstance(parts[0], pd.Series):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)
