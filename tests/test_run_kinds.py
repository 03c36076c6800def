"""The run-kind registry (ml.runtime.kinds) behind the one command line (ml.run, ml.runtime.cli)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from ml.runtime.errors import InputError
from ml.runtime.kinds import resolve
from tests.conftest import REPO

BLOCK_ML_RUN = """
import importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "ml.run":
            raise ImportError("ml.run is blocked")
sys.meta_path.insert(0, Block())
import ml.events
for mod in pkgutil.iter_modules(ml.events.__path__):
    importlib.import_module("ml.events." + mod.name)
from ml.events.cli import EVENTS
from ml.runtime import cli
parser = cli.build_parser({"events": EVENTS}, prog="x", description="x")
args = parser.parse_args(["e.csv", "--out", "run", "--k", "3"])
assert cli.config_from_args(cli.kind_of(args), args).nmf.k == 3
sys.exit("ml.run" in sys.modules)
"""


def _imports(path: Path) -> set[str]:
    """Every module a file imports (at the top or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_no_import_circle_between_ml_run_and_ml_events():
    for path in sorted((REPO / "ml" / "events").glob("*.py")):
        assert not any(m == "ml.run" or m.startswith("ml.run.") for m in _imports(path)), path.name
    for path in (REPO / "ml" / "runtime" / "kinds.py", REPO / "ml" / "runtime" / "cli.py"):
        assert "ml.run" not in _imports(path), path.name
    # and at run time: every ml.events module imports, and an event run is configured, with ml.run blocked
    proc = subprocess.run([sys.executable, "-c", BLOCK_ML_RUN], check=False, cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_kind_names_real_parts_and_config_keys():
    from ml.run import KINDS

    assert list(KINDS) == ["conversations", "events"]
    for kind in KINDS.values():
        config = kind.config_class()()
        assert callable(resolve(kind.pipeline).run) and callable(resolve(kind.writer))
        dumped = config.model_dump()
        for flag in kind.flags:
            if flag.key is None:
                continue
            section, _, key = flag.key.rpartition(".")
            assert key in (dumped[section] if section else dumped), f"{kind.name} {flag.flag} → {flag.key}"


def test_flags_set_the_chosen_kinds_config():
    from ml.run import build_parser, config_from_args

    args = build_parser().parse_args(["a.csv", "--out", "r", "--dims", "7", "--text-weight", "0.5", "--seed", "3",
                                      "--time-col", "when"])
    config = config_from_args(args)
    assert (config.reduce.n_components, config.fusion.text_weight, config.seed) == (7, 0.5, 3)
    assert config.input.time_col == "when"
    args = build_parser().parse_args(["e.csv", "--kind", "events", "--out", "r", "--label-col", "grade", "--k", "4",
                                      "--no-group-normalize", "--user-col", "a,b", "--time-col", "day"])
    config = config_from_args(args)
    assert config.input.outcome_col == "grade" and config.nmf.k == 4 and config.input.user_cols == ["a", "b"]
    assert config.matrix.group_normalize is False and config.input.time_col == "day"


def test_a_flag_of_the_other_kind_is_refused_in_one_line(tmp_path, capsys):
    from ml.run import build_parser, config_from_args, main

    args = build_parser().parse_args(["e.csv", "--kind", "events", "--out", "r", "--dims", "7"])
    with pytest.raises(InputError, match="--dims is a flag of --kind conversations"):
        config_from_args(args)
    code = main(["a.csv", "--out", str(tmp_path / "run"), "--no-store", "--k", "3", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--k is a flag of --kind events" in err
    assert not (tmp_path / "run").exists()


def test_help_shows_the_configs_defaults(capsys):
    from ml.reduce import N_COMPONENTS
    from ml.run import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"UMAP dimensions (default {N_COMPONENTS})" in text
    assert "share of distance from text (default 0.75)" in text and "random seed (default 42)" in text


def test_event_command_line_has_only_event_flags(capsys):
    from ml.events.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "--k K" in text and "--outcome-file" in text
    assert "--kind" not in text and "--dims" not in text and "--text-col" not in text
