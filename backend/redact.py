"""Server paths never leave the server: the manifest as clients see it (docs/security.md).

The manifest file keeps every path (the API uses `run_dir` to find a run's model); what the API
answers is `public_document(manifest)`:

- `run_dir` is dropped;
- values of path-like keys (`inputs`, `path`, `file`, `files`, `*_dir`, `*_file`, `*_path`, ...),
  at any depth, become their last component (`/srv/data/tweets.csv` → `tweets.csv`);
- any other string that is, as a whole, an absolute path of two or more levels without spaces
  (`/home/me/x`, `~/x/y`, `C:\\data\\x`) becomes its last component too (a path stored under a
  key not listed); text with spaces, and any value under a `text` key (messages quoted in filter
  examples), is kept as written.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

DROPPED_KEYS = frozenset({"run_dir"})
_PATH_KEYS = frozenset({"inputs", "input", "path", "paths", "file", "files", "filename", "dir",
                        "directory", "home", "cwd", "location", "source_path"})
_TEXT_KEYS = frozenset({"text"})  # message texts quoted in filter examples are left as written
_PATH_SUFFIXES = ("_dir", "_file", "_path", "_paths", "_files", "_folder")
# The whole value is an absolute path (POSIX, home, Windows drive or UNC) of two or more levels,
# without spaces: "/cc help me w/ my card" is a message, not a path.
_ABSOLUTE = re.compile(r"~?/[^/\s]+(?:/[^/\s]*)+|[A-Za-z]:[\\/][^\\/\s]+(?:[\\/][^\\/\s]*)+"
                       r"|\\\\[^\\\s]+(?:\\[^\\\s]*)+")


def basename(value: str) -> str:
    """The last component of a POSIX or Windows path (the value itself when it has none)."""
    text = value.rstrip("/\\")
    if not text:
        return value
    name = PureWindowsPath(text).name if "\\" in text else PurePosixPath(text).name
    return name or value


def _is_path_key(key: str) -> bool:
    key = key.lower()
    return key in _PATH_KEYS or key.endswith(_PATH_SUFFIXES)


def redact_text(value: str) -> str:
    """A string that is, as a whole, an absolute path cut to its last component; other text unchanged."""
    if len(value) < 4096 and _ABSOLUTE.fullmatch(value):
        return basename(value)
    return value


def _redact(value: Any, path_key: bool) -> Any:
    if isinstance(value, dict):
        return {k: v if k in _TEXT_KEYS else _redact(v, isinstance(k, str) and _is_path_key(k))
                for k, v in value.items() if k not in DROPPED_KEYS}
    if isinstance(value, (list, tuple)):
        return [_redact(v, path_key) for v in value]
    if isinstance(value, str):
        return basename(value) if path_key else redact_text(value)
    return value


def public_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored document (manifest, run summary) without server paths."""
    return _redact(document, False)
