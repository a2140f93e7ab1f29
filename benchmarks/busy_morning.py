"""Benchmark: the first busy morning — 50 concurrent clients, junk requests and exports at once.

Starts `bsm serve` on a database (default: the demo's) and runs, for `--seconds`:

- `--clients` (50) clients reading cheap answers back to back, as the dashboard does: one
  indicator of a layer in a year, an area's series, the metadata (the latency of these is what
  the report is about). They are driven by `wrk` (Debian package `wrk`; a C client that leaves
  the CPU to the server) when it is installed, else by Python clients, which take one of the two
  cores from the server and so make every figure pessimistic (`--driver`);
- a stream of junk-parameter requests (`?indicator=residents&junk<n>=<n>`, each a new query
  string: what took the server from 565 MB to 1.5 GB before);
- the slow answer `lists?without_origin=true` asked now and then;
- exports: every few seconds each of `--exporters` (4) users starts an export job (xlsx, gpkg,
  pdf), follows it and downloads the file.

The resident memory of the server and its child processes (exports, protections) is sampled
from /proc every half second. Prints (and writes to
benchmarks/results/busy_morning.json) the cheap requests' p50/p95/p99 and rate, what the junk and
exports got, and the memory before, at its peak and after::

    .venv/bin/python benchmarks/busy_morning.py --db demo/bsm.duckdb

Junk, slow asks and exports are Python clients (httpx) on the same two cores as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import time
from pathlib import Path

import httpx

from _server import Server, add_user, served, wrk

EXPORT_FORMATS = ("xlsx", "gpkg", "pdf")


def family(pid: int) -> list[int]:
    """The process and its descendants (the server's export and protection processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its child processes together."""
    total = 0.0
    for p in family(pid):
        try:
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue
        total += next((int(x.split()[1]) / 1024 for x in lines if x.startswith("VmRSS:")), 0.0)
    return total


async def cheap_client(server: Server, paths: list[str], until: float, seed: int, out: list[float]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=server.base, timeout=30, headers=server.headers) as http:
        while time.monotonic() < until:
            start = time.perf_counter()
            response = await http.get(rng.choice(paths))
            response.raise_for_status()
            out.append(time.perf_counter() - start)


async def junk_stream(server: Server, until: float, codes: dict[int, int]) -> None:
    n = 0
    async with httpx.AsyncClient(base_url=server.base, timeout=30, headers=server.headers) as http:
        while time.monotonic() < until:
            n += 1
            r = await http.get(f"/api/v1/layers/omraade/values?indicator=residents&junk{n}={n}")
            codes[r.status_code] = codes.get(r.status_code, 0) + 1


async def slow_asker(server: Server, until: float, seconds: list[float]) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=120, headers=server.headers) as http:
        while time.monotonic() < until:
            start = time.perf_counter()
            (await http.get("/api/v1/lists?without_origin=true")).raise_for_status()
            seconds.append(time.perf_counter() - start)
            await asyncio.sleep(2)


async def exporter(
    base: str, token: str, until: float, seed: int, done: list[float], busy: list[int]
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=600, headers=headers) as http:
        while time.monotonic() < until:
            start = time.perf_counter()
            started = await http.post("/api/v1/exports", params={"fmt": rng.choice(EXPORT_FORMATS)})
            if started.status_code == 429:
                busy.append(1)
                await asyncio.sleep(1)
                continue
            started.raise_for_status()
            job = started.json()
            while (status := (await http.get(job["status_url"])).json())["state"] in ("queued", "running"):
                await asyncio.sleep(0.5)
            if status["state"] == "done":
                (await http.get(status["download_url"])).raise_for_status()
                done.append(time.perf_counter() - start)
            await asyncio.sleep(rng.uniform(1, 3))


async def sample(pid: int, until: float, out: list[float]) -> None:
    while time.monotonic() < until:
        out.append(rss_mb(pid))
        await asyncio.sleep(0.5)


async def ready(server: Server) -> float:
    """Seconds until `bsm serve` has worked out what each audience may see (it starts on that in
    the background; a moves answer waits for it)."""
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=3600) as http:
        (await http.get("/api/v1/moves/flows")).raise_for_status()
    return time.perf_counter() - start


