"""What a run read, as one digest: ``inputs_fingerprint(paths)`` → sha256 (hex) over the inputs as given.

A file counts with its bytes; a folder with each file under it (hidden ones aside), by its path inside the folder
and its bytes, in sorted order; a zip archive as the file it is. The digest goes into the manifest
(``source.fingerprint``) of a run in a series, so that running the same inputs with the same settings again
(a scheduler's retry of a week that had succeeded) is told apart from new data (``ml.runtime.series``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20


def inputs_fingerprint(paths: Iterable[str | Path]) -> str:
    """The sha256 of the inputs (module docstring); a path that is neither file nor folder counts by its name."""
    digest = hashlib.sha256()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            for f in files:
                digest.update(b"\0F" + f.relative_to(path).as_posix().encode("utf-8") + b"\0")
                _add_bytes(digest, f)
        elif path.is_file():
            digest.update(b"\0I")
            _add_bytes(digest, path)
        else:
            digest.update(b"\0?" + str(raw).encode("utf-8"))
    return digest.hexdigest()


def _add_bytes(digest, path: Path) -> None:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
