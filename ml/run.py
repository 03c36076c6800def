"""Command line: ``python -m ml.run INPUT [INPUT ...] --out RUN_DIR [--kind conversations|events] [options]``.

The one command line for every run kind (``ml.runtime.kinds``): ``conversations`` (default) and
``events`` (``ml.events.cli.EVENTS``, docs/events.md). Exit status: 0 success, 2 bad input (one line
on stderr naming the file, row or column and what to do), 1 anything else (one line; set
PERSONAS_DEBUG=1 for the traceback), 130 interrupted. ``--out`` and the store are checked before any
work (``ml.runtime.output.RunOutput``); the run directory and the store's latest run change together or
not at all, so a failed run never replaces the last good one. The machinery is ``ml.runtime.cli``.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ml.events.cli import EVENTS
from ml.runtime import cli
from ml.runtime.kinds import CONVERSATIONS

KINDS = {kind.name: kind for kind in (CONVERSATIONS, EVENTS)}


def build_parser() -> argparse.ArgumentParser:
    return cli.build_parser(KINDS, prog="python -m ml.run",
                            description="Find behavioral personas in conversation dumps (CSV, JSONL, Parquet, "
                                        "Excel .xlsx; files or folders) or, with --kind events, in product-usage event logs.")


def config_from_args(args: argparse.Namespace):
    """The config of the run ``args`` ask for (``--kind``; conversations by default)."""
    return cli.config_from_args(cli.kind_of(args), args)


def main(argv: list[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
