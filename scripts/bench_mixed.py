"""The mixed load of `bench_api.py --mixed`: `/assign` open-loop at `--assign-rate` requests/s of
`--assign-batch` fresh texts (this process) while reads run open-loop at `--rate`/s (a child process,
so neither client's CPU delays the other's schedule). Latency counts from each request's scheduled
time; slow reads are grouped into stretches with the load generator's own delay, so a stall of the
server can be told from a starved client. See bench_api.py's docstring for the targets."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
import uuid
from concurrent.futures import ProcessPoolExecutor

import httpx
import numpy as np
import psutil
from bench_http import KeepAliveClient


def cpu_seconds(proc: psutil.Process) -> dict[str, float]:
    """User + system CPU seconds of `proc` ("server") and of its children ("encoder")."""
    def used(p: psutil.Process) -> float:
        try:
            times = p.cpu_times()
            return times.user + times.system
        except psutil.NoSuchProcess:
            return 0.0
    return {"server": used(proc), "encoder": sum(used(c) for c in proc.children(recursive=True))}


async def drive(n: int, rate: float, start: float, fire) -> None:
    """Start `fire(i, scheduled)` for i < n on a fixed schedule (open loop) and wait for all."""
    tasks = []
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(i, scheduled)))
    await asyncio.gather(*tasks)


def _latency_summary(seconds: list[float]) -> dict:
    ms = np.asarray(seconds, dtype=float) * 1000
    if not ms.size:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1)}


def _reads_process(base: str, paths: list[str], rate: float, duration: float, start_at: float) -> dict:
    """Child process: reads on schedule from wall-clock `start_at` (its own client, CPU and GIL)."""
    cpu0 = time.process_time()
    result = asyncio.run(_read_load(base, paths, rate, duration, start_at))
    return {**result, "client_cpu_s": round(time.process_time() - cpu0, 2)}


async def _read_load(base: str, paths: list[str], rate: float, duration: float, start_at: float) -> dict:
    ok: list[tuple[float, float, float]] = []  # (scheduled, latency, client lateness) of each read answered 200
    status: dict[str, int] = {}
    client = _lean_client(base, 32)
    await client.get(paths[0])

    async def read(i: int, scheduled: float) -> None:
        late = time.perf_counter() - scheduled  # this client's own delay (starved of CPU) before sending
        try:
            code = str(await client.get(paths[i % len(paths)]))
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            code = type(exc).__name__
        status[code] = status.get(code, 0) + 1
        if code == "200":
            ok.append((scheduled, time.perf_counter() - scheduled, late))

    n = int(rate * duration)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    begin = time.perf_counter()
    await drive(n, rate, begin, read)
    await client.aclose()
    return {"requests": n, "status": status, **_latency_summary([w for _, w, _ in ok]),
            "slow_windows": slow_windows(ok, begin)}


def slow_windows(reads: list[tuple[float, float, float]], begin: float, slow_s: float = 0.05) -> list[list]:
    """When the slow reads (over `slow_s`) were due: [from s, to s, reads, worst ms, worst client delay ms]
    per stretch of slow reads less than 0.2 s apart (seconds from the start of the load), the 10 worst.
    The client delay is how late the load generator itself sent (it was starved of CPU), not the server."""
    windows: list[list] = []
    for due, wait, late in sorted((due - begin, wait, late) for due, wait, late in reads if wait > slow_s):
        ms, late_ms = round(wait * 1000), round(late * 1000)
        if windows and due - windows[-1][1] < 0.2:
            w = windows[-1]
            windows[-1] = [w[0], round(due, 2), w[2] + 1, max(w[3], ms), max(w[4], late_ms)]
        else:
            windows.append([round(due, 2), round(due, 2), 1, ms, late_ms])
    return sorted(windows, key=lambda w: -w[3])[:10]


def _lean_client(base: str, size: int) -> KeepAliveClient:
    """The mixed load's client: time waiting for one of its `size` connections counts as latency."""
    host, _, port = base.removeprefix("http://").partition(":")
    return KeepAliveClient(host, int(port), size)


