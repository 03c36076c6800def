"""The results-store interface: one contract, several backends (SQLite, Firestore).

A store holds published runs. Publishing is atomic from a reader's point of view: a run is
marked in-progress while its documents are written and becomes visible (and, if newest, the
"latest" run) only once everything is written. Readers never see in-progress runs.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from ml.store.bundle import RunBundle, StoredModel

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class StoreError(RuntimeError):
    """A store operation failed (connection, quota, corrupt data)."""


class InjectedFailure(StoreError):
    """Raised by the `_fail_after_writes` test hook to simulate a crash mid-publish."""


class RunNotFound(KeyError):
    """The run id is unknown (or the run is not complete)."""


class PersonaNotFound(KeyError):
    """The persona id is unknown in this run."""


def validate_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id) or ".." in run_id:
        raise ValueError(f"invalid run id {run_id!r}: use letters, digits, '_', '-', '.' (max 64)")
    return run_id


class RunStore(ABC):
    """Abstract results store. Every method takes and returns plain JSON-able dicts."""

    url: str = ""
    #: Test hook: when set to N, publishing raises `InjectedFailure` once N more rows/documents
    #: would be written (earlier ones are already committed), as a crash would leave them.
    _fail_after_writes: int | None = None
    #: In-progress runs older than this many seconds are leftovers of a crash (see cleanup).
    stale_after_s: float = 3600.0

    # -- writing ---------------------------------------------------------------------------
    @abstractmethod
    def publish(self, bundle: RunBundle, replace: bool = False) -> str:
        """Write a whole run; visible to readers only once complete. Returns the run id.

        A complete run with the same id raises StoreError unless `replace` (then the old one is
        deleted first); leftovers of an earlier failed publish of that id are removed."""

    @abstractmethod
    def preflight(self, timeout_s: float = 10.0) -> None:
        """Check, before any work, that this store can be read and written now: connect, read, and
        write a probe that is removed again (nothing is left behind). Raises StoreError with one
        line; gives up after about `timeout_s` seconds instead of waiting on a lock or a network."""

    @abstractmethod
    def delete_run(self, run_id: str) -> bool:
        """Delete a run and all its documents (its model too). False when it did not exist."""

    @abstractmethod
    def put_model(self, run_id: str, model: StoredModel) -> None:
        """Store (or replace) the persona model of a complete run, for runs published before models were
        stored (`publish` stores `bundle.model` itself). All or nothing: a reader sees the old model (or
        none) until the new one is completely written. Raises RunNotFound for an unknown run."""

    # -- reading ---------------------------------------------------------------------------
    @abstractmethod
    def list_runs(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Complete runs, newest first: `{id, created_at, source, counts, unit}` each."""

    @abstractmethod
    def count_runs(self) -> int:
        """Number of complete runs."""

    @abstractmethod
    def get_run(self, run_id: str) -> dict[str, Any]:
        """The run's manifest (raises RunNotFound)."""

    @abstractmethod
    def latest_run_id(self) -> str | None:
        """Id of the newest complete run, or None when the store is empty."""

    @abstractmethod
    def get_personas(self, run_id: str) -> list[dict[str, Any]]:
        """All personas of a run with their full profiles, ordered by id (no member lists)."""

    @abstractmethod
    def get_persona(self, run_id: str, persona_id: int) -> dict[str, Any]:
        """One persona's full profile (raises RunNotFound / PersonaNotFound)."""

    @abstractmethod
    def get_members(
        self, run_id: str, persona_id: int, offset: int = 0, limit: int = 50, query: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of a persona's members (ordered by distance to the centre, then member id)
        and the total count; `query` filters by case-insensitive substring of the text (raises RunNotFound /
        PersonaNotFound)."""

    @abstractmethod
    def get_map(self, run_id: str, limit: int = 5000) -> list[dict[str, Any]]:
        """At most `limit` members `{member_id, persona_id, x, y, reassigned, text}`, a
        deterministic sample stratified by persona."""

    @abstractmethod
    def get_strategies(self, run_id: str) -> dict[str, Any]:
        """Cached strategies of a run (may be empty)."""

    @abstractmethod
    def get_model_info(self, run_id: str) -> dict[str, Any] | None:
        """`{kind, size, sha256}` of the run's stored model without its bytes; None when the run was
        published without one (raises RunNotFound)."""

    @abstractmethod
    def get_model(self, run_id: str) -> StoredModel | None:
        """The run's stored model, its bytes checked against the stored sha256 (StoreError when they
        differ); None when the run was published without one (raises RunNotFound)."""

    # -- series and comparisons (ml.store.series) -----------------------------------------------
    @abstractmethod
    def put_comparison(self, run_id: str, comparison: Any) -> None:
        """Store (or replace) the comparison of complete run `run_id` with its baseline (a
        `ml.runtime.contracts.compare.Comparison` or its JSON, whose `new.run_id` is `run_id`); all or
        nothing. `publish` stores `bundle.comparison` itself. Raises RunNotFound / ValueError."""

    @abstractmethod
    def get_comparison(self, run_id: str) -> dict[str, Any] | None:
        """The run's stored comparison (JSON), None when it has none (raises RunNotFound)."""

    @abstractmethod
    def series_runs(self, series: str, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of the complete runs of `series`, oldest first, as `SeriesEntry` dicts (run id, created
        at, kind, personas, the headline of its stored comparison), and how many runs the series has."""

    def latest_in_series(self, series: str) -> str | None:
        """Id of the newest complete run of `series`, None when it has none."""
        _, total = self.series_runs(series, limit=0)
        if total == 0:
            return None
        items, _ = self.series_runs(series, limit=1, offset=total - 1)
        return items[0]["run_id"] if items else None

    def get_movers(self, run_id: str, from_persona: int | None = None, to_persona: int | None = None,
                   offset: int = 0, limit: int = 50) -> dict[str, Any] | None:
        """A page of the movers of the run's stored comparison (`MoversPage` as JSON); None without one."""
        from ml.store.series import movers_page

        comparison = self.get_comparison(run_id)
        if comparison is None:
            return None
        return movers_page(self.resolve_run_id(run_id), comparison, from_persona, to_persona, offset, limit)

    def incomplete_run_ids(self) -> list[str]:
        """Runs whose publishing started but never finished (crashed, failed or still going)."""
        return []

    def cleanup_incomplete(self, older_than_s: float | None = None) -> list[str]:
        """Delete incomplete runs started more than `older_than_s` seconds ago (default
        `stale_after_s`, so a publish still going on elsewhere is left alone). Returns their ids."""
        return []

    def _writes_allowed(self, done: int, adding: int) -> int:
        """How many of `adding` writes may go ahead under the `_fail_after_writes` test hook
        (`done` already happened). A caller getting fewer commits those, then raises
        `InjectedFailure` without cleaning up, as a crash would."""
        if self._fail_after_writes is None:
            return adding
        return max(0, min(adding, self._fail_after_writes - done))

    def resolve_run_id(self, run_id: str) -> str:
        """`latest` → the newest complete run id; otherwise validate and return."""
        if run_id == "latest":
            latest = self.latest_run_id()
            if latest is None:
                raise RunNotFound("no runs yet")
            return latest
        return validate_run_id(run_id)

    def ping(self) -> bool:
        """Cheap readiness check; raises StoreError when the store cannot be reached."""
        self.count_runs()
        return True

    def close(self) -> None:  # pragma: no cover - default no-op
        pass
