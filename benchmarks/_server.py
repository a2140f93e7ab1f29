"""A `bsm serve` process on loopback for the benchmarks, with a benchmark user and API token."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from boligsocial.publish.access import Access, default_access_path

USER, PASSWORD, ROLE = "benchmark", "benchmark-password", "staff"


@dataclass(frozen=True)
class Server:
    base: str
    token: str
    pid: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_user(db: Path, name: str, role: str) -> str:
    """A further benchmark user (if new) and a fresh API token of it."""
    store = Access(default_access_path(db))
    if store.user(name) is None:
        store.add_user(name, role, PASSWORD, weak_password_ok=True)
    return store.new_token(name, "benchmark")


@contextmanager
def served(db: Path) -> Iterator[Server]:
    """Start `bsm serve` on a free port; stop it afterwards. Figures are read as a staff user."""
    store = Access(default_access_path(db))
    if store.user(USER) is None:
        store.add_user(USER, ROLE, PASSWORD, weak_password_ok=True)
    token = store.new_token(USER, "benchmark")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "bsm"), "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/login", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("bsm serve did not start")
        yield Server(base, token, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "seconds": %%.2f, "p50_ms": %%.1f, "p95_ms": %%.1f, '
    .. '"p99_ms": %%.1f, "errors": %%d, "non_2xx": %%d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def wrk(server: Server, paths: list[str], clients: int, seconds: float, threads: int = 1) -> dict[str, float]:
    """One `wrk` run (a C client that leaves the CPU to the server) over `paths` in a shuffled
    order, with the server's token: requests, seconds, p50/p95/p99 in ms, errors, non-2xx."""
    rng = random.Random(42)
    paths = paths[:]
    rng.shuffle(paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    args = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "10s", "-s", fh.name]
    out = subprocess.run(
        [*args, "-H", f"Authorization: Bearer {server.token}", server.base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))
