"""What a comparison needs of one run, read from its run directory (or from a pipeline result in memory).

In: a run directory written by ``python -m ml.run`` (``manifest.json``, ``personas.json``,
``assignments.parquet``, ``model/``), conversation or event run. Out: a ``RunSnapshot``: the run's id,
kind, unit, the space its centroids live in, one unit-length centroid per persona (conversation runs:
the persona model's centroids of the text embeddings; event runs: the NMF components over the run's
event types), sizes, names, profiles, and a member table with the keys by which members can recur in
another run (member id, author, hash of the text).

Every refusal is one ``InputError`` line naming the path and what to pass instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.ingest.timebasis import PERIOD_FIELDS, period
from ml.runtime.contracts.compare import RunRef
from ml.runtime.contracts.hierarchy import family_names
from ml.runtime.errors import InputError

RUN_FILES = ("manifest.json", "personas.json", "assignments.parquet")
_WS = re.compile(r"\s+")


def text_key(text: Any) -> str | None:
    """A short hash of a text, case and whitespace folded (None for missing/empty text)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    norm = _WS.sub(" ", str(text)).strip().lower()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16] if norm else None


def _unit_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


@dataclass
class RunSnapshot:
    """One run as the lineage code sees it (see the module docstring).

    ``centroids`` has one unit row per id in ``persona_ids`` (ascending); ``axes`` names its columns
    when they are event types (event runs), else None; ``members`` has ``member_id``, ``persona_id``,
    ``author``, ``text_key`` and, when the run wrote them, ``distance``, ``reassigned`` and ``text``.
    """

    run_id: str
    kind: str
    unit: str
    space: str
    persona_ids: np.ndarray
    centroids: np.ndarray = field(repr=False)
    members: pd.DataFrame = field(repr=False)
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    axes: list[str] | None = None
    run_dir: str | None = None
    time_basis: str | None = None
    period: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(PERIOD_FIELDS))
    config: dict[str, Any] = field(default_factory=dict, repr=False)  # the run's manifest config
    families: dict[int, str] = field(default_factory=dict)  # family id → name (manifest hierarchy; may be empty)
    model: Any = field(default=None, repr=False)  # PersonaModel / EventRunModel as loaded
    stability_ari: float | None = None  # the run's own stability check (manifest metrics), None where not measured

    @property
    def n_members(self) -> int:
        return len(self.members)

    def sizes(self) -> np.ndarray:
        """Members per persona, in ``persona_ids`` order."""
        counts = self.members["persona_id"].value_counts()
        return np.array([int(counts.get(int(p), 0)) for p in self.persona_ids], dtype=np.int64)

    def name(self, pid: int) -> str:
        """The persona's published name (a series' lineage name where it kept one)."""
        return str(self.profiles.get(int(pid), {}).get("name") or f"Persona {pid}")

    def own_name(self, pid: int) -> str:
        """The name this run's fit gave the persona: ``fit_name`` where a series published another, else ``name``."""
        return str(self.profiles.get(int(pid), {}).get("fit_name") or self.name(pid))

    def lineage(self, pid: int) -> str:
        """The persona's lineage id: recorded in its profile by an earlier comparison, else run/persona."""
        return str(self.profiles.get(int(pid), {}).get("lineage_id") or f"{self.run_id}/{int(pid)}")


def member_table(members: pd.DataFrame) -> pd.DataFrame:
    """The member columns a snapshot keeps, from an assignments table or a pipeline member frame."""
    n = len(members)
    out = pd.DataFrame({
        "member_id": members["member_id"].astype(str).to_numpy(),
        "persona_id": members["persona_id"].astype(np.int64).to_numpy(),
        "author": [None if pd.isna(a) else str(a) for a in members["author"]] if "author" in members else [None] * n,
        "text_key": [text_key(t) for t in members["text"]] if "text" in members else [None] * n,
    })
    for col in ("distance", "reassigned", "text"):
        if col in members:
            out[col] = members[col].to_numpy()
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read ({exc.__class__.__name__}); the run directory is damaged: "
                         "run python -m ml.run again")


