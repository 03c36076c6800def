"""Event-run orchestrator: ingest → matrix → NMF (k by CV) → assign → map → metrics → profiles → model.

``EventPipeline(config).run(paths) -> EventRunResult`` (the fields of ``ml.runtime.pipeline.PipelineResult``
that writers and stores read: ``run_id``, ``manifest``, ``members``, ``personas``, ``model``). Nothing
here writes files: ``ml.events.rundir.write_event_run`` does. Each stage is timed and its peak memory
recorded, like the conversation pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from ml.events.config import EventConfig
from ml.events.ingest import load_events
from ml.events.matrix import EventMatrix
from ml.events.model import EventRunModel
from ml.events.nmf import EventPersonaModel, size_balance
from ml.events.outcomes import known_outcomes, numeric_outcome, outcome_table, volume_groups
from ml.events.profile import ProfileInputs, build_event_profiles, event_label, mix_text
from ml.ingest.timebasis import offset_tz
from ml.runtime.contracts import (
    EventCounts,
    EventFilterStage,
    EventManifest,
    EventMetrics,
    EventPersona,
    EventSource,
    Weighting,
    new_run_id,
    utc_now,
)
from ml.runtime.timing import StageTimer, package_versions

VERSION_PACKAGES = ["numpy", "pandas", "scikit-learn", "scipy", "pyarrow", "pydantic"]


def user_split_line(split: dict, user: list[str] | None) -> str:
    """Users whose rows differ in another text column: their counts are summed into one user (said, not refused:
    a key of several columns may be what the data means, or not)."""
    cols = split["columns"]
    key = ",".join([*(user or []), *cols])
    return (f"user key: {split['users']:,} users have rows with different {', '.join(cols)} (user {split['example']}); "
            f"their counts are summed into one user; if each combination is its own user, pass --user-col {key}")


def _no_numbers(outcome: pd.Series) -> str:
    """``--check``'s note on a numeric outcome's values that are no numbers, which the run's tables leave out
    (``ml.events.outcomes.numeric_outcome``)."""
    values = known_outcomes(outcome)
    numbers = numeric_outcome(values)
    if numbers is None or not numbers.isna().any():
        return ""
    said = ", ".join(repr(str(v)) for v in list(dict.fromkeys(values[numbers.isna()]))[:3])
    return f"; {int(numbers.isna().sum())} of them no number ({said}), left out of the outcome tables"


def _basis(table) -> str | None:
    """The clock of a table's hours and days (``load_events``' ``report["time"]``), None when unknown."""
    return (table.report.get("time") or {}).get("basis")


def date_span_line(days: pd.Series, resolution: str, yearless: bool) -> str | None:
    """``--check``'s "dates: 11 May 2018 – 30 Jun 2018 (…)" from the events' ``day`` (days since 1970-01-01), so a
    column read in the wrong way shows itself; day offsets: their range. None without times."""
    days = pd.to_numeric(days, errors="coerce").dropna()
    if days.empty or resolution not in ("hour", "day", "offset"):
        return None
    if resolution == "offset":
        return f"days (offsets as written): {days.min():g} to {days.max():g}"
    first, last = (pd.Timestamp(0) + pd.Timedelta(days=float(d)) for d in (days.min(), days.max()))
    fmt = "%d %b" if yearless else "%d %b %Y"
    return (f"dates: {first.strftime(fmt)} – {last.strftime(fmt)}"
            + (" (no year written)" if yearless else "") + f"; {days.floordiv(1).nunique():,} distinct days")


def user_unread_line(n: int, columns: list[str] | None) -> str:
    """The rows without a user id (at most 1 % of them; more stop the run): skipped."""
    return (f"user id: {n:,} row{'' if n == 1 else 's'} with an empty {' + '.join(columns or ['user'])} skipped "
            "(their events belong to no one)")


def time_unread_line(n: int, column: str | None) -> str:
    """The rows whose time did not read (at most 1 % of them; more stop the run): kept, without a time."""
    return (f"time: {n:,} row{'' if n == 1 else 's'} of column '{column}' did not read as a time or day offset; "
            "kept without a time (their events count, not their hour or day)")


def duplicate_rows_line(n: int, rows: int) -> str:
    """The rows that repeat another exactly, in all the files read (``load_events``' ``duplicate_rows``): counted as
    written, since a log repeats rows of its own; overlapping exports count their shared rows twice."""
    return (f"rows repeated exactly: {n:,} of {rows:,} ({n / max(rows, 1):.0%}); each counts as an event (Moodle's and "
            "OULAD's own logs repeat 9%); exports that overlap count their shared rows twice: pass each period once")


@dataclass
class EventRunResult:
    run_id: str
    manifest: EventManifest
    members: pd.DataFrame            # member_id, persona_id, reassigned (= mixed), distance, x, y, text, ...
    personas: list[EventPersona]
    model: EventRunModel
    X: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    outcome: np.ndarray = field(repr=False)


class EventPipeline:
    """``run(paths)`` → ``EventRunResult``; see the module docstring."""

    def __init__(self, config: EventConfig | None = None, log: Callable[[str], None] | None = None):
        self.config = config or EventConfig()
        self.log = log or (lambda msg: None)
        self.timer_ = StageTimer(lambda msg: self.log(msg))
        self.timings_, self.peak_rss_ = self.timer_.timings_, self.timer_.peak_rss_

    def matrix_builder(self) -> EventMatrix:
        c = self.config
        return EventMatrix(**c.matrix.model_dump(), min_users=c.input.min_users)

    def persona_model(self) -> EventPersonaModel:
        c = self.config
        return EventPersonaModel(**c.nmf.model_dump(), random_state=c.seed)

    def run(self, paths: Sequence[str | Path]) -> EventRunResult:
        cfg = self.config
        t0 = time.perf_counter()
        with self.timer_.stage("ingest"):
            table = load_events(paths, cfg.input)
        with self.timer_.stage("matrix"):
            builder = self._fitted_matrix(table, paths)
            X, counts, users = builder.X_, builder.counts_, builder.users_
            totals = counts.sum(axis=1)  # each user's events: the map's volume axis, the outcome's volume groups
        with self.timer_.stage("nmf"):
            model = self.persona_model().fit(X)
            labels, mixed, margin = model.labels_, model.mixed_, model.margin_
        with self.timer_.stage("map"):
            coords = PCA(2, random_state=cfg.seed).fit_transform(model.membership_) if model.k_ > 2 \
                else np.column_stack([model.membership_[:, 0] - model.membership_[:, 1],
                                      np.log1p(totals)])
        by_user = table.users.set_index("user")["outcome"]
        outcome = by_user.reindex(users).to_numpy(dtype=object)
        kept = set(users)
        aside = by_user[~by_user.index.isin(kept)].to_numpy(dtype=object)  # too few events: no persona
        with self.timer_.stage("metrics"):
            metrics = self._metrics(model, X, labels, outcome, aside, totals)
        windowed = builder._window(table.events)
        kept_rows = windowed[windowed["user"].isin(kept) & windowed["event"].isin(builder.events_)]
        with self.timer_.stage("profile"):
            inputs = ProfileInputs(users, builder.events_, counts, X, model.components_, model.membership_,
                                   labels, mixed, kept_rows, table.resolution, _basis(table))
            personas = [EventPersona(**p) for p in build_event_profiles(inputs, cfg.profile, cfg.seed)]
        run_id = new_run_id(cfg.model_dump(), paths)
        run_model = EventRunModel(builder, model, table.mapping, {p.id: p.name for p in personas}, run_id,
                                  cfg.input.assume_year, cfg.input.timezone)
        first = kept_rows.groupby("user")["day"].min().reindex(users)
        event_names = [event_label(e) for e in builder.events_]  # once, not once per user
        members = pd.DataFrame({
            "member_id": users.astype(str), "persona_id": labels.astype(np.int64),
            "reassigned": mixed.astype(bool), "distance": (1.0 - margin).astype(np.float64),
            "x": coords[:, 0].astype(np.float64), "y": coords[:, 1].astype(np.float64),
            "text": [mix_text(row, builder.events_, rest=True, labels=event_names) for row in counts],  # searchable
            "author": None, "timestamp": self._first_times(first, table.resolution, table.yearless, _basis(table)),
            "n_messages": totals.round().astype(np.int64),
        })
        manifest = self._manifest(run_id, paths, table, builder, model, metrics, t0)
        return EventRunResult(run_id, manifest, members, personas, run_model, X, counts, outcome)

    def _events_read(self, m: dict, layout: str) -> str:
        """"id_site, named by vle.csv's activity_type; counts from sum_click, summed per user and event": how the
        event column(s) and counts were read (an events review: --check said "events id_site" with a lookup)."""
        cfg = self.config.input
        text = ", ".join(m.get("event") or []) or m.get("count") or "-"
        if cfg.event_lookup and layout == "rows":
            text += f", named by {Path(cfg.event_lookup).name}'s {cfg.event_lookup_value or 'names'}"
        if m.get("count") and layout == "rows":
            text += f"; counts from {m['count']}, summed per user and event"
        return text

    def check(self, paths: Sequence[str | Path]) -> tuple[list[str], bool]:
        """``python -m ml.run --kind events --check``: how the events were read and which users and event types
        a run would factorise; a run's one-line errors (too few users) are raised as they would be."""
        table = load_events(paths, self.config.input)
        builder = self._fitted_matrix(table, paths)
        m = table.mapping
        lines = [f"{f['file']}: {f['rows']:,} rows, {f['format']}"
                 + (f", none where {table.report.get('where')}" if f.get("kept_where") == 0 else "")
                 for f in table.report.get("files", [])]
        lines.append(f"layout {table.layout}: users {', '.join(m.get('user') or [])}, events "
                     f"{self._events_read(m, table.layout)}, time {m.get('time') or '-'} "
                     f"(resolution {table.resolution}{', dates without a year' if table.yearless else ''})")
        if table.report.get("time_unread"):
            lines.append(time_unread_line(table.report["time_unread"], m.get("time")))
        if table.report.get("user_unread"):
            lines.append(user_unread_line(table.report["user_unread"], m.get("user")))
        span = date_span_line(table.events["day"], table.resolution, table.yearless)
        if span:
            lines.append(span)
        if table.report.get("user_split"):
            lines.append(user_split_line(table.report["user_split"], m.get("user")))
        read = table.report.get("rows", len(table.events))
        if table.report.get("where"):
            kept = table.report["kept_where"]
            lines.append(f"events read: {read:,} rows; where {table.report['where']} (--where): {kept:,} rows "
                         f"from {len(table.users):,} users")
        else:
            lines.append(f"events read: {read:,} rows from {len(table.users):,} users")
        if table.report.get("duplicate_rows"):
            lines.append(duplicate_rows_line(table.report["duplicate_rows"], read))
        if "outcome" in table.users and table.users["outcome"].notna().any() or self.config.input.outcome_col:
            known = int(table.users["outcome"].notna().sum()) if "outcome" in table.users else 0
            lines.append(f"outcome known for {known:,} of {len(table.users):,} users"
                         + _no_numbers(table.users["outcome"] if "outcome" in table.users else pd.Series(dtype=object)))
        for step in builder.report_:
            if step.get("removed"):
                one = {"users": "user", "events": "event", "event types": "event type"}.get(step["unit"], step["unit"])
                dropped = [d for d in step.get("dropped") or [] if isinstance(d, dict) and d.get("event")]
                named = "; ".join(f"{d['event']} ({d['reason']})" if d.get("reason") else str(d["event"])
                                  for d in dropped[:5]) + ("; …" if len(dropped) > 5 else "")
                gone = step.get("users_removed") or 0  # users whose every event was of a type set aside
                lines.append(f"{step['stage']}: {step['removed']:,} {one if step['removed'] == 1 else step['unit']} "
                             "set aside" + (f": {named}" if named else "")
                             + (f"; {gone:,} user{'s' * (gone != 1)} left with no event of a kept type" if gone else ""))
        lines.append(f"users a run would factorise: {len(builder.users_):,}; event types: {len(builder.events_)} "
                     f"({', '.join(map(str, builder.events_[:8]))}{', …' if len(builder.events_) > 8 else ''})")
        return lines, True

    # -- helpers ---------------------------------------------------------------------------------
    def _fitted_matrix(self, table, paths: Sequence[str | Path] = ()) -> EventMatrix:
        """The users × events matrix of ``table``; a ``nmf.k`` above the event types kept is refused, and too few
        users left is said with the files read (``paths``), as a conversation run says it."""
        from ml.runtime.errors import TooFewRowsError

        try:
            builder = self.matrix_builder().fit(table.events, calendar=table.resolution in ("hour", "day"),
                                                known_events=table.event_types)
        except TooFewRowsError as err:
            if not paths:
                raise
            names = ", ".join(Path(p).name for p in paths)
            raise TooFewRowsError(f"{names}: {err}", n_rows=err.n_rows, min_rows=err.min_rows) from None
        k = self.config.nmf.k
        if k is not None and k > len(builder.events_):
            from ml.runtime.errors import InputError

            raise InputError(f"nmf.k={k} is more personas than the {len(builder.events_)} event types kept; "
                             "choose a smaller --k or keep more events")
        return builder

    @staticmethod
    def _first_times(first_day: pd.Series, resolution: str, yearless: bool, basis: str | None = None) -> list:
        """ISO time of each user's first kept event (None for day offsets or dates without a year). ``day`` is on
        the charts' clock (``basis``): UTC, a fixed offset or a zone is written with its offset; "local" (each time's
        own offset) or an unknown clock as the wall-clock time without one."""
        if resolution not in ("hour", "day") or yearless:
            return [None] * len(first_day)
        zone = offset_tz(basis)
        out = []
        for d in first_day:
            if pd.isna(d):
                out.append(None)
                continue
            wall = pd.Timestamp(0) + pd.Timedelta(seconds=round(d * 86400))
            out.append((wall if zone is None else wall.tz_localize(zone, ambiguous=False,
                                                                    nonexistent="shift_forward")).isoformat())
        return out

    def _metrics(self, model: EventPersonaModel, X, labels, outcome, aside=None, volume=None) -> dict[str, Any]:
        """The run's metrics; ``volume``: each user's events in total, for the outcome's volume baseline."""
        cfg = self.config
        entropy, smallest = size_balance(labels, model.k_)
        out: dict[str, Any] = {
            "n_personas": int(np.unique(labels).size), "k": int(model.k_), "k_chosen_by": "fixed" if cfg.nmf.k
            else ("cv (one standard error rule)" if cfg.nmf.one_se else "cv (lowest held-out error)"),
            "k_selection": model.k_table_, "empty_components_dropped": model.empty_components_,
            "noise_share": 0.0, "dbcv": None,
            "mixed_share": round(float(model.mixed_.mean()), 4), "mixed_margin": cfg.nmf.mixed_margin,
            "silhouette": model._silhouette(X, labels), "balance": entropy, "min_share": smallest,
            "reconstruction_error": round(model.reconstruction_err_, 4),
            "stability_ari": self._stability(X, labels),
        }
        kmeans = KMeans(model.k_, n_init=4, random_state=cfg.seed).fit(X).labels_
        out["baseline_kmeans"] = {"silhouette": model._silhouette(X, kmeans),
                                  "ari_vs_nmf": round(float(adjusted_rand_score(labels, kmeans)), 4)}
        table = outcome_table(labels, outcome, cfg.input.outcome_bins, aside)
        if table is not None:
            out["outcomes"] = {"column": cfg.input.outcome_col, "nmf": table,
                               "kmeans": outcome_table(kmeans, outcome, cfg.input.outcome_bins),
                               "volume": None if volume is None else outcome_table(
                                   volume_groups(volume, model.k_), outcome, cfg.input.outcome_bins)}
        return out

    def _stability(self, X, labels) -> float | None:
        """ARI between the personas of all users and those of a refit on a random 80% of them."""
        n = len(X)
        if n < 50:
            return None
        idx = np.random.default_rng(self.config.seed + 1).choice(n, int(0.8 * n), replace=False)
        refit = self.persona_model().set_params(k=int(labels.max()) + 1).fit(X[idx])
        return round(float(adjusted_rand_score(labels, refit.predict(X))), 4)

    def _manifest(self, run_id, paths, table, builder: EventMatrix, model, metrics, t0) -> EventManifest:
        return EventManifest(
            run_id=run_id,
            created_at=utc_now(),
            source=EventSource(inputs=[str(Path(p)) for p in paths], load=table.report, mapping=table.mapping,
                               layout=table.layout),
            unit="user",
            counts=EventCounts(
                input=int(table.report["rows"]), input_users=int(table.events["user"].nunique()),
                kept=len(builder.users_), events_in_window=builder.n_events_kept_,
                event_types=len(builder.events_), personas=int(np.unique(model.labels_).size),
                components=int(model.k_), mixed=int(model.mixed_.sum()), noise_before_reassign=0,
            ),
            events=builder.events_, event_reach=builder.reach_, dropped_events=builder.dropped_,
            weighting=Weighting(weighting=builder.weighting, row_normalize=builder.row_normalize,
                                group_normalize=builder.group_normalize and bool(table.mapping.get("group"))),
            filtering=[EventFilterStage.model_validate(s) for s in builder.report_],
            metrics=EventMetrics.model_validate(metrics), time_resolution=table.resolution,
            dates_without_year=table.yearless, time=table.report.get("time"),
            has_timestamps=table.resolution == "hour", has_authors=False,
            **self.timer_.summary(t0),
            config=self.config.model_dump(mode="json"), versions=package_versions(VERSION_PACKAGES),
        )
