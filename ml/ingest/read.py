"""Ingest, file level: a file's encoding, delimiter and raw table (which files are read: `ml.ingest.paths`).

`read_file(path, encoding=None, sep=None)` returns a file's raw table (text formats as strings)
and a `TableInfo` saying how it was read; `read_table` is the same returning the format name.
Rules (docs/ingest.md):

- Encoding: a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); without one the
  bytes must be UTF-8. Other bytes are refused with their byte offset, line and a guess of the
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

import codecs
import csv
import io
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml.ingest.archive import BOMB_MIN_BYTES
from ml.ingest.csv_errors import first_bad_record, unclosed_quote
from ml.ingest.excel import read_excel
from ml.ingest.json_records import json_records, records_frame
from ml.ingest.mail import read_eml, read_mail
from ml.ingest.nested_threads import conversation_frame
from ml.ingest.packed import BROKEN, PACKED_RATIO, open_packed
from ml.ingest.paths import suffix_format
from ml.ingest.web1252 import WEB_1252
from ml.ingest.whatsapp import read_chat
from ml.runtime.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
#: byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one):
#: (mark, codec that strips it, name reported)
BOMS = [(codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8"), (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be")]
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
    notices: int = 0                # WhatsApp: the tool's own notices left out (ml.ingest.whatsapp)
    company: str | None = None      # mailbox: who was read as the company ("acme.io"; ml.ingest.mail)
    title_lines: int = 0            # CSV/TSV: lines of a report's title above the header, skipped (title_lines)


# ---------------------------------------------------------------- encoding


def _guess_encoding(sample: bytes) -> str | None:
    """The most likely encoding of `sample` (charset-normalizer), or None. Among candidates that
    read the bytes equally well, cp1252 (Windows Western, what Excel writes) is preferred."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(sample))
    if not matches:
        return None
    tied = [m for m in matches if m.chaos <= matches[0].chaos]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return "cp1252"
    return codecs.lookup(matches[0].encoding).name


def _bomless_wide(sample: bytes) -> str | None:
    """UTF-32/16 (LE/BE) that decodes `sample` into lines of printable text, if any."""
    for name in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
        try:
            text = codecs.getincrementaldecoder(name)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if "\n" in text and all(c.isprintable() or c in "\t\r\n" for c in text):
            return name
    return None


def _advice(path: Path, guess: str | None, packed: bool = False) -> str:
    """What to do about undecodable bytes; ``packed``: a compressed file, which iconv cannot read as it is."""
    source = f"gunzip -c {path.name} | iconv" if packed and path.suffix == ".gz" else (
        "iconv" if not packed else f"zstd -dc {path.name} | iconv")
    name = "" if packed else f" {path.name}"
    if guess:
        return (f"it looks like {guess} (a guess from the bytes): pass --encoding {guess} or re-encode the file, e.g. "
                f"{source} -f {guess} -t utf-8{name} > OUT")
    return ("find its encoding (e.g. file -i) and pass --encoding NAME or re-encode it, e.g. "
            f"{source} -f NAME -t utf-8{name or ' IN'} > OUT")


def _undecodable(path: Path, err: UnicodeDecodeError, chunk: bytes, offset: int, lines: int,
                 codec: str, packed: bool = False) -> InputError:
    line = lines + chunk[: err.start].count(b"\n")
    window = chunk[max(0, err.start - (1 << 15)): err.start + (1 << 15)]
    utf8 = codec.replace("_", "-").lower() in ("utf-8", "utf-8-sig", "utf8")
    shown = "UTF-8" if utf8 else codec
    guess = _guess_encoding(window)
    if guess and codecs.lookup(guess).name == codecs.lookup(codec).name:
        guess = None  # "it looks like utf-8" beside bytes that are not utf-8 says nothing
    if not utf8:  # a codec the user named: the way out may be to name none
        return InputError(f"{path}: bytes are not valid {shown} at byte offset {offset + err.start} (line {line}); "
                          f"drop --encoding to have it detected, or {_advice(path, guess, packed)}")
    return InputError(f"{path}: bytes are not valid {shown} at byte offset {offset + err.start} "
                      f"(line {line}); {_advice(path, guess, packed)}")


