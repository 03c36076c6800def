"""Run directories: refuse an unsafe ``--out`` before the work, replace a run only by a complete one.

``RunDirectory(out, protect=[...]).check()`` runs before anything is computed and raises ``InputError``
(one line, exit 2) unless ``out`` is absent, an empty folder, or a run directory this tool wrote:

- a folder holding the marker ``.personas-run`` (JSON: ``tool``, ``version``, ``run_id``, ``created``,
  ``files``) and nothing but the files that marker lists (and the optional ``strategies.json``), or
- a legacy run written before the marker existed: ``manifest.json`` with a ``run_id``, ``personas.json``,
  ``assignments.parquet`` and ``model/``, and nothing else but ``strategies.json``.

It also refuses a filesystem root, the home folder or a folder above it, the current folder or a folder
above it, a folder equal to or above a protected path (the inputs, the SQLite store file), a path that
is a file, and a parent it cannot write to (a probe file is created there and removed).

``commit(fill, publisher)`` makes a fresh hidden sibling ``.NAME.tmp-RANDOM`` (created by ``mkdir``, which
fails rather than reuse an existing name, so it is never a user's file), lets ``fill(tmp)`` write the run, adds the marker, checks ``out`` again, publishes
the staged folder, and only then swaps it in: the previous run is moved into another fresh hidden
sibling and deleted once the new one is in place (with ``keep_previous``, a run with no store, it is kept in
``NAME.previous`` instead, replacing the one kept there). A failure or Ctrl-C before the swap removes ``tmp``
and leaves the previous run (and, as publishing is undone when the swap fails, the store) as it was.
Nothing this tool did not create is ever moved or deleted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from ml.runtime.errors import InputError, OutputError, raise_if_stopped, stops_deferred

MARKER = ".personas-run"
TOOL = "personas"
LEGACY_REQUIRED = ("manifest.json", "personas.json", "assignments.parquet", "model")
LEGACY_FILES = frozenset(LEGACY_REQUIRED) | {"strategies.json"}


class Publisher(Protocol):
    def publish(self, folder: Path) -> str: ...

    def unpublish(self, run_id: str) -> None: ...


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def owned_files(folder: Path) -> frozenset[str] | None:
    """The names this tool wrote in ``folder`` (marker included), or None when it is not one of its runs."""
    marker = _read_json(folder / MARKER)
    if marker is not None and marker.get("tool") == TOOL:
        files = marker.get("files")
        if isinstance(files, list) and all(isinstance(f, str) and "/" not in f for f in files):
            return frozenset(files) | {MARKER, "strategies.json"}
        return None
    legacy = all((folder / name).exists() for name in LEGACY_REQUIRED) and (folder / "model").is_dir()
    manifest = _read_json(folder / "manifest.json") if legacy else None
    return LEGACY_FILES if manifest and manifest.get("run_id") else None


def _only_ours(folder: Path) -> bool:
    """Whether ``folder`` is a real folder holding nothing, or nothing but a run this tool wrote."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    entries = os.listdir(folder)
    ours = owned_files(folder) if entries else frozenset()
    return ours is not None and all(e in ours for e in entries)


