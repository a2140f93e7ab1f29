"""Users and their roles: who may log in, with which role (and, for a housing association, which
organisation); passwords stored only as Argon2 hashes and checked against the password policy
(`passwords`). Every change is an audit record; a removal or a change of role bumps the
generation, so every process forgets what it remembered of the user."""

from __future__ import annotations

import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from boligsocial.common.errors import ConfigError
from boligsocial.common.words import both
from boligsocial.publish.access.audittrail import AuditTrail
from boligsocial.publish.access.passwords import check_password as check_policy

ROLES = ("admin", "analyst", "staff", "politician", "housing_association")
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    """A person who may log in (or use a token): role and, for housing associations, the org."""

    username: str
    role: str
    organisation: str | None = None


class Users(AuditTrail):
    """The users of an access store file."""

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
            raise ConfigError(both("system.username_chars"))
        if not weak_password_ok:
            check_policy(password, username, organisation)
        with self._connect() as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise ConfigError(both("system.user_exists", user=username))
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
                raise ConfigError(both("system.no_user", user=username))
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
                raise ConfigError(both("system.no_user", user=username))
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


def _check_role(role: str, organisation: str | None) -> None:
    if role not in ROLES:
        raise ConfigError(both("system.unknown_role", role=role, roles=", ".join(ROLES)))
    if role == "housing_association" and not organisation:
        raise ConfigError(both("system.organisation_needed"))
