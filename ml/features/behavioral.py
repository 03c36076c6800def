"""`BehavioralFeatures`: the 36 behavioral features of docs/CONTRACTS.md §7, per member.

In: `members` (member frame: `member_id`, `message_ids` list, ...) and `messages` (the full canonical
message frame: every ingested row, brand side and filtered rows included, since threads and reply graphs
need them). Out: `transform -> np.ndarray float64 (n_members, 36)`, raw values in `FEATURE_NAMES` order,
NaN where metadata is missing (no timestamp / author / reply structure). Each feature is computed per
message and averaged over the member's messages (NaN values ignored); a member none of whose ids is in
`messages` gets its style features from its own `text` and NaN elsewhere.

Everything is vectorised (pandas `str.count` with compiled patterns, groupby, numpy indexing); thread
depth and roots come from pointer jumping on the id -> parent mapping (O(n log depth)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ml.features.specs import FEATURE_NAMES, FEATURE_SPECS, FeatureSpec, describe_features
from ml.runtime.errors import InputError

__all__ = ["FEATURE_NAMES", "FEATURE_SPECS", "BehavioralFeatures", "FeatureSpec", "describe_features",
           "message_features", "style_features", "thread_structure"]


_COL = {name: i for i, name in enumerate(FEATURE_NAMES)}

_URL = re.compile(r"(?:https?://|www\.)\S+")
# "(?<![\w@])@\w+" and "(?<![\w#])#\w+" with the literal first, so that `re` jumps between "@"s: 4x faster
_HANDLE = re.compile(r"@(?<![\w@]@)\w+")
_HASHTAG = re.compile(r"#(?<![\w#]#)\w+")
# what addresses or links rather than what the person wrote: "@AmazonHelp @115712" and "https://t.co/x7Qz"
# would otherwise count as capitals, digits and words (on TWCS three quarters of the digits were handles')
_ADDRESSING = re.compile(f"{_URL.pattern}|{_HANDLE.pattern}")
_REPEATED = re.compile(r"!!|\?\?|\?!|!\?|\.\.\.|…")
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff"
    "\U0001f900-\U0001f9ff\U0001fa70-\U0001faff\u2600-\u26ff\u2700-\u27bf\u2b50\u2b55\u2764]"
)
_POLITE = re.compile(r"\b(?:please|pls|plz|thanks|thank\s*(?:you|u)|thx|appreciate\w*)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:[Ii]|[Mm][Ee]|[Mm][Yy]|[Mm]ine|[Ww][Ee]|[Uu]s|[Oo]ur)\b")


def _token_counts(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per text: runs of non-space characters (``\\S+``) and non-space characters, from one ``str.split``
    (it splits on exactly the characters of ``\\s``); no token list outlives its text."""
    tokens = np.zeros(len(texts))
    nonspace = np.zeros(len(texts))
    for i, text in enumerate(texts):
        words = text.split()
        tokens[i] = len(words)
        nonspace[i] = sum(map(len, words))
    return tokens, nonspace


def style_features(texts: pd.Series) -> pd.DataFrame:
    """Per-text style and text-network features (columns 19–32), vectorised over a Series. Capitals, digits,
    punctuation, emoji, politeness and first-person words are read from what the person typed: the text without
    @handles and links (``_ADDRESSING``), which ``mentions_log`` and ``has_url`` count. Lengths count the whole
    text, as the platform does (left out too, they cost TWCS its brand ARI: docs/ablations.md), and so does the word
    count ``first_person_ratio`` divides by."""
    raw = texts.fillna("").astype(str)
    addressed = raw.str.contains("@|http|www\\.").any()
    t = raw.str.replace(_ADDRESSING, "", regex=True).str.strip() if addressed else raw
    chars = raw.str.len().to_numpy(float)
    tokens, nonspace = _token_counts(raw.tolist())
    written = t.str.len().to_numpy(float)
    letters = t.str.count(r"[^\W\d_]").to_numpy(float)
    upper = t.str.count(r"[A-Z\u00C0-\u00DE]").to_numpy(float)

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    return pd.DataFrame(
        {
            "chars_log": np.log1p(chars),
            "words_log": np.log1p(tokens),
            "mean_word_len": ratio(nonspace, tokens),
            "upper_ratio": ratio(upper, letters),
            "exclaim_log": np.log1p(t.str.count("!").to_numpy(float)),
            "question_log": np.log1p(t.str.count(r"\?").to_numpy(float)),
            "repeated_punct": t.str.contains(_REPEATED).to_numpy(float),
            "emoji_log": np.log1p(t.str.count(_EMOJI).to_numpy(float)),
            "digit_ratio": ratio(t.str.count(r"\d").to_numpy(float), written),
            "has_url": raw.str.contains(_URL).to_numpy(float),
            "politeness": t.str.contains(_POLITE).to_numpy(float),
            "first_person_ratio": ratio(t.str.count(_FIRST_PERSON).to_numpy(float), tokens),
            "mentions_log": np.log1p(raw.str.count(_HANDLE).to_numpy(float)),
            "hashtags_log": np.log1p(raw.str.count(_HASHTAG).to_numpy(float)),
        },
        index=texts.index,
    )


