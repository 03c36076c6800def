"""Command line for event runs: ``python -m ml.run --kind events FILE... --out RUN_DIR [options]``.

``add_event_arguments(parser)`` adds the event flags to an ``argparse`` parser (flags the parser already
has, such as ``--out`` or ``--time-col``, are reused, so it can extend ``ml.run``'s parser);
``run_events(args) -> int`` checks ``--out`` and the store first (``ml.runtime.output.RunOutput``), runs the
pipeline, writes and publishes the run, swaps the run directory in and prints a summary. Exit status
as ``ml.run``: 0 success, 2 bad input (one line naming the file, row or column and what to do), 1
anything else (one line; PERSONAS_DEBUG=1 for the traceback), 130 interrupted.
``python -m ml.events.cli`` runs the same thing on its own.
"""

from __future__ import annotations

import argparse
import sys


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


# flag → (dest, config section, key, argparse kwargs)
EVENT_FLAGS = [
    ("--layout", "layout", "input", "layout", {"choices": ["auto", "rows", "matrix"],
                                                   "help": "rows: one event per row; matrix: counts in columns"}),
    ("--user-col", "user_col", "input", "user_cols", {"type": _csv, "metavar": "C[,C]",
                                                          "help": "user key column(s), e.g. module,presentation,student"}),
    ("--event-col", "event_col", "input", "event_cols", {"type": _csv, "metavar": "C[,C]",
                                                             "help": "event-name column(s); matrix layout: count columns"}),
    ("--count-col", "count_col", "input", "count_col", {"metavar": "C", "help": "per-row count (e.g. sum_click)"}),
    ("--group-col", "group_col", "input", "group_cols", {"type": _csv, "metavar": "C[,C]",
                                                             "help": "cohort column(s) for per-group normalising"}),
    ("--outcome-col", "outcome_col", "input", "outcome_col", {"metavar": "C", "help": "outcome for evaluation only"}),
    ("--outcome-file", "outcome_file", "input", "outcome_file", {"metavar": "FILE", "help": "table with the outcome"}),
    ("--outcome-key-col", "outcome_key_col", "input", "outcome_key_cols",
     {"type": _csv, "metavar": "C[,C]", "help": "user key in the outcome file (default: --user-col)"}),
    ("--event-lookup", "event_lookup", "input", "event_lookup", {"metavar": "FILE",
                                                                     "help": "table mapping an id column to event names"}),
    ("--event-lookup-key", "event_lookup_key", "input", "event_lookup_key", {"metavar": "C"}),
    ("--event-lookup-value", "event_lookup_value", "input", "event_lookup_value", {"metavar": "C"}),
    ("--assume-year", "assume_year", "input", "assume_year", {"type": int, "help": "year for dates written without one"}),
    ("--window-start", "window_start", "matrix", "window_start", {"type": float, "metavar": "DAY"}),
    ("--window-end", "window_end", "matrix", "window_end", {"type": float, "metavar": "DAY"}),
    ("--window-origin", "window_origin", "matrix", "window_origin", {"choices": ["data", "user"]}),
    ("--min-user-events", "min_user_events", "matrix", "min_user_events", {"type": int}),
    ("--max-events", "max_events", "matrix", "max_events", {"type": int, "help": "keep the top N event types by reach"}),
    ("--weighting", "weighting", "matrix", "weighting", {"choices": ["log", "tfidf", "raw"]}),
    ("--row-normalize", "row_normalize", "matrix", "row_normalize", {"choices": ["l1", "l2", "none"]}),
    ("--k", "k", "nmf", "k", {"type": int, "help": "fix the number of personas (default: chosen by CV)"}),
    ("--k-min", "k_min", "nmf", "k_min", {"type": int}),
    ("--k-max", "k_max", "nmf", "k_max", {"type": int}),
    ("--mixed-margin", "mixed_margin", "nmf", "mixed_margin", {"type": float}),
]


