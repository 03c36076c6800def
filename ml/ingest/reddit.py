"""Reddit dumps: comments and posts as Reddit's API (saved listings), PRAW, Pushshift and Arctic Shift write
them (JSON lines, JSON or CSV; one object per comment or post, with ``subreddit``, ``author``, ``created_utc``
and ``body`` (comments) or ``title`` / ``selftext`` (posts)).

``is_dump(columns)`` → whether a table reads as such a dump (a listing's ``kind`` / ``data.*`` columns too).

``prepare(frame)`` → ``(frame, notices)``: the same rows read as messages, for ``ml.ingest.load``:

- which rows are comments: the listing's ``kind`` (``t1``) or the fullname's prefix, else a body or a parent
  and no title (a table of posts and comments writes a post's body blank);
- ``message_id``: the item's fullname (``name``, else ``t1_`` + ``id`` for a comment, ``t3_`` + ``id`` for a
  post), the form ``parent_id`` and ``link_id`` refer to, so reply chains join up;
- ``reply_to``: ``parent_id``; a number (Pushshift's API wrote parents as base-10 integers in 2022–23) is read
  as the comment it names, a missing one (a top-level comment then) as the post; ``thread_id``: ``link_id``,
  the post a comment is under (a post's own id for the post; none when the dump has no ``link_id``, so reply
  chains group the comments), so ``--unit conversation`` reads a post and its comments as one conversation;
- ``text``: a comment's ``body``; a post's ``title``, then its ``selftext`` below it;
- ``author``: the username, as a Twitter dump's screen names are kept (the agent detector matches it with the
  ``@name`` and ``u/name`` others write; mentions in texts are masked, ``ml.profile.pii``); ``[deleted]`` (an
  account deleted since) is unknown (None), not one author who wrote everything deleted;
- ``is_bot``: AutoModerator and accounts named as bots (``BOT_NAME``: "RemindMeBot", "haiku_bot") are bots
  (read as the company's side, so not members; ``ml.ingest.columns.BOT_FLAGS``).

Comments and posts whose text was deleted or removed (``GONE``: ``[deleted]``, ``[removed]``, ``[deleted by
user]``, ``[ Removed by Reddit … ]``, with no title left) are Reddit's placeholders, not what anyone wrote: they
are left out and counted in ``notices``, as a chat tool's notices are. A listing's "more" stubs are not items.
"""

from __future__ import annotations

import re

import pandas as pd

from ml.ingest.columns import normalize_ids
from ml.ingest.json_records import records_frame

#: what Reddit writes in place of a deleted or removed text, and of a deleted account ("[deleted]", "[removed]",
#: "[deleted by user]", "[ Removed by Reddit on account of violating the [content policy](…). ]", any case)
GONE = re.compile(r"^\[\s*(?:deleted|removed|deleted by user|removed by reddit\b.*)\s*\]$", re.IGNORECASE | re.DOTALL)
BOTS = frozenset({"automoderator"})
#: bots' account names: "RemindMeBot", "haiku_bot", "bot-4-links" (not "Talbot" or "abbot")
BOT_NAME = r"(?:[a-z0-9]Bot$|[_-][Bb]ot$|^[Bb]ot[_-])"


def unwrapped(frame: pd.DataFrame) -> pd.DataFrame:
    """Reddit's own API listings as plain items: a listing's children (``{"kind": "t1", "data": {…}}`` each,
    read as ``kind`` and ``data.*`` columns) with ``data.`` dropped from the names, the replies nested under a
    comment (``data.replies``, a listing of its own) and a saved thread page's two listings (the post, then its
    comments) taken in turn; the listings' "more" stubs are not items."""
    frame = _expanded(frame)
    cols = set(frame.columns)
    if "kind" not in cols or not {"data.author", "data.subreddit"} <= cols:
        return frame
    items = frame[frame["kind"].astype(str) != "more"]
    items = items.drop(columns=[c for c in items.columns if c != "kind" and not c.startswith("data.")])
    return items.rename(columns=lambda c: c.removeprefix("data."))


