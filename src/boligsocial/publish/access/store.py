"""Users, roles, sessions, API tokens and the audit log, in a small SQLite file beside the database.

SQLite rather than DuckDB because this is many small concurrent writes from the web server, and
because the analysis database is replaced whole by every load. Passwords are Argon2 hashes;
session ids and API tokens are random and stored only as SHA-256 hashes. Nothing here holds
person data: the audit log records who did what to which area or export, never figures.

A change to who may do what (a user removed, a role changed, a token revoked, a user unlocked)
bumps a generation number in the file (`PRAGMA user_version`); every process compares it with the
one its lookups were remembered under before it trusts them, so a removal made by `bsm users
remove` in another process ends the user's sessions and tokens on the next request, not 30 s
later. The number is also written, after the change is committed, to a stamp file beside the
store (`<store>.generation`) that each process maps into memory: a request compares 8 bytes of
memory instead of asking SQLite, whose call lets other threads take the interpreter from the
event loop (measured: a quarter of a busy server's throughput). SQLite is still asked when the
stamp changes and at least once a second.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import mmap
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from boligsocial.common.errors import ConfigError
from boligsocial.common.files import file_mode, private_files, restrict
from boligsocial.publish.access.auditlog import FIELDS, GENESIS, Verdict, iso, now_iso, record_hash, verify
from boligsocial.publish.access.passwords import check_password as check_policy

ROLES = ("admin", "analyst", "staff", "politician", "housing_association")
SESSION_SECONDS = 8 * 3600
#: How long a session or token lookup is remembered in the web process: bounds how stale
#: `last_used` may be; changes of access are seen at once through the generation number.
CACHE_SECONDS = 30.0
#: How often a process asks SQLite for the generation even when the stamp file has not changed.
GENERATION_CHECK_SECONDS = 1.0
TOKEN_DAYS = 365
#: Every event the audit log records (docs/access.md).
EVENTS = (
    "login",
    "login-failed",
    "login-throttled",
    "logout",
    "user-added",
    "user-removed",
    "role-changed",
    "user-unlocked",
    "token-created",
    "token-revoked",
    "read",
    "profile-view",
    "export",
    "publication",
    "retention",
)
#: Queued audit records (reads) are written at least this often.
FLUSH_SECONDS = 1.0
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Throttle:
    """Login throttling: per account, `account_failures` failures within `window` seconds lock
    that account for a time that doubles with every further failure (from `first_lock` seconds up
    to `window`); per address, `address_failures` (a town hall's NAT has many colleagues behind
    one address) lock the address for `window`. Counted before the password is checked, in one
    transaction, so parallel attempts cannot race past the limit."""

    account_failures: int = 5
    address_failures: int = 50
    window: float = 900.0
    first_lock: float = 30.0

    def lock_seconds(self, kind: str, failures: int) -> float:
        """How long `failures` failures (this one included) lock an account or address."""
        if kind == "address":
            return self.window if failures >= self.address_failures else 0.0
        if failures < self.account_failures:
            return 0.0
        return min(self.window, self.first_lock * 2 ** (failures - self.account_failures))


_SCHEMA = """
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
_ADDED = {
    "tokens": {"token_id": "TEXT", "expires_at": "REAL"},
    "audit": {"role": "TEXT", "detail": "TEXT", "prev_hash": "TEXT", "hash": "TEXT"},
}


@dataclass(frozen=True)
class User:
    """A person who may log in (or use a token): role and, for housing associations, the org."""

    username: str
    role: str
    organisation: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def default_access_path(db: Path) -> Path:
    """`<db>.access.sqlite` beside the analysis database."""
    return db.with_name(db.name + ".access.sqlite")


