"""Benchmark: how long each export takes on a database, and `bsm publish` when a server is given.

Each export is made three times (a fresh Publication each time, as the CLI does) and the median is
reported; figures go to docs/exports.md (not a timed test)::

    .venv/bin/python benchmarks/exports.py --db demo/bsm.duckdb [--postgres postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from boligsocial.outputs.export import export, publication

CASES = {
    "gpkg, all years": ("gpkg", {}),
    "geojson, last year (both CRS)": ("geojson", {"last": True}),
    "xlsx, all years": ("xlsx", {}),
    "csv, last year": ("csv", {"last": True}),
    "pdf områdeprofil": ("pdf", {"area": "fjordby-engparken"}),
    "pdf årsstatus": ("pdf", {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--postgres", help="A PostgreSQL URL to time `bsm publish` against (optional).")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (fmt, opts) in CASES.items():
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                pub = publication(args.db, "staff")
                year = pub.data_years[-1] if opts.get("last") else None
                area = opts.get("area")
                export(pub, fmt, Path(tmp) / f"x.{fmt}", year=year, area=str(area) if area else None)
                times.append(time.perf_counter() - start)
            results[name] = statistics.median(times)
            print(f"{name:32s} {results[name]:6.2f} s")
    if args.postgres:
        from boligsocial.outputs.postgis import publish

        start = time.perf_counter()
        rows = publish(publication(args.db, "staff"), args.postgres, "boligsocial_benchmark", lang="da")
        seconds = results["publish (all layers)"] = time.perf_counter() - start
        print(f"{'publish (all layers)':32s} {seconds:6.2f} s  {sum(rows.values()):,} rows")
    out = Path(__file__).parent / "results" / "exports.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
