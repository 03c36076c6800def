"""Request dependencies as `Annotated` aliases; tests override the functions via
`app.dependency_overrides` (e.g. `app.dependency_overrides[get_store] = lambda: my_store`).

Process-wide state (the open store, the persona-model cache) lives on `app.state` and is created
lazily on first use, so importing or creating the app never touches the store or loads a model.
Persona models are read from the store (`RunStore.get_model`): unpickling them trusts the store, which
must be writable only by the pipeline (docs/security.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from backend.errors import APIError
from backend.settings import Settings
from ml.store.base import RunStore, StoreError, validate_run_id

log = logging.getLogger("backend")


STORE_CACHE_FLOOR_S = 5.0  # seconds Firestore's read cache keeps a run's documents at least


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_store(request: Request) -> RunStore:
    """The app's store, opened on first use (thread-safe) from `settings.store_url`."""
    state = request.app.state
    store = getattr(state, "store", None)
    if store is None:
        with state.lock:
            store = getattr(state, "store", None)
            if store is None:
                from ml.store import open_store  # lazy: the store package may be heavy (firestore)

                try:
                    url = state.settings.store_url
                    # Firestore's own read cache lasts as long as the API's (PERSONAS_CACHE_TTL_S), at least
                    # STORE_CACHE_FLOOR_S: a run deleted by another replica is gone here within that time, not the
                    # store's default 30 s more; with 0 every page would stream all of a run's persona documents
                    ttl = ({"cache_ttl_s": max(state.settings.cache_ttl_s, STORE_CACHE_FLOOR_S)}
                           if str(url).startswith("firestore://") else {})
                    store = open_store(url, **ttl)
                except StoreError:
                    raise
                except Exception as exc:
                    raise StoreError(f"cannot open the store {state.settings.store_url!r}: {exc}") from exc
                state.store = store
    return store


StoreDep = Annotated[RunStore, Depends(get_store)]


class ReadCache:
    """Recently read store documents, kept `ttl_s` seconds (published runs do not change; a
    deleted or replaced run is seen by every process within `ttl_s`). Thread-safe."""

    def __init__(self, ttl_s: float, max_entries: int = 256) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._items: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_load(self, key: tuple, load: Callable[[], Any]) -> Any:
        if self.ttl_s <= 0:
            return load()
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.ttl_s:
                return hit[1]
        value = load()  # outside the lock: a slow store never blocks other keys
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def forget_run(self, run_id: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k[1:2] == (run_id,)]:
                del self._items[key]


def get_read_cache(request: Request) -> ReadCache:
    return request.app.state.read_cache


CacheDep = Annotated[ReadCache, Depends(get_read_cache)]


