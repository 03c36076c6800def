"""Benchmark the results stores: publish time of a 15k-member run, and reader latency.

    python scripts/bench_store.py [--members 15000] [--repeat 3] [--out bench_store.json]

Stores: SQLite (temp file), Firestore with the chunked layout used by FirestoreStore, and, to
justify that layout, Firestore with one document per member (raw batched writes of the same
rows). Firestore runs against the emulator: FIRESTORE_EMULATOR_HOST when set, else one started
here (needs Java + the emulator jar). Member texts are real tweets from
../shared/data/twitter_airline_sentiment/Tweets.csv when present (realistic lengths), else
synthetic. Prints a table and writes JSON. Emulator timings are indicative only: production
Firestore adds network latency per commit, which favours fewer, larger writes even more.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ml.store import records as R
from ml.store.emulator import FirestoreEmulator
from ml.store.firestore import MAX_BATCH_WRITES, FirestoreStore
from ml.store.sqlite import SqliteStore
from tests.store.synthetic import make_bundle

TWEETS = REPO.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"


def load_texts() -> tuple[list[str] | None, str]:
    if not TWEETS.exists():
        return None, "synthetic"
    with TWEETS.open(encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh) if row.get("text")], str(TWEETS)


def persona_sizes(n: int, k: int = 12) -> list[int]:
    weights = [1 / (i + 1) for i in range(k)]  # skewed like real clusterings
    sizes = [int(n * w / sum(weights)) for w in weights]
    sizes[0] += n - sum(sizes)
    return sizes


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def read_latency(store, run_id: str, sizes: list[int], n: int = 60) -> dict[str, dict[str, float]]:
    ops = {
        "get_personas": lambda i: store.get_personas(run_id),
        "get_persona": lambda i: store.get_persona(run_id, i % len(sizes)),
        "get_members_page": lambda i: store.get_members(run_id, 0, offset=(i * 97) % sizes[0], limit=50),
        "get_members_query": lambda i: store.get_members(run_id, 0, query="flight", limit=50),
        "get_map_5000": lambda i: store.get_map(run_id, limit=5000),
    }
    result = {}
    for name, op in ops.items():
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            op(i)
            times.append((time.perf_counter() - t0) * 1000)
        result[name] = {"median_ms": round(statistics.median(times), 2),
                        "p99_ms": round(statistics.quantiles(times, n=100)[98], 2)}
    return result


def bench_store(name: str, make_store, bundle, repeat: int, sizes: list[int]) -> dict:
    publish = []
    for _ in range(repeat):
        store = make_store()
        t0 = time.perf_counter()
        store.publish(bundle)
        publish.append(time.perf_counter() - t0)
        extra = dict(getattr(store, "stats", {})) or {"writes": 1 + len(sizes) + 2 * len(bundle.members)}
        reads = read_latency(store, bundle.run_id, sizes)
        store.delete_run(bundle.run_id)
    return {"store": name, "publish_s": [round(t, 3) for t in publish],
            "publish_median_s": round(statistics.median(publish), 3), "writes": extra, "reads": reads}


def bench_per_doc(project: str, bundle, repeat: int) -> dict:
    """The alternative layout: one document per member, 500 writes per batch (no reads)."""
    store = FirestoreStore(project)
    col = store.client.collection("bench_per_member_docs")
    recs = R.member_records(bundle.members)

    def write() -> None:
        for i in range(0, len(recs), MAX_BATCH_WRITES):
            batch = store.client.batch()
            for rec in recs[i : i + MAX_BATCH_WRITES]:
                batch.set(col.document(rec["member_id"].replace("/", "_")), rec)
            batch.commit()

    times = timed(write, repeat)
    return {"store": "firestore (1 doc per member)", "publish_s": [round(t, 3) for t in times],
            "publish_median_s": round(statistics.median(times), 3),
            "writes": {"writes": len(recs), "commits": -(-len(recs) // MAX_BATCH_WRITES)}, "reads": {}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=15_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default="bench_store.json")
    args = ap.parse_args()

    texts, text_source = load_texts()
    sizes = persona_sizes(args.members)
    bundle = make_bundle("bench-run", sizes, texts=texts, words=20, seed=1)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))
        results.append(bench_store("sqlite", lambda: SqliteStore(Path(tmp) / f"b{next(counter)}.db"),
                                   bundle, args.repeat, sizes))
    emulator = None
    if not os.environ.get("FIRESTORE_EMULATOR_HOST"):
        emulator = FirestoreEmulator().start()
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
    try:
        project = "personas-bench"
        results.append(bench_store("firestore (chunked)", lambda: FirestoreStore(project, cache_ttl_s=0.0),
                                   bundle, args.repeat, sizes))
        results.append(bench_per_doc(project, bundle, args.repeat))
    finally:
        if emulator:
            emulator.stop()

    print(f"\n{args.members} members, {len(sizes)} personas, texts: {text_source}")
    print(f"{'store':32} {'publish median s':>17} {'writes':>7} {'commits':>8}")
    for r in results:
        print(f"{r['store']:32} {r['publish_median_s']:>17.3f} {r['writes'].get('writes', ''):>7} "
              f"{r['writes'].get('commits', ''):>8}")
    print(f"\n{'read (median / p99 ms)':24}" + "".join(f"{r['store'][:22]:>26}" for r in results if r["reads"]))
    for op in results[0]["reads"]:
        cells = "".join(f"{r['reads'][op]['median_ms']:>14.2f} / {r['reads'][op]['p99_ms']:>7.2f}"
                        for r in results if r["reads"])
        print(f"{op:24}{cells}")
    report = {"members": args.members, "personas": len(sizes), "texts": text_source, "repeat": args.repeat,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "results": results}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
