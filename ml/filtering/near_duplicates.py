"""MinHash-LSH near-duplicate detection (datasketch), first occurrence kept.

Shingles: character 5-grams of the normalised text (lowercase, no URLs/@handles, digits -> 0). Chosen over
word 3-grams because messages here are short (median ~15 words on TWCS and the airline tweets): changing one
word of a 15-word tweet replaces 3 of its 13 word 3-grams (Jaccard ~0.63, missed at 0.8) but only
about 6-10 of its ~80 character 5-grams (Jaccard ~0.85, caught). Character grams also survive typos
and spacing changes.

Cost is O(n): MinHash.bulk builds all signatures (crc32 as the base hash: fast and deterministic; datasketch
mixes and permutes it), and each text is one LSH query plus at most one insert. LSH candidates are verified
with the signatures' estimated Jaccard, so band collisions below the threshold do not remove anything.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from datasketch import LeanMinHash, MinHash, MinHashLSH

from ml.filtering.config import NearDuplicatesConfig


def shingle_sets(keys: pd.Series, k: int) -> list[set[bytes]]:
    """Character k-gram sets (utf-8 bytes) of each normalised key; a key shorter than k is one shingle."""
    return [
        {s[i : i + k].encode() for i in range(max(1, len(s) - k + 1))} if s else set() for s in keys.tolist()
    ]


def _min_hashes(hashes: np.ndarray, starts: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Per-text minimum of datasketch's affine32 permutations (MurmurHash3 finaliser, then a*h + b mod
    2^32) over the texts' shingle hashes: `hashes` concatenated, text t from `starts[t]`, none empty."""
    hv = hashes.astype(np.uint32)
    hv ^= hv >> np.uint32(16)
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    a, b = perm
    permuted = a[:, None] * hv[None, :]  # num_perm x shingles: the reduction runs along contiguous rows
    permuted += b[:, None]
    return np.minimum.reduceat(permuted, starts, axis=1).T


def signatures(keys: pd.Series, cfg: NearDuplicatesConfig) -> list[LeanMinHash | None]:
    """One LeanMinHash per key (None for an empty key, which has nothing to compare).

    The same hash values as `MinHash.bulk(shingle_sets(keys), hashfunc=zlib.crc32)` (datasketch's default
    affine32 scheme, asserted in tests), computed for many texts at once in numpy: a minimum does not
    depend on order or repeats, so each text's shingles are hashed as a list and reduced with
    `np.minimum.reduceat` in chunks of about `chunk` shingles (memory: chunk x num_perm x 4 bytes)."""
    k = cfg.shingle_chars
    perm = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=zlib.crc32).permutations
    crc = zlib.crc32
    out: list[LeanMinHash | None] = [None] * len(keys)
    chunk, rows, hashes, starts = 1 << 16, [], [], []
    texts = keys.tolist()
    for i, s in enumerate(texts):
        if s:
            starts.append(len(hashes))
            rows.append(i)
            hashes.extend(crc(s[j : j + k].encode()) for j in range(max(1, len(s) - k + 1)))
        if rows and (len(hashes) >= chunk or i == len(texts) - 1):
            mins = _min_hashes(np.asarray(hashes, dtype=np.uint64), np.asarray(starts), perm)
            for r, values in zip(rows, mins, strict=True):
                out[r] = LeanMinHash(seed=cfg.seed, hashvalues=values, scheme="affine32")
            rows, hashes, starts = [], [], []
    return out


class NearDuplicateIndex:
    """An LSH index of kept texts keyed by message_id.

    `scan(ids, keys, learn)` walks the rows in order and returns a boolean mask of near-duplicates. With
    learn=True the kept rows are inserted into this index (fit). With learn=False the index is only read;
    a row whose own id is an indexed representative is kept, and rows new to the index are compared with
    each other through a temporary index, so transform on the fit data reproduces fit exactly.
    """

    def __init__(self, cfg: NearDuplicatesConfig) -> None:
        self.cfg = cfg
        self.lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
        self.signatures: dict[str, LeanMinHash] = {}

    def __len__(self) -> int:
        return len(self.signatures)

    def _match(self, lsh: MinHashLSH, store: dict[str, LeanMinHash], sig: LeanMinHash, own_id: str) -> str:
        """'self' if own_id is indexed, 'dup' if an indexed other text is similar enough, else ''."""
        for cand in lsh.query(sig):
            if cand == own_id:
                return "self"
            if sig.jaccard(store[cand]) >= self.cfg.threshold:
                return "dup"
        return ""

    def scan(self, ids: pd.Series, keys: pd.Series, learn: bool) -> np.ndarray:
        sigs = signatures(keys, self.cfg)
        local_lsh = (
            self.lsh if learn else MinHashLSH(threshold=self.cfg.threshold, num_perm=self.cfg.num_perm)
        )
        local_store = self.signatures if learn else {}
        dup = np.zeros(len(sigs), dtype=bool)
        for i, (mid, sig) in enumerate(zip(ids.tolist(), sigs, strict=True)):
            if sig is None:
                continue
            hit = "" if learn else self._match(self.lsh, self.signatures, sig, mid)
            if hit == "self":
                continue
            if hit == "dup" or (
                mid not in local_store and self._match(local_lsh, local_store, sig, mid) == "dup"
            ):
                dup[i] = True
                continue
            if mid not in local_store:
                local_lsh.insert(mid, sig)
                local_store[mid] = sig
        return dup
