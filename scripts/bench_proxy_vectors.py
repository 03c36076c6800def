"""Fill an embedding cache with PROXY vectors for a bench input, so that every stage after the encode can be
measured at a size whose encode does not fit the session (1M rows: about 65 min of int8 encode here).

    python scripts/bench_proxy_vectors.py --size 1000000 --out-cache /tmp/S/proxy-1m [--seed 0]

What it writes: the int8 encoder's cache file (``embeddings-<model>+onnx-int8.sqlite``, the pipeline's own
keys: sha1 of the model key and the text the encoder would see, ``clean_for_embedding`` of the ingested
text) for every row of ``build_input(size, ...)``. A real text gets its real int8 vector (from
``--source-cache``; misses are encoded now). A joined text "A B" gets a PROXY: the normalised sum of the
real vectors of A and B, not MiniLM's vector of "A B". So a run on this cache measures ingest, filter,
features, the cache lookup (as its embed stage), fusion, reduce, clustering, profiles and the run writer on
the real input with realistic vector structure, and its memory (the same arrays); it does NOT measure the
encode, and its personas are not those of a real encode. The encode of that size is timed separately.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from scripts.bench_data import SHARED_DATA, build_input, joined_pairs, load_real_texts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--out-cache", type=Path, required=True, help="folder for the cache (emptied first)")
    p.add_argument("--source-cache", type=Path, default=REPO / ".cache" / "personas",
                   help="a cache with the real texts' int8 vectors (and the exported ONNX model)")
    p.add_argument("--csv", type=Path, default=None, help="write the bench input here too")
    p.add_argument("--data-dir", type=Path, default=SHARED_DATA)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from ml.features.embed import SentenceEmbedder, clean_for_embedding
    from ml.ingest.load import load_messages

    t0 = time.perf_counter()
    pool = load_real_texts(args.data_dir)
    if args.size <= len(pool):
        raise SystemExit("error: --size must exceed the real pool; smaller inputs have no joined texts")
    csv = args.csv or args.out_cache.with_suffix(".csv")
    info = build_input(args.size, pool, csv, args.seed)
    a, b, joined = joined_pairs(pool, args.size - len(pool), np.random.default_rng(args.seed))  # build_input's draws
    real_vecs = SentenceEmbedder(encoder="int8", cache_dir=str(args.source_cache), show_progress=True).transform(
        clean_for_embedding(pool["text"].astype(str).tolist()))
    proxy = real_vecs[a] + real_vecs[b]
    proxy /= np.linalg.norm(proxy, axis=1, keepdims=True)
    vec_of = {t: i for i, t in enumerate(pool["text"].astype(str))}
    joined_of = {t: i for i, t in enumerate(joined)}

    msgs, _ = load_messages([csv])  # the texts exactly as the pipeline ingests them
    texts = msgs["text"].astype(str).tolist()
    shutil.rmtree(args.out_cache, ignore_errors=True)
    (args.out_cache / "onnx").parent.mkdir(parents=True, exist_ok=True)
    if (args.source_cache / "onnx").is_dir():
        shutil.copytree(args.source_cache / "onnx", args.out_cache / "onnx")
    target = SentenceEmbedder(encoder="int8", cache_dir=str(args.out_cache)).fit()
    cache = target._cache()
    counts = {"real": 0, "proxy": 0, "unmatched": 0}
    for start in range(0, len(texts), 50_000):
        chunk = texts[start:start + 50_000]
        rows, vecs = [], []
        for text in chunk:
            if text in vec_of:
                vecs.append(real_vecs[vec_of[text]]); counts["real"] += 1
            elif text in joined_of:
                vecs.append(proxy[joined_of[text]]); counts["proxy"] += 1
            else:
                counts["unmatched"] += 1  # encoded by the run itself
                continue
            rows.append(text)
        cache.put_many(cache.keys_for(clean_for_embedding(rows)), np.asarray(vecs, dtype=np.float32))
    out = {"input": info, "cache_file": str(cache.path), "vectors": counts,
           "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
