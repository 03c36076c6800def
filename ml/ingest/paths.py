"""Which files a run reads: suffixes, folders, archives (``ml.ingest.read`` reads each file).

``resolve_paths(paths)`` → the files: each path, or the supported files at the top of a folder (sorted by
name) and those of the zips beside them; of a Slack export's folder, its channels' daily files (``ml.ingest.slack.export_files``); a zip archive
is read as the folder it unpacks to (``ml.ingest.archive``). ``readable(path)`` says whether a file found in a
folder or an archive is read; ``suffix_format(path)`` names its format from its suffixes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ml.ingest.archive import skipped_members, unpacked
from ml.ingest.slack import export_files
from ml.ingest.whatsapp import is_chat_file
from ml.runtime.errors import InputError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
           ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx", ".txt": "whatsapp", ".mbox": "mbox",
           ".eml": "eml"}
GZIP_OK = {"csv", "tsv", "jsonl", "json"}  # the formats that may be compressed
COMPRESSED = {".gz": "gzip", ".zst": "zstd"}
ARCHIVED = frozenset({".tar", ".bin", ".db", ".sqlite", ".pdf", ".zip", ".img", ".iso"})  # not text under .zst


def suffix_format(path: Path) -> tuple[str | None, str | None]:
    """(format name or None when unsupported, compression: "gzip", "zstd" or None) from the file name; a
    ``.zst`` after no format suffix (and no archive's, ``ARCHIVED``) is JSON lines, as Reddit's Pushshift and Arctic Shift dumps
    (``RC_2023-01.zst``) are."""
    suffixes = [s.lower() for s in path.suffixes]
    packed = COMPRESSED.get(suffixes[-1]) if suffixes else None
    ext = (suffixes[-2] if len(suffixes) > 1 else "") if packed else (suffixes[-1] if suffixes else "")
    fmt = FORMATS.get(ext)
    if packed == "zstd" and fmt is None and ext not in ARCHIVED:  # "wsb.comments.zst"; not "backup.tar.zst"
        fmt = "jsonl"
    if fmt is not None and packed and fmt not in GZIP_OK:
        fmt = None
    return fmt, packed


def readable(path: Path) -> bool:
    """Whether a file found in a folder or an archive is read: a supported suffix; a ``.txt`` only as a
    WhatsApp chat's name (``ml.ingest.whatsapp.is_chat_file``: not a readme.txt); not "~$book.xlsx", the lock
    file of a workbook open in Excel."""
    fmt = suffix_format(path)[0]
    return bool(fmt) and not path.name.startswith("~$") and (fmt != "whatsapp" or is_chat_file(path))


def supported_names() -> str:
    """The suffixes read, for error messages."""
    return (", ".join(sorted(s for s in FORMATS if s not in (".txt", ".mbox", ".eml"))) + " (text formats also .gz or .zst), "
            "WhatsApp chats (.txt), mailboxes (.mbox, or .eml files)")


def stem(path: Path) -> str:
    """The file name without its format and compression suffixes."""
    name, suffixes = path.name, [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        name, suffixes = name[: -len(suffixes[-1])], suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        name = name[: -len(suffixes[-1])]
    return name


def resolve_paths(paths: str | Path | Iterable[str | Path], skipped: list[Path] | None = None) -> list[Path]:
    """Files to read: each path, or the supported files in a folder (sorted by name); of a Slack export's
    folder, its channels' daily files (``ml.ingest.slack.export_files``); a zip archive is read as the folder
    it unpacks to (``ml.ingest.archive``). ``skipped`` collects the files of those folders that are not read
    (an Outlook ``.msg``, a PDF, a ``readme.txt``; not hidden files nor Excel's ``~$`` lock files) and the folders
    inside them (a folder is read one level deep: its subfolders only when given themselves)."""
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    supported = supported_names()
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: file not found; check the path")
        archive = path if path.is_file() and path.suffix.lower() == ".zip" else None
        if archive:
            path = unpacked(archive)  # ml.ingest.archive
            if skipped is not None:  # its members not read, named as a folder's files are
                skipped.extend(Path(name) for name in skipped_members([path]))
        if path.is_dir() and (slack := export_files(path)):
            out.extend(slack)  # a Slack export: its channels' daily files (ml.ingest.slack)
        elif path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and readable(p))
            zips = [] if archive else sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".zip")
            inner = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "__MACOSX")))
            if not found and not zips:
                where = f"{archive}: the zip archive's top folder" if archive else f"{path}: folder"
                below = (f"; the folders in it are not read ({', '.join(p.name + '/' for p in inner[:3])}"
                         f"{', …' if len(inner) > 3 else ''}): pass them instead" if inner and not archive else
                         "; the archive holds its files in folders: unzip it and pass those folders" if inner else "")
                raise InputError(f"{where} has no supported files; expected {supported}{below}")
            out.extend(found)
            out.extend(f for z in zips for f in resolve_paths(z, skipped))  # a folder of zips (WhatsApp chats)
            if skipped is not None:  # files not read, and folders inside (read only when given themselves)
                skipped.extend(sorted(p for p in path.iterdir() if p.is_file() and p not in found and p not in zips
                                      and not p.name.startswith((".", "~$"))))
                skipped.extend(inner)
        elif suffix_format(path)[0] is None:
            sheet = path.suffix.lower() in (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")
            raise InputError(f"{path}: unsupported file type {''.join(path.suffixes) or '(none)'}; "
                             + ("open it in its spreadsheet program and save it as .xlsx (Excel Workbook) or CSV"
                                if sheet else f"use one of {supported}, or a .zip of them"))
        else:
            out.append(path)
    if not out:
        raise InputError("no input files given; pass one or more files or a folder")
    if skipped is not None:  # a folder inside another that was given itself is read, not skipped
        given = {Path(raw).resolve() for raw in paths}
        skipped[:] = [p for p in skipped if not (p.is_dir() and p.resolve() in given)]
    return out


def sources(files: list[Path]) -> list[Path | list[Path]]:
    """What is read as one table: each file, except ``.eml`` files (one message each), which are read together
    as one mailbox, in the place of the first of them."""
    emails = [p for p in files if FORMATS.get(p.suffix.lower()) == "eml"]
    if not emails:
        return list(files)
    first = files.index(emails[0])
    rest = [p for p in files if FORMATS.get(p.suffix.lower()) != "eml"]
    return [*rest[:first], emails, *rest[first:]]
