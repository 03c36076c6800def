"""Zip archives, as tools hand exports over (a Slack workspace export, a help desk's ticket export).

``unpacked(path)`` → the folder to read instead of the archive: its members unpacked into a temporary
folder (removed when the process ends), or, while that folder holds one folder and nothing beside it (an
``export/`` zipped whole), the one inside. ``ml.ingest.paths.resolve_paths`` then reads it as any folder (a
Slack export's channels, or the supported files at its top). Only members that are read
(``ml.ingest.paths.readable``: a supported suffix, a ``.txt`` only as a WhatsApp chat) are unpacked; a member whose path would leave the folder
(absolute, or with ``..``), macOS's ``__MACOSX/`` copies and hidden files are skipped. An archive that
cannot be read, or holds no supported file, is an ``InputError`` naming it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ml.runtime.errors import InputError


def _kept(name: str, readable) -> bool:
    parts = PurePosixPath(name).parts
    if not parts or name.endswith("/") or PurePosixPath(name).is_absolute() or ".." in parts:
        return False
    if parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
        return False
    return readable(Path(parts[-1]))


_DONE: dict[tuple, Path] = {}  # an archive is unpacked once per process (kind detection reads it too)


def unpacked(path: Path) -> Path:
    """The folder holding ``path``'s supported members (module docstring)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DONE or not _DONE[key].exists():
        _DONE[key] = _unpack(path)
    return _DONE[key]


def _unpack(path: Path) -> Path:
    from ml.ingest.paths import readable, supported_names

    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if _kept(m.filename, readable)]
            if not members:
                raise InputError(f"{path}: the zip archive holds no supported file; expected {supported_names()}")
            folder = Path(tempfile.mkdtemp(prefix="personas-unzip-"))
            atexit.register(shutil.rmtree, folder, True)
            for member in members:
                target = folder.joinpath(*PurePosixPath(member.filename).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"{path}: cannot read as a zip archive ({err}); check the file is complete") from None
    entries = list(folder.iterdir())
    while len(entries) == 1 and entries[0].is_dir():  # export/ zipped whole
        folder = entries[0]
        entries = list(folder.iterdir())
    return folder
