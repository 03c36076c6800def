"""Command line: ``python -m ml.run INPUT [INPUT ...] --out RUN_DIR [options]``.

Exit status: 0 success, 2 bad input (one line on stderr naming the file, row or column and what to
do), 1 anything else (one line; set PERSONAS_DEBUG=1 for the traceback). ``--out`` and the store are
checked before any work (``ml.runtime.output.RunOutput``); the run directory and the store's latest run change
together or not at all, so a failed run never replaces the last good one.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FLAG_TO_CONFIG = {
    "text_col": ("input", "text_col"),
    "id_col": ("input", "id_col"),
    "author_col": ("input", "author_col"),
    "time_col": ("input", "time_col"),
    "reply_to_col": ("input", "reply_to_col"),
    "label_col": ("input", "label_col"),
    "unit": ("input", "unit"),
    "inbound_only": ("input", "inbound_only"),
    "sep": ("input", "sep"),
    "encoding": ("input", "encoding"),
    "keep_agents": ("input", "keep_agents"),
    "timezone": ("input", "timezone"),
    "text_weight": ("fusion", "text_weight"),
    "cache_dir": ("embed", "cache_dir"),
    "encoder": ("embed", "encoder"),
    "min_cluster_size": ("cluster", "min_cluster_size"),
    "dims": ("reduce", "n_components"),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ml.run",
        description="Find behavioral personas in conversation dumps (CSV, JSONL, Parquet; files or folders).",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders of conversations")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory to write")
    p.add_argument("--store", metavar="URL", default=None,
                   help="results store: sqlite:///path.db (default: PERSONAS_STORE_URL or ~/.personas) "
                        "or firestore://PROJECT")
    p.add_argument("--no-store", action="store_true", help="write the run directory only")
    for flag, help_text in [
        ("--text-col", "column holding the message text"),
        ("--id-col", "column holding a message id"),
        ("--author-col", "column holding the author id or handle"),
        ("--time-col", "column holding the timestamp"),
        ("--reply-to-col", "column holding the id of the message replied to"),
        ("--label-col", "label column used only for evaluation (NMI/ARI/ACC)"),
    ]:
        p.add_argument(flag, metavar="C", default=None, help=help_text)
    p.add_argument("--unit", choices=["message", "conversation", "author"], default=None,
                   help="cluster single messages (default), whole reply threads, or all messages of an author")
    p.add_argument("--inbound-only", action="store_true", default=None,
                   help="support data: keep the customers' side only")
    p.add_argument("--sep", default=None, metavar="CHAR",
                   help="CSV delimiter, e.g. ';' or '\\t' (default: sniffed among , ; tab |)")
    p.add_argument("--encoding", default=None, metavar="NAME",
                   help="text files' encoding, e.g. cp1252 (default: by byte-order mark, else UTF-8)")
    p.add_argument("--keep-agents", action="store_true", default=None,
                   help="support data: keep brand/agent accounts (removed by default; see the manifest's 'agents')")
    p.add_argument("--timezone", default=None, metavar="AREA/CITY",
                   help="read hours and weekdays in this IANA zone, e.g. America/New_York (default: the "
                        "timestamps' own offsets, else UTC); recorded in the manifest's 'time'")
    p.add_argument("--text-weight", type=float, default=None, help="share of distance from text (default 0.75)")
    p.add_argument("--dims", type=int, default=None, help="UMAP dimensions (default 50)")
    p.add_argument("--min-cluster-size", type=int, default=None, help="HDBSCAN min_cluster_size (default: scaled)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 42)")
    p.add_argument("--cache-dir", default=None, help="embedding cache folder (default PERSONAS_CACHE_DIR)")
    p.add_argument("--encoder", choices=["fp32", "int8"], default=None, help="text encoder (default fp32)")
    p.add_argument("--config", default=None, metavar="FILE", help="YAML/JSON file with PipelineConfig values")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--kind", choices=["conversations", "events"], default="conversations",
                   help="conversations (default) or product-usage event logs (users x events, NMF)")
    from ml.events.cli import add_event_arguments

    add_event_arguments(p)
    return p


def config_from_args(args):
    from ml.runtime.config import PipelineConfig

    config = PipelineConfig.from_file(args.config) if args.config else PipelineConfig()
    overrides: dict = {}
    for attr, (section, key) in FLAG_TO_CONFIG.items():
        value = getattr(args, attr, None)
        if value is not None:
            overrides.setdefault(section, {})[key] = value
    if args.seed is not None:
        overrides["seed"] = args.seed
    return config.updated(overrides) if overrides else config


def _print_summary(console, result, out_dir: Path, published: str | None) -> None:
    from rich.table import Table

    m = result.manifest.model_dump(mode="json")
    table = Table(title=f"Run {result.run_id}", show_header=True)
    table.add_column("filter stage")
    table.add_column("removed", justify="right")
    table.add_column("kept", justify="right")
    for stage in m["filtering"]:
        table.add_row(stage["stage"], str(stage["removed"]), str(stage["kept"]))
    console.print(table)
    met = m["metrics"]
    console.print(
        f"input {m['counts']['input']} → kept {m['counts']['kept']} {m['unit']}s → "
        f"{m['counts']['personas']} personas; noise before reassignment {met['noise_share']:.1%}, "
        f"silhouette {met['silhouette']}, DBCV {met['dbcv']}, stability ARI {met['stability_ari']}"
    )
    if met.get("labels"):
        lw, lr = met["labels"]["with_noise"], met["labels"]["reassigned"]
        console.print(f"labels ({met['labels']['column']}): with noise NMI {lw['nmi']} ARI {lw['ari']} ACC {lw['acc']}; "
                      f"reassigned NMI {lr['nmi']} ARI {lr['ari']} ACC {lr['acc']}")
    for p in sorted(result.personas, key=lambda p: -p.size)[:12]:
        console.print(f"  #{p.id:<3} {p.share:6.1%}  {p.name}")
    console.print(f"run directory: {out_dir}  ({m['timings_s']['total']:.0f}s, peak RSS {m['peak_rss_mb']:.0f} MB)")
    if published:
        console.print(f"published to {published}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.kind == "events":
        from ml.events.cli import run_events

        return run_events(args)
    from rich.console import Console

    from ml.runtime.errors import run_guarded

    console = Console(stderr=True, quiet=args.quiet)

    def run() -> int:
        config = config_from_args(args)
        from ml.runtime.output import RunOutput

        protect = [*args.inputs, args.config, args.cache_dir]
        with RunOutput(args.out, protect, store_url=args.store, no_store=args.no_store) as output:
            from ml.runtime.pipeline import PersonaPipeline
            from ml.runtime.rundir import write_run_files

            pipeline = PersonaPipeline(config, progress=not args.quiet, log=lambda m: console.log(m))
            result = pipeline.run(args.inputs)
            out_dir = output.commit(lambda tmp: write_run_files(result, tmp, output.run_dir))
        _print_summary(console, result, out_dir, output.store_url)
        return 0

    return run_guarded(run)


if __name__ == "__main__":
    sys.exit(main())
