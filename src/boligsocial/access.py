"""Users, roles, sessions, API tokens and the audit log, in a small SQLite file beside the database.

SQLite rather than DuckDB because this is many small concurrent writes from the web server, and
because the analysis database is replaced whole by every load. Passwords are Argon2 hashes;
session ids and API tokens are random and stored only as SHA-256 hashes. Nothing here holds
person data: the audit log records who did what to which area or export, never figures.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from boligsocial.errors import ConfigError

ROLES = ("admin", "analyst", "staff", "politician", "housing_association")
SESSION_SECONDS = 8 * 3600
#: How long a session or token lookup is remembered in the web process (a change made by another
#: process, e.g. `bsm users remove`, takes effect within this time).
CACHE_SECONDS = 30.0
MIN_PASSWORD = 10
_HASHER = PasswordHasher()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, organisation TEXT, password_hash TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    label TEXT, created_at REAL NOT NULL, last_used REAL);
CREATE TABLE IF NOT EXISTS sessions (
    session_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, username TEXT, event TEXT NOT NULL,
    target TEXT, ip TEXT);
CREATE INDEX IF NOT EXISTS audit_event ON audit(event, at);
"""


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

    def __init__(self, path: Path) -> None:
        self.path = path
        # who a session id or token belongs to, remembered briefly so a busy API does not ask
        # SQLite on every request; a role change or removal in this process forgets at once
        self._known: dict[str, tuple[float, object]] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=10)
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(_SCHEMA)  # executescript manages its own transaction
        finally:
            con.close()

    @contextmanager
    def _connect(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction; writes take the lock at once (BEGIN IMMEDIATE), reads do not."""
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("PRAGMA foreign_keys = ON")
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # --- users -------------------------------------------------------------------------------

    def add_user(self, username: str, role: str, password: str, organisation: str | None = None) -> User:
        """Create a user; the password is stored only as an Argon2 hash."""
        _check_role(role, organisation)
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
        if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise ConfigError("a username is letters, digits, '.', '-' and '_'")
        with self._connect() as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise ConfigError(f"user '{username}' exists already")
            con.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                (username, role, organisation, _HASHER.hash(password), time.time()),
            )
        return User(username, role, organisation)

    def remove_user(self, username: str) -> None:
        self._forget()
        with self._connect() as con:
            if not con.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount:
                raise ConfigError(f"no user '{username}'")

    def set_role(self, username: str, role: str, organisation: str | None = None) -> None:
        _check_role(role, organisation)
        self._forget()
        with self._connect() as con:
            changed = con.execute(
                "UPDATE users SET role = ?, organisation = ? WHERE username = ?",
                (role, organisation, username),
            ).rowcount
            if not changed:
                raise ConfigError(f"no user '{username}'")
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))  # log out everywhere

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
        """The user if the password is right (rehashing old parameters), else None."""
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
        return self._remember("s:" + _digest(session), lambda: self._session(session))

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

    def new_token(self, username: str, label: str = "") -> str:
        """A personal API token, shown once; only its hash is stored."""
        if self.user(username) is None:
            raise ConfigError(f"no user '{username}'")
        token = "bsm_" + secrets.token_urlsafe(32)
        with self._connect() as con:
            con.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, NULL)", (_digest(token), username, label, time.time())
            )
        return token

    def token_user(self, token: str) -> User | None:
        """The token's user; `last_used` is written when the token is looked up afresh."""
        found: User | None = self._remember("t:" + _digest(token), lambda: self._token_user(token))
        return found

    def _token_user(self, token: str) -> User | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT u.username, u.role, u.organisation FROM tokens t JOIN users u USING (username) "
                "WHERE t.token_hash = ?",
                (_digest(token),),
            ).fetchone()
            if row:
                con.execute(
                    "UPDATE tokens SET last_used = ? WHERE token_hash = ?", (time.time(), _digest(token))
                )
        return User(*row) if row else None

    # --- audit and throttling ------------------------------------------------------------------

    def log(
        self, event: str, username: str | None = None, target: str | None = None, ip: str | None = None
    ) -> None:
        """One audit record: who, what, when (never figures or person data)."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO audit (at, username, event, target, ip) VALUES (?, ?, ?, ?, ?)",
                (time.time(), username, event, target, ip),
            )

    def audit(self, limit: int = 100, event: str | None = None) -> list[dict[str, object]]:
        with self._connect(write=False) as con:
            query = "SELECT at, username, event, target, ip FROM audit"
            args: tuple[object, ...] = ()
            if event:
                query += " WHERE event = ?"
                args = (event,)
            rows = con.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [dict(zip(("at", "username", "event", "target", "ip"), r, strict=True)) for r in rows]

    def failures(self, username: str, ip: str | None, seconds: float) -> int:
        """Failed logins for this user name or from this address within the last `seconds`."""
        with self._connect(write=False) as con:
            (n,) = con.execute(
                "SELECT count(*) FROM audit WHERE event = 'login-failed' AND at > ? "
                "AND (username = ? OR (ip IS NOT NULL AND ip = ?))",
                (time.time() - seconds, username, ip),
            ).fetchone()
        return int(n)


def _check_role(role: str, organisation: str | None) -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    if role == "housing_association" and not organisation:
        raise ConfigError("a housing_association user needs --organisation (the housing_org of its areas)")