async def morning(
    server: Server,
    tokens: list[str],
    clients: int,
    seconds: float,
    driver: str,
    junk_on: bool = True,
    slow_on: bool = True,
) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=300) as http:
        meta = (await http.get("/api/v1/meta")).json()
        # warm what a morning's first visitors would have warmed: the protections, one of each answer
        await http.get("/api/v1/layers/omraade/values?indicator=residents")
        await http.get("/api/v1/lists")
    indicators = [i["id"] for i in meta["indicators"]]
    years = meta["data_years"]
    paths = [f"/api/v1/layers/omraade/values?indicator={i}&year={y}" for i in indicators for y in years[-3:]]
    paths += [
        f"/api/v1/layers/omraade/areas/fjordby-kildeparken/series?indicator={i}" for i in indicators[:8]
    ]
    paths += ["/api/v1/meta"]
    # a morning's first visitors have asked each cheap question once: what is measured is how the
    # server answers them while junk and exports arrive, not the first computation of each answer
    warm_start = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=300) as http:
        for path in paths:
            (await http.get(path)).raise_for_status()
    warm_seconds = time.perf_counter() - warm_start
    before = rss_mb(server.pid)
    until = time.monotonic() + seconds
    latencies: list[float] = []
    junk: dict[int, int] = {}
    slow: list[float] = []
    exports: list[float] = []
    busy: list[int] = []
    memory: list[float] = []
    start = time.perf_counter()
    cheap = (
        [asyncio.to_thread(wrk, server, paths, clients, seconds)]
        if driver == "wrk"
        else [cheap_client(server, paths, until, k, latencies) for k in range(clients)]
    )
    results = await asyncio.gather(
        *cheap,
        *([junk_stream(server, until, junk)] if junk_on else []),
        *([slow_asker(server, until, slow)] if slow_on else []),
        *(exporter(server.base, t, until, 100 + k, exports, busy) for k, t in enumerate(tokens)),
        sample(server.pid, until + 5, memory),
    )
    elapsed = time.perf_counter() - start
    if driver == "wrk":
        w = results[0]
        figures = {
            "cheap_requests": w["requests"],
            "cheap_per_second": round(w["requests"] / w["seconds"], 1),
            "cheap_p50_ms": w["p50_ms"],
            "cheap_p95_ms": w["p95_ms"],
            "cheap_p99_ms": w["p99_ms"],
            "cheap_errors": w["errors"] + w["non_2xx"],
        }
    else:
        ordered = sorted(latencies)

        def pct(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        figures = {
            "cheap_requests": len(ordered),
            "cheap_per_second": round(len(ordered) / elapsed, 1),
            "cheap_p50_ms": pct(0.50),
            "cheap_p95_ms": pct(0.95),
            "cheap_p99_ms": pct(0.99),
        }
    return {
        "driver": driver,
        "clients": clients,
        "cheap_paths": len(paths),
        "warm_up_s": round(warm_seconds, 1),
        "seconds": round(elapsed, 1),
        **figures,
        "junk_requests": junk,
        "without_origin_lists": len(slow),
        "without_origin_max_s": round(max(slow), 2) if slow else None,
        "exports_done": len(exports),
        "export_median_s": round(sorted(exports)[len(exports) // 2], 1) if exports else None,
        "exports_refused_busy": len(busy),
        "rss_before_mb": round(before),
        "rss_peak_mb": round(max(memory)),
        "rss_after_mb": round(rss_mb(server.pid)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("demo/bsm.duckdb"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--exporters", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--wait-ready", action="store_true", help="first wait until the server's protections are built"
    )
    parser.add_argument("--no-junk", action="store_true", help="without the junk-parameter stream")
    parser.add_argument("--no-slow", action="store_true", help="without the without_origin lists")
    parser.add_argument(
        "--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/busy_morning.json"))
    ns = parser.parse_args()
    if not ns.db.exists():
        raise SystemExit(f"{ns.db} not found: build it with `bsm demo --no-serve` first")
    tokens = [add_user(ns.db, f"eksport{k}", "analyst") for k in range(ns.exporters)]
    with served(ns.db) as server:
        # --wait-ready: the morning comes after the night, when the server has worked out its
        # protections (at full size that takes long: the moves' linked tables)
        ready_s = asyncio.run(ready(server)) if ns.wait_ready else None
        result = asyncio.run(
            morning(server, tokens, ns.clients, ns.seconds, ns.driver, not ns.no_junk, not ns.no_slow)
        )
    result["ready_after_s"] = round(ready_s, 1) if ready_s is not None else "not waited for"
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
