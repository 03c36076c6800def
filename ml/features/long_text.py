"""Texts longer than the encoder's window, read whole: cut into pieces at word boundaries, then pooled.

MiniLM reads at most ``max_seq_length`` word pieces (256 for all-MiniLM-L6-v2, the two special tokens
included); sentence-transformers and the int8 encoder cut the rest. A member of ``--unit conversation``
or ``--unit author`` joins all its messages, and a chat transcript or an e-mail runs past that, so such
a member used to be embedded on its first ~180 words only: a long thread's later turns, a prolific
author's later messages, never counted.

``LongTextSplitter(model_dir, max_pieces=16).fit()`` reads the model's own ``tokenizer.json`` (the
``tokenizers`` library, no truncation) and ``max_seq_length``; ``window_ = max_seq_length - 2`` word
pieces. ``split(texts)`` returns ``Pieces``:

- a text of at most ``window_`` characters besides its spaces cannot hold more word pieces than that (each
  covers at least one character that is not a space), so it is kept whole without being tokenised: tweets
  and short queries cost nothing;
- a longer text is tokenised; if it has more than ``window_`` word pieces it is cut into the fewest
  pieces of at most ``window_`` word pieces, of about equal length, each cut moved back to the start of
  a word (a single word longer than the window is cut inside it);
- more than ``max_pieces`` pieces: that many, spread evenly over the text (first and last included),
  so one author with thousands of messages costs at most ``max_pieces`` encodings.

``split(texts, cut=False)`` only counts the long texts (``SentenceEmbedder(long_texts="truncate")``, the
default: the model then reads their first window). ``Pieces.pool(vectors)`` is each text's vector: a whole
text's own vector, untouched; a cut text's the vector of its medoid piece (the piece most similar to the
others, weighted by their lengths) or the mean of its pieces' vectors weighted by their word pieces,
L2-normalised (docs/features.md, "Long members"). Learned state: ``window_``, ``tokenizer_``. Counts of the last split: ``n_long_`` (texts longer than the window), ``n_pieces_`` (what they
were cut into), ``n_capped_`` (those cut into more than ``max_pieces``).
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

TOKENISE_CHUNK = 4096  # texts tokenised at a time


def max_seq_length(model_dir: str | Path) -> int:
    """The model's window in word pieces, special tokens included (``sentence_bert_config.json``)."""
    path = Path(model_dir) / "sentence_bert_config.json"
    if path.exists():
        return int(json.loads(path.read_text()).get("max_seq_length", 256))
    return 256


@dataclass
class Pieces:
    """What to encode for a list of texts, and how to pool it back (see the module docstring).

    ``texts``: the texts to encode (the input list itself when nothing was cut); ``owner``: the input
    position of each piece, in order (None when nothing was cut); ``weight``: each piece's word pieces;
    ``how``: ``medoid`` or ``mean`` (``SentenceEmbedder.long_texts``)."""

    texts: list[str]
    owner: np.ndarray | None = None
    weight: np.ndarray | None = None
    how: str = "mean"

    def pool(self, vectors: np.ndarray) -> np.ndarray:
        """(pieces, d) vectors → (texts, d): a whole text's vector as encoded; a cut text's its medoid piece's
        vector or its pieces' length-weighted mean (re-normalised). Loops over the cut texts only."""
        if self.owner is None:
            return vectors
        n = int(self.owner[-1]) + 1
        counts = np.bincount(self.owner, minlength=n)
        out = np.zeros((n, vectors.shape[1]), dtype=np.float32)
        single = counts[self.owner] == 1
        out[self.owner[single]] = vectors[single]
        starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
        for a in starts[counts[self.owner[starts]] > 1]:
            b = a + counts[self.owner[a]]
            out[self.owner[a]] = self._one(vectors[a:b], self.weight[a:b])
        return out

    def _one(self, block: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """One cut text's vector from its pieces' (unit) vectors and word-piece counts."""
        if self.how == "medoid":  # the piece most similar to all of them, each weighted by its length
            return block[int(((block @ block.T) @ weight).argmax())]
        total = (block.astype(np.float64) * weight[:, None]).sum(axis=0)
        return (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)


class LongTextSplitter:
    """Cut texts longer than the encoder's window into word-boundary pieces (see the module docstring)."""

    def __init__(self, model_dir: str | Path, max_pieces: int = 16):
        self.model_dir = model_dir
        self.max_pieces = max_pieces

    def fit(self) -> LongTextSplitter:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(Path(self.model_dir) / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer_ = tokenizer
        self.window_ = max_seq_length(self.model_dir) - 2  # [CLS] and [SEP]
        return self

    def split(self, texts: list[str], cut: bool = True, how: str = "mean") -> Pieces:
        """``Pieces`` of ``texts`` pooled ``how`` (``medoid`` or ``mean``); sets ``n_long_`` (texts longer than
        the window), ``n_pieces_`` and ``n_capped_``. ``cut=False`` only counts them (the texts as given)."""
        window = self.window_
        self.n_long_ = self.n_pieces_ = self.n_capped_ = 0
        # a word piece holds at least one character that is not a space: shorter texts cannot be longer
        long_at = [i for i, t in enumerate(texts) if len(t) - t.count(" ") > window]
        spans: dict[int, list[tuple[str, int]]] = {}
        for start in range(0, len(long_at), TOKENISE_CHUNK):  # a chunk's encodings at a time, not 1M of them
            chunk = long_at[start:start + TOKENISE_CHUNK]
            for i, enc in zip(chunk, self.tokenizer_.encode_batch([texts[i] for i in chunk],
                                                                   add_special_tokens=False)):
                if len(enc.ids) > window:
                    self.n_long_ += 1
                    if cut:
                        spans[i] = self._cut(texts[i], enc.offsets, enc.word_ids)
        if not spans:
            return Pieces(texts)
        out, owner, weight = [], [], []
        for i, text in enumerate(texts):
            for piece, size in spans.get(i, ((text, 1),)):
                out.append(piece)
                owner.append(i)
                weight.append(size)
        self.n_pieces_ = sum(len(s) for s in spans.values())
        return Pieces(out, np.asarray(owner, dtype=np.int64), np.asarray(weight, dtype=np.float64), how)

    def _cut(self, text: str, offsets: list[tuple[int, int]], word_ids: list[int | None]) -> list[tuple[str, int]]:
        """(piece text, word pieces) of one long text."""
        n, window = len(offsets), self.window_
        starts = [0] + [j for j in range(1, n) if word_ids[j] != word_ids[j - 1]]
        cuts = [0]
        while n - cuts[-1] > window:
            prev = cuts[-1]
            ideal = prev + -(-(n - prev) // -(-(n - prev) // window))  # equal pieces of ≤ window
            k = bisect.bisect_right(starts, ideal) - 1
            cuts.append(starts[k] if starts[k] > prev else ideal)
        cuts.append(n)
        pieces = [(text[offsets[a][0]:offsets[b - 1][1]], b - a) for a, b in pairwise(cuts)]
        if len(pieces) > self.max_pieces:
            keep = np.unique(np.linspace(0, len(pieces) - 1, self.max_pieces).round().astype(int))
            pieces = [pieces[j] for j in keep]
            self.n_capped_ += 1
        return pieces


def long_members_line(n_long: int, n_pieces: int, n: int) -> str:
    """The run log's line on members longer than the model's window."""
    head = f"long members: {n_long} of {n:,} are longer than the model's window"
    if n_pieces:
        return f"{head}, read whole as {n_pieces} pieces (embed.long_texts)"
    return f"{head}: only their opening was read (embed.long_texts: medoid reads them whole; docs/features.md)"
