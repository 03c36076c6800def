"""Encode time of the local and Ray executors on the same texts (docs/scale.md, "Measured here").

    python scripts/bench_executor.py [--out bench-results/executor.json]

Texts: the member texts of the bundled TWCS sample (customers' side, as ``python -m ml.run
data/sample/twcs_sample.csv --inbound-only``), cleaned as the pipeline does, fp32 MiniLM, each encode into
a fresh cache. Order: local, Ray with 2 actors × 1 thread, Ray with 1 actor × 2 threads, local again (the
first and last local runs bracket the Ray ones, so a change in the machine's load shows). Each Ray
variant starts its own local 2-CPU Ray (``start_s``) and encodes twice, each time with a new actor pool
(the model load is part of ``encode_s``). Prints and writes JSON, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "twcs_sample.csv"


def _texts() -> list[str]:
    from ml.features.embed import clean_for_embedding
    from ml.runtime.config import PipelineConfig
    from ml.runtime.pipeline import PersonaPipeline

    config = PipelineConfig().updated({"input": {"inbound_only": True}})
    prep = PersonaPipeline(config, progress=False).prepare([SAMPLE])
    return clean_for_embedding(prep.members["text"].tolist())


def _encode(executor, texts: list[str]) -> tuple[np.ndarray, float]:
    from ml.features.embed import SentenceEmbedder

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        vecs = executor.encode(SentenceEmbedder(cache_dir=cache, show_progress=False), texts)
        return vecs, round(time.perf_counter() - start, 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="bench-results/executor.json")
    args = p.parse_args()
    import torch

    from ml.features.embed import SentenceEmbedder
    from ml.runtime.executor import LocalExecutor
    from ml.runtime.executor_ray import RayExecutor

    texts = _texts()
    SentenceEmbedder(cache_dir="", show_progress=False).transform(texts[:8])  # the model loaded, as in a run
    res: dict = {"texts": len(texts), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                 "load_start": os.getloadavg()}
    ref, res["local_encode_s"] = _encode(LocalExecutor(), texts)
    for actors in (2, 1):
        start = time.perf_counter()
        with RayExecutor(num_cpus=2, concurrency=actors, object_store_memory=128 * 2**20).start() as ex:
            row = {"start_s": round(time.perf_counter() - start, 1)}
            vecs, row["encode_s"] = _encode(ex, texts)
            _, row["encode_again_s"] = _encode(ex, texts)
        row["max_abs_diff_vs_local"] = float(np.abs(vecs - ref).max())
        row["rows_differing"] = int((np.abs(vecs - ref).max(axis=1) > 0).sum())
        res[f"ray_{actors}_actors"] = row
    _, res["local_encode_again_s"] = _encode(LocalExecutor(), texts)
    res["load_end"] = os.getloadavg()
    print(json.dumps(res, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
