"""Labelled data sets for the ablations, prepared with the pipeline's own stages.

``prepare(spec, config)`` runs ingest → (inbound filter) → quality filter → units → behavioral
features → text embeddings (through ``ml.features.embed``'s on-disk cache, so a second run encodes nothing)
with ``ml.runtime.pipeline.PersonaPipeline.prepare``, the same code ``PersonaPipeline.run`` uses, and returns a ``Prepared`` bundle: the member
frame, the raw (n, 36) features, the (n, 384) L2-normalised embeddings and one label array per
label column (None where a member has no label). Labels are for evaluation only.

Built-in sets live in ../shared/data (``PERSONAS_SHARED_DATA`` overrides):
``banking77`` (intent), ``airline`` (negativereason, on negative tweets; airline), ``twcs`` (brand
of the account that answered an inbound tweet, derived from the reply links), ``googlenews`` and
``tweet`` (short-text clustering benchmarks, label ``cluster``; texts preprocessed by their authors). Any other labelled
dump: ``DatasetSpec("name", [path], ["label_col"])``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))


def twcs_brand(messages: pd.DataFrame) -> pd.Series:
    """Brand label of each inbound TWCS tweet: the author of the outbound tweet that answered it.

    Customers' tweets that no brand answered inside the slice get None (left out of the scores).
    """
    outbound = messages[messages["inbound"].fillna(True).astype(bool).eq(False) & messages["reply_to"].notna()]
    brand_of = {}
    for parent, author in zip(outbound["reply_to"].astype(str), outbound["author"]):
        brand_of.setdefault(parent, author)
    labels = messages["message_id"].astype(str).map(brand_of).astype(object)
    keep = labels.notna() & messages["inbound"].fillna(False).astype(bool)
    return pd.Series([v if k else None for v, k in zip(labels, keep)], index=messages.index, dtype=object)


@dataclass(frozen=True)
class DatasetSpec:
    """One labelled dump: files (absolute, or relative to the shared data folder) and label columns.

    ``derive`` computes a label from the loaded message frame instead of reading a column
    (``labels`` then names it); ``inbound_only`` keeps the customer side as ``--inbound-only`` does.
    """

    name: str
    paths: list[str]
    labels: list[str]
    inbound_only: bool = False
    derive: Callable[[pd.DataFrame], pd.Series] | None = None
    note: str = ""

    def resolved(self) -> list[Path]:
        return [Path(p) if Path(p).is_absolute() else SHARED_DATA / p for p in self.paths]


BUILTIN = {
    "banking77": DatasetSpec("banking77", ["banking77/train.csv", "banking77/test.csv"], ["category"],
                             note="13,083 banking queries, 77 intents, no metadata"),
    "airline": DatasetSpec("airline", ["twitter_airline_sentiment/Tweets.csv"], ["negativereason", "airline"],
                           note="14,640 tweets; negativereason on the 9,178 negative ones"),
    "twcs": DatasetSpec("twcs", ["twcs_sample/twcs_first5000.csv"], ["brand"], inbound_only=True,
                        derive=twcs_brand, note="TWCS first 5,000 rows, customer side, brand that answered"),
    "googlenews": DatasetSpec("googlenews", ["short_text_clustering/googlenews_ts.jsonl"], ["cluster"],
                              note="GoogleNews-TS: 11,109 preprocessed news titles+snippets, 152 stories of 3-430"),
    "tweet": DatasetSpec("tweet", ["short_text_clustering/tweet.jsonl"], ["cluster"],
                         note="Tweet (TREC microblog): 2,472 preprocessed tweets, 89 topics of 1-249"),
}


@dataclass
class Prepared:
    """A data set ready for reduce/cluster: members, raw features, embeddings, labels."""

    name: str
    members: pd.DataFrame
    features: np.ndarray
    embeddings: np.ndarray
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.embeddings.shape[0])

    def subset(self, idx: np.ndarray) -> Prepared:
        """The same data restricted to rows ``idx`` (features recomputed nowhere: rows are taken)."""
        return Prepared(self.name, self.members.iloc[idx].reset_index(drop=True), self.features[idx],
                        self.embeddings[idx], {k: v[idx] for k, v in self.labels.items()},
                        {**self.counts, "subsample": len(idx)})


def _member_labels(members: pd.DataFrame, by_message: dict[str, object]) -> np.ndarray:
    """Majority label over each member's messages (None when none of them has one)."""
    out = []
    for ids in members["message_ids"]:
        votes = Counter(by_message[m] for m in ids if by_message.get(m) is not None)
        out.append(min(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0] if votes else None)
    return np.array(out, dtype=object)


def _label_value(v) -> str | None:
    """A label as text (numeric cluster ids included); None for missing or blank."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    text = str(v).strip()
    return text or None


def _load(paths, label: str | None):
    """``(messages, load_report)`` of ``paths`` with ``label`` read as the label column."""
    from ml.ingest.load import ColumnMapping, load_messages

    return load_messages([str(p) for p in paths], mapping=ColumnMapping(label=label))


def prepare(spec: DatasetSpec, config=None, progress: bool = False) -> Prepared:
    """Run the pipeline's stages up to the embeddings on ``spec`` (see the module docstring)."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    cfg = (config or PipelineConfig()).updated({"input": {"inbound_only": spec.inbound_only}})
    paths = spec.resolved()
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"{p}: data file not found (set PERSONAS_SHARED_DATA or pass --data)")
    first = None if spec.derive or not spec.labels else spec.labels[0]
    messages, load_report = _load(paths, first)
    by_label: dict[str, dict[str, object]] = {}
    for i, col in enumerate(spec.labels):
        if spec.derive:
            values = spec.derive(messages)
        elif i == 0:
            values = messages["label"]
        else:
            values = _load(paths, col)[0]["label"]
        by_label[col] = {m: _label_value(v) for m, v in zip(messages["message_id"].astype(str), values.astype(object))}
    if spec.labels:
        messages = messages.assign(label=messages["message_id"].astype(str).map(by_label[spec.labels[0]]))
    prep = PersonaPipeline(cfg, progress=progress).prepare(paths, loaded=(messages, load_report))
    members = prep.members
    labels = {col: _member_labels(members, table) for col, table in by_label.items()}
    counts = {"input": len(messages), "candidates": prep.n_candidates, "kept": len(members),
              "embedded_now": int(prep.embedder.n_encoded_), "from_cache": int(prep.embedder.n_cached_)}
    return Prepared(spec.name, members, np.asarray(prep.features, dtype=np.float32),
                    np.asarray(prep.embeddings, dtype=np.float32), labels, counts)
