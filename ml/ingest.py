"""Ingest: read conversation dumps into the canonical message frame (docs/CONTRACTS.md §1).

`load_messages(paths, mapping=None, inbound_only=False, label_col=None, encoding=None)` reads
CSV/TSV, JSON Lines (or a JSON array) and Parquet files (text formats may be gzipped), given as
one or more files or a folder (its supported files, sorted by name). It returns
`(messages, LoadReport)`.

Layouts are detected per file: `twcs` (Customer Support on Twitter), `twitter_airline`
(Twitter US Airline Sentiment) and `generic` (a text column under a common name; other fields
by common names). `ColumnMapping` fields given explicitly override detection, field by field.
Labels are read only when asked for (`label_col` or `mapping.label`); they are for evaluation.

The frame also carries `thread_id` (an extension of §1): the root of each message's reply
chain, computed before empty-text and inbound filtering so threads survive `inbound_only`.

Choices: files must be UTF-8 (a BOM is fine). Other bytes are refused with their byte offset and
line, never silently read as latin-1; a caller who knows the encoding passes `encoding`. In CSV
files with "\\n" line ends a carriage return is not a line end: CRs are removed from fields (the
TWCS slice has bare CRs in an unquoted field). Files with only "\\r" line ends are read as such.
"""

from __future__ import annotations

import codecs
import difflib
import gzip
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ml.errors import InputError
from ml.timeparse import parse_timestamps
from ml.units import thread_roots

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
           ".parquet": "parquet", ".pq": "parquet"}
GZIP_OK = {"csv", "tsv", "jsonl", "json"}
FLAGS = {"text": "--text-col", "id": "--id-col", "author": "--author-col", "timestamp": "--time-col",
         "reply_to": "--reply-to-col", "label": "--label-col", "inbound": "--inbound-col"}
COLUMNS = ["message_id", "text", "author", "timestamp", "utc_offset_min", "local_hour", "local_weekday",
           "reply_to", "inbound", "label", "source_file", "source_row", "thread_id"]
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


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

    def over(self, base: ColumnMapping) -> ColumnMapping:
        """This mapping's set fields on top of `base`."""
        return ColumnMapping(**{f.name: getattr(self, f.name) or getattr(base, f.name) for f in fields(self)})


LAYOUTS = {
    "twcs": ({"tweet_id", "author_id", "inbound", "created_at", "text"},
             ColumnMapping(text="text", id="tweet_id", author="author_id", timestamp="created_at",
                           reply_to="in_response_to_tweet_id", inbound="inbound")),
    "twitter_airline": ({"tweet_id", "name", "text", "tweet_created", "airline"},
                        ColumnMapping(text="text", id="tweet_id", author="name", timestamp="tweet_created")),
}
ALIASES = {
    "text": ["text", "message", "body", "content", "utterance", "message_text"],
    "id": ["message_id", "id", "msg_id", "tweet_id"],
    "author": ["author", "author_id", "user", "user_id", "username", "sender"],
    "timestamp": ["timestamp", "created_at", "datetime", "time", "date", "sent_at"],
    "reply_to": ["reply_to", "in_reply_to", "in_reply_to_id", "parent_id", "in_response_to_tweet_id"],
    "inbound": ["inbound"],
}


@dataclass
class FileReport:
    """What was read from one file."""

    path: str
    format: str
    layout: str
    mapping: dict
    rows_read: int = 0


@dataclass
class LoadReport:
    """What `load_messages` read, detected and dropped."""

    files: list[FileReport] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    dropped_empty_text: int = 0
    dropped_not_inbound: int = 0
    renamed_duplicate_ids: int = 0
    timestamps_missing: int = 0
    timestamps_unparseable: int = 0
    timestamp_examples: list[dict] = field(default_factory=list)
    has_timestamps: bool = False
    has_authors: bool = False
    has_replies: bool = False
    has_labels: bool = False
    has_inbound: bool = False

    @property
    def layout(self) -> str:
        """The detected layout, or "mixed" when files differ."""
        kinds = {f.layout for f in self.files}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["layout"] = self.layout
        return out

    def summary_lines(self) -> list[str]:
        """Short human-readable lines for the command line."""
        lines = [f"{f.path}: {f.rows_read} rows, layout {f.layout}" for f in self.files]
        lines.append(f"kept {self.rows_kept} of {self.rows_read} rows")
        for name in ("dropped_empty_text", "dropped_not_inbound",
                     "renamed_duplicate_ids", "timestamps_missing", "timestamps_unparseable"):
            if getattr(self, name):
                lines.append(f"{name.replace('_', ' ')}: {getattr(self, name)}")
        for ex in self.timestamp_examples:
            lines.append(f"  unparseable timestamp {ex['value']!r} in {ex['file']} row {ex['row']}")
        return lines


