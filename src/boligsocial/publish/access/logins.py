"""Logins and their throttling: every attempt is counted per account and per address before the
password is checked, so parallel guesses cannot race past the limit (`Throttle`); locked accounts
listed and unlocked by an admin."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from boligsocial.publish.access.auditlog import iso
from boligsocial.publish.access.users import User, Users


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


class Logins(Users):
    """Login attempts on an access store file, throttled by `throttle`."""

    def __init__(
        self, path: Path, throttle: Throttle | None = None, retention_days: int | None = None
    ) -> None:
        super().__init__(path, retention_days)
        self.throttle = throttle or Throttle()

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
