"""The audit log as the access store keeps it: records written now or queued and written in
batches by a background thread, read back filtered, verified, and removed after the retention
period. The hash chain itself is `auditlog`; nothing here records figures or person data."""

from __future__ import annotations

import atexit
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from boligsocial.publish.access.auditlog import FIELDS, GENESIS, Verdict, iso, now_iso, record_hash, verify
from boligsocial.publish.access.storefile import StoreFile

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


class AuditTrail(StoreFile):
    """The audit records of an access store file."""

    def __init__(self, path: Path, retention_days: int | None = None) -> None:
        super().__init__(path)
        #: audit records older than this are removed (None: kept for ever)
        self.retention_days = retention_days
        # records of reads, written by a background thread in batches (one SQLite transaction a
        # second instead of one per request)
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._wake = threading.Event()

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
