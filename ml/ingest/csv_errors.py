"""Where a CSV that pandas refuses goes wrong, for the one-line error (``ml.ingest.read``).

- ``unclosed_quote``: the line where a quoted text opens that the file never closes (an export cut short);
- ``first_bad_record``: the first record whose field count differs from the header's, counted by the file's own
  lines (pandas counts records, and quoted texts with line breaks move the lines on).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ml.ingest.packed import open_packed


def unclosed_quote(path: Path, gz: str | None, codec: str) -> int | None:
    """The line of the file where the record opens whose quote is still open at the end of the file; None when
    every quote closes. A doubled quote inside a quoted text toggles twice, so it needs no care."""
    line, start, quoted = 1, 1, False
    try:
        with open_packed(path, gz, "rt", encoding=codec, newline="") as fh:
            while chunk := fh.read(1 << 20):
                for piece in re.split(r'(["\n])', chunk):
                    if piece == '"':
                        quoted = not quoted
                    elif piece == "\n":
                        line += 1
                        if not quoted:
                            start = line
    except (OSError, UnicodeDecodeError):
        return None
    return start if quoted else None


def first_bad_record(path: Path, gz: str | None, codec: str, delimiter: str, n_fields: int,
                     skip: int = 0) -> str | None:
    """"data row 296 (line 301 of the file) has 16 fields, the header 15": the parser's own line counts records,
    and quoted texts with line breaks move the file's lines on; None when ``csv`` finds no such record. ``skip``:
    title lines above the header (``ml.ingest.read.title_lines``)."""
    try:
        with open_packed(path, gz, "rt", encoding=codec, newline="") as fh:
            for _ in range(skip):
                fh.readline()
            reader = csv.reader(fh, delimiter=delimiter)
            for k, row in enumerate(reader):
                if k and row and len(row) != n_fields:
                    title = n_fields == 1 and len(row) > 2  # "Ticket report: all channels" above the header
                    return (f"data row {k} (line {reader.line_num + skip} of the file) has {len(row)} fields, "
                            f"the header {n_fields}" + ("; if the lines above it are a report's title, delete "
                                                        "them so that the header is the first line" if title else ""))
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
    return None
