"""The access store of one installation: users, roles, sessions, API tokens, login throttling and
the audit log, in a small SQLite file beside the database; its tables, and how a file of an
older version is brought up to date.

SQLite rather than DuckDB because this is many small concurrent writes from the web server, and
because the analysis database is replaced whole by every load. Passwords are Argon2 hashes;
session ids and API tokens are random and stored only as SHA-256 hashes. Nothing here holds
person data: the audit log records who did what to which area or export, never figures. Each
concern is a module of its own (`storefile`, `audittrail`, `users`, `logins`, `sessions`);
`Access` is all of them over one file.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from boligsocial.common.files import private_files, restrict
from boligsocial.publish.access.auditlog import FIELDS, GENESIS, iso, record_hash
from boligsocial.publish.access.logins import Logins, Throttle
from boligsocial.publish.access.sessions import TOKEN_DAYS, Sessions

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, organisation TEXT, password_hash TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    label TEXT, created_at REAL NOT NULL, last_used REAL);
CREATE TABLE IF NOT EXISTS attempts (
    kind TEXT NOT NULL, key TEXT NOT NULL, failures INTEGER NOT NULL, last_at REAL NOT NULL,
    locked_until REAL NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS sessions (
    session_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, username TEXT, event TEXT NOT NULL,
    target TEXT, ip TEXT);
CREATE INDEX IF NOT EXISTS audit_event ON audit(event, at);
"""
#: Columns added since the first version (added to an older file when it is opened).
ADDED = {
    "tokens": {"token_id": "TEXT", "expires_at": "REAL"},
    "audit": {"role": "TEXT", "detail": "TEXT", "prev_hash": "TEXT", "hash": "TEXT"},
}


def default_access_path(db: Path) -> Path:
    """`<db>.access.sqlite` beside the analysis database."""
    return db.with_name(db.name + ".access.sqlite")


class Access(Logins, Sessions):
    """The access store of one installation."""

    def __init__(
        self, path: Path, throttle: Throttle | None = None, retention_days: int | None = None
    ) -> None:
        super().__init__(path, throttle, retention_days)
        path.parent.mkdir(parents=True, exist_ok=True)
        with private_files():  # SQLite makes the file and its -wal and -shm with the umask
            con = sqlite3.connect(path, timeout=10, isolation_level=None)
            try:
                con.execute("PRAGMA journal_mode = WAL")
                con.executescript(SCHEMA)  # executescript manages its own transaction
                migrate(con)
            finally:
                con.close()
            if not self.stamp_path.exists() or self.stamp_path.stat().st_size != 8:
                self._write_stamp(self._read_generation())
        for part in ("", "-wal", "-shm", ".generation"):  # files of older versions were made 0644
            restrict(path.with_name(path.name + part))


def migrate(con: sqlite3.Connection) -> None:
    """Bring a file of an older version up to date: new columns, ids for old tokens (which expire
    a year after they were made), ISO 8601 times and the hash chain for old audit records."""
    for table, columns in ADDED.items():
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    con.execute("BEGIN IMMEDIATE")
    try:
        for (token_hash,) in con.execute("SELECT token_hash FROM tokens WHERE token_id IS NULL").fetchall():
            con.execute(
                "UPDATE tokens SET token_id = ?, expires_at = created_at + ? WHERE token_hash = ?",
                (secrets.token_hex(4), TOKEN_DAYS * 86400, token_hash),
            )
        unchained = con.execute(
            f"SELECT {', '.join(FIELDS)} FROM audit WHERE hash IS NULL ORDER BY id"
        ).fetchall()
        if unchained:
            last = con.execute(
                "SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
            previous = str(last[0]) if last else GENESIS
            for r in unchained:
                record = dict(zip(FIELDS, r, strict=True))
                if isinstance(record["at"], int | float):
                    record["at"] = iso(float(record["at"]))
                digest = record_hash(previous, record)
                con.execute(
                    "UPDATE audit SET at = ?, prev_hash = ?, hash = ? WHERE id = ?",
                    (record["at"], previous, digest, record["id"]),
                )
                previous = digest
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
