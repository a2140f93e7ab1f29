"""Benchmark: how long each page takes in headless Chromium until its content is drawn.

Starts `bsm serve` on the demo database and opens every page five times in Debian's Chromium,
measuring from navigation to the drawn map/charts (not a timed test: figures go to the docs)::

    .venv/bin/python benchmarks/pages.py --db demo/bsm.duckdb
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {
    "oversigt": ("/", "#map path.area"),
    "omraade": ("/omraade/omraade/fjordby-kildeparken", "#series .main-svg"),
    "sammenlign": ("/sammenlign", "#compare-chart .main-svg"),
    "lister": ("/lister", "#map path.area"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("demo/bsm.duckdb"))
    parser.add_argument("--runs", type=int, default=5)
    ns = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "bsm"), "serve", "--db", str(ns.db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    results = {}
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/api/v1/meta", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, (path, ready) in PAGES.items():
                times = []
                for _ in range(ns.runs + 1):  # the first run warms the server's caches
                    start = time.perf_counter()
                    page.goto(base + path)
                    page.wait_for_selector(ready)
                    times.append(time.perf_counter() - start)
                results[name] = {
                    "median_s": round(statistics.median(times[1:]), 3),
                    "first_s": round(times[0], 3),
                }
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