def _nul_bytes(path: Path, chunk: bytes, offset: int) -> InputError:
    wide = _bomless_wide(chunk[: 1 << 16])
    where = f"byte offset {offset + chunk.index(bytes(1))}"
    if wide:
        return InputError(f"{path}: NUL bytes at {where} and no byte-order mark: this looks like "
                          f"{wide} text without a BOM; pass --encoding {wide} or re-encode it, e.g. "
                          f"iconv -f {wide} -t utf-8 {path.name} > OUT")
    return InputError(f"{path}: NUL bytes at {where}: this is not a text file; export the data as "
                      "UTF-8 CSV, JSON Lines or Parquet")




def detect_encoding(path: Path, gz: str | None, encoding: str | None) -> tuple[str, str]:
    """(codec to read with, name to report): `encoding` when given, else by BOM, else UTF-8."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}; use a codec name like cp1252") from None
        marked = _bom(path, gz)
        if marked and not name.startswith("-".join(marked[1].split("-")[:2])):  # "utf-16-le" → the utf-16 family
            raise InputError(f"{path}: --encoding {encoding} given, but the file starts with a {marked[1]} "
                             "byte-order mark, which says its encoding: drop --encoding")
        if name == "iso8859-1":  # as browsers read it (WHATWG): Windows-1252, whose 0x80–0x9F are ’ “ ” € …
            return WEB_1252, "cp1252 (for latin-1, as browsers read it)"
        return ("utf-8-sig" if name == "utf-8" else encoding), name  # a UTF-8 BOM is still dropped
    marked = _bom(path, gz)
    return (marked[0], f"{marked[1]} (BOM)") if marked else ("utf-8", "utf-8")


def _bom(path: Path, gz: str | None) -> tuple[str, str] | None:
    """(codec, name) of the byte-order mark the file starts with, or None."""
    try:
        with open_packed(path, gz) as fh:
            head = fh.read(4)
    except BROKEN as err:
        raise InputError(f"{path}: cannot read the file ({err}); check it is a complete "
                         f"{gz or 'text'} file") from None
    for mark, codec, name in BOMS:
        if head.startswith(mark):
            return codec, name
    return None


def scan(path: Path, gz: str | None, codec: str, checked: bool) -> dict:
    """Check the bytes decode with `codec` and note line ends; InputError otherwise. `checked`: the
    codec was named by the caller or a BOM, so NUL bytes are not suspicious."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    packed = path.stat().st_size if gz else 0
    info = {"lf": False, "cr": False, "text": False}
    offset, lines = 0, 1
    try:
        with open_packed(path, gz) as fh:
            while chunk := fh.read(1 << 20):
                if gz and offset > BOMB_MIN_BYTES and offset > PACKED_RATIO * packed:
                    raise InputError(f"{path}: expands to more than {PACKED_RATIO} times its packed size (text "
                                     "packs 5–50 times, a sparse table a few hundred; a decompression bomb?); "
                                     "decompress it yourself and check it")
                if not checked and b"\x00" in chunk:
                    raise _nul_bytes(path, chunk, offset)
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    raise _undecodable(path, err, chunk, offset, lines, codec, bool(gz)) from None
                except UnicodeError as err:  # "UTF-16 stream does not start with BOM": the codec needs a mark
                    raise InputError(f"{path}: cannot read as {codec} ({err}); name the byte order (utf-16-le or "
                                     "utf-16-be), or drop --encoding to have it detected") from None
                offset += len(chunk)
                lines += chunk.count(b"\n")
                info["lf"] |= "\n" in text
                info["cr"] |= "\r" in text
                info["text"] |= bool(text.strip())
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError(f"{path}: the file ends inside a character ({codec}); it is truncated or "
                         "not in that encoding") from None
    except BROKEN as err:
        raise InputError(f"{path}: cannot read the file ({err}); check it is a complete "
                         f"{gz or 'text'} file") from None
    if offset == 0:
        raise InputError(f"{path}: file is empty (0 bytes); export the data again")
    if not info["text"]:
        raise InputError(f"{path}: file holds only blank space, no data; export the data again")
    return info


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
        raise InputError(f"{path}: file is empty (0 bytes); export the data again")
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
        frame, company = read_mail(path)
        info = TableInfo(fmt, company=company)
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
    check_unique_columns(path, [str(c) for c in frame.columns])
    first = str(frame.columns[0]) if len(frame.columns) else ""
    if len(frame.columns) and (first in ("", "__index_level_0__") or first.startswith("Unnamed: 0")):
        frame = frame.drop(columns=frame.columns[0])  # a pandas index written out
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        cols = ", ".join(frame.columns) or "none"
        raise InputError(f"{path}: header only, no data rows (columns: {cols}); export the data "
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