def check_run_dir(path: str | Path) -> Path:
    """``path`` as a run directory, or one ``InputError`` line saying what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such run directory; pass a folder written by python -m ml.run --out")
    if not p.is_dir():
        raise InputError(f"{p}: is a file, not a run directory; pass the folder given to python -m ml.run --out")
    missing = [f for f in RUN_FILES if not (p / f).is_file()]
    if missing:
        raise InputError(f"{p}: not a run directory (no {', '.join(missing)}); pass a folder written by "
                         "python -m ml.run --out")
    return p


def _load_model(kind: str, run_dir: Path | None, data: bytes | None, where: str) -> Any:
    """The run's persona model (``PersonaModel``, or ``EventRunModel`` for an event run) from its run
    directory or from the bytes a store keeps; one ``InputError`` line when it cannot be read."""
    if kind == "events":
        from ml.events.model import EventRunModel as cls
        again = "python -m ml.run --kind events"
    else:
        from ml.runtime.model import PersonaModel as cls
        again = "python -m ml.run"
    try:
        return cls.from_bytes(data, where) if data is not None else cls.load(run_dir)
    except (FileNotFoundError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: {exc}; re-run {again} to write the persona model")


def model_centroids(model) -> tuple[np.ndarray, np.ndarray, str]:
    """``(persona_ids, unit centroids of the text embeddings, embedding model name)`` of a PersonaModel."""
    r = model.reassigner
    cents = np.asarray(r.centroids_, dtype=np.float64)
    if model.space == "fused":  # the text block comes first, scaled by the fusion's text scale
        dim = cents.shape[1] - int(model.fusion.n_features_in_)
        scale = float(model.fusion.text_scale_)
        if scale <= 0:
            raise InputError("the run's persona model carries no text block (text weight 0): its personas "
                             "cannot be compared by text")
        cents = cents[:, :dim] / scale
    return np.asarray(r.persona_ids_), _unit_rows(cents), str(model.embedder.model_name)


def _event_centroids(model) -> tuple[np.ndarray, np.ndarray, list[str]]:
    H = np.asarray(model.model.components_, dtype=np.float64)
    return np.arange(H.shape[0]), _unit_rows(H), [str(e) for e in model.matrix.events_]


def load_snapshot(run_dir: str | Path) -> RunSnapshot:
    """Read a conversation or event run directory into a ``RunSnapshot``."""
    p = check_run_dir(run_dir)
    manifest = _read_json(p / "manifest.json")
    personas = _read_json(p / "personas.json")
    if not isinstance(manifest, dict) or not isinstance(personas, list):
        raise InputError(f"{p}: manifest.json or personas.json is not what python -m ml.run writes; "
                         "pass a run directory")
    kind = "events" if manifest.get("kind") == "events" else "conversations"
    model = _load_model(kind, p, None, str(p))
    return snapshot_from_documents(manifest, personas, pd.read_parquet(p / "assignments.parquet"), model,
                                   run_dir=str(p))


def snapshot_from_documents(manifest: dict[str, Any], personas: list[dict[str, Any]], members: pd.DataFrame,
                            model: Any, run_dir: str | None = None, where: str | None = None) -> RunSnapshot:
    """A ``RunSnapshot`` of a run given as its documents: manifest, persona profiles, the member rows
    (``assignments.parquet`` or a store's member records) and its loaded persona model (or the model
    file's bytes). Callers that read a store pass what it returns; nothing here reads one."""
    where = where or run_dir or str(manifest.get("run_id"))
    kind = "events" if manifest.get("kind") == "events" else "conversations"
    if isinstance(model, bytes):
        model = _load_model(kind, None, model, where)
    axes = None
    if kind == "events":
        ids, cents, axes = _event_centroids(model)
        space = "events"
    else:
        ids, cents, space = model_centroids(model)
    known = {int(q["id"]) for q in personas}
    if known != {int(i) for i in ids}:
        raise InputError(f"{where}: the personas and the model disagree on the personas; the run is "
                         "damaged: run python -m ml.run again")
    return RunSnapshot(
        run_id=str(manifest.get("run_id") or Path(where).name), kind=kind,
        unit=str(manifest.get("unit") or "message"), space=space, persona_ids=np.asarray(ids, dtype=np.int64),
        centroids=cents, members=member_table(members), profiles={int(q["id"]): q for q in personas}, axes=axes,
        run_dir=run_dir, time_basis=(manifest.get("time") or {}).get("basis"), config=manifest.get("config") or {},
        model=model, period=_period(manifest, members, kind), families=family_names(manifest),
        stability_ari=(manifest.get("metrics") or {}).get("stability_ari"),
    )


def _period(manifest: dict[str, Any], members: pd.DataFrame, kind: str) -> dict[str, str | None]:
    """The dates the run covers: from the manifest, or from the members' timestamps for runs made before the
    manifest recorded them; none for event runs (their members are users)."""
    time = manifest.get("time") or {}
    if kind == "events":
        return dict.fromkeys(PERIOD_FIELDS)
    if time.get("first"):
        return {k: time.get(k) for k in PERIOD_FIELDS}
    return period(members.get("timestamp", []))


def manifest_dict(manifest: Any) -> dict[str, Any]:
    """A manifest or persona profile as a plain dict (pipeline results carry typed contract models)."""
    if hasattr(manifest, "model_dump"):
        return manifest.model_dump(mode="json")
    return dict(manifest or {})


def snapshot_from_result(result) -> RunSnapshot:
    """A ``RunSnapshot`` of an in-memory ``ml.runtime.pipeline.PipelineResult`` (no run directory)."""
    ids, cents, space = model_centroids(result.model)
    manifest = manifest_dict(result.manifest)
    return RunSnapshot(
        run_id=str(result.run_id), kind="conversations", unit=str(manifest.get("unit", "message")),
        space=space, persona_ids=np.asarray(ids, dtype=np.int64), centroids=cents,
        members=member_table(result.members), profiles={int(q["id"]): q for q in map(manifest_dict, result.personas)},
        time_basis=(manifest.get("time") or {}).get("basis"), config=manifest.get("config") or {},
        model=result.model,
    )


def check_comparable(base: RunSnapshot, new: RunSnapshot) -> None:
    """One ``InputError`` line when two runs cannot be compared (other kind, unit or embedding model)."""
    b, n = base.run_dir or base.run_id, new.run_dir or new.run_id
    if base.kind != new.kind:
        label = {"events": "an event run", "conversations": "a conversation run"}
        raise InputError(f"{b} is {label.get(base.kind, base.kind)} and {n} {label.get(new.kind, new.kind)}: "
                         "compare two runs of one kind")
    if base.unit != new.unit:
        raise InputError(f"{b} clusters {base.unit}s and {n} {new.unit}s: compare runs of one unit "
                         "(--unit of python -m ml.run)")
    if base.space != new.space:
        raise InputError(f"{b} embeds with {base.space} and {n} with {new.space}: their personas live in "
                         "different spaces; compare runs of one embedding model (embed.model_name)")


def aligned_centroids(base: RunSnapshot, new: RunSnapshot) -> tuple[np.ndarray, np.ndarray]:
    """Both runs' centroids over the same columns (event runs: the union of their event types)."""
    if base.axes is None and new.axes is None:
        return base.centroids, new.centroids
    axes = list(dict.fromkeys([*(base.axes or []), *(new.axes or [])]))

    def spread(s: RunSnapshot) -> np.ndarray:
        out = np.zeros((s.centroids.shape[0], len(axes)))
        out[:, [axes.index(a) for a in s.axes or []]] = s.centroids
        return out

    return spread(base), spread(new)


def run_ref(s: RunSnapshot) -> RunRef:
    return RunRef(run_id=s.run_id, run_dir=s.run_dir, kind=s.kind, unit=s.unit, n_members=s.n_members,
                  n_personas=len(s.persona_ids), space=s.space, basis=s.time_basis if s.period.get("first") else None,
                  stability_ari=s.stability_ari, **s.period)
