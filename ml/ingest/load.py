"""Ingest: read conversation dumps into the canonical message frame (docs/CONTRACTS.md §1).

`load_messages(paths, mapping=None, inbound_only=False, label_col=None, encoding=None, sep=None)`
reads CSV/TSV, JSON Lines (or a JSON array) and Parquet files (text formats may be gzipped), given
as one or more files or a folder (its supported files, sorted by name). It returns
`(messages, LoadReport)`.

Layouts are detected per file: `twcs` (Customer Support on Twitter), `twitter_airline`
(Twitter US Airline Sentiment) and `generic` (a text column under a common name; other fields
by common names, compared as `ml.ingest.columns.normalized` writes them: "Message Body" is
`message_body`, "User ID" `user_id`). A file with no text name takes the column that reads as free
text (`ml.ingest.columns.guess_text_column`) and says so (`FileReport.text_guessed`). `ColumnMapping`
fields given explicitly override detection, field by field.
Labels are read only when asked for (`label_col` or `mapping.label`); they are for evaluation,
and the usual spellings of a missing value (`MISSING_LABELS`, any case, or blank) are unlabelled.

The frame also carries `thread_id` (an extension of §1): the root of each message's reply
chain, computed before empty-text and inbound filtering so threads survive `inbound_only`.
HTML entities in the text are decoded here (`ml.ingest.textclean.decode_entities`: `&amp;` → `&`), and a
text with HTML markup (a help desk's or chat tool's message body) is read as a browser shows it
(`ml.ingest.textclean.clean_text`; counted in `LoadReport.html_texts`); an email body is cut to its latest
reply, quoted messages and signature dropped (`ml.ingest.email_reply`; counted in `LoadReport.email_replies`).

Files are read by `ml.ingest.read` (encodings, byte-order marks, delimiter sniffing, repeated
column names; rules in docs/ingest.md); timestamps by `ml.ingest.timeparse`.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd

from ml.ingest import archive, pseudonyms, whatsapp
from ml.ingest.canonical import canonical_frame
from ml.ingest.columns import (
    MISSING_LABELS,
    check_given_columns,
    guess_text_column,
    guess_time_column,
    missing_labels,
    name_index,
    normalize_ids,
    normalized,
    reads_as_text,
)
from ml.ingest.exports import prepare_export
from ml.ingest.frame import COLUMNS, add_times, thread_ids, typed, unique_ids
from ml.ingest.paths import FORMATS, GZIP_OK, resolve_paths, sources
from ml.ingest.read import eml_folder, read_emails, read_file, read_table
from ml.ingest.report import FileReport, LoadReport
from ml.ingest.where import RowFilter
from ml.runtime.errors import EmptyFileError, InputError

__all__ = ["COLUMNS", "FORMATS", "GZIP_OK", "MISSING_LABELS", "ColumnMapping", "FileReport", "LoadReport",
           "detect_layout", "load_messages", "missing_labels", "normalize_ids", "read_table", "resolve_paths"]
FLAGS = {"text": "--text-col", "id": "--id-col", "author": "--author-col", "timestamp": "--time-col",
         "reply_to": "--reply-to-col", "label": "--label-col", "inbound": "--inbound-col",
         "thread": "--thread-col", "outbound": "--outbound-col"}


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column holds each field; None = detect (or absent)."""

    text: str | None = None
    id: str | None = None
    author: str | None = None
    timestamp: str | None = None
    reply_to: str | None = None
    label: str | None = None
    inbound: str | None = None
    thread: str | None = None
    outbound: str | None = None  # a flag whose true means the company's side (is_bot, is_agent); used without inbound

    def over(self, base: ColumnMapping) -> ColumnMapping:
        """This mapping's set fields on top of `base`; a side named here (inbound or outbound) replaces
        base's."""
        out = {f.name: getattr(self, f.name) or getattr(base, f.name) for f in fields(self)}
        if self.inbound or self.outbound:
            out["inbound"], out["outbound"] = self.inbound, self.outbound
        return ColumnMapping(**out)


