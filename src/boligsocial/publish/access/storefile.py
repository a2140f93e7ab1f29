"""The access store's file and what every process remembers of it: connections, transactions,
and the generation number that tells a process its remembered lookups are still good.

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

import mmap
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from boligsocial.common.files import file_mode

#: How long a session or token lookup is remembered in the web process: bounds how stale
#: `last_used` may be; changes of access are seen at once through the generation number.
CACHE_SECONDS = 30.0
#: How often a process asks SQLite for the generation even when the stamp file has not changed.
GENERATION_CHECK_SECONDS = 1.0


class StoreFile:
    """One access store file: transactions on it, and lookups remembered under its generation."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # who a session id or token belongs to, remembered briefly so a busy API does not ask
        # SQLite on every request, under the generation it was looked up in
        self._known: dict[str, tuple[float, object]] = {}
        self._generation = -1
        self._local = threading.local()
        # the stamp as last read and the generation SQLite gave then (see `generation`)
        self._seen: tuple[bytes, int, float] | None = None
        self._stamp_map: mmap.mmap | None = None

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
