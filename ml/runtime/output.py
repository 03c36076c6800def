"""Where a run goes, checked before the work: its run directory and (unless ``--no-store``) a store.

Both command lines (``ml.run`` and ``ml.events.cli``) do::

    with RunOutput(args.out, protect=inputs, store_url=args.store, no_store=args.no_store) as output:
        result = pipeline.run(inputs)                        # only after every destination passed
        output.commit(lambda tmp: write_files(result, tmp, output.run_dir))

Entering checks ``--out`` (``ml.runtime.atomic.RunDirectory.check``; the SQLite store file is protected like
the inputs) and then opens the store and runs its preflight (``ml.store.publish.StorePublisher``);
either failing raises one ``InputError`` line with nothing computed or changed. ``commit`` stages the
files, publishes them and swaps the run directory in, so the directory and the store's latest run
change together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Self

from ml.runtime.atomic import RunDirectory
from ml.store.publish import StorePublisher


class RunOutput:
    def __init__(self, out: str | Path, protect: Iterable[str | Path | None] = (), store_url: str | None = None,
                 no_store: bool = False):
        self.publisher = None if no_store else StorePublisher(store_url)
        store_files = self.publisher.local_paths if self.publisher else []
        self.directory = RunDirectory(out, protect=[p for p in [*protect, *store_files] if p], keep_previous=no_store)

    @property
    def run_dir(self) -> Path:
        return self.directory.path

    @property
    def swapped(self) -> bool:
        """Whether the last ``commit`` put its run in place (and, with a store, published it)."""
        return self.directory.swapped_

    def replaced_line(self) -> str | None:
        """What the last ``commit`` did with the run it replaced, in one line; None when it replaced none."""
        old = self.directory.replaced_
        if not old:
            return None
        which = f"run {old['run_id']}" + (f", written {old['created']}" if old.get("created") else "")
        if old.get("kept_in"):
            return f"the previous run in {self.run_dir} ({which}) was moved to {old['kept_in']} (--no-store: it is in no store)"
        if old.get("not_kept"):
            return (f"replaced the previous run in {self.run_dir} ({which}); it could not be kept in "
                    f"{self.directory.previous_path} ({old['not_kept']}) and was deleted")
        return f"replaced the previous run in {self.run_dir} ({which})" + (
            "; earlier runs stay in the store" if self.publisher is not None else "")

    @property
    def store_url(self) -> str | None:
        return self.publisher.url if self.publisher else None

    def __enter__(self) -> Self:
        self.directory.check()
        if self.publisher is not None:
            self.publisher.open()
        return self

    def __exit__(self, *exc) -> None:
        if self.publisher is not None:
            self.publisher.close()

    def commit(self, fill: Callable[[Path], object]) -> Path:
        """Write with ``fill(tmp)``, publish, swap in; returns the run directory."""
        return self.directory.commit(fill, self.publisher)
