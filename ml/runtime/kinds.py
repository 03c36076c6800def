"""Run kinds: what ``python -m ml.run [--kind KIND]`` runs (``conversations`` by default, or ``events``).

A ``RunKind`` holds everything that differs between kinds: its command-line flags and the config key
each one sets (``Flag``), its config class, pipeline and run-file writer (as
``"module:attribute"`` names, imported only when a run starts, so ``--help`` stays fast), and the lines
of the summary that only it prints. Everything else exists once, in ``ml.runtime.cli``: the common
flags, reading the config (defaults → ``--config`` file → flags), checking ``--out`` and the store before
any work, writing and publishing the run, and the summary printout.

Each kind is defined next to its pipeline: ``CONVERSATIONS`` here, ``EVENTS`` in ``ml.events.cli``;
``ml.run`` puts them together, so nothing under ``ml.events`` imports ``ml.run``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Flag:
    """One command-line flag: ``key`` is the config key it sets (``"section.key"`` or ``"seed"``; None:
    read by the kind's ``overrides``); ``options`` are ``argparse`` keyword arguments."""

    flag: str
    key: str | None
    help: str = ""
    options: dict = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def add_to(self, parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        """Add the flag to ``parser`` (a group too), ``None`` when not given unless ``options`` say otherwise."""
        parser.add_argument(self.flag, dest=self.dest, help=self.help, **{"default": None, **self.options})


def resolve(ref: str) -> Any:
    """The object a ``"module:attribute"`` name refers to (imported now)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class RunKind:
    """One kind of run; see the module docstring. ``summary(result, manifest)`` returns the kind's own
    summary lines (strings or rich renderables), ``persona_line(persona)`` one line per persona."""

    name: str
    title: str
    help: str
    flags: tuple[Flag, ...]
    config: str
    pipeline: str
    writer: str
    summary: Callable[[Any, dict], list]
    persona_line: Callable[[Any], str]
    personas_listed: int | None = None
    protect: tuple[str, ...] = ()
    overrides: Callable[[argparse.Namespace], dict] | None = None
    progress: bool = False

    def config_class(self):
        return resolve(self.config)

    def make_pipeline(self, config, quiet: bool, log: Callable[[str], None]):
        """The kind's pipeline for ``config``; ``progress`` bars only where the pipeline has them."""
        cls = resolve(self.pipeline)
        return cls(config, progress=not quiet, log=log) if self.progress else cls(config, log=log)

    def write_files(self, result, folder, run_dir) -> None:
        resolve(self.writer)(result, folder, run_dir)



#: ``--time-col``, a flag of both kinds (``ml.events.cli`` uses it too): one declaration, one help text.
TIME_COL = Flag("--time-col", "input.time_col", "column holding the timestamp (events: or a day offset)",
                {"metavar": "C"})

#: ``--where``, a flag of both kinds (``ml.ingest.where``): one segment of a larger dump.
WHERE = Flag("--where", "input.where", "keep only rows whose COLUMN holds VALUE, e.g. airline=United (the file's "
             "own column name; repeat for more values of a column, any of which may match, or more columns, all "
             "of which must)", {"metavar": "COLUMN=VALUE", "action": "append"})

CHECK = Flag("--check", None, "read the inputs, print how they were read (columns, sides, times, what each step "
             "sets aside) and how many members a run would cluster, then stop: nothing is fitted or written",
             {"action": "store_true"})

# -- the conversations kind -------------------------------------------------------------------------
CONVERSATION_FLAGS = (
    Flag("--text-col", "input.text_col", "column holding the message text", {"metavar": "C"}),
    Flag("--id-col", "input.id_col", "column holding a message id", {"metavar": "C"}),
    Flag("--author-col", "input.author_col", "column holding the author id or handle", {"metavar": "C"}),
    TIME_COL,
    Flag("--reply-to-col", "input.reply_to_col", "column holding the id of the message replied to",
         {"metavar": "C"}),
    Flag("--thread-col", "input.thread_col", "column holding the conversation each message belongs to (a ticket "
         "or chat id), for --unit conversation (default: detected by name, else reply-to chains)", {"metavar": "C"}),
    Flag("--inbound-col", "input.inbound_col", "column saying which side wrote each message: true/false, or "
         "roles such as user/agent, end-user/admin, user/assistant (default: detected by name)", {"metavar": "C"}),
    Flag("--outbound-col", "input.outbound_col", "instead of --inbound-col: a flag column that is true where the "
         "company wrote, such as is_agent or is_bot (default: detected by name)", {"metavar": "C"}),
    Flag("--label-col", "input.label_col", "label column used only for evaluation (NMI/ARI/ACC; events: "
         "same as --outcome-col)", {"metavar": "C"}),
    Flag("--unit", "input.unit", "cluster single messages (default), whole reply threads, or all messages "
         "of an author", {"choices": ["message", "conversation", "author"]}),
    Flag("--inbound-only", "input.inbound_only", "support data: keep the customers' side only",
         {"action": "store_true"}),
    CHECK,
    Flag("--sep", "input.sep", "CSV delimiter, e.g. ';' or '\\t' (default: sniffed among , ; tab |)",
         {"metavar": "CHAR"}),
    Flag("--encoding", "input.encoding", "text files' encoding, e.g. cp1252 (default: by byte-order mark, "
         "else UTF-8)", {"metavar": "NAME"}),
    Flag("--keep-agents", "input.keep_agents", "keep brand/agent accounts (support data) and accounts that post "
         "links only (any data); removed by default, see the manifest's 'agents'", {"action": "store_true"}),
    WHERE,
    Flag("--timezone", "input.timezone", "read hours and weekdays in this IANA zone, e.g. America/New_York "
         "(default: the timestamps' own offsets, else UTC); recorded in the manifest's 'time'",
         {"metavar": "AREA/CITY"}),
    Flag("--text-weight", "fusion.text_weight", "share of distance from text (default {fusion.text_weight})",
         {"type": float}),
    Flag("--dims", "reduce.n_components", "UMAP dimensions (default {reduce.n_components})", {"type": int}),
    Flag("--min-cluster-size", "cluster.min_cluster_size", "HDBSCAN min_cluster_size (default: scaled)",
         {"type": int}),
    Flag("--cache-dir", "embed.cache_dir", "cache folder: embeddings, layouts, PII masks, language scores (default PERSONAS_CACHE_DIR)", {"metavar": "DIR"}),
    Flag("--encoder", "embed.encoder", "text encoder (default {embed.encoder})", {"choices": ["fp32", "int8"]}),
    Flag("--executor", "executor", "where per-row work (encoding, row-local features) runs: local (this process, "
         "default {executor}) or ray (Ray Data on RAY_ADDRESS or a local Ray; pip install '.[ray]')",
         {"choices": ["local", "ray"]}),
)


def _quality(met: dict) -> str:
    """"silhouette 0.53, DBCV 0.14, stability 0.64 (1 at best; …)": the run's quality numbers, rounded."""
    def num(v) -> str:
        return "n/a" if v is None else f"{v:.2f}"
    from ml.runtime.quality import stability_note

    return (f"silhouette {num(met.get('silhouette'))}, DBCV {num(met.get('dbcv'))}, stability "
            f"{num(met.get('stability_ari'))}{stability_note(met.get('stability_ari'))} (1 at best; the explorer's "
            "Quality panel says what each measures)")


def _conversation_summary(result, m: dict) -> list:
    from ml.runtime.quality import refit_counts_note

    met = m["metrics"]
    lines = [(f"input {m['counts']['input']} → kept {m['counts']['kept']} {m['unit']}s → "
              f"{m['counts']['personas']} personas; {met['noise_share']:.1%} of the members fit no persona at first "
              "and were placed in their nearest one (flagged as reassigned); " + _quality(met)
              + refit_counts_note(met, m["counts"]["kept"]))]
    g = (m.get("cluster") or {}).get("granularity") or {}
    if g.get("chosen"):
        placed = m["counts"].get("placed") or 0
        of = f" of the {m['counts']['kept'] - placed} sampled members it was fitted on" if placed else ""
        groups = "group" if g.get("rescued") == 1 else "groups"
        extra = (f", and {g['rescued']} smaller dense {groups} (from {g['rescue_size']} members) from the noise"
                 if g.get("rescued") else "")
        if g.get("joined_from"):  # set together with joined_into
            extra += f"; pieces of one topic joined: {g['joined_from']} groups became {g['joined_into']}"
        lines.append(f"granularity: personas from groups of at least {g['chosen']} members{of}{extra}; smaller "
                     "topics join their nearest persona, whose sub-personas may show them; --min-cluster-size N for "
                     f"finer or coarser personas ({g.get('why') or g['rule']})")
    from ml.runtime.selection import agents_kept_line, mostly_set_aside_line

    if kept_line := agents_kept_line(m.get("agents") or {}, m["counts"]["kept"]):
        lines.append(kept_line)
    if most := mostly_set_aside_line(m.get("filtering") or [], m["counts"]["kept"], m["unit"]):
        lines.append(most)
    if met.get("labels"):
        lw, lr = met["labels"]["with_noise"], met["labels"]["reassigned"]
        lines.append(f"labels ({met['labels']['column']}): with noise NMI {lw['nmi']} ARI {lw['ari']} "
                     f"ACC {lw['acc']}; reassigned NMI {lr['nmi']} ARI {lr['ari']} ACC {lr['acc']}")
    return lines


CONVERSATIONS = RunKind(
    name="conversations",
    title="Run",
    help="conversation dumps (CSV, JSONL, Parquet, Excel .xlsx; files or folders): embeddings + behaviour → "
         "HDBSCAN",
    flags=CONVERSATION_FLAGS,
    config="ml.runtime.config:PipelineConfig",
    pipeline="ml.runtime.pipeline:PersonaPipeline",
    writer="ml.runtime.rundir:write_run_files",
    summary=_conversation_summary,
    persona_line=lambda p: f"  #{p.id:<3} {p.share:6.1%}  {p.name}",
    personas_listed=12,
    protect=("cache_dir",),
    progress=True,
)