LAYOUTS = {
    # survey tools (ml.ingest.surveys): the response's id and when it was recorded; the answers' column is
    # the one that reads as free text, or --text-col
    "qualtrics": ({"ResponseId", "RecordedDate"}, ColumnMapping(id="ResponseId", timestamp="RecordedDate")),
    "surveymonkey": ({"Respondent ID", "End Date"}, ColumnMapping(id="Respondent ID", timestamp="End Date")),
    "twcs": ({"tweet_id", "author_id", "inbound", "created_at", "text"},
             ColumnMapping(text="text", id="tweet_id", author="author_id", timestamp="created_at",
                           reply_to="in_response_to_tweet_id", inbound="inbound")),
    "twitter_airline": ({"tweet_id", "name", "text", "tweet_created", "airline"},
                        ColumnMapping(text="text", id="tweet_id", author="name", timestamp="tweet_created")),
}
#: inbound names that read as flags whose true is the customer (not refused as --inbound-col, refused as --outbound-col)
CUSTOMER_FLAGS = frozenset({"inbound", "is_inbound", "is_customer", "from_customer", "incoming"})
#: names that hold the text in reviews, surveys and call logs, and a short note elsewhere: taken only when the
#: column reads as free text (``ml.ingest.columns.reads_as_text``), else the free-text guess decides
WEAK_TEXT = ["comment", "review", "tweet", "sentence", "transcript"]
ALIASES = {
    "text": ["text", "message", "body", "content", "utterance", "message_text", "message_body", "full_text",
             "message_content", "content_text", "chat_message", "comment_text", "comment_body", "review_text",
             "tweet_text"],
    "id": ["message_id", "id", "msg_id", "tweet_id"],
    # nested objects of JSON exports read as dotted columns (ml.ingest.json_records): "user.id_str" → user_id_str
    "author": ["author", "author_id", "user", "user_id", "username", "sender", "sender_id", "requester_id",
               "from_id", "user_id_str", "author_username", "user_screen_name", "user_name", "created_by_id",
               "sender_name", "customer", "customer_id", "customer_name", "customer_email", "requester",
               "requester_email", "client_id",
               # a help desk's or mailbox's sender column ("From": a review's ticket export read no author, so its
               # agents' replies became customer personas)
               "from", "from_name", "from_email", "from_address", "sender_email"],
    # Telegram's "date_unixtime" (an instant) before its "date" (the exporting computer's clock, with no zone)
    "timestamp": ["timestamp", "created_at", "datetime", "time", "date_unixtime", "date", "sent_at", "ts",
                  "timestamp_ms", "created_utc"],
    "reply_to": ["reply_to", "in_reply_to", "in_reply_to_id", "parent_id", "in_response_to_tweet_id",
                 "reply_to_message_id", "reference_message_id"],
    # the conversation a message belongs to, as help desks and chat tools export it (one row per message)
    "thread": ["thread_id", "conversation_id", "ticket_id", "chat_id", "case_id", "thread_ts", "conversation_number",
               "ticket_number"],
    "inbound": ["inbound", "is_inbound", "direction", "author_type", "author_role", "sender_type",
                "sender_role", "role", "is_customer", "from_customer", "incoming",
                # nested as the bot flags below are (a review's JSONL: author.isCustomer was not read)
                "author_is_customer", "user_is_customer", "sender_is_customer"],
    # flags whose true means the company's side (DiscordChatExporter's author.isBot, a help desk's is_agent)
    "outbound": ["outbound", "is_outbound", "is_agent", "from_agent", "is_staff", "is_admin", "from_company",
                 "is_employee", "is_bot", "author_is_bot", "sender_is_bot", "user_is_bot"],
}


# ---------------------------------------------------------------- columns


def detect_layout(columns: list[str]) -> tuple[str, ColumnMapping]:
    """Layout name and the mapping it implies for these column names."""
    cols = set(columns)
    for name, (required, mapping) in LAYOUTS.items():
        if required <= cols:
            keep = {k: v for k, v in asdict(mapping).items() if v is None or v in cols}
            return name, ColumnMapping(**keep)
    lower = name_index(columns)
    found = {}
    for key, names in ALIASES.items():
        hit = next((lower[n] for n in names if n in lower), None)
        if hit is not None and hit not in found.values() and not (key == "outbound" and "inbound" in found):
            found[key] = hit
    return ("generic" if "text" in found else "unknown"), ColumnMapping(**found)


def _event_log_hint(columns: list[str]) -> str:
    """"; it reads as an event log …: run python -m ml.run --kind events FILE" when the columns name users (and
    events), as the event ingest finds them; empty otherwise."""
    from ml.events.ingest import EVENT_NAMES, USER_NAMES, find_column

    user, event = find_column(columns, USER_NAMES), find_column(columns, EVENT_NAMES)
    if user is None:
        return ""
    what = f"users in {user!r}, events in {event!r}" if event else f"users in {user!r}, event counts in columns"
    return f"; it reads as an event log ({what}): for personas of product usage, run python -m ml.run --kind events FILE"


