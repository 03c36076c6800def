"""Ingest, a file's bytes: its encoding (byte-order mark, UTF-8, or what the caller names) and the check that
every byte decodes, with one-line errors that say where and what to do (``ml.ingest.read`` reads the table).

- ``detect_encoding(path, gz, encoding)``: (codec to read with, name to report); a byte-order mark decides, a
  named encoding that contradicts one is refused, latin-1 is read as browsers read it (``ml.ingest.web1252``).
- ``scan(path, gz, codec, checked)``: decode the whole file once; undecodable bytes are refused with their byte
  offset, line and a guess of the real encoding (charset-normalizer), NUL bytes without a mark as UTF-16/32
  without a BOM or a binary file, compressed files that expand past ``PACKED_RATIO`` as a decompression bomb.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from ml.ingest.archive import BOMB_MIN_BYTES
from ml.ingest.packed import BROKEN, PACKED_RATIO, open_packed
from ml.ingest.web1252 import WEB_1252
from ml.runtime.errors import EmptyFileError, InputError

#: byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one):
#: (mark, codec that strips it, name reported)
BOMS = [(codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8-sig", "utf-8"), (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be")]


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


_WRONG = frozenset({"Cc", "Cn", "Cs"})  # control, unassigned, surrogate: what a wrong decode gives


def _bomless_wide(sample: bytes) -> str | None:
    """UTF-32/16 (LE/BE) that decodes `sample` into lines of text, if any: no control character but tab and line
    ends, no unassigned code point, no lone surrogate (what a wrong decode gives). Format characters, no-break spaces
    and private-use characters are text (the zero-width joiner inside an emoji, "👨\u200d👩", was enough to call a
    UTF-16 file "not a text file", a review found, and so was French's no-break space before "!")."""
    for name in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
        try:
            text = codecs.getincrementaldecoder(name)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        if "\n" in text and all(c in "\t\r\n" or unicodedata.category(c) not in _WRONG for c in text):
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
    if _mostly_utf8(chunk):  # stray bytes in a UTF-8 file: a code page would garble every other accent and emoji
        source = "iconv" if not packed else ("gunzip -c" if path.suffix == ".gz" else "zstd -dc") + f" {path.name} | iconv"
        return InputError(f"{path}: bytes are not valid UTF-8 at byte offset {offset + err.start} (line {line}), though "
                          "the rest of the file reads as UTF-8: fix or delete them on that line, or drop every invalid "
                          f"byte with {source} -f utf-8 -t utf-8 -c{'' if packed else ' ' + path.name} > OUT")
    return InputError(f"{path}: bytes are not valid {shown} at byte offset {offset + err.start} "
                      f"(line {line}); {_advice(path, guess, packed)}")


def _mostly_utf8(chunk: bytes) -> bool:
    """Whether more of ``chunk``'s non-ASCII characters decode as UTF-8 than not: a UTF-8 file with a few stray bytes,
    not text in a code page, whose accents are no valid UTF-8 (an airline review: 2 stray bytes in a UTF-8 export of
    tweets were called cp775, and --encoding cp775 then garbled 356 lines of emoji and accents without a word)."""
    text = chunk.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for c in text if ord(c) > 127) - bad
    return good > bad


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
        # a UTF-8 mark before bytes that are no UTF-8: a tool wrote the mark, then text in the system's code page (a
        # review's Excel CSV: the mark, then cp1252); the named encoding reads the text, the mark is dropped
        # (``drop_bom_remnant``). Any other mark, or a UTF-8 one before UTF-8 text, says the encoding.
        ignored = ""
        if marked and not name.startswith("-".join(marked[1].split("-")[:2])):  # "utf-16-le" → the utf-16 family
            if marked[1] != "utf-8" or _utf8(path, gz):
                raise InputError(f"{path}: --encoding {encoding} given, but the file starts with a {marked[1]} "
                                 "byte-order mark, which says its encoding: drop --encoding")
            ignored = " (its UTF-8 byte-order mark ignored)"
        if name == "iso8859-1":  # as browsers read it (WHATWG): Windows-1252, whose 0x80–0x9F are ’ “ ” € …
            return WEB_1252, "cp1252 (for latin-1, as browsers read it)" + ignored
        return ("utf-8-sig" if name == "utf-8" else encoding), name + ignored  # a UTF-8 BOM is still dropped
    marked = _bom(path, gz)
    return (marked[0], f"{marked[1]} (BOM)") if marked else ("utf-8", "utf-8")


def _utf8(path: Path, gz: str | None) -> bool:
    """Whether the whole file decodes as UTF-8."""
    try:
        scan(path, gz, "utf-8-sig", checked=True)
    except InputError:
        return False
    return True


def drop_bom_remnant(columns: list[str], codec: str) -> list[str]:
    """``columns`` without what a UTF-8 byte-order mark became at the start of the first name when the file was
    read with another ``codec`` ("ï»¿Datum" → "Datum" in cp1252)."""
    remnant = codecs.BOM_UTF8.decode(codec, errors="ignore")
    if columns and remnant and columns[0].startswith(remnant):
        return [columns[0][len(remnant):], *columns[1:]]
    return columns


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
        raise EmptyFileError(f"{path}: file is empty (0 bytes); export the data again")
    if not info["text"]:
        raise InputError(f"{path}: file holds only blank space, no data; export the data again")
    return info
