"""The one command line behind ``python -m ml.run`` (and ``python -m ml.events.cli``), for any run kind.

``build_parser(kinds, prog, description)`` has the common flags (inputs, ``--out``, ``--store``,
``--no-store``, ``--config``, ``--seed``, ``--quiet``, ``--series``, ``--baseline``, ``--notify``, ``--kind``
when there are several kinds) and each
kind's own (``ml.runtime.kinds.RunKind.flags``; a flag two kinds share is added once, the others in a
group per kind). ``config_from_args(kind, args)`` reads the kind's config: defaults, then ``--config``,
then flags; a flag of another kind is refused. ``run(kind, args)`` checks ``--out`` and the store first
(``ml.runtime.output.RunOutput``), runs the pipeline, writes the run with the kind's writer, publishes
it and swaps the run directory in (with ``--baseline``/``--series`` the comparison with the baseline is
written into the staged directory first and published with it: ``ml.runtime.series``), then prints the
summary and calls the ``--notify`` webhook; with ``--check`` (conversation runs) it reads the inputs, prints how
they were read and what a run would cluster, and stops (``check``). Exit status: 0 success, 2 bad input (one
line naming the file, row or column and what to do), 1 anything else (one line; PERSONAS_DEBUG=1 for
the traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ml.runtime.errors import CommandParser, InputError, run_guarded
from ml.runtime.gcfreeze import frozen_libraries
from ml.runtime.kinds import Flag, RunKind

COMMON = (
    Flag("--out", None, "run directory to write (not with --check)", {"metavar": "RUN_DIR"}),
    Flag("--store", None, "results store: sqlite:///path.db (default: PERSONAS_STORE_URL or ~/.personas) "
         "or firestore://PROJECT", {"metavar": "URL"}),
    Flag("--no-store", None, "write the run directory only", {"action": "store_true"}),
    Flag("--config", None, "YAML/JSON file with the run's config values (conversations: PipelineConfig; "
         "events: EventConfig)", {"metavar": "FILE"}),
    Flag("--seed", "seed", "random seed (default {seed})", {"type": int}),
    Flag("--quiet", None, "no progress output", {"action": "store_true"}),
    Flag("--series", None, "the series this run belongs to; compared with the series' newest run in the store "
         "unless --baseline says otherwise (docs/drift.md)", {"metavar": "NAME"}),
    Flag("--baseline", None, "compare with this run and store the comparison with the new one: latest (the "
         "series' newest run, or the store's), a stored run id, or a run directory", {"metavar": "latest|RUN_ID"}),
    Flag("--notify", None, "POST a JSON drift summary to this http(s) URL when the comparison crosses a "
         "threshold (5 s timeout; a failure never fails the run)", {"metavar": "URL"}),
)
_PLACEHOLDER = re.compile(r"\{(\w+(?:\.\w+)*)\}")


def _help_formatter(kinds: Mapping[str, RunKind]) -> type[argparse.HelpFormatter]:
    """A formatter that fills ``{section.key}`` in help texts with the config's default, importing the
    config classes only when help is printed (so the defaults are written in one place: the config)."""

    dumps: list[dict] = []  # each kind's default config, made once when the first help text needs it

    def default(match: re.Match) -> str:
        if not dumps:
            dumps.extend(kind.config_class()().model_dump() for kind in kinds.values())
        for value in dumps:
            for part in match.group(1).split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                return str(value)
        return match.group(0)

    class Formatter(argparse.HelpFormatter):
        def _get_help_string(self, action):
            return _PLACEHOLDER.sub(default, action.help or "")

    return Formatter


def build_parser(kinds: Mapping[str, RunKind], prog: str, description: str) -> argparse.ArgumentParser:
    """The parser for ``kinds`` (the first is the default ``--kind``); see the module docstring."""
    p = CommandParser(prog=prog, description=description, formatter_class=_help_formatter(kinds))
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to read")
    for f in COMMON:
        f.add_to(p)
    if len(kinds) > 1:
        p.add_argument("--kind", choices=list(kinds), default=next(iter(kinds)),
                       help="; ".join(f"{k.name}: {k.help}" for k in kinds.values()))
    seen = set(p._option_string_actions)
    for i, kind in enumerate(kinds.values()):
        group = p if i == 0 else p.add_argument_group(f"{kind.name} runs (--kind {kind.name})")
        for f in kind.flags:
            if f.flag not in seen:
                f.add_to(group)
                seen.add(f.flag)
    p.set_defaults(_kinds=dict(kinds))
    return p


def kind_of(args: argparse.Namespace) -> RunKind:
    kinds = args._kinds
    return kinds[getattr(args, "kind", None) or next(iter(kinds))]


def _set(overrides: dict, key: str, value) -> None:
    section, _, name = key.rpartition(".")
    (overrides.setdefault(section, {}) if section else overrides)[name] = value


def _refuse_foreign_flags(kind: RunKind, args: argparse.Namespace) -> None:
    own = {f.dest for f in (*COMMON, *kind.flags)}
    for other in args._kinds.values():
        for f in other.flags:
            if f.dest not in own and getattr(args, f.dest, None) is not None:
                raise InputError(f"{f.flag} is a flag of --kind {other.name}, not of --kind {kind.name}; "
                                 f"drop it or pass --kind {other.name}")


def config_from_args(kind: RunKind, args: argparse.Namespace):
    """The kind's config: its defaults, then ``--config``, then the flags given (see the module docstring)."""
    _refuse_foreign_flags(kind, args)
    cls = kind.config_class()
    config = cls.from_file(args.config) if getattr(args, "config", None) else cls()
    overrides: dict = {}
    for f in (*COMMON, *kind.flags):
        value = getattr(args, f.dest, None)
        if f.key is not None and value is not None:
            _set(overrides, f.key, value)
    for key, value in (kind.overrides(args) if kind.overrides else {}).items():
        _set(overrides, key, value)
    if not overrides:
        return config
    try:
        return config.updated(overrides)
    except InputError as err:  # name the flag the user typed, not only the config key it sets
        for f in (*COMMON, *kind.flags):
            head = f"command line: invalid value for '{f.key}': "
            if f.key and getattr(args, f.dest, None) is not None and err.message.startswith(head):
                raise InputError(f"{f.flag} {getattr(args, f.dest)}: invalid value (config key {f.key}): "
                                 f"{err.message[len(head):]}") from None
        raise


