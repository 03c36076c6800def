"""Column names as people write them, and the text column of a file that names it otherwise.

``normalized(name)`` → the name an alias is compared with: lower case, each run of other characters than letters
and digits one ``_`` ("Message Body" → ``message_body``, "User ID" → ``user_id``). ``name_index(columns)`` finds
columns under that name, and under their camelCase words apart where no column has that name ("createdAt" →
``created_at``, "UserID" → ``user_id``, "HTMLBody" → ``html_body``, while "TimeStamp" stays ``timestamp``).

``guess_text_column(frame, taken)`` → the column that reads as free text when no column has a text name
(``ml.ingest.load.ALIASES``), or None. A column qualifies when, over its first ``SAMPLE`` non-empty values,
at least half hold a space, at least 90 % a letter, at least half are distinct (labels repeat), most do not
read as dates, and the mean is at least ``MIN_WORDS`` words (a name column, "Jane Doe", has two); of those,
the one with the most words per value. ``ml.ingest.load`` says which column it took, in the run's log and the
load report (``FileReport.text_guessed``).

``guess_time_column(frame, taken)`` → when no column has a time name, the first column (in file order) whose
first ``TIME_SAMPLE`` non-empty values ``ml.ingest.timeparse.parse_timestamps`` reads at least
``MIN_TIME_SHARE`` of ("Created", "Opened", "Date Sent"); a column of digits only is taken only when a word of
its name reads as a time ("sent_ms", "epoch", "ts": ``TIME_NAME_RE``; not a name ending in "_id", "_by", …) and
every value is epoch seconds or milliseconds between 2000 and 2040 (epoch seconds and ids look alike; a review's
`sent_ms` was not read). Reported as ``FileReport.time_guessed``.

``side_flags(values, outbound=False)`` → whether each message is the customer's (the inbound flag) from a
column of true/false values or side names (``CUSTOMER_SIDE`` / ``COMPANY_SIDE``); an ``outbound`` column's
true/false are read the other way round (``is_agent``: true is the company). ``sides(frame, inbound,
outbound)`` → the flag from either column; a bot flag's false (``BOT_FLAGS``) is unknown.

``normalize_ids(values)`` → ids as strings ("3.0" → "3"); ``missing_labels(values)`` → where a label is
missing (``MISSING_LABELS``: blank, "nan", "N/A", …).
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from ml.runtime.errors import InputError

SAMPLE = 2000
TIME_SAMPLE = 500  # values of a column that guess_time_column parses
MIN_TIME_SHARE = 0.9
MIN_WORDS = 3.0
_OTHER = re.compile(r"[^0-9a-z]+")
_CAMEL = (re.compile(r"([a-z0-9])([A-Z])"), re.compile(r"([A-Z]+)([A-Z][a-z])"))  # createdAt, HTMLBody


def normalized(name: str, camel: bool = False) -> str:
    """Lower case, runs of non-alphanumerics as one ``_``, none at the ends; with ``camel``, the words of a
    camelCase name apart first ("createdAt" → ``created_at``)."""
    name = str(name)
    if camel:
        for pattern in _CAMEL:
            name = pattern.sub(r"\1_\2", name)
    return _OTHER.sub("_", name.lower()).strip("_")


def name_index(columns) -> dict[str, str]:
    """Normalized name → column, for finding columns by alias: every column under its ``normalized`` name,
    then under its camelCase-split name where no column has that name yet ("TimeStamp" is found as
    ``timestamp``, "createdAt" as ``created_at``); the first column wins a name."""
    index: dict[str, str] = {}
    for camel in (False, True):
        for column in columns:
            index.setdefault(normalized(column, camel), column)
    return index


def _words_per_value(values: pd.Series) -> float | None:
    """Mean words per value when ``values`` read as free text (module docstring), else None."""
    if len(values) == 0:
        return None
    spaced = values.str.contains(" ", regex=False).mean()
    letters = values.str.contains(r"[^\W\d_]", regex=True).mean()
    distinct = values.nunique() / len(values)
    if spaced < 0.5 or letters < 0.9 or distinct < 0.5:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns that it guesses each value's date format
        dates = pd.to_datetime(values, errors="coerce", utc=True, format="mixed").notna().mean()
    if dates >= 0.5:
        return None
    words = float(values.str.split().str.len().mean())
    return words if words >= MIN_WORDS else None


def _sample(frame: pd.DataFrame, col, n: int) -> pd.Series | None:
    """The first ``n`` non-empty values of a column of strings (stripped), or None for another dtype."""
    if not (pd.api.types.is_object_dtype(frame[col]) or pd.api.types.is_string_dtype(frame[col])):
        return None
    values = frame[col].dropna().astype(str).str.strip()
    return values[values != ""].head(n)


def reads_as_text(frame: pd.DataFrame, col: str) -> bool:
    """Whether column ``col`` reads as free text by the rules of ``guess_text_column``."""
    values = _sample(frame, col, SAMPLE)
    return values is not None and _words_per_value(values) is not None


def guess_text_column(frame: pd.DataFrame, taken: set[str] = frozenset()) -> str | None:
    """The column of ``frame`` (not in ``taken``) that reads most as free text, or None."""
    best, best_words = None, 0.0
    for col in frame.columns:
        values = None if col in taken else _sample(frame, col, SAMPLE)
        words = None if values is None else _words_per_value(values)
        if words is not None and words > best_words:
            best, best_words = col, words
    return best


#: a column name that reads as a time: a word of it ("sent_ms", "created_epoch", "ts", "posted_at", "unix_time"),
#: not an id, a count or a person ("updated_by", "created_by_id", "update_count": a review found "updated_by"'s user
#: ids read as 2008-2030)
TIME_NAME_RE = re.compile(r"(?:^|_)(?:time|times|timestamp|date|datetime|epoch|ts|sent|posted|created|at|ms)(?:_|$)")
NOT_TIME_END_RE = re.compile(r"_(?:id|by|count|no|num|number|user)$")


def guess_time_column(frame: pd.DataFrame, taken: set[str] = frozenset()) -> str | None:
    """The first column of ``frame`` (not in ``taken``) that reads as timestamps (module docstring), or None."""
    from ml.ingest.timeparse import parse_timestamps

    for col in frame.columns:
        values = None if col in taken else _sample(frame, col, TIME_SAMPLE)
        if values is None or len(values) == 0:
            continue
        if values.str.fullmatch(r"[\d.]+").all():
            name = normalized(str(col))
            if TIME_NAME_RE.search(name) and not NOT_TIME_END_RE.search(name) and _epoch_values(values):
                return col
            continue
        if parse_timestamps(values)["timestamp"].notna().mean() >= MIN_TIME_SHARE:
            return col
    return None


def _epoch_values(values: pd.Series) -> bool:
    """Every value is epoch seconds (10 digits) or milliseconds (13) between 2000 and 2040."""
    if not values.str.fullmatch(r"\d{10}(?:\d{3})?").all():
        return False
    secs = np.where(values.str.len() == 13, values.astype("int64") // 1000, values.astype("int64"))
    return bool(((secs >= 946_684_800) & (secs < 2_208_988_800)).all())


_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
#: who wrote a message, as help desks, chat tools and chat logs name it (Zendesk end-user/agent, Intercom
#: user/admin/bot, Freshdesk requester/agent, Salesforce chat visitor/agent/chatbot, model chat logs
#: user/assistant/system), read into the inbound flag: the customer's side is inbound
CUSTOMER_SIDE = frozenset({"customer", "user", "end-user", "end_user", "enduser", "client", "contact", "visitor",
                           "requester", "lead", "inbound", "incoming"})
COMPANY_SIDE = frozenset({"agent", "admin", "administrator", "operator", "bot", "chatbot", "staff", "support",
                          "brand", "company", "teammate", "representative", "assistant", "system", "outbound",
                          "outgoing"})


def side_flags(values: pd.Series, outbound: bool = False) -> pd.Series:
    """Whether each message is the customer's (inbound): true/false, yes/no, 1/0, inverted for an
    ``outbound`` flag (true: the company's side), and the sides of a conversation (``CUSTOMER_SIDE`` → true,
    ``COMPANY_SIDE`` → false; any case) → nullable boolean; anything else → NA."""
    yes, no = (_FALSE, _TRUE) if outbound else (_TRUE, _FALSE)
    if pd.api.types.is_bool_dtype(values.dtype):
        flags = values.astype("boolean")
        return ~flags if outbound else flags
    low = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[low.isin(yes | CUSTOMER_SIDE)] = True
    out[low.isin(no | COMPANY_SIDE)] = False
    return out


#: outbound flags that mark bots: true is the company's side, false unknown (a person, customer or staff)
BOT_FLAGS = frozenset({"is_bot", "author_is_bot", "sender_is_bot", "user_is_bot"})


def sides(frame: pd.DataFrame, inbound: str | None, outbound: str | None) -> pd.Series:
    """The inbound flag of each row: from the ``inbound`` column, else the ``outbound`` one read the other way
    round, where a bot flag's false is unknown (``BOT_FLAGS``: a person may be a customer or staff); NA without
    either."""
    if inbound:
        return side_flags(frame[inbound])
    if outbound:
        out = side_flags(frame[outbound], outbound=True)
        return out.mask(out.fillna(False), pd.NA) if normalized(outbound, camel=True) in BOT_FLAGS else out
    return pd.Series(pd.NA, index=frame.index, dtype="boolean")


#: label values that mean "no label" (compared case-insensitively, after stripping blanks)
MISSING_LABELS = frozenset({"", "nan", "-nan", "null", "none", "na", "n/a", "<na>", "#n/a"})


def normalize_ids(values: pd.Series) -> pd.Series:
    """Ids as strings ("3.0" → "3", floats that are whole → ints); blanks → None."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == np.floor(whole)).all():
            values = values.astype("Int64")
    text = values.astype("string").str.strip().str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    out = text.astype(object)
    out[(text.fillna("") == "").to_numpy()] = None
    return out


