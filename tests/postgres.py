"""A throwaway PostgreSQL + PostGIS server for the tests that write to PostgreSQL.

`server()` gives `$BSM_TEST_POSTGRES` when set (CI starts a server, see `.ci/run`); otherwise it
starts a private server in a temporary directory (as the `postgres` user when run as root), which
`Server.stop()` (or the end of the process) removes. `database(url)` makes a fresh database for one
test module and drops it afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV = "BSM_TEST_POSTGRES"
#: Where Debian and Ubuntu put the server binaries, newest version first.
BIN_GLOB = "/usr/lib/postgresql/*/bin"


class Unavailable(Exception):
    """No server to test against; the message says why (the caller skips)."""


@dataclass
class Server:
    """A server's URL (a superuser on its `postgres` database) and how to stop it."""

    url: str
    data: Path | None = None
    bin: Path | None = None
    user: str | None = None

    def stop(self) -> None:
        """Stop a server started here and remove its files (nothing for `$BSM_TEST_POSTGRES`)."""
        if self.data is None or self.bin is None:
            return
        if self.data.exists():
            _run(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                self.user,
                check=False,
            )
            shutil.rmtree(self.data.parent, ignore_errors=True)
        self.data = None


def _bin() -> Path:
    """The newest installed server's bin directory with PostGIS beside it, or `Unavailable`."""
    found = [b for b in Path("/").glob(BIN_GLOB.lstrip("/")) if b.parent.name.isdigit()]
    servers = sorted(
        (b for b in found if (b / "initdb").exists() and (b / "pg_ctl").exists()),
        key=lambda b: int(b.parent.name),
        reverse=True,
    )
    if not servers:
        raise Unavailable(f"no PostgreSQL server binaries in {BIN_GLOB} and ${ENV} is not set")
    for b in servers:
        share = subprocess.run(
            [str(b / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
        )
        if share.returncode == 0 and (Path(share.stdout.strip()) / "extension" / "postgis.control").exists():
            return b
    raise Unavailable(
        f"PostGIS is not installed for PostgreSQL {servers[0].parent.name} "
        f"(apt-get install postgresql-{servers[0].parent.name}-postgis-3) and ${ENV} is not set"
    )


def _run(cmd: list[str], user: str | None, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=check, user=user, cwd="/")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server() -> Server:
    """`$BSM_TEST_POSTGRES`, or a throwaway server started here; `Unavailable` when neither can be."""
    if os.environ.get(ENV):
        return Server(os.environ[ENV])
    bin_dir = _bin()
    user = None
    root = Path(tempfile.mkdtemp(prefix="bsm-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            raise Unavailable("running as root and there is no postgres user to run the server as") from None
        os.chown(root, account.pw_uid, account.pw_gid)
        user = "postgres"
    data = root / "data"
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"], user)
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        _run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o", options, "start"],
            user,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(
            f"could not start a test server: {exc.stderr.strip() or exc.stdout.strip()}"
        ) from None
    started = Server(f"postgresql://postgres@127.0.0.1:{port}/postgres", data, bin_dir, user)
    atexit.register(started.stop)
    return started


def with_database(url: str, name: str) -> str:
    """`url` (a postgresql:// URL) pointing at database `name` instead."""
    base, _, query = url.partition("?")
    head = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{head}/{name}" + (f"?{query}" if query else "")


@contextlib.contextmanager
def database(url: str) -> Iterator[str]:
    """A fresh database `bsm_test_<random>` on the server; its URL, dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"bsm_test_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(url, name)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
