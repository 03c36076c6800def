"""MinHash-LSH near-duplicate detection (datasketch), first occurrence kept.

Shingles: character 5-grams of the normalised text (lowercase, no URLs/@handles, digits -> 0). Chosen over
word 3-grams because messages here are short (median ~15 words on TWCS and the airline tweets): changing one
word of a 15-word tweet replaces 3 of its 13 word 3-grams (Jaccard ~0.63, missed at 0.8) but only
about 6-10 of its ~80 character 5-grams (Jaccard ~0.85, caught). Character grams also survive typos
and spacing changes.

Cost is O(n): signatures are built in bulk (crc32 as the base hash: fast and deterministic, computed for all
k-byte windows of ASCII texts at once; datasketch's affine32 permutations), reduced to one 64-bit hash per LSH
band (datasketch's band count for the threshold), and rows that share a band with another row are resolved in
order against the earlier kept ones, verified with the signatures' estimated Jaccard, so band collisions below
the threshold do not remove anything. The result is what querying and inserting into datasketch's MinHashLSH
row by row gives, in O(rows x bands) memory (see `NearDuplicateIndex`).
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


def _crc_table() -> np.ndarray:
    """zlib's CRC-32 table (reflected polynomial 0xEDB88320), one entry per byte value."""
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> np.uint32(1)) ^ np.uint32(0xEDB88320), t >> np.uint32(1))
    return t


_CRC_TABLE = _crc_table()


def _crc32_windows(buf: np.ndarray, starts: np.ndarray, k: int) -> np.ndarray:
    """zlib.crc32 of each k-byte window of ``buf`` beginning at ``starts``, for all windows at once."""
    c = np.full(len(starts), 0xFFFFFFFF, dtype=np.uint32)
    for j in range(k):
        c = _CRC_TABLE[(c ^ buf[starts + j]) & np.uint32(0xFF)] ^ (c >> np.uint32(8))
    return c ^ np.uint32(0xFFFFFFFF)


def _shingle_hashes(texts: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """(crc32 of every character k-gram of the texts, concatenated; where each text's begin), none empty.

    An ASCII text's k-grams are its k-byte windows, hashed for all such texts together; a text with other
    characters (whose k characters are not k bytes) or shorter than k is hashed gram by gram."""
    counts = np.fromiter((max(1, len(s) - k + 1) for s in texts), dtype=np.int64, count=len(texts))
    begins = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    out = np.zeros(int(counts.sum()), dtype=np.uint64)
    fast = [i for i, s in enumerate(texts) if len(s) >= k and s.isascii()]
    if fast:
        buf = np.frombuffer("".join(texts[i] for i in fast).encode("ascii"), dtype=np.uint8)
        lens = np.array([len(texts[i]) for i in fast], dtype=np.int64)
        n_win = counts[fast]
        text_start = np.repeat(np.concatenate(([0], np.cumsum(lens)[:-1])), n_win)
        within = np.arange(int(n_win.sum())) - np.repeat(np.concatenate(([0], np.cumsum(n_win)[:-1])), n_win)
        out[np.repeat(begins[fast], n_win) + within] = _crc32_windows(buf, text_start + within, k)
    crc, is_fast = zlib.crc32, np.zeros(len(texts), dtype=bool)
    is_fast[fast] = True
    for i in np.flatnonzero(~is_fast).tolist():
        s = texts[i]
        out[begins[i] : begins[i] + counts[i]] = [crc(s[j : j + k].encode()) for j in range(counts[i])]
    return out, begins


def _signature_chunks(texts: list[str], cfg: NearDuplicatesConfig):
    """Yield (row positions, (rows, num_perm) uint32 minimum hashes) for the non-empty texts, in chunks of
    about 65,536 shingles (memory: chunk x num_perm x 4 bytes)."""
    k = cfg.shingle_chars
    perm = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=zlib.crc32).permutations
    chunk, rows, size = 1 << 16, [], 0
    for i, s in enumerate(texts):
        if s:
            rows.append(i)
            size += max(1, len(s) - k + 1)
        if rows and (size >= chunk or i == len(texts) - 1):
            hashes, starts = _shingle_hashes([texts[r] for r in rows], k)
            yield np.asarray(rows), _min_hashes(hashes, starts, perm)
            rows, size = [], 0


def signatures(keys: pd.Series, cfg: NearDuplicatesConfig) -> list[LeanMinHash | None]:
    """One LeanMinHash per key (None for an empty key, which has nothing to compare).

    The same hash values as `MinHash.bulk(shingle_sets(keys), hashfunc=zlib.crc32)` (datasketch's default
    affine32 scheme, asserted in tests), computed for many texts at once in numpy: a minimum does not
    depend on order or repeats, so each text's shingles are hashed as a list and reduced with
    `np.minimum.reduceat` in chunks."""
    out: list[LeanMinHash | None] = [None] * len(keys)
    for rows, mins in _signature_chunks(keys.tolist(), cfg):
        for r, values in zip(rows.tolist(), mins, strict=True):
            out[r] = LeanMinHash(seed=cfg.seed, hashvalues=values, scheme="affine32")
    return out


def lsh_shape(cfg: NearDuplicatesConfig) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH picks for this threshold and num_perm."""
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    return lsh.b, lsh.r


def band_hashes(texts: list[str], cfg: NearDuplicatesConfig) -> tuple[np.ndarray, np.ndarray]:
    """(positions of the non-empty texts, (those, bands) uint64 hash of each band of their signature).

    A band's 64-bit FNV-1a hash over its r values stands for the band itself (datasketch keys its buckets
    by the band's bytes): 72 bytes per text instead of a signature object and bucket entries per band."""
    b, r = lsh_shape(cfg)
    positions, parts = [], []
    for rows, mins in _signature_chunks(texts, cfg):
        h = np.full((len(rows), b), 0xCBF29CE484222325, dtype=np.uint64)
        for t in range(b):
            for c in range(t * r, (t + 1) * r):
                h[:, t] ^= mins[:, c].astype(np.uint64)
                h[:, t] *= np.uint64(0x100000001B3)
        positions.append(rows)
        parts.append(h)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros((0, b), dtype=np.uint64)
    return np.concatenate(positions), np.concatenate(parts)


