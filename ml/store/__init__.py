"""Results stores: where published runs live (CONTRACTS §5).

`open_store(url)` picks the backend from a URL:
    sqlite:///relative/personas.db, sqlite:////abs/personas.db, sqlite:///:memory:, or a bare *.db path
    firestore://PROJECT-ID[/DATABASE-ID]   (FIRESTORE_EMULATOR_HOST selects an emulator)
`default_store_url()`: `PERSONAS_STORE_URL`, else `sqlite:///<PERSONAS_HOME or ~/.personas>/personas.db`.
"""

from __future__ import annotations

from ml.store.base import InjectedFailure, PersonaNotFound, RunNotFound, RunStore, StoreError, validate_run_id
from ml.store.bundle import RunBundle
from ml.store.settings import StoreSettings, get_store_settings

__all__ = [
    "InjectedFailure", "PersonaNotFound", "RunBundle", "RunNotFound", "RunStore", "StoreError",
    "StoreSettings", "default_store_url", "open_store", "validate_run_id",
]


def default_store_url() -> str:
    return get_store_settings().resolved_store_url()


def open_store(url: str | None = None, **options) -> RunStore:
    """A store for `url` (default: `default_store_url()`); `options` go to the backend class.
    Raises ValueError for a URL scheme it does not know."""
    url = (url or default_store_url()).strip()
    if url.startswith("firestore://"):
        from ml.store.firestore import FirestoreStore, parse_firestore_url

        project, database = parse_firestore_url(url)
        return FirestoreStore(project, database=database, **options)
    if url.startswith("sqlite://") or ("://" not in url and url.endswith((".db", ".sqlite", ".sqlite3"))):
        from ml.store.sqlite import SqliteStore, parse_sqlite_url

        return SqliteStore(parse_sqlite_url(url), **options)
    raise ValueError(
        f"unknown store URL {url!r}: use sqlite:///path/to/personas.db or firestore://PROJECT-ID"
    )