# ---------------------------------------------------------------- files


def _suffix_format(path: Path) -> tuple[str | None, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    ext = suffixes[-2] if gz and len(suffixes) > 1 else (suffixes[-1] if suffixes and not gz else "")
    fmt = FORMATS.get(ext)
    if fmt is not None and gz and fmt not in GZIP_OK:
        fmt = None
    return fmt, gz


def _stem(path: Path) -> str:
    name = path.name
    for s in reversed(path.suffixes):
        if s.lower() in FORMATS or s.lower() == ".gz":
            name = name[: -len(s)]
    return name


def resolve_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files to read: each path, or the supported files in a folder (sorted by name)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    supported = ", ".join(sorted(FORMATS)) + " (text formats also .gz)"
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: file not found; check the path")
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _suffix_format(p)[0])
            if not found:
                raise InputError(f"{path}: folder has no supported files; expected {supported}")
            out.extend(found)
        elif _suffix_format(path)[0] is None:
            raise InputError(f"{path}: unsupported file type {''.join(path.suffixes) or '(none)'}; "
                             f"use one of {supported}")
        else:
            out.append(path)
    if not out:
        raise InputError("no input files given; pass one or more files or a folder")
    return out


def _scan(path: Path, gz: bool, encoding: str | None) -> dict:
    """Check the bytes decode (UTF-8 unless `encoding`) and note line ends; InputError otherwise."""
    opener = gzip.open if gz else open
    decoder = codecs.getincrementaldecoder(encoding or "utf-8-sig")("strict")
    info = {"bytes": 0, "lf": False, "cr": False, "text": False}
    offset, lines = 0, 1
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    pos = offset + err.start
                    line = lines + chunk[: err.start].count(b"\n")
                    raise InputError(
                        f"{path}: bytes are not valid UTF-8 at byte offset {pos} (line {line}); "
                        "re-encode the file to UTF-8, e.g. iconv -f latin1 -t utf-8 IN > OUT") from None
                offset += len(chunk)
                lines += chunk.count(b"\n")
                info["lf"] |= "\n" in text
                info["cr"] |= "\r" in text
                info["text"] |= bool(text.strip())
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise InputError(f"{path}: cannot read the file ({err}); check it is a complete "
                         f"{'gzip' if gz else 'text'} file") from None
    info["bytes"] = offset
    if offset == 0:
        raise InputError(f"{path}: file is empty (0 bytes); export the data again")
    if not info["text"]:
        raise InputError(f"{path}: file holds only blank space, no data; export the data again")
    return info


def _read_csv(path: Path, fmt: str, info: dict, encoding: str | None) -> pd.DataFrame:
    kwargs = {"sep": "\t" if fmt == "tsv" else ",", "dtype": str, "keep_default_na": False,
              "encoding": encoding or "utf-8-sig", "compression": "infer"}
    if info["lf"]:
        kwargs["lineterminator"] = "\n"
    try:
        frame = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: no columns found; the file needs a header row") from None
    except (pd.errors.ParserError, ValueError) as err:
        detail = str(err).replace("Error tokenizing data. C error: ", "").strip()
        raise InputError(f"{path}: malformed {fmt.upper()} ({detail}); check the quoting and "
                         "delimiters around that line") from None
    if info["cr"]:
        frame.columns = [str(c).replace("\r", "") for c in frame.columns]
        for col in frame.columns:
            frame[col] = frame[col].str.replace("\r", "", regex=False)
    return frame


