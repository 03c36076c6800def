"""Reddit dumps: comments and posts as Reddit's API, PRAW, Pushshift and Arctic Shift write them (JSON lines,
JSON or CSV; one object per comment or post, with ``subreddit``, ``author``, ``created_utc`` and ``body``
(comments) or ``title`` / ``selftext`` (posts)).

``is_dump(columns)`` → whether a table reads as such a dump.

``prepare(frame)`` → ``(frame, notices)``: the same rows read as messages, for ``ml.ingest.load``:

- ``message_id``: the item's fullname (``name``, else ``t1_`` + ``id`` for a comment, ``t3_`` + ``id`` for a
  post), the form ``parent_id`` and ``link_id`` refer to, so reply chains join up;
- ``reply_to``: ``parent_id``; ``thread_id``: ``link_id``, the post a comment is under (a post's own id for
  the post), so ``--unit conversation`` reads a post and its comments as one conversation;
- ``text``: a comment's ``body``; a post's ``title``, then its ``selftext`` below it;
- ``author``: ``[deleted]`` (an account deleted since) is unknown (None), not one author who wrote
  everything deleted;
- ``is_bot``: AutoModerator and accounts named as bots (``BOT_NAME``: "RemindMeBot", "haiku_bot") are bots (read as the
  company's side, so not members; ``ml.ingest.columns.BOT_FLAGS``).

Comments and posts whose text was deleted or removed (``[deleted]``, ``[removed]``, with no title left) are
Reddit's placeholders, not what anyone wrote: they are left out and counted in ``notices``, as a chat tool's
notices are.
"""

from __future__ import annotations

import pandas as pd

#: what Reddit writes in place of a deleted or removed text, and of a deleted account
GONE = frozenset({"[deleted]", "[removed]", "[ Removed by Reddit ]", "[removed by reddit]"})
BOTS = frozenset({"automoderator"})
#: bots' account names: "RemindMeBot", "haiku_bot", "bot-4-links" (not "Talbot" or "abbot")
BOT_NAME = r"(?:[a-z0-9]Bot$|[_-][Bb]ot$|^[Bb]ot[_-])"


def is_dump(columns) -> bool:
    cols = set(columns)
    return {"subreddit", "author", "created_utc"} <= cols and bool({"body", "selftext", "title"} & cols)


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[col].astype(object).where(frame[col].notna(), "").astype(str).str.strip()
    return values.where(~values.isin(GONE), "")


def _fullnames(frame: pd.DataFrame, comment: pd.Series) -> pd.Series:
    ids = frame["id"].astype(object).where(frame["id"].notna(), "").astype(str) if "id" in frame else None
    made = None if ids is None else ids.where(ids == "", comment.map({True: "t1_", False: "t3_"}) + ids)
    if "name" in frame:
        named = frame["name"].astype(object).where(frame["name"].notna(), "").astype(str)
        made = named if made is None else named.where(named != "", made)
    return made.replace("", None) if made is not None else pd.Series(None, index=frame.index, dtype=object)


def prepare(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The dump's rows as messages, Reddit's placeholders left out (module docstring)."""
    comment = frame["body"].notna() if "body" in frame else pd.Series(False, index=frame.index)
    title, body = _text(frame, "title"), _text(frame, "selftext")
    post_text = (title + "\n\n" + body).str.strip()
    text = _text(frame, "body").where(comment, post_text)
    out = frame.drop(columns=[c for c in ("text", "message_id", "thread_id", "reply_to") if c in frame])
    out.insert(0, "message_id", _fullnames(frame, comment))
    out.insert(1, "text", text)
    out["reply_to"] = frame["parent_id"].where(comment, None) if "parent_id" in frame else None
    own = out["message_id"]
    out["thread_id"] = frame["link_id"].where(comment & frame["link_id"].notna(), own) if "link_id" in frame else own
    author = frame["author"].astype(object)
    out["author"] = author.where(~author.astype(str).isin(GONE) & author.notna(), None)
    name = out["author"].astype(str)
    out["is_bot"] = out["author"].notna() & (name.str.lower().isin(BOTS) | name.str.contains(BOT_NAME, regex=True))
    epoch = pd.to_numeric(frame["created_utc"], errors="coerce")
    if epoch.notna().sum() == frame["created_utc"].notna().sum():  # epoch seconds, as Reddit writes them
        out["created_utc"] = epoch
    placeholder = text == ""
    return out[~placeholder].reset_index(drop=True), int(placeholder.sum())
