"""The model saved with an event run: assigns new users, given their event rows, to the run's personas.

``EventRunModel.predict(rows: DataFrame) -> DataFrame[member_id, persona_id, distance, would_be_noise,
margin, n_events]``. ``rows`` holds one event per row, either in the run's own column names (the
``mapping`` it was fitted with, e.g. ``User full name`` / ``Event name`` / ``Time``) or in the canonical
names ``user``, ``event`` and optionally ``count``, ``time`` (or ``timestamp``) and ``group``. Users are
built into matrix rows by the fitted ``EventMatrix`` (same window, event types, weighting, scaling) and
placed by the fitted ``EventPersonaModel`` with H fixed. ``distance`` is 1 − margin and
``would_be_noise`` is True when the user is mixed (margin below the run's threshold); event types the
run did not keep are ignored.

Saved as ``RUN_DIR/model/event_model.joblib`` plus ``model.json`` (``kind: "events"``); load with
``EventRunModel.load(run_dir)``, or from the bytes the results store keeps with ``EventRunModel.from_bytes``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ml.events.matrix import EventMatrix
from ml.events.nmf import EventPersonaModel
from ml.events.timecol import parse_event_times
from ml.runtime.errors import InputError
from ml.runtime.modelfile import SavedModel

MODEL_FILE = "event_model.joblib"


class EventRunModel(SavedModel):
    """Fitted matrix builder + NMF model; ``predict(rows)`` places new users."""

    def __init__(self, matrix: EventMatrix, model: EventPersonaModel, mapping: dict,
                 persona_names: dict[int, str] | None = None, run_id: str | None = None,
                 assume_year: int | None = None, timezone: str | None = None):
        self.matrix = matrix
        self.model = model
        self.mapping = mapping
        self.persona_names = persona_names or {}
        self.run_id = run_id
        self.assume_year = assume_year
        self.timezone = timezone  # the run's --timezone: new rows' days on the clock the window was cut on

    def canonical(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Event rows → ``user``, ``event``, ``count``, ``day``, ``group`` (InputError naming a missing column)."""
        if not isinstance(rows, pd.DataFrame) or rows.empty:
            raise InputError("no event rows given: send rows with a user and an event column")
        cols = set(rows.columns)
        m = self.mapping

        def pick(canonical: str, mapped: list[str] | None) -> list[str] | None:
            if canonical in cols:
                return [canonical]
            if mapped and all(c in cols for c in mapped):
                return list(mapped)
            return None

        def joined(names: list[str]) -> pd.Series:
            out = rows[names[0]].astype(str).str.strip()
            for c in names[1:]:
                out = out + "|" + rows[c].astype(str).str.strip()
            return out

        user = pick("user", m.get("user"))
        event = pick("event", m.get("event") if m.get("layout") == "rows" else None)
        if user is None or event is None:
            need = "user" if user is None else "event"
            raise InputError(f"event rows lack the {need} column: send '{need}' (or the run's own column "
                             f"{'+'.join(m.get(need) or [need]) if m.get('layout') == 'rows' else need})")
        out = pd.DataFrame({"user": joined(user).to_numpy(), "event": joined(event).to_numpy()})
        count = pick("count", [m["count"]] if m.get("count") else None)
        out["count"] = 1.0 if count is None else pd.to_numeric(rows[count[0]], errors="coerce").fillna(0).to_numpy()
        time = pick("time", [m["time"]] if m.get("time") else None) or pick("timestamp", None)
        if time is not None:
            # models saved before 2026-12-06 have no timezone attribute
            out["day"] = parse_event_times(rows[time[0]], self.assume_year,
                                           getattr(self, "timezone", None))[0]["day"].to_numpy()
        else:
            out["day"] = np.nan
        group = pick("group", m.get("group") or None)
        out["group"] = joined(group).to_numpy() if group else None
        return out[out["count"] > 0]

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        events = self.canonical(rows)
        users, X, counts = self.matrix.transform(events)  # same window as the run
        labels, margin, mixed, _ = self.model.assign(X)
        n_events = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
        # a user with fewer events (of any type, in the run's window: as the run counted its own) than the run
        # required is no member it would have kept
        every = self.matrix.window_totals(events)
        too_few = every.reindex(pd.Index(users).astype(str)).fillna(0).to_numpy() < getattr(
            self.matrix, "min_user_events", 5)
        return pd.DataFrame({
            "member_id": users.astype(str),
            "persona_id": labels.astype(np.int64),
            "distance": (1.0 - margin).astype(np.float64),
            "would_be_noise": (np.asarray(mixed, dtype=bool) | too_few),
            "margin": margin.astype(np.float64),
            "n_events": n_events,
        })

    # -- persistence ----------------------------------------------------------------------------
    model_file = MODEL_FILE
    what = "event model"

    def save(self, directory: str | Path) -> Path:
        meta = {"kind": "events", "run_id": self.run_id, "n_personas": int(self.model.k_),
                "events": list(self.matrix.events_), "mapping": self.mapping,
                "mixed_margin": self.model.mixed_margin,
                "input": "event rows: user, event (+ count, time, group), or the run's own column names"}
        return self._save(directory, meta, default=str)
