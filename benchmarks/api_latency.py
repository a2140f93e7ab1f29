"""Benchmark: API latency under concurrent load, as a year slider on the map would cause it.

Starts `bsm serve` on a database (default: the demo's, built with `make demo`/`bsm demo --no-serve`)
and lets 20 concurrent clients ask for one indicator of one layer in one year (and a few area
series) on 127.0.0.1 only, bounded in time. The load comes from `wrk` (Debian package; a C client
that leaves the CPU to the server) when installed, else from a Python client (which competes with
the server for this machine's two cores, so its figures are pessimistic). Prints p50/p95/p99::

    .venv/bin/python benchmarks/api_latency.py --db demo/bsm.duckdb --clients 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import time
from pathlib import Path

import httpx

from _server import Server, served, wrk


async def client(server: Server, paths: list[str], n: int, seed: int, latencies: list[float]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=server.base, timeout=10, headers=server.headers) as http:
        for _ in range(n):
            start = time.perf_counter()
            response = await http.get(rng.choice(paths))
            response.raise_for_status()
            latencies.append(time.perf_counter() - start)


async def run(server: Server, clients: int, requests: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers) as http:
        meta = (await http.get("/api/v1/meta")).json()
    indicators = [i["id"] for i in meta["indicators"]]
    years = meta["data_years"]
    paths = [f"/api/v1/layers/omraade/values?indicator={i}&year={y}" for i in indicators for y in years]
    paths += [
        f"/api/v1/layers/omraade/areas/fjordby-kildeparken/series?indicator={i}" for i in indicators[:8]
    ]
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(client(server, paths, requests, k, latencies) for k in range(clients)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "requests": len(ordered),
        "clients": clients,
        "seconds": round(elapsed, 2),
        "per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": round(pct(0.50), 1),
        "p95_ms": round(pct(0.95), 1),
        "p99_ms": round(pct(0.99), 1),
    }


def run_wrk(server: Server, clients: int, seconds: int) -> dict[str, float]:
    meta = httpx.get(server.base + "/api/v1/meta", headers=server.headers).json()
    paths = [
        f"/api/v1/layers/omraade/values?indicator={i['id']}&year={y}"
        for i in meta["indicators"]
        for y in meta["data_years"]
    ]
    paths += [
        f"/api/v1/layers/omraade/areas/fjordby-kildeparken/series?indicator={i['id']}"
        for i in meta["indicators"][:8]
    ]
    result = wrk(server, paths, clients, seconds, threads=2)
    result["errors"] += result.pop("non_2xx")
    result["per_second"] = round(result["requests"] / result["seconds"], 1)
    return {"driver": "wrk", "clients": clients, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("demo/bsm.duckdb"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100, help="requests per client (python driver)")
    parser.add_argument("--seconds", type=int, default=10, help="duration (wrk driver)")
    parser.add_argument(
        "--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/api_latency.json"))
    ns = parser.parse_args()
    if not ns.db.exists():
        raise SystemExit(f"{ns.db} not found: build it with `bsm demo --no-serve` first")
    with served(ns.db) as server:
        asyncio.run(run(server, 2, 10))  # load the snapshot
        if ns.driver == "wrk":
            result = run_wrk(server, ns.clients, ns.seconds)
        else:
            result = {"driver": "python", **asyncio.run(run(server, ns.clients, ns.requests))}
    print(json.dumps(result, indent=1))
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