def _read_json(path: Path, gz: bool, fmt: str, encoding: str | None) -> pd.DataFrame:
    opener = gzip.open if gz else open
    with opener(path, "rt", encoding=encoding or "utf-8-sig") as fh:
        content = fh.read()
    records: list = []
    if fmt == "json" and content.lstrip().startswith("["):
        try:
            records = json.loads(content)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}: invalid JSON at line {err.lineno} column {err.colno} "
                             f"({err.msg}); fix the file or export it as JSON Lines") from None
        bad = next((i for i, r in enumerate(records, 1) if not isinstance(r, dict)), None)
        if bad is not None:
            raise InputError(f"{path}: item {bad} of the JSON array is not an object; each "
                             "message must be an object with named fields")
    else:
        # split on "\n" only: str.splitlines() would also split at U+2028 inside a JSON string
        for lineno, line in enumerate(content.split("\n"), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path}: line {lineno} is not valid JSON ({err.msg} at column "
                                 f"{err.colno}); fix or remove that line") from None
            if not isinstance(rec, dict):
                raise InputError(f"{path}: line {lineno} is not a JSON object; each line must be "
                                 "one message object with named fields")
            records.append(rec)
    return pd.DataFrame.from_records(records)


def read_table(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, str]:
    """Raw table of one file (text formats as strings) and its format name."""
    fmt, gz = _suffix_format(path)
    if fmt == "parquet":
        if path.stat().st_size == 0:
            raise InputError(f"{path}: file is empty (0 bytes); export the data again")
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError, pa.ArrowException) as err:
            raise InputError(f"{path}: cannot read as Parquet ({type(err).__name__}: {err}); "
                             "check the file is complete") from None
    else:
        info = _scan(path, gz, encoding)
        frame = _read_csv(path, fmt, info, encoding) if fmt in ("csv", "tsv") else \
            _read_json(path, gz, fmt, encoding)
    first = str(frame.columns[0]) if len(frame.columns) else ""
    if first in ("", "__index_level_0__") or first.startswith("Unnamed: 0"):
        frame = frame.drop(columns=frame.columns[0])  # a pandas index written out
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        cols = ", ".join(frame.columns) or "none"
        raise InputError(f"{path}: header only, no data rows (columns: {cols}); export the data "
                         "with its rows")
    return frame, fmt


# ---------------------------------------------------------------- columns


def detect_layout(columns: list[str]) -> tuple[str, ColumnMapping]:
    """Layout name and the mapping it implies for these column names."""
    cols = set(columns)
    for name, (required, mapping) in LAYOUTS.items():
        if required <= cols:
            keep = {k: v for k, v in asdict(mapping).items() if v is None or v in cols}
            return name, ColumnMapping(**keep)
    lower = {c.lower(): c for c in reversed(columns)}
    found = {}
    for key, names in ALIASES.items():
        hit = next((lower[n] for n in names if n in lower), None)
        if hit is not None and hit not in found.values():
            found[key] = hit
    return ("generic" if "text" in found else "unknown"), ColumnMapping(**found)


def _check_mapping(path: Path, columns: list[str], mapping: ColumnMapping, explicit: ColumnMapping) -> None:
    shown = ", ".join(columns)
    if mapping.text is None:
        raise InputError(f"{path}: no text column found (columns: {shown}); pass --text-col NAME "
                         "naming the column that holds the message text")
    for key, col in asdict(explicit).items():
        if col is not None and col not in columns:
            close = difflib.get_close_matches(col, columns, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{path}: column {col!r} given by {FLAGS[key]} is not in the file{hint}; "
                             f"columns found: {shown}")


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