def add_event_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the event-run flags (and the common ones the parser lacks) to ``parser``."""
    have = set(parser._option_string_actions)
    if not any(a.dest == "inputs" for a in parser._actions):
        parser.add_argument("inputs", nargs="+", metavar="INPUT", help="event files or folders")
    common = [
        ("--out", {"required": True, "metavar": "RUN_DIR", "help": "run directory to write"}),
        ("--store", {"metavar": "URL", "default": None, "help": "results store URL"}),
        ("--no-store", {"action": "store_true", "help": "write the run directory only"}),
        ("--time-col", {"metavar": "C", "default": None, "help": "timestamp or day-offset column"}),
        ("--label-col", {"metavar": "C", "default": None, "help": "same as --outcome-col"}),
        ("--seed", {"type": int, "default": None}),
        ("--config", {"metavar": "FILE", "default": None, "help": "YAML/JSON file with EventConfig values"}),
        ("--quiet", {"action": "store_true"}),
    ]
    for flag, kwargs in common:
        if flag not in have:
            parser.add_argument(flag, **kwargs)
    group = parser.add_argument_group("event runs (--kind events)")
    for flag, dest, _, _, kwargs in EVENT_FLAGS:
        if flag not in have:
            group.add_argument(flag, dest=dest, default=None, **kwargs)
    if "--no-group-normalize" not in have:
        group.add_argument("--no-group-normalize", action="store_true", default=None,
                           help="do not scale event columns within each --group-col cohort")
    return parser


def config_from_args(args):
    from ml.events.config import EventConfig

    config = EventConfig.from_file(args.config) if getattr(args, "config", None) else EventConfig()
    overrides: dict = {}
    for _, dest, section, key, _ in EVENT_FLAGS:
        value = getattr(args, dest, None)
        if value is not None:
            overrides.setdefault(section, {})[key] = value
    if getattr(args, "time_col", None):
        overrides.setdefault("input", {})["time_col"] = args.time_col
    if getattr(args, "label_col", None) and not getattr(args, "outcome_col", None):
        overrides.setdefault("input", {})["outcome_col"] = args.label_col
    if getattr(args, "no_group_normalize", None):
        overrides.setdefault("matrix", {})["group_normalize"] = False
    if getattr(args, "seed", None) is not None:
        overrides["seed"] = args.seed
    return config.updated(overrides) if overrides else config


def print_summary(console, result, out_dir, published: str | None) -> None:
    from rich.table import Table

    m = result.manifest.model_dump(mode="json")
    table = Table(title=f"Event run {result.run_id}")
    for col in ("stage", "unit", "removed", "kept"):
        table.add_column(col, justify="right" if col in ("removed", "kept") else "left")
    for s in m["filtering"]:
        table.add_row(s["stage"], s["unit"], str(s["removed"]), str(s["kept"]))
    console.print(table)
    met = m["metrics"]
    if met["k_selection"]:
        kt = Table(title=f"k by held-out reconstruction error ({met['k_chosen_by']})")
        for col in ("k", "cv error ± se", "silhouette", "balance", "min share", ""):
            kt.add_column(col)
        for r in met["k_selection"]:
            kt.add_row(str(r["k"]), f"{r['cv_error']:.4f} ± {r['cv_se']:.4f}", str(r["silhouette"]),
                       f"{r['balance']:.2f}", f"{r['min_share']:.1%}", "chosen" if r["chosen"] else "")
        console.print(kt)
    console.print(f"{m['counts']['input']} rows → {m['counts']['kept']} users × {m['counts']['event_types']} event "
                  f"types → {m['counts']['personas']} personas; mixed {met['mixed_share']:.1%}, silhouette "
                  f"{met['silhouette']}, stability ARI {met['stability_ari']}")
    outcomes = met.get("outcomes")
    if outcomes:
        console.print(f"outcome {outcomes['column']}: Cramér's V {outcomes['nmf']['cramers_v']} "
                      f"(k-means {outcomes['kmeans']['cramers_v'] if outcomes['kmeans'] else None})")
    for p in sorted(result.personas, key=lambda p: -p.size):
        console.print(f"  #{p.id:<3} {p.share:6.1%}  {p.name}  ({', '.join(t.event for t in p.top_events[:3])})")
    console.print(f"run directory: {out_dir}  ({m['timings_s']['total']:.0f}s, peak RSS {m['peak_rss_mb']:.0f} MB)")
    if published:
        console.print(f"published to {published}")


def run_events(args) -> int:
    """Run an event pipeline from parsed ``args``; returns the exit status."""
    from rich.console import Console

    from ml.runtime.errors import run_guarded

    console = Console(stderr=True, quiet=bool(getattr(args, "quiet", False)))

    def run() -> int:
        config = config_from_args(args)
        from ml.runtime.output import RunOutput

        protect = [*args.inputs, *(getattr(args, a, None) for a in ("config", "outcome_file", "event_lookup"))]
        store, no_store = getattr(args, "store", None), bool(getattr(args, "no_store", False))
        with RunOutput(args.out, protect, store_url=store, no_store=no_store) as output:
            from ml.events.pipeline import EventPipeline
            from ml.events.rundir import write_event_run_files

            result = EventPipeline(config, log=lambda m: console.log(m)).run(args.inputs)
            out_dir = output.commit(lambda tmp: write_event_run_files(result, tmp, output.run_dir))
        print_summary(console, result, out_dir, output.store_url)
        return 0

    return run_guarded(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.events.cli",
                                     description="Find personas in product-usage event logs (NMF).")
    args = add_event_arguments(parser).parse_args(argv)
    return run_events(args)


if __name__ == "__main__":
    sys.exit(main())
