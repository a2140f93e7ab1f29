"""Benchmark: generate the example municipality, check it and load it; seconds and peak memory per stage.

Each stage runs in its own process so its peak resident memory can be measured (os.wait4). Run several
scales to see that load cost grows linearly with person-years::

    .venv/bin/python benchmarks/load.py --scales 0.25,0.5,1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = {
    "generate": "from boligsocial.example import generate; import sys, json; "
    "print(json.dumps(generate(__import__('pathlib').Path(sys.argv[1]), seed=int(sys.argv[3]), "
    "scale=float(sys.argv[2]))))",
    "check": "from boligsocial.pipeline.delivery import check; import sys, json; "
    "r = check(__import__('pathlib').Path(sys.argv[1])); print(json.dumps({'errors': r.error_count}))",
    "load": "from boligsocial.pipeline import load; import sys, json; from pathlib import Path; "
    "s = load(Path(sys.argv[1]), Path(sys.argv[4]), Path(sys.argv[5])); "
    "print(json.dumps({'person_years': s.persons_rows, 'stages': s.seconds}))",
}


def run_stage(stage: str, args: list[str]) -> tuple[float, float, dict]:
    """Run one stage in a child process: wall seconds, peak RSS in MB, and its JSON output."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", STAGES[stage], *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed with exit code {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024, json.loads(out.decode().strip().splitlines()[-1])


def bench(scale: float, seed: int, workdir: Path) -> dict:
    delivery, db, key = workdir / f"delivery-{scale}", workdir / f"bsm-{scale}.duckdb", workdir / "key"
    args = [str(delivery), str(scale), str(seed), str(db), str(key)]
    result: dict = {"scale": scale}
    for stage in STAGES:
        seconds, peak, out = run_stage(stage, args)
        result[stage] = {"seconds": round(seconds, 2), "peak_mb": round(peak), **out}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1", help="comma-separated population scales")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/load.json"))
    ns = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bsm-bench-") as tmp:
        for scale in (float(s) for s in ns.scales.split(",")):
            r = bench(scale, ns.seed, Path(tmp))
            results.append(r)
            py = r["load"]["person_years"]
            print(f"scale {scale:g}: {py:,} person-years")
            for stage in STAGES:
                print(f"  {stage:<9} {r[stage]['seconds']:7.2f} s  peak {r[stage]['peak_mb']:6,} MB")
            for name, sec in r["load"]["stages"].items():
                print(f"    load.{name:<14} {sec:6.2f} s")
            print(f"  load: {r['load']['seconds'] / py * 1e6:.2f} s per million person-years")
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {ns.out}")


if __name__ == "__main__":
    main()
