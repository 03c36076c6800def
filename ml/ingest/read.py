"""Ingest, file level: a file's encoding, delimiter and raw table (which files are read: `ml.ingest.paths`).

`read_file(path, encoding=None, sep=None)` returns a file's raw table (text formats as strings)
and a `TableInfo` saying how it was read; `read_table` is the same returning the format name.
Rules (docs/ingest.md):

- Encoding (`ml.ingest.encoding`): a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); without
  one the bytes must be UTF-8. Other bytes are refused with their byte offset, line and a guess of the
  real encoding (charset-normalizer); NUL bytes without a BOM (UTF-16/32 without a BOM, or a
  binary file) are refused too. A caller who knows the encoding passes `encoding`.
- Delimiter (CSV): `,` `;` tab or `|`, sniffed from the first records (quotes respected): the
  candidate whose records all fit the header's field count, then the most columns, then that
  order; `sep` overrides. TSV files use tab.
- Line ends: in files with "\\n" line ends a carriage return is not a line end: CRs are removed
  from fields (the TWCS slice has bare CRs in an unquoted field). Files with only "\\r" line ends
  are read as such.
- Column names must be unique: a repeated name is refused, naming it and its positions.
- Excel (.xlsx): the first sheet, cells as strings (`ml.ingest.excel`); the sheet read is reported.
- JSON: an array of objects, JSON Lines, or an object holding the array under a key (reported), nested
  fields as dotted columns (`ml.ingest.json_records`); conversations that nest their messages (a ticket's
  comments) one row per message (`ml.ingest.nested_threads`; not for `read_table`, which event logs use).
- WhatsApp chats (.txt): `ml.ingest.whatsapp`; mailboxes (.mbox, and .eml files read together:
  `read_emails`): `ml.ingest.mail`.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml.ingest.columns import check_unique_columns
from ml.ingest.csv_errors import first_bad_record, unclosed_quote
from ml.ingest.encoding import detect_encoding, drop_bom_remnant, scan
from ml.ingest.excel import read_excel
from ml.ingest.json_records import json_records, records_frame
from ml.ingest.mail import read_eml, read_mail
from ml.ingest.nested_threads import conversation_frame
from ml.ingest.packed import open_packed
from ml.ingest.paths import suffix_format
from ml.ingest.whatsapp import read_chat
from ml.runtime.errors import EmptyFileError, InputError

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 1 << 16
_SNIFF_RECORDS = 50


@dataclass(frozen=True)
class TableInfo:
    """How one file was read: format, encoding (text formats), delimiter (CSV/TSV), sheet (Excel) and the
    array of messages inside a JSON object."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    records_at: str | None = None  # JSON: the key path of the array of messages under the top object
    messages_in: str | None = None  # JSON: the key path of each conversation's array of messages (comments)
    conversations: int = 0          # JSON: conversations whose nested messages were read
    notices: int = 0                # the tool's own notices left out (WhatsApp's, a mailbox's delivery failures)
    company: str | None = None      # mailbox: who was read as the company ("acme.io"; ml.ingest.mail)
    title_lines: int = 0            # CSV/TSV: lines of a report's title above the header, skipped (title_lines)


# ---------------------------------------------------------------- delimited text

def _sample(path: Path, gz: str | None, codec: str) -> tuple[str, bool]:
    """The file's first characters (whole lines; CRs dropped where "\\n" ends lines) and
    whether that is the whole file."""
    with open_packed(path, gz, "rt", encoding=codec, newline="") as fh:
        sample = fh.read(_SNIFF_CHARS)
        complete = not fh.read(1)
    if "\n" in sample:  # a CR is not a line end here (see the module docstring)
        sample = sample.replace("\r", "")
    if not complete:  # the last line may be cut
        sample = sample[: max(sample.rfind("\n"), sample.rfind("\r")) + 1]
    return sample, complete


def _records(sample: str, complete: bool, delimiter: str) -> list[list[str]]:
    """The first non-blank records of `sample`, parsed with `delimiter` and double quotes."""
    records = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if any(field.strip() for field in record):
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    if not complete and 1 < len(records) <= _SNIFF_RECORDS:
        records.pop()  # may end inside a quoted field cut by the sample
    return records


