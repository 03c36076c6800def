"""How often does the assign endpoint put a run's own members back in their fitted persona?

In: a run directory (unit `message`) whose input files are still at the paths in its manifest.
Its members' raw messages are re-read with `ml.ingest.load.load_messages` (same mapping and
inbound rule as the run), posted to `POST /api/v1/runs/{id}/assign` of an in-process app over a
temporary SQLite store holding the run, in batches, and compared with `assignments.parquet`.
Out: a table (overall, core members, members reassigned from noise, `would_be_noise` rates) and
a JSON file.

    python scripts/measure_assign_agreement.py RUN_DIR [--batch 500] [--out agreement.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def load_member_messages(run_dir: Path, manifest: dict, members: pd.DataFrame) -> pd.DataFrame:
    """The raw message rows of the run's members, in the order of `members`."""
    from ml.ingest.load import ColumnMapping, load_messages

    if manifest.get("unit") != "message":
        sys.exit(f"error: {run_dir}: unit is {manifest.get('unit')!r}; this measure needs unit 'message' "
                 "(one member = one posted message)")
    source = manifest["source"]
    files = source["load"]["files"]
    mappings = {json.dumps(f["mapping"], sort_keys=True) for f in files}
    mapping = ColumnMapping(**json.loads(mappings.pop())) if len(mappings) == 1 else None
    inputs = [Path(p) if Path(p).is_absolute() else Path.cwd() / p for p in source["inputs"]]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        sys.exit(f"error: input {missing[0]} of run {manifest['run_id']} not found; run from the folder the run "
                 "was made in")
    inbound_only = bool(manifest.get("config", {}).get("input", {}).get("inbound_only"))
    messages, _ = load_messages(inputs, mapping=mapping, inbound_only=inbound_only)
    messages = messages.set_index("message_id", drop=False)
    ids = members["member_id"].astype(str)
    lost = ids[~ids.isin(messages.index)]
    if len(lost):
        sys.exit(f"error: {len(lost)} members (e.g. {lost.iloc[0]!r}) are not in the re-read inputs")
    return messages.loc[ids.tolist()].reset_index(drop=True)


def to_conversation(row) -> dict:
    ts = None
    if pd.notna(row.timestamp):
        stamp = row.timestamp
        if pd.notna(row.utc_offset_min):
            stamp = stamp.tz_convert(f"Etc/GMT{-int(row.utc_offset_min) // 60:+d}") if row.utc_offset_min % 60 == 0 \
                else stamp
        ts = stamp.isoformat()
    return {"id": row.message_id, "text": row.text, "author": row.author, "timestamp": ts,
            "reply_to": row.reply_to, "inbound": None if pd.isna(row.inbound) else bool(row.inbound)}


def _assign_via_api(bundle, conversations: list[dict], batch: int) -> tuple[list[dict], float]:
    """Every conversation through ``POST /assign`` of a backend over a temporary SQLite store."""
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.settings import Settings
    from ml.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/agreement.db"
        open_store(url).publish(bundle)
        settings = Settings(store_url=url, frontend_dir=None, max_assign_batch=max(batch, 1))
        with TestClient(create_app(settings)) as client:
            got, started = [], time.perf_counter()
            for start in range(0, len(conversations), batch):
                response = client.post(f"/api/v1/runs/{bundle.run_id}/assign",
                                       json={"conversations": conversations[start : start + batch]})
                if response.status_code != 200:
                    sys.exit(f"error: assign answered {response.status_code}: {response.text[:300]}")
                got.extend(response.json()["items"])
            seconds = time.perf_counter() - started
    return got, seconds


def _print(result: dict, fitted: np.ndarray, args) -> None:
    print(f"run {result['run_id']}: {result['members']} members re-assigned through the API in batches of {args.batch}")
    print(f"{'group':<28}{'members':>9}{'agreement':>11}")
    print(f"{'all':<28}{result['members']:>9}{result['agreement']:>11.2%}")
    print(f"{'core (HDBSCAN members)':<28}{result['n_core']:>9}{(result['agreement_core'] or 0):>11.2%}")
    print(f"{'reassigned from noise':<28}{result['n_reassigned']:>9}{(result['agreement_reassigned'] or 0):>11.2%}")
    for pid, value in result["per_persona"].items():
        print(f"{'persona ' + str(pid):<28}{int((fitted == pid).sum()):>9}{value:>11.2%}")
    print(f"API vs PersonaModel.predict on the ingest frame: {result['api_equals_direct_predict']:.2%} identical")
    print(f"would_be_noise: core {result['would_be_noise_core']}, reassigned {result['would_be_noise_reassigned']}; "
          f"{result['conversations_per_s']} conversations/s; wrote {args.out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--batch", type=int, default=500, help="conversations per assign call (default 500)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N members (0 = all)")
    parser.add_argument("--out", type=Path, default=Path("assign_agreement.json"))
    args = parser.parse_args(argv)

    from ml.store import RunBundle

    bundle = RunBundle.from_dir(args.run_dir)
    members = bundle.members.reset_index(drop=True)
    if args.limit:
        members = members.iloc[: args.limit]
    messages = load_member_messages(args.run_dir, bundle.manifest, members)
    conversations = [to_conversation(r) for r in messages.itertuples(index=False)]

    got, seconds = _assign_via_api(bundle, conversations, args.batch)

    # The same batches straight through PersonaModel.predict on the ingest frame: the API's own
    # conversion of posted JSON must give the same personas.
    from ml.runtime.model import PersonaModel

    model = PersonaModel.load(args.run_dir)
    direct = np.concatenate([model.predict(messages.iloc[s : s + args.batch])["persona_id"].to_numpy()
                             for s in range(0, len(messages), args.batch)])
    predicted = np.array([g["persona_id"] for g in got])
    noise = np.array([g["would_be_noise"] for g in got])
    fitted = members["persona_id"].to_numpy()
    reassigned = members["reassigned"].to_numpy(dtype=bool)
    agree = predicted == fitted

    def share(mask: np.ndarray) -> float | None:
        return round(float(agree[mask].mean()), 4) if mask.any() else None

    result = {
        "run_id": bundle.run_id, "run_dir": str(args.run_dir), "members": len(members),
        "batch": args.batch, "personas": len(bundle.personas),
        "agreement": share(np.ones_like(agree)), "agreement_core": share(~reassigned),
        "agreement_reassigned": share(reassigned), "n_core": int((~reassigned).sum()),
        "n_reassigned": int(reassigned.sum()),
        "would_be_noise_core": round(float(noise[~reassigned].mean()), 4) if (~reassigned).any() else None,
        "would_be_noise_reassigned": round(float(noise[reassigned].mean()), 4) if reassigned.any() else None,
        "per_persona": {int(p): share(fitted == p) for p in np.unique(fitted)},
        "seconds": round(seconds, 2), "conversations_per_s": round(len(members) / seconds, 1),
        "api_equals_direct_predict": round(float((direct == predicted).mean()), 4),
        "reassign_space": bundle.manifest.get("config", {}).get("reassign", {}).get("space"),
    }
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    _print(result, fitted, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