class Access:
    """The access store of one installation."""

    def __init__(
        self, path: Path, throttle: Throttle | None = None, retention_days: int | None = None
    ) -> None:
        self.path = path
        self.throttle = throttle or Throttle()
        #: audit records older than this are removed (None: kept for ever)
        self.retention_days = retention_days
        # who a session id or token belongs to, remembered briefly so a busy API does not ask
        # SQLite on every request, under the generation it was looked up in
        self._known: dict[str, tuple[float, object]] = {}
        self._generation = -1
        self._local = threading.local()
        # the stamp as last read and the generation SQLite gave then (see `generation`)
        self._seen: tuple[bytes, int, float] | None = None
        self._stamp_map: mmap.mmap | None = None
        # records of reads, written by a background thread in batches (one SQLite transaction a
        # second instead of one per request)
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._wake = threading.Event()
        path.parent.mkdir(parents=True, exist_ok=True)
        with private_files():  # SQLite makes the file and its -wal and -shm with the umask
            con = sqlite3.connect(path, timeout=10, isolation_level=None)
            try:
                con.execute("PRAGMA journal_mode = WAL")
                con.executescript(_SCHEMA)  # executescript manages its own transaction
                _migrate(con)
            finally:
                con.close()
            if not self.stamp_path.exists() or self.stamp_path.stat().st_size != 8:
                self._write_stamp(self._read_generation())
        for part in ("", "-wal", "-shm", ".generation"):  # files of older versions were made 0644
            restrict(path.with_name(path.name + part))

    @property
    def stamp_path(self) -> Path:
        """The generation stamp beside the store (`generation`)."""
        return self.path.with_name(self.path.name + ".generation")

    def _write_stamp(self, generation: int) -> None:
        fd = os.open(self.stamp_path, os.O_RDWR | os.O_CREAT, file_mode())
        try:
            os.pwrite(fd, generation.to_bytes(8, "little"), 0)
        finally:
            os.close(fd)

    @contextmanager
    def _connect(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction; writes take the lock at once (BEGIN IMMEDIATE), reads do not."""
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("PRAGMA foreign_keys = ON")
        self._local.bumped = None
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()
        bumped, self._local.bumped = self._local.bumped, None
        if bumped is not None:  # committed: now every process may see it
            self._write_stamp(bumped)

    def _bump(self, con: sqlite3.Connection) -> None:
        """A change of who may do what: every process forgets what it remembered."""
        (version,) = con.execute("PRAGMA user_version").fetchone()
        con.execute(f"PRAGMA user_version = {int(version) + 1}")
        self._local.bumped = int(version) + 1  # the stamp is written once this commits
        self._forget()

    def generation(self) -> int:
        """The file's access generation. SQLite is asked only when the stamp file's 8 bytes have
        changed or a second has passed since it was last asked: a stamp that missed a change
        (written by a process that died between commit and stamp) is caught within that second."""
        if self._stamp_map is None:
            with open(self.stamp_path, "rb") as fh:
                self._stamp_map = mmap.mmap(fh.fileno(), 8, access=mmap.ACCESS_READ)
        stamp, seen, now = self._stamp_map[:8], self._seen, time.monotonic()
        if seen is not None and seen[0] == stamp and now - seen[2] < GENERATION_CHECK_SECONDS:
            return seen[1]
        generation = self._read_generation()
        self._seen = (stamp, generation, now)
        return generation

    def _read_generation(self) -> int:
        """The generation as SQLite has it, on a connection kept per thread."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        (version,) = con.execute("PRAGMA user_version").fetchone()
        return int(version)

    # --- users -------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        role: str,
        password: str,
        organisation: str | None = None,
        *,
        actor: str | None = None,
        weak_password_ok: bool = False,
    ) -> User:
        """Create a user; the password is stored only as an Argon2 hash. It must pass the
        password policy (`passwords.check_password`) unless `weak_password_ok` (the demo's
        published passwords and test fixtures only)."""
        _check_role(role, organisation)
        if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise ConfigError(
                "et brugernavn består af bogstaver, cifre, '.', '-' og '_' / "
                "a username is letters, digits, '.', '-' and '_'"
            )
        if not weak_password_ok:
            check_policy(password, username, organisation)
        with self._connect() as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise ConfigError(f"brugeren '{username}' findes allerede / user '{username}' exists already")
            con.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                (username, role, organisation, _HASHER.hash(password), time.time()),
            )
            self._write_log(con, "user-added", actor, username, None, detail={"role": role})
        return User(username, role, organisation)

    def remove_user(self, username: str, *, actor: str | None = None) -> None:
        """Remove a user: its sessions and tokens go with it, in every process at once."""
        with self._connect() as con:
            if not con.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount:
                raise ConfigError(f"ingen bruger '{username}' / no user '{username}'")
            self._bump(con)
            self._write_log(con, "user-removed", actor, username, None)

    def set_role(
        self, username: str, role: str, organisation: str | None = None, *, actor: str | None = None
    ) -> None:
        """Change a user's role; the user is logged out everywhere (tokens keep working, with the
        new role)."""
        _check_role(role, organisation)
        with self._connect() as con:
            changed = con.execute(
                "UPDATE users SET role = ?, organisation = ? WHERE username = ?",
                (role, organisation, username),
            ).rowcount
            if not changed:
                raise ConfigError(f"ingen bruger '{username}' / no user '{username}'")
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))  # log out everywhere
            self._bump(con)
            detail = {"role": role, "organisation": organisation}
            self._write_log(con, "role-changed", actor, username, None, detail=detail)

    def users(self) -> list[User]:
        with self._connect(write=False) as con:
            rows = con.execute("SELECT username, role, organisation FROM users ORDER BY username").fetchall()
        return [User(*r) for r in rows]

    def user(self, username: str) -> User | None:
        with self._connect(write=False) as con:
            row = con.execute(
                "SELECT username, role, organisation FROM users WHERE username = ?", (username,)
            ).fetchone()
        return User(*row) if row else None

    def check_password(self, username: str, password: str) -> User | None:
        """The user if the password is right (rehashing old parameters), else None. Does not
        throttle: a login goes through `login`."""
        with self._connect(write=False) as con:
            row = con.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            _HASHER.hash(password)  # spend the same time, so timing does not reveal unknown users
            return None
        try:
            _HASHER.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return None
        if _HASHER.check_needs_rehash(row[0]):
            with self._connect() as con:
                con.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ?",
                    (_HASHER.hash(password), username),
                )
        return self.user(username)

    # --- login throttling ----------------------------------------------------------------------

    def login(self, username: str, password: str, ip: str | None) -> tuple[User | None, float]:
        """A login attempt: (the user, 0) when the password is right; (None, 0) when it is wrong;
        (None, seconds to wait) when the account or the address is locked, without checking
        the password. The attempt is counted as a failure before the password is checked, in
        one transaction with the check of the locks, and forgiven when it succeeds: 30 parallel
        wrong passwords are not all evaluated."""
        keys = [("account", username.lower()), *([("address", ip)] if ip else [])]
        with self._connect() as con:
            now = time.time()  # once the write lock is held: attempts are ordered by it
            wait = 0.0
            for kind, key in keys:
                row = con.execute(
                    "SELECT locked_until FROM attempts WHERE kind = ? AND key = ?", (kind, key)
                ).fetchone()
                if row and row[0] > now:
                    wait = max(wait, row[0] - now)
            if wait:
                self._write_log(con, "login-throttled", None, username, ip, at=now)
                return None, wait
            for kind, key in keys:
                row = con.execute(
                    "SELECT failures, last_at FROM attempts WHERE kind = ? AND key = ?", (kind, key)
                ).fetchone()
                failures = (row[0] if row and now - row[1] < self.throttle.window else 0) + 1
                seconds = self.throttle.lock_seconds(kind, failures)
                locked = now + seconds if seconds else 0.0
                con.execute(
                    "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?, ?)",
                    (kind, key, failures, now, locked),
                )
        user = self.check_password(username, password)
        with self._connect() as con:
            if user is None:
                self._write_log(con, "login-failed", None, username, ip)
                return None, 0.0
            # forgiven: the account starts afresh, the address gets this attempt back
            con.execute("DELETE FROM attempts WHERE kind = 'account' AND key = ?", (username.lower(),))
            if ip:
                con.execute(
                    "UPDATE attempts SET failures = max(failures - 1, 0), locked_until = 0 "
                    "WHERE kind = 'address' AND key = ? AND failures < ?",
                    (ip, self.throttle.address_failures),
                )
            self._write_log(con, "login", user.username, None, ip, role=user.role)
        return user, 0.0

    def locked(self) -> list[dict[str, object]]:
        """Accounts and addresses locked now, with their failures and until when."""
        with self._connect(write=False) as con:
            rows = con.execute(
                "SELECT kind, key, failures, locked_until FROM attempts WHERE locked_until > ? ORDER BY 1, 2",
                (time.time(),),
            ).fetchall()
        return [{"kind": k, "key": key, "failures": n, "until": iso(until)} for k, key, n, until in rows]

    def unlock(self, username: str, *, actor: str | None = None) -> bool:
        """Lift a user's lock (after failed logins); whether there was one."""
        with self._connect() as con:
            removed = con.execute(
                "DELETE FROM attempts WHERE kind = 'account' AND key = ?", (username.lower(),)
            ).rowcount
            self._write_log(con, "user-unlocked", actor, username, None)
        return bool(removed)

    # --- sessions and tokens -------------------------------------------------------------------

    def new_session(self, username: str) -> tuple[str, str]:
        """A session id (for the cookie) and its CSRF token; only the id's hash is stored."""
        session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_digest(session), username, csrf, time.time() + SESSION_SECONDS),
            )
        return session, csrf

    def _remember(self, key: str, produce: Callable[[], Any]) -> Any:
        generation = self.generation()
        if generation != self._generation:  # another process changed who may do what
            self._known.clear()
            self._generation = generation
        now = time.monotonic()
        hit = self._known.get(key)
        if hit and hit[0] > now:
            return hit[1]
        value = produce()
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[key] = (now + CACHE_SECONDS, value)
        return value

    def _forget(self) -> None:
        self._known.clear()

    def session(self, session: str) -> tuple[User, str] | None:
        """The session's user and CSRF token, if the session exists and has not expired."""
        found: tuple[User, str] | None = self._remember(
            "s:" + _digest(session), lambda: self._session(session)
        )
        return found

    def _session(self, session: str) -> tuple[User, str] | None:
        with self._connect(write=False) as con:
            row = con.execute(
                "SELECT u.username, u.role, u.organisation, s.csrf FROM sessions s "
                "JOIN users u USING (username) WHERE s.session_hash = ? AND s.expires_at > ?",
                (_digest(session), time.time()),
            ).fetchone()
        return (User(row[0], row[1], row[2]), row[3]) if row else None

    def end_session(self, session: str) -> None:
        self._forget()
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE session_hash = ?", (_digest(session),))

    def new_token(
        self, username: str, label: str = "", days: int = TOKEN_DAYS, *, actor: str | None = None
    ) -> str:
        """A personal API token, shown once; only its hash is stored. It expires after `days`."""
        if self.user(username) is None:
            raise ConfigError(f"ingen bruger '{username}' / no user '{username}'")
        if not 1 <= days <= 5 * 365:
            raise ConfigError("et token gælder 1–1825 dage / a token lasts 1–1825 days")
        token, token_id = "bsm_" + secrets.token_urlsafe(32), secrets.token_hex(4)
        now = time.time()
        with self._connect() as con:
            con.execute(
                "INSERT INTO tokens (token_hash, username, label, created_at, last_used, token_id, "
                "expires_at) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (_digest(token), username, label, now, token_id, now + days * 86400),
            )
            detail = {"token": token_id, "label": label, "expires": iso(now + days * 86400)}
            self._write_log(con, "token-created", actor or username, username, None, detail=detail)
        return token

    def tokens(self, username: str | None = None) -> list[dict[str, object]]:
        """Tokens (of one user, or all): id, user, label, created, expires, last used, expired."""
        query = (
            "SELECT token_id, username, label, created_at, expires_at, last_used FROM tokens"
            + (" WHERE username = ?" if username else "")
            + " ORDER BY created_at"
        )
        with self._connect(write=False) as con:
            rows = con.execute(query, (username,) if username else ()).fetchall()
        now = time.time()
        return [
            {
                "id": tid,
                "username": user,
                "label": label or "",
                "created": iso(created),
                "expires": iso(expires),
                "last_used": iso(used) if used else None,
                "expired": expires <= now,
            }
            for tid, user, label, created, expires, used in rows
        ]

    def revoke_token(self, token_id: str, *, username: str | None = None, actor: str | None = None) -> None:
        """Revoke a token by its id (only the user's own when `username` is given); at once, in
        every process."""
        query = "DELETE FROM tokens WHERE token_id = ?" + (" AND username = ?" if username else "")
        with self._connect() as con:
            if not con.execute(query, (token_id, username) if username else (token_id,)).rowcount:
                raise ConfigError(f"intet token '{token_id}' / no token '{token_id}'")
            self._bump(con)
            self._write_log(con, "token-revoked", actor or username, None, None, detail={"token": token_id})

    def token_user(self, token: str) -> User | None:
        """The token's user while the token has not expired; `last_used` is written when the
        token is looked up afresh (so it is at most `CACHE_SECONDS` old)."""
        found: User | None = self._remember("t:" + _digest(token), lambda: self._token_user(token))
        return found

    def _token_user(self, token: str) -> User | None:
        now = time.time()
        with self._connect() as con:
            row = con.execute(
                "SELECT u.username, u.role, u.organisation FROM tokens t JOIN users u USING (username) "
                "WHERE t.token_hash = ? AND t.expires_at > ?",
                (_digest(token), now),
            ).fetchone()
            if row:
                con.execute("UPDATE tokens SET last_used = ? WHERE token_hash = ?", (now, _digest(token)))
        return User(*row) if row else None

    # --- audit ---------------------------------------------------------------------------------

    def log(
        self,
        event: str,
        username: str | None = None,
        target: str | None = None,
        ip: str | None = None,
        *,
        role: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> None:
        """One audit record: who, what, when (never figures or person data), chained by hash;
        written now (after the records still queued, so the log stays in order)."""
        with self._connect() as con:
            self._write_pending(con)
            self._write_log(con, event, username, target, ip, role=role, detail=detail)

    def log_later(
        self,
        event: str,
        username: str | None = None,
        target: str | None = None,
        ip: str | None = None,
        *,
        role: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> None:
        """Queue a record (a data read): written within `FLUSH_SECONDS` by a background thread,
        many in one transaction, so a busy API does not wait for SQLite on every request. Its
        time is when it was queued. Reading the log writes what is queued first."""
        record = {"at": now_iso(), "event": event, "username": username, "target": target, "ip": ip}
        with self._pending_lock:
            self._pending.append({**record, "role": role, "detail": detail})
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_loop, name="bsm-audit", daemon=True)
                self._writer.start()
                atexit.register(self.flush)
        if len(self._pending) >= 500:
            self._wake.set()

    def log_read(
        self,
        username: str | None,
        role: str | None,
        endpoint: str,
        parameters: Mapping[str, object],
        rows: int | None,
        ip: str | None,
    ) -> None:
        """A read of data through the API: who, with which role, which endpoint (its path names
        layer and area) with which parameters (indicator, year, …), and how many rows."""
        self.log_later("read", username, endpoint, ip, role=role, detail={**parameters, "rows": rows})

    def _write_loop(self) -> None:
        while True:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            try:
                self.flush()
            except sqlite3.Error:  # busy for longer than the timeout: the records stay queued
                continue

    def flush(self) -> None:
        """Write the queued records now."""
        if not self._pending:
            return
        with self._connect() as con:
            self._write_pending(con)

    def _write_pending(self, con: sqlite3.Connection) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, []
        try:
            self._append(con, pending)
        except BaseException:
            with self._pending_lock:  # not written: keep them for the next try
                self._pending[:0] = pending
            raise

    def _write_log(
        self,
        con: sqlite3.Connection,
        event: str,
        username: str | None,
        target: str | None,
        ip: str | None,
        *,
        role: str | None = None,
        detail: Mapping[str, object] | None = None,
        at: float | None = None,
    ) -> None:
        """Append a record inside the caller's write transaction (which serialises the chain)."""
        at_iso = iso(at) if at is not None else now_iso()
        record = {"at": at_iso, "event": event, "username": username, "target": target, "ip": ip}
        self._append(con, [{**record, "role": role, "detail": detail}])

    @staticmethod
    def _append(con: sqlite3.Connection, records: list[dict[str, Any]]) -> None:
        """Append records to the chain inside the caller's write transaction: the head is read
        once and the rows written in one statement, so a busy server's background writer spends
        little time holding the interpreter that answers requests."""
        if not records:
            return
        last = con.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        next_id = (last[0] if last else 0) + 1
        previous = str(last[1]) if last and last[1] else GENESIS
        rows = []
        for r in records:
            detail = r["detail"]
            record: dict[str, object] = {
                "id": next_id,
                "at": r["at"],
                "username": r["username"],
                "role": r["role"],
                "event": r["event"],
                "target": r["target"],
                "ip": r["ip"],
                "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
            }
            digest = record_hash(previous, record)
            rows.append((*(record[f] for f in FIELDS), previous, digest))
            previous, next_id = digest, next_id + 1
        con.executemany(
            "INSERT INTO audit (id, at, username, role, event, target, ip, detail, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def audit(
        self,
        limit: int = 100,
        event: str | None = None,
        *,
        since: str | None = None,
        user: str | None = None,
    ) -> list[dict[str, object]]:
        """The newest records first, filtered by event, user and time (ISO 8601, UTC; a date
        alone means from its midnight)."""
        where, args = [], []
        if event:
            where.append("event = ?")
            args.append(event)
        if user:
            where.append("username = ?")
            args.append(user)
        if since:
            where.append("at >= ?")
            args.append(since)
        query = f"SELECT {', '.join(FIELDS)} FROM audit" + (f" WHERE {' AND '.join(where)}" if where else "")
        self.flush()
        with self._connect(write=False) as con:
            rows = con.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        out = []
        for r in rows:
            record = dict(zip(FIELDS, r, strict=True))
            record["detail"] = json.loads(str(record["detail"])) if record["detail"] else None
            out.append(record)
        return out

    def verify(self) -> Verdict:
        """Check the hash chain of the whole log."""
        self.flush()
        with self._connect(write=False) as con:
            rows = con.execute(
                f"SELECT {', '.join(FIELDS)}, prev_hash, hash FROM audit ORDER BY id"
            ).fetchall()
        return verify(dict(zip((*FIELDS, "prev_hash", "hash"), r, strict=True)) for r in rows)

    def apply_retention(self, *, actor: str | None = None) -> int:
        """Remove records older than `retention_days` (none when it is None); the removal is
        itself a record, naming the last id removed, so `verify` can tell it from tampering."""
        if self.retention_days is None:
            return 0
        cutoff = iso(time.time() - self.retention_days * 86400)
        with self._connect() as con:
            row = con.execute(
                "SELECT max(id), count(*) FROM audit WHERE at < ? AND id < (SELECT max(id) FROM audit)",
                (cutoff,),
            ).fetchone()
            if not row or not row[1]:
                return 0
            last, n = int(row[0]), int(row[1])
            con.execute("DELETE FROM audit WHERE id <= ?", (last,))
            detail = {"removed_until": last, "removed": n, "older_than": cutoff}
            self._write_log(con, "retention", actor, None, None, detail=detail)
        return n


def _check_role(role: str, organisation: str | None) -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    if role == "housing_association" and not organisation:
        raise ConfigError("a housing_association user needs --organisation (the housing_org of its areas)")


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a file of an older version up to date: new columns, ids for old tokens (which expire
    a year after they were made), ISO 8601 times and the hash chain for old audit records."""
    for table, columns in _ADDED.items():
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