def sniff_delimiter(sample: str, complete: bool = True) -> str:
    """The delimiter whose first records fit the header (see the module docstring); "," if none."""
    best, best_score = ",", None
    for order, delimiter in enumerate(DELIMITERS):
        records = _records(sample, complete, delimiter)
        if not records or len(records[0]) < 2:
            continue
        width, rows = len(records[0]), [len(r) for r in records[1:]]
        if any(n > width for n in rows):
            continue
        score = (all(n == width for n in rows), width, -order)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def title_lines(sample: str, complete: bool, delimiter: str) -> int:
    """Lines above the header of a report saved as CSV ("Ticket report: all channels", a date, a blank line): 0
    unless the first record has fewer than half the fields most of the records below it have; then the lines
    before the first record that has that many. pandas read such a file with the title as the only column and the
    rows' first fields as its index, without an error."""
    counts, lines = [], []
    try:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        start = 0
        for record in reader:
            filled = [k for k, field in enumerate(record) if field.strip()]
            if filled:
                counts.append(filled[-1] + 1)  # up to its last filled field: rows ending ",,,," are no wider
                lines.append(start)
            start = reader.line_num
            if len(counts) > _SNIFF_RECORDS:
                break
    except csv.Error:
        return 0
    if not complete and 2 < len(counts) <= _SNIFF_RECORDS:
        counts.pop()
    body = counts[1:]
    if len(body) < 2:
        return 0
    mode = max(set(body), key=body.count)
    if mode < 2 or counts[0] * 2 >= mode:
        return 0
    return lines[counts.index(mode)]


def _empty_tails(records: list[list[str]]) -> bool:
    """Whether rows are wider than the header only by empty fields (an Excel artefact, "…,,,,,"): pandas read such a
    file with the rows' first fields as its index, shifting every column."""
    width = len(records[0])
    rows = records[1:]
    return any(len(r) > width for r in rows) and all(not any(f.strip() for f in r[width:]) for r in rows)


def _read_csv(path: Path, fmt: str, gz: str | None, codec: str, info: dict, sep: str | None) -> tuple[pd.DataFrame, str]:
    sample, complete = _sample(path, gz, codec)
    delimiter = sep or ("\t" if fmt == "tsv" else sniff_delimiter(sample, complete))
    titles = title_lines(sample, complete, delimiter)
    if titles:  # the header is below a report's title: sniff again from it
        sample = "".join(sample.splitlines(keepends=True)[titles:])
        delimiter = sep or ("\t" if fmt == "tsv" else sniff_delimiter(sample, complete))
    records = _records(sample, complete, delimiter)
    header = records[:1]
    check_unique_columns(path, header[0] if header else [])
    _check_one_column(path, records, delimiter, sample, complete)
    kwargs = {"sep": delimiter, "dtype": str, "keep_default_na": False, "encoding": codec, "skiprows": titles,
              "compression": {"method": "zstd", "max_window_size": 2**31} if gz == "zstd" else "infer"}
    if header and _empty_tails(records):  # rows ending ",,,,," past the header: not an index, nothing to read
        kwargs.update(index_col=False, usecols=range(len(header[0])))
    if info["lf"]:
        kwargs["lineterminator"] = "\n"
    try:
        frame = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: no columns found; the file needs a header row") from None
    except (pd.errors.ParserError, ValueError) as err:
        detail = str(err).replace("Error tokenizing data. C error: ", "").strip()
        cut = unclosed_quote(path, gz, codec) if "EOF inside string" in detail else None
        if cut:  # a quote opened near the end is never closed (a file cut short): name where it opens
            raise InputError(f"{path}: the file ends inside a quoted text that opens on line {cut} of the file: "
                             "the export was cut short or a quote is never closed; export the file again, or "
                             "close the quote") from None
        where = first_bad_record(path, gz, codec, delimiter, len(header[0]) if header else 0, titles)
        raise InputError(f"{path}: malformed {fmt.upper()} with delimiter {delimiter!r} ({where or detail}); check "
                         "the quoting and delimiters around that line, or pass --sep") from None
    if info["cr"]:
        frame.columns = [str(c).replace("\r", "") for c in frame.columns]
        for col in frame.columns:
            frame[col] = frame[col].str.replace("\r", "", regex=False)
    frame.attrs["title_lines"] = titles
    return frame, delimiter


def _check_one_column(path: Path, records: list[list[str]], delimiter: str, sample: str, complete: bool) -> None:
    """A header read as one column that another delimiter splits, as it splits most rows, is a wrong ``--sep``
    (a review, 2026-12-06: ``--sep ';'`` on a comma file read "1,my parcel never came,ann" as each message)."""
    if not records or len(records[0]) != 1:
        return
    for other in (d for d in ",;\t|" if d != delimiter and d in records[0][0]):
        split = _records(sample, complete, other)
        width = len(split[0]) if split else 0
        if width > 1 and sum(len(r) == width for r in split[1:]) * 2 >= max(len(split) - 1, 1):
            raise InputError(f"{path}: read with delimiter {delimiter!r} the file is one column ({records[0][0][:60]!r}),"
                             f" which {other!r} splits into {width}, as it splits the rows: pass --sep {other!r}"
                             " (or leave --sep out: the delimiter is found by itself)")