def is_event_run(manifest: dict[str, Any], run_dir: Path | None = None) -> bool:
    """True for a run made from event logs (`manifest.kind == "events"`, or `model/model.json` says so)."""
    if manifest.get("kind") == "events":
        return True
    if run_dir is not None:
        try:
            meta = json.loads((run_dir / "model" / "model.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(meta, dict) and meta.get("kind") == "events"
    return False


@dataclass(frozen=True)
class ModelSource:
    """Where a run's model is: in the store (`info`: kind, size, sha256) or, for a run published before
    models were stored, in a run directory on this server (`run_dir`)."""

    kind: str  # "conversations" | "events"
    info: dict[str, Any] | None = None
    run_dir: Path | None = None

    @property
    def tag(self) -> str:
        """Changes when the stored model does (a run republished under the same id)."""
        return self.info["sha256"] if self.info else f"dir:{self.run_dir}"


class ModelRegistry:
    """Loads each run's model (`PersonaModel`, or `EventRunModel` for an event run) once and shares it.

    The model comes from the store (the bytes published with the run), so a server needs nothing but the
    store URL; runs published before models were stored fall back to their run directory
    (`manifest["run_dir"]`, then `<runs_dir>/<run_id>`). Thread-safe: one lock per run id serialises
    loading, so concurrent first requests load once. At most `capacity` models are kept (least recently
    used dropped); a stored model whose sha256 changed is loaded again.
    """

    def __init__(self, settings: Settings, capacity: int = 4) -> None:
        self.settings = settings
        self.capacity = capacity
        self._models: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}

    def model_dir_candidates(self, run_id: str, manifest: dict[str, Any]) -> list[Path]:
        """Run directories to look in: `manifest["run_dir"]`, then `<runs_dir>/<run_id>`."""
        candidates: list[Path] = []
        if manifest.get("run_dir"):
            candidates.append(Path(str(manifest["run_dir"])))
        if self.settings.runs_dir is not None:
            candidates.append(Path(self.settings.runs_dir) / validate_run_id(run_id))
        return candidates

    def find_run_dir(self, run_id: str, manifest: dict[str, Any]) -> Path | None:
        for run_dir in self.model_dir_candidates(run_id, manifest):
            if (run_dir / "model").is_dir():
                return run_dir
        return None

    def source(self, run_id: str, manifest: dict[str, Any], store: RunStore | None = None) -> ModelSource | None:
        """Where the model of `run_id` is (the store first); None when neither the store nor a run
        directory has it."""
        info = store.get_model_info(run_id) if store is not None else None
        if info:
            return ModelSource(info["kind"], info=info)
        run_dir = self.find_run_dir(run_id, manifest)
        if run_dir is None:
            return None
        return ModelSource("events" if is_event_run(manifest, run_dir) else "conversations", run_dir=run_dir)

    def available(self, run_id: str, manifest: dict[str, Any], store: RunStore | None = None) -> bool:
        return self.source(run_id, manifest, store) is not None

    def is_events(self, run_id: str, manifest: dict[str, Any], store: RunStore | None = None) -> bool:
        """True for an event run: by its manifest, else by its model's kind."""
        if manifest.get("kind") == "events":
            return True
        found = self.source(run_id, manifest, store)
        return found is not None and found.kind == "events"

    def get(self, run_id: str, manifest: dict[str, Any], store: RunStore | None = None) -> Any:
        """The loaded model of `run_id`; raises APIError(409) when it is not available."""
        found = self.source(run_id, manifest, store)
        tag = found.tag if found else None
        with self._lock:
            hit = self._models.get(run_id)
            if hit is not None and hit[0] == tag:
                self._models.move_to_end(run_id)
                return hit[1]
            load_lock = self._load_locks.setdefault(run_id, threading.Lock())
        with load_lock:
            with self._lock:
                hit = self._models.get(run_id)
                if hit is not None and hit[0] == tag:
                    return hit[1]
            model = self._load(run_id, manifest, found, store)
            with self._lock:
                self._models[run_id] = (tag, model)
                self._models.move_to_end(run_id)
                while len(self._models) > self.capacity:
                    self._models.popitem(last=False)
        return model

    def _load(self, run_id: str, manifest: dict[str, Any], found: ModelSource | None,
              store: RunStore | None = None) -> Any:
        # Server paths go to the log only; the client learns what to do, not where files live.
        if found is None:
            looked = ", ".join(str(p / "model") for p in self.model_dir_candidates(run_id, manifest)) or "nowhere"
            log.warning("model of run %r is not in the store nor on disk; looked in: %s", run_id, looked)
            raise APIError(409, "model_unavailable",
                           f"the persona model of run {run_id!r} is not in the store (the run was published "
                           "before models were stored): store it with python -m ml.store.upload_model RUN_DIR, "
                           "or set PERSONAS_RUNS_DIR to the folder holding the run directory (the server log "
                           "says where it looked)")
        model_class = _model_class(found.kind)
        where = "the store" if found.info else str(found.run_dir / "model")
        try:
            if found.info is None:
                return model_class.load(found.run_dir)
            stored = store.get_model(run_id)
            if stored is None:
                raise FileNotFoundError("the run has no stored model any more")
            return model_class.from_bytes(stored.data, f"the stored model of run {run_id!r}")
        except Exception as exc:  # corrupt / incompatible model, a checksum that does not match
            log.error("model of run %r in %s could not be loaded: %s", run_id, where, exc)
            raise APIError(409, "model_unavailable", f"the persona model of run {run_id!r} could not be "
                                                     "loaded; see the server log") from exc

    def evict(self, run_id: str) -> None:
        with self._lock:
            self._models.pop(run_id, None)


def _model_class(kind: str) -> type:
    try:
        if kind == "events":
            from ml.events.model import EventRunModel

            return EventRunModel
        from ml.runtime.model import PersonaModel

        return PersonaModel
    except ImportError as exc:  # pragma: no cover - depends on the installed pipeline
        log.error("model code cannot be imported: %s", exc)
        raise APIError(409, "model_unavailable", "the pipeline's model code cannot be imported; "
                                                 "see the server log") from exc


def get_models(request: Request) -> ModelRegistry:
    return request.app.state.models


ModelsDep = Annotated[ModelRegistry, Depends(get_models)]


def get_strategy_generator(request: Request) -> Any:
    """`ml.strategy.generate_strategy`, imported on first use (overridable in tests)."""
    try:
        from ml.strategy import generate_strategy
    except ImportError as exc:
        raise APIError(503, "strategy_unavailable", f"the strategy generator cannot be imported: {exc}") from exc
    return generate_strategy


StrategyDep = Annotated[Any, Depends(get_strategy_generator)]
