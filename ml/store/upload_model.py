"""`python -m ml.store.upload_model RUN_DIR [RUN_DIR ...] [--store URL]`: store the persona model of runs
published before models were kept in the store, so that the API serves them without run directories.

Each RUN_DIR's `manifest.json` names the run; its `model/persona_model.joblib` (or `event_model.joblib`)
goes to `RunStore.put_model`, all or nothing per run. The store is checked first, as `python -m ml.run`
does (`StorePublisher.open`). Exit 0 when every model was stored; 2 with one line naming the run
directory (or the store) and what to do otherwise; models stored before the failing one stay stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ml.runtime.errors import InputError
from ml.store.base import RunNotFound, StoreError
from ml.store.bundle import StoredModel
from ml.store.publish import StorePublisher


def read_run_model(run_dir: Path) -> tuple[str, StoredModel]:
    """The run id and the model file of `run_dir`; InputError naming what is missing."""
    try:
        run_id = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{run_dir}: no readable manifest.json with a run_id ({exc}); pass a run directory "
                         "written by python -m ml.run") from exc
    model = StoredModel.from_dir(run_dir)
    if model is None:
        raise InputError(f"{run_dir}: no model/persona_model.joblib or model/event_model.joblib; this run "
                         "directory holds no model to store")
    return str(run_id), model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.store.upload_model", description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--store", help="results store URL (default: PERSONAS_STORE_URL or ~/.personas/personas.db)")
    args = parser.parse_args(argv)
    try:
        models = [read_run_model(run_dir) for run_dir in args.run_dirs]  # every directory checked first
        publisher = StorePublisher(args.store).open()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        for run_dir, (run_id, model) in zip(args.run_dirs, models):
            try:
                publisher.store.put_model(run_id, model)
            except RunNotFound:
                print(f"error: {run_dir}: run {run_id} is not in {publisher.url}; publish the run first "
                      "(python -m ml.run writes runs and models together)", file=sys.stderr)
                return 2
            except StoreError as exc:
                print(f"error: {run_dir}: the model of run {run_id} was not stored: {exc}", file=sys.stderr)
                return 2
            print(f"{run_id}: {model.kind} model stored ({len(model.data):,} bytes, sha256 {model.sha256[:12]})")
    finally:
        publisher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
