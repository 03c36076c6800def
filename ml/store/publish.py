"""Publishing a run to a results store, shared by both command lines (conversations and events).

``StorePublisher(url)`` parses the URL (None: ``default_store_url()``) without touching anything;
``local_paths`` names the file a SQLite store lives in, so ``--out`` can never swallow it. ``open()``
connects and runs the store's ``preflight()`` (read, then a write probe that is removed again) before
any work: a bad scheme, missing credentials, an unreachable emulator or a locked or read-only file
becomes one ``InputError`` line (exit 2) with nothing computed or changed. ``publish(folder)`` publishes
the staged run directory ``folder`` (its manifest already names the final run directory) and returns
the run id; ``unpublish(run_id)`` takes it back out when the run directory could not be put in place.
"""

from __future__ import annotations

from pathlib import Path

from ml.runtime.errors import InputError
from ml.store import default_store_url, open_store
from ml.store.base import RunStore, StoreError
from ml.store.bundle import RunBundle

SCHEMES = ("sqlite://", "firestore://")


class StorePublisher:
    """The store a run is published to; ``preflight_timeout_s`` bounds every check's wait."""

    def __init__(self, url: str | None = None, preflight_timeout_s: float = 5.0):
        self.url = (url or default_store_url()).strip()
        self.preflight_timeout_s = preflight_timeout_s
        self.store: RunStore | None = None
        if "://" in self.url and not self.url.startswith(SCHEMES):
            raise InputError(f"--store {self.url}: unknown scheme; use sqlite:///path/to/personas.db "
                             "or firestore://PROJECT-ID; nothing was computed")

    @property
    def local_paths(self) -> list[Path]:
        """The SQLite file (and its -wal/-shm companions' folder is its parent), if any."""
        from ml.store.sqlite import parse_sqlite_url

        if self.url.startswith("firestore://"):
            return []
        path = parse_sqlite_url(self.url)
        return [] if path == ":memory:" else [Path(path).expanduser()]

    def open(self) -> StorePublisher:
        """Connect and check that the store can be written now (see the module doc); returns self."""
        try:
            self.store = open_store(self.url)
            self.store.preflight(self.preflight_timeout_s)
        except (StoreError, ValueError) as exc:
            self.close()
            raise InputError(f"--store {self.url} cannot be used: {exc}; nothing was computed") from exc
        return self

    def publish(self, folder: Path) -> str:
        if self.store is None:
            self.open()
        return self.store.publish(RunBundle.from_dir(folder))

    def unpublish(self, run_id: str) -> None:
        if self.store is not None:
            self.store.delete_run(run_id)

    def close(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            store.close()
