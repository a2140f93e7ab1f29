"""Benchmark: how long each page takes in headless Chromium until its content is drawn.

Starts `bsm serve` on the demo database and opens every page five times in Debian's Chromium,
measuring from navigation to the drawn map/charts (not a timed test: figures go to the docs)::

    .venv/bin/python benchmarks/pages.py --db demo/bsm.duckdb
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from _server import PASSWORD, USER, served

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
    "flytninger": ("/flytninger", "#flowmap path.flow"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("demo/bsm.duckdb"))
    parser.add_argument("--runs", type=int, default=5)
    ns = parser.parse_args()
    results = {}
    with served(ns.db) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.base + "/login")
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server.base + "/")
        for name, (path, ready) in PAGES.items():
            times = []
            for _ in range(ns.runs + 1):  # the first run warms the server's caches
                start = time.perf_counter()
                page.goto(server.base + path)
                page.wait_for_selector(ready)
                times.append(time.perf_counter() - start)
            results[name] = {
                "median_s": round(statistics.median(times[1:]), 3),
                "first_s": round(times[0], 3),
            }
        browser.close()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
