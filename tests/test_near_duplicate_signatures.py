"""Near-duplicate signatures computed in bulk equal datasketch's own MinHash.bulk, text by text."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from datasketch import LeanMinHash, MinHash

from ml.filtering.config import NearDuplicatesConfig
from ml.filtering.near_duplicates import shingle_sets, signatures
from ml.filtering.text import normalize
from tests.fixtures.data import shared_path


def reference(keys: pd.Series, cfg: NearDuplicatesConfig) -> list[LeanMinHash | None]:
    """The former implementation: one MinHash per shingle set through datasketch."""
    sets = shingle_sets(keys, cfg.shingle_chars)
    hashes = iter(MinHash.bulk([s for s in sets if s], num_perm=cfg.num_perm, seed=cfg.seed,
                               hashfunc=zlib.crc32))
    return [LeanMinHash(next(hashes)) if s else None for s in sets]


def assert_same(keys: pd.Series, cfg: NearDuplicatesConfig) -> None:
    got, want = signatures(keys, cfg), reference(keys, cfg)
    assert len(got) == len(want) == len(keys)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if w is None:
            assert g is None, i
            continue
        assert g.scheme == w.scheme and g.seed == w.seed, i
        assert g.hashvalues.dtype == w.hashvalues.dtype, i
        assert np.array_equal(g.hashvalues, w.hashvalues), (i, keys.iloc[i])
        assert g.jaccard(w) == 1.0


def test_bulk_signatures_equal_datasketch_on_edge_cases():
    keys = pd.Series(["", "ab", "abcde", "abcdef", "héllo wörld ünïcode ✈", "aaaaaaaaaaaa", "", "x" * 500,
                      "日本語のテキスト", "the cat sat on the mat", "the cat sat on the hat"])
    assert_same(keys, NearDuplicatesConfig())
    assert_same(keys, NearDuplicatesConfig(num_perm=64, shingle_chars=3, seed=7))
    assert signatures(pd.Series(["", ""]), NearDuplicatesConfig()) == [None, None]
    assert signatures(pd.Series([], dtype=object), NearDuplicatesConfig()) == []


def test_bulk_signatures_equal_datasketch_on_real_tweets_across_chunks():
    texts = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"), usecols=["text"])["text"]
    keys = normalize(texts.head(3000))  # ~250k shingles: several chunks of 65,536
    assert_same(keys, NearDuplicatesConfig())


def test_windowed_crc32_is_zlibs_on_every_byte_value():
    import zlib

    from ml.filtering.near_duplicates import _crc32_windows, _shingle_hashes

    rng = np.random.default_rng(0)
    buf = rng.integers(0, 256, size=4000, dtype=np.uint8)
    starts = np.arange(0, 3990, 7)
    got = _crc32_windows(buf, starts, 5)
    assert got.tolist() == [zlib.crc32(buf[s : s + 5].tobytes()) for s in starts.tolist()]
    # ASCII texts hashed window by window, others gram by gram: one array, in text order
    texts = ["abcdefg", "héllo wörld", "abc", "zzzzzz"]
    hashes, begins = _shingle_hashes(texts, 5)
    expected = [zlib.crc32(t[j : j + 5].encode()) for t in texts for j in range(max(1, len(t) - 4))]
    assert hashes.tolist() == expected and begins.tolist() == [0, 3, 10, 11]