def thread_structure(
    parent: np.ndarray, dangling: np.ndarray, max_rounds: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Root position and depth of each message by pointer jumping.

    `parent[i]` is the row of i's parent or -1; `dangling[i]` says i replies to a message outside the data
    (its chain then starts one level deeper). Returns (root, depth as float; NaN on reply cycles).
    """
    n = len(parent)
    has = parent >= 0
    ptr = np.where(has, parent, np.arange(n))
    depth = has.astype(np.int64)
    for _ in range(max_rounds):
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        depth = depth + depth[ptr]
        ptr = nxt
    out = (depth + dangling[ptr]).astype(float)
    out[has[ptr]] = np.nan  # the "root" still has a parent: a cycle
    return ptr, out


def _log(x: np.ndarray | pd.Series) -> np.ndarray:
    return np.log1p(np.asarray(x, dtype=float))


@dataclass
class _Frame:
    """The columns every section reads: ids, epoch seconds and authors (None where unknown)."""

    m: pd.DataFrame
    ids: pd.Series
    secs: np.ndarray
    author: pd.Series
    has_author: np.ndarray

    @classmethod
    def of(cls, messages: pd.DataFrame) -> _Frame:
        m = messages.reset_index(drop=True)
        n = len(m)
        ts = m["timestamp"] if "timestamp" in m else pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns, UTC]")
        ts = pd.to_datetime(ts, utc=True, errors="coerce")
        secs = ((ts - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()).to_numpy(float)
        author = m["author"] if "author" in m else pd.Series([None] * n)
        author = author.astype(object).where(author.notna() & (author.astype(str).str.len() > 0), None)
        return cls(m, m["message_id"].astype(str), secs, author, author.notna().to_numpy())


@dataclass
class _Replies:
    """Reply structure: parent row (−1: none in the data), thread root and size, replies received."""

    parent: np.ndarray
    is_reply: np.ndarray
    root: np.ndarray
    size: np.ndarray
    n_resp: np.ndarray

    @property
    def has_parent(self) -> np.ndarray:
        return self.parent >= 0

    @property
    def par(self) -> np.ndarray:
        return np.maximum(self.parent, 0)


def _time_of_day(out: np.ndarray, m: pd.DataFrame) -> None:
    """Hour (sine/cosine), night, business hours and weekend from the local hour and weekday."""
    n = len(m)
    hour = pd.to_numeric(m.get("local_hour", pd.Series([pd.NA] * n)), errors="coerce").to_numpy(float)
    wday = pd.to_numeric(m.get("local_weekday", pd.Series([pd.NA] * n)), errors="coerce").to_numpy(float)
    known_h = ~np.isnan(hour)
    out[:, _COL["hour_sin"]] = np.sin(2 * np.pi * hour / 24)
    out[:, _COL["hour_cos"]] = np.cos(2 * np.pi * hour / 24)
    out[:, _COL["night_share"]] = np.where(known_h, (hour >= 22) | (hour < 6), np.nan)
    both = known_h & ~np.isnan(wday)
    out[:, _COL["business_hours_share"]] = np.where(both, (wday < 5) & (hour >= 9) & (hour < 18), np.nan)
    out[:, _COL["weekend_share"]] = np.where(~np.isnan(wday), wday >= 5, np.nan)


def _reply_parents(f: _Frame) -> tuple[np.ndarray, np.ndarray]:
    """(parent row or −1, is_reply); a reply to an id outside the data has no parent row."""
    n = len(f.m)
    reply_to = f.m["reply_to"] if "reply_to" in f.m else pd.Series([None] * n)
    reply_to = reply_to.astype(object).where(reply_to.notna(), None)
    first_rows = np.flatnonzero(~f.ids.duplicated().to_numpy())  # duplicate ids: the first row is the parent
    hit = pd.Index(f.ids.to_numpy()[first_rows]).get_indexer(reply_to.astype(object).to_numpy())
    pos = np.where(hit >= 0, first_rows[np.maximum(hit, 0)], -1)
    is_reply = reply_to.notna().to_numpy()
    return np.where(is_reply, pos, -1), is_reply


def _reply_features(out: np.ndarray, f: _Frame, parent: np.ndarray, is_reply: np.ndarray) -> _Replies:
    """is_reply, thread depth/size, reply delay, got_response, response latency, followup_share."""
    n = len(f.m)
    root, depth = thread_structure(parent, (is_reply & (parent < 0)).astype(np.int64))
    size = np.bincount(root, minlength=n)[root].astype(float)
    out[:, _COL["is_reply"]] = is_reply
    out[:, _COL["thread_depth_log"]] = _log(depth)
    out[:, _COL["thread_size_log"]] = _log(size)
    has_parent, par, secs = parent >= 0, np.maximum(parent, 0), f.secs
    out[:, _COL["reply_delay_min_log"]] = np.where(
        has_parent, _log(np.clip((secs - secs[par]) / 60, 0, None)), np.nan
    )
    a, has_author = f.author.to_numpy(object), f.has_author
    # a reply "from another account": authors differ or either is unknown
    other = has_parent & ~(has_author & has_author[par] & (a == a[par]))
    kids = pd.DataFrame({"parent": parent[other], "t": secs[other]})
    n_resp = np.bincount(kids["parent"].to_numpy(), minlength=n)
    first_t = kids.groupby("parent")["t"].min().reindex(range(n)).to_numpy(float)
    out[:, _COL["got_response"]] = n_resp > 0
    out[:, _COL["response_latency_min_log"]] = _log(np.clip((first_t - secs) / 60, 0, None))
    grand = np.where(has_parent, parent[par], -1)
    gpar = np.maximum(grand, 0)
    follow = (grand >= 0) & has_author & has_author[gpar] & (a == a[gpar]) & (a != a[par])
    out[:, _COL["followup_share"]] = np.where(has_author, follow, np.nan)
    return _Replies(parent, is_reply, root, size, n_resp)


def _author_counts(out: np.ndarray, f: _Frame) -> None:
    """Messages per author and distinct @accounts each author addresses."""
    has_author, author = f.has_author, f.author
    count = pd.DataFrame({"author": author, "t": f.secs})[has_author].groupby("author", sort=False).size()
    out[has_author, _COL["author_msg_count_log"]] = _log(author[has_author].map(count))
    mentions = (
        f.m["text"].fillna("").astype(str)[has_author].str.lower().str.findall(_HANDLE).explode().dropna()
    )
    addressed = mentions.groupby(author[has_author].loc[mentions.index]).nunique()
    out[has_author, _COL["author_addressed_accounts_log"]] = _log(
        author[has_author].map(addressed).fillna(0).to_numpy(float)
    )


def _author_timing(out: np.ndarray, f: _Frame) -> None:
    """Each author's span in days, messages per active (local) day and median gap between messages."""
    timed = pd.DataFrame({"author": f.author, "t": f.secs})[f.has_author].dropna(subset=["t"])
    if not len(timed):
        return
    offset = pd.to_numeric(f.m.get("utc_offset_min", pd.Series(np.nan, index=f.m.index)), errors="coerce")
    local_day = np.floor((timed["t"] + offset.loc[timed.index].fillna(0) * 60) / 86400)
    tg = timed.groupby("author", sort=False)
    span = (tg["t"].max() - tg["t"].min()) / 86400
    per_day = tg.size() / local_day.groupby(timed["author"]).nunique()
    timed = timed.sort_values(["author", "t"], kind="stable")
    gaps = timed.groupby("author", sort=False)["t"].diff() / 3600
    med_gap = gaps.groupby(timed["author"]).median()
    sel = f.author[f.has_author]
    out[f.has_author, _COL["author_span_days_log"]] = _log(sel.map(span).to_numpy(float))
    out[f.has_author, _COL["author_msgs_per_active_day_log"]] = _log(sel.map(per_day).to_numpy(float))
    out[f.has_author, _COL["author_median_gap_hours_log"]] = _log(sel.map(med_gap).to_numpy(float))


def _author_threads(out: np.ndarray, f: _Frame, r: _Replies) -> None:
    """Threads per author, turn share, counterparts, replies received and reply share."""
    has_author, author, a = f.has_author, f.author, f.author.to_numpy(object)
    sel = author[has_author]
    roots = pd.DataFrame({"author": author, "root": r.root})[has_author]
    threads = roots.groupby("author", sort=False)["root"].nunique()
    out[has_author, _COL["author_thread_count_log"]] = _log(sel.map(threads).to_numpy(float))
    turns = roots.groupby(["root", "author"], sort=False)["root"].transform("size").to_numpy(float)
    out[has_author, _COL["author_turn_share"]] = turns / r.size[has_author]
    par = r.par
    edge = r.has_parent & has_author & has_author[par] & (a != a[par])
    pairs = pd.DataFrame(
        {"a": np.concatenate([a[edge], a[par][edge]]), "b": np.concatenate([a[par][edge], a[edge]])}
    )
    counterparts = pairs.groupby("a")["b"].nunique()
    out[has_author, _COL["author_counterparts_log"]] = _log(sel.map(counterparts).fillna(0).to_numpy(float))
    received = pd.Series(r.n_resp[has_author], index=sel.index).groupby(sel).sum()
    out[has_author, _COL["author_replies_received_log"]] = _log(sel.map(received).to_numpy(float))
    share = pd.Series(r.is_reply[has_author].astype(float), index=sel.index).groupby(sel).mean()
    out[has_author, _COL["author_reply_share"]] = sel.map(share).to_numpy(float)


def message_features(messages: pd.DataFrame, style: pd.DataFrame | None = None) -> np.ndarray:
    """(n_messages, 36) per-message values for the canonical message frame (rows in frame order).

    Sections: style (from the text), time of day/week, reply structure (when the data have reply
    links), author counts, author timing (authors with timestamps) and author threads (authors and
    reply links). ``style``: ``style_features`` of the messages' text already computed (row-local, so an
    executor may compute it per block elsewhere), in frame order; None computes it here."""
    f = _Frame.of(messages)
    n = len(f.m)
    out = np.full((n, len(FEATURE_NAMES)), np.nan)
    if style is None:
        style = style_features(f.m["text"] if "text" in f.m else pd.Series([""] * n))
    out[:, _COL["chars_log"] : _COL["hashtags_log"] + 1] = style.to_numpy(float)
    _time_of_day(out, f.m)
    parent, is_reply = _reply_parents(f)
    replies = _reply_features(out, f, parent, is_reply) if is_reply.any() else None
    if f.has_author.any():
        _author_counts(out, f)
        _author_timing(out, f)
        if replies is not None:
            _author_threads(out, f, replies)
    if _dates_only(f):  # a same-day reply is not 0 minutes: dates without a time of day time nothing in minutes
        for name in SUB_DAY_FEATURES:
            out[:, _COL[name]] = np.nan
    return out


# the features that measure within a day (minutes, hours): unknown where the timestamps are dates without a time
SUB_DAY_FEATURES = ("reply_delay_min_log", "response_latency_min_log", "author_median_gap_hours_log")


def _dates_only(f: _Frame) -> bool:
    """Timestamps without a time of day: some timestamps, and no local hour (``ml.ingest.timebasis`` empties it
    for dates written without a time)."""
    if not np.isfinite(f.secs).any():
        return False
    hour = pd.to_numeric(f.m["local_hour"], errors="coerce") if "local_hour" in f.m else None
    return hour is not None and not hour.notna().any()


def _links(members: pd.DataFrame, messages: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(member row, message row) for each of a member's ``message_ids`` found among the messages (a
    duplicated message id: its first row)."""
    ids = messages["message_id"].astype(str)
    first = ~ids.duplicated().to_numpy()
    index, positions = pd.Index(ids.to_numpy()[first]), np.flatnonzero(first)
    links = members["message_ids"].reset_index(drop=True).explode()
    found = index.get_indexer(links.astype(str).to_numpy())
    ok = found >= 0
    return links.index.to_numpy()[ok].astype(np.int64), positions[found[ok]]


def _member_means(per_msg: np.ndarray, member_row: np.ndarray, msg_row: np.ndarray, n: int) -> np.ndarray:
    """(n, d) mean of each member's message rows, column by column over the values that are not NaN (as
    pandas' groupby mean); NaN where a member has none. Sparse products: no (links, d) frame is built."""
    out = np.full((n, per_msg.shape[1]), np.nan)
    rows = np.unique(member_row)
    if rows.size == member_row.size:  # at most one message per member (``--unit message``)
        out[member_row] = per_msg[msg_row]
        return out
    link = sp.csr_matrix((np.ones(member_row.size), (member_row, msg_row)), shape=(n, per_msg.shape[0]))
    for c in range(0, per_msg.shape[1], 8):  # a few columns at a time: small temporaries
        block = per_msg[:, c : c + 8]
        seen = ~np.isnan(block)
        sums, counts = link @ np.where(seen, block, 0.0), link @ seen.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rows, c : c + 8] = np.where(counts[rows] > 0, sums[rows] / counts[rows], np.nan)
    return out