def _expanded(frame: pd.DataFrame, depth: int = 0) -> pd.DataFrame:
    """Rows that are listings (``data.children``) replaced by their children, and comments' nested replies
    (``data.replies.data.children``) added after them, as deep as they go."""
    if depth > 500:
        return frame
    if "data.children" in frame:
        listing = frame["data.children"].map(lambda v: isinstance(v, list))
        children = [c for kids in frame.loc[listing, "data.children"] for c in kids if isinstance(c, dict)]
        rest = frame[~listing].drop(columns=["data.children"])
        frame = _joined(rest, _expanded(records_frame(children), depth + 1) if children else None)
    replies = "data.replies.data.children"
    if replies in frame:
        children = [c for kids in frame[replies] if isinstance(kids, list) for c in kids if isinstance(c, dict)]
        own = frame.drop(columns=[c for c in frame.columns if c.startswith("data.replies")])
        frame = _joined(own, _expanded(records_frame(children), depth + 1) if children else None)
    return frame


def _joined(first: pd.DataFrame, then: pd.DataFrame | None) -> pd.DataFrame:
    parts = [p for p in (first, then) if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else first


def is_dump(columns) -> bool:
    cols = set(columns)
    if "kind" in cols and ({"data.author", "data.subreddit"} <= cols or "data.children" in cols):
        return True
    return {"subreddit", "author", "created_utc"} <= cols and bool({"body", "selftext", "title"} & cols)


def _cells(frame: pd.DataFrame, col: str, ids: bool = False) -> pd.Series:
    """A column's values as stripped strings, "" where missing; ``ids``: whole numbers without ".0"."""
    if col not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[col]
    if ids:
        values = normalize_ids(values).set_axis(frame.index)
    values = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return values


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    values = _cells(frame, col)
    return values.where(~values.str.match(GONE), "")


def _comments(frame: pd.DataFrame) -> pd.Series:
    """Which items are comments: the listing's kind or the fullname says; else a parent (a post has none), or a
    body and no title (a table of posts and comments writes a post's body blank; a script's table of comments
    may copy the post's title onto each)."""
    kind = _cells(frame, "kind").where(lambda k: k != "", _cells(frame, "name", ids=True).str[:2])
    said = kind.isin(["t1", "t3"])
    body, title = _cells(frame, "body") != "", _cells(frame, "title") != ""
    guess = (_cells(frame, "parent_id", ids=True) != "") | (body & ~title)
    return (kind == "t1").where(said, guess)


def _base36(number: int) -> str:
    digits, out = "0123456789abcdefghijklmnopqrstuvwxyz", ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _parents(frame: pd.DataFrame, comment: pd.Series, thread: pd.Series) -> pd.Series:
    """A comment's parent as a fullname: ``parent_id`` as written (``t1_…``, ``t3_…``), a number (Pushshift's
    API wrote some years' parents as base-10 integers) as the comment it names, and none (a top-level comment
    in those years) as the post it is under."""
    parent = _cells(frame, "parent_id", ids=True).map(
        lambda v: "t1_" + _base36(int(v)) if v.isascii() and v.isdigit() else v)
    parent = parent.where(parent != "", thread)
    return parent.where(comment & (parent != ""), None)


def _fullnames(frame: pd.DataFrame, comment: pd.Series) -> pd.Series:
    ids = _cells(frame, "id", ids=True)
    made = ids.where(ids == "", comment.map({True: "t1_", False: "t3_"}) + ids)
    named = _cells(frame, "name", ids=True)
    return named.where(named != "", made).replace("", None)


def prepare(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The dump's rows as messages, Reddit's placeholders left out (module docstring)."""
    frame = unwrapped(frame)
    comment = _comments(frame)
    body = "selftext" if "selftext" in frame else "body"  # a table of posts only may call the post's text body
    post_text = (_text(frame, "title") + "\n\n" + _text(frame, body)).str.strip()
    text = _text(frame, "body").where(comment, post_text)
    out = frame.drop(columns=[c for c in ("text", "message_id", "thread_id", "reply_to") if c in frame])
    out.insert(0, "message_id", _fullnames(frame, comment))
    out.insert(1, "text", text)
    link = _cells(frame, "link_id", ids=True)
    out["thread_id"] = link.where(comment, out["message_id"]).replace("", None)  # no post named: reply roots
    out["reply_to"] = _parents(frame, comment, link)
    author = _cells(frame, "author")
    known = ~author.str.match(GONE) & (author != "")
    out["is_bot"] = known & (author.str.lower().isin(BOTS) | author.str.contains(BOT_NAME, regex=True))
    out["author"] = author.where(known, None)
    epoch = pd.to_numeric(frame["created_utc"], errors="coerce")
    if epoch.notna().sum() == frame["created_utc"].notna().sum():  # epoch seconds, as Reddit writes them
        out["created_utc"] = epoch
    placeholder = text == ""
    return out[~placeholder].reset_index(drop=True), int(placeholder.sum())