def _shared_buckets(hashes: np.ndarray) -> np.ndarray:
    """(n, bands) int64 bucket number of each row per band, -1 where no other row has the same band hash."""
    out = np.full(hashes.shape, -1, dtype=np.int64)
    for t in range(hashes.shape[1] if len(hashes) else 0):
        order = np.argsort(hashes[:, t], kind="stable")
        sorted_h = hashes[order, t]
        new_group = np.r_[True, sorted_h[1:] != sorted_h[:-1]]
        group = np.cumsum(new_group) - 1
        size = np.bincount(group)
        shared = size[group] > 1
        out[order[shared], t] = group[shared]
    return out


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


class NearDuplicateIndex:
    """Kept texts, as LSH band hashes, keyed by message_id.

    `scan(ids, keys, learn)` walks the rows in order and returns a boolean mask of near-duplicates: a row
    is one when an earlier kept row shares an LSH band with it (datasketch's MinHashLSH bands for the
    threshold) and their signatures' estimated Jaccard is at least the threshold, exactly as querying
    and inserting into a MinHashLSH row by row, first occurrence kept. With learn=True the kept rows make
    this index (fit). With learn=False the index is only read; a row whose own id is indexed is kept, and
    rows new to the index are compared with each other as in fit, so transform on the fit data
    reproduces fit exactly.

    Memory is O(rows x bands) small integers: only rows that share a band with another row get their
    full signature (recomputed), so 1M texts fit in a few hundred MB (one datasketch index of LeanMinHash
    objects took about 5 KB per text: 5 GB at 1M rows).
    """

    def __init__(self, cfg: NearDuplicatesConfig) -> None:
        self.cfg = cfg
        b, _ = lsh_shape(cfg)
        self.ids_: list[str] = []
        self.keys_: list[str] = []
        self.hashes_ = np.zeros((0, b), dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.ids_)

    def _resolve(self, texts: list[str], hashes: np.ndarray) -> np.ndarray:
        """Duplicate flags for rows (in order) with band `hashes`, each compared with the earlier kept ones."""
        buckets = _shared_buckets(hashes)
        involved = np.flatnonzero((buckets >= 0).any(axis=1))
        dup = np.zeros(len(hashes), dtype=bool)
        if not involved.size:
            return dup
        sigs = np.zeros((len(hashes), self.cfg.num_perm), dtype=np.uint32)
        for rows, mins in _signature_chunks([texts[i] for i in involved], self.cfg):
            sigs[involved[rows]] = mins
        kept_in: dict[tuple[int, int], list[int]] = {}
        for j in involved.tolist():
            mine = [(t, g) for t, g in enumerate(buckets[j].tolist()) if g >= 0]
            if any(_jaccard(sigs[i], sigs[j]) >= self.cfg.threshold
                   for key in mine for i in kept_in.get(key, ())):
                dup[j] = True
                continue
            for key in mine:
                kept_in.setdefault(key, []).append(j)
        return dup

    def _against_index(self, ids: list[str], texts: list[str], hashes: np.ndarray) -> np.ndarray:
        """Per row: 1 if its own id is indexed, 2 if an indexed other text is similar enough, else 0."""
        out = np.zeros(len(ids), dtype=np.int8)
        own = {mid: i for i, mid in enumerate(self.ids_)}
        bands = []  # per band: the index rows in hash order and their sorted hashes, built once for all rows
        for t in range(self.hashes_.shape[1]):
            order = np.argsort(self.hashes_[:, t], kind="stable")
            bands.append((order, self.hashes_[order, t], t))
        for j, mid in enumerate(ids):
            if mid in own:
                out[j] = 1
                continue
            cands: set[int] = set()
            for order, col, t in bands:
                lo, hi = np.searchsorted(col, hashes[j, t], "left"), np.searchsorted(col, hashes[j, t], "right")
                cands.update(order[lo:hi].tolist())
            if cands:
                mine = next(_signature_chunks([texts[j]], self.cfg))[1][0]
                if any(_jaccard(next(_signature_chunks([self.keys_[i]], self.cfg))[1][0], mine) >= self.cfg.threshold
                       for i in cands):
                    out[j] = 2
        return out

    def scan(self, ids: pd.Series, keys: pd.Series, learn: bool,
             bands: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """`bands`: `band_hashes(keys.tolist(), cfg)` when the caller has them already (``ml.filtering.rows``)."""
        texts, id_list = keys.tolist(), ids.tolist()
        dup = np.zeros(len(texts), dtype=bool)
        positions, hashes = band_hashes(texts, self.cfg) if bands is None else bands
        if not learn and len(self):
            hit = self._against_index([id_list[p] for p in positions], [texts[p] for p in positions], hashes)
            dup[positions[hit == 2]] = True
            positions, hashes = positions[hit == 0], hashes[hit == 0]
        local = self._resolve([texts[p] for p in positions], hashes)
        dup[positions[local]] = True
        if learn:
            kept = ~local
            self.ids_ = [id_list[p] for p in positions[kept]]
            self.keys_ = [texts[p] for p in positions[kept]]
            self.hashes_ = hashes[kept]
        return dup