def print_summary(console, kind: RunKind, result, out_dir: Path, published: str | None,
                  names: dict[int, str] | None = None) -> None:
    """The run's filter stages, the kind's own lines, its personas by size, where it went. ``names``: the
    names the run was published with where they differ from the fit's own (a persona that continues one of
    the baseline keeps its name, ``ml.runtime.series``), so the list says what the explorer and API say."""
    from rich.table import Table

    m = result.manifest.model_dump(mode="json")
    cols = ["stage", "unit", "removed", "kept"] if any("unit" in s for s in m["filtering"]) else \
        ["stage", "removed", "kept"]
    table = Table(title=f"{kind.title} {result.run_id}")
    for col in cols:
        table.add_column(col, justify="right" if col in ("removed", "kept") else "left")
    for stage in m["filtering"]:
        table.add_row(*(str(stage.get(col, "")) for col in cols))
    console.print(table)
    for line in kind.summary(result, m):
        console.print(line)
    names = names or {}
    if any(names.get(p.id, p.name) != p.name for p in result.personas):
        console.print("names of personas that continue the baseline's are kept from it while they still describe "
                      "them (comparison.json: own_name, renamed_from)")
    for p in sorted(result.personas, key=lambda p: -p.size)[: kind.personas_listed]:
        console.print(kind.persona_line(p.model_copy(update={"name": names.get(p.id, p.name)})))
    if kind.personas_listed and (more := len(result.personas) - kind.personas_listed) > 0:
        console.print(f"  … {more} more {'persona' if more == 1 else 'personas'}, smaller (personas.json)")
    console.print(f"run directory: {out_dir}  ({m['timings_s']['total']:.0f}s, peak RSS {m['peak_rss_mb']:.0f} MB)")
    if published:
        console.print(f"published to {published}")


def _series_plan(kind: RunKind, args: argparse.Namespace, config, output):
    """``--series`` / ``--baseline`` / ``--notify`` checked before any work (``ml.runtime.series``)."""
    from ml.runtime.fingerprint import inputs_fingerprint
    from ml.runtime.series import SeriesPlan

    store = output.publisher.store if output.publisher is not None else None
    series = getattr(args, "series", None)
    return SeriesPlan.resolve(series, getattr(args, "baseline", None), getattr(args, "notify", None), store,
                              kind.name, config.model_dump(mode="json"),
                              inputs_fingerprint(args.inputs) if series is not None else None)