def write_marker(folder: Path) -> dict:
    """Write ``.personas-run`` into a complete run folder, listing what is in it."""
    from ml import __version__

    manifest = _read_json(folder / "manifest.json") or {}
    marker = {"tool": TOOL, "version": __version__, "run_id": manifest.get("run_id"),
              "created": datetime.now(UTC).isoformat(timespec="seconds"),
              "files": sorted(p.name for p in folder.iterdir() if p.name != MARKER)}
    (folder / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    return marker


def _fresh_dir(parent: Path, prefix: str) -> Path:
    """A new folder ``parent/prefix-RANDOM`` (created here, so never a user's; permissions follow umask)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class RunDirectory:
    """The ``--out`` folder of a run. ``protect``: paths the run reads or writes elsewhere (inputs,
    store file); ``cwd``: the current folder (default: the process's)."""

    def __init__(self, path: str | Path, protect: Iterable[str | Path] = (), cwd: str | Path | None = None,
                 keep_previous: bool = False):
        self.given = str(path)
        self.path = Path(path).expanduser().resolve()
        self.protect = [Path(p).expanduser().resolve() for p in protect if p]
        self.cwd = Path(cwd or os.getcwd()).resolve()
        # a run with no store keeps the run it replaces in NAME.previous (one back): it is in no store either
        self.keep_previous = keep_previous
        self.swapped_ = False  # set by commit once the new run is in place (an interrupt after it keeps it)
        self.replaced_: dict | None = None  # the run that commit replaced: {"run_id", "created", "kept_in"}

    @property
    def previous_path(self) -> Path:
        """Where ``keep_previous`` puts the run a commit replaces: ``NAME.previous`` beside ``--out``."""
        return self.path.parent / f"{self.path.name}.previous"

    def _refuse(self, why: str) -> InputError:
        return InputError(f"--out {self.given}: {why}; nothing was changed")

    def check(self) -> RunDirectory:
        """Raise ``InputError`` unless this folder may be (re)written; returns self."""
        out, home = self.path, Path.home().resolve()
        if out == Path(out.anchor) or _is_within(home, out):
            raise self._refuse("is a filesystem root or your home folder (or above it); give a folder for this run")
        if _is_within(self.cwd, out):
            raise self._refuse("is the current folder or a folder above it; give a new folder, e.g. runs/NAME")
        for p in self.protect:
            if _is_within(p, out):
                raise self._refuse(f"is or contains {p}, which this run reads or writes; give a separate folder")
        self._check_parent()
        self._check_contents()
        prev = self.previous_path
        replacing = self.path.is_dir() and any(self.path.iterdir())
        if self.keep_previous and replacing and any(_is_within(p, prev) for p in self.protect):
            raise self._refuse(f"the run it replaces would go to {prev}, which this run reads (--baseline, an "
                               "input); give another --out or move that folder")
        if self.keep_previous and replacing and (prev.exists() or prev.is_symlink()) and not _only_ours(prev):
            raise self._refuse(f"{prev}, where the run it replaces is kept (--no-store), holds files this tool did "
                               "not write; move it or give another --out")
        return self

    def _check_parent(self) -> None:
        folder = self.path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise self._refuse(f"{folder} is a file, not a folder")
        try:
            fd, probe = tempfile.mkstemp(prefix=".personas-probe-", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise self._refuse(f"cannot write in {folder} ({exc.strerror or exc})") from exc

    def _check_contents(self) -> None:
        out = self.path
        if not out.exists() and not out.is_symlink():
            return
        if not out.is_dir():
            raise self._refuse("exists and is not a folder")
        entries = sorted(os.listdir(out))
        if not entries:
            return
        ours = owned_files(out)
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        if ours is None:
            raise self._refuse(f"is a folder this tool did not write (it holds {shown}); "
                               "give an empty or new folder, or a previous run directory")
        foreign = [e for e in entries if e not in ours]
        if foreign:
            raise self._refuse(f"is a run directory but also holds {', '.join(foreign[:3])}, which this tool "
                               "did not write; move them out or give another folder")

    def commit(self, fill: Callable[[Path], object], publisher: Publisher | None = None) -> Path:
        """Write the run with ``fill(tmp)``, publish it, then put it in place (see the module doc)."""
        self.swapped_ = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale()
        tmp = _fresh_dir(self.path.parent, f".{self.path.name}.tmp-")
        try:
            fill(tmp)
            marker = write_marker(tmp)
            raise_if_stopped()  # a stop whose exception was swallowed while the run was written
            self.check()  # again: the folder may have changed during the run
            self._publish_and_swap(tmp, publisher, marker["run_id"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return self.path

    def _remove_stale(self, age_s: float = 3600.0) -> None:
        """Delete the hidden staging and trash folders of this ``--out`` (``.NAME.tmp-…``, ``.NAME.old-…``, names
        only ``_fresh_dir`` makes) that a killed run (``kill -9``) left over an hour ago: a run fills and swaps
        its staging folder within minutes, so an older one belongs to no running process."""
        pattern = re.compile(rf"\.{re.escape(self.path.name)}\.(?:tmp|old)-[0-9a-f]{{12}}")
        # a kill between the swap's two renames leaves the previous run only in ".NAME.old-…/run": while NAME holds
        # no run, the trash folders are kept (README: where to find it)
        holds_run = self.path.is_dir() and any(self.path.iterdir())
        now = time.time()
        for entry in self.path.parent.iterdir():
            try:
                stale = (pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink()
                         and (holds_run or ".tmp-" in entry.name) and now - entry.stat().st_mtime > age_s)
            except OSError:
                continue
            if stale:
                shutil.rmtree(entry, ignore_errors=True)

    def _publish_and_swap(self, tmp: Path, publisher: Publisher | None, run_id: str | None) -> None:
        swapping = False
        try:
            if publisher is not None:
                publisher.publish(tmp)
            raise_if_stopped()
            swapping = True
            self._swap(tmp)
        except BaseException as exc:
            if self.swapped_:  # interrupted after the swap (deleting the previous run): the new run stays
                raise
            # a publish that raised an error cleaned up after itself; one interrupted may have finished
            undo = publisher is not None and run_id is not None and (swapping or not isinstance(exc, Exception))
            note = self._unpublish(publisher, run_id) if undo else ""
            if swapping and isinstance(exc, Exception):
                raise OutputError(f"the run could not be moved into {self.path} ({exc}){note}; "
                                  "the previous run directory is unchanged") from exc
            raise

    @staticmethod
    def _unpublish(publisher: Publisher, run_id: str) -> str:
        try:
            publisher.unpublish(run_id)
        except Exception as err:  # noqa: BLE001 - reported in the one line
            return f"; it stays published as run {run_id} (taking it back failed: {err})"
        return " and was taken back out of the store"

    def _swap(self, tmp: Path) -> None:
        out = self.path
        self._check_contents()  # right before moving anything: only our own files go aside
        if not out.exists() or not any(out.iterdir()):
            with stops_deferred():
                os.replace(tmp, out)  # absent, or an empty folder
                self.swapped_ = True
            return
        trash = _fresh_dir(out.parent, f".{out.name}.old-")
        old = trash / "run"
        marker = _read_json(out / MARKER) or _read_json(out / "manifest.json") or {}
        self.replaced_ = {"run_id": marker.get("run_id"), "created": marker.get("created") or marker.get("created_at"),
                          "kept_in": None}
        try:
            with stops_deferred():  # Ctrl-C or SIGTERM between the two renames waits for the second
                out.rename(old)
                tmp.rename(out)
                self.swapped_ = True
        except BaseException:
            if self.swapped_:  # a stop that waited for the renames: the new run is in place, the stop goes on
                shutil.rmtree(trash, ignore_errors=True)
                raise
            if old.exists() and not out.exists():
                old.rename(out)  # put the previous run back
            if not old.exists():
                shutil.rmtree(trash, ignore_errors=True)
            self.replaced_ = None
            raise
        if self.keep_previous:
            self._keep(old)
        shutil.rmtree(trash, ignore_errors=True)

    def _keep(self, old: Path) -> None:
        """Move the replaced run ``old`` to ``previous_path`` (an earlier one kept there is ours: deleted first);
        on failure it is deleted as before, and ``replaced_`` says it was not kept."""
        prev = self.previous_path
        try:
            with stops_deferred():  # the earlier one aside, this one in: never a half-deleted NAME.previous
                if prev.exists() and _only_ours(prev):
                    prev.rename(old.parent / "previous")  # into the trash folder, deleted with it
                old.rename(prev)
            self.replaced_["kept_in"] = str(prev)
        except OSError as exc:
            self.replaced_["not_kept"] = str(exc)
