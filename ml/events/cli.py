"""The ``events`` run kind: ``python -m ml.run --kind events FILE... --out RUN_DIR [options]``.

``EVENTS`` (an ``ml.runtime.kinds.RunKind``) names the event flags and the ``EventConfig`` key each sets,
the pipeline (``ml.events.pipeline.EventPipeline``), the writer (``ml.events.rundir``), the model
(``ml.events.model.EventRunModel``) and the summary lines only event runs print (the k-selection table,
the outcome association). Reading flags, checking ``--out`` and the store first, writing, publishing
and the rest of the summary are shared with conversation runs (``ml.runtime.cli``). Exit status as
``ml.run``: 0 success, 2 bad input (one line naming the file, row or column and what to do), 1 anything
else (one line; PERSONAS_DEBUG=1 for the traceback), 130 interrupted. ``python -m ml.events.cli`` runs
the same thing with only the event flags. Nothing here imports ``ml.run``.
"""

from __future__ import annotations

import argparse
import itertools
import sys

from ml.runtime.kinds import CHECK, TIME_COL, WHERE, Flag, RunKind


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _names(value: str) -> dict[str, str]:
    """``--outcome-names 1=dropped out,0=stayed`` → {"1": "dropped out", "0": "stayed"}."""
    pairs = [part.split("=", 1) for part in _csv(value)]
    if not pairs or any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise argparse.ArgumentTypeError(f"{value!r}: give VALUE=NAME pairs separated by commas, e.g. "
                                         "1=dropped out,0=stayed")
    return {k.strip(): v.strip() for k, v in pairs}