def _read_json(path: Path, gz: str | None, fmt: str, codec: str, name: str | None,
               conversations: bool, text_col: str | None) -> tuple[pd.DataFrame, TableInfo]:
    """The file's messages as a table (``ml.ingest.json_records``; conversations' nested messages one row each,
    ``ml.ingest.nested_threads``) and how they were found."""
    with open_packed(path, gz, "rt", encoding=codec) as fh:
        content = fh.read()
    records, where = json_records(path, content, fmt)
    if not conversations:
        return records_frame(records), TableInfo(fmt, name, records_at=where)
    frame, nested, count = conversation_frame(records, text_col)
    return frame, TableInfo(fmt, name, records_at=where, messages_in=nested, conversations=count)


def _read_parquet(path: Path) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise EmptyFileError(f"{path}: file is empty (0 bytes); export the data again")
    try:
        check_unique_columns(path, pq.read_schema(path).names)
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"{path}: cannot read as Parquet ({type(err).__name__}: {err}); "
                         "check the file is complete") from None


def normalize_sep(sep: str | None) -> str | None:
    """A delimiter as given on a command line ("\\t" or "tab" for a tab) → one character."""
    if sep is None:
        return None
    sep = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(sep, sep)
    if len(sep) != 1 or sep in "\"\r\n":
        raise InputError(f"--sep (input.sep) {sep!r} is not a delimiter; pass one character such as , ; | "
                         "or \\t")
    return sep


def read_file(path: Path, encoding: str | None = None, sep: str | None = None,
              conversations: bool = True, chat_format: str | None = None,
              text_col: str | None = None) -> tuple[pd.DataFrame, TableInfo]:
    """Raw table of one file (text formats as strings) and how it was read; with ``conversations``, JSON
    conversations that nest their messages are read one row per message (``ml.ingest.nested_threads``);
    ``chat_format``: WhatsApp chats' line header (``ml.ingest.whatsapp.header_format``); ``text_col``: the text
    column the user named (JSON records that hold it are messages)."""
    fmt, gz = suffix_format(path)
    sep = normalize_sep(sep)
    if fmt == "parquet":
        frame, info = _read_parquet(path), TableInfo(fmt)
    elif fmt == "whatsapp":
        frame, notices = read_chat(path, chat_format)
        info = TableInfo(fmt, "utf-8", notices=notices)
    elif fmt == "mbox":
        frame, company, bounces = read_mail(path)
        info = TableInfo(fmt, company=company, notices=bounces)
    elif fmt == "eml":
        frame, info = read_emails([path])
    elif fmt == "xlsx":
        frame, sheet = read_excel(path)
        info = TableInfo(fmt, sheet=sheet)
    else:
        codec, name = detect_encoding(path, gz, encoding)
        scanned = scan(path, gz, codec, checked=bool(encoding) or name != "utf-8")
        if fmt in ("csv", "tsv"):
            frame, delimiter = _read_csv(path, fmt, gz, codec, scanned, sep)
            info = TableInfo(fmt, name, delimiter, title_lines=frame.attrs.get("title_lines", 0))
        else:
            frame, info = _read_json(path, gz, fmt, codec, name, conversations, text_col)
        frame.columns = drop_bom_remnant([str(c) for c in frame.columns], codec)  # nothing to drop for UTF-8
    check_unique_columns(path, [str(c) for c in frame.columns])
    first = str(frame.columns[0]) if len(frame.columns) else ""
    if len(frame.columns) and (first in ("", "__index_level_0__") or first.startswith("Unnamed: 0")):
        frame = frame.drop(columns=frame.columns[0])  # a pandas index written out
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        cols = ", ".join(frame.columns) or "none"
        raise EmptyFileError(f"{path}: header only, no data rows (columns: {cols}); export the data "
                         "with its rows")
    return frame, info


def eml_folder(paths: list[Path]) -> Path:
    """Where a set of ``.eml`` files is, for reports: their common folder and ``*.eml`` ("inbox/*.eml")."""
    return Path(os.path.commonpath([p.parent for p in paths])) / "*.eml"


def read_emails(paths: list[Path]) -> tuple[pd.DataFrame, TableInfo]:
    """``.eml`` files read together as one mailbox (``ml.ingest.mail.read_eml``; files that are not emails
    left out and counted as notices)."""
    frame, company, not_emails = read_eml(paths, str(eml_folder(paths)))
    return frame, TableInfo("eml", company=company, notices=not_emails)


def read_table(path: Path, encoding: str | None = None, sep: str | None = None) -> tuple[pd.DataFrame, str]:
    """Raw table of one file (text formats as strings, rows as they are: event logs) and its format name."""
    frame, info = read_file(path, encoding, sep, conversations=False)
    return frame, info.format
