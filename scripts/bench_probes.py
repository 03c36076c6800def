"""Probes for scripts/bench_pipeline.py, each in a fresh process: numba's JIT compile cost and PII masking.

``run_process(cmd, env, log, timeout)``: wall time, exit code and the child's own peak RSS (``wait4``).
``numba_probe``: a small UMAP + HDBSCAN fit with an empty NUMBA_CACHE_DIR, then with it populated.
``mask_probe(csv, run_dir, env, work, timeout)``: masks the run's kept texts the way the run writer does
(``ml.profile.masking.mask_texts``: NER in parallel from 20,000 texts) with an empty mask cache, and
reports wall and CPU seconds and how many texts went through the name detector. The run writer's masking
is not a pipeline stage (it happens while ``assignments.parquet`` is written), so this is how the
benchmark splits it out of ``overhead_s``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

__all__ = ["mask_probe", "numba_files", "numba_probe", "run_process"]


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of process `pid` plus all its descendants now, MB ((0, 0) when it is gone). RSS counts
    pages shared by forked workers once per process; PSS splits them between the sharers."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0, 0.0
    rss = pss = 0
    for proc in procs:
        try:
            info = proc.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        except psutil.Error:
            pass
    return rss / 2**20, pss / 2**20


class _TreeSampler(threading.Thread):
    """Samples tree_memory_mb(pid) every `every` seconds (reading smaps costs CPU: 2 s) until stopped; keeps the largest values."""

    def __init__(self, pid: int, every: float = 2.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_rss, self.peak_pss = pid, every, 0.0, 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            rss, pss = tree_memory_mb(self.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def stop(self) -> tuple[float, float]:
        self._stop_event.set()
        self.join()
        return round(self.peak_rss, 1), round(self.peak_pss, 1)


def run_process(cmd: list[str], env: dict, log: Path, timeout: float) -> dict:
    """Run cmd in a fresh process; wall time, exit code, the child's own peak RSS (wait4) and the largest
    sampled RSS and PSS of the child with all its descendants (``tree_peak_rss_mb``, ``tree_peak_pss_mb``)."""
    with log.open("w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            tree_rss, tree_pss = sampler.stop()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"rc": proc.returncode, "wall_s": round(wall, 2), "timed_out": wall >= timeout,
            "process_peak_rss_mb": round(usage.ru_maxrss / 1024.0, 1), "tree_peak_rss_mb": tree_rss,
            "tree_peak_pss_mb": tree_pss,
            "cpu_user_s": round(usage.ru_utime, 1), "cpu_sys_s": round(usage.ru_stime, 1)}


NUMBA_PROBE = """
import time, warnings; warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import numpy as np, umap, hdbscan
t1 = time.perf_counter()
x = np.random.default_rng(0).normal(size=(600, 20)).astype("float32")
def fit():
    r = umap.UMAP(n_components=5, n_neighbors=15, min_dist=0.0, random_state=0,
                  force_approximation_algorithm=True).fit(x)
    hdbscan.HDBSCAN(min_cluster_size=10, prediction_data=True).fit(r.embedding_)
fit()
t2 = time.perf_counter()
fit()
print(round(t1 - t0, 2), round(t2 - t1, 2), round(time.perf_counter() - t2, 2))
"""


def numba_files(path: Path) -> int:
    return sum(1 for _ in path.rglob("*.nbi")) if path.exists() else 0


def numba_probe(persistent: Path, env: dict, work: Path, timeout: float) -> dict:
    """Small UMAP+HDBSCAN fit in fresh processes: empty NUMBA_CACHE_DIR, then the same dir populated."""
    probe_dir = work / "numba-probe-cache"
    out: dict = {"persistent_dir": str(persistent), "index_files_at_start": numba_files(persistent)}
    for label in ("empty_cache", "populated_cache"):
        log = work / f"numba-probe-{label}.log"
        res = run_process([sys.executable, "-c", NUMBA_PROBE], {**env, "NUMBA_CACHE_DIR": str(probe_dir)},
                          log, timeout)
        parts = log.read_text().split()
        if res["rc"] == 0 and len(parts) >= 3:  # import, first fit (JIT + work), second fit (work only)
            res.update(import_s=float(parts[-3]), first_fit_s=float(parts[-2]), second_fit_s=float(parts[-1]),
                       jit_in_first_fit_s=round(float(parts[-2]) - float(parts[-1]), 2))
        out[label] = res
    if "first_fit_s" in out["empty_cache"] and "first_fit_s" in out["populated_cache"]:
        e, p = out["empty_cache"], out["populated_cache"]
        out["saved_by_cache_s"] = round(e["wall_s"] - p["wall_s"], 1)
        # umap-learn JIT-compiles most of its functions without cache=True: paid by every process
        out["uncached_jit_per_process_s"] = p["jit_in_first_fit_s"]
    return out


MASK_PROBE = """
import json, sys, time
import pandas as pd
from ml.profile.masking import mask_texts
from ml.profile.pii import PiiMasker, load_ner, may_hold_name
csv, run = sys.argv[1], sys.argv[2]
ids = set(pd.read_parquet(run + "/assignments.parquet", columns=["member_id"])["member_id"].astype(str))
frame = pd.read_csv(csv, dtype={"message_id": str}, keep_default_na=False)
texts = frame.loc[frame["message_id"].isin(ids), "text"].astype(str).tolist()
personas = json.load(open(run + "/personas.json"))
brands = next((p["brand_handles"] for p in personas if p.get("brand_handles")), [])
load_ner()
w0, c0 = time.perf_counter(), time.process_time()
mask_texts(texts, brands)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
unique = list(dict.fromkeys(texts))
ner = sum(may_hold_name(PiiMasker._patterns(t)) for t in unique)
print(json.dumps({"texts": len(texts), "unique": len(unique), "ner_texts": ner, "wall_s": round(wall, 2),
                  "parent_cpu_s": round(cpu, 2)}))
"""


def mask_probe(csv: Path, run_dir: Path, env: dict, work: Path, timeout: float) -> dict:
    """Mask the kept texts of ``run_dir`` in a fresh process with an empty mask cache (see module doc)."""
    cache = work / f"mask-probe-cache-{run_dir.name}"
    log = work / f"mask-probe-{run_dir.name}.log"
    res = run_process([sys.executable, "-c", MASK_PROBE, str(csv), str(run_dir)],
                      {**env, "PERSONAS_CACHE_DIR": str(cache)}, log, timeout)
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith("{")]
    if res["rc"] != 0 or not lines:
        return {**res, "error": (log.read_text(errors="replace").strip().splitlines() or ["?"])[-1]}
    # process_wall_s, cpu_user_s + cpu_sys_s (wait4): the whole process, imports and NER workers included;
    # wall_s and parent_cpu_s: the masking call alone
    return {**res, "process_wall_s": res["wall_s"], **json.loads(lines[-1])}
