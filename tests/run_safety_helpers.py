"""Helpers for the run-directory safety tests: earlier runs on disk, snapshots of folders, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ml.runtime.atomic import write_marker
from ml.runtime.runfiles import write_json
from tests.conftest import REPO
from tests.store.synthetic import make_bundle


def write_bundle_files(folder: Path, run_id: str, run_dir: Path | None = None, sizes=(30, 12)) -> None:
    """A run's files (synthetic contents, real formats) in ``folder``, as the run writers lay them out."""
    bundle = make_bundle(run_id, list(sizes), created_at=f"2026-0{len(run_id) % 9 + 1}-01T00:00:00Z")
    manifest = dict(bundle.manifest, run_dir=str(run_dir or folder))
    write_json(folder / "manifest.json", manifest)
    write_json(folder / "personas.json", bundle.personas)
    bundle.members.to_parquet(folder / "assignments.parquet", index=False)
    (folder / "model").mkdir()
    (folder / "model" / "params.json").write_text("{}")


def make_previous_run(out: Path, run_id: str = "earlier-good-run", marker: bool = True) -> Path:
    """A run directory as this tool leaves it (with its marker, or a legacy one without)."""
    out.mkdir(parents=True)
    write_bundle_files(out, run_id)
    if marker:
        write_marker(out)
    return out


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (hidden ones too) with its bytes (None for folders)."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def manifest_run_id(out: Path) -> str:
    return json.loads((out / "manifest.json").read_text())["run_id"]


def run_main(args: list[str], capsys) -> tuple[int, list[str], float]:
    """``python -m ml.run ARGS --quiet`` in this process: exit status, stderr's lines, seconds taken."""
    from ml.run import main

    capsys.readouterr()
    start = time.monotonic()
    code = main([*args, "--quiet"])
    took = time.monotonic() - start
    err = capsys.readouterr().err
    return code, [ln for ln in err.splitlines() if ln.strip()], took


def run_subprocess(args: list[str], env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                   cwd: Path = REPO):
    """``python -m ml.run ARGS --quiet`` as its own process (``env`` added, ``drop`` removed from this
    process's environment); returns (CompletedProcess, seconds)."""
    full_env = dict(os.environ, HF_HUB_OFFLINE="1", **(env or {}))
    for name in ("PERSONAS_DEBUG", *drop):
        full_env.pop(name, None)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ml.run", *args, "--quiet"], check=False, cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)
    return proc, time.monotonic() - start
