"""Command line: ``python -m ml.compare BASE NEW [--json FILE] [--config FILE] [--store URL]``.

BASE and NEW are run directories written by ``python -m ml.run``, or ids of runs in the store
(``--store URL``, default ``PERSONAS_STORE_URL``; ``latest`` is the store's newest run); conversation
or event runs, one kind, one unit, one embedding model. Prints what became of every persona (continued, grown, shrunk,
split, merged, born, died, with the cosine and overlap that decided it), the population shift (PSI)
and the movers; ``--json FILE`` writes the full ``ml.runtime.contracts.compare.Comparison``.

Exit status: 0 compared; 2 bad input (one line naming the directory and what to pass instead); 1
anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ml.runtime.errors import CommandParser

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def build_parser() -> argparse.ArgumentParser:
    p = CommandParser(prog="python -m ml.compare",
                                description="Compare two runs: persona lineage, population shift, movers.")
    p.add_argument("base", metavar="BASE", help="the earlier run: a run directory or a stored run id")
    p.add_argument("new", metavar="NEW", help="the later run: a run directory or a stored run id")
    p.add_argument("--store", metavar="URL", default=None,
                   help="store holding run ids given as BASE/NEW (default: PERSONAS_STORE_URL or ~/.personas)")
    p.add_argument("--json", metavar="FILE", default=None, help="write the full comparison as JSON")
    p.add_argument("--config", metavar="FILE", default=None, help="YAML/JSON with LineageConfig thresholds")
    p.add_argument("--all", action="store_true", help="list every persona (default: the 30 largest now)")
    return p


def _pct(x) -> str:
    return "" if x is None else f"{x.share:.1%}"


def _days(a: str, b: str | None, clock: str) -> str:
    from ml.ingest.timebasis import day_on_clock

    first, last = day_on_clock(a, clock), day_on_clock(b or a, clock)
    return first if first == last else f"{first} – {last}"


def _span(ref) -> str:
    """" (2015-02-16 – 2015-02-24 UTC-08:00)": the dates a run covers on its charts' clock
    (``ml.ingest.timebasis.period_clock``), with where 90% of them lie when a few stray messages stretch the
    range ("; 90% within 2017-10-30 – 2017-11-26"); nothing without timestamps."""
    from ml.ingest.timebasis import period_clock

    if not ref.first:
        return ""
    clock = period_clock(ref.basis)
    whole = _days(ref.first, ref.last, clock)
    middle = _days(ref.p05, ref.p95, clock) if ref.p05 else whole
    return f" ({whole} {clock}" + ("" if middle == whole else f"; 90% within {middle}") + ")"


def print_comparison(c, show_all: bool = False, file=None) -> None:
    from rich.console import Console
    from rich.table import Table

    from ml.lineage.shift import psi_figure

    console = Console(file=file or sys.stdout, width=160)
    table = Table(title=f"{c.base.run_id}{_span(c.base)} → {c.new.run_id}{_span(c.new)}")
    for col in ("now", "status", "from", "name", "then", "now share", "change", "cosine", "overlap",
                "terms new / lost"):
        table.add_column(col, justify="left" if col in ("status", "name", "terms new / lost") else "right")
    personas = sorted(c.new_personas, key=lambda p: -p.now.share)
    for p in personas if show_all else personas[:30]:
        terms = "" if p.terms is None else f"+{', '.join(p.terms.new[:3])} / -{', '.join(p.terms.lost[:3])}"
        ov = p.scores.get("overlap")
        flag = " (re-cut)" if p.recut else " (re-drawn)" if p.share_recut else ""
        table.add_row(str(p.id), p.status + flag, ",".join(map(str, p.base_ids)), p.name,
                      _pct(p.then), _pct(p.now), _change(p),
                      f"{p.scores.get('similarity')}", "" if ov is None else f"{ov}", terms)
    console.print(table)
    console.print("now: this run's persona ids; from: the baseline's; a split piece's \"then\" is its whole parent's "
                  "share" + ("" if any(p.scores.get("overlap") is not None for p in c.new_personas) else
                             "; overlap: empty, too few of the same members recur in both runs to compare them"))
    for line in _persona_lines(c, personas):
        console.print(line)
    console.print(_counts_line(c.counts))
    how = {"placed": "with both runs' members placed on the base run's personas (+ a novel bucket)",
           "linked": "over the linked personas of the two runs (the models keep no member sample)"}
    console.print(f"population shift: PSI {psi_figure(c.shift.psi, c.shift.moderate, c.shift.major)} ({c.shift.level}; moderate ≥ {c.shift.moderate}, major ≥ "
                  f"{c.shift.major}) {how.get(c.shift.basis or 'linked', '')}"
                  + (f"; {c.shift.note}" if c.shift.note else ""))
    moves = [b for b in sorted(c.shift.buckets, key=lambda b: -b.contribution)[:3] if b.contribution >= 0.005]
    if c.shift.basis == "placed" and moves:
        console.print("largest moves, both runs' members placed on the base run's personas (the table's shares are "
                      "each fit's own): " + "; ".join(f"{_bucket_name(c, b.bucket)} {b.then:.1%} → {b.now:.1%}"
                                                      for b in moves))
    from ml.runtime.quality import tentative

    runs = (("the baseline", c.base.stability_ari), ("this run", c.new.stability_ari))
    held = tentative(runs)
    poor = [f"{label} (stability {ari:.2f})" for label, ari in runs if label in held]
    if poor:  # as the explorer's What changed page says it (TentativeNotice)
        refit = "a refit on 80% of the users" if c.new.kind == "events" else "a refit with another seed"
        console.print(f"tentative: the personas of {' and '.join(poor)} regroup on {refit} (poor on Steinley's "
                      "bands): the splits, merges and moves below are as much the fits' as the customers'")
    if c.fit_shift is not None and c.shift.basis == "placed":
        console.print(f"the two fits disagree by PSI {psi_figure(c.fit_shift.psi, c.fit_shift.moderate, c.fit_shift.major)} over their linked personas "
                      "(a re-cut of the same conversations counts there too)")
    for reading in ("more negative", "less negative"):
        toned = [p for p in c.new_personas if p.tone is not None and p.tone.reading == reading]
        if toned:
            console.print(f"tone, {reading} than in the baseline: " + "; ".join(f"{p.id} {p.name} ({p.tone.then:.0%} → {p.tone.now:.0%} "
                                                            "use negative words)" for p in toned))
    unchanged = (f" ({c.movers.n_unchanged} of them with the same texts as in the baseline: grouped anew, not "
                 "changed)" if c.movers.n_unchanged else "")
    console.print(f"movers ({c.movers.key}): {c.movers.n_shared} in both runs, {c.movers.n_moved} changed lineage"
                  f"{unchanged}, {c.movers.n_regrouped} stayed with their persona through its split or merge")
    for note in c.notes:
        console.print(f"note: {note}")


def _persona_lines(c, personas) -> list[str]:
    """The lines under the table: renamed, re-drawn, merged as re-cuts, died."""
    from ml.lineage.status import placed_words

    lines = []
    renamed = [p for p in personas if p.renamed_from]  # a re-runs review: the table's rows gave no hint of them
    if renamed:
        lines.append("renamed (the baseline's name no longer describes them): "
                     + "; ".join(f"{p.id} {p.name} (was {p.renamed_from})" for p in renamed))
    redrawn = [p for p in personas if p.share_recut and p.placed is not None]
    if redrawn:  # its own share moved, its kind of conversation did not (ml.lineage.status)
        lines.append("re-drawn (this fit drew them smaller or larger; placed on the baseline's personas their share "
                     "did not move that way, so they continued): " + "; ".join(
                         f"{p.id} {p.name} {p.then.share:.1%} → {p.now.share:.1%} own, placed " + placed_words(
                             p.placed, "smaller" if p.now.share < p.then.share else "larger",
                             float(c.config.get("growth_ratio", 1.5))) for p in redrawn))
    recut = [p for p in c.base_personas if p.recut]
    if recut:
        lines.append("merged as re-cuts (their conversations are in the new run too): "
                     + "; ".join(f"baseline {p.id} {p.name}" for p in recut))
    died = [p for p in c.base_personas if p.status == "died"]
    if died:
        lines.append("died: " + "; ".join(f"baseline {p.id} {p.name} ({p.then.share:.1%})" for p in died))
    return lines


def _change(p) -> str:
    """The share's change in points ("+2.2 pts"); "piece" for a split piece, whose "then" is its parent's."""
    if p.status == "split":
        return "piece"
    return "" if p.share_change is None else f"{100 * p.share_change:+.1f} pts"


def _counts_line(counts: dict[str, int]) -> str:
    """"baseline personas: 12 continued, 2 died; this run's: 1 born, 12 continued" (``Comparison.counts``)."""
    def side(prefix: str) -> str:
        return ", ".join(f"{v} {k[len(prefix):]}" for k, v in counts.items() if k.startswith(prefix)) or "none"

    return f"baseline personas: {side('base_')}; this run's: {side('new_')}"


def _bucket_name(c, bucket: str) -> str:
    """A placed-shift bucket ("then 7", "novel") in words: the base persona's name."""
    if bucket.startswith("then "):
        pid = int(bucket.split(" ")[1])
        return next((f"baseline {p.id} {p.name}" for p in c.base_personas if p.id == pid), bucket)
    return "novel (where the base run has none)" if bucket == "novel" else bucket


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ml.runtime.errors import run_guarded

    def run() -> int:
        from ml.lineage import LineageConfig, compare_runs
        from ml.runtime.errors import InputError
        from ml.runtime.runfiles import write_json_replacing
        from ml.runtime.series import run_snapshot

        config = LineageConfig.from_file(args.config) if args.config else LineageConfig()
        dirs = [Path(r).resolve() for r in (args.base, args.new) if Path(r).is_dir()]
        if args.json:
            target = Path(args.json).resolve()
            if target.parent in dirs:
                raise InputError(f"--json {args.json}: inside a run directory; write the comparison elsewhere")
            if target.is_dir():
                raise InputError(f"--json {args.json}: a folder; name the file to write, e.g. {Path(args.json) / 'comparison.json'}")
            if not target.parent.is_dir():
                raise InputError(f"--json {args.json}: its folder {target.parent} does not exist; create it first")
        stores: dict = {}
        try:
            base = run_snapshot(args.base, args.store, stores)
            new = run_snapshot(args.new, args.store, stores)
        finally:
            if "store" in stores:
                stores["store"].close()
        comparison = compare_runs(base, new, config)
        print_comparison(comparison, args.all)
        if base.run_id == new.run_id:  # "latest latest" read only "both runs hold the same members" (a review)
            print(f"note: {args.base} and {args.new} are the same run, {base.run_id}: every persona continues by "
                  "construction; name two runs to see what changed")
        if args.json:  # beside it first, then in place: a stop while writing keeps an earlier file whole
            write_json_replacing(Path(args.json), json.loads(comparison.model_dump_json()))
        return 0

    return run_guarded(run, kept="no --json file was written or changed")


if __name__ == "__main__":
    sys.exit(main())