class BehavioralFeatures(BaseEstimator):
    """The 36 behavioral features per member (estimator style; no parameters).

    `fit(members, messages)` records which metadata the data has (`has_timestamps_`, `has_authors_`,
    `has_replies_`); no population statistics are needed because the fusion stage standardises.
    `transform(members, messages)` returns the raw float64 matrix (n_members, 36).
    """

    def fit(self, members: pd.DataFrame, messages: pd.DataFrame) -> BehavioralFeatures:
        self._check(members, messages)
        self.has_timestamps_ = bool("timestamp" in messages and messages["timestamp"].notna().any())
        self.has_authors_ = bool("author" in messages and messages["author"].notna().any())
        self.has_replies_ = bool("reply_to" in messages and messages["reply_to"].notna().any())
        self.feature_names_out_ = list(FEATURE_NAMES)
        return self

    @staticmethod
    def _check(members: pd.DataFrame, messages: pd.DataFrame) -> None:
        for name, frame, cols in (
            ("members", members, ("member_id", "message_ids")),
            ("messages", messages, ("message_id", "text")),
        ):
            if not isinstance(frame, pd.DataFrame):
                raise InputError(
                    f"BehavioralFeatures: {name} must be a pandas DataFrame, got {type(frame).__name__}"
                )
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise InputError(
                    f"BehavioralFeatures: {name} frame lacks column(s) {missing}; build it with "
                    f"{'ml.units.build_units' if name == 'members' else 'ml.ingest.load.load_messages'}"
                )

    def transform(self, members: pd.DataFrame, messages: pd.DataFrame,
                  style: pd.DataFrame | None = None) -> np.ndarray:
        """``style``: the messages' ``style_features`` computed elsewhere (see ``message_features``)."""
        check_is_fitted(self, "feature_names_out_")
        self._check(members, messages)
        if style is not None and len(style) != len(messages):
            raise InputError(f"BehavioralFeatures: style has {len(style)} rows for {len(messages)} messages; "
                             "compute it with style_features(messages['text'])")
        per_msg = message_features(messages, style)
        member_row, msg_row = _links(members, messages)
        out = _member_means(per_msg, member_row, msg_row, len(members))
        unmatched = np.setdiff1d(np.arange(len(members)), member_row)
        if len(unmatched):
            text = members["text"] if "text" in members else pd.Series([""] * len(members))
            style = style_features(text.reset_index(drop=True).iloc[unmatched])
            out[unmatched, _COL["chars_log"] : _COL["hashtags_log"] + 1] = style.to_numpy(float)
        return out

    def fit_transform(self, members: pd.DataFrame, messages: pd.DataFrame) -> np.ndarray:
        return self.fit(members, messages).transform(members, messages)