def _booleans(values: pd.Series) -> pd.Series:
    """true/false, yes/no, 1/0 (any case) → nullable boolean; anything else → NA."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    low = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[low.isin(_TRUE)] = True
    out[low.isin(_FALSE)] = False
    return out


def _canonical(frame: pd.DataFrame, path: Path, m: ColumnMapping) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    n = len(frame)
    text = frame[m.text].astype(object).where(frame[m.text].notna(), "").astype(str)
    rows = np.arange(1, n + 1)
    fallback = pd.Series(rows, dtype="int64").astype(str).radd(f"{_stem(path)}:").astype(object)
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
        "inbound": (_booleans(frame[m.inbound]) if m.inbound
                    else pd.Series(pd.NA, index=frame.index, dtype="boolean")).to_numpy(),
        "label": opt(m.label).to_numpy(),
        "source_file": path.name,
        "source_row": rows,
    })


# ---------------------------------------------------------------- entry point


def load_messages(
    paths: str | Path | Iterable[str | Path],
    mapping: ColumnMapping | None = None,
    inbound_only: bool = False,
    label_col: str | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read files into the canonical message frame (CONTRACTS §1, plus `thread_id`).

    `mapping` overrides detected columns field by field; `label_col` is a shortcut for
    `mapping.label`; `inbound_only` keeps the customer side (inbound == True) and needs inbound
    information; `encoding` (default: UTF-8, refusing other bytes) names the files' encoding.
    Raises `InputError` (one line) on bad input.
    """
    explicit = mapping or ColumnMapping()
    if label_col:
        if explicit.label and explicit.label != label_col:
            raise InputError(f"two label columns given ({explicit.label!r} and {label_col!r}); pass one")
        explicit = ColumnMapping(**{**asdict(explicit), "label": label_col})
    report = LoadReport()
    parts = []
    for path in resolve_paths(paths):
        raw, fmt = read_table(path, encoding)
        layout, detected = detect_layout(list(raw.columns))
        used = explicit.over(detected)
        _check_mapping(path, list(raw.columns), used, explicit)
        if inbound_only and used.inbound is None:
            raise InputError(f"{path}: --inbound-only needs inbound information (customer vs. "
                             "brand) but the file has no inbound column; drop --inbound-only for this data")
        report.files.append(FileReport(str(path), fmt, layout if layout != "unknown" else "mapped",
                                       {k: v for k, v in asdict(used).items() if v}, len(raw)))
        parts.append(_canonical(raw, path, used))
    msgs = pd.concat(parts, ignore_index=True)
    report.rows_read = len(msgs)

    # Repeated ids get a suffix ("<id>#1", ...) so message ids stay unique; rows are kept (the
    # filter stage decides about duplicate texts). Reply links point at the first one.
    rank = msgs.groupby("message_id", sort=False).cumcount()
    clash = rank > 0
    report.renamed_duplicate_ids = int(clash.sum())
    msgs.loc[clash, "message_id"] = msgs.loc[clash, "message_id"] + "#" + rank[clash].astype(str)

    raw_time = msgs.pop("_time")
    times = parse_timestamps(raw_time)
    for col in ("timestamp", "utc_offset_min", "local_hour", "local_weekday"):
        msgs[col] = times[col]
    raw_missing = msgs["timestamp"].isna() & ~times["unparseable"].to_numpy()
    report.timestamps_missing = int(raw_missing.sum())
    report.timestamps_unparseable = int(times["unparseable"].sum())
    bad = np.flatnonzero(times["unparseable"].to_numpy())[:3]
    report.timestamp_examples = [
        {"file": msgs.at[i, "source_file"], "row": int(msgs.at[i, "source_row"]), "value": str(raw_time[i])}
        for i in bad
    ]

    has_reply = msgs["reply_to"].notna().any()
    msgs["thread_id"] = thread_roots(msgs["message_id"], msgs["reply_to"]) if has_reply else None

    empty = msgs["text"].str.strip() == ""
    report.dropped_empty_text = int(empty.sum())
    msgs = msgs[~empty]
    if inbound_only:
        keep = msgs["inbound"].fillna(False).astype(bool)
        report.dropped_not_inbound = int((~keep).sum())
        msgs = msgs[keep]
    msgs = msgs.reset_index(drop=True)[COLUMNS]
    msgs["text"] = msgs["text"].astype(str)
    msgs["message_id"] = msgs["message_id"].astype(str)
    msgs["source_file"] = msgs["source_file"].astype(str)
    msgs["source_row"] = msgs["source_row"].astype("int64")
    msgs["inbound"] = msgs["inbound"].astype("boolean")
    msgs["timestamp"] = msgs["timestamp"].astype("datetime64[ns, UTC]")
    for col in ("local_hour", "local_weekday"):
        msgs[col] = msgs[col].astype("Int64")
    for col in ("author", "reply_to", "label", "thread_id"):
        msgs[col] = msgs[col].astype(object).where(msgs[col].notna(), None)

    report.rows_kept = len(msgs)
    report.has_timestamps = bool(msgs["timestamp"].notna().any())
    report.has_authors = bool(msgs["author"].notna().any())
    report.has_replies = bool(has_reply)
    report.has_labels = bool(msgs["label"].notna().any())
    report.has_inbound = bool(msgs["inbound"].notna().any())
    if len(msgs) == 0:
        why = " after --inbound-only" if inbound_only and report.dropped_not_inbound else ""
        raise InputError(f"no messages with text left{why} in {report.files[0].path}"
                         f"{' and other files' if len(report.files) > 1 else ''}; check --text-col "
                         "points at the message text")
    return msgs, report