def _check_mapping(path: Path, columns: list[str], mapping: ColumnMapping, explicit: ColumnMapping,
                   sheet: str | None = None, text_guess: Callable[[], str | None] | None = None) -> None:
    """One-line errors for a mapping that cannot work; ``text_guess``: the text column the file's names and values
    give without --text-col, suggested for a --text-col that is not in the file (an airline review's
    ``--text-col tweet_text`` was asked "did you mean 'tweet_created'?", the time column, beside a column "text")."""
    shown = ", ".join(columns)
    if mapping.text is None:
        held = [d for d in ",;\t|" if len(columns) == 1 and d in columns[0]]
        seen = max(held, key=columns[0].count) if held else None  # the one header holds: the file's own delimiter
        hint = (f"; its one column's name holds {seen!r}, which looks like the file's delimiter: pass --sep "
                f"{seen!r}" if seen else _event_log_hint(columns))
        if sheet and not hint:  # a workbook whose first sheet with data is a summary: --text-col cannot help
            hint = (f"; only its sheet {sheet} is read: if the messages are on another sheet, move that sheet "
                    "first or export it as CSV")
        raise InputError(f"{path}: no text column found (columns: {shown}); pass --text-col NAME "
                         f"naming the column that holds the message text{hint}")
    if explicit.inbound and normalized(explicit.inbound, camel=True) in ALIASES["outbound"]:
        raise InputError(f"{path}: column {explicit.inbound!r} given by --inbound-col is true where the company "
                         f"wrote; pass it as --outbound-col {explicit.inbound!r}")
    if explicit.outbound and normalized(explicit.outbound, camel=True) in CUSTOMER_FLAGS:
        raise InputError(f"{path}: column {explicit.outbound!r} given by --outbound-col is true where the customer "
                         f"wrote; pass it as --inbound-col {explicit.outbound!r}")
    for key, col in asdict(explicit).items():
        if col is not None and col not in columns:
            guess = text_guess() if key == "text" and text_guess is not None else None
            close = [guess] if guess in columns else difflib.get_close_matches(col, columns, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{path}: column {col!r} given by {FLAGS[key]} is not in the file{hint}; "
                             f"columns found: {shown}")


def _explicit(mapping: ColumnMapping | None, label_col: str | None) -> ColumnMapping:
    explicit = mapping or ColumnMapping()
    if label_col:
        if explicit.label and explicit.label != label_col:
            raise InputError(f"two label columns given ({explicit.label!r} and {label_col!r}); pass one")
        explicit = ColumnMapping(**{**asdict(explicit), "label": label_col})
    return explicit


def _read_all(files: list[Path], explicit: ColumnMapping, inbound_only: bool, encoding: str | None,
              sep: str | None, report: LoadReport, rows_kept: RowFilter) -> pd.DataFrame:
    """Every file in canonical columns (plus the raw `_time`), one after the other, of its rows that
    ``rows_kept`` keeps (``--where``)."""
    parts = []
    chats = whatsapp.header_format([p for p in files if FORMATS.get(p.suffix.lower()) == "whatsapp"])
    report.chat_format = chats
    for source in sources(files):
        mailbox = isinstance(source, list)  # .eml files: one mailbox
        path = eml_folder(source) if mailbox else source
        try:
            raw, info = read_emails(source) if mailbox else read_file(path, encoding, sep, chat_format=chats,
                                                                      text_col=explicit.text)
        except EmptyFileError:  # a quiet day in a folder of daily exports: named, not fatal
            if len(files) == 1 or (mailbox and len(source) == len(files)):
                raise
            report.empty_files.append(pseudonyms.shown_path(archive.shown(path)))
            continue
        rows = len(raw) + info.notices
        raw, tool, survey = prepare_export(raw, path, info, report)
        rows -= survey.skipped if survey else 0
        raw = rows_kept.apply(raw, archive.shown(path))
        layout, detected = detect_layout(list(raw.columns))
        layout = tool or layout
        if rows_kept and raw.empty:  # --where kept none of its rows: nothing to map (its rows still count as read)
            report.files.append(FileReport(pseudonyms.shown_path(archive.shown(path)), info.format, layout, {}, rows,
                                           encoding=info.encoding))
            continue
        used, guessed, timed = _guess_columns(raw, explicit.over(detected))
        _check_mapping(path, list(raw.columns), used, explicit, info.sheet,
                       lambda raw=raw, detected=detected: _guess_columns(raw, detected)[0].text)
        check_given_columns(path, raw, explicit.inbound, explicit.outbound, explicit.timestamp)
        if inbound_only and used.inbound is None and used.outbound is None:
            raise InputError(f"{path}: --inbound-only needs inbound information (customer vs. "
                             "brand) but the file has no inbound column; drop --inbound-only for this data")
        names = _display_names(raw, used, report)
        report.files.append(FileReport(pseudonyms.shown_path(archive.shown(path)), info.format,
                                       layout if layout != "unknown" else "mapped",
                                       {k: v for k, v in asdict(used).items() if v}, rows,
                                       encoding=info.encoding, delimiter=info.delimiter, text_guessed=guessed,
                                       sheet=info.sheet, title_lines=info.title_lines, time_guessed=timed,
                                       records_at=info.records_at,
                                       messages_in=info.messages_in, conversations=info.conversations,
                                       company=info.company, survey=survey.tool if survey else None,
                                       question=survey.questions.get(used.text) if survey else None,
                                       time_zone=survey.zones.get(used.timestamp) if survey else None,
                                       unread=[c for c in _unread(raw, used) if c not in names], names=names,
                                       other_text=_other_text(raw, used)))
        parts.append(canonical_frame(raw, path, used, report))
    if not parts and report.empty_files:
        raise InputError(f"{len(report.empty_files)} files, each empty or a header with no data rows "
                         f"({', '.join(report.empty_files[:3])}{', …' if len(report.empty_files) > 3 else ''}); "
                         "export the data with its rows")
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


