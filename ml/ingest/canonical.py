"""A file's rows in the canonical message columns (CONTRACTS §1, plus the raw ``_time`` and ``_thread``).

``canonical_frame(frame, path, mapping, report)``: the text cleaned (HTML, entities, mojibake, an email's quoted
replies cut, an over-long paste cut at ``MAX_TEXT``), ids normalised ("3.0" → "3", a row's own
``"<file>:<row>"`` where it has none), the side read from the side column, labels with their missing values as
None. ``ml.ingest.load`` calls it per file, ``ml.ingest.records`` for the API's JSON records.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ml.ingest.columns import missing_labels, normalize_ids, sides
from ml.ingest.email_reply import cut_replies
from ml.ingest.paths import stem
from ml.ingest.pseudonyms import shown_path
from ml.ingest.textclean import MAX_TEXT, clean_text, fix_mojibake, html_count, join_parts, transcript_count

if TYPE_CHECKING:
    from ml.ingest.load import ColumnMapping
    from ml.ingest.report import LoadReport

__all__ = ["canonical_frame"]


def _labels(values: pd.Series) -> pd.Series:
    out = normalize_ids(values).reset_index(drop=True)
    out[missing_labels(values)] = None
    return out


def canonical_frame(frame: pd.DataFrame, path: Path, m: ColumnMapping, report: LoadReport | None = None) -> pd.DataFrame:
    """``frame`` in the canonical columns; texts cleaned (``clean_text``) and cut to an email's latest reply
    (``cut_replies``), after mojibake is repaired (``fix_mojibake``); with a ``report``, the texts with HTML
    markup, the cut ones and the repaired ones are counted in it (``html_texts``, ``email_replies``,
    ``mojibake_repaired``)."""
    frame = frame.reset_index(drop=True)
    n = len(frame)
    raw = frame[m.text].astype(object)
    raw = raw.map(join_parts) if raw.dtype == object else raw  # Telegram's lists of text parts
    raw = raw.where(raw.notna(), "").astype(str)
    repaired = raw.map(fix_mojibake)
    text, cut = cut_replies(repaired.map(clean_text))
    long = (text.str.len() > MAX_TEXT).to_numpy()
    if long.any():  # a pasted log or file: megabytes that no stage reads usefully, and the filter slows on them
        text = text.where(~long, text.str.slice(0, MAX_TEXT))
    if report is not None:  # a file's load (the API's records path keeps no report)
        report.texts_cut += int(long.sum())
        report.transcripts += transcript_count(text)
        report.html_texts += html_count(frame[m.text])
        report.email_replies += cut
        report.mojibake_repaired += int((repaired != raw).sum())
    rows = np.ones(n, dtype="int64") if "_file" in frame else np.arange(1, n + 1)  # .eml: a file per row
    fallback = pd.Series(rows, dtype="int64").astype(str).radd(f"{stem(path)}:").astype(object)
    if m.id:
        ids = normalize_ids(frame[m.id])
        ids = ids.where(ids.notna(), fallback)
    else:
        ids = fallback
    none = pd.Series([None] * n, dtype=object)

    def opt(col: str | None) -> pd.Series:
        return normalize_ids(frame[col]).reset_index(drop=True) if col else none

    return pd.DataFrame({
        "message_id": ids.astype(str).to_numpy(),
        "text": text.to_numpy(),
        "author": opt(m.author).to_numpy(),
        "_time": frame[m.timestamp].to_numpy() if m.timestamp else none.to_numpy(),
        "reply_to": opt(m.reply_to).to_numpy(),
        "_thread": opt(m.thread).to_numpy(),
        "inbound": sides(frame, m.inbound, m.outbound).to_numpy(),
        "label": (_labels(frame[m.label]) if m.label else none).to_numpy(),
        # .eml: each message's file; a chat's file name without the contact's name (shown_path)
        "source_file": frame["_file"].to_numpy() if "_file" in frame else shown_path(path.name),
        "source_row": rows,
    })


# ---------------------------------------------------------------- entry point
