"""Command line: ``python -m ml.assign RUN_DIR INPUT [INPUT ...] --out DIR [options]``.

Places fresh conversations with a run's persona model, without refitting: the rows are read by
``ml.ingest.load`` as the run read its own, go through the run's own steps before its encoder (brand/agent
accounts, the six filters, its unit: ``select_fresh``) and are placed by ``PersonaModel.predict_units`` (the
code behind the API's /assign, where each posted item is one member).
Writes ``DIR/assignments.parquet`` (among its columns ``member_id, persona_id, distance, would_be_noise, novel``,
and ``persona_name`` followed by ``family_id, family_name``, empty for runs made before families) and
``DIR/summary.json`` (``ml.runtime.contracts.assign.AssignSummary``: novelty share, persona shares run vs new
with Wilson intervals, PSI, refit recommendation, thresholds used). Rows are filtered as the run's were
(its ``input.where``) unless ``--where`` is given.

Exit status: 0 the model still fits; 3 a refit is recommended (novelty or PSI passed its threshold;
one line on stdout says which); 2 bad input (one line naming the path or column); 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.runtime.errors import CommandParser

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REFIT_EXIT = 3
TABLE_ROWS = 25  # personas in the printed table, those whose share moved most first
OUT_FILES = {"assignments.parquet", "summary.json"}
STAGED = {name: f".{name}.tmp" for name in OUT_FILES}  # written first, then both put in place (``_publish``)


def build_parser() -> argparse.ArgumentParser:
    p = CommandParser(prog="python -m ml.assign",
                                description="Place fresh conversations with a run's persona model; report novelty, "
                                            "shares and PSI against the run, and whether to refit.")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by python -m ml.run, or a stored run id "
                                                 "(latest: the store's newest run)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders of fresh conversations")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for assignments.parquet and summary.json")
    p.add_argument("--store", metavar="URL", default=None,
                   help="store holding a run given by id (default: PERSONAS_STORE_URL or ~/.personas)")
    p.add_argument("--config", metavar="FILE", default=None, help="YAML/JSON with LineageConfig thresholds")
    for flag in ("--text-col", "--id-col", "--author-col", "--time-col", "--reply-to-col", "--thread-col"):
        p.add_argument(flag, metavar="C", default=None, help=f"column for {flag[2:-4].replace('-', ' ')}")
    side = p.add_mutually_exclusive_group()
    side.add_argument("--inbound-col", metavar="C", default=None, help="column saying which side wrote each message "
                      "(true: the customer; or roles such as user/agent)")
    side.add_argument("--outbound-col", metavar="C", default=None, help="flag column that is true where the company "
                      "wrote (is_agent, is_bot)")
    p.add_argument("--sep", default=None, metavar="CHAR", help="CSV delimiter (default: sniffed)")
    p.add_argument("--encoding", default=None, metavar="NAME", help="text files' encoding (default UTF-8/BOM)")
    sides = p.add_mutually_exclusive_group()
    sides.add_argument("--inbound-only", action="store_true", default=None,
                       help="support data: keep the customers' side only (default: as the run did)")
    sides.add_argument("--all-sides", action="store_true", help="read both sides, even where the run kept the "
                       "customers' only (the run's agent step still sets brand accounts aside unless it kept them)")
    rows = p.add_mutually_exclusive_group()
    rows.add_argument("--where", action="append", default=None, metavar="COLUMN=VALUE",
                      help="keep only rows whose COLUMN holds VALUE (default: the run's own --where, if it had one)")
    rows.add_argument("--no-where", action="store_true", help="read every row, even where the run had a --where")
    p.add_argument("--quiet", action="store_true", help="no table on stderr")
    return p


def check_out(out: str | Path, protect: list[str | Path]) -> Path:
    """``--out`` as a folder this command may fill: absent, empty or an earlier ``ml.assign`` output,
    and neither holding nor inside the run directory or an input."""
    from ml.runtime.errors import InputError

    path = Path(out).resolve()
    for item in protect:
        other = Path(item).resolve()
        if path == other or other.is_relative_to(path) or path.is_relative_to(other):
            raise InputError(f"--out {out}: overlaps {item}; choose a separate folder for the assignments")
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {out}: is a file; pass a folder (absent, empty or an earlier ml.assign output)")
    if path.is_dir():
        ours = OUT_FILES | set(STAGED.values())  # a staged file left by a killed run is ours, rewritten
        extra = sorted(p.name for p in path.iterdir() if p.name not in ours)
        if extra:
            raise InputError(f"--out {out}: holds other files ({', '.join(extra[:3])}); pass an absent or empty "
                             "folder, or an earlier ml.assign output")
    if not path.parent.is_dir():
        raise InputError(f"--out {out}: parent folder {path.parent} does not exist")
    return path


def run_where(args, snapshot) -> list[str] | None:
    """``--where`` as given, none with ``--no-where``, else the run's own (``input.where`` in its manifest's
    config): fresh data of the segment the run was made for."""
    if getattr(args, "no_where", False):
        return None
    return args.where if args.where is not None else ((snapshot.config or {}).get("input") or {}).get("where")


RUN_COLUMNS = ("text_col", "id_col", "author_col", "time_col", "reply_to_col", "thread_col", "inbound_col",
               "outbound_col")


def run_reading(args, snapshot) -> list[str]:
    """Fill what ``args`` leaves open with how the run read its own input (its manifest's ``input`` config): the
    columns it was told and ``--inbound-only``, so fresh data is read as the run's was; the flags taken, as
    they would be written (empty when nothing was taken)."""
    own = (snapshot.config or {}).get("input") or {}
    taken = []
    for name in RUN_COLUMNS:
        given = own.get(name)
        if getattr(args, name) is None and given and not (name in ("inbound_col", "outbound_col") and
                                                          (args.inbound_col or args.outbound_col)):
            setattr(args, name, given)
            taken.append(f"--{name[:-4].replace('_', '-')}-col {given}")
    if args.inbound_only is None:
        args.inbound_only = bool(own.get("inbound_only")) and not args.all_sides
        if args.inbound_only:
            taken.append("--inbound-only")
    return taken


def _read_inherited(args, console):
    """``_read`` under the run's own ``--where``, said on stderr, with the filter's errors saying where it came
    from (other errors, a missing file, as they are)."""
    from ml.runtime.errors import InputError

    console.print(f"fresh rows filtered as the run was: --where {' --where '.join(args.where)} (pass --where to "
                  "change it, --no-where to read every row)")
    try:
        return _read(args)
    except InputError as err:
        if "--where" not in str(err):  # a missing file or column: nothing to do with the filter
            raise
        raise InputError(f"{err} (the run's own --where; pass --where to change it, --no-where to read every "
                         "row)") from None


def _read_sides(args, console, inherited_where: bool, taken: list[str]):
    """The fresh rows (``_read``, under the run's ``--where`` when inherited). What was taken from the run
    (``run_reading``) gives way, with a line, where the fresh files differ: a column the run was told that they
    lack is read as a fresh run would guess it, and the side filter goes when they do not say who wrote each row."""
    from ml.runtime.errors import InputError

    for _ in range(len(RUN_COLUMNS) + 2):
        try:
            return _read_inherited(args, console) if inherited_where else _read(args)
        except InputError as err:
            why = str(err)
            flag = next((f for f in taken if f"given by {f.split()[0]} is not" in why), None)
            if flag is not None:
                setattr(args, flag.split()[0][2:].replace("-", "_"), None)
                taken.remove(flag)
                console.print(f"the fresh files have no column {flag.split(maxsplit=1)[1]!r} (the run's "
                              f"{flag.split()[0]}): read as a fresh run would guess it")
            elif "--inbound-only" in taken and "needs inbound information" in why:
                args.inbound_only = False
                taken.remove("--inbound-only")
                console.print("the fresh rows do not say who wrote them (no inbound column): every row is read")
            else:
                raise
    raise AssertionError("unreachable: each retry drops one taken setting")


def _read(args):
    from ml.ingest.load import ColumnMapping, load_messages

    mapping = ColumnMapping(text=args.text_col, id=args.id_col, author=args.author_col, timestamp=args.time_col,
                            reply_to=args.reply_to_col, thread=args.thread_col, inbound=args.inbound_col,
                            outbound=args.outbound_col)
    return load_messages(args.inputs, mapping=mapping, inbound_only=args.inbound_only, encoding=args.encoding,
                         sep=args.sep, where=args.where or None)


@dataclass(frozen=True)
class FreshSelection:
    """``select_fresh``'s answer: the selection, the run's unit, messages each step set aside, and the stored config
    keys this version no longer has (left out)."""

    selection: Any
    unit: str
    set_aside: dict[str, int]
    config_left_out: list[str]


def select_fresh(snapshot, messages, loaded, inputs) -> FreshSelection:
    """The fresh rows through the run's own steps before its encoder (``ml.runtime.selection.select_members``
    under the run's config): its brand/agent account detection, its six filters and its unit (a run of authors
    places authors, not their single tweets). The rows were read as the run's (columns, sides, ``--where``:
    ``_read_sides``). Returns a ``FreshSelection``: the ``Selection``, the unit, ``set_aside`` (messages
    each step set aside). Raises ``InputError`` when no member is left."""
    from ml.runtime.config import PipelineConfig
    from ml.runtime.errors import InputError
    from ml.runtime.selection import select_members

    stored, dropped = PipelineConfig.from_stored(snapshot.config or {})  # a run of an earlier version too
    cfg = stored.updated({"input": {"inbound_only": False}})
    sel = select_members(cfg, inputs, (messages, loaded), load=None, log=lambda _line: None)
    set_aside = {"agents": int(sel.agent_report.get("removed") or 0)}
    set_aside.update({str(step["stage"]): int(step.get("removed") or 0) for step in sel.filter_report})
    if sel.members.empty:
        raise InputError(f"{', '.join(str(p) for p in inputs)}: no {cfg.input.unit} left to place after the run's "
                         f"own steps ({len(messages):,} rows read; set aside: "
                         f"{', '.join(f'{k} {v:,}' for k, v in set_aside.items() if v) or 'none'})")
    return FreshSelection(sel, cfg.input.unit, set_aside, dropped)


def selection_line(n_rows: int, members, unit: str, set_aside: dict[str, int]) -> str:
    """"2,000 fresh rows → 42 authors, as the run built its members (set aside: agents 93, …)"."""
    gone = ", ".join(f"{k} {v:,}" for k, v in set_aside.items() if v)
    return (f"{n_rows:,} fresh rows → {len(members):,} {unit}s, as the run built its members"
            + (f" (set aside: {gone})" if gone else ""))


def _load_run(run_dir: str, store_url: str | None = None):
    """The run: a run directory, or a run id in the store (``ml.runtime.series.run_snapshot``)."""
    from ml.runtime.errors import InputError
    from ml.runtime.series import run_snapshot

    stores: dict = {}
    try:
        snapshot = run_snapshot(run_dir, store_url, stores)
    finally:
        if "store" in stores:
            stores["store"].close()
    if snapshot.kind == "events":
        raise InputError(f"{run_dir}: is an event run; ml.assign places conversations with a conversation run's "
                         "model (event runs: the API's /assign with event rows)")
    return snapshot


def with_families(assigned, snapshot):
    """``assigned`` with ``family_id`` and ``family_name`` after ``persona_name``: each persona's family in the
    run (its profile's ``parent_id``), empty where the run has no families."""
    import pandas as pd

    family = {pid: q.get("parent_id") for pid, q in snapshot.profiles.items()}
    ids = pd.array([family.get(int(p)) if p is not None else None for p in assigned["persona_id"]], dtype="Int64")
    names = [snapshot.families.get(int(f)) if f is not pd.NA else None for f in ids]
    at = list(assigned.columns).index("persona_name") + 1 if "persona_name" in assigned else len(assigned.columns)
    out = assigned.copy()
    out.insert(at, "family_id", ids)
    out.insert(at + 1, "family_name", names)
    return out


def earlier_output(out: Path) -> str | None:
    """What an earlier ``ml.assign`` left in ``out``, in words ("run R, 2 inputs: a.csv, b.csv, written …"), or
    None when there is none (or its summary cannot be read)."""
    try:
        old = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        written = time.strftime("%Y-%m-%d %H:%M", time.localtime((out / "summary.json").stat().st_mtime))
    except (OSError, ValueError):
        return None
    if not isinstance(old, dict):  # not an ml.assign summary: nothing to name
        return None
    run = old.get("run") if isinstance(old.get("run"), dict) else {}
    inputs = [Path(str(i)).name for i in old.get("inputs") or [] if isinstance(old.get("inputs"), list)]
    return (f"run {run.get('run_id', '?')}, {len(inputs)} input{'s' if len(inputs) != 1 else ''}: "
            f"{', '.join(inputs[:3])}{' …' if len(inputs) > 3 else ''}, written {written}")


def _publish(out: Path, assignments, summary, report: Callable[[], int]) -> int:
    """Both files written under their ``STAGED`` names, then put in place one right after the other, then
    ``report()``'s exit status. An error, Ctrl-C or SIGTERM before both are in place leaves the earlier pair
    as it was and no staged file behind; a stop during the two renames waits for the second
    (``stops_deferred``); a stop once both are in place says so (``run_guarded`` prints ``kept``)."""
    from ml.runtime.errors import raise_if_stopped, stops_deferred
    from ml.runtime.runfiles import write_json

    out.mkdir(exist_ok=True)
    staged = {out / tmp: out / name for name, tmp in sorted(STAGED.items())}
    placed = False
    try:
        assignments.to_parquet(out / STAGED["assignments.parquet"], index=False)
        write_json(out / STAGED["summary.json"], json.loads(summary.model_dump_json()))
        raise_if_stopped()  # a stop whose exception Python swallowed (ml.runtime.errors)
        with stops_deferred():  # a stop between the two renames waits for the second
            for tmp, final in staged.items():
                os.replace(tmp, final)
            placed = True
        return report()
    except BaseException as exc:
        if not placed:
            for tmp in staged:
                tmp.unlink(missing_ok=True)
        elif isinstance(exc, KeyboardInterrupt):
            exc.kept = f"the new assignments were already written to {out}"
        raise


def _print(console, summary) -> None:
    from rich.table import Table

    shown = sorted(summary.shares, key=lambda s: (-abs(s.new.share - s.run.share), -s.new.share))
    table = Table(title=f"Fresh data vs run {summary.run.run_id}" + (
        f" (the {TABLE_ROWS} personas that moved most)" if len(shown) > TABLE_ROWS else ""))
    for col in ("persona", "name", "run share", "new share", "change", "novel"):
        table.add_column(col, justify="left" if col == "name" else "right")
    for s in shown[:TABLE_ROWS]:
        table.add_row(str(s.persona_id), s.name, f"{s.run.share:.1%}", f"{s.new.share:.1%}",
                      f"{100 * (s.new.share - s.run.share):+.1f} pts",
                      "" if s.novel_share is None else f"{s.novel_share:.0%}")
    console.print(table)
    if len(shown) > TABLE_ROWS:
        rest = max(abs(s.new.share - s.run.share) for s in shown[TABLE_ROWS:])
        moved = f"moved {100 * rest:.1f} points or less" if rest >= 0.0005 else "kept their shares"
        console.print(f"{len(shown) - TABLE_ROWS} more personas {moved}; every persona's shares are in summary.json")
    from ml.lineage.shift import psi_figure

    figure = psi_figure(summary.shift.psi, summary.shift.moderate, summary.shift.major)
    console.print(f"{summary.n_assigned} assigned; novelty {summary.novelty_share:.1%} "
                  f"(reference: {summary.novelty_reference}); PSI {figure} ({summary.shift.level})")
    for note in summary.notes:  # a verdict the batch is too small for
        console.print(f"note: {note}")
    if summary.run_shares == "fitted":
        console.print("note: this run's model keeps no placement of the run's own members (saved before it): the run "
                      "shares are the fit's, which the model's placement does not repeat; re-run python -m ml.run")
    if summary.long_members:
        console.print(f"note: {summary.long_members} of the fresh members are longer than the text model reads at "
                      "once; they were placed as the run read its own (embed.long_texts, docs/features.md)")
    if summary.novelty_reference != "member-sample":
        console.print("note: this run's model has no member sample (saved before it); novelty falls back to "
                      "per-persona distance quantiles, which miss most texts of unseen topics: re-run python -m "
                      "ml.run for the neighbourhood rule")


def _report(console, summary, config) -> int:
    """The table on stderr, the verdict line on stdout, and the exit status (``REFIT_EXIT`` or 0)."""
    _print(console, summary)
    # a re-runs review got "no refit needed … PSI 0.076" here and "PSI 0.118, refit" from ml.run on the same file
    console.print("note: these shares place the fresh texts on this run's own personas; a refit (python -m ml.run "
                  "--series/--baseline) cuts new personas and compares them by lineage, so its PSI and its born or "
                  "died personas can read otherwise (docs/drift.md)")
    if summary.refit:
        print(f"refit recommended: {'; '.join(summary.reasons)}")
        return REFIT_EXIT
    watch = (f"; a {summary.shift.level} shift (PSI ≥ {config.psi_moderate}) is worth a look: ml.run's --notify "
             "reports one" if summary.shift.level == "moderate" else "")
    if summary.notes:  # no verdict on too little: said as such, for the scheduler's log
        print(f"no refit recommended on this batch: {'; '.join(summary.notes)}")
        return 0
    from ml.lineage.shift import psi_figure

    figure = psi_figure(summary.shift.psi, summary.shift.moderate, summary.shift.major)
    print(f"no refit needed: novelty {summary.novelty_share:.3f} < {config.novelty_alert}, "
          f"PSI {figure} under {config.psi_major}, where a major shift starts{watch}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rich.console import Console

    from ml.runtime.errors import run_guarded

    console = Console(stderr=True, quiet=args.quiet)

    def run() -> int:
        from ml.ingest.pseudonyms import shown_inputs
        from ml.lineage.compare import run_ref
        from ml.lineage.config import LineageConfig
        from ml.lineage.novelty import FreshDataScorer, timed
        config = LineageConfig.from_file(args.config) if args.config else LineageConfig()
        out = check_out(args.out, [args.run_dir, *args.inputs, *([args.config] if args.config else [])])
        timings: dict[str, float] = {}
        snapshot = timed(lambda: _load_run(args.run_dir, args.store), timings, "load_run")
        inherited = args.where is None and not args.no_where and bool(run_where(args, snapshot))
        args.where = run_where(args, snapshot)
        taken = run_reading(args, snapshot)
        if taken:
            console.print(f"fresh rows read as the run read its own: {' '.join(taken)}"
                          f"{' (--all-sides keeps both sides)' if '--inbound-only' in taken else ''}")
        messages, loaded = timed(lambda: _read_sides(args, console, inherited, taken), timings, "read")
        fresh = timed(lambda: select_fresh(snapshot, messages, loaded, args.inputs), timings, "select")
        sel, unit, set_aside = fresh.selection, fresh.unit, fresh.set_aside
        if fresh.config_left_out:
            console.print("the run's stored config is from an earlier version; left out: "
                          + ", ".join(fresh.config_left_out))
        console.print(selection_line(len(messages), sel.members, unit, set_aside))
        scorer = timed(lambda: FreshDataScorer(config).fit(snapshot.model, snapshot, snapshot.config), timings,
                       "reference")
        assigned = with_families(timed(lambda: scorer.assign(sel.messages, sel.members), timings, "assign"),
                                 snapshot)
        summary = scorer.summary(assigned, shown_inputs(args.inputs), len(messages), run_ref(snapshot), timings)
        summary = summary.model_copy(update={"where": loaded.where, "rows_left_out_by_where": loaded.dropped_where,
                                             "unit": unit, "set_aside": set_aside})
        earlier = earlier_output(out)
        code = _publish(out, assigned, summary, lambda: _report(console, summary, config))
        if earlier:  # a scheduler's second --out over last week's: said, not silent (a re-runs review)
            console.print(f"replaced the earlier assignments in {out} ({earlier})", soft_wrap=True, markup=False)
        return code

    return run_guarded(run, kept="the earlier output in --out is unchanged")


if __name__ == "__main__":
    sys.exit(main())