async def _assign_load(base: str, run_id: str, texts: list[str], args, start_at: float) -> dict:
    n = int(args.assign_rate * args.duration)
    ok: list[float] = []
    waits: list[float] = []
    status: dict[str, int] = {}
    nonce = uuid.uuid4().hex[:8]  # fresh texts: the embedder's on-disk cache must not answer
    bodies = [json.dumps({"conversations": [{"text": f"{texts[(i * args.assign_batch + k) % len(texts)]} "
                                                     f"(ref {nonce}-{i}-{k})"} for k in range(args.assign_batch)]
                          }).encode() for i in range(n)]
    client = _lean_client(base, 128)

    async def assign(i: int, scheduled: float) -> None:
        try:
            code = str(await client.post_json(f"/api/v1/runs/{run_id}/assign", bodies[i]))
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            code = type(exc).__name__
        waits.append(time.perf_counter() - scheduled)
        status[code] = status.get(code, 0) + 1
        if code == "200":
            ok.append(waits[-1])

    await asyncio.sleep(max(0.0, start_at - time.time()))
    begin = time.perf_counter()
    await drive(n, args.assign_rate, begin, assign)
    elapsed = time.perf_counter() - begin
    await client.aclose()
    return {"requests": n, "texts_per_request": args.assign_batch, "status": status,
            "served": status.get("200", 0), "refused_429": status.get("429", 0), "refused_503": status.get("503", 0),
            "texts_served_per_s": round(status.get("200", 0) * args.assign_batch / elapsed, 1),
            "max_wait_s": round(max(waits, default=0.0), 2), **_latency_summary(ok)}


def mixed_load(base: str, server: psutil.Process, run_id: str, read_paths: list[str], texts: list[str],
               args) -> dict:
    """Assigns at `args.assign_rate`/s x `args.assign_batch` texts (this process) while reads run at
    `args.rate`/s (a child process, so neither client's CPU delays the other's schedule)."""
    warm = httpx.post(f"{base}/api/v1/runs/{run_id}/assign", json={"conversations": [{"text": "warm up"}]},
                      timeout=600)
    if warm.status_code != 200:
        return {"error": f"{warm.status_code}: {warm.text[:200]}"}
    start_at = time.time() + 3.0
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        reads = pool.submit(_reads_process, base, read_paths, args.rate, args.duration, start_at)
        time.sleep(max(0.0, start_at - time.time() - 0.5))
        before, client0, wall0 = cpu_seconds(server), time.process_time(), time.perf_counter()
        assigns = asyncio.run(_assign_load(base, run_id, texts, args, start_at))
        read_result = reads.result()
        after, wall = cpu_seconds(server), time.perf_counter() - wall0
    client = time.process_time() - client0 + read_result["client_cpu_s"]
    cores = {name: round((after[name] - before[name]) / wall, 2) for name in after}
    return {"reads": read_result, "assign": assigns,
            "cores_used": {**cores, "load_generator": round(client / wall, 2)}, "measured_s": round(wall, 1),
            "load_started_at_unix": round(start_at, 3)}


def print_mixed(result: dict, args) -> None:
    print(f"mixed load for {args.duration:g} s: assign {args.assign_rate:g} req/s x {args.assign_batch} texts, "
          f"reads {args.rate:g} req/s")
    if "error" in result:
        print(f"assign: {result['error']}")
        return
    print(f"{'endpoint':<10}{'requests':>9}{'served':>8}{'429':>6}{'503':>6}{'other':>7}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}")
    for name in ("reads", "assign"):
        r = result[name]
        served = r["status"].get("200", 0)
        r429, r503 = r["status"].get("429", 0), r["status"].get("503", 0)
        print(f"{name:<10}{r['requests']:>9}{served:>8}{r429:>6}{r503:>6}{r['requests'] - served - r429 - r503:>7}"
              f"{r['p50_ms']!s:>9}{r['p99_ms']!s:>9}{r['max_ms']!s:>9}")
    a = result["assign"]
    print(f"assign: {a['texts_served_per_s']} texts/s served; longest wait of any assign request "
          f"(served or refused): {a['max_wait_s']} s")
    windows = result["reads"]["slow_windows"]
    if windows:
        print("reads over 50 ms, worst stretches [from s, to s, reads, worst ms, worst client delay ms]: "
              + ", ".join(str(w) for w in windows[:5]))
    c = result["cores_used"]
    print(f"CPU used over {result['measured_s']} s, in cores: API process {c['server']}, assign worker process "
          f"{c['encoder']}, load generator {c['load_generator']}")