@contextmanager
def cache_folder(config) -> Iterator[None]:
    """While a run with ``embed.cache_dir`` set (``--cache-dir``) runs, ``PERSONAS_CACHE_DIR`` names that folder too,
    so the per-text caches that read only the environment (PII masks, language scores; the background masker's
    child processes inherit it) live beside the embeddings, as the README says; restored afterwards."""
    folder = getattr(getattr(config, "embed", None), "cache_dir", None)
    if not folder:  # None: the default folder already; "": no embedding cache, the others as the environment says
        yield
        return
    from ml.text_cache import cache_dir_env

    with cache_dir_env(folder):
        yield


def run(kind: RunKind, args: argparse.Namespace) -> int:
    """Run ``kind`` on the parsed ``args``; returns the exit status (see the module docstring)."""
    from rich.console import Console

    console = Console(stderr=True, quiet=bool(args.quiet))

    def work() -> int:
        config = config_from_args(kind, args)
        if getattr(args, "check", False):
            return check(kind, args, config, console)
        if not args.out:
            can_check = any(f.flag == "--check" for f in kind.flags)
            raise InputError("--out RUN_DIR is needed: the folder to write the run to"
                             + (" (or --check to read the inputs only)" if can_check else ""))
        from ml.runtime.output import RunOutput
        from ml.runtime.series import AlreadyInSeries

        protect = [*args.inputs, args.config, *(getattr(args, dest, None) for dest in kind.protect)]
        baseline = getattr(args, "baseline", None)
        if baseline and Path(baseline).is_dir():  # a baseline run directory: never replaced nor moved aside
            protect.append(baseline)
        output = RunOutput(args.out, protect, store_url=args.store, no_store=bool(args.no_store))
        try:
            with output:
                plan = _series_plan(kind, args, config, output)
                if getattr(config, "executor", "local") == "ray":  # a cluster that does not answer, before any work
                    from ml.runtime.executor_ray import check_address

                    check_address()
                pipeline = kind.make_pipeline(config, quiet=bool(args.quiet), log=lambda msg: console.log(msg))
                with frozen_libraries(), cache_folder(config):  # ml.runtime.gcfreeze; every cache in --cache-dir
                    result = pipeline.run(args.inputs)

                def fill(tmp: Path) -> None:
                    kind.write_files(result, tmp, output.run_dir)
                    plan.apply(tmp, output.run_dir)  # series, comparison and lineage, published with the run

                out_dir = output.commit(fill)
            print_summary(console, kind, result, out_dir, output.store_url, plan.published_names())
            if replaced := output.replaced_line():
                console.log(replaced)
            plan.report(console)
            plan.notify(console)
            print(out_dir, flush=True)  # stdout holds the run directory only, --quiet too: RUN=$(python -m ml.run …)
        except AlreadyInSeries as exc:  # a retry of a run that succeeded: nothing to do, and no failure (said with
            print(str(exc), file=sys.stderr, flush=True)  # --quiet too: the scheduler's log should show it)
        except KeyboardInterrupt as exc:
            if output.swapped:  # the run is in place: say so, not "unchanged" (run_guarded)
                exc.kept = (f"the run was already written to {output.run_dir}"
                            f"{' and published' if output.store_url else ''}")
            raise
        return 0

    return run_guarded(work)


# "ingest ...", "filter done in 0.6s (memory now …)", and the one stage line no summary line repeats
_PROGRESS = re.compile(r"^([\w-]+ (\.\.\.$|done in )|agents: \d+ given names)")


def check(kind: RunKind, args: argparse.Namespace, config, console) -> int:
    """``--check``: read the inputs, say how they were read and what a run would cluster, and stop; nothing
    is fitted, written or published but the per-text caches a run would fill (the kind's pipeline's
    ``check``). Exit 2 when a run would stop for too few members."""
    if args.out or args.series or args.baseline or args.notify:
        raise InputError("--check reads the inputs only: drop --out, --series, --baseline and --notify")
    # the stages' progress on stderr; what they read is printed once, below (a help-desk review saw every line twice)
    pipeline = kind.make_pipeline(config, quiet=True, log=lambda msg: console.log(msg) if _PROGRESS.match(msg) else None)
    with cache_folder(config):  # the per-text caches (language ids) a run would fill, in --cache-dir
        lines, enough = pipeline.check(args.inputs)
    for line in lines:
        print(line)
    return 0 if enough else 2


def main(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse ``argv`` with ``parser`` (from ``build_parser``) and run the chosen kind."""
    args = parser.parse_args(argv)
    return run(kind_of(args), args)
