"""Sessions (a browser's login, with its CSRF token) and personal API tokens: random secrets,
stored only as SHA-256 hashes; the user they belong to is remembered briefly per process and
forgotten when the generation changes (a revoked token stops working on the next request)."""

from __future__ import annotations

import hashlib
import secrets
import time

from boligsocial.common.errors import ConfigError
from boligsocial.common.words import both
from boligsocial.publish.access.auditlog import iso
from boligsocial.publish.access.users import User, Users

SESSION_SECONDS = 8 * 3600
TOKEN_DAYS = 365


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Sessions(Users):
    """The sessions and tokens of an access store file."""

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
            raise ConfigError(both("system.no_user", user=username))
        if not 1 <= days <= 5 * 365:
            raise ConfigError(both("system.token_days"))
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
                raise ConfigError(both("system.no_token", token=token_id))
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