#: columns the readers add to a frame for their own use (a mailbox's senders, a chat export's file and order, the
#: names a chat or a mailbox shows for its authors)
HELPER_COLUMNS = frozenset({"_time", "_thread", "_from", "_to", "_sent", "_file", "_conv", "_order", "_name"})


def _display_names(raw: pd.DataFrame, used: ColumnMapping, report: LoadReport) -> list[str]:
    """The names a file shows for its authors, added to ``report.author_names`` for the masker (never written):
    a chat's or a mailbox's senders as shown (the readers' ``_name``), and the columns beside the author column
    that hold its names (``ml.ingest.pseudonyms.display_name_columns``), which are returned (the file's report
    names them as read for the masker)."""
    columns = pseudonyms.display_name_columns(name_index(raw.columns), used.author)
    shown = [raw[c] for c in ("_name", *columns) if c in raw]
    if shown and used.author in raw:
        authors = normalize_ids(raw[used.author]).reset_index(drop=True)  # as the canonical frame writes them
        values = pd.concat(shown, ignore_index=True).map(lambda v: v if isinstance(v, str) else None)  # not lists
        report.add_names(*pseudonyms.display_names(pd.concat([authors] * len(shown), ignore_index=True), values))
    return columns


def _unread(raw: pd.DataFrame, used: ColumnMapping) -> list[str]:
    """The frame's columns that no field of ``used`` reads, the readers' own (``HELPER_COLUMNS``) left out; a file's
    own "_id" is named."""
    taken = _taken(used)
    return [str(c) for c in raw.columns if c not in taken and c not in HELPER_COLUMNS]


def _other_text(raw: pd.DataFrame, used: ColumnMapping, rows: int = 2000) -> str | None:
    """An unread column that reads as free text, for the hint on a text column of few values
    (``ml.runtime.selection.text_column_hint``); looked for only where the text column's first ``rows`` values
    are few (at most a fifth distinct), so a file with a real text column costs one ``nunique``."""
    head = raw.head(rows)
    if used.text is None or used.text not in head or head[used.text].astype(str).nunique() > 0.2 * max(len(head), 1):
        return None
    return guess_text_column(head, _taken(used) | HELPER_COLUMNS)


def _taken(used: ColumnMapping) -> set[str]:
    return {c for c in asdict(used).values() if c}


def _guess_columns(raw: pd.DataFrame, used: ColumnMapping) -> tuple[ColumnMapping, bool, bool]:
    """``used`` with the text and time columns that no name gave read from the values
    (``ml.ingest.columns``), and whether each was so read; a ``WEAK_TEXT`` name counts as a name when its
    column reads as free text."""
    found = {}
    if used.text is None:  # a weak text name whose column reads as free text (WEAK_TEXT)
        index = name_index(raw.columns)
        col = next((index[n] for n in WEAK_TEXT if n in index and reads_as_text(raw, index[n])), None)
        used = ColumnMapping(**{**asdict(used), "text": col}) if col else used
    for field_name, guess in (("text", guess_text_column), ("timestamp", guess_time_column)):
        if getattr(used, field_name) is None:
            col = guess(raw, {c for c in asdict(used).values() if c})
            if col is not None:
                used = ColumnMapping(**{**asdict(used), field_name: col})
                found[field_name] = True
    return used, found.get("text", False), found.get("timestamp", False)


