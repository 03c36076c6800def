"""Load benchmark of the JSON API against a local server (uvicorn started here).

Open-loop load: requests are sent on a fixed schedule (`--rate` per second for `--duration`
seconds) whatever the server does, and latency is measured from each request's scheduled time, so
a slow server cannot hide its queueing (no coordinated omission). Scenarios: persona list,
persona detail (cycling over the run's personas); then assign throughput with batches of
`--batch` fresh conversations (texts made unique so the embedding cache cannot answer).

    python scripts/bench_api.py --run-dir RUN_DIR [--rate 200] [--duration 30] [--out bench.json]
    python scripts/bench_api.py --store sqlite:///path.db --run-id latest ...
    python scripts/bench_api.py --run-dir RUN_DIR --mixed [--assign-rate 20] [--assign-batch 10]

`--mixed`: `/assign` open-loop at `--assign-rate` requests/s of `--assign-batch` fresh texts for
`--duration` s while reads (persona list and details) run at `--rate`/s; per endpoint p50/p99, assign
requests served vs refused (429 queue full, 503 queue deadline) and the longest any assign request
waited for its answer, served or refused. Targets: no assign waits past 5 s; reads p99 < 50 ms.
When reads were slow it prints the worst stretches of reads over 50 ms, with how late the load
generator itself sent them (a starved client, not the server). The mixed load is `bench_mixed.py`.
It also reports the CPU each side used during the load (in cores: CPU seconds / duration): the API
process, its assign worker process (`backend.encoder_worker`), and the load generator (this process and
its read child; both use the lean keep-alive client of `scripts/bench_http.py`, about a tenth of
httpx's CPU per request). `--server-cpus` / `--client-cpus` (e.g. `0-1`, `2,3`) pin the two sides to separate
CPUs where the machine has enough; by default all share every CPU.

Prints a table and writes JSON. Target: p99 < 50 ms with zero errors on the embedded store.
Only 127.0.0.1 is loaded, for a bounded number of requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psutil
from bench_mixed import drive, mixed_load, print_mixed

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_list(text: str) -> set[int]:
    """`0-1,3` -> {0, 1, 3}."""
    cpus: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def start_server(store_url: str, port: int, cpus: set[int] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PERSONAS_FRONTEND_DIR": "/nonexistent", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "backend", "--store", store_url, "--port", str(port),
                             "--log-level", "warning"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if cpus:  # the encoder process, started later, inherits it
        psutil.Process(proc.pid).cpu_affinity(sorted(cpus))
    deadline = time.monotonic() + 180  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"error: the server exited: {proc.stderr.read()[-500:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ready", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    sys.exit("error: the server did not become ready within 180 s")


async def open_loop(base: str, paths: list[str], rate: float, duration: float) -> dict:
    """Send `rate` GET/s for `duration` s on schedule; latency from the scheduled send time."""
    n = int(rate * duration)
    latencies = np.full(n, np.nan)
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        await client.get(paths[0])  # warm-up (opens the store, fills caches)

        async def one(i: int, scheduled: float) -> None:
            try:
                response = await client.get(paths[i % len(paths)])
                if response.status_code != 200:
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
                    return
                latencies[i] = time.perf_counter() - scheduled
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        start = time.perf_counter() + 0.1
        await drive(n, rate, start, one)
        elapsed = time.perf_counter() - start
    ok = latencies[~np.isnan(latencies)] * 1000
    return {"requests": n, "ok": int(ok.size), "errors": errors, "achieved_rps": round(n / elapsed, 1),
            "p50_ms": round(float(np.percentile(ok, 50)), 2) if ok.size else None,
            "p99_ms": round(float(np.percentile(ok, 99)), 2) if ok.size else None,
            "max_ms": round(float(ok.max()), 2) if ok.size else None}


def assign_throughput(base: str, run_id: str, texts: list[str], batch: int, batches: int) -> dict:
    seconds, sent = [], 0
    nonce = uuid.uuid4().hex[:8]  # fresh texts every run: the embedder's on-disk cache must not answer
    with httpx.Client(base_url=base, timeout=600) as client:
        warm = client.post(f"/api/v1/runs/{run_id}/assign", json={"conversations": [{"text": "warm up the model"}]})
        if warm.status_code != 200:
            return {"error": f"{warm.status_code}: {warm.text[:200]}"}
        for b in range(batches):
            body = {"conversations": [{"text": f"{texts[(b * batch + k) % len(texts)]} (ref {nonce}-{b}-{k})"}
                                      for k in range(batch)]}
            t0 = time.perf_counter()
            response = client.post(f"/api/v1/runs/{run_id}/assign", json=body)
            seconds.append(time.perf_counter() - t0)
            if response.status_code != 200:
                return {"error": f"{response.status_code}: {response.text[:200]}"}
            sent += batch
    total = sum(seconds)
    return {"batch": batch, "batches": batches, "conversations_per_s": round(sent / total, 1),
            "batch_p50_ms": round(float(np.percentile(seconds, 50)) * 1000, 1),
            "batch_max_ms": round(max(seconds) * 1000, 1)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run-dir", type=Path, help="run directory to publish into a temporary SQLite store")
    source.add_argument("--store", help="existing store URL")
    parser.add_argument("--run-id", default="latest")
    parser.add_argument("--rate", type=float, default=200.0, help="reads per second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--mixed", action="store_true", help="assigns and reads at once (see the module doc)")
    parser.add_argument("--assign-rate", type=float, default=20.0, help="assign requests per second (--mixed; 0: reads only, the baseline)")
    parser.add_argument("--assign-batch", type=int, default=10, help="texts per assign request (--mixed)")
    parser.add_argument("--server-cpus", type=cpu_list, help="pin the server (and its encoder) to these CPUs")
    parser.add_argument("--client-cpus", type=cpu_list, help="pin the load generator to these CPUs")
    parser.add_argument("--out", type=Path, default=Path("bench_api.json"))
    args = parser.parse_args(argv)
    if not (0 < args.rate <= 1000 and 0 <= args.assign_rate <= 200 and 0 < args.duration <= 600):
        parser.error("keep the load bounded: --rate <= 1000, --assign-rate <= 200, --duration <= 600")
    return args


def read_scenarios(base: str, proc: subprocess.Popen, scenarios: dict[str, list[str]], args) -> dict:
    server = psutil.Process(proc.pid)
    results = {}
    for name, paths in scenarios.items():
        cpu0, client0 = sum(server.cpu_times()[:2]), time.process_time()
        results[name] = asyncio.run(open_loop(base, paths, args.rate, args.duration))
        results[name]["client_cpu_ms_per_request"] = round(
            (time.process_time() - client0) * 1000 / max(results[name]["requests"], 1), 3)
        # CPU the server spent per request: its cost independent of other load on the machine
        results[name]["server_cpu_ms_per_request"] = round(
            (sum(server.cpu_times()[:2]) - cpu0) * 1000 / max(results[name]["requests"], 1), 3)
    return results


def print_reads(results: dict, scenarios: dict[str, list[str]], args) -> None:
    print(f"{'scenario':<16}{'requests':>9}{'errors':>8}{'rps':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
          f"{'server CPU ms/req':>19}{'client CPU ms/req':>19}")
    for name in scenarios:
        r = results[name]
        print(f"{name:<16}{r['requests']:>9}{sum(r['errors'].values()):>8}{r['achieved_rps']:>8}"
              f"{r['p50_ms']!s:>10}{r['p99_ms']!s:>10}{r['max_ms']!s:>10}{r['server_cpu_ms_per_request']:>19}"
              f"{r['client_cpu_ms_per_request']:>19}")
    a = results["assign"]
    if "error" in a:
        print(f"assign: {a['error']}")
    else:
        print(f"assign: batches of {a['batch']}: {a['conversations_per_s']} conversations/s "
              f"(batch p50 {a['batch_p50_ms']} ms, max {a['batch_max_ms']} ms)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        store_url = args.store
        if args.run_dir:
            from ml.store import RunBundle, open_store

            store_url = f"sqlite:///{tmp}/bench.db"
            store = open_store(store_url)
            store.publish(RunBundle.from_dir(args.run_dir))
            store.close()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(store_url, port, args.server_cpus)
        if args.client_cpus:  # the read child, spawned later, inherits it
            os.sched_setaffinity(0, args.client_cpus)
        try:
            run_id = httpx.get(f"{base}/api/v1/runs/{args.run_id}").json()["id"]
            personas = httpx.get(f"{base}/api/v1/runs/{run_id}/personas").json()["items"]
            texts = [m["text"] for p in personas[:5] for m in httpx.get(
                f"{base}/api/v1/runs/{run_id}/personas/{p['id']}/members", params={"limit": 100}).json()["items"]]
            scenarios = {
                "persona_list": [f"/api/v1/runs/{run_id}/personas"],
                "persona_detail": [f"/api/v1/runs/{run_id}/personas/{p['id']}" for p in personas],
            }
            if args.mixed:
                paths = scenarios["persona_list"] + scenarios["persona_detail"]
                results = {"mixed": mixed_load(base, psutil.Process(proc.pid), run_id, paths, texts or ["hello"],
                                               args)}
            else:
                results = read_scenarios(base, proc, scenarios, args)
                results["assign"] = assign_throughput(base, run_id, texts or ["hello"], args.batch, args.batches)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    report = {"run_id": run_id, "personas": len(personas), "rate": args.rate, "duration_s": args.duration,
              "store": "sqlite (temporary)" if args.run_dir else store_url.split("://")[0],
              "cpus": os.cpu_count(), "server_cpus": sorted(args.server_cpus or []) or "all",
              "client_cpus": sorted(args.client_cpus or []) or "all", "load_avg_1m_before": load_before,
              "load_avg_1m_after": round(os.getloadavg()[0], 2), "results": results}
    if args.mixed:
        report.update(assign_rate=args.assign_rate, assign_batch=args.assign_batch)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"run {run_id} ({len(personas)} personas), open loop at {args.rate:g} req/s for {args.duration:g} s")
    if args.mixed:
        print_mixed(results["mixed"], args)
    else:
        print_reads(results, scenarios, args)
    print(f"machine: {os.cpu_count()} CPUs, 1-minute load average {os.getloadavg()[0]:.1f} (shared with other work)")
    print(f"wrote {args.out}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