def missing_labels(values: pd.Series) -> np.ndarray:
    """True where a value is missing: NA, blank, or one of `MISSING_LABELS` (any case)."""
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    return text.isin(MISSING_LABELS).to_numpy()


def _repeated(names: list[str]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names, 1):
        if name.strip():
            where[name].append(i)
    return {name: pos for name, pos in where.items() if len(pos) > 1}


def check_unique_columns(path: Path, names: list[str]) -> None:
    """InputError naming every repeated column name and its positions (1-based)."""
    repeated = _repeated([str(n) for n in names])
    if repeated:
        shown = "; ".join(f"{name!r} (columns {', '.join(map(str, pos))})" for name, pos in repeated.items())
        raise InputError(f"{path}: column names repeated: {shown}; every column needs "
                         "its own name: rename or remove the extra columns")


def check_given_columns(path: Path, frame: pd.DataFrame, inbound: str | None, outbound: str | None,
                        timestamp: str | None) -> None:
    """A side or time column the user named (``--inbound-col``, ``--outbound-col``, ``--time-col`` or the config's
    keys) that yields nothing is refused in one line: a review's ``--inbound-col airline`` left every side unknown
    and ``--time-col text`` every time unread, each said only as a count."""
    for flag, col, out in (("--inbound-col", inbound, False), ("--outbound-col", outbound, True)):
        filled = _filled(frame, col)
        if len(filled) and side_flags(filled, outbound=out).isna().all():
            raise InputError(f"{path}: column {col!r} given by {flag} names no side in any row (values such as "
                             f"{_examples(filled)}); it needs true/false, or roles such as customer/agent or "
                             "user/assistant")
    filled = _filled(frame, timestamp).head(TIME_SAMPLE)
    if len(filled):
        from ml.ingest.timeparse import parse_timestamps

        if parse_timestamps(filled)["timestamp"].isna().all():
            raise InputError(f"{path}: column {timestamp!r} given by --time-col holds no time that can be read "
                             f"(values such as {_examples(filled)}); name the column holding the timestamps, or "
                             "drop --time-col")


def _filled(frame: pd.DataFrame, col: str | None) -> pd.Series:
    if not col or col not in frame:
        return pd.Series(dtype=object)
    values = frame[col]
    return values[values.notna() & (values.astype(str).str.strip() != "")].reset_index(drop=True)


def _examples(values: pd.Series) -> str:
    return ", ".join(repr(str(v)[:40]) for v in pd.unique(values.astype(str))[:3])
