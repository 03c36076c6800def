"""Series, baseline and drift webhook of ``python -m ml.run ... --series NAME --baseline latest|RUN_ID|RUN_DIR
[--notify URL]``.

``SeriesPlan.resolve(...)`` runs before any work: it checks the series name and the webhook URL and finds
the baseline (``latest``: the newest run of the series in the store, or the store's newest run when no
series is given; a run id in the store; or a run directory). ``--series`` alone compares with the series'
newest run when there is one (its first run has no baseline). A missing baseline, a baseline of another
kind or unit, or one without a stored persona model is one ``InputError`` line (exit 2), nothing computed.

``plan.apply(folder, run_dir)`` runs on the staged run directory, after the run's files are written and
before it is published: it records the series in ``manifest.json``, compares the run with its baseline
(``ml.lineage.compare_runs``), writes ``comparison.json`` and gives every persona its lineage id and the
lineage's name (a persona that continues one of the baseline keeps its name) in ``personas.json``, so the
store publishes the run and its comparison together. A comparison that fails there (e.g. runs of two
embedding models) is reported in one line and the run is kept without one. ``plan.notify(console)`` calls
the webhook after publishing (``ml.runtime.notify``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ml.profile.behavior_words import split_behavior
from ml.runtime.errors import InputError

ALL = 2**31 - 1  # a page holding every member of a persona


@dataclass
class Baseline:
    """Where the baseline run is: a run id in ``store``, or a run directory."""

    run_id: str
    manifest: dict[str, Any]
    store: Any = None
    run_dir: Path | None = None

    def snapshot(self):
        from ml.lineage import load_snapshot
        from ml.lineage.snapshot import snapshot_from_documents

        if self.run_dir is not None:
            return load_snapshot(self.run_dir)
        personas = self.store.get_personas(self.run_id)
        rows = [r for p in personas for r in self.store.get_members(self.run_id, p["id"], 0, ALL)[0]]
        stored = self.store.get_model(self.run_id)
        return snapshot_from_documents(self.manifest, personas, pd.DataFrame(rows), stored.data,
                                       where=f"run {self.run_id} in {self.store.url}")


def stored_baseline(store, ref: str, series: str | None, flag: str | None = None, first: str | None = None) -> Baseline:
    """Run ``ref`` (a run id, or ``latest``: the newest run of ``series``, else of the store) in ``store``;
    one ``InputError`` line naming ``flag`` (default ``--baseline REF``) when it is not there, ending with
    ``first`` (what to do when the store has no run yet; default: how ``ml.run`` makes a first run)."""
    from ml.store.base import RunNotFound

    flag = flag or f"--baseline {ref}"
    if store is None:
        raise InputError(f"{flag}: a run id needs the store; drop --no-store, or pass a run directory")
    if ref == "latest":
        run_id = store.latest_in_series(series) if series else store.latest_run_id()
        if run_id is None:
            where = f"no run of series {series}" if series else "no run"
            first = first or ("drop --baseline for a first run (--series alone compares each run with the "
                              "series' latest once there is one)" if series else "drop --baseline for a first run")
            raise InputError(f"{flag}: {where} in {store.url} yet; {first}")
    else:
        run_id = ref
    try:
        manifest = store.get_run(run_id)
    except (RunNotFound, ValueError):
        raise InputError(f"{flag}: no run {run_id} in {store.url}, and no such run directory; pass a "
                         "stored run id (GET /api/v1/runs) or a run directory") from None
    if store.get_model_info(run_id) is None:
        raise InputError(f"{flag}: run {run_id} has no stored persona model; store it with "
                         "python -m ml.store.upload_model RUN_DIR, or pass its run directory")
    return Baseline(run_id, manifest, store=store)


def _dir_baseline(path: Path) -> Baseline:
    from ml.lineage.snapshot import check_run_dir

    p = check_run_dir(path)
    manifest = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
    return Baseline(str(manifest.get("run_id") or p.name), manifest, run_dir=p)


def _check_fits(baseline: Baseline, kind: str, config: dict[str, Any], series: str | None = None) -> None:
    """Refuse, before any work, a baseline the new run cannot be compared with; ``series``: the baseline is that
    series' latest run, taken without --baseline (the line named "--baseline", which the user had not passed)."""
    named = f"series {series}'s latest run {baseline.run_id}" if series else f"--baseline {baseline.run_id}"
    base_kind = "events" if baseline.manifest.get("kind") == "events" else "conversations"
    if base_kind != kind:
        raise InputError(f"{named} is a run of --kind {base_kind}, this one of --kind {kind}: "
                         "compare runs of one kind")
    unit = (config.get("input") or {}).get("unit")
    if kind == "conversations" and unit and baseline.manifest.get("unit") not in (None, unit):
        raise InputError(f"{named} clusters {baseline.manifest['unit']}s and this run "
                         f"{unit}s: pass --unit {baseline.manifest['unit']} or another baseline")


