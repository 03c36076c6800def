"""int8 (ONNX Runtime) vs fp32 (torch) MiniLM: throughput, agreement and Banking77 clustering quality.

    python scripts/bench_encoders.py [--throughput-texts 2000] [--rounds 3] [--seeds 0 1 2] [--out FILE]

1. Export: the seconds ``ml.features.embed_onnx.ensure_int8_model`` takes in a fresh folder (the one-time cost).
2. Throughput, paired and interleaved: the same Banking77 texts (longest first, as the embedder
   orders them) in batches; each batch is encoded by fp32 then int8, or int8 then fp32 on odd
   batches, with no cache, so both encoders see the same load on this shared machine. The ratio is
   total fp32 seconds / total int8 seconds.
3. Agreement: cosine of every Banking77 text's int8 vector to its fp32 vector (both through the
   embedder's cache), and whether the nearest neighbour is the same.
4. Quality: Banking77 through the ablation code path (``scripts.ablation``: same fusion, UMAP,
   HDBSCAN and reassignment as the pipeline) with each encoder's vectors, seeds as given; NMI /
   ARI / ACC against the intent labels after reassignment.
Prints a table and writes JSON (default ``bench_encoders.json`` in the working directory).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.features.embed import SentenceEmbedder, _model_path
from ml.features.embed_onnx import ensure_int8_model, load_int8_encoder
from ml.runtime.config import PipelineConfig
from scripts.ablation.data import BUILTIN, prepare
from scripts.ablation.evaluate import Experiment, Setting


def export_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ensure_int8_model(_model_path("all-MiniLM-L6-v2"), tmp)
        return time.perf_counter() - start


def paired_throughput(texts: list[str], batch_size: int, rounds: int) -> dict:
    fp32 = SentenceEmbedder(cache_dir="", show_progress=False).fit()._encode_fn()
    int8 = SentenceEmbedder(cache_dir="", show_progress=False, encoder="int8").fit()._encode_fn()
    texts = sorted(texts, key=len, reverse=True)
    fp32(texts[:batch_size]), int8(texts[:batch_size])  # warm up both
    seconds = {"fp32": 0.0, "int8": 0.0}
    n = 0
    for _ in range(rounds):
        for b, start in enumerate(range(0, len(texts), batch_size)):
            batch = texts[start : start + batch_size]
            pair = (("fp32", fp32), ("int8", int8)) if b % 2 == 0 else (("int8", int8), ("fp32", fp32))
            for name, fn in pair:
                t0 = time.perf_counter()
                fn(batch)
                seconds[name] += time.perf_counter() - t0
            n += len(batch)
    return {"texts": n, "batch_size": batch_size, "fp32_texts_per_s": n / seconds["fp32"],
            "int8_texts_per_s": n / seconds["int8"], "speedup": seconds["fp32"] / seconds["int8"]}


def agreement(a: np.ndarray, b: np.ndarray, sample: int = 3000) -> dict:
    cos = np.sum(a * b, axis=1)
    idx = np.random.default_rng(0).choice(len(a), size=min(sample, len(a)), replace=False)
    sa, sb = a[idx] @ a.T, b[idx] @ b.T
    sa[np.arange(len(idx)), idx] = sb[np.arange(len(idx)), idx] = -2  # not oneself
    same_nn = float(np.mean(sa.argmax(1) == sb.argmax(1)))
    return {"mean_cosine": float(cos.mean()), "min_cosine": float(cos.min()), "same_nearest_neighbour": same_nn}


def quality(encoder: str, seeds: list[int]) -> tuple[dict, np.ndarray, dict]:
    cfg = PipelineConfig()
    cfg.embed.encoder = encoder
    start = time.perf_counter()
    data = prepare(BUILTIN["banking77"], cfg)
    prep_s = time.perf_counter() - start
    row = Experiment(data, cfg, seeds=seeds).evaluate(Setting("encoder", encoder))
    scores = {m: row[f"category.reassigned.{m}"] for m in ("nmi", "ari", "acc")}
    scores.update({f"{m}_sd": row[f"category.reassigned.{m}_sd"] for m in ("nmi", "ari", "acc")})
    scores.update({"personas": row["personas"], "n": data.n})
    return scores, data.embeddings, {"prepare_seconds": prep_s, **data.counts}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--throughput-texts", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--skip-quality", action="store_true", help="throughput and export only")
    p.add_argument("--out", default="bench_encoders.json")
    args = p.parse_args(argv)
    result: dict = {"export_seconds": export_seconds()}
    load_int8_encoder(_model_path("all-MiniLM-L6-v2"), SentenceEmbedder().fit()._root())
    import pandas as pd

    texts = pd.read_csv(BUILTIN["banking77"].resolved()[0])["text"].astype(str).drop_duplicates()
    texts = texts.sample(min(args.throughput_texts, len(texts)), random_state=0).tolist()
    result["throughput"] = paired_throughput(texts, args.batch_size, args.rounds)
    if not args.skip_quality:
        fp, v_fp, c_fp = quality("fp32", args.seeds)
        q8, v_q8, c_q8 = quality("int8", args.seeds)
        result["agreement"] = agreement(v_fp, v_q8)
        result["banking77"] = {"fp32": fp, "int8": q8, "seeds": args.seeds,
                               "delta": {m: q8[m] - fp[m] for m in ("nmi", "ari", "acc")},
                               "prepare": {"fp32": c_fp, "int8": c_q8}}
    print(table(result))
    Path(args.out).write_text(json.dumps(result, indent=2, default=float))
    return 0


def table(r: dict) -> str:
    t = r["throughput"]
    lines = [f"export + quantise (one time): {r['export_seconds']:.1f} s",
             f"throughput, paired interleaved, {t['texts']} texts, batch {t['batch_size']}:",
             (f"  fp32 {t['fp32_texts_per_s']:.1f} texts/s | int8 {t['int8_texts_per_s']:.1f} texts/s | "
              f"speedup {t['speedup']:.2f}x")]
    if "agreement" in r:
        a, b = r["agreement"], r["banking77"]
        lines.append(f"int8 vs fp32 cosine: mean {a['mean_cosine']:.4f}, min {a['min_cosine']:.4f}; "
                     f"same nearest neighbour {a['same_nearest_neighbour']:.3f}")
        lines.append(f"Banking77 (n={b['fp32']['n']}, seeds {b['seeds']}, mean ± sd over seeds) "
                     "| NMI | ARI | ACC | personas")
        for name in ("fp32", "int8"):
            s = b[name]
            cells = " | ".join(f"{s[m]:.4f} ± {s[m + '_sd']:.4f}" for m in ("nmi", "ari", "acc"))
            lines.append(f"  {name} | {cells} | {s['personas']:.1f}")
        d = b["delta"]
        lines.append(f"  delta | {d['nmi']:+.4f} | {d['ari']:+.4f} | {d['acc']:+.4f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
