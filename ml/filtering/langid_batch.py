"""py3langid's scores for many texts at once: its own model, walked over all texts in step.

In: a py3langid ``LanguageIdentifier`` (``norm_probs=True``, optionally restricted with ``set_languages``) and
a list of texts. Out: per text the top language and the probability of English, as ``identifier.rank(text)``
gives them (``rank(text)[0][0]`` and the score of ``"en"``).

Why: ``rank`` walks the model's byte automaton in a Python loop and scores each text with its own small
matrix product; at 50k tweets that is about 9 s of one core in the filter stage. Here the automaton is walked
for all texts together, one byte position per numpy step (a text's next state depends only on its own
previous state and byte), and the feature counts of all texts are scored with one sparse product. The steps
are py3langid 0.4's ``_encode``, ``visit_counts``, ``_sparse_score`` and ``_decide``: upper-case texts
lowered, NFC, UTF-8; log1p of each feature's count times the model's per-class table plus the class prior;
scores scaled by 1/sqrt(bytes) and soft-maxed; aliased labels folded into their first column. Only the order
of float32 additions differs from the library's, so probabilities agree to about 1e-6 (asserted against
``rank`` on real texts in tests/test_language.py). Memory: the automaton as an int32 array (about 40 MB,
built once per identifier) and, per chunk of texts, one int64 per byte.

Building the tables from py3langid's model file (xz-compressed, unpickled into Python lists) takes about 1 s;
`save` / `BatchScorer.load` keep them as one uncompressed ``.npz`` that loads in a few hundredths of a second
(``ml.filtering.language`` keeps it in the cache folder, and every forked filter worker would otherwise build
its own).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from py3langid.langid import LanguageIdentifier
from scipy import sparse

_TABLES = ("nextmove_", "rowbase_", "output_", "table_", "prior_", "labels_", "aliases_")
TABLES_FORMAT = 1  # the layout `save` writes; in the file's name, so a new layout never reads an old file

_CHUNK_BYTES = 1 << 22  # texts are walked in chunks of about 4 MB of UTF-8


class BatchScorer:
    """Scores texts with ``identifier``'s model; ``scores(texts)`` → (top labels, P(English))."""

    def __init__(self, identifier) -> None:
        self.nextmove_ = np.asarray(identifier.tk_nextmove, dtype=np.int32)  # states < 2^17, offsets < 2^25
        self.rowbase_ = np.asarray(identifier._rowbase, dtype=np.int32)
        self.output_ = np.asarray(identifier.tk_output, dtype=np.int32)
        self.table_ = np.asarray(identifier.nb_ptc, dtype=np.float32)
        self.prior_ = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.labels_ = np.array(list(identifier.nb_classes), dtype=str)
        self.aliases_ = np.array(list(identifier._alias_pairs), dtype=np.int64).reshape(-1, 2)
        self._index_labels()

    def _index_labels(self) -> None:
        self.first_ = {}
        for i, label in enumerate(self.labels_.tolist()):
            self.first_.setdefault(label, i)
        self.labels_ = self.labels_.astype(object)

    def save(self, path: str | Path) -> None:
        """The tables as one uncompressed ``.npz``, written atomically (a reader never sees half a file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it 0600)
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **{k: (self.labels_.astype(str) if k == "labels_" else getattr(self, k))
                                for k in _TABLES})
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> BatchScorer:
        """A scorer from `save`'s file; ValueError when its tables do not fit together."""
        scorer = cls.__new__(cls)
        with np.load(path, allow_pickle=False) as data:
            for k in _TABLES:
                setattr(scorer, k, data[k])
        ints = (scorer.nextmove_, scorer.rowbase_, scorer.output_, scorer.aliases_)
        if (not all(np.issubdtype(a.dtype, np.integer) for a in ints) or scorer.table_.ndim != 2
                or scorer.table_.shape[1] != len(scorer.labels_) or len(scorer.prior_) != len(scorer.labels_)
                or len(scorer.rowbase_) != len(scorer.output_)):
            raise ValueError(f"{path}: language-ID tables of another layout")
        scorer._index_labels()
        return scorer

    def _features(self, encoded: list[bytes]) -> sparse.csr_matrix:
        """(texts, features) float32 log1p(count) of the automaton's outputs over each text's bytes."""
        n = len(encoded)
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=n)
        order = np.argsort(-lengths, kind="stable")
        buf = np.frombuffer(b"".join(encoded[i] for i in order.tolist()), dtype=np.uint8)
        sorted_len = lengths[order]
        starts = np.concatenate(([0], np.cumsum(sorted_len)[:-1])).astype(np.int64)
        state = np.zeros(n, dtype=np.int64)
        texts, feats = [], []
        for j in range(int(sorted_len[0]) if n else 0):
            active = int(np.searchsorted(-sorted_len, -j, side="left"))  # texts longer than j: a prefix
            s = self.nextmove_[self.rowbase_[state[:active]] + buf[starts[:active] + j]]
            state[:active] = s
            f = self.output_[s]
            hit = np.flatnonzero(f >= 0)
            texts.append(order[hit])
            feats.append(f[hit])
        n_feat = self.table_.shape[0]
        if not texts:
            return sparse.csr_matrix((n, n_feat), dtype=np.float32)
        codes, counts = np.unique(np.concatenate(texts) * n_feat + np.concatenate(feats), return_counts=True)
        values = np.log1p(counts.astype(np.float32))
        return sparse.csr_matrix((values, (codes // n_feat, codes % n_feat)), shape=(n, n_feat), dtype=np.float32)

    def _probabilities(self, encoded: list[bytes]) -> np.ndarray:
        """(texts, classes) float32 probabilities, as ``identifier._decide`` gives them."""
        x = self._features(encoded)
        raw = np.asarray(x @ self.table_, dtype=np.float32) + self.prior_
        raw[np.diff(x.indptr) == 0] = 0.0  # no feature: uniform, as the library's abstain
        lengths = np.fromiter((len(b) or 1 for b in encoded), dtype=np.float64, count=len(encoded))
        raw *= (1.0 / np.sqrt(lengths)).astype(np.float32)[:, None]
        np.exp(raw - raw.max(axis=1, keepdims=True), out=raw)
        raw /= raw.sum(axis=1, keepdims=True)
        for i, j in self.aliases_.tolist():
            raw[:, i] += raw[:, j]
            raw[:, j] = 0.0
        return raw

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(top language label per text, P(English) per text as float64)."""
        encode = LanguageIdentifier._encode  # py3langid's own text encoding (a static method)
        top, p_en = [], []
        chunk: list[bytes] = []
        size = 0
        for t in texts + [None]:
            if t is not None:
                chunk.append(encode(t))
                size += len(chunk[-1])
            if chunk and (t is None or size >= _CHUNK_BYTES):
                probs = self._probabilities(chunk)
                top.append(self.labels_[probs.argmax(axis=1)])
                p_en.append(probs[:, self.first_["en"]].astype(np.float64))
                chunk, size = [], 0
        if not top:
            return np.zeros(0, dtype=object), np.zeros(0, dtype=float)
        return np.concatenate(top), np.concatenate(p_en)
