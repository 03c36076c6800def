"""Zip archives, as tools hand exports over (a Slack workspace export, a help desk's ticket export).

``unpacked(path)`` → the folder to read instead of the archive: its members unpacked into a temporary
folder (removed when the process ends), or, while that folder holds one folder and nothing beside it (an
``export/`` zipped whole), the one inside. ``ml.ingest.paths.resolve_paths`` then reads it as any folder (a
Slack export's channels, or the supported files at its top). Only members that are read
(``ml.ingest.paths.readable``: a supported suffix, a ``.txt`` only as a WhatsApp chat) are unpacked; a member whose path would leave the folder
(absolute, or with ``..``), macOS's ``__MACOSX/`` copies and hidden files are skipped. An archive that
cannot be read or unpacked (encrypted, Deflate64), holds no supported file, would not fit on the disk, or
holds a member that expands more than ``MAX_RATIO`` times (a zip bomb), is an ``InputError`` naming it.
``shown(path)`` names an unpacked file by its archive (``export.zip/support/2024-03-01.json``) in the
run's report, ``in_archive_terms(err)`` in an error's message.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from ml.runtime.errors import InputError


def _listed(name: str) -> bool:
    """A member a person put in the archive: a file with a safe path, not macOS's copies or hidden."""
    parts = PurePosixPath(name).parts
    if not parts or name.endswith("/") or PurePosixPath(name).is_absolute() or ".." in parts:
        return False
    return parts[0] != "__MACOSX" and not any(p.startswith(".") for p in parts)


_DONE: dict[tuple, Path] = {}  # an archive is unpacked once per process (kind detection reads it too)
ARCHIVES: dict[Path, Path] = {}  # unpacked folder → the archive it came from (``shown``)
SKIPPED: dict[Path, list[str]] = {}  # unpacked folder → the members not read (not a format read here)
MAX_RATIO = 200
BOMB_MIN_BYTES = 100 * 2**20


def unpacked(path: Path) -> Path:
    """The folder holding ``path``'s supported members (module docstring)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DONE or not _DONE[key].exists():
        _DONE[key] = _unpack(path)
    return _DONE[key]


def _check_sizes(path: Path, members: list[zipfile.ZipInfo], folder: Path) -> None:
    """Refuses an archive that would not fit beside the others in the temporary folder's disk, or whose member
    expands past ``MAX_RATIO`` times its packed size (a zip bomb; text packs 5–50 times)."""
    total = sum(m.file_size for m in members)
    free = shutil.disk_usage(folder).free
    if total > 0.9 * free:
        raise InputError(f"{path}: unpacks to {total / 2**30:.1f} GiB, more than the {free / 2**30:.1f} GiB free in "
                         f"{folder.parent}; unzip it where there is room and pass the folder")
    bomb = next((m for m in members if m.file_size > BOMB_MIN_BYTES and m.file_size > MAX_RATIO * m.compress_size),
                None)
    if bomb is not None:
        raise InputError(f"{path}: member {bomb.filename!r} expands {bomb.file_size // max(bomb.compress_size, 1)} "
                         "times its packed size, which no export does; check where the archive came from")


def _unpack(path: Path) -> Path:
    from ml.ingest.paths import readable, supported_names

    try:
        with zipfile.ZipFile(path) as archive:
            listed = [(m, readable(Path(PurePosixPath(m.filename).parts[-1])))  # unpacked when read (docstring)
                      for m in archive.infolist() if _listed(m.filename)]
            members = [m for m, read in listed if read]
            passed = [m.filename for m, read in listed if not read]
            if not members:
                raise InputError(f"{path}: the zip archive holds no supported file; expected {supported_names()}")
            folder = Path(tempfile.mkdtemp(prefix="personas-unzip-"))
            atexit.register(shutil.rmtree, folder, True)
            _check_sizes(path, members, folder)
            for member in members:
                target = folder.joinpath(*PurePosixPath(member.filename).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise InputError(f"{path}: cannot read as a zip archive ({err}); check the file is complete") from None
    except (RuntimeError, NotImplementedError) as err:  # encrypted members, Deflate64 (Windows' large files)
        raise InputError(f"{path}: cannot unpack ({err}); unzip it with your system's tool and pass the "
                         "folder") from None
    ARCHIVES[folder] = path
    SKIPPED[folder] = passed
    entries = list(folder.iterdir())
    while len(entries) == 1 and entries[0].is_dir():  # export/ zipped whole
        folder = entries[0]
        entries = list(folder.iterdir())
    return folder


def in_archive_terms(err: InputError) -> InputError:
    """``err`` with every unpacked folder in its message named by its archive (``export.zip/b.csv``, not
    ``/tmp/personas-unzip-…/b.csv``, a folder gone when the run ends: a review's error named it)."""
    message = err.message
    for folder, archive in ARCHIVES.items():
        message = message.replace(f"{folder}/", f"{archive}/").replace(str(folder), str(archive))
    if message != err.message:
        err.message = message
        err.args = (message, *err.args[1:])
    return err


def skipped_members(files: list[Path]) -> list[str]:
    """The members not read (``.msg``, ``.xls``, a README) of the archives ``files`` were unpacked from, so the
    run names them as it names a folder's (a review: a zip dropped them without a word)."""
    return [name for folder, names in SKIPPED.items() if any(f.is_relative_to(folder) for f in files)
            for name in names]


def shown(path: Path) -> str:
    """``path`` as a person knows it: a file unpacked from an archive as ``export.zip/support/2024-03-01.json``."""
    for folder, archive in ARCHIVES.items():
        if path.is_relative_to(folder):
            return f"{archive}/{path.relative_to(folder).as_posix()}"
    return str(path)