def _check_new(baseline: Baseline, series: str, config: dict[str, Any], fingerprint: str | None) -> None:
    """``AlreadyInSeries`` when the series' latest run read the same inputs (``source.fingerprint``) with the same
    settings: a scheduler's retry of a week that had succeeded added the week again, compared with itself (two
    reviews, 2026-12-05 and 2026-12-06)."""
    if _same_inputs(baseline.manifest, config, fingerprint):
        raise AlreadyInSeries(f"series {series}: its latest run {baseline.run_id} read these inputs, byte for byte, "
                              "with these settings; nothing was run and the series is unchanged (pass --baseline "
                              f"{baseline.run_id} to fit them again as a new run of the series)")


def _same_inputs(manifest: dict[str, Any], config: dict[str, Any], fingerprint: str | None) -> bool:
    """Whether a stored run's manifest read the inputs of ``fingerprint`` with the settings ``config``."""
    return fingerprint is not None and (manifest.get("source") or {}).get("fingerprint") == fingerprint \
        and manifest.get("config") == config


def _check_earlier(store, series: str, latest: str, config: dict[str, Any], fingerprint: str | None) -> None:
    """``AlreadyInSeries`` when an earlier run of the series than its latest read the same inputs with the same
    settings: a re-runs review re-ran the first week's file (a scheduler's late retry, a backfill) and it was added
    again, compared backwards with the latest week, and the webhook fired."""
    from ml.store.base import RunNotFound
    from ml.store.series import iter_series_runs

    if fingerprint is None or store is None:
        return
    total = store.series_runs(series, limit=0)[1]
    for n, item in enumerate(iter_series_runs(store, series), 1):
        if item["run_id"] == latest:
            continue
        try:
            manifest = store.get_run(item["run_id"]) or {}
        except RunNotFound:  # deleted between the listing and the read
            continue
        if _same_inputs(manifest, config, fingerprint):
            raise AlreadyInSeries(
                f"series {series}: its run {item['run_id']} (run {n} of {total}) read these inputs, byte for byte, "
                "with these settings; nothing was run and the series is unchanged (pass --baseline "
                f"{latest} to fit them again as a new run of the series)")


def keep_name(profile: dict[str, Any], name: str, lineage_id: str) -> None:
    """A continuing persona published under its lineage's ``name``: its ``name_note`` explained the fit's own
    behaviour word ("“Brief” in the name: …"), so it goes when the kept name leads with another word or none."""
    if profile.get("name_note") and split_behavior(name)[0] != split_behavior(profile.get("name", ""))[0]:
        profile.pop("name_note")
    if name != profile.get("name"):
        profile.pop("name_share", None)  # it measured this fit's own name
        profile.pop("name_parts", None)
        # the fit's own name, for a later comparison of this run (ml.compare read the lineage's name as the run's own
        # and could no longer tell that it no longer fit: an events review)
        profile["fit_name"] = profile.get("fit_name") or profile.get("name")
    profile["name"], profile["lineage_id"] = name, lineage_id


class AlreadyInSeries(Exception):
    """The inputs and settings of this run are the series' latest run's: nothing is run (exit 0, one line)."""


