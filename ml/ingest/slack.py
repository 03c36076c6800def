"""Slack workspace exports: a folder with ``channels.json`` / ``users.json`` (and ``groups.json``,
``dms.json``, ``mpims.json``) beside one folder per channel of daily files (``support/2024-03-01.json``,
each an array of messages: ``{"type": "message", "user": "U024BE7LH", "text": "…", "ts":
"1709290000.000200", "thread_ts": …, "subtype": …}``).

``export_files(folder)`` → the daily files of every channel (sorted by channel, then day; a day holding "[]" is skipped), or None when
``folder`` is not a Slack export (no ``channels.json``, ``users.json``, ``groups.json``, ``dms.json`` or
``mpims.json`` at its top, or no daily file below it). The workspace's own lists (users, channels, …)
are not messages and are not read.

``is_daily_file(path)`` → whether ``path`` is a channel's daily file of an export (its folder's parent is
an export's top).

``prepare(frame, path)`` → ``(frame, system)``: one daily file's messages with the channel (``channel``,
the folder's name; ``message_id`` and ``thread_ts`` prefixed with it, as a ``ts`` is unique within a
channel only), Slack's markup read as text (``<@U024BE7LH>`` → ``@U024BE7LH``, ``<#C123|support>`` →
``#support``, ``<https://x.io|x.io>`` → ``https://x.io``, ``<!here>`` → ``@here``), and the workspace's
own notices left out (``SYSTEM``: joins, leaves, topic and purpose changes, …; counted in ``system``). A
thread's messages share ``thread_ts`` (the conversation column, for ``--unit conversation``), and its
replies get ``reply_to``, the thread's first message (Slack's replies answer it), so the brand/agent detector
(``ml.filtering.agents``) sees who answers whom. ``is_bot`` marks bots' messages (posted as a bot, or by a user
``users.json`` lists as a bot): they are the company's side; people's are unknown (customers or staff). The
names ``users.json`` shows for people (``user_names``) are passed on in ``_name``, which the load reads for the
masker only (it masks them in every text).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pandas as pd

TOP_FILES = ("channels.json", "users.json", "groups.json", "dms.json", "mpims.json")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
#: subtypes of notices the workspace writes, not people
SYSTEM = frozenset({"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
                    "channel_archive", "channel_unarchive", "group_join", "group_leave", "group_topic",
                    "group_purpose", "group_name", "group_archive", "group_unarchive", "pinned_item",
                    "unpinned_item", "bot_add", "bot_remove", "channel_convert_to_private",
                    "channel_convert_to_public", "reminder_add", "tombstone"})
_LINK = re.compile(r"<((?:https?|mailto):[^|<>]+)(?:\|[^<>]*)?>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*)?>")


def is_top(folder: Path) -> bool:
    """Whether ``folder`` is the top of a Slack export (one of ``TOP_FILES`` in it)."""
    return folder.is_dir() and any((folder / name).is_file() for name in TOP_FILES)


def is_daily_file(path: Path) -> bool:
    """Whether ``path`` is a channel's day of a Slack export."""
    return bool(DAY.match(path.name)) and is_top(path.parent.parent)


def export_files(folder: Path) -> list[Path] | None:
    """The channels' daily files of a Slack export (module docstring), or None."""
    if not is_top(folder):
        return None
    days = sorted(p for sub in folder.iterdir() if sub.is_dir() for p in sub.iterdir()
                  if p.is_file() and DAY.match(p.name) and not _empty(p))
    return days or None


def _empty(path: Path) -> bool:
    """A day file that holds no message ("[]"): skipped, not refused."""
    return path.stat().st_size < 16 and path.read_text(encoding="utf-8", errors="replace").strip() in ("", "[]")


def markup_as_text(text):
    """Slack's ``<…>`` markup as the text a reader sees (module docstring); non-strings unchanged."""
    if not isinstance(text, str) or "<" not in text:
        return text
    text = _LINK.sub(r"\1", text)
    text = _USER.sub(r"@\1", text)
    text = _CHANNEL.sub(r"#\1", text)
    return _SPECIAL.sub(r"@\1", text)


def bot_users(top: Path) -> frozenset[str]:
    """The ids of the export's bot and app users (``users.json``: ``is_bot``); none when it is missing or
    unreadable (then only messages a bot posted as such are known)."""
    return frozenset(str(u["id"]) for u in _users(top) if u.get("id") and u.get("is_bot"))


def user_names(top: Path) -> dict[str, str]:
    """The export's people by id, with the name ``users.json`` shows for them ("Ana Example": ``real_name``, else
    the profile's): the load masks these names in every text (``_name``, ``ml.ingest.load``), never keeps them."""
    out = {}
    for u in _users(top):
        profile = u.get("profile") if isinstance(u.get("profile"), dict) else {}
        name = u.get("real_name") or profile.get("real_name") or profile.get("display_name")
        if u.get("id") and isinstance(name, str) and name.strip() and not u.get("is_bot"):
            out[str(u["id"])] = name.strip()
    return out


def _users(top: Path) -> tuple[dict, ...]:
    """``users.json`` of the export at ``top``: its entries, none when it is missing or unreadable."""
    try:
        stat = (top / "users.json").stat()
        return _read_users((top / "users.json").resolve(), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        return ()


@functools.lru_cache(maxsize=8)
def _read_users(path: Path, *stamp: int) -> tuple[dict, ...]:  # read once per export (and per change: mtime, size)
    try:
        users = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple(u for u in users if isinstance(u, dict)) if isinstance(users, list) else ()


def _bots(frame: pd.DataFrame, bots: frozenset[str]) -> pd.Series:
    """True for a bot's message: posted as a bot (subtype ``bot_message``, a ``bot_id``) or by a bot user."""
    out = pd.Series(False, index=frame.index)
    if "subtype" in frame:
        out |= frame["subtype"].eq("bot_message")
    if "bot_id" in frame:
        out |= frame["bot_id"].notna() & frame["bot_id"].astype(str).ne("")
    if "user" in frame and bots:
        out |= frame["user"].astype(str).isin(bots)
    return out


def prepare(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, int]:
    """One daily file's messages, with their channel, markup read, notices left out (module docstring)."""
    system = frame["subtype"].isin(SYSTEM) if "subtype" in frame else pd.Series(False, index=frame.index)
    frame = frame[~system].copy()
    if "text" in frame:
        frame["text"] = frame["text"].map(markup_as_text)
    channel = path.parent.name
    frame["channel"] = channel  # some exporters write a channel field of their own
    frame["is_bot"] = _bots(frame, bot_users(path.parent.parent))
    names = user_names(path.parent.parent)
    if names and "user" in frame:  # for the masker only (ml.ingest.load)
        frame["_name"] = frame["user"].astype(str).map(names)
    if "ts" in frame and "message_id" not in frame:  # ts is unique within a channel only
        frame.insert(0, "message_id", channel + ":" + frame["ts"].astype(str))
    if "thread_ts" in frame:
        frame["thread_ts"] = frame["thread_ts"].map(lambda v: f"{channel}:{v}" if isinstance(v, str) and v else None)
        if "message_id" in frame and "reply_to" not in frame:  # a thread's replies answer its first message
            frame["reply_to"] = frame["thread_ts"].where(frame["thread_ts"] != frame["message_id"])
    return frame, int(system.sum())