def _drop_rows(msgs: pd.DataFrame, inbound_only: bool, report: LoadReport) -> pd.DataFrame:
    """Rows without text, and with `inbound_only` the brand side, are dropped and counted."""
    empty = msgs["text"].str.strip() == ""
    report.dropped_empty_text = int(empty.sum())
    msgs = msgs[~empty]
    if inbound_only:
        keep = msgs["inbound"].fillna(False).astype(bool)
        report.dropped_not_inbound = int((~keep).sum())
        msgs = msgs[keep]
    return msgs


def _record_presence(msgs: pd.DataFrame, report: LoadReport, has_reply: bool) -> None:
    """Which metadata the kept rows carry (timestamps, authors, reply links, labels, inbound flags)."""
    report.rows_kept = len(msgs)
    report.has_timestamps = bool(msgs["timestamp"].notna().any())
    report.has_authors = bool(msgs["author"].notna().any())
    report.has_replies = has_reply
    report.has_labels = bool(msgs["label"].notna().any())
    report.has_inbound = bool(msgs["inbound"].notna().any())


def load_messages(
    paths: str | Path | Iterable[str | Path],
    mapping: ColumnMapping | None = None,
    inbound_only: bool = False,
    label_col: str | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    where: list[str] | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read files into the canonical message frame (CONTRACTS §1, plus `thread_id`).

    `mapping` overrides detected columns field by field; `label_col` is a shortcut for
    `mapping.label`; `inbound_only` keeps the customer side (inbound == True) and needs inbound
    information; `encoding` (default: by byte-order mark, else UTF-8, refusing other bytes) names
    the files' encoding; `sep` the CSV delimiter (default: sniffed); `where` keeps the rows whose
    columns hold the values given (``ml.ingest.where``). Raises `InputError` (one line) on bad input.
    """
    report = LoadReport()
    skipped: list[Path] = []
    rows_kept = RowFilter(where)
    try:
        msgs = _read_all(resolve_paths(paths, skipped), _explicit(mapping, label_col), inbound_only, encoding, sep,
                         report, rows_kept)
    except InputError as err:  # a file unpacked from a zip named by the archive, not by a temporary folder
        raise archive.in_archive_terms(err) from None
    for name, value in rows_kept.finish(len(msgs), [f.path for f in report.files]).items():
        setattr(report, name, value)
    report.skipped_files = dict(Counter(p.suffix.lower() or "(no suffix)" for p in skipped if not p.is_dir()))
    report.skipped_folders = [pseudonyms.shown_path(p.name) for p in skipped if p.is_dir()]
    report.rows_read = len(msgs) + report.dropped_system_messages + report.dropped_where
    if len(msgs):  # names, addresses and phone numbers as authors never reach a run's files; their names are masked
        report.add_names(pseudonyms.author_names(msgs["author"]))  # in every text (never written: LoadReport)
        msgs["author"], report.authors_pseudonymised = pseudonyms.author_pseudonyms(msgs["author"])
    if report.authors_pseudonymised or any(f.layout in ("mailbox", "whatsapp") for f in report.files):  # pseudonyms
        report.pseudonyms = "keyed" if pseudonyms.keyed() else "sha1"
    unique_ids(msgs, report)
    add_times(msgs, report)
    has_reply = msgs["reply_to"].notna().any()
    msgs["thread_id"] = thread_ids(msgs)
    whatsapp.mark_sides(msgs, report)
    if inbound_only and not msgs["inbound"].fillna(False).astype(bool).any():
        more = " and other files" if len(report.files) > 1 else ""
        raise InputError(f"--inbound-only: no message in {report.files[0].path}{more} is marked as the customer's "
                         "(only the company's side is known, e.g. its bots); drop --inbound-only for this data")
    msgs = typed(_drop_rows(msgs, inbound_only, report))
    _record_presence(msgs, report, bool(has_reply))
    if len(msgs) == 0:
        why = " after --inbound-only" if inbound_only and report.dropped_not_inbound else ""
        raise InputError(f"no messages with text left{why} in {report.files[0].path}"
                         f"{' and other files' if len(report.files) > 1 else ''}; "
                         + report.empty_text_words(bool(mapping and mapping.text)))
    return msgs, report