@dataclass
class SeriesPlan:
    series: str | None = None
    baseline: Baseline | None = None
    notify_url: str | None = None
    comparison: Any = None
    messages: list[str] = field(default_factory=list)
    fingerprint: str | None = None

    @classmethod
    def resolve(cls, series: str | None, baseline: str | None, notify: str | None, store, kind: str,
                config: dict[str, Any], fingerprint: str | None = None) -> SeriesPlan:
        from ml.runtime.notify import check_url
        from ml.store.series import validate_series

        if series is not None:
            try:
                validate_series(series)
            except ValueError as exc:
                raise InputError(f"--series: {exc}") from None
        if notify is not None:
            check_url(notify)
            if baseline is None and series is None:
                raise InputError("--notify needs a comparison: pass --series NAME or --baseline latest|RUN_ID")
        base = None
        if baseline is not None and baseline != "latest" and Path(baseline).exists():
            base = _dir_baseline(Path(baseline))
        elif baseline is not None:
            base = stored_baseline(store, baseline, series)
        elif series is not None and store is not None and store.latest_in_series(series) is not None:
            base = stored_baseline(store, "latest", series)
        if base is not None:
            _check_fits(base, kind, config, series if baseline is None else None)
            if series is not None and baseline in (None, "latest"):
                _check_new(base, series, config, fingerprint)
                _check_earlier(store, series, base.run_id, config, fingerprint)
        first = [f"first run of series {series}: the next run with --series {series} is compared with this one"] \
            if series is not None and base is None else []
        return cls(series, base, notify, messages=first, fingerprint=fingerprint)

    def apply(self, folder: Path, run_dir: Path) -> None:
        """Series, comparison and lineage into the staged run directory ``folder`` (module docstring)."""
        from ml.runtime.runfiles import write_json

        if self.series is not None:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            source = {**(manifest.get("source") or {}), "fingerprint": self.fingerprint}
            write_json(folder / "manifest.json", {**manifest, "series": self.series, "source": source})
        if self.baseline is None:
            return
        from ml.lineage import LineageConfig, compare_runs, load_snapshot
        from ml.store.bundle import COMPARISON_FILE

        try:
            new = load_snapshot(folder)
            new.run_dir = str(run_dir)
            self.comparison = compare_runs(self.baseline.snapshot(), new, LineageConfig())
        except InputError as exc:  # named by where the run goes, not by its staging folder
            why = str(exc).replace(str(folder), str(run_dir))
            self.messages.append(f"no comparison with {self.baseline.run_id}: {why}")
            return
        write_json(folder / COMPARISON_FILE, json.loads(self.comparison.model_dump_json()))
        lineage = {p.id: p for p in self.comparison.new_personas}
        personas = json.loads((folder / "personas.json").read_text(encoding="utf-8"))
        for p in personas:
            if int(p["id"]) in lineage:
                keep_name(p, lineage[int(p["id"])].name, lineage[int(p["id"])].lineage_id)
        write_json(folder / "personas.json", personas)

    def published_names(self) -> dict[int, str]:
        """Persona id → the name ``apply`` gave it (the lineage's); empty without a comparison."""
        return {} if self.comparison is None else {p.id: p.name for p in self.comparison.new_personas}

    def report(self, console) -> None:
        """Lines for the run's summary: the comparison's headline, or why there is none."""
        for line in self.messages:
            console.print(line, markup=False, soft_wrap=True)
        c = self.comparison
        if c is not None:
            counts = ", ".join(f"{k.removeprefix('new_')} {v}" for k, v in c.counts.items() if k.startswith("new_"))
            died = c.counts.get("base_died", 0)
            from ml.lineage.shift import psi_figure

            figure = psi_figure(c.shift.psi, c.shift.moderate, c.shift.major)
            shift = f"population shift PSI {figure} ({c.shift.level}{': ' + c.shift.note if c.shift.note else ''})"
            console.print(f"compared with {c.base.run_id}: {shift}; {counts}; "
                          f"died {died}; movers {c.movers.n_moved} of {c.movers.n_shared}"
                          f"{f' ({c.movers.n_unchanged} with the same texts as then)' if c.movers.n_unchanged else ''}, "
                          f"{c.movers.n_regrouped} more stayed with their persona through a split or merge "
                          "(comparison.json)",
                          markup=False, soft_wrap=True)
            from ml.lineage.run_notes import LATER_NOTE, SAME_MEMBERS

            for note in c.notes:  # the fit's own changes, or runs given the wrong way round
                if note.startswith((SAME_MEMBERS, LATER_NOTE)):
                    console.print(f"note: {note}", markup=False, soft_wrap=True)

    def notify(self, console) -> None:
        """Call the webhook when the comparison crossed a threshold (never fails the run)."""
        if self.notify_url is None or self.comparison is None:
            return
        from ml.runtime.notify import drift_alert, post_json

        alert = drift_alert(self.comparison, self.series)
        if alert is None:
            console.print(f"no threshold crossed: {self.notify_url} not called", markup=False, soft_wrap=True)
            return
        console.print(post_json(self.notify_url, alert), markup=False, soft_wrap=True)


def run_snapshot(ref: str, store_url: str | None, stores: dict):
    """The run ``ref`` for ``ml.compare`` and ``ml.assign``: a run directory when one exists there, else a run id
    (or ``latest``) in the store at ``store_url`` (default: the default store), opened once into ``stores``
    (``stores["store"]``; the caller closes it). One ``InputError`` line for a store URL given as the run."""
    from ml.lineage import load_snapshot
    from ml.lineage.snapshot import check_run_dir
    from ml.store import open_store
    from ml.store.base import StoreError

    if "://" in ref:
        raise InputError(f"{ref}: a store URL, not a run; pass the run id and the store: RUN_ID --store URL")
    path = Path(ref)
    if path.exists() or ("/" in ref or "\\" in ref):
        return load_snapshot(check_run_dir(path))
    if "store" not in stores:
        from ml.store import default_store_url
        from ml.store.sqlite import parse_sqlite_url

        url = (store_url or default_store_url()).strip()
        if url.startswith("sqlite://") and parse_sqlite_url(url) != ":memory:" \
                and not Path(parse_sqlite_url(url)).expanduser().exists():  # a read: no new empty store for a typo
            raise InputError(f"{ref}: not a run directory, and there is no store at {url}; pass the store the run "
                             "was published to (--store URL) or a run directory")
        try:
            stores["store"] = open_store(url)
            stores["store"].ping()  # a store that does not answer: one line within seconds, as python -m ml.run
        except (StoreError, ValueError) as exc:
            raise InputError(f"{ref}: not a run directory, and the store cannot be used ({exc}); pass --store "
                             "URL or a run directory") from None
    try:
        return stored_baseline(stores["store"], ref, None, flag=ref,
                               first="make one with python -m ml.run first, or pass a run directory").snapshot()
    except StoreError as exc:  # it stopped answering after the first read
        raise InputError(f"{ref}: the store {stores['store'].url} cannot be read ({exc})") from None
