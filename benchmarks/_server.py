"""A `bsm serve` process on loopback for the benchmarks, with a benchmark user and API token."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from boligsocial.access import Access, default_access_path

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