def _numbers(value: str) -> list[float]:
    """``--outcome-bins 0,40,70,101`` → edges, rising; argparse turns the error into a one-line usage error."""
    try:
        edges = [float(v) for v in _csv(value)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: give numbers separated by commas, e.g. 0,40,70,101") from None
    if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise argparse.ArgumentTypeError(f"{value!r}: give two or more rising edges, e.g. 0,40,70,101")
    return edges


EVENT_FLAGS = (
    TIME_COL,
    WHERE,
    CHECK,
    Flag("--label-col", None, "same as --outcome-col", {"metavar": "C"}),
    Flag("--layout", "input.layout", "rows: one event per row; matrix: counts in columns",
         {"choices": ["auto", "rows", "matrix"]}),
    Flag("--user-col", "input.user_cols", "user key column(s), e.g. module,presentation,student",
         {"type": _csv, "metavar": "C[,C]"}),
    Flag("--event-col", "input.event_cols", "event-name column(s); matrix layout: count columns",
         {"type": _csv, "metavar": "C[,C]"}),
    Flag("--count-col", "input.count_col", "per-row count (e.g. sum_click)", {"metavar": "C"}),
    Flag("--group-col", "input.group_cols", "cohort column(s) for per-group normalising",
         {"type": _csv, "metavar": "C[,C]"}),
    Flag("--outcome-col", "input.outcome_col", "outcome for evaluation only", {"metavar": "C"}),
    Flag("--outcome-file", "input.outcome_file", "table with the outcome", {"metavar": "FILE"}),
    Flag("--outcome-key-col", "input.outcome_key_cols", "user key in the outcome file (default: --user-col)",
         {"type": _csv, "metavar": "C[,C]"}),
    Flag("--outcome-bins", "input.outcome_bins", "cut a numeric outcome at these edges, e.g. 0,40,70,101 (each "
         "band holds its lower edge; default: three bands of equal size)", {"type": _numbers, "metavar": "X,X[,X]"}),
    Flag("--outcome-names", "input.outcome_names", "what outcome values mean, e.g. 1=dropped out,0=stayed",
         {"type": _names, "metavar": "V=NAME[,V=NAME]"}),
    Flag("--event-lookup", "input.event_lookup", "table mapping an id column to event names", {"metavar": "FILE"}),
    Flag("--event-lookup-key", "input.event_lookup_key", "", {"metavar": "C"}),
    Flag("--event-lookup-value", "input.event_lookup_value", "", {"metavar": "C"}),
    Flag("--assume-year", "input.assume_year", "year for dates written without one", {"type": int}),
    Flag("--timezone", "input.timezone", "read hours and weekdays in this IANA zone, e.g. Europe/Dublin (default: "
         "each time's own offset, else as written); recorded in the manifest's 'time'", {"metavar": "AREA/CITY"}),
    Flag("--window-start", "matrix.window_start", "", {"type": float, "metavar": "DAY"}),
    Flag("--window-end", "matrix.window_end", "", {"type": float, "metavar": "DAY"}),
    Flag("--window-origin", "matrix.window_origin", "", {"choices": ["data", "user"]}),
    Flag("--min-user-events", "matrix.min_user_events", "", {"type": int}),
    Flag("--max-events", "matrix.max_events", "keep the top N event types by reach", {"type": int}),
    Flag("--weighting", "matrix.weighting", "", {"choices": ["log", "tfidf", "raw"]}),
    Flag("--row-normalize", "matrix.row_normalize", "", {"choices": ["l1", "l2", "none"]}),
    Flag("--no-group-normalize", None, "do not scale event columns within each --group-col cohort",
         {"action": "store_true"}),
    Flag("--k", "nmf.k", "fix the number of personas (default: chosen by CV)", {"type": int}),
    Flag("--k-min", "nmf.k_min", "", {"type": int}),
    Flag("--k-max", "nmf.k_max", "", {"type": int}),
    Flag("--mixed-margin", "nmf.mixed_margin", "", {"type": float}),
)


def _overrides(args) -> dict:
    """What no single flag says: ``--label-col`` stands for ``--outcome-col``; ``--no-group-normalize``."""
    out = {}
    if getattr(args, "label_col", None) and not getattr(args, "outcome_col", None):
        out["input.outcome_col"] = args.label_col
    if getattr(args, "no_group_normalize", None):
        out["matrix.group_normalize"] = False
    return out


def fixed_k_line(met: dict, nmf: dict) -> str | None:
    """What a fixed ``--k`` gave, when it is not what was asked: components that were no user's persona (dropped),
    and personas smaller than an automatic k allows (``nmf.min_persona_share``; one of one user describes a person,
    not a group). None for a k chosen by cross-validation."""
    if met.get("k_chosen_by") != "fixed" or not nmf.get("k"):
        return None
    parts = []
    dropped = int(met.get("empty_components_dropped") or 0)
    if dropped:
        parts.append(f"{dropped} of its {nmf['k']} components {'was' if dropped == 1 else 'were'} no user's largest "
                     f"share and {'was' if dropped == 1 else 'were'} dropped, leaving {met.get('n_personas')} personas")
    floor = float(nmf.get("min_persona_share") or 0.0)
    if met.get("min_share") is not None and float(met["min_share"]) < floor:
        parts.append(f"the smallest persona holds {float(met['min_share']):.1%} of the users, under the {floor:.0%} "
                     "a k chosen from the data allows: read the smallest ones as a few individuals, or choose a "
                     "smaller --k (or none)")
    return f"--k {nmf['k']}: " + "; ".join(parts) if parts else None


def _summary(result, m: dict) -> list:
    from rich.table import Table

    from ml.events.profile import mixed_note
    from ml.runtime.quality import stability_note

    met, lines = m["metrics"], []
    if met["k_selection"]:
        how = {"cv (lowest held-out error)": "the k with the lowest error is chosen",
               "cv (one standard error rule)": "the smallest k within one standard error of the lowest is chosen"}
        sampled = met["k_selection"][0].get("users")  # a sample of the users above cv_max_users (EventPersonaModel)
        on = (f"; every column measured on {sampled:,} of the {m['counts']['kept']:,} users, the run's own figures are "
              "below" if sampled and sampled < m["counts"]["kept"] else "")
        kt = Table(title=f"k by held-out reconstruction error: {how.get(met['k_chosen_by'], met['k_chosen_by'])}{on}")
        for col in ("k", "cv error ± se", "silhouette", "balance", "min share", ""):
            kt.add_column(col)
        for r in met["k_selection"]:
            kt.add_row(str(r["k"]), f"{r['cv_error']:.4f} ± {r['cv_se']:.4f}", str(r["silhouette"]),
                       f"{r['balance']:.2f}", f"{r['min_share']:.1%}", "chosen" if r["chosen"] else "")
        lines.append(kt)
    lines.append(f"{m['counts']['input']} rows → {m['counts']['kept']} users × {m['counts']['event_types']} "
                 f"event types → {m['counts']['personas']} personas; mixed {met['mixed_share']:.1%}"
                 f"{mixed_note(met['mixed_share'])}, "
                 f"silhouette {met['silhouette']}, " + (
                     f"stability ARI {met['stability_ari']} (agreement of a refit on 80% of the users with the full "
                     f"fit; 1 = the same personas){stability_note(met['stability_ari'], 'users')}"
                     if met.get("stability_ari") is not None
                     else "stability not measured (too few users for a refit on 80% of them)"))
    fixed = fixed_k_line(met, (m.get("config") or {}).get("nmf") or {})
    if fixed:
        lines.append(fixed)
    load = (m.get("source") or {}).get("load") or {}
    if load.get("user_unread"):
        from ml.events.pipeline import user_unread_line

        lines.append(user_unread_line(load["user_unread"], ((m.get("source") or {}).get("mapping") or {}).get("user")))
    if load.get("duplicate_rows"):
        from ml.events.pipeline import duplicate_rows_line

        lines.append(duplicate_rows_line(load["duplicate_rows"], load.get("rows") or 0))
    if load.get("time_unread"):
        from ml.events.pipeline import time_unread_line

        lines.append(time_unread_line(load["time_unread"], ((m.get("source") or {}).get("mapping") or {}).get("time")))
    if load.get("user_split"):
        from ml.events.pipeline import user_split_line

        lines.append(user_split_line(load["user_split"], ((m.get("source") or {}).get("mapping") or {}).get("user")))
    outcomes = met.get("outcomes")
    if outcomes:
        kmeans = outcomes["kmeans"]["cramers_v"] if outcomes["kmeans"] else None
        unread = outcomes["nmf"].get("unread") or 0
        said = ", ".join(map(repr, outcomes["nmf"].get("unread_examples") or []))
        left = ("" if not unread else f"; 1 user's outcome is no number ({said}), left out" if unread == 1
                else f"; {unread} users' outcomes are no numbers ({said}), left out")
        vol = outcomes.get("volume") or {}
        lines.append(f"outcome {outcomes['column']}: Cramér's V {outcomes['nmf']['cramers_v']} (k-means {kmeans}"
                     + (f"; users cut into {len(vol['personas'])} groups by how many events they logged "
                        f"{vol['cramers_v']}" if vol.get("cramers_v") is not None else "") + ")" + left)
    return lines


EVENTS = RunKind(
    name="events",
    title="Event run",
    help="product-usage event logs (users × events, NMF; docs/events.md)",
    flags=EVENT_FLAGS,
    config="ml.events.config:EventConfig",
    pipeline="ml.events.pipeline:EventPipeline",
    writer="ml.events.rundir:write_event_run_files",
    summary=_summary,
    persona_line=lambda p: f"  #{p.id:<3} {p.share:6.1%}  {p.name}  ({', '.join(t.event for t in p.top_events[:3])})",
    protect=("outcome_file", "event_lookup"),
    overrides=_overrides,
)


def main(argv: list[str] | None = None) -> int:
    """``python -m ml.events.cli``: an event run with only the event flags (no ``--kind``)."""
    from ml.runtime import cli

    parser = cli.build_parser({"events": EVENTS}, prog="python -m ml.events.cli",
                              description="Find personas in product-usage event logs (NMF).")
    return cli.main(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
