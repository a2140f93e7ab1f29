"""Benchmark: how long the disclosure step's protection against differencing takes to build for a
database, per policy and part, and how much it hides; figures go to docs/performance.md (not a
timed test)::

    .venv/bin/python benchmarks/protection.py --db demo/bsm.duckdb [--runs 3]

Each run builds everything afresh (a new Service that neither reads nor writes the kept files):
the areas' safe blocks (default policy, then the public one built on it) and the moves' linked
tables; then it times reading them back from kept files, as a restarted server or the export
process does. The load average is printed beside the
figures, as the machine's load changes them; the CPU seconds of this process are printed too
(they change less with the load than the wall seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from boligsocial.common.files import read_kept, write_kept
from boligsocial.publish.disclosure import load_policies
from boligsocial.publish.service import Service, keeping

#: Size bands of the flows between areas (movers in one year), for what each policy shows of them.
BANDS = ((1, 4), (5, 9), (10, 19), (20, 49), (50, None))


def _band(value: float) -> str:
    for lo, hi in BANDS:
        if (hi is None or value <= hi) and value >= lo:
            return f"{lo}-{hi}" if hi else f"{lo}+"
    return "0"


def _first(band: str) -> int:
    return int(band.split("-")[0].rstrip("+"))


def _once(db: Path) -> tuple[dict[str, float], dict[str, object]]:
    policies = load_policies()
    keeping.BUILT.clear()  # each run builds afresh: the process-level cache would answer runs 2 and 3
    svc = Service(db, policies, keep=False)
    seconds: dict[str, float] = {}
    for name in ("default", "public"):
        t, cpu = time.perf_counter(), time.process_time()
        svc.protection(policies[name])
        seconds[f"areas, {name}"] = time.perf_counter() - t
        seconds[f"areas, {name}, CPU"] = time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        moves = svc.move_protection(policies[name])
        seconds[f"moves, {name}"] = time.perf_counter() - t
        seconds[f"moves, {name}, CPU"] = time.process_time() - cpu
    with tempfile.TemporaryDirectory() as folder:
        for name in ("default", "public"):
            for what, made in (
                ("areas", svc.protection(policies[name])),
                ("moves", svc.move_protection(policies[name])),
            ):
                path = Path(folder) / f"{what}-{name}.pickle"
                write_kept(path, made)
                t = time.perf_counter()
                assert read_kept(path) is not None
                seconds[f"read back kept {what}, {name}"] = time.perf_counter() - t
    shown: dict[str, object] = {}
    for name in ("default", "public"):
        moves = svc.move_protection(policies[name])
        assert moves is not None
        cells: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        flows: Counter[str] = Counter()
        flows_shown: Counter[str] = Counter()
        for table in moves.tables.values():
            for key, cell in table.cells.items():
                if cell.virtual:
                    continue
                cells[key[0]] += 1
                hidden[key[0]] += cell.hidden
                if key[0] == "F" and key[1] == "omraade" and key[3] == "movers" and cell.value > 0:
                    flows[_band(cell.value)] += 1
                    flows_shown[_band(cell.value)] += not cell.hidden
        shown[f"moves cells hidden/all ({name})"] = {k: f"{hidden[k]}/{n}" for k, n in sorted(cells.items())}
        shown[f"omraade flows of movers shown/all by size ({name})"] = {
            b: f"{flows_shown[b]}/{flows[b]}" for b in sorted(flows, key=_first)
        }
    return seconds, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [_once(args.db) for _ in range(args.runs)]
    medians = {k: round(statistics.median(r[0][k] for r in runs), 2) for k in runs[0][0]}
    print(json.dumps({"seconds (median)": medians, **runs[-1][1], "load average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
